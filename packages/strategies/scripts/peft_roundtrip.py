"""Checks a tunekit-saved LoRA adapter folder against PEFT's format.

usage: /usr/bin/python3 packages/strategies/scripts/peft_roundtrip.py ADAPTER_DIR [FIXTURE_DIR]

ADAPTER_DIR holds adapter_config.json + adapter_model.safetensors written by saveAdapter
(e.g. by save-fixture-adapter.ts). FIXTURE_DIR (default ../shared/reference/bert-tiny-parity)
is a parity fixture whose reference.safetensors stores PEFT's LoRA tensors under
`lora.<PEFT key>`.

Always (no peft needed): every LoRA key of the fixture is in the adapter file with the same
shape and values, the remaining keys are the head under base_model.model.classifier.*, and
the config has LoraConfig's fields with the right types.
With `peft` installed: LoraConfig.from_pretrained reads the config, and
peft.utils.set_peft_model_state_dict loads the file into a PEFT model of a BERT built
from the fixture's config.json (needs transformers), reporting missing/unexpected keys.
"""
import json
import os
import struct
import sys

import torch

adapter = sys.argv[1]
fixture = sys.argv[2] if len(sys.argv) > 2 else "../shared/reference/bert-tiny-parity"


def read_safetensors(path):
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
        data = fh.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", (k, v["dtype"])
        a, b = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v["shape"])
    return out, header.get("__metadata__", {})


cfg = json.load(open(os.path.join(adapter, "adapter_config.json")))
weights, meta = read_safetensors(os.path.join(adapter, "adapter_model.safetensors"))
with open(os.path.join(fixture, "reference.safetensors"), "rb") as fh:
    n = struct.unpack("<Q", fh.read(8))[0]
    header = json.loads(fh.read(n))
    data = fh.read()
ref = {}
for k, v in header.items():
    if k.startswith("lora.base_model.model."):
        a, b = v["data_offsets"]
        ref[k[len("lora."):]] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v["shape"])

problems = []
for k, t in ref.items():
    if k not in weights:
        problems.append(f"missing PEFT key {k}")
    elif tuple(weights[k].shape) != tuple(t.shape):
        problems.append(f"{k}: shape {tuple(weights[k].shape)} vs PEFT {tuple(t.shape)}")
    elif not torch.equal(weights[k], t):
        problems.append(f"{k}: values differ")
extra = sorted(set(weights) - set(ref))
for k in extra:
    if not k.startswith("base_model.model.classifier."):
        problems.append(f"unexpected key {k}")
if meta.get("format") != "pt":
    problems.append(f"safetensors metadata format {meta.get('format')!r}, PEFT writes 'pt'")

expected_types = {
    "peft_type": str, "task_type": str, "r": int, "lora_alpha": (int, float), "lora_dropout": (int, float),
    "target_modules": (list, str), "use_rslora": bool, "use_dora": bool, "bias": str, "fan_in_fan_out": bool,
    "modules_to_save": (list, type(None)), "layers_to_transform": (list, int, type(None)),
    "init_lora_weights": (bool, str), "base_model_name_or_path": (str, type(None)),
}
for field, types in expected_types.items():
    if field not in cfg:
        problems.append(f"adapter_config.json lacks {field}")
    elif not isinstance(cfg[field], types):
        problems.append(f"adapter_config.json {field} has type {type(cfg[field]).__name__}")
if cfg.get("peft_type") != "LORA" or cfg.get("task_type") != "SEQ_CLS":
    problems.append(f"peft_type/task_type {cfg.get('peft_type')}/{cfg.get('task_type')}")

try:
    import peft  # noqa: F401
    have_peft = True
except ImportError:
    have_peft = False

if have_peft:
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from transformers import BertConfig, BertForSequenceClassification

    lc = LoraConfig.from_pretrained(adapter)
    base = BertForSequenceClassification(BertConfig.from_pretrained(fixture))
    model = get_peft_model(base, lc)
    res = set_peft_model_state_dict(model, weights)
    if res.unexpected_keys:
        problems.append(f"PEFT: unexpected keys {res.unexpected_keys}")
    lora_missing = [k for k in res.missing_keys if "lora_" in k]
    if lora_missing:
        problems.append(f"PEFT: missing LoRA keys {lora_missing}")

print(f"{len(weights)} tensors; {len(ref)} PEFT LoRA keys compared; head keys: {extra}; peft installed: {have_peft}")
if problems:
    print("FAIL:\n  " + "\n  ".join(problems))
    sys.exit(1)
print("OK: names, shapes and values match PEFT's; config fields have PEFT's types")
