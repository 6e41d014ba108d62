#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test Deepfake Shield. Idempotent.
# Usage: tools/setup.sh [--dev]   (--dev adds PyTorch for training and golden regeneration)
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(emscripten node-acorn libstb-dev libxnnpack-dev googletest cmake g++ chromium clang
      libclang-rt-14-dev nodejs npm ffmpeg libheif-examples clang-format python3-pyflakes)
if [[ "${1:-}" == "--dev" ]]; then pkgs+=(python3-torch python3-torchvision python3-numpy); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs/npm may come from elsewhere (nvm, nodesource): only ask apt when the commands are absent.
filtered=()
for p in "${missing[@]}"; do
  case "$p" in
    nodejs) command -v node >/dev/null || filtered+=("$p") ;;
    npm) command -v npm >/dev/null || filtered+=("$p") ;;
    *) filtered+=("$p") ;;
  esac
done
if ((${#filtered[@]})); then
  echo "setup: apt-get install ${filtered[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${filtered[@]}"
fi

# npm dependencies, exactly as locked: only when package-lock changed since the last install.
# (package.json pins cbor-extract, a dependency of @trustnxt/c2pa-ts's cbor-x, to 2.2.2: 2.2.3
# asks for per-platform packages of 2.2.3 that the registry does not have, so npm left them out
# of the lock and `npm ci` refused it.)
if [[ -f package.json ]]; then
  if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund
  fi
fi
echo "setup: ok"
