// Writes (and reads back) our .dfs weights files from JavaScript; see src/models/FORMAT.md.
const MAGIC = 'DFSMODEL';
const VERSION = 1;

let crcTable = null;
export function crc32(bytes, crc = 0) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  crc = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

// IEEE half from float32, round to nearest even (exact for values that came from f16).
export function f32ToF16(value) {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

export function f16ToF32(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// tensors: [{name, shape, data: Float32Array, dtype: 'f32'|'f16'}]; header: plain object.
export function writeDfs(header, tensors) {
  const table = [];
  const blobs = [];
  let off = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`${t.name}: shape ${t.shape} != ${t.data.length} values`);
    let bytes;
    if (t.dtype === 'f16') {
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = f32ToF16(t.data[i]);
      bytes = new Uint8Array(h.buffer);
    } else if (t.dtype === 'f32') {
      bytes = new Uint8Array(Float32Array.from(t.data).buffer);
    } else {
      throw new Error(`${t.name}: dtype ${t.dtype} not writable here`);
    }
    table.push({ name: t.name, dtype: t.dtype, shape: t.shape, offset: off, nbytes: bytes.length });
    blobs.push({ off, bytes });
    off = Math.ceil((off + bytes.length) / 64) * 64;
  }
  const data = new Uint8Array(off);
  for (const b of blobs) data.set(b.bytes, b.off);
  return frameDfs(new TextEncoder().encode(JSON.stringify({ ...header, tensors: table })), data);
}

/** Where the data section starts for a header of headerLength bytes (64-byte aligned). */
export const dfsDataStart = (headerLength) => Math.ceil((16 + headerLength) / 64) * 64;

/**
 * The .dfs container around header bytes (any text, even a lying one: tests build hostile
 * files with it) and the data section: magic, version, header length, padding, CRC-32. The one
 * writer of the framing in JavaScript (models, golden models, test corpus).
 */
export function frameDfs(headerBytes, data) {
  const dataStart = dfsDataStart(headerBytes.length);
  const out = new Uint8Array(dataStart + data.length + 4);
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  dv.setUint32(8, VERSION, true);
  dv.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, 16);
  out.set(data, dataStart);
  dv.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

// Reads the header only (for tools and tests that inspect or tamper with files).
export function readDfsHeader(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error('not a .dfs file');
  const jsonLen = dv.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonLen)));
  return { header, dataStart: dfsDataStart(jsonLen), jsonLen };
}
