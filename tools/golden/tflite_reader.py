"""Minimal bounds-checked FlatBuffers walker for the TFLite model schema (read-only, numpy only).

Written independently of tools/convert/flatbuf.js so the Python goldens do not share its bugs.
Field numbers follow tensorflow/lite/schema/schema.fbs:
  Model{version=0, operator_codes=1, subgraphs=2, description=3, buffers=4}
  OperatorCode{deprecated_builtin_code=0 (int8), custom_code=1, version=2, builtin_code=3}
  SubGraph{tensors=0, inputs=1, outputs=2, operators=3, name=4}
  Tensor{shape=0, type=1, buffer=2, name=3}
  Operator{opcode_index=0, inputs=1, outputs=2, builtin_options_type=3, builtin_options=4}
  Buffer{data=0, offset=1, size=2}
"""

import struct

import numpy as np

# BuiltinOperator codes used by the MediaPipe face detectors (plus a few for clear errors).
BUILTIN = {0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D",
           4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 14: "LOGISTIC",
           17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 21: "RELU6", 22: "RESHAPE",
           23: "RESIZE_BILINEAR", 25: "SOFTMAX", 32: "CUSTOM", 34: "PAD", 40: "MEAN",
           97: "RESIZE_NEAREST_NEIGHBOR", 114: "QUANTIZE"}
# TensorType -> numpy dtype (only the ones a float model can carry).
TENSOR_TYPE = {0: np.dtype("<f4"), 1: np.dtype("<f2"), 2: np.dtype("<i4"), 3: np.dtype("u1"),
               4: np.dtype("<i8"), 9: np.dtype("i1")}


class FlatError(ValueError):
    pass


class Table:
    """One flatbuffer table: resolves fields through its vtable with bounds checks."""

    def __init__(self, buf, pos):
        self.buf = buf
        self.pos = pos
        self._need(pos, 4)
        vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self._need(vt, 4)
        self.vt = vt
        self.vt_size, self.tbl_size = struct.unpack_from("<HH", buf, vt)
        self._need(vt, self.vt_size)
        self._need(pos, self.tbl_size)

    def _need(self, off, n):
        if off < 0 or n < 0 or off + n > len(self.buf):
            raise FlatError(f"flatbuffer access {off}+{n} outside {len(self.buf)} bytes")

    def _field(self, i):
        o = 4 + 2 * i
        if o + 2 > self.vt_size:
            return 0
        rel = struct.unpack_from("<H", self.buf, self.vt + o)[0]
        if rel and rel >= self.tbl_size:
            raise FlatError(f"field {i} offset {rel} beyond table size {self.tbl_size}")
        return self.pos + rel if rel else 0

    def scalar(self, i, fmt, default=0):
        p = self._field(i)
        if not p:
            return default
        self._need(p, struct.calcsize(fmt))
        return struct.unpack_from("<" + fmt, self.buf, p)[0]

    def _deref(self, i):
        p = self._field(i)
        if not p:
            return 0
        self._need(p, 4)
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def table(self, i):
        p = self._deref(i)
        return Table(self.buf, p) if p else None

    def _vector(self, i):
        p = self._deref(i)
        if not p:
            return None, 0
        self._need(p, 4)
        return p + 4, struct.unpack_from("<I", self.buf, p)[0]

    def vector(self, i, dtype):
        """Vector of scalars as a numpy array (empty when absent)."""
        start, n = self._vector(i)
        dt = np.dtype(dtype)
        if start is None:
            return np.zeros(0, dt)
        self._need(start, n * dt.itemsize)
        return np.frombuffer(self.buf, dt, n, start)

    def tables(self, i):
        start, n = self._vector(i)
        if start is None:
            return []
        self._need(start, 4 * n)
        out = []
        for k in range(n):
            p = start + 4 * k
            out.append(Table(self.buf, p + struct.unpack_from("<I", self.buf, p)[0]))
        return out

    def string(self, i):
        start, n = self._vector(i)
        if start is None:
            return None
        self._need(start, n)
        return bytes(self.buf[start:start + n]).decode("utf-8")


class TfliteModel:
    """Parsed view of subgraph 0: tensors (shape, dtype, name, constant data) and operators."""

    def __init__(self, path):
        with open(path, "rb") as f:
            buf = f.read()
        if len(buf) < 8:
            raise FlatError("file too short")
        if buf[4:8] != b"TFL3":
            raise FlatError(f"file identifier {buf[4:8]!r} is not TFL3")
        model = Table(buf, struct.unpack_from("<I", buf, 0)[0])
        self.schema_version = model.scalar(0, "I")
        codes = []
        for oc in model.tables(1):
            dep = oc.scalar(0, "b")
            code = oc.scalar(3, "i")
            # Newer converters write both; older ones only the deprecated int8 field.
            codes.append(max(dep, code))
        buffers = [b.vector(0, "u1") for b in model.tables(4)]
        subgraphs = model.tables(2)
        if len(subgraphs) != 1:
            raise FlatError(f"expected one subgraph, found {len(subgraphs)}")
        sg = subgraphs[0]
        self.tensors = []
        for t in sg.tables(0):
            ttype = t.scalar(1, "b")
            if ttype not in TENSOR_TYPE:
                raise FlatError(f"tensor type {ttype} unsupported")
            shape = tuple(int(d) for d in t.vector(0, "<i4"))
            bidx = t.scalar(2, "I")
            data = None
            if bidx >= len(buffers):
                raise FlatError(f"buffer index {bidx} out of range")
            raw = buffers[bidx]
            if raw.size:
                dt = TENSOR_TYPE[ttype]
                count = int(np.prod(shape)) if shape else 1
                if raw.size != count * dt.itemsize:
                    raise FlatError(f"tensor {t.string(3)}: buffer has {raw.size} bytes, "
                                    f"shape {shape} needs {count * dt.itemsize}")
                data = np.frombuffer(raw.tobytes(), dt).reshape(shape)
            self.tensors.append({"name": t.string(3), "shape": shape,
                                 "dtype": TENSOR_TYPE[ttype], "data": data})
        self.inputs = [int(i) for i in sg.vector(1, "<i4")]
        self.outputs = [int(i) for i in sg.vector(2, "<i4")]
        self.ops = []
        for op in sg.tables(3):
            idx = op.scalar(0, "I")
            if idx >= len(codes):
                raise FlatError(f"opcode index {idx} out of range")
            code = codes[idx]
            self.ops.append({"code": code, "name": BUILTIN.get(code, f"BUILTIN_{code}"),
                             "inputs": [int(i) for i in op.vector(1, "<i4")],
                             "outputs": [int(i) for i in op.vector(2, "<i4")],
                             "options_type": op.scalar(3, "B"),
                             "options": op.table(4)})
