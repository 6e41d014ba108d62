// Writers for small valid and hostile inputs (PNG, BMP, GIF, baseline JPEG, .dfs model files),
// used by the Node hostile/memory tests and, run as a script, to write the fuzz seed corpus:
//   node tests/corpus/generate.mjs OUT_DIR      (writes OUT_DIR/{image,weights,pipeline,provenance}/...)
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { crc32, frameDfs, dfsDataStart } from '../../tools/convert/dfs_writer.js';

// The .dfs container and CRC-32 come from the one JavaScript writer of the format.
export { crc32 };

export function concat(parts) {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const u8 = (...xs) => Uint8Array.from(xs);
const be32 = (v) => u8(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
const be16 = (v) => u8((v >>> 8) & 255, v & 255);
const le16 = (v) => u8(v & 255, (v >>> 8) & 255);
const le32 = (v) => u8(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24);
const ascii = (s) => new TextEncoder().encode(s);

// A smooth but not flat test pattern, so compressed data and decoded pixels both vary.
export function pattern(x, y, c) {
  return (x * 7 + y * 13 + c * 85 + ((x * y) >> 2)) & 255;
}

// ---- PNG ----------------------------------------------------------------------------------------
function pngChunk(type, data, badCrc = false) {
  const td = concat([ascii(type), data]);
  const crc = crc32(td) ^ (badCrc ? 0x5a5a5a5a : 0);
  return concat([be32(data.length), td, be32(crc >>> 0)]);
}

export const PNG_SIGNATURE = u8(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/**
 * PNG writer. colorType 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA; depth 1..16 as PNG allows.
 * Options: palette (entries, for type 3), trns (bytes of a tRNS chunk), badCrc ('IHDR' | 'IDAT'),
 * chunks ([{type, data, badCrc}] before IDAT), idat (override the compressed data),
 * sample(x, y, channel) -> value within the depth.
 */
export function png(w, h, opt = {}) {
  const ct = opt.colorType ?? 2, depth = opt.depth ?? 8;
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[ct];
  const sample = opt.sample ?? ((x, y, c) => {
    const v = pattern(x, y, c);
    return ct === 3 ? v % (opt.palette ?? 16) : depth === 16 ? v * 257 : v >> (8 - depth);
  });
  const rowBits = w * channels * depth;
  const rowBytes = Math.ceil(rowBits / 8);
  const raw = new Uint8Array(h * (rowBytes + 1));
  for (let y = 0; y < h; y++) {
    const row = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    let bit = 0;
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < channels; c++) {
        const v = sample(x, y, c);
        if (depth === 16) { row[bit >> 3] = v >> 8; row[(bit >> 3) + 1] = v & 255; } else if (depth === 8) row[bit >> 3] = v;
        else row[bit >> 3] |= (v & ((1 << depth) - 1)) << (8 - depth - (bit & 7));
        bit += depth;
      }
    }
  }
  const ihdr = concat([be32(w), be32(h), u8(depth, ct, 0, 0, 0)]);
  const parts = [PNG_SIGNATURE, pngChunk('IHDR', ihdr, opt.badCrc === 'IHDR')];
  if (ct === 3) {
    const n = opt.palette ?? 16;
    const pal = new Uint8Array(n * 3);
    for (let i = 0; i < pal.length; i++) pal[i] = (i * 53) & 255;
    parts.push(pngChunk('PLTE', pal));
  }
  if (opt.trns) parts.push(pngChunk('tRNS', opt.trns));
  for (const c of opt.chunks ?? []) parts.push(pngChunk(c.type, c.data, c.badCrc));
  parts.push(pngChunk('IDAT', opt.idat ?? zlib.deflateSync(raw), opt.badCrc === 'IDAT'));
  parts.push(pngChunk('IEND', new Uint8Array(0)));
  return concat(parts);
}

/** Signature + IHDR only: a header that claims any size, with no pixel data behind it. */
export function pngHeaderOnly(w, h, colorType = 2) {
  return concat([PNG_SIGNATURE, pngChunk('IHDR', concat([be32(w), be32(h), u8(8, colorType, 0, 0, 0)]))]);
}

// ---- BMP (24-bit, bottom-up) --------------------------------------------------------------------
export function bmp(w, h, sample = pattern) {
  const row = (w * 3 + 3) & ~3, size = 54 + row * h;
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  b[0] = 0x42; b[1] = 0x4d; dv.setUint32(2, size, true); dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true); dv.setInt32(18, w, true); dv.setInt32(22, h, true);
  dv.setUint16(26, 1, true); dv.setUint16(28, 24, true); dv.setUint32(34, row * h, true);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = 54 + (h - 1 - y) * row + x * 3;
      b[o] = sample(x, y, 2); b[o + 1] = sample(x, y, 1); b[o + 2] = sample(x, y, 0);
    }
  }
  return b;
}

// ---- GIF (animated: `frames` frames, 4-colour palette) -----------------------------------------
// LZW with a clear code before every literal keeps codes at 3 bits and the table empty: valid,
// just not compressed, which is all a test needs.
function gifLzw(indices) {
  const out = [];
  let acc = 0, nbits = 0;
  const put = (code) => {
    acc |= code << nbits; nbits += 3;
    while (nbits >= 8) { out.push(acc & 255); acc >>= 8; nbits -= 8; }
  };
  for (const i of indices) { put(4); put(i); }
  put(5);
  if (nbits) out.push(acc & 255);
  const blocks = [u8(2)];
  for (let i = 0; i < out.length; i += 255) {
    const chunk = out.slice(i, i + 255);
    blocks.push(u8(chunk.length), Uint8Array.from(chunk));
  }
  blocks.push(u8(0));
  return concat(blocks);
}

export function gif(w, h, frames = 2) {
  const parts = [ascii('GIF89a'), le16(w), le16(h), u8(0xf1, 0, 0),
    u8(0, 0, 0, 255, 255, 255, 200, 40, 40, 40, 200, 40),
    // NETSCAPE2.0 loop extension: what makes browsers animate it.
    u8(0x21, 0xff, 11), ascii('NETSCAPE2.0'), u8(3, 1, 0, 0, 0)];
  for (let f = 0; f < frames; f++) {
    const idx = [];
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) idx.push((x + y + f) & 3);
    parts.push(u8(0x21, 0xf9, 4, 0x04, 10, 0, 0, 0), u8(0x2c), le16(0), le16(0), le16(w), le16(h), u8(0));
    parts.push(gifLzw(idx));
  }
  parts.push(u8(0x3b));
  return concat(parts);
}

// ---- baseline JPEG ------------------------------------------------------------------------------
// Huffman tables: every symbol a code of one fixed length (DC: 12 symbols of 4 bits; AC: all 162
// run/size symbols of 8 bits). Valid canonical tables, simple to build, never optimal.
const AC_SYMBOLS = [0x00, 0xf0];
for (let run = 0; run < 16; run++) for (let size = 1; size <= 10; size++) AC_SYMBOLS.push((run << 4) | size);
const DC_BITS = new Array(16).fill(0); DC_BITS[3] = 12;
const AC_BITS = new Array(16).fill(0); AC_BITS[7] = AC_SYMBOLS.length;
const ZIGZAG = (() => {
  const z = [];
  for (let s = 0; s < 15; s++) {
    const cells = [];
    for (let y = 0; y < 8; y++) { const x = s - y; if (x >= 0 && x < 8) cells.push(y * 8 + x); }
    z.push(...(s % 2 ? cells : cells.reverse()));
  }
  return z;
})();

function segment(marker, body) { return concat([u8(0xff, marker), be16(body.length + 2), body]); }

/** DHT segment body for one table: class (0 DC, 1 AC), id, 16 code counts and the symbols. */
export function dhtBody(cls, id, bits, symbols) {
  return concat([u8((cls << 4) | id), Uint8Array.from(bits), Uint8Array.from(symbols)]);
}

/**
 * Baseline JPEG with 1 (gray), 3 (YCbCr) or 4 (Adobe CMYK) components, 4:4:4, one scan.
 * sample(x, y, c) gives RGB (or CMYK) values. Options: width/height in the header may be made to
 * lie with headerW/headerH; dht replaces the Huffman table segments (hostile tables);
 * restartInterval (MCUs) writes a DRI segment and RSTn markers.
 */
export function jpeg(w, h, opt = {}) {
  const comps = opt.components ?? 3;
  const sample = opt.sample ?? pattern;
  const q = new Uint8Array(64);
  for (let i = 0; i < 64; i++) q[i] = 2 + ((ZIGZAG.indexOf(i) * 3) >> 2);
  const qZig = Uint8Array.from(ZIGZAG.map((i) => q[i]));
  const cos = new Float64Array(64);
  for (let x = 0; x < 8; x++) for (let u = 0; u < 8; u++) cos[x * 8 + u] = Math.cos(((2 * x + 1) * u * Math.PI) / 16);

  const bytes = [];
  let acc = 0, nbits = 0;
  const put = (code, len) => {
    for (let i = len - 1; i >= 0; i--) {
      acc = (acc << 1) | ((code >> i) & 1);
      if (++nbits === 8) { bytes.push(acc); if (acc === 0xff) bytes.push(0); acc = 0; nbits = 0; }
    }
  };
  const category = (v) => { let a = Math.abs(v), n = 0; while (a) { n++; a >>= 1; } return n; };
  const putValue = (v, n) => put(v >= 0 ? v : v + (1 << n) - 1, n);
  const acCode = new Map(AC_SYMBOLS.map((s, i) => [s, i]));

  const value = (x, y, c) => {
    const X = Math.min(x, w - 1), Y = Math.min(y, h - 1);
    if (comps !== 3) return sample(X, Y, c);
    const r = sample(X, Y, 0), g = sample(X, Y, 1), b = sample(X, Y, 2);
    if (c === 0) return 0.299 * r + 0.587 * g + 0.114 * b;
    if (c === 1) return 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
    return 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
  };
  const pred = new Array(comps).fill(0);
  const blk = new Float64Array(64);
  const ri = opt.restartInterval ?? 0;
  let mcu = 0;
  for (let by = 0; by < h; by += 8) {
    for (let bx = 0; bx < w; bx += 8) {
      // Every ri MCUs: pad the byte with 1-bits, RSTn (n = 0..7 in turn), predictions reset.
      if (ri && mcu && mcu % ri === 0) {
        if (nbits) put((1 << (8 - nbits)) - 1, 8 - nbits);
        bytes.push(0xff, 0xd0 + ((mcu / ri - 1) & 7));
        pred.fill(0);
      }
      mcu++;
      for (let c = 0; c < comps; c++) {
        for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) blk[y * 8 + x] = value(bx + x, by + y, c) - 128;
        const coef = new Int32Array(64);
        for (let v = 0; v < 8; v++) {
          for (let u = 0; u < 8; u++) {
            let s = 0;
            for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) s += blk[y * 8 + x] * cos[x * 8 + u] * cos[y * 8 + v];
            const cu = u ? 1 : Math.SQRT1_2, cv = v ? 1 : Math.SQRT1_2;
            coef[v * 8 + u] = Math.round((0.25 * cu * cv * s) / q[v * 8 + u]);
          }
        }
        const dc = coef[0] - pred[c];
        pred[c] = coef[0];
        const dcat = category(dc);
        put(dcat, 4);
        if (dcat) putValue(dc, dcat);
        let run = 0;
        for (let k = 1; k < 64; k++) {
          const a = Math.max(-1023, Math.min(1023, coef[ZIGZAG[k]]));
          if (a === 0) { run++; continue; }
          while (run > 15) { put(acCode.get(0xf0), 8); run -= 16; }
          const n = category(a);
          put(acCode.get((run << 4) | n), 8);
          putValue(a, n);
          run = 0;
        }
        if (run) put(acCode.get(0x00), 8);
      }
    }
  }
  if (nbits) put((1 << (8 - nbits)) - 1, 8 - nbits);

  const hw = opt.headerW ?? w, hh = opt.headerH ?? h;
  const sof = [u8(8), be16(hh), be16(hw), u8(comps)];
  const sos = [u8(comps)];
  for (let c = 0; c < comps; c++) { sof.push(u8(c + 1, 0x11, 0)); sos.push(u8(c + 1, 0x00)); }
  sos.push(u8(0, 63, 0));
  const parts = [u8(0xff, 0xd8)];
  if (comps === 4) parts.push(segment(0xee, concat([ascii('Adobe'), u8(0, 100, 0, 0, 0, 0, 0)])));
  if (ri) parts.push(segment(0xdd, be16(ri)));
  parts.push(segment(0xdb, concat([u8(0), qZig])));
  parts.push(segment(0xc0, concat(sof)));
  parts.push(...(opt.dht ?? [segment(0xc4, dhtBody(0, 0, DC_BITS, [...Array(12).keys()])),
    segment(0xc4, dhtBody(1, 0, AC_BITS, AC_SYMBOLS))]));
  parts.push(segment(0xda, concat(sos)), Uint8Array.from(bytes), u8(0xff, 0xd9));
  return concat(parts);
}
export const jpegSegment = segment;

/** A DHT segment whose one code is a single 0 bit, for symbol 0 (DC difference 0 / end of block). */
export const oneCodeDht = (cls) => segment(0xc4, dhtBody(cls, 0, [1, ...Array(15).fill(0)], [0]));

/** Offset of the first SOS marker (0xFFDA), and of the entropy-coded data right after its header. */
export function sosOffset(b) {
  return b.findIndex((v, i) => v === 0xff && b[i + 1] === 0xda);
}
export function scanDataOffset(b) {
  const sos = sosOffset(b);
  return sos < 0 ? -1 : sos + 2 + ((b[sos + 2] << 8) | b[sos + 3]);
}

/** The first `keep` bytes of a JPEG and then an end marker: a file cut short that still "ends". */
export function cutWithEoi(b, keep) {
  const out = new Uint8Array(keep + 2);
  out.set(b.subarray(0, keep));
  out.set([0xff, 0xd9], keep);
  return out;
}
export const JPEG_TABLES = { DC_BITS, AC_BITS, AC_SYMBOLS };

// ---- .dfs model files (src/models/FORMAT.md) ---------------------------------------------------
export function parseDfs(bytes) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLen = dv.getUint32(12, true);
  const json = new TextDecoder().decode(bytes.subarray(16, 16 + jsonLen));
  return { header: JSON.parse(json), json, data: bytes.subarray(dfsDataStart(jsonLen), bytes.length - 4) };
}

/** A well-formed file (magic, version, padding, CRC) around any header text and data. */
export function buildDfs(json, data) {
  return frameDfs(typeof json === 'string' ? ascii(json) : ascii(JSON.stringify(json)), data);
}

/** Recomputes the trailing CRC after a tamper, so the checks behind it are what gets exercised. */
export function fixCrc(bytes) {
  const out = Uint8Array.from(bytes);
  out.set(le32(crc32(out.subarray(0, out.length - 4))), out.length - 4);
  return out;
}

/** The fuzz harness's compact form: "DFSJ" + u32 data length + JSON header (tests/fuzz). */
export function compactDfs(json, dataLen) {
  return concat([ascii('DFSJ'), le32(dataLen), ascii(typeof json === 'string' ? json : JSON.stringify(json))]);
}

// ---- seed corpus --------------------------------------------------------------------------------
function writeSeeds(outDir) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const images = {
    'rgb_5x3.png': png(5, 3), 'gray_3x4.png': png(3, 4, { colorType: 0 }),
    'gray1_9x2.png': png(9, 2, { colorType: 0, depth: 1 }), 'rgba16_3x3.png': png(3, 3, { colorType: 6, depth: 16 }),
    'palette_4x4.png': png(4, 4, { colorType: 3, palette: 16, trns: u8(0, 128, 255) }),
    'la_2x2.png': png(2, 2, { colorType: 4 }), 'strip_1x9.png': png(1, 9), 'tiny_1x1.png': png(1, 1),
    'rgb_6x5.bmp': bmp(6, 5), 'anim_5x4.gif': gif(5, 4, 2),
    'ycc_16x16.jpg': jpeg(16, 16), 'gray_9x7.jpg': jpeg(9, 7, { components: 1 }),
    'cmyk_8x8.jpg': jpeg(8, 8, { components: 4 }), 'strip_17x1.jpg': jpeg(17, 1),
  };
  for (const sub of ['image', 'pipeline', 'weights', 'provenance']) fs.mkdirSync(path.join(outDir, sub), { recursive: true });
  for (const [name, b] of Object.entries(images)) {
    fs.writeFileSync(path.join(outDir, 'image', name), b);
    fs.writeFileSync(path.join(outDir, 'pipeline', name), b);
    fs.writeFileSync(path.join(outDir, 'provenance', name), b);
  }
  // The C2PA fixtures (MIT, ../shared) when present: real JUMBF, EXIF and XMP to mutate.
  const prov = path.join(root, '..', 'shared', 'testdata', 'provenance');
  if (fs.existsSync(prov)) {
    for (const f of fs.readdirSync(prov).filter((n) => /\.(jpg|png|webp)$/.test(n))) {
      fs.copyFileSync(path.join(prov, f), path.join(outDir, 'provenance', f));
    }
  }
  // Pixels for check_rgba: "RGBA" + u16 w + u16 h + data.
  const px = new Uint8Array(8 + 12 * 10 * 4);
  px.set(ascii('RGBA')); px.set(le16(12), 4); px.set(le16(10), 6);
  for (let i = 8; i < px.length; i++) px[i] = (i * 29) & 255;
  fs.writeFileSync(path.join(outDir, 'pipeline', 'rgba_12x10.bin'), px);

  // Model headers in compact form; the EfficientNet ones at a 32x32 input so each run is short.
  const models = ['models/blazeface_short.dfs', 'models/blazeface_full.dfs',
    'build-golden/effnet_w025_synth.dfs', 'models/classifier.dfs'];
  for (const rel of models) {
    const file = path.join(root, rel);
    if (!fs.existsSync(file)) continue;
    const m = parseDfs(new Uint8Array(fs.readFileSync(file)));
    if (m.header.kind === 'efficientnet') m.header.input.height = m.header.input.width = 32;
    fs.writeFileSync(path.join(outDir, 'weights', path.basename(rel, '.dfs') + '.dfsj'),
      compactDfs(m.header, m.data.length));
  }
  // The crafted models one edit past each kernel limit (tests/fixtures/model_limits.json): seeds
  // next to the loader's boundaries, where a mutation or two crosses back and forth.
  modelLimitCases(root).forEach((c, i) => {
    const m = limitCaseModel(root, c);
    if (!m) return;
    fs.writeFileSync(path.join(outDir, 'weights', `limit_${String(i).padStart(2, '0')}_${c.model}.dfsj`),
      compactDfs(m.json, m.data.length));
  });
}

/** The crafted-model list shared by the native and wasm limit tests and the fuzz seeds. */
export function modelLimitCases(root) {
  return JSON.parse(fs.readFileSync(path.join(root, 'tests/fixtures/model_limits.json'), 'utf8')).cases;
}

/**
 * One case of that list applied to its shipped model: the header text with the first `find`
 * replaced, and the model's data; null when `find` is not in the header.
 */
export function limitCaseModel(root, c) {
  const m = parseDfs(new Uint8Array(fs.readFileSync(path.join(root, `models/${c.model}.dfs`))));
  const at = m.json.indexOf(c.find);
  if (at < 0) return null;
  return { json: m.json.slice(0, at) + c.replace + m.json.slice(at + c.find.length), data: m.data };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) { console.error('usage: node tests/corpus/generate.mjs OUT_DIR'); process.exit(2); }
  writeSeeds(process.argv[2]);
}
