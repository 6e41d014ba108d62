// Extension result page: fetches the image or video the user right-clicked (with the extension's
// host permission, from this page, never from the site's content) and checks it with the shared UI.
import { mountApp } from '../ui.js';

const app = mountApp(document.getElementById('app'));
globalThis.deepfakeShield = app;

function nameOf(src, kind) {
  if (src.startsWith('data:')) return `${kind} from the page (data URL)`;
  try {
    const u = new URL(src);
    return decodeURIComponent(u.pathname.split('/').filter(Boolean).pop() || u.hostname);
  } catch {
    return kind;
  }
}

async function checkAddress(src, page, kind) {
  const source = document.getElementById('source');
  let where = '';
  try { where = new URL(page || src).hostname; } catch { /* data: or opaque */ }
  const Kind = kind === 'video' ? 'Video' : 'Image';
  source.textContent = `${Kind} ${where ? `from ${where} ` : ''}checked on this device. Nothing is uploaded: the ${kind} is downloaded here, like the page did, and stays here.`;
  let blob;
  try {
    if (src.startsWith('blob:')) {
      throw new Error(kind === 'video'
        ? 'the page streams this video itself (a blob: address, e.g. adaptive streaming) and only that page can read it; download the video if the site allows, and drop the file here'
        : 'the page made this image itself (a blob: address) and only that page can read it; save the image and drop the file here');
    }
    const res = await fetch(src, { credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'force-cache' });
    if (!res.ok) throw new Error(`the site answered HTTP ${res.status}; save the ${kind} and drop the file here`);
    blob = await res.blob();
  } catch (e) {
    // Said after the checker settles, so that its "ready" line does not cover the error.
    await app.checker.ready.catch(() => {});
    app.setStatus(`Could not download the ${kind}: ${e.message}`, 'error', 0);
    return;
  }
  if (kind === 'video') app.addFiles([new File([blob], nameOf(src, kind), { type: blob.type && blob.type.startsWith('video/') ? blob.type : 'video/mp4' })]);
  else app.addBlob(nameOf(src, kind), blob);
}

// A video the page streams itself: its frames were read where it plays (background.js), and
// are fetched from the extension's worker once.
async function checkCaptured(id, page) {
  const source = document.getElementById('source');
  let where = '';
  try { where = new URL(page).hostname; } catch { /* opaque */ }
  source.textContent = `Video ${where ? `playing on ${where} ` : ''}checked on this device from frames read as it played. Nothing is uploaded.`;
  const got = await chrome.runtime.sendMessage({ type: 'captured', id });
  if (!got || got.error) {
    await app.checker.ready.catch(() => {});
    app.setStatus(`Could not read the video: ${got?.error || 'no answer'}; download the video if the site allows, and drop the file here`, 'error', 0);
    return;
  }
  app.addVideo(new File([], `video on ${where || 'the page'}`, { type: 'video/webm' }), got);
}

const params = new URLSearchParams(location.search);
if (params.get('captured')) checkCaptured(params.get('captured'), params.get('page'));
else if (params.get('src')) checkAddress(params.get('src'), params.get('page'), params.get('kind') === 'video' ? 'video' : 'image');
