#!/usr/bin/env bash
# Builds the Manifest V3 extension from web/ and dist/: an unpacked folder and a zip of it.
#   bash tools/build-ext.sh [OUT_DIR]    (default dist-ext; the zip is OUT_DIR.zip)
# The folder mirrors the repo layout (web/, dist/, models/) so the shared modules' relative
# imports and the checker's default model location work unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist-ext}
out=${out%/}
. tools/assets.sh
for f in $(assets runtime); do
  [[ -f $f ]] || { echo "build-ext: $f is missing; run npm run build first" >&2; exit 1; }
done

rm -rf "$out" "$out.zip"
mkdir -p "$out/web/extension/icons" "$out/dist" "$out/models"
for f in $(assets shared extension runtime); do cp "$f" "$out/$f"; done
cp web/extension/icons/icon-*.png "$out/web/extension/icons/"
# Optional files, except the threaded module (an extension page is not cross-origin isolated).
for f in $(assets runtime_optional); do
  if [[ -f $f && $f != *-mt.* ]]; then cp "$f" "$out/$f"; fi
done
# The manifest carries the package version (Chrome wants 1-4 dot-separated integers).
node -e '
  const fs = require("fs");
  const m = JSON.parse(fs.readFileSync("web/extension/manifest.json", "utf8"));
  m.version = JSON.parse(fs.readFileSync("package.json", "utf8")).version.replace(/[^0-9.].*$/, "");
  fs.writeFileSync(process.argv[1] + "/manifest.json", JSON.stringify(m, null, 2) + "\n");
' "$out"

zipfile="$(cd "$(dirname "$out")" && pwd)/$(basename "$out").zip"
if command -v zip >/dev/null; then
  (cd "$out" && zip -qrX "$zipfile" .)
else
  python3 -c 'import os, sys, zipfile
root, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
    for d, _, files in sorted(os.walk(root)):
        for f in sorted(files):
            p = os.path.join(d, f)
            z.write(p, os.path.relpath(p, root))' "$out" "$zipfile"
fi
echo "build-ext: $out/ (load unpacked from chrome://extensions) and $(basename "$out").zip ($(stat -c %s "$zipfile") bytes)"
