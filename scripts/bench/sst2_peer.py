"""The PyTorch peer of scripts/bench/sst2-case.ts: one epoch of full fine-tuning of the bench BERT
(4 x 256, vocab 30522) over the given token ids, shuffled batches each padded to its own longest
row (as Hugging Face's DataCollatorWithPadding does), AdamW, one JSON line.

usage: python3 sst2_peer.py ROWS_JSON BATCH THREADS   (torch_bert.py from the shared reference folder on PYTHONPATH)
"""
import json, sys, time
import torch
import torch.nn.functional as F
from torch_bert import init_params, forward

rows = json.load(open(sys.argv[1]))
batch = int(sys.argv[2])
torch.set_num_threads(int(sys.argv[3]))
torch.manual_seed(0)
cfg = dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024, vocab_size=30522,
           max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12, num_labels=2)
p = init_params(cfg, 0)
params = list(p.values())
for t in params:
    t.requires_grad_(True)
opt = torch.optim.AdamW(params, lr=2e-5, weight_decay=0.01)
ids, labels = rows["ids"], rows["labels"]
order = torch.randperm(len(ids)).tolist()
real = sum(len(r) for r in ids)
padded = 0
t0 = time.perf_counter()
loss = None
for s in range(0, len(order), batch):
    idx = order[s:s + batch]
    longest = max(len(ids[i]) for i in idx)
    x = torch.zeros(len(idx), longest, dtype=torch.int64)
    m = torch.zeros(len(idx), longest, dtype=torch.int64)
    for k, i in enumerate(idx):
        x[k, :len(ids[i])] = torch.tensor(ids[i])
        m[k, :len(ids[i])] = 1
    y = torch.tensor([labels[i] for i in idx])
    padded += len(idx) * longest
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(forward(cfg, p, x, m, torch.zeros_like(x), None), y)
    loss.backward()
    opt.step()
wall = time.perf_counter() - t0
print(json.dumps({"case": "sst2-epoch", "side": "pytorch " + torch.__version__ + ", pad to each batch's longest",
                  "rows": len(ids), "batch": batch, "batches": (len(ids) + batch - 1) // batch, "wall_s": round(wall, 1),
                  "tokens_per_s": round(real / wall), "padded_tokens_per_s": round(padded / wall),
                  "pad_fraction": round(1 - real / padded, 3), "loss_last": round(float(loss), 4)}))
