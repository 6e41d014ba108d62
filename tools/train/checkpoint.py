"""The training checkpoint kept in the repository, so that a session on a fresh machine resumes
exactly where the last one stopped (weights and optimizer state), not from the shipped .dfs
(int8/f16 weights, no AdamW moments, BatchNorm folded).

cache/last.pt is the working checkpoint (gitignored, this machine only). The repository copy,
tools/train/checkpoint/last.pt, holds the same thing packed: the weights and BatchNorm
statistics in f32 as they are, AdamW's two moment tensors in bfloat16 (f32's range, 8 bits of
mantissa), which halves the optimizer's share of the file. train.py writes it beside every
cache/last.pt of a main run (not side runs) and --resume reads it when cache/last.pt is absent.

    /usr/bin/python3 tools/train/checkpoint.py                 # pack cache/last.pt now
    /usr/bin/python3 tools/train/checkpoint.py --check         # what the repository copy holds
"""

import argparse
import os
import sys

import torch

import data

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_CKPT = os.path.join(HERE, "checkpoint", "last.pt")
MOMENTS = ("exp_avg", "exp_avg_sq")


def pack(ck):
    """A copy of a train.py checkpoint with AdamW's moments in bfloat16."""
    opt = ck["opt"]
    packed_state = {}
    for pid, st in opt["state"].items():
        packed_state[pid] = {k: (v.to(torch.bfloat16) if k in MOMENTS else v)
                             for k, v in st.items()}
    return dict(ck, opt={"state": packed_state, "param_groups": opt["param_groups"]},
                packed="moments bf16")


def unpack(ck):
    """The inverse of pack (moments back to f32); an unpacked checkpoint comes back as it is."""
    if not ck.get("packed"):
        return ck
    opt = ck["opt"]
    state = {pid: {k: (v.float() if k in MOMENTS else v) for k, v in st.items()}
             for pid, st in opt["state"].items()}
    out = dict(ck, opt={"state": state, "param_groups": opt["param_groups"]})
    out.pop("packed")
    return out


def save(ck, path=REPO_CKPT):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(pack(ck), path + ".tmp")
    os.replace(path + ".tmp", path)


def load(path=REPO_CKPT):
    return unpack(torch.load(path, map_location="cpu"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", nargs="?", default=os.path.join(data.CACHE, "last.pt"))
    ap.add_argument("--check", action="store_true",
                    help="describe the repository copy instead of writing it")
    args = ap.parse_args()
    if args.check:
        ck = torch.load(REPO_CKPT, map_location="cpu")
        st = ck["state"]
        n = sum(v.numel() for v in ck["model"].values() if v.is_floating_point())
        print(f"{REPO_CKPT}: {os.path.getsize(REPO_CKPT)} bytes, {n} model floats, "
              f"epoch {st['epoch']}, steps {st['steps']}, images {st['images']}, "
              f"cycles {len(st.get('cycles', []))}, packed {ck.get('packed')}")
        return 0
    save(torch.load(args.src, map_location="cpu"))
    print(f"{args.src} -> {REPO_CKPT} ({os.path.getsize(REPO_CKPT)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
