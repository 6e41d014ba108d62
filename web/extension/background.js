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

// Global on purpose: the context-menu path, also callable from tests via the worker's scope.
async function onMenuClick(info) {
  if (info.menuItemId !== MENU_ID || !info.srcUrl) return null;
  return openResult({ src: info.srcUrl, page: info.pageUrl || '', kind: info.mediaType === 'video' ? 'video' : 'image' });
}

chrome.contextMenus.onClicked.addListener(onMenuClick);
chrome.action.onClicked.addListener(() => openResult(null));
