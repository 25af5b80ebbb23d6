#!/usr/bin/python3
"""Nanda et al.'s progress measures of a modular-addition model, recomputed with numpy and PyTorch.

The independent reference for dev.loupe.experiments.grokking.ProgressMeasures:

  grokking_measures.py --model DIR --p P --train 0,5,17,... --keys 3,5

reads a Loupe model directory with torch_gpt.py (its own forward pass), runs every pair "a b =" and prints
one JSON object: train/test loss and accuracy, restricted and excluded loss, the Gini coefficients of
the Fourier component norms of W_E and of W_L = W_out W_U^T, the sum of squared weights, and the Fourier
basis check max |F F^T - I|.

Definitions (Nanda et al. 2023): F is the real Fourier basis of Z_p (const 1/sqrt(p); cos, sin of
2 pi k x / p scaled by sqrt(2/p)). For each output c the logit over (a, b) is projected on the key
directions cos(w_k(a+b)), sin(w_k(a+b)) (least squares over the p^2 grid, done here with numpy's lstsq):
restricted logits = mean_c + projection, over all pairs; excluded = logits - projection, over the
training pairs. Gini of x sorted ascending: sum_i (2i - n - 1) x_i / (n sum x).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_gpt  # noqa: E402


def fourier_basis(p):
    x = np.arange(p)
    rows = [np.ones(p) / np.sqrt(p)]
    for k in range(1, (p - 1) // 2 + 1):
        rows.append(np.cos(2 * np.pi * k * x / p) * np.sqrt(2 / p))
        rows.append(np.sin(2 * np.pi * k * x / p) * np.sqrt(2 / p))
    return np.stack(rows)


def gini(x):
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = len(x)
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * x) / (n * np.sum(x)))


def loss_acc(logits, answers):
    t = torch.from_numpy(logits)
    y = torch.from_numpy(answers)
    return float(F.cross_entropy(t, y)), float((t.argmax(-1) == y).double().mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--p", type=int, required=True)
    ap.add_argument("--train", required=True, help="comma-separated pair numbers a*p+b of the training set")
    ap.add_argument("--keys", required=True, help="comma-separated key frequencies")
    a = ap.parse_args()
    p = a.p
    model = torch_gpt.load(a.model)
    pairs = np.arange(p * p)
    ids = torch.from_numpy(np.stack([pairs // p, pairs % p, np.full(p * p, p)], axis=1))
    with torch.no_grad():
        logits = model.forward(ids)[:, -1].double().numpy()          # [p^2, V]
    answers = (pairs // p + pairs % p) % p
    train = np.array([int(s) for s in a.train.split(",")])
    test = np.setdiff1d(pairs, train)
    keys = [int(s) for s in a.keys.split(",")]

    s = ((pairs // p + pairs % p) % p)
    directions = []
    for k in keys:
        directions.append(np.cos(2 * np.pi * k * s / p))
        directions.append(np.sin(2 * np.pi * k * s / p))
    D = np.stack(directions, axis=1)                                    # [p^2, 2|keys|]
    mean = logits.mean(axis=0, keepdims=True)
    coef, *_ = np.linalg.lstsq(D, logits - mean, rcond=None)
    key_part = D @ coef
    restricted = mean + key_part
    excluded = logits - key_part

    fb = fourier_basis(p)
    w = {k: v.detach().double().numpy() for k, v in model.params.items()}
    we = w["wte.weight"][:p]                                            # [p, d]
    wl = (w["h.0.mlp.c_proj.weight"] @ w["lm_head.weight"].T)[:, :p]   # [d_mlp, p]
    out = {
        "basis_error": float(np.abs(fb @ fb.T - np.eye(p)).max()),
        "gini_embedding": gini(np.linalg.norm(fb @ we, axis=1)),
        "gini_neuron_logit": gini(np.linalg.norm(fb @ wl.T, axis=1)),
        "sum_squared_weights": float(sum((v ** 2).sum() for v in w.values())),
        "restricted_loss": loss_acc(restricted, answers)[0],
        "excluded_loss": loss_acc(excluded[train], answers[train])[0],
    }
    out["train_loss"], out["train_accuracy"] = loss_acc(logits[train], answers[train])
    out["test_loss"], out["test_accuracy"] = loss_acc(logits[test], answers[test])
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
