#!/usr/bin/env bash
# Builds the shipped artifacts: models/*.dfs from the npm TFLite files, the wasm module, dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
JOBS=${JOBS:-2}

mp=node_modules/@mediapipe/face_detection
for kind in short full; do
  out=models/blazeface_${kind}.dfs
  node tools/convert/tflite_to_dfs.js "$mp/face_detection_${kind}_range.tflite" "$out.tmp" >/dev/null
  if [[ -f "$out" ]] && cmp -s "$out" "$out.tmp"; then rm "$out.tmp"; else mv "$out.tmp" "$out"; echo "build: wrote $out"; fi
done

if [[ ! -f build-wasm/CMakeCache.txt ]]; then
  emcmake cmake -S . -B build-wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build-wasm -j"$JOBS" --target dfs_wasm

# The threaded module (pthreads), loaded instead only by pages that are cross-origin isolated.
if [[ ! -f build-wasm-mt/CMakeCache.txt ]]; then
  emcmake cmake -S . -B build-wasm-mt -DCMAKE_BUILD_TYPE=Release -DDFS_THREADS=ON >/dev/null
fi
cmake --build build-wasm-mt -j"$JOBS" --target dfs_wasm

# dist/ holds exactly what this script writes (no file left from an older layout gets packed).
rm -rf dist
mkdir -p dist
cp build-wasm/deepfake-shield.mjs build-wasm/deepfake-shield.wasm dist/
cp build-wasm-mt/deepfake-shield-mt.mjs build-wasm-mt/deepfake-shield-mt.wasm build-wasm-mt/deepfake-shield-mt.worker.js dist/
# The package's own modules: every dist/*.js of web/assets.json that has a source in bindings/js.
. tools/assets.sh
for f in $(assets runtime runtime_optional); do
  if [[ $f == dist/*.js && -f bindings/js/${f#dist/} ]]; then cp "bindings/js/${f#dist/}" dist/; fi
done
cp bindings/js/index.cjs bindings/js/index.d.ts dist/
# The C2PA verifier as one lazily loaded module (pages and the extension have no bundler).
if [[ -d node_modules/@trustnxt/c2pa-ts && -x node_modules/.bin/esbuild ]]; then
  node_modules/.bin/esbuild bindings/js/c2pa-entry.js --bundle --format=esm --platform=browser \
    --minify --legal-comments=eof --log-level=warning --outfile=dist/c2pa-verifier.js
fi
echo "build: dist/ ready ($(stat -c %s dist/deepfake-shield.wasm) bytes of wasm)"
