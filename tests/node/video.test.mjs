// Video: checkVideoFrames on frames made here (a face moving, two faces crossing, a face leaving,
// a cut), and the CLI on clips ffmpeg makes from photos, corrupt and truncated files, and a
// machine without ffmpeg (VIDEO_DECODER_MISSING).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createChecker } from '../../dist/index.js';
import { ROOT, FACE_FIXTURE, faceFixture, HAVE_FFMPEG, SKIP_FFMPEG } from './helpers.mjs';

const CLI = path.join(ROOT, 'bin/deepfake-shield.js');

const checker = await createChecker();

// A W x H grey RGBA canvas with the given face patches (RGBA images) pasted at (x, y).
function canvas(W, H, patches) {
  const data = new Uint8ClampedArray(W * H * 4).fill(128);
  for (const { img, x, y } of patches) {
    for (let r = 0; r < img.height; r++) {
      const yy = y + r;
      if (yy < 0 || yy >= H) continue;
      for (let c = 0; c < img.width; c++) {
        const xx = x + c;
        if (xx < 0 || xx >= W) continue;
        const s = (r * img.width + c) * 4, d = (yy * W + xx) * 4;
        data[d] = img.data[s]; data[d + 1] = img.data[s + 1]; data[d + 2] = img.data[s + 2]; data[d + 3] = 255;
      }
    }
  }
  return { data, width: W, height: H };
}

// The fixture portrait's head (200 px square around the face), every `step`-th pixel, optionally
// mirrored: a face patch of 200 / step pixels.
function head(step, mirror = false) {
  const px = checker.decode(faceFixture());
  const n = Math.floor(200 / step), data = new Uint8ClampedArray(n * n * 4);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const sx = 125 + (mirror ? n - 1 - x : x) * step, sy = 25 + y * step;
      data.set(px.data.subarray((sy * px.width + sx) * 4, (sy * px.width + sx) * 4 + 4), (y * n + x) * 4);
    }
  }
  return { data, width: n, height: n };
}

test('checkVideoFrames: a moving face is one track, two crossing faces two, a cut starts a new one', async () => {
  const a = head(1);
  const b = head(1, true);
  async function* frames() {
    for (let i = 0; i < 6; i++) {
      // A moves right along the top, B left along the bottom: they pass each other.
      yield { ...canvas(640, 400, [{ img: a, x: 20 + 70 * i, y: 20 }, { img: b, x: 470 - 70 * i, y: 220 }]), t: i };
    }
    // A cut: only B, somewhere else, then B leaves the frame.
    yield { ...canvas(640, 400, [{ img: b, x: 40, y: 40 }]), t: 6 };
    yield { ...canvas(640, 400, []), t: 7 };
  }
  const r = await checker.checkVideoFrames(frames());
  assert.equal(r.kind, 'video');
  assert.equal(r.frames_checked, 8);
  assert.equal(r.duration, 7);
  const long = r.tracks.filter((t) => t.frames.length >= 5);
  assert.equal(long.length, 2, `two tracks through the crossing: ${r.tracks.map((t) => t.frames.length)}`);
  for (const t of long) {
    const ys = t.frames.map((f) => f.box[1]);
    assert.ok(Math.max(...ys) - Math.min(...ys) < 60, `a track keeps to its row: ${ys}`);
    const xs = t.frames.map((f) => f.box[0]);
    assert.ok(Math.abs(xs.at(-1) - xs[0]) > 200, 'the face moved');
    assert.ok(t.frames.every((f) => f.fake >= 0 && f.fake <= 1));
    // The track score is the sigmoid of the mean frame logit.
    const m = t.frames.reduce((s, f) => s + Math.log(f.fake / (1 - f.fake)), 0) / t.frames.length;
    assert.ok(Math.abs(t.fake - 1 / (1 + Math.exp(-m))) < 1e-4);
    assert.ok(t.frames.some((f) => f.t === t.peak_t && f.fake === Math.max(...t.frames.map((g) => g.fake))));
  }
  assert.ok(r.tracks.some((t) => t.frames.length === 1 && t.frames[0].t === 6), 'the cut starts a track');
  assert.equal(r.fake, Math.max(...r.tracks.map((t) => t.fake)));
  // The frame budget.
  const few = await checker.checkVideoFrames(frames(), { maxFrames: 3 });
  assert.equal(few.frames_checked, 3);
  // Bad input: not iterable, frames out of order, wrong data; the checker still works after.
  await assert.rejects(checker.checkVideoFrames(null), (e) => e.code === 'INVALID_ARGUMENT');
  await assert.rejects(checker.checkVideoFrames([{ ...canvas(8, 8, []), t: 2 }, { ...canvas(8, 8, []), t: 1 }]), (e) => e.code === 'INVALID_ARGUMENT');
  await assert.rejects(checker.checkVideoFrames([{ data: [1, 2], width: 1, height: 1, t: 0 }]), (e) => e.code === 'INVALID_ARGUMENT');
  const none = await checker.checkVideoFrames([]);
  assert.deepEqual([none.frames_checked, none.tracks.length, none.verdict], [0, 0, 'no_face']);
});

test('CLI: clips made by ffmpeg from photos, one JSON line each; corrupt, truncated and empty files', { skip: SKIP_FFMPEG, timeout: 120000 }, () => {
  assert.ok(HAVE_FFMPEG, 'ffmpeg must be installed in CI (tools/setup.sh)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-video-'));
  try {
    const photo = FACE_FIXTURE;
    const clip = path.join(tmp, 'moving.mp4');
    const mk = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=640x400:d=4:r=10', '-loop', '1', '-i', photo,
      '-filter_complex', "[1]crop=200:200:125:25,scale=200:200[f];[0][f]overlay=x='40+t*60':y=80:shortest=1", '-pix_fmt', 'yuv420p', clip]);
    assert.equal(mk.status, 0, String(mk.stderr));
    const webm = path.join(tmp, 'still.webm');
    assert.equal(spawnSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', photo, '-t', '3', '-r', '5', '-c:v', 'libvpx-vp9', '-b:v', '200k', webm]).status, 0);
    const bytes = fs.readFileSync(clip);
    fs.writeFileSync(path.join(tmp, 'truncated.mp4'), bytes.subarray(0, 200));
    fs.writeFileSync(path.join(tmp, 'corrupt.mp4'), Buffer.from('this is not a video at all'));
    fs.writeFileSync(path.join(tmp, 'empty.mov'), Buffer.alloc(0));
    // Names ffmpeg would misread if given by name (a leading '-', a protocol prefix) and one
    // that is not UTF-8: the CLI hands ffmpeg the opened file, so each is checked like any other.
    const sub = path.join(tmp, 'names');
    fs.mkdirSync(sub);
    for (const n of ['-i.mp4', 'concat:a.mp4']) fs.copyFileSync(clip, path.join(sub, n));
    fs.copyFileSync(clip, Buffer.concat([Buffer.from(sub + '/'), Buffer.from([0xc3, 0x28]), Buffer.from('.mp4')]));
    const named = spawnSync(process.execPath, [CLI, '--json', sub], { encoding: 'utf8' });
    assert.equal(named.status, 0, named.stdout + named.stderr);
    const namedLines = named.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(namedLines.length, 3);
    for (const l of namedLines) assert.equal(l.tracks?.length, 1, JSON.stringify(l));
    fs.rmSync(sub, { recursive: true });
    const r = spawnSync(process.execPath, [CLI, '--json', tmp], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const lines = Object.fromEntries(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((o) => [path.basename(o.file), o]));
    const m = lines['moving.mp4'];
    assert.deepEqual(Object.keys(m), ['file', 'kind', 'duration', 'frames_checked', 'tracks', 'fake', 'verdict', 'error']);
    assert.equal(m.frames_checked, 4, 'four seconds at 1 frame/s');
    assert.equal(m.tracks.length, 1);
    assert.equal(m.tracks[0].frames.length, 4);
    assert.ok(m.tracks[0].frames[3].box[0] - m.tracks[0].frames[0].box[0] > 100, 'the box follows the face');
    assert.equal(lines['still.webm'].tracks.length, 1, 'WebM/VP9 too');
    for (const f of ['truncated.mp4', 'corrupt.mp4', 'empty.mov']) assert.equal(lines[f].error.code, 'CORRUPT_VIDEO', f);
    // --fps and --max-frames.
    const more = JSON.parse(spawnSync(process.execPath, [CLI, '--json', '--fps', '2', '--max-frames', '5', clip], { encoding: 'utf8' }).stdout);
    assert.equal(more.frames_checked, 5);
    assert.equal(more.tracks[0].frames[1].t, 0.5);
    // eval takes videos in labels.csv (video-level scores).
    fs.writeFileSync(path.join(tmp, 'labels.csv'), 'file,label\nmoving.mp4,REAL\nstill.webm,REAL\n');
    const ev = spawnSync(process.execPath, [CLI, 'eval', tmp, '--scores', path.join(tmp, 's.csv')], { encoding: 'utf8' });
    assert.equal(ev.status, 0, ev.stderr);
    assert.equal(JSON.parse(ev.stdout).n, 2);
    const srow = fs.readFileSync(path.join(tmp, 's.csv'), 'utf8').trim().split('\n')[1].split(',');
    assert.ok(Math.abs(Number(srow[2]) - m.fake) < 1e-3, 'eval scores the video as the check does');
    // No ffmpeg on the PATH: a clear error, and images still work.
    const bare = spawnSync(process.execPath, [CLI, '--json', clip, photo], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
    const out = bare.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(out[0].error.code, 'VIDEO_DECODER_MISSING');
    assert.equal(out[1].error, null);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('CLI: a 4K clip is scaled on the way in (long side 1280): bounded memory, under 1 GB peak', { skip: SKIP_FFMPEG, timeout: 120000 }, () => {
  assert.ok(HAVE_FFMPEG, 'ffmpeg must be installed in CI (tools/setup.sh)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-4k-'));
  try {
    const clip = path.join(tmp, 'uhd.mp4');
    const mk = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=s=3840x2160:d=3:r=5', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
    assert.equal(mk.status, 0, String(mk.stderr));
    const preload = path.join(tmp, 'hwm.mjs');
    fs.writeFileSync(preload, "import fs from 'node:fs';\nprocess.on('exit', () => process.stderr.write(`VmHWM_kb=${/VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]}\\n`));\n");
    const r = spawnSync(process.execPath, ['--import', preload, CLI, '--json', clip], { encoding: 'utf8', timeout: 100000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.frames_checked, 3);
    const kb = Number(/VmHWM_kb=(\d+)/.exec(r.stderr)[1]);
    console.log(`[video] 4K clip, 3 frames: peak RSS ${Math.round(kb / 1024)} MB`);
    assert.ok(kb < 1024 * 1024, `peak RSS ${kb} kB`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
