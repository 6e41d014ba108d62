// Whole networks in our WebAssembly engine against an independent engine, onnxruntime-web,
// on the same weights and input (tests/golden: ONNX exported by torch from the same weights).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { createRawModel } from '../../dist/index.js';
import { ROOT } from './helpers.mjs';
import { formulaInput } from '../../tools/golden/formula.mjs';

ort.env.wasm.numThreads = 1;


test('EfficientNet (width 0.25, 224): our wasm engine equals onnxruntime-web on the same weights', async () => {
  const model = fs.readFileSync(path.join(ROOT, 'build-golden/effnet_w025_synth.dfs'));
  const ours = await createRawModel(new Uint8Array(model));
  assert.equal(ours.kind, 'efficientnet');
  const a = ours.run(formulaInput(224, 224, 'nhwc')).logit;
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(ROOT, 'tests/golden/effnet_w025_synth.onnx')));
  const out = await session.run({ input: new ort.Tensor('float32', formulaInput(224, 224, 'nchw'), [1, 3, 224, 224]) });
  const b = out.logit.data[0];
  const golden = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/golden/effnet_w025_synth.json'))).logit;
  assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `ours ${a} vs ORT ${b}`);
  assert.ok(Math.abs(a - golden) <= 1e-4, `ours ${a} vs torch ${golden}`);
  ours.dispose();
});

test('BlazeFace raw outputs in wasm match the PyTorch goldens', async () => {
  for (const [kind, size] of [['short', 128], ['full', 192]]) {
    const ours = await createRawModel(new Uint8Array(fs.readFileSync(path.join(ROOT, `models/blazeface_${kind}.dfs`))));
    const r = ours.run(formulaInput(size, size, 'nhwc'));
    const g = new Float32Array(new Uint8Array(fs.readFileSync(path.join(ROOT, `tests/golden/blazeface_${kind}.bin`))).buffer);
    const n = r.scores.length;
    // Scores: 1e-4 absolute. Regressors reach ~100 (pixels at the input scale), where float32
    // summation order alone moves ~1e-4: 1e-4 absolute below 1, relative above.
    let ms = 0, mb = 0;
    for (let i = 0; i < n; i++) ms = Math.max(ms, Math.abs(r.scores[i] - g[i]));
    for (let i = 0; i < n * 16; i++) mb = Math.max(mb, Math.abs(r.boxes[i] - g[n + i]) / Math.max(1, Math.abs(g[n + i])));
    console.log(`blazeface ${kind} wasm vs torch: max |diff| scores ${ms.toExponential(2)}, boxes (rel above 1) ${mb.toExponential(2)}`);
    assert.ok(ms < 1e-4 && mb < 1e-4, `${kind}: max |diff| scores ${ms}, boxes ${mb}`);
    ours.dispose();
  }
});

test('raw model rejects wrong inputs with clear codes', async () => {
  const ours = await createRawModel(new Uint8Array(fs.readFileSync(path.join(ROOT, 'models/blazeface_short.dfs'))));
  assert.throws(() => ours.run(new Float32Array(10)), (e) => e.code === 'INVALID_ARGUMENT');
  assert.throws(() => ours.run([1, 2, 3]), (e) => e.code === 'INVALID_ARGUMENT');
  ours.dispose();
  await assert.rejects(createRawModel(new Uint8Array(64)), (e) => e.code === 'BAD_MODEL');
});
