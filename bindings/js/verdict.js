// What a score means in words, and the result as JSON: the one home for the verdict set, the
// inconclusive band, score formatting and the CLI/page/extension JSON shape. No DOM, no wasm.

/** The fixed set of verdicts, per face and per image. */
export const VERDICTS = Object.freeze(['likely_manipulated', 'inconclusive', 'no_sign', 'no_face', 'declared_ai']);

export const VERDICT_TEXT = Object.freeze({
  likely_manipulated: 'Likely manipulated',
  inconclusive: 'Inconclusive',
  no_sign: 'No sign of manipulation',
  no_face: 'No face found',
  declared_ai: 'Declared AI-generated',
});

/** What every verdict carries with it, in every front end. */
export const EVIDENCE_NOTE = 'A score is evidence, not proof.';

/**
 * Every error code a result or a thrown DeepfakeShieldError can carry, and where it comes from.
 * The core's codes are src/core/status.cc code_name(); tests/node/verdict.test.mjs checks that
 * every code the sources use is listed here and in index.d.ts's ErrorCode.
 */
export const ERROR_CODES = Object.freeze({
  EMPTY_INPUT: 'the file or buffer is empty',
  UNSUPPORTED_FORMAT: 'not an image format the checker reads',
  CORRUPT_IMAGE: 'the image data is broken or cut short',
  IMAGE_TOO_LARGE: 'over the size limits (bytes, pixels or sides)',
  BAD_MODEL: 'a model file that failed validation',
  INVALID_ARGUMENT: 'a wrong value or type from the caller',
  OUT_OF_MEMORY: 'the module ran out of memory',
  INTERNAL: 'a bug: an internal check failed',
  LOAD_FAILED: 'the module or a model could not be loaded',
  DISPOSED: 'the checker was disposed',
  CORRUPT_VIDEO: 'the video could not be decoded',
  VIDEO_DECODER_MISSING: 'videos need ffmpeg (CLI)',
  UNSUPPORTED_FILE: 'not a regular file: a device, FIFO, socket or folder (CLI)',
  READ_FAILED: 'the file could not be read',
  WORKER_FAILED: 'the page\'s checker worker could not start (page, extension)',
  CANCELLED: 'stopped by the user before it started (page, extension)',
});
// For a classifier whose header does not say (provenance.trained_on): no claim beyond this.
export const DEFAULT_TRAINED_ON = 'research face data (its header does not say which; see models/MODELS.md)';

const clamp01 = (x) => Math.min(Math.max(x, 0), 1);

const CAUGHT_NAMES = { dfdc: 'DFDC video face swaps', gan: 'GAN faces', diffusion: 'diffusion faces', swap: 'other face swaps', reenactment: 'reenacted faces' };
const pct0 = (x) => `${Math.round(x * 100)}%`;

/**
 * The classifier's measured rates at its default threshold, in words: checker.measured (the
 * header's out-of-fold estimate on validation faces, never on ../shared/testdata), or null when
 * the file does not carry them.
 */
export function measuredText(m) {
  if (!m || m.real_flagged == null) return null;
  const worst = m.real_flagged_worst_source != null && m.real_flagged_worst_source > m.real_flagged
    ? ` (${pct0(m.real_flagged_worst_source)} for the worst photo source)` : '';
  const caught = Object.entries(m.fakesCaught ?? {}).map(([k, v]) => `${CAUGHT_NAMES[k] ?? k} ${pct0(v)}`);
  return `Measured on held-out validation faces at the default threshold: ${pct0(m.real_flagged)} of real faces flagged${worst}`
    + (m.inconclusive != null ? `, ${pct0(m.inconclusive)} of all faces inconclusive` : '')
    + (caught.length ? `; fakes caught: ${caught.join(', ')}` : '')
    + '. Fakes from generators unlike those it was trained on are caught far less often.';
}

/**
 * The model's band [lo, hi] (fitted around its default threshold) moved with the threshold the
 * user picked: the same distances below and above it, kept inside (0, 1).
 */
export function bandAt(threshold, band, defaultThreshold) {
  if (!band || defaultThreshold == null) return band ?? null;
  return [Math.max(1e-3, threshold - (defaultThreshold - band[0])),
    Math.min(1 - 1e-3, threshold + (band[1] - defaultThreshold))];
}

/**
 * Verdict for one probability. threshold: where "likely manipulated" starts (the slider);
 * band: [lo, hi] from the model header (calibration.inconclusive). A score is "likely
 * manipulated" only at or above both the threshold and hi, "no sign" only below both the
 * threshold and lo, and inconclusive in between, so the words always agree with the score and
 * the threshold in use. null when there is no score (no classifier).
 */
export function verdictFor(p, threshold, band) {
  if (p == null || Number.isNaN(p)) return null;
  const t = clamp01(threshold);
  const lo = Math.min(band?.[0] ?? t, t), hi = Math.max(band?.[1] ?? t, t);
  if (p >= t && p >= hi) return 'likely_manipulated';
  if (p < t && p < lo) return 'no_sign';
  return 'inconclusive';
}

/**
 * The image's verdict: declared_ai when the file's own metadata says generative AI made or
 * changed it (whatever the pixels say), no_face without faces, else the verdict of its highest
 * face score.
 */
export function imageVerdictFor(result, threshold, band) {
  if (result.provenance?.ai_declared) return 'declared_ai';
  if (!result.faces.length) return 'no_face';
  return verdictFor(result.fake, threshold, band);
}

/** What the metadata says, in words: one line per finding; [] when it says nothing. */
export function provenanceLines(prov) {
  if (!prov) return [];
  const out = [];
  const m = prov.metadata || {};
  const c = prov.c2pa;
  if (c && c.valid === true) {
    const parts = [`Content Credentials (C2PA): valid, signed by ${commonName(c.signer)} (${c.trust})`];
    if (c.claim_generator) parts.push(`made with ${c.claim_generator}`);
    if (c.actions?.length) parts.push(`actions ${c.actions.join(', ')}`);
    if (c.digital_source_type) parts.push(`source type ${c.digital_source_type}`);
    if (c.ingredients) parts.push(`${c.ingredients} ingredient${c.ingredients === 1 ? '' : 's'}`);
    out.push(parts.join('; '));
  } else if (c && c.valid === false) {
    out.push(`Content Credentials (C2PA): INVALID: the file changed after signing or the signature does not verify (${(c.errors || []).slice(0, 3).join('; ')})`);
  } else if (c) {
    out.push(`Content Credentials (C2PA) manifest in the file (${c.container}, not verified here${c.errors?.length ? `: ${c.errors[0]}` : ''})`);
  }
  if (m.ai_generator) out.push(`made with ${m.ai_generator}, says its metadata (${m.ai_evidence})`);
  if (m.digital_source_type) out.push(`IPTC digital source type: ${m.digital_source_type}`);
  if (m.camera) out.push(`camera: ${m.camera}`);
  if (m.software && m.software !== m.ai_generator) out.push(`software: ${m.software}`);
  if (m.creator_tool && m.creator_tool !== m.software) out.push(`creator tool: ${m.creator_tool}`);
  for (const n of prov.unreadable || []) out.push(`unreadable metadata: ${n}`);
  return out;
}

/** "CN=C2PA Signer" out of an X.509 subject string, else the string. */
function commonName(subject) {
  const m = /(?:^|,\s*)CN=([^,]+)/.exec(subject || '');
  return m ? m[1] : subject || 'an unknown signer';
}

function declaredText(prov) {
  const m = prov.metadata || {};
  const c = prov.c2pa;
  if (c?.valid && c.generative) {
    return `Declared AI-generated by its Content Credentials (${c.digital_source_type}), signed by ${commonName(c.signer)} (${c.trust})`;
  }
  if (m.ai_generator) return `Declared AI-generated by its metadata: ${m.ai_generator} (${m.ai_evidence})`;
  return `Declared AI-generated by its metadata (IPTC digital source type ${m.digital_source_type})`;
}

/** A probability as text: one decimal at most, clamped to 0.1%..99.9% (never 0% or 100%). */
export function formatScore(p) {
  const v = Math.min(Math.max(p, 0.001), 0.999) * 100;
  return `${Number.isInteger(Math.round(v * 10) / 10) ? Math.round(v) : v.toFixed(1)}%`;
}

/** The detector's confidence, in words that do not read like a second deepfake score. */
export function detectorText(score) {
  return `face found (${Math.round(Math.min(Math.max(score, 0), 1) * 100)}% sure)`;
}

/** The likelier kind of manipulation for a face with a kind head's output, else null. */
export function kindText(kind) {
  if (!kind) return null;
  return kind.synthetic >= 0.5
    ? `looks generated (GAN or diffusion face), ${formatScore(kind.synthetic)}`
    : `looks like a face swap or reenactment, ${formatScore(kind.swap)}`;
}

/**
 * Faces narrower than this (the detector's box, source pixels) hold less detail than the
 * classifier is validated on: validation crops re-rendered with the face N px across
 * (tools/train/size_check.py, tools/train/size_report.json) kept their AUC within 0.015 down to
 * 48 px, but at 32 px DFDC AUC fell 0.923 -> 0.890 and the fakes caught at the threshold 47% ->
 * 39% (faces-mixed 68% -> 61%), at 24 px to 35% (47%), while the reals flagged stayed at or
 * under 5%. So a small face's "no sign" or "inconclusive" says less, and its text says so.
 * Under TINY_FACE_PX the reals flagged rise too (16 px: DFDC 0.4% -> 3.3%, faces-mixed 3.8% ->
 * 5.4%), so a flagged face that small says so as well.
 */
export const SMALL_FACE_PX = 40;
export const TINY_FACE_PX = 20;

/** One face's verdict as a sentence fragment: "likely manipulated (91.9%)". */
export function faceVerdictText(face, threshold, band) {
  const v = verdictFor(face.fake, threshold, band);
  if (v == null) return 'not classified (no classifier loaded)';
  const base = `${VERDICT_TEXT[v].toLowerCase()} (${formatScore(face.fake)})`;
  const kind = v === 'no_sign' ? null : kindText(face.kind);
  const side = face.box ? Math.round(Math.min(face.box[2], face.box[3])) : null;
  const flagged = v === 'likely_manipulated';
  const small = side == null || side >= (flagged ? TINY_FACE_PX : SMALL_FACE_PX) ? null
    : `small face (${side} px across): ${flagged ? 'false alarms are more common' : 'fakes are caught less often'} this small`;
  // rotation: degrees the face was turned to be scored upright (the photo carried no EXIF turn).
  const turned = !face.rotation ? null
    : `scored upright (the face was ${face.rotation === 180 ? 'upside down' : 'on its side'} in the photo)`;
  return [base, kind, small, turned].filter(Boolean).join('; ');
}

/** The image's verdict as a sentence. */
export function imageVerdictText(result, threshold, band) {
  const v = imageVerdictFor(result, threshold, band);
  if (v === 'declared_ai') {
    const pixels = result.faces.length && result.fake != null
      ? `; the face classifier's highest score is ${formatScore(result.fake)}` : '';
    return declaredText(result.provenance) + pixels;
  }
  if (v === 'no_face') return 'No face found: nothing to judge';
  const n = `${result.faces.length} face${result.faces.length === 1 ? '' : 's'}`;
  if (v == null) return `${n} found; no classifier loaded, so no real/fake score`;
  if (v === 'likely_manipulated') return `Likely manipulated: ${formatScore(result.fake)} on the most suspicious of ${n}`;
  if (v === 'inconclusive') return `Inconclusive: highest score ${formatScore(result.fake)} (${n}), too close to call`;
  return `No sign of manipulation: highest score ${formatScore(result.fake)} (${n})`;
}

/** Adds `verdict` to each face and to the result (in place) for this threshold and band. */
export function annotate(result, threshold, band) {
  for (const f of result.faces) f.verdict = verdictFor(f.fake, threshold, band);
  result.verdict = imageVerdictFor(result, threshold, band);
  return result;
}

const r4 = (x) => Math.round(x * 1e4) / 1e4;
const r1 = (x) => Math.round(x * 10) / 10;

/**
 * One image as the CLI's --json line and the page's export have it:
 * {file, width, height, faces: [{box, score, keypoints, fake, kind, verdict, heatmap?}], fake,
 *  verdict, provenance, threshold, decoded_by, error}. Boxes are clamped to the image; decoded_by
 *  names the outside decoder that read the pixels (r.decodedBy: 'ffmpeg (WebP)' in the CLI,
 *  'browser' on the page), null when the module decoded them itself.
 */
export function resultJson(file, r, threshold, band) {
  const clampBox = ([x, y, w, h]) => {
    const x0 = Math.min(Math.max(x, 0), r.width), y0 = Math.min(Math.max(y, 0), r.height);
    const x1 = Math.min(Math.max(x + w, 0), r.width), y1 = Math.min(Math.max(y + h, 0), r.height);
    return [x0, y0, x1 - x0, y1 - y0].map(r1);
  };
  return {
    file, width: r.width, height: r.height,
    faces: r.faces.map((f) => ({
      box: clampBox(f.box), score: r4(f.score), keypoints: f.keypoints.map((k) => k.map(r1)),
      fake: f.fake == null ? null : r4(f.fake),
      kind: f.kind ? { synthetic: r4(f.kind.synthetic), swap: r4(f.kind.swap) } : null,
      rotation: f.rotation ?? 0,
      verdict: verdictFor(f.fake, threshold, band),
      ...(f.heatmap ? { heatmap: { width: f.heatmap.width, height: f.heatmap.height, data: Array.from(f.heatmap.data, r4) } } : {}),
    })),
    fake: r.fake == null ? null : r4(r.fake),
    verdict: imageVerdictFor(r, threshold, band),
    provenance: r.provenance ?? null,
    threshold: threshold == null ? null : r4(threshold),
    decoded_by: r.decodedBy ?? null,
    error: null,
  };
}

/**
 * One video as the CLI's --json line and the page's export have it: {file, kind: 'video',
 * duration, frames_checked, tracks: [{id, fake, verdict, frames: [{t, box, fake}], peak_t}], fake,
 * verdict, error}.
 */
export function videoResultJson(file, r) {
  return {
    file, kind: 'video', duration: r.duration, frames_checked: r.frames_checked,
    tracks: r.tracks.map((t) => ({ id: t.id, fake: t.fake == null ? null : r4(t.fake), verdict: t.verdict,
      frames: t.frames.map((f) => ({ t: f.t, box: f.box.map(r1), fake: f.fake == null ? null : r4(f.fake) })), peak_t: t.peak_t })),
    fake: r.fake == null ? null : r4(r.fake), verdict: r.verdict, error: null,
  };
}

/** Words for a video: its verdict and the most suspicious track (the page's video card). */
export function videoVerdictText(r) {
  if (r.verdict === 'no_face') return 'No face found in the sampled frames';
  if (r.fake == null) return 'Faces found; no classifier loaded, so they are not scored';
  const worst = r.tracks.filter((t) => t.fake != null).sort((a, b) => b.fake - a.fake)[0];
  return `${VERDICT_TEXT[r.verdict]}: face track ${worst.id} scored ${formatScore(worst.fake)}, most suspicious at ${worst.peak_t} s`;
}

/** A failed image in the same JSON shape. */
export function errorJson(file, code, message) {
  return { file, error: { code, message } };
}
