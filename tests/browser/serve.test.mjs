// tools/serve.js over HTTP (no browser needed): what it serves, with which types and caching
// headers, what it refuses, and the strict-CSP variant.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { ROOT } from '../node/helpers.mjs';
import { startServer } from '../../tools/serve.js';

let srv;
before(async () => { srv = await startServer({ port: 0 }); });
after(async () => { await srv?.close(); });

// Raw request: fetch() would normalise "/web/../x" before sending it.
function get(p, { method = 'GET', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${srv.url}${p}`, { method, headers, path: p }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves the page, the module and the models with the right types', async () => {
  const cases = [['/web/', 'text/html'], ['/web/app.js', 'text/javascript'], ['/web/style.css', 'text/css'],
    ['/web/icon.svg', 'image/svg+xml'], ['/models/blazeface_short.dfs', 'application/octet-stream']];
  if (fs.existsSync(path.join(ROOT, 'dist/deepfake-shield.wasm'))) cases.push(['/dist/deepfake-shield.wasm', 'application/wasm'], ['/dist/index.js', 'text/javascript']);
  for (const [p, type] of cases) {
    const r = await get(p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers['content-type'].split(';')[0], type, p);
    const file = p.endsWith('/') ? path.join(ROOT, p, 'index.html') : path.join(ROOT, p);
    assert.ok(r.body.equals(fs.readFileSync(file)), `${p}: the file's bytes`);
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal(r.headers['content-security-policy'], undefined, 'no CSP header outside /strict/');
    assert.equal(r.headers['cross-origin-embedder-policy'], undefined, 'no COOP/COEP needed');
  }
});

test('revalidation answers 304 for an unchanged file', async () => {
  const first = await get('/models/blazeface_full.dfs');
  assert.ok(first.headers.etag);
  const again = await get('/models/blazeface_full.dfs', { headers: { 'If-None-Match': first.headers.etag } });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  const head = await get('/models/blazeface_full.dfs', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers['content-length']), first.body.length);
  assert.equal(head.body.length, 0);
});

test('refuses everything outside web/, dist/ and models/, and non-GET methods', async () => {
  for (const p of ['/package.json', '/.git/config', '/web/../package.json', '/web/%2e%2e/package.json', '/web/..%2f..%2fetc/passwd',
    '/src/', '/models/../tools/serve.js', '/web/nope.js', '/web/%00']) {
    assert.equal((await get(p)).status, 404, p);
  }
  assert.equal((await get('/web/', { method: 'POST' })).status, 405);
  const root = await get('/');
  assert.equal(root.status, 302);
  assert.equal(root.headers.location, '/web/');
  const noSlash = await get('/web/extension');
  assert.equal(noSlash.status, 404, 'no index.html in the extension folder');
});

test('/strict/ serves the same files with a CSP that forbids eval and other origins', async () => {
  const r = await get('/strict/web/worker.js');
  assert.equal(r.status, 200);
  assert.ok(r.body.equals(fs.readFileSync(path.join(ROOT, 'web/worker.js'))));
  const csp = r.headers['content-security-policy'];
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(csp, /'unsafe-eval'|'unsafe-inline'/);
  assert.match(csp, /default-src 'self'/);
  assert.equal((await get('/strict')).headers.location, '/strict/web/');
});

test('/isolated/ adds COOP + COEP (cross-origin isolation for the threaded module); plain paths do not', async () => {
  const r = await get('/isolated/web/worker.js');
  assert.equal(r.status, 200);
  assert.ok(r.body.equals(fs.readFileSync(path.join(ROOT, 'web/worker.js'))));
  assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
  assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.equal(r.headers['content-security-policy'], undefined);
  const plain = await get('/web/worker.js');
  assert.equal(plain.headers['cross-origin-opener-policy'], undefined);
  assert.equal(plain.headers['cross-origin-embedder-policy'], undefined);
  assert.equal((await get('/isolated')).headers.location, '/isolated/web/');
  assert.equal((await get('/isolated/../tools/serve.js')).status, 404);
});
