// Side-by-side benchmark: our wasm engine vs onnxruntime-web and TF.js (wasm/XNNPACK), one thread
// each, same weights and input, one process, interleaved runs; plus end to end, cold start, sizes.
//   npm run bench [-- --runs N] [--quick] [--json] [--native] [--only SUBSTRING]
// See bench/README.md for how to read the output.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { lowerDfs, countMacs, readDfs } from '../tools/onnx/dfs_graph.js';
import { buildOnnxGraph } from '../tools/onnx/to_onnx.js';
import { encodeModel } from '../tools/onnx/proto.js';
import { buildTfjsNet } from './tfjs_net.js';
import { formulaInput } from '../tools/golden/formula.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (p) => path.join(ROOT, p);

function parseArgs(argv) {
  const o = { runs: 50, warmup: 5, cold: 10, json: false, native: false, only: null, quick: false, compare: null,
    check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Math.max(1, parseInt(argv[++i], 10));
    else if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--native') o.native = true;
    else if (a === '--check') o.check = true;
    else if (a === '--only') o.only = argv[++i];
    else if (a === '--compare') o.compare = path.resolve(argv[++i]);
    else if (a === '--ours') o.ours = path.resolve(argv[++i]);
    else if (a === '--cold') o.cold = Math.max(1, parseInt(argv[++i], 10));
    else if (a === '--previous-classifier') o.previous = path.resolve(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node bench/bench.js [--check] [--runs N] [--quick] [--json] [--native] [--only SUBSTRING] [--cold N] [--compare DIST_DIR] [--ours DIST_DIR] [--previous-classifier OLD.dfs]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (o.quick) {
    if (!argv.includes('--runs')) o.runs = 10;
    o.warmup = 2;
    if (!argv.includes('--cold')) o.cold = 3;
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const log = (...a) => console.error(...a);
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const fmt = (x, d = 2) => (x == null || Number.isNaN(x) ? '-' : x.toFixed(d));


function cpuInfo() {
  try {
    const txt = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const model = /model name\s*:\s*(.*)/.exec(txt)?.[1] ?? 'unknown CPU';
    const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(txt)?.[1]);
    return { model, ghz: mhz > 0 ? mhz / 1000 : null, cores: (txt.match(/^processor/gm) || []).length };
  } catch {
    return { model: 'unknown CPU', ghz: null, cores: null };
  }
}

// Largest relative-above-1 difference: |a - b| / max(1, |b|) (boxes reach ~100 pixels).
function maxDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}
function compareOutputs(ours, peer) {
  if ('logit' in ours) return maxDiff([peer.logit], [ours.logit]);
  return Math.max(maxDiff(peer.scores, ours.scores), maxDiff(peer.boxes, ours.boxes));
}
const TOL = 1e-3;

// Runs every engine once per round, in a rotating order, after `warmup` rounds. Rotation keeps
// slow drifts (load from others, thermal) out of the ratios. Returns per engine the samples of
// wall-clock ms and of process CPU ms (user + system from getrusage): on a shared machine the
// CPU time leaves out the time the scheduler gave to other processes, so it is the primary
// number; every engine is single-threaded, so CPU time ~ wall time on an idle machine.
async function interleave(engines, runs, warmup) {
  const wall = engines.map(() => []);
  const cpu = engines.map(() => []);
  for (let r = 0; r < warmup + runs; r++) {
    for (let j = 0; j < engines.length; j++) {
      const k = (r + j) % engines.length;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await engines[k].run();
      const dt = performance.now() - t0;
      const dc = process.cpuUsage(c0);
      if (r >= warmup) {
        wall[k].push(dt);
        cpu[k].push((dc.user + dc.system) / 1000);
      }
    }
  }
  return { wall, cpu };
}

async function loadPeers() {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true; // ignored by 1.30 (SIMD is always on); kept for older versions
  const tf = await import('@tensorflow/tfjs-core');
  const tfw = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the backend must be pointed at its .wasm files: a directory path with a trailing
  // slash (the backend appends tfjs-backend-wasm-simd.wasm etc.).
  tfw.setWasmPaths(rel('node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  tfw.setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const tfInfo = {
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: tfw.getThreadsCount(),
  };
  return { ort, tf, tfInfo };
}

function ensureB0() {
  const out = rel('build-golden/effnet_b0_synth.dfs');
  const sha = JSON.parse(fs.readFileSync(rel('tests/golden/effnet_b0_synth.json'), 'utf8')).model_sha256;
  if (!fs.existsSync(out)) {
    log('bench: rebuilding build-golden/effnet_b0_synth.dfs (synthetic weights)');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    execFileSync(process.execPath, [rel('tools/golden/effnet_synth.mjs'), rel('tests/golden/effnet_b0_synth.dfs.json'), out, sha], { stdio: 'inherit' });
  }
  return out;
}

async function main() {
  // --ours DIR replaces dist/ (e.g. the baseline of an A/B built like the --compare build).
  const distDir = opts.ours ?? rel('dist');
  const wasmPath = path.join(distDir, 'deepfake-shield.wasm');
  if (!fs.existsSync(wasmPath)) throw new Error(`${wasmPath} missing: run \`npm run build\` first`);
  const api = await import(path.join(distDir, 'index.js'));
  const wasmBytes = new Uint8Array(fs.readFileSync(wasmPath));
  const cpu = cpuInfo();
  const notes = [];

  const networks = [
    { name: 'BlazeFace short (128)', file: 'models/blazeface_short.dfs', target: { ort: 0.5, tfjs: 0.8 } },
    { name: 'BlazeFace full (192)', file: 'models/blazeface_full.dfs', target: { ort: 0.5, tfjs: 0.8 } },
    { name: 'EfficientNet-B0 (224, synthetic weights)', file: path.relative(ROOT, ensureB0()), target: { ort: 0.6, tfjs: 0.9 } },
  ];
  if (fs.existsSync(rel('models/classifier.dfs'))) {
    networks.push({ name: 'classifier (models/classifier.dfs)', file: 'models/classifier.dfs', target: { ort: 0.6, tfjs: 0.9 } });
  } else {
    notes.push('models/classifier.dfs absent (still being trained): its row is skipped; EfficientNet-B0 with synthetic weights stands in as the classifier in the end-to-end and cold-start rows.');
  }
  // A previous classifier file measured in the same run (old vs new side by side).
  if (opts.previous) {
    networks.push({ name: `previous classifier (${path.basename(opts.previous)})`, file: path.relative(ROOT, opts.previous), target: { ort: 0.6, tfjs: 0.9 } });
  }
  const selected = networks.filter((n) => !opts.only || n.name.toLowerCase().includes(opts.only.toLowerCase()));
  const modelBytes = (f) => new Uint8Array(fs.readFileSync(rel(f)));
  const classifierFile = fs.existsSync(rel('models/classifier.dfs')) ? 'models/classifier.dfs' : networks[2].file;

  // Cold start first: nothing else has compiled our wasm yet in this process, so the first
  // instantiation is a true cold one; later ones may reuse V8's in-process compiled-module cache.
  const cold = [];
  const coldCpu = [];
  const coldModels = { detectorShort: modelBytes('models/blazeface_short.dfs'),
    detectorFull: modelBytes('models/blazeface_full.dfs'), classifier: modelBytes(classifierFile) };
  // --compare: a scratch build (its own glue and wasm) measured next to ours, interleaved.
  const alt = opts.compare ? {
    api: await import(path.join(opts.compare, 'index.js')),
    wasm: new Uint8Array(fs.readFileSync(path.join(opts.compare, 'deepfake-shield.wasm'))),
    cold: [], coldCpu: [],
  } : null;
  const timeCreate = async (a, wasm, wall, cpuMs) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const c = await a.createChecker({ wasm, models: coldModels });
    wall.push(performance.now() - t0);
    const dc = process.cpuUsage(c0);
    cpuMs.push((dc.user + dc.system) / 1000);
    c.dispose();
  };
  for (let i = 0; i < (opts.check ? 0 : 1 + opts.cold); i++) {
    await timeCreate(api, wasmBytes, cold, coldCpu);
    if (alt) await timeCreate(alt.api, alt.wasm, alt.cold, alt.coldCpu);
  }
  if (!opts.check) log(`bench: cold start first ${fmt(cold[0], 1)} ms wall / ${fmt(coldCpu[0], 1)} ms CPU, then median ${fmt(median(cold.slice(1)), 1)} / ${fmt(median(coldCpu.slice(1)), 1)}`);
  if (alt && !opts.check) log(`bench: --compare cold start first ${fmt(alt.cold[0], 1)} ms wall / ${fmt(alt.coldCpu[0], 1)} ms CPU, then median ${fmt(median(alt.cold.slice(1)), 1)} / ${fmt(median(alt.coldCpu.slice(1)), 1)}`);

  const { ort, tf, tfInfo } = await loadPeers();
  let mismatchesBefore = 0;
  // One JS-written ONNX against torch.onnx.export of the same weights (tests/golden), when
  // both files are there: the writer, not only our engine, agrees with PyTorch's exporter.
  const w025 = rel('build-golden/effnet_w025_synth.dfs'), w025onnx = rel('tests/golden/effnet_w025_synth.onnx');
  if (!opts.only && fs.existsSync(w025) && fs.existsSync(w025onnx)) {
    const x = { input: new ort.Tensor('float32', formulaInput(224, 224, 'nchw'), [1, 3, 224, 224]) };
    const logitOf = async (model) => {
      const sess = await ort.InferenceSession.create(model);
      const v = (await sess.run(x)).logit.data[0];
      await sess.release();
      return v;
    };
    const a = await logitOf(encodeModel(buildOnnxGraph(lowerDfs(new Uint8Array(fs.readFileSync(w025)))))); 
    const b = await logitOf(new Uint8Array(fs.readFileSync(w025onnx)));
    const line = `ONNX writer cross-check (onnxruntime-web, EfficientNet width 0.25 synthetic weights): tools/onnx logit ${a.toPrecision(7)} vs torch.onnx.export ${b.toPrecision(7)}, |diff| ${Math.abs(a - b).toExponential(1)}.`;
    notes.push(line);
    log(`check ${line}`);
    if (!(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)))) mismatchesBefore++;
  }
  const rows = [];
  const ourForward = {};
  let mismatches = mismatchesBefore;
  for (const n of selected) {
    const bytes = modelBytes(n.file);
    const net = lowerDfs(bytes);
    const [, H, W] = net.shapes[net.input];
    const nhwc = formulaInput(H, W, 'nhwc');
    const ours = await api.createRawModel(bytes, { wasm: wasmBytes });
    const session = await ort.InferenceSession.create(encodeModel(buildOnnxGraph(net)),
      { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const ortInput = { input: new ort.Tensor('float32', formulaInput(H, W, 'nchw'), [1, 3, H, W]) };
    const ortRun = async () => {
      const out = await session.run(ortInput);
      return net.kind === 'blazeface'
        ? { scores: out.scores.data, boxes: out.boxes.data } : { logit: out.logit.data[0] };
    };
    const tfNet = buildTfjsNet(tf, net);

    // Verify before timing: a peer that disagrees with us is a harness bug, not a result.
    const ref = ours.run(nhwc);
    const dOrt = compareOutputs(ref, await ortRun());
    const dTf = compareOutputs(ref, tfNet.run(nhwc));
    log(`check ${n.name}: max |diff| (relative above 1) vs ORT ${dOrt.toExponential(2)}, vs TF.js ${dTf.toExponential(2)} (tolerance ${TOL})`);
    const engines = [{ id: 'ours', run: () => ours.run(nhwc) }];
    let altModel = null;
    if (alt) {
      altModel = await alt.api.createRawModel(bytes, { wasm: alt.wasm });
      const dAlt = compareOutputs(ref, altModel.run(nhwc));
      log(`check ${n.name}: --compare build vs ours ${dAlt.toExponential(2)}`);
      engines.push({ id: 'alt', run: () => altModel.run(nhwc) });
    }
    if (dOrt <= TOL) engines.push({ id: 'ort', run: ortRun });
    else {
      notes.push(`${n.name}: ORT output differs (${dOrt}); not timed`);
      mismatches++;
    }
    if (dTf <= TOL) engines.push({ id: 'tfjs', run: () => tfNet.run(nhwc) });
    else {
      notes.push(`${n.name}: TF.js output differs (${dTf}); not timed`);
      mismatches++;
    }
    if (opts.check) {
      if (altModel) altModel.dispose();
      ours.dispose();
      tfNet.dispose();
      await session.release();
      continue;
    }

    const s = await interleave(engines, opts.runs, opts.warmup);
    const med = Object.fromEntries(engines.map((e, i) => [e.id, median(s.cpu[i])]));
    const wall = Object.fromEntries(engines.map((e, i) => [e.id, median(s.wall[i])]));
    const macs = countMacs(net);
    const row = {
      name: n.name, ours_ms: med.ours, ort_ms: med.ort ?? null, tfjs_ms: med.tfjs ?? null,
      ratio_ort: med.ort ? med.ours / med.ort : null, ratio_tfjs: med.tfjs ? med.ours / med.tfjs : null,
      runs: opts.runs, macs, gmac_per_s: macs / med.ours / 1e6,
      max_diff_ort: dOrt, max_diff_tfjs: dTf, target: n.target,
      ours_wall_ms: wall.ours, ort_wall_ms: wall.ort ?? null, tfjs_wall_ms: wall.tfjs ?? null,
      wall_ratio_ort: wall.ort ? wall.ours / wall.ort : null, wall_ratio_tfjs: wall.tfjs ? wall.ours / wall.tfjs : null,
    };
    if (altModel) {
      row.compare_ms = med.alt;
      row.ratio_compare = med.alt / med.ours;
      log(`bench ${n.name}: --compare build ${fmt(med.alt)} ms CPU = ${fmt(row.ratio_compare, 3)}x ours`);
      altModel.dispose();
    }
    rows.push(row);
    ourForward[n.file] = med.ours;
    log(`bench ${n.name}: CPU ms ours ${fmt(med.ours)}, ORT ${fmt(med.ort)}, TF.js ${fmt(med.tfjs)}; wall ms ${fmt(wall.ours)}, ${fmt(wall.ort)}, ${fmt(wall.tfjs)}`);
    ours.dispose();
    tfNet.dispose();
    await session.release();
  }

  if (mismatches) process.exitCode = 1;
  if (opts.check) {
    log(mismatches ? `bench --check: ${mismatches} peer output(s) differ from ours` : 'bench --check: every peer output equals ours');
    return;
  }

  // End to end through the public API on a real photo, next to the raw forwards it implies.
  let e2e = null;
  const photo = path.resolve(ROOT, '../shared/testdata/seed-examples/donald_bean_2.jpg');
  if (!opts.only && fs.existsSync(photo)) {
    const jpeg = new Uint8Array(fs.readFileSync(photo));
    const checker = await api.createChecker({ wasm: wasmBytes, models: coldModels });
    const first = checker.checkSync(jpeg);
    const raws = {};
    for (const f of ['models/blazeface_short.dfs', 'models/blazeface_full.dfs', classifierFile]) {
      const m = await api.createRawModel(modelBytes(f), { wasm: wasmBytes });
      const x = formulaInput(m.height, m.width, 'nhwc');
      raws[f] = { m, x };
    }
    const timings = [];
    const engines = [{ id: 'e2e', run: () => timings.push(checker.checkSync(jpeg).timings) }];
    for (const [f, { m, x }] of Object.entries(raws)) engines.push({ id: f, run: () => m.run(x) });
    // Decode alone (public decode(): JPEG -> RGBA copied out to JS, a little more than the
    // pipeline's own decode), to split the end-to-end overhead in CPU time.
    engines.push({ id: 'decode', run: () => checker.decode(jpeg) });
    const altChecker = alt ? await alt.api.createChecker({ wasm: alt.wasm, models: coldModels }) : null;
    const altTimings = [];
    if (altChecker) engines.push({ id: 'alt', run: () => altTimings.push(altChecker.checkSync(jpeg).timings) });
    const s = await interleave(engines, opts.runs, opts.warmup);
    const med = Object.fromEntries(engines.map((e, i) => [e.id, median(s.cpu[i])]));
    const wallE2e = median(s.wall[0]);
    if (altChecker) {
      const am = (k) => median(altTimings.slice(-opts.runs).map((t) => t[k]));
      log(`bench end to end: --compare build ${fmt(med.alt, 1)} ms CPU vs ours ${fmt(med.e2e, 1)} (${fmt(med.alt / med.e2e, 3)}x); its split (wall) decode ${fmt(am('decode'), 1)}, detect ${fmt(am('detect'), 1)}, classify ${fmt(am('classify'), 1)}`);
      altChecker.dispose();
    }
    // Passes detect_faces() runs (src/pipeline/detect.cc, default options): short and full on
    // the letterboxed image; short zoomed out only when those two found nothing; full-range
    // tiles (640, step 480) when the longer side exceeds 1000 px. The pipeline does not report
    // its pass count, so it is derived here (keep in step with detect.cc).
    const plain = checker.checkSync(jpeg, { tiles: false, zoomOut: false, turned: false, classify: false });
    const { width: Wd, height: Hd } = first;
    const S = Math.max(Wd, Hd);
    let tiles = 0;
    if (S > 1000) {
      for (let ty = 0; ; ty += 480) {
        const yy = Math.min(ty, Math.max(0, Hd - 640));
        for (let tx = 0; ; tx += 480) {
          tiles++;
          if (Math.min(tx, Math.max(0, Wd - 640)) + 640 >= Wd) break;
        }
        if (yy + 640 >= Hd) break;
      }
    }
    const nShort = plain.faces.length ? 1 : 2, nFull = 1 + tiles, nFaces = first.faces.length;
    const detectFwd = nShort * med['models/blazeface_short.dfs'] + nFull * med['models/blazeface_full.dfs'];
    // A classifier whose header asks for flip test-time augmentation runs two forwards per face.
    const perFace = readDfs(fs.readFileSync(rel(classifierFile))).header.preprocess?.tta === 'flip' ? 2 : 1;
    const classifyFwd = nFaces * perFace * med[classifierFile];
    const tm = (k) => median(timings.slice(-opts.runs).map((t) => t[k]));
    e2e = {
      photo: path.basename(photo), width: Wd, height: Hd, faces: nFaces, nShort, nFull,
      total: med.e2e, wall: wallE2e, decode: tm('decode'), detect: tm('detect'), classify: tm('classify'),
      detectFwd, classifyFwd, ratio: med.e2e / (detectFwd + classifyFwd), decodeCpu: med.decode,
      classifier: classifierFile, perFace,
    };
    checker.dispose();
    for (const { m } of Object.values(raws)) m.dispose();
  } else if (!opts.only) {
    notes.push(`end to end skipped: ${photo} not found`);
  }

  // Sizes.
  const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
  const sizes = [['dist/deepfake-shield.wasm', wasmBytes], ['dist/deepfake-shield.mjs', fs.readFileSync(path.join(distDir, 'deepfake-shield.mjs'))]];
  if (opts.ours) sizes[0][0] = path.join(distDir, 'deepfake-shield.wasm'), sizes[1][0] = path.join(distDir, 'deepfake-shield.mjs');
  if (alt) sizes.push([path.join(opts.compare, 'deepfake-shield.wasm'), alt.wasm]);
  for (const f of ['models/blazeface_short.dfs', 'models/blazeface_full.dfs', 'models/classifier.dfs', networks[2].file])
    if (fs.existsSync(rel(f))) sizes.push([f, fs.readFileSync(rel(f))]);

  let nativeOut = null;
  if (opts.native) {
    const bin = rel('build-bench/dfs_bench_native');
    if (fs.existsSync(bin)) {
      log('bench: running build-bench/dfs_bench_native');
      nativeOut = execFileSync(bin, opts.quick ? ['--runs', '5'] : [], { encoding: 'utf8', maxBuffer: 1 << 24 });
    } else {
      notes.push('--native: build-bench/dfs_bench_native not built (cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench -j2 --target dfs_bench_native)');
    }
  }

  const coldMed = median(cold.slice(1));
  const coldCpuMed = median(coldCpu.slice(1));
  if (opts.json) {
    const out = rows.map(({ target, ...r }) => r);
    if (e2e) out.push({ name: 'end_to_end', ours_ms: e2e.total, ort_ms: null, tfjs_ms: null, ratio_ort: null, ratio_tfjs: null,
      runs: opts.runs, ours_wall_ms: e2e.wall, decode_ms: e2e.decode, detect_ms: e2e.detect, classify_ms: e2e.classify,
      forward_sum_ms: e2e.detectFwd + e2e.classifyFwd, ratio_forward: e2e.ratio, faces: e2e.faces,
      decode_alone_ms: e2e.decodeCpu,
      detector_passes: { short: e2e.nShort, full: e2e.nFull }, classifier: e2e.classifier,
      classifier_forwards_per_face: e2e.perFace });
    out.push({ name: 'cold_start', ours_ms: coldCpuMed, ort_ms: null, tfjs_ms: null, ratio_ort: null, ratio_tfjs: null,
      runs: opts.cold, ours_wall_ms: coldMed, first_wall_ms: cold[0], first_cpu_ms: coldCpu[0] });
    for (const [f, b] of sizes) out.push({ name: `size ${f}`, bytes: b.length, gzip_bytes: gz(b) });
    console.log(JSON.stringify(out, null, 2));
    if (nativeOut) console.error(nativeOut);
    return;
  }

  const ceiling = cpu.ghz ? 4 * cpu.ghz : null; // GMAC/s, one core, SIMD128 mul + add, no FMA
  const yn = (ok) => (ok ? 'yes' : 'no');
  const L = [];
  L.push(`## Deepfake Shield benchmark (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`);
  L.push('');
  L.push(`Machine: ${cpu.model}, ${cpu.cores} logical cores, ${cpu.ghz ? cpu.ghz.toFixed(2) + ' GHz (cpu MHz from /proc/cpuinfo)' : 'clock unknown'}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end; Node ${process.version}. ` +
    `All engines wasm SIMD, 1 thread: ours (createRawModel), onnxruntime-web ${ort.env.versions?.web ?? ''} (wasm EP, numThreads=1, ONNX written from our .dfs by tools/onnx), TF.js ${tf.version_core} wasm backend (XNNPACK, threads=${tfInfo.threads}, SIMD ${tfInfo.simd}). ` +
    `Medians of ${opts.runs} interleaved runs after ${opts.warmup} warm-up rounds, same weights, same input (the golden formula input), outputs checked equal before timing. ` +
    'ms = process CPU time per forward (getrusage user+system), which leaves out time the scheduler gave to other processes; wall-clock ratios are in the second table.');
  L.push('');
  L.push('| network | MMAC | ours ms | ORT ms | TF.js ms | ours/ORT | ours/TF.js | target ORT / TF.js | met | ours GMAC/s | % of ceiling |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|');
  for (const r of rows) {
    const okO = r.ratio_ort != null && r.ratio_ort <= r.target.ort;
    const okT = r.ratio_tfjs != null && r.ratio_tfjs <= r.target.tfjs;
    L.push(`| ${r.name} | ${fmt(r.macs / 1e6, 1)} | ${fmt(r.ours_ms)} | ${fmt(r.ort_ms)} | ${fmt(r.tfjs_ms)} | ${fmt(r.ratio_ort)} | ${fmt(r.ratio_tfjs)} | ` +
      `<= ${r.target.ort} / <= ${r.target.tfjs} | ${yn(okO)} / ${yn(okT)} | ${fmt(r.gmac_per_s)} | ${ceiling ? fmt(100 * r.gmac_per_s / ceiling, 0) + '%' : '-'} |`);
  }
  L.push('');
  L.push('| network | wall ms ours / ORT / TF.js | wall ours/ORT | wall ours/TF.js | max abs diff vs ORT, TF.js (rel. above 1) |');
  L.push('|---|---|---:|---:|---|');
  for (const r of rows) {
    L.push(`| ${r.name} | ${fmt(r.ours_wall_ms)} / ${fmt(r.ort_wall_ms)} / ${fmt(r.tfjs_wall_ms)} | ${fmt(r.wall_ratio_ort)} | ${fmt(r.wall_ratio_tfjs)} | ${r.max_diff_ort.toExponential(1)}, ${r.max_diff_tfjs.toExponential(1)} |`);
  }
  L.push('');
  L.push('| other | value | target | met |');
  L.push('|---|---|---|---|');
  if (e2e) {
    L.push(`| end to end: ${e2e.photo} ${e2e.width}x${e2e.height}, ${e2e.faces} face(s), createChecker().checkSync(jpeg bytes) | ${fmt(e2e.total, 1)} ms CPU (${fmt(e2e.wall, 1)} wall); pipeline's own split (wall): decode ${fmt(e2e.decode, 1)}, detect ${fmt(e2e.detect, 1)}, classify ${fmt(e2e.classify, 1)} | | |`);
    L.push(`| raw forwards it runs: ${e2e.nShort}x short + ${e2e.nFull}x full + ${e2e.faces * e2e.perFace}x ${path.basename(e2e.classifier)}${e2e.perFace > 1 ? ' (flip TTA: 2 per face)' : ''} | ${fmt(e2e.detectFwd + e2e.classifyFwd, 1)} ms CPU (detect ${fmt(e2e.detectFwd, 1)}, classify ${fmt(e2e.classifyFwd, 1)}) | | |`);
    L.push(`| end to end / (detect + classify forwards) | ${fmt(e2e.ratio)}x | <= 1.2x | ${yn(e2e.ratio <= 1.2)} |`);
    const rest = e2e.total - e2e.detectFwd - e2e.classifyFwd - e2e.decodeCpu;
    L.push(`| overhead split (CPU): decode alone (checker.decode, RGBA out) / everything else (resampling, anchors + NMS, crop, binding) | ${fmt(e2e.decodeCpu, 1)} ms / ${fmt(rest, 1)} ms | | |`);
  }
  L.push(`| cold start: instantiate wasm + load 2 detectors + ${path.basename(classifierFile)} (bytes in memory), median of ${opts.cold} | ${fmt(coldMed, 1)} ms wall, ${fmt(coldCpuMed, 1)} ms CPU; first in process ${fmt(cold[0], 1)} wall, ${fmt(coldCpu[0], 1)} CPU | <= 100 ms | median ${yn(coldMed <= 100)} (wall) / ${yn(coldCpuMed <= 100)} (CPU); first ${yn(cold[0] <= 100)} / ${yn(coldCpu[0] <= 100)} |`);
  for (const [f, b] of sizes) {
    const isWasm = f.endsWith('.wasm');
    L.push(`| size ${f} | ${b.length} bytes (${(b.length / 1024).toFixed(1)} KiB), gzip -9 ${gz(b)} bytes (${(gz(b) / 1024).toFixed(1)} KiB) | ${isWasm ? '<= 300 KB' : ''} | ${isWasm ? yn(b.length <= 300e3) : ''} |`);
  }
  L.push('');
  for (const n of notes) L.push(`- ${n}`);
  L.push(`- MAC/s ceiling: 4 MAC/cycle/core (one f32x4 mul + one f32x4 add per cycle; SIMD128 has no FMA) x ${cpu.ghz ? cpu.ghz.toFixed(2) + ' GHz (cpu MHz from /proc/cpuinfo, as the VM reports it)' : '?'} = ${ceiling ? fmt(ceiling, 1) : '?'} GMAC/s; MACs count conv, depthwise and FC only.`);
  L.push('- Out of scope: multi-threading (every engine runs 1 thread) and relaxed-SIMD (FMA would double the ceiling).');
  console.log(L.join('\n'));
  if (nativeOut) {
    console.log('\n### Native kernels vs XNNPACK (build-bench/dfs_bench_native)\n');
    console.log(nativeOut);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
