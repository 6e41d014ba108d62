"""Measures how the product's classifier crop frames a face compared with the stored crops.

The product runs BlazeFace on the photo and classifies the square crop centred on the box with
side = (1 + 2 x margin) x max(box w, h), margin = the classifier header's preprocess.margin (0.1
since the fifth cycle; 0.2 when this was measured; src/pipeline/classifier.cc). Here each stored
224x224 crop is placed in the middle of a black canvas (twice its side, so the face is at a
scale BlazeFace short-range expects), the short-range model runs through the independent
PyTorch reference (tools/golden/blazeface_torch.py), and the best box gives, in units of the
stored crop's side: the product crop's side and its centre offset. Side > 1 means the product
sees more context than the stored crop holds. (Measured with margin 0.2, i.e. side = 1.4 x box;
data.py keeps the box side, 1.30 / 1.4 = 0.929, and derives the product's side at its margin;
crop.py cuts it with the engine's own resampling.)

    nice -n 10 /usr/bin/python3 tools/train/framing.py --n 400
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

import data

sys.path.insert(0, os.path.join(data.REPO, "tools", "golden"))
from blazeface_torch import MODELS, MP_DIR, TorchTflite, outputs_by_role  # noqa: E402


def short_range_anchors():
    """MediaPipe SSD anchors of face_detection_short_range: strides 8,16,16,16 on 128, fixed
    size; cells row-major, consecutive same-stride layers interleaved per cell."""
    out = []
    for stride, per_cell in ((8, 2), (16, 6)):
        f = 128 // stride
        for y in range(f):
            for x in range(f):
                out += [((x + 0.5) / f, (y + 0.5) / f)] * per_cell
    return np.array(out, dtype=np.float64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--canvas", type=float, default=2.0, help="canvas side / crop side")
    ap.add_argument("--json", default=os.path.join(data.CACHE, "framing.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    net = TorchTflite(os.path.join(MP_DIR, MODELS["short"][0]))
    anchors = short_range_anchors()
    rows = data.read_manifest()
    labels, _ = data.split(rows)
    crops = data.build_cache(rows, 160)  # same pixels as training, 160 px
    rng = np.random.default_rng(0)
    pick = rng.choice(len(rows), args.n, replace=False)
    res = []
    inner = int(round(128 / args.canvas))
    for i in pick:
        canvas = np.zeros((128, 128, 3), np.uint8)
        o = (128 - inner) // 2
        canvas[o:o + inner, o:o + inner] = np.asarray(
            Image.fromarray(np.asarray(crops[i])).resize((inner, inner), Image.BILINEAR))
        x = (canvas.astype(np.float32) / 127.5 - 1.0)[None]
        scores, boxes = outputs_by_role(net.model, net.run([x]))
        b = int(np.argmax(scores))
        score = 1 / (1 + np.exp(-np.clip(scores[b], -100, 100)))
        cx = boxes[b, 0] / 128 + anchors[b, 0]
        cy = boxes[b, 1] / 128 + anchors[b, 1]
        w, h = boxes[b, 2] / 128, boxes[b, 3] / 128
        # to units of the stored crop's side, origin at the crop's centre
        u = 128 / inner
        res.append({"i": int(i), "fake": int(labels[i]), "score": float(score),
                    "side": float(max(w, h) * 1.4 * u),
                    "dx": float((cx - 0.5) * u), "dy": float((cy - 0.5) * u)})
    ok = [r for r in res if r["score"] >= 0.5]
    side = np.array([r["side"] for r in ok])
    dx = np.array([r["dx"] for r in ok])
    dy = np.array([r["dy"] for r in ok])
    q = [5, 25, 50, 75, 95]
    summary = {"n": len(res), "detected": len(ok), "canvas": args.canvas,
               "side_pct": dict(zip(map(str, q), np.percentile(side, q).round(3).tolist())),
               "dx_pct": dict(zip(map(str, q), np.percentile(dx, q).round(3).tolist())),
               "dy_pct": dict(zip(map(str, q), np.percentile(dy, q).round(3).tolist())),
               "side_gt_1": float((side > 1).mean())}
    print(json.dumps(summary, indent=1))
    with open(args.json, "w") as f:
        json.dump({"summary": summary, "faces": res}, f)


if __name__ == "__main__":
    main()
