// Result cards shared by the web page and the extension: the image with face boxes coloured by
// score, per-face probabilities, the image verdict, optional heat maps and the timings. Labels
// depend on the threshold, so relabel() re-reads it without re-running the check.

import {
  verdictFor, imageVerdictFor, faceVerdictText, imageVerdictText, detectorText, resultJson,
  errorJson, provenanceLines, EVIDENCE_NOTE,
} from '../dist/verdict.js';

const SVG = 'http://www.w3.org/2000/svg';

/** A DOM element with attributes ('class', 'text' as properties) and children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

const ms = (t) => `${t < 10 ? t.toFixed(1) : Math.round(t)} ms`;

/**
 * Colour of a face box: red when likely manipulated, amber when inconclusive, a neutral slate
 * blue otherwise ("no sign" is not an all-clear, so it is not green).
 */
export function scoreColour(p, threshold, band) {
  const v = verdictFor(p, threshold, band);
  if (v === 'likely_manipulated') return 'hsl(4 70% 44%)';
  if (v === 'inconclusive') return 'hsl(34 100% 30%)';
  return 'hsl(218 35% 42%)';
}

/** CSS level of each verdict (the card's colour), for image and video cards. */
export const LEVEL = { likely_manipulated: 'fake', inconclusive: 'unsure', no_sign: 'nosign', no_face: 'none', declared_ai: 'fake' };

/** Words for one face: the shared verdict text, with a CSS level. */
export function faceVerdict(face, threshold, band) {
  const v = verdictFor(face.fake, threshold, band);
  return { level: v ? LEVEL[v] : 'none', text: faceVerdictText(face, threshold, band) };
}

export function imageVerdict(entry, threshold, band) {
  if (entry.error) return { level: 'error', text: `Could not check this image: ${entry.error.message}` };
  const r = entry.result;
  if (!r) return { level: 'pending', text: 'Waiting…' };
  const v = imageVerdictFor(r, threshold, band);
  return { level: v ? LEVEL[v] : 'none', text: imageVerdictText(r, threshold, band) };
}

/** One image as the CLI's --json line has it (the shared resultJson), or its error. */
export function toJson(entry, threshold, band) {
  if (entry.error) return errorJson(entry.name, entry.error.code || 'INTERNAL', entry.error.message);
  return resultJson(entry.name, entry.result, threshold, band);
}

// Attention map as a translucent canvas, stretched from its own range: clear where the gate was
// most closed, opaque cyan where it was most open. A neutral colour: it shows where the model
// looked, not where a face was manipulated, so it must not read as the "manipulated" red.
function heatmapCanvas(h) {
  const c = el('canvas', { class: 'heat', width: String(h.width), height: String(h.height), 'aria-hidden': 'true' });
  const ctx = c.getContext('2d');
  const img = ctx.createImageData(h.width, h.height);
  let lo = Infinity, hi = -Infinity;
  for (const v of h.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const span = hi - lo > 1e-6 ? hi - lo : 1;
  for (let i = 0; i < h.data.length; i++) {
    const v = Math.min(1, Math.max(0, (h.data[i] - lo) / span));
    img.data[i * 4] = Math.round(40 * (1 - v));
    img.data[i * 4 + 1] = Math.round(120 + 100 * v);
    img.data[i * 4 + 2] = 255;
    img.data[i * 4 + 3] = Math.round(190 * v);
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

function place(node, [x, y, w, h], r) {
  node.style.left = `${(100 * x) / r.width}%`;
  node.style.top = `${(100 * y) / r.height}%`;
  node.style.width = `${(100 * w) / r.width}%`;
  node.style.height = `${(100 * h) / r.height}%`;
}

/**
 * Builds a card for entry = {name, url (object URL or page URL of the image), result?, error?}.
 * Call relabel(card, entry, view) after a result arrives or the threshold changes.
 */
export function createCard(entry) {
  const img = el('img', { alt: entry.name, decoding: 'async' });
  if (entry.url) img.src = entry.url;
  const figure = el('figure', { class: 'shot' }, img);
  // The photo scrolls inside this frame when zoomed to its full size (the boxes, tags and heat
  // maps are placed in percent of the figure, so they stay on their faces at any size).
  const frame = el('div', { class: 'shot-frame' }, figure);
  const zoom = el('button', { class: 'zoom quiet', type: 'button', 'aria-pressed': 'false', 'aria-label': `Zoom ${entry.name} to full size`, title: 'Zoom to full size', text: '⤢' });
  // A file the browser cannot show either (corrupt, not an image): no broken-image icon.
  img.addEventListener('error', () => { frame.hidden = true; zoom.hidden = true; });
  if (!entry.url) { frame.hidden = true; zoom.hidden = true; }
  const card = el('article', { class: 'card pending', tabindex: '0' },
    frame,
    el('div', { class: 'card-body' },
      el('div', { class: 'card-head' },
        el('h2', { class: 'name', text: entry.name, title: entry.name }),
        zoom,
        el('button', { class: 'remove quiet', type: 'button', 'aria-label': `Remove ${entry.name}`, title: 'Remove', text: '×' })),
      el('p', { class: 'verdict', role: 'status' }),
      el('ol', { class: 'faces' }),
      el('section', { class: 'provenance', 'aria-label': 'Content Credentials and metadata', hidden: '' },
        el('h3', { text: 'Content Credentials and metadata' }), el('ul')),
      el('p', { class: 'heat-legend', text: 'Attention map (cyan = where the classifier weighed the face most, relative to the rest of this face). It shows where the model looked, not what is fake.' }),
      el('p', { class: 'evidence' }),
      el('p', { class: 'timings' })));
  card.dataset.name = entry.name;
  zoom.addEventListener('click', () => setZoom(card, !card.classList.contains('zoomed')));
  return card;
}

/** Shows the photo at its own pixel size (scrolling in its frame, the card full width) or fitted. */
export function setZoom(card, on) {
  const img = card.querySelector('.shot img');
  const figure = card.querySelector('.shot');
  on = on && img.naturalWidth > 0;
  card.classList.toggle('zoomed', on);
  figure.style.width = on ? `${img.naturalWidth}px` : '';
  const button = card.querySelector('button.zoom');
  button.setAttribute('aria-pressed', String(on));
  button.title = on ? 'Fit to the card' : 'Zoom to full size';
  if (on) card.scrollIntoView({ block: 'nearest' });
}

// In a zoomed photo, brings a face's box into view (centred in the frame where it can be).
function revealFace(card, i) {
  if (!card.classList.contains('zoomed')) return;
  const rect = card.querySelector(`rect[data-face="${i}"]`);
  const frame = card.querySelector('.shot-frame');
  const figure = card.querySelector('.shot');
  const svg = rect?.ownerSVGElement;
  if (!rect || !svg) return;
  const [, , vw, vh] = svg.getAttribute('viewBox').split(' ').map(Number);
  const sx = figure.clientWidth / vw, sy = figure.clientHeight / vh;
  const cx = (Number(rect.getAttribute('x')) + Number(rect.getAttribute('width')) / 2) * sx;
  const cy = (Number(rect.getAttribute('y')) + Number(rect.getAttribute('height')) / 2) * sy;
  frame.scrollTo({ left: cx - frame.clientWidth / 2, top: cy - frame.clientHeight / 2 });
}

function drawOverlay(card, entry) {
  const figure = card.querySelector('.shot');
  figure.querySelectorAll('svg, .heat-layer, .tag').forEach((n) => n.remove());
  const r = entry.result;
  if (!r || !r.faces.length) return;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${r.width} ${r.height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('boxes');
  const stroke = Math.max(2, Math.round(Math.max(r.width, r.height) / 250));
  // Heat maps cover the classifier's square crop, which may reach past the image edges.
  const heatLayer = el('div', { class: 'heat-layer', 'aria-hidden': 'true' });
  r.faces.forEach((f, i) => {
    if (f.heatmap) {
      const c = heatmapCanvas(f.heatmap);
      place(c, f.heatmap.crop, r);
      heatLayer.append(c);
    }
    const rect = document.createElementNS(SVG, 'rect');
    const [x, y, w, h] = f.box;
    Object.entries({ x, y, width: w, height: h, rx: stroke, 'stroke-width': stroke, fill: 'none' })
      .forEach(([k, v]) => rect.setAttribute(k, String(v)));
    rect.classList.add('face-box');
    rect.dataset.face = String(i);
    svg.append(rect);
    const tag = el('span', { class: 'tag', text: String(i + 1), 'aria-hidden': 'true' });
    tag.dataset.face = String(i);
    tag.style.left = `${(100 * x) / r.width}%`;
    tag.style.top = `${(100 * y) / r.height}%`;
    figure.append(tag);
  });
  if (heatLayer.childElementCount) figure.append(heatLayer);
  figure.append(svg);
}

/**
 * Updates labels and colours for the threshold; view = {threshold, band, showHeatmap,
 * trainedOn}.
 */
export function relabel(card, entry, view) {
  const { threshold, band } = view;
  // What the file's metadata says, beside the pixels (nothing shown when it says nothing).
  const lines = provenanceLines(entry.result?.provenance);
  const prov = card.querySelector('.provenance');
  prov.hidden = lines.length === 0;
  prov.querySelector('ul').replaceChildren(...lines.map((l) => el('li', { text: l })));
  card.querySelector('.evidence').textContent = entry.result?.faces.some((f) => f.fake != null)
    ? `${EVIDENCE_NOTE} The classifier was trained on ${view.trainedOn || 'research face data'}.` : '';
  if (!card.querySelector('.boxes') && entry.result?.faces.length) drawOverlay(card, entry);
  const v = imageVerdict(entry, threshold, band);
  card.className = `card ${v.level}${view.showHeatmap ? ' show-heat' : ''}`;
  const verdict = card.querySelector('.verdict');
  verdict.textContent = v.text;
  const list = card.querySelector('.faces');
  list.replaceChildren();
  const r = entry.result;
  if (r) {
    // Most suspicious first; each row keeps its face's number (the tag on the photo) and
    // highlights that face's box while hovered or focused.
    const order = r.faces.map((f, i) => i).sort((a, b) => (r.faces[b].fake ?? -1) - (r.faces[a].fake ?? -1));
    order.forEach((i) => {
      const f = r.faces[i];
      const colour = scoreColour(f.fake, threshold, band);
      card.querySelectorAll(`[data-face="${i}"]`).forEach((n) => {
        if (n.tagName === 'rect') n.setAttribute('stroke', colour);
        else n.style.backgroundColor = colour;
      });
      const fv = faceVerdict(f, threshold, band);
      const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.backgroundColor = colour;
      const li = el('li', { class: `face ${fv.level}`, tabindex: '0' }, swatch,
        el('span', { text: `Face ${i + 1}: ${fv.text}` }),
        el('span', { class: 'detector', text: ` · ${detectorText(f.score)}` }));
      li.dataset.face = String(i);
      const mark = (on) => {
        card.querySelectorAll(`rect[data-face="${i}"]`).forEach((n) => n.classList.toggle('hl', on));
        if (on) revealFace(card, i);
      };
      for (const [ev, on] of [['mouseenter', true], ['mouseleave', false], ['focus', true], ['blur', false]]) li.addEventListener(ev, () => mark(on));
      list.append(li);
    });
    const t = r.timings;
    card.querySelector('.timings').textContent =
      `${r.width}×${r.height} px · decode ${ms(t.decode)} · detect ${ms(t.detect)}` +
      `${r.faces.some((f) => f.fake != null) ? ` · classify ${ms(t.classify)}` : ''} · total ${ms(t.total)}` +
      `${r.decodedBy === 'browser' ? ' · decoded by the browser' : ''}`;
  } else {
    card.querySelector('.timings').textContent = entry.error ? `error code ${entry.error.code || 'INTERNAL'}` : '';
  }
  card.setAttribute('aria-label', `${entry.name}: ${v.text}`);
}
