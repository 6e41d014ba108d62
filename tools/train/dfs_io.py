"""Between the training model and models/classifier.dfs: export (through the shared converter)
and the way back (resume from the shipped file).

Export uses tools/convert/effnet_import.py (torchvision names -> FORMAT.md tensors, BN folded)
and tools/pt/dfs_format.py; this file only builds the header. The way back cannot un-fold BN:
each conv gets the folded weight, its BN the folded bias with identity statistics, and then
`renormalize_bn` measures every BN input on real batches and re-parameterises the BN so it
normalises again while computing the same function. Adam moments are not in the file: a
resume from .dfs starts a fresh optimizer (the schedule warms up again).
"""

import hashlib
import os
import sys

import numpy as np
import torch

import data
from effnet_model import BN_EPS, EffNetClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools", "pt"))
sys.path.insert(0, os.path.join(REPO, "tools", "convert"))

from dfs_format import read_dfs, write_dfs  # noqa: E402

DEFAULT_DFS = os.path.join(REPO, "models", "classifier.dfs")
TERMS = ("trained on DFDC face crops: research, non-commercial use only "
         "(DeepFake Detection Challenge dataset terms)")
TERMS_MIXED = (TERMS[:-1] + "), and on the faces-mixed pack (16 public sources incl. "
               "FaceForensics++, FFHQ, SDFD, thispersondoesnotexist: research use only, see "
               "models/MODELS.md)")


def converter_available():
    try:
        import effnet_import  # noqa: F401
    except ImportError:
        return False
    return hasattr(effnet_import, "torchvision_to_tensors")


def build_header(arch, input_size, mean, std, calibration, tta, extra_provenance, terms=TERMS):
    """tta: "flip" (the engine averages the logits of the crop and its mirror image) or
    "none"; the calibration must have been fitted on logits computed the same way."""
    if tta not in ("none", "flip"):
        raise ValueError(f"tta must be none or flip, not {tta!r}")
    return {
        "kind": "efficientnet",
        "name": "dfs-classifier-effnet-w{:g}-d{:g}-{}".format(arch["width_mult"],
                                                              arch["depth_mult"], input_size),
        "input": {"height": input_size, "width": input_size, "channels": 3,
                  "mean": [round(float(v), 6) for v in mean],
                  "std": [round(float(v), 6) for v in std]},
        "arch": arch,
        "preprocess": {"margin": data.PRODUCT_MARGIN, "square": True, "resize": "scale", "border": "mirror",
                       "tta": tta},
        "calibration": {"temperature": float(calibration["temperature"]),
                        "threshold": float(calibration["threshold"])},
        "provenance": dict({"source": "trained from scratch by tools/train/train.py "
                                      "(Deepfake Shield)",
                            "license": terms, "terms": terms}, **extra_provenance),
    }


# Weights as shipped: int8 per output channel for tensors of >= I8_MIN_ELEMENTS elements, f16
# for the smaller ones (chosen on the tenth cycle's file, 192 validation crops with their
# mirrors, mean |logit change| against f16: all int8 0.043, this rule 0.003; the twelfth cycle's
# export went from 1,333,960 to 897,160 bytes).
WEIGHT_DTYPE = "i8"
I8_MIN_ELEMENTS = 16384


def write_weights(path, header, tensors, dtype=WEIGHT_DTYPE, i8_min_elements=I8_MIN_ELEMENTS):
    """Writes FORMAT.md tensors, by default with the shipped storage rule, atomically (tmp +
    rename). Returns (bytes, sha256)."""
    tmp = path + ".tmp"
    n = write_dfs(tmp, header, tensors, dtype=dtype, i8_min_elements=i8_min_elements)
    os.replace(tmp, path)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return n, digest


def export_dfs(model, path, header, **storage):
    """Writes the model through the shared converter (storage: write_weights's dtype and
    i8_min_elements; default the shipped rule). Returns (bytes, sha256)."""
    import effnet_import
    sd = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    tensors = effnet_import.torchvision_to_tensors(
        {k: v for k, v in sd.items() if not k.startswith("kind_fc.")}, header["arch"])
    if getattr(model, "kind_fc", None) is not None:  # FORMAT.md: kind.w [head, 1], kind.b [1]
        tensors["kind.w"] = np.ascontiguousarray(sd["kind_fc.weight"].numpy().T)
        tensors["kind.b"] = sd["kind_fc.bias"].numpy().reshape(1)
    return write_weights(path, header, tensors, **storage)


# ------------------------------------------------------------------------- the way back

def _conv_bn_pairs(model):
    """(FORMAT.md prefix, conv module, bn module or None) for every BN-folded conv."""
    out = [("stem", model.features[0][0], model.features[0][1])]
    for n, blk in enumerate(model._blocks):
        seq = list(blk.block)
        names = (["expand"] if len(seq) == 4 else []) + ["dw", "se", "project"]
        for name, mod in zip(names, seq):
            if name == "se":
                continue
            out.append((f"blocks.{n}.{name}", mod[0], mod[1]))
    out.append(("head", model.features[-1][0], model.features[-1][1]))
    return out


def _se_pairs(model):
    for n, blk in enumerate(model._blocks):
        se = blk.block[-2]
        yield f"blocks.{n}.se", se


def _to_torch_conv(name, w, conv):
    """FORMAT.md layout -> torch OIHW."""
    if conv.groups > 1:  # depthwise [k,k,c] -> [c,1,k,k]
        return np.ascontiguousarray(w.transpose(2, 0, 1)[:, None])
    return np.ascontiguousarray(w.transpose(3, 2, 0, 1))  # HWIO -> OIHW


def load_dfs_into_model(path=DEFAULT_DFS, kind_head=None):
    """Builds the training model from a .dfs. Returns (model, header); run renormalize_bn
    on some training batches before training it. kind_head True adds a fresh kind head to a
    file without one."""
    header, t = read_dfs(path)
    if header.get("kind") != "efficientnet":
        raise ValueError(f"{path}: kind {header.get('kind')!r} is not efficientnet")
    if kind_head is not None:
        header = dict(header, arch=dict(header["arch"], kind_head=bool(kind_head)))
    model = EffNetClassifier(header["arch"])
    used = set()

    def take(name, shape):
        arr = t[name]
        if tuple(arr.shape) != tuple(shape):
            raise ValueError(f"{path}: {name} has shape {arr.shape}, model wants {shape}")
        used.add(name)
        return torch.from_numpy(np.ascontiguousarray(arr))

    with torch.no_grad():
        for prefix, conv, bn in _conv_bn_pairs(model):
            w = t[prefix + ".w"]
            conv.weight.copy_(torch.from_numpy(_to_torch_conv(prefix, w, conv)))
            used.add(prefix + ".w")
            bn.weight.fill_(1.0)
            bn.bias.copy_(take(prefix + ".b", bn.bias.shape))
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - BN_EPS)
        for prefix, se in _se_pairs(model):
            se.fc1.weight.copy_(take(prefix + ".reduce.w", se.fc1.weight.shape[1::-1])
                                .t()[:, :, None, None])
            se.fc1.bias.copy_(take(prefix + ".reduce.b", se.fc1.bias.shape))
            se.fc2.weight.copy_(take(prefix + ".expand.w", se.fc2.weight.shape[1::-1])
                                .t()[:, :, None, None])
            se.fc2.bias.copy_(take(prefix + ".expand.b", se.fc2.bias.shape))
        if model.att is not None:
            model.att.weight.copy_(take("att.w", (1, 1, model.att.in_channels, 1))
                                   .permute(3, 2, 0, 1))
            model.att.bias.copy_(take("att.b", (1,)))
        fc = model.classifier[1]
        fc.weight.copy_(take("fc.w", (fc.in_features, 1)).t())
        fc.bias.copy_(take("fc.b", (1,)))
        if model.kind_fc is not None and "kind.w" in t:
            model.kind_fc.weight.copy_(take("kind.w", (fc.in_features, 1)).t())
            model.kind_fc.bias.copy_(take("kind.b", (1,)))
    left = set(t) - used
    if left:
        raise ValueError(f"{path}: tensors the model does not use: {sorted(left)[:5]}")
    return model, header


@torch.no_grad()
def renormalize_bn(model, batches):
    """Turns identity BNs (as loaded from a .dfs) back into normalising ones, keeping the
    function: with input stats m, v it sets gamma = sqrt(v + eps), beta += m, running = m, v.
    The BNs all stay identity while measuring, so every BN sees the folded model's inputs."""
    bns = [bn for _, _, bn in _conv_bn_pairs(model)]
    stats = {id(bn): [0, 0.0, 0.0] for bn in bns}

    def hook(mod, inp, _out):
        x = inp[0].double()
        s = stats[id(mod)]
        s[0] += x.shape[0] * x.shape[2] * x.shape[3]
        s[1] = s[1] + x.sum(dim=(0, 2, 3))
        s[2] = s[2] + (x * x).sum(dim=(0, 2, 3))

    handles = [bn.register_forward_hook(hook) for bn in bns]
    was_training = model.training
    model.eval()
    try:
        for x in batches:
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    for bn in bns:
        n, s1, s2 = stats[id(bn)]
        m = s1 / n
        v = (s2 / n - m * m).clamp_min(0)
        bn.weight.copy_(torch.sqrt(v + bn.eps).float())
        bn.bias.add_(m.float())
        bn.running_mean.copy_(m.float())
        bn.running_var.copy_(v.float())
