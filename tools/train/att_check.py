#!/usr/bin/env python3
"""Does the classifier's AutoAtt map point at manipulated pixels? Measured on self-blended
images (SBI), where we know which pixels were blended: the share of the map's mass inside the
blend mask, for the blended crop and for the same real crop with the same mask (the map's
baseline for that region), on DFDC + faces-mixed validation reals.

    /usr/bin/python3 tools/train/att_check.py [--dfs models/classifier.dfs] [--n 300]

If the blended crops' share is not clearly above the reals', the map shows where the model
looks, not what is fake, and the page must say so (it does). Prints one JSON object.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import dfs_io  # noqa: E402
import metrics  # noqa: E402


def sbi_with_mask(img, rng):
    """data.self_blend and the pixels it changed visibly (the blended region)."""
    out = data.self_blend(img, rng)
    diff = np.abs(out.astype(np.float32) - img.astype(np.float32)).sum(axis=2)
    return out, diff > 3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dfs", default=dfs_io.DEFAULT_DFS)
    ap.add_argument("--n", type=int, default=300)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, header = dfs_io.load_dfs_into_model(a.dfs)
    model.eval()
    n_in = header["input"]["height"]
    rows = data.read_manifest()
    labels, is_val = data.split(rows)
    crops = data.build_cache(rows, int(np.ceil(n_in * 1.25 / 8) * 8))
    reals = [i for i in np.flatnonzero(is_val & (labels == 0))][: a.n]
    rng = np.random.default_rng(0)
    share_fake, share_real, logit_fake, logit_real = [], [], [], []
    for i in reals:
        img = np.asarray(crops[i])
        blended, mask = sbi_with_mask(img, rng)
        if mask.mean() < 0.02:
            continue
        for im, shares, logits in ((blended, share_fake, logit_fake), (img, share_real, logit_real)):
            x = data.to_chw(data.center_crop(im, n_in))
            m = np.asarray(data.center_crop(np.repeat(mask[..., None] * 255, 3, axis=2).astype(np.uint8), n_in))[..., 0] > 127
            with torch.no_grad():
                logit, att = model(torch.from_numpy(x)[None], return_att=True)
            amap = torch.nn.functional.interpolate(att, size=(n_in, n_in), mode="bilinear",
                                                   align_corners=False)[0, 0].numpy()
            amap = amap - amap.min()
            shares.append(float((amap * m).sum() / max(1e-9, amap.sum())))
            logits.append(float(logit[0]))
    sf, sr = np.array(share_fake), np.array(share_real)
    out = {"n": int(len(sf)),
           "att_share_in_blend_region_blended": round(float(sf.mean()), 4),
           "att_share_in_blend_region_real": round(float(sr.mean()), 4),
           "paired_difference_mean": round(float((sf - sr).mean()), 4),
           "share_auc_blended_vs_real": round(metrics.auc_fakes_vs_reals(sf, sr), 4),
           "logit_auc_blended_vs_real": round(metrics.auc_fakes_vs_reals(logit_fake, logit_real), 4),
           "dfs": os.path.relpath(a.dfs, data.REPO)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
