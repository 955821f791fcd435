"""PyTorch peer of scripts/bench/causal-lm-case.ts: the same decoder shape (torch_llama.py of the
shared reference folder), AdamW, full fine-tuning or LoRA r=8 on q_proj/v_proj; prints one JSON
line (tokens/s, GFLOP/s, peak RSS).

usage: python3 causal_lm_peer.py REF_DIR '<{"config":..., "batch":B, "seq":S, "mode":..., "steps":N, "threads":T}>'
"""
import json, resource, sys, time

sys.path.insert(0, sys.argv[1])
import torch  # noqa: E402
import torch_llama as tl  # noqa: E402

spec = json.loads(sys.argv[2])
cfg, B, S, mode = spec["config"], spec["batch"], spec["seq"], spec["mode"]
torch.set_num_threads(spec["threads"])
torch.manual_seed(0)
p = {k: v.mul_(0.1) for k, v in tl.init_params(cfg, 0).items()}
lora = None
if mode == "lora":
    for v in p.values():
        v.requires_grad_(False)
    targets = [n[: -len(".weight")] for n in p if n.endswith(("q_proj.weight", "v_proj.weight"))]
    g = torch.Generator().manual_seed(1)
    A = {t: (0.01 * torch.randn(8, p[t + ".weight"].shape[1], generator=g)).requires_grad_() for t in targets}
    Bm = {t: torch.zeros(p[t + ".weight"].shape[0], 8, requires_grad=True) for t in targets}
    lora = {"targets": set(targets), "scale": 16 / 8, "A": A, "B": Bm}
    trainable = list(A.values()) + list(Bm.values())
else:
    for v in p.values():
        v.requires_grad_(True)
    trainable = list(p.values())
opt = torch.optim.AdamW(trainable, lr=1e-5, weight_decay=0.01)
ids = torch.randint(1, cfg["vocab_size"], (B, S), generator=torch.Generator().manual_seed(1))
mask = torch.ones(B, S, dtype=torch.long)


def step():
    opt.zero_grad(set_to_none=True)
    loss = tl.causal_lm_loss(tl.forward(cfg, p, ids, mask, lora), ids)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(2):
    step()
times = []
for _ in range(spec["steps"]):
    t = time.perf_counter()
    step()
    times.append(time.perf_counter() - t)
times.sort()
step_s = times[len(times) // 2]
print(json.dumps({
    "peer": "pytorch " + torch.__version__,
    "task": "causal-lm",
    "mode": mode,
    "step_s": round(step_s, 4),
    "tokens_per_s": round(B * S / step_s, 1),
    "gflops": round(spec["flops"] / step_s / 1e9, 1),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
}))
