// Reference kernels: the simplest correct loops. They are the oracle for the optimized twins.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "kernels/kernels.h"

namespace dfs {

float act_scalar(float x, Act a) {
  switch (a) {
    case Act::kNone: return x;
    case Act::kRelu: return x > 0.f ? x : 0.f;
    case Act::kRelu6: return std::min(std::max(x, 0.f), 6.f);
    case Act::kSigmoid: return 1.f / (1.f + std::exp(-x));
    case Act::kSwish: return x / (1.f + std::exp(-x));
  }
  return x;
}

void f32_conv_ref(const Tensor& in, const float* w, const float* bias, int kh, int kw, int stride,
                  int pad_top, int pad_left, Act act, const Tensor& out) {
  const int cin = in.c, cout = out.c;
  for (int oy = 0; oy < out.h; oy++)
    for (int ox = 0; ox < out.w; ox++)
      for (int co = 0; co < cout; co++) {
        float s = bias ? bias[co] : 0.f;
        for (int ky = 0; ky < kh; ky++) {
          int iy = oy * stride - pad_top + ky;
          if (iy < 0 || iy >= in.h) continue;
          for (int kx = 0; kx < kw; kx++) {
            int ix = ox * stride - pad_left + kx;
            if (ix < 0 || ix >= in.w) continue;
            const float* p = in.px(iy, ix);
            const float* wk = w + ((size_t(ky) * kw + kx) * cin) * cout + co;
            for (int ci = 0; ci < cin; ci++) s += p[ci] * wk[size_t(ci) * cout];
          }
        }
        out.px(oy, ox)[co] = act_scalar(s, act);
      }
}

void f32_dwconv_ref(const Tensor& in, const float* w, const float* bias, int k, int stride,
                    int pad_top, int pad_left, Act act, const Tensor& out) {
  assert(in.c == out.c);
  const int c = in.c;
  for (int oy = 0; oy < out.h; oy++)
    for (int ox = 0; ox < out.w; ox++)
      for (int ch = 0; ch < c; ch++) {
        float s = bias ? bias[ch] : 0.f;
        for (int ky = 0; ky < k; ky++) {
          int iy = oy * stride - pad_top + ky;
          if (iy < 0 || iy >= in.h) continue;
          for (int kx = 0; kx < k; kx++) {
            int ix = ox * stride - pad_left + kx;
            if (ix < 0 || ix >= in.w) continue;
            s += in.px(iy, ix)[ch] * w[(size_t(ky) * k + kx) * c + ch];
          }
        }
        out.px(oy, ox)[ch] = act_scalar(s, act);
      }
}

void f32_gemm_ref(int M, int K, int N, const float* a, const float* w, const float* bias, Act act,
                  float* c) {
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++) {
      float s = bias ? bias[n] : 0.f;
      for (int k = 0; k < K; k++) s += a[size_t(m) * K + k] * w[size_t(k) * N + n];
      c[size_t(m) * N + n] = act_scalar(s, act);
    }
}

void f32_gemm_add_ref(int M, int K, int N, const float* a, const float* w, const float* bias,
                      const float* r, int rc, Act act, float* c) {
  f32_gemm_ref(M, K, N, a, w, bias, Act::kNone, c);
  f32_add_ref(size_t(M), N, c, rc, r, act, c);
}

void f32_add_ref(size_t pixels, int ca, const float* a, int cb, const float* b, Act act,
                 float* out) {
  assert(cb <= ca);
  for (size_t p = 0; p < pixels; p++)
    for (int ch = 0; ch < ca; ch++) {
      float v = a[p * ca + ch] + (ch < cb ? b[p * cb + ch] : 0.f);
      out[p * ca + ch] = act_scalar(v, act);
    }
}

void f32_maxpool2x2_ref(const Tensor& in, const Tensor& out) {
  for (int oy = 0; oy < out.h; oy++)
    for (int ox = 0; ox < out.w; ox++)
      for (int ch = 0; ch < in.c; ch++) {
        float m = -INFINITY;
        for (int dy = 0; dy < 2; dy++)
          for (int dx = 0; dx < 2; dx++) {
            int iy = oy * 2 + dy, ix = ox * 2 + dx;
            if (iy < in.h && ix < in.w) m = std::max(m, in.px(iy, ix)[ch]);
          }
        out.px(oy, ox)[ch] = m;
      }
}

void f32_resize_bilinear_ref(const Tensor& in, const Tensor& out) {
  const float sy = float(in.h) / out.h, sx = float(in.w) / out.w;
  for (int oy = 0; oy < out.h; oy++) {
    float fy = std::max(0.f, (oy + 0.5f) * sy - 0.5f);
    int y0 = std::min(int(fy), in.h - 1), y1 = std::min(y0 + 1, in.h - 1);
    float wy = fy - y0;
    for (int ox = 0; ox < out.w; ox++) {
      float fx = std::max(0.f, (ox + 0.5f) * sx - 0.5f);
      int x0 = std::min(int(fx), in.w - 1), x1 = std::min(x0 + 1, in.w - 1);
      float wx = fx - x0;
      for (int ch = 0; ch < in.c; ch++) {
        float top = in.px(y0, x0)[ch] * (1 - wx) + in.px(y0, x1)[ch] * wx;
        float bot = in.px(y1, x0)[ch] * (1 - wx) + in.px(y1, x1)[ch] * wx;
        out.px(oy, ox)[ch] = top * (1 - wy) + bot * wy;
      }
    }
  }
}

void f32_gavgpool_ref(const Tensor& in, float* out) {
  const size_t n = size_t(in.h) * in.w;
  for (int ch = 0; ch < in.c; ch++) {
    double s = 0;
    for (size_t p = 0; p < n; p++) s += in.data[p * in.c + ch];
    out[ch] = float(s / double(n));
  }
}

void f32_scale_channels_ref(size_t pixels, int c, float* x, const float* s) {
  for (size_t p = 0; p < pixels; p++)
    for (int ch = 0; ch < c; ch++) x[p * c + ch] *= s[ch];
}

void f32_act_ref(size_t n, float* x, Act act) {
  for (size_t i = 0; i < n; i++) x[i] = act_scalar(x[i], act);
}

}  // namespace dfs
