// Deepfake Shield JavaScript API: one entry for browsers, bundlers, workers and Node.
// Loads the WebAssembly module and the models once, then check() any number of images.
import createDfsModule from './deepfake-shield.mjs';
import { annotate, verdictFor, DEFAULT_TRAINED_ON } from './verdict.js';
import { verifyC2pa, mergeC2pa } from './c2pa.js';
import { packageFile } from './locate.js';

export { verifyC2pa } from './c2pa.js';

export {
  VERDICTS, VERDICT_TEXT, EVIDENCE_NOTE, verdictFor, imageVerdictFor, formatScore, detectorText,
  kindText, faceVerdictText, imageVerdictText, annotate, resultJson, errorJson, provenanceLines,
  bandAt, videoResultJson, videoVerdictText, ERROR_CODES, measuredText, SMALL_FACE_PX, TINY_FACE_PX,
} from './verdict.js';

/** The package version (tests/node/package.test.mjs holds it equal to package.json's). */
export const VERSION = '0.1.0';

export class DeepfakeShieldError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'DeepfakeShieldError';
    this.code = code;
  }
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node &&
  typeof window === 'undefined';

export const DEFAULT_MODELS = {
  detectorShort: 'blazeface_short.dfs',
  detectorFull: 'blazeface_full.dfs',
  classifier: 'classifier.dfs',
};

function defaultBase() {
  return packageFile(new URL('../models/', import.meta.url), import.meta.url);
}

async function loadBytes(location, fetchFn, onProgress, label) {
  const url = location instanceof URL ? location : new URL(location, defaultBase());
  if (url.protocol === 'file:' && isNode) {
    const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:' + 'fs/promises');
    const { fileURLToPath } = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:' + 'url');
    let buf;
    try {
      buf = await fs.readFile(fileURLToPath(url));
    } catch (e) {
      // Same code as a failed fetch: callers handle one error type, whatever the transport.
      throw new DeepfakeShieldError('LOAD_FAILED', `could not read ${url.href}: ${e.message}`);
    }
    onProgress?.({ file: label, loaded: buf.length, total: buf.length });
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  let res;
  try {
    res = await (fetchFn || fetch)(url.href);
  } catch (e) {
    // A network error or a custom fetch that throws: the same code as an HTTP error.
    throw new DeepfakeShieldError('LOAD_FAILED', `could not load ${url.href}: ${e?.message || e}`);
  }
  if (!res || !res.ok) throw new DeepfakeShieldError('LOAD_FAILED', `could not load ${url.href}: HTTP ${res?.status}`);
  const total = Number(res.headers.get('content-length')) || 0;
  if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress({ file: label, loaded, total });
  }
  const out = new Uint8Array(loaded);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

function toBytes(x) {
  if (x instanceof Uint8Array) return realView(x);
  // A detached buffer (transferred to a worker, say) has no bytes left, and making a view of it
  // throws a TypeError; as an empty input it gets our EMPTY_INPUT error instead.
  if (x instanceof ArrayBuffer) return new Uint8Array(x.byteLength ? x : 0);
  if (ArrayBuffer.isView(x)) {
    return x.buffer.byteLength ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength) : new Uint8Array(0);
  }
  return null;
}

// A Proxy (or an object whose prototype was set to a typed array's) passes instanceof but has no
// bytes the module can copy; say so instead of a TypeError from deep inside the binding.
function realView(x) {
  if (!ArrayBuffer.isView(x)) {
    throw new DeepfakeShieldError('INVALID_ARGUMENT', `${describe(x)} is not a real typed array (a Proxy?); pass the typed array itself`);
  }
  return x;
}

// "\0asm": anything else (an HTML page a dev server sent for an unknown path, a 404 text) would
// otherwise surface as a bare WebAssembly RuntimeError.
function checkWasm(bytes, where) {
  if (!(bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d)) {
    const head = new TextDecoder().decode(bytes.subarray(0, 40)).replace(/\s+/g, ' ').trim();
    throw new DeepfakeShieldError('LOAD_FAILED', `${where} is not a WebAssembly module (it starts "${head}"; ` +
      'a server that answers unknown paths with an HTML page? pass options.wasm)');
  }
  return bytes;
}

function unwrap(r) {
  if (r && r.error) throw new DeepfakeShieldError(r.error.code, r.error.message);
  return r;
}

// HEIC/HEIF photos (HEVC-coded images, ISO/IEC 23008-12) by their ftyp box: a major brand for
// HEVC images, or 'mif1'/'msf1' listing one among the compatible brands. The module's decoder
// does not read them; the CLI hands them to libheif, the page to the browser.
const HEIF_BRANDS = ['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx'];
const brandAt = (b, i) => String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]);
/** Whether image bytes are a HEIC/HEIF (HEVC-coded) file. */
export function isHeif(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length < 16 || brandAt(b, 4) !== 'ftyp') return false;
  if (HEIF_BRANDS.includes(brandAt(b, 8))) return true;
  if (!['mif1', 'msf1'].includes(brandAt(b, 8))) return false;
  const end = Math.min(b.length, ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0);
  for (let i = 16; i + 4 <= end; i += 4) if (HEIF_BRANDS.includes(brandAt(b, i))) return true;
  return false;
}

/**
 * Whether this context can run the threaded module: a browser page or worker that is
 * cross-origin isolated (COOP + COEP headers), so SharedArrayBuffer exists. Node and ordinary
 * pages use the single-thread module.
 */
export function threadsAvailable() {
  return !isNode && typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;
}

const MAX_THREADS = 4;  // src/core/parallel.h kMaxThreads: the module pre-starts 3 workers
/**
 * threads: 'auto' uses several threads only from this many hardware threads up. On 2 hardware
 * threads the threaded page measured 0.49-0.82x of one thread under load and 1.4x idle
 * (bench:threads), so a 2-core laptop or phone keeps the predictable single thread.
 */
export const AUTO_MIN_HARDWARE_THREADS = 4;

function wantedThreads(opt) {
  if (opt == null) return 1;
  if (opt === 'auto') {
    const hw = Math.max(1, Number(globalThis.navigator?.hardwareConcurrency) || 1);
    return hw >= AUTO_MIN_HARDWARE_THREADS ? Math.min(MAX_THREADS, hw) : 1;
  }
  if (!Number.isInteger(opt) || opt < 1) {
    throw new DeepfakeShieldError('INVALID_ARGUMENT', `threads must be a positive integer or "auto", got ${describe(opt)}`);
  }
  return Math.min(opt, MAX_THREADS);
}

async function instantiate(options) {
  const threads = wantedThreads(options.threads);
  if (threads > 1 && threadsAvailable()) {
    try {
      const wasmLoc = options.wasmThreads ?? packageFile(new URL('./deepfake-shield-mt.wasm', import.meta.url), import.meta.url);
      const load = async () => {
        const wasmBinary = checkWasm(toBytes(wasmLoc) ??
          await loadBytes(wasmLoc, options.fetch, options.onProgress, 'deepfake-shield-mt.wasm'), String(wasmLoc));
        // Not bundled: the module starts its workers from its own URL (deepfake-shield-mt.worker.js).
        const url = packageFile(new URL('./deepfake-shield-mt.mjs', import.meta.url), import.meta.url).href;
        const { default: createMt } = await import(/* @vite-ignore */ /* webpackIgnore: true */ url);
        const Module = await createMt({ wasmBinary });
        Module.setThreads(threads);
        return Module;
      };
      // A host whose threaded files hang (a bundler that did not emit the worker) must not hang
      // the checker: past the timeout, one thread.
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new DeepfakeShieldError('LOAD_FAILED',
          `the threaded module did not start within ${THREADS_TIMEOUT_MS / 1000} s`)), THREADS_TIMEOUT_MS);
      });
      try {
        return await Promise.race([load(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    } catch (e) {
      // A host that lacks the threaded files still gets a working (single-thread) checker.
      options.onThreadsFallback?.(e);
    }
  }
  const wasmLoc = options.wasm ?? packageFile(new URL('./deepfake-shield.wasm', import.meta.url), import.meta.url);
  const wasmBinary = checkWasm(toBytes(wasmLoc) ??
    await loadBytes(wasmLoc, options.fetch, options.onProgress, 'deepfake-shield.wasm'), String(wasmLoc));
  const make = async () => {
    try {
      const Module = await createDfsModule({ wasmBinary });
      // WebAssembly memory never shrinks: a checker whose memory grew past its ceiling (one
      // huge image) swaps in a fresh instance made from the same bytes (Checker#renew).
      Module.dfsFresh = make;
      return Module;
    } catch (e) {
      throw new DeepfakeShieldError('LOAD_FAILED', `${String(wasmLoc)} could not be instantiated: ${e?.message || e}`);
    }
  };
  return make();
}

// The threaded module keeps its workers until told otherwise: a disposed checker stops its
// pool and ends the workers, so creating and disposing checkers does not pile up threads.
function releaseThreads(Module) {
  if (Module.numThreads() > 1) Module.setThreads(1);
  Module.PThread?.terminateAllThreads?.();
}

/**
 * Loads one network for raw forward passes on an already normalized NHWC Float32Array:
 * BlazeFace gives {scores, boxes}, EfficientNet {logit}. For oracle tests and benchmarks.
 */
export async function createRawModel(modelBytes, options = {}) {
  const Module = await instantiate(options);
  const m = new Module.RawModel();
  const info = m.load(toBytes(modelBytes) ?? modelBytes);
  if (info.error) { m.delete(); unwrap(info); }
  return {
    ...info,
    threads: Module.numThreads(),
    run(input) { return unwrap(m.run(input)); },
    dispose() { m.delete(); releaseThreads(Module); },
  };
}

/**
 * Creates a checker. Options:
 *   wasm: URL|string|Uint8Array of deepfake-shield.wasm (default: next to this module)
 *   models: { detectorShort, detectorFull, classifier }: URL|string|Uint8Array|null each
 *           (default: ../models/*.dfs relative to this module; null skips a model)
 *   fetch: custom fetch; onProgress({file, loaded, total})
 *   threads: 1 (default) | n | 'auto' (hardware threads, at most 4): more than 1 loads the
 *            threaded module when threadsAvailable(), else one thread is used
 *   wasmThreads: location of deepfake-shield-mt.wasm (default: next to this module)
 *   onThreadsFallback(error): called when the threaded module could not be loaded
 */
const THREADS_TIMEOUT_MS = 15000;
/**
 * memoryCeiling (bytes): after a check leaves the module's WebAssembly memory larger than this
 * (a 24-megapixel photo takes ~200 MB, 64 megapixels ~490 MB), the checker moves to a fresh
 * instance so the memory goes back to the system. Not for the threaded module (its memory is
 * shared with its workers).
 */
const DEFAULT_MEMORY_CEILING = 256 * 2 ** 20;

export async function createChecker(options = {}) {
  if (options === null || typeof options !== 'object') {
    throw new DeepfakeShieldError('INVALID_ARGUMENT', `createChecker options must be an object, got ${describe(options)}`);
  }
  const { onProgress } = options;
  const ceiling = options.memoryCeiling ?? DEFAULT_MEMORY_CEILING;
  if (typeof ceiling !== 'number' || !(ceiling >= 64 * 2 ** 20)) {
    throw new DeepfakeShieldError('INVALID_ARGUMENT', `memoryCeiling must be a number of bytes >= 64 MiB (or Infinity), got ${describe(ceiling)} ${ceiling}`);
  }
  const Module = await instantiate(options);
  const native = new Module.Checker();
  // Each URL written out in full: that is the pattern bundlers find and emit as an asset.
  const models = {
    detectorShort: packageFile(new URL('../models/blazeface_short.dfs', import.meta.url), import.meta.url),
    detectorFull: packageFile(new URL('../models/blazeface_full.dfs', import.meta.url), import.meta.url),
    classifier: packageFile(new URL('../models/classifier.dfs', import.meta.url), import.meta.url),
    ...(options.models || {}),
  };
  const loaded = {}, modelBytes = {};
  try {
    for (const [role, loc] of Object.entries(models)) {
      if (loc == null) continue;
      let bytes = toBytes(loc);
      if (!bytes) {
        try {
          bytes = await loadBytes(loc, options.fetch, onProgress, role);
        } catch (e) {
          // The classifier is optional until a trained one ships; detectors are required.
          if (role === 'classifier' && !(options.models && options.models.classifier)) continue;
          throw e;
        }
      }
      unwrap(native.loadModel(bytes, role));
      loaded[role] = bytes.length;
      modelBytes[role] = bytes;
    }
  } catch (e) {
    native.delete();
    throw e;
  }
  const checker = new Checker(Module, native, loaded);
  checker._renewal = { ceiling, modelBytes, pending: null, count: 0 };
  checker.modelSha256 = await sha256All(modelBytes);
  return checker;
}

// SHA-256 (hex) of each loaded model, so a result can name the exact file that scored it; {}
// where Web Crypto is missing (an insecure http: page).
async function sha256All(byRole) {
  const subtle = globalThis.crypto?.subtle;
  const out = {};
  if (!subtle) return out;
  for (const [role, bytes] of Object.entries(byRole)) {
    const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
    out[role] = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  return out;
}

export class Checker {
  constructor(Module, native, loaded) {
    this._m = Module;
    this._native = native;
    this.models = loaded;
    const info = native.info();
    this.hasClassifier = info.classifier;
    this.threshold = info.classifier ? info.threshold : null;
    /** [lo, hi]: scores in between (around the threshold) are "inconclusive". */
    this.band = info.classifier ? Array.from(info.band) : null;
    /** Whether faces carry kind: {synthetic, swap} (which kind of fake is likelier). */
    this.hasKind = !!info.kindHead;
    /** What the classifier was trained on, in words (from its header). */
    this.trainedOn = info.classifier ? (info.trainedOn || DEFAULT_TRAINED_ON) : null;
    /**
     * Rates measured at the default threshold on held-out validation faces (the header's
     * out-of-fold estimate): {real_flagged, real_flagged_worst_source, inconclusive,
     * fakesCaught: {dfdc, gan, diffusion, swap, reenactment}}, or null when the file has none.
     */
    this.measured = (info.classifier && info.measured) || null;
    this.hasHeatmap = !!info.attention;
    /** Threads the kernels use (1 unless the threaded module was loaded). */
    this.threads = Module.numThreads();
  }

  /**
   * Checks one image. input: encoded bytes (Uint8Array, ArrayBuffer, Blob) or pixels
   * ({data, width, height} RGBA, e.g. ImageData). Resolves to
   * {width, height, faces: [{box, score, keypoints, fake, heatmap?}], fake, timings}.
   */
  async check(input, options = {}) {
    if (!this._native) throw new DeepfakeShieldError('DISPOSED', 'checker was disposed');
    const isBlob = (x) => x && typeof Blob !== 'undefined' && x instanceof Blob;
    if (isBlob(input)) input = new Uint8Array(await input.arrayBuffer());
    if (options && typeof options === 'object' && isBlob(options.source)) {
      options = { ...options, source: new Uint8Array(await options.source.arrayBuffer()) };
    }
    await this._renewal?.pending;
    const r = this.checkSync(input, options);
    await this._renewal?.pending;
    // Content Credentials found by the container scan: verified here (async, loaded lazily),
    // in the file the pixels came from when they were decoded elsewhere.
    if (r.provenance?.c2pa && options?.verifyC2pa !== false) {
      mergeC2pa(r.provenance, await verifyC2pa(toBytes(options.source ?? input)));
      annotate(r, this.threshold, this.band);
    }
    return r;
  }

  /** Same as check() for inputs already in memory (not Blob). */
  checkSync(input, options = {}) {
    if (!this._native) throw new DeepfakeShieldError('DISPOSED', 'checker was disposed');
    if (options === null || typeof options !== 'object') throw new DeepfakeShieldError('INVALID_ARGUMENT', 'options must be an object');
    checkOptionTypes(options);
    const t0 = now();
    let r;
    const { source, ...nativeOptions } = options;
    const bytes = toBytes(input);
    if (bytes) {
      if (source !== undefined) throw new DeepfakeShieldError('INVALID_ARGUMENT', 'option source is for pixels decoded elsewhere; encoded input is its own source');
      // A detached ArrayBuffer reads as zero bytes, so it lands here too.
      if (bytes.length === 0) throw new DeepfakeShieldError('EMPTY_INPUT', 'image is empty (0 bytes, or a detached buffer)');
      r = this._native.checkEncoded(bytes, nativeOptions);
    } else if (input && typeof input === 'object' && 'data' in input && 'width' in input && 'height' in input) {
      const data = input.data instanceof Uint8ClampedArray || input.data instanceof Uint8Array ? realView(input.data) : null;
      if (!data) throw new DeepfakeShieldError('INVALID_ARGUMENT', 'pixels.data must be a Uint8Array or Uint8ClampedArray (RGBA)');
      // The encoded file these pixels were decoded from: read before the pixels are checked,
      // so a wrong type fails without any work done.
      const sourceBytes = source === undefined ? null : toBytes(source);
      if (source !== undefined && !sourceBytes?.length) {
        throw new DeepfakeShieldError('INVALID_ARGUMENT', `option source must be the file's bytes (Uint8Array, ArrayBuffer), got ${describe(source)}${sourceBytes ? ' of 0 bytes' : ''}`);
      }
      r = this._native.checkPixels(data, input.width, input.height, nativeOptions);
      if (sourceBytes && !r.error) r.provenance = unwrap(this._native.scanProvenance(sourceBytes));
    } else {
      throw new DeepfakeShieldError('INVALID_ARGUMENT',
        `expected image bytes (Uint8Array, ArrayBuffer, Blob) or pixels {data, width, height}, got ${describe(input)}`);
    }
    this._renewIfLarge();
    unwrap(r);
    r.timings.total = now() - t0;
    return annotate(r, this.threshold, this.band);
  }

  // Starts moving to a fresh module instance when this one's memory grew past the ceiling; calls
  // made meanwhile use the old one (JS is single-threaded, so none is cut off mid-call).
  _renewIfLarge() {
    const rn = this._renewal;
    if (!rn || rn.pending || this._inVideo || !this._m.dfsFresh || this._m.numThreads() > 1) return;
    if (!(this._m.heapBytes() > rn.ceiling)) return;
    rn.pending = (async () => {
      try {
        const Module = await this._m.dfsFresh();
        const native = new Module.Checker();
        for (const [role, bytes] of Object.entries(rn.modelBytes)) unwrap(native.loadModel(bytes, role));
        if (!this._native || this._inVideo) { native.delete(); return; }  // disposed meanwhile
        this._native.delete();
        this._m = Module;
        this._native = native;
        rn.count++;
      } catch (e) {
        rn.error = e;  // keeps working on the old instance; memory stays as it is
      } finally {
        rn.pending = null;
      }
    })();
  }

  /** How many times the checker moved to a fresh instance to give memory back. */
  get renewals() { return this._renewal?.count ?? 0; }

  /**
   * What the file's own metadata says about its origin (no pixel decode): {c2pa, metadata,
   * ai_declared, unreadable}. check() of bytes includes it; this is for bytes decoded elsewhere.
   */
  provenance(input) {
    if (!this._native) throw new DeepfakeShieldError('DISPOSED', 'checker was disposed');
    const bytes = toBytes(input);
    if (!bytes) throw new DeepfakeShieldError('INVALID_ARGUMENT', `expected image bytes, got ${describe(input)}`);
    return unwrap(this._native.scanProvenance(bytes));
  }

  /**
   * Checks a video from decoded frames: frames is an iterable or async iterable of
   * {data (RGBA), width, height, t (seconds)}, in time order, already sampled (e.g. 1 per
   * second). Faces are linked into tracks across frames (src/pipeline/video.cc); each track's
   * score is the sigmoid of its frames' mean logit. At most options.maxFrames (default 64) are
   * checked. Resolves to {kind: 'video', duration, frames_checked, tracks: [{id, fake, verdict,
   * frames: [{t, box, fake}], peak_t}], fake, verdict}.
   */
  async checkVideoFrames(frames, options = {}) {
    if (!this._native) throw new DeepfakeShieldError('DISPOSED', 'checker was disposed');
    if (!frames || (typeof frames[Symbol.iterator] !== 'function' && typeof frames[Symbol.asyncIterator] !== 'function')) {
      throw new DeepfakeShieldError('INVALID_ARGUMENT', `frames must be an iterable of {data, width, height, t}, got ${describe(frames)}`);
    }
    const { maxFrames = 64, ...checkOptions } = options;
    if (!Number.isInteger(maxFrames) || maxFrames < 1) throw new DeepfakeShieldError('INVALID_ARGUMENT', 'option maxFrames must be a positive integer');
    checkOptionTypes(checkOptions);
    if ('source' in checkOptions) throw new DeepfakeShieldError('INVALID_ARGUMENT', 'option source is for one image\'s pixels, not video frames');
    await this._renewal?.pending;
    unwrap(this._native.videoBegin());
    this._inVideo = true;
    try {
      return await this._videoLoop(frames, maxFrames, checkOptions);
    } finally {
      this._inVideo = false;
    }
  }

  async _videoLoop(frames, maxFrames, checkOptions) {
    let n = 0, duration = 0, lastT = -Infinity;
    for await (const fr of frames) {
      if (n >= maxFrames) break;
      if (!fr || typeof fr !== 'object' || !('data' in fr)) throw new DeepfakeShieldError('INVALID_ARGUMENT', 'each frame must be {data, width, height, t}');
      if (!(fr.t >= lastT)) throw new DeepfakeShieldError('INVALID_ARGUMENT', `frame times must be finite and in order (got ${fr.t} after ${lastT})`);
      const data = fr.data instanceof Uint8Array || fr.data instanceof Uint8ClampedArray ? realView(fr.data) : null;
      if (!data) throw new DeepfakeShieldError('INVALID_ARGUMENT', 'frame data must be a Uint8Array or Uint8ClampedArray (RGBA)');
      unwrap(this._native.videoFrame(data, fr.width, fr.height, fr.t, checkOptions));
      lastT = fr.t;
      duration = Math.max(duration, fr.t);
      n++;
    }
    const { tracks } = unwrap(this._native.videoTracks());
    for (const t of tracks) t.verdict = verdictFor(t.fake, this.threshold ?? 0.5, this.band);
    const scored = tracks.filter((t) => t.fake != null);
    const fake = scored.length ? Math.max(...scored.map((t) => t.fake)) : null;
    const verdict = !tracks.length ? 'no_face' : verdictFor(fake, this.threshold ?? 0.5, this.band);
    return { kind: 'video', duration, frames_checked: n, tracks, fake, verdict };
  }

  /** Decodes image bytes (EXIF orientation applied) to RGBA pixels {width, height, data}. */
  decode(input) {
    if (!this._native) throw new DeepfakeShieldError('DISPOSED', 'checker was disposed');
    const bytes = toBytes(input);
    if (!bytes) throw new DeepfakeShieldError('INVALID_ARGUMENT', `expected image bytes, got ${describe(input)}`);
    return unwrap(this._native.decode(bytes));
  }

  /** Bytes of WebAssembly memory in use by the module (for leak tests). */
  memoryBytes() { return this._m.heapBytes(); }

  /** Bytes allocated inside the WebAssembly heap and not yet freed (falls when memory is freed). */
  heapInUse() { return this._m.heapInUse(); }

  dispose() {
    if (this._native) { this._native.delete(); this._native = null; releaseThreads(this._m); }
  }
}

// Each number option: [min, max, integer]. The ranges keep every value exact on the C++ side
// (maxBytes past 2 GiB used to wrap to "a limit of 0", maxPixels 1e19 to a negative limit).
const NUMBER_OPTIONS = {
  minFaceScore: [0, 1, false],
  maxFaces: [1, 1000, true],
  maxPixels: [1, 1e12, true],
  maxBytes: [1, 2147483647, true],
};
const BOOLEAN_OPTIONS = ['tiles', 'zoomOut', 'turned', 'classify', 'heatmap', 'verifyC2pa'];
// Options whose value is checked where it is used (checkSync: source).
const OTHER_OPTIONS = ['source'];
const KNOWN_OPTIONS = [...Object.keys(NUMBER_OPTIONS), ...BOOLEAN_OPTIONS, ...OTHER_OPTIONS];
// A mistyped option name or value would otherwise silently fall back to its default.
function checkOptionTypes(o) {
  for (const k of Object.keys(o)) {
    if (!KNOWN_OPTIONS.includes(k)) {
      throw new DeepfakeShieldError('INVALID_ARGUMENT', `unknown option ${k} (known: ${KNOWN_OPTIONS.join(', ')})`);
    }
  }
  for (const [k, [lo, hi, int]] of Object.entries(NUMBER_OPTIONS)) {
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v)))
      throw new DeepfakeShieldError('INVALID_ARGUMENT', `option ${k} must be ${int ? 'an integer' : 'a number'} from ${lo} to ${hi}, got ${describe(v)} ${typeof v === 'number' ? v : ''}`.trim());
  }
  for (const k of BOOLEAN_OPTIONS)
    if (o[k] !== undefined && typeof o[k] !== 'boolean')
      throw new DeepfakeShieldError('INVALID_ARGUMENT', `option ${k} must be true or false`);
}

function now() { return typeof performance !== 'undefined' ? performance.now() : Date.now(); }
function describe(x) {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an Array';
  return typeof x === 'object' ? (x.constructor?.name || 'object') : typeof x;
}
