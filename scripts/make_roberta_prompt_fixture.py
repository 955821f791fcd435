"""Logits of PEFT prompt tuning on the tiny RoBERTa parity fixture, for the check that tunekit
numbers virtual and real tokens as transformers does when it is fed embeddings
(create_position_ids_from_inputs_embeds: padding_idx + 1 onwards over every position).

usage (from the repository root):
  python3 scripts/make_roberta_prompt_fixture.py fixtures/parity/roberta-2l-h24-3labels-b3-seq9 OUT.json
Writes the prompt embeddings (2 virtual tokens, random), the fixture's inputs and PEFT's logits
(float64 model, eager attention, dropout off) as JSON. Needs PyTorch, transformers and PEFT.
"""
import json, struct, sys
import torch
import transformers as tf
from peft import PromptTuningConfig, get_peft_model

folder, out = sys.argv[1], sys.argv[2]


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    tensors = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        dt = {"F32": torch.float32, "I64": torch.int64}[v["dtype"]]
        tensors[k] = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=dt).reshape(v["shape"])
    return tensors


cfg = tf.AutoConfig.from_pretrained(folder)
cfg._attn_implementation = "eager"
model = tf.RobertaForSequenceClassification(cfg)
model.load_state_dict({k: v for k, v in read_safetensors(f"{folder}/model.safetensors").items()}, strict=True)
model = model.double().eval()
ref = read_safetensors(f"{folder}/reference.safetensors")
P = 2
peft = get_peft_model(model, PromptTuningConfig(task_type="SEQ_CLS", num_virtual_tokens=P))
g = torch.Generator().manual_seed(5)
prompt = torch.randn(P, cfg.hidden_size, generator=g).float()
with torch.no_grad():
    peft.prompt_encoder["default"].embedding.weight.copy_(prompt.double())
peft.eval()
with torch.no_grad():
    logits = peft(input_ids=ref["input_ids"], attention_mask=ref["attention_mask"]).logits
json.dump({"num_virtual_tokens": P, "prompt_embeddings": prompt.flatten().tolist(),
           "input_ids": ref["input_ids"].flatten().tolist(), "attention_mask": ref["attention_mask"].flatten().tolist(),
           "shape": list(ref["input_ids"].shape), "logits": logits.flatten().tolist()}, open(out, "w"))
print(logits)
