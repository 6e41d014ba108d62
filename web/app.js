// Entry of the web page: mounts the checker UI and registers the service worker that keeps the
// page, the wasm module and the models available offline.
import { mountApp } from './ui.js';

const app = mountApp(document.getElementById('app'));
globalThis.deepfakeShield = app;

if ('serviceWorker' in navigator && isSecureContext && location.protocol.startsWith('http')) {
  navigator.serviceWorker.register('./sw.js').catch((e) => console.warn('offline cache unavailable:', e.message));
}
