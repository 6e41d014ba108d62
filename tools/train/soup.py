#!/usr/bin/env python3
"""A weight-averaged model ("uniform soup", after Wortsman et al., ICML 2022) of checkpoints that
were fine-tuned from one common checkpoint, written as a train.py checkpoint so that train.py
itself measures it with its own validation and exports it when it beats the best so far:

    /usr/bin/python3 tools/train/soup.py tools/train/cache/soup/last.pt \\
        tools/train/cache/last.pt tools/train/cache/soften/last.pt
    /usr/bin/python3 tools/train/train.py --resume --tag soup --minutes 0 --threads 2

Every float tensor of the state dicts is averaged, BatchNorm running statistics included (the
runs start from the same weights, so their statistics are close); integer buffers (BN's
num_batches_tracked) come from the first checkpoint, and so do the optimizer state, the
architecture and the training state (its "best" is the bar the soup has to beat). All
checkpoints must share one architecture and input size.
"""
import argparse
import os
import sys

import torch


def average(state_dicts):
    """The mean of each floating-point tensor across state_dicts; other tensors from the first."""
    first = state_dicts[0]
    for sd in state_dicts[1:]:
        if sd.keys() != first.keys():
            raise ValueError("the checkpoints do not have the same tensors")
    out = {}
    for k, v in first.items():
        if torch.is_floating_point(v):
            out[k] = sum(sd[k].double() for sd in state_dicts).div(len(state_dicts)).to(v.dtype)
        else:
            out[k] = v.clone()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="the soup, a train.py checkpoint (e.g. cache/TAG/last.pt)")
    ap.add_argument("ckpts", nargs="+", help="train.py checkpoints (last.pt) to average")
    a = ap.parse_args()
    if len(a.ckpts) < 2:
        sys.exit("a soup needs at least two checkpoints")
    cks = [torch.load(p, map_location="cpu") for p in a.ckpts]
    for p, ck in zip(a.ckpts[1:], cks[1:]):
        if ck["arch"] != cks[0]["arch"] or ck["input"] != cks[0]["input"]:
            sys.exit(f"{p}: another architecture or input size than {a.ckpts[0]}")
    soup = dict(cks[0], model=average([ck["model"] for ck in cks]))
    soup["state"] = dict(cks[0]["state"], soup=[os.path.relpath(p) for p in a.ckpts])
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    torch.save(soup, a.out + ".tmp")
    os.replace(a.out + ".tmp", a.out)
    print(f"wrote {a.out}: the mean of {len(cks)} checkpoints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
