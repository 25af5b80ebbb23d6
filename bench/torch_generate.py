#!/usr/bin/python3
"""PyTorch peer for `loupe bench generate` and `loupe bench prefill`, on a GPT-2-shaped model (random
weights, batch 1, float32), timed like Loupe's side. Decode mode: feed the prompt, warm up, then
time each single-token step with a KV cache. Prefill mode: time full forward passes (logits of every
position) over --prompt tokens after --warmup untimed ones. Prints one JSON object with the mean,
median, p90 and max step in ms. Exit code 3 when torch is missing."""
import argparse
import json
import math
import statistics
import sys
import time

try:
    import torch
except ImportError:
    sys.exit(3)

ap = argparse.ArgumentParser()
for name, default in [("threads", 2), ("layers", 12), ("d", 768), ("heads", 12), ("vocab", 50257),
                      ("ctx", 1024), ("prompt", 16), ("warmup", 4), ("tokens", 32)]:
    ap.add_argument("--" + name, type=int, default=default)
ap.add_argument("--mode", choices=["decode", "prefill"], default="decode")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
d, H, dh, L = a.d, a.heads, a.d // a.heads, a.layers


def randn(*shape, std=0.02):
    return torch.randn(*shape) * std


wte, wpe = randn(a.vocab, d), randn(a.ctx, d)
layers = [dict(ln1=(torch.ones(d), torch.zeros(d)), wa=randn(d, 3 * d), ba=torch.zeros(3 * d),
               wp=randn(d, d), bp=torch.zeros(d), ln2=(torch.ones(d), torch.zeros(d)),
               wf=randn(d, 4 * d), bf=torch.zeros(4 * d), wq=randn(4 * d, d), bq=torch.zeros(d)) for _ in range(L)]
lnf = (torch.ones(d), torch.zeros(d))
K = [torch.zeros(a.ctx, H, dh) for _ in range(L)]
V = [torch.zeros(a.ctx, H, dh) for _ in range(L)]


def ln(x, p):
    return torch.nn.functional.layer_norm(x, (d,), p[0], p[1], 1e-5)


def step(token, pos):  # one token at position pos -> logits [V]
    x = wte[token] + wpe[pos]
    for l, w in enumerate(layers):
        q, k, v = (ln(x, w["ln1"]) @ w["wa"] + w["ba"]).split(d)
        K[l][pos], V[l][pos] = k.view(H, dh), v.view(H, dh)
        keys, vals = K[l][:pos + 1], V[l][:pos + 1]                       # [n, H, dh]
        att = torch.einsum("hd,nhd->hn", q.view(H, dh), keys) / math.sqrt(dh)
        z = torch.einsum("hn,nhd->hd", att.softmax(-1), vals).reshape(d)
        x = x + z @ w["wp"] + w["bp"]
        h = torch.nn.functional.gelu(ln(x, w["ln2"]) @ w["wf"] + w["bf"], approximate="tanh")
        x = x + h @ w["wq"] + w["bq"]
    return wte @ ln(x, lnf)


def forward(ids):  # full causal forward of ids [T] -> logits [T, V]
    T = len(ids)
    x = wte[ids] + wpe[:T]
    mask = torch.ones(T, T).tril().bool()
    for w in layers:
        q, k, v = (ln(x, w["ln1"]) @ w["wa"] + w["ba"]).split(d, dim=-1)
        q, k, v = (t.view(T, H, dh).transpose(0, 1) for t in (q, k, v))   # [H, T, dh]
        att = (q @ k.transpose(-1, -2) / math.sqrt(dh)).masked_fill(~mask, float("-inf"))
        z = (att.softmax(-1) @ v).transpose(0, 1).reshape(T, d)
        x = x + z @ w["wp"] + w["bp"]
        h = torch.nn.functional.gelu(ln(x, w["ln2"]) @ w["wf"] + w["bf"], approximate="tanh")
        x = x + h @ w["wq"] + w["bq"]
    return ln(x, lnf) @ wte.t()


def stats(times):
    ms = sorted(1000 * t for t in times)
    return {"steps": len(ms), "mean_step_ms": sum(ms) / len(ms), "median_step_ms": statistics.median(ms),
            "p90_step_ms": ms[math.ceil(0.9 * len(ms)) - 1], "max_step_ms": ms[-1]}


with torch.no_grad():
    times = []
    if a.mode == "prefill":
        ids = torch.full((a.prompt,), 464 % a.vocab, dtype=torch.long)
        for i in range(a.warmup + a.tokens):
            t0 = time.perf_counter()
            forward(ids)
            if i >= a.warmup:
                times.append(time.perf_counter() - t0)
    else:
        tok, pos = 464 % a.vocab, 0
        for _ in range(a.prompt):
            step(tok, pos)
            pos += 1
        for _ in range(a.warmup):
            tok = int(step(tok, pos).argmax())
            pos += 1
        for _ in range(a.tokens):
            t0 = time.perf_counter()
            tok = int(step(tok, pos).argmax())
            times.append(time.perf_counter() - t0)
            pos += 1
out = {"version": torch.__version__, "threads": torch.get_num_threads(), "tokens_per_s": a.tokens / sum(times)}
out.update(stats(times))
print(json.dumps(out))
