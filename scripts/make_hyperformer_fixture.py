"""Make a HyperFormer parity fixture: a tiny HF-format BERT, a hypernetwork in tunekit's
`tunekit-hyperformer/1` file format, and PyTorch-computed references (float64, stored as float32).

usage (from the repository root):
  python3 scripts/make_hyperformer_fixture.py OUT SEED VARIANT LAYERS HIDDEN HEADS INTER VOCAB LABELS \
      BATCH SEQ TASKS REDUCTION T PROJ_HIDDEN PROJ
  VARIANT: hyperformer++ | hyperformer;  TASKS: comma-separated task names (the order task_ids index)

The tiny BERT comes from the shared reference (../shared/reference/torch_bert.py: init_params,
save_safetensors). The HyperFormer math is written out here independently of tunekit:
  ++:  I = LN_1e-6(W2 relu(W1 [z_task; e_layer; e_position] + b1) + b2)  (one generator set)
  per-layer: I = W2 relu(W1 z_task + b1) + b2  (a generator set per layer and position)
  D = view(G_dw I + g_dw, [r, d]), b_D = G_db I + g_db, U = view(G_uw I + g_uw, [d, r]), b_U, gamma, beta likewise
  adapter(y) = y + layer_norm(U relu(D y + b_D) + b_U; gamma, beta, eps 1e-5)
applied to y = dense(h) after the attention output and the feed-forward output of every layer,
before the residual LayerNorm; each batch row uses its own task's adapter (a mixed batch).
Hypernetwork values are drawn wider than the paper's init (std 0.3, nonzero biases, LayerNorm
weights near 1) so that every gradient is clearly nonzero. Needs PyTorch (Debian: python3-torch).
"""
import json, os, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/reference"))
from torch_bert import init_params, save_safetensors  # noqa: E402

(out, seed, variant, L, H, nh, I, V, C, Bsz, S, tasks, rf, t, ph, pd) = (
    sys.argv[1], int(sys.argv[2]), sys.argv[3], *map(int, sys.argv[4:12]), sys.argv[12].split(","),
    *map(int, sys.argv[13:17]))
assert variant in ("hyperformer++", "hyperformer"), variant
os.makedirs(out, exist_ok=True)
cfg = dict(model_type="bert", architectures=["BertForSequenceClassification"], vocab_size=V,
           hidden_size=H, num_hidden_layers=L, num_attention_heads=nh, intermediate_size=I,
           hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
           max_position_embeddings=max(S, 16), type_vocab_size=2, layer_norm_eps=1e-12,
           pad_token_id=0, num_labels=C,
           id2label={str(i): f"LABEL_{i}" for i in range(C)}, label2id={f"LABEL_{i}": i for i in range(C)})
base32 = init_params(cfg, seed)
head32 = {k: base32.pop(k) for k in ("classifier.weight", "classifier.bias")}
save_safetensors(f"{out}/model.safetensors", {**base32, **head32}, {"format": "pt"})
json.dump({k: v for k, v in cfg.items() if k != "num_labels"}, open(f"{out}/config.json", "w"), indent=2)

T, r, POS = len(tasks), max(1, H // rf), ("attention.output", "output")
g = torch.Generator().manual_seed(seed + 2)
rnd = lambda *s, std=0.3: torch.randn(*s, generator=g) * std
hp = {}  # tunekit keys, float32
for name in tasks:
    hp[f"hypernetwork.task_embeddings.{name}"] = rnd(t, std=1.0)
plus = variant == "hyperformer++"
if plus:
    hp["hypernetwork.layer_embeddings.weight"] = rnd(L, t, std=1.0)
    hp["hypernetwork.position_embeddings.weight"] = rnd(2, t, std=1.0)
hp["hypernetwork.projector.dense_in.weight"] = rnd(ph, 3 * t if plus else t)
hp["hypernetwork.projector.dense_in.bias"] = rnd(ph, std=0.1)
hp["hypernetwork.projector.dense_out.weight"] = rnd(pd, ph)
hp["hypernetwork.projector.dense_out.bias"] = rnd(pd, std=0.1)
if plus:
    hp["hypernetwork.projector.LayerNorm.weight"] = 1 + rnd(pd, std=0.1)
    hp["hypernetwork.projector.LayerNorm.bias"] = rnd(pd, std=0.1)
GEN = {"down_weight": r * H, "down_bias": r, "up_weight": H * r, "up_bias": H, "ln_weight": H, "ln_bias": H}
sets = [""] if plus else [f"{l}.{k}." for l in range(L) for k in range(2)]
for s_ in sets:
    for name, n in GEN.items():
        std = 0.3 / (pd ** 0.5)
        hp[f"hypernetwork.generators.{s_}{name}.weight"] = rnd(n, pd, std=std)
        hp[f"hypernetwork.generators.{s_}{name}.bias"] = (1.0 if name == "ln_weight" else 0.0) + rnd(n, std=0.1)
hp.update(head32)
save_safetensors(f"{out}/hyperformer_model.safetensors", hp, {"format": "pt"})
json.dump({"format": "tunekit-hyperformer/1", "variant": variant, "tasks": tasks, "num_layers": L,
           "hidden_size": H, "reduction_factor": rf, "bottleneck_size": r, "task_embedding_dim": t,
           "projector_hidden_dim": ph, "projected_dim": pd, "non_linearity": "relu",
           "adapter_layer_norm_eps": 1e-5, "projector_layer_norm_eps": 1e-6, "positions": list(POS),
           "includes_head": True, "train_base_layer_norms": False, "base_model_name_or_path": None},
          open(f"{out}/hyperformer_config.json", "w"), indent=2)

gi = torch.Generator().manual_seed(seed + 1)
ids = torch.randint(1, V, (Bsz, S), generator=gi)
mask = torch.ones(Bsz, S, dtype=torch.int64)
for b in range(Bsz):                      # right padding of varying length, row 0 unpadded
    pad = (b * 3) % (S - 2)
    if pad:
        mask[b, S - pad:] = 0; ids[b, S - pad:] = 0
tt = torch.zeros(Bsz, S, dtype=torch.int64); tt[:, S // 2:] = 1
labels = torch.randint(0, C, (Bsz,), generator=gi)
task_ids = torch.tensor([(b + 1) % T for b in range(Bsz)], dtype=torch.int64)  # every task, interleaved

p = {k: v.double() for k, v in {**base32}.items()}
q = {k: v.double().requires_grad_(True) for k, v in hp.items()}
eps = cfg["layer_norm_eps"]


def lin(x, name, src):
    return x @ src[name + ".weight"].t() + src[name + ".bias"]


def ln(x, name, src, e):
    return F.layer_norm(x, x.shape[-1:], src[name + ".weight"], src[name + ".bias"], e)


def conditioning(task, layer, pos):
    z = q[f"hypernetwork.task_embeddings.{task}"]
    if plus:
        x = torch.cat([z, q["hypernetwork.layer_embeddings.weight"][layer],
                       q["hypernetwork.position_embeddings.weight"][pos]])
    else:
        x = z
    h = torch.relu(lin(x, "hypernetwork.projector.dense_in", q))
    e = lin(h, "hypernetwork.projector.dense_out", q)
    return ln(e, "hypernetwork.projector.LayerNorm", q, 1e-6) if plus else e


def generated(task, layer, pos):
    c = conditioning(task, layer, pos)
    pre = "hypernetwork.generators." + ("" if plus else f"{layer}.{pos}.")
    gen = {n: lin(c, pre + n, q) for n in GEN}
    return dict(down_weight=gen["down_weight"].view(r, H), down_bias=gen["down_bias"],
                up_weight=gen["up_weight"].view(H, r), up_bias=gen["up_bias"],
                ln_weight=gen["ln_weight"], ln_bias=gen["ln_bias"])


W = {(ti, l, k): generated(name, l, k) for ti, name in enumerate(tasks) for l in range(L) for k in range(2)}


def adapter(y, layer, pos):
    rows = []
    for b in range(Bsz):
        w = W[(int(task_ids[b]), layer, pos)]
        u = torch.relu(y[b] @ w["down_weight"].t() + w["down_bias"]) @ w["up_weight"].t() + w["up_bias"]
        rows.append(y[b] + F.layer_norm(u, (H,), w["ln_weight"], w["ln_bias"], 1e-5))
    return torch.stack(rows)


dh = H // nh
x = (p["bert.embeddings.word_embeddings.weight"][ids] + p["bert.embeddings.position_embeddings.weight"][torch.arange(S)][None]
     + p["bert.embeddings.token_type_embeddings.weight"][tt])
x = ln(x, "bert.embeddings.LayerNorm", p, eps)
ext = (1.0 - mask[:, None, None, :].double()) * torch.finfo(torch.float32).min
for i in range(L):
    pre = f"bert.encoder.layer.{i}."
    heads = lambda m: lin(x, pre + f"attention.self.{m}", p).view(Bsz, S, nh, dh).transpose(1, 2)
    s = heads("query") @ heads("key").transpose(-1, -2) / dh ** 0.5 + ext
    a = (torch.softmax(s, dim=-1) @ heads("value")).transpose(1, 2).reshape(Bsz, S, H)
    x = ln(adapter(lin(a, pre + "attention.output.dense", p), i, 0) + x, pre + "attention.output.LayerNorm", p, eps)
    h = F.gelu(lin(x, pre + "intermediate.dense", p))
    x = ln(adapter(lin(h, pre + "output.dense", p), i, 1) + x, pre + "output.LayerNorm", p, eps)
pooled = torch.tanh(lin(x[:, 0], "bert.pooler.dense", p))
logits = lin(pooled, "classifier", q)
loss = F.cross_entropy(logits, labels)
loss.backward()

ref = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tt, "labels": labels, "task_ids": task_ids,
       "logits": logits.detach().float(), "loss": loss.detach().float().reshape(1)}
for ti, name in enumerate(tasks):
    rows = task_ids == ti
    ref[f"task_loss.{name}"] = F.cross_entropy(logits[rows], labels[rows]).detach().float().reshape(1)
for (ti, l, k), w in W.items():
    for n, v in w.items():
        ref[f"generated.{tasks[ti]}.layer.{l}.{POS[k]}.{n}"] = v.detach().float()
for k, v in q.items():
    ref["grad." + k] = v.grad.float()
save_safetensors(f"{out}/reference.safetensors", ref)
json.dump({"variant": variant, "tasks": tasks, "loss": "mean cross-entropy over the batch (task_loss.<task>: over that task's rows)",
           "dropout": "off (eval semantics)", "computed_in": "float64, stored as float32",
           "made_with": "scripts/make_hyperformer_fixture.py " + " ".join(sys.argv[2:])},
          open(f"{out}/reference.json", "w"), indent=2)
print(out, variant, "loss", float(loss), {n: float(ref[f"task_loss.{n}"]) for n in tasks})
