// Hostile input through the public JS API and the CLI: every bad image, wrong JS value and lying
// model file is a DeepfakeShieldError with a stable code, and the same checker instance checks a
// good image exactly as before after each one. Inputs are generated here (tests/corpus/generate.mjs).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createChecker, DeepfakeShieldError } from '../../dist/index.js';
import { ROOT, faceFixture } from './helpers.mjs';
import {
  png, pngHeaderOnly, bmp, gif, jpeg, jpegSegment, dhtBody, JPEG_TABLES, parseDfs, buildDfs, fixCrc, concat,
  oneCodeDht, scanDataOffset, cutWithEoi, modelLimitCases, limitCaseModel,
} from '../corpus/generate.mjs';

const checker = await createChecker();
const tally = {};

// The reference good image and what checking it gives; "still works" means exactly this again.
const FACE = faceFixture();  // the committed public-domain portrait (tests/fixtures/faces)
const GOOD = FACE;
const BASELINE = checker.checkSync(GOOD);
assert.equal(BASELINE.faces.length, 1, 'the reference portrait has one face');

function stillWorks(after) {
  const r = checker.checkSync(GOOD);
  assert.deepEqual(r.faces, BASELINE.faces, `same result after ${after}`);
  assert.equal(r.width, BASELINE.width);
}

// Runs fn; returns the error code ('OK' when it returned), counting it. Anything that is not a
// DeepfakeShieldError with a code and a message fails the test.
function codeOf(fn, label) {
  let code = 'OK';
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DeepfakeShieldError, `${label}: ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
    assert.match(e.code, /^[A-Z_]+$/, label);
    assert.ok(e.message.length > 0, label);
    code = e.code;
  }
  tally[code] = (tally[code] ?? 0) + 1;
  return code;
}

function expectCode(fn, codes, label) {
  const want = Array.isArray(codes) ? codes : [codes];
  const got = codeOf(fn, label);
  assert.ok(want.includes(got), `${label}: got ${got}, want ${want.join(' or ')}`);
  stillWorks(label);
  return got;
}

const IMAGE_CODES = ['OK', 'EMPTY_INPUT', 'UNSUPPORTED_FORMAT', 'CORRUPT_IMAGE', 'IMAGE_TOO_LARGE'];

// A deterministic byte source (xorshift32), so a failure names an input that can be rebuilt.
function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

test.after(() => {
  console.log(`[hostile] errors by code over this file: ${JSON.stringify(tally)}`);
});

test('empty, random and non-image bytes', () => {
  expectCode(() => checker.checkSync(new Uint8Array(0)), 'EMPTY_INPUT', 'empty Uint8Array');
  expectCode(() => checker.checkSync(new ArrayBuffer(0)), 'EMPTY_INPUT', 'empty ArrayBuffer');
  expectCode(() => checker.checkSync(new TextEncoder().encode('<html>not an image</html>')), 'UNSUPPORTED_FORMAT', 'text');
  expectCode(() => checker.checkSync(concat([new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '), new Uint8Array(20)])),
    'UNSUPPORTED_FORMAT', 'WebP');
  const next = rng(1);
  const prefixes = [[], [0xff, 0xd8, 0xff], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0x47, 0x49, 0x46, 0x38, 0x39, 0x61], [0x42, 0x4d]];
  for (let i = 0; i < 200; i++) {
    const b = new Uint8Array(prefixes[i % 5].length + 1 + (next() % 700));
    b.set(prefixes[i % 5]);
    for (let k = prefixes[i % 5].length; k < b.length; k++) b[k] = next();
    const code = codeOf(() => checker.checkSync(b), `random #${i}`);
    assert.ok(IMAGE_CODES.includes(code), `random #${i}: ${code}`);
    if (i % 5 === 0) assert.notEqual(code, 'OK', 'random bytes without a signature are not an image');
  }
  stillWorks('random bytes');
});

test('truncated JPEG and PNG at many offsets', () => {
  const inputs = { 'jpeg 40x24': jpeg(40, 24), 'gray jpeg 17x9': jpeg(17, 9, { components: 1 }), 'png 23x11': png(23, 11) };
  inputs['face photo'] = FACE;
  for (const [name, full] of Object.entries(inputs)) {
    const step = Math.max(1, Math.floor(full.length / 150));
    for (let cut = 0; cut < full.length; cut += step) {
      const code = codeOf(() => checker.checkSync(full.subarray(0, cut)), `${name} cut at ${cut}`);
      assert.ok(IMAGE_CODES.includes(code), `${name} cut at ${cut}: ${code}`);
      // A PNG without its last chunks still has all of its pixels; any earlier cut loses some.
      if (name.startsWith('png') && cut < full.length - 12) assert.notEqual(code, 'OK', `${name} cut at ${cut}`);
    }
    stillWorks(`truncated ${name}`);
  }
});

test('a JPEG cut short and given back its end marker is CORRUPT_IMAGE, not a picture padded with zeros', () => {
  const inputs = {
    'jpeg 40x24': jpeg(40, 24),
    'gray jpeg 17x9': jpeg(17, 9, { components: 1 }),
    'cmyk jpeg 24x16': jpeg(24, 16, { components: 4 }),
    'jpeg 48x40 with a restart every 2 blocks': jpeg(48, 40, { restartInterval: 2 }),
  };
  inputs['face photo'] = FACE;
  for (const [name, full] of Object.entries(inputs)) {
    assert.equal(codeOf(() => checker.checkSync(full), name), 'OK', `${name} whole`);
    const start = scanDataOffset(full), end = full.length - 2;
    let cuts = 0;
    for (let cut = start + 1; cut < end - 1; cut += Math.max(1, Math.floor((end - start) / 60))) {
      // Cutting inside the last byte's padding loses no block; every cut before it does.
      // (Cut early, a file is also too small for its declared size: refused by the size floor.)
      assert.throws(() => checker.checkSync(cutWithEoi(full, cut)), (e) => e.code === 'CORRUPT_IMAGE' && /cut short|fewer than any encoding/.test(e.message),
        `${name} cut at ${cut} of ${full.length}`);
      cuts++;
    }
    assert.ok(cuts > 5, name);
  }
  // Restart markers: the scan stopping at a restart boundary (the rest replaced by EOI) is
  // caught too; there stb would stop quietly and return the blocks it never decoded.
  const rst = inputs['jpeg 48x40 with a restart every 2 blocks'];
  const marks = [];
  for (let i = scanDataOffset(rst); i < rst.length - 1; i++) if (rst[i] === 0xff && rst[i + 1] >= 0xd0 && rst[i + 1] <= 0xd7) marks.push(i);
  assert.equal(marks.length, Math.ceil(48 / 8) * Math.ceil(40 / 8) / 2 - 1, 'one RST per interval');
  for (const at of [marks[0], marks[5], marks.at(-1)]) {
    assert.throws(() => checker.checkSync(cutWithEoi(rst, at)), (e) => e.code === 'CORRUPT_IMAGE', `cut at RST ${at}`);
  }
  stillWorks('JPEGs cut short');
});

test('corrupt Huffman tables', () => {
  const { DC_BITS, AC_BITS, AC_SYMBOLS } = JPEG_TABLES;
  const withTables = (dht) => jpeg(16, 16, { dht });
  const dc = jpegSegment(0xc4, dhtBody(0, 0, DC_BITS, [...Array(12).keys()]));
  const ac = jpegSegment(0xc4, dhtBody(1, 0, AC_BITS, AC_SYMBOLS));
  // 16 counts summing past 256 codes: the table stb would overflow (CVE-2022-28042).
  const tooMany = jpegSegment(0xc4, dhtBody(1, 0, new Array(16).fill(17), new Array(272).fill(1)));
  expectCode(() => checker.checkSync(withTables([dc, tooMany])), 'CORRUPT_IMAGE', 'DHT with 272 codes');
  // Class 2 does not exist; table id 7 neither.
  expectCode(() => checker.checkSync(withTables([dc, jpegSegment(0xc4, dhtBody(2, 0, AC_BITS, AC_SYMBOLS))])), 'CORRUPT_IMAGE', 'DHT class 2');
  expectCode(() => checker.checkSync(withTables([dc, jpegSegment(0xc4, dhtBody(1, 7, AC_BITS, AC_SYMBOLS))])), 'CORRUPT_IMAGE', 'DHT id 7');
  // A segment length that disagrees with the counts inside it.
  const short = ac.slice(0, ac.length - 40);
  short[3] = (short.length - 2) & 255; short[2] = (short.length - 2) >> 8;
  expectCode(() => checker.checkSync(withTables([dc, short])), 'CORRUPT_IMAGE', 'DHT shorter than its counts');
  // No AC table at all, and an AC table whose codes do not cover the symbols the scan uses.
  expectCode(() => checker.checkSync(withTables([dc])), IMAGE_CODES, 'missing AC table');
  const few = jpegSegment(0xc4, dhtBody(1, 0, [0, 2, ...new Array(14).fill(0)], [0x00, 0x01]));
  expectCode(() => checker.checkSync(withTables([dc, few])), IMAGE_CODES, 'AC table with 2 codes');
});

test('PNG with bad chunk CRCs', () => {
  const good = png(12, 9);
  const ref = checker.decode(good);
  // A critical chunk with a wrong CRC is refused, as browsers (libpng) do.
  for (const chunk of ['IHDR', 'IDAT']) expectCode(() => checker.checkSync(png(12, 9, { badCrc: chunk })), 'CORRUPT_IMAGE', `bad ${chunk} CRC`);
  // A bad ancillary chunk is skipped (libpng's default too): same pixels as the intact file.
  const text = new TextEncoder().encode('Comment\0hello');
  const anc = png(12, 9, { chunks: [{ type: 'tEXt', data: text, badCrc: true }] });
  assert.deepEqual(checker.decode(anc).data, ref.data, 'bad tEXt CRC is ignored');
  // A corrupt zlib stream inside an IDAT whose CRC is right.
  const idat = new Uint8Array([0x78, 0x9c, 0xff, 0xff, 0xff, 0xff, 0x00]);
  expectCode(() => checker.checkSync(png(12, 9, { idat })), 'CORRUPT_IMAGE', 'broken zlib stream');
});

test('decompression bombs are refused from the header', () => {
  expectCode(() => checker.checkSync(pngHeaderOnly(100000, 100000)), 'IMAGE_TOO_LARGE', 'PNG 100000x100000');
  expectCode(() => checker.checkSync(jpeg(8, 8, { headerW: 65000, headerH: 65000 })), 'IMAGE_TOO_LARGE', 'JPEG 65000x65000');
  const b = bmp(2, 2);
  new DataView(b.buffer).setInt32(18, 100000, true);
  new DataView(b.buffer).setInt32(22, -100000, true);
  expectCode(() => checker.checkSync(b), 'IMAGE_TOO_LARGE', 'BMP 100000x-100000');
  // Within the default limit but over a caller's: refused before any decoding.
  expectCode(() => checker.checkSync(pngHeaderOnly(5000, 5000), { maxPixels: 1e6 }), 'IMAGE_TOO_LARGE', 'maxPixels');
});

test('odd but valid images: 1x1, 1xN, Nx1, 16-bit, palette, gray+alpha, CMYK, animated GIF', () => {
  const cases = {
    '1x1 png': [png(1, 1), 1, 1], '1x40 png': [png(1, 40), 1, 40], '40x1 jpeg': [jpeg(40, 1), 40, 1],
    '1x1 jpeg': [jpeg(1, 1), 1, 1], '16-bit RGBA png': [png(7, 5, { colorType: 6, depth: 16 }), 7, 5],
    '16-bit gray png': [png(6, 6, { colorType: 0, depth: 16 }), 6, 6],
    'palette png with tRNS': [png(9, 4, { colorType: 3, palette: 200, trns: new Uint8Array([0, 90]) }), 9, 4],
    '2-bit gray png': [png(13, 3, { colorType: 0, depth: 2 }), 13, 3], 'gray+alpha png': [png(5, 5, { colorType: 4 }), 5, 5],
    'CMYK jpeg': [jpeg(24, 16, { components: 4 }), 24, 16], 'animated gif (3 frames)': [gif(20, 10, 3), 20, 10],
    'bmp 1x3': [bmp(1, 3), 1, 3],
  };
  for (const [name, [bytes, w, h]] of Object.entries(cases)) {
    const r = checker.checkSync(bytes);
    assert.equal(r.width, w, name);
    assert.equal(r.height, h, name);
    assert.deepEqual(r.faces, [], name);
  }
  stillWorks('odd images');
});

test('wrong JS types', () => {
  const bad = {
    null: null, undefined, string: 'photo.jpg', number: 42, boolean: true, 'plain object': { a: 1 },
    'array of numbers': [255, 216, 255], 'huge array': new Array(2e6).fill(255), function: () => 1,
    symbol: Symbol('x'), 'pixels with string data': { data: 'abc', width: 1, height: 1 },
    'pixels with Float32Array data': { data: new Float32Array(4), width: 1, height: 1 },
    'pixels with NaN width': { data: new Uint8Array(4), width: NaN, height: 1 },
    'pixels with fractional size': { data: new Uint8Array(8), width: 1.5, height: 1 },
    'pixels with zero size': { data: new Uint8Array(0), width: 0, height: 0 },
    'pixels with Infinity size': { data: new Uint8Array(4), width: Infinity, height: 1 },
    'pixels with short data': { data: new Uint8Array(16), width: 100, height: 100 },
    'pixels 1e7 x 1e7': { data: new Uint8Array(4), width: 1e7, height: 1e7 },
    'Proxy around a Uint8Array': new Proxy(Uint8Array.from(GOOD), {}),
    'pixels with Proxy data': { data: new Proxy(new Uint8Array(4), {}), width: 1, height: 1 },
    'object posing as a Uint8Array': Object.setPrototypeOf({ length: 3 }, Uint8Array.prototype),
  };
  for (const [name, v] of Object.entries(bad)) expectCode(() => checker.checkSync(v), 'INVALID_ARGUMENT', name);
  expectCode(() => checker.checkSync(GOOD, 'fast'), 'INVALID_ARGUMENT', 'options as a string');
  expectCode(() => checker.checkSync(GOOD, null), 'INVALID_ARGUMENT', 'options null');
  expectCode(() => checker.decode({}), 'INVALID_ARGUMENT', 'decode({})');
});

test('detached buffers are an empty input, not a TypeError', async () => {
  const buf = GOOD.slice().buffer;
  const view = new Uint8Array(buf);
  const dv = new DataView(buf);
  structuredClone(buf, { transfer: [buf] });
  assert.equal(buf.byteLength, 0, 'the buffer is detached');
  expectCode(() => checker.checkSync(buf), 'EMPTY_INPUT', 'detached ArrayBuffer');
  expectCode(() => checker.checkSync(view), 'EMPTY_INPUT', 'view of a detached buffer');
  expectCode(() => checker.checkSync(dv), 'EMPTY_INPUT', 'DataView of a detached buffer');
  expectCode(() => checker.decode(buf), 'EMPTY_INPUT', 'decode of a detached buffer');
  await assert.rejects(checker.check(buf), (e) => e.code === 'EMPTY_INPUT');
  stillWorks('detached buffers');
});

test('limits: maxPixels, maxBytes, maxFaces', () => {
  const b = png(64, 48);
  expectCode(() => checker.checkSync(b, { maxPixels: 64 * 48 - 1 }), 'IMAGE_TOO_LARGE', 'maxPixels - 1');
  assert.equal(checker.checkSync(b, { maxPixels: 64 * 48 }).width, 64);
  expectCode(() => checker.checkSync(b, { maxBytes: b.length - 1 }), 'IMAGE_TOO_LARGE', 'maxBytes - 1');
  assert.equal(checker.checkSync(b, { maxBytes: b.length }).width, 64);
  expectCode(() => checker.checkSync({ data: new Uint8Array(64 * 48 * 4), width: 64, height: 48 }, { maxPixels: 1000 }),
    'IMAGE_TOO_LARGE', 'maxPixels on pixels');
  if (FACE) {
    const many = checker.checkSync(FACE, { minFaceScore: 0.01, maxFaces: 1000 });
    const one = checker.checkSync(FACE, { minFaceScore: 0.01, maxFaces: 1 });
    assert.ok(many.faces.length >= 1);
    assert.equal(one.faces.length, 1, 'maxFaces caps the list');
    assert.deepEqual(one.faces[0].box, many.faces[0].box, 'the cap keeps the best face');
  }
  // Every option out of range or unknown is INVALID_ARGUMENT naming it (not a wrapped limit).
  // (A list, not an object: maxFaces is tried twice, at 0 and at a fraction.)
  const badOptions = [
    ['maxBytes', 1e10], ['maxPixels', 1e19], ['maxFaces', 0], ['minFaceScore', 1.5], ['maxFaces', 2.5],
  ];
  for (const [k, v] of badOptions) {
    assert.throws(() => checker.checkSync(b, { [k]: v }), (e) => e.code === 'INVALID_ARGUMENT' && e.message.includes(k), `${k}: ${v}`);
  }
  assert.throws(() => checker.checkSync(b, { maxface: 3 }), (e) => e.code === 'INVALID_ARGUMENT' && /unknown option maxface/.test(e.message));
  assert.equal(checker.checkSync(b, { maxBytes: 2147483647, maxPixels: 1e12 }).width, 64);
  stillWorks('limits');
});

test('out of memory inside wasm is an error, and the instance keeps working', async () => {
  // Its own instance: a failed 2 GB attempt leaves that module's memory grown for good.
  const c = await createChecker({ models: { detectorFull: null, classifier: null } });
  const small = png(40, 30);
  const ref = c.checkSync(small);
  const opt = { maxPixels: 2e9 };
  // 26000x26000 YCbCr: stb allocates three 676 MB planes from the header alone, over the 2 GB cap.
  // The file must hold every block (the entropy walk refuses one cut short before any
  // allocation): Huffman tables whose only code is a single 0 bit (DC difference 0, then end of
  // block) make each block 2 bits, so 7.9 MB of zero bytes is a complete (flat grey) image.
  const header = jpeg(8, 8, { headerW: 26000, headerH: 26000 });
  expectCodeOn(c, () => c.checkSync(header, opt), ['CORRUPT_IMAGE'], 'JPEG 26000x26000 in a few hundred bytes');
  const flat = jpeg(8, 8, { headerW: 26000, headerH: 26000, dht: [oneCodeDht(0), oneCodeDht(1)] });
  const scanData = scanDataOffset(flat);
  const blocks = 3 * Math.ceil(26000 / 8) ** 2;
  const oom = new Uint8Array(scanData + Math.ceil((2 * blocks) / 8) + 2);
  oom.set(flat.subarray(0, scanData));
  oom.set([0xff, 0xd9], oom.length - 2);
  const codes = {};
  codes.jpeg26000 = expectCodeOn(c, () => c.checkSync(oom, opt), ['OUT_OF_MEMORY'], 'JPEG 26000x26000');
  const same = (label) => {
    const r = c.checkSync(small);
    assert.deepEqual([r.width, r.height, r.faces], [ref.width, ref.height, ref.faces], label);
  };
  same('works after the 26000x26000 JPEG');
  // Past the decoder's own ceilings (stb's int-sized output): too large, before any allocation.
  codes.png30000 = expectCodeOn(c, () => c.checkSync(pngHeaderOnly(30000, 30000), opt), ['IMAGE_TOO_LARGE'], 'PNG 30000x30000');
  codes.jpeg30000 = expectCodeOn(c, () => c.checkSync(jpeg(8, 8, { headerW: 30000, headerH: 30000 }), opt),
    ['IMAGE_TOO_LARGE'], 'JPEG 30000x30000');
  same('works after the 30000x30000 images');
  assert.ok(c.memoryBytes() <= 2 ** 31);
  console.log(`[hostile] huge images: ${JSON.stringify(codes)}, wasm memory after: ${c.memoryBytes()} bytes`);
  c.dispose();
});

function expectCodeOn(c, fn, codes, label) {
  const got = codeOf(fn, label);
  assert.ok(codes.includes(got), `${label}: got ${got}, want ${codes.join(' or ')}`);
  return got;
}

test('lying model files are BAD_MODEL (checksums recomputed so the offset/size checks run)', async () => {
  const good = new Uint8Array(fs.readFileSync(path.join(ROOT, 'models/blazeface_short.dfs')));
  const m = parseDfs(good);
  const load = (bytes) => createChecker({ models: { detectorShort: bytes, detectorFull: null, classifier: null } });
  const expectModel = async (bytes, code, label) => {
    await assert.rejects(load(bytes), (e) => {
      assert.ok(e instanceof DeepfakeShieldError, `${label}: ${e.message}`);
      assert.equal(e.code, code, label);
      tally[e.code] = (tally[e.code] ?? 0) + 1;
      return true;
    }, label);
  };
  const c = await load(good);
  c.dispose();

  await expectModel(new Uint8Array(0), 'EMPTY_INPUT', 'empty model');
  for (const cut of [8, 19, 100, good.length >> 1, good.length - 1]) await expectModel(good.slice(0, cut), 'BAD_MODEL', `truncated to ${cut}`);
  const flipped = good.slice(); flipped[flipped.length >> 1] ^= 0x10;
  await expectModel(flipped, 'BAD_MODEL', 'bad checksum');
  const magic = good.slice(); magic.set(new TextEncoder().encode('ONNXMODL'));
  await expectModel(fixCrc(magic), 'BAD_MODEL', 'wrong magic');
  const version = good.slice(); version[8] = 9;
  await expectModel(fixCrc(version), 'BAD_MODEL', 'version 9');
  const jsonLen = good.slice(); new DataView(jsonLen.buffer).setUint32(12, good.length, true);
  await expectModel(fixCrc(jsonLen), 'BAD_MODEL', 'header length past the end');

  const tamper = (f) => { const h = structuredClone(m.header); f(h); return buildDfs(h, m.data); };
  const lies = {
    'offset past the data': (h) => { h.tensors[0].offset = m.data.length + 64; },
    'last tensor runs past the end': (h) => { h.tensors.at(-1).offset = m.data.length - 4; },
    'negative offset': (h) => { h.tensors[1].offset = -64; },
    'offset 2^53': (h) => { h.tensors[1].offset = 2 ** 53; },
    'fractional offset': (h) => { h.tensors[1].offset = 64.5; },
    'nbytes larger than the shape': (h) => { h.tensors[2].nbytes += 4; },
    'nbytes past the end': (h) => { h.tensors[2].nbytes = m.data.length * 2; },
    'shape lies about size': (h) => { h.tensors[3].shape[0] *= 2; },
    'zero dimension': (h) => { h.tensors[3].shape[0] = 0; },
    'dimension product overflows': (h) => { h.tensors[3].shape = [1 << 24, 1 << 24, 1 << 24]; },
    'unknown dtype': (h) => { h.tensors[0].dtype = 'q4'; },
    'duplicate tensor': (h) => { h.tensors.push(h.tensors[0]); },
    'tensor list missing': (h) => { delete h.tensors; },
    'unknown kind': (h) => { h.kind = 'yolo'; },
    'graph tensor shape changed': (h) => { const k = Object.keys(h.graph.tensors)[3]; h.graph.tensors[k][2] += 1; },
    'graph input 100000 wide': (h) => { h.input.width = 100000; },
    'anchors disagree with the outputs': (h) => { h.anchors.strides = [8, 16, 16, 16, 16]; h.anchors.num_layers = 5; },
  };
  for (const [label, f] of Object.entries(lies)) await expectModel(tamper(f), 'BAD_MODEL', label);
  // Detector settings out of range: BAD_MODEL naming the field.
  const settings = {
    'decode.min_score_thresh': (h) => { h.decode.min_score_thresh = 1.5; },
    'decode.min_suppression_threshold': (h) => { h.decode.min_suppression_threshold = 0; },
    'decode.x_scale': (h) => { h.decode.x_scale = 1e300; },
    'decode.score_clipping_thresh': (h) => { h.decode.score_clipping_thresh = -3; },
    'anchors.anchor_offset_x': (h) => { h.anchors.anchor_offset_x = -1; },
    'anchors.min_scale': (h) => { h.anchors.min_scale = 0; },
    'anchors.aspect_ratios[]': (h) => { h.anchors.aspect_ratios = [1e6]; },
  };
  for (const [field, f] of Object.entries(settings)) {
    await assert.rejects(load(tamper(f)), (e) => e.code === 'BAD_MODEL' && e.message.includes(field), field);
  }
  await expectModel(buildDfs('{"kind": "blazeface", "tensors": [', m.data), 'BAD_MODEL', 'header is not JSON');

  // Model locations that cannot be read are LOAD_FAILED, whatever went wrong underneath.
  await assert.rejects(load(path.join(os.tmpdir(), 'no-such-model-here.dfs')), (e) => e instanceof DeepfakeShieldError && e.code === 'LOAD_FAILED');
  stillWorks('bad models');
});

// The same list of crafted models as the native test (tests/fixtures/model_limits.json): every
// kernel limit of every op kind is BAD_MODEL at load in the wasm module too, naming the op.
test('each kernel limit is BAD_MODEL at load, naming the op (shared list with the native test)', async () => {
  const cases = modelLimitCases(ROOT);
  assert.ok(cases.length >= 20);
  const role = { blazeface_short: 'detectorShort', blazeface_full: 'detectorFull', classifier: 'classifier' };
  const detector = new Uint8Array(fs.readFileSync(path.join(ROOT, 'models/blazeface_short.dfs')));
  for (const c of cases) {
    const m = limitCaseModel(ROOT, c);
    assert.ok(m, `${c.limit}: the edit found nothing to change`);
    const models = { detectorShort: null, detectorFull: null, classifier: null };
    if (c.model === 'classifier') models.detectorShort = detector;
    models[role[c.model]] = buildDfs(m.json, m.data);
    await assert.rejects(createChecker({ models }), (e) => {
      assert.ok(e instanceof DeepfakeShieldError, `${c.limit}: ${e.message}`);
      assert.equal(e.code, 'BAD_MODEL', c.limit);
      assert.ok(e.message.includes(c.expect), `${c.limit}: "${e.message}" does not say "${c.expect}"`);
      tally[e.code] = (tally[e.code] ?? 0) + 1;
      return true;
    }, c.limit);
  }
  stillWorks('each kernel limit');
});

test('the CLI reports the same codes in --json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-hostile-'));
  const files = {
    'empty.jpg': [new Uint8Array(0), 'EMPTY_INPUT'],
    'text.png': [new TextEncoder().encode('not a png'), 'UNSUPPORTED_FORMAT'],
    'truncated.jpg': [jpeg(32, 32).subarray(0, 150), 'CORRUPT_IMAGE'],
    'bomb.png': [pngHeaderOnly(100000, 100000), 'IMAGE_TOO_LARGE'],
    'good.png': [png(40, 30), null],
  };
  for (const [name, [b]] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), b);
  const names = Object.keys(files);
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin/deepfake-shield.js'), '--json',
    ...names.map((n) => path.join(dir, n)), path.join(dir, 'missing.jpg')], { encoding: 'utf8', timeout: 60000 });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(run.status, 1, 'exit 1 when a file failed');
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, names.length + 1);
  names.forEach((n, i) => {
    assert.equal(path.basename(lines[i].file), n);
    assert.equal(lines[i].error === null ? null : lines[i].error.code, files[n][1], n);
    if (lines[i].error) assert.ok(lines[i].error.message.length > 0);
  });
  assert.equal(lines.at(-1).error.code, 'READ_FAILED');
});

test('the CLI opens files whose names are not UTF-8 (found in a folder, kept as bytes)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-names-'));
  try {
    const dirB = Buffer.from(dir);
    const odd = Buffer.concat([dirB, Buffer.from('/'), Buffer.from([0x66, 0xff, 0xfe, 0x80]), Buffer.from('.png')]);
    fs.writeFileSync(odd, png(40, 30));
    fs.writeFileSync(path.join(dir, '-dash.png'), png(40, 30));
    const run = spawnSync(process.execPath, [path.join(ROOT, 'bin/deepfake-shield.js'), '--json', dir], { encoding: 'utf8', timeout: 60000 });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    for (const l of lines) assert.equal(l.error, null, l.file);
    // The printed name shows the undecodable bytes as U+FFFD.
    assert.ok(lines.some((l) => l.file.endsWith('f\ufffd\ufffd\ufffd.png')), JSON.stringify(lines.map((l) => l.file)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every load failure is LOAD_FAILED naming what failed; bad options are INVALID_ARGUMENT', async () => {
  const fail = async (opts, code, re, label) => {
    await assert.rejects(createChecker(opts), (e) => {
      assert.ok(e instanceof DeepfakeShieldError, `${label}: ${e}`);
      assert.equal(e.code, code, `${label}: ${e.message}`);
      if (re) assert.match(e.message, re, label);
      return true;
    });
  };
  // What a dev server sends for a path it does not know: an HTML page instead of the wasm.
  await fail({ wasm: new TextEncoder().encode('<!doctype html><html><body>app</body></html>') }, 'LOAD_FAILED', /not a WebAssembly module.*<!doctype html>/, 'HTML as wasm');
  await fail({ wasm: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 99, 99]) }, 'LOAD_FAILED', /could not be instantiated/, 'broken wasm');
  await fail({ models: { detectorShort: 'http://127.0.0.1:9/nothing.dfs' }, fetch: async () => { throw new TypeError('fetch failed'); } },
    'LOAD_FAILED', /http:\/\/127\.0\.0\.1:9\/nothing\.dfs: fetch failed/, 'a throwing fetch');
  await fail({ models: { detectorShort: 'http://127.0.0.1:9/nothing.dfs' }, fetch: async () => ({ ok: false, status: 404 }) },
    'LOAD_FAILED', /nothing\.dfs: HTTP 404/, 'HTTP 404');
  await fail(null, 'INVALID_ARGUMENT', /options must be an object/, 'createChecker(null)');
  await fail('fast', 'INVALID_ARGUMENT', /options must be an object/, 'createChecker("fast")');
});
