#!/usr/bin/env python3
"""Writes validation crops (bytes as stored in the shards) and a labels.csv into a folder OUTSIDE
the repo, so `deepfake-shield eval DIR` measures a model through the wasm engine and the
product's own detector and crop.

  python3 tools/train/export_val_dir.py /tmp/dfdc-val [--limit N]          # DFDC validation
  python3 tools/train/export_val_dir.py /tmp/mixed-val --pool mixed        # faces-mixed groups
  python3 tools/train/export_val_dir.py /tmp/mixed-all --pool mixed --kind gan --all

labels.csv is `file,label,source` (eval reads the first two; source is `dfdc` or
`<kind>:<generator>` for the per-source tables). DFDC: research, non-commercial use only;
faces-mixed: research use only (see its README).
"""
import argparse
import os
import sys
import tarfile

sys.path.insert(0, os.path.dirname(__file__))
import data  # noqa: E402  (the split definitions live there)


def export(out, rows, data_dir, name_of):
    """rows: manifest rows; name_of(row) -> file name inside out. Returns the label rows."""
    os.makedirs(out, exist_ok=True)
    by_shard = {}
    for r in rows:
        by_shard.setdefault(r["shard"], {})[r["file"]] = r
    for shard in sorted(by_shard):
        want = by_shard[shard]
        with tarfile.open(os.path.join(data_dir, shard)) as t:
            for m in t:
                r = want.get(m.name) or want.get(os.path.basename(m.name))
                if r is not None and m.isfile():
                    dest = os.path.join(out, name_of(r))
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    with open(dest, "wb") as f:
                        f.write(t.extractfile(m).read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--pool", choices=["dfdc", "mixed"], default="dfdc")
    ap.add_argument("--kind", default="", help="mixed: only this kind (real, gan, ...)")
    ap.add_argument("--all", action="store_true", help="mixed: every group, not only validation")
    ap.add_argument("--limit", type=int, default=0, help="first N crops only")
    a = ap.parse_args()
    if os.path.abspath(a.out).startswith(os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))):
        sys.exit("refusing to write dataset crops inside the repo")
    if a.pool == "dfdc":
        rows = [r for r in data.read_manifest() if data.is_val(r["source_video"])]
        src, name_of, source = data.DATA, lambda r: r["file"], lambda r: "dfdc"
    else:
        allrows = data.read_mixed_manifest()
        val = data.mixed_val_groups(allrows)
        rows = [r for r in allrows if (a.all or r["source_group"] in val) and a.kind in ("", r["kind"])]
        src, name_of = data.MIXED, lambda r: r["file"]
        source = lambda r: f"{r['kind']}:{r['generator']}"  # noqa: E731
    if a.limit:
        rows = rows[: a.limit]
    export(a.out, rows, src, name_of)
    with open(os.path.join(a.out, "labels.csv"), "w") as f:
        f.write("file,label,source\n")
        for r in rows:
            f.write(f"{name_of(r)},{r['label']},{source(r)}\n")
    print(f"{len(rows)} {a.pool} crops -> {a.out}")


if __name__ == "__main__":
    main()
