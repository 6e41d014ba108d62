#!/usr/bin/env bash
# Copies the web page, the wasm module and the models into one static folder that any HTTPS
# host can serve as is (no server code, no special headers).
#   bash tools/build-web.sh [OUT_DIR]    (default build-web)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-web}
out=${out%/}
for f in dist/index.js dist/deepfake-shield.mjs dist/deepfake-shield.wasm models/blazeface_short.dfs models/blazeface_full.dfs; do
  [[ -f $f ]] || { echo "build-web: $f is missing; run npm run build first" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out/web" "$out/dist" "$out/models"
cp web/index.html web/app.js web/ui.js web/cards.js web/client.js web/worker.js web/sw.js web/style.css web/icon.svg "$out/web/"
cp dist/index.js dist/verdict.js dist/c2pa.js dist/c2pa-verifier.js dist/index.d.ts dist/deepfake-shield.mjs dist/deepfake-shield.wasm "$out/dist/"
# The threaded module: used when the host serves the page cross-origin isolated (COOP + COEP).
for f in dist/deepfake-shield-mt.mjs dist/deepfake-shield-mt.wasm dist/deepfake-shield-mt.worker.js; do
  if [[ -f $f ]]; then cp "$f" "$out/dist/"; fi
done
cp models/blazeface_short.dfs models/blazeface_full.dfs "$out/models/"
if [[ -f models/classifier.dfs ]]; then cp models/classifier.dfs "$out/models/"; fi
cat > "$out/index.html" <<'HTML'
<!doctype html>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=web/">
<title>Deepfake Shield</title>
<a href="web/">Deepfake Shield</a>
HTML
echo "build-web: $out/ ready; any static HTTPS host serves it as is (locally: node tools/serve.js --root $out)"
