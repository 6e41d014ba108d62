"""Evaluates a shipped .dfs (read back into PyTorch, f16 weights, folded BN) or a checkpoint on
the validation split, using the file's own calibration; optionally re-exports a checkpoint.

    nice -n 5 /usr/bin/python3 tools/train/evaluate.py                      # models/classifier.dfs
    nice -n 5 /usr/bin/python3 tools/train/evaluate.py --ckpt tools/train/cache/best.pt --export

--export recalibrates (temperature, threshold at FPR <= 10% on val reals) from this evaluation
and writes models/classifier.dfs through the shared converter.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch

import data
import dfs_io
import metrics
import train_state
from effnet_model import EffNetClassifier
from train import cache_size_for, predict, val_tensor


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dfs", default=dfs_io.DEFAULT_DFS)
    ap.add_argument("--ckpt", help="a cache/*.pt checkpoint instead of the .dfs")
    ap.add_argument("--export", action="store_true", help="with --ckpt: write --dfs from it")
    ap.add_argument("--max-fpr", type=float, default=0.10)
    ap.add_argument("--tta", choices=["flip", "none"],
                    help="default: the file's preprocess.tta (a checkpoint: flip)")
    ap.add_argument("--json", help="write the metrics here")
    args = ap.parse_args()
    torch.set_num_threads(2)

    if args.ckpt:
        ck = torch.load(args.ckpt, map_location="cpu")
        model, n = EffNetClassifier(ck["arch"]), ck["input"]
        model.load_state_dict(ck["model"])
        cal, tta = None, args.tta or "flip"
    else:
        model, header = dfs_io.load_dfs_into_model(args.dfs)
        n, cal = header["input"]["height"], header["calibration"]
        tta = args.tta or header["preprocess"].get("tta", "none")
        if not (np.allclose(header["input"]["mean"], data.MEAN_STD[0], atol=1e-6)
                and np.allclose(header["input"]["std"], data.MEAN_STD[1], atol=1e-6)):
            raise SystemExit("the file's mean/std differ from what data.py normalises with")
    model = model.to(memory_format=torch.channels_last)

    rows = data.read_manifest()
    labels, is_val = data.split(rows)
    val_idx = np.flatnonzero(is_val)
    crops = data.build_cache(rows, cache_size_for(n))
    logits = predict(model, val_tensor(crops, val_idx, n), tta=tta)
    y = labels[val_idx]
    m = metrics.evaluate(logits, y, args.max_fpr)
    m["tta"], m["val_side"] = tta, data.PRODUCT_SIDE
    if cal is not None:  # the shipped file's own calibration, as the engine will apply it
        p = metrics.sigmoid(logits / cal["temperature"])
        tpr, fpr = metrics.rates(p, y, cal["threshold"])
        m["shipped"] = {"temperature": cal["temperature"], "threshold": cal["threshold"],
                        "logloss": metrics.log_loss(logits, y, cal["temperature"]),
                        "acc": float(((p >= cal["threshold"]) == y.astype(bool)).mean()),
                        "tpr": tpr, "fpr": fpr}
    print(json.dumps(m, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(m, f, indent=1)
    if args.export:
        if not args.ckpt:
            raise SystemExit("--export needs --ckpt")
        extra = {"val_auc": m["auc"], "val_logloss": m["logloss"],
                 "trainer": "tools/train/train.py"}
        st = train_state.load()
        if st:
            extra.update({"val_split": st.get("recipe", {}).get("val"),
                          "epochs": st.get("epoch")})
        header = dfs_io.build_header(model.arch, n, data.MEAN, data.STD, m, tta, extra)
        nbytes, sha = dfs_io.export_dfs(model, args.dfs, header)
        print(f"exported {args.dfs}: {nbytes} bytes, sha256 {sha}")
        if st and os.path.abspath(args.dfs) == os.path.abspath(dfs_io.DEFAULT_DFS):
            # The shipped file is the checkpoint between sessions: state.json's best describes it.
            counters = {k: v for k, v in ck.get("metrics", {}).items()
                        if k in ("epoch", "steps", "images", "train_minutes")}
            st["best"] = dict(m, **counters, dfs_sha256=sha, exported_by="tools/train/evaluate.py",
                              time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            train_state.save(st)
            print(f"updated {train_state.PATH} (best)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
