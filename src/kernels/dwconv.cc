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

// Loads/stores of one channel group: NV full vectors, or one partial vector of `n` lanes when
// Partial (channel counts below 4).
template <bool Partial>
DFS_INLINE f32x4 ld(const float* p, int n) {
  if constexpr (Partial) return load_partial(p, n);
  return load(p);
}
template <bool Partial>
DFS_INLINE void st(float* p, f32x4 v, int n) {
  if constexpr (Partial) return store_partial(p, v, n);
  store(p, v);
}

// P interior output pixels starting at column ox of output row `orow`, channels [c0, c0 + 4*NV).
// `irow` points at input row iy0 (may be outside the image; only rows ky_lo..ky_hi are read).
template <int K, int S, int P, int NV, bool Partial, Act A>
DFS_INLINE void dw_block(const DwArgs& g, int iy0, int ky_lo, int ky_hi, int ox, int pad_left,
                         int c0, int nlanes, float* orow) {
  const int C = g.c;
  f32x4 acc[P][NV];
  DFS_UNROLL for (int v = 0; v < NV; v++) {
    const f32x4 b = g.bias ? ld<Partial>(g.bias + c0 + 4 * v, nlanes) : zero();
    DFS_UNROLL for (int p = 0; p < P; p++) acc[p][v] = b;
  }
  const int ix0 = ox * S - pad_left;
  for (int ky = ky_lo; ky < ky_hi; ky++) {
    const float* xr = g.in + (size_t(iy0 + ky) * g.iw + ix0) * C + c0;
    const float* wr = g.w + size_t(ky) * K * C + c0;
    f32x4 wk[K][NV];
    DFS_UNROLL for (int kx = 0; kx < K; kx++) {
      DFS_UNROLL for (int v = 0; v < NV; v++) wk[kx][v] =
          ld<Partial>(wr + size_t(kx) * C + 4 * v, nlanes);
    }
    // Column j of the input segment feeds output p through tap kx = j - p*S. Taps are added in
    // increasing kx for every output, the reference's order.
    DFS_UNROLL for (int j = 0; j < (P - 1) * S + K; j++) {
      f32x4 x[NV];
      DFS_UNROLL for (int v = 0; v < NV; v++) x[v] =
          ld<Partial>(xr + size_t(j) * C + 4 * v, nlanes);
      DFS_UNROLL for (int p = 0; p < P; p++) {
        const int kx = j - p * S;
        if (kx < 0 || kx >= K) continue;
        DFS_UNROLL for (int v = 0; v < NV; v++) acc[p][v] = madd(x[v], wk[kx][v], acc[p][v]);
      }
    }
  }
  DFS_UNROLL for (int p = 0; p < P; p++) {
    DFS_UNROLL for (int v = 0; v < NV; v++) {
      st<Partial>(orow + size_t(ox + p) * C + c0 + 4 * v, detail::act_v<A>(acc[p][v]), nlanes);
    }
  }
}

// One output pixel with runtime tap ranges (image edges).
template <int K, int NV, bool Partial, Act A>
DFS_INLINE void dw_edge(const DwArgs& g, int iy0, int ky_lo, int ky_hi, int ix0, int kx_lo,
                        int kx_hi, int c0, int nlanes, float* o) {
  const int C = g.c;
  f32x4 acc[NV];
  DFS_UNROLL for (int v = 0; v < NV; v++) {
    acc[v] = g.bias ? ld<Partial>(g.bias + c0 + 4 * v, nlanes) : zero();
  }
  for (int ky = ky_lo; ky < ky_hi && kx_lo < kx_hi; ky++) {
    // Both pointers start at tap kx_lo so that no out-of-image address is ever formed.
    const float* xr = g.in + (size_t(iy0 + ky) * g.iw + (ix0 + kx_lo)) * C + c0;
    const float* wr = g.w + (size_t(ky) * K + kx_lo) * C + c0;
    for (int t = 0; t < kx_hi - kx_lo; t++) {
      DFS_UNROLL for (int v = 0; v < NV; v++) {
        const f32x4 x = ld<Partial>(xr + size_t(t) * C + 4 * v, nlanes);
        const f32x4 wv = ld<Partial>(wr + size_t(t) * C + 4 * v, nlanes);
        acc[v] = madd(x, wv, acc[v]);
      }
    }
  }
  DFS_UNROLL for (int v = 0; v < NV; v++) {
    st<Partial>(o + c0 + 4 * v, detail::act_v<A>(acc[v]), nlanes);
  }
}

// Channel groups of one pixel run: 8-channel groups, then a 4-channel one, then the last
// C % 4 channels as an overlapping full vector at C-4 (recomputing a few channels to identical
// values beats a lane-by-lane tail), or as a partial vector when C < 4.
template <typename F8, typename F4, typename FP>
DFS_INLINE void for_channel_groups(int C, F8&& f8, F4&& f4, FP&& fp) {
  int c0 = 0;
  for (; c0 + 8 <= C; c0 += 8) f8(c0);
  if (c0 + 4 <= C) {
    f4(c0);
    c0 += 4;
  }
  if (c0 < C) {
    if (C >= 4) {
      f4(C - 4);
    } else {
      fp(c0, C - c0);
    }
  }
}

template <int K, int S, Act A>
void dwconv_impl(const Tensor& in, const float* w, const float* bias, int pad_top, int pad_left,
                 const Tensor& out) {
  const int C = in.c;
  const DwArgs g{in.data, in.w, C, w, bias, out.data, out.w};
  // Interior columns: ix0 = ox*S - pad_left >= 0 and ix0 + K <= in.w.
  int ox_lo = (pad_left + S - 1) / S;
  int ox_hi = in.w - K + pad_left >= 0 ? (in.w - K + pad_left) / S + 1 : 0;
  ox_lo = std::min(ox_lo, out.w);
  ox_hi = std::clamp(ox_hi, ox_lo, out.w);

  for (int oy = 0; oy < out.h; oy++) {
    const int iy0 = oy * S - pad_top;
    const int ky_lo = std::max(0, -iy0), ky_hi = std::min(K, in.h - iy0);
    float* orow = out.data + size_t(oy) * out.w * C;
    if (ky_lo >= ky_hi) {  // window entirely outside the image: bias only
      for (int ox = 0; ox < out.w; ox++)
        for (int ch = 0; ch < C; ch++)
          orow[size_t(ox) * C + ch] = act_scalar(bias ? bias[ch] : 0.f, A);
      continue;
    }
    auto edge = [&](int ox) {
      const int ix0 = ox * S - pad_left;
      const int kx_lo = std::max(0, -ix0), kx_hi = std::min(K, in.w - ix0);
      float* o = orow + size_t(ox) * C;
      for_channel_groups(
          C,
          [&](int c0) {
            dw_edge<K, 2, false, A>(g, iy0, ky_lo, ky_hi, ix0, kx_lo, kx_hi, c0, 4, o);
          },
          [&](int c0) {
            dw_edge<K, 1, false, A>(g, iy0, ky_lo, ky_hi, ix0, kx_lo, kx_hi, c0, 4, o);
          },
          [&](int c0, int n) {
            dw_edge<K, 1, true, A>(g, iy0, ky_lo, ky_hi, ix0, kx_lo, kx_hi, c0, n, o);
          });
    };
    for (int ox = 0; ox < ox_lo; ox++) edge(ox);
    int ox = ox_lo;
    for (; ox + kP <= ox_hi; ox += kP) {
      for_channel_groups(
          C,
          [&](int c0) {
            dw_block<K, S, kP, 2, false, A>(g, iy0, ky_lo, ky_hi, ox, pad_left, c0, 4, orow);
          },
          [&](int c0) {
            dw_block<K, S, kP, 1, false, A>(g, iy0, ky_lo, ky_hi, ox, pad_left, c0, 4, orow);
          },
          [&](int c0, int n) {
            dw_block<K, S, kP, 1, true, A>(g, iy0, ky_lo, ky_hi, ox, pad_left, c0, n, orow);
          });
    }
    for (; ox < ox_hi; ox++) {
      for_channel_groups(
          C,
          [&](int c0) {
            dw_block<K, S, 1, 2, false, A>(g, iy0, ky_lo, ky_hi, ox, pad_left, c0, 4, orow);
          },
          [&](int c0) {
            dw_block<K, S, 1, 1, false, A>(g, iy0, ky_lo, ky_hi, ox, pad_left, c0, 4, orow);
          },
          [&](int c0, int n) {
            dw_block<K, S, 1, 1, true, A>(g, iy0, ky_lo, ky_hi, ox, pad_left, c0, n, orow);
          });
    }
    for (ox = std::max(ox, ox_lo); ox < out.w; ox++) edge(ox);
  }
}

template <int K, int S>
void dwconv_act(const Tensor& in, const float* w, const float* bias, int pad_top, int pad_left,
                Act act, const Tensor& out) {
  // Only the epilogues the networks use are fused (none: BlazeFace, swish: EfficientNet); each
  // fused variant is a fully unrolled copy, and five of them per (K, S) doubled the wasm size.
  // Other activations run as a separate pass.
  if (act == Act::kSwish) return dwconv_impl<K, S, Act::kSwish>(in, w, bias, pad_top, pad_left, out);
  dwconv_impl<K, S, Act::kNone>(in, w, bias, pad_top, pad_left, out);
  if (act != Act::kNone) f32_act(out.size(), out.data, act);
}

}  // namespace

void f32_dwconv(const Tensor& in, const float* w_hwc, const float* bias, int k, int stride,
                int pad_top, int pad_left, Act act, const Tensor& out) {
  assert(in.c == out.c && in.c >= 1);
  assert(pad_top >= 0 && pad_left >= 0);
  if (k == 3 && stride == 1) return dwconv_act<3, 1>(in, w_hwc, bias, pad_top, pad_left, act, out);
  if (k == 3 && stride == 2) return dwconv_act<3, 2>(in, w_hwc, bias, pad_top, pad_left, act, out);
  if (k == 5 && stride == 1) return dwconv_act<5, 1>(in, w_hwc, bias, pad_top, pad_left, act, out);
  if (k == 5 && stride == 2) return dwconv_act<5, 2>(in, w_hwc, bias, pad_top, pad_left, act, out);
  // Other shapes are not in either network; the reference keeps them correct.
  f32_dwconv_ref(in, w_hwc, bias, k, stride, pad_top, pad_left, act, out);
}

}  // namespace dfs
