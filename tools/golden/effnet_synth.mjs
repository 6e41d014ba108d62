// Rebuilds a synthetic-weights golden model (X.dfs) from its committed header bytes (X.dfs.json);
// the Node twin of effnet_synth.py, whose docstring defines the values. Bit-identical output.
//   node tools/golden/effnet_synth.mjs tests/golden/effnet_b0_synth.dfs.json OUT.dfs [SHA256]
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { frameDfs } from '../convert/dfs_writer.js';

export function hash32(x) {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const product = (dims) => dims.reduce((a, b) => a * b, 1);

// headerBytes: the exact JSON header. Returns the whole .dfs file as a Uint8Array.
export function materialize(headerBytes) {
  const header = JSON.parse(new TextDecoder().decode(headerBytes));
  const { seed, gain, bias_range: biasRange } = header.provenance.synth;
  const table = header.tensors;
  const shapes = new Map(table.map((t) => [t.name, t.shape]));
  const last = table[table.length - 1];
  const data = new Uint8Array(last.offset + last.nbytes);
  const dv = new DataView(data.buffer);
  table.forEach((t, j) => {
    const n = product(t.shape);
    const key = hash32((seed + Math.imul(0x9e3779b9, j + 1)) >>> 0);
    const base = t.offset;
    if (t.dtype === 'i8') {
      for (let i = 0; i < n; i++) dv.setInt8(base + i, (hash32((key ^ i) >>> 0) % 255) - 127);
    } else if (t.dtype === 'f32' && t.name.endsWith(':scale')) {
      const w = shapes.get(t.name.slice(0, -':scale'.length));
      const a = (Math.sqrt(3 / product(w.slice(0, -1))) * gain) / 127;
      for (let i = 0; i < n; i++) {
        const u = hash32((key ^ i) >>> 0) / 4294967296;
        dv.setFloat32(base + 4 * i, Math.fround(a * (0.75 + 0.5 * u)), true);
      }
    } else if (t.dtype === 'f32') {
      for (let i = 0; i < n; i++) {
        const u = hash32((key ^ i) >>> 0) / 4294967296;
        dv.setFloat32(base + 4 * i, Math.fround(biasRange * (u - 0.5)), true);
      }
    } else {
      throw new Error(`${t.name}: synthetic ${t.dtype} not defined`);
    }
  });
  return frameDfs(headerBytes, data);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [jsonPath, outPath, sha] = process.argv.slice(2);
  if (!jsonPath || !outPath) {
    console.error('usage: node effnet_synth.mjs X.dfs.json OUT.dfs [SHA256]');
    process.exit(2);
  }
  const blob = materialize(new Uint8Array(readFileSync(jsonPath)));
  const got = createHash('sha256').update(blob).digest('hex');
  if (sha && sha !== got) {
    console.error(`sha256 mismatch: got ${got}, expected ${sha}`);
    process.exit(1);
  }
  writeFileSync(outPath, blob);
  console.log(`${outPath}: ${blob.length} bytes, sha256 ${got}`);
}
