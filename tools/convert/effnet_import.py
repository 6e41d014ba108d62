#!/usr/bin/env python3
"""Importers of EfficientNet weights into the .dfs format (src/models/FORMAT.md, kind
"efficientnet"): torchvision and EfficientNet-PyTorch (incl. icpr2020dfdc AutoAtt) state_dicts, and
ONNX graphs walked node by node. BN is folded; layouts become HWIO / [k,k,c] / [cin,cout].

    python3 tools/convert/effnet_import.py --from torchvision|effpytorch|onnx IN --variant b0 \\
        [--width W --depth D] [--attention-after N] [--padding symmetric|same] \\
        --dtype f32|f16|i8 OUT.dfs

The state_dict paths load IN with torch (developer machines); the ONNX path needs only numpy.

Key names handled:
  torchvision (0.14 efficientnet_b*): features.0.{0 conv,1 bn} stem; features.S.R.block.{i} with,
    in order, [expand Conv2dNormActivation (when expand != 1)], depthwise Conv2dNormActivation,
    SqueezeExcitation (fc1, fc2), project Conv2dNormActivation; features.8.{0,1} head;
    classifier.1 Linear; optional att.weight/att.bias (1x1 attention conv). BN eps 1e-5.
  EfficientNet-PyTorch (lukemelas): _conv_stem, _bn0, _blocks.N.{_expand_conv, _bn0,
    _depthwise_conv, _bn1, _se_reduce, _se_expand, _project_conv, _bn2}, _conv_head, _bn1, _fc.
    BN eps 1e-3.
  icpr2020dfdc EfficientNetAutoAttB4 (architectures/fornet.py): the above under `efficientnet.`,
    no `_fc` (deleted) but `classifier.weight/bias` at top level, and the attention 1x1 conv
    `efficientnet.attconv.weight [1,56,1,1]`, `efficientnet.attconv.bias [1]` applied as
    x * sigmoid(attconv(x)) after block 9. A leading `module.` (DataParallel) is stripped.
"""

import argparse
import hashlib
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pt"))
import effnet_arch as A  # noqa: E402
from dfs_format import write_dfs  # noqa: E402

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


class ImportError_(ValueError):
    """A state_dict or graph that does not fit the requested architecture."""


def _np(v):
    """torch tensor or array-like -> float64 numpy (no torch import needed)."""
    if hasattr(v, "detach"):
        v = v.detach().cpu().double().numpy()
    return np.asarray(v, np.float64)


class _Keys:
    """Pops state_dict entries so leftovers can be reported; strips a common prefix."""

    def __init__(self, sd, strip=()):
        self.sd = {}
        for k, v in sd.items():
            for p in strip:
                if k.startswith(p):
                    k = k[len(p):]
                    break
            self.sd[k] = v
        self.used = set()

    def has(self, k):
        return k in self.sd

    def get(self, k, shape=None):
        if k not in self.sd:
            raise ImportError_(f"state_dict lacks {k}")
        self.used.add(k)
        v = _np(self.sd[k])
        if shape is not None and list(v.shape) != list(shape):
            raise ImportError_(f"{k} has shape {list(v.shape)}, the arch expects {list(shape)}")
        return v

    def leftovers(self):
        return sorted(k for k in self.sd if k not in self.used
                      and not k.endswith("num_batches_tracked"))


def fold_bn(w, gamma, beta, mean, var, eps, bias=None):
    """Folds inference BN into a conv with out-channels on axis 0: returns (w', b')."""
    s = gamma / np.sqrt(var + eps)
    w = w * s.reshape((-1,) + (1,) * (w.ndim - 1))
    b = beta - mean * s + (bias * s if bias is not None else 0.0)
    return w, b


def _conv_bn(keys, conv, bn, shape_oihw, eps):
    w = keys.get(conv, shape_oihw)
    c = shape_oihw[0]
    g, b = keys.get(bn + ".weight", [c]), keys.get(bn + ".bias", [c])
    m, v = keys.get(bn + ".running_mean", [c]), keys.get(bn + ".running_var", [c])
    return fold_bn(w, g, b, m, v, eps)


def hwio(w):
    """[O,I,kh,kw] -> [kh,kw,I,O]."""
    return np.ascontiguousarray(w.transpose(2, 3, 1, 0))


def dw_hwc(w):
    """[C,1,k,k] -> [k,k,C]."""
    return np.ascontiguousarray(w[:, 0].transpose(1, 2, 0))


def io(w):
    """[O,I,1,1] or [O,I] -> [I,O]."""
    return np.ascontiguousarray(w.reshape(w.shape[0], w.shape[1]).T)


def _finish(keys, out, arch):
    left = keys.leftovers()
    if left:
        raise ImportError_(f"state_dict entries not used by the arch: {left[:6]}"
                           + (" ..." if len(left) > 6 else ""))
    ordered = {n: out[n].astype(np.float32) for n in A.ordered_names(arch) if n in out}
    try:
        A.check_tensors(ordered, arch)
    except ValueError as e:
        raise ImportError_(str(e)) from None
    return ordered


def _fc(keys, wkey, bkey, chead):
    w = keys.get(wkey)
    if w.ndim != 2 or w.shape[1] != chead:
        raise ImportError_(f"{wkey} has shape {list(w.shape)}, expected [1, {chead}]")
    if w.shape[0] != 1:
        raise ImportError_(f"{wkey} has {w.shape[0]} outputs; the format holds one logit "
                           "(replace the classifier with a 1-output Linear first)")
    return io(w), keys.get(bkey, [1])


def torchvision_to_tensors(state_dict, arch, eps=1e-5):
    """torchvision efficientnet_b* state_dict -> FORMAT.md tensors (float32, BN folded)."""
    keys = _Keys(state_dict, strip=("module.",))
    out = {}
    c = A.stem_channels(arch)
    w, b = _conv_bn(keys, "features.0.0.weight", "features.0.1", [c, 3, 3, 3], eps)
    out["stem.w"], out["stem.b"] = hwio(w), b
    att = arch.get("attention_after_block", -1)
    rep = {}
    for blk in A.blocks(arch):
        r = rep.get(blk["stage"], 0)
        rep[blk["stage"]] = r + 1
        pre = f"features.{blk['stage'] + 1}.{r}.block."
        p = f"blocks.{blk['index']}."
        i = 0
        cin, ce, cse, co, k = blk["cin"], blk["cexp"], blk["cse"], blk["cout"], blk["k"]
        if blk["expand"] != 1:
            w, b = _conv_bn(keys, pre + "0.0.weight", pre + "0.1", [ce, cin, 1, 1], eps)
            out[p + "expand.w"], out[p + "expand.b"] = hwio(w), b
            i = 1
        w, b = _conv_bn(keys, f"{pre}{i}.0.weight", f"{pre}{i}.1", [ce, 1, k, k], eps)
        out[p + "dw.w"], out[p + "dw.b"] = dw_hwc(w), b
        se = f"{pre}{i + 1}."
        out[p + "se.reduce.w"] = io(keys.get(se + "fc1.weight", [cse, ce, 1, 1]))
        out[p + "se.reduce.b"] = keys.get(se + "fc1.bias", [cse])
        out[p + "se.expand.w"] = io(keys.get(se + "fc2.weight", [ce, cse, 1, 1]))
        out[p + "se.expand.b"] = keys.get(se + "fc2.bias", [ce])
        w, b = _conv_bn(keys, f"{pre}{i + 2}.0.weight", f"{pre}{i + 2}.1", [co, ce, 1, 1], eps)
        out[p + "project.w"], out[p + "project.b"] = hwio(w), b
        if blk["index"] == att:
            out["att.w"] = hwio(keys.get("att.weight", [1, co, 1, 1]))
            out["att.b"] = keys.get("att.bias", [1])
    if att < 0 and keys.has("att.weight"):
        raise ImportError_("state_dict has att.weight but the arch has no attention "
                           "(pass --attention-after N)")
    h = A.head_channels(arch)
    last = A.blocks(arch)[-1]["cout"]
    w, b = _conv_bn(keys, "features.8.0.weight", "features.8.1", [h, last, 1, 1], eps)
    out["head.w"], out["head.b"] = hwio(w), b
    out["fc.w"], out["fc.b"] = _fc(keys, "classifier.1.weight", "classifier.1.bias", h)
    return _finish(keys, out, arch)


def effpytorch_to_tensors(state_dict, arch, eps=1e-3):
    """EfficientNet-PyTorch (lukemelas) or icpr2020dfdc EfficientNetAutoAtt* state_dict ->
    FORMAT.md tensors (float32, BN folded)."""
    sd = {}
    for k, v in state_dict.items():
        if k.startswith("module."):
            k = k[len("module."):]
        if k.startswith("efficientnet."):
            k = k[len("efficientnet."):]
        sd[k] = v
    keys = _Keys(sd)
    out = {}
    c = A.stem_channels(arch)
    w, b = _conv_bn(keys, "_conv_stem.weight", "_bn0", [c, 3, 3, 3], eps)
    out["stem.w"], out["stem.b"] = hwio(w), b
    att = arch.get("attention_after_block", -1)
    for blk in A.blocks(arch):
        pre = f"_blocks.{blk['index']}."
        p = f"blocks.{blk['index']}."
        cin, ce, cse, co, k = blk["cin"], blk["cexp"], blk["cse"], blk["cout"], blk["k"]
        if blk["expand"] != 1:
            w, b = _conv_bn(keys, pre + "_expand_conv.weight", pre + "_bn0", [ce, cin, 1, 1], eps)
            out[p + "expand.w"], out[p + "expand.b"] = hwio(w), b
        elif keys.has(pre + "_expand_conv.weight"):
            raise ImportError_(f"{pre}_expand_conv present but the arch has expand 1 there")
        w, b = _conv_bn(keys, pre + "_depthwise_conv.weight", pre + "_bn1", [ce, 1, k, k], eps)
        out[p + "dw.w"], out[p + "dw.b"] = dw_hwc(w), b
        out[p + "se.reduce.w"] = io(keys.get(pre + "_se_reduce.weight", [cse, ce, 1, 1]))
        out[p + "se.reduce.b"] = keys.get(pre + "_se_reduce.bias", [cse])
        out[p + "se.expand.w"] = io(keys.get(pre + "_se_expand.weight", [ce, cse, 1, 1]))
        out[p + "se.expand.b"] = keys.get(pre + "_se_expand.bias", [ce])
        w, b = _conv_bn(keys, pre + "_project_conv.weight", pre + "_bn2", [co, ce, 1, 1], eps)
        out[p + "project.w"], out[p + "project.b"] = hwio(w), b
        if blk["index"] == att:
            if keys.has("attconv.conv_out.weight"):
                raise ImportError_("attconv is a Sequential (AutoAtt width > 0): only the "
                                   "width-0 single 1x1 conv fits the format")
            out["att.w"] = hwio(keys.get("attconv.weight", [1, co, 1, 1]))
            out["att.b"] = keys.get("attconv.bias", [1])
    if att < 0 and (keys.has("attconv.weight") or keys.has("attconv.conv_out.weight")):
        raise ImportError_("state_dict has attconv.* (AutoAtt) but the arch has no attention "
                           "(pass --attention-after 9 for EfficientNetAutoAttB4)")
    n = len(A.blocks(arch))
    if keys.has(f"_blocks.{n}._depthwise_conv.weight"):
        raise ImportError_(f"state_dict has more than the arch's {n} blocks")
    h = A.head_channels(arch)
    last = A.blocks(arch)[-1]["cout"]
    w, b = _conv_bn(keys, "_conv_head.weight", "_bn1", [h, last, 1, 1], eps)
    out["head.w"], out["head.b"] = hwio(w), b
    if keys.has("classifier.weight"):
        out["fc.w"], out["fc.b"] = _fc(keys, "classifier.weight", "classifier.bias", h)
    else:
        out["fc.w"], out["fc.b"] = _fc(keys, "_fc.weight", "_fc.bias", h)
    return _finish(keys, out, arch)


# ---------------------------------------------------------------------------------------------
# ONNX


class _OnnxWalk:
    """Consumes an exported graph's nodes in order, checking each against what the architecture
    expects next; the first node that does not fit raises ImportError_ naming it."""

    def __init__(self, model, input_size):
        self.m = model
        self.alias = {}
        self.consts = dict(model.inits)
        self.pos = 0
        if len(model.inputs) != 1:
            raise ImportError_(f"graph has {len(model.inputs)} non-initializer inputs, "
                               "expected one image")
        shape = model.inputs[0]["shape"] or []
        hw = [d for d in shape[2:] if isinstance(d, int) and d > 0]
        if len(hw) == 2:
            self.h, self.w = hw
        elif input_size:
            self.h = self.w = input_size
        else:
            raise ImportError_("graph input has no static H, W: pass --input-size")
        if shape and len(shape) == 4 and isinstance(shape[1], int) and shape[1] != 3:
            raise ImportError_(f"graph input {model.inputs[0]['name']} has {shape[1]} channels")
        self.cur = model.inputs[0]["name"]

    def _name(self, t):
        while t in self.alias:
            t = self.alias[t]
        return t

    def _desc(self, n):
        return f"node #{n['index']} '{n['name']}' ({n['op']})"

    def peek(self):
        while self.pos < len(self.m.nodes):
            n = self.m.nodes[self.pos]
            if n["op"] == "Identity":
                self.alias[n["outputs"][0]] = n["inputs"][0]
            elif n["op"] == "Constant":
                self.consts[n["outputs"][0]] = n["attrs"].get("value")
            else:
                return n
            self.pos += 1
        return None

    def fail(self, n, msg):
        where = self._desc(n) if n is not None else "end of graph"
        raise ImportError_(f"{where}: {msg}")

    def take(self, ops, what):
        n = self.peek()
        if n is None or n["op"] not in ops:
            self.fail(n, f"expected {what} ({'/'.join(ops)})")
        self.pos += 1
        return n

    def inp(self, n, i):
        return self._name(n["inputs"][i]) if i < len(n["inputs"]) and n["inputs"][i] else None

    def const(self, n, i, what):
        name = self.inp(n, i)
        if name not in self.consts or self.consts[name] is None:
            self.fail(n, f"{what} ({name}) is not a constant initializer")
        return np.asarray(self.consts[name], np.float64)

    def expect_input(self, n, i, tensor, what):
        if self.inp(n, i) != self._name(tensor):
            self.fail(n, f"{what}: input {i} is {self.inp(n, i)}, expected {self._name(tensor)}")

    def conv(self, what, k, stride, cin, cout, groups, padding):
        """Conv (+ optional preceding Pad, + optional BatchNormalization): returns (w_oihw, b)."""
        pads = [0, 0, 0, 0]  # top, left, bottom, right
        x = self.cur
        n = self.peek()
        if n is not None and n["op"] == "Pad":
            self.pos += 1
            self.expect_input(n, 0, x, what + " pad")
            p = n["attrs"].get("pads")
            if p is None:
                p = self.const(n, 1, "pads").astype(np.int64).tolist()
            mode = n["attrs"].get("mode", "constant")
            if len(p) != 8 or any(p[i] for i in (0, 1, 4, 5)) or mode != "constant":
                self.fail(n, f"{what}: only constant spatial padding is supported, got {p}")
            if len(n["inputs"]) > 2 and n["inputs"][2]:
                if np.any(self.const(n, 2, "pad value") != 0):
                    self.fail(n, f"{what}: non-zero pad value")
            pads = [p[2], p[3], p[6], p[7]]
            x = n["outputs"][0]
        n = self.take(["Conv"], what)
        self.expect_input(n, 0, x, what)
        w = self.const(n, 1, what + " weight")
        want = [cout, cin // groups, k, k]
        if list(w.shape) != want:
            self.fail(n, f"{what}: weight shape {list(w.shape)}, the arch expects {want}")
        at = n["attrs"]
        if at.get("group", 1) != groups:
            self.fail(n, f"{what}: group {at.get('group', 1)}, expected {groups}")
        if list(at.get("strides", [1, 1])) != [stride, stride]:
            self.fail(n, f"{what}: strides {at.get('strides')}, expected {[stride, stride]}")
        if any(d != 1 for d in at.get("dilations", [1, 1])):
            self.fail(n, f"{what}: dilations {at.get('dilations')} unsupported")
        auto = at.get("auto_pad", "NOTSET")
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            t, b_ = _same(self.h, k, stride)
            l_, r = _same(self.w, k, stride)
            if auto == "SAME_LOWER":
                t, b_, l_, r = b_, t, r, l_
            cp = [t, l_, b_, r]
        elif auto == "VALID":
            cp = [0, 0, 0, 0]
        elif auto == "NOTSET":
            q = list(at.get("pads", [0, 0, 0, 0]))
            cp = [q[0], q[1], q[2], q[3]]
        else:
            self.fail(n, f"auto_pad {auto!r}")
        pads = [a + b for a, b in zip(pads, cp)]
        if padding == "symmetric":
            exp = [k // 2] * 4
        else:
            (t, b_), (l_, r) = _same(self.h, k, stride), _same(self.w, k, stride)
            exp = [t, l_, b_, r]
        if pads != exp:
            self.fail(n, f"{what}: padding (top, left, bottom, right) {pads} on "
                         f"{self.h}x{self.w}, '{padding}' padding expects {exp}")
        self.h = (self.h + pads[0] + pads[2] - k) // stride + 1
        self.w = (self.w + pads[1] + pads[3] - k) // stride + 1
        bias = self.const(n, 2, what + " bias") if self.inp(n, 2) else np.zeros(cout)
        if bias.shape != (cout,):
            self.fail(n, f"{what}: bias shape {list(bias.shape)}, expected [{cout}]")
        self.cur = n["outputs"][0]
        nxt = self.peek()
        if nxt is not None and nxt["op"] == "BatchNormalization" and \
                self.inp(nxt, 0) == self._name(self.cur):
            self.pos += 1
            g, be = self.const(nxt, 1, "bn scale"), self.const(nxt, 2, "bn bias")
            mu, var = self.const(nxt, 3, "bn mean"), self.const(nxt, 4, "bn var")
            if any(a.shape != (cout,) for a in (g, be, mu, var)):
                self.fail(nxt, f"{what}: BatchNormalization parameters are not [{cout}]")
            w, bias = fold_bn(w, g, be, mu, var, nxt["attrs"].get("epsilon", 1e-5), bias)
            self.cur = nxt["outputs"][0]
        return w, bias

    def _mul_of(self, n, a, b, what):
        ins = {self.inp(n, 0), self.inp(n, 1)}
        if ins != {self._name(a), self._name(b)}:
            self.fail(n, f"{what}: multiplies {sorted(ins)}, expected {a} and {b}")

    def sigmoid(self, what):
        n = self.take(["Sigmoid"], what)
        self.expect_input(n, 0, self.cur, what)
        return n["outputs"][0]

    def swish(self, what):
        x = self.cur
        s = self.sigmoid(what + " swish sigmoid")
        n = self.take(["Mul"], what + " swish multiply")
        self._mul_of(n, x, s, what + " swish")
        self.cur = n["outputs"][0]

    def gap(self, what):
        n = self.take(["GlobalAveragePool", "ReduceMean"], what)
        self.expect_input(n, 0, self.cur, what)
        if n["op"] == "ReduceMean":
            axes = n["attrs"].get("axes")
            if axes is None and len(n["inputs"]) > 1:
                axes = self.const(n, 1, "axes").astype(int).tolist()
            if sorted(a % 4 for a in (axes or [])) != [2, 3]:
                self.fail(n, f"{what}: ReduceMean over axes {axes}, expected [2, 3]")
        self.cur = n["outputs"][0]
        hw = (self.h, self.w)
        self.h = self.w = 1
        return hw


def _same(size, k, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def detect_onnx_padding(model):
    """'symmetric' when the first Conv pads 1 on every side, else 'same'."""
    for n in model.nodes:
        if n["op"] == "Pad":
            return "same"
        if n["op"] == "Conv":
            if n["attrs"].get("auto_pad", "NOTSET") != "NOTSET":
                return "same"
            return "symmetric" if list(n["attrs"].get("pads", [0] * 4)) == [1, 1, 1, 1] \
                else "same"
    raise ImportError_("graph has no Conv node")


def onnx_to_tensors(path, arch, input_size=None):
    """Walks an exported EfficientNet ONNX graph (Conv [+BatchNormalization], Sigmoid/Mul swish,
    GlobalAveragePool SE, Add residuals, optional attention, head, pool, Flatten/Reshape,
    Gemm or MatMul+Add) and returns FORMAT.md tensors; raises ImportError_ at the first node that
    does not fit `arch`."""
    from onnx_proto import OnnxModel
    model = path if hasattr(path, "nodes") else OnnxModel(path)
    wk = _OnnxWalk(model, input_size)
    pad = arch["padding"]
    out = {}
    c = A.stem_channels(arch)
    w, b = wk.conv("stem conv", 3, 2, 3, c, 1, pad)
    out["stem.w"], out["stem.b"] = hwio(w), b
    wk.swish("stem")
    att = arch.get("attention_after_block", -1)
    for blk in A.blocks(arch):
        i = blk["index"]
        p, tag = f"blocks.{i}.", f"block {i}"
        block_in = wk.cur
        cin, ce, cse, co, k = blk["cin"], blk["cexp"], blk["cse"], blk["cout"], blk["k"]
        if blk["expand"] != 1:
            w, b = wk.conv(tag + " expand conv", 1, 1, cin, ce, 1, pad)
            out[p + "expand.w"], out[p + "expand.b"] = hwio(w), b
            wk.swish(tag + " expand")
        w, b = wk.conv(tag + " depthwise conv", k, blk["stride"], ce, ce, ce, pad)
        out[p + "dw.w"], out[p + "dw.b"] = dw_hwc(w), b
        wk.swish(tag + " depthwise")
        x = wk.cur
        hw = wk.gap(tag + " SE pool")
        w, b = wk.conv(tag + " SE reduce", 1, 1, ce, cse, 1, pad)
        out[p + "se.reduce.w"], out[p + "se.reduce.b"] = io(w), b
        wk.swish(tag + " SE")
        w, b = wk.conv(tag + " SE expand", 1, 1, cse, ce, 1, pad)
        out[p + "se.expand.w"], out[p + "se.expand.b"] = io(w), b
        gate = wk.sigmoid(tag + " SE gate")
        n = wk.take(["Mul"], tag + " SE scale")
        wk._mul_of(n, x, gate, tag + " SE scale")
        wk.cur = n["outputs"][0]
        wk.h, wk.w = hw  # the SE convs ran on 1x1 maps
        w, b = wk.conv(tag + " project conv", 1, 1, ce, co, 1, pad)
        out[p + "project.w"], out[p + "project.b"] = hwio(w), b
        if blk["residual"]:
            n = wk.take(["Add"], tag + " residual add")
            ins = {wk.inp(n, 0), wk.inp(n, 1)}
            if ins != {wk._name(wk.cur), wk._name(block_in)}:
                wk.fail(n, f"{tag} residual add of {sorted(ins)}, expected the project output "
                           f"and the block input {block_in}")
            wk.cur = n["outputs"][0]
        if i == att:
            x = wk.cur
            w, b = wk.conv("attention conv", 1, 1, co, 1, 1, pad)
            out["att.w"], out["att.b"] = hwio(w), b
            a = wk.sigmoid("attention sigmoid")
            n = wk.take(["Mul"], "attention multiply")
            wk._mul_of(n, x, a, "attention multiply")
            wk.cur = n["outputs"][0]
    h = A.head_channels(arch)
    w, b = wk.conv("head conv", 1, 1, A.blocks(arch)[-1]["cout"], h, 1, pad)
    out["head.w"], out["head.b"] = hwio(w), b
    wk.swish("head")
    wk.gap("global average pool")
    n = wk.peek()
    if n is not None and n["op"] in ("Flatten", "Reshape", "Squeeze"):
        wk.pos += 1
        wk.expect_input(n, 0, wk.cur, "flatten")
        wk.cur = n["outputs"][0]
    n = wk.take(["Gemm", "MatMul"], "classifier")
    wk.expect_input(n, 0, wk.cur, "classifier")
    w = wk.const(n, 1, "classifier weight")
    if n["op"] == "Gemm":
        at = n["attrs"]
        if at.get("transA", 0) or at.get("alpha", 1.0) != 1.0 or at.get("beta", 1.0) != 1.0:
            wk.fail(n, "Gemm with transA/alpha/beta other than defaults")
        w = w.T if at.get("transB", 0) else w  # -> [in, out]
        bias = wk.const(n, 2, "classifier bias") if wk.inp(n, 2) else np.zeros(w.shape[1])
        wk.cur = n["outputs"][0]
    else:
        wk.cur = n["outputs"][0]
        n = wk.take(["Add"], "classifier bias add")
        other = [t for t in (wk.inp(n, 0), wk.inp(n, 1)) if t != wk._name(wk.cur)]
        if len(other) != 1 or other[0] not in wk.consts:
            wk.fail(n, "classifier bias add does not add a constant to the MatMul output")
        bias = np.asarray(wk.consts[other[0]], np.float64)
        wk.cur = n["outputs"][0]
    if list(w.shape) != [h, 1] or bias.reshape(-1).shape != (1,):
        wk.fail(n, f"classifier weight {list(w.shape)} / bias {list(bias.shape)}, "
                   f"expected [{h}, 1] and [1] (one logit)")
    out["fc.w"], out["fc.b"] = np.ascontiguousarray(w), bias.reshape(1)
    rest = wk.peek()
    if rest is not None:
        wk.fail(rest, "unexpected node after the classifier")
    outs = [o["name"] for o in model.outputs]
    if wk._name(wk.cur) not in [wk._name(o) for o in outs]:
        raise ImportError_(f"the classifier output {wk.cur} is not a graph output ({outs})")
    ordered = {n_: out[n_].astype(np.float32) for n_ in A.ordered_names(arch)}
    A.check_tensors(ordered, arch)
    return ordered


# ---------------------------------------------------------------------------------------------
# Header and CLI


def make_header(arch, name, input_size, mean=None, std=None, source="", license_="",
                sha256="", preprocess=None, calibration=None, extra_provenance=None):
    prov = {"source": source, "license": license_, "sha256": sha256}
    prov.update(extra_provenance or {})
    return {
        "kind": "efficientnet",
        "name": name,
        "input": {"height": int(input_size), "width": int(input_size), "channels": 3,
                  "mean": list(mean or IMAGENET_MEAN), "std": list(std or IMAGENET_STD)},
        "provenance": prov,
        "arch": arch,
        "preprocess": preprocess or {"margin": 0.2, "square": True, "resize": "scale"},
        "calibration": calibration or {"temperature": 1.0, "threshold": 0.5},
    }


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_state_dict(path):
    import torch
    obj = torch.load(path, map_location="cpu")
    for key in ("net", "state_dict", "model"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
    if hasattr(obj, "state_dict"):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise ImportError_(f"{path}: no state_dict found")
    return obj


def main(argv=None):
    ap = argparse.ArgumentParser(description="EfficientNet weights -> .dfs (FORMAT.md)")
    ap.add_argument("--from", dest="src", required=True,
                    choices=["torchvision", "effpytorch", "onnx"])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--variant", default="b0", choices=sorted(A.VARIANTS) + ["custom"])
    ap.add_argument("--width", type=float, help="width_mult (variant custom)")
    ap.add_argument("--depth", type=float, help="depth_mult (variant custom)")
    ap.add_argument("--attention-after", type=int, default=-1,
                    help="AutoAtt block index (icpr2020dfdc EfficientNetAutoAttB4: 9)")
    ap.add_argument("--padding", choices=["symmetric", "same"],
                    help="default: symmetric for torchvision, same for effpytorch, "
                         "detected for onnx")
    ap.add_argument("--dtype", default="f32", choices=["f32", "f16", "i8"])
    ap.add_argument("--input-size", type=int, help="default: the variant's native size")
    ap.add_argument("--mean", type=float, nargs=3, default=IMAGENET_MEAN)
    ap.add_argument("--std", type=float, nargs=3, default=IMAGENET_STD)
    ap.add_argument("--bn-eps", type=float, help="default 1e-5 torchvision, 1e-3 effpytorch")
    ap.add_argument("--name", help="default: output file stem")
    ap.add_argument("--source", help="provenance source (default: input file name)")
    ap.add_argument("--license", default="unknown")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--threshold", type=float, default=0.5)
    a = ap.parse_args(argv)

    padding = a.padding
    if padding is None:
        if a.src == "onnx":
            from onnx_proto import OnnxModel
            padding = detect_onnx_padding(OnnxModel(a.input))
        else:
            padding = "symmetric" if a.src == "torchvision" else "same"
    arch = A.make_arch(a.variant, a.width, a.depth, padding, a.attention_after)
    size = a.input_size or (A.VARIANTS[a.variant][2] if a.variant in A.VARIANTS else 224)
    if a.src == "torchvision":
        t = torchvision_to_tensors(load_state_dict(a.input), arch, a.bn_eps or 1e-5)
    elif a.src == "effpytorch":
        t = effpytorch_to_tensors(load_state_dict(a.input), arch, a.bn_eps or 1e-3)
    else:
        t = onnx_to_tensors(a.input, arch, a.input_size)
    header = make_header(arch, a.name or os.path.splitext(os.path.basename(a.output))[0], size,
                         a.mean, a.std, a.source or os.path.basename(a.input), a.license,
                         sha256_file(a.input),
                         calibration={"temperature": a.temperature, "threshold": a.threshold})
    n = write_dfs(a.output, header, t, a.dtype)
    print(f"{a.output}: {len(t)} tensors, {n} bytes ({a.dtype}), arch {arch}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ImportError_, ValueError) as e:
        print(f"effnet_import: {e}", file=sys.stderr)
        sys.exit(2)
