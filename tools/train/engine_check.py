#!/usr/bin/env python3
"""PyTorch's side of the engine-vs-PyTorch check of the shipped classifier (run by
tests/node/classifier_torch.test.mjs): a few validation crops, framed as validation frames them,
normalised with the file's mean/std, written as the exact float32 NHWC input, plus the logits
PyTorch computes for each crop and its mirror image with the .dfs read back into the training
model (f16 weights, folded BN). The test runs the same inputs through the wasm engine.

    /usr/bin/python3 tools/train/engine_check.py --out /tmp/x [--dfs models/classifier.dfs] [--n 8]

Writes OUT/input.f32 ([n, H, W, 3] float32 little-endian) and OUT/expected.json. DFDC data:
research, non-commercial use only; OUT must be outside the repo.
"""

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import dfs_io  # noqa: E402


def pick(rows, n):
    """The first n/2 fakes and n - n/2 reals of the validation split in the first shard that
    holds validation crops (one shard read), in manifest order."""
    val = [r for r in rows if data.is_val(r["source_video"])]
    shard = min(r["shard"] for r in val)
    val = [r for r in val if r["shard"] == shard]
    fakes = [r for r in val if r["label"] == "FAKE"][: n // 2]
    reals = [r for r in val if r["label"] == "REAL"][: n - n // 2]
    return shard, fakes + reals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--dfs", default=dfs_io.DEFAULT_DFS)
    ap.add_argument("--n", type=int, default=8)
    a = ap.parse_args()
    if os.path.abspath(a.out).startswith(data.REPO + os.sep):
        sys.exit("refusing to write DFDC-derived inputs inside the repo")
    torch.set_num_threads(1)
    model, header = dfs_io.load_dfs_into_model(a.dfs)
    model.eval()
    n_in = header["input"]["height"]
    mean = np.array(header["input"]["mean"], dtype=np.float32)
    std = np.array(header["input"]["std"], dtype=np.float32)

    shard, chosen = pick(data.read_manifest(), a.n)
    want = {r["file"]: k for k, r in enumerate(chosen)}
    x = np.zeros((len(chosen), n_in, n_in, 3), dtype=np.float32)
    found = 0
    with tarfile.open(os.path.join(data.DATA, shard)) as tar:
        for m in tar:
            k = want.get(m.name, want.get(os.path.basename(m.name)))
            if k is None or not m.isfile():
                continue
            img = np.asarray(Image.open(io.BytesIO(tar.extractfile(m).read())).convert("RGB"))
            crop = np.asarray(data.center_crop(img, n_in), dtype=np.float32)
            x[k] = (crop / 255.0 - mean) / std
            found += 1
    if found != len(chosen):
        sys.exit(f"only {found} of {len(chosen)} crops found in {shard}")

    has_kind = model.kind_fc is not None
    with torch.no_grad():
        t = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
        if has_kind:
            logit, kind = (v.double().numpy() for v in model(t, return_kind=True))
            logit_flip, kind_flip = (v.double().numpy() for v in
                                     model(torch.flip(t, dims=[3]), return_kind=True))
        else:
            logit = model(t).double().numpy()
            logit_flip = model(torch.flip(t, dims=[3])).double().numpy()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "input.f32"), "wb") as f:
        f.write(x.astype("<f4").tobytes())
    with open(a.dfs, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(a.out, "expected.json"), "w") as f:
        json.dump({"dfs_sha256": sha, "shape": list(x.shape),
                   "files": [r["file"] for r in chosen], "labels": [r["label"] for r in chosen],
                   "logit": logit.tolist(), "logit_flip": logit_flip.tolist(),
                   "tta": header.get("preprocess", {}).get("tta", "none"),
                   **({"kind_logit": kind.tolist(), "kind_logit_flip": kind_flip.tolist()}
                      if has_kind else {})}, f, indent=1)
    print(f"{len(chosen)} crops from {shard}: logits {np.round(logit, 4).tolist()}")


if __name__ == "__main__":
    main()
