"""Reference numbers for one DoRA Linear layer, computed as PEFT does (float64).

PEFT's DoRA (peft/tuners/lora/dora.py, DoraLinearLayer): the weight norm
||W + scale * B @ A|| (per output row) is DETACHED, and
    y = base(x) + (m / norm - 1) * (x @ W.T) + (m / norm) * scale * (x @ A.T @ B.T)
Writes src/lora/fixtures/dora-linear.json: inputs, output y, and the gradients of
L = sum(y * cotangent) with respect to A, B and m (float64 numbers).

usage: /usr/bin/python3 packages/strategies/scripts/make_dora_fixture.py
"""
import json
import os

import torch

torch.manual_seed(0)
d = torch.float64
n_out, n_in, r, rows = 5, 6, 3, 4
alpha = 6.0
scale = alpha / r
W = torch.randn(n_out, n_in, dtype=d) * 0.5
b = torch.randn(n_out, dtype=d) * 0.1
A = (torch.rand(r, n_in, dtype=d) * 2 - 1).requires_grad_(True)
B = (torch.randn(n_out, r, dtype=d) * 0.5).requires_grad_(True)
m = (torch.linalg.norm(W, dim=1) * (1 + 0.3 * torch.randn(n_out, dtype=d))).detach().requires_grad_(True)
x = torch.randn(rows, n_in, dtype=d)
cot = torch.randn(rows, n_out, dtype=d)

lora_w = B @ A
norm = torch.linalg.norm(W + scale * lora_w, dim=1).detach()
f = (m / norm).view(1, -1)
base = x @ W.T
y = base + b + (f - 1) * base + f * scale * (x @ A.T @ B.T)
(y * cot).sum().backward()

out = {
    "note": "PEFT DoRA Linear, float64; L = sum(y * cotangent)",
    "alpha": alpha, "r": r,
    "W": W.tolist(), "b": b.tolist(), "A": A.detach().tolist(), "B": B.detach().tolist(),
    "m": m.detach().tolist(), "x": x.tolist(), "cotangent": cot.tolist(), "y": y.detach().tolist(),
    "grad_A": A.grad.tolist(), "grad_B": B.grad.tolist(), "grad_m": m.grad.tolist(),
}
path = os.path.join(os.path.dirname(__file__), "..", "src", "lora", "fixtures", "dora-linear.json")
with open(path, "w") as fh:
    json.dump(out, fh)
print("wrote", os.path.normpath(path))
