#!/usr/bin/env python3
"""Within-source check of faces-mixed: fakes against the reals *of the same source repository*.

faces-mixed's per-kind AUCs (train.py, calibrate_product.py) compare each fake kind with the
pooled validation reals, and its sources were processed differently before they reached us
(FF++ c40 video frames are soft, SDFD portraits sharp, FFHQ thumbnails upscaled). A score that
only tracked a source's look would still rank well there. Where one repository holds both labels
(FF++ originals and their manipulations, StyleGAN2 faces and the FFHQ or Unsplash photos packed
with them, inswapper swaps and the inputs they were pasted into, the Laboratoriet game's AI and
real photos), the two sides share that pipeline, so the AUC inside the repository is the fairer
in-distribution number.

For each such repository and fake kind it reports:
- the model's AUC on the validation groups only (PyTorch, validation framing, flip TTA);
- the AUC of one hand-made statistic on every crop, no training at all: the log standard
  deviation of a 3x3 Laplacian over the face's centre (sharpness/noise). High against the pooled
  reals but near 0.5 inside a repository means the pooled number partly measures the source.

    /usr/bin/python3 tools/train/paired_check.py [--model models/classifier.dfs] [--write]

--write saves tools/train/paired_report.json (committed; report_tables.py prints it).
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import metrics  # noqa: E402
import train_state  # noqa: E402

OUT = os.path.join(HERE, "paired_report.json")


def sharpness(crop):
    """log std of the 3x3 Laplacian of the grey centre half of a stored crop (the face)."""
    s = crop.shape[0]
    g = crop[s // 4: s - s // 4, s // 4: s - s // 4].astype(np.float32).mean(2)
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    return float(np.log(lap.std() + 1e-3))


def paired_aucs(rows, score, use):
    """{repo: {kind: [AUC, n fakes, n reals], ...}} for the fakes of each kind against the reals
    of the same repository, over the rows where use is true; "pooled" holds each kind against
    every used real (the number train.py reports)."""
    repo = np.array([r["source_repo"] for r in rows])
    kind = np.array([r["kind"] for r in rows])
    out, real = {}, use & (kind == "real")

    def entry(f, r):
        return [round(metrics.auc_fakes_vs_reals(score[f], score[r]), 4), int(f.sum()), int(r.sum())]

    for k in data.FAKE_KINDS:
        fk = use & (kind == k)
        if fk.any() and real.any():
            out.setdefault("pooled", {})[k] = entry(fk, real)
        for rp in sorted(set(repo[fk])):
            f, r = fk & (repo == rp), real & (repo == rp)
            if r.sum() and f.sum():
                out.setdefault(rp, {})[k] = entry(f, r)
    return out


def table(rep):
    """Markdown: one row per (repository, kind), the model's validation AUC beside the
    statistic's AUC on all crops and on the validation crops."""
    m, s_all, s_val = rep["model"], rep["sharpness_all"], rep["sharpness_val"]
    lines = ["| fakes vs reals of | kind | model AUC (val) | n fake / real (val) | "
             "sharpness AUC (val) | sharpness AUC (all crops) | n fake / real (all) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for rp in ["pooled"] + sorted(k for k in s_all if k != "pooled"):
        for k in data.FAKE_KINDS:
            a = s_all.get(rp, {}).get(k)
            if not a:
                continue
            mv, sv = m.get(rp, {}).get(k), s_val.get(rp, {}).get(k)
            name = "every real (pooled)" if rp == "pooled" else rp
            lines.append(f"| {name} | {k} | {f'{mv[0]:.3f}' if mv else '-'} | "
                         f"{f'{mv[1]} / {mv[2]}' if mv else '-'} | {f'{sv[0]:.3f}' if sv else '-'} | "
                         f"{a[0]:.3f} | {a[1]} / {a[2]} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(data.REPO, "models", "classifier.dfs"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--table", action="store_true", help="print the saved report's table")
    a = ap.parse_args()
    if a.table:
        print(table(train_state.load(OUT)))
        return 0
    import torch

    import dfs_io
    from train import cache_size_for, predict, val_tensor
    torch.set_num_threads(a.threads)
    model, header = dfs_io.load_dfs_into_model(a.model)
    n_in = header["input"]["height"]
    rows = data.read_mixed_manifest()
    crops = data.build_mixed_cache(rows, cache_size_for(n_in))
    groups = data.mixed_val_groups(rows)
    val = np.array([r["source_group"] in groups for r in rows])
    sharp = np.array([sharpness(crops[i]) for i in range(len(rows))])
    z = np.full(len(rows), np.nan)
    vi = np.flatnonzero(val)
    z[vi] = predict(model, val_tensor(crops, vi, n_in))
    everything = np.ones(len(rows), bool)
    rep = {"model_file": os.path.relpath(a.model, data.REPO), "input": n_in,
           "model": paired_aucs(rows, z, val), "sharpness_val": paired_aucs(rows, sharp, val),
           "sharpness_all": paired_aucs(rows, sharp, everything),
           "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    print(table(rep))
    if a.write:
        train_state.save(rep, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
