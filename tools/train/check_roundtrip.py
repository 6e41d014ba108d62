"""Checks export -> .dfs -> load back: the reloaded model (eval) must match the trained one
to f16 precision, and after renormalize_bn it must still match in eval mode. The check writes
f16 weights (the fold/unfold path itself); the shipped storage (int8 for the large tensors) is
exported too and its error printed beside it.

    /usr/bin/python3 tools/train/check_roundtrip.py [cache/best.pt]   (random weights if none)
"""

import os
import sys
import tempfile

import torch

import data
import dfs_io
from effnet_model import EffNetClassifier, make_arch


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    if len(sys.argv) > 1:
        ck = torch.load(sys.argv[1], map_location="cpu")
        model, n = EffNetClassifier(ck["arch"]), ck["input"]
        model.load_state_dict(ck["model"])
    else:
        model, n = EffNetClassifier(make_arch(0.5, 0.5, "stage3")), 128
        with torch.no_grad():  # non-trivial BN statistics and gate, as after training
            for mod in model.modules():
                if isinstance(mod, torch.nn.BatchNorm2d):
                    mod.running_mean.uniform_(-0.5, 0.5)
                    mod.running_var.uniform_(0.5, 2.0)
                    mod.weight.uniform_(0.5, 1.5)
                    mod.bias.uniform_(-0.3, 0.3)
            model.att.weight.normal_(0, 0.1)
    model.eval()
    x = torch.randn(8, 3, n, n)
    with torch.no_grad():
        ref, ref_att = model(x, return_att=True)
    header = dfs_io.build_header(model.arch, n, data.MEAN, data.STD,
                                 {"temperature": 1.0, "threshold": 0.5}, "none", {})
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.dfs")
        nbytes, sha = dfs_io.export_dfs(model, path, header, dtype="f16")
        back, hdr = dfs_io.load_dfs_into_model(path)
        shipped_bytes, _ = dfs_io.export_dfs(model, path, header)
        shipped, _ = dfs_io.load_dfs_into_model(path)
    shipped.eval()
    with torch.no_grad():
        shipped_err = float((shipped(x) - ref).abs().max()) / (float(ref.abs().max()) + 1e-6)
    print(f"shipped storage ({shipped_bytes} bytes, int8 from {dfs_io.I8_MIN_ELEMENTS} "
          f"elements): max rel err {shipped_err:.2e} (not checked: rounding, not the round trip)")
    back.eval()
    with torch.no_grad():
        got, got_att = back(x, return_att=True)
    scale = float(ref.abs().max()) + 1e-6
    err = float((got - ref).abs().max()) / scale
    print(f"exported {nbytes} bytes; logits ref {ref[:4].numpy().round(4)} "
          f"back {got[:4].numpy().round(4)}; max rel err {err:.2e}")
    if ref_att is not None:
        print(f"attention max abs err {float((got_att - ref_att).abs().max()):.2e}")
    # renormalize on data-like batches, then eval output must be unchanged
    dfs_io.renormalize_bn(back, [torch.randn(16, 3, n, n) for _ in range(2)])
    back.eval()
    with torch.no_grad():
        got2 = back(x)
    err2 = float((got2 - ref).abs().max()) / scale
    print(f"after renormalize_bn: max rel err {err2:.2e}")
    ok = err < 2e-2 and err2 < 2e-2
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
