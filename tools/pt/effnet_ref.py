"""PyTorch EfficientNet references: a module with EfficientNet-PyTorch / icpr2020dfdc naming, and a
functional forward over FORMAT.md tensors (the Python twin of the C++ engine's forward()).

    EffNetRef(arch)            nn.Module; state_dict keys are those of icpr2020dfdc's
                               EfficientNetAutoAttB4 (efficientnet._conv_stem.weight, ...,
                               efficientnet.attconv.*, classifier.*)
    forward_tensors(t, arch, x_nhwc, probes)
                               runs the .dfs tensors (BN folded, HWIO) and fills `probes`

Probe names (NHWC arrays, batch dim dropped): stem, stage.S (output of the last block of stage S,
as fed onward, i.e. after the attention multiply when attention follows that block), att (the
sigmoid map, [H,W,1]), head (after swish), pooled ([C]), logit ([1]).

Padding: "symmetric" = k//2 on every side (torchvision); "same" = TF SAME from the actual input
size, the odd pixel after. EfficientNet-PyTorch pads "statically" for the variant's nominal image
size (380 for B4) whatever the real input is; `static_same_size` reproduces that (see
tests/golden/README.md for where it differs from true SAME).
"""

import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "convert"))
import effnet_arch as A  # noqa: E402


def same_pads(size, k, stride):
    """(before, after) of TF SAME padding for one spatial dim."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def pad_for(x, k, stride, padding, static_size=None):
    """Pads NCHW `x` for a k x k conv. static_size: the nominal input size of this layer when
    emulating EfficientNet-PyTorch's static same padding."""
    if padding == "symmetric":
        p = k // 2
        return F.pad(x, (p, p, p, p)) if p else x
    if padding != "same":
        raise ValueError(padding)
    hs = static_size if static_size is not None else x.shape[2]
    ws = static_size if static_size is not None else x.shape[3]
    t, b = same_pads(hs, k, stride)
    l, r = same_pads(ws, k, stride)
    return F.pad(x, (l, r, t, b)) if (t or b or l or r) else x


def swish(x):
    return x * torch.sigmoid(x)


class _Block(nn.Module):
    """MBConv with EfficientNet-PyTorch parameter names."""

    def __init__(self, b, eps):
        super().__init__()
        self.cfg = b
        if b["expand"] != 1:
            self._expand_conv = nn.Conv2d(b["cin"], b["cexp"], 1, bias=False)
            self._bn0 = nn.BatchNorm2d(b["cexp"], eps=eps)
        self._depthwise_conv = nn.Conv2d(b["cexp"], b["cexp"], b["k"], stride=b["stride"],
                                         groups=b["cexp"], bias=False)
        self._bn1 = nn.BatchNorm2d(b["cexp"], eps=eps)
        self._se_reduce = nn.Conv2d(b["cexp"], b["cse"], 1)
        self._se_expand = nn.Conv2d(b["cse"], b["cexp"], 1)
        self._project_conv = nn.Conv2d(b["cexp"], b["cout"], 1, bias=False)
        self._bn2 = nn.BatchNorm2d(b["cout"], eps=eps)

    def forward(self, x, padding, static_size):
        b = self.cfg
        y = x
        if b["expand"] != 1:
            y = swish(self._bn0(self._expand_conv(y)))
        y = pad_for(y, b["k"], b["stride"], padding, static_size)
        y = swish(self._bn1(self._depthwise_conv(y)))
        g = y.mean(dim=(2, 3), keepdim=True)
        g = torch.sigmoid(self._se_expand(swish(self._se_reduce(g))))
        y = self._bn2(self._project_conv(y * g))
        return y + x if b["residual"] else y


class _Backbone(nn.Module):
    def __init__(self, arch, eps):
        super().__init__()
        c = A.stem_channels(arch)
        self._conv_stem = nn.Conv2d(3, c, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(c, eps=eps)
        self._blocks = nn.ModuleList(_Block(b, eps) for b in A.blocks(arch))
        h = A.head_channels(arch)
        self._conv_head = nn.Conv2d(A.blocks(arch)[-1]["cout"], h, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(h, eps=eps)
        att = arch.get("attention_after_block", -1)
        if att >= 0:
            self.attconv = nn.Conv2d(A.blocks(arch)[att]["cout"], 1, 1)


class EffNetRef(nn.Module):
    """EfficientNet (+ optional AutoAtt) with icpr2020dfdc's EfficientNetGenAutoAtt naming."""

    def __init__(self, arch, bn_eps=1e-3, static_same_size=None):
        super().__init__()
        self.arch = dict(arch)
        self.static_same_size = static_same_size
        self.efficientnet = _Backbone(arch, bn_eps)
        self.classifier = nn.Linear(A.head_channels(arch), 1)

    def forward(self, x, probes=None):
        """x: NCHW. probes (dict) receives NHWC numpy arrays when given."""
        arch, net = self.arch, self.efficientnet
        put = _prober(probes)
        size = self.static_same_size
        x = pad_for(x, 3, 2, arch["padding"], size)
        x = swish(net._bn0(net._conv_stem(x)))
        put("stem", x)
        if size is not None:
            size = -(-size // 2)
        blocks = A.blocks(arch)
        for blk, cfg in zip(net._blocks, blocks):
            x = blk(x, arch["padding"], size)
            if size is not None:
                size = -(-size // cfg["stride"])
            if cfg["index"] == arch.get("attention_after_block", -1):
                a = torch.sigmoid(net.attconv(x))
                put("att", a)
                x = x * a
            if cfg["index"] == len(blocks) - 1 or blocks[cfg["index"] + 1]["stage"] != cfg["stage"]:
                put(f"stage.{cfg['stage']}", x)
        x = swish(net._bn1(net._conv_head(x)))
        put("head", x)
        x = x.mean(dim=(2, 3))
        put("pooled", x)
        x = self.classifier(x)
        put("logit", x)
        return x


def _prober(probes):
    def put(name, t):
        if probes is None:
            return
        v = t.detach()
        if v.dim() == 4:
            v = v.permute(0, 2, 3, 1)
        probes[name] = v[0].cpu().numpy().copy()
    return put


def forward_tensors(tensors, arch, x_nhwc, probes=None, dtype=torch.float64):
    """Runs FORMAT.md tensors (numpy, BN folded) on an NHWC [1,H,W,3] input; returns the logit.

    Written against the format, not against any module: it is what the C++ forward() computes.
    """
    A.check_tensors(tensors, arch)
    T = {k: torch.from_numpy(np.asarray(v, np.float64)).to(dtype) for k, v in tensors.items()}
    pad = arch["padding"]
    put = _prober(probes)

    def conv_hwio(x, w, b, stride, act):
        k = w.shape[0]
        x = pad_for(x, k, stride, pad) if k > 1 else x
        y = F.conv2d(x, w.permute(3, 2, 0, 1), b, stride=stride)
        return swish(y) if act else y

    def conv1x1(x, w, b, act=True):
        y = torch.einsum("nchw,cd->ndhw", x, w[0, 0]) + b[None, :, None, None]
        return swish(y) if act else y

    x = torch.from_numpy(np.asarray(x_nhwc, np.float64)).to(dtype).permute(0, 3, 1, 2)
    x = conv_hwio(x, T["stem.w"], T["stem.b"], 2, True)
    put("stem", x)
    blocks = A.blocks(arch)
    for b in blocks:
        p = f"blocks.{b['index']}."
        y = x
        if b["expand"] != 1:
            y = conv1x1(y, T[p + "expand.w"], T[p + "expand.b"])
        w = T[p + "dw.w"]  # [k, k, c]
        y = pad_for(y, b["k"], b["stride"], pad)
        y = swish(F.conv2d(y, w.permute(2, 0, 1).unsqueeze(1), T[p + "dw.b"], stride=b["stride"],
                           groups=b["cexp"]))
        g = y.mean(dim=(2, 3))
        g = swish(g @ T[p + "se.reduce.w"] + T[p + "se.reduce.b"])
        g = torch.sigmoid(g @ T[p + "se.expand.w"] + T[p + "se.expand.b"])
        y = conv1x1(y * g[:, :, None, None], T[p + "project.w"], T[p + "project.b"], act=False)
        x = y + x if b["residual"] else y
        if b["index"] == arch.get("attention_after_block", -1):
            a = torch.sigmoid(conv1x1(x, T["att.w"], T["att.b"], act=False))
            put("att", a)
            x = x * a
        if b["index"] == len(blocks) - 1 or blocks[b["index"] + 1]["stage"] != b["stage"]:
            put(f"stage.{b['stage']}", x)
    x = conv1x1(x, T["head.w"], T["head.b"])
    put("head", x)
    x = x.mean(dim=(2, 3))
    put("pooled", x)
    x = x @ T["fc.w"] + T["fc.b"]
    put("logit", x)
    return x[0].numpy()


def torchvision_probes(model, x_nchw):
    """Runs a torchvision EfficientNet and collects the same probe names via its module tree."""
    probes = {}
    put = _prober(probes)
    with torch.no_grad():
        x = model.features[0](x_nchw)
        put("stem", x)
        for s in range(1, 8):
            x = model.features[s](x)
            put(f"stage.{s - 1}", x)
        x = model.features[8](x)
        put("head", x)
        x = torch.flatten(model.avgpool(x), 1)
        put("pooled", x)
        x = model.classifier(x)
        put("logit", x)
    return x, probes
