// Minimal protobuf encoder for the ONNX messages we emit (onnx.proto field numbers), no deps.
// Only what ModelProto/GraphProto/NodeProto/TensorProto/ValueInfoProto/AttributeProto need:
// varints (int64 as two's complement), length-delimited bytes/strings/sub-messages, fixed32.

class Writer {
  constructor() {
    this.buf = new Uint8Array(256);
    this.len = 0;
  }

  reserve(n) {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b) {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  // Unsigned LEB128; negative numbers are written as their 64-bit two's complement (10 bytes),
  // which is how protobuf encodes negative int64/int32 values.
  varint(v) {
    if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff) {
      while (v > 0x7f) {
        this.byte((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      this.byte(v);
      return;
    }
    let x = BigInt.asUintN(64, BigInt(v));
    while (x > 0x7fn) {
      this.byte(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.byte(Number(x));
  }

  tag(field, wireType) {
    this.varint((field << 3) | wireType);
  }

  bytes(field, data) {
    this.tag(field, 2);
    this.varint(data.length);
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field, s) {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field, v) {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field, v) {
    this.tag(field, 5);
    this.reserve(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
  }

  message(field, build) {
    const sub = new Writer();
    build(sub);
    this.bytes(field, sub.finish());
  }

  finish() {
    return this.buf.slice(0, this.len);
  }
}

// onnx.proto enums we use.
export const DataType = { FLOAT: 1, INT64: 7 };
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 };

function writeTensor(w, t) {
  // TensorProto: dims=1, data_type=2, name=8, raw_data=9 (little-endian, as ONNX specifies).
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  const raw = t.dataType === DataType.INT64
    ? new Uint8Array(BigInt64Array.from(t.values, (v) => BigInt(v)).buffer)
    : new Uint8Array(Float32Array.from(t.values).buffer);
  w.bytes(9, raw);
}

function writeAttribute(w, name, value) {
  // AttributeProto: name=1, f=2, i=3, s=4, floats=7, ints=8, type=20.
  w.string(1, name);
  if (typeof value === 'string') {
    w.bytes(4, new TextEncoder().encode(value));
    w.int(20, AttrType.STRING);
  } else if (Array.isArray(value)) {
    const allInt = value.every(Number.isInteger);
    for (const v of value) allInt ? w.int(8, v) : w.float(7, v);
    w.int(20, allInt ? AttrType.INTS : AttrType.FLOATS);
  } else if (Number.isInteger(value)) {
    w.int(3, value);
    w.int(20, AttrType.INT);
  } else {
    w.float(2, value);
    w.int(20, AttrType.FLOAT);
  }
}

function writeValueInfo(w, v) {
  // ValueInfoProto: name=1, type=2 -> TypeProto.tensor_type=1 -> elem_type=1, shape=2 -> dim=1
  // -> dim_value=1.
  w.string(1, v.name);
  w.message(2, (tp) => tp.message(1, (tt) => {
    tt.int(1, v.dataType ?? DataType.FLOAT);
    tt.message(2, (sh) => {
      for (const d of v.dims) sh.message(1, (dim) => dim.int(1, d));
    });
  }));
}

/**
 * Encodes an ONNX ModelProto.
 * graph: {name, nodes: [{op, inputs, outputs, attrs?}], initializers: [{name, dims, values,
 *         dataType}], inputs: [{name, dims}], outputs: [{name, dims}]}
 */
export function encodeModel(graph, { opset = 13, irVersion = 8, producer = 'deepfake-shield' } = {}) {
  const w = new Writer();
  // ModelProto: ir_version=1, producer_name=2, producer_version=3, graph=7, opset_import=8.
  w.int(1, irVersion);
  w.string(2, producer);
  w.string(3, '0.1.0');
  w.message(7, (g) => {
    // GraphProto: node=1, name=2, initializer=5, input=11, output=12.
    graph.nodes.forEach((n, i) => g.message(1, (nw) => {
      // NodeProto: input=1, output=2, name=3, op_type=4, attribute=5.
      for (const x of n.inputs) nw.string(1, x);
      for (const y of n.outputs) nw.string(2, y);
      nw.string(3, `${n.op}_${i}`);
      nw.string(4, n.op);
      for (const [k, v] of Object.entries(n.attrs || {})) nw.message(5, (a) => writeAttribute(a, k, v));
    }));
    g.string(2, graph.name);
    for (const t of graph.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  // OperatorSetIdProto: domain=1 (empty = ai.onnx), version=2.
  w.message(8, (o) => {
    o.string(1, '');
    o.int(2, opset);
  });
  return w.finish();
}
