// The hostile-input corpus: every class of bad input the CLI and the API must answer cleanly,
// written by a script (nothing large is committed; the big files are sparse or compress well).
//   node tests/corpus/hostile.mjs OUT_DIR    (writes the files and prints the manifest)
// Each case: {cls, file (what the CLI is given, in OUT_DIR), expect, note} where expect is the error code the CLI must print for it
// (null: checked without error). tests/node/corpus.test.mjs runs the CLI on every file.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { png, pngHeaderOnly, bmp, gif, jpeg, concat, oneCodeDht, sosOffset, cutWithEoi } from './generate.mjs';

// The first scan (SOS header and data) repeated n times: n scans of work for a few KB.
function repeatedScans(n) {
  const base = jpeg(16, 16);
  const sos = sosOffset(base);
  const scan = base.subarray(sos, base.length - 2);
  return concat([base.subarray(0, sos), ...Array(n).fill(scan), base.subarray(base.length - 2)]);
}

// Overwrites the declared size of an otherwise valid small file (the payload stays tiny).
function withSize(bytes, at, w, h, { be = false, bits = 32 } = {}) {
  const out = Uint8Array.from(bytes);
  const dv = new DataView(out.buffer);
  if (bits === 16) { dv.setUint16(at, w, !be); dv.setUint16(at + 2, h, !be); } else { dv.setInt32(at, w, !be); dv.setInt32(at + 4, h, !be); }
  return out;
}

/** Writes the corpus into dir; returns [{cls, file, expect, note}]. */
export function writeHostileCorpus(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const cases = [];
  const add = (cls, name, bytes, expect, note) => {
    fs.writeFileSync(path.join(dir, name), bytes);
    cases.push({ cls, file: name, expect, note });
  };
  const special = (cls, name, make, expect, note) => {
    make(path.join(dir, name));
    cases.push({ cls, file: name, expect, note });
  };

  // 1. Files that are not what they claim: never opened, or refused before being read whole.
  special('files', 'dev-zero.jpg', (p) => fs.symlinkSync('/dev/zero', p), 'UNSUPPORTED_FILE', 'symlink to /dev/zero');
  special('files', 'dev-urandom.png', (p) => fs.symlinkSync('/dev/urandom', p), 'UNSUPPORTED_FILE', 'symlink to /dev/urandom');
  special('files', 'fifo.jpg', (p) => { const r = spawnSync('mkfifo', [p]); if (r.status !== 0) throw new Error('mkfifo failed'); },
    'UNSUPPORTED_FILE', 'a FIFO nobody writes to');
  special('files', 'sparse-2gb.jpg', (p) => { const fd = fs.openSync(p, 'w'); fs.ftruncateSync(fd, 2040 * 2 ** 20); fs.closeSync(fd); },
    'IMAGE_TOO_LARGE', '2040 MB sparse file (over the 200 MB limit)');
  special('files', 'dangling.png', (p) => fs.symlinkSync(path.join(dir, 'nowhere.png'), p), 'READ_FAILED', 'symlink to nothing');
  add('files', 'empty.jpg', new Uint8Array(0), 'EMPTY_INPUT', '0 bytes');
  add('files', 'text.png', new TextEncoder().encode('<html>not an image</html>'), 'UNSUPPORTED_FORMAT', 'HTML named .png');
  // A name that is not UTF-8 cannot be an argument; the CLI finds it in its folder.
  fs.mkdirSync(path.join(dir, 'odd-name'));
  fs.writeFileSync(Buffer.concat([Buffer.from(path.join(dir, 'odd-name') + path.sep), Buffer.from([0x6e, 0xff, 0xfe, 0x2e, 0x70, 0x6e, 0x67])]), png(24, 16));
  cases.push({ cls: 'files', file: 'odd-name', expect: null, note: 'folder holding n\\xff\\xfe.png (name not UTF-8)' });

  // 2. Decoder work budget: declared sizes the bytes cannot hold, scans without end, bombs.
  add('budget', 'gif-10000.gif', withSize(gif(2, 2, 1), 6, 10000, 10000, { bits: 16 }), 'CORRUPT_IMAGE', '~40-byte GIF declaring 10000x10000');
  add('budget', 'jpeg-10000.jpg', jpeg(8, 8, { headerW: 10000, headerH: 10000 }), 'CORRUPT_IMAGE', 'small JPEG declaring 10000x10000');
  add('budget', 'bmp-10000.bmp', withSize(bmp(2, 2), 18, 10000, 10000), 'CORRUPT_IMAGE', '~70-byte BMP declaring 10000x10000');
  add('budget', 'png-100000.png', pngHeaderOnly(100000, 100000), 'IMAGE_TOO_LARGE', 'PNG header 100000x100000');
  add('budget', 'scans-5000.jpg', repeatedScans(5000), 'CORRUPT_IMAGE', 'one scan repeated 5,000 times');
  add('budget', 'flat-10000.png', png(10000, 10000, { sample: () => 0 }), null, '100 MP flat PNG (the largest allowed; ~0.3 MB)');
  add('budget', 'flat-10001.png', png(10001, 10000, { sample: () => 0 }), 'IMAGE_TOO_LARGE', 'one column past 100 MP');

  // 3. Truthful decode: cut-short data is corrupt, never a silently different picture.
  const good = jpeg(64, 48);
  // (stb would pad the missing data with zeros)
  add('truncated', 'jpeg-cut-eoi.jpg', cutWithEoi(good, good.length - 60), 'CORRUPT_IMAGE', 'JPEG cut in its scan, EOI appended');
  add('truncated', 'jpeg-cut.jpg', good.subarray(0, good.length - 60), 'CORRUPT_IMAGE', 'JPEG cut in its scan');
  const goodBmp = bmp(31, 17);
  add('truncated', 'bmp-cut.bmp', goodBmp.subarray(0, goodBmp.length - 40), 'CORRUPT_IMAGE', 'BMP missing its last rows');
  const goodPng = png(40, 30);
  add('truncated', 'png-no-iend.png', goodPng.subarray(0, goodPng.length - 12), 'CORRUPT_IMAGE', 'PNG without its IEND chunk');
  add('truncated', 'png-cut.png', goodPng.subarray(0, goodPng.length - 30), 'CORRUPT_IMAGE', 'PNG cut in IDAT');
  const arith = Uint8Array.from(jpeg(8, 8, { dht: [oneCodeDht(0), oneCodeDht(1)] }));
  arith[arith.findIndex((v, i) => v === 0xff && arith[i + 1] === 0xc0) + 1] = 0xc9;
  add('truncated', 'arithmetic.jpg', arith, 'UNSUPPORTED_FORMAT', 'arithmetic-coded JPEG (valid, not supported)');

  // 4. Files that are fine: the corpus must not refuse good input.
  add('good', 'good.jpg', good, null, 'baseline JPEG 64x48');
  add('good', 'restart.jpg', jpeg(48, 40, { restartInterval: 3 }), null, 'JPEG with restart markers');
  add('good', 'good.bmp', goodBmp, null, 'BMP 31x17');
  add('good', 'anim.gif', gif(20, 10, 3), null, 'animated GIF (first frame)');
  return cases;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) { console.error('usage: node tests/corpus/hostile.mjs OUT_DIR'); process.exit(2); }
  for (const c of writeHostileCorpus(process.argv[2])) console.log(`${c.cls}\t${c.file}\t${c.expect ?? 'OK'}\t${c.note}`);
}
