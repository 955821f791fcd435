"""Reference logits of a tunekit-written Llama folder from Hugging Face transformers' own
LlamaForCausalLM (float64, eager attention), for the test of examples/models/llama-4l-h256.

usage: python3 scripts/make_llama_hf_logits.py MODEL_DIR OUT.json [FULL_LOGITS.f32]

The token ids are fixed below (two rows, the second right-padded with an attention mask).
OUT.json holds, per real position: the log-sum-exp over the whole vocabulary, the argmax and
the logits at 40 vocabulary ids (0..15 and 24 spread over the vocabulary). FULL_LOGITS.f32, if
given, receives every logit as little-endian float32 [rows, seq, vocab] for a full comparison.
"""

import json
import sys

import torch
from transformers import LlamaForCausalLM

# "the movie was a charming and often funny ride" and "a man is playing a guitar", as tokenised
# by the model's tokenizer (checked by the test, which re-tokenises the texts).
TEXTS = ["the movie was a charming and often funny ride", "a man is playing a guitar"]


def main() -> None:
    model_dir, out_path = sys.argv[1], sys.argv[2]
    full_path = sys.argv[3] if len(sys.argv) > 3 else None
    ids = json.loads(sys.stdin.read())  # [[...], [...]] token ids of TEXTS, from tunekit
    model = LlamaForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float64, attn_implementation="eager")
    model.eval()
    seq = max(len(r) for r in ids)
    pad = model.config.pad_token_id
    input_ids = torch.tensor([r + [pad] * (seq - len(r)) for r in ids])
    mask = torch.tensor([[1] * len(r) + [0] * (seq - len(r)) for r in ids])
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask).logits
    vocab = logits.shape[-1]
    probe = list(range(16)) + [int(i * vocab / 24) + 16 for i in range(24)]
    rows = []
    for r, row in enumerate(ids):
        positions = []
        for t in range(len(row)):
            lt = logits[r, t]
            positions.append(
                {
                    "logsumexp": float(torch.logsumexp(lt, 0)),
                    "argmax": int(torch.argmax(lt)),
                    "logits": [float(lt[i]) for i in probe],
                }
            )
        rows.append({"text": TEXTS[r], "ids": row, "positions": positions})
    out = {
        "source": "transformers LlamaForCausalLM.from_pretrained(float64, eager attention)",
        "probeIds": probe,
        "rows": rows,
    }
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)
    if full_path:
        logits.to(torch.float32).numpy().astype("<f4").tofile(full_path)
    print(f"wrote {out_path}: {len(ids)} rows, seq {seq}, vocab {vocab}")


main()
