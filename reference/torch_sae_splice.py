#!/usr/bin/python3
"""The PyTorch reference for a sparse autoencoder spliced into a model (SAELens's HookedSAETransformer
with one SAE attached): the logits of one sequence with the activation at the SAE's hook replaced by
the SAE's output.

  torch_sae_splice.py --model DIR --sae DIR --ids 1,2,3 [--error-term] [--ablate I]

DIR of --model: a Loupe model directory; DIR of --sae: an SAELens directory. The model's hooked
forward pass and the SAE's encode/decode are those of torch_sae.py (beside this file):

  x^  = decode(activate(encode_pre(x)))            with feature I zeroed first under --ablate
  out = x^ (+ (x - x^_clean) with --error-term: x^_clean decoded from the features before --ablate)

Prints {"hook": ..., "logits": [[...] per position]}.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_gpt  # noqa: E402
import torch_sae  # noqa: E402


def splice(cfg, w, error_term, ablate):
    """The function applied at the hook: x [B, T, d_in] -> the SAE's output."""
    def fn(x):
        f = torch_sae.activate(cfg, w, torch_sae.encode_pre(cfg, w, x))
        clean = torch_sae.decode(w, f)
        if ablate is not None:
            f = f.clone()
            f[..., ablate] = 0
        out = torch_sae.decode(w, f)
        return out + (x - clean) if error_term else out
    return fn


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--sae", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--error-term", action="store_true")
    ap.add_argument("--ablate", type=int)
    a = ap.parse_args(argv)
    model = torch_gpt.load(a.model)
    cfg, w = torch_sae.load_sae(a.sae)
    hook = cfg["metadata"]["hook_name"]
    ids = torch.tensor([[int(s) for s in a.ids.split(",")]])
    with torch.no_grad():
        logits = torch_sae.forward_with_hook(model, ids, hook, splice(cfg, w, a.error_term, a.ablate))[0]
    json.dump({"hook": hook, "logits": logits.tolist()}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
