#!/usr/bin/python3
"""PyTorch peer for `loupe bench grokking`: one full-batch training step of Nanda et al.'s grokking model
("Progress measures for grokking via mechanistic interpretability", 2023), written the way their code
runs it: embed "a b =", one block (attention without biases, ReLU MLP with biases, no LayerNorm),
unembed every position, take the logits of the last one, cross-entropy against (a + b) mod p, backward,
AdamW (lr 1e-3, weight decay 1, betas (0.9, 0.98)) on a random train_fraction of the p^2 pairs.
Timed like Loupe times itself: warm-up steps, then the median of the measured steps.

usage: torch_grokking.py [--threads 2] [--p 113] [--train-fraction 0.3] [--warmup 5] [--steps 20]
prints {"ms_per_step": median, "steps_per_s": 1000 / median, "threads": n, "version": torch version}
exits with 3 when torch is missing.
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.exit(3)

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--p", type=int, default=113)
ap.add_argument("--train-fraction", type=float, default=0.3)
ap.add_argument("--d", type=int, default=128)
ap.add_argument("--heads", type=int, default=4)
ap.add_argument("--d-mlp", type=int, default=512)
ap.add_argument("--warmup", type=int, default=5)
ap.add_argument("--steps", type=int, default=20)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

p, d, H, dm = a.p, a.d, a.heads, a.d_mlp
V, T, dh = p + 1, 3, d // H
pairs = torch.randperm(p * p)[: round(a.train_fraction * p * p)]
x = torch.stack([pairs // p, pairs % p, torch.full_like(pairs, p)], dim=1)        # [N, 3]
y = (pairs // p + pairs % p) % p


def param(*shape, std):
    return torch.nn.Parameter(torch.randn(*shape) * std)


W_E, W_pos = param(V, d, std=d ** -0.5), param(T, d, std=d ** -0.5)
W_qkv, W_O = param(d, 3 * d, std=d ** -0.5), param(d, d, std=d ** -0.5)
W_in, b_in = param(d, dm, std=d ** -0.5), torch.nn.Parameter(torch.zeros(dm))
W_out, b_out = param(dm, d, std=d ** -0.5), torch.nn.Parameter(torch.zeros(d))
W_U = param(V, d, std=V ** -0.5)
params = [W_E, W_pos, W_qkv, W_O, W_in, b_in, W_out, b_out, W_U]
mask = torch.ones(T, T, dtype=torch.bool).triu(1)


def logits_last(ids):
    n = ids.shape[0]
    h = W_E[ids] + W_pos                                                          # [N, T, d]
    q, k, v = (t.view(n, T, H, dh).transpose(1, 2) for t in (h @ W_qkv).split(d, dim=2))
    att = ((q @ k.transpose(-2, -1)) / dh ** 0.5).masked_fill(mask, float("-inf")).softmax(-1)
    h = h + (att @ v).transpose(1, 2).reshape(n, T, d) @ W_O
    h = h + F.relu(h @ W_in + b_in) @ W_out + b_out
    return (h @ W_U.t())[:, -1]                                                   # every position unembedded, the last kept


opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))
times = []
for i in range(a.warmup + a.steps):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(logits_last(x), y)
    loss.backward()
    opt.step()
    if i >= a.warmup:
        times.append((time.perf_counter() - t0) * 1000)
ms = statistics.median(times)
json.dump({"ms_per_step": ms, "steps_per_s": 1000 / ms, "threads": torch.get_num_threads(), "version": torch.__version__,
           "final_loss": loss.item()}, sys.stdout)
sys.stdout.write("\n")
