"""Recomputes, with numpy from the saved .npy files, the measures `loupe reproduce superposition`
reports for every model of a report directory (Elhage et al. 2022, "Toy Models of Superposition"):
per-feature norms ||W_i||, superposition sum_{j!=i} (W^_i . W_j)^2, feature dimensionality
D_i = ||W_i||^2 / sum_j (W^_i . W_j)^2, dimensions per feature D* = m / ||W||_F^2, and the number of
features with ||W_i|| > 0.5. Prints one JSON object per model, in report order."""
import json
import os
import sys

import numpy as np

out = sys.argv[1]
report = json.load(open(os.path.join(out, "report.json")))
rows = []
for model in report["models"]:
    W = np.load(os.path.join(out, model["w_path"])).astype(np.float64)   # [m, n]
    b = np.load(os.path.join(out, model["b_path"]))
    assert W.shape == (model["m"], model["n"]) and b.shape == (model["n"],)
    norms = np.linalg.norm(W, axis=0)                                     # ||W_i||
    safe = np.where(norms > 0, norms, 1.0)
    overlaps = (W / safe).T @ W                                           # [i, j] = W^_i . W_j
    total = (overlaps ** 2).sum(axis=1)                                   # sum over all j
    own = norms ** 2
    superposition = np.where(norms > 0, total - own, 0.0)
    dimensionality = np.where(norms > 0, own / np.where(total > 0, total, 1.0), 0.0)
    rows.append({
        "feature_norms": norms.tolist(),
        "superposition": superposition.tolist(),
        "feature_dimensionality": dimensionality.tolist(),
        "dimensions_per_feature": float(model["m"] / (W ** 2).sum()),
        "features_represented": int((norms > 0.5).sum()),
    })
print(json.dumps(rows))
