#!/usr/bin/env node
// Command-line checker: runs the same WebAssembly module the browser gets, over files and folders.
//   deepfake-shield [--json] [--threshold T] [--no-tiles] [--heatmap] [--model F] PATH...
//   deepfake-shield eval DIR [--threshold T] [--model F] [--scores OUT.csv]
//     (DIR: images and labels.csv: file,label; OUT.csv: file,label,fake,faces per image)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import {
  createChecker, DeepfakeShieldError, resultJson, errorJson, faceVerdictText, imageVerdictText, detectorText,
  verdictFor, provenanceLines, bandAt, EVIDENCE_NOTE, VERDICT_TEXT, formatScore, videoResultJson, measuredText, isHeif,
} from '../dist/index.js';

// The module decodes JPEG, PNG, BMP and GIF itself; WebP, TIFF, AVIF and JPEG XL go through
// ffmpeg, HEIC/HEIF through libheif.
const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.gif', '.jfif', '.webp', '.tif', '.tiff', '.avif', '.jxl', '.heic', '.heif']);
const VIDEO_EXT = new Set(['.mp4', '.m4v', '.mov', '.webm', '.mkv', '.avi']);
const CHECKABLE = (name) => IMAGE_EXT.has(path.extname(name).toLowerCase()) || VIDEO_EXT.has(path.extname(name).toLowerCase());
const isVideo = (name) => VIDEO_EXT.has(path.extname(name).toLowerCase());
const USAGE = `usage: deepfake-shield [check] [--json] [--threshold T] [--no-tiles] [--heatmap] [--model F] [--fps N] [--max-frames N] [--] PATH...
       deepfake-shield eval DIR [--threshold T] [--model F] [--scores OUT.csv]
PATH: image or video files, or folders (searched recursively). JPEG, PNG, BMP and GIF are
decoded by the module itself; WebP, TIFF, AVIF and JPEG XL by ffmpeg. Videos (.mp4 .m4v .mov
.webm .mkv .avi, decoded by ffmpeg) are sampled at --fps (default 1) up to --max-frames
(default 64). --model: a classifier .dfs instead of the
shipped models/classifier.dfs. eval: DIR holds the images and labels.csv (file,label with
REAL/FAKE); --scores writes each image's score (empty when no face was found).
Exit: 0 all processed, 1 a file failed, 2 usage.`;

function usage(msg) {
  if (msg) process.stderr.write(`deepfake-shield: ${msg}\n`);
  process.stderr.write(USAGE + '\n');
  process.exit(2);
}

export function parseArgs(argv) {
  const o = { json: false, threshold: null, tiles: true, heatmap: false, model: null, scores: null, paths: [], cmd: 'check', fps: 1, maxFrames: 64 };
  const args = [...argv];
  if (args[0] === 'eval') { o.cmd = 'eval'; args.shift(); }
  // "check" names the default command, unless a file or folder of that name is meant.
  else if (args[0] === 'check' && !fs.existsSync('check')) args.shift();
  let optionsDone = false;
  while (args.length) {
    const a = args.shift();
    if (optionsDone) o.paths.push(a);
    else if (a === '--') optionsDone = true;  // everything after is a path, even "-x"
    else if (a === '--json') o.json = true;
    else if (a === '--no-tiles') o.tiles = false;
    else if (a === '--heatmap') o.heatmap = true;
    else if (a === '--threshold' || a.startsWith('--threshold=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args.shift();
      // Strictly a decimal number: Number(' ') is 0 and Number('0x1') is 1, neither meant.
      if (v === undefined || !/^(0|1|0?\.\d+|[01]\.\d*)$/.test(v) || Number(v) > 1) usage('--threshold needs a number in [0, 1]');
      o.threshold = Number(v);
    } else if (a === '--fps' || a.startsWith('--fps=') || a === '--max-frames' || a.startsWith('--max-frames=')) {
      const name = a.split('=')[0];
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args.shift();
      const n = Number(v);
      if (name === '--fps') {
        if (v === undefined || !/^\d+(\.\d+)?$/.test(v) || !(n > 0 && n <= 30)) usage('--fps needs a number of frames per second in (0, 30]');
        o.fps = n;
      } else {
        if (v === undefined || !/^\d+$/.test(v) || !(n >= 1 && n <= 10000)) usage('--max-frames needs an integer from 1 to 10000');
        o.maxFrames = n;
      }
    } else if (a === '--model' || a.startsWith('--model=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args.shift();
      if (!v) usage('--model needs a file');
      o.model = v;
    } else if (o.cmd === 'eval' && (a === '--scores' || a.startsWith('--scores='))) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args.shift();
      if (!v) usage('--scores needs an output file');
      o.scores = v;
    } else if (a === '-h' || a === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0); }
    else if (a.startsWith('-') && a !== '-') usage(`unknown option ${a}`);
    else o.paths.push(a);
  }
  if (!o.paths.length) usage('no input path');
  if (o.heatmap && !o.json) usage('--heatmap needs --json (heat maps are only written in JSON output)');
  if (o.cmd === 'eval' && o.paths.length !== 1) usage('eval takes exactly one folder');
  return o;
}

// Folders are searched recursively; a folder reached twice (a symlink loop, or two links to
// one place) is searched once. Entries that cannot be read are per-file errors, never the end
// of the run. Names inside folders are kept as bytes (Buffer paths), so a file whose name is
// not valid UTF-8 is still opened; `file` is its printable form (invalid bytes as U+FFFD).
const SEP = Buffer.from(path.sep);
function* walk(p, explicit = true, seen = new Set()) {
  const file = Buffer.isBuffer(p) ? p.toString() : p;
  let st;
  try { st = fs.statSync(p); } catch (e) { yield { file, path: p, error: e }; return; }
  if (st.isDirectory()) {
    let real;
    try { real = fs.realpathSync(p, { encoding: 'buffer' }).toString('latin1'); } catch (e) { yield { file, path: p, error: e }; return; }
    if (seen.has(real)) return;
    seen.add(real);
    let names;
    try { names = fs.readdirSync(p, { encoding: 'buffer' }).sort(Buffer.compare); } catch (e) { yield { file, path: p, error: e }; return; }
    const base = Buffer.isBuffer(p) ? p : Buffer.from(p);
    const prefix = base.length && base.at(-1) === SEP[0] ? base : Buffer.concat([base, SEP]);
    let found = 0;
    for (const name of names) {
      const child = Buffer.concat([prefix, name]);
      let cst;
      try { cst = fs.statSync(child); } catch (e) { found++; yield { file: child.toString(), path: child, error: e }; continue; }
      if (cst.isDirectory()) { for (const x of walk(child, false, seen)) { found++; yield x; } }
      else if (CHECKABLE(name.toString('latin1'))) { found++; yield { file: child.toString(), path: child }; }
    }
    if (explicit && !found) process.stderr.write(`deepfake-shield: ${file}: no image or video files to check (${[...IMAGE_EXT, ...VIDEO_EXT].join(', ')})\n`);
  } else if (explicit || CHECKABLE(file)) {
    yield { file, path: p };
  }
}

const MAX_BYTES = 200 * 1024 * 1024;  // the core's default maxBytes

/**
 * Reads a file for checking: only regular files (a device, FIFO or socket is never opened, so
 * /dev/zero cannot fill memory and a FIFO cannot block), and at most maxBytes + 1 bytes, so a
 * file over the limit is refused before it is read whole.
 */
export function readImageFile(file, maxBytes = MAX_BYTES) {
  const fd = openRegular(file);
  try {
    const { size } = fs.fstatSync(fd);
    if (size > maxBytes) {
      throw new DeepfakeShieldError('IMAGE_TOO_LARGE', `file is ${size} bytes, over the limit of ${maxBytes}`);
    }
    const buf = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1);
    let n = 0, got;
    while (n < buf.length && (got = fs.readSync(fd, buf, n, buf.length - n, null)) > 0) n += got;
    if (n > maxBytes) throw new DeepfakeShieldError('IMAGE_TOO_LARGE', `file grew past the limit of ${maxBytes} bytes while being read`);
    return new Uint8Array(buf.buffer, buf.byteOffset, n);
  } finally {
    fs.closeSync(fd);
  }
}

const r4 = (x) => Math.round(x * 1e4) / 1e4;

function errorLine(file, e) {
  // Our errors carry stable codes; file-system errors (ENOENT, EACCES, ...) become READ_FAILED.
  const code = e.name === 'DeepfakeShieldError' ? e.code : 'READ_FAILED';
  return errorJson(file, code, e.message);
}

// ---- Video: frames from ffmpeg (raw RGBA over a pipe), tracks and scores from the core ----

// ffprobe and ffmpeg read the file through an inherited descriptor (/dev/fd/3, seekable), never
// by name: any name works (not UTF-8, a leading '-', a 'concat:' or 'http:' look-alike that
// ffmpeg would take as a protocol), and the file checked is the regular file opened here.
const FD_INPUT = '/dev/fd/3';
// The first line of ffmpeg's complaint, naming the input "file" rather than the descriptor.
const firstLine = (stderr) => stderr.replaceAll(FD_INPUT, 'file').trim().split('\n')[0];
// Size of the first video stream (and the duration) of a video, or of an image read by one
// named demuxer (`format`); errors are `code` naming `what`.
function ffprobe(fd, { format = null, code = 'CORRUPT_VIDEO', what = 'video' } = {}) {
  const r = spawnSync('ffprobe', ['-v', 'error', ...(format ? ['-f', format] : []), '-select_streams', 'v:0',
    '-show_entries', 'stream=width,height:format=duration', '-of', 'json', FD_INPUT],
  { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe', fd], timeout: FFMPEG_TIMEOUT_MS });
  // (ffmpegImage turns this into its own hint for images.)
  if (r.error?.code === 'ENOENT') throw new DeepfakeShieldError('VIDEO_DECODER_MISSING', 'checking videos needs ffmpeg (apt-get install ffmpeg; tools/setup.sh installs it)');
  if (r.error) throw new DeepfakeShieldError(code, `ffprobe failed: ${r.error.message}`);
  let info;
  try { info = JSON.parse(r.stdout); } catch { info = null; }
  const s = info?.streams?.[0];
  if (r.status !== 0 || !s?.width || !s?.height) {
    throw new DeepfakeShieldError(code, `not a readable ${what}: ${firstLine(r.stderr || 'no video stream')}`);
  }
  return { width: s.width, height: s.height, duration: Number(info.format?.duration) || null };
}
const FFMPEG_TIMEOUT_MS = 300e3;  // a decoder stuck on a hostile file ends as an error

/**
 * Decoded frames of a video (a path: string or Buffer), sampled at fps and scaled so the long
 * side is at most 1280, as {data, width, height, t}. ffmpeg writes raw RGBA to a pipe; at most
 * maxFrames are decoded. Only a regular file is opened (UNSUPPORTED_FILE otherwise).
 */
export function* videoFrames(file, { fps = 1, maxFrames = 64 } = {}) {
  const fd = openRegular(file);
  let r, w, h;
  try {
    const { width, height } = ffprobe(fd);
    const k = Math.min(1, 1280 / Math.max(width, height));
    w = Math.max(2, Math.round((width * k) / 2) * 2);
    h = Math.max(2, Math.round((height * k) / 2) * 2);
    // The first frame at or after each tick k/fps (ffmpeg's fps filter would take frames up to
    // half a tick later, 0.4 s off at 1 frame/s, unlike a browser seeking to k/fps).
    r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', FD_INPUT, '-vf', `select=gte(t\\,selected_n/${fps}),scale=${w}:${h}`,
      '-fps_mode', 'passthrough', '-frames:v', String(maxFrames), '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'],
    { maxBuffer: w * h * 4 * maxFrames + 1024, stdio: ['ignore', 'pipe', 'pipe', fd] });
  } finally {
    fs.closeSync(fd);
  }
  const frame = w * h * 4;
  if (r.error?.code === 'ENOENT') throw new DeepfakeShieldError('VIDEO_DECODER_MISSING', 'checking videos needs ffmpeg (apt-get install ffmpeg)');
  const n = Math.floor((r.stdout?.length || 0) / frame);
  if (r.status !== 0 && n === 0) {
    throw new DeepfakeShieldError('CORRUPT_VIDEO', `ffmpeg could not decode it: ${firstLine(String(r.stderr || r.error?.message || ''))}`);
  }
  for (let i = 0; i < n; i++) {
    yield { data: new Uint8Array(r.stdout.buffer, r.stdout.byteOffset + i * frame, frame), width: w, height: h, t: i / fps };
  }
}

// ---- Images the module cannot decode: ffmpeg, when installed ----

// Told apart by their first bytes, each then read by ffmpeg's demuxer for that format alone
// (never its format guessing, so no playlist or other container makes it open anything else).
const ascii = (b, from, to) => String.fromCharCode(...b.subarray(from, to));
const FFMPEG_IMAGES = [
  { name: 'WebP', demuxer: 'webp_pipe', is: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  { name: 'TIFF', demuxer: 'tiff_pipe', is: (b) => ['II*\0', 'MM\0*'].includes(ascii(b, 0, 4)) },
  { name: 'AVIF', demuxer: 'mov', is: (b) => ascii(b, 4, 8) === 'ftyp' && ['avif', 'avis'].includes(ascii(b, 8, 12)) },
  { name: 'JPEG XL', demuxer: 'jpegxl_pipe', is: (b) => (b[0] === 0xff && b[1] === 0x0a) || ascii(b, 4, 8) === 'JXL ' },
];
const MAX_SIDE = 65536;  // the module's own decoder's ceiling
const MAX_PIXELS = 100e6;  // the core's default maxPixels

/**
 * The first frame of an image in a format the module's decoder lacks, decoded by ffmpeg to
 * {data, width, height} RGBA (no EXIF rotation: the pipeline turns sideways faces itself).
 * `refused` is the module's UNSUPPORTED_FORMAT error: thrown again for any other format, and
 * with a hint when ffmpeg is not installed. The size is read first: over the module's limits
 * it is IMAGE_TOO_LARGE before anything is decoded.
 */
export function ffmpegImage(file, bytes, refused) {
  const fmt = FFMPEG_IMAGES.find((f) => f.is(bytes));
  if (!fmt) throw refused;
  const fd = openRegular(file);
  let r, width, height;
  try {
    try {
      ({ width, height } = ffprobe(fd, { format: fmt.demuxer, code: 'CORRUPT_IMAGE', what: `${fmt.name} image` }));
    } catch (e) {
      if (e.code !== 'VIDEO_DECODER_MISSING') throw e;
      throw new DeepfakeShieldError('UNSUPPORTED_FORMAT', `${refused.message}; the CLI decodes ${fmt.name} through ffmpeg, which is not installed (apt-get install ffmpeg; tools/setup.sh installs it)`);
    }
    if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
      throw new DeepfakeShieldError('IMAGE_TOO_LARGE', `${fmt.name} image is ${width}x${height}, over the limit of ${MAX_PIXELS} pixels or ${MAX_SIDE} a side`);
    }
    r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-f', fmt.demuxer, '-i', FD_INPUT, '-frames:v', '1',
      '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'],
    { maxBuffer: width * height * 4 + 1024, stdio: ['ignore', 'pipe', 'pipe', fd], timeout: FFMPEG_TIMEOUT_MS });
  } finally {
    fs.closeSync(fd);
  }
  const n = width * height * 4;
  if (r.status !== 0 || r.stdout?.length !== n) {
    const why = r.status === 0 ? `${r.stdout?.length ?? 0} bytes of pixels for ${width}x${height}` : firstLine(String(r.stderr || r.error?.message || 'no reason given'));
    throw new DeepfakeShieldError('CORRUPT_IMAGE', `ffmpeg could not decode this ${fmt.name} image: ${why}`);
  }
  return { format: fmt.name, decoder: 'ffmpeg', pixels: { data: new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, n), width, height } };
}

// HEIC/HEIF (phone cameras: HEVC tiles in a grid, turned by irot/imir; isHeif): libheif's own
// tools (Debian's libheif-examples), which assemble the grid and apply the turn, as a viewer
// shows it. Debian's ffmpeg 5.1 has no HEIF reader.

let havePrlimit;  // util-linux's prlimit, asked once

/**
 * The primary image of a HEIC/HEIF file, decoded by libheif's heif-convert to a PNG in a
 * private temporary folder and read back by the module, as {data, width, height} RGBA.
 * heif-info reads the sizes first: over the module's limits (any image, or all of them
 * together) it is IMAGE_TOO_LARGE before anything is decoded, and heif-convert runs under a
 * memory ceiling sized from them. Both tools read the opened file through its descriptor, as ffmpeg does.
 */
export function heifImage(checker, file, refused) {
  const fd = openRegular(file);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepfake-shield-heif-'));
  const tool = (name, args, what, memory = 0) => {
    // With a memory ceiling: run under util-linux's prlimit (its address-space limit makes an
    // allocation past it fail inside libheif, which reports it and exits with an error).
    havePrlimit ??= spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status === 0;
    const [cmd, argv] = memory && havePrlimit ? ['prlimit', [`--as=${memory}`, name, ...args]] : [name, args];
    const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe', fd], timeout: FFMPEG_TIMEOUT_MS });
    if (r.error?.code === 'ENOENT') {
      throw new DeepfakeShieldError('UNSUPPORTED_FORMAT', `${refused.message}; the CLI decodes HEIC through libheif's ${name}, which is not installed (apt-get install libheif-examples; tools/setup.sh installs it)`);
    }
    if (r.status !== 0) throw new DeepfakeShieldError('CORRUPT_IMAGE', `${what}: ${firstLine(String(r.stderr || r.stdout || r.error?.message || 'no reason given')) || 'no reason given'}`);
    return r.stdout;
  };
  try {
    // One line per top-level image ("image: 4032x3024 (id=49), primary"); heif-convert numbers
    // its outputs in the same order when there are several.
    const images = [...tool('heif-info', [FD_INPUT], 'not a readable HEIC image').matchAll(/^image: (\d+)x(\d+) \(id=\d+\)(, primary)?/gm)];
    if (!images.length) throw new DeepfakeShieldError('CORRUPT_IMAGE', 'not a readable HEIC image: no image in it');
    const k = Math.max(0, images.findIndex((m) => m[3]));
    const sizes = images.map((m) => [Number(m[1]), Number(m[2])]);
    const [width, height] = sizes[k];
    // heif-convert decodes every top-level image, not only the primary: each must be within the
    // limits, and all of them together too (a small file can hold hundreds of large flat images).
    for (const [i, [w, h]] of [[k, sizes[k]], ...sizes.entries()]) {
      if (w > MAX_SIDE || h > MAX_SIDE || w * h > MAX_PIXELS) {
        throw new DeepfakeShieldError('IMAGE_TOO_LARGE', `HEIC ${i === k ? 'image' : 'file holds another image that'} is ${w}x${h}, over the limit of ${MAX_PIXELS} pixels or ${MAX_SIDE} a side`);
      }
    }
    const total = sizes.reduce((sum, [w, h]) => sum + w * h, 0);
    if (total > MAX_PIXELS) {
      throw new DeepfakeShieldError('IMAGE_TOO_LARGE', `HEIC file holds ${sizes.length} images of ${total} pixels in all, over the limit of ${MAX_PIXELS}`);
    }
    // Decoded one at a time: memory for the largest (planes, RGB, PNG rows) and the program, so a
    // file whose headers understate an image cannot take more.
    const largest = Math.max(...sizes.map(([w, h]) => w * h));
    tool('heif-convert', ['--quiet', FD_INPUT, path.join(dir, 'image.png')], 'libheif could not decode this HEIC image', 256 * 2 ** 20 + 16 * largest);
    const png = path.join(dir, images.length === 1 ? 'image.png' : `image-${k + 1}.png`);
    const pixels = checker.decode(fs.readFileSync(png));
    if (pixels.width * pixels.height !== width * height) {
      throw new DeepfakeShieldError('CORRUPT_IMAGE', `libheif decoded ${pixels.width}x${pixels.height} for a ${width}x${height} HEIC image`);
    }
    return { format: 'HEIC', decoder: 'libheif', pixels };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One image file: the module's own decoder, else libheif (heifImage) or ffmpeg (ffmpegImage);
 * the metadata, its Content Credentials and the verdict still come from the file's own bytes.
 * `verify`: check() (C2PA verified) rather than checkSync().
 */
export async function checkImageFile(checker, file, options, { verify = true } = {}) {
  const bytes = readImageFile(file);
  const run = (input, o) => (verify ? checker.check(input, o) : checker.checkSync(input, o));
  try {
    return await run(bytes, options);
  } catch (e) {
    if (e?.code !== 'UNSUPPORTED_FORMAT') throw e;
    const { format, decoder, pixels } = isHeif(bytes) ? heifImage(checker, file, e) : ffmpegImage(file, bytes, e);
    return Object.assign(await run(pixels, { ...options, source: bytes }), { decodedBy: `${decoder} (${format})` });
  }
}

// Opens a regular file for reading (images and videos alike); anything else (device, FIFO,
// socket, folder) is refused from its stat, without opening it (a FIFO's open would block).
function openRegular(file) {
  if (!fs.statSync(file).isFile()) {
    throw new DeepfakeShieldError('UNSUPPORTED_FILE', `${String(file)} is not a regular file (a device, FIFO, socket or folder)`);
  }
  return fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
}

async function checkVideo(checker, file, o) {
  const r = await checker.checkVideoFrames(videoFrames(file, { fps: o.fps, maxFrames: o.maxFrames }),
    { tiles: o.tiles, maxFrames: o.maxFrames });
  if (!r.frames_checked) throw new DeepfakeShieldError('CORRUPT_VIDEO', 'the video has no frames that could be decoded');
  return r;
}

async function checkFiles(checker, o) {
  const threshold = o.threshold ?? checker.threshold ?? 0.5;
  const band = bandAt(threshold, checker.band, checker.threshold);
  let failed = 0;
  for (const item of o.paths.flatMap((p) => [...walk(p)])) {
    let line;
    try {
      if (item.error) throw item.error;
      if (isVideo(item.file)) {
        const v = await checkVideo(checker, item.path, o);
        if (o.json) line = JSON.stringify(videoResultJson(item.file, v));
        else {
          const parts = [`${item.file}: video, ${v.frames_checked} frame${v.frames_checked === 1 ? '' : 's'} checked, ${v.tracks.length} face track${v.tracks.length === 1 ? '' : 's'}`];
          for (const t of v.tracks) {
            parts.push(`  face track ${t.id} (${t.frames.length} frames, ${t.frames[0].t}-${t.frames.at(-1).t} s): ${t.fake == null ? 'not classified' : `${VERDICT_TEXT[t.verdict].toLowerCase()} (${formatScore(t.fake)}), most suspicious at ${t.peak_t} s`}`);
          }
          parts.push(`  video: ${v.verdict === 'no_face' ? 'no face found' : v.fake == null ? 'not classified' : `${VERDICT_TEXT[v.verdict]} (${formatScore(v.fake)} on the most suspicious track)`}`);
          line = parts.join('\n');
        }
        process.stdout.write(line + '\n');
        continue;
      }
      const r = await checkImageFile(checker, item.path, { tiles: o.tiles, heatmap: o.heatmap });
      if (o.json) line = JSON.stringify(resultJson(item.file, r, checker.hasClassifier ? threshold : null, band));
      else {
        const parts = [`${item.file}: ${r.width}x${r.height}${r.decodedBy ? `, decoded by ${r.decodedBy}` : ''}, ${r.faces.length} face${r.faces.length === 1 ? '' : 's'}`];
        const j = resultJson(item.file, r, threshold, band);  // boxes clamped to the image
        r.faces.forEach((f, i) => parts.push(`  face ${i + 1} at [${j.faces[i].box.map(Math.round).join(', ')}], ${detectorText(f.score)}: ${faceVerdictText(f, threshold, band)}`));
        for (const l of provenanceLines(r.provenance)) parts.push(`  metadata: ${l}`);
        parts.push(`  image: ${imageVerdictText(r, threshold, band)}`);
        line = parts.join('\n');
      }
    } catch (e) {
      failed++;
      const ej = errorLine(item.file, e);
      line = o.json ? JSON.stringify(ej) : `${item.file}: error ${ej.error.code}: ${ej.error.message}`;
    }
    process.stdout.write(line + '\n');
  }
  if (!o.json && checker.hasClassifier) {
    const bandText = band[0] < band[1] ? `; scores from ${r4(band[0])} to ${r4(band[1])} are inconclusive` : '';
    process.stdout.write(`(threshold ${r4(threshold)}${bandText}. ${EVIDENCE_NOTE})\n`);
    const measured = threshold === checker.threshold ? measuredText(checker.measured) : null;
    if (measured) process.stdout.write(`(${measured})\n`);
  }
  return failed ? 1 : 0;
}

// Area under the ROC curve by the rank-sum statistic, ties counted half.
export function auc(scores, labels) {
  const idx = scores.map((s, i) => i).sort((a, b) => scores[a] - scores[b]);
  const ranks = new Array(scores.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const pos = labels.filter((l) => l === 1).length, neg = labels.length - pos;
  if (!pos || !neg) return null;
  let sum = 0;
  labels.forEach((l, i) => { if (l === 1) sum += ranks[i]; });
  return (sum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function metrics(scores, labels, threshold) {
  let ll = 0, correct = 0, tp = 0, fp = 0, pos = 0, neg = 0;
  scores.forEach((s, i) => {
    const p = Math.min(Math.max(s, 1e-7), 1 - 1e-7);
    const y = labels[i];
    ll -= y ? Math.log(p) : Math.log(1 - p);
    const pred = s >= threshold ? 1 : 0;
    if (pred === y) correct++;
    if (y) { pos++; if (pred) tp++; } else { neg++; if (pred) fp++; }
  });
  const n = scores.length;
  return { n, auc: auc(scores, labels), logloss: n ? ll / n : null, accuracy: n ? correct / n : null,
    tpr: pos ? tp / pos : null, fpr: neg ? fp / neg : null, threshold };
}

/**
 * CSV (RFC 4180): quoted fields with "" escapes, commas and line breaks inside quotes, LF, CRLF
 * or CR line ends, a UTF-8 BOM. Returns rows of fields; blank lines are dropped.
 */
export function parseCsv(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = []; field = '';
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  row.push(field);
  if (row.length > 1 || row[0] !== '') rows.push(row);
  return rows;
}

const csvField = (s) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** labels.csv -> [{file, label}]: a header naming `file` and `label` columns is required. */
export function readLabels(csvText) {
  const [header, ...body] = parseCsv(csvText);
  const cols = (header || []).map((h) => h.trim().toLowerCase());
  const fi = cols.indexOf('file'), li = cols.indexOf('label');
  if (fi < 0 || li < 0) throw new Error(`the first row must be a header with "file" and "label" columns, got "${(header || []).join(',')}"`);
  return body.map((r, k) => {
    const label = (r[li] ?? '').trim().toUpperCase();
    if (label !== 'REAL' && label !== 'FAKE') throw new Error(`row ${k + 2}: label must be REAL or FAKE, got '${r[li] ?? ''}'`);
    return { file: r[fi] ?? '', label };
  });
}

async function evaluate(checker, o) {
  const dir = o.paths[0];
  let rows;
  try {
    rows = readLabels(fs.readFileSync(path.join(dir, 'labels.csv'), 'utf8'));
  } catch (e) { usage(`${path.join(dir, 'labels.csv')}: ${e.message}`); }
  if (!rows.length) usage(`${path.join(dir, 'labels.csv')}: no rows to evaluate`);
  // --scores must be writable before anything is scored; it is written whole at the end.
  if (o.scores) {
    try { fs.accessSync(path.dirname(path.resolve(o.scores)), fs.constants.W_OK); } catch (e) { usage(`--scores ${o.scores}: cannot write there (${e.code || e.message})`); }
  }
  const root = path.resolve(dir);
  if (!checker.hasClassifier) usage('eval needs a classifier model (models/classifier.dfs)');
  const threshold = o.threshold ?? checker.threshold ?? 0.5;
  const band = bandAt(threshold, checker.band, checker.threshold);
  const scores = [], labels = [], csv = ['file,label,fake,faces,verdict,synthetic'];
  let noFace = 0, failed = 0, inconclusive = 0;
  for (const [i, row] of rows.entries()) {
    // An image without a judged face counts as 0.5 (no evidence either way) in the metrics; a
    // file that could not be checked is reported in `errors` and left out of them.
    let s = 0.5;
    try {
      const file = path.resolve(root, row.file);
      // Names stay inside the folder: "../x" or an absolute path is a per-row error.
      if (!row.file || !file.startsWith(root + path.sep)) throw new DeepfakeShieldError('INVALID_ARGUMENT', `"${row.file}" is not a file inside ${dir}`);
      // A video row scores its most suspicious face track (video-level AUC).
      const r = isVideo(file) ? await checkVideo(checker, file, o) : await checkImageFile(checker, file, { tiles: o.tiles }, { verify: false });
      if (r.fake == null) noFace++; else s = r.fake;
      const v = r.fake == null ? r.verdict : verdictFor(r.fake, threshold, band);
      if (v === 'inconclusive') inconclusive++;
      const top = (r.faces || []).reduce((b, f) => (f.fake != null && (b == null || f.fake > b.fake) ? f : b), null);
      csv.push(`${csvField(row.file)},${row.label},${r.fake ?? ''},${(r.faces || r.tracks).length},${v ?? ''},${top?.kind ? top.kind.synthetic : ''}`);
      scores.push(s);
      labels.push(row.label === 'FAKE' ? 1 : 0);
    } catch (e) {
      csv.push(`${csvField(row.file)},${row.label},,,,`);
      failed++;
      process.stderr.write(`\n${row.file}: ${e.code || 'READ_FAILED'}: ${e.message}\n`);
    }
    if (process.stderr.isTTY || process.env.DFS_PROGRESS) {
      const w = 30, done = Math.round(((i + 1) / rows.length) * w);
      process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(w - done)}] ${i + 1}/${rows.length}`);
    }
  }
  if (process.stderr.isTTY || process.env.DFS_PROGRESS) process.stderr.write('\n');
  if (o.scores) {  // atomically: a reader never sees half a file
    const tmp = `${o.scores}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, csv.join('\n') + '\n');
    fs.renameSync(tmp, o.scores);
  }
  const m = metrics(scores, labels, threshold);
  const out = { dir, ...m, no_face: noFace, inconclusive, band, errors: failed };
  for (const k of ['auc', 'logloss', 'accuracy', 'tpr', 'fpr']) if (out[k] != null) out[k] = r4(out[k]);
  process.stdout.write(JSON.stringify(out) + '\n');
  return failed ? 1 : 0;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let models;
  if (o.model) {
    try { models = { classifier: new Uint8Array(fs.readFileSync(o.model)) }; } catch (e) {
      throw Object.assign(new Error(`cannot read --model ${o.model}: ${e.message}`), { code: 'READ_FAILED' });
    }
  }
  const checker = await createChecker(models ? { models } : {});
  try {
    return o.cmd === 'eval' ? await evaluate(checker, o) : await checkFiles(checker, o);
  } finally {
    checker.dispose();
  }
}

// Compared as URLs: a path with a space or other escaped character still matches.
if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) {
  main().then((code) => process.exit(code), (e) => {
    // Node's own errors already start with their code ("EACCES: permission denied ..."): once.
    const prefix = e.code && !String(e.message).startsWith(e.code) ? `${e.code}: ` : '';
    process.stderr.write(`deepfake-shield: ${prefix}${e.message}\n`);
    process.exit(1);
  });
}
