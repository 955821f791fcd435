"""Checks that Python PEFT loads adapter folders written by tunekit, with tunekit's logits.

usage: python3 scripts/check_peft_adapters.py DIR...
Each DIR holds what tunekit wrote with saveAdapter (adapter_config.json + adapter_model.safetensors,
base_model_name_or_path naming the base model folder) and tunekit.safetensors: input_ids,
attention_mask, the adapted model's logits (`logits`) and, optionally, the logits after
mergeAndUnload (`merged_logits`). The base is loaded with transformers in float64 (eager attention),
the adapter with PeftModel.from_pretrained; any warning PEFT emits is printed and counts as a failure.
Prints, per folder, the max relative error of PEFT's logits against tunekit's, and of PEFT's
merge_and_unload logits against tunekit's merged ones. Needs transformers and PEFT on PYTHONPATH.
"""
import json, os, struct, sys, warnings

import torch
from transformers import AutoModelForCausalLM
from peft import PeftModel


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    dtypes = {"F32": torch.float32, "I32": torch.int32, "I64": torch.int64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=dtypes[info["dtype"]])
        out[name] = t.reshape(info["shape"]).clone()
    return out


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def main(dirs):
    ok = True
    for d in dirs:
        cfg = json.load(open(os.path.join(d, "adapter_config.json")))
        ref = read_safetensors(os.path.join(d, "tunekit.safetensors"))
        base = AutoModelForCausalLM.from_pretrained(cfg["base_model_name_or_path"], torch_dtype=torch.float64,
                                                    attn_implementation="eager")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = PeftModel.from_pretrained(base, d).eval()
        peft_warnings = [str(w.message) for w in caught if "peft" in (w.filename or "")]
        ids, mask = ref["input_ids"].long(), ref["attention_mask"].long()
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=mask).logits
            err = rel(logits, ref["logits"].double())
            line = f"{os.path.basename(d)}: {cfg['peft_type']} {cfg['task_type']} logits max relative error {err:.2e}"
            if "merged_logits" in ref:
                merged = model.merge_and_unload()(input_ids=ids, attention_mask=mask).logits
                merr = rel(merged, ref["merged_logits"].double())
                line += f", merged {merr:.2e}"
                err = max(err, merr)
        if peft_warnings:
            line += f"; PEFT warned: {peft_warnings}"
        print(line)
        ok = ok and err < 1e-5 and not peft_warnings
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1:])
