// No memory growth across many checks in one instance: after a warm-up, the wasm heap in use, the
// wasm memory size and the JS heap are the same after 300 more checks of good and bad inputs.
// (The 10,000-check run is tools/memory-soak.mjs.)
import test from 'node:test';
import assert from 'node:assert/strict';
import { createChecker } from '../../dist/index.js';
import { HAVE_SHARED, sharedFile } from './helpers.mjs';
import { workload, runChecks, reading } from '../corpus/memory_mix.mjs';

test('heap stays flat over 300 mixed checks', async () => {
  const checker = await createChecker();
  const face = HAVE_SHARED ? sharedFile('testdata/lfw-real/real-0001.jpg') : null;
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
