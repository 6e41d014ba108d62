// The CLI contract other tools depend on: --json lines, error objects, exit codes 0/1/2, eval.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, FACE_FIXTURE, HAVE_FFMPEG, SKIP_FFMPEG, HAVE_HEIF, SKIP_HEIF } from './helpers.mjs';
import { png } from '../corpus/generate.mjs';
import { createChecker } from '../../dist/index.js';
import { auc, metrics } from '../../bin/deepfake-shield.js';

const CLI = path.join(ROOT, 'bin/deepfake-shield.js');
const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

// Face photos without ../shared: the committed portrait, the same pixels as a PNG and mirrored
// (tests/fixtures/faces/SOURCE.md), and a grey BMP-free PNG with no face.
const fixtures = await (async () => {
  const c = await createChecker({ models: { classifier: null } });
  const px = c.decode(fs.readFileSync(FACE_FIXTURE));
  c.dispose();
  const at = (x, y, ch) => px.data[(y * px.width + x) * 4 + ch];
  return {
    jpg: fs.readFileSync(FACE_FIXTURE),
    png: png(px.width, px.height, { sample: (x, y, ch) => at(x, y, ch) }),
    mirrored: png(px.width, px.height, { sample: (x, y, ch) => at(px.width - 1 - x, y, ch) }),
    grey: png(64, 48, { sample: () => 128 }),
  };
})();

function fixtureDir(names) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-cli-'));
  for (const [name, key] of Object.entries(names)) fs.writeFileSync(path.join(tmp, name), fixtures[key]);
  return tmp;
}

test('--json prints one object per image with the documented fields; exit 0', () => {
  const dir = fixtureDir({ 'portrait.jpg': 'jpg', 'portrait.png': 'png', 'mirrored.png': 'mirrored' });
  const r = run('--json', dir);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  for (const o of lines) {
    assert.deepEqual(Object.keys(o), ['file', 'width', 'height', 'faces', 'fake', 'verdict', 'provenance', 'threshold', 'decoded_by', 'error']);
    assert.ok(['likely_manipulated', 'inconclusive', 'no_sign'].includes(o.verdict), o.verdict);
    assert.equal(o.error, null);
    assert.equal(o.faces.length, 1, `${o.file}: one face`);
    for (const f of o.faces) {
      assert.equal(f.box.length, 4);
      assert.equal(f.keypoints.length, 6);
      assert.ok(f.keypoints.every((k) => k.length === 2));
      assert.ok(f.fake === null || (f.fake >= 0 && f.fake <= 1));
      assert.ok(f.score > 0 && f.score <= 1);
      assert.ok(f.box[0] >= 0 && f.box[1] >= 0 && f.box[0] + f.box[2] <= o.width + 0.05 && f.box[1] + f.box[3] <= o.height + 0.05, 'box inside the image');
    }
  }
  // The mirrored photo's box is the original's mirrored (within a pixel).
  const byName = Object.fromEntries(lines.map((o) => [path.basename(o.file), o]));
  const [a, m] = [byName['portrait.png'].faces[0].box, byName['mirrored.png'].faces[0].box];
  assert.ok(Math.abs(512 - (m[0] + m[2]) - a[0]) < 1.5 && Math.abs(m[1] - a[1]) < 1.5, `${a} vs ${m}`);
});

test('a bad file yields an error object, processing continues, exit 1', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-cli-'));
  const bad = path.join(tmp, 'broken.jpg');
  fs.writeFileSync(bad, Buffer.from('definitely not a jpeg'));
  const r = run('--json', bad, path.join(tmp, 'missing.png'), FACE_FIXTURE);
  fs.rmSync(tmp, { recursive: true, force: true });
  assert.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.deepEqual(Object.keys(lines[0]), ['file', 'error']);
  assert.equal(lines[0].error.code, 'UNSUPPORTED_FORMAT');
  assert.equal(lines[1].error.code, 'READ_FAILED');
  assert.equal(lines[2].error, null);
  assert.equal(lines[2].faces.length, 1);
});

test('usage errors exit 2', () => {
  assert.equal(run().status, 2);
  assert.equal(run('--threshold', 'abc', 'x.jpg').status, 2);
  assert.equal(run('--threshold', '1.5', 'x.jpg').status, 2);
  assert.equal(run('--nope', 'x.jpg').status, 2);
  assert.equal(run('eval').status, 2);
});

test('--model loads another classifier file; a wrong or missing file is a clear error', () => {
  // A detector file is a valid .dfs but not a classifier: BAD_MODEL, exit 1, nothing on stdout.
  const wrong = run('--model', path.join(ROOT, 'models/blazeface_short.dfs'), 'x.jpg');
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /BAD_MODEL/);
  const missing = run('--model=/nonexistent/clf.dfs', 'x.jpg');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /READ_FAILED: cannot read --model/);
  assert.equal(run('--model').status, 2);
  // On a face: the shipped classifier passed explicitly gives the default's output, and another
  // classifier (the synthetic B0 golden, random weights) gives another score: --model is used.
  const a = run('--json', FACE_FIXTURE), b = run('--json', '--model', path.join(ROOT, 'models/classifier.dfs'), FACE_FIXTURE);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.stdout, a.stdout);
  const other = run('--json', '--model', path.join(ROOT, 'build-golden/effnet_w025_synth.dfs'), FACE_FIXTURE);
  assert.equal(other.status, 0, other.stderr);
  const [fa, fo] = [JSON.parse(a.stdout).faces[0].fake, JSON.parse(other.stdout).faces[0].fake];
  assert.ok(typeof fo === 'number' && Math.abs(fa - fo) > 1e-3, `--model honoured: ${fa} vs ${fo}`);
});

test('human output names faces and says when nothing can be judged', () => {
  const r = run(FACE_FIXTURE);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /1 face/);
  assert.match(r.stdout, /face 1 at \[/);
});

test('eval metrics: AUC by ranks with ties, log loss, rates at the threshold', () => {
  assert.equal(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.equal(auc([0.5, 0.5], [0, 1]), 0.5);
  assert.equal(auc([0.2, 0.3], [1, 1]), null);
  const m = metrics([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 1], 0.5);
  assert.equal(m.accuracy, 0.5);
  assert.equal(m.tpr, 0.5);
  assert.equal(m.fpr, 0.5);
  assert.ok(Math.abs(m.logloss - -(Math.log(0.9) + Math.log(0.8) + Math.log(0.4) + Math.log(0.4)) / 4) < 1e-12);
});

test('eval over a labelled folder: metrics line, --scores CSV with each image\'s score, a broken file counted', () => {
  const names = { 'img0.jpg': 'jpg', 'img1.png': 'png', 'img2.png': 'mirrored', 'img3.png': 'grey' };
  const tmp = fixtureDir(names);
  const labels = { 'img0.jpg': 'REAL', 'img1.png': 'FAKE', 'img2.png': 'FAKE', 'img3.png': 'REAL' };
  const lines = ['file,label', ...Object.entries(labels).map(([f, l]) => `${f},${l}`)];
  fs.writeFileSync(path.join(tmp, 'labels.csv'), lines.join('\n') + '\n');
  const out = path.join(tmp, 'scores.csv');
  const r = run('eval', tmp, '--scores', out);
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout);
  assert.equal(m.n, 4);
  assert.equal(m.errors, 0);
  const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split(','));
  assert.deepEqual(rows[0], ['file', 'label', 'fake', 'faces', 'verdict', 'synthetic']);
  assert.equal(rows.length, 5);
  // Each score is what the checker gives that image (the --json path, rounded to 4 places).
  for (const [file, label, fake, faces, verdict] of rows.slice(1)) {
    const one = JSON.parse(run('--json', path.join(tmp, file)).stdout);
    assert.equal(verdict, one.verdict ?? '');
    assert.equal(label, labels[file]);
    assert.equal(Number(faces), one.faces.length);
    if (one.fake == null) assert.equal(fake, '');
    else assert.ok(Math.abs(Number(fake) - one.fake) <= 5e-5, `${file}: ${fake} vs ${one.fake}`);
  }
  // The metrics, computed here another way: AUC as the share of (fake, real) pairs ordered
  // right (ties half), FPR as reals at or over the threshold; no-face images count 0.5.
  const s = rows.slice(1).map((x) => (x[2] === '' ? 0.5 : Number(x[2])));
  const y = rows.slice(1).map((x) => (x[1] === 'FAKE' ? 1 : 0));
  let pairs = 0, right = 0;
  s.forEach((si, i) => s.forEach((sj, j) => {
    if (y[i] === 1 && y[j] === 0) { pairs++; right += si > sj ? 1 : si === sj ? 0.5 : 0; }
  }));
  const reals = s.filter((_, i) => !y[i]);
  assert.equal(m.auc, Math.round((right / pairs) * 1e4) / 1e4);
  assert.equal(m.fpr, Math.round((reals.filter((v) => v >= m.threshold).length / reals.length) * 1e4) / 1e4);

  // A file that does not decode: an error row, exit 1, the rest still scored.
  fs.writeFileSync(path.join(tmp, 'img1.png'), Buffer.from('truncated'));
  const bad = run('eval', tmp, `--scores=${out}`);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /img1\.png: UNSUPPORTED_FORMAT/);
  assert.equal(JSON.parse(bad.stdout).errors, 1);
  assert.equal(JSON.parse(bad.stdout).n, 3, 'a file that failed is left out of the metrics');
  assert.deepEqual(fs.readFileSync(out, 'utf8').trim().split('\n')[2].split(','), ['img1.png', 'FAKE', '', '', '', '']);
  assert.equal(run('eval', tmp, '--scores').status, 2);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the CLI runs when its path has a space in it', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs cli space '));
  const link = path.join(tmp, 'deepfake shield.js');
  fs.symlinkSync(CLI, link);
  const img = path.join(tmp, 'blank image.bmp');
  // 2x2 24-bit BMP: no face, but a processed file (exit 0, one output line).
  const bmp = Buffer.alloc(70);
  bmp.write('BM', 0); bmp.writeUInt32LE(70, 2); bmp.writeUInt32LE(54, 10); bmp.writeUInt32LE(40, 14);
  bmp.writeInt32LE(2, 18); bmp.writeInt32LE(2, 22); bmp.writeUInt16LE(1, 26); bmp.writeUInt16LE(24, 28);
  bmp.writeUInt32LE(16, 34);
  fs.writeFileSync(img, bmp);
  const r = spawnSync(process.execPath, [link, '--json', img], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout.trim());
  assert.equal(o.file, img);
  assert.equal(o.verdict, 'no_face');
});

test('hostile paths: a FIFO and a device are refused unopened, a folder loop is walked once, an oversized file is refused unread', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-cli-hostile-'));
  try {
    spawnSync('mkfifo', [path.join(tmp, 'pipe.jpg')]);
    fs.symlinkSync('/dev/zero', path.join(tmp, 'zero.jpg'));
    fs.mkdirSync(path.join(tmp, 'sub'));
    fs.symlinkSync('..', path.join(tmp, 'sub', 'up'));  // a loop back to tmp
    fs.mkdirSync(path.join(tmp, 'empty'));
    const big = path.join(tmp, 'huge.png');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 201 * 1024 * 1024);  // sparse: nothing is written to disk
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CLI, '--json', tmp, path.join(tmp, 'empty')], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.error, undefined, 'the CLI finished (no hang on the FIFO)');
    assert.equal(r.status, 1);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const byName = Object.fromEntries(lines.map((o) => [path.basename(o.file), o]));
    assert.equal(lines.length, 3, `each file once despite the loop: ${lines.map((o) => o.file)}`);
    assert.equal(byName['pipe.jpg'].error.code, 'UNSUPPORTED_FILE');
    assert.equal(byName['zero.jpg'].error.code, 'UNSUPPORTED_FILE');
    assert.equal(byName['huge.png'].error.code, 'IMAGE_TOO_LARGE');
    assert.match(r.stderr, /empty: no image or video files to check/);
    assert.ok(Date.now() - t0 < 60000);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('labels.csv: quotes, BOM, CR/CRLF line ends; a header is required; names stay inside the folder', async () => {
  const { parseCsv, readLabels } = await import('../../bin/deepfake-shield.js');
  assert.deepEqual(parseCsv('\ufefffile,label\r"a,b.jpg",FAKE\r"say ""hi"".png",REAL\r\n\nc.jpg,REAL'),
    [['file', 'label'], ['a,b.jpg', 'FAKE'], ['say "hi".png', 'REAL'], ['c.jpg', 'REAL']]);
  assert.deepEqual(readLabels('label,file\nreal,x.jpg\n'), [{ file: 'x.jpg', label: 'REAL' }]);
  assert.throws(() => readLabels('x.jpg,REAL\ny.jpg,FAKE\n'), /header/);
  assert.throws(() => readLabels('file,label\nx.jpg,MAYBE\n'), /row 2: label must be REAL or FAKE/);
  assert.throws(() => parseCsv('file,label\n"x.jpg,REAL\n'), /unterminated/);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-eval-csv-'));
  try {
    const dir = path.join(tmp, 'set');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(tmp, 'outside.bmp'), 'x');
    fs.writeFileSync(path.join(dir, 'labels.csv'), 'file,label\r../outside.bmp,REAL\r/etc/passwd,FAKE\r');
    const r = run('eval', dir);
    assert.equal(r.status, 1);
    const m = JSON.parse(r.stdout);
    assert.equal(m.errors, 2);
    assert.equal(m.n, 0, 'rows that failed are not in the metrics');
    assert.match(r.stderr, /not a file inside/);
    // --scores into a folder that does not exist: refused before any image is scored.
    const bad = run('eval', dir, '--scores', path.join(tmp, 'no/such/dir/s.csv'));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /cannot write there/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('arguments: "--" ends options, --threshold is parsed strictly, --heatmap needs --json', () => {
  for (const t of [' ', '0x1', '1e0', '-0.1', '1.5', 'abc']) {
    const r = run('--threshold', t, 'x.jpg');
    assert.equal(r.status, 2, `--threshold '${t}'`);
  }
  assert.equal(run('--heatmap', 'x.jpg').status, 2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-cli-dash-'));
  try {
    const odd = path.join(tmp, '-odd.bmp');
    fs.writeFileSync(odd, Buffer.from('not a bmp'));
    const r = spawnSync(process.execPath, [CLI, '--json', '--', odd], { encoding: 'utf8', cwd: tmp });
    assert.equal(r.status, 1);
    assert.equal(JSON.parse(r.stdout).file, odd);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('WebP, TIFF, AVIF and JPEG XL through ffmpeg: the same faces as the JPEG, the file\'s own metadata, limits, no ffmpeg', { skip: SKIP_FFMPEG, timeout: 120000 }, () => {
  assert.ok(HAVE_FFMPEG, 'ffmpeg must be installed in CI (tools/setup.sh)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-formats-'));
  try {
    // The portrait as a PNG (RGB), then that PNG in each format; WebP and TIFF losslessly.
    const made = { 'p.png': [], 'p.webp': ['-c:v', 'libwebp', '-lossless', '1'], 'p.tiff': [], 'p.avif': [], 'p.jxl': [] };
    for (const [name, args] of Object.entries(made)) {
      const from = name === 'p.png' ? FACE_FIXTURE : path.join(tmp, 'p.png');
      const mk = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', from, '-frames:v', '1', ...args, path.join(tmp, name)]);
      assert.equal(mk.status, 0, `${name}: ${mk.stderr}`);
    }
    // An AI-declared WebP: an XMP chunk naming IPTC's trainedAlgorithmicMedia after the image.
    const webp = fs.readFileSync(path.join(tmp, 'p.webp'));
    const xmp = Buffer.from('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>');
    const xmpChunk = Buffer.concat([Buffer.from('XMP '), Buffer.alloc(4), xmp, Buffer.alloc(xmp.length % 2)]);
    xmpChunk.writeUInt32LE(xmp.length, 4);
    const declared = Buffer.concat([webp, xmpChunk]);
    declared.writeUInt32LE(declared.length - 8, 4);
    fs.writeFileSync(path.join(tmp, 'declared.webp'), declared);
    // A lossless WebP header claiming 12000 x 12000 (144 MP; ffmpeg itself would try it) with
    // nothing after it, and an HLS playlist named .webp: neither reaches a decoder.
    const vp8l = Buffer.alloc(9);
    vp8l[0] = 0x2f;
    vp8l.writeUInt32LE((11999 | (11999 << 14)) >>> 0, 1);
    fs.writeFileSync(path.join(tmp, 'huge.webp'), Buffer.concat([Buffer.from('RIFF'), Buffer.from([21, 0, 0, 0]), Buffer.from('WEBPVP8L'), Buffer.from([9, 0, 0, 0]), vp8l, Buffer.alloc(1)]));
    fs.writeFileSync(path.join(tmp, 'playlist.webp'), '#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:9/a.ts\n#EXT-X-ENDLIST\n');
    fs.writeFileSync(path.join(tmp, 'cut.webp'), webp.subarray(0, 60));
    const jpeg = JSON.parse(run('--json', FACE_FIXTURE).stdout);
    const r = run('--json', tmp);
    assert.equal(r.status, 1, r.stderr);
    const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((o) => [path.basename(o.file), o]));
    for (const name of [...Object.keys(made), 'declared.webp']) {
      const o = got[name];
      assert.equal(o.error, null, `${name}: ${JSON.stringify(o.error)}`);
      assert.deepEqual([o.width, o.height, o.faces.length], [jpeg.width, jpeg.height, jpeg.faces.length], name);
      assert.ok(Math.abs(o.faces[0].box[0] - jpeg.faces[0].box[0]) < 3, name);
      assert.ok(Math.abs(o.fake - jpeg.fake) < 0.05, `${name}: ${o.fake} vs the JPEG's ${jpeg.fake}`);
    }
    // The PNG (read by the module) and its lossless WebP and TIFF (read through ffmpeg): the
    // same pixels, so the same faces and scores exactly.
    for (const name of ['p.webp', 'p.tiff']) {
      assert.deepEqual(got[name].faces.map((f) => [f.box, f.fake]), got['p.png'].faces.map((f) => [f.box, f.fake]), name);
    }
    assert.equal(got['declared.webp'].verdict, 'declared_ai', 'the verdict reads the WebP\'s own XMP');
    assert.deepEqual(['p.png', 'p.webp', 'p.tiff', 'p.avif', 'p.jxl'].map((n) => got[n].decoded_by), [null, 'ffmpeg (WebP)', 'ffmpeg (TIFF)', 'ffmpeg (AVIF)', 'ffmpeg (JPEG XL)']);
    assert.equal(got['huge.webp'].error.code, 'IMAGE_TOO_LARGE');
    assert.match(got['huge.webp'].error.message, /12000x12000/);
    assert.equal(got['playlist.webp'].error.code, 'UNSUPPORTED_FORMAT');
    assert.equal(got['cut.webp'].error.code, 'CORRUPT_IMAGE');
    // Human output says which decoder read the file; "check" names the default command.
    const human = run('check', path.join(tmp, 'p.webp'));
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /decoded by ffmpeg \(WebP\), 1 face/);
    // eval reads them too.
    fs.writeFileSync(path.join(tmp, 'labels.csv'), 'file,label\np.webp,REAL\np.tiff,REAL\n');
    const ev = spawnSync(process.execPath, [CLI, 'eval', tmp], { encoding: 'utf8' });
    assert.equal(ev.status, 0, ev.stderr);
    assert.deepEqual([JSON.parse(ev.stdout).n, JSON.parse(ev.stdout).errors], [2, 0]);
    // Without ffmpeg: the module's refusal, saying what would read it.
    const bare = spawnSync(process.execPath, [CLI, '--json', path.join(tmp, 'p.webp')], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
    const e = JSON.parse(bare.stdout).error;
    assert.equal(e.code, 'UNSUPPORTED_FORMAT');
    assert.match(e.message, /ffmpeg, which is not installed/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('HEIC through libheif: the primary image, the same face as the JPEG, limits, broken files, no libheif', { skip: SKIP_HEIF, timeout: 120000 }, () => {
  assert.ok(HAVE_HEIF, 'libheif-examples must be installed in CI (tools/setup.sh)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-heic-'));
  try {
    const enc = (out, ...inputs) => {
      const r = spawnSync('heif-enc', ['-q', '90', '-o', path.join(tmp, out), ...inputs], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${out}: ${r.stderr}`);
      return fs.readFileSync(path.join(tmp, out));
    };
    const heic = enc('p.heic', FACE_FIXTURE);
    // Two top-level images, the first (primary) a 200-px copy: the primary is the one checked.
    const small = path.join(tmp, 'small.jpg');
    assert.equal(spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', FACE_FIXTURE, '-vf', 'scale=200:-2', small]).status, 0);
    enc('two.heic', small, FACE_FIXTURE);
    fs.unlinkSync(small);
    // The image's spatial extent (ispe) rewritten to 12000 x 12000: refused from its header.
    const huge = Buffer.from(heic);
    const ispe = huge.indexOf('ispe');
    huge.writeUInt32BE(12000, ispe + 8);
    huge.writeUInt32BE(12000, ispe + 12);
    fs.writeFileSync(path.join(tmp, 'huge.heic'), huge);
    // A small primary and a second image that says it is 30000 x 30000: heif-convert decodes
    // every top-level image, so the second one's size counts too.
    const hidden = Buffer.from(fs.readFileSync(path.join(tmp, 'two.heic')));
    const ispe2 = hidden.lastIndexOf('ispe');
    assert.ok(ispe2 > hidden.indexOf('ispe'));
    hidden.writeUInt32BE(30000, ispe2 + 8);
    hidden.writeUInt32BE(30000, ispe2 + 12);
    fs.writeFileSync(path.join(tmp, 'hidden.heic'), hidden);
    // Two images each under the limit, over it together (64 + 64 MP).
    const pair = Buffer.from(hidden);
    for (const at of [pair.indexOf('ispe'), ispe2]) [8, 12].forEach((o) => pair.writeUInt32BE(8000, at + o));
    fs.writeFileSync(path.join(tmp, 'pair.heic'), pair);
    // An 8000 x 8000 image whose header says 100 x 100: libheif decodes the real size, so the
    // memory ceiling (set from the header) stops it, as an error.
    const flat = path.join(tmp, 'flat.png');
    assert.equal(spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=8000x8000', '-frames:v', '1', flat]).status, 0);
    const r8k = spawnSync('heif-enc', ['-q', '10', '-p', 'preset=ultrafast', '-o', path.join(tmp, 'understated.heic'), flat], { encoding: 'utf8' });
    assert.equal(r8k.status, 0, r8k.stderr);
    fs.unlinkSync(flat);
    const understated = fs.readFileSync(path.join(tmp, 'understated.heic'));
    understated.writeUInt32BE(100, understated.indexOf('ispe') + 8);
    understated.writeUInt32BE(100, understated.indexOf('ispe') + 12);
    fs.writeFileSync(path.join(tmp, 'understated.heic'), understated);
    fs.writeFileSync(path.join(tmp, 'cut.heic'), heic.subarray(0, heic.length >> 2));
    // The brand says HEIC, the rest is nothing libheif can read.
    fs.writeFileSync(path.join(tmp, 'junk.heic'), Buffer.concat([heic.subarray(0, 32), Buffer.alloc(64, 7)]));
    const jpeg = JSON.parse(run('--json', FACE_FIXTURE).stdout);
    const r = run('--json', tmp);
    assert.equal(r.status, 1, r.stderr);
    const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((o) => [path.basename(o.file), o]));
    const o = got['p.heic'];
    assert.equal(o.error, null, JSON.stringify(o.error));
    assert.deepEqual([o.width, o.height, o.faces.length], [jpeg.width, jpeg.height, 1]);
    assert.deepEqual([o.decoded_by, jpeg.decoded_by], ['libheif (HEIC)', null]);
    assert.ok(o.faces[0].box.every((v, i) => Math.abs(v - jpeg.faces[0].box[i]) < 3), `${o.faces[0].box} vs ${jpeg.faces[0].box}`);
    assert.ok(Math.abs(o.fake - jpeg.fake) < 0.05, `${o.fake} vs the JPEG's ${jpeg.fake}`);
    assert.equal(got['two.heic'].error, null);
    assert.deepEqual([got['two.heic'].width, got['two.heic'].height], [200, 200], 'the primary image');
    assert.equal(got['huge.heic'].error.code, 'IMAGE_TOO_LARGE');
    assert.match(got['huge.heic'].error.message, /12000x12000/);
    assert.equal(got['hidden.heic'].error.code, 'IMAGE_TOO_LARGE');
    assert.match(got['hidden.heic'].error.message, /another image that is 30000x30000/);
    assert.equal(got['pair.heic'].error.code, 'IMAGE_TOO_LARGE');
    assert.match(got['pair.heic'].error.message, /2 images of 128000000 pixels in all/);
    assert.equal(got['understated.heic'].error.code, 'CORRUPT_IMAGE');
    assert.match(got['understated.heic'].error.message, /memory/i, 'stopped by the ceiling, not decoded and then refused');
    assert.equal(got['cut.heic'].error.code, 'CORRUPT_IMAGE');
    assert.equal(got['junk.heic'].error.code, 'CORRUPT_IMAGE');
    // Human output names the decoder; the PNG's temporary folder is gone afterwards, also when
    // decoding failed.
    const scratch = fs.mkdtempSync(path.join(tmp, 'scratch-'));
    const human = spawnSync(process.execPath, [CLI, 'check', path.join(tmp, 'p.heic'), path.join(tmp, 'cut.heic')], { encoding: 'utf8', env: { ...process.env, TMPDIR: scratch } });
    assert.equal(human.status, 1, human.stderr);
    assert.match(human.stdout, /decoded by libheif \(HEIC\), 1 face/);
    assert.deepEqual(fs.readdirSync(scratch), [], 'no temporary folder left behind');
    // Without libheif: the module's refusal, saying what would read it.
    const bare = spawnSync(process.execPath, [CLI, '--json', path.join(tmp, 'p.heic')], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
    const e = JSON.parse(bare.stdout).error;
    assert.equal(e.code, 'UNSUPPORTED_FORMAT');
    assert.match(e.message, /libheif-examples/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
