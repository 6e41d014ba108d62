#!/usr/bin/env python3
"""How the verdict holds up on small faces: validation crops re-rendered so that the face has
only N pixels across (shrunk by area averaging until the detector's box is N wide, then scaled
back up to the original size, so the detector and the crop see the same geometry with N
pixels' worth of detail), then run through the real CLI (wasm engine, detector, crop).

  /usr/bin/python3 tools/train/size_check.py [--sizes 24,32,48,64,96] [--n-dfdc 1200]
      [--model F] [--out tools/train/size_report.json]

Images: --n-dfdc DFDC validation crops picked at random (seed 0) and every faces-mixed
validation crop, both labels. Per size: faces still found, AUC (DFDC; faces-mixed fakes of
every kind against its reals), the share of fakes caught and of reals flagged at the model's
own threshold, and the mean |score change| against the full-size crop. The full-size row is
the same crops untouched. Written to a temporary folder outside the repo; DFDC / faces-mixed
terms apply to the crops (research only); nothing is kept.
"""
import argparse
import json
import os
import random
import sys
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import metrics  # noqa: E402
import stability  # noqa: E402


def pick(n_dfdc, seed=0):
    """[(row, pool dir, 'dfdc'|'mixed', label 0/1)]: n_dfdc random DFDC validation crops and
    every faces-mixed validation crop."""
    dfdc = [r for r in data.read_manifest() if data.is_val(r["source_video"])]
    random.Random(seed).shuffle(dfdc)
    mixed = data.read_mixed_manifest()
    val = data.mixed_val_groups(mixed)
    out = [(r, data.DATA, "dfdc", int(r["label"] == "FAKE")) for r in dfdc[:n_dfdc]]
    out += [(r, data.MIXED, "mixed", int(r["label"] == "FAKE")) for r in mixed
            if r["source_group"] in val]
    return out


def run_cli(folder, model):
    """{relative file: (fake prob, box width of its most suspicious face) or None when no
    face}, and the threshold."""
    got, thr = stability.cli_results(folder, model)
    return {k: (o["fake"], max(o["faces"], key=lambda f: f["fake"])["box"][2]) if o["faces"]
            else None for k, o in got.items()}, thr


def shrink(im, face_px, box_w):
    """im with its face box box_w wide re-rendered at face_px across, back at im's size."""
    s = face_px / box_w
    if s >= 1:
        return im
    w, h = max(1, round(im.width * s)), max(1, round(im.height * s))
    return im.resize((w, h), Image.BOX).resize(im.size, Image.BICUBIC)


def summarize(rows, base, got, thr):
    """One size's numbers from the scores got (and the full-size scores base)."""
    rep = {}
    found = [k for k in base if base[k] is not None and got.get(k) is not None]
    rep["face_found"] = round(len(found) / max(1, sum(v is not None for v in base.values())), 3)
    for pool in ("dfdc", "mixed"):
        keys = [k for k in found if rows[k][0] == pool]
        p = np.array([got[k][0] for k in keys])
        y = np.array([rows[k][1] for k in keys])
        rep[pool] = {
            "n": len(keys),
            "auc": round(float(metrics.auc(p, y)), 4) if 0 < y.sum() < len(y) else None,
            "caught": round(float((p[y == 1] >= thr).mean()), 3) if (y == 1).any() else None,
            "real_flagged": round(float((p[y == 0] >= thr).mean()), 3) if (y == 0).any() else None,
        }
    d = np.abs([got[k][0] - base[k][0] for k in found])
    rep["mean_abs_change"] = round(float(d.mean()), 4) if len(d) else None
    return rep


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="24,32,48,64,96")
    ap.add_argument("--n-dfdc", type=int, default=1200)
    ap.add_argument("--model", default="")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    picked = pick(a.n_dfdc)
    imgs = stability.load([(r, d) for r, d, _, _ in picked])
    info = {r["file"]: (pool, y) for r, _, pool, y in picked}
    report = {"model": a.model or "models/classifier.dfs", "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        names = {}
        os.makedirs(os.path.join(tmp, "full"))
        for i, (name, im) in enumerate(sorted(imgs.items())):
            names[f"{i:05d}.png"] = name
            im.save(os.path.join(tmp, "full", f"{i:05d}.png"))
        rows = {k: info[v] for k, v in names.items()}
        base, thr = run_cli(os.path.join(tmp, "full"), a.model)
        report["threshold"] = thr
        report["sizes"]["full"] = summarize(rows, base, base, thr)
        print("full", json.dumps(report["sizes"]["full"]), flush=True)
        for px in [int(v) for v in a.sizes.split(",")]:
            folder = os.path.join(tmp, str(px))
            os.makedirs(folder)
            for stem, name in names.items():
                if base.get(stem) is not None:
                    shrink(imgs[name], px, base[stem][1]).save(os.path.join(folder, stem))
            got, _ = run_cli(folder, a.model)
            report["sizes"][str(px)] = summarize(rows, base, got, thr)
            print(px, json.dumps(report["sizes"][str(px)]), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
