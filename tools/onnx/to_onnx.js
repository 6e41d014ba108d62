// Writes a .dfs model as an ONNX model (opset 13, NCHW, f32), in plain JS so that the benchmark
// runs where PyTorch is absent (users, CI). Same weights, same graph as our engine.
//   node tools/onnx/to_onnx.js models/blazeface_short.dfs /tmp/bf.onnx
// Inputs: `input` float32 NCHW [1,3,H,W]. Outputs: BlazeFace `scores` [N] and `boxes` [N,16]
// (raw, in anchor order); EfficientNet `logit` [1,1].
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeModel, DataType } from './proto.js';
import { lowerDfs } from './dfs_graph.js';

const nchw = ([n, h, w, c]) => [n, c, h, w];

// HWIO [k][k][cin][cout] -> OIHW [cout][cin][k][k].
function hwioToOihw(w, k, cin, cout) {
  const out = new Float32Array(w.length);
  for (let y = 0; y < k; y++)
    for (let x = 0; x < k; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * k + y) * k + x] = w[((y * k + x) * cin + i) * cout + o];
  return out;
}

// Depthwise [k][k][c] -> [c][1][k][k].
function dwToOihw(w, k, c) {
  const out = new Float32Array(w.length);
  for (let y = 0; y < k; y++)
    for (let x = 0; x < k; x++)
      for (let ch = 0; ch < c; ch++) out[(ch * k + y) * k + x] = w[(y * k + x) * c + ch];
  return out;
}

/** Builds the ONNX graph object of a lowered network (see dfs_graph.js). */
export function buildOnnxGraph(net) {
  const nodes = [];
  const inits = [];
  let tmp = 0;
  const fresh = (base) => `${base}__${tmp++}`;
  const init = (name, dims, values, dataType = DataType.FLOAT) => {
    inits.push({ name, dims, values, dataType });
    return name;
  };
  const node = (op, inputs, outputs, attrs) => nodes.push({ op, inputs, outputs, attrs });
  // Applies `act` to `x`, writing `y`.
  const activate = (x, y, act) => {
    if (act === 'none') node('Identity', [x], [y]);
    else if (act === 'relu') node('Relu', [x], [y]);
    else if (act === 'sigmoid') node('Sigmoid', [x], [y]);
    else if (act === 'swish') {
      const s = fresh(y);
      node('Sigmoid', [x], [s]);
      node('Mul', [x, s], [y]);
    } else throw new Error(`act ${act}`);
  };
  const convOut = (o) => (o.act === 'none' ? o.y : fresh(o.y));

  for (const o of net.ops) {
    if (o.op === 'conv' || o.op === 'dwconv') {
      const dw = o.op === 'dwconv';
      const c = dw ? o.c : o.cout;
      const w = init(`${o.y}.w`, dw ? [c, 1, o.k, o.k] : [o.cout, o.cin, o.k, o.k],
        dw ? dwToOihw(o.w, o.k, c) : hwioToOihw(o.w, o.k, o.cin, o.cout));
      const b = init(`${o.y}.b`, [c], o.b);
      const [t, l, bo, r] = o.pads;
      const y = convOut(o);
      node('Conv', [o.x, w, b], [y], { group: dw ? c : 1, kernel_shape: [o.k, o.k],
        strides: [o.stride, o.stride], pads: [t, l, bo, r], dilations: [1, 1] });
      if (y !== o.y) activate(y, o.y, o.act);
    } else if (o.op === 'add') {
      const ca = net.shapes[o.a][3], cb = net.shapes[o.b][3];
      let b = o.b;
      if (cb < ca) {
        // Channel zero-pad of the narrower shortcut: pads = [begin n,c,h,w, end n,c,h,w].
        const pads = init(fresh('pads'), [8], [0, 0, 0, 0, 0, ca - cb, 0, 0], DataType.INT64);
        b = fresh(o.b);
        node('Pad', [o.b, pads], [b], { mode: 'constant' });
      }
      const y = o.act === 'none' ? o.y : fresh(o.y);
      node('Add', [o.a, b], [y]);
      if (y !== o.y) activate(y, o.y, o.act);
    } else if (o.op === 'mul') {
      node('Mul', [o.a, o.b], [o.y]);
    } else if (o.op === 'maxpool2') {
      node('MaxPool', [o.x], [o.y], { kernel_shape: [2, 2], strides: [2, 2] });
    } else if (o.op === 'resize') {
      const sizes = init(fresh('sizes'), [4], nchw(net.shapes[o.y]), DataType.INT64);
      node('Resize', [o.x, '', '', sizes], [o.y],
        { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
    } else if (o.op === 'gap') {
      node('GlobalAveragePool', [o.x], [o.y]);
    } else throw new Error(`op ${o.op} has no ONNX lowering`);
  }

  const outputs = [];
  if (net.kind === 'blazeface') {
    // NCHW -> NHWC before flattening: our outputs are flattened NHWC, i.e. in anchor order.
    const gather = (names, per, outName, dims) => {
      const parts = names.map((n) => {
        const tr = fresh(n);
        node('Transpose', [n], [tr], { perm: [0, 2, 3, 1] });
        const flat = fresh(n);
        node('Reshape', [tr, init(fresh('shape'), [2], [-1, per], DataType.INT64)], [flat]);
        return flat;
      });
      const cat = per === 1 ? fresh(outName) : outName;
      node('Concat', parts, [cat], { axis: 0 });
      if (per === 1) node('Reshape', [cat, init(fresh('shape'), [1], [-1], DataType.INT64)], [outName]);
      outputs.push({ name: outName, dims });
    };
    gather(net.outputs.scores, 1, 'scores', [net.numBoxes]);
    gather(net.outputs.boxes, 16, 'boxes', [net.numBoxes, 16]);
  } else {
    node('Reshape', [net.outputs.logit, init('logit_shape', [2], [1, 1], DataType.INT64)], ['logit']);
    outputs.push({ name: 'logit', dims: [1, 1] });
  }
  // Rename the network input to `input`.
  if (net.input !== 'input') {
    for (const n of nodes) n.inputs = n.inputs.map((x) => (x === net.input ? 'input' : x));
  }
  return { name: net.kind, nodes, initializers: inits,
    inputs: [{ name: 'input', dims: nchw(net.shapes[net.input]) }], outputs };
}

/** .dfs bytes -> ONNX ModelProto bytes. */
export function dfsToOnnx(dfsBytes) {
  return encodeModel(buildOnnxGraph(lowerDfs(dfsBytes)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [src, dst] = process.argv.slice(2);
  if (!src || !dst) {
    console.error('usage: node tools/onnx/to_onnx.js MODEL.dfs OUT.onnx');
    process.exit(2);
  }
  const bytes = dfsToOnnx(new Uint8Array(readFileSync(src)));
  writeFileSync(dst, bytes);
  console.log(`wrote ${dst} (${bytes.length} bytes)`);
}
