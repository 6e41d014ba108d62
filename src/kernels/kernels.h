// Every compute kernel of both networks: a plain reference (`*_ref`, the oracle) and an optimized
// twin written once against src/simd/simd.h (wasm simd128, SSE, scalar). Pure functions over
// pointers: they allocate nothing and assert preconditions. Layout is NHWC, batch 1, rows dense.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/tensor.h"

namespace dfs {

// Fused epilogue applied on store.
enum class Act : uint8_t { kNone = 0, kRelu = 1, kRelu6 = 2, kSigmoid = 3, kSwish = 4 };
float act_scalar(float x, Act a);

// ---- Direct KxK convolution (network stems: 5x5s2 and 3x3s2 on 3 channels) ----
// w_hwio: canonical [kh][kw][cin][cout]. Out-of-image taps read zero. out.h/out.w given by caller.
void f32_conv_ref(const Tensor& in, const float* w_hwio, const float* bias, int kh, int kw,
                  int stride, int pad_top, int pad_left, Act act, const Tensor& out);
// Optimized: weights repacked once at load by f32_conv_pack into `packed` (f32_conv_packed_size
// floats, bias included).
size_t f32_conv_packed_size(int kh, int kw, int cin, int cout);
void f32_conv_pack(int kh, int kw, int cin, int cout, const float* w_hwio, const float* bias,
                   float* packed);
// Contract: kh * kw * cin <= kConvMaxTaps (one output pixel's receptive field fits one im2col
// chunk). Model loaders check it (BAD_MODEL with the op index); f32_conv re-checks and throws.
// `scratch`: f32_conv_scratch_size(kh, kw, cin) floats the caller planned at load (the model's
// arena), im2col chunks for every range that may run at once; 0 when the contract is broken.
constexpr int kConvMaxTaps = 6144;
size_t f32_conv_scratch_size(int kh, int kw, int cin);
void f32_conv(const Tensor& in, const float* packed, int kh, int kw, int stride, int pad_top,
              int pad_left, Act act, const Tensor& out, float* scratch);

// ---- Depthwise KxK convolution, K in {3,5}, stride in {1,2} ----
// w_hwc: canonical [kh][kw][c]; bias[c]. in.c == out.c.
void f32_dwconv_ref(const Tensor& in, const float* w_hwc, const float* bias, int k, int stride,
                    int pad_top, int pad_left, Act act, const Tensor& out);
void f32_dwconv(const Tensor& in, const float* w_hwc, const float* bias, int k, int stride,
                int pad_top, int pad_left, Act act, const Tensor& out);

// ---- 1x1 convolution / fully connected as GEMM: c[m][n] = act(sum_k a[m][k]*w[k][n] + b[n]) ----
// a has row stride K, c has row stride N.
void f32_gemm_ref(int M, int K, int N, const float* a, const float* w_kn, const float* bias,
                  Act act, float* c);
size_t f32_gemm_packed_size(int K, int N);
void f32_gemm_pack(int K, int N, const float* w_kn, const float* bias, float* packed);
void f32_gemm(int M, int K, int N, const float* a, const float* packed, Act act, float* c);
// A 1x1 convolution and the residual add after it in one pass (BlazeFace's blocks):
// c[m][n] = act(sum_k a[m][k]*w[k][n] + b[n] + (n < rc ? r[m][n] : 0)), r has row stride rc <= N.
// Same arithmetic order as f32_gemm (act none) followed by f32_add, so the results are identical.
void f32_gemm_add_ref(int M, int K, int N, const float* a, const float* w_kn, const float* bias,
                      const float* r, int rc, Act act, float* c);
void f32_gemm_add(int M, int K, int N, const float* a, const float* packed, const float* r, int rc,
                  Act act, float* c);

// ---- Elementwise / pooling ----
// out[p][c] = act(a[p][c] + (c < cb ? b[p][c] : 0)); a and out have ca channels, b has cb <= ca
// (BlazeFace's residual with channel zero-padding of the shortcut). out may alias a.
void f32_add_ref(size_t pixels, int ca, const float* a, int cb, const float* b, Act act,
                 float* out);
void f32_add(size_t pixels, int ca, const float* a, int cb, const float* b, Act act, float* out);

// 2x2 max pool, stride 2; out.h = ceil(in.h/2); taps outside the image are ignored.
void f32_maxpool2x2_ref(const Tensor& in, const Tensor& out);
void f32_maxpool2x2(const Tensor& in, const Tensor& out);

// Bilinear resize with half-pixel centers (TFLite RESIZE_BILINEAR half_pixel_centers=true).
void f32_resize_bilinear_ref(const Tensor& in, const Tensor& out);
void f32_resize_bilinear(const Tensor& in, const Tensor& out);

// Global average pool: out[c] = mean over all pixels.
void f32_gavgpool_ref(const Tensor& in, float* out);
void f32_gavgpool(const Tensor& in, float* out);

// In place: x[p][c] *= s[c] (squeeze-excitation).
void f32_scale_channels_ref(size_t pixels, int c, float* x, const float* s);
void f32_scale_channels(size_t pixels, int c, float* x, const float* s);

// In place: x[i] = act(x[i]).
void f32_act_ref(size_t n, float* x, Act act);
void f32_act(size_t n, float* x, Act act);

// ---- One table of kernels, picked once per model at load ----
// Conv/GEMM weights as each family reads them: the reference kernels the canonical w/b, the
// optimized ones the packed block (bias included). A model keeps only the form its table reads.
struct DenseWeights {
  const float* w = nullptr;
  const float* b = nullptr;
  const float* packed = nullptr;
};
struct KernelTable {
  bool reference;  // conv/gemm/gemm_add read DenseWeights::w and ::b (else ::packed)
  // scratch: f32_conv_scratch_size floats (the reference kernel needs none and ignores it)
  void (*conv)(const Tensor& in, const DenseWeights& wt, int kh, int kw, int stride, int pad_top,
               int pad_left, Act act, const Tensor& out, float* scratch);
  void (*gemm)(int M, int K, int N, const float* a, const DenseWeights& wt, Act act, float* c);
  void (*gemm_add)(int M, int K, int N, const float* a, const DenseWeights& wt, const float* r,
                   int rc, Act act, float* c);
  decltype(&f32_dwconv) dwconv;
  decltype(&f32_add) add;
  decltype(&f32_maxpool2x2) maxpool2x2;
  decltype(&f32_resize_bilinear) resize_bilinear;
  decltype(&f32_gavgpool) gavgpool;
  decltype(&f32_scale_channels) scale_channels;
};
// The reference (oracle) kernels or the optimized ones.
const KernelTable& kernel_table(bool reference);

// Output size of a conv with TF "SAME" padding and the leading pad it implies.
inline int same_out(int in, int stride) { return (in + stride - 1) / stride; }
inline int same_pad_before(int in, int k, int stride) {
  int out = same_out(in, stride);
  int total = (out - 1) * stride + k - in;
  return total > 0 ? total / 2 : 0;
}

}  // namespace dfs
