"""Make a GPT-2 causal-LM parity fixture with Hugging Face transformers' own GPT2LMHeadModel.

usage: python3 scripts/make_gpt2_fixture.py OUT SEED LAYERS HIDDEN HEADS VOCAB POSITIONS BATCH SEQ [--greedy JSON]

Writes OUT/config.json + OUT/model.safetensors (a tiny random GPT2LMHeadModel, tied lm_head, keys
`transformer.*` as save_pretrained writes them, without the causal-mask buffers) and the references of
`make_llama_fixture.py`'s layout (see fixtures/parity/README.md): logits, the causal-LM loss, every
gradient, LoRA on `c_attn` through PEFT (fan_in_fan_out, r=4, alpha=8; A and B random) with its logits,
loss and gradients, and one AdamW step on the LoRA weights. Gradients of the Conv1D weights are in
Hugging Face's layout [in, out]. Computed in float64 (eager attention), stored as float32.
With --greedy JSON, greedy decodes of a few prompts (each alone, whole sequence recomputed every
step, EOS ignored) are added to / replaced in that generation fixture file (fixtures/generation).

Needs PyTorch, transformers and PEFT on PYTHONPATH, and ../shared/reference (for its safetensors
writer; the script adds it).
"""
import json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "reference"))
import torch  # noqa: E402
from torch_bert import save_safetensors  # noqa: E402
from transformers import GPT2Config, GPT2LMHeadModel  # noqa: E402
from peft import LoraConfig, get_peft_model  # noqa: E402

N_NEW = 12


def build(seed, L, H, nh, V, P):
    cfg = GPT2Config(vocab_size=V, n_positions=P, n_embd=H, n_layer=L, n_head=nh, n_inner=None,
                     activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                     layer_norm_epsilon=1e-5, bos_token_id=1, eos_token_id=2, tie_word_embeddings=True)
    cfg._attn_implementation = "eager"
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(cfg).double().eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # larger than GPT-2's init (std 0.02), so logits and gradients are not all tiny
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g, dtype=torch.float64)
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                p.copy_(1 + 0.1 * r)
            elif name.endswith(".bias"):
                p.copy_(0.1 * r)
            else:
                p.copy_(0.2 * r)
    return cfg, model


def weights(model):
    """The checkpoint tensors: Hugging Face names, no mask buffers, no lm_head (tied)."""
    return {k: v.detach().float().clone() for k, v in model.state_dict().items()
            if not k.endswith(".attn.bias") and not k.endswith(".attn.masked_bias") and k != "lm_head.weight"}


def greedy(model, prompt, n):
    ids = list(prompt)
    gap = float("inf")
    with torch.no_grad():
        for _ in range(n):
            logits = model(torch.tensor([ids])).logits[0, -1]
            top2 = torch.topk(logits, 2).values
            gap = min(gap, float(top2[0] - top2[1]))
            ids.append(int(torch.argmax(logits)))
    return ids[len(prompt):], gap


def main(argv):
    out, seed = argv[0], int(argv[1])
    L, H, nh, V, P, Bsz, S = map(int, argv[2:9])
    greedy_json = argv[10] if len(argv) > 10 and argv[9] == "--greedy" else None
    os.makedirs(out, exist_ok=True)
    cfg, model = build(seed, L, H, nh, V, P)
    # reload the float32-rounded weights, so the references are those of the stored checkpoint
    w32 = weights(model)
    with torch.no_grad():
        model.load_state_dict({k: v.double() for k, v in w32.items()}, strict=False)
    save_safetensors(f"{out}/model.safetensors", w32, {"format": "pt"})
    cj = cfg.to_diff_dict()  # what save_pretrained writes: the keys that differ from the defaults
    for k in ("_attn_implementation_autoset", "transformers_version", "_name_or_path"):
        cj.pop(k, None)
    cj.update(model_type="gpt2", architectures=["GPT2LMHeadModel"], torch_dtype="float32")
    json.dump(cj, open(f"{out}/config.json", "w"), indent=2, sort_keys=True)

    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(3, V, (Bsz, S), generator=g)
    mask = torch.ones(Bsz, S, dtype=torch.int64)
    for b in range(Bsz):  # right padding of varying length, row 0 unpadded
        pad = (b * 3) % (S - 3)
        if pad:
            mask[b, S - pad:] = 0; ids[b, S - pad:] = 0
    labels = ids.clone()
    labels[mask == 0] = -100
    labels[:, :3] = -100

    model.zero_grad()
    res = model(input_ids=ids, attention_mask=mask, labels=labels)
    res.loss.backward()
    ref = {"input_ids": ids, "attention_mask": mask, "labels": labels,
           "logits": res.logits.detach().float(), "loss": res.loss.detach().float().reshape(1)}
    for k, p in model.named_parameters():
        ref["grad." + k] = p.grad.float()

    # LoRA on c_attn through PEFT (Conv1D: fan_in_fan_out), A and B random, base frozen
    r, alpha = 4, 8
    lcfg = LoraConfig(r=r, lora_alpha=alpha, target_modules=["c_attn"], lora_dropout=0.0,
                      fan_in_fan_out=True, task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, lcfg)
    params = []
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.1)
                plain = name.replace(".default", "")
                ref["lora." + plain] = p.detach().float().clone()
                params.append((plain, p))
    peft_model.zero_grad()
    lres = peft_model(input_ids=ids, attention_mask=mask, labels=labels)
    lres.loss.backward()
    ref["lora_logits"] = lres.logits.detach().float(); ref["lora_loss"] = lres.loss.detach().float().reshape(1)
    for n, p in params:
        ref["lora_grad." + n] = p.grad.float()
    hp = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    opt = torch.optim.AdamW([p for _, p in params], **hp)
    opt.step()
    for n, p in params:
        ref["lora_after_adamw." + n] = p.detach().float()
    save_safetensors(f"{out}/reference.safetensors", ref)
    json.dump({"task": "causal-lm",
               "lora": {"r": r, "lora_alpha": alpha, "target_modules": ["c_attn"], "lora_dropout": 0.0,
                        "fan_in_fan_out": True},
               "adamw": {"lr": hp["lr"], "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
               "loss": "Hugging Face causal-LM loss: logits at t predict labels at t+1, -100 ignored, mean over the rest",
               "labels": "input_ids with -100 on padding and on the first 3 positions",
               "position_ids": "0..S-1 in every row (right padding)",
               "layout": "Conv1D weights and their gradients [in, out] as in Hugging Face's GPT-2",
               "computed_in": "float64 (transformers GPT2LMHeadModel, eager attention; PEFT LoRA), stored as float32"},
              open(f"{out}/reference.json", "w"), indent=2)
    print(out, "loss", float(res.loss), "lora_loss", float(lres.loss))

    if greedy_json:
        base = peft_model.unload() if hasattr(peft_model, "unload") else model
        gg = torch.Generator().manual_seed(1234)
        cases = []
        for n in [5, 1, 9, 3]:
            prompt = torch.randint(3, V, (n,), generator=gg).tolist()
            tokens, gap = greedy(base, prompt, N_NEW)
            cases.append({"prompt": prompt, "expected": tokens, "min_logit_gap": gap})
        doc = json.load(open(greedy_json))
        assert doc["max_new_tokens"] == N_NEW, "the generation fixture decodes a different number of tokens"
        folder = os.path.relpath(out, os.path.join(HERE, ".."))
        doc["models"] = [m for m in doc["models"] if m["folder"] != folder]
        doc["models"].append({"folder": folder, "computed_in": "float64 (transformers GPT2LMHeadModel)",
                              "cases": cases})
        json.dump(doc, open(greedy_json, "w"), indent=1)
        print(folder, "greedy min gap", min(c["min_logit_gap"] for c in cases))


if __name__ == "__main__":
    main(sys.argv[1:])
