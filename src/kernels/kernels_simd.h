// Internal helpers shared by the optimized kernels: vector activations and the GEMM row driver.
#pragma once
#include <cstddef>
#include <type_traits>

#include "kernels/kernels.h"
#include "simd/simd.h"

#if defined(__clang__)
#define DFS_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define DFS_UNROLL _Pragma("GCC unroll 32")
#else
#define DFS_UNROLL
#endif

namespace dfs::detail {

// Compile-time activation: elementwise loops instantiate one body per Act so the switch is not in
// the inner loop.
template <Act A>
DFS_INLINE simd::f32x4 act_v(simd::f32x4 v) {
  using namespace simd;
  if constexpr (A == Act::kRelu) return max(v, zero());
  if constexpr (A == Act::kRelu6) return min(max(v, zero()), splat(6.f));
  if constexpr (A == Act::kSigmoid) return sigmoid(v);
  if constexpr (A == Act::kSwish) return swish(v);
  return v;
}

// Runtime activation, for epilogues that run once per register tile (the switch is negligible
// next to the accumulation loop there).
DFS_INLINE simd::f32x4 act_v(simd::f32x4 v, Act a) {
  switch (a) {
    case Act::kNone: return v;
    case Act::kRelu: return act_v<Act::kRelu>(v);
    case Act::kRelu6: return act_v<Act::kRelu6>(v);
    case Act::kSigmoid: return act_v<Act::kSigmoid>(v);
    case Act::kSwish: return act_v<Act::kSwish>(v);
  }
  return v;
}

// Calls f(std::integral_constant<Act, A>{}) for the runtime value of `a`.
template <typename F>
DFS_INLINE void with_act(Act a, F&& f) {
  switch (a) {
    case Act::kNone: f(std::integral_constant<Act, Act::kNone>{}); return;
    case Act::kRelu: f(std::integral_constant<Act, Act::kRelu>{}); return;
    case Act::kRelu6: f(std::integral_constant<Act, Act::kRelu6>{}); return;
    case Act::kSigmoid: f(std::integral_constant<Act, Act::kSigmoid>{}); return;
    case Act::kSwish: f(std::integral_constant<Act, Act::kSwish>{}); return;
  }
}

// Column panel width of the packed GEMM weights (two vectors).
constexpr int kGemmNR = 8;

// GEMM over M rows with explicit row strides (the im2col conv feeds it chunks of its scratch).
// packed is f32_gemm_pack's layout.
// r (row stride ldr, rc <= N valid channels, the rest zero) is added before act when not null.
void f32_gemm_rows(int M, int K, int N, const float* a, size_t lda, const float* packed, Act act,
                   float* c, size_t ldc, const float* r = nullptr, size_t ldr = 0, int rc = 0);

}  // namespace dfs::detail
