// Renders web/icon.svg into the extension's PNG icons (web/extension/icons/icon-N.png) with the
// system Chromium. Run by hand when the SVG changes; the PNGs are committed (a few KB) so the
// extension build needs no browser.
//   node tools/render-icons.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SIZES = [16, 32, 48, 128];
const svg = fs.readFileSync(path.join(ROOT, 'web/icon.svg'), 'utf8');
const out = path.join(ROOT, 'web/extension/icons');
fs.mkdirSync(out, { recursive: true });
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: process.env.DFS_CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  for (const n of SIZES) {
    const page = await browser.newPage({ viewport: { width: n, height: n }, deviceScaleFactor: 1 });
    await page.setContent(`<!doctype html><style>html,body{margin:0;background:transparent}svg{display:block;width:${n}px;height:${n}px}</style>${svg}`);
    await page.screenshot({ path: path.join(out, `icon-${n}.png`), omitBackground: true });
    await page.close();
    console.log(`icon-${n}.png ${fs.statSync(path.join(out, `icon-${n}.png`)).size} bytes`);
  }
} finally {
  await browser.close();
}
