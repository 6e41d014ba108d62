// The web page in real Chromium: photos picked (keyboard and file input), dropped and pasted;
// cards with face boxes and scores equal to the Node API's; no request leaves the origin or
// carries image bytes; relabelling without re-running; heat maps; a strict-CSP variant; offline.
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { SKIP_BROWSER, ROOT, photo, artifact, logRequests, waitChecker, waitCards, readCard, dispatchFile, greyBmp, pageEnv } from './helpers.mjs';

const skip = SKIP_BROWSER;
const env = pageEnv(skip);

const read = (p) => new Uint8Array(fs.readFileSync(p));
// The page words scores with the shared module; the test checks the words against it.
import { formatScore as pct, detectorText, measuredText } from '../../bindings/js/verdict.js';
import { HAVE_HEIF } from '../node/helpers.mjs';

// The page must show what the Node API computes for the same bytes (same wasm, same models).
function assertCardMatches(card, expected, name) {
  assert.ok(card, `card for ${name}`);
  assert.equal(card.tabindex, '0', `${name}: card is focusable`);
  assert.equal(card.viewBox ?? `0 0 ${expected.width} ${expected.height}`, `0 0 ${expected.width} ${expected.height}`);
  assert.equal(card.boxes.length, expected.faces.length, `${name}: one box per face`);
  if (card.svgRect) {
    card.svgRect.forEach((v, k) => assert.ok(Math.abs(v - card.imgRect[k]) <= 1, `${name}: overlay covers the photo exactly (${card.svgRect} vs ${card.imgRect})`));
    assert.deepEqual(card.imgNatural, [expected.width, expected.height], `${name}: the photo shown is the one checked`);
  }
  assert.equal(card.faces.length, expected.faces.length, `${name}: one line per face`);
  expected.faces.forEach((f, i) => {
    const b = card.boxes[i];
    [b.x, b.y, b.w, b.h].forEach((v, k) => assert.ok(Math.abs(v - f.box[k]) < 1e-3 * Math.max(1, Math.abs(f.box[k])), `${name} face ${i} box[${k}] ${v} vs ${f.box[k]}`));
    assert.ok(b.stroke && b.stroke.startsWith('hsl('), `${name}: box coloured by score`);
    assert.ok(card.faces[i].includes(detectorText(f.score)), `${name}: detector score shown: ${card.faces[i]}`);
    if (f.fake == null) assert.match(card.faces[i], /not classified \(no classifier loaded\)/);
    else assert.ok(card.faces[i].includes(`(${pct(f.fake)})`), `${name}: probability ${pct(f.fake)} shown: ${card.faces[i]}`);
  });
  assert.match(card.timings, /decode [\d.]+ ms · detect [\d.]+ ms .*total [\d.]+ ms/);
}

function assertNothingLeaves(log, origin, loadedCount, name) {
  assert.ok(log.length > 5, 'requests were recorded');
  for (const r of log) {
    const u = new URL(r.url);
    assert.ok(u.origin === origin || u.protocol === 'blob:' || u.protocol === 'data:', `${name}: request outside the origin: ${r.url}`);
    assert.equal(r.method, 'GET', `${name}: only GET requests (${r.method} ${r.url})`);
    assert.equal(r.body, null, `${name}: no request body (${r.url})`);
  }
  // After the checker loaded, only the page's own object URLs (the previews) and, at most, the
  // service worker caching static files; nothing with a query string or an unknown path.
  for (const r of log.slice(loadedCount)) {
    const u = new URL(r.url);
    if (u.protocol === 'blob:') { assert.equal(new URL(u.pathname).origin, origin); continue; }
    assert.equal(u.search, '', `${name}: no query after load: ${r.url}`);
    assert.match(u.pathname, /^\/(strict\/|isolated\/)?(web\/[\w.-]*|dist\/[\w.-]+|models\/[\w.-]+\.dfs)$/, `${name}: unexpected request after load: ${r.url}`);
  }
}

test('picks (keyboard, file input), drops and pastes photos; cards match the Node API; nothing leaves the origin', { skip, timeout: 240000 }, async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const log = logRequests(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Subscribed before the page loads, so that file-chooser interception is on well before the
  // key press (subscribing right before it raced with the picker opening natively).
  const chooserSeen = new Promise((resolve) => page.once('filechooser', resolve));
  // Every status line the page shows, to see the download progress go by.
  await page.addInitScript(() => {
    globalThis.statusLines = [];
    globalThis.progressSeen = [];
    new MutationObserver(() => {
      const t = document.getElementById('status-text')?.textContent;
      if (t && t !== globalThis.statusLines.at(-1)) {
        globalThis.statusLines.push(t);
        globalThis.progressSeen.push([t, document.getElementById('progress')?.getAttribute('value')]);
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(`${env.srv.url}/web/`);
  await waitChecker(page);
  const loaded = log.length;
  const lines = await page.evaluate(() => globalThis.statusLines);
  const progress = lines.map((l) => /^Loading the checker: ([\d.]+) MB of ([\d.]+) MB/.exec(l)).filter(Boolean);
  assert.ok(progress.length >= 2, `download progress shown in bytes: ${JSON.stringify(lines)}`);
  const last = progress.at(-1);
  assert.ok(Number(last[1]) > 1 && Number(last[1]) <= Number(last[2]), `loaded <= total, over 1 MB: ${last[0]}`);
  const status = await page.textContent('#status');
  assert.match(status, /nothing is uploaded/i);
  if (!env.node.hasClassifier) assert.match(status, /No classifier loaded/);
  assert.ok(log.some((r) => r.url.endsWith('/dist/deepfake-shield.wasm')), 'wasm fetched from the same origin');
  // The threshold's help states the file's held-out rates when its header has them, in the
  // same words as the Node API.
  const help = await page.textContent('#threshold-help');
  const measured = measuredText(env.node.measured);
  if (measured) assert.ok(help.includes(measured), help);
  else assert.doesNotMatch(help, /Measured on held-out/);

  // Keyboard: the first Tab stop is the drop zone, a button that opens the file picker.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'pick');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'BUTTON');
  await page.keyboard.press('Enter');
  const chooser = await Promise.race([chooserSeen, new Promise((_, reject) => setTimeout(() => reject(new Error('Enter on the drop zone opened no file chooser')), 30000))]);
  assert.ok(chooser.isMultiple(), 'several files at once');
  await chooser.setFiles(photo('lfw-real/real-0000.jpg'));
  await page.setInputFiles('#file', [photo('lfw-real/real-0001.jpg'), photo('ffhq-stylegan2/fake-0004.jpg')]);
  await dispatchFile(page, 'drop', 'donald_bean_2.jpg', read(photo('seed-examples/donald_bean_2.jpg')));
  await dispatchFile(page, 'paste', 'image.png', greyBmp(), 'image/bmp');
  await waitCards(page, 5);

  const files = { 'real-0000.jpg': 'lfw-real/real-0000.jpg', 'real-0001.jpg': 'lfw-real/real-0001.jpg',
    'fake-0004.jpg': 'ffhq-stylegan2/fake-0004.jpg', 'donald_bean_2.jpg': 'seed-examples/donald_bean_2.jpg' };
  for (const [name, rel] of Object.entries(files)) {
    const expected = env.node.checkSync(read(photo(rel)));
    assert.ok(expected.faces.length >= 1, `${rel} has a face for the Node API`);
    assertCardMatches(await readCard(page, name), expected, name);
  }
  // The pasted grey image gets a name and the honest "no face" wording.
  const grey = await readCard(page, 'pasted-1.bmp');
  assert.ok(grey, 'pasted image has its own card');
  assert.equal(grey.verdict, 'No face found: nothing to judge');
  assert.deepEqual(grey.boxes, []);
  assert.equal(await page.locator('.card').count(), 5);
  assert.match(await page.textContent('#status'), /Checked 5 images/);
  // While a batch runs, the bar counts the bytes checked so far: it never moves back.
  const checking = (await page.evaluate(() => globalThis.progressSeen)).filter(([t]) => /^Checking image \d+ of \d+ \([\d.]+ MB of [\d.]+ MB done\)/.test(t));
  assert.ok(checking.length >= 1, 'progress in bytes while checking');
  for (let i = 1; i < checking.length; i++) {
    const [a, b] = [checking[i - 1], checking[i]];
    const total = (t) => /of ([\d.]+) MB done/.exec(t)[1];
    if (total(a[0]) === total(b[0])) assert.ok(Number(b[1]) >= Number(a[1]), `the bar went back: ${a} -> ${b}`);
  }

  // Export: one object per image in the CLI's --json shape, numbers as the Node API gives them.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const exportedFile = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  // What made the verdicts: the version, every model's SHA-256 (as the files on disk), threshold.
  assert.equal(exportedFile.tool, 'deepfake-shield');
  assert.equal(exportedFile.version, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  for (const [role, file] of [['classifier', 'classifier.dfs'], ['detectorShort', 'blazeface_short.dfs']]) {
    const sha = crypto.createHash('sha256').update(fs.readFileSync(path.join(ROOT, 'models', file))).digest('hex');
    assert.equal(exportedFile.models[role].sha256, sha, `${role} sha256`);
  }
  assert.equal(exportedFile.threshold, env.node.threshold);
  assert.deepEqual(exportedFile.inconclusive, env.node.band);
  const exported = exportedFile.results;
  assert.equal(exported.length, 5);
  for (const row of exported) {
    assert.deepEqual(Object.keys(row), ['file', 'width', 'height', 'faces', 'fake', 'verdict', 'provenance', 'threshold', 'decoded_by', 'error']);
    assert.equal(row.decoded_by, null, 'JPEG and BMP are decoded by the module, not the browser');
    assert.equal(row.threshold, Math.round(env.node.threshold * 1e4) / 1e4, 'the export records the threshold');
    if (row.file === 'pasted-1.bmp') {
      assert.deepEqual({ ...row, provenance: undefined, threshold: undefined }, { file: 'pasted-1.bmp', width: 96, height: 64, faces: [], fake: null, verdict: 'no_face', provenance: undefined, threshold: undefined, decoded_by: null, error: null });
      assert.equal(row.provenance.ai_declared, false);
      continue;
    }
    const expected = env.node.checkSync(read(photo(files[row.file])));
    assert.equal(row.width, expected.width);
    assert.equal(row.faces.length, expected.faces.length);
    row.faces.forEach((f, i) => {
      // The page asks for heat maps whenever the model has attention, as the CLI's --heatmap does.
      assert.deepEqual(Object.keys(f), ['box', 'score', 'keypoints', 'fake', 'kind', 'rotation', 'verdict', ...(env.node.hasHeatmap ? ['heatmap'] : [])]);
      if (env.node.hasHeatmap) assert.equal(f.heatmap.data.length, f.heatmap.width * f.heatmap.height);
      f.box.forEach((v, k) => assert.ok(Math.abs(v - expected.faces[i].box[k]) <= 0.051, `${row.file} box`));
      assert.ok(Math.abs(f.score - expected.faces[i].score) <= 5e-5);
      assert.equal(f.keypoints.length, 6);
      if (expected.faces[i].fake == null) assert.equal(f.fake, null);
      else assert.ok(Math.abs(f.fake - expected.faces[i].fake) <= 5e-5);
    });
    assert.equal(row.error, null);
  }

  // Zoom: the portrait at its own size (1024 px) in a scrolling frame; its face row brings the box
  // into view; the box stays on the face (same place relative to the image); zoom off again.
  const zcard = page.locator('.card[data-name="fake-0004.jpg"]');
  const boxFrac = () => zcard.evaluate((c) => {
    const f = c.querySelector('.shot').getBoundingClientRect(), b = c.querySelector('rect.face-box').getBoundingClientRect();
    return [(b.x - f.x) / f.width, (b.y - f.y) / f.height, b.width / f.width];
  });
  const fitted = await boxFrac();
  await zcard.locator('button.zoom').click();
  assert.equal(await zcard.locator('button.zoom').getAttribute('aria-pressed'), 'true');
  const z = await zcard.evaluate((c) => ({ zoomed: c.classList.contains('zoomed'), w: c.querySelector('.shot').clientWidth,
    natural: c.querySelector('.shot img').naturalWidth,
    frameH: c.querySelector('.shot-frame').clientHeight, scrollH: c.querySelector('.shot-frame').scrollHeight }));
  assert.ok(z.zoomed && z.w === z.natural && z.natural >= 512, `zoomed to the image's own width: ${JSON.stringify(z)}`);
  // (A photo taller than the frame scrolls in it; the stand-in portrait without ../shared fits.)
  if (z.natural >= 1000) assert.ok(z.scrollH > z.frameH, 'the zoomed photo scrolls in its frame');
  const zoomedFrac = await boxFrac();
  zoomedFrac.forEach((v, k) => assert.ok(Math.abs(v - fitted[k]) < 0.01, `box stays on the face when zoomed (${k}: ${fitted[k]} -> ${v})`));
  await zcard.evaluate((c) => c.querySelector('.shot-frame').scrollTo(0, 10000));
  await zcard.locator('li.face').first().focus();
  const inView = await zcard.evaluate((c) => {
    const fr = c.querySelector('.shot-frame').getBoundingClientRect(), b = c.querySelector('rect.face-box.hl').getBoundingClientRect();
    const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
    return cx > fr.left && cx < fr.right && cy > fr.top && cy < fr.bottom;
  });
  assert.ok(inView, 'focusing a face row scrolls its box into the zoomed frame');
  await page.screenshot({ path: artifact('page-zoomed.png'), fullPage: false });
  await zcard.locator('button.zoom').click();
  assert.equal(await zcard.evaluate((c) => c.classList.contains('zoomed')), false);
  assert.equal(await zcard.locator('button.zoom').getAttribute('aria-pressed'), 'false');

  // Cards are reachable with Tab after the controls.
  await page.focus('.card');
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('card')), true);
  assert.ok((await page.evaluate(() => document.activeElement.getAttribute('aria-label'))).length > 10);
  assert.equal(await page.getByLabel('Flag as manipulated at').getAttribute('id'), 'threshold', 'slider is labelled');
  assert.equal(await page.getByLabel('Attention map').getAttribute('id'), 'heat', 'toggle is labelled');

  await page.screenshot({ path: artifact('page-results.png'), fullPage: true });
  // Phone width: one column, nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 390, `no horizontal scrolling at phone width (${overflow}px)`);
  await page.screenshot({ path: artifact('page-phone.png'), fullPage: false });

  // An image dragged from another site arrives as a link: the page says so and fetches nothing.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/uri-list', 'https://example.com/photo.jpg');
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  assert.match(await page.textContent('#status'), /link to an image on another site/);
  assert.equal(await page.locator('.card').count(), 5);

  assertNothingLeaves(log, env.srv.url, loaded, 'page');
  assert.deepEqual(errors, []);
  await context.close();
});

test('threshold re-labels without re-running; heat map toggles (synthetic TEST-ONLY attention weights)', { skip, timeout: 240000 }, async () => {
  const { materialize } = await import('../../tools/golden/effnet_synth.mjs');
  const synth = materialize(new Uint8Array(fs.readFileSync(path.join(ROOT, 'tests/golden/effnet_b4att_synth.dfs.json'))));
  const { createChecker } = await import('../../dist/index.js');
  const ref = await createChecker({ models: { classifier: synth } });
  const bytes = read(photo('lfw-real/real-0000.jpg'));
  const expected = ref.checkSync(bytes, { heatmap: true });
  ref.dispose();
  assert.equal(expected.faces.length, 1);
  assert.ok(expected.faces[0].heatmap, 'the synthetic model has attention');
  const p = expected.faces[0].fake;

  // The service worker is blocked here so that the route below sees the model request.
  const context = await env.browser.newContext({ serviceWorkers: 'block', viewport: { width: 900, height: 900 } });
  await context.route('**/models/classifier.dfs', (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body: Buffer.from(synth) }));
  const page = await context.newPage();
  await page.goto(`${env.srv.url}/web/`);
  await waitChecker(page);
  assert.equal(await page.isDisabled('#heat'), false, 'heat map toggle enabled for a model with attention');
  assert.equal(await page.inputValue('#threshold'), '0.5');
  await page.setInputFiles('#file', photo('lfw-real/real-0000.jpg'));
  await waitCards(page, 1);
  let card = await readCard(page, 'real-0000.jpg');
  assertCardMatches(card, expected, 'real-0000.jpg');
  assert.ok(card.classes.includes(p >= 0.5 ? 'fake' : 'real'));

  // Count what reaches the worker from here on: moving the slider must send nothing.
  await page.evaluate(() => {
    const w = globalThis.deepfakeShield.checker.worker;
    const post = w.postMessage.bind(w);
    globalThis.checksSent = 0;
    w.postMessage = (m, t) => { if (m?.type === 'check') globalThis.checksSent++; return post(m, t); };
  });
  const before = card.timings;
  await page.focus('#threshold');
  await page.keyboard.press('Home');
  card = await readCard(page, 'real-0000.jpg');
  assert.equal(await page.inputValue('#threshold'), '0');
  assert.equal(await page.textContent('#threshold-value'), '0%');
  assert.ok(card.classes.includes('fake'));
  assert.match(card.verdict, /^Likely manipulated/);
  assert.match(card.faces[0], /likely manipulated/);
  const redStroke = card.boxes[0].stroke;
  await page.keyboard.press('End');
  card = await readCard(page, 'real-0000.jpg');
  assert.equal(await page.textContent('#threshold-value'), '100%');
  assert.ok(card.classes.includes('nosign'));
  assert.match(card.verdict, /^No sign of manipulation/);
  assert.notEqual(card.boxes[0].stroke, redStroke, 'box colour follows the threshold');
  assert.equal(card.timings, before, 'timings unchanged: nothing re-ran');
  assert.equal(await page.evaluate(() => globalThis.checksSent), 0, 'no check was sent to the worker');

  // Heat map: hidden until toggled (keyboard), then drawn over the face crop.
  assert.equal(card.heat.length, 1);
  assert.equal(card.heat[0].shownW, 0, 'hidden by default');
  await page.focus('#heat');
  await page.keyboard.press('Space');
  card = await readCard(page, 'real-0000.jpg');
  assert.ok(card.classes.includes('show-heat'));
  assert.equal(card.heat[0].w, expected.faces[0].heatmap.width);
  assert.ok(card.heat[0].shownW > 50 && card.heat[0].maxAlpha > 100, `heat map visible: ${JSON.stringify(card.heat[0])}`);
  await page.evaluate(() => {
    const s = document.querySelector('#threshold');
    s.value = '0.5';
    s.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await page.screenshot({ path: artifact('page-heatmap.png'), fullPage: true });
  await context.close();
});

test('without a classifier the page finds faces and says no classifier is loaded', { skip, timeout: 120000 }, async () => {
  const context = await env.browser.newContext({ serviceWorkers: 'block' });
  await context.route('**/models/classifier.dfs', (route) => route.fulfill({ status: 404, body: 'not found' }));
  const page = await context.newPage();
  await page.goto(`${env.srv.url}/web/`);
  await waitChecker(page);
  assert.match(await page.textContent('#status'), /No classifier loaded/);
  assert.equal(await page.isDisabled('#threshold'), true);
  assert.equal(await page.isDisabled('#heat'), true);
  await page.setInputFiles('#file', photo('lfw-real/real-0002.jpg'));
  await waitCards(page, 1);
  const card = await readCard(page, 'real-0002.jpg');
  assert.equal(card.boxes.length, 1);
  assert.ok(card.classes.includes('none'));
  assert.equal(card.verdict, '1 face found; no classifier loaded, so no real/fake score');
  assert.match(card.faces[0], /^Face 1: not classified \(no classifier loaded\) · face found \(\d+% sure\)/);
  await context.close();
});

test('strict CSP (script-src self + wasm-unsafe-eval, no eval) still checks a photo', { skip, timeout: 120000 }, async () => {
  const context = await env.browser.newContext();
  const csp = [];
  context.on('response', (r) => {
    const m = /\/strict\/web\/(|worker\.js)$/.exec(new URL(r.url()).pathname);
    if (m) csp.push([m[1] || 'page', r.headers()['content-security-policy']]);
  });
  const page = await context.newPage();
  const console_ = [];
  page.on('console', (m) => console_.push(m.text()));
  await page.addInitScript(() => {
    globalThis.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => globalThis.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${env.srv.url}/strict/web/`);
  await waitChecker(page);
  await page.setInputFiles('#file', photo('lfw-real/real-0003.jpg'));
  await waitCards(page, 1);
  const card = await readCard(page, 'real-0003.jpg');
  assertCardMatches(card, env.node.checkSync(read(photo('lfw-real/real-0003.jpg'))), 'real-0003.jpg (strict)');
  // The C2PA verifier (loaded only now, by the worker) works under the same CSP.
  if (fs.existsSync(photo('provenance/C.jpg'))) {
    await page.setInputFiles('#file', photo('provenance/C.jpg'));
    await waitCards(page, 2);
    const text = await page.evaluate(() => document.querySelector('.card[data-name="C.jpg"] .provenance').textContent);
    assert.match(text, /Content Credentials \(C2PA\): valid, signed by C2PA Signer/);
  }
  assert.deepEqual([...new Set(csp.map(([what]) => what))].sort(), ['page', 'worker.js'], 'page and worker responses seen');
  for (const [what, h] of csp) assert.match(h ?? '', /script-src 'self' 'wasm-unsafe-eval'/, `${what} served with the strict CSP`);
  assert.deepEqual(await page.evaluate(() => globalThis.cspViolations), []);
  assert.deepEqual(console_.filter((t) => /Content Security Policy|unsafe-eval/i.test(t)), []);
  await context.close();
});

test('the build-web folder works offline once loaded (service worker cache), with the server gone', { skip, timeout: 180000 }, async () => {
  // The deployable folder, not the repo: proves the service worker's list matches what ships.
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-web-'));
  execFileSync('bash', [path.join(ROOT, 'tools/build-web.sh'), out], { cwd: ROOT, stdio: 'pipe' });
  const own = await env.startServer({ port: 0, root: out });
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${own.url}/web/`);
  await waitChecker(page);
  // Wait until the service worker controls the page and holds the wasm and the detectors.
  // (A loop, not waitForFunction: that takes an async predicate's Promise itself as truthy.)
  const cached = async () => page.evaluate(async () => {
    if (!navigator.serviceWorker.controller) return false;
    const c = await caches.open('deepfake-shield-v1');
    const need = ['../dist/deepfake-shield.wasm', '../dist/locate.js', '../models/blazeface_full.dfs', './worker.js', './'];
    for (const u of need) if (!(await c.match(new URL(u, location.href).href))) return false;
    return true;
  });
  for (let i = 0; !(await cached()); i++) {
    assert.ok(i < 120, 'the service worker took over and cached the app within 60 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  await own.close();
  assert.equal(await page.evaluate(() => fetch('/web/not-cached').then(() => 'online', () => 'offline')), 'offline');
  await page.reload();
  await waitChecker(page);
  await page.setInputFiles('#file', photo('lfw-real/real-0004.jpg'));
  await waitCards(page, 1);
  const card = await readCard(page, 'real-0004.jpg');
  assertCardMatches(card, env.node.checkSync(read(photo('lfw-real/real-0004.jpg'))), 'real-0004.jpg (offline)');
  await context.close();
  fs.rmSync(out, { recursive: true, force: true });
});

test('formats the module cannot decode (WebP) are decoded by the browser in the worker, their metadata read from the file', { skip, timeout: 120000 }, async () => {
  const context = await env.browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.goto(`${env.srv.url}/web/`);
  await waitChecker(page);
  // Re-encode a portrait as WebP in the page itself, then drop it; with it a HEIC of the same
  // portrait made by libheif's encoder, where it is installed.
  const jpeg = Buffer.from(read(photo('lfw-real/real-0007.jpg'))).toString('base64');
  let heicB64 = null;
  if (HAVE_HEIF) {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-page-heic-')), 'p.heic');
    assert.equal(spawnSync('heif-enc', ['-q', '90', '-o', out, photo('lfw-real/real-0007.jpg')]).status, 0);
    heicB64 = fs.readFileSync(out).toString('base64');
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
  const size = await page.evaluate(async ([b64, heic]) => {
    const bin = atob(b64);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));
    const canvas = new OffscreenCanvas(bmp.width, bmp.height);
    canvas.getContext('2d').drawImage(bmp, 0, 0);
    const webp = await canvas.convertToBlob({ type: 'image/webp', quality: 0.95 });
    const head = new Uint8Array(await webp.slice(0, 12).arrayBuffer());
    if (String.fromCharCode(...head.slice(8, 12)) !== 'WEBP') throw new Error('no WebP encoder');
    // The same WebP with an XMP chunk saying generative AI made it (IPTC trainedAlgorithmicMedia).
    const xmp = new TextEncoder().encode('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>');
    const plain = new Uint8Array(await webp.arrayBuffer());
    const declared = new Uint8Array(plain.length + 8 + xmp.length + (xmp.length % 2));
    declared.set(plain);
    declared.set(new TextEncoder().encode('XMP '), plain.length);
    const dv = new DataView(declared.buffer);
    dv.setUint32(plain.length + 4, xmp.length, true);
    declared.set(xmp, plain.length + 8);
    dv.setUint32(4, declared.length - 8, true);
    const dt = new DataTransfer();
    dt.items.add(new File([webp], 'portrait.webp', { type: 'image/webp' }));
    dt.items.add(new File([declared], 'declared.webp', { type: 'image/webp' }));
    if (heic) dt.items.add(new File([Uint8Array.from(atob(heic), (c) => c.charCodeAt(0))], 'photo.heic', { type: 'image/heic' }));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    return [bmp.width, bmp.height];
  }, [jpeg, heicB64]);
  await waitCards(page, heicB64 ? 3 : 2);
  if (heicB64) {
    // A phone photo (HEIC): decoded where the browser can (Safari), else a card saying what
    // would read it.
    const h = await readCard(page, 'photo.heic');
    if (h.boxes.length !== 1) assert.match(h.verdict, /cannot decode HEIC.*Safari.*command-line checker/s, h.verdict);
  }
  // Decoded by the browser, the metadata still read from the file's own bytes, and the verdict
  // taking it into account.
  const declaredCard = await readCard(page, 'declared.webp');
  assert.match(declaredCard.verdict, /Declared AI-generated/, declaredCard.verdict);
  assert.match(declaredCard.timings, /decoded by the browser/);
  const card = await readCard(page, 'portrait.webp');
  assert.equal(card.viewBox, `0 0 ${size[0]} ${size[1]}`);
  assert.equal(card.boxes.length, 1, `one face: ${card.verdict}`);
  assert.match(card.timings, /decoded by the browser/);
  // Lossy re-encoding moves the box a little, not much.
  const ref = env.node.checkSync(read(photo('lfw-real/real-0007.jpg'))).faces[0].box;
  const b = card.boxes[0];
  [b.x, b.y, b.w, b.h].forEach((v, k) => assert.ok(Math.abs(v - ref[k]) < 6, `box[${k}] ${v} vs ${ref[k]}`));
  await context.close();
});

// axe-core (the accessibility engine browsers' devtools use) over a page with result cards, in
// light and dark colour schemes: no serious or critical violation (contrast, labels, roles).
// The C2PA fixture's card shows its Content Credentials section; the portrait's does not.
test('accessibility (axe-core) in light and dark mode; the metadata section shows only when there is metadata', { skip, timeout: 180000 }, async () => {
  const axe = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  for (const colorScheme of ['light', 'dark']) {
    // bypassCSP: only so that the axe script can be injected into the strict-CSP page.
    const context = await env.browser.newContext({ viewport: { width: 1100, height: 900 }, colorScheme, serviceWorkers: 'block', bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${env.srv.url}/web/`);
    await waitChecker(page);
    const files = [photo('lfw-real/real-0000.jpg')];
    const c2pa = photo('provenance/C.jpg');
    if (fs.existsSync(c2pa)) files.push(c2pa);
    await page.setInputFiles('#file', files);
    await waitCards(page, files.length);
    const sections = await page.evaluate(() => [...document.querySelectorAll('.card')].map((c) => ({
      name: c.dataset.name, hidden: c.querySelector('.provenance').hidden, text: c.querySelector('.provenance').textContent,
      evidence: c.querySelector('.evidence').textContent })));
    const portrait = sections.find((s) => s.name === 'real-0000.jpg');
    assert.equal(portrait.hidden, true, 'no metadata, no section');
    assert.match(portrait.evidence, /evidence, not proof\. The classifier was trained on /);
    if (files.length > 1) {
      const signed = sections.find((s) => s.name === 'C.jpg');
      assert.equal(signed.hidden, false);
      // Verified in the page's worker by the lazily loaded dist/c2pa-verifier.js, under the CSP.
      assert.match(signed.text, /Content Credentials \(C2PA\): valid, signed by C2PA Signer \(signer not checked against a trust list\)/);
    }
    if (colorScheme === 'light') {
      // Faces listed most suspicious first, each keeping its number; a second file of the same
      // name gets "(2)"; hovering a row highlights its box.
      const two = photo('seed-examples/adi_fake.png');
      await page.setInputFiles('#file', [{ name: 'adi_fake.png', mimeType: 'image/png', buffer: fs.readFileSync(two) },
        { name: 'real-0000.jpg', mimeType: 'image/jpeg', buffer: fs.readFileSync(files[0]) }]);
      await waitCards(page, files.length + 2);
      const card = await readCard(page, 'adi_fake.png');
      const want = env.node.checkSync(read(two)).faces.map((f, i) => [f.fake, i]).sort((x, y) => y[0] - x[0]).map(([, i]) => i);
      assert.ok(want.length >= 2);
      assert.deepEqual(card.faceOrder, want);
      assert.ok(await readCard(page, 'real-0000.jpg (2)'), 'the second real-0000.jpg is told apart');
      // A file that is not an image gets its own card saying so; a card's remove button removes it.
      await page.setInputFiles('#file', [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') }]);
      const rejected = await readCard(page, 'notes.txt');
      assert.ok(rejected.classes.includes('error'), rejected.classes.join(' '));
      assert.match(rejected.verdict, /not an image or video this page can read \(text\/plain\)/);
      const before = await page.locator('.card').count();
      await page.click('.card[data-name="notes.txt"] button.remove');
      assert.equal(await page.locator('.card').count(), before - 1);
      assert.equal(await readCard(page, 'notes.txt'), null);
      await page.hover(`.card[data-name="adi_fake.png"] .faces li[data-face="${want[0]}"]`);
      assert.equal(await page.evaluate((i) => document.querySelector(`.card[data-name="adi_fake.png"] rect[data-face="${i}"]`).classList.contains('hl'), want[0]), true);
    }
    await page.addScriptTag({ content: axe });
    const result = await page.evaluate(async () => {
      const r = await globalThis.axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious, [], `${colorScheme}: ${JSON.stringify(serious)}`);
    if (colorScheme === 'dark') await page.screenshot({ path: artifact('page-dark.png'), fullPage: false });
    else await page.screenshot({ path: artifact('page-light.png'), fullPage: false });
    await context.close();
  }
});

test('videos: sampled in the page, faces tracked in the worker; timeline, frames, cancel; equal to the CLI; nothing leaves the origin', { skip, timeout: 300000 }, async () => {
  const { spawnSync } = await import('node:child_process');
  const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
  if (!hasFfmpeg) assert.fail('ffmpeg is needed to make the test clips (tools/setup.sh installs it)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-page-video-'));
  try {
    // A face moving across a grey background for 4 s (VP9), the same for 30 s at low resolution
    // (to cancel), and a file that is not a video at all.
    const mk = (out, d, size, x) => {
      const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=gray:s=${size}:d=${d}:r=10`, '-loop', '1', '-i', photo('lfw-real/real-0000.jpg'),
        '-filter_complex', `[1]crop='min(iw,200)':'min(ih,200)':'if(gte(iw,400),125,0)':'if(gte(ih,400),25,0)',scale=200:200[f];[0][f]overlay=x='${x}':y=80:shortest=1`, '-c:v', 'libvpx-vp9', '-b:v', '300k', '-deadline', 'realtime', out]);
      assert.equal(r.status, 0, String(r.stderr));
    };
    const clip = path.join(tmp, 'moving.webm'), long = path.join(tmp, 'long.webm'), broken = path.join(tmp, 'broken.webm');
    mk(clip, 4, '640x400', '40+t*60');
    mk(long, 30, '480x320', '20+t*8');
    fs.writeFileSync(broken, 'this is not a video');

    const context = await env.browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    const log = logRequests(context);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${env.srv.url}/web/`);
    await waitChecker(page);
    const loaded = log.length;
    await page.setInputFiles('#file', [clip, broken]);
    await page.waitForFunction(() => document.querySelectorAll('.card.video').length === 2 && !document.querySelector('.card.video.pending'), null, { timeout: 120000 });

    const card = page.locator('.card.video[data-name="moving.webm"]');
    const verdict = await card.locator('.verdict').textContent();
    assert.match(verdict, /face track 1 scored \d/, verdict);
    assert.equal(await card.locator('.tracks li').count(), 1, 'one face, one track');
    assert.equal(await card.locator('circle.point').count(), 4, 'four seconds at one frame per second');
    await card.locator('circle.point').nth(1).click();
    assert.match(await card.locator('.frame-caption').textContent(), /^Frame at 1 s: face track 1 /);
    await card.locator('circle.point').nth(3).focus();
    await page.keyboard.press('Enter');
    assert.match(await card.locator('.frame-caption').textContent(), /^Frame at 3 s/);
    await page.screenshot({ path: artifact('page-video.png'), fullPage: true });
    assert.match(await page.locator('.card.video[data-name="broken.webm"] .verdict').textContent(), /Could not check this video/);

    // The same clip through the CLI (frames from ffmpeg): same frames and track, scores within
    // 0.03 (two VP9 decoders; the boxes within 3 px).
    const cli = JSON.parse(spawnSync(process.execPath, [path.join(ROOT, 'bin/deepfake-shield.js'), '--json', clip], { encoding: 'utf8' }).stdout);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8')).results;
    const mine = exported.find((r) => r.file === 'moving.webm');
    assert.equal(mine.kind, 'video');
    assert.equal(mine.frames_checked, cli.frames_checked);
    assert.equal(mine.tracks.length, cli.tracks.length);
    assert.ok(Math.abs(mine.tracks[0].fake - cli.tracks[0].fake) < 0.03, `page ${mine.tracks[0].fake} vs CLI ${cli.tracks[0].fake}`);
    mine.tracks[0].frames.forEach((f, i) => {
      assert.equal(f.t, cli.tracks[0].frames[i].t);
      f.box.forEach((v, k) => assert.ok(Math.abs(v - cli.tracks[0].frames[i].box[k]) < 3, `box ${i}.${k}: ${v} vs ${cli.tracks[0].frames[i].box[k]}`));
    });
    assert.equal(exported.find((r) => r.file === 'broken.webm').error.code, 'CORRUPT_VIDEO');

    // Cancel: a 30 s clip stopped after a few frames keeps what it checked, and says so.
    await page.setInputFiles('#file', long);
    const lcard = page.locator('.card.video[data-name="long.webm"]');
    await page.waitForFunction(() => /Checking frame [3-9] of 30/.test(document.querySelector('.card.video[data-name="long.webm"] .verdict')?.textContent || ''), null, { timeout: 60000 });
    await lcard.locator('button.cancel').click();
    await page.waitForFunction(() => !document.querySelector('.card.video[data-name="long.webm"]').classList.contains('pending'), null, { timeout: 60000 });
    const stopped = await lcard.locator('.verdict').textContent();
    const m = /\(stopped after (\d+) frames\)/.exec(stopped);
    assert.ok(m && Number(m[1]) >= 3 && Number(m[1]) < 30, stopped);
    assert.equal(await lcard.locator('button.cancel').isHidden(), true);

    assertNothingLeaves(log, env.srv.url, loaded, 'video');
    assert.deepEqual(errors, []);
    await context.close();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
