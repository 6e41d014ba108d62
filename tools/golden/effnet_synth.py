#!/usr/bin/env python3
"""Synthetic EfficientNet weights defined by an integer hash, so golden models need not be
committed: `X.dfs.json` (the exact header bytes) regenerates the bit-identical `X.dfs`.

Definition (also implemented by effnet_synth.mjs for Node-only machines). For the entry at
position j of the header's "tensors" table and its element i (row-major):
    hash32(x) = lowbias32: x ^= x>>16; x *= 0x7feb352d; x ^= x>>15; x *= 0x846ca68b; x ^= x>>16
                (uint32 arithmetic)
    key_j = hash32((seed + 0x9E3779B9 * (j + 1)) mod 2^32);   v = hash32(key_j XOR i)
    i8 entry:                     q = (v mod 255) - 127
    f32 entry "<W>:scale" ([C]):  fan_in = product(shape(W)[:-1]);
                                  a = sqrt(3 / fan_in) * gain / 127            (float64)
                                  scale = float32(a * (0.75 + 0.5 * (v / 2^32)))
    any other f32 entry (bias):   float32(bias_range * (v / 2^32 - 0.5))
seed, gain and bias_range are in header["provenance"]["synth"]. Weight value = float32(q * scale),
the same float32 product the loader computes.

    python3 tools/golden/effnet_synth.py tests/golden/effnet_b0_synth.dfs.json OUT.dfs
"""

import hashlib
import json
import os
import struct
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pt"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "convert"))
import dfs_format as D  # noqa: E402

GOLDEN_RATIO = 0x9E3779B9
M32 = 0xFFFFFFFF


def hash32(x):
    """lowbias32 on a uint array or int (vectorized through uint64 to avoid overflow)."""
    x = np.asarray(x, np.uint64) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & np.uint64(M32)
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & np.uint64(M32)
    x ^= x >> np.uint64(16)
    return x


def stream(seed, j, n):
    """The n uint32 values of table entry j."""
    key = hash32((seed + GOLDEN_RATIO * (j + 1)) & M32)
    return hash32(key ^ np.arange(n, dtype=np.uint64))  # n < 2**32 for any real tensor


def synth_entries(names_shapes, seed, gain, bias_range):
    """[(name, shape)] in tensor order -> raw .dfs entries (ndim >= 2: i8 + :scale; else f32)."""
    layout = []
    for name, shape in names_shapes:
        if len(shape) >= 2:
            layout += [(name, "i8", shape), (name + D.SCALE_SUFFIX, "f32", [shape[-1]])]
        else:
            layout.append((name, "f32", shape))
    return fill(layout, seed, gain, bias_range)


def fill(layout, seed, gain, bias_range):
    """layout [(name, dtype, shape)] (a .dfs table order) -> entries with synthetic data."""
    shapes = {n: s for n, _, s in layout}
    entries = []
    for j, (name, dt, shape) in enumerate(layout):
        n = int(np.prod(shape))
        v = stream(seed, j, n)
        if dt == "i8":
            arr = ((v % np.uint64(255)).astype(np.int64) - 127).astype(np.int8)
        elif dt == "f32" and name.endswith(D.SCALE_SUFFIX):
            w_shape = shapes[name[:-len(D.SCALE_SUFFIX)]]
            fan_in = int(np.prod(w_shape[:-1]))
            a = np.sqrt(3.0 / fan_in) * gain / 127.0
            arr = (a * (0.75 + 0.5 * (v.astype(np.float64) / 4294967296.0))).astype(np.float32)
        elif dt == "f32":
            arr = (bias_range * (v.astype(np.float64) / 4294967296.0 - 0.5)).astype(np.float32)
        else:
            raise ValueError(f"{name}: synthetic {dt} not defined")
        entries.append((name, dt, arr.reshape(shape)))
    return entries


def dequantize(entries):
    """Entries -> {name: float32 array} exactly as a loader expands them."""
    raw = {n: a for n, _, a in entries}
    out = {}
    for name, dt, arr in entries:
        if name.endswith(D.SCALE_SUFFIX) and name[:-len(D.SCALE_SUFFIX)] in raw:
            continue
        if dt == "i8":
            out[name] = arr.astype(np.float32) * raw[name + D.SCALE_SUFFIX]
        else:
            out[name] = arr.astype(np.float32)
    return out


def materialize(json_path, out_path=None):
    """Rebuilds the .dfs whose header bytes are in json_path; returns (bytes, sha256)."""
    with open(json_path, "rb") as f:
        js = f.read()
    header = json.loads(js)
    syn = header["provenance"]["synth"]
    layout = [(t["name"], t["dtype"], t["shape"]) for t in header["tensors"]]
    entries = fill(layout, syn["seed"], syn["gain"], syn["bias_range"])
    blob = D.encode_dfs({k: v for k, v in header.items() if k != "tensors"}, entries)
    json_len = struct.unpack_from("<I", blob, 12)[0]
    if blob[16:16 + json_len] != js:
        raise ValueError(f"{json_path}: re-encoded header differs from the stored bytes")
    if out_path:
        with open(out_path, "wb") as f:
            f.write(blob)
    return blob, hashlib.sha256(blob).hexdigest()


def header_bytes(blob):
    json_len = struct.unpack_from("<I", blob, 12)[0]
    return blob[16:16 + json_len]


def crc_ok(blob):
    return zlib.crc32(blob[:-4]) & M32 == struct.unpack("<I", blob[-4:])[0]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    blob, sha = materialize(sys.argv[1], sys.argv[2])
    print(f"{sys.argv[2]}: {len(blob)} bytes, sha256 {sha}")
