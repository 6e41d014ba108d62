// Runs every kernel sweep of tests/cpp/kernel_sweeps.h under WebAssembly SIMD (exit code 1 on any
// failure); with --bench [name-substring] it instead times our kernels on the real layer shapes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernel_sweeps.h"
#include "simd/simd.h"
#include "xnnpack/layer_shapes.h"

namespace {

using Clock = std::chrono::steady_clock;

int run_sweeps() {
  int failed = 0, passed = 0;
  for (const auto& s : dfs::sweeps::kAllSweeps) {
    const auto t0 = Clock::now();
    const std::string r = s.run();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (r.empty()) {
      passed++;
      std::printf("PASS %-16s (%.0f ms)\n", s.name, ms);
    } else {
      failed++;
      std::printf("FAIL %-16s %s\n", s.name, r.c_str());
    }
  }
  std::printf("backend %s: %d passed, %d failed\n", dfs::simd::kBackend, passed, failed);
  return failed == 0 ? 0 : 1;
}

int run_bench(const std::string& filter, int runs) {
  // Wall time (Emscripten has no thread CPU clock): on a busy machine trust min_us over median.
  // Run node with --no-liftoff to time V8's optimizing tier from the first call.
  std::printf(
      "| layer | median_us (of %d, %s) | min_us | GFLOP/s (median) |\n|---|---:|---:|---:|\n", runs,
      dfs::simd::kBackend);
  double total = 0;
  for (const dfs::xnn::Layer& l : dfs::xnn::layers()) {
    if (!filter.empty() && std::string(l.name).find(filter) == std::string::npos) continue;
    dfs::sweeps::Rng rng(42);
    const std::vector<float> x = rng.vec(size_t(l.h) * l.w * l.cin, -1.f, 1.f);
    const std::vector<float> w = rng.vec(l.weight_count(), -0.2f, 0.2f);
    const std::vector<float> b = rng.vec(size_t(l.cout), -0.5f, 0.5f);
    std::vector<float> y(size_t(l.out_h()) * l.out_w() * l.cout);
    const dfs::xnn::OursLayer ours(l, w.data(), b.data());
    for (int i = 0; i < 3; i++) ours.run(x.data(), y.data());
    auto t0 = Clock::now();
    ours.run(x.data(), y.data());
    const double est = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    const int reps = std::max(1, int(2000.0 / std::max(est, 0.05)));
    std::vector<double> t;
    for (int r = 0; r < runs; r++) {
      t0 = Clock::now();
      for (int i = 0; i < reps; i++) ours.run(x.data(), y.data());
      t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / reps);
    }
    std::sort(t.begin(), t.end());
    const double med = t[t.size() / 2];
    total += med;
    std::printf("| %s | %.1f | %.1f | %.1f |\n", l.name, med, t.front(), l.flops() / med * 1e-3);
  }
  std::printf("| total | %.1f | | |\n", total);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && !std::strcmp(argv[1], "--bench")) return run_bench(argc > 2 ? argv[2] : "", 31);
  return run_sweeps();
}
