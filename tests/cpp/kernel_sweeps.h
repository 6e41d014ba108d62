// Optimized-vs-reference kernel sweeps (XNNPACK-tester style), shared by gtest and the wasm check.
//
// Each sweep returns "" when every case passes, else a description of the first failing case and
// the number of failures. Shapes sit around the kernels' tiles: channel/column counts of tile-1,
// tile, tile+1, 2*tile+1 for the 4-lane vector and the 8-wide GEMM panel / 8-channel dwconv group,
// plus 1 and 3; odd spatial sizes; every pad in use; every Act; strides 1 and 2; k 3 and 5.
// Inputs come from a fixed-seed generator, so a failure is reproducible from its description.
// Outputs are written between guard zones that must survive untouched.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/kernels.h"

namespace dfs::sweeps {

inline const char* act_name(Act a) {
  switch (a) {
    case Act::kNone: return "none";
    case Act::kRelu: return "relu";
    case Act::kRelu6: return "relu6";
    case Act::kSigmoid: return "sigmoid";
    case Act::kSwish: return "swish";
  }
  return "?";
}
constexpr Act kActs[] = {Act::kNone, Act::kRelu, Act::kRelu6, Act::kSigmoid, Act::kSwish};

// xorshift64*: identical sequence on every compiler and libc (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint32_t next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return uint32_t((s_ * 0x2545F4914F6CDD1Dull) >> 32);
  }
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * float(next() >> 8) * (1.f / 16777216.f);
  }
  std::vector<float> vec(size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (float& x : v) x = uniform(lo, hi);
    return v;
  }

 private:
  uint64_t s_;
};

// An output buffer with guard zones on both sides, to catch stores past either end.
class Guarded {
 public:
  static constexpr size_t kGuard = 16;
  explicit Guarded(size_t n) : n_(n), buf_(n + 2 * kGuard) {
    for (float& x : buf_) x = kSentinel;
  }
  float* data() { return buf_.data() + kGuard; }
  size_t size() const { return n_; }
  std::vector<float> values() const {
    return std::vector<float>(buf_.begin() + kGuard, buf_.begin() + kGuard + n_);
  }
  bool guards_intact() const {
    for (size_t i = 0; i < kGuard; i++) {
      if (!same_bits(buf_[i], kSentinel) || !same_bits(buf_[kGuard + n_ + i], kSentinel))
        return false;
    }
    return true;
  }

 private:
  static constexpr float kSentinel = -123456.75f;
  static bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }
  size_t n_;
  std::vector<float> buf_;
};

// Collects the first failure and counts the rest.
class Report {
 public:
  // |got - want| <= tol * max(1, |want|) elementwise (tol = 0: exact); NaN anywhere fails.
  void check(const std::string& ctx, const float* got, const std::vector<float>& want, float tol) {
    cases_++;
    for (size_t i = 0; i < want.size(); i++) {
      const float g = got[i], w = want[i];
      const float d = std::fabs(g - w);
      if (std::isnan(g) || std::isnan(w) || d > tol * std::max(1.f, std::fabs(w))) {
        char buf[160];
        std::snprintf(buf, sizeof buf, ": index %zu got %.9g want %.9g (|diff| %.3g, tol %.3g)", i,
                      double(g), double(w), double(d), double(tol));
        fail(ctx + buf);
        return;
      }
    }
  }
  void check(const std::string& ctx, const Guarded& got, const std::vector<float>& want,
             float tol) {
    if (!got.guards_intact()) {
      cases_++;
      fail(ctx + ": wrote outside the output buffer");
      return;
    }
    std::vector<float> g = got.values();
    check(ctx, g.data(), want, tol);
  }
  std::string result(const char* sweep) const {
    if (failures_ == 0) return "";
    return std::string(sweep) + ": " + std::to_string(failures_) + " of " + std::to_string(cases_) +
           " cases failed; first: " + first_;
  }
  int cases() const { return cases_; }

 private:
  void fail(const std::string& msg) {
    if (failures_++ == 0) first_ = msg;
  }
  int cases_ = 0, failures_ = 0;
  std::string first_;
};

inline std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
inline std::string fmt(const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

// Tolerance of the accumulating kernels (GEMM, conv, dwconv, act): the vector exp is ~2e-7
// relative, and the sums run in the reference's order, so 1e-5 leaves room only for a compiler
// that contracts the reference's mul+add into FMA.
constexpr float kTol = 1e-5f;

// ---- GEMM ------------------------------------------------------------------------------------
inline void gemm_case(Report& r, Rng& rng, int M, int K, int N, Act act, bool with_bias) {
  const float ws = 2.f / std::sqrt(float(K));  // keeps sums in the range where acts bend
  std::vector<float> a = rng.vec(size_t(M) * K, -1.f, 1.f);
  std::vector<float> w = rng.vec(size_t(K) * N, -ws, ws);
  std::vector<float> b = rng.vec(size_t(N), -1.f, 1.f);
  const float* bias = with_bias ? b.data() : nullptr;
  std::vector<float> want(size_t(M) * N);
  f32_gemm_ref(M, K, N, a.data(), w.data(), bias, act, want.data());
  Guarded packed(f32_gemm_packed_size(K, N));
  f32_gemm_pack(K, N, w.data(), bias, packed.data());
  Guarded got(size_t(M) * N);
  f32_gemm(M, K, N, a.data(), packed.data(), act, got.data());
  const std::string ctx =
      fmt("gemm M=%d K=%d N=%d act=%s bias=%d", M, K, N, act_name(act), int(with_bias));
  if (!packed.guards_intact()) {
    r.check(ctx + " (pack)", packed, {}, 0.f);
    return;
  }
  r.check(ctx, got, want, kTol);
}

inline std::string sweep_gemm() {
  Report r;
  Rng rng(1);
  const int Ms[] = {1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 17};
  const int Ks[] = {1, 2, 3, 4, 5, 7, 8, 9, 16, 33};
  const int Ns[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 33};
  int i = 0;
  for (int M : Ms)
    for (int K : Ks)
      for (int N : Ns) gemm_case(r, rng, M, K, N, kActs[i++ % 5], true);
  for (Act act : kActs) gemm_case(r, rng, 13, 17, 19, act, false);
  // Larger shapes cross the row-blocking boundary of the driver (blocks of ~32K/K rows).
  const int big[][3] = {{97, 300, 70},  {300, 520, 40}, {1000, 24, 28},
                        {49, 1152, 20}, {130, 2048, 9}, {7, 96, 1280}};
  for (auto& s : big)
    for (Act act : {Act::kNone, Act::kSwish}) gemm_case(r, rng, s[0], s[1], s[2], act, true);
  return r.result("gemm");
}

// 1x1 conv + residual add in one pass, against gemm_ref then add_ref: identical arithmetic, so
// the tolerance is the GEMM's. Residual channel counts below N exercise the zero-pad per panel.
inline std::string sweep_gemm_add() {
  Report r;
  Rng rng(7);
  const int shapes[][3] = {{1, 1, 1},      {5, 3, 8},    {6, 24, 24},  {7, 24, 28},
                           {13, 9, 17},    {64, 28, 32}, {97, 48, 56}, {300, 88, 96},
                           {1000, 24, 28}, {49, 520, 40}};
  int i = 0;
  for (auto& s : shapes) {
    const int M = s[0], K = s[1], N = s[2];
    for (int rc : {N, N - 1, N - 4, N - 8, 3, 1}) {
      if (rc < 1 || rc > N) continue;
      const Act act = i++ % 2 ? Act::kRelu : Act::kNone;
      const float ws = 2.f / std::sqrt(float(K));
      std::vector<float> a = rng.vec(size_t(M) * K, -1.f, 1.f);
      std::vector<float> w = rng.vec(size_t(K) * N, -ws, ws);
      std::vector<float> b = rng.vec(size_t(N), -1.f, 1.f);
      std::vector<float> res = rng.vec(size_t(M) * rc, -1.f, 1.f);
      std::vector<float> want(size_t(M) * N);
      f32_gemm_add_ref(M, K, N, a.data(), w.data(), b.data(), res.data(), rc, act, want.data());
      std::vector<float> packed(f32_gemm_packed_size(K, N));
      f32_gemm_pack(K, N, w.data(), b.data(), packed.data());
      Guarded got(size_t(M) * N);
      f32_gemm_add(M, K, N, a.data(), packed.data(), res.data(), rc, act, got.data());
      r.check(fmt("gemm_add M=%d K=%d N=%d rc=%d act=%s", M, K, N, rc, act_name(act)), got, want,
              kTol);
    }
  }
  return r.result("gemm_add");
}

// ---- Depthwise ---------------------------------------------------------------------------------
inline void dwconv_case(Report& r, Rng& rng, int H, int W, int C, int k, int s, int pt, int pl,
                        int OH, int OW, Act act, bool with_bias) {
  std::vector<float> x = rng.vec(size_t(H) * W * C, -1.f, 1.f);
  std::vector<float> w = rng.vec(size_t(k) * k * C, -0.5f, 0.5f);
  std::vector<float> b = rng.vec(size_t(C), -1.f, 1.f);
  const float* bias = with_bias ? b.data() : nullptr;
  const Tensor in{x.data(), H, W, C};
  std::vector<float> want(size_t(OH) * OW * C);
  f32_dwconv_ref(in, w.data(), bias, k, s, pt, pl, act, Tensor{want.data(), OH, OW, C});
  Guarded got(want.size());
  f32_dwconv(in, w.data(), bias, k, s, pt, pl, act, Tensor{got.data(), OH, OW, C});
  r.check(fmt("dwconv %dx%dx%d k=%d s=%d pad=(%d,%d) out=%dx%d act=%s bias=%d", H, W, C, k, s, pt,
              pl, OH, OW, act_name(act), int(with_bias)),
          got, want, kTol);
}

inline std::string sweep_dwconv() {
  Report r;
  Rng rng(2);
  const int sizes[] = {1, 2, 3, 7, 17};
  const int chans[] = {1, 3, 4, 5, 7, 8, 9, 16, 17};
  int i = 0;
  for (int k : {3, 5})
    for (int s : {1, 2})
      for (int pt = 0; pt <= k / 2; pt++)
        for (int pl = 0; pl <= k / 2; pl++)
          for (int H : sizes)
            for (int W : sizes)
              for (int C : chans) {
                // Output sizes as TF SAME gives them, and as symmetric padding gives them.
                const int oh1 = same_out(H, s), ow1 = same_out(W, s);
                const int oh2 = std::max(1, (H + 2 * pt - k) / s + 1);
                const int ow2 = std::max(1, (W + 2 * pl - k) / s + 1);
                dwconv_case(r, rng, H, W, C, k, s, pt, pl, oh1, ow1, kActs[i % 5], i % 7 != 0);
                i++;
                if (oh2 != oh1 || ow2 != ow1) {
                  dwconv_case(r, rng, H, W, C, k, s, pt, pl, oh2, ow2, kActs[i % 5], true);
                  i++;
                }
              }
  // Wider rows: several 4-pixel interior blocks plus remainders, channel counts of the models.
  for (int k : {3, 5})
    for (int s : {1, 2})
      for (int C : {24, 42, 88})
        dwconv_case(r, rng, 21, 38, C, k, s, k / 2, k / 2, same_out(21, s), same_out(38, s),
                    kActs[i++ % 5], true);
  return r.result("dwconv");
}

// ---- Direct conv (stems) ---------------------------------------------------------------------
inline void conv_case(Report& r, Rng& rng, int H, int W, int cin, int cout, int k, int s, int pt,
                      int pl, int OH, int OW, Act act, bool with_bias) {
  const float ws = 2.f / std::sqrt(float(k * k * cin));
  std::vector<float> x = rng.vec(size_t(H) * W * cin, -1.f, 1.f);
  std::vector<float> w = rng.vec(size_t(k) * k * cin * cout, -ws, ws);
  std::vector<float> b = rng.vec(size_t(cout), -1.f, 1.f);
  const float* bias = with_bias ? b.data() : nullptr;
  const Tensor in{x.data(), H, W, cin};
  std::vector<float> want(size_t(OH) * OW * cout);
  f32_conv_ref(in, w.data(), bias, k, k, s, pt, pl, act, Tensor{want.data(), OH, OW, cout});
  Guarded packed(f32_conv_packed_size(k, k, cin, cout));
  f32_conv_pack(k, k, cin, cout, w.data(), bias, packed.data());
  Guarded got(want.size());
  Guarded scratch(f32_conv_scratch_size(k, k, cin));  // exactly what a loader plans
  f32_conv(in, packed.data(), k, k, s, pt, pl, act, Tensor{got.data(), OH, OW, cout},
           scratch.data());
  const std::string ctx = fmt("conv %dx%dx%d->%d k=%d s=%d pad=(%d,%d) out=%dx%d act=%s bias=%d", H,
                              W, cin, cout, k, s, pt, pl, OH, OW, act_name(act), int(with_bias));
  if (!packed.guards_intact()) {
    r.check(ctx + " (pack)", packed, {}, 0.f);
    return;
  }
  if (!scratch.guards_intact()) {
    r.check(ctx + " (scratch)", scratch, {}, 0.f);
    return;
  }
  r.check(ctx, got, want, kTol);
}

inline std::string sweep_conv() {
  Report r;
  Rng rng(3);
  const int sizes[] = {1, 2, 3, 7, 17};
  const int couts[] = {1, 3, 7, 8, 9, 17, 24};
  int i = 0;
  for (int k : {3, 5})
    for (int s : {1, 2})
      for (int pt = 0; pt <= k / 2; pt++)
        for (int pl = 0; pl <= k / 2; pl++)
          for (int H : sizes)
            for (int W : sizes)
              for (int cin : {1, 3}) {
                const int cout = couts[i % 7];
                conv_case(r, rng, H, W, cin, cout, k, s, pt, pl, same_out(H, s), same_out(W, s),
                          kActs[i % 5], i % 11 != 0);
                i++;
              }
  for (int cin : {1, 3, 4})
    for (int cout : {1, 4, 7, 8, 9, 16, 17, 24, 32, 48})
      for (Act act : kActs) conv_case(r, rng, 9, 10, cin, cout, 3, 2, 1, 1, 5, 5, act, true);
  // The real stems: more output pixels than one im2col chunk holds.
  conv_case(r, rng, 128, 128, 3, 24, 5, 2, 1, 1, 64, 64, Act::kRelu, true);
  conv_case(r, rng, 64, 64, 3, 32, 3, 2, 0, 0, 32, 32, Act::kSwish, true);
  conv_case(r, rng, 50, 50, 3, 48, 3, 2, 1, 1, 25, 25, Act::kRelu6, true);
  // At the tap limit (kConvMaxTaps): one pixel per im2col chunk, the whole buffer in use.
  conv_case(r, rng, 6, 7, 682, 9, 3, 1, 1, 1, 6, 7, Act::kRelu, true);           // 6138 taps
  conv_case(r, rng, 4, 5, kConvMaxTaps, 5, 1, 1, 0, 0, 4, 5, Act::kNone, true);  // exactly
  return r.result("conv");
}

// ---- Elementwise / pooling --------------------------------------------------------------------
inline std::string sweep_add() {
  Report r;
  Rng rng(4);
  for (int pixels : {1, 2, 3, 7})
    for (int ca : {1, 3, 4, 5, 8, 9, 17, 24, 28})
      for (int cb : {ca, ca - 1, ca - 3, ca - 4, ca / 2, 1, 0}) {
        if (cb < 0 || cb > ca) continue;
        for (Act act : kActs)
          for (bool alias : {false, true}) {
            std::vector<float> a = rng.vec(size_t(pixels) * ca, -8.f, 8.f);
            std::vector<float> b = rng.vec(size_t(pixels) * cb, -8.f, 8.f);
            std::vector<float> want(a.size());
            f32_add_ref(pixels, ca, a.data(), cb, b.data(), act, want.data());
            const std::string ctx = fmt("add pixels=%d ca=%d cb=%d act=%s alias=%d", pixels, ca, cb,
                                        act_name(act), int(alias));
            const float tol = (act == Act::kSigmoid || act == Act::kSwish) ? 1e-5f : 0.f;
            if (alias) {
              f32_add(pixels, ca, a.data(), cb, b.data(), act, a.data());
              r.check(ctx, a.data(), want, tol);
            } else {
              Guarded got(a.size());
              f32_add(pixels, ca, a.data(), cb, b.data(), act, got.data());
              r.check(ctx, got, want, tol);
            }
          }
      }
  return r.result("add");
}

inline std::string sweep_maxpool() {
  Report r;
  Rng rng(5);
  for (int H : {1, 2, 3, 7, 17})
    for (int W : {1, 2, 3, 7, 17})
      for (int C : {1, 3, 4, 5, 8, 9, 17}) {
        std::vector<float> x = rng.vec(size_t(H) * W * C, -4.f, 4.f);
        const int OH = (H + 1) / 2, OW = (W + 1) / 2;
        std::vector<float> want(size_t(OH) * OW * C);
        f32_maxpool2x2_ref(Tensor{x.data(), H, W, C}, Tensor{want.data(), OH, OW, C});
        Guarded got(want.size());
        f32_maxpool2x2(Tensor{x.data(), H, W, C}, Tensor{got.data(), OH, OW, C});
        r.check(fmt("maxpool2x2 %dx%dx%d", H, W, C), got, want, 0.f);
      }
  return r.result("maxpool2x2");
}

inline std::string sweep_resize() {
  Report r;
  Rng rng(6);
  const int pairs[][4] = {{1, 1, 2, 2},   {2, 2, 4, 4},     {3, 5, 6, 10}, {7, 7, 14, 14},
                          {8, 8, 16, 16}, {4, 6, 3, 5},     {5, 3, 1, 1},  {8, 8, 8, 8},
                          {2, 7, 5, 17},  {16, 16, 32, 32}, {9, 4, 3, 13}};
  for (auto& p : pairs)
    for (int C : {1, 3, 4, 5, 9, 32}) {
      std::vector<float> x = rng.vec(size_t(p[0]) * p[1] * C, -4.f, 4.f);
      std::vector<float> want(size_t(p[2]) * p[3] * C);
      f32_resize_bilinear_ref(Tensor{x.data(), p[0], p[1], C}, Tensor{want.data(), p[2], p[3], C});
      Guarded got(want.size());
      f32_resize_bilinear(Tensor{x.data(), p[0], p[1], C}, Tensor{got.data(), p[2], p[3], C});
      r.check(fmt("resize_bilinear %dx%d->%dx%d c=%d", p[0], p[1], p[2], p[3], C), got, want,
              1e-6f);
    }
  return r.result("resize_bilinear");
}

inline std::string sweep_gavgpool() {
  Report r;
  Rng rng(7);
  const int shapes[][2] = {{1, 1}, {1, 2}, {2, 3}, {3, 7}, {7, 7}, {17, 5}, {112, 112}};
  for (auto& s : shapes)
    for (int C : {1, 3, 4, 5, 15, 16, 17, 33, 96}) {
      if (s[0] == 112 && C > 32) continue;
      // Non-zero mean so that summation error is visible against the tolerance.
      std::vector<float> x = rng.vec(size_t(s[0]) * s[1] * C, -1.f, 3.f);
      std::vector<float> want(static_cast<size_t>(C));
      f32_gavgpool_ref(Tensor{x.data(), s[0], s[1], C}, want.data());
      Guarded got(static_cast<size_t>(C));
      f32_gavgpool(Tensor{x.data(), s[0], s[1], C}, got.data());
      r.check(fmt("gavgpool %dx%dx%d", s[0], s[1], C), got, want, 1e-5f);
    }
  return r.result("gavgpool");
}

inline std::string sweep_scale_channels() {
  Report r;
  Rng rng(8);
  for (int pixels : {1, 2, 5})
    for (int C : {1, 3, 4, 5, 8, 9, 17, 96}) {
      std::vector<float> x = rng.vec(size_t(pixels) * C, -4.f, 4.f);
      std::vector<float> s = rng.vec(size_t(C), 0.f, 1.f);
      std::vector<float> want = x;
      f32_scale_channels_ref(pixels, C, want.data(), s.data());
      Guarded got(x.size());
      std::copy(x.begin(), x.end(), got.data());
      f32_scale_channels(pixels, C, got.data(), s.data());
      r.check(fmt("scale_channels pixels=%d c=%d", pixels, C), got, want, 0.f);
    }
  return r.result("scale_channels");
}

inline std::string sweep_act() {
  Report r;
  Rng rng(9);
  for (Act act : kActs) {
    for (size_t n : {size_t(0), size_t(1), size_t(2), size_t(3), size_t(4), size_t(5), size_t(7),
                     size_t(8), size_t(15), size_t(16), size_t(17), size_t(33), size_t(1000)}) {
      std::vector<float> x = rng.vec(n, -20.f, 20.f);
      std::vector<float> want = x;
      f32_act_ref(n, want.data(), act);
      Guarded got(n);
      std::copy(x.begin(), x.end(), got.data());
      f32_act(n, got.data(), act);
      r.check(fmt("act n=%zu act=%s", n, act_name(act)), got, want, kTol);
    }
    // Dense scan of the range where sigmoid bends and saturates, plus the far tails.
    std::vector<float> x;
    for (int i = -40000; i <= 40000; i++) x.push_back(float(i) * 1e-3f);
    for (float v : {-1e4f, -200.f, -104.f, -89.f, -88.f, -87.5f, -87.3f, -87.f, 87.f, 88.f, 89.f,
                    104.f, 200.f, 1e4f, 0.f, -0.f, 1e-30f, -1e-30f})
      x.push_back(v);
    std::vector<float> want = x;
    f32_act_ref(x.size(), want.data(), act);
    Guarded got(x.size());
    std::copy(x.begin(), x.end(), got.data());
    f32_act(x.size(), got.data(), act);
    r.check(fmt("act scan act=%s", act_name(act)), got, want, kTol);
  }
  return r.result("act");
}

struct Sweep {
  const char* name;
  std::string (*run)();
};
inline const Sweep kAllSweeps[] = {{"gemm", sweep_gemm},
                                   {"gemm_add", sweep_gemm_add},
                                   {"dwconv", sweep_dwconv},
                                   {"conv", sweep_conv},
                                   {"add", sweep_add},
                                   {"maxpool2x2", sweep_maxpool},
                                   {"resize_bilinear", sweep_resize},
                                   {"gavgpool", sweep_gavgpool},
                                   {"scale_channels", sweep_scale_channels},
                                   {"act", sweep_act}};

}  // namespace dfs::sweeps
