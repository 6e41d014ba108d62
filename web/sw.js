// Service worker: keeps the app shell, the wasm module and the models in the Cache API so the
// page works offline. Network first (revalidated cheaply by ETag), the cache when offline.
const CACHE = 'deepfake-shield-v1';
// What to keep: web/assets.json, the one list the build scripts copy from (paths from the
// root, which is this folder's parent). Optional files are cached when present, never required.
async function assetList() {
  const a = await (await fetch('./assets.json', { cache: 'no-cache' })).json();
  const url = (f) => (f.startsWith('web/') ? './' + f.slice(4) : '../' + f);
  return { required: ['./', ...[...a.page, ...a.shared, ...a.runtime].map(url)], optional: a.runtime_optional.map(url) };
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const { required, optional } = await assetList();
    const cache = await caches.open(CACHE);
    await cache.addAll(required);
    await Promise.all(optional.map((u) => cache.add(u).catch(() => {})));
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
