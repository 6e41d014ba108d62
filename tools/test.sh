#!/usr/bin/env bash
# The whole test suite (what `npm test` and CI run): setup, build, native C++ tests (plain and
# ASan/UBSan), WebAssembly kernel sweeps, Node tests (API, CLI, ORT oracle), browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
JOBS=${JOBS:-2}

# --dev: PyTorch for the Python tests, the engine-vs-PyTorch checks and golden regeneration.
bash tools/setup.sh --dev
bash tools/build.sh

echo "== lint: ESLint (JavaScript), clang-format (C++, check only), pyflakes (Python)"
node_modules/.bin/eslint --max-warnings 0 .
# shellcheck disable=SC2046
clang-format --dry-run --Werror $(git ls-files 'src/*.cc' 'src/*.h' 'bindings/*.cpp' 'tests/cpp/*.cc' \
  'tests/cpp/*.h' 'tests/cpp/xnnpack/*.cc' 'tests/fuzz/*.cc' 'tests/fuzz/*.h' 'tests/wasm/*.cc' \
  'tools/native/*.cc' 'bench/native/*.cc')
/usr/bin/python3 -m pyflakes tools tests/python

echo "== golden models (synthetic weights rebuilt from committed headers)"
mkdir -p build-golden
for name in effnet_b0_synth effnet_b4att_synth effnet_w025_synth; do
  sha=$(node -p "require('./tests/golden/${name}.json').model_sha256")
  out=build-golden/${name}.dfs
  if [[ ! -f $out ]] || [[ $(sha256sum "$out" | cut -d' ' -f1) != "$sha" ]]; then
    node tools/golden/effnet_synth.mjs "tests/golden/${name}.dfs.json" "$out" "$sha"
  fi
done

echo "== native tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$JOBS"
ctest --test-dir build --output-on-failure -j"$JOBS"

if [[ "${DFS_SKIP_ASAN:-0}" != 1 ]]; then
  echo "== native tests under ASan/UBSan"
  # -O1 without debug info: the unrolled kernels take many minutes to compile at -O2 -g under
  # ASan, and -O1 is what the sanitizer documentation recommends anyway.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
    -DDFS_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$JOBS" --target dfs_tests
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ./build-asan/dfs_tests --gtest_brief=1
fi

echo "== python tests (training tools, converters, .dfs format, BlazeFace golden)"
/usr/bin/python3 -m unittest discover -s tools/train -p 'test_*.py'
/usr/bin/python3 -m unittest discover -s tests/python

if grep -q dfs_kernel_check CMakeLists.txt; then
  echo "== kernel sweeps in WebAssembly"
  cmake --build build-wasm -j"$JOBS" --target dfs_kernel_check
  node build-wasm/dfs_kernel_check.cjs
fi

echo "== node tests"
node --test --test-concurrency=1 tests/node/

echo "== browser tests (Chromium: web page, strict CSP, offline, extension)"
node --test --test-concurrency=1 tests/browser/

if [[ "${DFS_SKIP_FUZZ:-0}" != 1 ]]; then
  # Short smoke run of the libFuzzer harnesses (skipped with a message when clang or its fuzzer
  # runtime is missing); the long run is `bash tools/fuzz.sh 300`.
  echo "== fuzz smoke run (${DFS_FUZZ_SECONDS:-10} s per target)"
  DFS_FUZZ_FRESH=1 bash tools/fuzz.sh "${DFS_FUZZ_SECONDS:-10}"
fi
