"""EfficientNet geometry from the `arch` header block of FORMAT.md (pure Python, no numpy/torch).

Shared by the importers (effnet_import.py) and the PyTorch reference (tools/pt/effnet_ref.py),
so both expand `{"width_mult", "depth_mult", ...}` into the same list of blocks.
"""

import math

# (expand, kernel, stride, cin, cout, repeats) of EfficientNet-B0, FORMAT.md.
B0_STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
             (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
             (6, 3, 1, 192, 320, 1)]
B0_STEM, B0_HEAD = 32, 1280
# name -> (width_mult, depth_mult, native resolution)
VARIANTS = {"b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260),
            "b3": (1.2, 1.4, 300), "b4": (1.4, 1.8, 380)}


def round_filters(c, width):
    v = c * width
    out = max(8, int(v + 4) // 8 * 8)
    if out < 0.9 * v:
        out += 8
    return out


def round_repeats(n, depth):
    return int(math.ceil(n * depth))


def make_arch(variant="b0", width_mult=None, depth_mult=None, padding="symmetric",
              attention_after_block=-1, head=B0_HEAD):
    """The FORMAT.md `arch` dict. width/depth default to the named variant's."""
    if variant in VARIANTS:
        w, d, _ = VARIANTS[variant]
    elif variant == "custom":
        if width_mult is None or depth_mult is None:
            raise ValueError("variant 'custom' needs width_mult and depth_mult")
        w, d = width_mult, depth_mult
    else:
        raise ValueError(f"unknown variant {variant!r} (b0..b4 or custom)")
    if width_mult is not None and variant != "custom" and width_mult != w:
        raise ValueError(f"{variant} has width {w}, not {width_mult}: use variant 'custom'")
    if depth_mult is not None and variant != "custom" and depth_mult != d:
        raise ValueError(f"{variant} has depth {d}, not {depth_mult}: use variant 'custom'")
    if padding not in ("symmetric", "same"):
        raise ValueError(f"padding must be 'symmetric' or 'same', got {padding!r}")
    return {"family": "efficientnet", "variant": variant, "width_mult": float(w),
            "depth_mult": float(d), "padding": padding,
            "attention_after_block": int(attention_after_block), "head": int(head)}


def blocks(arch):
    """Expanded block list: dicts with index, stage, expand, k, stride, cin, cexp, cse, cout,
    residual."""
    w, d = arch["width_mult"], arch["depth_mult"]
    out = []
    for stage, (e, k, s, cin, cout, n) in enumerate(B0_STAGES):
        cin, cout = round_filters(cin, w), round_filters(cout, w)
        for r in range(round_repeats(n, d)):
            bin_ = cin if r == 0 else cout
            stride = s if r == 0 else 1
            cexp = bin_ * e
            out.append({"index": len(out), "stage": stage, "expand": e, "k": k,
                        "stride": stride, "cin": bin_, "cexp": cexp,
                        "cse": max(1, int(bin_ * 0.25)), "cout": cout,
                        "residual": stride == 1 and bin_ == cout})
    att = arch.get("attention_after_block", -1)
    if att >= len(out) or att < -1:
        raise ValueError(f"attention_after_block {att} outside 0..{len(out) - 1}")
    return out


def stem_channels(arch):
    return round_filters(B0_STEM, arch["width_mult"])


def head_channels(arch):
    return round_filters(arch.get("head", B0_HEAD), arch["width_mult"])


def expected_shapes(arch):
    """name -> shape of every tensor FORMAT.md defines for this arch (fc to one logit)."""
    shapes = {}
    c = stem_channels(arch)
    shapes["stem.w"], shapes["stem.b"] = [3, 3, 3, c], [c]
    att = arch.get("attention_after_block", -1)
    for b in blocks(arch):
        p = f"blocks.{b['index']}."
        if b["expand"] != 1:
            shapes[p + "expand.w"], shapes[p + "expand.b"] = [1, 1, b["cin"], b["cexp"]], \
                [b["cexp"]]
        shapes[p + "dw.w"], shapes[p + "dw.b"] = [b["k"], b["k"], b["cexp"]], [b["cexp"]]
        shapes[p + "se.reduce.w"], shapes[p + "se.reduce.b"] = [b["cexp"], b["cse"]], [b["cse"]]
        shapes[p + "se.expand.w"], shapes[p + "se.expand.b"] = [b["cse"], b["cexp"]], \
            [b["cexp"]]
        shapes[p + "project.w"], shapes[p + "project.b"] = [1, 1, b["cexp"], b["cout"]], \
            [b["cout"]]
        if b["index"] == att:
            shapes["att.w"], shapes["att.b"] = [1, 1, b["cout"], 1], [1]
    last = blocks(arch)[-1]["cout"]
    h = head_channels(arch)
    shapes["head.w"], shapes["head.b"] = [1, 1, last, h], [h]
    shapes["fc.w"], shapes["fc.b"] = [h, 1], [1]
    return shapes


def ordered_names(arch):
    """Canonical tensor order for written files: network order, attention after its block."""
    return list(expected_shapes(arch))


def check_tensors(tensors, arch):
    """Raises ValueError naming the first missing, extra or misshapen tensor."""
    want = expected_shapes(arch)
    for name, shape in want.items():
        if name not in tensors:
            raise ValueError(f"tensor {name} missing (arch expects shape {shape})")
        got = list(tensors[name].shape)
        if got != shape:
            raise ValueError(f"tensor {name} has shape {got}, arch expects {shape}")
    extra = [n for n in tensors if n not in want]
    if extra:
        raise ValueError(f"tensors not in the arch: {extra[:5]}")
