// The checker UI shared by the web page and the extension's result page: intake (pick, drop,
// paste), settings (threshold, heat map), status and progress, result cards, JSON export.
import { WorkerChecker } from './client.js';
import { createCard, relabel as relabelImage, toJson as imageJson } from './cards.js';
import { isVideoFile, sampleFrames, capturedFrames, createVideoCard, relabelVideo, videoJson, VIDEO_MAX_FRAMES } from './video.js';
import { EVIDENCE_NOTE, bandAt, measuredText } from '../dist/verdict.js';

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (v === true) node.setAttribute(k, '');
    else if (v !== false && v != null) node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

const pctLabel = (t) => `${(t * 100).toFixed(Math.abs(t * 100 - Math.round(t * 100)) < 0.05 ? 0 : 1)}%`;
const mb = (n) => `${(n / 1048576).toFixed(n < 1048576 ? 2 : 1)} MB`;

function imageFiles(list) {
  return [...(list || [])].filter((f) => f && (f.type.startsWith('image/') || /\.(jpe?g|png|gif|bmp|webp|avif|jfif)$/i.test(f.name)));
}

// Images and videos share the list of cards; each kind has its own card and words.
const relabel = (card, entry, view) => (entry.kind === 'video' ? relabelVideo : relabelImage)(card, entry, view);
const toJson = (entry, threshold, band) => (entry.kind === 'video' ? videoJson(entry) : imageJson(entry, threshold, band));

/** Builds the UI inside root; resolves nothing, returns {addFiles, addBlob, entries, checker}. */
export function mountApp(root) {
  const fileInput = h('input', { id: 'file', type: 'file', accept: 'image/*,video/*', multiple: true, hidden: true, tabindex: '-1' });
  const pick = h('button', { id: 'pick', class: 'drop', type: 'button', 'aria-describedby': 'drop-hint' },
    h('span', { class: 'drop-title', text: 'Choose photos or videos' }),
    h('span', { id: 'drop-hint', class: 'drop-hint', text: 'or drop them anywhere on this page, or paste one (Ctrl+V / ⌘V). Several at once is fine.' }));
  const threshold = h('input', { id: 'threshold', type: 'range', min: '0', max: '1', step: '0.01', value: '0.5', 'aria-describedby': 'threshold-help' });
  const thresholdOut = h('output', { id: 'threshold-value', for: 'threshold', text: '50%' });
  const heat = h('input', { id: 'heat', type: 'checkbox', disabled: true });
  const exportBtn = h('button', { id: 'export', type: 'button', disabled: true, text: 'Export JSON' });
  const clearBtn = h('button', { id: 'clear', type: 'button', class: 'quiet', disabled: true, text: 'Clear' });
  const progress = h('progress', { id: 'progress', max: '1', value: '0' });
  const statusText = h('span', { id: 'status-text', text: 'Loading the checker…' });
  const cards = h('section', { id: 'cards', class: 'cards', 'aria-label': 'Results' });
  const thresholdHelp = h('span', { id: 'threshold-help', class: 'help',
    text: 'Faces scoring at or above this are labelled "likely manipulated". Moving it re-labels results without checking again.' });

  root.append(
    h('section', { class: 'intake' }, pick, fileInput),
    h('section', { class: 'controls', 'aria-label': 'Settings' },
      h('div', { class: 'slider' },
        h('label', { for: 'threshold', text: 'Flag as manipulated at' }), threshold, thresholdOut, thresholdHelp),
      h('div', { class: 'buttons' },
        h('label', { class: 'toggle', id: 'heat-label' }, heat, h('span', { text: 'Attention map' })),
        exportBtn, clearBtn)),
    h('div', { id: 'status', class: 'status loading', role: 'status', 'aria-live': 'polite' }, progress, statusText),
    cards);

  const entries = [];
  const view = { threshold: 0.5, showHeatmap: false };
  let info = null;
  let queue = Promise.resolve();
  // The batch being checked: files and bytes, so the bar moves by the work done, never back.
  let batch = { total: 0, done: 0, bytes: 0, doneBytes: 0 };
  let pasted = 0;

  const setStatus = (text, state, frac) => {
    statusText.textContent = text;
    root.querySelector('#status').className = `status ${state}`;
    if (frac == null) progress.removeAttribute('value');
    else progress.value = frac;
  };

  const checker = new WorkerChecker({
    onProgress: ({ loaded, total }) => {
      setStatus(`Loading the checker: ${mb(loaded)}${total ? ` of ${mb(total)}` : ''} (downloaded once, then cached)`,
        'loading', total ? loaded / total : null);
    },
  });

  const readyText = () => {
    if (!info) return '';
    const parts = ['Ready. Everything runs on this device; nothing is uploaded.'];
    if (info.threads > 1) parts.push(`Using ${info.threads} threads.`);
    else if (globalThis.crossOriginIsolated && (navigator.hardwareConcurrency || 1) < 4) {
      parts.push(`Using one thread: with ${navigator.hardwareConcurrency || 1} hardware threads, several were not reliably faster.`);
    }
    if (!info.hasClassifier) parts.push('No classifier loaded: faces are found but not scored real or fake.');
    return parts.join(' ');
  };

  checker.ready.then((i) => {
    info = i;
    view.threshold = i.threshold ?? 0.5;
    view.modelBand = i.band ?? null;
    view.band = view.modelBand;
    view.trainedOn = i.trainedOn;
    if (i.hasClassifier) {
      const band = view.band[0] < view.band[1]
        ? ` Scores from ${pctLabel(view.band[0])} to ${pctLabel(view.band[1])} (at this setting) are shown as inconclusive.` : '';
      const measured = measuredText(i.measured);
      thresholdHelp.textContent = `${thresholdHelp.textContent}${band} Trained on ${i.trainedOn}.${measured ? ` ${measured}` : ''} ${EVIDENCE_NOTE}`;
    }
    threshold.value = String(view.threshold);
    thresholdOut.textContent = pctLabel(view.threshold);
    threshold.setAttribute('aria-valuetext', thresholdOut.textContent);
    threshold.disabled = !i.hasClassifier;
    heat.disabled = !i.hasHeatmap;
    root.querySelector('#heat-label').title = i.hasHeatmap ? 'Show where the classifier looked' : 'This model has no heat map';
    if (!i.hasClassifier) thresholdHelp.textContent = 'No classifier loaded, so there is no score to threshold.';
    setStatus(readyText(), 'ready', 1);
    document.documentElement.dataset.checker = 'ready';
  }, (e) => {
    setStatus(`The checker could not start: ${e.message}`, 'error', 0);
    document.documentElement.dataset.checker = 'failed';
  });

  function refreshButtons() {
    const done = entries.filter((e) => e.result || e.error);
    exportBtn.disabled = done.length === 0;
    clearBtn.disabled = entries.length === 0;
  }

  async function run(entry) {
    try {
      const bytes = entry.bytes ?? await entry.blob.arrayBuffer();
      entry.bytes = null;
      entry.result = await checker.check(bytes, { heatmap: !!info?.hasHeatmap });
    } catch (e) {
      entry.error = { code: e.code || 'READ_FAILED', message: e.message };
    }
    finish(entry);
  }

  // One entry done (image or video): its card, the buttons and the batch's progress.
  function finish(entry) {
    batch.done++;
    batch.doneBytes += entry.size;
    if (!entry.removed) relabel(entry.card, entry, view);
    refreshButtons();
    if (batch.done === batch.total) {
      const done = entries.filter((e) => e.result || e.error);
      const n = done.length, what = done.some((e) => e.kind === 'video') ? 'file' : 'image';
      setStatus(`${readyText()} Checked ${n} ${what}${n === 1 ? '' : 's'}.`, 'ready', 1);
      batch = { total: 0, done: 0, bytes: 0, doneBytes: 0 };
    } else {
      setStatus(`Checking image ${batch.done + 1} of ${batch.total} (${mb(batch.doneBytes)} of ${mb(batch.bytes)} done)…`, 'busy',
        batch.bytes ? batch.doneBytes / batch.bytes : batch.done / batch.total);
    }
  }

  /** Queues one image; blob is kept for display, bytes (optional ArrayBuffer) go to the worker. */
  const seenNames = new Map();
  // Two files of one name ("IMG_0001.jpg" from two folders) get told apart: "name (2)".
  function uniqueName(name) {
    const k = (seenNames.get(name) || 0) + 1;
    seenNames.set(name, k);
    return k > 1 ? `${name} (${k})` : name;
  }
  // Shows an entry's card first in the list and, given work, queues it in the batch.
  function addEntry(entry, card, work = null) {
    entry.card = card;
    relabel(card, entry, view);
    cards.prepend(card);
    entries.push(entry);
    attachRemove(entry);
    if (work) {
      batch.total++;
      batch.bytes += entry.size;
      queue = queue.then(() => work(entry));
    }
    refreshButtons();
    return entry;
  }

  function addBlob(name, blob, bytes = null) {
    name = uniqueName(name);
    const entry = { name, blob, bytes, size: blob.size || bytes?.byteLength || 0, url: URL.createObjectURL(blob), result: null, error: null };
    addEntry(entry, createCard(entry), run);
    if (batch.done === 0 && batch.total === 1) setStatus(info ? 'Checking…' : 'Waiting for the checker to load…', info ? 'busy' : 'loading', null);
    return entry;
  }

  // A video: frames sampled in this page (the browser decodes it), checked in the worker one by
  // one; the card fills in when the video is done, or when Cancel stops it early.
  // captured (optional): frames read elsewhere ({frames: [{t, url}], width, height}) instead of
  // a file to sample.
  function addVideo(file, captured = null) {
    const entry = { kind: 'video', name: uniqueName(file.name || `video ${entries.length + 1}`), size: file.size || 0,
      url: captured ? '' : URL.createObjectURL(file), captured, thumbs: new Map(), meta: null, result: null, error: null,
      abort: new AbortController() };
    addEntry(entry, createVideoCard(entry), runVideo);
    entry.card.querySelector('button.cancel').addEventListener('click', () => { entry.cancelled = true; entry.abort.abort(); });
    return entry;
  }

  async function runVideo(entry) {
    const t0 = performance.now();
    const doneBefore = batch.doneBytes;
    try {
      if (entry.abort.signal.aborted) throw Object.assign(new Error('cancelled before it started'), { code: 'CANCELLED' });
      const how = { signal: entry.abort.signal, thumbs: entry.thumbs, meta: (m) => { entry.meta = m; } };
      const frames = entry.captured ? capturedFrames(entry.captured, how) : sampleFrames(entry.url, how);
      let k = 0;
      const counted = (async function* () {
        for await (const f of frames) {
          k++;
          const n = entry.meta?.frames ?? k;
          entry.progress = `Checking frame ${k} of ${n}…`;
          if (!entry.removed) relabel(entry.card, entry, view);
          setStatus(`Checking video ${entry.name}: frame ${k} of ${n}…`, 'busy',
            batch.bytes ? (doneBefore + (entry.size * (k - 1)) / n) / batch.bytes : null);
          yield f;
        }
      })();
      entry.result = await checker.checkVideo(counted, { maxFrames: VIDEO_MAX_FRAMES, signal: entry.abort.signal });
      if (!entry.result.frames_checked) throw Object.assign(new Error('the video has no frames that could be decoded'), { code: 'CORRUPT_VIDEO' });
    } catch (e) {
      entry.result = null;
      entry.error = { code: e.code || 'CORRUPT_VIDEO', message: e.message };
    }
    entry.ms = performance.now() - t0;
    finish(entry);
  }

  // Each card's remove button: the card, its object URL and its entry go (a check still queued
  // for it finishes and is dropped).
  function attachRemove(entry) {
    entry.card.querySelector('.remove').addEventListener('click', () => {
      const i = entries.indexOf(entry);
      if (i >= 0) entries.splice(i, 1);
      entry.removed = true;
      entry.abort?.abort();
      for (const b of entry.thumbs?.values() ?? []) b.close();
      URL.revokeObjectURL(entry.url);
      entry.card.remove();
      refreshButtons();
      pick.focus();
    });
  }

  // A file the page cannot read gets its own card saying so, next to the others (not a line at
  // the top of the page that scrolls out of view).
  function addRejected(f) {
    const entry = { name: f.name || 'file', url: '', result: null,
      error: { code: 'UNSUPPORTED_FORMAT', message: `not an image or video this page can read (${f.type || 'unknown type'})` } };
    return addEntry(entry, createCard(entry));
  }

  function addFiles(list) {
    const files = imageFiles(list);
    const out = [];
    for (const f of [...(list || [])]) {
      if (!f) continue;
      if (files.includes(f)) out.push(addBlob(f.name || `image ${entries.length + 1}`, f));
      else if (isVideoFile(f)) out.push(addVideo(f));
      else addRejected(f);
    }
    return out;
  }

  pick.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => { addFiles(fileInput.files); fileInput.value = ''; });

  let dragDepth = 0;
  document.addEventListener('dragenter', (e) => { e.preventDefault(); dragDepth++; pick.classList.add('over'); });
  document.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; pick.classList.remove('over'); } });
  document.addEventListener('dragover', (e) => { e.preventDefault(); if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy'; });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    pick.classList.remove('over');
    const dt = e.dataTransfer;
    if (dt?.files?.length) addFiles(dt.files);
    else if (dt?.types?.includes('text/uri-list')) {
      // Fetching it would send a request to another site; this page only reads local files.
      setStatus('That is a link to an image on another site. Save the image, then drop the file.', 'error', 0);
    }
  });
  document.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.items || [])].filter((i) => i.kind === 'file').map((i) => i.getAsFile()).filter(Boolean);
    if (!files.length) return;
    e.preventDefault();
    for (const f of imageFiles(files)) {
      pasted++;
      const ext = (f.type.split('/')[1] || 'png').replace('jpeg', 'jpg');
      addBlob(f.name && f.name !== 'image.png' ? f.name : `pasted-${pasted}.${ext}`, f);
    }
  });

  threshold.addEventListener('input', () => {
    view.threshold = Number(threshold.value);
    view.band = bandAt(view.threshold, view.modelBand, info?.threshold);
    thresholdOut.textContent = pctLabel(view.threshold);
    threshold.setAttribute('aria-valuetext', thresholdOut.textContent);
    for (const e of entries) if (e.result || e.error) relabel(e.card, e, view);
  });
  heat.addEventListener('change', () => {
    view.showHeatmap = heat.checked;
    for (const e of entries) if (e.result) relabel(e.card, e, view);
  });

  exportBtn.addEventListener('click', () => {
    const done = entries.filter((e) => e.result || e.error);
    // What produced the verdicts travels with them: tool version, the classifier file's
    // SHA-256, the threshold and band in use (each result line repeats the threshold).
    const json = JSON.stringify({
      tool: 'deepfake-shield', version: info?.version ?? null, exported: new Date().toISOString(),
      models: info?.modelSha256 ? Object.fromEntries(Object.entries(info.modelSha256).map(([role, sha256]) => [role, { sha256 }])) : {},
      threshold: info?.hasClassifier ? view.threshold : null, inconclusive: info?.hasClassifier ? view.band : null,
      trained_on: info?.trainedOn ?? null,
      results: done.map((e) => toJson(e, view.threshold, view.band)),
    }, null, 1);
    const url = URL.createObjectURL(new Blob([json + '\n'], { type: 'application/json' }));
    const a = h('a', { href: url, download: 'deepfake-shield-results.json' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });

  clearBtn.addEventListener('click', async () => {
    await queue;
    for (const e of entries) URL.revokeObjectURL(e.url);
    entries.length = 0;
    cards.replaceChildren();
    refreshButtons();
    if (info) setStatus(readyText(), 'ready', 1);
    pick.focus();
  });

  return { addFiles, addBlob, addVideo, entries, checker, view, setStatus };
}
