#!/usr/bin/env bash
# Copies the web page, the wasm module and the models into one static folder that any HTTPS
# host can serve as is (no server code, no special headers).
#   bash tools/build-web.sh [OUT_DIR]    (default build-web)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-web}
out=${out%/}
. tools/assets.sh
for f in $(assets runtime); do
  [[ -f $f ]] || { echo "build-web: $f is missing; run npm run build first" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out/web" "$out/dist" "$out/models"
for f in $(assets shared page runtime); do cp "$f" "$out/$f"; done
# Optional: the classifier, the C2PA verifier, the threaded module (used when the host serves
# the page cross-origin isolated, COOP + COEP).
for f in $(assets runtime_optional); do
  if [[ -f $f ]]; then cp "$f" "$out/$f"; fi
done
cp dist/index.d.ts "$out/dist/"
cat > "$out/index.html" <<'HTML'
<!doctype html>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=web/">
<title>Deepfake Shield</title>
<a href="web/">Deepfake Shield</a>
HTML
echo "build-web: $out/ ready; any static HTTPS host serves it as is (locally: node tools/serve.js --root $out)"
