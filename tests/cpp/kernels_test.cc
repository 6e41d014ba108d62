// Optimized kernels vs their reference twins over swept shapes (the sweeps live in
// kernel_sweeps.h so that tests/wasm/kernel_check.cc runs the very same cases under simd128).
#include <gtest/gtest.h>

#include "core/parallel.h"
#include "core/status.h"
#include "kernel_sweeps.h"
#include "simd/simd.h"

namespace dfs::sweeps {
namespace {

TEST(KernelSweep, Gemm) { EXPECT_EQ(sweep_gemm(), ""); }
TEST(KernelSweep, GemmAdd) { EXPECT_EQ(sweep_gemm_add(), ""); }
TEST(KernelSweep, Dwconv) { EXPECT_EQ(sweep_dwconv(), ""); }
TEST(KernelSweep, Conv) { EXPECT_EQ(sweep_conv(), ""); }
TEST(KernelSweep, Add) { EXPECT_EQ(sweep_add(), ""); }
TEST(KernelSweep, Maxpool2x2) { EXPECT_EQ(sweep_maxpool(), ""); }
TEST(KernelSweep, ResizeBilinear) { EXPECT_EQ(sweep_resize(), ""); }
TEST(KernelSweep, Gavgpool) { EXPECT_EQ(sweep_gavgpool(), ""); }
TEST(KernelSweep, ScaleChannels) { EXPECT_EQ(sweep_scale_channels(), ""); }
TEST(KernelSweep, Act) { EXPECT_EQ(sweep_act(), ""); }

// Past the tap limit f32_conv refuses (in release builds too), and without planned scratch;
// loaders refuse such models before this (Hostile.ConvPastTheKernelLimitIsBadModel).
TEST(KernelContract, ConvPastTheTapLimitThrows) {
  for (int cin : {683, 4096}) {  // 3x3 taps: 6147 and 36864 > kConvMaxTaps
    std::vector<float> in(size_t(4) * 4 * cin, 0.5f), w(size_t(9) * cin * 2, 0.01f), out(32);
    std::vector<float> packed(f32_conv_packed_size(3, 3, cin, 2));
    f32_conv_pack(3, 3, cin, 2, w.data(), nullptr, packed.data());
    EXPECT_EQ(f32_conv_scratch_size(3, 3, cin), 0u);
    std::vector<float> scratch(size_t(9) * cin);  // even with room, the contract holds
    try {
      f32_conv(Tensor{in.data(), 4, 4, cin}, packed.data(), 3, 3, 1, 1, 1, Act::kNone,
               Tensor{out.data(), 4, 4, 2}, scratch.data());
      ADD_FAILURE() << "f32_conv accepted " << 9 * cin << " taps";
    } catch (const dfs::Error& e) {
      EXPECT_EQ(e.code, dfs::Code::kInternal);
      EXPECT_NE(e.message.find("f32_conv"), std::string::npos) << e.message;
    }
  }
  std::vector<float> in(size_t(4) * 4 * 3, 0.5f), w(size_t(27) * 2, 0.01f), out(32);
  std::vector<float> packed(f32_conv_packed_size(3, 3, 3, 2));
  f32_conv_pack(3, 3, 3, 2, w.data(), nullptr, packed.data());
  try {
    f32_conv(Tensor{in.data(), 4, 4, 3}, packed.data(), 3, 3, 1, 1, 1, Act::kNone,
             Tensor{out.data(), 4, 4, 2}, nullptr);
    ADD_FAILURE() << "f32_conv ran without scratch";
  } catch (const dfs::Error& e) {
    EXPECT_NE(e.message.find("scratch"), std::string::npos) << e.message;
  }
}

// The scratch a loader plans covers every range a threaded call may run at once: at the most
// threads, each part's im2col chunk stays inside f32_conv_scratch_size (ASan and the guard check
// this; the result must match one thread's).
TEST(KernelContract, ConvScratchCoversEveryPart) {
  const int H = 96, W = 96, cin = 3, cout = 24;
  std::vector<float> x(size_t(H) * W * cin), w(size_t(27) * cout), b(cout);
  for (size_t i = 0; i < x.size(); i++) x[i] = float(int(i % 17) - 8) / 8.f;
  for (size_t i = 0; i < w.size(); i++) w[i] = float(int(i % 13) - 6) / 40.f;
  std::vector<float> packed(f32_conv_packed_size(3, 3, cin, cout));
  f32_conv_pack(3, 3, cin, cout, w.data(), b.data(), packed.data());
  const size_t need = f32_conv_scratch_size(3, 3, cin);
  ASSERT_GE(need, size_t(kMaxParts) * 27);
  std::vector<std::vector<float>> outs;
  for (int threads : {1, kMaxThreads}) {
    const int got_threads = set_threads(threads);
    const float kSentinel = -7.25f;
    // Room for every part's chunk whatever `need` says, so a short plan shows as a write past it.
    std::vector<float> scratch(size_t(kMaxParts) * 6144 + need + 64, kSentinel);
    std::vector<float> out(size_t(48) * 48 * cout);
    f32_conv(Tensor{x.data(), H, W, cin}, packed.data(), 3, 3, 2, 0, 0, Act::kSwish,
             Tensor{out.data(), 48, 48, cout}, scratch.data());
    for (size_t i = need; i < scratch.size(); i++)
      ASSERT_EQ(scratch[i], kSentinel)
          << "threads " << got_threads << " wrote past scratch at " << i;
    outs.push_back(out);
  }
  set_threads(1);
  EXPECT_EQ(outs[0], outs[1]);
}

// The checker itself must be able to fail: a wrong value, a store past the end and a NaN are all
// reported.
TEST(KernelSweepHarness, DetectsMismatchOverrunAndNan) {
  std::vector<float> want = {1.f, 2.f, 3.f};
  {
    Report r;
    Guarded g(3);
    g.data()[0] = 1.f, g.data()[1] = 2.f, g.data()[2] = 3.f + 1e-3f;
    r.check("value", g, want, kTol);
    EXPECT_NE(r.result("t"), "");
  }
  {
    Report r;
    Guarded g(3);
    g.data()[0] = 1.f, g.data()[1] = 2.f, g.data()[2] = 3.f;
    g.data()[3] = 0.f;  // one past the end, inside the guard zone
    r.check("overrun", g, want, kTol);
    EXPECT_NE(r.result("t"), "");
  }
  {
    Report r;
    Guarded g(3);
    g.data()[0] = 1.f, g.data()[1] = std::nanf(""), g.data()[2] = 3.f;
    r.check("nan", g, want, kTol);
    EXPECT_NE(r.result("t"), "");
  }
  {
    Report r;
    Guarded g(3);
    g.data()[0] = 1.f, g.data()[1] = 2.f, g.data()[2] = 3.f + 1e-6f;
    r.check("ok", g, want, kTol);
    EXPECT_EQ(r.result("t"), "");
  }
}

// Direct checks of the vector exp/sigmoid/swish against libm (in double) over the whole clamp
// range, relative error; measured ~3e-7, the contract is 1e-6.
TEST(Simd, ExpSigmoidSwishMatchLibm) {
  using namespace simd;
  double worst_exp = 0, worst_sig = 0, worst_swish = 0;
  for (int i = -87300; i <= 87300; i++) {
    const float x = float(i) * 1e-3f;
    float e[4], s[4], w[4];
    store(e, exp_clamped(splat(x)));
    store(s, sigmoid(splat(x)));
    store(w, swish(splat(x)));
    const double ref_e = std::exp(double(x));
    const double ref_s = 1.0 / (1.0 + std::exp(-double(x)));
    const double ref_w = double(x) * ref_s;
    worst_exp = std::max(worst_exp, std::fabs(e[0] - ref_e) / ref_e);
    worst_sig = std::max(worst_sig, std::fabs(s[0] - ref_s) / ref_s);
    worst_swish =
        std::max(worst_swish, std::fabs(w[0] - ref_w) / std::max(1e-30, std::fabs(ref_w)));
  }
  EXPECT_LT(worst_exp, 1e-6) << "backend " << kBackend;
  EXPECT_LT(worst_sig, 1e-6) << "backend " << kBackend;
  EXPECT_LT(worst_swish, 1e-6) << "backend " << kBackend;
}

TEST(Simd, PartialLoadStoreTouchOnlyTheirLanes) {
  using namespace simd;
  float src[3] = {1.f, 2.f, 3.f};
  float dst[5] = {9.f, 9.f, 9.f, 9.f, 9.f};
  store_partial(dst + 1, add(load_partial(src, 3), splat(1.f)), 3);
  EXPECT_EQ(dst[0], 9.f);
  EXPECT_EQ(dst[1], 2.f);
  EXPECT_EQ(dst[2], 3.f);
  EXPECT_EQ(dst[3], 4.f);
  EXPECT_EQ(dst[4], 9.f);
}

}  // namespace
}  // namespace dfs::sweeps
