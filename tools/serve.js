#!/usr/bin/env node
// Static server for the web page: serves web/, dist/ and models/ of the repo, nothing else.
//   node tools/serve.js [--port 8080] [--host 127.0.0.1] [--root DIR] [--strict-csp] [--isolated]
// (--root: another folder with the same layout, e.g. the output of tools/build-web.sh)
// Single-threaded wasm needs no COOP/COEP. Paths under /strict/ serve the same files with a
// strict Content-Security-Policy header (no eval, no outside origins) to prove the app needs none.
// Paths under /isolated/ (or every path with --isolated) add COOP + COEP, which makes the page
// cross-origin isolated, so it loads the threaded module.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVED_DIRS = ['web', 'dist', 'models'];

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.dfs': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
  "img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; object-src 'none'; base-uri 'none'";

// Maps a URL path to a file under one of the served folders, or null (outside, or missing).
function resolveFile(root, urlPath) {
  let rel;
  try { rel = decodeURIComponent(urlPath); } catch { return null; }
  if (rel.includes('\0')) return null;
  const parts = rel.split('/').filter(Boolean);
  if (!parts.length || !SERVED_DIRS.includes(parts[0]) || parts.includes('..')) return null;
  let file = path.join(root, ...parts);
  if (!file.startsWith(root + path.sep)) return null;
  let st;
  try { st = fs.statSync(file); } catch { return null; }
  if (st.isDirectory()) {
    file = path.join(file, 'index.html');
    try { st = fs.statSync(file); } catch { return null; }
  }
  return st.isFile() ? { file, st } : null;
}

function handler(root, opts) {
  return (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let p = url.pathname;
    let prefix = '';
    for (const pre of ['/strict', '/isolated']) {
      if (p === pre || p.startsWith(pre + '/')) {
        prefix = pre;
        p = p.slice(pre.length) || '/';
        break;
      }
    }
    const strict = opts.strict || prefix === '/strict';
    const isolated = opts.isolated || prefix === '/isolated';
    const headers = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
    if (strict) headers['Content-Security-Policy'] = STRICT_CSP;
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    if (p === '/' || p === '/web') {
      res.writeHead(302, { ...headers, Location: prefix + '/web/' });
      res.end();
      return;
    }
    if (p === '/favicon.ico') p = '/web/icon.svg';
    const hit = resolveFile(root, p);
    if (!hit) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    // A directory URL without its slash would resolve the page's relative imports one level up.
    if (hit.file.endsWith('index.html') && !p.endsWith('/') && !p.endsWith('.html')) {
      res.writeHead(301, { ...headers, Location: prefix + p + '/' });
      res.end();
      return;
    }
    const etag = `"${hit.st.size.toString(16)}-${Math.floor(hit.st.mtimeMs).toString(16)}"`;
    // Revalidate every time: a 304 costs one round trip, and a rebuilt model is never stale.
    Object.assign(headers, {
      'Content-Type': MIME[path.extname(hit.file).toLowerCase()] || 'application/octet-stream',
      'Cache-Control': 'no-cache',
      ETag: etag,
      'Last-Modified': hit.st.mtime.toUTCString(),
    });
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    headers['Content-Length'] = hit.st.size;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') { res.end(); return; }
    fs.createReadStream(hit.file).on('error', () => res.destroy()).pipe(res);
  };
}

/** Starts the server; resolves to {server, port, url, close()}. port 0 picks a free one. */
export function startServer({ port = 8080, host = '127.0.0.1', root = REPO, strict = false, isolated = false } = {}) {
  const server = http.createServer(handler(path.resolve(root), { strict, isolated }));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      const shown = host.includes(':') ? `[${host}]` : host;
      resolve({
        server, port: actual, url: `http://${shown}:${actual}`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

function parseArgs(argv) {
  const o = { port: 8080, host: '127.0.0.1', strict: false, root: REPO };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a === '--port' || a.startsWith('--port=')) o.port = Number(val());
    else if (a === '--host' || a.startsWith('--host=')) o.host = val();
    else if (a === '--root' || a.startsWith('--root=')) o.root = path.resolve(val());
    else if (a === '--strict-csp') o.strict = true;
    else if (a === '--isolated') o.isolated = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node tools/serve.js [--port 8080] [--host 127.0.0.1] [--root DIR] [--strict-csp] [--isolated]\n');
      process.exit(0);
    } else {
      process.stderr.write(`serve: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
    process.stderr.write('serve: --port needs an integer in [0, 65535]\n');
    process.exit(2);
  }
  return o;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(o.root, 'dist/index.js'))) {
    process.stderr.write('serve: dist/ is missing; run `npm run build` first\n');
  }
  startServer(o).then(({ url }) => {
    process.stdout.write(`Deepfake Shield: ${url}/web/  (strict CSP: ${url}/strict/web/, ` +
      `threaded (COOP + COEP): ${url}/isolated/web/)\n`);
  }, (e) => {
    process.stderr.write(`serve: ${e.message}\n`);
    process.exit(1);
  });
}
