#!/usr/bin/env python3
"""How much a face's score moves when the same photo is rotated, mirrored, turned grey or
re-encoded: the spread of the product's verdicts under changes that say nothing about
manipulation. Runs the real CLI (wasm engine, detector, crop) on variants of validation crops.

  /usr/bin/python3 tools/train/stability.py [--n 150] [--model F ...] [--out report.json]

Images: the first n/2 DFDC validation crops and n/2 faces-mixed validation crops (manifest
order, both labels), written with their variants to a temporary folder outside the repo. Per
variant: how often a face is still found, the mean and 90th percentile of |score - original|,
and how often the verdict at the model's own threshold flips. DFDC / faces-mixed terms apply to
the crops (research only); nothing is kept.
"""
import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

import numpy as np
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402

VARIANTS = {
    "rot90": lambda im: im.transpose(Image.ROTATE_90),
    "rot180": lambda im: im.transpose(Image.ROTATE_180),
    "rot270": lambda im: im.transpose(Image.ROTATE_270),
    "mirror": lambda im: im.transpose(Image.FLIP_LEFT_RIGHT),
    "grey": lambda im: ImageOps.grayscale(im).convert("RGB"),
    "jpeg50": None,  # re-encoded at quality 50 (below)
    "half": lambda im: im.resize((im.width // 2, im.height // 2), Image.BILINEAR),
}


def pick(n):
    rows = [(r, data.DATA) for r in data.read_manifest() if data.is_val(r["source_video"])][: n // 2]
    mixed = data.read_mixed_manifest()
    val = data.mixed_val_groups(mixed)
    rows += [(r, data.MIXED) for r in mixed if r["source_group"] in val][: n - len(rows)]
    return rows


def load(rows):
    out = {}
    by = {}
    for r, d in rows:
        by.setdefault((d, r["shard"]), {})[r["file"]] = r
    for (d, shard), want in by.items():
        with tarfile.open(os.path.join(d, shard)) as t:
            for m in t:
                r = want.get(m.name) or want.get(os.path.basename(m.name))
                if r is not None:
                    out[r["file"]] = Image.open(io.BytesIO(t.extractfile(m).read())).convert("RGB")
    return out


def cli_results(folder, model):
    """{file relative to folder: the CLI's --json object} for every image it read without an
    error, and the threshold it judged at."""
    cmd = ["node", os.path.join(data.REPO, "bin", "deepfake-shield.js"), "--json", folder]
    if model:
        cmd += ["--model", model]
    res = subprocess.run(cmd, capture_output=True, text=True)
    out, thr = {}, None
    for line in res.stdout.splitlines():
        o = json.loads(line)
        if o.get("error") is None:
            out[os.path.relpath(o["file"], folder)] = o
            thr = o.get("threshold", thr)
    return out, thr


def scores(folder, model):
    got, thr = cli_results(folder, model)
    return {k: o["fake"] for k, o in got.items()}, thr


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--model", action="append", default=None,
                    help="classifier .dfs (repeatable; default: the shipped one)")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    imgs = load(pick(a.n))
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, im) in enumerate(sorted(imgs.items())):
            stem = f"{i:04d}.png"
            os.makedirs(os.path.join(tmp, "orig"), exist_ok=True)
            im.save(os.path.join(tmp, "orig", stem))
            for v, f in VARIANTS.items():
                os.makedirs(os.path.join(tmp, v), exist_ok=True)
                if v == "jpeg50":
                    buf = io.BytesIO()
                    im.save(buf, "JPEG", quality=50)
                    with open(os.path.join(tmp, v, stem.replace(".png", ".jpg")), "wb") as fh:
                        fh.write(buf.getvalue())
                else:
                    f(im).save(os.path.join(tmp, v, stem))
        for model in a.model or [None]:
            base, thr = scores(os.path.join(tmp, "orig"), model)
            rep = {"n": len(base), "threshold": thr, "variants": {}}
            for v in VARIANTS:
                got, _ = scores(os.path.join(tmp, v), model)
                got = {k.replace(".jpg", ".png"): s for k, s in got.items()}
                pairs = [(base[k], got.get(k)) for k in base if base[k] is not None]
                found = [(b, g) for b, g in pairs if g is not None]
                d = np.abs(np.array([g - b for b, g in found])) if found else np.zeros(0)
                flips = sum((b >= thr) != (g >= thr) for b, g in found) if thr is not None else 0
                rep["variants"][v] = {
                    "face_found": round(len(found) / max(1, len(pairs)), 3),
                    "mean_abs_change": round(float(d.mean()), 4) if len(d) else None,
                    "p90_abs_change": round(float(np.percentile(d, 90)), 4) if len(d) else None,
                    "verdict_flips": round(flips / max(1, len(found)), 3)}
            report[model or "models/classifier.dfs"] = rep
            print(json.dumps({model or "shipped": rep}, indent=1), flush=True)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
