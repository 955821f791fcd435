"""Greedy-decoding references for tunekit's generate(), computed with PyTorch in float64.

usage: python3 scripts/make_generation_fixture.py OUT_JSON [--make-llama DIR SEED] MODEL_DIR...
  --make-llama DIR SEED  first writes a tiny LlamaForCausalLM (2 layers, hidden 32, 4 heads, 2 key/value
                         heads, vocab 96) to DIR with torch_llama.init_params(cfg, SEED).
For each MODEL_DIR (Hugging Face layout: config.json + model.safetensors, float32), a few prompts of
different lengths are each decoded ALONE (no padding, positions 0..S-1) for N_NEW tokens: at every step
the whole sequence is recomputed with ../shared/reference/torch_llama.py and the argmax of the last
position's logits is appended (EOS does not stop: the test passes stopTokenIds: []). The JSON stores the
prompts, the expected tokens and the smallest gap between the best and second-best logit seen, so a
float32 backend that agrees with float64 to ~1e-6 must reproduce every token.
Needs PyTorch and ../shared/reference on PYTHONPATH (the script adds it).
"""
import json, os, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "reference"))
import torch  # noqa: E402
from torch_bert import save_safetensors  # noqa: E402
from torch_llama import forward, init_params  # noqa: E402

N_NEW = 12


def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{path}: {name} is {info['dtype']}, expected F32"
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.float32)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def make_llama(folder, seed):
    os.makedirs(folder, exist_ok=True)
    cfg = dict(model_type="llama", architectures=["LlamaForCausalLM"], vocab_size=96, hidden_size=32,
               intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
               hidden_act="silu", max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=10000.0,
               tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, pad_token_id=0,
               attention_dropout=0.0, torch_dtype="float32", attention_bias=False, mlp_bias=False)
    save_safetensors(f"{folder}/model.safetensors", init_params(cfg, seed), {"format": "pt"})
    json.dump(cfg, open(f"{folder}/config.json", "w"), indent=2)


def greedy(cfg, p, prompt, n):
    ids = list(prompt)
    gap = float("inf")
    for _ in range(n):
        x = torch.tensor([ids])
        logits = forward(cfg, p, x, torch.ones_like(x))[0, -1]
        top2 = torch.topk(logits, 2).values
        gap = min(gap, float(top2[0] - top2[1]))
        ids.append(int(torch.argmax(logits)))
    return ids[len(prompt):], gap


def main(argv):
    out, rest = argv[0], argv[1:]
    if rest[:1] == ["--make-llama"]:
        make_llama(rest[1], int(rest[2]))
        rest = rest[3:]
    models = []
    for folder in rest:
        cfg = json.load(open(os.path.join(folder, "config.json")))
        p = {k: v.double() for k, v in load_safetensors(os.path.join(folder, "model.safetensors")).items()}
        g = torch.Generator().manual_seed(1234)
        lengths = [5, 1, 9, 3]
        prompts = [torch.randint(3, cfg["vocab_size"], (n,), generator=g).tolist() for n in lengths]
        cases = []
        for prompt in prompts:
            tokens, gap = greedy(cfg, p, prompt, N_NEW)
            cases.append({"prompt": prompt, "expected": tokens, "min_logit_gap": gap})
        models.append({"folder": os.path.relpath(folder, os.path.join(HERE, "..")), "cases": cases})
        print(folder, "min gap", min(c["min_logit_gap"] for c in cases))
    json.dump({"max_new_tokens": N_NEW, "computed_in": "float64 (PyTorch, torch_llama.py)",
               "decoding": "greedy, each prompt alone, whole sequence recomputed every step, EOS ignored",
               "models": models}, open(out, "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
