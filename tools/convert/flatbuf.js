// Minimal read-only FlatBuffers walker: just what the TFLite converter needs, with bounds checks.
export class FlatTable {
  constructor(buf, pos) {
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
    this.check(pos, 4);
    const vt = pos - this.dv.getInt32(pos, true);
    this.check(vt, 4);
    this.vt = vt;
    this.vtSize = this.dv.getUint16(vt, true);
    this.check(vt, this.vtSize);
  }
  static root(buf) {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (buf.byteLength < 8) throw new Error('flatbuffer: too short');
    return new FlatTable(buf, dv.getUint32(0, true));
  }
  check(off, n) {
    if (off < 0 || off + n > this.buf.byteLength) throw new Error(`flatbuffer: offset ${off}+${n} out of bounds`);
  }
  field(i) {
    const o = 4 + 2 * i;
    if (o + 2 > this.vtSize) return 0;
    const rel = this.dv.getUint16(this.vt + o, true);
    return rel ? this.pos + rel : 0;
  }
  scalar(i, kind, def = 0) {
    const p = this.field(i);
    if (!p) return def;
    switch (kind) {
      case 'u8': return this.dv.getUint8(p);
      case 'i8': return this.dv.getInt8(p);
      case 'u16': return this.dv.getUint16(p, true);
      case 'i32': return this.dv.getInt32(p, true);
      case 'u32': return this.dv.getUint32(p, true);
      case 'f32': return this.dv.getFloat32(p, true);
      case 'u64': return Number(this.dv.getBigUint64(p, true));
      default: throw new Error(kind);
    }
  }
  ref(p) { this.check(p, 4); return p + this.dv.getUint32(p, true); }
  table(i) { const p = this.field(i); return p ? new FlatTable(this.buf, this.ref(p)) : null; }
  vecInfo(i) {
    const p = this.field(i);
    if (!p) return null;
    const v = this.ref(p);
    this.check(v, 4);
    return { start: v + 4, len: this.dv.getUint32(v, true) };
  }
  tables(i) {
    const v = this.vecInfo(i);
    if (!v) return [];
    this.check(v.start, 4 * v.len);
    const out = [];
    for (let k = 0; k < v.len; k++) out.push(new FlatTable(this.buf, this.ref(v.start + 4 * k)));
    return out;
  }
  ints(i) {
    const v = this.vecInfo(i);
    if (!v) return [];
    this.check(v.start, 4 * v.len);
    const out = [];
    for (let k = 0; k < v.len; k++) out.push(this.dv.getInt32(v.start + 4 * k, true));
    return out;
  }
  bytes(i) {
    const v = this.vecInfo(i);
    if (!v) return null;
    this.check(v.start, v.len);
    return this.buf.subarray(v.start, v.start + v.len);
  }
  string(i) {
    const b = this.bytes(i);
    return b ? new TextDecoder().decode(b) : null;
  }
}
