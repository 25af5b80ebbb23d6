#!/usr/bin/python3
"""PyTorch peer for `loupe bench train`: a GPT-2 (pre-LN, GELU tanh, learned positions, tied
unembedding) training step (forward + backward + clip_grad_norm_ + AdamW) on random tokens, timed
the way Loupe times itself: warm-up steps, then the median of the measured steps.

usage: torch_train.py LAYERS D_MODEL HEADS VOCAB BATCH SEQ WARMUP STEPS [EXPERTS TOP_K D_EXPERT]
With EXPERTS > 0 every MLP is a mixture of experts (SPEC "Variants"), written the straightforward
PyTorch way: router logits g = x W_gate, softmax, top-k, weights renormalised over the k, and per
expert index_select of its tokens -> expert MLP -> index_add_ of the weighted outputs; the loss adds
the Switch load-balancing loss 0.01 * E * sum_e f_e P_e and the z-loss 0.001 * mean logsumexp(g)^2,
as Loupe's step does.
prints {"ms_per_step": median, "tokens_per_s": B*T / median, "threads": n}
Run with OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 (set by loupe bench train).
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)
L, D, H, V, B, T, WARMUP, STEPS = (int(a) for a in sys.argv[1:9])
E, K, DE = (int(a) for a in sys.argv[9:12]) if len(sys.argv) > 9 else (0, 0, 0)


class Moe(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate = nn.Linear(D, E, bias=False)
        self.fc = nn.ModuleList(nn.Linear(D, DE) for _ in range(E))
        self.proj = nn.ModuleList(nn.Linear(DE, D) for _ in range(E))
        self.router_loss = None

    def forward(self, u):
        shape = u.shape
        x = u.reshape(-1, D)
        g = self.gate(x)
        p = g.softmax(-1)
        top_p, idx = p.topk(K, dim=-1)
        w = top_p / top_p.sum(-1, keepdim=True)
        f = torch.bincount(idx.reshape(-1), minlength=E).float() / idx.numel()
        self.router_loss = 0.01 * E * (f * p.mean(0)).sum() + 0.001 * (torch.logsumexp(g, -1) ** 2).mean()
        out = torch.zeros_like(x)
        for e in range(E):
            tok, choice = torch.nonzero(idx == e, as_tuple=True)
            if tok.numel() == 0:
                continue
            y = self.proj[e](F.gelu(self.fc[e](x.index_select(0, tok)), approximate="tanh"))
            out.index_add_(0, tok, y * w[tok, choice].unsqueeze(1))
        return out.reshape(shape)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.c_attn, self.c_proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        if E > 0:
            self.moe = Moe()
        else:
            self.c_fc, self.mlp_proj = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(D, dim=2)
        q, k, v = (z.view(b, t, H, c // H).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // H)
        att = att.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
        x = x + self.c_proj((att @ v).transpose(1, 2).reshape(b, t, c))
        if E > 0:
            return x + self.moe(self.ln_2(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, D), nn.Embedding(T, D)
        self.h = nn.ModuleList(Block() for _ in range(L))
        self.ln_f = nn.LayerNorm(D)
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.h:
            x = blk(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        loss = F.cross_entropy(logits.view(-1, V), targets.view(-1))
        if E > 0:
            loss = loss + sum(blk.moe.router_loss for blk in self.h)
        return loss


model = Gpt()
params = list(model.parameters())
opt = torch.optim.AdamW([{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
                         {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}],
                        lr=1e-4, betas=(0.9, 0.95), eps=1e-8, foreach=False)
gen = torch.Generator().manual_seed(1)
times = []
for i in range(WARMUP + STEPS):
    x = torch.randint(0, V, (B, T), generator=gen)
    y = torch.randint(0, V, (B, T), generator=gen)
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = model(x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    dt = time.perf_counter() - t0
    if i >= WARMUP:
        times.append(dt)
med = statistics.median(times)
print(json.dumps({"ms_per_step": med * 1000, "tokens_per_s": B * T / med, "threads": torch.get_num_threads()}))
