// The shared verdict module: the fixed verdict set, the inconclusive band, score text.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  VERDICTS, verdictFor, bandAt, imageVerdictFor, formatScore, detectorText, faceVerdictText,
  imageVerdictText, resultJson, kindText,
} from '../../bindings/js/verdict.js';

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

test('resultJson clamps boxes to the image and records the threshold', () => {
  const r = { width: 100, height: 50, fake: 0.8, faces: [{ box: [-10, 5, 40, 60], score: 0.9, keypoints: [], fake: 0.8, kind: null }] };
  const j = resultJson('x.jpg', r, 0.5, [0.4, 0.6]);
  assert.deepEqual(j.faces[0].box, [0, 5, 30, 45]);
  assert.equal(j.threshold, 0.5);
  assert.equal(j.verdict, 'likely_manipulated');
  assert.equal(j.faces[0].verdict, 'likely_manipulated');
});
