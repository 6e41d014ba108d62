#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz/: clang, ASan+UBSan+LeakSanitizer) and runs each
# target for N seconds (default 60) on generated seeds (tests/corpus/generate.mjs), saved crash
# inputs (tests/corpus/regressions/<target>/) and the image fixtures (tests/fixtures/image/).
#   tools/fuzz.sh [seconds] [target...]        targets: image weights pipeline provenance (default: all)
# The growing corpus stays in build-fuzz/corpus/<target>/ between runs (DFS_FUZZ_FRESH=1 starts
# from the seeds alone and discards what it finds: the short smoke run in tools/test.sh, whose
# time would otherwise grow with every earlier run's corpus). A crash, leak, UBSan
# report or timeout leaves its input in build-fuzz/crashes/<target>/ and makes this exit 1: add
# the input to tests/corpus/regressions/<target>/ so tests/cpp/hostile_test.cc replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(image weights pipeline provenance)
JOBS=${JOBS:-2}
OUT=build-fuzz

CXX_BIN=""
for c in clang++-14 clang++; do command -v "$c" >/dev/null && { CXX_BIN=$c; break; }; done
if [[ -z $CXX_BIN ]]; then
  echo "fuzz: skipped: clang is not installed (apt-get install clang libclang-rt-14-dev)"
  # In CI a skipped check is a failed one: setup.sh installs clang there.
  [[ "${CI:-}" == true ]] && exit 1
  exit 0
fi
CC_BIN=${CXX_BIN/clang++/clang}
# clang alone is not enough: the fuzzer runtime ships separately (libclang-rt-*-dev).
probe=$(mktemp -d)
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/p.cc"
if ! "$CXX_BIN" -fsanitize=fuzzer,address,undefined "$probe/p.cc" -o "$probe/p" 2>/dev/null; then
  rm -rf "$probe"
  echo "fuzz: skipped: $CXX_BIN cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)"
  [[ "${CI:-}" == true ]] && exit 1
  exit 0
fi
rm -rf "$probe"

if [[ ! -f $OUT/CMakeCache.txt ]]; then
  CC=$CC_BIN CXX=$CXX_BIN cmake -S . -B "$OUT" -DDFS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$OUT" -j"$JOBS" --target "${TARGETS[@]/#/dfs_fuzz_}" >/dev/null

rm -rf "$OUT/seeds"
node tests/corpus/generate.mjs "$OUT/seeds"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/fuzz/ubsan.supp}
status=0
printf '%-9s %6s %10s %8s %7s %s\n' target seconds executions exec/s corpus result
for t in "${TARGETS[@]}"; do
  corpus=$OUT/corpus/$t
  seed=()
  # The smoke run uses a fixed seed so that CI explores the same inputs every time (the long
  # runs stay random: they are for finding new bugs).
  [[ ${DFS_FUZZ_FRESH:-0} == 1 ]] && corpus=$OUT/corpus-fresh/$t && rm -rf "$corpus" && seed=(-seed=1)
  mkdir -p "$corpus" "$OUT/crashes/$t" "$OUT/logs"
  dirs=("$corpus" "$OUT/seeds/$t")
  [[ -d tests/corpus/regressions/$t ]] && dirs+=("tests/corpus/regressions/$t")
  # Every decoder fixture for the decoder; the slower whole-pipeline target starts from the seeds.
  [[ $t == image && -d tests/fixtures/image ]] && dirs+=(tests/fixtures/image)
  log=$OUT/logs/$t.log
  rc=0
  # -rss_limit_mb: a decode that tries to allocate gigabytes is a finding, not a machine to swap.
  nice -n 10 "./$OUT/dfs_fuzz_$t" "${dirs[@]}" -max_total_time="$SECS" "${seed[@]}" -timeout=60 \
    -rss_limit_mb=2560 -malloc_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$OUT/crashes/$t/" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  if ((rc == 0)); then
    result=ok
  else
    result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|fuzz invariant' "$log" || echo "see $log")"
    status=1
  fi
  printf '%-9s %6s %10s %8s %7s %s\n' "$t" "$SECS" "${execs:-?}" "${rate:-?}" "$size" "$result"
done
if ((status)); then
  echo "fuzz: failing inputs are in $OUT/crashes/; logs in $OUT/logs/"
  ls -l "$OUT"/crashes/*/ 2>/dev/null | grep -v '^total' || true
fi
exit $status
