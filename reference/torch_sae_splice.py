#!/usr/bin/python3
"""The PyTorch reference for a sparse autoencoder spliced into a model (SAELens's HookedSAETransformer
with one SAE attached): the logits of one sequence with the activation at the SAE's hook replaced by
the SAE's output.

  torch_sae_splice.py --model DIR --sae DIR --ids 1,2,3 [--error-term] [--ablate I]

DIR of --model: a Loupe model directory (read by torch_gpt.py, beside this file); DIR of --sae: an
SAELens directory (cfg.json with metadata.hook_name or the flat hook_name/hook_point, and
sae_weights.safetensors W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in], b_dec, threshold for
jumprelu; normalize_activations "none", as saved files are). The SAE (SAELens's forward):

  pre = (x - b_dec * apply_b_dec_to_input) @ W_enc + b_enc
  f   = relu(pre) | topk(relu... k) | pre * (pre > threshold)
  x^  = f @ W_dec + b_dec
  out = x^ (+ (x - x^_clean) with --error-term: x^_clean from f before --ablate zeroes feature I)

Hooks supported (pre-LN models): blocks.L.hook_resid_pre|hook_resid_mid|hook_resid_post|hook_attn_out|
hook_mlp_out|mlp.hook_post|attn.hook_z (heads flattened). Prints {"logits": [[...] per position]}.
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_gpt  # noqa: E402


def load_sae(d):
    with open(os.path.join(d, "cfg.json")) as f:
        cfg = json.load(f)
    meta = cfg.get("metadata") or cfg
    hook = meta.get("hook_name") or meta.get("hook_point")
    assert cfg.get("normalize_activations", "none") in ("none", None), "saved SAEs apply to raw activations"
    w = {k: torch.tensor(v, dtype=torch.float32) for k, v in torch_gpt.read_safetensors(os.path.join(d, "sae_weights.safetensors")).items()}
    return cfg, hook, w


def sae_forward(cfg, w, x, ablate):
    sae_in = x - w["b_dec"] if cfg.get("apply_b_dec_to_input", True) else x
    pre = sae_in @ w["W_enc"] + w["b_enc"]
    arch = cfg.get("architecture", "standard")
    if arch == "topk":
        k = cfg["k"]
        vals, idx = pre.topk(k, dim=-1)
        f = torch.zeros_like(pre).scatter(-1, idx, F.relu(vals))
    elif arch == "jumprelu":
        f = F.relu(pre) * (pre > w["threshold"])
    else:
        f = F.relu(pre)
    clean = f @ w["W_dec"] + w["b_dec"]
    if ablate is not None:
        f = f.clone()
        f[..., ablate] = 0
    return f @ w["W_dec"] + w["b_dec"], clean


def spliced_logits(model, cfg, hook, w, ids, error_term, ablate):
    def at(name, x):
        if name != hook:
            return x
        shape = x.shape
        flat = x.reshape(shape[0], shape[1], -1)
        out, clean = sae_forward(cfg, w, flat, ablate)
        if error_term:
            out = out + (flat - clean)
        return out.reshape(shape)

    c, p = model.cfg, model.params
    assert c.norm == "pre", "pre-LN models only"
    B, T = ids.shape
    x = p["wte.weight"][ids]
    if c.positional == "learned":
        x = x + p["wpe.weight"][:T]
    elif c.positional == "sinusoidal":
        x = x + torch_gpt.sinusoidal(T, c.d_model)
    H = c.n_head
    for l in range(c.n_layer):
        x = at(f"blocks.{l}.hook_resid_pre", x)
        h = model.ln(x, f"h.{l}.ln_1")
        q, k, v = model.linear(h, f"h.{l}.attn.c_attn").split(c.d_model, dim=2)
        q, k, v = (t.view(B, T, H, c.d_model // H).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(c.d_model // H)
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
        pattern = F.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)
        z = at(f"blocks.{l}.attn.hook_z", (pattern @ v).transpose(1, 2))        # [B, T, H, d_head]
        attn_out = at(f"blocks.{l}.hook_attn_out", model.linear(z.reshape(B, T, c.d_model), f"h.{l}.attn.c_proj"))
        x = at(f"blocks.{l}.hook_resid_mid", x + attn_out)
        if c.mlp != "none":
            hidden = model.linear(model.ln(x, f"h.{l}.ln_2"), f"h.{l}.mlp.c_fc")
            if c.mlp == "gelu":
                post = torch_gpt.gelu_tanh(hidden)
            elif c.mlp == "relu":
                post = F.relu(hidden)
            else:
                gate, up = hidden.split(c.d_mlp, dim=-1)
                post = F.silu(gate) * up
            post = at(f"blocks.{l}.mlp.hook_post", post)
            x = x + at(f"blocks.{l}.hook_mlp_out", model.linear(post, f"h.{l}.mlp.c_proj"))
        x = at(f"blocks.{l}.hook_resid_post", x)
    x = model.ln(x, "ln_f")
    unembed = p["wte.weight"] if c.tied else p["lm_head.weight"]
    return x @ unembed.t()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--sae", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--error-term", action="store_true")
    ap.add_argument("--ablate", type=int)
    a = ap.parse_args(argv)
    model = torch_gpt.load(a.model)
    cfg, hook, w = load_sae(a.sae)
    ids = torch.tensor([[int(s) for s in a.ids.split(",")]])
    with torch.no_grad():
        logits = spliced_logits(model, cfg, hook, w, ids, a.error_term, a.ablate)[0]
    json.dump({"hook": hook, "logits": logits.tolist()}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
