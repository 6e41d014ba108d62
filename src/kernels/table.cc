// The two kernel tables: every model picks one at load (reference for the oracle tests), so no
// forward pass chooses kernels per call.
#include "kernels/kernels.h"

namespace dfs {
namespace {

const KernelTable kReference = {
    true,
    [](const Tensor& in, const DenseWeights& wt, int kh, int kw, int stride, int pad_top,
       int pad_left, Act act, const Tensor& out,
       float*) { f32_conv_ref(in, wt.w, wt.b, kh, kw, stride, pad_top, pad_left, act, out); },
    [](int M, int K, int N, const float* a, const DenseWeights& wt, Act act, float* c) {
      f32_gemm_ref(M, K, N, a, wt.w, wt.b, act, c);
    },
    [](int M, int K, int N, const float* a, const DenseWeights& wt, const float* r, int rc, Act act,
       float* c) { f32_gemm_add_ref(M, K, N, a, wt.w, wt.b, r, rc, act, c); },
    f32_dwconv_ref,
    f32_add_ref,
    f32_maxpool2x2_ref,
    f32_resize_bilinear_ref,
    f32_gavgpool_ref,
    f32_scale_channels_ref,
};

const KernelTable kOptimized = {
    false,
    [](const Tensor& in, const DenseWeights& wt, int kh, int kw, int stride, int pad_top,
       int pad_left, Act act, const Tensor& out, float* scratch) {
      f32_conv(in, wt.packed, kh, kw, stride, pad_top, pad_left, act, out, scratch);
    },
    [](int M, int K, int N, const float* a, const DenseWeights& wt, Act act, float* c) {
      f32_gemm(M, K, N, a, wt.packed, act, c);
    },
    [](int M, int K, int N, const float* a, const DenseWeights& wt, const float* r, int rc, Act act,
       float* c) { f32_gemm_add(M, K, N, a, wt.packed, r, rc, act, c); },
    f32_dwconv,
    f32_add,
    f32_maxpool2x2,
    f32_resize_bilinear,
    f32_gavgpool,
    f32_scale_channels,
};

}  // namespace

const KernelTable& kernel_table(bool reference) { return reference ? kReference : kOptimized; }

}  // namespace dfs
