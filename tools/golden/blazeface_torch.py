"""Independent PyTorch reference for MediaPipe BlazeFace .tflite graphs, and the goldens it writes.

Parses the .tflite itself (tflite_reader.py) and runs subgraph 0 op by op with torch ops; shares
nothing with tools/convert/*.js or the C++ engine. Activations stay NHWC between ops (as TFLite
stores them) and are permuted to NCHW only around torch's conv/pool calls.

    /usr/bin/python3 tools/golden/blazeface_torch.py            # writes tests/golden/blazeface_*.bin
    /usr/bin/python3 tools/golden/blazeface_torch.py --check    # also the sanity report
    /usr/bin/python3 tools/golden/blazeface_torch.py --check --photo some_face.jpg
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tflite_reader import TfliteModel  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MP_DIR = os.path.join(ROOT, "node_modules", "@mediapipe", "face_detection")
MODELS = {"short": ("face_detection_short_range.tflite", 896),
          "full": ("face_detection_full_range.tflite", 2304)}

# Builtin options union member ids (schema.fbs `union BuiltinOptions`), checked per op so a
# mismatched options table cannot be read with the wrong field numbers.
OPT_CONV, OPT_DWCONV, OPT_POOL, OPT_CONCAT, OPT_ADD, OPT_RESIZE_BILINEAR, OPT_RESHAPE = \
    1, 2, 5, 10, 11, 15, 17


def formula_input(h, w, c=3):
    """v(y, x, c) = ((y*131 + x*71 + c*29) % 256) / 127.5 - 1, NHWC [1,h,w,c] float32."""
    y, x, ch = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    v = ((y * 131 + x * 71 + ch * 29) % 256).astype(np.float64) / 127.5 - 1.0
    return v.astype(np.float32)[None]


def _act(x, code):
    if code == 0:
        return x
    if code == 1:
        return torch.relu(x)
    if code == 2:
        return torch.clamp(x, -1.0, 1.0)
    if code == 3:
        return torch.clamp(x, 0.0, 6.0)
    if code == 4:
        return torch.tanh(x)
    raise NotImplementedError(f"fused activation {code}")


def _same_pads(size, k, stride):
    """TF SAME: out = ceil(in/stride); the odd pixel of padding goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def _pad_nchw(x, padding, kh, kw, sh, sw, value=0.0):
    """Pads an NCHW tensor for TFLite padding code 0=SAME, 1=VALID."""
    if padding == 1:
        return x
    if padding != 0:
        raise NotImplementedError(f"padding code {padding}")
    top, bottom = _same_pads(x.shape[2], kh, sh)
    left, right = _same_pads(x.shape[3], kw, sw)
    if top or bottom or left or right:
        x = F.pad(x, (left, right, top, bottom), value=value)
    return x


class TorchTflite:
    """Runs a float TFLite graph (the BlazeFace op set) with torch, in float32 or float64."""

    def __init__(self, path, dtype=torch.float32):
        self.model = TfliteModel(path)
        self.dtype = dtype
        self.handled = 0

    def _const(self, idx):
        t = self.model.tensors[idx]
        if t["data"] is None:
            raise ValueError(f"tensor {t['name']} expected constant")
        return t["data"]

    def run(self, inputs_nhwc):
        m = self.model
        vals = {}
        for idx, arr in zip(m.inputs, inputs_nhwc):
            want = m.tensors[idx]["shape"]
            if tuple(arr.shape) != want:
                raise ValueError(f"input shape {arr.shape} != {want}")
            vals[idx] = torch.from_numpy(np.ascontiguousarray(arr)).to(self.dtype)
        self.handled = 0
        for n, op in enumerate(m.ops):
            out = self._op(op, vals)
            oidx = op["outputs"][0]
            want = m.tensors[oidx]["shape"]
            if tuple(out.shape) != want:
                raise AssertionError(f"op {n} {op['name']}: produced {tuple(out.shape)}, "
                                     f"graph declares {want} for {m.tensors[oidx]['name']}")
            vals[oidx] = out
            self.handled += 1
        return [vals[i].numpy() for i in m.outputs]

    def _val(self, vals, idx):
        if idx in vals:
            return vals[idx]
        return torch.from_numpy(self._const(idx).astype(np.float64)).to(self.dtype)

    def _op(self, op, vals):
        name, ins, o = op["name"], op["inputs"], op["options"]
        typ = op["options_type"]

        def need(t):
            if typ != t:
                raise ValueError(f"{name}: options type {typ}, expected {t}")

        if name == "DEQUANTIZE":
            src = self.model.tensors[ins[0]]
            if src["data"] is None or src["dtype"] != np.float16:
                raise NotImplementedError("DEQUANTIZE only of constant f16 tensors")
            return torch.from_numpy(src["data"].astype(np.float64)).to(self.dtype)
        if name == "CONV_2D":
            need(OPT_CONV)
            padding, sw, sh, act = o.scalar(0, "b"), o.scalar(1, "i"), o.scalar(2, "i"), \
                o.scalar(3, "b")
            if o.scalar(4, "i", 1) != 1 or o.scalar(5, "i", 1) != 1:
                raise NotImplementedError("dilated conv")
            x = self._val(vals, ins[0]).permute(0, 3, 1, 2)
            w = self._val(vals, ins[1]).permute(0, 3, 1, 2)  # OHWI -> OIHW
            b = self._val(vals, ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
            x = _pad_nchw(x, padding, w.shape[2], w.shape[3], sh, sw)
            return _act(F.conv2d(x, w, b, stride=(sh, sw)), act).permute(0, 2, 3, 1).contiguous()
        if name == "DEPTHWISE_CONV_2D":
            need(OPT_DWCONV)
            padding, sw, sh = o.scalar(0, "b"), o.scalar(1, "i"), o.scalar(2, "i")
            mult, act = o.scalar(3, "i"), o.scalar(4, "b")
            if o.scalar(5, "i", 1) != 1 or o.scalar(6, "i", 1) != 1:
                raise NotImplementedError("dilated depthwise conv")
            x = self._val(vals, ins[0]).permute(0, 3, 1, 2)
            w = self._val(vals, ins[1])  # [1, kh, kw, C*mult]
            cin = x.shape[1]
            if w.shape[0] != 1 or w.shape[3] != cin * mult:
                raise NotImplementedError(f"depthwise weight {tuple(w.shape)} for {cin} channels")
            w = w[0].permute(2, 0, 1).unsqueeze(1)  # [C*mult, 1, kh, kw]
            b = self._val(vals, ins[2]) if len(ins) > 2 and ins[2] >= 0 else None
            x = _pad_nchw(x, padding, w.shape[2], w.shape[3], sh, sw)
            y = F.conv2d(x, w, b, stride=(sh, sw), groups=cin)
            return _act(y, act).permute(0, 2, 3, 1).contiguous()
        if name == "ADD":
            need(OPT_ADD)
            a, b = self._val(vals, ins[0]), self._val(vals, ins[1])
            return _act(a + b, o.scalar(0, "b"))
        if name == "RELU":
            return torch.relu(self._val(vals, ins[0]))
        if name == "PAD":
            x = self._val(vals, ins[0])
            pads = self._const(ins[1]).astype(np.int64)
            if pads.shape != (x.dim(), 2) or (pads < 0).any():
                raise ValueError(f"PAD paddings {pads.tolist()} for rank {x.dim()}")
            flat = []
            for d in reversed(range(x.dim())):  # F.pad lists the last dim first
                flat += [int(pads[d, 0]), int(pads[d, 1])]
            return F.pad(x, flat, value=0.0)
        if name == "MAX_POOL_2D":
            need(OPT_POOL)
            padding, sw, sh = o.scalar(0, "b"), o.scalar(1, "i"), o.scalar(2, "i")
            fw, fh, act = o.scalar(3, "i"), o.scalar(4, "i"), o.scalar(5, "b")
            x = self._val(vals, ins[0]).permute(0, 3, 1, 2)
            x = _pad_nchw(x, padding, fh, fw, sh, sw, value=-float("inf"))
            y = F.max_pool2d(x, (fh, fw), stride=(sh, sw))
            return _act(y, act).permute(0, 2, 3, 1).contiguous()
        if name == "RESIZE_BILINEAR":
            need(OPT_RESIZE_BILINEAR)
            align, half = o.scalar(2, "B"), o.scalar(3, "B")
            if align or not half:
                raise NotImplementedError("RESIZE_BILINEAR only with half_pixel_centers")
            x = self._val(vals, ins[0]).permute(0, 3, 1, 2)
            size = [int(v) for v in self._const(ins[1])]
            # torch's align_corners=False uses src = (dst + 0.5) * in/out - 0.5 clamped at 0
            # and the upper neighbour clamped at in-1: TFLite's half_pixel_centers rule.
            y = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
            return y.permute(0, 2, 3, 1).contiguous()
        if name == "RESHAPE":
            x = self._val(vals, ins[0])
            shape = self.model.tensors[op["outputs"][0]]["shape"]
            return x.contiguous().reshape(shape)
        if name == "CONCATENATION":
            need(OPT_CONCAT)
            axis, act = o.scalar(0, "i"), o.scalar(1, "b")
            xs = [self._val(vals, i) for i in ins]
            return _act(torch.cat(xs, dim=axis % xs[0].dim()), act)
        raise NotImplementedError(f"op {name} not supported by the reference")


def resize_bilinear_tflite_np(x, oh, ow):
    """Plain numpy TFLite RESIZE_BILINEAR (half_pixel_centers=True) on NHWC, for the check."""
    _, ih, iw, _ = x.shape
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]), np.float64)
    for oy in range(oh):
        fy = (oy + 0.5) * ih / oh - 0.5
        y0, y1 = max(int(np.floor(fy)), 0), min(int(np.ceil(fy)), ih - 1)
        for ox in range(ow):
            fx = (ox + 0.5) * iw / ow - 0.5
            x0, x1 = max(int(np.floor(fx)), 0), min(int(np.ceil(fx)), iw - 1)
            dy, dx = fy - y0, fx - x0
            out[:, oy, ox] = (x[:, y0, x0] * (1 - dy) * (1 - dx) + x[:, y1, x0] * dy * (1 - dx)
                              + x[:, y0, x1] * (1 - dy) * dx + x[:, y1, x1] * dy * dx)
    return out


def outputs_by_role(model, outs):
    """(scores [N], boxes [N,16]) from the graph outputs, identified by their shapes."""
    scores = boxes = None
    for idx, v in zip(model.outputs, outs):
        if v.shape[-1] == 1:
            scores = v.reshape(-1)
        elif v.shape[-1] == 16:
            boxes = v.reshape(-1, 16)
    if scores is None or boxes is None:
        raise ValueError("could not identify the score and regressor outputs")
    return scores, boxes


def load_photo(path, size):
    from PIL import Image
    img = Image.open(path).convert("RGB").resize((size, size), Image.BILINEAR)
    return (np.asarray(img, np.float32) / 127.5 - 1.0)[None]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "tests", "golden"))
    ap.add_argument("--check", action="store_true", help="print the sanity report")
    ap.add_argument("--photo", default="/work/shared/testdata/lfw-real/real-0000.jpg")
    args = ap.parse_args()
    torch.set_num_threads(1)

    resize_in = np.random.default_rng(0).standard_normal((1, 6, 5, 3))
    got = F.interpolate(torch.from_numpy(resize_in).permute(0, 3, 1, 2), size=(12, 10),
                        mode="bilinear", align_corners=False).permute(0, 2, 3, 1).numpy()
    resize_err = np.abs(got - resize_bilinear_tflite_np(resize_in, 12, 10)).max()
    if resize_err > 1e-12:
        raise AssertionError(f"torch bilinear differs from TFLite half-pixel rule: {resize_err}")

    for key, (fname, n) in MODELS.items():
        path = os.path.join(MP_DIR, fname)
        ref64 = TorchTflite(path, torch.float64)
        m = ref64.model
        h, w = m.tensors[m.inputs[0]]["shape"][1:3]
        x = formula_input(h, w)
        scores, boxes = outputs_by_role(m, ref64.run([x]))
        assert ref64.handled == len(m.ops), (ref64.handled, len(m.ops))
        assert scores.shape == (n,) and boxes.shape == (n, 16)
        out = os.path.join(args.out_dir, f"blazeface_{key}.bin")
        np.concatenate([scores, boxes.reshape(-1)]).astype("<f4").tofile(out)
        print(f"{key}: wrote {out} ({(n * 17) * 4} bytes)")
        if not args.check:
            continue
        ref32 = TorchTflite(path, torch.float32)
        s32, b32 = outputs_by_role(m, ref32.run([x]))
        print(f"  ops handled {ref64.handled}/{len(m.ops)}; outputs "
              + ", ".join(f"{m.tensors[i]['name']}{m.tensors[i]['shape']}" for i in m.outputs))
        print(f"  float32 vs float64 reference: max|d score| {np.abs(s32 - scores).max():.3g}, "
              f"max|d box| {np.abs(b32 - boxes).max():.3g}")
        sig = lambda s: 1.0 / (1.0 + np.exp(-np.clip(s, -100, 100)))  # noqa: E731
        print(f"  formula input: max sigmoid(score) {sig(scores).max():.4f}, "
              f"score range [{scores.min():.3f}, {scores.max():.3f}]")
        if os.path.exists(args.photo):
            ps, pb = outputs_by_role(m, ref32.run([load_photo(args.photo, h)]))
            best = int(np.argmax(ps))
            print(f"  photo {os.path.basename(args.photo)} at {h}x{w}: max sigmoid(score) "
                  f"{sig(ps).max():.4f} (anchor {best}), boxes > 0.5: {(sig(ps) > 0.5).sum()}")


if __name__ == "__main__":
    main()
