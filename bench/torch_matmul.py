#!/usr/bin/env python3
"""Peer for `loupe bench kernels`: PyTorch float32 matmul GFLOPS on the same shapes, in the same run.

Usage: torch_matmul.py --shapes 1024x768x2304,1x768x3072 [--threads 2] [--repeat 5]
Shapes are M x K x N (row-major A[M,K] @ B[K,N]). Prints one JSON object on stdout
({"peer": "torch", "version": ..., "threads": ..., "matmul": [{"m","k","n","gflops"}]}) and
progress on stderr. Exits with status 3 when torch is not installed.

Set OPENBLAS_NUM_THREADS and OMP_NUM_THREADS to the thread count before starting Python:
Debian's torch uses OpenBLAS, whose pool is sized when the library loads.
"""
import argparse
import json
import statistics
import sys
import time


def median_seconds(op, repeat, warmup_s=0.5, batch_s=0.05):
    """Warm up, then time `repeat` batches of calls, each lasting about batch_s; median per call."""
    start, calls = time.perf_counter(), 0
    while calls < 3 or time.perf_counter() - start < warmup_s:
        op()
        calls += 1
    t = time.perf_counter()
    op()
    one = max(time.perf_counter() - t, 1e-7)
    inner = max(1, int(batch_s / one))
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(inner):
            op()
        samples.append((time.perf_counter() - t) / inner)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", required=True, help="comma-separated MxKxN")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print(f"torch is not installed for {sys.executable}", file=sys.stderr)
        sys.exit(3)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = []
    for spec in args.shapes.split(","):
        m, k, n = (int(x) for x in spec.split("x"))
        print(f"bench: torch {m}×{k}×{n}", file=sys.stderr, flush=True)
        a, b, c = torch.randn(m, k), torch.randn(k, n), torch.empty(m, n)
        sec = median_seconds(lambda: torch.mm(a, b, out=c), args.repeat)
        results.append({"m": m, "k": k, "n": n, "gflops": 2.0 * m * k * n / sec / 1e9})
    json.dump({"peer": "torch", "version": torch.__version__, "threads": torch.get_num_threads(),
               "matmul": results}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
