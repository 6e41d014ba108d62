#!/usr/bin/env node
// Converts MediaPipe's BlazeFace .tflite files into our .dfs format (graph of fused ops + HWIO weights).
// Usage: node tools/convert/tflite_to_dfs.js IN.tflite OUT.dfs [--kind short|full]
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { FlatTable } from './flatbuf.js';
import { writeDfs, f16ToF32 } from './dfs_writer.js';

// TFLite builtin operator codes we accept (schema.fbs BuiltinOperator).
const OP = { ADD: 0, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6,
  MAX_POOL_2D: 17, RELU: 19, RESHAPE: 22, RESIZE_BILINEAR: 23, PAD: 34 };
const ACT = { 0: 'none', 1: 'relu', 3: 'relu6' };

// Detector settings from MediaPipe's face_detection_{short,full}_range graphs (Apache-2.0).
const CONFIGS = {
  short: {
    anchors: { num_layers: 4, min_scale: 0.1484375, max_scale: 0.75, input_size_height: 128,
      input_size_width: 128, anchor_offset_x: 0.5, anchor_offset_y: 0.5, strides: [8, 16, 16, 16],
      aspect_ratios: [1.0], fixed_anchor_size: true, interpolated_scale_aspect_ratio: 1.0,
      reduce_boxes_in_lowest_layer: false },
    decode: { num_boxes: 896, num_coords: 16, num_keypoints: 6, x_scale: 128, y_scale: 128,
      w_scale: 128, h_scale: 128, score_clipping_thresh: 100.0, min_score_thresh: 0.5,
      min_suppression_threshold: 0.3 },
  },
  full: {
    anchors: { num_layers: 1, min_scale: 0.1484375, max_scale: 0.75, input_size_height: 192,
      input_size_width: 192, anchor_offset_x: 0.5, anchor_offset_y: 0.5, strides: [4],
      aspect_ratios: [1.0], fixed_anchor_size: true, interpolated_scale_aspect_ratio: 0.0,
      reduce_boxes_in_lowest_layer: false },
    decode: { num_boxes: 2304, num_coords: 16, num_keypoints: 6, x_scale: 192, y_scale: 192,
      w_scale: 192, h_scale: 192, score_clipping_thresh: 100.0, min_score_thresh: 0.6,
      min_suppression_threshold: 0.3 },
  },
};

function samePadBefore(inSize, k, stride) {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + k - inSize, 0);
  return Math.floor(total / 2);
}

export function convertTflite(buf, { kind, source }) {
  const model = FlatTable.root(buf);
  const codes = model.tables(1).map((c) => Math.max(c.scalar(0, 'i8'), c.scalar(3, 'i32')));
  const subgraphs = model.tables(2);
  if (subgraphs.length !== 1) throw new Error(`expected 1 subgraph, found ${subgraphs.length}`);
  const sg = subgraphs[0];
  const buffers = model.tables(4);
  const tensors = sg.tables(0).map((t, i) => ({
    index: i, name: t.string(3), shape: t.ints(0), type: t.scalar(1, 'i8'),
    data: buffers[t.scalar(2, 'u32')]?.bytes(0) ?? null,
  }));
  const ops = sg.tables(3).map((o) => ({
    code: codes[o.scalar(0, 'u32')], inputs: o.ints(1), outputs: o.ints(2), opts: o.table(4),
  }));

  // Constant values: f16 buffers become f32 through DEQUANTIZE; f32/i32 read directly.
  const consts = new Map();
  const constOf = (ti) => {
    if (consts.has(ti)) return consts.get(ti);
    const t = tensors[ti];
    if (!t.data || !t.data.length) return null;
    const dv = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    let v;
    if (t.type === 1) { v = new Float32Array(t.data.length / 2); for (let i = 0; i < v.length; i++) v[i] = f16ToF32(dv.getUint16(2 * i, true)); }
    else if (t.type === 0) { v = new Float32Array(t.data.length / 4); for (let i = 0; i < v.length; i++) v[i] = dv.getFloat32(4 * i, true); }
    else if (t.type === 2) { v = new Int32Array(t.data.length / 4); for (let i = 0; i < v.length; i++) v[i] = dv.getInt32(4 * i, true); }
    else throw new Error(`tensor ${t.name}: unsupported constant type ${t.type}`);
    consts.set(ti, v);
    return v;
  };
  const consumers = new Map();
  for (const op of ops) for (const i of op.inputs) consumers.set(i, (consumers.get(i) || 0) + 1);
  for (const o of sg.ints(2)) consumers.set(o, (consumers.get(o) || 0) + 1);

  const act = (id) => `t${id}`;
  const hwc = (ti) => { const s = tensors[ti].shape; return [s[1], s[2], s[3]]; };
  const out = { ops: [], tensors: {}, weights: [] };
  const alias = new Map(); // tensor index -> canonical activation name (after fusing away ops)
  const nameOf = (ti) => alias.get(ti) ?? act(ti);
  const pads = new Map(); // PAD output -> its input (channel zero-pad folded into ADD)
  const inputIdx = sg.ints(1)[0];
  out.tensors[act(inputIdx)] = hwc(inputIdx);
  let lastProducer = new Map(); // activation name -> op record (to fuse a following RELU)
  const wname = (ti) => tensors[ti].name.replace(/\/Kernel.*$/, '.w').replace(/\/Bias.*$/, '.b').replace(/\//g, '.');

  for (let k = 0; k < ops.length; k++) {
    const op = ops[k];
    switch (op.code) {
      case OP.DEQUANTIZE: {
        const v = constOf(op.inputs[0]);
        if (!v) throw new Error(`op ${k}: DEQUANTIZE of a non-constant`);
        consts.set(op.outputs[0], v);
        tensors[op.outputs[0]].name = tensors[op.inputs[0]].name;
        break;
      }
      case OP.CONV_2D:
      case OP.DEPTHWISE_CONV_2D: {
        const [x, wi, bi] = op.inputs;
        const w = constOf(wi), b = constOf(bi);
        if (!w || !b) throw new Error(`op ${k}: conv without constant weights`);
        const ws = tensors[wi].shape; // OHWI (conv) or 1HWC (depthwise)
        const o = op.opts;
        const padding = o.scalar(0, 'u8'), sw = o.scalar(1, 'i32'), sh = o.scalar(2, 'i32');
        const fused = op.code === OP.CONV_2D ? o.scalar(3, 'u8') : o.scalar(4, 'u8');
        if (!(fused in ACT)) throw new Error(`op ${k}: fused activation ${fused} unsupported`);
        if (sw !== sh) throw new Error(`op ${k}: anisotropic stride`);
        const [ih, iw] = hwc(x);
        const kh = ws[1], kw = ws[2];
        if (kh !== kw) throw new Error(`op ${k}: non-square kernel`);
        const pad = padding === 0 ? [samePadBefore(ih, kh, sh), samePadBefore(iw, kw, sw)] : [0, 0];
        const base = wname(wi).replace(/\.w$/, '');
        let canon, shape, opname;
        if (op.code === OP.DEPTHWISE_CONV_2D) {
          if (ws[0] !== 1) throw new Error(`op ${k}: depth_multiplier != 1`);
          canon = w; shape = [kh, kw, ws[3]]; opname = 'dwconv';
        } else {
          const [co, , , ci] = ws;
          canon = new Float32Array(w.length);
          for (let a = 0; a < co; a++) for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) for (let c = 0; c < ci; c++)
            canon[((y * kw + xx) * ci + c) * co + a] = w[((a * kh + y) * kw + xx) * ci + c];
          shape = [kh, kw, ci, co];
          opname = kh === 1 && sh === 1 ? 'conv1x1' : 'conv';
        }
        out.weights.push({ name: `${base}.w`, shape, data: canon, dtype: 'f16' });
        out.weights.push({ name: `${base}.b`, shape: [b.length], data: Float32Array.from(b), dtype: 'f32' });
        const rec = { op: opname, in: nameOf(x), out: act(op.outputs[0]), w: `${base}.w`, b: `${base}.b`,
          k: kh, stride: sh, pad, act: ACT[fused] };
        out.ops.push(rec);
        out.tensors[rec.out] = hwc(op.outputs[0]);
        lastProducer.set(rec.out, rec);
        break;
      }
      case OP.RELU: {
        const src = nameOf(op.inputs[0]);
        const prod = lastProducer.get(src);
        if (prod && prod.act === 'none' && consumers.get(op.inputs[0]) === 1) {
          prod.act = 'relu';
          alias.set(op.outputs[0], src);
        } else {
          throw new Error(`op ${k}: standalone RELU not fusable`);
        }
        break;
      }
      case OP.PAD: {
        const p = constOf(op.inputs[1]);
        const [ih, iw, ic] = hwc(op.inputs[0]);
        const okChannelPad = p && p.length === 8 && p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 && p[6] === 0;
        if (!okChannelPad) throw new Error(`op ${k}: only trailing channel zero-padding is supported`);
        pads.set(op.outputs[0], { src: op.inputs[0], cin: ic, hw: [ih, iw] });
        break;
      }
      case OP.ADD: {
        let [a, b] = op.inputs;
        // One side may be a channel-padded shortcut: the kernel adds the narrower b into a.
        if (pads.has(a)) [a, b] = [b, a];
        const bsrc = pads.has(b) ? pads.get(b).src : b;
        if (pads.has(a)) throw new Error(`op ${k}: both ADD inputs padded`);
        const fused = op.opts ? op.opts.scalar(0, 'u8') : 0;
        const rec = { op: 'add', in: [nameOf(a), nameOf(bsrc)], out: act(op.outputs[0]), act: ACT[fused] };
        if (!rec.act) throw new Error(`op ${k}: ADD activation ${fused} unsupported`);
        out.ops.push(rec);
        out.tensors[rec.out] = hwc(op.outputs[0]);
        lastProducer.set(rec.out, rec);
        break;
      }
      case OP.MAX_POOL_2D: {
        const o = op.opts;
        const fw = o.scalar(3, 'i32'), fh = o.scalar(4, 'i32'), sw = o.scalar(1, 'i32'), sh = o.scalar(2, 'i32');
        if (fw !== 2 || fh !== 2 || sw !== 2 || sh !== 2) throw new Error(`op ${k}: only 2x2/2 max pool`);
        const rec = { op: 'maxpool2x2', in: nameOf(op.inputs[0]), out: act(op.outputs[0]) };
        out.ops.push(rec);
        out.tensors[rec.out] = hwc(op.outputs[0]);
        break;
      }
      case OP.RESIZE_BILINEAR: {
        const o = op.opts;
        if (o && o.scalar(2, 'u8')) throw new Error(`op ${k}: align_corners unsupported`);
        if (!o || !o.scalar(3, 'u8')) throw new Error(`op ${k}: only half_pixel_centers resize`);
        const rec = { op: 'resize', in: nameOf(op.inputs[0]), out: act(op.outputs[0]) };
        out.ops.push(rec);
        out.tensors[rec.out] = hwc(op.outputs[0]);
        break;
      }
      case OP.RESHAPE:
        // Flattening NHWC to [1, N, C] is a no-op on dense memory: the output list records it.
        alias.set(op.outputs[0], nameOf(op.inputs[0]));
        consts.set(`reshape:${op.outputs[0]}`, [nameOf(op.inputs[0])]);
        break;
      case OP.CONCATENATION:
        consts.set(`concat:${op.outputs[0]}`, op.inputs.map((i) => consts.get(`reshape:${i}`)?.[0] ?? nameOf(i)));
        break;
      default:
        throw new Error(`op ${k}: unsupported TFLite builtin ${op.code}`);
    }
  }
  const parts = (ti) => consts.get(`concat:${ti}`) ?? consts.get(`reshape:${ti}`) ?? [nameOf(ti)];
  let scores = null, boxes = null;
  for (const o of sg.ints(2)) {
    const s = tensors[o].shape;
    if (s[s.length - 1] === 16) boxes = parts(o);
    else if (s[s.length - 1] === 1) scores = parts(o);
  }
  if (!scores || !boxes) throw new Error('could not identify score and box outputs');
  const cfg = CONFIGS[kind];
  const n = (list, per) => list.reduce((acc, t) => acc + out.tensors[t].reduce((a, b) => a * b, 1) / per, 0);
  if (n(scores, 1) !== cfg.decode.num_boxes || n(boxes, 16) !== cfg.decode.num_boxes)
    throw new Error(`output sizes ${n(scores, 1)}/${n(boxes, 16)} != ${cfg.decode.num_boxes} anchors`);
  const [H, W] = hwc(inputIdx);
  const header = {
    kind: 'blazeface',
    name: kind === 'short' ? 'face_detection_short_range' : 'face_detection_full_range',
    input: { height: H, width: W, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    provenance: source,
    graph: { input: act(inputIdx), ops: out.ops, tensors: out.tensors, scores, boxes },
    anchors: cfg.anchors,
    decode: cfg.decode,
  };
  return writeDfs(header, out.weights);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [inPath, outPath] = process.argv.slice(2);
  if (!inPath || !outPath) { console.error('usage: tflite_to_dfs.js IN.tflite OUT.dfs'); process.exit(2); }
  const buf = new Uint8Array(fs.readFileSync(inPath));
  const kind = /full/.test(path.basename(inPath)) ? 'full' : 'short';
  let pkgVersion = 'unknown';
  try { pkgVersion = JSON.parse(fs.readFileSync(path.join(path.dirname(inPath), 'package.json'))).version; } catch { /* not inside the npm package: version unknown */ }
  const source = { source: `npm @mediapipe/face_detection@${pkgVersion}/${path.basename(inPath)}`,
    license: 'Apache-2.0', sha256: crypto.createHash('sha256').update(buf).digest('hex'),
    converter: 'tools/convert/tflite_to_dfs.js' };
  const bytes = convertTflite(buf, { kind, source });
  fs.writeFileSync(outPath, bytes);
  console.log(`${outPath}: ${bytes.length} bytes (${kind}-range, source sha256 ${source.sha256.slice(0, 12)}...)`);
}
