// The Manifest V3 extension in real Chromium: built by tools/build-ext.sh, loaded unpacked, its
// context-menu handler run for an image on another site; the result page fetches the image with
// the host permission and shows the same card the web page does.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { SKIP_BROWSER, ROOT, CHROMIUM, BASE_ARGS, photo, artifact, waitChecker, waitCards, readCard } from './helpers.mjs';

const skip = SKIP_BROWSER;
const MENU_ID = 'deepfake-shield-check';
let tmp, extDir, context, site, siteUrl, node;
const siteLog = [];

before(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfs-ext-'));
  extDir = path.join(tmp, 'ext');
  execFileSync('bash', [path.join(ROOT, 'tools/build-ext.sh'), extDir], { cwd: ROOT, stdio: 'pipe' });
  // "Another site": its own origin, serving a page with the photo (bytes read from ../shared).
  const jpeg = fs.readFileSync(photo('lfw-real/real-0005.jpg'));
  // A clip on the site (a face moving for 4 s, VP9), made by ffmpeg from a photo.
  const clipFile = path.join(tmp, 'clip.webm');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=640x400:d=4:r=10', '-loop', '1', '-i', photo('lfw-real/real-0000.jpg'),
    '-filter_complex', "[1]crop='min(iw,200)':'min(ih,200)':'if(gte(iw,400),125,0)':'if(gte(ih,400),25,0)',scale=200:200[f];[0][f]overlay=x='40+t*60':y=80:shortest=1", '-c:v', 'libvpx-vp9', '-b:v', '300k', '-deadline', 'realtime', clipFile]);
  const clip = fs.readFileSync(clipFile);
  site = http.createServer((req, res) => {
    siteLog.push({ url: req.url, method: req.method, fetchSite: req.headers['sec-fetch-site'] });
    if (req.url === '/photos/portrait.jpg') {
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length, 'Cache-Control': 'no-store' });
      res.end(jpeg);
    } else if (req.url === '/clips/moving.webm') {
      res.writeHead(200, { 'Content-Type': 'video/webm', 'Content-Length': clip.length, 'Cache-Control': 'no-store' });
      res.end(clip);
    } else if (req.url === '/streamed') {
      // A page that streams the clip itself (Media Source Extensions): its video has a blob: address.
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><title>stream</title><video id="v" muted playsinline></video><script>
        const v = document.getElementById('v'), ms = new MediaSource();
        v.src = URL.createObjectURL(ms);
        ms.addEventListener('sourceopen', async () => {
          const sb = ms.addSourceBuffer('video/webm; codecs="vp9"');
          sb.addEventListener('updateend', () => { ms.endOfStream(); v.play(); }, { once: true });
          sb.appendBuffer(await (await fetch('/clips/moving.webm')).arrayBuffer());
        });
      </script>`);
    } else if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>news</title><h1>A story</h1><img id="portrait" src="/photos/portrait.jpg" alt="portrait">');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  siteUrl = `http://127.0.0.1:${site.address().port}`;
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 560, height: 820 },
    args: [...BASE_ARGS, `--disable-extensions-except=${extDir}`, `--load-extension=${extDir}`],
  });
  const { createChecker } = await import('../../dist/index.js');
  node = await createChecker();
});

after(async () => {
  await context?.close();
  site?.close();
  node?.dispose();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the build makes an unpacked MV3 folder and a zip with the required CSP', { skip }, () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(extDir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.manifest_version, 3);
  assert.equal(manifest.version, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  // scripting: only to read the frames of a video the page streams itself (blob:/MSE), on a right-click.
  assert.deepEqual(manifest.permissions, ['contextMenus', 'scripting']);
  assert.equal(manifest.content_security_policy.extension_pages, "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'");
  for (const f of [manifest.background.service_worker, 'web/extension/result.html', 'web/extension/result.js', 'web/ui.js',
    'web/cards.js', 'web/worker.js', 'dist/index.js', 'dist/deepfake-shield.mjs', 'dist/deepfake-shield.wasm',
    'models/blazeface_short.dfs', 'models/blazeface_full.dfs']) {
    assert.ok(fs.statSync(path.join(extDir, f)).size > 0, `${f} in the extension`);
  }
  // Every icon the manifest names is a PNG of the size it is declared as.
  const icons = { ...manifest.icons, ...manifest.action.default_icon };
  assert.deepEqual(Object.keys(manifest.icons), ['16', '32', '48', '128']);
  for (const [size, f] of Object.entries(icons)) {
    const png = fs.readFileSync(path.join(extDir, f));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', f);
    assert.equal(png.readUInt32BE(16), Number(size), `${f} width`);
    assert.equal(png.readUInt32BE(20), Number(size), `${f} height`);
  }
  // The shared card module is the web page's, byte for byte.
  assert.ok(fs.readFileSync(path.join(extDir, 'web/cards.js')).equals(fs.readFileSync(path.join(ROOT, 'web/cards.js'))));
  const zip = fs.readFileSync(`${extDir}.zip`);
  assert.equal(zip.subarray(0, 4).toString('latin1'), 'PK\x03\x04');
  assert.ok(zip.includes(Buffer.from('manifest.json')) && zip.includes(Buffer.from('dist/deepfake-shield.wasm')));
});

test('right-click path: the menu handler opens the result page, which fetches and checks the image', { skip, timeout: 180000 }, async () => {
  let [sw] = context.serviceWorkers();
  if (!sw) sw = await context.waitForEvent('serviceworker', { timeout: 30000 });
  assert.match(sw.url(), /^chrome-extension:\/\/[a-p]{32}\/web\/extension\/background\.js$/);
  const extOrigin = new URL(sw.url()).origin;
  // The menu item exists (update() rejects for an unknown id). The worker can be up before its
  // runtime.onInstalled listener has run, so give the install event a few seconds.
  let menu;
  for (let i = 0; i < 50; i++) {
    menu = await sw.evaluate((id) => chrome.contextMenus.update(id, {}).then(() => 'ok', (e) => e.message), MENU_ID);
    if (menu === 'ok') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(menu, 'ok');

  const page = await context.newPage();
  await page.goto(`${siteUrl}/`);
  await page.waitForFunction(() => document.querySelector('#portrait').complete);
  const srcUrl = await page.evaluate(() => document.querySelector('#portrait').src);
  const before = siteLog.filter((r) => r.url === '/photos/portrait.jpg').length;

  // What Chrome passes to contextMenus.onClicked for a right-click on the image.
  const opened = context.waitForEvent('page', { timeout: 30000 });
  const win = await sw.evaluate((info) => onMenuClick(info), { menuItemId: MENU_ID, srcUrl, pageUrl: `${siteUrl}/`, mediaType: 'image' });
  const result = await opened;
  assert.equal(win.type, 'popup', 'opens as a popup window');
  assert.equal(new URL(result.url()).origin, extOrigin);
  assert.equal(new URL(result.url()).searchParams.get('src'), srcUrl);
  const console_ = [];
  result.on('console', (m) => console_.push(m.text()));
  await waitChecker(result);
  await waitCards(result, 1);

  const card = await readCard(result, 'portrait.jpg');
  assert.ok(card, 'card named after the image file');
  const expected = node.checkSync(new Uint8Array(fs.readFileSync(photo('lfw-real/real-0005.jpg'))));
  assert.equal(expected.faces.length, 1);
  assert.equal(card.boxes.length, 1);
  const [bx, by, bw, bh] = expected.faces[0].box;
  assert.ok(Math.abs(card.boxes[0].x - bx) < 0.01 && Math.abs(card.boxes[0].y - by) < 0.01 &&
    Math.abs(card.boxes[0].w - bw) < 0.01 && Math.abs(card.boxes[0].h - bh) < 0.01, 'same face box as the Node API');
  const { formatScore: pct, detectorText } = await import('../../bindings/js/verdict.js');
  assert.ok(card.faces[0].includes(detectorText(expected.faces[0].score)));
  if (expected.faces[0].fake == null) assert.match(card.faces[0], /no classifier loaded/);
  else assert.ok(card.faces[0].includes(`(${pct(expected.faces[0].fake)})`), card.faces[0]);
  assert.match(await result.textContent('#source'), /from 127\.0\.0\.1 .*Nothing is uploaded/);

  // The extension page downloaded the image itself (the site saw one more request for it), and
  // sent nothing else to the site.
  const after = siteLog.filter((r) => r.url === '/photos/portrait.jpg');
  assert.equal(after.length, before + 1);
  assert.ok(siteLog.every((r) => r.method === 'GET'));
  assert.deepEqual(console_.filter((t) => /Content Security Policy|unsafe-eval/i.test(t)), []);
  await result.screenshot({ path: artifact('extension-result.png'), fullPage: true });
});

test('right-click on a video: the result page downloads it, samples its frames and shows the face track', { skip, timeout: 180000 }, async () => {
  const [sw] = context.serviceWorkers();
  const srcUrl = `${siteUrl}/clips/moving.webm`;
  const opened = context.waitForEvent('page', { timeout: 30000 });
  await sw.evaluate((info) => onMenuClick(info), { menuItemId: MENU_ID, srcUrl, pageUrl: `${siteUrl}/`, mediaType: 'video' });
  const result = await opened;
  assert.equal(new URL(result.url()).searchParams.get('kind'), 'video');
  await waitChecker(result);
  await result.waitForFunction(() => { const c = document.querySelector('.card.video'); return c && !c.classList.contains('pending'); }, null, { timeout: 120000 });
  const card = result.locator('.card.video[data-name="moving.webm"]');
  assert.match(await card.locator('.verdict').textContent(), /face track 1 scored \d/);
  assert.equal(await card.locator('circle.point').count(), 4);
  assert.match(await result.textContent('#source'), /^Video from 127\.0\.0\.1 .*Nothing is uploaded/);
  await result.screenshot({ path: artifact('extension-video.png'), fullPage: true });
  await result.close();

  // Without a tab to read it in, a stream the page assembles itself (blob:) cannot be fetched: said plainly.
  const blobbed = context.waitForEvent('page', { timeout: 30000 });
  await sw.evaluate((info) => onMenuClick(info), { menuItemId: MENU_ID, srcUrl: `blob:${siteUrl}/1234`, pageUrl: `${siteUrl}/`, mediaType: 'video' });
  const page2 = await blobbed;
  await page2.waitForFunction(() => /Could not download the video: the page streams this video itself/.test(document.getElementById('status-text')?.textContent || ''), null, { timeout: 60000 });
  await page2.close();
});

test('right-click on a streamed video (MSE, blob:): frames are read where it plays, then checked', { skip, timeout: 180000 }, async () => {
  const [sw] = context.serviceWorkers();
  const site = await context.newPage();
  await site.goto(`${siteUrl}/streamed`);
  await site.waitForFunction(() => { const v = document.getElementById('v'); return v.currentTime > 0.2 && !v.paused; }, null, { timeout: 30000 });
  const srcUrl = await site.evaluate(() => document.getElementById('v').src);
  assert.match(srcUrl, /^blob:/);
  const opened = context.waitForEvent('page', { timeout: 60000 });
  // What Chrome passes for a right-click on the playing video: the info and its tab.
  await sw.evaluate(async ({ info, url }) => {
    const [tab] = await chrome.tabs.query({ url });
    return onMenuClick(info, tab);
  }, { info: { menuItemId: MENU_ID, srcUrl, pageUrl: `${siteUrl}/streamed`, mediaType: 'video', frameId: 0 }, url: `${siteUrl}/streamed` });
  const result = await opened;
  assert.ok(new URL(result.url()).searchParams.get('captured'), 'opened with captured frames');
  await waitChecker(result);
  await result.waitForFunction(() => { const c = document.querySelector('.card.video'); return c && !c.classList.contains('pending'); }, null, { timeout: 120000 });
  const verdict = await result.locator('.card.video .verdict').textContent();
  assert.match(verdict, /face track 1 scored \d/, verdict);
  const points = await result.locator('.card.video circle.point').count();
  assert.ok(points >= 2, `frames read as it played: ${points}`);
  assert.match(await result.textContent('#source'), /^Video playing on 127\.0\.0\.1 .*Nothing is uploaded/);
  await result.screenshot({ path: artifact('extension-streamed-video.png'), fullPage: true });
  await result.close();
  await site.close();
});

test('the menu handler ignores other menu ids and clicks without an image', { skip }, async () => {
  const [sw] = context.serviceWorkers();
  assert.equal(await sw.evaluate(() => onMenuClick({ menuItemId: 'other', srcUrl: 'http://127.0.0.1/x.jpg' })), null);
  assert.equal(await sw.evaluate((id) => onMenuClick({ menuItemId: id }), MENU_ID), null);
});

test('the result page reports an image it cannot download instead of failing silently', { skip, timeout: 120000 }, async () => {
  const [sw] = context.serviceWorkers();
  const opened = context.waitForEvent('page', { timeout: 30000 });
  await sw.evaluate((info) => onMenuClick(info), { menuItemId: MENU_ID, srcUrl: `${siteUrl}/photos/missing.jpg`, pageUrl: `${siteUrl}/` });
  const result = await opened;
  await result.waitForFunction(() => document.querySelector('#status')?.classList.contains('error'), null, { timeout: 60000 });
  assert.match(await result.textContent('#status'), /Could not download the image: the site answered HTTP 404/);
  assert.equal(await result.locator('.card').count(), 0);
  await result.close();
});

test('the toolbar panel (no image address) checks a picked file like the web page', { skip, timeout: 120000 }, async () => {
  const [sw] = context.serviceWorkers();
  const opened = context.waitForEvent('page', { timeout: 30000 });
  // What the toolbar button does.
  await sw.evaluate(() => openResult(null));
  const panel = await opened;
  assert.equal(new URL(panel.url()).search, '');
  await waitChecker(panel);
  await panel.setInputFiles('#file', photo('ffhq-stylegan2/real-0001.jpg'));
  await waitCards(panel, 1);
  const card = await readCard(panel, 'real-0001.jpg');
  const expected = node.checkSync(new Uint8Array(fs.readFileSync(photo('ffhq-stylegan2/real-0001.jpg'))));
  assert.equal(card.boxes.length, expected.faces.length);
  assert.ok(card.boxes.length >= 1);
  await panel.close();
});
