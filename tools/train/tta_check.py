#!/usr/bin/env python3
"""Does averaging over several framings of a face help? Scores the validation split (DFDC by
source video, faces-mixed by group) with a .dfs read back into PyTorch at crop sides around the
product's (box + margin), each with flip TTA, and reports AUCs per framing and for the mean
logit over framings. The framings are chosen here, on the split they are reported on: a
measurement to decide whether the product should do it, not a held-out number.

  nice -n 10 /usr/bin/python3 tools/train/tta_check.py [--dfs models/classifier.dfs] \
      [--sides 0.95 1.115 1.3] [--json out.json]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import dfs_io  # noqa: E402
import metrics  # noqa: E402
from train import cache_size_for, predict, val_tensor  # noqa: E402


def report(z, y, src, kind):
    """AUCs: DFDC, faces-mixed, each fake kind against the pooled faces-mixed reals."""
    dfdc = src == "dfdc"
    r = {"dfdc_auc": metrics.auc(z[dfdc], y[dfdc]), "mixed_auc": metrics.auc(z[~dfdc], y[~dfdc])}
    reals = (~dfdc) & (y == 0)
    for k in data.FAKE_KINDS:
        sel = kind == k
        r[f"auc_{k}"] = metrics.auc_fakes_vs_reals(z[sel], z[reals])
    return {k: round(v, 4) for k, v in r.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dfs", default=dfs_io.DEFAULT_DFS)
    ap.add_argument("--sides", type=float, nargs="+", default=[0.95, data.PRODUCT_SIDE, 1.3])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, header = dfs_io.load_dfs_into_model(a.dfs)
    n = header["input"]["height"]

    rows = data.read_manifest()
    labels, is_val = data.split(rows)
    mixed = data.read_mixed_manifest()
    mval = data.mixed_val_groups(mixed)
    crops = data.Pools(data.build_cache(rows, cache_size_for(n)),
                       data.build_mixed_cache(mixed, cache_size_for(n)))
    idx = np.r_[np.flatnonzero(is_val),
                len(rows) + np.flatnonzero([r["source_group"] in mval for r in mixed])]
    y = np.r_[labels, [r["label"] == "FAKE" for r in mixed]].astype(np.int8)[idx]
    kind = np.array(["dfdc"] * len(rows) + [r["kind"] for r in mixed], dtype=object)[idx]
    src = np.where(kind == "dfdc", "dfdc", "mixed")

    zs, out = [], {"n": int(len(idx)), "sides": a.sides, "per_side": {}}
    for s in a.sides:
        z = predict(model, val_tensor(crops, idx, n, s), tta="flip")
        zs.append(z)
        out["per_side"][f"{s:.3f}"] = report(z, y, src, kind)
        print(f"side {s:.3f}", json.dumps(out["per_side"][f"{s:.3f}"]), flush=True)
    out["mean_logit"] = report(np.mean(zs, axis=0), y, src, kind)
    print("mean over sides", json.dumps(out["mean_logit"]), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
