#!/usr/bin/env python3
"""EfficientNet goldens: final logit and per-layer probes from PyTorch on synthetic weights.

    /usr/bin/python3 tools/golden/effnet_goldens.py [--out-dir tests/golden]

Models (TEST ONLY, random weights, never a detector):
  effnet_b0_synth     torchvision.models.efficientnet_b0(num_classes=1) itself, 224x224
  effnet_b4att_synth  tools/pt/effnet_ref.EffNetRef: AutoAtt-B4 geometry (width 1.4, depth 1.8,
                      TF SAME padding, attention after block 9), 128x128
  effnet_w025_synth   torchvision EfficientNet at width 0.25 (depth 1.0), 224x224, also exported
                      to ONNX (opset 13) for the onnxruntime-web comparison

Weights come from effnet_synth.py (hash-defined i8 + per-channel scales, biases f32), so each
.dfs is regenerated from its committed header bytes (X.dfs.json) instead of being committed.
The torch modules get random BatchNorm statistics and conv weights w / s (s = gamma /
sqrt(var + eps)) so that folding reproduces the synthetic tensors: folding is exercised and the
golden stays exact. References run in float64; outputs are stored as float32.
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, "tools", "pt"), os.path.join(ROOT, "tools", "convert")]
import dfs_format as D  # noqa: E402
import effnet_arch as A  # noqa: E402
import effnet_import as I  # noqa: E402
import effnet_ref as R  # noqa: E402
import effnet_synth as S  # noqa: E402

GAIN, BIAS_RANGE = 1.4, 0.2
FORMULA = "v(y, x, c) = ((y*131 + x*71 + c*29) % 256) / 127.5 - 1.0"


def formula_input(h, w):
    """NHWC [1,h,w,3] float32 (already normalized; torch gets x.permute(0, 3, 1, 2))."""
    y, x, c = np.meshgrid(np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    return (((y * 131 + x * 71 + c * 29) % 256).astype(np.float64) / 127.5 - 1.0) \
        .astype(np.float32)[None]


# ---- synthetic targets -> torch modules ------------------------------------------------------

def _oihw(w):
    """HWIO [kh,kw,I,O] -> [O,I,kh,kw]."""
    return w.transpose(3, 2, 0, 1)


def _set(param, value):
    with torch.no_grad():
        t = torch.from_numpy(np.ascontiguousarray(value)).to(param.dtype)
        if tuple(t.shape) != tuple(param.shape):
            raise ValueError(f"shape {tuple(t.shape)} != {tuple(param.shape)}")
        param.copy_(t)


def unfold(conv_w, bn, target_oihw, target_b, rng):
    """Random BN statistics, and conv weights such that folding gives back the targets."""
    c = target_oihw.shape[0]
    gamma = rng.uniform(0.5, 1.5, c)
    var = rng.uniform(0.25, 2.0, c)
    mean = rng.uniform(-0.5, 0.5, c)
    s = gamma / np.sqrt(var + bn.eps)
    _set(conv_w, target_oihw / s.reshape(-1, 1, 1, 1))
    _set(bn.weight, gamma)
    _set(bn.bias, target_b + mean * s)
    _set(bn.running_mean, mean)
    _set(bn.running_var, var)


def load_torchvision(model, t, arch, rng):
    f = model.features
    unfold(f[0][0].weight, f[0][1], _oihw(t["stem.w"]), t["stem.b"], rng)
    rep = {}
    for b in A.blocks(arch):
        r = rep.get(b["stage"], 0)
        rep[b["stage"]] = r + 1
        blk = f[b["stage"] + 1][r].block
        p = f"blocks.{b['index']}."
        i = 0
        if b["expand"] != 1:
            unfold(blk[0][0].weight, blk[0][1], _oihw(t[p + "expand.w"]), t[p + "expand.b"], rng)
            i = 1
        dw = t[p + "dw.w"].transpose(2, 0, 1)[:, None]
        unfold(blk[i][0].weight, blk[i][1], dw, t[p + "dw.b"], rng)
        se = blk[i + 1]
        _set(se.fc1.weight, t[p + "se.reduce.w"].T[:, :, None, None])
        _set(se.fc1.bias, t[p + "se.reduce.b"])
        _set(se.fc2.weight, t[p + "se.expand.w"].T[:, :, None, None])
        _set(se.fc2.bias, t[p + "se.expand.b"])
        unfold(blk[i + 2][0].weight, blk[i + 2][1], _oihw(t[p + "project.w"]), t[p + "project.b"],
               rng)
    unfold(f[8][0].weight, f[8][1], _oihw(t["head.w"]), t["head.b"], rng)
    _set(model.classifier[1].weight, t["fc.w"].T)
    _set(model.classifier[1].bias, t["fc.b"])


def load_effnet_ref(model, t, arch, rng):
    net = model.efficientnet
    unfold(net._conv_stem.weight, net._bn0, _oihw(t["stem.w"]), t["stem.b"], rng)
    for b, blk in zip(A.blocks(arch), net._blocks):
        p = f"blocks.{b['index']}."
        if b["expand"] != 1:
            unfold(blk._expand_conv.weight, blk._bn0, _oihw(t[p + "expand.w"]), t[p + "expand.b"],
                   rng)
        unfold(blk._depthwise_conv.weight, blk._bn1, t[p + "dw.w"].transpose(2, 0, 1)[:, None],
               t[p + "dw.b"], rng)
        _set(blk._se_reduce.weight, t[p + "se.reduce.w"].T[:, :, None, None])
        _set(blk._se_reduce.bias, t[p + "se.reduce.b"])
        _set(blk._se_expand.weight, t[p + "se.expand.w"].T[:, :, None, None])
        _set(blk._se_expand.bias, t[p + "se.expand.b"])
        unfold(blk._project_conv.weight, blk._bn2, _oihw(t[p + "project.w"]), t[p + "project.b"],
               rng)
    if "att.w" in t:
        _set(net.attconv.weight, _oihw(t["att.w"]))
        _set(net.attconv.bias, t["att.b"])
    unfold(net._conv_head.weight, net._bn1, _oihw(t["head.w"]), t["head.b"], rng)
    _set(model.classifier.weight, t["fc.w"].T)
    _set(model.classifier.bias, t["fc.b"])


def torchvision_custom(width, depth):
    from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf
    setting, last = _efficientnet_conf("efficientnet_b0", width_mult=width, depth_mult=depth)
    return EfficientNet(setting, 0.2, last_channel=last, num_classes=1)


# ---- one golden ---------------------------------------------------------------------------

def rel(a, b):
    return float(np.abs(np.asarray(a, np.float64) - b).max() / max(np.abs(b).max(), 1e-30))


def make_golden(out_dir, name, arch, size, seed, kind, note):
    header = I.make_header(
        arch, f"{name} (TEST ONLY: synthetic random weights, not a detector)", size,
        source="synthetic: tools/golden/effnet_synth.py (hash-defined weights)",
        license_="n/a (generated)",
        extra_provenance={"synth": {"hash": "lowbias32", "seed": seed, "gain": GAIN,
                                    "bias_range": BIAS_RANGE},
                          "test_only": True})
    entries = S.synth_entries(list(A.expected_shapes(arch).items()), seed, GAIN, BIAS_RANGE)
    blob = D.encode_dfs(header, entries)
    sha = hashlib.sha256(blob).hexdigest()
    with open(os.path.join(out_dir, name + ".dfs.json"), "wb") as f:
        f.write(S.header_bytes(blob))
    regen, regen_sha = S.materialize(os.path.join(out_dir, name + ".dfs.json"))
    assert regen_sha == sha and S.crc_ok(regen)
    t = S.dequantize(entries)

    rng = np.random.default_rng(seed + 1000)
    if kind == "effnet_ref":
        model = R.EffNetRef(arch).double().eval()
        load_effnet_ref(model, t, arch, rng)
    else:
        model = (torchvision.models.efficientnet_b0(num_classes=1) if arch["variant"] == "b0"
                 else torchvision_custom(arch["width_mult"], arch["depth_mult"]))
        model = model.double().eval()
        load_torchvision(model, t, arch, rng)

    x = formula_input(size, size)
    xt = torch.from_numpy(x).double().permute(0, 3, 1, 2)
    with torch.no_grad():
        if kind == "effnet_ref":
            probes = {}
            logit = model(xt, probes)
        else:
            logit, probes = R.torchvision_probes(model, xt)
    logit = float(logit.reshape(-1)[0])

    # Cross-checks: the importer recovers the synthetic tensors from the module, and the
    # format-level forward (the C++ engine's twin) reproduces every probe.
    sd = {k: v.float() for k, v in model.state_dict().items()}
    imported = (I.effpytorch_to_tensors(sd, arch) if kind == "effnet_ref"
                else I.torchvision_to_tensors(sd, arch))
    import_err = max(rel(imported[k], t[k]) for k in t)
    twin = {}
    R.forward_tensors(t, arch, x, twin)
    twin_err = {k: rel(twin[k], probes[k]) for k in probes}
    assert import_err < 1e-5, import_err
    assert max(twin_err.values()) < 1e-9, twin_err

    index_probes, chunks, off = [], [], 0
    for pname, arr in probes.items():
        a = np.ascontiguousarray(arr, dtype="<f4")
        index_probes.append({"name": pname, "shape": list(a.shape), "offset": off,
                             "count": int(a.size), "max_abs": float(np.abs(a).max())})
        chunks.append(a.tobytes())
        off += len(chunks[-1])
    with open(os.path.join(out_dir, name + ".probes.bin"), "wb") as f:
        f.write(b"".join(chunks))
    index = {
        "model_header": name + ".dfs.json",
        "model_sha256": sha,
        "model_bytes": len(blob),
        "materialize": [f"node tools/golden/effnet_synth.mjs tests/golden/{name}.dfs.json "
                        f"OUT.dfs {sha}",
                        f"python3 tools/golden/effnet_synth.py tests/golden/{name}.dfs.json "
                        "OUT.dfs"],
        "reference": note,
        "computed_in": "float64, stored float32",
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "arch": arch,
        "input": {"formula": FORMULA, "shape": [1, size, size, 3], "layout": "NHWC",
                  "note": "already normalized (no mean/std applied); torch received "
                          "x.permute(0, 3, 1, 2)"},
        "logit": logit,
        "probes_file": name + ".probes.bin",
        "probes_layout": "float32 little-endian, each probe NHWC without the batch dim, "
                         "offset in bytes",
        "probes": index_probes,
        "checks": {"importer_max_rel_err": import_err,
                   "format_forward_max_rel_err": max(twin_err.values())},
    }
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    print(f"{name}: logit {logit:.6f}, model {len(blob)} bytes (not committed), probes "
          f"{off} bytes; importer rel err {import_err:.2e}, format forward rel err "
          f"{max(twin_err.values()):.2e}")
    return model, t, x, logit


def drift(name, t, arch, x, logit, tmp):
    """Sizes and logit drift of the golden's tensors stored f32/f16/i8 (forward in float64)."""
    rows = []
    for dt in ("f32", "f16", "i8"):
        path = os.path.join(tmp, f"{name}.{dt}.dfs")
        n = D.write_dfs(path, {"kind": "efficientnet"}, t, dt)
        _, back = D.read_dfs(path)
        got = float(R.forward_tensors(back, arch, x)[0])
        rows.append((dt, n, abs(got - logit)))
        print(f"  {name} {dt}: {n} bytes, |logit - golden| {abs(got - logit):.3e}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "tests", "golden"))
    ap.add_argument("--drift", action="store_true", help="also print f32/f16/i8 drift")
    args = ap.parse_args()
    torch.set_num_threads(1)

    b0 = A.make_arch("b0", padding="symmetric")
    make_golden(args.out_dir, "effnet_b0_synth", b0, 224, 1, "torchvision",
                "torchvision.models.efficientnet_b0(num_classes=1), eval, float64")

    b4 = A.make_arch("b4", padding="same", attention_after_block=9)
    make_golden(args.out_dir, "effnet_b4att_synth", b4, 128, 2, "effnet_ref",
                "tools/pt/effnet_ref.EffNetRef (EfficientNet-PyTorch/icpr2020dfdc naming, TF "
                "SAME padding from the actual input size), eval, float64")

    w025 = A.make_arch("custom", 0.25, 1.0, padding="symmetric")
    model, t, x, logit = make_golden(
        args.out_dir, "effnet_w025_synth", w025, 224, 5, "torchvision",
        "torchvision EfficientNet(_efficientnet_conf('efficientnet_b0', width_mult=0.25, "
        "depth_mult=1.0), num_classes=1), eval, float64")
    onnx_path = os.path.join(args.out_dir, "effnet_w025_synth.onnx")
    model = model.float().eval()
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), onnx_path, opset_version=13,
                      input_names=["input"], output_names=["logit"])
    back = I.onnx_to_tensors(onnx_path, w025)
    err = max(rel(back[k], t[k]) for k in t)
    assert err < 1e-5, err
    with torch.no_grad():
        f32_logit = float(model(torch.from_numpy(x).permute(0, 3, 1, 2)).reshape(-1)[0])
    print(f"effnet_w025_synth.onnx: {os.path.getsize(onnx_path)} bytes; ONNX import rel err "
          f"{err:.2e}; torch float32 logit {f32_logit:.6f} (golden {logit:.6f})")

    if args.drift:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            for name, arch, size in (("effnet_b0_synth", b0, 224),
                                     ("effnet_b4att_synth", b4, 128)):
                with open(os.path.join(args.out_dir, name + ".json")) as f:
                    idx = json.load(f)
                _, tt = D.read_dfs(_materialized(args.out_dir, name, tmp))
                drift(name, tt, arch, formula_input(size, size), idx["logit"], tmp)


def _materialized(out_dir, name, tmp):
    path = os.path.join(tmp, name + ".dfs")
    S.materialize(os.path.join(out_dir, name + ".dfs.json"), path)
    return path


if __name__ == "__main__":
    main()
