// Extension result page: fetches the image the user right-clicked (with the extension's host
// permission, from this page, never from the site's content) and checks it with the shared UI.
import { mountApp } from '../ui.js';

const app = mountApp(document.getElementById('app'));
globalThis.deepfakeShield = app;

function nameOf(src) {
  if (src.startsWith('data:')) return 'image from the page (data URL)';
  try {
    const u = new URL(src);
    return decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() || u.hostname);
  } catch {
    return 'image';
  }
}

async function checkAddress(src, page) {
  const source = document.getElementById('source');
  let where = '';
  try { where = new URL(page || src).hostname; } catch { /* data: or opaque */ }
  source.textContent = `Image ${where ? `from ${where} ` : ''}checked on this device. Nothing is uploaded: the image is downloaded here, like the page did, and stays here.`;
  let blob;
  try {
    if (src.startsWith('blob:')) throw new Error('the page made this image itself (a blob: address) and only that page can read it; save the image and drop the file here');
    const res = await fetch(src, { credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'force-cache' });
    if (!res.ok) throw new Error(`the site answered HTTP ${res.status}; save the image and drop the file here`);
    blob = await res.blob();
  } catch (e) {
    // Said after the checker settles, so that its "ready" line does not cover the error.
    await app.checker.ready.catch(() => {});
    app.setStatus(`Could not download the image: ${e.message}`, 'error', 0);
    return;
  }
  app.addBlob(nameOf(src), blob);
}

const params = new URLSearchParams(location.search);
if (params.get('src')) checkAddress(params.get('src'), params.get('page'));
