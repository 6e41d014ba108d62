// f32 depthwise KxK convolution (K 3/5, stride 1/2), NHWC, channels in vectors of 4.
//
// Each output row is split into columns whose taps all fall inside the image (interior) and the
// few at the left/right edges. Interior columns are computed P pixels at a time: the P outputs of
// a row segment share the input columns they overlap and the weights, so a block of P outputs
// reads (P-1)*S+K input vectors and K weight vectors per kernel row instead of 2*P*K. Rows whose
// kernel window sticks out at the top or bottom just run fewer kernel rows (the row range is a
// runtime argument; the column loops stay compile-time).
#include <algorithm>
#include <cassert>

#include "core/parallel.h"
#include "kernels/kernels.h"
#include "kernels/kernels_simd.h"

namespace dfs {
namespace {

using namespace simd;

// Output pixels per interior block. 4 pixels x 2 channel vectors = 8 accumulators. Overridable
// for measurements: P=2 was 1.3-1.7x slower on the stride-1 3x3 layers, natively and in wasm.
#ifndef DFS_DW_P
#define DFS_DW_P 4
#endif
constexpr int kP = DFS_DW_P;

struct DwArgs {
  const float* in;    // input image
  int iw, c;          // input width and channels
  const float* w;     // [K][K][c]
  const float* bias;  // [c] or null
  float* out;
  int ow;
};

// P interior output pixels starting at column ox of output row `orow`, channels [c0, c0 + 4*NV).
// `irow` points at input row iy0 (may be outside the image; only rows ky_lo..ky_hi are read).
template <int K, int S, int P, int NV>
DFS_INLINE void dw_block(const DwArgs& g, int iy0, int ky_lo, int ky_hi, int ox, int pad_left,
                         int c0, float* orow) {
  const int C = g.c;
  f32x4 acc[P][NV];
  DFS_UNROLL for (int v = 0; v < NV; v++) {
    const f32x4 b = g.bias ? load(g.bias + c0 + 4 * v) : zero();
    DFS_UNROLL for (int p = 0; p < P; p++) acc[p][v] = b;
  }
  const int ix0 = ox * S - pad_left;
  for (int ky = ky_lo; ky < ky_hi; ky++) {
    const float* xr = g.in + (size_t(iy0 + ky) * g.iw + ix0) * C + c0;
    const float* wr = g.w + size_t(ky) * K * C + c0;
    f32x4 wk[K][NV];
    DFS_UNROLL for (int kx = 0; kx < K; kx++) {
      DFS_UNROLL for (int v = 0; v < NV; v++) wk[kx][v] = load(wr + size_t(kx) * C + 4 * v);
    }
    // Column j of the input segment feeds output p through tap kx = j - p*S. Taps are added in
    // increasing kx for every output, the reference's order.
    DFS_UNROLL for (int j = 0; j < (P - 1) * S + K; j++) {
      f32x4 x[NV];
      DFS_UNROLL for (int v = 0; v < NV; v++) x[v] = load(xr + size_t(j) * C + 4 * v);
      DFS_UNROLL for (int p = 0; p < P; p++) {
        const int kx = j - p * S;
        if (kx < 0 || kx >= K) continue;
        DFS_UNROLL for (int v = 0; v < NV; v++) acc[p][v] = madd(x[v], wk[kx][v], acc[p][v]);
      }
    }
  }
  DFS_UNROLL for (int p = 0; p < P; p++) {
    DFS_UNROLL for (int v = 0; v < NV; v++)
        store(orow + size_t(ox + p) * C + c0 + 4 * v, acc[p][v]);
  }
}

// One output pixel with runtime tap ranges (image edges, and the interior columns left over
// after the P-wide blocks).
template <int K, int NV>
DFS_INLINE void dw_edge(const DwArgs& g, int iy0, int ky_lo, int ky_hi, int ix0, int kx_lo,
                        int kx_hi, int c0, float* o) {
  const int C = g.c;
  f32x4 acc[NV];
  DFS_UNROLL for (int v = 0; v < NV; v++) acc[v] = g.bias ? load(g.bias + c0 + 4 * v) : zero();
  for (int ky = ky_lo; ky < ky_hi && kx_lo < kx_hi; ky++) {
    // Both pointers start at tap kx_lo so that no out-of-image address is ever formed.
    const float* xr = g.in + (size_t(iy0 + ky) * g.iw + (ix0 + kx_lo)) * C + c0;
    const float* wr = g.w + (size_t(ky) * K + kx_lo) * C + c0;
    for (int t = 0; t < kx_hi - kx_lo; t++) {
      DFS_UNROLL for (int v = 0; v < NV; v++) {
        acc[v] = madd(load(xr + size_t(t) * C + 4 * v), load(wr + size_t(t) * C + 4 * v), acc[v]);
      }
    }
  }
  DFS_UNROLL for (int v = 0; v < NV; v++) store(o + c0 + 4 * v, acc[v]);
}

// Channel groups of one pixel run (C >= 4): 8-channel groups, then a 4-channel one, then the
// last C % 4 channels as an overlapping full vector at C-4 (recomputing a few channels to
// identical values beats a lane-by-lane tail).
template <typename F8, typename F4>
DFS_INLINE void for_channel_groups(int C, F8&& f8, F4&& f4) {
  int c0 = 0;
  for (; c0 + 8 <= C; c0 += 8) f8(c0);
  if (c0 + 4 <= C) {
    f4(c0);
    c0 += 4;
  }
  if (c0 < C) f4(C - 4);
}

// The activation runs over each output row right after it is computed, while the row is in
// cache. Fusing it into the register epilogue was measured as no faster in the networks but
// doubled the code per activation (each fused variant is a fully unrolled copy).
template <int K, int S>
void dwconv_impl(const Tensor& in, const float* w, const float* bias, int pad_top, int pad_left,
                 Act act, const Tensor& out) {
  const int C = in.c;
  const DwArgs g{in.data, in.w, C, w, bias, out.data, out.w};
  // Interior columns: ix0 = ox*S - pad_left >= 0 and ix0 + K <= in.w.
  int ox_lo = (pad_left + S - 1) / S;
  int ox_hi = in.w - K + pad_left >= 0 ? (in.w - K + pad_left) / S + 1 : 0;
  ox_lo = std::min(ox_lo, out.w);
  ox_hi = std::clamp(ox_hi, ox_lo, out.w);

  // Threads take disjoint bands of output rows. Depthwise loads more bytes per MAC than a GEMM,
  // so half a GEMM's MACs already make a thread's worth of time.
  parallel_for(
      out.h, 1, int64_t(out.h) * out.w * C * K * K, kMinMacsPerThread / 2, [&](int oy_b, int oy_e) {
        for (int oy = oy_b; oy < oy_e; oy++) {
          const int iy0 = oy * S - pad_top;
          const int ky_lo = std::max(0, -iy0), ky_hi = std::min(K, in.h - iy0);
          float* orow = out.data + size_t(oy) * out.w * C;
          auto edge = [&](int ox) {
            const int ix0 = ox * S - pad_left;
            const int kx_lo = std::max(0, -ix0), kx_hi = std::min(K, in.w - ix0);
            float* o = orow + size_t(ox) * C;
            for_channel_groups(
                C, [&](int c0) { dw_edge<K, 2>(g, iy0, ky_lo, ky_hi, ix0, kx_lo, kx_hi, c0, o); },
                [&](int c0) { dw_edge<K, 1>(g, iy0, ky_lo, ky_hi, ix0, kx_lo, kx_hi, c0, o); });
          };
          if (ky_lo >= ky_hi) {  // window entirely outside the image: bias only
            for (int ox = 0; ox < out.w; ox++)
              for (int ch = 0; ch < C; ch++) orow[size_t(ox) * C + ch] = bias ? bias[ch] : 0.f;
          } else {
            int ox = 0;
            for (; ox < ox_lo; ox++) edge(ox);
            for (; ox + kP <= ox_hi; ox += kP) {
              for_channel_groups(
                  C,
                  [&](int c0) {
                    dw_block<K, S, kP, 2>(g, iy0, ky_lo, ky_hi, ox, pad_left, c0, orow);
                  },
                  [&](int c0) {
                    dw_block<K, S, kP, 1>(g, iy0, ky_lo, ky_hi, ox, pad_left, c0, orow);
                  });
            }
            for (; ox < out.w; ox++) edge(ox);
          }
          if (act != Act::kNone) f32_act(size_t(out.w) * C, orow, act);
        }
      });
}

}  // namespace

void f32_dwconv(const Tensor& in, const float* w_hwc, const float* bias, int k, int stride,
                int pad_top, int pad_left, Act act, const Tensor& out) {
  assert(in.c == out.c && in.c >= 1);
  assert(pad_top >= 0 && pad_left >= 0);
  // Fewer than 4 channels and other kernel shapes are in neither network; the reference keeps
  // them correct.
  if (in.c >= 4) {
    if (k == 3 && stride == 1)
      return dwconv_impl<3, 1>(in, w_hwc, bias, pad_top, pad_left, act, out);
    if (k == 3 && stride == 2)
      return dwconv_impl<3, 2>(in, w_hwc, bias, pad_top, pad_left, act, out);
    if (k == 5 && stride == 1)
      return dwconv_impl<5, 1>(in, w_hwc, bias, pad_top, pad_left, act, out);
    if (k == 5 && stride == 2)
      return dwconv_impl<5, 2>(in, w_hwc, bias, pad_top, pad_left, act, out);
  }
  f32_dwconv_ref(in, w_hwc, bias, k, stride, pad_top, pad_left, act, out);
}

}  // namespace dfs
