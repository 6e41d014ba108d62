#!/usr/bin/env python3
"""Writes the validation split's JPEGs (bytes as stored in the shards) and a labels.csv into a
folder OUTSIDE the repo, so `deepfake-shield eval DIR` measures the shipped model through the
wasm engine and the product's own detector/crop. DFDC data: research, non-commercial use only.
  python3 tools/train/export_val_dir.py /tmp/dfdc-val [--limit N]
"""
import argparse
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(__file__))
import data  # noqa: E402  (the split definition lives there)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--limit", type=int, default=0, help="first N validation crops only")
    a = ap.parse_args()
    if os.path.abspath(a.out).startswith(os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))):
        sys.exit("refusing to write DFDC crops inside the repo")
    rows = [r for r in data.read_manifest() if data.is_val(r["source_video"])]
    if a.limit:
        rows = rows[: a.limit]
    want = {r["file"]: r for r in rows}
    os.makedirs(a.out, exist_ok=True)
    by_shard = {}
    for r in rows:
        by_shard.setdefault(r["shard"], []).append(r["file"])
    for shard in sorted(by_shard):
        with tarfile.open(os.path.join(data.DATA, shard)) as t:
            for m in t:
                name = os.path.basename(m.name)
                if name in want:
                    with open(os.path.join(a.out, name), "wb") as f:
                        f.write(t.extractfile(m).read())
    with open(os.path.join(a.out, "labels.csv"), "w") as f:
        f.write("file,label\n")
        for r in rows:
            f.write(f"{r['file']},{r['label']}\n")
    print(f"{len(rows)} validation crops -> {a.out}")


if __name__ == "__main__":
    main()
