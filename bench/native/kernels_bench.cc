// Native single-thread benchmark of our conv kernels vs XNNPACK on every real layer shape; prints
// a markdown table. Usage: dfs_bench_native [--runs N] [name-substring]
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "simd/simd.h"
#include "xnnpack/xnn_layers.h"

namespace {

using dfs::xnn::Layer;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Thread CPU time, not wall time: the machines this runs on are shared, and time slices given to
// other processes would otherwise land in whichever sample they interrupt.
double thread_cpu_us() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e6 + double(t.tv_nsec) * 1e-3;
}

template <typename F>
double time_us(F&& f, int reps) {
  const double t0 = thread_cpu_us();
  for (int r = 0; r < reps; r++) f();
  return (thread_cpu_us() - t0) / reps;
}

const char* op_name(dfs::xnn::Op op) {
  switch (op) {
    case dfs::xnn::Op::kConv: return "conv";
    case dfs::xnn::Op::kDw: return "dwconv";
    case dfs::xnn::Op::kGemm: return "gemm";
  }
  return "?";
}

const char* act_name(dfs::Act a) {
  switch (a) {
    case dfs::Act::kNone: return "none";
    case dfs::Act::kRelu: return "relu";
    case dfs::Act::kRelu6: return "relu6";
    case dfs::Act::kSigmoid: return "sigmoid";
    case dfs::Act::kSwish: return "swish";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 31;
  std::string filter;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else {
      filter = argv[i];
    }
  }
  std::printf(
      "Single thread. Ours: %s backend (4-wide, mul+add). XNNPACK: its best kernels for "
      "this CPU. Median (and min) of %d interleaved samples of thread CPU time after "
      "warm-up; a sample repeats the op for >= 2 ms.\nXNNPACK runs sigmoid/swish as separate "
      "sigmoid (+ multiply) operators "
      "after the conv, as a TFLite graph would; ours fuses them.\n\n",
      dfs::simd::kBackend, runs);
  std::printf(
      "| layer | op | act | ours_us | xnn_us | ratio ours/xnn | ours GFLOP/s | xnn GFLOP/s "
      "| ours_min_us | xnn_min_us |\n");
  std::printf("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");

  struct Totals {
    double ours = 0, xnn = 0, log_ratio = 0;
    int n = 0;
  };
  std::map<std::string, Totals> per_net;
  uint32_t s = 1;
  auto rnd = [&](size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (float& x : v) {
      s = s * 1664525u + 1013904223u;
      x = lo + (hi - lo) * float(s >> 8) * (1.f / 16777216.f);
    }
    return v;
  };

  for (const Layer& l : dfs::xnn::layers()) {
    if (!filter.empty() && std::string(l.name).find(filter) == std::string::npos) continue;
    const std::vector<float> x = rnd(size_t(l.h) * l.w * l.cin, -1.f, 1.f);
    const std::vector<float> w = rnd(l.weight_count(), -0.2f, 0.2f);
    const std::vector<float> b = rnd(size_t(l.cout), -0.5f, 0.5f);
    const size_t out_n = size_t(l.out_h()) * l.out_w() * l.cout;
    std::vector<float> y_ours(out_n), y_xnn(out_n);
    dfs::xnn::OursLayer ours(l, w.data(), b.data());
    dfs::xnn::XnnLayer xnn(l, w.data(), b.data());
    xnn.setup(x.data(), y_xnn.data());
    auto run_ours = [&] { ours.run(x.data(), y_ours.data()); };
    auto run_xnn = [&] { xnn.run(); };

    // Warm-up (caches, page faults, XNNPACK's lazy buffers), then size a sample to >= 2 ms.
    for (int i = 0; i < 3; i++) run_ours(), run_xnn();
    const double est = std::min(time_us(run_ours, 3), time_us(run_xnn, 3));
    const int reps = std::max(1, int(std::ceil(2000.0 / std::max(est, 0.05))));
    std::vector<double> to, tx;
    for (int i = 0; i < runs; i++) {
      // Alternate which goes first so neither always inherits the other's cache state.
      if (i % 2) {
        to.push_back(time_us(run_ours, reps));
        tx.push_back(time_us(run_xnn, reps));
      } else {
        tx.push_back(time_us(run_xnn, reps));
        to.push_back(time_us(run_ours, reps));
      }
    }
    const double mo = median(to), mx = median(tx);
    const double ratio = mo / mx;
    std::printf("| %s | %s | %s | %.1f | %.1f | %.2f | %.1f | %.1f | %.1f | %.1f |\n", l.name,
                op_name(l.op), act_name(l.act), mo, mx, ratio, l.flops() / mo * 1e-3,
                l.flops() / mx * 1e-3, *std::min_element(to.begin(), to.end()),
                *std::min_element(tx.begin(), tx.end()));
    std::fflush(stdout);
    const std::string net = std::string(l.name).substr(0, std::string(l.name).find('_'));
    Totals& t = per_net[net];
    t.ours += mo, t.xnn += mx, t.log_ratio += std::log(ratio), t.n++;
  }
  std::printf("\n| net | layers | sum ours_us | sum xnn_us | sum ratio | geomean ratio |\n");
  std::printf("|---|---:|---:|---:|---:|---:|\n");
  for (const auto& [net, t] : per_net)
    std::printf("| %s | %d | %.1f | %.1f | %.2f | %.2f |\n", net.c_str(), t.n, t.ours, t.xnn,
                t.ours / t.xnn, std::exp(t.log_ratio / t.n));
  return 0;
}
