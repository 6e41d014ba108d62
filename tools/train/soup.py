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

With --dfs the soup is of shipped models instead: each input is a .dfs file (say an earlier
cycle's `git show REV:models/classifier.dfs`) or a train.py checkpoint (exported the way
train.py exports, BatchNorm folded), the BN-folded float tensors are averaged, and the result
is a .dfs with the first .dfs input's header (its calibration to be refitted with
calibrate_product.py --write), stored by the shipped rule:

    /usr/bin/python3 tools/train/soup.py --dfs /tmp/soup.dfs /tmp/c12.dfs /tmp/c13.dfs \
        models/classifier.dfs tools/train/checkpoint/last.pt
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


def folded_tensors(path):
    """(header or None, {name: float32 torch tensor}) of a .dfs or a train.py checkpoint, the
    latter BN-folded as train.py's export writes it."""
    import numpy as np
    sys.path[:0] = [os.path.join(os.path.dirname(os.path.abspath(__file__)), p)
                    for p in (".", "../pt", "../convert")]
    if path.endswith(".dfs"):
        from dfs_format import read_dfs
        header, tensors = read_dfs(path)
    else:
        import checkpoint
        import effnet_import
        from effnet_model import EffNetClassifier
        ck = checkpoint.load(path)
        model = EffNetClassifier(ck["arch"])
        model.load_state_dict(ck["model"])
        sd = {k: v.detach() for k, v in model.state_dict().items()}
        tensors = effnet_import.torchvision_to_tensors(
            {k: v for k, v in sd.items() if not k.startswith("kind_fc.")}, ck["arch"])
        if "kind_fc.weight" in sd:  # FORMAT.md: kind.w [head, 1], kind.b [1]
            tensors["kind.w"] = sd["kind_fc.weight"].numpy().T
            tensors["kind.b"] = sd["kind_fc.bias"].numpy().reshape(1)
        header = None
    return header, {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in tensors.items()}


def dfs_soup(out, paths):
    """Writes the mean of the models at paths (.dfs or checkpoints) to the .dfs out."""
    import hashlib
    import dfs_io
    loaded = [folded_tensors(p) for p in paths]
    headers = [h for h, _ in loaded if h is not None]
    if not headers:
        sys.exit("--dfs needs at least one .dfs input (its header is the soup's)")
    for p, (_, t) in zip(paths, loaded):
        if {k: v.shape for k, v in t.items()} != {k: v.shape for k, v in loaded[0][1].items()}:
            sys.exit(f"{p}: other tensors than {paths[0]}")
    header = {k: v for k, v in headers[0].items() if k != "tensors"}

    def sha(p):
        with open(p, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    header["provenance"] = dict(header["provenance"], source=(
        "uniform weight average (tools/train/soup.py --dfs) of the BatchNorm-folded weights of "
        f"{len(paths)} classifiers trained by tools/train/train.py (Deepfake Shield)"),
        soup=[{"file": os.path.basename(p), "sha256": sha(p)} for p in paths])
    tensors = {k: v.numpy() for k, v in average([t for _, t in loaded]).items()}
    n, digest = dfs_io.write_weights(out, header, tensors)
    print(f"wrote {out}: the mean of {len(paths)} models, {n} bytes, sha256 {digest}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dfs", action="store_true",
                    help="average shipped models (.dfs or checkpoints) into a .dfs")
    ap.add_argument("out", help="the soup, a train.py checkpoint (e.g. cache/TAG/last.pt)")
    ap.add_argument("ckpts", nargs="+", help="train.py checkpoints (last.pt) to average")
    a = ap.parse_args()
    if len(a.ckpts) < 2:
        sys.exit("a soup needs at least two checkpoints")
    if a.dfs:
        return dfs_soup(a.out, a.ckpts)
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
