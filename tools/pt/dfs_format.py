"""Writer and validating reader of the `.dfs` weights file (src/models/FORMAT.md, version 1).

Only numpy and the standard library: usable by the converters without PyTorch.

    write_dfs(path, header, tensors, dtype="f32" | "f16" | "i8", i8_min_elements=0)
    header, tensors = read_dfs(path)          # every tensor expanded to float32

Storage rules for dtype != "f32": tensors with fewer than two dims (biases, scales, any 1-D
vector) stay f32 because they are tiny and sit on the accuracy-critical path. "i8" is symmetric
per-output-channel: the last dim is the output channel, `<name>:scale` (f32, [last dim]) holds
the scales and value = int8 * scale. With `i8_min_elements` N > 0, "i8" stores only tensors of at
least N elements as int8 and the smaller ones as f16 (the first layers of a small network are
few weights and the most sensitive to rounding; see models/MODELS.md for the classifier's rule).
"""

import json
import struct
import zlib

import numpy as np

MAGIC = b"DFSMODEL"
VERSION = 1
ALIGN = 64
_PREAMBLE = 16  # magic(8) + version(4) + json_len(4)
_CRC_LEN = 4
SCALE_SUFFIX = ":scale"
_DTYPE_SIZE = {"f32": 4, "f16": 2, "i8": 1}
_NP_DTYPE = {"f32": np.dtype("<f4"), "f16": np.dtype("<f2"), "i8": np.dtype("i1")}


class DfsError(ValueError):
    """A .dfs file (or a request to write one) violates FORMAT.md."""


def _align(n, a=ALIGN):
    return (n + a - 1) // a * a


def quantize_i8(x):
    """Symmetric per-last-dim int8: returns (q int8 array, scale f32 [last dim]).

    A channel that is all zeros gets scale 1 so dequantization stays exact and finite.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim < 1 or x.shape[-1] == 0:
        raise DfsError("i8 quantization needs a tensor with a non-empty last dim")
    amax = np.abs(x.reshape(-1, x.shape[-1])).max(axis=0)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(x / scale), -127, 127).astype(np.int8)
    return q, scale


def _encode(name, arr, dtype, i8_min_elements=0):
    """Yields (name, dtype, np array in storage dtype) entries for one logical tensor."""
    arr = np.asarray(arr)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if not np.issubdtype(arr.dtype, np.floating) and not np.issubdtype(arr.dtype, np.integer):
        raise DfsError(f"tensor {name!r}: unsupported numpy dtype {arr.dtype}")
    arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        raise DfsError(f"tensor {name!r} has non-finite values")
    if dtype == "f32" or arr.ndim < 2:
        return [(name, "f32", arr.astype(_NP_DTYPE["f32"]))]
    if dtype == "i8" and arr.size < i8_min_elements:
        dtype = "f16"
    if dtype == "f16":
        if np.abs(arr).max(initial=0.0) > 65504.0:
            raise DfsError(f"tensor {name!r} overflows f16")
        return [(name, "f16", arr.astype(_NP_DTYPE["f16"]))]
    q, scale = quantize_i8(arr)
    return [(name, "i8", q), (name + SCALE_SUFFIX, "f32", scale.astype(_NP_DTYPE["f32"]))]


def write_dfs(path, header, tensors, dtype="f32", i8_min_elements=0):
    """Writes `tensors` (name -> array, in the dict's order) with `header` as the JSON header.
    With dtype "i8", tensors of fewer than `i8_min_elements` elements are stored as f16.

    The header's "tensors" table is generated here (any given one is replaced). Returns the
    number of bytes written.
    """
    if dtype not in _DTYPE_SIZE:
        raise DfsError(f"dtype must be one of {sorted(_DTYPE_SIZE)}, got {dtype!r}")
    entries = []
    for name, arr in tensors.items():
        if not isinstance(name, str) or not name:
            raise DfsError(f"tensor names must be non-empty strings, got {name!r}")
        if name.endswith(SCALE_SUFFIX):
            raise DfsError(f"tensor name {name!r} uses the reserved suffix {SCALE_SUFFIX}")
        entries.extend(_encode(name, arr, dtype, i8_min_elements))
    return write_dfs_raw(path, header, entries)


def write_dfs_raw(path, header, entries):
    """Writes already-encoded entries [(name, "f32"|"f16"|"i8", array of that storage dtype)]
    verbatim (e.g. pre-quantized i8 with explicit `:scale` entries). Returns bytes written."""
    blob = encode_dfs(header, entries)
    with open(path, "wb") as f:
        f.write(blob)
    return len(blob)


def encode_dfs(header, entries):
    """The file image for `entries` (see write_dfs_raw); header["tensors"] is generated."""
    if not isinstance(header, dict):
        raise DfsError("header must be a dict")
    table, blobs, offset, seen = [], [], 0, set()
    for name, dt, arr in entries:
        if dt not in _DTYPE_SIZE:
            raise DfsError(f"tensor {name!r}: unknown dtype {dt!r}")
        if name in seen:
            raise DfsError(f"duplicate tensor name {name!r}")
        seen.add(name)
        arr = np.asarray(arr)
        if arr.dtype != _NP_DTYPE[dt]:
            raise DfsError(f"tensor {name!r}: array dtype {arr.dtype} does not match {dt}")
        if arr.ndim == 0 or any(d <= 0 for d in arr.shape):
            raise DfsError(f"tensor {name!r} has an empty dim: {arr.shape}")
        raw = np.ascontiguousarray(arr).tobytes()
        table.append({"name": name, "dtype": dt, "shape": [int(d) for d in arr.shape],
                      "offset": offset, "nbytes": len(raw)})
        blobs.append((offset, raw))
        offset = _align(offset + len(raw))
    data_len = blobs[-1][0] + len(blobs[-1][1]) if blobs else 0

    hdr = dict(header)
    hdr["tensors"] = table
    js = json.dumps(hdr, separators=(",", ":"), allow_nan=False).encode("utf-8")
    data_start = _align(_PREAMBLE + len(js))
    buf = bytearray(data_start + data_len)
    buf[0:8] = MAGIC
    struct.pack_into("<II", buf, 8, VERSION, len(js))
    buf[_PREAMBLE:_PREAMBLE + len(js)] = js
    for off, raw in blobs:
        buf[data_start + off:data_start + off + len(raw)] = raw
    buf += struct.pack("<I", zlib.crc32(bytes(buf)) & 0xFFFFFFFF)
    return bytes(buf)


def parse_dfs(blob):
    """Validates a whole file image; returns (header, {name: (dtype, shape, raw bytes)})."""
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise DfsError("expected bytes")
    blob = bytes(blob)
    if len(blob) < _PREAMBLE + _CRC_LEN:
        raise DfsError(f"file too small ({len(blob)} bytes)")
    if blob[0:8] != MAGIC:
        raise DfsError("bad magic (not a .dfs file)")
    version, json_len = struct.unpack_from("<II", blob, 8)
    if version != VERSION:
        raise DfsError(f"unsupported version {version} (expected {VERSION})")
    body_end = len(blob) - _CRC_LEN
    if json_len > body_end - _PREAMBLE:
        raise DfsError(f"json_len {json_len} does not fit in the file")
    data_start = _align(_PREAMBLE + json_len)
    if data_start > body_end:
        raise DfsError("data section starts beyond the end of the file")
    (crc,) = struct.unpack_from("<I", blob, body_end)
    if zlib.crc32(blob[:body_end]) & 0xFFFFFFFF != crc:
        raise DfsError("CRC mismatch (file corrupt or truncated)")
    try:
        header = json.loads(blob[_PREAMBLE:_PREAMBLE + json_len].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise DfsError(f"JSON header does not parse: {e}") from None
    if not isinstance(header, dict):
        raise DfsError("JSON header is not an object")
    table = header.get("tensors")
    if not isinstance(table, list):
        raise DfsError("JSON header lacks a 'tensors' list")
    data_len = body_end - data_start
    out = {}
    for i, t in enumerate(table):
        if not isinstance(t, dict):
            raise DfsError(f"tensors[{i}] is not an object")
        name, dt, shape = t.get("name"), t.get("dtype"), t.get("shape")
        off, nbytes = t.get("offset"), t.get("nbytes")
        where = f"tensor {name!r}" if isinstance(name, str) else f"tensors[{i}]"
        if not isinstance(name, str) or not name:
            raise DfsError(f"{where}: missing name")
        if name in out:
            raise DfsError(f"{where}: duplicate name")
        if dt not in _DTYPE_SIZE:
            raise DfsError(f"{where}: unknown dtype {dt!r}")
        if (not isinstance(shape, list) or not shape
                or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                           for d in shape)):
            raise DfsError(f"{where}: dims must be a non-empty list of positive ints")
        for key, v in (("offset", off), ("nbytes", nbytes)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise DfsError(f"{where}: {key} must be a non-negative int")
        if off % ALIGN:
            raise DfsError(f"{where}: offset {off} is not a multiple of {ALIGN}")
        count = 1
        for d in shape:
            count *= d
        if count * _DTYPE_SIZE[dt] != nbytes:
            raise DfsError(f"{where}: nbytes {nbytes} != product(dims) * size "
                           f"({count} * {_DTYPE_SIZE[dt]})")
        if off > data_len or nbytes > data_len - off:
            raise DfsError(f"{where}: offset {off} + nbytes {nbytes} exceeds data ({data_len})")
        out[name] = (dt, tuple(shape), blob[data_start + off:data_start + off + nbytes])
    for name, (dt, shape, _) in out.items():
        if dt == "i8":
            sc = out.get(name + SCALE_SUFFIX)
            if sc is None:
                raise DfsError(f"tensor {name!r}: i8 without {name + SCALE_SUFFIX}")
            if sc[0] != "f32" or sc[1] != (shape[-1],):
                raise DfsError(f"tensor {name + SCALE_SUFFIX!r}: must be f32 [{shape[-1]}]")
    return header, out


def read_dfs(path, keep_scales=False):
    """Reads and validates a .dfs file; returns (header, {name: float32 ndarray}).

    i8 tensors are dequantized with their scales; the `:scale` companions are dropped unless
    keep_scales. The header still lists storage dtypes in header["tensors"].
    """
    with open(path, "rb") as f:
        blob = f.read()
    header, raw = parse_dfs(blob)
    tensors = {}
    for name, (dt, shape, data) in raw.items():
        if name.endswith(SCALE_SUFFIX) and not keep_scales and \
                raw.get(name[:-len(SCALE_SUFFIX)], ("",))[0] == "i8":
            continue
        arr = np.frombuffer(data, dtype=_NP_DTYPE[dt]).reshape(shape).astype(np.float32)
        if dt == "i8":
            scale = np.frombuffer(raw[name + SCALE_SUFFIX][2], dtype="<f4")
            arr = arr * scale
        if not np.all(np.isfinite(arr)):
            raise DfsError(f"tensor {name!r} has non-finite values")
        tensors[name] = arr
    return header, tensors


def storage_summary(header):
    """{dtype: total nbytes} over the header's tensor table (for size reports)."""
    sizes = {}
    for t in header["tensors"]:
        sizes[t["dtype"]] = sizes.get(t["dtype"], 0) + t["nbytes"]
    return sizes
