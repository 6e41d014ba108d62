// The threaded module in real Chromium: a cross-origin isolated page (COOP + COEP, served under
// /isolated/) loads deepfake-shield-mt and checks with several threads, with outputs equal bit
// for bit to the single-thread module's; an ordinary page keeps one thread.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SKIP_BROWSER, ROOT, photo, artifact, logRequests, waitChecker, waitCards, readCard, pageEnv } from './helpers.mjs';
import { formatScore } from '../../bindings/js/verdict.js';

const MT = ['deepfake-shield-mt.mjs', 'deepfake-shield-mt.wasm', 'deepfake-shield-mt.worker.js'];
const skip = SKIP_BROWSER || (!MT.every((f) => fs.existsSync(path.join(ROOT, 'dist', f))) && 'dist/ lacks the threaded module (npm run build)');
const env = pageEnv(skip);

test('an isolated page checks with the threaded module; the card equals the Node API\'s', { skip, timeout: 180000 }, async () => {
  const context = await env.browser.newContext();
  const log = logRequests(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.srv.url}/isolated/web/`);
  await waitChecker(page);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  // threads: 'auto' (the page's choice) uses threads only from 4 hardware threads up.
  const want = cores >= 4 ? Math.min(4, cores) : 1;
  if (want > 1) assert.match(await page.textContent('#status'), new RegExp(`Using ${want} threads`));
  else assert.match(await page.textContent('#status'), /Using one thread: with \d hardware threads/);
  // The worker fetched the threaded module (the service worker also caches the single-thread
  // one for offline use, so its request proves nothing either way).
  const paths = log.map((r) => new URL(r.url).pathname);
  if (want > 1) assert.ok(paths.includes('/isolated/dist/deepfake-shield-mt.wasm'), paths.join(' '));
  const file = photo('lfw-real/real-0003.jpg');
  await page.setInputFiles('#file', file);
  await waitCards(page, 1);
  const card = await readCard(page, 'real-0003.jpg');
  const expected = env.node.checkSync(new Uint8Array(fs.readFileSync(file)));
  assert.equal(card.boxes.length, expected.faces.length);
  expected.faces.forEach((f, i) => {
    const b = card.boxes[i];
    [b.x, b.y, b.w, b.h].forEach((v, k) => assert.ok(Math.abs(v - f.box[k]) < 1e-3 * Math.max(1, Math.abs(f.box[k])), `box[${k}] ${v} vs ${f.box[k]}`));
    if (f.fake != null) assert.ok(card.faces[i].includes(`(${formatScore(f.fake)})`), card.faces[i]);
  });
  for (const r of log) assert.equal(new URL(r.url).origin === env.srv.url || r.url.startsWith('blob:'), true, r.url);
  assert.deepEqual(errors, []);
  await page.screenshot({ path: artifact('page-threads.png'), fullPage: true });
  await context.close();
});

test('threads give bit-identical raw outputs and checks; an ordinary page stays on one thread', { skip, timeout: 180000 }, async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${env.srv.url}/isolated/web/`);
  await waitChecker(page);
  // The page's own checker (in its worker) holds its thread workers; the ones made below must
  // all be gone again after their dispose().
  const mtWorkers = () => page.workers().filter((w) => /deepfake-shield-mt\.worker\.js$/.test(w.url())).length;
  const baseline = mtWorkers();
  const jpeg = [...fs.readFileSync(photo('lfw-real/real-0001.jpg'))];
  const r = await page.evaluate(async (bytes) => {
    const api = await import('/isolated/dist/index.js');
    const load = async (f) => new Uint8Array(await (await fetch(`/isolated/models/${f}`)).arrayBuffer());
    const out = { available: api.threadsAvailable(), nets: [] };
    for (const f of ['blazeface_short.dfs', 'blazeface_full.dfs', 'classifier.dfs']) {
      const model = await load(f);
      const one = await api.createRawModel(model, { threads: 1 });
      const two = await api.createRawModel(model, { threads: 2 });
      const x = new Float32Array(one.height * one.width * 3).map((_, i) => Math.sin(i * 0.37));
      const a = one.run(x), b = two.run(x);
      const same = (p, q) => p.length === q.length && p.every((v, i) => Object.is(v, q[i]));
      out.nets.push({ f, threads: [one.threads, two.threads],
        same: a.logit !== undefined ? Object.is(a.logit, b.logit) : same(a.scores, b.scores) && same(a.boxes, b.boxes) });
      one.dispose(); two.dispose();
    }
    const c1 = await api.createChecker({ threads: 1 }), c2 = await api.createChecker({ threads: 2 });
    const img = new Uint8Array(bytes);
    const r1 = c1.checkSync(img), r2 = c2.checkSync(img);
    out.checkers = [c1.threads, c2.threads];
    out.sameCheck = JSON.stringify(r1.faces) === JSON.stringify(r2.faces) && r1.faces.length > 0;
    // Bad input on the threaded module: a clear error, then it still works.
    try { c2.checkSync(new Uint8Array([0xff, 0xd8, 0xff, 0x00])); out.bad = 'no error'; } catch (e) { out.bad = e.code; }
    out.after = c2.checkSync(img).faces.length;
    let badThreads;
    try { await api.createChecker({ threads: 0 }); } catch (e) { badThreads = e.code; }
    out.badThreads = badThreads;
    c1.dispose(); c2.dispose();
    return out;
  }, jpeg);
  // Every checker and raw model above was disposed: none of their threads' workers is left.
  for (let i = 0; i < 50 && mtWorkers() > baseline; i++) await new Promise((res) => setTimeout(res, 100));
  assert.equal(mtWorkers(), baseline, `thread workers: ${baseline} before, ${mtWorkers()} after dispose()`);
  assert.equal(r.available, true);
  for (const n of r.nets) {
    assert.deepEqual(n.threads, [1, 2], n.f);
    assert.ok(n.same, `${n.f}: 2 threads equal 1 thread bit for bit`);
  }
  assert.deepEqual(r.checkers, [1, 2]);
  assert.ok(r.sameCheck, 'same faces and scores');
  assert.match(r.bad, /CORRUPT_IMAGE|UNSUPPORTED_FORMAT|TRUNCATED/);
  assert.equal(r.after, 1);
  assert.equal(r.badThreads, 'INVALID_ARGUMENT');

  // The same request on an ordinary page: no isolation, so one thread and the plain module.
  const plain = await context.newPage();
  await plain.goto(`${env.srv.url}/web/`);
  const p = await plain.evaluate(async () => {
    const api = await import('/dist/index.js');
    const c = await api.createChecker({ threads: 'auto' });
    const t = c.threads;
    c.dispose();
    return { available: api.threadsAvailable(), threads: t, isolated: crossOriginIsolated };
  });
  assert.deepEqual(p, { available: false, threads: 1, isolated: false });
  await context.close();
});
