// Threaded module vs the single-thread one, side by side in one Chromium page that is
// cross-origin isolated (tools/serve.js /isolated/): raw forwards of each network and the whole
// check of a 1280x720 photo, interleaved, medians of wall time (threads are about wall time).
//   node bench/threads.mjs [--runs N] [--threads N] [--json]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../tools/serve.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : def; };
const runs = opt('--runs', 30), threads = opt('--threads', 2), warmup = 5;
const photo = path.resolve(ROOT, '../shared/testdata/seed-examples/donald_bean_2.jpg');
for (const f of ['dist/deepfake-shield-mt.wasm', 'dist/deepfake-shield.wasm']) {
  if (!fs.existsSync(path.join(ROOT, f))) { console.error(`bench/threads: ${f} missing (npm run build)`); process.exit(1); }
}
const srv = await startServer({ port: 0 });
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: process.env.DFS_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage();
  await page.goto(`${srv.url}/isolated/web/`);
  const jpeg = fs.existsSync(photo) ? [...fs.readFileSync(photo)] : null;
  const res = await page.evaluate(async ({ runs, warmup, threads, jpeg }) => {
    const api = await import('/isolated/dist/index.js');
    if (!api.threadsAvailable()) throw new Error('page is not cross-origin isolated');
    const load = async (f) => new Uint8Array(await (await fetch(`/isolated/models/${f}`)).arrayBuffer());
    const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
    const rows = [];
    const pair = async (name, make) => {
      const one = await make(1), many = await make(threads);
      const t = [[], []];
      for (let i = 0; i < warmup + runs; i++) {
        for (const [k, e] of [one, many].entries()) {
          const t0 = performance.now();
          e.run();
          if (i >= warmup) t[k].push(performance.now() - t0);
        }
      }
      one.dispose(); many.dispose();
      rows.push({ name, one_ms: median(t[0]), many_ms: median(t[1]), threads: many.threads, speedup: median(t[0]) / median(t[1]) });
    };
    for (const f of ['blazeface_short.dfs', 'blazeface_full.dfs', 'classifier.dfs']) {
      const bytes = await load(f);
      await pair(f.replace('.dfs', ''), async (n) => {
        const m = await api.createRawModel(bytes, { threads: n });
        const x = new Float32Array(m.height * m.width * 3).map((_, i) => Math.sin(i * 0.37));
        return { run: () => m.run(x), dispose: () => m.dispose(), threads: m.threads };
      });
    }
    if (jpeg) {
      const img = new Uint8Array(jpeg);
      await pair('check 1280x720 JPEG (decode + detect + classify)', async (n) => {
        const c = await api.createChecker({ threads: n });
        return { run: () => c.checkSync(img), dispose: () => c.dispose(), threads: c.threads };
      });
    }
    return { rows, cores: navigator.hardwareConcurrency };
  }, { runs, warmup, threads, jpeg });
  if (args.includes('--json')) console.log(JSON.stringify(res.rows));
  else {
    console.log(`Chromium ${browser.version()}, ${res.cores} hardware threads, medians of ${runs} interleaved runs (wall ms)\n`);
    console.log(`| network | 1 thread (single-thread module) | ${threads} threads (threaded module) | speed-up |`);
    console.log('|---|---:|---:|---:|');
    for (const r of res.rows) console.log(`| ${r.name} | ${r.one_ms.toFixed(2)} | ${r.many_ms.toFixed(2)} (${r.threads}) | ${r.speedup.toFixed(2)}x |`);
  }
} finally {
  await browser.close();
  await srv.close();
}
