// The shipped classifier in the wasm engine against PyTorch on real validation crops: the same
// float32 input (built by tools/train/engine_check.py from ../shared's DFDC shards), logits
// within 1e-3, for each crop and its mirror image (what flip TTA averages). Needs PyTorch
// (`bash tools/setup.sh --dev`) and ../shared; skips with the reason when either is missing.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRawModel } from '../../dist/index.js';
import { ROOT, SHARED, toolSkip } from './helpers.mjs';

const PY = '/usr/bin/python3';
const DFS = path.join(ROOT, 'models/classifier.dfs');
function skipReason() {
  if (!fs.existsSync(path.join(SHARED, 'data/dfdc-faces/manifest.csv'))) return '../shared/data/dfdc-faces is absent';
  if (!fs.existsSync(DFS)) return 'models/classifier.dfs is absent';
  const r = spawnSync(PY, ['-c', 'import torch, torchvision, PIL'], { stdio: 'ignore' });
  return r.status === 0 ? false : toolSkip('PyTorch is not installed (bash tools/setup.sh --dev)');
}

function mirrorNhwc(x, h, w) {
  const out = new Float32Array(x.length);
  for (let y = 0; y < h; y++)
    for (let c = 0; c < w; c++)
      out.set(x.subarray((y * w + c) * 3, (y * w + c) * 3 + 3), (y * w + (w - 1 - c)) * 3);
  return out;
}

test('classifier.dfs: wasm logits equal PyTorch on validation crops and their mirror images (1e-3)', { skip: skipReason() }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-engine-check-'));
  try {
    execFileSync(PY, [path.join(ROOT, 'tools/train/engine_check.py'), '--out', dir, '--dfs', DFS], { stdio: ['ignore', 'ignore', 'inherit'] });
    const want = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
    const bytes = fs.readFileSync(DFS);
    assert.equal(want.dfs_sha256, crypto.createHash('sha256').update(bytes).digest('hex'));
    const [n, h, w, c] = want.shape;
    assert.equal(c, 3);
    assert.ok(n >= 8 && want.labels.includes('FAKE') && want.labels.includes('REAL'));
    const raw = fs.readFileSync(path.join(dir, 'input.f32'));
    const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    assert.equal(all.length, n * h * w * 3);
    const model = await createRawModel(new Uint8Array(bytes));
    try {
      assert.equal(model.kind, 'efficientnet');
      assert.deepEqual([model.height, model.width], [h, w]);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const x = all.subarray(i * h * w * 3, (i + 1) * h * w * 3);
        const ra = model.run(x), rb = model.run(mirrorNhwc(x, h, w));
        const a = ra.logit, b = rb.logit;
        const pairs = [[a, want.logit[i], 'crop'], [b, want.logit_flip[i], 'mirror']];
        // The kind head (synthetic vs swap), when the file has one: the same comparison.
        assert.equal('kindLogit' in ra, 'kind_logit' in want, 'kind head in the engine and in PyTorch alike');
        if (want.kind_logit) pairs.push([ra.kindLogit, want.kind_logit[i], 'kind crop'], [rb.kindLogit, want.kind_logit_flip[i], 'kind mirror']);
        for (const [ours, ref, what] of pairs) {
          assert.ok(Number.isFinite(ours));
          assert.ok(Math.abs(ours - ref) <= 1e-3, `${want.files[i]} ${what}: wasm ${ours} vs PyTorch ${ref}`);
          worst = Math.max(worst, Math.abs(ours - ref));
        }
      }
      // The crops differ: a constant output would pass the comparison above only by accident.
      assert.ok(Math.max(...want.logit) - Math.min(...want.logit) > 0.1);
      console.log(`# ${n} validation crops (+ mirrors): max |wasm - PyTorch| logit ${worst.toExponential(2)}`);
    } finally {
      model.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
