// Extension service worker: adds "Check with Deepfake Shield" to the context menu of images and
// videos and opens the result page with the address. The page fetches and checks it itself.
const MENU_ID = 'deepfake-shield-check';
const RESULT_PAGE = 'web/extension/result.html';

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({ id: MENU_ID, title: 'Check with Deepfake Shield', contexts: ['image', 'video'] });
});

async function openResult(params) {
  const url = chrome.runtime.getURL(RESULT_PAGE) + (params ? `?${new URLSearchParams(params)}` : '');
  try {
    return await chrome.windows.create({ url, type: 'popup', width: 560, height: 820 });
  } catch {
    // Some browsers (and window-less setups) refuse popups: a tab shows the same page.
    return chrome.tabs.create({ url });
  }
}

// Runs in the page (chrome.scripting), in the extension's isolated world: the frames of the
// <video> playing `src`, read as it plays (one per second of video, up to maxFrames or 12 s),
// as JPEG data URLs. A page that streams its video (MSE, a blob: address) is the only one that
// can read it, so its frames are taken where it plays. Nothing but these frames leaves the page.
async function captureVideoFrames(src, maxFrames, maxSide) {
  const v = [...document.querySelectorAll('video')].find((x) => x.currentSrc === src || x.src === src);
  if (!v) return { error: 'the video is no longer on the page' };
  if (!v.videoWidth) return { error: 'the video has no frame to read yet; play it, then check again' };
  const k = Math.min(1, maxSide / Math.max(v.videoWidth, v.videoHeight));
  const c = document.createElement('canvas');
  c.width = Math.max(2, Math.round(v.videoWidth * k));
  c.height = Math.max(2, Math.round(v.videoHeight * k));
  const ctx = c.getContext('2d');
  const frames = [];
  const grab = () => {
    ctx.drawImage(v, 0, 0, c.width, c.height);
    frames.push({ t: Math.round(v.currentTime * 1000) / 1000, url: c.toDataURL('image/jpeg', 0.92) });
  };
  try {
    grab();
  } catch (e) {
    return { error: `the site does not let other code read this video's pixels (${e.name})` };
  }
  const start = performance.now();
  while (frames.length < maxFrames && !v.paused && !v.ended && performance.now() - start < 12000) {
    await new Promise((r) => setTimeout(r, 200));
    if (v.currentTime - frames.at(-1).t >= 1) grab();
  }
  return { frames, width: c.width, height: c.height };
}

// Captured frames wait here until the result page asks for them (by id, once).
const captures = new Map();
chrome.runtime.onMessage.addListener((msg, sender, reply) => {
  if (msg?.type !== 'captured' || sender.id !== chrome.runtime.id) return false;
  reply(captures.get(msg.id) ?? { error: 'the captured frames are gone (the extension restarted); check again' });
  captures.delete(msg.id);
  return false;
});

// Global on purpose: the context-menu path, also callable from tests via the worker's scope.
async function onMenuClick(info, tab) {
  if (info.menuItemId !== MENU_ID || !info.srcUrl) return null;
  const kind = info.mediaType === 'video' ? 'video' : 'image';
  if (kind === 'video' && info.srcUrl.startsWith('blob:') && tab?.id != null && chrome.scripting) {
    let got;
    try {
      [{ result: got }] = await chrome.scripting.executeScript({
        target: { tabId: tab.id, frameIds: [info.frameId ?? 0] }, func: captureVideoFrames, args: [info.srcUrl, 12, 1280],
      });
    } catch (e) {
      got = { error: `the page could not be read (${e?.message || e})` };
    }
    const id = crypto.randomUUID();
    captures.set(id, got ?? { error: 'no frames' });
    return openResult({ captured: id, page: info.pageUrl || '', kind });
  }
  return openResult({ src: info.srcUrl, page: info.pageUrl || '', kind });
}

chrome.contextMenus.onClicked.addListener(onMenuClick);
chrome.action.onClicked.addListener(() => openResult(null));
