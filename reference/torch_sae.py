#!/usr/bin/python3
"""A small PyTorch sparse autoencoder with SAELens' semantics: the reference Loupe's loupe-sae is
tested against. It reads an SAE directory in SAELens' layout with a plain reader (no sae_lens, no
safetensors package) and checks that layout strictly:

  cfg.json                 d_in, d_sae, dtype, device, apply_b_dec_to_input, normalize_activations,
                           reshape_activations, metadata{model_name, hook_name, ...}, architecture,
                           k (topk)
  sae_weights.safetensors  W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in]
                           (+ threshold [d_sae] for jumprelu), all F32
  sparsity.safetensors     sparsity [d_sae] (optional)

Commands (each prints one JSON object; `jobs FILE.json` runs a list of argument lists in one process):

  check   --sae DIR                             the layout check above; returns cfg and shapes
  forward --sae DIR --x X.npy --out PREFIX      PREFIX.acts.npy [N, d_sae], PREFIX.recons.npy [N, d_in]
  grads   --sae DIR --x X.npy [--dead D.npy] --l1 L --aux A --out G.safetensors
                                                one training forward/backward: loss terms as below and
                                                the gradients of W_enc, b_enc, W_dec, b_dec
  metrics --sae DIR --model MODEL_DIR --ids FILE.npy --windows N --context T
                                                SAELens-style evaluation on N windows of T tokens
                                                (ids FILE.npy int32 [N*T]) with the SAE spliced into
                                                the GPT of reference/torch_gpt.py at the SAE's hook

Forward (SAELens): x' = x - b_dec*[apply_b_dec_to_input]; pre = x' W_enc + b_enc;
  standard f = relu(pre); topk f = scatter(relu(topk(pre, k))); jumprelu f = relu(pre)*(pre > threshold);
  x_hat = f W_dec + b_dec.
Training loss (SAELens): mse = mean_n sum_i (x_hat - x)^2;
  standard: l1 = L * mean_n sum_j f_nj * ||W_dec[j]||;
  topk AuxK: e = (x - x_hat).detach(); k_aux = min(d_in // 2, #dead); scale = min(#dead / (d_in // 2), 1);
  z = scatter(topk(where(dead, pre, -inf), k_aux)); e_hat = z W_dec + b_dec;
  aux = A * scale * mean_n sum_i (e_hat - e)^2.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_gpt  # noqa: E402  (the GPT reference, its safetensors reader and writer)

torch.set_num_threads(2)
torch.use_deterministic_algorithms(True)

CFG_KEYS = ["d_in", "d_sae", "dtype", "device", "apply_b_dec_to_input", "normalize_activations",
            "reshape_activations", "metadata", "architecture"]


def _header(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(n))


def load_sae(d):
    """The SAE in directory d as a dict of torch tensors plus its cfg, after checking the layout."""
    with open(os.path.join(d, "cfg.json")) as f:
        cfg = json.load(f)
    missing = [k for k in CFG_KEYS if k not in cfg]
    assert not missing, f"cfg.json lacks {missing}"
    assert cfg["architecture"] in ("standard", "topk", "jumprelu"), cfg["architecture"]
    if cfg["architecture"] == "topk":
        assert isinstance(cfg["k"], int), "topk cfg.json needs an integer k"
    assert "hook_name" in cfg["metadata"], "metadata lacks hook_name"
    d_in, d_sae = cfg["d_in"], cfg["d_sae"]
    shapes = {"W_enc": [d_in, d_sae], "b_enc": [d_sae], "W_dec": [d_sae, d_in], "b_dec": [d_in]}
    if cfg["architecture"] == "jumprelu":
        shapes["threshold"] = [d_sae]
    path = os.path.join(d, "sae_weights.safetensors")
    header = _header(path)
    names = sorted(k for k in header if k != "__metadata__")
    assert names == sorted(shapes), f"tensors {names}, expected {sorted(shapes)}"
    for k, s in shapes.items():
        assert header[k]["shape"] == s, f"{k} has shape {header[k]['shape']}, expected {s}"
        assert header[k]["dtype"] == "F32", f"{k} has dtype {header[k]['dtype']}"
    w = {k: torch.tensor(v) for k, v in torch_gpt.read_safetensors(path).items()}
    sp = os.path.join(d, "sparsity.safetensors")
    if os.path.exists(sp):
        h = _header(sp)
        assert [k for k in h if k != "__metadata__"] == ["sparsity"] and h["sparsity"]["shape"] == [d_sae]
        assert h["sparsity"]["dtype"] == "F32"
    return cfg, w


def encode_pre(cfg, w, x):
    x_in = x - w["b_dec"] * (1.0 if cfg["apply_b_dec_to_input"] else 0.0)
    return x_in @ w["W_enc"] + w["b_enc"]


def activate(cfg, w, pre):
    arch = cfg["architecture"]
    if arch == "standard":
        return torch.relu(pre)
    if arch == "jumprelu":
        return torch.relu(pre) * (pre > w["threshold"])
    top = torch.topk(pre, k=cfg["k"], dim=-1)
    return torch.zeros_like(pre).scatter(-1, top.indices, torch.relu(top.values))


def decode(w, f):
    return f @ w["W_dec"] + w["b_dec"]


def cmd_check(a):
    cfg, w = load_sae(a.sae)
    return {"cfg": cfg, "shapes": {k: list(v.shape) for k, v in w.items()}}


def cmd_forward(a):
    cfg, w = load_sae(a.sae)
    x = torch.tensor(np.load(a.x))
    f = activate(cfg, w, encode_pre(cfg, w, x))
    np.save(a.out + ".acts.npy", f.numpy())
    np.save(a.out + ".recons.npy", decode(w, f).numpy())
    return {"l0": float((f > 0).float().sum(-1).mean())}


def cmd_grads(a):
    cfg, w = load_sae(a.sae)
    params = {k: w[k].clone().requires_grad_(True) for k in ("W_enc", "b_enc", "W_dec", "b_dec")}
    x = torch.tensor(np.load(a.x))
    pre = encode_pre(cfg, params, x)
    f = activate(cfg, params, pre)
    x_hat = decode(params, f)
    mse = (x_hat - x).pow(2).sum(-1).mean()
    l1 = torch.zeros(())
    aux = torch.zeros(())
    if cfg["architecture"] == "standard":
        l1 = a.l1 * (f * params["W_dec"].norm(dim=1)).norm(p=1, dim=-1).mean()
    elif cfg["architecture"] == "topk" and a.dead:
        dead = torch.tensor(np.load(a.dead)) > 0.5
        num_dead = int(dead.sum())
        if num_dead > 0:
            residual = (x - x_hat).detach()
            k_aux = x.shape[-1] // 2
            scale = min(num_dead / k_aux, 1.0)
            k_aux = min(k_aux, num_dead)
            lat = torch.where(dead[None], pre, torch.tensor(-float("inf")))
            top = lat.topk(k_aux, dim=-1, sorted=False)
            z = torch.zeros_like(pre).scatter(-1, top.indices, top.values)
            aux = a.aux * scale * (decode(params, z) - residual).pow(2).sum(-1).mean()
    loss = mse + l1 + aux
    loss.backward()
    torch_gpt.write_safetensors(a.out, {k: p.grad.numpy() for k, p in params.items()})
    return {"loss": float(loss), "mse": float(mse), "l1": float(l1), "aux": float(aux),
            "l0": float((f > 0).float().sum(-1).mean())}


def forward_with_hook(model, ids, hook, fn):
    """torch_gpt's forward, with fn (or nothing) applied at one TransformerLens hook point."""
    cfg, p = model.cfg, model.params
    T = ids.shape[1]

    def at(name, x):  # hook_z arrives as [B, T, H*d_head], the flattened form the SAE reads
        return x if name != hook or fn is None else fn(x)

    x = p["wte.weight"][ids]
    if cfg.positional == "learned":
        x = x + p["wpe.weight"][:T]
    elif cfg.positional == "sinusoidal":
        x = x + torch_gpt.sinusoidal(T, cfg.d_model)
    for l in range(cfg.n_layer):
        x = at(f"blocks.{l}.hook_resid_pre", x)
        attn_in = model.ln(x, f"h.{l}.ln_1") if cfg.norm == "pre" else x
        B, _, C = attn_in.shape
        H = cfg.n_head
        q, k, v = model.linear(attn_in, f"h.{l}.attn.c_attn").split(C, dim=2)
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        pattern = torch.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)
        z = at(f"blocks.{l}.attn.hook_z", (pattern @ v).transpose(1, 2).reshape(B, T, C))
        attn_out = at(f"blocks.{l}.hook_attn_out", model.linear(z, f"h.{l}.attn.c_proj"))
        x = x + attn_out if cfg.norm == "pre" else model.ln(x + attn_out, f"h.{l}.ln_1")
        x = at(f"blocks.{l}.hook_resid_mid", x)
        if cfg.mlp != "none":
            mlp_in = model.ln(x, f"h.{l}.ln_2") if cfg.norm == "pre" else x
            h = model.linear(mlp_in, f"h.{l}.mlp.c_fc")
            if cfg.mlp == "gelu":
                h = torch_gpt.gelu_tanh(h)
            elif cfg.mlp == "relu":
                h = torch.relu(h)
            else:
                gate, up = h.split(cfg.d_mlp, dim=-1)
                h = torch.nn.functional.silu(gate) * up
            h = at(f"blocks.{l}.mlp.hook_post", h)
            mlp_out = at(f"blocks.{l}.hook_mlp_out", model.linear(h, f"h.{l}.mlp.c_proj"))
            x = x + mlp_out if cfg.norm == "pre" else model.ln(x + mlp_out, f"h.{l}.ln_2")
        x = at(f"blocks.{l}.hook_resid_post", x)
    x = model.ln(x, "ln_f")
    unembed = p["wte.weight"] if cfg.tied else p["lm_head.weight"]
    return x @ unembed.t()


def cmd_metrics(a):
    cfg, w = load_sae(a.sae)
    model = torch_gpt.load(a.model)
    hook = cfg["metadata"]["hook_name"]
    ids = torch.tensor(np.load(a.ids).astype(np.int64)).reshape(a.windows, a.context)
    captured = {}

    def sae_fn(x):
        f = activate(cfg, w, encode_pre(cfg, w, x))
        captured["x"], captured["f"] = x.detach().clone(), f
        return decode(w, f)

    with torch.no_grad():
        clean = forward_with_hook(model, ids, hook, None)
        with_sae = forward_with_hook(model, ids, hook, sae_fn)
        ablated = forward_with_hook(model, ids, hook, lambda x: torch.zeros_like(x))
    x, f = captured["x"].reshape(-1, cfg["d_in"]), captured["f"].reshape(-1, cfg["d_sae"])
    x_hat = decode(w, f)
    d2 = (x - x_hat).pow(2).sum(-1)

    def ce(logits):  # mean over the T-1 next-token predictions of every window
        lp = torch.log_softmax(logits[:, :-1].double(), -1)
        return float(-lp.gather(-1, ids[:, 1:, None]).mean())

    def kl(logits):  # KL(clean || patched) averaged over all positions
        p = torch.log_softmax(clean.double(), -1)
        q = torch.log_softmax(logits.double(), -1)
        return float((p.exp() * (p - q)).sum(-1).mean())

    ce_clean, ce_sae, ce_abl = ce(clean), ce(with_sae), ce(ablated)
    kl_sae, kl_abl = kl(with_sae), kl(ablated)
    density = (f > 0).double().mean(0)
    return {
        "l0": float((f > 0).double().sum(-1).mean()),
        "mse": float(d2.double().mean()),
        "explained_variance": float(1 - d2.double().sum() / (x.double() - x.double().mean(0)).pow(2).sum()),
        "ce_loss_clean": ce_clean, "ce_loss_with_sae": ce_sae, "ce_loss_with_ablation": ce_abl,
        "ce_loss_score": (ce_abl - ce_sae) / (ce_abl - ce_clean),
        "kl_div_with_sae": kl_sae, "kl_div_with_ablation": kl_abl,
        "kl_div_score": (kl_abl - kl_sae) / kl_abl,
        "dead_features": int((density == 0).sum()),
        "feature_density": density.tolist(),
    }


def run(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["check", "forward", "grads", "metrics"])
    ap.add_argument("--sae", required=True)
    ap.add_argument("--x")
    ap.add_argument("--dead")
    ap.add_argument("--l1", type=float, default=0.0)
    ap.add_argument("--aux", type=float, default=1.0 / 32)
    ap.add_argument("--out")
    ap.add_argument("--model")
    ap.add_argument("--ids")
    ap.add_argument("--windows", type=int)
    ap.add_argument("--context", type=int)
    a = ap.parse_args(argv)
    return {"check": cmd_check, "forward": cmd_forward, "grads": cmd_grads, "metrics": cmd_metrics}[a.command](a)


def main(argv):
    if argv[:1] == ["jobs"]:
        with open(argv[1]) as f:
            result = [run(job) for job in json.load(f)]
    else:
        result = run(argv)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
