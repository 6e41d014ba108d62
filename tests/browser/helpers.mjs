// Shared by the browser tests: Chromium launch (the system one, never a download), skip
// reasons, request logging, the artifacts folder, and photos read from ../shared (or, in a clone
// without it, the committed public-domain portrait under the same names).
import { after, before } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { ROOT, SHARED, HAVE_SHARED, FACE_FIXTURE, toolSkip } from '../node/helpers.mjs';

export { ROOT, SHARED };
export const CHROMIUM = process.env.DFS_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];

function skipReason() {
  if (!fs.existsSync(CHROMIUM)) return toolSkip(`${CHROMIUM} is absent (tools/setup.sh installs the chromium package)`);
  if (!fs.existsSync(path.join(ROOT, 'dist/index.js')) || !fs.existsSync(path.join(ROOT, 'dist/deepfake-shield.wasm'))) {
    return 'dist/ is not built (run npm run build)';
  }
  return false;
}
export const SKIP_BROWSER = skipReason();

// A test photo by its ../shared name. Without ../shared: the face fixture copied under that name
// (the tests compare the page with the Node API on the same file, so any face will do), except
// the C2PA fixtures, which stay missing (their tests check for them).
export function photo(rel) {
  if (HAVE_SHARED || rel.startsWith('provenance/')) return path.join(SHARED, 'testdata', rel);
  const stand_in = path.join(os.tmpdir(), `dfs-stand-in-photos-${process.pid}`, rel);
  if (!fs.existsSync(stand_in)) {
    fs.mkdirSync(path.dirname(stand_in), { recursive: true });
    // The one two-face photo the tests use gets two faces: the portrait twice, side by side.
    if (rel === 'seed-examples/adi_fake.png') {
      execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', FACE_FIXTURE, '-i', FACE_FIXTURE, '-filter_complex', 'hstack=inputs=2', stand_in]);
    } else {
      fs.copyFileSync(FACE_FIXTURE, stand_in);
    }
  }
  return stand_in;
}

export async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: BASE_ARGS });
}

export function artifact(name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/** Records every request the context makes (page, workers, service worker). */
export function logRequests(context) {
  const log = [];
  context.on('request', (r) => {
    log.push({ url: r.url(), method: r.method(), body: r.postDataBuffer(), type: r.resourceType(), at: Date.now() });
  });
  return log;
}

/** Waits until the worker reports the checker loaded (or failed, which fails the test). */
export async function waitChecker(page, timeout = 90000) {
  await page.waitForFunction(() => document.documentElement.dataset.checker, null, { timeout });
  const state = await page.evaluate(() => document.documentElement.dataset.checker);
  if (state !== 'ready') throw new Error(`checker did not start: ${await page.textContent('#status')}`);
}

export async function waitCards(page, n, timeout = 120000) {
  await page.waitForFunction((k) => document.querySelectorAll('.card').length >= k &&
    document.querySelectorAll('.card.pending').length === 0 &&
    [...document.querySelectorAll('.shot img')].every((i) => i.complete), n, { timeout });
}

/** The card of one file, as the page shows it: classes, texts and the drawn face boxes. */
export function readCard(page, name) {
  return page.evaluate((nm) => {
    const card = [...document.querySelectorAll('.card')].find((c) => c.dataset.name === nm);
    if (!card) return null;
    const svg = card.querySelector('svg.boxes');
    return {
      classes: card.className.split(' '),
      tabindex: card.getAttribute('tabindex'),
      label: card.getAttribute('aria-label'),
      verdict: card.querySelector('.verdict').textContent,
      // In face-number order (the list itself is sorted by score): faces[i] is face i + 1.
      faces: [...card.querySelectorAll('.faces li')].sort((a, b) => +a.dataset.face - +b.dataset.face).map((li) => li.textContent),
      faceOrder: [...card.querySelectorAll('.faces li')].map((li) => +li.dataset.face),
      timings: card.querySelector('.timings').textContent,
      viewBox: svg?.getAttribute('viewBox') ?? null,
      // Where the overlay and the photo are drawn: they must coincide for the boxes to be right.
      imgRect: (({ x, y, width, height }) => [x, y, width, height])(card.querySelector('.shot img').getBoundingClientRect()),
      svgRect: svg ? (({ x, y, width, height }) => [x, y, width, height])(svg.getBoundingClientRect()) : null,
      imgNatural: [card.querySelector('.shot img').naturalWidth, card.querySelector('.shot img').naturalHeight],
      boxes: [...card.querySelectorAll('rect.face-box')].map((r) => ({
        x: +r.getAttribute('x'), y: +r.getAttribute('y'), w: +r.getAttribute('width'), h: +r.getAttribute('height'),
        stroke: r.getAttribute('stroke'),
      })),
      heat: [...card.querySelectorAll('canvas.heat')].map((c) => {
        const rect = c.getBoundingClientRect();
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let maxAlpha = 0;
        for (let i = 3; i < px.length; i += 4) maxAlpha = Math.max(maxAlpha, px[i]);
        return { w: c.width, h: c.height, shownW: rect.width, shownH: rect.height, maxAlpha };
      }),
    };
  }, name);
}

/** Dispatches a synthetic drop (kind 'drop') or paste (kind 'paste') of one file on the page. */
export async function dispatchFile(page, kind, name, bytes, type = 'image/jpeg') {
  await page.evaluate(({ kind, name, b64, type }) => {
    const bin = atob(b64);
    const data = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) data[i] = bin.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([data], name, { type }));
    const target = document.querySelector('#pick');
    if (kind === 'drop') {
      target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    } else {
      document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }
  }, { kind, name, b64: Buffer.from(bytes).toString('base64'), type });
}

/** A 96x64 grey 24-bit BMP: a valid image with no face in it. */
export function greyBmp(w = 96, h = 64) {
  const row = w * 3, size = 54 + row * h;
  const b = Buffer.alloc(size, 140);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(size, 2); b.writeUInt32LE(0, 6); b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14); b.writeInt32LE(w, 18); b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26); b.writeUInt16LE(24, 28); b.writeUInt32LE(0, 30); b.writeUInt32LE(row * h, 34);
  b.fill(0, 38, 54);
  return b;
}

/**
 * Registers before/after hooks for a page test file: the repo's static server, Chromium, and
 * a Node checker whose results the page must reproduce. Fields are set once `before` ran.
 */
export function pageEnv(skip) {
  const env = { srv: null, browser: null, node: null, startServer: null };
  before(async () => {
    if (skip) return;
    ({ startServer: env.startServer } = await import('../../tools/serve.js'));
    const { createChecker } = await import('../../dist/index.js');
    env.srv = await env.startServer({ port: 0 });
    env.browser = await launch();
    env.node = await createChecker();
  });
  after(async () => {
    await env.browser?.close();
    await env.srv?.close();
    env.node?.dispose();
  });
  return env;
}
