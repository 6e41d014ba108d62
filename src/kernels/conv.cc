// f32 direct KxK convolution for the network stems (few input channels): im2col chunks + GEMM.
//
// With cin = 3 a pixel's receptive field is only kh*kw*3 floats (27 or 75), so gathering it into a
// small scratch buffer costs a few percent of the multiply work and lets the stem reuse the GEMM
// micro-kernel, whose inner loop runs over output-channel vectors as the packing wants. The
// packed layout is therefore exactly f32_gemm_pack of the HWIO weights viewed as [kh*kw*cin][cout].
#include <algorithm>
#include <string>

#include "core/parallel.h"
#include "core/status.h"
#include "kernels/kernels.h"
#include "kernels/kernels_simd.h"

namespace dfs {

namespace {
// Budget for one im2col chunk (24 KiB): well inside L1 together with a weight panel.
constexpr int kIm2colFloats = kConvMaxTaps;

// Output pixels gathered per chunk (a chunk is chunk_pixels(K) * K floats).
int chunk_pixels(int K) { return std::max(1, kIm2colFloats / K); }

using namespace simd;

// Copies and zero-fills of a few dozen floats, inline. memcpy/memset calls here were 7% of the
// BlazeFace forward in wasm (a call into libc's byte loop per kernel row of every pixel).
DFS_INLINE void copy_floats(float* d, const float* s, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) store(d + i, load(s + i));
  switch (n - i) {  // spelled out: a tail loop would be turned back into a memcpy call
    case 3: d[i + 2] = s[i + 2]; [[fallthrough]];
    case 2: d[i + 1] = s[i + 1]; [[fallthrough]];
    case 1: d[i] = s[i];
  }
}
DFS_INLINE void zero_floats(float* d, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) store(d + i, zero());
  switch (n - i) {
    case 3: d[i + 2] = 0.f; [[fallthrough]];
    case 2: d[i + 1] = 0.f; [[fallthrough]];
    case 1: d[i] = 0.f;
  }
}
}  // namespace

size_t f32_conv_packed_size(int kh, int kw, int cin, int cout) {
  return f32_gemm_packed_size(kh * kw * cin, cout);
}

void f32_conv_pack(int kh, int kw, int cin, int cout, const float* w_hwio, const float* bias,
                   float* packed) {
  f32_gemm_pack(kh * kw * cin, cout, w_hwio, bias, packed);
}

size_t f32_conv_scratch_size(int kh, int kw, int cin) {
  const int K = kh * kw * cin;
  if (K < 1 || K > kConvMaxTaps) return 0;
  return size_t(kMaxParts) * size_t(chunk_pixels(K)) * size_t(K);
}

void f32_conv(const Tensor& in, const float* packed, int kh, int kw, int stride, int pad_top,
              int pad_left, Act act, const Tensor& out, float* scratch) {
  const int cin = in.c, cout = out.c;
  const int K = kh * kw * cin;
  // Checked in every build (an assert vanishes under NDEBUG). Loaders refuse such models and
  // plan the scratch first; this is the backstop against a caller that did not.
  DFS_CHECK(K >= 1 && K <= kConvMaxTaps && stride >= 1 && pad_top >= 0 && pad_left >= 0,
            "f32_conv: kh*kw*cin outside 1.." + std::to_string(kConvMaxTaps));
  DFS_CHECK(scratch != nullptr, "f32_conv: no scratch (f32_conv_scratch_size floats)");
  const int chunk = chunk_pixels(K);
  const size_t part_floats = size_t(chunk) * size_t(K);
  const int npix = out.h * out.w;
  const size_t run = size_t(kw) * cin;  // one kernel row of a pixel whose taps are all inside
  // Threads take whole chunks of output pixels; each running range im2cols into its own slice of
  // the caller's scratch (part < kMaxParts, so the slices fit the planned size).
  auto gather_and_multiply = [&](int part, int pb, int pe) {
    float* buf = scratch + size_t(part) * part_floats;
    for (int p0 = pb; p0 < pe; p0 += chunk) {
      const int rows = std::min(chunk, pe - p0);
      for (int r = 0; r < rows; r++) {
        const int oy = (p0 + r) / out.w, ox = (p0 + r) % out.w;
        const int iy0 = oy * stride - pad_top, ix0 = ox * stride - pad_left;
        float* dst = buf + size_t(r) * K;
        const bool cols_inside = ix0 >= 0 && ix0 + kw <= in.w;
        for (int ky = 0; ky < kh; ky++, dst += run) {
          const int iy = iy0 + ky;
          if (iy < 0 || iy >= in.h) {
            zero_floats(dst, run);
          } else if (cols_inside) {
            copy_floats(dst, in.px(iy, ix0), run);
          } else {
            for (int kx = 0; kx < kw; kx++) {
              const int ix = ix0 + kx;
              float* d = dst + size_t(kx) * cin;
              if (ix < 0 || ix >= in.w) {
                zero_floats(d, size_t(cin));
              } else {
                copy_floats(d, in.px(iy, ix), size_t(cin));
              }
            }
          }
        }
      }
      detail::f32_gemm_rows(rows, K, cout, buf, size_t(K), packed, act,
                            out.data + size_t(p0) * cout, size_t(cout));
    }
  };
  parallel_for_parts(npix, chunk, int64_t(npix) * K * cout, kMinMacsPerThread, gather_and_multiply);
}

}  // namespace dfs
