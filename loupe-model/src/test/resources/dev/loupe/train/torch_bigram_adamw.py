"""PyTorch reference for Loupe's training loop on a bigram model (logits = W[x] + b).

Reads a JSON job from argv[1] (initial W, b, the batches, the settings) and prints one loss per
step as JSON: torch.optim.AdamW with weight decay on W (rank 2) only, clip_grad_norm_, and
nanoGPT's get_lr with lr_decay_iters = steps (warm-up lr*(it+1)/(warmup+1), then cosine to min_lr).
"""
import json
import math
import sys

import torch

job = json.load(open(sys.argv[1]))
torch.set_num_threads(1)
V = job["vocab"]
W = torch.tensor(job["w"], dtype=torch.float32).reshape(V, V).requires_grad_(True)
b = torch.tensor(job["b"], dtype=torch.float32).requires_grad_(True)
s = job["settings"]
opt = torch.optim.AdamW([{"params": [W], "weight_decay": s["weight_decay"]},
                         {"params": [b], "weight_decay": 0.0}],
                        lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"])


def get_lr(it):
    lr, min_lr, warmup, steps = s["lr"], s["min_lr"], s["warmup"], s["steps"]
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it >= steps:
        return min_lr
    ratio = (it - warmup) / (steps - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


losses = []
for it, batch in enumerate(job["batches"]):
    x = torch.tensor(batch["inputs"])
    y = torch.tensor(batch["targets"])
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.cross_entropy(W[x] + b, y)
    loss.backward()
    if s["grad_clip"] > 0:
        torch.nn.utils.clip_grad_norm_([W, b], s["grad_clip"])
    for g in opt.param_groups:
        g["lr"] = get_lr(it)
    opt.step()
    losses.append(loss.item())
print(json.dumps(losses))
