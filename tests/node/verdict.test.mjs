// The shared verdict module: the fixed verdict set, the inconclusive band, score text.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  VERDICTS, verdictFor, bandAt, provenanceLines, imageVerdictFor, formatScore, detectorText, faceVerdictText, SMALL_FACE_PX, TINY_FACE_PX,
  imageVerdictText, resultJson, kindText, ERROR_CODES, measuredText,
} from '../../bindings/js/verdict.js';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.mjs';

test('verdicts come from the fixed set and agree with the threshold and the band', () => {
  const band = [0.3, 0.7];
  const cases = [
    [0.05, 0.5, 'no_sign'], [0.29, 0.5, 'no_sign'], [0.3, 0.5, 'inconclusive'],
    [0.5, 0.5, 'inconclusive'], [0.69, 0.5, 'inconclusive'], [0.7, 0.5, 'likely_manipulated'],
    [0.99, 0.5, 'likely_manipulated'],
    // The slider above the band: a score under the threshold is never "likely manipulated".
    [0.8, 0.9, 'inconclusive'], [0.95, 0.9, 'likely_manipulated'],
    // Below the band: a score at or over the threshold is never "no sign".
    [0.15, 0.1, 'inconclusive'], [0.05, 0.1, 'no_sign'],
  ];
  for (const [p, t, want] of cases) {
    const v = verdictFor(p, t, band);
    assert.equal(v, want, `p ${p} t ${t}`);
    assert.ok(VERDICTS.includes(v));
    if (v === 'likely_manipulated') assert.ok(p >= t);
    if (v === 'no_sign') assert.ok(p < t);
  }
  assert.equal(verdictFor(null, 0.5, band), null);
  // Without a band the threshold alone decides.
  assert.equal(verdictFor(0.5, 0.5, null), 'likely_manipulated');
  assert.equal(verdictFor(0.49, 0.5, null), 'no_sign');
});

test('the band moves with the threshold the user picks', () => {
  assert.deepEqual(bandAt(0.5, [0.4, 0.7], 0.5), [0.4, 0.7]);
  const b = bandAt(0.8, [0.4, 0.7], 0.5);
  assert.ok(Math.abs(b[0] - 0.7) < 1e-12 && Math.abs(b[1] - 0.999) < 1e-12, String(b));
  const z = bandAt(0, [0.4, 0.7], 0.5);
  assert.ok(z[0] === 0.001 && Math.abs(z[1] - 0.2) < 1e-12, String(z));
  // At threshold 0 everything with a score reads "likely manipulated" once over the band.
  assert.equal(verdictFor(0.3, 0, bandAt(0, [0.4, 0.7], 0.5)), 'likely_manipulated');
  assert.equal(bandAt(0.5, null, 0.5), null);
});

test('image verdict: no_face without faces, else the highest score', () => {
  assert.equal(imageVerdictFor({ faces: [], fake: null }, 0.5, [0.4, 0.6]), 'no_face');
  const r = { faces: [{ fake: 0.2 }, { fake: 0.9 }], fake: 0.9 };
  assert.equal(imageVerdictFor(r, 0.5, [0.4, 0.6]), 'likely_manipulated');
  assert.match(imageVerdictText({ faces: [{ fake: 0.55 }], fake: 0.55 }, 0.5, [0.4, 0.6]), /^Inconclusive/);
});

test('scores print with one decimal at most, never 0% or 100%', () => {
  assert.equal(formatScore(0.9995), '99.9%');
  assert.equal(formatScore(1), '99.9%');
  assert.equal(formatScore(0), '0.1%');
  assert.equal(formatScore(0.919), '91.9%');
  assert.equal(formatScore(0.5), '50%');
  assert.equal(formatScore(0.12345), '12.3%');
  assert.equal(detectorText(0.976), 'face found (98% sure)');
});

test('face text names the likelier kind only when the face is not "no sign"', () => {
  const kind = { synthetic: 0.8, swap: 0.2 };
  assert.match(faceVerdictText({ fake: 0.95, kind }, 0.5, [0.4, 0.6]), /likely manipulated \(95%\); looks generated/);
  assert.equal(faceVerdictText({ fake: 0.1, kind }, 0.5, [0.4, 0.6]), 'no sign of manipulation (10%)');
  assert.match(kindText({ synthetic: 0.1, swap: 0.9 }), /face swap or reenactment, 90%/);
  assert.equal(kindText(null), null);
});

test('a face scored turned upright says so', () => {
  const face = { fake: 0.9, kind: null, rotation: 180 };
  assert.match(faceVerdictText(face, 0.5, [0.4, 0.6]), /; scored upright \(the face was upside down in the photo\)$/);
  assert.match(faceVerdictText({ ...face, rotation: 90 }, 0.5, [0.4, 0.6]), /on its side in the photo\)$/);
  assert.doesNotMatch(faceVerdictText({ ...face, rotation: 0 }, 0.5, [0.4, 0.6]), /upright/);
});

test('faceVerdictText: a small face says what its size costs (fewer fakes caught; tinier, more false alarms)', () => {
  const at = (side, fake) => faceVerdictText({ fake, kind: null, box: [10, 20, side, side + 4] }, 0.5, [0.4, 0.6]);
  assert.equal(at(SMALL_FACE_PX - 1, 0.1), `no sign of manipulation (10%); small face (${SMALL_FACE_PX - 1} px across): fakes are caught less often this small`);
  assert.match(at(24.4, 0.5), /^inconclusive \(50%\); small face \(24 px across\)/);
  // The narrower side counts; at the size and above, and for a flagged face, no caveat.
  assert.match(faceVerdictText({ fake: 0.1, box: [0, 0, 80, 30] }, 0.5, [0.4, 0.6]), /small face \(30 px across\)/);
  assert.equal(at(SMALL_FACE_PX, 0.1), 'no sign of manipulation (10%)');
  assert.equal(at(TINY_FACE_PX, 0.9), 'likely manipulated (90%)');
  // Tinier still, false alarms rise too: a flagged face says so.
  assert.match(at(TINY_FACE_PX - 4, 0.9), /^likely manipulated \(90%\); small face \(16 px across\): false alarms are more common this small$/);
  assert.equal(faceVerdictText({ fake: 0.1 }, 0.5, [0.4, 0.6]), 'no sign of manipulation (10%)', 'no box, no caveat');
});

test('resultJson clamps boxes to the image and records the threshold', () => {
  const r = { width: 100, height: 50, fake: 0.8, faces: [{ box: [-10, 5, 40, 60], score: 0.9, keypoints: [], fake: 0.8, kind: null }] };
  const j = resultJson('x.jpg', r, 0.5, [0.4, 0.6]);
  assert.deepEqual(j.faces[0].box, [0, 5, 30, 45]);
  assert.equal(j.threshold, 0.5);
  assert.equal(j.verdict, 'likely_manipulated');
  assert.equal(j.faces[0].verdict, 'likely_manipulated');
  assert.equal(j.decoded_by, null, 'decoded by the module');
  assert.equal(resultJson('x.webp', { ...r, decodedBy: 'ffmpeg (WebP)' }, 0.5).decoded_by, 'ffmpeg (WebP)');
});

test('a valid manifest that declares generative AI makes the image declared_ai, named by its signer', async () => {
  const { mergeC2pa } = await import('../../bindings/js/c2pa.js');
  const result = { faces: [{ fake: 0.1 }], fake: 0.1,
    provenance: { c2pa: { present: true, container: 'JPEG APP11' }, metadata: {}, ai_declared: false, unreadable: [] } };
  mergeC2pa(result.provenance, { verified: true, valid: true, generative: true, digital_source_type: 'trainedAlgorithmicMedia',
    signer: 'C=US, O=Example, CN=Example Signer', trust: 'signer not checked against a trust list', actions: ['c2pa.created'] });
  assert.equal(result.provenance.ai_declared, true);
  assert.equal(imageVerdictFor(result, 0.5, [0.4, 0.6]), 'declared_ai');
  assert.match(imageVerdictText(result, 0.5, [0.4, 0.6]), /^Declared AI-generated by its Content Credentials \(trainedAlgorithmicMedia\), signed by Example Signer/);
  // The same manifest failing verification declares nothing.
  const bad = { faces: [], fake: null, provenance: { c2pa: { present: true }, metadata: {}, ai_declared: false } };
  mergeC2pa(bad.provenance, { verified: true, valid: false, generative: true, errors: ['claimSignature.mismatch'] });
  assert.equal(bad.provenance.ai_declared, false);
  assert.match(provenanceLines(bad.provenance)[0], /INVALID/);
  assert.deepEqual(provenanceLines({ c2pa: null, metadata: {}, unreadable: [] }), [], 'no metadata, nothing said');
});

test('one list of error codes: every code the sources raise is in ERROR_CODES and the .d.ts ErrorCode', () => {
  const used = new Set();
  const scan = (dir, re) => {
    for (const f of fs.readdirSync(path.join(ROOT, dir), { recursive: true })) {
      if (!/\.(m?js|cjs|cc|cpp|h)$/.test(f)) continue;
      const text = fs.readFileSync(path.join(ROOT, dir, f), 'utf8');
      for (const m of text.matchAll(re)) used.add(m[1]);
    }
  };
  // JS: DeepfakeShieldError('CODE', ...), { code: 'CODE' }, code || 'CODE'; C++: code_name's strings.
  const js = /(?:DeepfakeShieldError\(\s*'|code:\s*'|code \|\| ')([A-Z][A-Z_]+)'/g;
  for (const dir of ['bindings/js', 'web', 'bin']) scan(dir, js);
  scan('src/core', /return "([A-Z][A-Z_]+)";/g);
  used.delete('OK');
  assert.ok(used.size >= 12, `found the codes in use: ${[...used].join(' ')}`);
  const listed = new Set(Object.keys(ERROR_CODES));
  for (const c of used) assert.ok(listed.has(c), `${c} is used but not in ERROR_CODES`);
  const dts = fs.readFileSync(path.join(ROOT, 'bindings/js/index.d.ts'), 'utf8');
  const union = /export type ErrorCode =([^;]+);/.exec(dts)[1];
  assert.deepEqual(new Set([...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1])), listed, 'ErrorCode matches ERROR_CODES');
  // And no code is listed that nothing raises.
  for (const c of listed) assert.ok(used.has(c), `${c} is listed but nothing raises it`);
});

test('measuredText: the held-out rates in words, the worst source only when it is worse', () => {
  const m = { real_flagged: 0.041, real_flagged_worst_source: 0.071, inconclusive: 0.196,
    fakesCaught: { dfdc: 0.466, gan: 0.652, diffusion: 0.871, swap: 0.38, reenactment: 0.03 } };
  assert.equal(measuredText(m), 'Measured on held-out validation faces at the default threshold: 4% of real faces flagged '
    + '(7% for the worst photo source), 20% of all faces inconclusive; fakes caught: DFDC video face swaps 47%, GAN faces 65%, '
    + 'diffusion faces 87%, other face swaps 38%, reenacted faces 3%. Fakes from generators unlike those it was trained on '
    + 'are caught far less often.');
  assert.doesNotMatch(measuredText({ ...m, real_flagged_worst_source: 0.041 }), /worst/);
  assert.equal(measuredText(null), null);
  assert.equal(measuredText({ fakesCaught: { gan: 0.5 } }), null);
});
