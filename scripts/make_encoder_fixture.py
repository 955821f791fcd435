"""Make an encoder parity fixture with Hugging Face transformers' own modeling code.

usage (from the repository root):
  python3 scripts/make_encoder_fixture.py OUT SEED ARCH LAYERS HIDDEN HEADS INTER VOCAB LABELS BATCH SEQ [EMBEDDING_SIZE]
  ARCH: roberta | xlm-roberta | distilbert | electra | bert-mean-pooling

Writes the layout of the shared `bert-tiny-parity` fixture (see fixtures/parity/README.md):
config.json and model.safetensors (Hugging Face names, float32) and reference.safetensors /
reference.json with what PyTorch computes in float64 (stored as float32):
  - inputs `input_ids`, `attention_mask` (right padding of varying length, row 0 unpadded),
    `token_type_ids` (not for DistilBERT, which has none), `labels`
  - `logits`, `loss`, `grad.<name>` of every parameter, dropout off, eager attention
  - LoRA (r 4, alpha 8) through PEFT on the architecture's default PEFT targets, with random
    nonzero A and B: `lora.base_model.model.<module>.lora_{A,B}.weight`, `lora_logits`,
    `lora_loss`, `lora_grad.<name>`, and `lora_after_adamw.<name>` after one torch AdamW step.
The models are `{Roberta,XLMRoberta,DistilBert,Electra}ForSequenceClassification` (mean
cross-entropy), and for bert-mean-pooling a `BertModel` without pooler whose "logits" are the
masked mean of `last_hidden_state` over the tokens (sentence embeddings [B, HIDDEN]) and whose
loss is the mean squared error to random float targets `labels` [B, HIDDEN] (a distillation
loss of sentence-embedding training). ELECTRA takes EMBEDDING_SIZE (default HIDDEN / 2, so the
`embeddings_project` layer exists). Every parameter is perturbed by N(0, 0.02) after Hugging
Face's initialisation so that LayerNorm weights and biases are not 1 and 0.
Needs PyTorch, transformers (4.48) and PEFT on PYTHONPATH.
"""
import json, os, struct, sys
import torch

(out, seed, arch, L, H, nh, I, V, C, B, S) = (sys.argv[1], int(sys.argv[2]), sys.argv[3], *map(int, sys.argv[4:12]))
E = int(sys.argv[12]) if len(sys.argv) > 12 else H // 2
import transformers as tf  # noqa: E402
from peft import LoraConfig, get_peft_model  # noqa: E402

P = max(S + 4, 16)
common = dict(vocab_size=V, num_labels=C, id2label={i: f"LABEL_{i}" for i in range(C)},
              label2id={f"LABEL_{i}": i for i in range(C)})
bertish = dict(hidden_size=H, num_hidden_layers=L, num_attention_heads=nh, intermediate_size=I,
               max_position_embeddings=P, **common)
if arch in ("roberta", "xlm-roberta"):
    cls = tf.RobertaConfig if arch == "roberta" else tf.XLMRobertaConfig
    cfg = cls(type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5, **bertish)
    cfg.max_position_embeddings = S + 2 + 4  # positions run from pad + 1 = 2
    model_cls = tf.RobertaForSequenceClassification if arch == "roberta" else tf.XLMRobertaForSequenceClassification
    targets, pad = ["query", "value"], 1
elif arch == "distilbert":
    cfg = tf.DistilBertConfig(dim=H, n_layers=L, n_heads=nh, hidden_dim=I, max_position_embeddings=P,
                              pad_token_id=0, **common)
    model_cls, targets, pad = tf.DistilBertForSequenceClassification, ["q_lin", "v_lin"], 0
elif arch == "electra":
    cfg = tf.ElectraConfig(embedding_size=E, type_vocab_size=2, pad_token_id=0, **bertish)
    model_cls, targets, pad = tf.ElectraForSequenceClassification, ["query", "value"], 0
elif arch == "bert-mean-pooling":
    cfg = tf.BertConfig(type_vocab_size=2, pad_token_id=0, **bertish)
    model_cls, targets, pad = None, ["query", "value"], 0
else:
    raise SystemExit(f"unknown ARCH {arch}")
cfg._attn_implementation = "eager"


def build():
    return tf.BertModel(cfg, add_pooling_layer=False) if model_cls is None else model_cls(cfg)


torch.manual_seed(seed)
model = build()
g = torch.Generator().manual_seed(seed + 1)
with torch.no_grad():
    for p in model.parameters():
        p.add_(torch.randn(p.shape, generator=g) * 0.02)
sd32 = {k: v.detach().float().contiguous() for k, v in model.state_dict().items() if v.is_floating_point()}
cfg.architectures = [type(model).__name__]
os.makedirs(out, exist_ok=True)
cfg.to_json_file(f"{out}/config.json", use_diff=True)  # what save_pretrained writes
cj = json.load(open(f"{out}/config.json"))
for k in ("_attn_implementation_autoset", "transformers_version"):
    cj.pop(k, None)
json.dump(cj, open(f"{out}/config.json", "w"), indent=2, sort_keys=True)


def save_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        t = tensors[k].detach().contiguous()
        dt = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        raw = t.numpy().tobytes()
        header[k] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw); off += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for raw in blobs:
            f.write(raw)


save_safetensors(f"{out}/model.safetensors", sd32, {"format": "pt"})

gi = torch.Generator().manual_seed(seed + 2)
low = 3 if pad == 1 else 1
ids = torch.randint(low, V, (B, S), generator=gi)
if pad == 1:
    ids[:, 0] = 0  # <s>
mask = torch.ones(B, S, dtype=torch.int64)
for b in range(B):                      # right padding of varying length, row 0 unpadded
    n = (b * 3) % (S - 2)
    if n:
        mask[b, S - n:] = 0; ids[b, S - n:] = pad
tt = torch.zeros(B, S, dtype=torch.int64)
if getattr(cfg, "type_vocab_size", 1) > 1:
    tt[:, S // 2:] = 1
if model_cls is None:
    labels = torch.randn(B, H, generator=gi)
else:
    labels = torch.randint(0, C, (B,), generator=gi)
feeds = {"input_ids": ids, "attention_mask": mask}
if arch != "distilbert":
    feeds["token_type_ids"] = tt


def run(m):
    if model_cls is None:
        h = m(**feeds).last_hidden_state
        w = mask.unsqueeze(-1).double()
        emb = (h * w).sum(1) / w.sum(1).clamp(min=1e-9)
        return emb, ((emb - labels.double()) ** 2).mean()
    o = m(**feeds, labels=labels)
    return o.logits, o.loss


def fresh():
    m = build().double().eval()
    m.load_state_dict({k: v.double() for k, v in sd32.items()}, strict=False)
    return m


m = fresh()
logits, loss = run(m)
loss.backward()
ref = {**feeds, "labels": labels, "logits": logits.detach().float(), "loss": loss.detach().float().reshape(1)}
for k, p in m.named_parameters():
    ref["grad." + k] = (p.grad if p.grad is not None else torch.zeros_like(p)).float()

r, alpha = 4, 8
peft = get_peft_model(fresh(), LoraConfig(r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=targets))
lora_params = []
with torch.no_grad():
    for k, p in peft.named_parameters():
        if "lora_" in k:
            p.copy_(torch.randn(p.shape, generator=gi) * 0.1)
            name = k.replace(".default", "")
            ref["lora." + name] = p.detach().float().clone()
            lora_params.append((name, p))
peft.eval()
logits_l, loss_l = run(peft)
loss_l.backward()
ref["lora_logits"] = logits_l.detach().float()
ref["lora_loss"] = loss_l.detach().float().reshape(1)
for name, p in lora_params:
    ref["lora_grad." + name] = p.grad.float()
hp = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
torch.optim.AdamW([p for _, p in lora_params], **hp).step()
for name, p in lora_params:
    ref["lora_after_adamw." + name] = p.detach().float()
save_safetensors(f"{out}/reference.safetensors", ref)
json.dump({"lora": {"r": r, "lora_alpha": alpha, "target_modules": targets, "lora_dropout": 0.0},
           "adamw": {"lr": hp["lr"], "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
           "loss": ("mean squared error of the mean-pooled sentence embeddings to labels" if model_cls is None
                    else "mean cross-entropy over the batch"),
           "dropout": "off (eval semantics)", "computed_in": "float64, stored as float32",
           "made_with": f"transformers {tf.__version__} {type(m).__name__}, eager attention; PEFT LoRA"},
          open(f"{out}/reference.json", "w"), indent=2)
print(out, "loss", float(loss), "lora_loss", float(loss_l), "params", len(sd32), "lora", len(lora_params))
