// What a score means in words, and the result as JSON: the one home for the verdict set, the
// inconclusive band, score formatting and the CLI/page/extension JSON shape. No DOM, no wasm.

/** The fixed set of verdicts, per face and per image. */
export const VERDICTS = Object.freeze(['likely_manipulated', 'inconclusive', 'no_sign', 'no_face']);

export const VERDICT_TEXT = Object.freeze({
  likely_manipulated: 'Likely manipulated',
  inconclusive: 'Inconclusive',
  no_sign: 'No sign of manipulation',
  no_face: 'No face found',
});

/** What every verdict carries with it, in every front end. */
export const EVIDENCE_NOTE = 'A score is evidence, not proof.';
export const DEFAULT_TRAINED_ON =
  'DFDC face swaps plus GAN, diffusion, swap and reenactment faces and real photos from 16 ' +
  'public research sources';

const clamp01 = (x) => Math.min(Math.max(x, 0), 1);

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

/** The image's verdict: no_face without faces, else the verdict of its highest face score. */
export function imageVerdictFor(result, threshold, band) {
  if (!result.faces.length) return 'no_face';
  return verdictFor(result.fake, threshold, band);
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

/** One face's verdict as a sentence fragment: "likely manipulated (91.9%)". */
export function faceVerdictText(face, threshold, band) {
  const v = verdictFor(face.fake, threshold, band);
  if (v == null) return 'not classified (no classifier loaded)';
  const base = `${VERDICT_TEXT[v].toLowerCase()} (${formatScore(face.fake)})`;
  const kind = v === 'no_sign' ? null : kindText(face.kind);
  return kind ? `${base}; ${kind}` : base;
}

/** The image's verdict as a sentence. */
export function imageVerdictText(result, threshold, band) {
  const v = imageVerdictFor(result, threshold, band);
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
 *  verdict, threshold, error}. Boxes are clamped to the image.
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
      verdict: verdictFor(f.fake, threshold, band),
      ...(f.heatmap ? { heatmap: { width: f.heatmap.width, height: f.heatmap.height, data: Array.from(f.heatmap.data, r4) } } : {}),
    })),
    fake: r.fake == null ? null : r4(r.fake),
    verdict: imageVerdictFor(r, threshold, band),
    threshold: threshold == null ? null : r4(threshold),
    error: null,
  };
}

/** A failed image in the same JSON shape. */
export function errorJson(file, code, message) {
  return { file, error: { code, message } };
}
