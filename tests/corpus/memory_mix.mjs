// The workload of the leak checks (tests/node/memory.test.mjs, tools/memory-soak.mjs): good and
// hostile inputs in a fixed rotation, and the heap readings taken around it.
import v8 from 'node:v8';
import vm from 'node:vm';
import { png, pngHeaderOnly, jpeg, gif, jpegSegment, dhtBody, JPEG_TABLES, concat } from './generate.mjs';

// A gc() even without --expose-gc, so the JS heap reading is of live objects only.
export const gc = (() => {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
})();

/** [label, input, options, expected code or null] entries; `face` (optional) is a photo's bytes. */
export function workload(face) {
  const { DC_BITS } = JPEG_TABLES;
  const tooManyCodes = jpeg(16, 16, { dht: [jpegSegment(0xc4, dhtBody(0, 0, DC_BITS, [...Array(12).keys()])),
    jpegSegment(0xc4, dhtBody(1, 0, new Array(16).fill(17), new Array(272).fill(1)))] });
  const j = jpeg(64, 48);
  const random = new Uint8Array(513).map((_, i) => (i * 2654435761) >>> 24);
  const px = new Uint8Array(50 * 40 * 4).map((_, i) => (i * 31) & 255);
  const items = [
    ['png 96x64', png(96, 64), {}, null],
    ['jpeg 64x48', j, {}, null],
    ['gif 3 frames', gif(30, 20, 3), {}, null],
    ['pixels 50x40', { data: px, width: 50, height: 40 }, {}, null],
    ['jpeg truncated', j.subarray(0, j.length >> 1), {}, null], // may decode grey-filled: either way
    ['random bytes', random, {}, 'UNSUPPORTED_FORMAT'],
    ['empty', new Uint8Array(0), {}, 'EMPTY_INPUT'],
    ['png signature + garbage', concat([png(1, 1).subarray(0, 8), random]), {}, 'CORRUPT_IMAGE'],
    ['png 100000x100000 header', pngHeaderOnly(100000, 100000), {}, 'IMAGE_TOO_LARGE'],
    ['over maxPixels', png(96, 64), { maxPixels: 1000 }, 'IMAGE_TOO_LARGE'],
    ['DHT with 272 codes', tooManyCodes, {}, 'CORRUPT_IMAGE'],
    ['wrong type', 'photo.jpg', {}, 'INVALID_ARGUMENT'],
  ];
  if (face) items.push(['face photo', face, {}, null], ['face photo, heatmap', face, { heatmap: true }, null]);
  return items;
}

/** Runs n checks over the rotation; throws on an unexpected outcome. Returns codes by count. */
export function runChecks(checker, items, n, start = 0) {
  const codes = {};
  for (let i = start; i < start + n; i++) {
    const [label, input, options, want] = items[i % items.length];
    let code = 'OK';
    try {
      const r = checker.checkSync(input, options);
      if (!Array.isArray(r.faces)) throw new Error(`${label}: result without faces`);
    } catch (e) {
      if (!e.code || e.name !== 'DeepfakeShieldError') throw e;
      code = e.code;
    }
    if (want !== null && code !== want) throw new Error(`${label}: got ${code}, want ${want}`);
    codes[code] = (codes[code] ?? 0) + 1;
  }
  return codes;
}

export function reading(checker) {
  gc();
  gc();
  return { heapInUse: checker.heapInUse(), wasmMemory: checker.memoryBytes(), jsHeapUsed: process.memoryUsage().heapUsed };
}
