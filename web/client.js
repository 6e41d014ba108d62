// Page side of the checker worker: starts it, reports model download progress, and turns
// check requests into promises. Image bytes are transferred to the worker, never copied or sent.

export class WorkerChecker {
  /** onProgress({loaded, total, files}) sums the bytes of every file the worker downloads. */
  constructor({ onProgress } = {}) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'deepfake-shield' });
    this.pending = new Map();
    this.nextId = 1;
    this.files = new Map();
    this.acks = new Map();
    this.ready = new Promise((resolve, reject) => {
      this.worker.onmessage = (event) => {
        const msg = event.data;
        if (msg.type === 'progress') {
          this.files.set(msg.file, { loaded: msg.loaded, total: msg.total });
          let loaded = 0, total = 0;
          for (const f of this.files.values()) { loaded += f.loaded; total += Math.max(f.total, f.loaded); }
          onProgress?.({ loaded, total, file: msg.file });
        } else if (msg.type === 'ready') {
          this.info = msg.info;
          resolve(msg.info);
        } else if (msg.type === 'fatal') {
          reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
        } else if (msg.type === 'video-ack') {
          this.acks.get(msg.id)?.(msg.t);
        } else if (msg.type === 'result' || msg.type === 'failed') {
          const p = this.pending.get(msg.id);
          if (!p) return;
          this.pending.delete(msg.id);
          if (msg.type === 'result') p.resolve(msg.result);
          else p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
        }
      };
      this.worker.onerror = (event) => {
        event.preventDefault?.();
        const err = Object.assign(new Error(event.message || 'the checker worker failed to start'), { code: 'WORKER_FAILED' });
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      };
    });
    this.worker.postMessage({ type: 'init' });
  }

  /** Checks encoded image bytes (the ArrayBuffer is transferred: it is empty afterwards). */
  async check(buffer, { heatmap = false } = {}) {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'check', id, bytes: buffer, heatmap }, [buffer]);
    });
  }

  /**
   * Checks a video from sampled frames ({data: Uint8ClampedArray RGBA, width, height, t}, an async
   * iterable; each data buffer is transferred). A frame is sent once the worker took the one
   * before. Stops early when signal aborts (the tracks so far are still returned).
   */
  async checkVideo(frames, { maxFrames = 64, signal } = {}) {
    await this.ready;
    const id = this.nextId++;
    const result = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    let taken = Promise.resolve();
    try {
      this.worker.postMessage({ type: 'video-begin', id, maxFrames });
      for await (const f of frames) {
        if (signal?.aborted) break;
        await taken;
        taken = new Promise((resolve) => this.acks.set(id, resolve));
        this.worker.postMessage({ type: 'video-frame', id, data: f.data.buffer, width: f.width, height: f.height, t: f.t }, [f.data.buffer]);
      }
    } finally {
      this.acks.delete(id);
      this.worker.postMessage({ type: 'video-end', id });
    }
    return result;
  }

  terminate() { this.worker.terminate(); }
}
