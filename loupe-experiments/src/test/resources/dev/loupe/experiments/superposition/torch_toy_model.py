"""The toy model of "Toy Models of Superposition" trained with PyTorch on given batches, for comparison:
x' = ReLU(W^T W x + b) (or linear), loss = mean over the batch of sum_i I_i (x_i - x'_i)^2,
torch.optim.AdamW on W and b. Reads a JSON job, prints {"losses": [...], "w": [...], "b": [...]}."""
import json
import sys

import torch

job = json.load(open(sys.argv[1]))
n, m, batch = job["n"], job["m"], job["batch"]
W = torch.tensor(job["w"], dtype=torch.float32).reshape(m, n).requires_grad_()
b = torch.zeros(n, dtype=torch.float32, requires_grad=True)
I = torch.tensor(job["importance"], dtype=torch.float32)
opt = torch.optim.AdamW([W, b], lr=job["lr"], betas=(job["beta1"], job["beta2"]), eps=job["eps"],
                        weight_decay=job["weight_decay"])
losses = []
for xs in job["batches"]:
    x = torch.tensor(xs, dtype=torch.float32).reshape(batch, n)
    pre = (x @ W.T) @ W + b
    out = torch.relu(pre) if job["relu"] else pre
    loss = (I * (x - out) ** 2).sum(dim=1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(json.dumps({"losses": losses, "w": W.detach().reshape(-1).tolist(), "b": b.detach().tolist()}))
