// Builds a lowered .dfs network (tools/onnx/dfs_graph.js) from TF.js ops in NHWC, weights
// uploaded once, the way tfjs-converter graph models run it (fused conv+bias+activation).
// run(Float32Array NHWC) -> same outputs as createRawModel().run().

function padArg(pads) {
  const [t, l, b, r] = pads;
  if (t === 0 && l === 0 && b === 0 && r === 0) return 'valid';
  return [[0, 0], [t, b], [l, r], [0, 0]];
}

export function buildTfjsNet(tf, net) {
  const weights = [];
  const keep = (t) => {
    weights.push(t);
    return t;
  };
  const steps = [];
  // TF.js fuses relu/sigmoid into conv; swish is x * sigmoid(x) after a linear conv.
  const fusedAct = (act) => ({ none: 'linear', relu: 'relu', sigmoid: 'sigmoid', swish: 'linear' }[act]);
  const post = (y, act) => (act === 'swish' ? tf.mul(y, tf.sigmoid(y)) : y);

  for (const o of net.ops) {
    if (o.op === 'conv') {
      const filter = keep(tf.tensor4d(o.w, [o.k, o.k, o.cin, o.cout]));
      const bias = keep(tf.tensor1d(o.b));
      const pad = padArg(o.pads);
      steps.push((env) => {
        env[o.y] = post(tf.fused.conv2d({ x: env[o.x], filter, strides: o.stride, pad, bias,
          activation: fusedAct(o.act) }), o.act);
      });
    } else if (o.op === 'dwconv') {
      const filter = keep(tf.tensor4d(o.w, [o.k, o.k, o.c, 1]));
      const bias = keep(tf.tensor1d(o.b));
      const pad = padArg(o.pads);
      steps.push((env) => {
        env[o.y] = post(tf.fused.depthwiseConv2d({ x: env[o.x], filter, strides: o.stride, pad, bias,
          activation: fusedAct(o.act) }), o.act);
      });
    } else if (o.op === 'add') {
      const extra = net.shapes[o.a][3] - net.shapes[o.b][3];
      steps.push((env) => {
        const b = extra > 0 ? tf.pad(env[o.b], [[0, 0], [0, 0], [0, 0], [0, extra]]) : env[o.b];
        const s = tf.add(env[o.a], b);
        env[o.y] = o.act === 'relu' ? tf.relu(s) : s;
      });
    } else if (o.op === 'mul') {
      steps.push((env) => { env[o.y] = tf.mul(env[o.a], env[o.b]); });
    } else if (o.op === 'maxpool2') {
      steps.push((env) => { env[o.y] = tf.maxPool(env[o.x], 2, 2, 'valid'); });
    } else if (o.op === 'resize') {
      const [, oh, ow] = net.shapes[o.y];
      steps.push((env) => { env[o.y] = tf.image.resizeBilinear(env[o.x], [oh, ow], false, true); });
    } else if (o.op === 'gap') {
      steps.push((env) => { env[o.y] = tf.mean(env[o.x], [1, 2], true); });
    } else throw new Error(`op ${o.op} has no TF.js lowering`);
  }

  const shape = net.shapes[net.input];
  function forward(input) {
    return tf.tidy(() => {
      const env = { [net.input]: tf.tensor4d(input, shape) };
      for (const s of steps) s(env);
      if (net.kind === 'blazeface') {
        const flat = (names, per) => tf.concat(names.map((n) => tf.reshape(env[n], per === 1 ? [-1] : [-1, per])), 0);
        return [flat(net.outputs.scores, 1), flat(net.outputs.boxes, 16)];
      }
      return [tf.reshape(env[net.outputs.logit], [1])];
    });
  }
  return {
    run(input) {
      const outs = forward(input);
      const data = outs.map((t) => t.dataSync());
      tf.dispose(outs);
      return net.kind === 'blazeface' ? { scores: data[0], boxes: data[1] } : { logit: data[0][0] };
    },
    dispose() { tf.dispose(weights); },
  };
}
