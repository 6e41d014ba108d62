// The public JavaScript API end to end in Node: real photos, RGBA pixels, errors with stable
// codes, and the same checker instance still working after every error.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlibModule from 'node:zlib';
import path from 'node:path';
import { createChecker, DeepfakeShieldError, measuredText, isHeif } from '../../dist/index.js';
import { ROOT, SKIP_SHARED, sharedFile, faceFixture } from './helpers.mjs';

const checker = await createChecker();

test('loads both detectors from the package models folder', () => {
  assert.ok(checker.models.detectorShort > 100000);
  assert.ok(checker.models.detectorFull > 100000);
});

test('finds the face in a real portrait (encoded JPEG)', () => {
  const r = checker.checkSync(faceFixture());
  assert.equal(r.width, 512);
  assert.equal(r.height, 512);
  assert.equal(r.faces.length, 1);
  const f = r.faces[0];
  assert.equal(f.box.length, 4);
  assert.equal(f.keypoints.length, 6);
  assert.ok(f.score > 0.5 && f.score <= 1);
  // The face sits left of centre in the upper half (the astronaut's head, by hand: x 180-270, y 80-170).
  assert.ok(f.box[0] < 200 && f.box[0] + f.box[2] > 250 && f.box[1] < 100 && f.box[1] + f.box[3] > 150, JSON.stringify(f.box));
  for (const k of ['decode', 'detect', 'classify', 'total']) assert.equal(typeof r.timings[k], 'number');
});

test('accepts ArrayBuffer and Blob inputs with the same result', async () => {
  const bytes = faceFixture();
  const a = checker.checkSync(bytes);
  const b = checker.checkSync(bytes.slice().buffer);
  const c = await checker.check(new Blob([bytes]));
  assert.equal(a.faces.length, 1);
  assert.deepEqual(b.faces, a.faces);
  assert.deepEqual(c.faces, a.faces);
});

test('RGBA pixel entry point gives the same faces as the encoded file', () => {
  const enc = faceFixture();
  const r1 = checker.checkSync(enc);
  assert.equal(r1.faces.length, 1);
  // The module's own decoder gives the pixels a canvas would: RGBA, alpha 255.
  const px = checker.decode(enc);
  assert.equal(px.width, 512);
  assert.equal(px.data.length, px.width * px.height * 4);
  assert.ok(px.data instanceof Uint8ClampedArray);
  const r2 = checker.checkSync({ data: px.data, width: px.width, height: px.height });
  assert.deepEqual(r2.faces, r1.faces);
  // ImageData-like object with a plain Uint8Array works too.
  const r3 = checker.checkSync({ data: new Uint8Array(px.data.buffer), width: px.width, height: px.height });
  assert.deepEqual(r3.faces, r1.faces);
});

test('bad inputs get a DeepfakeShieldError with a stable code, and the checker keeps working', () => {
  const good = faceFixture();
  const expectCode = (fn, code) => {
    assert.throws(fn, (e) => e instanceof DeepfakeShieldError && e.code === code && e.message.length > 0, code);
    assert.equal(checker.checkSync(good).faces.length, 1, `checker still works after ${code}`);
  };
  expectCode(() => checker.checkSync(new Uint8Array(0)), 'EMPTY_INPUT');
  expectCode(() => checker.checkSync(new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0])), 'CORRUPT_IMAGE');
  expectCode(() => checker.checkSync(new TextEncoder().encode('hello, not an image')), 'UNSUPPORTED_FORMAT');
  expectCode(() => checker.checkSync(good.subarray(0, 200)), 'CORRUPT_IMAGE');
  expectCode(() => checker.checkSync(null), 'INVALID_ARGUMENT');
  expectCode(() => checker.checkSync('photo.jpg'), 'INVALID_ARGUMENT');
  expectCode(() => checker.checkSync([1, 2, 3]), 'INVALID_ARGUMENT');
  expectCode(() => checker.checkSync({ data: new Uint8Array(10), width: 2, height: 2 }), 'INVALID_ARGUMENT');
  expectCode(() => checker.checkSync({ data: new Float32Array(16), width: 2, height: 2 }), 'INVALID_ARGUMENT');
  expectCode(() => checker.checkSync({ data: new Uint8Array(16), width: -2, height: -2 }), 'INVALID_ARGUMENT');
  expectCode(() => checker.checkSync(good, { maxPixels: 100 }), 'IMAGE_TOO_LARGE');
  expectCode(() => checker.checkSync(good, { maxFaces: 'x' }), 'INVALID_ARGUMENT');
  expectCode(() => checker.checkSync(good, { heatmap: 1 }), 'INVALID_ARGUMENT');
  expectCode(() => checker.checkSync(good, { maxPixels: NaN }), 'INVALID_ARGUMENT');
});

test('a header claiming 100000x100000 pixels is refused before decoding', () => {
  // Minimal PNG: signature + IHDR claiming 100000x100000 RGB8 (no image data follows).
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x01, 0x86, 0xa0, 0x00, 0x01, 0x86, 0xa0, 8, 2, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => checker.checkSync(png), (e) => e.code === 'IMAGE_TOO_LARGE');
});

test('an image without faces gives an empty list and a null verdict', () => {
  // 64x64 grey BMP written here: 54-byte header + rows.
  const w = 64, h = 64, row = w * 3, size = 54 + row * h;
  const b = new Uint8Array(size).fill(128);
  const dv = new DataView(b.buffer);
  b[0] = 0x42; b[1] = 0x4d; dv.setUint32(2, size, true); dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true); dv.setInt32(18, w, true); dv.setInt32(22, h, true);
  dv.setUint16(26, 1, true); dv.setUint16(28, 24, true); dv.setUint32(30, 0, true); dv.setUint32(34, row * h, true);
  const r = checker.checkSync(b);
  assert.equal(r.width, 64);
  assert.deepEqual(r.faces, []);
  assert.equal(r.fake, null);
});

test('a model file that is not ours is refused with BAD_MODEL', async () => {
  await assert.rejects(createChecker({ models: { detectorShort: new Uint8Array(100).fill(7), detectorFull: null, classifier: null } }),
    (e) => e.code === 'BAD_MODEL');
  const real = fs.readFileSync(path.join(ROOT, 'models/blazeface_short.dfs'));
  await assert.rejects(createChecker({ models: { detectorShort: new Uint8Array(real.subarray(0, real.length - 10)), detectorFull: null, classifier: null } }),
    (e) => e.code === 'BAD_MODEL');
});

test('dispose frees the instance and later calls say so', async () => {
  const c = await createChecker({ models: { detectorFull: null, classifier: null } });
  c.dispose();
  assert.throws(() => c.checkSync(new Uint8Array([1])), (e) => e.code === 'DISPOSED');
  c.dispose();
});

const HAVE_CLASSIFIER = fs.existsSync(path.join(ROOT, 'models/classifier.dfs'));
test('with the shipped classifier every face gets a probability (and a heat map when asked)', {
  skip: !HAVE_CLASSIFIER ? 'models/classifier.dfs is absent' : false,
}, () => {
  assert.ok(checker.hasClassifier);
  assert.ok(checker.threshold > 0 && checker.threshold < 1);
  // Two faces: the fixture portrait twice, side by side, as RGBA pixels.
  const px = checker.decode(faceFixture());
  const two = new Uint8ClampedArray(px.width * 2 * px.height * 4);
  for (let y = 0; y < px.height; y++) {
    const row = px.data.subarray(y * px.width * 4, (y + 1) * px.width * 4);
    two.set(row, y * px.width * 8);
    two.set(row, y * px.width * 8 + px.width * 4);
  }
  const pair = { data: two, width: px.width * 2, height: px.height };
  const r = checker.checkSync(pair, { heatmap: true });
  assert.equal(r.faces.length, 2);
  for (const f of r.faces) {
    assert.ok(f.fake >= 0 && f.fake <= 1);
    if (checker.hasHeatmap) {
      assert.ok(f.heatmap.width > 0 && f.heatmap.data.length === f.heatmap.width * f.heatmap.height);
      assert.ok(f.heatmap.data.every((v) => v >= 0 && v <= 1));
      assert.equal(f.heatmap.crop.length, 4);
      // The crop is the face box widened by the model's margin, centered on the box.
      const cx = f.box[0] + f.box[2] / 2;
      assert.ok(Math.abs(f.heatmap.crop[0] + f.heatmap.crop[2] / 2 - cx) < 1);
      assert.ok(f.heatmap.crop[2] > Math.max(f.box[2], f.box[3]));
    }
  }
  assert.equal(r.fake, Math.max(...r.faces.map((f) => f.fake)));
  assert.ok(r.timings.classify > 0);
  // Without heatmap: none returned; with classify: false no probabilities.
  assert.equal(checker.checkSync(pair).faces[0].heatmap, undefined);
  const nc = checker.checkSync(pair, { classify: false });
  assert.equal(nc.fake, null);
  assert.ok(nc.faces.every((f) => f.fake === null));
});

test('a photo upside down (no EXIF) is checked as the upright photo: same box turned back, same score, rotation 180', {
  skip: !HAVE_CLASSIFIER ? 'models/classifier.dfs is absent' : false,
}, () => {
  const px = checker.decode(faceFixture());
  const { width: w, height: h } = px;
  const turned = new Uint8ClampedArray(px.data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      turned.set(px.data.subarray((y * w + x) * 4, (y * w + x) * 4 + 4), ((h - 1 - y) * w + (w - 1 - x)) * 4);
  const up = checker.checkSync(px, { heatmap: true });
  const down = checker.checkSync({ data: turned, width: w, height: h }, { heatmap: true });
  assert.equal(up.faces.length, 1);
  assert.equal(down.faces.length, 1);
  const [a, b] = [up.faces[0], down.faces[0]];
  assert.equal(a.rotation, 0);
  assert.equal(b.rotation, 180);
  assert.ok(Math.abs(b.fake - a.fake) < 1e-5, `${b.fake} vs ${a.fake}`);
  const expect = [w - a.box[0] - a.box[2], h - a.box[1] - a.box[3], a.box[2], a.box[3]];
  b.box.forEach((v, i) => assert.ok(Math.abs(v - expect[i]) < 0.5, `box ${b.box} vs ${expect}`));
  // Keypoints turned back too: the subject's right eye is where it is in the photo.
  assert.ok(Math.abs(b.keypoints[0][0] - (w - a.keypoints[0][0])) < 0.5);
  if (checker.hasHeatmap) {  // the map in the photo's orientation: the upright one turned 180
    const n = a.heatmap.data.length;
    assert.ok(a.heatmap.data.every((v, i) => Math.abs(v - b.heatmap.data[n - 1 - i]) < 1e-4));
  }
  // turned: false only skips the search when nothing is found; this face is found upright.
  assert.throws(() => checker.checkSync(px, { turned: 'yes' }), /turned/);
});

test('provenance: a C2PA manifest is reported (not verified), plain files say nothing, pixels carry none', { skip: SKIP_SHARED }, () => {
  const signed = checker.checkSync(sharedFile('testdata/provenance/C.jpg'));
  assert.deepEqual(signed.provenance.c2pa.present, true);
  assert.equal(signed.provenance.c2pa.container, 'JPEG APP11');
  assert.equal(signed.provenance.ai_declared, false);
  assert.deepEqual(checker.provenance(sharedFile('testdata/provenance/C.jpg')), signed.provenance);
  const plain = checker.checkSync(sharedFile('testdata/lfw-real/real-0000.jpg'));
  assert.equal(plain.provenance.c2pa, null);
  assert.equal(plain.provenance.ai_declared, false);
  assert.equal(plain.verdict === 'declared_ai', false);
  // WebP: the module cannot decode it, but its container is still read.
  const webp = checker.provenance(sharedFile('testdata/provenance/test.webp'));
  assert.equal(webp.c2pa, null);
  const px = checker.checkSync({ data: new Uint8Array(8 * 8 * 4), width: 8, height: 8 });
  assert.equal(px.provenance, null);
  assert.throws(() => checker.provenance('nope'), (e) => e.code === 'INVALID_ARGUMENT');
});

// A 1x1 RGB PNG with a "parameters" tEXt chunk (what AUTOMATIC1111 writes), CRCs computed here.
function aiDeclaredPng() {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  const zlib = zlibModule;
  const idat = zlib.deflateSync(Buffer.from([0, 200, 100, 50]));
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('tEXt', Buffer.from('parameters\0a portrait, Steps: 20, Sampler: Euler a', 'latin1')), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
  return new Uint8Array(png);
}

test('a PNG whose text chunks name an AI generator is declared_ai whatever the pixels say', () => {
  const png = aiDeclaredPng();
  const r = checker.checkSync(png);
  assert.equal(r.provenance.ai_declared, true);
  assert.equal(r.provenance.metadata.ai_generator, 'Stable Diffusion (AUTOMATIC1111-style parameters)');
  assert.equal(r.verdict, 'declared_ai');
});

test('check() verifies Content Credentials: valid, valid with an ingredient, bad signature; never "trusted"', { skip: SKIP_SHARED }, async () => {
  const got = {};
  for (const f of ['C.jpg', 'CA.jpg', 'E-sig-CA.jpg']) {
    got[f] = (await checker.check(sharedFile(`testdata/provenance/${f}`))).provenance.c2pa;
  }
  for (const c of Object.values(got)) {
    assert.equal(c.verified, true, JSON.stringify(c));
    assert.equal(c.trust, 'signer not checked against a trust list');
    assert.match(c.signer, /CN=C2PA Signer/);
  }
  assert.equal(got['C.jpg'].valid, true);
  assert.deepEqual(got['C.jpg'].actions, ['c2pa.created']);
  assert.equal(got['CA.jpg'].valid, true);
  assert.equal(got['CA.jpg'].ingredients, 1);
  assert.equal(got['E-sig-CA.jpg'].valid, false);
  assert.ok(got['E-sig-CA.jpg'].errors.some((e) => /claimSignature\.mismatch/.test(e)), got['E-sig-CA.jpg'].errors.join());
  // checkSync does not verify (it cannot wait); verifyC2pa: false skips it in check().
  assert.equal(checker.checkSync(sharedFile('testdata/provenance/C.jpg')).provenance.c2pa.verified, undefined);
  assert.equal((await checker.check(sharedFile('testdata/provenance/C.jpg'), { verifyC2pa: false })).provenance.c2pa.verified, undefined);
});

test('pixels decoded elsewhere with options.source: that file\'s provenance, its C2PA verified, the verdict from it', { skip: SKIP_SHARED }, async () => {
  const png = aiDeclaredPng();
  const pixels = checker.decode(png);
  assert.equal(checker.checkSync(pixels).verdict, 'no_face');
  const declared = checker.checkSync(pixels, { source: png });
  assert.equal(declared.provenance.ai_declared, true);
  assert.equal(declared.verdict, 'declared_ai');
  const signed = sharedFile('testdata/provenance/C.jpg');
  const r = await checker.check(checker.decode(signed), { source: signed.buffer.slice(signed.byteOffset, signed.byteOffset + signed.length), classify: false });
  assert.equal(r.provenance.c2pa.verified, true);
  assert.equal(r.provenance.c2pa.valid, true);
  assert.deepEqual(r.provenance.c2pa.actions, ['c2pa.created']);
  const blob = await checker.check(pixels, { source: new Blob([png]) });
  assert.equal(blob.verdict, 'declared_ai');
  // Misuse is INVALID_ARGUMENT before any work, and the next call still works.
  const bad = (e) => e.code === 'INVALID_ARGUMENT' && /source/.test(e.message);
  assert.throws(() => checker.checkSync(png, { source: png }), bad);
  assert.throws(() => checker.checkSync(pixels, { source: 'photo.webp' }), bad);
  assert.throws(() => checker.checkSync(pixels, { source: new Uint8Array(0) }), bad);
  assert.throws(() => checker.checkSync(pixels, { source: null }), bad);
  await assert.rejects(checker.checkVideoFrames([{ ...pixels, t: 0 }], { source: png }), bad);
  assert.equal(checker.checkSync(pixels, { source: png }).verdict, 'declared_ai');
});

test('hostile metadata: truncated and deeply nested JUMBF, a 1 GB extended-XMP claim, invalid UTF-8 text; pixels still checked', { skip: SKIP_SHARED }, async () => {
  const photo = sharedFile('testdata/lfw-real/real-0000.jpg');
  const ref = checker.checkSync(photo);
  const seg = (marker, payload) => {
    const b = new Uint8Array(4 + payload.length);
    b.set([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 255]);
    b.set(payload, 4);
    return b;
  };
  const withSegments = (...segs) => {
    const total = photo.length + segs.reduce((s, x) => s + x.length, 0);
    const out = new Uint8Array(total);
    out.set(photo.subarray(0, 2));
    let o = 2;
    for (const s of segs) { out.set(s, o); o += s.length; }
    out.set(photo.subarray(2), o);
    return out;
  };
  const be32 = (v) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  // A C2PA superbox (jumd labelled "c2pa") holding 5,000 nested jumb boxes.
  const depth = 5000;
  const inner = new Uint8Array(8 * depth);
  for (let i = 0; i < depth; i++) inner.set([...be32(8 * (depth - i)), 0x6a, 0x75, 0x6d, 0x62], 8 * i);
  const jumd = new Uint8Array([...be32(8 + 16 + 1 + 5), 0x6a, 0x75, 0x6d, 0x64, 0x63, 0x32, 0x70, 0x61, 0, 0x11, 0, 0x10, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71, 3, 0x63, 0x32, 0x70, 0x61, 0]);
  const superLen = 8 + jumd.length + inner.length;
  const jumbf = new Uint8Array([0x4a, 0x50, 0, 1, ...be32(1), ...be32(superLen), 0x6a, 0x75, 0x6d, 0x62, ...jumd, ...inner]);
  const nested = withSegments(seg(0xeb, jumbf));
  const truncated = withSegments(seg(0xeb, jumbf.subarray(0, 60)));
  // Extended XMP: GUID, a full length of 1 GB, offset 0, then a little text.
  const ext = new TextEncoder().encode('http://ns.adobe.com/xmp/extension/\0' + '0'.repeat(32));
  const xmp = withSegments(seg(0xe1, new Uint8Array([...ext, ...be32(0x40000000), ...be32(0), ...new TextEncoder().encode('<x digitalsourcetype/trainedAlgorithmicMedia>')])));
  // EXIF Software with bytes that are not UTF-8.
  const tiff = [0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x31, 0, 2, 0, 0, 0, 6, 0, 0, 0, 26, 0, 0, 0, 0, 0xff, 0xfe, 0xc3, 0x28, 0x41, 0];
  const exif = withSegments(seg(0xe1, new Uint8Array([0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff])));
  for (const [label, bytes] of [['nested JUMBF', nested], ['truncated JUMBF', truncated], ['1 GB extended XMP', xmp], ['invalid UTF-8', exif]]) {
    const r = await checker.check(bytes);
    assert.deepEqual(r.faces.map((f) => f.box), ref.faces.map((f) => f.box), `${label}: pixels checked as without it`);
    assert.ok(r.provenance, label);
    if (r.provenance.c2pa) assert.notEqual(r.provenance.c2pa.valid, true, `${label}: never valid`);
  }
  assert.equal((await checker.check(xmp)).provenance.metadata.digital_source_type, 'trainedAlgorithmicMedia');
  assert.equal(typeof (await checker.check(exif)).provenance.metadata.software, 'string');
});

// A copy of a .dfs file with its JSON header edited (src/models/FORMAT.md): the tensor bytes as
// they are, the padding to 64 and the CRC-32 redone.
function withHeader(dfs, edit) {
  const view = new DataView(dfs.buffer, dfs.byteOffset, dfs.byteLength);
  const jsonLen = view.getUint32(12, true);
  const header = JSON.parse(Buffer.from(dfs.subarray(16, 16 + jsonLen)).toString('utf8'));
  const dataStart = Math.ceil((16 + jsonLen) / 64) * 64;
  const tensors = dfs.subarray(dataStart, dfs.length - 4);
  edit(header);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const start = Math.ceil((16 + json.length) / 64) * 64;
  const out = Buffer.alloc(start + tensors.length + 4);
  dfs.subarray(0, 12).forEach((b, i) => { out[i] = b; });
  out.writeUInt32LE(json.length, 12);
  json.copy(out, 16);
  out.set(tensors, start);
  out.writeUInt32LE(zlibModule.crc32(out.subarray(0, out.length - 4)), out.length - 4);
  return new Uint8Array(out);
}

test('checker.measured: the header\'s held-out rates, only values in [0, 1], in words', {
  skip: !HAVE_CLASSIFIER ? 'models/classifier.dfs is absent' : false,
}, async () => {
  const shipped = fs.readFileSync(path.join(ROOT, 'models/classifier.dfs'));
  const edited = withHeader(shipped, (h) => {
    h.provenance.calibration = { ...h.provenance.calibration, held_out: {
      real_flagged: 0.041, real_flagged_worst_source: 1.5, inconclusive: 'a fifth',
      fakes_caught: { gan: 0.65, swap: -0.1, dfdc: 0.47, reenactment: null } } };
  });
  const c = await createChecker({ models: { detectorFull: null, classifier: edited } });
  try {
    assert.deepEqual(c.measured, { real_flagged: 0.041, fakesCaught: { gan: 0.65, dfdc: 0.47 } });
    const words = measuredText(c.measured);
    assert.match(words, /^Measured on held-out validation faces at the default threshold: 4% of real faces flagged; fakes caught: GAN faces 65%, DFDC video face swaps 47%\./);
    assert.ok(c.checkSync(faceFixture()).faces[0].fake >= 0, 'the edited file still classifies');
  } finally {
    c.dispose();
  }
  // Nothing usable, or no held_out at all: null, and no sentence.
  for (const held of [{ real_flagged: 'x' }, undefined]) {
    const d = await createChecker({ models: { detectorFull: null, classifier: withHeader(shipped, (h) => {
      h.provenance.calibration = { ...h.provenance.calibration, held_out: held };
      if (held === undefined) delete h.provenance.calibration.held_out;
    }) } });
    assert.equal(d.measured, null);
    assert.equal(measuredText(d.measured), null);
    d.dispose();
  }
});

test('isHeif tells HEIC/HEIF files by their ftyp box, not AVIF or anything else', () => {
  const ftyp = (major, ...compat) => {
    const b = Buffer.alloc(16 + 4 * compat.length + 8);
    b.writeUInt32BE(16 + 4 * compat.length, 0);
    b.write('ftyp', 4);
    b.write(major, 8);
    compat.forEach((c, i) => b.write(c, 16 + 4 * i));
    b.write('meta', 16 + 4 * compat.length + 4);  // the next box: never read as a brand
    return new Uint8Array(b);
  };
  assert.equal(isHeif(ftyp('heic', 'mif1', 'heic')), true);
  assert.equal(isHeif(ftyp('heix')), true);
  assert.equal(isHeif(ftyp('mif1', 'mif1', 'heic').buffer), true, 'an ArrayBuffer too');
  assert.equal(isHeif(ftyp('mif1', 'mif1', 'avif')), false);
  assert.equal(isHeif(ftyp('avif', 'mif1', 'avif')), false);
  assert.equal(isHeif(ftyp('isom', 'mp41')), false);
  const brandAfterBox = ftyp('mif1', 'mif1');
  Buffer.from(brandAfterBox.buffer).write('heic', 20);  // past the ftyp box's own size
  assert.equal(isHeif(brandAfterBox), false);
  assert.equal(isHeif(faceFixture()), false);
  assert.equal(isHeif(new Uint8Array(8)), false);
});
