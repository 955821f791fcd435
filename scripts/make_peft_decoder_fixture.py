"""PEFT adapters on tiny decoders, saved by PEFT itself, with the logits PEFT computes: the reference of
tunekit's decoder adapter loading (packages/strategies/src/peft/peft-decoders.test.ts).

usage: python3 scripts/make_peft_decoder_fixture.py OUT_DIR
Bases (committed): fixtures/parity/gpt2-2l-h24-b3-seq9 (GPT2LMHeadModel) and
fixtures/generation/llama-2l-h32-kv2 (LlamaForCausalLM). For each case OUT_DIR/<case>/ holds PEFT's
adapter_config.json + adapter_model.safetensors (save_pretrained) and expected.safetensors: input_ids,
attention_mask (row 1 right-padded) and the adapted model's logits, computed in float64 (eager attention)
and stored as float32. Adapter weights are random (not PEFT's identity initialisation), so the adapters
change the logits. Needs transformers 4.48 and PEFT 0.20 on PYTHONPATH and ../shared/reference.
"""
import json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "reference"))
import torch  # noqa: E402
from torch_bert import save_safetensors  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402
from peft import IA3Config, LoraConfig, PrefixTuningConfig, PromptTuningConfig, get_peft_model  # noqa: E402

GPT2 = os.path.join(ROOT, "fixtures", "parity", "gpt2-2l-h24-b3-seq9")
LLAMA = os.path.join(ROOT, "fixtures", "generation", "llama-2l-h32-kv2")


def base(folder):
    return AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float64, attn_implementation="eager").eval()


CASES = {
    "gpt2-lora-c_attn": (GPT2, lambda: LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=8, lora_dropout=0.0,
                                                  target_modules=["c_attn"], fan_in_fan_out=True)),
    "gpt2-ia3": (GPT2, lambda: IA3Config(task_type="CAUSAL_LM")),
    "llama-ia3": (LLAMA, lambda: IA3Config(task_type="CAUSAL_LM")),
    "llama-ia3-layer1": (LLAMA, lambda: IA3Config(
        task_type="CAUSAL_LM",
        target_modules=r"(?:.*\.)?(?:layer|layers|h)\.(?:1)\.(?:.*\.)?(?:k_proj|v_proj|down_proj)",
        feedforward_modules=["down_proj"])),
    "gpt2-prompt": (GPT2, lambda: PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=3)),
    "llama-prompt": (LLAMA, lambda: PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=3)),
    "gpt2-prefix": (GPT2, lambda: PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=3)),
    "llama-prefix": (LLAMA, lambda: PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=3)),
}


def main(out):
    for i, (name, (folder, make)) in enumerate(CASES.items()):
        torch.manual_seed(100 + i)
        model = get_peft_model(base(folder), make())
        g = torch.Generator().manual_seed(200 + i)
        with torch.no_grad():
            for pname, p in model.named_parameters():
                if not p.requires_grad:
                    continue
                r = torch.randn(p.shape, generator=g, dtype=torch.float64)
                p.copy_(1 + 0.3 * r if "ia3_l" in pname else 0.3 * r)
        model.eval()
        vocab = model.config.vocab_size
        ids = torch.randint(3, vocab, (2, 7), generator=g)
        mask = torch.ones(2, 7, dtype=torch.int64)
        mask[1, 5:] = 0
        ids[1, 5:] = 0
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=mask).logits
        d = os.path.join(out, name)
        model.save_pretrained(d)
        os.remove(os.path.join(d, "README.md"))  # a model card naming this machine's paths
        save_safetensors(os.path.join(d, "expected.safetensors"),
                         {"input_ids": ids, "attention_mask": mask, "logits": logits.float()})
        cfg = json.load(open(os.path.join(d, "adapter_config.json")))
        cfg["base_model_name_or_path"] = os.path.relpath(folder, ROOT)  # no machine paths
        json.dump(cfg, open(os.path.join(d, "adapter_config.json"), "w"), indent=2, sort_keys=True)
        print(name, cfg["peft_type"], tuple(logits.shape))


if __name__ == "__main__":
    main(sys.argv[1])
