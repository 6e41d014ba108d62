// No memory growth across many checks in one instance: after a warm-up, the wasm heap in use, the
// wasm memory size and the JS heap are the same after 300 more checks of good and bad inputs.
// (The 10,000-check run is tools/memory-soak.mjs.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { createChecker } from '../../dist/index.js';
import { faceFixture } from './helpers.mjs';
import { workload, runChecks, reading } from '../corpus/memory_mix.mjs';

test('heap stays flat over 300 mixed checks', async () => {
  const checker = await createChecker();
  const face = faceFixture();
  const items = workload(face);
  // Warm-up: every item a few times, so one-time allocations (buffers sized by the largest input
  // seen, JIT, caches) are behind us before the first reading.
  runChecks(checker, items, items.length * 3);
  const before = reading(checker);
  const codes = runChecks(checker, items, 300, items.length * 3);
  const after = reading(checker);
  console.log(`[memory] 300 checks ${JSON.stringify(codes)}: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
  assert.ok(codes.OK > 50 && Object.keys(codes).length >= 5, 'the mix has good images and several error kinds');
  // malloc's in-use count is exact: freed memory is subtracted, so any per-check leak shows up.
  assert.equal(after.heapInUse, before.heapInUse, 'wasm heap in use grew');
  assert.equal(after.wasmMemory, before.wasmMemory, 'wasm memory grew');
  // The JS heap has collector noise; a leak of even 4 kB per check would be 1.2 MB here.
  assert.ok(after.jsHeapUsed - before.jsHeapUsed < 1 << 20,
    `JS heap grew by ${after.jsHeapUsed - before.jsHeapUsed} bytes`);
  checker.dispose();
});

test('memory goes back after a huge image: the checker moves to a fresh instance past its ceiling', async () => {
  const { png } = await import('../corpus/generate.mjs');
  const ceiling = 64 * 2 ** 20;
  await assert.rejects(createChecker({ memoryCeiling: 1000 }), { code: 'INVALID_ARGUMENT' });
  const checker = await createChecker({ memoryCeiling: ceiling });
  // A real face, so the fresh instance's detector and classifier are compared too.
  const small = faceFixture();
  const ref = await checker.check(small);
  const start = checker.memoryBytes();
  assert.ok(start <= ceiling, `a fresh checker is under the ceiling (${start})`);
  // 3000 x 2500 RGB, one colour per 16-pixel block: the decoded RGBA alone is 30 MB, and the
  // pipeline's working copies take the module's memory well past 64 MiB.
  const big = png(3000, 2500, { sample: (x, y, c) => ((x >> 4) * 7 + (y >> 4) * 13 + c * 50) & 255 });
  const r = await checker.check(big);
  assert.equal(r.width, 3000);
  assert.equal(checker.renewals, 1, 'moved to a fresh instance once');
  assert.ok(checker.memoryBytes() <= ceiling, `memory back under the ceiling: ${checker.memoryBytes()}`);
  // The fresh instance carries the same models and gives the same results.
  const again = await checker.check(small);
  assert.deepEqual(again.faces, ref.faces);
  // checkSync right after a huge image keeps working on the old instance while the new one loads.
  checker.checkSync(big);
  assert.deepEqual(checker.checkSync(small).faces, ref.faces);
  await checker.check(small);
  assert.equal(checker.renewals, 2);
  // Infinity turns it off.
  const keep = await createChecker({ memoryCeiling: Infinity, models: { classifier: null } });
  const keepStart = keep.memoryBytes();
  await keep.check(big);
  assert.equal(keep.renewals, 0);
  assert.ok(keep.memoryBytes() > keepStart + 16 * 2 ** 20, 'without renewal the grown memory stays (what the ceiling fixes)');
  keep.dispose();
  checker.dispose();
});
