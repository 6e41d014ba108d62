// Module worker that owns the checker: loads the wasm and models once, then checks image bytes
// posted by the page, so the page never freezes. Messages in: {type: 'init'},
// {type: 'check', id, bytes: ArrayBuffer (transferred), heatmap}, and for a video
// {type: 'video-begin', id, maxFrames}, {type: 'video-frame', id, data (transferred), width,
// height, t} per sampled frame, {type: 'video-end', id}; out: progress, ready, result / failed,
// and video-ack {id, t} as each frame is taken (the page sends the next one then, so decoded
// frames never pile up here).
import { createChecker, isHeif, VERSION } from '../dist/index.js';

let checkerPromise = null;

function errorOf(e) {
  return { code: e?.code || 'INTERNAL', message: e?.message || String(e) };
}

function init() {
  checkerPromise ??= createChecker({
    // Several threads only where the page is cross-origin isolated (COOP + COEP); elsewhere one.
    threads: 'auto',
    onThreadsFallback: (e) => console.warn(`Deepfake Shield: the threaded module did not load (${e?.message || e}); using one thread`),
    onProgress: ({ file, loaded, total }) => self.postMessage({ type: 'progress', file, loaded, total }),
  });
  checkerPromise.then((c) => {
    self.postMessage({
      type: 'ready',
      info: { hasClassifier: c.hasClassifier, hasHeatmap: c.hasHeatmap, threshold: c.threshold, band: c.band, trainedOn: c.trainedOn, measured: c.measured, hasKind: c.hasKind, models: c.models, threads: c.threads, modelSha256: c.modelSha256, version: VERSION },
    });
  }, (e) => self.postMessage({ type: 'fatal', error: errorOf(e) }));
}

// Formats the module's own decoder lacks (WebP, AVIF, ...) go through the browser's decoder.
async function browserPixels(bytes) {
  const bitmap = await createImageBitmap(new Blob([bytes]));
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

async function check({ id, bytes, heatmap }) {
  try {
    const checker = await checkerPromise;
    const options = { heatmap: !!heatmap && checker.hasHeatmap };
    let result;
    try {
      // check(), not checkSync(): it also verifies Content Credentials when the file has them.
      result = await checker.check(new Uint8Array(bytes), options);
    } catch (e) {
      if (e?.code !== 'UNSUPPORTED_FORMAT' || typeof createImageBitmap !== 'function') throw e;
      let pixels;
      try {
        pixels = await browserPixels(bytes);
      } catch {
        // Phone photos (HEIC) decode in Safari only; say what would read them.
        if (isHeif(new Uint8Array(bytes))) {
          throw Object.assign(new Error('this browser cannot decode HEIC/HEIF photos: open the page in Safari, save the photo as JPEG, or check it with the command-line checker, which reads HEIC through libheif'), { code: e.code });
        }
        throw e;
      }
      // The browser decoded the pixels; the metadata (and its Content Credentials, verified)
      // still comes from the file's own bytes, and the verdict takes it into account.
      result = await checker.check(pixels, { ...options, source: new Uint8Array(bytes) });
      result.decodedBy = 'browser';
    }
    const transfer = result.faces.filter((f) => f.heatmap).map((f) => f.heatmap.data.buffer);
    self.postMessage({ type: 'result', id, result }, transfer);
  } catch (e) {
    self.postMessage({ type: 'failed', id, error: errorOf(e) });
  }
}

// A video: frames arrive as messages and are handed to checkVideoFrames() as an async iterable.
const videos = new Map();
function videoBegin({ id, maxFrames }) {
  const q = { items: [], wait: null, done: false };
  const next = () => {
    if (q.items.length) {
      const frame = q.items.shift();
      self.postMessage({ type: 'video-ack', id, t: frame.t });
      return Promise.resolve({ value: frame, done: false });
    }
    if (q.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => { q.wait = resolve; }).then(next);
  };
  const wake = () => { const w = q.wait; q.wait = null; w?.(); };
  videos.set(id, { push: (f) => { q.items.push(f); wake(); }, end: () => { q.done = true; wake(); } });
  (async () => {
    try {
      const checker = await checkerPromise;
      const result = await checker.checkVideoFrames({ [Symbol.asyncIterator]: () => ({ next }) }, { maxFrames });
      self.postMessage({ type: 'result', id, result });
    } catch (e) {
      self.postMessage({ type: 'failed', id, error: errorOf(e) });
    } finally {
      videos.delete(id);
    }
  })();
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg?.type === 'init') init();
  else if (msg?.type === 'check') check(msg);
  else if (msg?.type === 'video-begin') videoBegin(msg);
  else if (msg?.type === 'video-frame') videos.get(msg.id)?.push({ data: new Uint8ClampedArray(msg.data), width: msg.width, height: msg.height, t: msg.t });
  else if (msg?.type === 'video-end') videos.get(msg.id)?.end();
};
