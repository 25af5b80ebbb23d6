#!/usr/bin/env python3
"""Peer for `loupe bench sae`: one PyTorch SAE training step (forward, backward, Adam) per call,
SAELens' objective, same shapes and same sparsity recipe as Loupe's side of the benchmark.

Usage: torch_sae.py --threads 2 --arch standard|topk --d-in 512 --d-sae 4096 --batch 4096 [--k 32]
                    [--bias-sigmas C] [--warmup 2] [--steps 5]
State: x ~ N(0, 1) [batch, d_in]; W_dec rows random directions of norm 0.1 (standard) or 1 (topk);
W_enc = W_dec^T; b_dec = 0; b_enc = -C times the row norm, which is the standard deviation of a
pre-activation x.W_enc[:, j], so that a fraction P(N(0,1) > C) of the latents fire (C = 0: about
half, as at initialisation; C = 2.15: L0 about 64 of 4096, a trained SAE's sparsity).
Standard: loss = mean_n ||x_hat - x||^2 + l1 * mean_n sum_j f_j ||W_dec[j]||, f = relu(pre).
TopK: f = scatter(relu(topk(pre, k))), dense decode f @ W_dec (SAELens' TopKSAE), loss = mse.
Prints one JSON object ({"peer": "torch", "ms_per_step": median, "l0": ...}); exits 3 without torch.
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
except ImportError:
    sys.exit(3)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--arch", choices=["standard", "topk"], default="standard")
    ap.add_argument("--d-in", type=int, default=512)
    ap.add_argument("--d-sae", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--bias-sigmas", type=float, default=0.0)
    ap.add_argument("--l1", type=float, default=5.0)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    norm = 0.1 if a.arch == "standard" else 1.0
    w_dec = torch.randn(a.d_sae, a.d_in)
    w_dec = w_dec / w_dec.norm(dim=1, keepdim=True) * norm
    p = {"W_dec": w_dec, "W_enc": w_dec.t().contiguous(), "b_dec": torch.zeros(a.d_in),
         "b_enc": torch.full((a.d_sae,), -a.bias_sigmas * norm)}
    p = {k: v.clone().requires_grad_(True) for k, v in p.items()}
    opt = torch.optim.Adam(p.values(), lr=1e-6, betas=(0.9, 0.999))
    x = torch.randn(a.batch, a.d_in)
    l0s = []

    def step():
        opt.zero_grad(set_to_none=True)
        pre = (x - p["b_dec"]) @ p["W_enc"] + p["b_enc"]
        if a.arch == "standard":
            f = torch.relu(pre)
        else:
            top = torch.topk(pre, k=a.k, dim=-1)
            f = torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))
        x_hat = f @ p["W_dec"] + p["b_dec"]
        loss = (x_hat - x).pow(2).sum(-1).mean()
        if a.arch == "standard":
            loss = loss + a.l1 * (f * p["W_dec"].norm(dim=1)).sum(-1).mean()
        loss.backward()
        opt.step()
        l0s.append(float((f > 0).float().sum(-1).mean()))

    for _ in range(a.warmup):
        step()
    times = []
    for i in range(a.steps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
        print(f"torch sae {a.arch}: step {i + 1}/{a.steps} {times[-1]:.0f} ms", file=sys.stderr)
    json.dump({"peer": "torch", "version": torch.__version__, "threads": a.threads, "arch": a.arch,
               "ms_per_step": statistics.median(times), "l0": statistics.median(l0s)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
