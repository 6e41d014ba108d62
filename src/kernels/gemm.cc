// f32 GEMM for 1x1 convolutions and FC layers: packed column panels, MRx8 register micro-kernel.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include "core/parallel.h"
#include "kernels/kernels.h"
#include "kernels/kernels_simd.h"

// Rows per micro-kernel call. 6 rows x 2 vectors = 12 accumulators leaves 4 of the 16 vector
// registers (SSE; V8 also allocates from 16 xmm) for the two weight vectors and the broadcast A
// value. Measured against 4x8, and against variants that load 4 A values per row at once and
// broadcast lanes with shuffles, on SSE4.1 and on wasm simd128 under V8's optimizing tier: 6x8 with
// one broadcast-load per row and k was fastest on both.
#ifndef DFS_GEMM_MR
#define DFS_GEMM_MR 6
#endif

namespace dfs {
namespace {

using namespace simd;
constexpr int NR = detail::kGemmNR;

// Sigmoid/swish on a stored tile. Kept out of line: inlined, the exp polynomial's constants and
// temporaries would compete with the 12 live accumulators for registers (V8 spills heavily).
template <Act A>
__attribute__((noinline)) void act_tile(float* c, size_t ldc, int rows, int nc) {
  for (int i = 0; i < rows; i++) {
    float* r = c + i * ldc;
    if (nc == NR) {
      store(r, detail::act_v<A>(load(r)));
      store(r + 4, detail::act_v<A>(load(r + 4)));
    } else {
      for (int j = 0; j < nc; j += 4) {
        const int t = std::min(4, nc - j);
        store_partial(r + j, detail::act_v<A>(load_partial(r + j, t)), t);
      }
    }
  }
}

// One MR x 8 output tile: c[i][0..nc) = act(bias + sum_k a[i][k] * w[k][0..nc) + r[i][0..rn)).
// Accumulation starts from the bias and adds k in increasing order, as the reference does, so the
// result is bit-identical to f32_gemm_ref when neither is compiled with FMA contraction. The
// residual r (null: none) has rn valid columns in this tile (0..8), the rest count as zero.
template <int MR>
DFS_INLINE void gemm_tile(int K, const float* a, size_t lda, const float* w, Act act, float* c,
                          size_t ldc, int nc, const float* r, size_t ldr, int rn) {
  const float* ap[MR];
  DFS_UNROLL for (int i = 0; i < MR; i++) ap[i] = a + i * lda;
  f32x4 acc0[MR], acc1[MR];
  {
    const f32x4 b0 = load(w), b1 = load(w + 4);
    DFS_UNROLL for (int i = 0; i < MR; i++) {
      acc0[i] = b0;
      acc1[i] = b1;
    }
  }
  w += NR;
  for (int k = 0; k < K; k++) {
    const f32x4 w0 = load(w), w1 = load(w + 4);
    w += NR;
    DFS_UNROLL for (int i = 0; i < MR; i++) {
      const f32x4 x = load_splat(ap[i] + k);
      acc0[i] = madd(x, w0, acc0[i]);
      acc1[i] = madd(x, w1, acc1[i]);
    }
  }
  if (r && rn == NR) {
    DFS_UNROLL for (int i = 0; i < MR; i++) {
      acc0[i] = add(acc0[i], load(r + i * ldr));
      acc1[i] = add(acc1[i], load(r + i * ldr + 4));
    }
  } else if (r && rn > 0) {
    DFS_UNROLL for (int i = 0; i < MR; i++) {
      if (rn >= 4) {
        acc0[i] = add(acc0[i], load(r + i * ldr));
        if (rn > 4) acc1[i] = add(acc1[i], load_partial(r + i * ldr + 4, rn - 4));
      } else {
        acc0[i] = add(acc0[i], load_partial(r + i * ldr, rn));
      }
    }
  }
  if (act == Act::kRelu || act == Act::kRelu6) {
    const f32x4 lo = zero(), hi = splat(act == Act::kRelu6 ? 6.f : INFINITY);
    DFS_UNROLL for (int i = 0; i < MR; i++) {
      acc0[i] = min(max(acc0[i], lo), hi);
      acc1[i] = min(max(acc1[i], lo), hi);
    }
  }
  if (nc == NR) {
    DFS_UNROLL for (int i = 0; i < MR; i++) {
      store(c + i * ldc, acc0[i]);
      store(c + i * ldc + 4, acc1[i]);
    }
  } else if (nc >= 4) {
    DFS_UNROLL for (int i = 0; i < MR; i++) {
      store(c + i * ldc, acc0[i]);
      store_partial(c + i * ldc + 4, acc1[i], nc - 4);
    }
  } else {
    DFS_UNROLL for (int i = 0; i < MR; i++) store_partial(c + i * ldc, acc0[i], nc);
  }
}

// Per-thread scratch for remainder rows (grows to the largest K seen; no allocation after).
std::vector<float>& scratch_a() {
  static thread_local std::vector<float> v;
  return v;
}

}  // namespace

size_t f32_gemm_packed_size(int K, int N) {
  return size_t((N + NR - 1) / NR) * NR * (size_t(K) + 1);
}

// Panel p holds columns [p*8, p*8+8): 8 bias values, then K rows of 8 weights; columns past N
// are zero so the micro-kernel never needs a column mask while accumulating.
void f32_gemm_pack(int K, int N, const float* w_kn, const float* bias, float* packed) {
  const int np = (N + NR - 1) / NR;
  for (int p = 0; p < np; p++) {
    float* dst = packed + size_t(p) * NR * (size_t(K) + 1);
    for (int j = 0; j < NR; j++) {
      const int n = p * NR + j;
      dst[j] = (n < N && bias) ? bias[n] : 0.f;
    }
    dst += NR;
    for (int k = 0; k < K; k++)
      for (int j = 0; j < NR; j++) {
        const int n = p * NR + j;
        dst[size_t(k) * NR + j] = n < N ? w_kn[size_t(k) * N + n] : 0.f;
      }
  }
}

namespace detail {

void f32_gemm_rows(int M, int K, int N, const float* a, size_t lda, const float* packed, Act act,
                   float* c, size_t ldc, const float* r, size_t ldr, int rc) {
  assert(M >= 0 && K >= 1 && N >= 1 && a && packed && c);
  constexpr int MR = DFS_GEMM_MR;
  const int np = (N + NR - 1) / NR;
  const size_t pstride = size_t(NR) * (size_t(K) + 1);
  // Rows per block: the block's A rows (mc*K floats, <= 256 KiB) stay in L2 while every weight
  // panel streams past them once; each panel (K*8 floats) is reused by mc/MR micro-kernel calls
  // from L1. Blocks are balanced: a last block of a row or two would stream all the weights again
  // for almost no work (EfficientNet's 7x7 1152->320 spent half its time there).
  constexpr size_t kBlockFloats = 64 * 1024;
  int mc = M;
  if (size_t(M) * size_t(K) > kBlockFloats) {
    const int cap = int(std::max<size_t>(MR, kBlockFloats / size_t(K) / MR * MR));
    const int nblocks = (M + cap - 1) / cap;
    mc = ((M + nblocks - 1) / nblocks + MR - 1) / MR * MR;
  }
  // Sigmoid and swish are not applied in the micro-kernel (see act_tile); only the clamps are.
  const bool transcendental = act == Act::kSigmoid || act == Act::kSwish;
  const Act clamp = transcendental ? Act::kNone : act;
  // Tile (row m, panel p): its residual rows and how many of its 8 columns the residual has.
  auto tile = [&](int rows, int m, int p, const float* w, float* cp, int nc) {
    const float* ar = a + size_t(m) * lda;
    const float* rp = r ? r + size_t(m) * ldr + size_t(p) * NR : nullptr;
    const int rn = r ? std::clamp(rc - p * NR, 0, NR) : 0;
    if (rows == MR) {
      gemm_tile<MR>(K, ar, lda, w, clamp, cp, ldc, nc, rp, ldr, rn);
    } else if (rows == 1) {  // FC layers and squeeze-excitation (M = 1)
      gemm_tile<1>(K, ar, lda, w, clamp, cp, ldc, nc, rp, ldr, rn);
    } else {
      // The last 2..MR-1 rows of a GEMM: the MR-row kernel over rows copied into a scratch
      // tile (missing rows zero), then only the valid rows copied out. At most one strip per
      // call, and one kernel instantiation instead of MR-2 more (each ~1.5 KB of wasm).
      std::vector<float>& sa = scratch_a();
      sa.assign(size_t(MR) * K, 0.f);
      for (int i = 0; i < rows; i++)
        std::copy(ar + i * lda, ar + i * lda + K, sa.data() + size_t(i) * K);
      float sr[MR * NR] = {}, sc[MR * NR];
      if (rp)
        for (int i = 0; i < rows; i++) std::copy(rp + i * ldr, rp + i * ldr + rn, sr + i * NR);
      gemm_tile<MR>(K, sa.data(), size_t(K), w, clamp, sc, NR, nc, rp ? sr : nullptr, NR, rn);
      for (int i = 0; i < rows; i++) std::copy(sc + i * NR, sc + i * NR + nc, cp + i * ldc);
    }
  };

  // Small weights (most 1x1s of both networks: K*N up to ~100x150) stay in L1/L2 whole, so a strip
  // of MR rows can run through every panel while its A rows are in L1, and sigmoid/swish then
  // runs once over the strip's MR*N outputs with the vector loop of f32_act: per tile it cost
  // twice as much (call, constants and loop overhead for only 12 vectors).
  constexpr size_t kWeightFloats = 32 * 1024;
  if (size_t(np) * pstride <= kWeightFloats) {
    for (int m = 0; m < M; m += MR) {
      const int rows = std::min(MR, M - m);
      for (int p = 0; p < np; p++)
        tile(rows, m, p, packed + size_t(p) * pstride, c + size_t(m) * ldc + size_t(p) * NR,
             std::min(NR, N - p * NR));
      if (!transcendental) continue;
      if (ldc == size_t(N)) {
        f32_act(size_t(rows) * N, c + size_t(m) * ldc, act);
      } else {
        for (int i = 0; i < rows; i++) f32_act(size_t(N), c + size_t(m + i) * ldc, act);
      }
    }
    return;
  }

  for (int m0 = 0; m0 < M; m0 += mc) {
    const int mb = std::min(mc, M - m0);
    for (int p = 0; p < np; p++) {
      const float* w = packed + size_t(p) * pstride;
      const int nc = std::min(NR, N - p * NR);
      for (int m = m0; m < m0 + mb; m += MR) {
        const int rows = std::min(MR, m0 + mb - m);
        float* cp = c + size_t(m) * ldc + size_t(p) * NR;
        tile(rows, m, p, w, cp, nc);
        if (act == Act::kSigmoid) act_tile<Act::kSigmoid>(cp, ldc, rows, nc);
        if (act == Act::kSwish) act_tile<Act::kSwish>(cp, ldc, rows, nc);
      }
    }
  }
}

}  // namespace detail

void f32_gemm(int M, int K, int N, const float* a, const float* packed, Act act, float* c) {
  parallel_for(M, DFS_GEMM_MR, int64_t(M) * K * N, kMinMacsPerThread, [&](int b, int e) {
    detail::f32_gemm_rows(e - b, K, N, a + size_t(b) * K, size_t(K), packed, act, c + size_t(b) * N,
                          size_t(N));
  });
}

void f32_gemm_add(int M, int K, int N, const float* a, const float* packed, const float* r, int rc,
                  Act act, float* c) {
  assert(r && rc >= 1 && rc <= N);
  parallel_for(M, DFS_GEMM_MR, int64_t(M) * K * N, kMinMacsPerThread, [&](int b, int e) {
    detail::f32_gemm_rows(e - b, K, N, a + size_t(b) * K, size_t(K), packed, act, c + size_t(b) * N,
                          size_t(N), r + size_t(b) * rc, size_t(rc), rc);
  });
}

}  // namespace dfs
