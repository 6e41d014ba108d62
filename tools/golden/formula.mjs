// The golden input formula (tests/golden/README.md), already normalized, NHWC or NCHW; shared by
// the oracle tests and the benchmark so both feed every engine the same tensor.
export function formulaInput(h, w, layout = 'nhwc') {
  const x = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let c = 0; c < 3; c++) {
        const v = ((y * 131 + xx * 71 + c * 29) % 256) / 127.5 - 1;
        x[layout === 'nchw' ? (c * h + y) * w + xx : (y * w + xx) * 3 + c] = v;
      }
  return x;
}
