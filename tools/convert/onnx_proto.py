"""Minimal ONNX protobuf reader (numpy + stdlib; no `onnx` package): graph nodes, attributes,
initializers and graph inputs/outputs, with bounds-checked wire parsing.

Field numbers (onnx/onnx.proto): ModelProto{ir_version=1, producer_name=2, graph=7,
opset_import=8}; OperatorSetIdProto{domain=1, version=2}; GraphProto{node=1, name=2,
initializer=5, input=11, output=12}; NodeProto{input=1, output=2, name=3, op_type=4,
attribute=5, domain=7}; AttributeProto{name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, type=20};
TensorProto{dims=1, data_type=2, float_data=4, int32_data=5, int64_data=7, name=8, raw_data=9,
double_data=10, data_location=14}; ValueInfoProto{name=1, type=2}; TypeProto{tensor_type=1};
TypeProto.Tensor{elem_type=1, shape=2}; TensorShapeProto{dim=1}; Dimension{dim_value=1,
dim_param=2}.
"""

import struct

import numpy as np


class OnnxError(ValueError):
    pass


# TensorProto.DataType -> numpy dtype
DATA_TYPES = {1: np.dtype("<f4"), 2: np.dtype("u1"), 3: np.dtype("i1"), 6: np.dtype("<i4"),
              7: np.dtype("<i8"), 9: np.dtype("?"), 10: np.dtype("<f2"), 11: np.dtype("<f8")}


def _varint(buf, pos, end):
    result = shift = 0
    while True:
        if pos >= end:
            raise OnnxError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise OnnxError("varint too long")


def fields(buf, start=0, end=None):
    """Decodes one message: {field number: [values]} (ints for varint/fixed, bytes for
    length-delimited, fixed32/64 kept as raw bytes)."""
    end = len(buf) if end is None else end
    out = {}
    pos = start
    while pos < end:
        key, pos = _varint(buf, pos, end)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = _varint(buf, pos, end)
        elif wt == 1:
            if pos + 8 > end:
                raise OnnxError("truncated fixed64")
            val, pos = buf[pos:pos + 8], pos + 8
        elif wt == 2:
            n, pos = _varint(buf, pos, end)
            if pos + n > end:
                raise OnnxError(f"field {num}: length {n} overruns the message")
            val, pos = buf[pos:pos + n], pos + n
        elif wt == 5:
            if pos + 4 > end:
                raise OnnxError("truncated fixed32")
            val, pos = buf[pos:pos + 4], pos + 4
        else:
            raise OnnxError(f"unsupported wire type {wt} (field {num})")
        out.setdefault(num, []).append(val)
    return out


def _signed64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _ints(vals):
    """Repeated int64 field: packed (bytes) or not (ints)."""
    out = []
    for v in vals:
        if isinstance(v, (bytes, bytearray, memoryview)):
            p, b = 0, bytes(v)
            while p < len(b):
                x, p = _varint(b, p, len(b))
                out.append(_signed64(x))
        else:
            out.append(_signed64(v))
    return out


def _floats(vals):
    out = []
    for v in vals:
        b = bytes(v)
        if len(b) % 4:
            raise OnnxError("float field with a length not a multiple of 4")
        out.extend(struct.unpack(f"<{len(b) // 4}f", b))
    return out


def _str(vals, default=""):
    return bytes(vals[-1]).decode("utf-8") if vals else default


def tensor(buf):
    """TensorProto -> (name, numpy array)."""
    f = fields(buf)
    name = _str(f.get(8, []))
    dims = _ints(f.get(1, []))
    dt = f.get(2, [0])[-1]
    if f.get(14, [0])[-1] == 1:
        raise OnnxError(f"initializer {name}: external data is not supported")
    if dt not in DATA_TYPES:
        raise OnnxError(f"initializer {name}: data type {dt} unsupported")
    npdt = DATA_TYPES[dt]
    count = int(np.prod(dims)) if dims else 1
    if 9 in f:
        raw = bytes(f[9][-1])
        if len(raw) != count * npdt.itemsize:
            raise OnnxError(f"initializer {name}: raw_data has {len(raw)} bytes, dims {dims} "
                            f"need {count * npdt.itemsize}")
        arr = np.frombuffer(raw, npdt).copy()
    elif dt == 1:
        arr = np.array(_floats(f.get(4, [])), np.float32)
    elif dt == 11:
        raw = b"".join(bytes(v) for v in f.get(10, []))
        arr = np.frombuffer(raw, "<f8").copy()
    elif dt == 7:
        arr = np.array(_ints(f.get(7, [])), np.int64)
    elif dt in (6, 2, 3, 9, 10):
        vals = _ints(f.get(5, []))
        arr = np.array(vals, np.int64)
        arr = arr.astype(np.uint16).view(np.float16) if dt == 10 else arr.astype(npdt)
    else:
        raise OnnxError(f"initializer {name}: no data")
    if arr.size != count:
        raise OnnxError(f"initializer {name}: {arr.size} values for dims {dims}")
    return name, arr.reshape(dims)


def attribute(buf):
    """AttributeProto -> (name, python value)."""
    f = fields(buf)
    name = _str(f.get(1, []))
    typ = f.get(20, [0])[-1]
    if typ == 1 or (typ == 0 and 2 in f):
        return name, struct.unpack("<f", bytes(f[2][-1]))[0]
    if typ == 2 or (typ == 0 and 3 in f):
        return name, _signed64(f[3][-1])
    if typ == 3 or (typ == 0 and 4 in f):
        return name, bytes(f[4][-1]).decode("utf-8", "replace")
    if typ == 4 or (typ == 0 and 5 in f):
        return name, tensor(f[5][-1])[1]
    if typ == 6 or (typ == 0 and 7 in f):
        return name, _floats(f.get(7, []))
    if typ == 7 or (typ == 0 and 8 in f):
        return name, _ints(f.get(8, []))
    return name, None


def _value_info(buf):
    f = fields(buf)
    name = _str(f.get(1, []))
    shape = None
    if 2 in f:
        tp = fields(f[2][-1])
        if 1 in tp:
            tt = fields(tp[1][-1])
            if 2 in tt:
                shape = []
                for d in fields(tt[2][-1]).get(1, []):
                    df = fields(d)
                    shape.append(_signed64(df[1][-1]) if 1 in df else _str(df.get(2, []), "?"))
    return {"name": name, "shape": shape}


class OnnxModel:
    """nodes: list of {name, op, inputs, outputs, attrs}; inits: {name: ndarray}."""

    def __init__(self, path_or_bytes):
        if isinstance(path_or_bytes, (bytes, bytearray)):
            buf = bytes(path_or_bytes)
        else:
            with open(path_or_bytes, "rb") as fh:
                buf = fh.read()
        m = fields(buf)
        if 7 not in m:
            raise OnnxError("not an ONNX model (no graph)")
        self.ir_version = m.get(1, [0])[-1]
        self.producer = _str(m.get(2, []))
        self.opsets = {}
        for o in m.get(8, []):
            of = fields(o)
            self.opsets[_str(of.get(1, []))] = of.get(2, [0])[-1]
        g = fields(m[7][-1])
        self.inits = dict(tensor(t) for t in g.get(5, []))
        self.nodes = []
        for i, nb in enumerate(g.get(1, [])):
            nf = fields(nb)
            self.nodes.append({
                "index": i,
                "name": _str(nf.get(3, [])) or f"#{i}",
                "op": _str(nf.get(4, [])),
                "domain": _str(nf.get(7, [])),
                "inputs": [bytes(v).decode() for v in nf.get(1, [])],
                "outputs": [bytes(v).decode() for v in nf.get(2, [])],
                "attrs": dict(attribute(a) for a in nf.get(5, [])),
            })
        self.inputs = [vi for vi in (_value_info(b) for b in g.get(11, []))
                       if vi["name"] not in self.inits]
        self.outputs = [_value_info(b) for b in g.get(12, [])]
