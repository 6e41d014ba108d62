// Service worker: keeps the app shell, the wasm module and the models in the Cache API so the
// page works offline. Network first (revalidated cheaply by ETag), the cache when offline.
const CACHE = 'deepfake-shield-v1';
const SHELL = [
  './', './index.html', './style.css', './app.js', './ui.js', './cards.js', './client.js', './worker.js', './icon.svg',
  '../dist/index.js', '../dist/verdict.js', '../dist/c2pa.js', '../dist/deepfake-shield.mjs', '../dist/deepfake-shield.wasm',
  '../models/blazeface_short.dfs', '../models/blazeface_full.dfs',
];
// Not shipped until a trained model exists: cached when present, never required.
const OPTIONAL = ['../models/classifier.dfs'];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL);
    await Promise.all(OPTIONAL.map((u) => cache.add(u).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE && key.startsWith('deepfake-shield-')) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const res = await fetch(req);
      if (res.ok && res.status === 200) event.waitUntil(cache.put(req, res.clone()));
      return res;
    } catch (e) {
      const hit = await cache.match(req, { ignoreSearch: req.mode === 'navigate' });
      if (hit) return hit;
      throw e;
    }
  })());
});
