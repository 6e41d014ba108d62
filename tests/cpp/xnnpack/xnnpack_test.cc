// Cross-check of our optimized conv kernels against XNNPACK on every real layer shape of
// BlazeFace (short and full range) and EfficientNet-B0: |ours - xnn| <= 1e-4 * max(1, |xnn|).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "xnnpack/xnn_layers.h"

namespace dfs::xnn {
namespace {

// Deterministic inputs independent of the library's std distributions.
std::vector<float> random_vec(size_t n, uint32_t seed, float lo, float hi) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 12345u;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = lo + (hi - lo) * float(s >> 8) * (1.f / 16777216.f);
  }
  return v;
}

struct Compared {
  size_t bad = 0, first = 0;
  float got = 0, want = 0, worst_rel = 0;
};

Compared compare(const std::vector<float>& ours, const std::vector<float>& ref) {
  Compared c;
  for (size_t i = 0; i < ref.size(); i++) {
    const float d = std::fabs(ours[i] - ref[i]);
    const float rel = d / std::max(1.f, std::fabs(ref[i]));
    c.worst_rel = std::max(c.worst_rel, rel);
    if (!(rel <= 1e-4f)) {  // NaN fails too
      if (c.bad++ == 0) c.first = i, c.got = ours[i], c.want = ref[i];
    }
  }
  return c;
}

void run_layer(const Layer& l, Act act, uint32_t seed) {
  Layer layer = l;
  layer.act = act;
  const float ws = 2.f / std::sqrt(float(layer.op == Op::kDw ? layer.k * layer.k
                                                             : layer.k * layer.k * layer.cin));
  const std::vector<float> x = random_vec(size_t(layer.h) * layer.w * layer.cin, seed, -1.f, 1.f);
  const std::vector<float> w = random_vec(layer.weight_count(), seed + 1, -ws, ws);
  const std::vector<float> b = random_vec(size_t(layer.cout), seed + 2, -0.5f, 0.5f);
  const size_t out_n = size_t(layer.out_h()) * layer.out_w() * layer.cout;
  std::vector<float> ours(out_n, std::nanf("")), theirs(out_n, std::nanf(""));

  OursLayer o(layer, w.data(), b.data());
  o.run(x.data(), ours.data());
  XnnLayer xl(layer, w.data(), b.data());
  xl.setup(x.data(), theirs.data());
  xl.run();

  const Compared c = compare(ours, theirs);
  EXPECT_EQ(c.bad, 0u) << layer.name << " act=" << int(act) << ": " << c.bad << " of " << out_n
                       << " outputs differ; first at " << c.first << ": ours " << c.got
                       << " xnnpack " << c.want;
  // Sanity: the comparison is not vacuous (outputs are not all zero / clamped).
  size_t nonzero = 0;
  for (float v : theirs) nonzero += v != 0.f;
  EXPECT_GT(nonzero, out_n / 4) << layer.name;
}

}  // namespace

// Readable parameter names in gtest output instead of a byte dump.
void PrintTo(const Layer& l, std::ostream* os) { *os << l.name; }

namespace {

class XnnCrossCheck : public ::testing::TestWithParam<Layer> {};

TEST_P(XnnCrossCheck, MatchesXnnpack) { run_layer(GetParam(), GetParam().act, 7); }

// The clamps and the fused sigmoid on every layer shape too: a layer's own act is not the only
// one the kernel is asked for elsewhere (e.g. the SE gates are sigmoid 1x1s).
TEST_P(XnnCrossCheck, MatchesXnnpackWithOtherActs) {
  for (Act a : {Act::kNone, Act::kRelu6, Act::kSigmoid}) {
    if (a != GetParam().act) run_layer(GetParam(), a, 11);
  }
}

INSTANTIATE_TEST_SUITE_P(RealLayers, XnnCrossCheck, ::testing::ValuesIn(layers()),
                         [](const ::testing::TestParamInfo<Layer>& i) {
                           return std::string(i.param.name);
                         });

}  // namespace
}  // namespace dfs::xnn
