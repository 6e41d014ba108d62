// A small fork-join pool for splitting one kernel call over threads.
//
// Built with DFS_THREADS (native builds and the threaded wasm module, -pthread), the process
// has one pool of set_threads(n) - 1 workers plus the calling thread. Without it (the default
// single-thread wasm module) set_threads() stays at 1 and parallel_for() is a plain call.
//
// Kernels split their OUTPUT into disjoint contiguous ranges (pixel rows, GEMM rows), so every
// output element is computed by exactly the same instructions whatever the thread count: the
// result is bit-identical with 1 or N threads (tests/cpp/parallel_test.cc checks the networks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace dfs {

// Sets the number of threads kernels may use (caller included); returns what it got: 1 in a
// build without threads, else clamped to [1, kMaxThreads]. Not to be called during a forward.
int set_threads(int n);
int num_threads();
constexpr int kMaxThreads = 4;  // the threaded wasm module pre-starts kMaxThreads - 1 workers
// The most ranges one parallel_for call is split into: per-range scratch is planned at load for
// this many (one in a build without threads, whatever set_threads() is later given).
#ifdef DFS_THREADS
constexpr int kMaxParts = kMaxThreads;
#else
constexpr int kMaxParts = 1;
#endif

// Work (MACs) worth waking one more thread for: about 15 us of one core's multiply rate. The
// kernels pass it as parallel_for's min_per_thread.
constexpr int64_t kMinMacsPerThread = int64_t(1) << 16;

namespace detail {
using RangeFn = void (*)(void* ctx, int part, int begin, int end);
void parallel_run(int n, int grain, int threads, RangeFn fn, void* ctx);
}  // namespace detail

// Calls f(part, begin, end) over disjoint ranges covering [0, n); each range but the last is a
// multiple of `grain` long, and `part` (0 <= part < kMaxParts) is distinct for ranges that run at
// the same time, so a kernel can give each its own slice of planned scratch. `min_per_thread`:
// work units worth one thread (below it, fewer threads are used; a call too small for two runs
// inline).
template <typename F>
void parallel_for_parts(int n, int grain, int64_t units, int64_t min_per_thread, F&& f) {
#ifndef DFS_THREADS
  // The single-thread module: a plain call, nothing of the pool compiled in.
  (void)grain, (void)units, (void)min_per_thread;
  if (n > 0) f(0, 0, n);
#else
  int t = num_threads();
  if (t > 1 && min_per_thread > 0) {
    const int64_t by_work = units / min_per_thread;
    if (by_work < t) t = int(by_work < 1 ? 1 : by_work);
  }
  if (t <= 1 || n <= grain) {
    if (n > 0) f(0, 0, n);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  auto call = [](void* ctx, int part, int b, int e) { (*static_cast<Fn*>(ctx))(part, b, e); };
  detail::parallel_run(n, grain, t, call, &f);
#endif
}

// The same without the part index: f(begin, end).
template <typename F>
void parallel_for(int n, int grain, int64_t units, int64_t min_per_thread, F&& f) {
  parallel_for_parts(n, grain, units, min_per_thread, [&f](int, int b, int e) { f(b, e); });
}

}  // namespace dfs
