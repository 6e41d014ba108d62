# Sourced by the build scripts: assets GROUP... prints the files of those groups of
# web/assets.json (the one list of what the page and the extension ship), one per line.
assets() {
  node -e 'const a = require("./web/assets.json"); for (const g of process.argv.slice(1)) { if (!a[g]) { console.error("assets: no group " + g); process.exit(1); } for (const f of a[g]) console.log(f); }' "$@"
}
