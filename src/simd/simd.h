// Thin 4-lane f32 vector wrapper (wasm simd128, SSE, scalar) so every kernel is written once.
//
// Backend choice is compile-time: DFS_SIMD_SCALAR forces the portable struct backend (it is what
// -DDFS_SIMD=OFF builds and it doubles as the spec of each operation); otherwise wasm simd128 when
// compiling with -msimd128, SSE on x86 (SSE4.1 when available, SSE2 otherwise).
//
// Numerics are kept identical across backends wherever the ISA allows: madd is mul then add (no
// FMA, because simd128 has none and we want native tests to see what the browser computes), min
// and max are only defined for non-NaN inputs (wasm pmin/pmax and SSE minps/maxps agree there and
// are single instructions, unlike wasm's NaN-propagating f32x4.min).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(DFS_SIMD_SCALAR)
#define DFS_SIMD_BACKEND_SCALAR 1
#elif defined(__wasm_simd128__)
#define DFS_SIMD_BACKEND_WASM 1
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#define DFS_SIMD_BACKEND_SSE 1
#include <emmintrin.h>  // SSE2 is all the kernels use
#else
#define DFS_SIMD_BACKEND_SCALAR 1
#endif

#if defined(__GNUC__)
#define DFS_INLINE inline __attribute__((always_inline))
#else
#define DFS_INLINE inline
#endif

namespace dfs::simd {

constexpr int kLanes = 4;

// Human-readable backend name for logs and benchmark tables.
#if defined(DFS_SIMD_BACKEND_WASM)
constexpr const char* kBackend = "wasmsimd";
#elif defined(DFS_SIMD_BACKEND_SSE) && defined(__SSE4_1__)
constexpr const char* kBackend = "sse41";
#elif defined(DFS_SIMD_BACKEND_SSE)
constexpr const char* kBackend = "sse2";
#else
constexpr const char* kBackend = "scalar";
#endif

// ------------------------------------------------------------------------------------------------
#if defined(DFS_SIMD_BACKEND_WASM)

using f32x4 = v128_t;

DFS_INLINE f32x4 load(const float* p) { return wasm_v128_load(p); }
DFS_INLINE void store(float* p, f32x4 v) { wasm_v128_store(p, v); }
DFS_INLINE f32x4 splat(float x) { return wasm_f32x4_splat(x); }
DFS_INLINE f32x4 load_splat(const float* p) { return wasm_v128_load32_splat(p); }
DFS_INLINE f32x4 zero() { return wasm_f32x4_const_splat(0.f); }
DFS_INLINE f32x4 add(f32x4 a, f32x4 b) { return wasm_f32x4_add(a, b); }
DFS_INLINE f32x4 sub(f32x4 a, f32x4 b) { return wasm_f32x4_sub(a, b); }
DFS_INLINE f32x4 mul(f32x4 a, f32x4 b) { return wasm_f32x4_mul(a, b); }
DFS_INLINE f32x4 div(f32x4 a, f32x4 b) { return wasm_f32x4_div(a, b); }
// pmax(a, b) is "a < b ? b : a"; operand order chosen so that both backends return the same lane
// even for +0/-0 ties (SSE maxps returns the second operand on ties).
DFS_INLINE f32x4 max(f32x4 a, f32x4 b) { return wasm_f32x4_pmax(b, a); }
DFS_INLINE f32x4 min(f32x4 a, f32x4 b) { return wasm_f32x4_pmin(b, a); }
template <int S>
DFS_INLINE f32x4 shl_bits(f32x4 v) {
  return wasm_i32x4_shl(v, S);
}

// ------------------------------------------------------------------------------------------------
#elif defined(DFS_SIMD_BACKEND_SSE)

using f32x4 = __m128;

DFS_INLINE f32x4 load(const float* p) { return _mm_loadu_ps(p); }
DFS_INLINE void store(float* p, f32x4 v) { _mm_storeu_ps(p, v); }
DFS_INLINE f32x4 splat(float x) { return _mm_set1_ps(x); }
DFS_INLINE f32x4 load_splat(const float* p) { return _mm_load1_ps(p); }
DFS_INLINE f32x4 zero() { return _mm_setzero_ps(); }
DFS_INLINE f32x4 add(f32x4 a, f32x4 b) { return _mm_add_ps(a, b); }
DFS_INLINE f32x4 sub(f32x4 a, f32x4 b) { return _mm_sub_ps(a, b); }
DFS_INLINE f32x4 mul(f32x4 a, f32x4 b) { return _mm_mul_ps(a, b); }
DFS_INLINE f32x4 div(f32x4 a, f32x4 b) { return _mm_div_ps(a, b); }
// maxps(x, y) is "x > y ? x : y"; with x = b, y = a this is wasm's pmax(b, a) lane for lane.
DFS_INLINE f32x4 max(f32x4 a, f32x4 b) { return _mm_max_ps(a, b); }
DFS_INLINE f32x4 min(f32x4 a, f32x4 b) { return _mm_min_ps(a, b); }
template <int S>
DFS_INLINE f32x4 shl_bits(f32x4 v) {
  return _mm_castsi128_ps(_mm_slli_epi32(_mm_castps_si128(v), S));
}

// ------------------------------------------------------------------------------------------------
#else  // scalar

struct f32x4 {
  float v[4];
};

DFS_INLINE f32x4 load(const float* p) {
  f32x4 r;
  std::memcpy(r.v, p, sizeof(r.v));
  return r;
}
DFS_INLINE void store(float* p, f32x4 v) { std::memcpy(p, v.v, sizeof(v.v)); }
DFS_INLINE f32x4 splat(float x) { return f32x4{{x, x, x, x}}; }
DFS_INLINE f32x4 load_splat(const float* p) { return splat(*p); }
DFS_INLINE f32x4 zero() { return splat(0.f); }

#define DFS_SCALAR_BINOP(name, expr)        \
  DFS_INLINE f32x4 name(f32x4 a, f32x4 b) { \
    f32x4 r;                                \
    for (int i = 0; i < 4; i++) {           \
      const float x = a.v[i], y = b.v[i];   \
      r.v[i] = (expr);                      \
    }                                       \
    return r;                               \
  }
DFS_SCALAR_BINOP(add, x + y)
DFS_SCALAR_BINOP(sub, x - y)
DFS_SCALAR_BINOP(mul, x* y)
DFS_SCALAR_BINOP(div, x / y)
// Same lane choice as SSE maxps(a, b) / wasm pmax(b, a): the second operand unless a wins.
DFS_SCALAR_BINOP(max, x > y ? x : y)
DFS_SCALAR_BINOP(min, x < y ? x : y)
#undef DFS_SCALAR_BINOP

template <int S>
DFS_INLINE f32x4 shl_bits(f32x4 v) {
  f32x4 r;
  for (int i = 0; i < 4; i++) {
    uint32_t b;
    std::memcpy(&b, &v.v[i], 4);
    b <<= S;
    std::memcpy(&r.v[i], &b, 4);
  }
  return r;
}

#endif
// ------------------------------------------------------------------------------------------------
// Backend-independent helpers built from the primitives above.

// a * b + c, rounded twice on purpose (see the header comment).
DFS_INLINE f32x4 madd(f32x4 a, f32x4 b, f32x4 c) { return add(mul(a, b), c); }

// Tails of 1..3 lanes go through a stack bounce so kernels never touch memory past the end.
DFS_INLINE f32x4 load_partial(const float* p, int n) {
  float t[4] = {0.f, 0.f, 0.f, 0.f};
  for (int i = 0; i < n; i++) t[i] = p[i];
  return load(t);
}
DFS_INLINE void store_partial(float* p, f32x4 v, int n) {
  float t[4];
  store(t, v);
  for (int i = 0; i < n; i++) p[i] = t[i];
}

// exp(x) for |x| <= 87.3 (inputs are clamped to that range, where 2^n below stays a normal
// number), relative error ~2e-7. x = n*ln2 + r with |r| <= ln2/2; n is found by the
// round-to-nearest "magic bias" trick: adding 1.5*2^23 pushes the fraction bits out, so the float's
// low mantissa bits hold n + 127 (the exponent bias is folded into the magic), and shifting the bit
// pattern left by 23 turns that into 2^n's exponent field. ln2 is split in two so that n*ln2 stays
// exact. exp(r) is a degree-5 Chebyshev fit on [-ln2/2, ln2/2] (mpmath.chebyfit; max relative
// error 1.0e-7, as good as the degree-6 Taylor polynomial and one multiply-add cheaper).
DFS_INLINE f32x4 exp_clamped(f32x4 x) {
  const f32x4 kMagic = splat(12582912.f + 127.f);  // 0x1.8p23 + exponent bias
  const f32x4 kLog2e = splat(1.44269504088896341f);
  const f32x4 kLn2Hi = splat(0.693145751953125f);  // 16 significant bits: n*kLn2Hi is exact
  const f32x4 kLn2Lo = splat(1.42860682030941723e-6f);
  x = min(max(x, splat(-87.3f)), splat(87.3f));
  const f32x4 t = madd(x, kLog2e, kMagic);
  const f32x4 n = sub(t, kMagic);
  f32x4 r = sub(x, mul(n, kLn2Hi));
  r = sub(r, mul(n, kLn2Lo));
  f32x4 p = splat(0.0083691484908563466f);
  p = madd(p, r, splat(0.041917507249615261f));
  p = madd(p, r, splat(0.16666505260408123f));
  p = madd(p, r, splat(0.49998869378303398f));
  p = madd(p, r, splat(1.0000000107715701f));
  p = madd(p, r, splat(1.0000000754548972f));
  return mul(p, shl_bits<23>(t));
}

// 1 / (1 + exp(-x)), the reference's formula. The clamp inside exp_clamped keeps 1 + e finite: for
// x < -87.3 the result is ~1e-38 instead of 0, an absolute error far below any tolerance.
DFS_INLINE f32x4 sigmoid(f32x4 x) {
  const f32x4 one = splat(1.f);
  return div(one, add(one, exp_clamped(sub(zero(), x))));
}

// x * sigmoid(x) as x / (1 + exp(-x)), again the reference's formula (one multiply fewer).
DFS_INLINE f32x4 swish(f32x4 x) { return div(x, add(splat(1.f), exp_clamped(sub(zero(), x)))); }

}  // namespace dfs::simd
