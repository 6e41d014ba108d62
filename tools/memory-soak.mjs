#!/usr/bin/env node
// Long leak check: N checks (default 10,000) of good and bad inputs in one checker instance;
// prints wasm heap in use, wasm memory and JS heap before/after (readings every N/10 checks) and
// exits 1 if any grew after the warm-up.   node --expose-gc tools/memory-soak.mjs [N]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createChecker } from '../dist/index.js';
import { workload, runChecks, reading } from '../tests/corpus/memory_mix.mjs';

const N = Number(process.argv[2] ?? 10000);
if (!Number.isInteger(N) || N < 10) {
  console.error('usage: node --expose-gc tools/memory-soak.mjs [N >= 10]');
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const facePath = path.resolve(root, '../shared/testdata/lfw-real/real-0001.jpg');
const face = fs.existsSync(facePath) ? new Uint8Array(fs.readFileSync(facePath)) : null;
if (!face) console.log('memory-soak: ../shared is absent, running without the face photo');

const checker = await createChecker();
const items = workload(face);
const warm = items.length * 3;
const t0 = performance.now();
runChecks(checker, items, warm);
const before = reading(checker);
console.log(`warm-up ${warm} checks; workload of ${items.length} inputs:`, items.map((x) => x[0]).join(', '));
console.log('checks      heapInUse    wasmMemory   jsHeapUsed');
const row = (n, r) => console.log(String(n).padStart(6), String(r.heapInUse).padStart(13), String(r.wasmMemory).padStart(13),
  String(r.jsHeapUsed).padStart(12));
row(0, before);
const codes = {};
const step = Math.ceil(N / 10);
let done = 0, peakJs = before.jsHeapUsed;
while (done < N) {
  const n = Math.min(step, N - done);
  for (const [k, v] of Object.entries(runChecks(checker, items, n, warm + done))) codes[k] = (codes[k] ?? 0) + v;
  done += n;
  const r = reading(checker);
  peakJs = Math.max(peakJs, r.jsHeapUsed);
  row(done, r);
}
const after = reading(checker);
const secs = (performance.now() - t0) / 1000;
console.log(`outcomes: ${JSON.stringify(codes)}; ${secs.toFixed(1)} s, ${(secs * 1000 / (N + warm)).toFixed(2)} ms per check`);
const growth = {
  heapInUse: after.heapInUse - before.heapInUse,
  wasmMemory: after.wasmMemory - before.wasmMemory,
  jsHeapUsed: after.jsHeapUsed - before.jsHeapUsed,
};
console.log(`growth after ${N} checks: ${JSON.stringify(growth)} bytes (JS heap peak between readings ${peakJs})`);
const ok = growth.heapInUse <= 0 && growth.wasmMemory === 0 && growth.jsHeapUsed < 2 << 20;
console.log(ok ? 'memory-soak: flat' : 'memory-soak: GREW');
checker.dispose();
process.exit(ok ? 0 : 1);
