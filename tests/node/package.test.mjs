// The npm package as a user gets it: `npm pack`, installed from the tarball into a fresh project,
// used from ESM, CommonJS and the installed bin, bundled by a real Vite build and a webpack 5
// build (default configs) that must emit the wasm and the models, and served by the Vite dev
// server; each app is loaded in Chromium and must check a photo like the Node API.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
import { ROOT, FACE_FIXTURE, faceFixture } from './helpers.mjs';

const run = promisify(execFile);
const CHROMIUM = process.env.DFS_CHROMIUM || '/usr/bin/chromium';
const PHOTO = FACE_FIXTURE;  // licence-clean, committed: these tests need a face, not a data set
const skip = !fs.existsSync(path.join(ROOT, 'dist/deepfake-shield.wasm')) ? 'dist/ is not built (run npm run build)' : false;

// npm run by `npm test` exports npm_* settings (prefix, package, lifecycle) that would point the
// nested npm at this repo; the consumer project must see a clean environment.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const sh = (cmd, args, cwd, timeout = 180000) => run(cmd, args, { cwd, env, timeout, maxBuffer: 64 << 20 });

let tmp, project, tarball, packed, expected;

before(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-pack-'));
  const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', tmp], ROOT);
  packed = JSON.parse(stdout)[0];
  tarball = path.join(tmp, packed.filename);
  project = path.join(tmp, 'consumer');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  await sh('npm', ['install', '--no-audit', '--no-fund', tarball], project);
  const { createChecker } = await import('../../dist/index.js');
  const c = await createChecker();
  expected = c.checkSync(faceFixture());
  c.dispose();
  assert.equal(expected.faces.length, 1, 'the test photo has one face');
});

after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

function sameFaces(got, label) {
  assert.equal(got.width, expected.width, label);
  assert.equal(got.faces.length, expected.faces.length, label);
  got.faces.forEach((f, i) => {
    f.box.forEach((v, k) => assert.ok(Math.abs(v - expected.faces[i].box[k]) <= 0.051, `${label}: box[${k}] ${v}`));
    assert.ok(Math.abs(f.score - expected.faces[i].score) <= 5e-5, `${label}: score`);
    if (expected.faces[i].fake == null) assert.equal(f.fake, null, label);
    else assert.ok(Math.abs(f.fake - expected.faces[i].fake) <= 5e-5, `${label}: fake`);
  });
}

test('the tarball holds the runtime and nothing else', { skip }, () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const f of ['package.json', 'bin/deepfake-shield.js', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts',
    'dist/deepfake-shield.mjs', 'dist/deepfake-shield.wasm', 'dist/verdict.js', 'dist/c2pa.js', 'dist/locate.js', 'models/blazeface_short.dfs', 'models/blazeface_full.dfs',
    'LICENSE', 'models/MODELS.md']) {
    assert.ok(files.includes(f), `${f} is packed`);
  }
  for (const f of files) assert.match(f, /^(package\.json|README\.md|LICENSE|bin\/[\w.-]+|dist\/[\w.-]+|models\/[\w.-]+\.dfs|models\/MODELS\.md)$/, `unexpected file in the package: ${f}`);
  const installed = path.join(project, 'node_modules/deepfake-shield');
  assert.ok(fs.statSync(path.join(installed, 'dist/deepfake-shield.wasm')).size > 100000);
  const pkg = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  assert.ok(fs.existsSync(path.join(installed, pkg.exports['.'].types)), 'types file exists');
  assert.equal(Object.keys(pkg.dependencies || {}).length, 0, 'no runtime dependencies');
});

test('ESM import from the installed package checks a photo', { skip, timeout: 120000 }, async () => {
  fs.writeFileSync(path.join(project, 'esm.mjs'), `import fs from 'node:fs';
import { createChecker, DeepfakeShieldError, VERSION } from 'deepfake-shield';
const checker = await createChecker();
const r = checker.checkSync(new Uint8Array(fs.readFileSync(process.argv[2])));
console.log(JSON.stringify({ ...r, models: Object.keys(checker.models), errorClass: typeof DeepfakeShieldError, version: VERSION, sha: checker.modelSha256 }));
`);
  const { stdout } = await sh(process.execPath, ['esm.mjs', PHOTO], project);
  const got = JSON.parse(stdout);
  sameFaces(got, 'esm');
  assert.ok(got.models.includes('detectorShort') && got.models.includes('detectorFull'));
  assert.equal(got.errorClass, 'function');
  assert.equal(got.version, packed.version, 'VERSION is package.json\'s');
  const sha = (f) => require('node:crypto').createHash('sha256').update(fs.readFileSync(path.join(ROOT, 'models', f))).digest('hex');
  assert.equal(got.sha.classifier, sha('classifier.dfs'), 'modelSha256 names the shipped classifier');
  assert.equal(got.sha.detectorShort, sha('blazeface_short.dfs'));
});

test('CommonJS require from the installed package checks a photo', { skip, timeout: 120000 }, async () => {
  fs.writeFileSync(path.join(project, 'cjs.cjs'), `const fs = require('node:fs');
const { createChecker, VERSION } = require('deepfake-shield');
createChecker().then((checker) => {
  const r = checker.checkSync(new Uint8Array(fs.readFileSync(process.argv[2])));
  console.log(JSON.stringify({ ...r, version: VERSION }));
});
`);
  const { stdout } = await sh(process.execPath, ['cjs.cjs', PHOTO], project);
  sameFaces(JSON.parse(stdout), 'cjs');
  assert.equal(JSON.parse(stdout).version, packed.version, 'the CommonJS VERSION is package.json\'s');
});

test('the installed bin prints a --json line for a photo', { skip, timeout: 120000 }, async () => {
  // "--" keeps npx from taking --json as its own option (npm 11 does: the bin then prints text).
  const { stdout } = await sh('npx', ['--no', '--', 'deepfake-shield', '--json', PHOTO], project);
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const got = JSON.parse(lines[0]);
  assert.equal(got.file, PHOTO);
  assert.equal(got.error, null);
  sameFaces(got, 'bin');
});

const APP_HTML = (script) => `<!doctype html>
<html><head><meta charset="utf-8"><title>app</title>${script}</head>
<body><input id="file" type="file"><pre id="out">loading</pre></body></html>
`;
const APP_JS = `import { createChecker } from 'deepfake-shield';
const out = document.getElementById('out');
try {
  const checker = await createChecker();
  out.textContent = 'ready ' + Object.keys(checker.models).join(',');
  document.getElementById('file').addEventListener('change', async (e) => {
    const r = await checker.check(e.target.files[0]);
    out.textContent = JSON.stringify(r);
  });
} catch (e) {
  out.textContent = 'failed ' + e.code + ': ' + e.message;
}
`;

// A folder in the consumer project with index.html loading main.js (APP_JS) as a module.
function moduleApp(name) {
  const app = path.join(project, name);
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'index.html'), APP_HTML('<script type="module" src="./main.js"></script>'));
  fs.writeFileSync(path.join(app, 'main.js'), APP_JS);
  return app;
}

// Opens an app page in Chromium, waits for the checker, checks the test photo through the file
// input, compares with the Node API; returns the URLs requested (all must be same-origin).
async function runAppInChromium(t, url, label) {
  if (!fs.existsSync(CHROMIUM)) { t.skip(`${CHROMIUM} is absent: the app was not loaded in a browser`); return null; }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
  try {
    const page = await browser.newPage();
    const urls = [];
    page.on('request', (r) => urls.push(r.url()));
    await page.goto(url);
    await page.waitForFunction(() => !document.getElementById('out').textContent.startsWith('loading'), null, { timeout: 90000 });
    assert.match(await page.textContent('#out'), /^ready .*detectorShort,detectorFull/, label);
    await page.setInputFiles('#file', PHOTO);
    await page.waitForFunction(() => document.getElementById('out').textContent.startsWith('{'), null, { timeout: 90000 });
    sameFaces(JSON.parse(await page.textContent('#out')), label);
    const origin = new URL(url).origin;
    assert.ok(urls.every((u) => u.startsWith(origin)), `${label}: nothing outside the origin`);
    return urls;
  } finally {
    await browser.close();
  }
}

test('a Vite build of an app that imports the package emits the wasm and models and runs in Chromium', { skip, timeout: 240000 }, async (t) => {
  const app = moduleApp('app');
  const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
  if (!fs.existsSync(vite)) assert.fail('vite is not installed (npm install)');
  // Relative base: the output works from any folder, here served under /dist/.
  await sh(process.execPath, [vite, 'build', '--base', './', '--logLevel', 'warn'], app);
  const assets = fs.readdirSync(path.join(app, 'dist/assets'));
  const wasm = assets.find((f) => /^deepfake-shield-.*\.wasm$/.test(f));
  assert.ok(wasm, `wasm emitted: ${assets.join(' ')}`);
  assert.ok(fs.readFileSync(path.join(app, 'dist/assets', wasm)).equals(fs.readFileSync(path.join(ROOT, 'dist/deepfake-shield.wasm'))));
  const js = assets.filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(app, 'dist/assets', f), 'utf8')).join('\n');
  assert.ok(js.includes(wasm), 'the bundle references the emitted wasm');
  for (const m of ['blazeface_short', 'blazeface_full']) {
    const f = assets.find((a) => a.startsWith(m + '-') && a.endsWith('.dfs'));
    assert.ok(f, `${m}.dfs emitted`);
    assert.ok(js.includes(f), `the bundle references ${f}`);
  }
  const { startServer } = await import('../../tools/serve.js');
  const srv = await startServer({ port: 0, root: app });
  try {
    const urls = await runAppInChromium(t, `${srv.url}/dist/index.html`, 'vite build in Chromium');
    if (urls) assert.ok(urls.some((u) => u.endsWith(`/dist/assets/${wasm}`)), 'the hashed wasm was fetched');
  } finally {
    await srv.close();
  }
});

test('the Vite dev server (default config, dependencies pre-bundled) runs the package in Chromium', { skip, timeout: 240000 }, async (t) => {
  // The dev server moves the package's JavaScript into node_modules/.vite/deps/, away from its
  // wasm and models; the package finds them in its own folder (bindings/js/locate.js).
  const app = moduleApp('devapp');
  const { createServer } = await import('vite');
  const server = await createServer({ root: app, logLevel: 'warn', configFile: false, server: { port: 0, host: '127.0.0.1' } });
  await server.listen();
  try {
    const urls = await runAppInChromium(t, server.resolvedUrls.local[0], 'vite dev server in Chromium');
    if (urls) {
      assert.ok(urls.some((u) => u.includes('/node_modules/.vite/deps/')), 'the package was pre-bundled (the case under test)');
      assert.ok(urls.some((u) => u.endsWith('/node_modules/deepfake-shield/dist/deepfake-shield.wasm')), 'the wasm came from the package folder');
    }
  } finally {
    await server.close();
  }
});

test('a webpack 5 build (default config) emits the wasm and models and runs in Chromium', { skip, timeout: 240000 }, async (t) => {
  const app = path.join(project, 'wpapp');
  fs.mkdirSync(path.join(app, 'src'), { recursive: true });
  fs.writeFileSync(path.join(app, 'src/index.js'), APP_JS);
  const cli = path.join(ROOT, 'node_modules/webpack-cli/bin/cli.js');
  if (!fs.existsSync(cli)) assert.fail('webpack-cli is not installed (npm install)');
  // Run from the consumer project so 'deepfake-shield' resolves to the installed tarball.
  await sh(process.execPath, [cli, '--mode', 'production', '--entry', './wpapp/src/index.js', '--output-path', 'wpapp/dist',
    '--no-stats'], project);
  const out = fs.readdirSync(path.join(app, 'dist'));
  const wasm = out.filter((f) => f.endsWith('.wasm')).map((f) => fs.readFileSync(path.join(app, 'dist', f)));
  assert.ok(wasm.some((b) => b.equals(fs.readFileSync(path.join(ROOT, 'dist/deepfake-shield.wasm')))), `wasm emitted: ${out.join(' ')}`);
  assert.ok(out.filter((f) => f.endsWith('.dfs')).length >= 2, `models emitted: ${out.join(' ')}`);
  fs.writeFileSync(path.join(app, 'dist/index.html'), APP_HTML('<script defer src="main.js"></script>'));
  const { startServer } = await import('../../tools/serve.js');
  const srv = await startServer({ port: 0, root: app });
  try {
    await runAppInChromium(t, `${srv.url}/dist/index.html`, 'webpack build in Chromium');
  } finally {
    await srv.close();
  }
});
