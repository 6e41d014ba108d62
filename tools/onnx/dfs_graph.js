// Lowers a .dfs model (BlazeFace graph or EfficientNet arch) to one flat NHWC op list with f32
// weights, the common source of the ONNX writer and the TF.js peer in bench/ (same weights).
//
// Ops (every tensor NHWC [1, h, w, c], shapes in `shapes`):
//   conv   {x, y, w: HWIO, b, k, cin, cout, stride, pads: [top, left, bottom, right], act}
//   dwconv {x, y, w: [k][k][c], b, k, c, stride, pads, act}
//   add    {a, b, y, act}          b may have fewer channels: zero-padded at the end
//   mul    {a, b, y}               b broadcasts: [1,1,1,c] (SE gate) or [1,h,w,1] (attention)
//   maxpool2 {x, y}   resize {x, y} (bilinear, half-pixel)   gap {x, y} (mean over h, w)
//   act: 'none' | 'relu' | 'swish' | 'sigmoid'
import { readDfsHeader, f16ToF32 } from '../convert/dfs_writer.js';

/** Every tensor of a .dfs expanded to Float32Array: {header, get(name, shape)}. */
export function readDfs(bytes) {
  const { header, dataStart } = readDfsHeader(bytes);
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  const raw = (t) => bytes.subarray(dataStart + t.offset, dataStart + t.offset + t.nbytes);
  function decode(t) {
    const b = raw(t);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const n = t.shape.reduce((a, c) => a * c, 1);
    const out = new Float32Array(n);
    if (t.dtype === 'f32') for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
    else if (t.dtype === 'f16') for (let i = 0; i < n; i++) out[i] = f16ToF32(dv.getUint16(2 * i, true));
    else if (t.dtype === 'i8') {
      const scale = decode(byName.get(t.name + ':scale'));
      const c = t.shape[t.shape.length - 1];
      // Math.fround(q * s): the same float32 product the C++ loader computes.
      for (let i = 0; i < n; i++) out[i] = Math.fround(dv.getInt8(i) * scale[i % c]);
    } else throw new Error(`${t.name}: unknown dtype ${t.dtype}`);
    return out;
  }
  return {
    header,
    get(name, shape) {
      const t = byName.get(name);
      if (!t) throw new Error(`tensor ${name} missing`);
      if (shape && t.shape.join() !== shape.join()) throw new Error(`${name}: shape ${t.shape} != ${shape}`);
      return decode(t);
    },
  };
}

function convPads(inH, inW, outH, outW, k, stride, top, left) {
  const bottom = (outH - 1) * stride + k - inH - top;
  const right = (outW - 1) * stride + k - inW - left;
  if (bottom < 0 || right < 0) throw new Error('conv output larger than its padding allows');
  return [top, left, bottom, right];
}

function lowerBlazeFace(m) {
  const g = m.header.graph;
  const shapes = {};
  for (const [name, [h, w, c]] of Object.entries(g.tensors)) shapes[name] = [1, h, w, c];
  const inp = m.header.input;
  shapes[g.input] = [1, inp.height, inp.width, inp.channels];
  const ops = [];
  for (const o of g.ops) {
    const [, ih, iw, ic] = shapes[Array.isArray(o.in) ? o.in[0] : o.in];
    const [, oh, ow, oc] = shapes[o.out];
    const act = !o.act || o.act === 'none' ? 'none' : o.act;
    if (o.op === 'conv' || o.op === 'conv1x1') {
      ops.push({ op: 'conv', x: o.in, y: o.out, k: o.k, cin: ic, cout: oc, stride: o.stride, act,
        pads: convPads(ih, iw, oh, ow, o.k, o.stride, o.pad[0], o.pad[1]),
        w: m.get(o.w, [o.k, o.k, ic, oc]), b: m.get(o.b, [oc]) });
    } else if (o.op === 'dwconv') {
      ops.push({ op: 'dwconv', x: o.in, y: o.out, k: o.k, c: oc, stride: o.stride, act,
        pads: convPads(ih, iw, oh, ow, o.k, o.stride, o.pad[0], o.pad[1]),
        w: m.get(o.w, [o.k, o.k, oc]), b: m.get(o.b, [oc]) });
    } else if (o.op === 'add') {
      ops.push({ op: 'add', a: o.in[0], b: o.in[1], y: o.out, act });
    } else if (o.op === 'maxpool2x2') {
      if (ih % 2 || iw % 2) throw new Error('maxpool2x2 on an odd size');
      ops.push({ op: 'maxpool2', x: o.in, y: o.out });
    } else if (o.op === 'resize' || o.op === 'resize2x') {
      ops.push({ op: 'resize', x: o.in, y: o.out });
    } else throw new Error(`blazeface op ${o.op} not lowered`);
  }
  return { kind: 'blazeface', input: g.input, shapes, ops,
    outputs: { scores: g.scores, boxes: g.boxes }, numBoxes: m.header.decode.num_boxes };
}

const B0 = [[1, 3, 1, 32, 16, 1], [6, 3, 2, 16, 24, 2], [6, 5, 2, 24, 40, 2], [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3], [6, 5, 2, 112, 192, 4], [6, 3, 1, 192, 320, 1]];
const VARIANTS = { b0: [1.0, 1.0], b1: [1.0, 1.1], b2: [1.1, 1.2], b3: [1.2, 1.4], b4: [1.4, 1.8] };

function roundFilters(c, w) {
  const v = c * w;
  let n = Math.max(8, Math.floor(Math.floor(v + 4) / 8) * 8);
  if (n < 0.9 * v) n += 8;
  return n;
}

/** The blocks of the B0 table scaled by width and depth: {stem, head, blocks: [{expand, k, stride, cin, cout, cse}]}. */
export function effnetBlocks(width, depth, headBase = 1280) {
  const blocks = [];
  for (const [expand, k, stride0, cin0, cout0, reps0] of B0) {
    const cout = roundFilters(cout0, width);
    for (let r = 0; r < Math.ceil(reps0 * depth); r++) {
      const cin = r === 0 ? roundFilters(cin0, width) : cout;
      blocks.push({ expand, k, stride: r === 0 ? stride0 : 1, cin, cout, cse: Math.max(1, Math.floor(cin / 4)) });
    }
  }
  return { stem: roundFilters(32, width), head: roundFilters(headBase, width), blocks };
}

function lowerEfficientNet(m) {
  const h = m.header;
  const a = h.arch;
  let [width, depth] = [a.width_mult ?? 1, a.depth_mult ?? 1];
  if (a.variant && a.variant !== 'custom') [width, depth] = VARIANTS[a.variant];
  const same = a.padding === 'same';
  const attAfter = a.attention_after_block ?? -1;
  const size = h.input.height;
  if (h.input.width !== size) throw new Error('efficientnet: square inputs only');
  // Symmetric: k/2 on every side; SAME: TF's split with the odd pixel after.
  const geom = (n, k, s) => {
    if (!same) {
      const out = Math.floor((n + 2 * Math.floor(k / 2) - k) / s) + 1;
      return { out, pads: [k >> 1, k >> 1, k >> 1, k >> 1] };
    }
    const out = Math.ceil(n / s);
    const total = Math.max((out - 1) * s + k - n, 0);
    const lo = total >> 1;
    return { out, pads: [lo, lo, total - lo, total - lo] };
  };
  const shapes = { input: [1, size, size, 3] };
  const ops = [];
  let id = 0;
  const t = (shape) => {
    const name = `t${id++}`;
    shapes[name] = shape;
    return name;
  };
  const conv1x1 = (x, name, cin, cout, act) => {
    const [, hh, ww] = shapes[x];
    const y = t([1, hh, ww, cout]);
    const w = m.get(`${name}.w`);
    if (w.length !== cin * cout) throw new Error(`${name}.w: expected ${cin}x${cout}`);
    ops.push({ op: 'conv', x, y, k: 1, cin, cout, stride: 1, pads: [0, 0, 0, 0], act, w,
      b: m.get(`${name}.b`, [cout]) });
    return y;
  };

  const stem = roundFilters(32, width);
  const sg = geom(size, 3, 2);
  let x = t([1, sg.out, sg.out, stem]);
  ops.push({ op: 'conv', x: 'input', y: x, k: 3, cin: 3, cout: stem, stride: 2, pads: sg.pads,
    act: 'swish', w: m.get('stem.w', [3, 3, 3, stem]), b: m.get('stem.b', [stem]) });
  let n = sg.out;
  let block = 0;
  for (const { expand, k, stride, cin, cout, cse } of effnetBlocks(width, depth).blocks) {
    {
      // (The block's own scope: names below repeat per block.)
      const cexp = cin * expand;
      const p = `blocks.${block}`;
      const e = expand === 1 ? x : conv1x1(x, `${p}.expand`, cin, cexp, 'swish');
      const gm = geom(n, k, stride);
      const d = t([1, gm.out, gm.out, cexp]);
      ops.push({ op: 'dwconv', x: e, y: d, k, c: cexp, stride, pads: gm.pads, act: 'swish',
        w: m.get(`${p}.dw.w`, [k, k, cexp]), b: m.get(`${p}.dw.b`, [cexp]) });
      const pooled = t([1, 1, 1, cexp]);
      ops.push({ op: 'gap', x: d, y: pooled });
      const s1 = conv1x1(pooled, `${p}.se.reduce`, cexp, cse, 'swish');
      const s2 = conv1x1(s1, `${p}.se.expand`, cse, cexp, 'sigmoid');
      const gated = t(shapes[d]);
      ops.push({ op: 'mul', a: d, b: s2, y: gated });
      let y = conv1x1(gated, `${p}.project`, cexp, cout, 'none');
      if (stride === 1 && cin === cout) {
        const sum = t(shapes[y]);
        ops.push({ op: 'add', a: y, b: x, y: sum, act: 'none' });
        y = sum;
      }
      n = gm.out;
      x = y;
      if (block === attAfter) {
        const map = conv1x1(x, 'att', cout, 1, 'sigmoid');
        const y2 = t(shapes[x]);
        ops.push({ op: 'mul', a: x, b: map, y: y2 });
        x = y2;
      }
    }
    block++;
  }
  const headC = roundFilters(a.head ?? 1280, width);
  const hd = conv1x1(x, 'head', shapes[x][3], headC, 'swish');
  const pooled = t([1, 1, 1, headC]);
  ops.push({ op: 'gap', x: hd, y: pooled });
  const logit = conv1x1(pooled, 'fc', headC, 1, 'none');
  return { kind: 'efficientnet', input: 'input', shapes, ops, outputs: { logit } };
}

/** Lowers .dfs bytes to {kind, input, shapes, ops, outputs}. */
export function lowerDfs(bytes) {
  const m = readDfs(bytes);
  if (m.header.kind === 'blazeface') return lowerBlazeFace(m);
  if (m.header.kind === 'efficientnet') return lowerEfficientNet(m);
  throw new Error(`unknown model kind ${m.header.kind}`);
}

/** Multiply-accumulates of one forward pass (convolutions only; adds, pools, gates excluded). */
export function countMacs(net) {
  let macs = 0;
  for (const o of net.ops) {
    const [, oh, ow] = net.shapes[o.y];
    if (o.op === 'conv') macs += oh * ow * o.cout * o.k * o.k * o.cin;
    else if (o.op === 'dwconv') macs += oh * ow * o.c * o.k * o.k;
  }
  return macs;
}
