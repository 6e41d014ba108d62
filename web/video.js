// Video in the page and the extension: frames are sampled from an HTMLVideoElement by seeking
// (whatever the browser plays: MP4/H.264, WebM/VP9/AV1, MOV), one per second and at most 64,
// scaled so the long side is at most 1280 like the CLI's, and sent to the checker worker, which
// links the faces into tracks (src/pipeline/video.cc). The card shows each track with its face,
// a timeline of its scores, and the sampled frame under any point of it.
import { verdictFor, formatScore, VERDICT_TEXT, EVIDENCE_NOTE, videoResultJson, videoVerdictText } from '../dist/verdict.js';
import { scoreColour, el, LEVEL } from './cards.js';

export const VIDEO_FPS = 1;
export const VIDEO_MAX_FRAMES = 64;
const MAX_SIDE = 1280;
const SVG = 'http://www.w3.org/2000/svg';

export function isVideoFile(f) {
  return !!f && ((f.type || '').startsWith('video/') || /\.(mp4|m4v|mov|webm|mkv|ogv)$/i.test(f.name || ''));
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

const videoError = (message) => Object.assign(new Error(message), { code: 'CORRUPT_VIDEO' });

function once(target, ok, fail = 'error') {
  return new Promise((resolve, reject) => {
    const done = () => { target.removeEventListener(ok, onOk); target.removeEventListener(fail, onFail); };
    const onOk = () => { done(); resolve(); };
    const onFail = () => { done(); reject(videoError(`the browser cannot play this video (${target.error?.message || 'unsupported or corrupt'})`)); };
    target.addEventListener(ok, onOk);
    target.addEventListener(fail, onFail);
  });
}

/**
 * Samples frames of the video at url: yields {data, width, height, t} at t = 0, 1/fps, ... (at
 * most maxFrames, within the duration), and keeps a small copy of each for the card in
 * `thumbs` (t -> ImageBitmap). meta({duration, width, height, frames}) is called first.
 */
export async function* sampleFrames(url, { fps = VIDEO_FPS, maxFrames = VIDEO_MAX_FRAMES, signal, thumbs, meta } = {}) {
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  video.playsInline = true;
  // In the document (1 px, invisible) so that the browser presents its frames: "seeked" can come
  // before the new frame is ready to draw (seen under load), requestVideoFrameCallback after.
  video.setAttribute('aria-hidden', 'true');
  video.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0;pointer-events:none';
  document.body.append(video);
  try {
    yield* sample(video, url, { fps, maxFrames, signal, thumbs, meta });
  } finally {
    video.removeAttribute('src');
    video.load();
    video.remove();
  }
}

// Resolves once the frame at the new position is presented (or after a second, where the
// browser does not call back for a paused video).
function presented(video) {
  if (typeof video.requestVideoFrameCallback !== 'function') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    video.requestVideoFrameCallback(() => { clearTimeout(timer); resolve(); });
  });
}

async function* sample(video, url, { fps, maxFrames, signal, thumbs, meta }) {
  const loaded = once(video, 'loadeddata');
  video.src = url;
  await loaded;
  let duration = video.duration;
  if (!Number.isFinite(duration)) {
    // Some WebM files do not state their duration: seeking far past the end finds it.
    video.currentTime = 1e7;
    await once(video, 'seeked');
    duration = video.duration;
  }
  if (!(duration > 0) || !video.videoWidth) throw videoError('the video has no frames that could be decoded');
  const k = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
  const width = Math.max(2, Math.round((video.videoWidth * k) / 2) * 2);
  const height = Math.max(2, Math.round((video.videoHeight * k) / 2) * 2);
  const n = Math.max(1, Math.min(maxFrames, Math.ceil(duration * fps - 1e-6)));
  meta?.({ duration, width, height, frames: n });
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  for (let i = 0; i < n && !signal?.aborted; i++) {
    const t = i / fps;
    if (Math.abs(video.currentTime - t) > 1e-6 || i === 0) {
      const seeked = once(video, 'seeked');
      const shown = presented(video);
      video.currentTime = Math.min(t, Math.max(0, duration - 1e-3));
      await seeked;
      await shown;
    }
    yield await grab(ctx, video, t, thumbs);
  }
}

// One sampled frame from `source` (a video element or a bitmap) drawn on ctx's canvas: its RGBA
// for the checker, and a copy at most 640 px wide for the card (thumbs, by time).
async function grab(ctx, source, t, thumbs) {
  const { width, height } = ctx.canvas;
  ctx.drawImage(source, 0, 0, width, height);
  const { data } = ctx.getImageData(0, 0, width, height);
  if (thumbs) thumbs.set(t, await createImageBitmap(ctx.canvas, { resizeWidth: Math.min(width, 640), resizeQuality: 'medium' }));
  return { data, width, height, t };
}

/**
 * Frames already captured elsewhere (the extension reads a streamed video where it plays):
 * {frames: [{t, url: JPEG data URL}], width, height} -> the same {data, width, height, t} and
 * thumbnails as sampleFrames.
 */
export async function* capturedFrames(captured, { signal, thumbs, meta } = {}) {
  const { frames, width, height } = captured;
  if (!frames?.length) throw videoError('no frames were captured');
  // The timeline spans the captured stretch (the video may have been minutes in).
  meta?.({ start: frames[0].t, duration: Math.max(1, frames.at(-1).t - frames[0].t), width, height, frames: frames.length });
  const ctx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  for (const f of frames) {
    if (signal?.aborted) break;
    const bmp = await createImageBitmap(await (await fetch(f.url)).blob());
    const frame = await grab(ctx, bmp, f.t, thumbs);
    bmp.close();
    yield frame;
  }
}

/** The card of a video entry {name, result?, error?, thumbs, meta}; relabelVideo fills it. */
export function createVideoCard(entry) {
  const frame = el('canvas', { class: 'video-frame', role: 'img', 'aria-label': `${entry.name}: a sampled frame` });
  const figure = el('figure', { class: 'shot video-shot' }, frame);
  const card = el('article', { class: 'card video pending', tabindex: '0' },
    figure,
    el('div', { class: 'card-body' },
      el('div', { class: 'card-head' },
        el('h2', { class: 'name', text: entry.name, title: entry.name }),
        el('button', { class: 'cancel quiet', type: 'button', text: 'Cancel', 'aria-label': `Stop checking ${entry.name}` }),
        el('button', { class: 'remove quiet', type: 'button', 'aria-label': `Remove ${entry.name}`, title: 'Remove', text: '×' })),
      el('p', { class: 'verdict', role: 'status' }),
      el('p', { class: 'frame-caption' }),
      el('div', { class: 'timeline' }),
      el('ol', { class: 'tracks' }),
      el('p', { class: 'evidence' }),
      el('p', { class: 'timings' })));
  card.dataset.name = entry.name;
  return card;
}

// Draws the sampled frame at time t with the box of every track seen in it.
function showFrame(card, entry, t, threshold, band) {
  const bmp = entry.thumbs?.get(t);
  const canvas = card.querySelector('canvas.video-frame');
  const r = entry.result;
  if (!bmp || !r) return;
  canvas.width = bmp.width;
  canvas.height = bmp.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bmp, 0, 0);
  const s = bmp.width / entry.meta.width;
  ctx.lineWidth = Math.max(2, bmp.width / 200);
  ctx.font = `bold ${Math.max(12, Math.round(bmp.width / 40))}px system-ui, sans-serif`;
  const seen = [];
  for (const track of r.tracks) {
    const f = track.frames.find((x) => x.t === t);
    if (!f) continue;
    const colour = scoreColour(f.fake, threshold, band);
    const [x, y, w, h] = f.box.map((v) => v * s);
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, w, h);
    ctx.fillStyle = colour;
    const label = `${track.id}`;
    ctx.fillRect(x, y - 18 * s - 4, ctx.measureText(label).width + 10, 18 * s + 4);
    ctx.fillStyle = '#fff';
    ctx.fillText(label, x + 5, y - 6);
    seen.push(`face track ${track.id}${f.fake == null ? '' : ` ${formatScore(f.fake)}`}`);
  }
  card.querySelector('.frame-caption').textContent = `Frame at ${t} s${seen.length ? `: ${seen.join(', ')}` : ': no face found'}`;
  canvas.setAttribute('aria-label', card.querySelector('.frame-caption').textContent);
  card.dataset.frame = String(t);
}

// Each track's frame scores over time: threshold line, inconclusive band, one point per frame
// (a focusable button: Enter or a click shows that frame).
function timeline(card, entry, threshold, band) {
  const r = entry.result;
  const W = 600, H = 160, L = 40, R = 10, T = 10, B = 26;
  const t0 = entry.meta?.start ?? 0;
  const dur = Math.max(entry.meta?.duration ?? r.duration, 1e-3);
  const x = (t) => L + ((W - L - R) * (t - t0)) / dur, y = (p) => T + (H - T - B) * (1 - p);
  const plot = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'timeline-plot', role: 'group', 'aria-label': 'Face track scores over time' });
  if (band && band[0] < band[1]) plot.append(svg('rect', { x: L, y: y(band[1]), width: W - L - R, height: y(band[0]) - y(band[1]), class: 'band' }));
  plot.append(svg('line', { x1: L, x2: W - R, y1: y(threshold), y2: y(threshold), class: 'threshold' }));
  for (const p of [0, 0.5, 1]) {
    const label = svg('text', { x: L - 6, y: y(p) + 4, 'text-anchor': 'end', class: 'axis' });
    label.textContent = `${p * 100}%`;
    plot.append(label);
  }
  const end = svg('text', { x: W - R, y: H - 6, 'text-anchor': 'end', class: 'axis' });
  end.textContent = `${Math.round((t0 + dur) * 10) / 10} s`;
  const start = svg('text', { x: L, y: H - 6, class: 'axis' });
  start.textContent = `${Math.round(t0 * 10) / 10} s`;
  plot.append(start, end);
  for (const track of r.tracks) {
    const pts = track.frames.filter((f) => f.fake != null);
    const colour = scoreColour(track.fake, threshold, band);
    if (pts.length > 1) plot.append(svg('polyline', { points: pts.map((f) => `${x(f.t)},${y(f.fake)}`).join(' '), stroke: colour, class: 'track-line' }));
    for (const f of pts) {
      const dot = svg('circle', { cx: x(f.t), cy: y(f.fake), r: 6, fill: colour, tabindex: '0', role: 'button', class: 'point',
        'aria-label': `Face track ${track.id} at ${f.t} s: ${formatScore(f.fake)}; show this frame` });
      dot.dataset.t = String(f.t);
      dot.dataset.track = String(track.id);
      const go = () => showFrame(card, entry, f.t, threshold, band);
      dot.addEventListener('click', go);
      dot.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
      plot.append(dot);
    }
  }
  card.querySelector('.timeline').replaceChildren(plot);
}

// A track's face, cut from its most suspicious frame.
function trackThumb(entry, track) {
  const f = track.frames.find((x) => x.t === track.peak_t) ?? track.frames[0];
  const bmp = entry.thumbs?.get(f.t);
  const c = el('canvas', { class: 'track-face', width: '56', height: '56', 'aria-hidden': 'true' });
  if (bmp) {
    const s = bmp.width / entry.meta.width;
    const [bx, by, bw, bh] = f.box.map((v) => v * s);
    const side = Math.max(bw, bh) * 1.2;
    c.getContext('2d').drawImage(bmp, bx + bw / 2 - side / 2, by + bh / 2 - side / 2, side, side, 0, 0, 56, 56);
  }
  return c;
}

/** (Re)labels a video card for the threshold and band in view (no re-check). */
export function relabelVideo(card, entry, view) {
  const { threshold, band } = view;
  const verdict = card.querySelector('.verdict');
  card.querySelector('button.cancel').hidden = !!(entry.result || entry.error);
  if (entry.error) {
    card.className = 'card video error';
    verdict.textContent = `Could not check this video: ${entry.error.message}`;
    card.querySelector('.timings').textContent = `error code ${entry.error.code || 'INTERNAL'}`;
    card.setAttribute('aria-label', `${entry.name}: ${verdict.textContent}`);
    return;
  }
  const r = entry.result;
  if (!r) {
    card.className = 'card video pending';
    verdict.textContent = entry.progress ?? 'Waiting…';
    return;
  }
  for (const t of r.tracks) t.verdict = verdictFor(t.fake, threshold, band);
  const scored = r.tracks.filter((t) => t.fake != null);
  r.verdict = !r.tracks.length ? 'no_face' : verdictFor(r.fake, threshold, band);
  const worst = [...scored].sort((a, b) => b.fake - a.fake)[0];
  verdict.textContent = `${videoVerdictText(r)}${entry.cancelled ? ` (stopped after ${r.frames_checked} frames)` : ''}`;
  card.className = `card video ${LEVEL[r.verdict] ?? 'none'}`;
  const list = card.querySelector('.tracks');
  list.replaceChildren();
  for (const t of [...r.tracks].sort((a, b) => (b.fake ?? -1) - (a.fake ?? -1))) {
    const words = t.fake == null ? 'not scored' : `${VERDICT_TEXT[t.verdict].toLowerCase()} (${formatScore(t.fake)})`;
    const li = el('li', { class: `track ${LEVEL[t.verdict] ?? 'none'}`, tabindex: '0' }, trackThumb(entry, t),
      el('span', { text: `Face track ${t.id}: ${words} · ${t.frames.length} frame${t.frames.length === 1 ? '' : 's'}, ${t.frames[0].t}-${t.frames.at(-1).t} s · most suspicious at ${t.peak_t} s` }));
    li.dataset.track = String(t.id);
    const go = () => showFrame(card, entry, t.peak_t, threshold, band);
    li.addEventListener('click', go);
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
    list.append(li);
  }
  timeline(card, entry, threshold, band);
  // The frame in view stays; the first time, the most suspicious moment (or the first frame).
  const shown = card.dataset.frame != null ? Number(card.dataset.frame) : (worst?.peak_t ?? r.tracks[0]?.peak_t ?? 0);
  showFrame(card, entry, shown, threshold, band);
  if (card.dataset.frame == null) showFrame(card, entry, 0, threshold, band);
  card.querySelector('.evidence').textContent = `${EVIDENCE_NOTE} A track's score is the average over its frames (mean logit).`;
  card.querySelector('.timings').textContent = `${r.frames_checked} frame${r.frames_checked === 1 ? '' : 's'} checked at ${VIDEO_FPS} per second` +
    `${entry.meta ? ` · ${entry.meta.width}×${entry.meta.height}` : ''}${entry.ms ? ` · ${(entry.ms / 1000).toFixed(1)} s` : ''}`;
  card.setAttribute('aria-label', `${entry.name}: ${verdict.textContent}`);
}

/** The export row of a video entry (the CLI's --json shape). */
export function videoJson(entry) {
  if (entry.error) return { file: entry.name, kind: 'video', error: { code: entry.error.code || 'INTERNAL', message: entry.error.message } };
  return videoResultJson(entry.name, entry.result);
}
