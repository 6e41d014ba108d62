// TypeScript declarations for the Deepfake Shield JavaScript API.

export type ModelSource = URL | string | Uint8Array | ArrayBuffer | null;

/** The package version. */
export declare const VERSION: string;

export interface CreateOptions {
  /** Location or bytes of deepfake-shield.wasm (default: next to this module). */
  wasm?: URL | string | Uint8Array | ArrayBuffer;
  /** Model locations or bytes (default: ../models/*.dfs relative to this module; null skips). */
  models?: { detectorShort?: ModelSource; detectorFull?: ModelSource; classifier?: ModelSource };
  /** Custom fetch (e.g. with caching). */
  fetch?: typeof fetch;
  /** Download progress of the wasm module and models. */
  onProgress?: (p: { file: string; loaded: number; total: number }) => void;
  /**
   * Kernel threads: 1 (default), a count, or 'auto' (hardware threads, at most 4). More than 1
   * loads the threaded module when threadsAvailable() (cross-origin isolated browser contexts);
   * elsewhere one thread is used.
   */
  threads?: number | 'auto';
  /** Location or bytes of deepfake-shield-mt.wasm (default: next to this module). */
  wasmThreads?: URL | string | Uint8Array | ArrayBuffer;
  /** Called when the threaded module could not be loaded (the checker then uses one thread). */
  onThreadsFallback?: (error: unknown) => void;
  /**
   * Bytes (>= 64 MiB; default 256 MiB; Infinity: never). When a check leaves the module's
   * WebAssembly memory larger than this (one huge image), the checker moves to a fresh
   * instance so the memory is given back. Single-thread module only.
   */
  memoryCeiling?: number;
}

export interface CheckOptions {
  /** Detection score threshold (default: each detector's own, 0.5 short / 0.6 full range). */
  minFaceScore?: number;
  /** At most this many faces per image (default 64). */
  maxFaces?: number;
  /** Tile large photos to find small faces (default true). */
  tiles?: boolean;
  /** Extra pass for faces that fill the frame (default true). */
  zoomOut?: boolean;
  /**
   * When no pass finds a face: look again with the photo turned 90, 180 and 270 degrees (a photo
   * on its side or upside down without EXIF; default true).
   */
  turned?: boolean;
  /** Run the classifier (default true when one is loaded). */
  classify?: boolean;
  /** Return the attention map of models that have one (default false). */
  heatmap?: boolean;
  /** Reject images over this many pixels before decoding (default 100 million). */
  maxPixels?: number;
  /** Reject encoded files over this many bytes (default 200 MiB). */
  maxBytes?: number;
  /** check() only: verify a C2PA manifest the file carries (default true; lazily loaded). */
  verifyC2pa?: boolean;
  /**
   * Pixels only: the encoded file they were decoded from elsewhere (a browser's decoder,
   * ffmpeg), so the result still carries that file's provenance and check() verifies its
   * Content Credentials. Not for encoded input (it is its own source) or video frames.
   */
  source?: Uint8Array | ArrayBuffer | ArrayBufferView | Blob;
}

export interface Heatmap {
  width: number;
  height: number;
  /** Row-major attention values in [0, 1]. */
  data: Float32Array;
  /** The square crop [x, y, side, side] (source pixels) the map covers. */
  crop: [number, number, number, number];
}

export interface Face {
  /** [x, y, width, height] in source pixels. */
  box: [number, number, number, number];
  /** Detector confidence in [0, 1]. */
  score: number;
  /** Right eye, left eye, nose tip, mouth, right ear, left ear (the subject's), source pixels. */
  keypoints: [number, number][];
  /** Probability the face is manipulated, in [0, 1]; null when no classifier is loaded. */
  fake: number | null;
  /** Degrees (0, 90, 180, 270) the face's crop was turned to make it upright before scoring. */
  rotation: number;
  /** Which kind of fake is likelier (models with a kind head), else null. */
  kind: { synthetic: number; swap: number } | null;
  /** The verdict at the checker's threshold and the model's inconclusive band. */
  verdict: Verdict | null;
  heatmap?: Heatmap;
}

export interface VideoFrameInput { data: Uint8Array | Uint8ClampedArray; width: number; height: number; t: number }
export interface VideoTrack {
  id: number;
  /** Sigmoid of the mean logit of the track's frames; null without a classifier. */
  fake: number | null;
  verdict: Verdict | null;
  frames: { t: number; box: [number, number, number, number]; fake: number | null }[];
  /** Time (s) of the most suspicious frame. */
  peak_t: number;
}
export interface VideoResult {
  kind: 'video'; duration: number; frames_checked: number; tracks: VideoTrack[];
  fake: number | null; verdict: Verdict | null;
}

/** The fixed verdict set (per face and per image). */
export type Verdict = 'likely_manipulated' | 'inconclusive' | 'no_sign' | 'no_face' | 'declared_ai';

/** What the file's own metadata says about its origin (absence is never evidence). */
export interface Provenance {
  /** A C2PA manifest store found in the container (presence; `valid` null = not verified). */
  c2pa: {
    present: true; container: string; bytes: number;
    /** From check() (not checkSync): whether a verifier ran, and what it found. */
    verified?: boolean; valid?: boolean | null; signer?: string | null; issuer?: string | null;
    claim_generator?: string | null; actions?: string[]; digital_source_type?: string | null;
    generative?: boolean; ingredients?: number; trust?: string; errors?: string[];
  } | null;
  metadata: {
    ai_generator: string | null;
    ai_evidence: string | null;
    digital_source_type: string | null;
    software: string | null;
    camera: string | null;
    creator_tool: string | null;
  };
  /** The metadata says generative AI made or changed the image. */
  ai_declared: boolean;
  /** Metadata that was present but malformed, in words. */
  unreadable: string[];
}

export interface CheckResult {
  width: number;
  height: number;
  faces: Face[];
  /** Highest face probability; null when no face was found or no classifier is loaded. */
  fake: number | null;
  /** 'declared_ai' when the metadata says so; 'no_face' without faces; else the verdict of the
   * highest face score (null: no classifier). */
  verdict: Verdict | null;
  /** From the file's container (encoded input, or pixels with options.source; else null). */
  provenance: Provenance | null;
  /** Milliseconds. */
  timings: { decode: number; detect: number; classify: number; total: number };
}

export type ImageInput =
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | { data: Uint8Array | Uint8ClampedArray; width: number; height: number };

/** Every error code (ERROR_CODES says what each means). */
export type ErrorCode =
  | 'EMPTY_INPUT' | 'UNSUPPORTED_FORMAT' | 'CORRUPT_IMAGE' | 'IMAGE_TOO_LARGE' | 'BAD_MODEL'
  | 'INVALID_ARGUMENT' | 'OUT_OF_MEMORY' | 'INTERNAL' | 'LOAD_FAILED' | 'DISPOSED'
  | 'CORRUPT_VIDEO' | 'VIDEO_DECODER_MISSING' | 'UNSUPPORTED_FILE' | 'READ_FAILED'
  | 'WORKER_FAILED' | 'CANCELLED';
export declare const ERROR_CODES: Readonly<Record<ErrorCode, string>>;

export declare class DeepfakeShieldError extends Error {
  /** Stable code (ErrorCode). */
  code: ErrorCode;
}

/** Fractions in [0, 1], at the classifier's default threshold. */
export interface MeasuredRates {
  real_flagged?: number;
  real_flagged_worst_source?: number;
  inconclusive?: number;
  /** By kind of fake: dfdc, gan, diffusion, swap, reenactment. */
  fakesCaught?: Record<string, number>;
}

export declare class Checker {
  /** Bytes of each loaded model, by role. */
  readonly models: Record<string, number>;
  readonly hasClassifier: boolean;
  readonly hasHeatmap: boolean;
  /** The classifier's default decision threshold (null without a classifier). */
  readonly threshold: number | null;
  /** The inconclusive band [lo, hi] around the threshold (null without a classifier). */
  readonly band: [number, number] | null;
  /** Whether faces carry `kind`. */
  readonly hasKind: boolean;
  /** What the classifier was trained on, in words (null without a classifier). */
  readonly trainedOn: string | null;
  /**
   * Rates measured at the default threshold on held-out validation faces (the model header's
   * out-of-fold estimate, provenance.calibration.held_out); null when the file has none.
   */
  readonly measured: MeasuredRates | null;
  /** Threads the kernels use: 1 unless the threaded module was loaded. */
  readonly threads: number;
  /** SHA-256 (hex) of each loaded model file by role; empty where Web Crypto is unavailable. */
  readonly modelSha256: { detectorShort?: string; detectorFull?: string; classifier?: string };
  /** How many times the checker moved to a fresh instance to give memory back (memoryCeiling). */
  readonly renewals: number;
  check(input: ImageInput, options?: CheckOptions): Promise<CheckResult>;
  checkSync(input: Exclude<ImageInput, Blob>, options?: CheckOptions): CheckResult;
  /**
   * A video from decoded, sampled frames (any decoder): faces tracked across frames, each track
   * scored by the sigmoid of its frames' mean logit. At most maxFrames (default 64) frames.
   */
  checkVideoFrames(frames: Iterable<VideoFrameInput> | AsyncIterable<VideoFrameInput>,
    options?: CheckOptions & { maxFrames?: number }): Promise<VideoResult>;
  /** The container's provenance metadata alone (no pixel decode). */
  provenance(input: Uint8Array | ArrayBuffer | ArrayBufferView): Provenance;
  /** Decodes image bytes (EXIF orientation applied) into RGBA pixels. */
  decode(input: Uint8Array | ArrayBuffer | ArrayBufferView): { width: number; height: number; data: Uint8ClampedArray };
  /** Bytes of WebAssembly memory (only ever grows). */
  memoryBytes(): number;
  /** Bytes allocated inside the WebAssembly heap and not yet freed (for leak checks). */
  heapInUse(): number;
  dispose(): void;
}

export declare function createChecker(options?: CreateOptions): Promise<Checker>;
/** True in a cross-origin isolated browser context, where the threaded module can run. */
export declare function threadsAvailable(): boolean;
export declare const DEFAULT_MODELS: { detectorShort: string; detectorFull: string; classifier: string };

export interface RawModel {
  kind: 'blazeface' | 'efficientnet';
  height: number;
  width: number;
  /** One forward pass on an already normalized NHWC input of height*width*3 floats. */
  /** Threads the kernels use. */
  threads: number;
  run(input: Float32Array): { scores: Float32Array; boxes: Float32Array } | { logit: number };
  dispose(): void;
}
/** Loads one network for raw forward passes (oracle tests, benchmarks). */
export declare function createRawModel(model: Uint8Array | ArrayBuffer, options?: Pick<CreateOptions, 'wasm' | 'wasmThreads' | 'threads' | 'fetch' | 'onThreadsFallback'>): Promise<RawModel>;

export const VERDICTS: readonly Verdict[];
/** Verifies a C2PA manifest store in the bytes (see Provenance.c2pa); never rejects. */
export function verifyC2pa(bytes: Uint8Array | ArrayBuffer): Promise<NonNullable<Provenance['c2pa']>>;
/** threads: 'auto' uses threads only from this many hardware threads up (else one). */
export const AUTO_MIN_HARDWARE_THREADS: number;
/** The provenance findings as lines of text ([] when the metadata says nothing). */
export function provenanceLines(p: Provenance | null): string[];
export const VERDICT_TEXT: Readonly<Record<Verdict, string>>;
export const EVIDENCE_NOTE: string;
/** Verdict for a probability at a threshold with the model's band; null for a null score. */
export function verdictFor(p: number | null, threshold: number, band?: [number, number] | null): Verdict | null;
export function imageVerdictFor(result: CheckResult, threshold: number, band?: [number, number] | null): Verdict | null;
/** The model's band moved with a threshold other than its default (same distances). */
export function bandAt(threshold: number, band: [number, number] | null, defaultThreshold: number | null): [number, number] | null;
/** "91.9%": one decimal at most, clamped to 0.1%..99.9%. */
export function formatScore(p: number): string;
/** "face found (97% sure)". */
export function detectorText(score: number): string;
export function kindText(kind: { synthetic: number; swap: number } | null): string | null;
/**
 * Faces narrower than this many source pixels get a caveat in faceVerdictText when not flagged:
 * fakes this small are caught less often (measured: tools/train/size_report.json).
 */
export const SMALL_FACE_PX: number;
/** Flagged faces narrower than this get a caveat too: false alarms rise this small. */
export const TINY_FACE_PX: number;
export function faceVerdictText(face: Face, threshold: number, band?: [number, number] | null): string;
export function imageVerdictText(result: CheckResult, threshold: number, band?: [number, number] | null): string;
/** Whether image bytes are a HEIC/HEIF (HEVC-coded) file, by their ftyp box. */
export function isHeif(bytes: Uint8Array | ArrayBuffer): boolean;
/** checker.measured in words ("Measured on held-out validation faces ..."), or null. */
export function measuredText(measured: MeasuredRates | null): string | null;
/** Sets `verdict` on the result and its faces for another threshold; returns the result. */
export function annotate(result: CheckResult, threshold: number, band?: [number, number] | null): CheckResult;
/** The CLI's --json line / the page's export for one image. */
export function resultJson(file: string, result: CheckResult, threshold: number | null, band?: [number, number] | null): object;
export function errorJson(file: string, code: string, message: string): object;
