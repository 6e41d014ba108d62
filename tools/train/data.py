"""DFDC face-crop data for the classifier: manifest, source-video split, decoded cache, augments.

The shards are read directly from ../shared/data/dfdc-faces (never copied into the repo). All
crops are decoded once into a uint8 memmap in tools/train/cache/ at `cache_size` (a margin
above the input size so random crops still have pixels to spare); epochs then cost no JPEG
decoding. Terms: DFDC is for research, non-commercial use only.
"""

import csv
import hashlib
import io
import json
import os
import tarfile
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

import crop

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CACHE = os.path.join(HERE, "cache")
DATA = os.environ.get("DFS_DATA", os.path.join(REPO, "..", "shared", "data", "dfdc-faces"))

VAL_PER_MILLE = 120  # ~12% of source videos go to validation


def read_manifest(data_dir=DATA):
    with open(os.path.join(data_dir, "manifest.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["label"] not in ("REAL", "FAKE"):
            raise ValueError(f"bad label in manifest: {r}")
    return rows


def is_val(source_video):
    """Deterministic split on the source video: a real and all fakes made from it share it."""
    h = hashlib.md5(source_video.encode("utf-8")).digest()
    return int.from_bytes(h[:4], "little") % 1000 < VAL_PER_MILLE


def split(rows):
    """Returns (labels int8 [N] with 1 = FAKE, val mask bool [N])."""
    labels = np.array([r["label"] == "FAKE" for r in rows], dtype=np.int8)
    val = np.array([is_val(r["source_video"]) for r in rows], dtype=bool)
    return labels, val


def decode_cache(rows, size, name, data_dir, to_pixels, extra_meta=None, log=print):
    """Decodes every crop of `rows` (from the tar shards in data_dir) once into a uint8 memmap
    cache/<name>_<size>.u8 of [N, size, size, 3]; to_pixels(PIL image, row) makes the size x
    size RGB array. Reused while its .json (count, size, file list, extra_meta) matches."""
    base = os.path.join(CACHE, f"{name}_{size}")
    path, meta_path = base + ".u8", base + ".json"
    want = {"n": len(rows), "size": size, **(extra_meta or {}),
            "files": hashlib.md5("\n".join(r["file"] for r in rows).encode()).hexdigest()}
    shape = (len(rows), size, size, 3)
    if os.path.exists(meta_path) and os.path.exists(path):
        with open(meta_path) as f:
            if json.load(f) == want:
                return np.memmap(path, dtype=np.uint8, mode="r", shape=shape)
    os.makedirs(CACHE, exist_ok=True)
    index = {(r["shard"], r["file"]): i for i, r in enumerate(rows)}
    arr = np.memmap(path + ".tmp", dtype=np.uint8, mode="w+", shape=shape)
    done = np.zeros(len(rows), dtype=bool)
    t0 = time.time()
    for shard in sorted({r["shard"] for r in rows}):
        with tarfile.open(os.path.join(data_dir, shard)) as tar:
            for m in tar:
                i = index.get((shard, m.name))
                if i is None or not m.isfile():
                    continue
                im = Image.open(io.BytesIO(tar.extractfile(m).read())).convert("RGB")
                arr[i] = to_pixels(im, rows[i])
                done[i] = True
        log(f"cache {name} {size}: {shard} done, {done.sum()}/{len(rows)} in {time.time() - t0:.0f}s")
    if not done.all():
        missing = [rows[i]["file"] for i in np.flatnonzero(~done)[:5]]
        raise RuntimeError(f"{(~done).sum()} manifest files not found in shards, e.g. {missing}")
    arr.flush()
    del arr
    os.replace(path + ".tmp", path)
    with open(meta_path, "w") as f:
        json.dump(want, f)
    return np.memmap(path, dtype=np.uint8, mode="r", shape=shape)


def build_cache(rows, size, data_dir=DATA, log=print):
    """DFDC crops, resized (Lanczos) to size x size."""
    def to_pixels(im, _row):
        return np.asarray(im if im.size == (size, size) else im.resize((size, size), Image.LANCZOS))
    return decode_cache(rows, size, "crops", data_dir, to_pixels, log=log)


# ---------------------------------------------------------------- augmentation (numpy + PIL)

# Product framing. framing.py ran the short-range BlazeFace over 400 stored crops: the box's
# larger side is a median 0.929 stored-crop sides (1.30 / 1.4; 5-95%: 0.81-1.05), its centre
# 0.07 sides below the crop's (dx 5-95%: +-0.15). The product's crop is that box widened by
# PRODUCT_MARGIN of its side on every side (the header's preprocess.margin); where it runs past
# the stored crop, the crop is mirrored. Margin 0.1 (side 1.11) replaced 0.2 (side 1.30) after
# the fourth cycle: on that checkpoint with flip TTA, validation AUC was 0.8604 at side 1.31,
# 0.8678 at 1.2, 0.8755 at 1.1, 0.8704 at 1.0 (PyTorch), and through the wasm eval 0.848 at
# margin 0.2 and 0.872 at margin 0.1.
BOX_SIDE, PRODUCT_DY = 0.929, 0.07
PRODUCT_MARGIN = 0.1
PRODUCT_SIDE = round(BOX_SIDE * (1 + 2 * PRODUCT_MARGIN), 3)


def crop_square(img, cx, cy, side, out, method=Image.BILINEAR):
    """The square (cx, cy, side) of img (pixels), mirrored beyond its edges, resized to out."""
    s = img.shape[0]
    side = max(8, int(round(side)))
    x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
    pad = max(0, -x0, -y0, x0 + side - s, y0 + side - s)
    if pad:
        pad = min(pad, s - 1)
        img = np.pad(img, ((pad, pad), (pad, pad), (0, 0)), mode="symmetric")
        x0, y0 = x0 + pad, y0 + pad
    return Image.fromarray(img[y0:y0 + side, x0:x0 + side]).resize((out, out), method)


def face_crop(img, out, rng, side=(0.9, 1.45), dx=(-0.08, 0.08), dy=(-0.02, 0.14)):
    """Random framing: side 0.90-1.45 stored-crop sides (the product's: 1.11 at margin 0.1, 1.30
    at the 0.2 of the first four cycles), centre jittered around the product's +0.07 down."""
    s = img.shape[0]
    method = [Image.BILINEAR, Image.BICUBIC, Image.LANCZOS, Image.BOX][rng.integers(4)]
    return crop_square(img, s * (0.5 + rng.uniform(*dx)), s * (0.5 + rng.uniform(*dy)),
                       s * rng.uniform(*side), out, method)


def center_crop(img, out, side_mult=PRODUCT_SIDE):
    """Validation framing: the product's median crop (side_mult stored-crop sides; others for
    tta_check.py), cut by the engine's own resampling (crop.py: area cells, mirrored border;
    parity-tested against the engine within 1/255), rounded to 8 bits for the validation cache."""
    s = img.shape[0]
    side = s * side_mult
    a = crop.resample_region(img, s * 0.5 - side / 2, s * (0.5 + PRODUCT_DY) - side / 2, side, side,
                             out, out, mirror=True)
    return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8))


def color_jitter(a, rng, strength=1.0):
    """Brightness, contrast, saturation and a per-channel gain on float32 HWC in [0,255]."""
    a = a * rng.uniform(1 - 0.25 * strength, 1 + 0.25 * strength)
    mean = a.mean()
    a = (a - mean) * rng.uniform(1 - 0.25 * strength, 1 + 0.25 * strength) + mean
    gray = a.mean(axis=2, keepdims=True)
    a = (a - gray) * rng.uniform(1 - 0.3 * strength, 1 + 0.3 * strength) + gray
    a = a * rng.uniform(1 - 0.06 * strength, 1 + 0.06 * strength, size=3).astype(np.float32)
    return a


def degrade(im, rng, p=1.0):
    """The damage real-world images carry: resize down/up, blur, noise, JPEG, colour shifts.

    im: PIL RGB at the input size. Returns a PIL image of the same size.
    """
    n = im.size[0]
    if rng.random() < 0.5 * p:
        a = color_jitter(np.asarray(im, dtype=np.float32), rng)
        im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if rng.random() < 0.25 * p:
        k = int(n * rng.uniform(0.35, 0.8))
        im = im.resize((k, k), Image.BILINEAR).resize((n, n), Image.BILINEAR)
    if rng.random() < 0.15 * p:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.3)))
    if rng.random() < 0.15 * p:
        a = np.asarray(im, dtype=np.float32)
        a = a + rng.normal(0, rng.uniform(2, 8), size=a.shape).astype(np.float32)
        im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if rng.random() < 0.5 * p:
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=int(rng.integers(30, 96)))
        im = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return im


def self_blend(img, rng, lowres_p=0.0, mouth_p=0.0):
    """A self-blended pseudo-fake (after Shiohara & Yamasaki, CVPR 2022) from one real crop.

    A colour/sharpness-shifted, slightly rescaled and shifted copy of the face is pasted back
    through a soft mask, leaving the blending boundary and statistic mismatch that face swaps
    leave. We have no landmarks: the mask is a jittered ellipse around the (centred) face.
    lowres_p: the chance that the copy is instead rendered at 0.3-0.6 of the crop's side and
    scaled back up, a face softer than its surroundings, as swap models that generate the face
    at 128 px (inswapper) leave it. At 0 the random stream is the one before this option.
    mouth_p: the chance that only the mouth and jaw are blended, from a copy stretched or squashed
    vertically on its own (a changed expression), as reenactment (Face2Face, NeuralTextures)
    re-renders the lower face and leaves the eyes and skin around them untouched. The stored
    crops put the mouth at 0.72-0.80 of the side (checked on DFDC and faces-mixed crops). At 0 the
    random stream is the one before this option.
    """
    s = img.shape[0]
    mouth = mouth_p > 0 and rng.random() < mouth_p
    src = color_jitter(img.astype(np.float32), rng, strength=0.6)
    src_im = Image.fromarray(np.clip(src, 0, 255).astype(np.uint8))
    if lowres_p > 0 and rng.random() < lowres_p:
        k = max(8, int(round(s * rng.uniform(0.3, 0.6))))
        src_im = src_im.resize((k, k), Image.BILINEAR).resize((s, s), Image.BILINEAR)
    elif rng.random() < 0.5:
        src_im = src_im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)) if rng.random()
                               < 0.5 else ImageFilter.SHARPEN)
    z = rng.uniform(0.95, 1.05)
    k = max(8, int(round(s * z)))
    kh = max(8, int(round(s * z * rng.uniform(0.92, 1.1)))) if mouth else k
    src_im = src_im.resize((k, kh), Image.BILINEAR)
    dx, dy = (int(round(v)) for v in rng.uniform(-0.03, 0.03, size=2) * s)
    canvas = Image.fromarray(img)
    # a vertical stretch is anchored at the mouth, so the mouth moves no more than the shift
    top = (s - kh) // 2 if not mouth else int(round(0.76 * (s - kh)))
    canvas.paste(src_im, ((s - k) // 2 + dx, top + dy))
    src = np.asarray(canvas, dtype=np.float32)

    mask = Image.new("L", (s, s), 0)
    if mouth:
        cx, cy = s * (0.5 + rng.uniform(-0.03, 0.03)), s * (0.76 + rng.uniform(-0.03, 0.03))
        ax, ay = s * rng.uniform(0.16, 0.26), s * rng.uniform(0.09, 0.17)
    else:
        cx, cy = s * (0.5 + rng.uniform(-0.04, 0.04)), s * (0.52 + rng.uniform(-0.04, 0.04))
        ax, ay = s * rng.uniform(0.24, 0.36), s * rng.uniform(0.30, 0.42)
    ImageDraw.Draw(mask).ellipse([cx - ax, cy - ay, cx + ax, cy + ay], fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(s * rng.uniform(0.01, 0.06)))
    m = np.asarray(mask, dtype=np.float32)[..., None] / 255.0
    m = m * [0.25, 0.5, 0.75, 1.0, 1.0, 1.0][rng.integers(6)]
    out = src * m + img.astype(np.float32) * (1 - m)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


MEAN_STD = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])  # ImageNet's, on [0,1] pixels
MEAN = np.array(MEAN_STD[0], dtype=np.float32)
STD = np.array(MEAN_STD[1], dtype=np.float32)


def to_chw(im):
    a = (np.asarray(im, dtype=np.float32) / 255.0 - MEAN) / STD
    return np.ascontiguousarray(a.transpose(2, 0, 1))


class TrainSet:
    """Map-style dataset over an epoch list of (row index, kind): 0 real, 1 fake, 2 self-blend.

    kinds (optional, int8 per row, see kind_target) adds the second output's target to each
    sample: -1 for reals (ignored by the loss), 0 for self-blends."""

    def __init__(self, crops, items, input_size, seed, kinds=None, sbi_lowres=0.0, soften=0.0,
                 sbi_mouth=0.0):
        self.crops, self.items, self.n, self.seed = crops, items, input_size, seed
        self.kinds, self.sbi_lowres, self.soften = kinds, sbi_lowres, soften
        self.sbi_mouth = sbi_mouth
        self.epoch = 0

    def __len__(self):
        return len(self.items)

    def __getitem__(self, j):
        i, kind = self.items[j]
        rng = np.random.default_rng((self.seed, self.epoch, j))
        img = np.asarray(self.crops[i])
        if kind == 2:
            img = self_blend(img, rng, self.sbi_lowres, self.sbi_mouth)
        im = face_crop(img, self.n, rng)
        im = degrade(im, rng)
        if self.soften > 0 and rng.random() < self.soften:
            im = soften(im, rng)
        if self.kinds is not None:
            im = travel(im, rng)
        if rng.random() < 0.5:
            im = im.transpose(Image.FLIP_LEFT_RIGHT)
        x, y = to_chw(im), np.float32(kind >= 1)
        if self.kinds is None:
            return x, y
        return x, y, np.float32(0 if kind == 2 else self.kinds[i])


def soften(im, rng):
    """The whole image rendered at 0.3-0.7 of its side and scaled back up, whatever its label.

    faces-mixed's sources differ in sharpness (FF++ c40 frames soft, diffusion portraits sharp),
    so sharpness alone ranks its fakes against the pooled reals (paired_check.py); shown on reals
    and fakes alike, softness stops carrying the label."""
    n = im.size[0]
    k = max(8, int(round(n * rng.uniform(0.3, 0.7))))
    method = Image.BICUBIC if rng.random() < 0.5 else Image.BILINEAR
    return im.resize((k, k), method).resize((n, n), method)


GRAY_P = 0.12  # 0.05 until the sixth cycle; grey versions of faces still flipped 19% of verdicts


def travel(im, rng):
    """What sharing does to a photo beyond degrade(): a second JPEG pass at another quality,
    grayscale conversion, gamma."""
    if rng.random() < 0.2:
        for q in rng.integers(40, 96, size=2):
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=int(q))
            im = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    if rng.random() < GRAY_P:
        im = im.convert("L").convert("RGB")
    if rng.random() < 0.15:
        a = np.asarray(im, dtype=np.float32) / 255.0
        im = Image.fromarray(np.clip(255.0 * a ** rng.uniform(0.7, 1.4), 0, 255).astype(np.uint8))
    return im


def epoch_items(train_idx, labels, rng, sbi_frac, weights=None):
    """Balanced epoch: every train fake once, reals resampled to the same count, plus
    sbi_frac * that count self-blended pseudo-fakes made from random reals. weights (int per
    row, optional) shows a row that many times (the small faces-mixed pool next to DFDC)."""
    fakes = train_idx[labels[train_idx] == 1]
    reals = train_idx[labels[train_idx] == 0]
    if weights is not None:
        fakes, reals = np.repeat(fakes, weights[fakes]), np.repeat(reals, weights[reals])
    nf = len(fakes)
    r = np.concatenate([rng.permutation(reals) for _ in range(nf // len(reals) + 1)])[:nf]
    items = [(int(i), 1) for i in fakes] + [(int(i), 0) for i in r]
    items += [(int(i), 2) for i in rng.choice(reals, int(sbi_frac * nf))]
    order = rng.permutation(len(items))
    return [items[k] for k in order]


# ---------------------------------------------------------------- faces-mixed (16 other sources)

MIXED = os.environ.get("DFS_MIXED", os.path.join(REPO, "..", "shared", "data", "faces-mixed"))
MIXED_VAL_PER_MILLE = 200  # ~20% of source groups: the pool is small, the per-kind AUCs need n
SYNTHETIC_KINDS = ("gan", "diffusion")  # whole face generated; swap/reenactment: face replaced
FAKE_KINDS = ("gan", "diffusion", "swap", "reenactment")


def read_mixed_manifest(data_dir=MIXED):
    with open(os.path.join(data_dir, "manifest.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["label"] not in ("REAL", "FAKE") or r["kind"] not in FAKE_KINDS + ("real",):
            raise ValueError(f"bad label/kind in faces-mixed manifest: {r['file']}")
    return rows


def _group_rank(source_group):
    h = hashlib.md5(("mixed:" + source_group).encode("utf-8")).digest()
    return int.from_bytes(h[:4], "little")


def mixed_val_groups(rows):
    """The validation source_groups of faces-mixed: a group (a video pair, an identity, a swap and
    its target) is never split. Stratified: within each stratum (source repo + the group's
    prefix, e.g. FaceForensics++ pairs apart from DFD actors) the groups are ordered by a hash
    and the first MIXED_VAL_PER_MILLE / 1000 of them (at least one where the stratum has three
    or more) go to validation, so small sources such as the five FF++ pairs, the only
    reenactment source, are represented on both sides."""
    strata = {}
    for r in rows:
        key = (r["source_repo"], r["source_group"].split(":")[0])
        strata.setdefault(key, set()).add(r["source_group"])
    val = set()
    for groups in strata.values():
        order = sorted(groups, key=lambda g: (_group_rank(g), g))
        k = int(round(len(order) * MIXED_VAL_PER_MILLE / 1000))
        if k == 0 and len(order) >= 3:
            k = 1
        val.update(order[:k])
    return val


def mixed_stored_square(r):
    """(cx, cy, side) in the 224 crop of the square a DFDC stored crop would be around this box:
    the box's side is BOX_SIDE of it and the box centre PRODUCT_DY of it below its centre (what
    framing.py measured on DFDC), so one framing recipe serves both pools."""
    bx, by, bw, bh = (float(r[k]) for k in ("box_x", "box_y", "box_w", "box_h"))
    side = max(bw, bh) / BOX_SIDE
    return bx + bw / 2, by + bh / 2 - PRODUCT_DY * side, side


def build_mixed_cache(rows, size, data_dir=MIXED, log=print):
    """faces-mixed crops, re-framed like DFDC stored crops (mixed_stored_square)."""
    def to_pixels(im, row):
        cx, cy, side = mixed_stored_square(row)
        return np.asarray(crop_square(np.asarray(im), cx, cy, side, size, Image.LANCZOS))
    return decode_cache(rows, size, "mixed", data_dir, to_pixels,
                        {"box_side": BOX_SIDE, "dy": PRODUCT_DY}, log=log)


class Pools:
    """Row-indexable view over several crop arrays (DFDC, then faces-mixed)."""

    def __init__(self, *arrays):
        self.arrays = arrays
        self.starts = np.cumsum([0] + [len(a) for a in arrays])

    def __len__(self):
        return int(self.starts[-1])

    def __getitem__(self, i):
        k = int(np.searchsorted(self.starts, i, side="right") - 1)
        return self.arrays[k][i - self.starts[k]]


def kind_target(kind):
    """Second output's target: 1 synthetic (gan, diffusion), 0 replaced (swap, reenactment,
    DFDC, self-blends), -1 real (no kind)."""
    if kind == "real":
        return -1
    return 1 if kind in SYNTHETIC_KINDS else 0
