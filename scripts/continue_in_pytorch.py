"""Load a tunekit run folder (a `tunekit train` output or a `tunekit worker` job folder) in
PyTorch with Hugging Face transformers + PEFT, check its predictions against tunekit's, and
rebuild a training checkpoint (weights + AdamW state) to continue training in PyTorch.

    python scripts/continue_in_pytorch.py RUN_DIR TEXTS.txt [--tunekit PREDICTIONS.jsonl]

RUN_DIR holds model/ (a Hugging Face folder: the fine-tuned model, or the base of an adapter),
adapter/ for PEFT strategies (adapter_config.json + adapter_model.safetensors) and
checkpoints/checkpoint-<step>/ (model.safetensors, trainable.safetensors, optimizer.safetensors,
trainer_state.json). TEXTS.txt has one text a line; PREDICTIONS.jsonl is
`tunekit predict RUN_DIR --input TEXTS.txt --out PREDICTIONS.jsonl`.
"""

import argparse
import json
import os

import torch
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification, BertTokenizer
import transformers.tokenization_utils_base as tub

# transformers' stand-in AddedToken is not hashable without the Rust tokenizers package
tub.AddedToken.__hash__ = lambda self: hash(self.content)


def load_model(run):
    """The run's model for inference: model/ alone, or model/ + the PEFT adapter."""
    model = AutoModelForSequenceClassification.from_pretrained(os.path.join(run, "model"))
    adapter = os.path.join(run, "adapter")
    if os.path.exists(os.path.join(adapter, "adapter_config.json")):
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter)
    return model.eval()


def load_checkpoint(run, step=None):
    """A checkpoint as a trainable PyTorch model + AdamW optimizer with tunekit's moments."""
    root = os.path.join(run, "checkpoints")
    names = sorted((n for n in os.listdir(root) if n.startswith("checkpoint-")), key=lambda n: int(n.split("-")[1]))
    ckpt = os.path.join(root, names[-1] if step is None else f"checkpoint-{step}")
    state = json.load(open(os.path.join(ckpt, "trainer_state.json")))
    model = AutoModelForSequenceClassification.from_pretrained(ckpt)  # config.json + model.safetensors (frozen base)
    trainable = load_file(os.path.join(ckpt, "trainable.safetensors"))  # HF / PEFT parameter names
    adapter = os.path.join(run, "adapter", "adapter_config.json")
    if os.path.exists(adapter):
        from peft import LoraConfig, get_peft_model

        cfg = json.load(open(adapter))
        cfg = {k: v for k, v in cfg.items() if k in LoraConfig.__dataclass_fields__ and k != "peft_type"}
        model = get_peft_model(model, LoraConfig(**{**cfg, "inference_mode": False}))
        named = dict(model.named_parameters())

        def peft_name(n):
            for candidate in (f"base_model.model.{n}".replace(".weight", ".default.weight"),
                              f"base_model.model.{n}",
                              f"base_model.model.{n.rsplit('.', 1)[0]}.modules_to_save.default.{n.rsplit('.', 1)[1]}"):
                if candidate in named:
                    return candidate
            raise KeyError(n)
    else:
        named = dict(model.named_parameters())

        def peft_name(n):
            return n
    params = {}
    with torch.no_grad():
        for n, t in trainable.items():
            p = named[peft_name(n)]
            p.copy_(t.to(p.dtype))
            params[n] = p
    for p in model.parameters():
        p.requires_grad_(False)
    for p in params.values():
        p.requires_grad_(True)
    moments = load_file(os.path.join(ckpt, "optimizer.safetensors"))  # "<name>::m", "<name>::v"
    opt_cfg = json.loads(open(os.path.join(ckpt, "optimizer.safetensors"), "rb").read(8 + int.from_bytes(
        open(os.path.join(ckpt, "optimizer.safetensors"), "rb").read(8), "little"))[8:])["__metadata__"]["optimizer_config"]
    opt_cfg = json.loads(opt_cfg)
    # weight decay as Hugging Face's Trainer applies it (decayFilter "hf"): not on biases and LayerNorm
    no_decay = [n for n in params if n.endswith(".bias") or "LayerNorm" in n]
    groups = [
        {"params": [params[n] for n in params if n not in no_decay], "weight_decay": opt_cfg["weightDecay"]},
        {"params": [params[n] for n in no_decay], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=0.0, betas=(opt_cfg["beta1"], opt_cfg["beta2"]), eps=opt_cfg["eps"])
    for n, p in params.items():
        optimizer.state[p] = {
            "step": torch.tensor(float(state["step"])),
            "exp_avg": moments[f"{n}::m"].to(p.dtype).clone(),
            "exp_avg_sq": moments[f"{n}::v"].to(p.dtype).clone(),
        }
    return model, optimizer, state, ckpt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("texts")
    ap.add_argument("--tunekit", help="tunekit predict JSONL of the same texts")
    a = ap.parse_args()
    tok_cfg = json.load(open(os.path.join(a.run, "model", "tokenizer_config.json")))
    tok = BertTokenizer(vocab_file=os.path.join(a.run, "model", "vocab.txt"),
                        do_lower_case=tok_cfg.get("do_lower_case", True))
    texts = [t for t in open(a.texts).read().splitlines() if t]
    batch = tok(texts, padding=True, return_tensors="pt")
    model = load_model(a.run)
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    with torch.no_grad():
        probs = torch.softmax(model(**batch).logits, -1)
    for t, p in zip(texts, probs):
        print(json.dumps({"text": t, "probs": {l: round(float(x), 6) for l, x in zip(labels, p)}}))
    if a.tunekit:
        ref = [json.loads(l) for l in open(a.tunekit) if l.strip()]
        diff = max(abs(float(r["probabilities"][l]) - float(p[i])) for r, p in zip(ref, probs) for i, l in enumerate(labels))
        print(f"max |tunekit - PyTorch| probability difference: {diff:.2e}")
    ckpt_model, optimizer, state, ckpt = load_checkpoint(a.run)
    ckpt_model.eval()
    with torch.no_grad():
        ckpt_probs = torch.softmax(ckpt_model(**batch).logits, -1)
    n = sum(len(g["params"]) for g in optimizer.param_groups)
    print(f"{ckpt}: step {state['step']}, {n} trainable tensors with AdamW moments; "
          f"max |checkpoint - final| probability difference: {float((ckpt_probs - probs).abs().max()):.2e}")
    # continue training: ckpt_model.train(); loss = ckpt_model(**batch, labels=...).loss; loss.backward();
    # set the learning rate for step state['step'] + 1 of your schedule; optimizer.step()


if __name__ == "__main__":
    main()
