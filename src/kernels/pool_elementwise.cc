// f32 elementwise and pooling kernels: residual add, 2x2 max pool, bilinear 2x resize, global
// average pool, channel scale (squeeze-excitation) and standalone activations.
#include <algorithm>
#include <cassert>
#include <cmath>

#include "kernels/kernels.h"
#include "kernels/kernels_simd.h"

namespace dfs {
namespace {

using namespace simd;

// store(out + i, op(i)) for every full vector of a flat array; callers finish the n % 4 tail.
template <typename Op>
DFS_INLINE void map_flat(size_t n, float* out, Op&& op) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    store(out + i, op(i));
    store(out + i + 4, op(i + 4));
    store(out + i + 8, op(i + 8));
    store(out + i + 12, op(i + 12));
  }
  for (; i + 4 <= n; i += 4) store(out + i, op(i));
}

}  // namespace

void f32_add(size_t pixels, int ca, const float* a, int cb, const float* b, Act act, float* out) {
  assert(cb >= 0 && cb <= ca);
  // Only ReLU (BlazeFace's residuals) is fused; EfficientNet's adds have none. Another
  // activation runs as a second pass: each fused variant is a separate unrolled copy in wasm.
  auto add_body = [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    if (cb == ca) {  // common case: one flat array
      const size_t n = pixels * size_t(ca);
      size_t i = 0;
      for (; i + 8 <= n; i += 8) {
        const f32x4 s0 = add(load(a + i), load(b + i));
        const f32x4 s1 = add(load(a + i + 4), load(b + i + 4));
        store(out + i, detail::act_v<A>(s0));
        store(out + i + 4, detail::act_v<A>(s1));
      }
      for (; i + 4 <= n; i += 4) store(out + i, detail::act_v<A>(add(load(a + i), load(b + i))));
      if (i < n) {
        const int t = int(n - i);
        store_partial(out + i,
                      detail::act_v<A>(add(load_partial(a + i, t), load_partial(b + i, t))), t);
      }
      return;
    }
    // Channel zero-pad of the shortcut: lanes at or past cb add nothing (a + 0 is exact, as in the
    // reference).
    for (size_t p = 0; p < pixels; p++) {
      const float* ap = a + p * ca;
      const float* bp = b + p * cb;
      float* op = out + p * ca;
      int c = 0;
      for (; c + 4 <= cb; c += 4) store(op + c, detail::act_v<A>(add(load(ap + c), load(bp + c))));
      if (c < cb) {  // vector straddling cb
        const int t = std::min(4, ca - c);
        const f32x4 bv = load_partial(bp + c, cb - c);
        store_partial(op + c, detail::act_v<A>(add(load_partial(ap + c, t), bv)), t);
        c += t;
      }
      for (; c + 4 <= ca; c += 4) store(op + c, detail::act_v<A>(add(load(ap + c), zero())));
      if (c < ca) {
        const int t = ca - c;
        store_partial(op + c, detail::act_v<A>(add(load_partial(ap + c, t), zero())), t);
      }
    }
  };
  if (act == Act::kRelu) {
    add_body(std::integral_constant<Act, Act::kRelu>{});
  } else {
    add_body(std::integral_constant<Act, Act::kNone>{});
    f32_act(pixels * size_t(ca), out, act);
  }
}

void f32_maxpool2x2(const Tensor& in, const Tensor& out) {
  assert(in.c == out.c && out.h == (in.h + 1) / 2 && out.w == (in.w + 1) / 2);
  const int C = in.c;
  const int c4 = C / 4 * 4;
  for (int oy = 0; oy < out.h; oy++) {
    const int iy = 2 * oy;
    const bool two_rows = iy + 1 < in.h;
    for (int ox = 0; ox < out.w; ox++) {
      const int ix = 2 * ox;
      const bool two_cols = ix + 1 < in.w;
      // Missing taps repeat an existing one: max(x, x) = x, so edges need no -inf lanes.
      const float* p00 = in.px(iy, ix);
      const float* p01 = two_cols ? p00 + C : p00;
      const float* p10 = two_rows ? in.px(iy + 1, ix) : p00;
      const float* p11 = two_cols ? p10 + C : p10;
      float* o = out.px(oy, ox);
      int c = 0;
      for (; c < c4; c += 4) {
        const f32x4 m0 = max(load(p00 + c), load(p01 + c));
        const f32x4 m1 = max(load(p10 + c), load(p11 + c));
        store(o + c, max(m0, m1));
      }
      if (c < C) {
        const int t = C - c;
        const f32x4 m0 = max(load_partial(p00 + c, t), load_partial(p01 + c, t));
        const f32x4 m1 = max(load_partial(p10 + c, t), load_partial(p11 + c, t));
        store_partial(o + c, max(m0, m1), t);
      }
    }
  }
}

void f32_resize_bilinear(const Tensor& in, const Tensor& out) {
  assert(in.c == out.c && in.h >= 1 && in.w >= 1);
  const int C = in.c;
  const int c4 = C / 4 * 4;
  // Same float expressions as the reference, so results match it bit for bit.
  const float sy = float(in.h) / out.h, sx = float(in.w) / out.w;
  for (int oy = 0; oy < out.h; oy++) {
    const float fy = std::max(0.f, (oy + 0.5f) * sy - 0.5f);
    const int y0 = std::min(int(fy), in.h - 1), y1 = std::min(y0 + 1, in.h - 1);
    const float wy = fy - y0;
    const f32x4 vwy = splat(wy), vwy1 = splat(1 - wy);
    for (int ox = 0; ox < out.w; ox++) {
      const float fx = std::max(0.f, (ox + 0.5f) * sx - 0.5f);
      const int x0 = std::min(int(fx), in.w - 1), x1 = std::min(x0 + 1, in.w - 1);
      const float wx = fx - x0;
      const f32x4 vwx = splat(wx), vwx1 = splat(1 - wx);
      const float* a = in.px(y0, x0);
      const float* b = in.px(y0, x1);
      const float* d = in.px(y1, x0);
      const float* e = in.px(y1, x1);
      float* o = out.px(oy, ox);
      auto lerp = [&](f32x4 va, f32x4 vb, f32x4 vd, f32x4 ve) {
        const f32x4 top = add(mul(va, vwx1), mul(vb, vwx));
        const f32x4 bot = add(mul(vd, vwx1), mul(ve, vwx));
        return add(mul(top, vwy1), mul(bot, vwy));
      };
      int c = 0;
      for (; c < c4; c += 4) store(o + c, lerp(load(a + c), load(b + c), load(d + c), load(e + c)));
      if (c < C) {
        const int t = C - c;
        store_partial(o + c,
                      lerp(load_partial(a + c, t), load_partial(b + c, t), load_partial(d + c, t),
                           load_partial(e + c, t)),
                      t);
      }
    }
  }
}

void f32_gavgpool(const Tensor& in, float* out) {
  const int C = in.c;
  const size_t n = size_t(in.h) * in.w;
  assert(n > 0);
  std::fill(out, out + C, 0.f);
  // Each image row is summed in registers and only then added to out: two-level summation keeps
  // the float error near (w + h) ulps instead of w*h ulps, close to the reference's double sum.
  for (int y = 0; y < in.h; y++) {
    const float* row = in.data + size_t(y) * in.w * C;
    int c = 0;
    for (; c + 16 <= C; c += 16) {
      f32x4 s0 = zero(), s1 = zero(), s2 = zero(), s3 = zero();
      for (int x = 0; x < in.w; x++) {
        const float* p = row + size_t(x) * C + c;
        s0 = add(s0, load(p));
        s1 = add(s1, load(p + 4));
        s2 = add(s2, load(p + 8));
        s3 = add(s3, load(p + 12));
      }
      store(out + c, add(load(out + c), s0));
      store(out + c + 4, add(load(out + c + 4), s1));
      store(out + c + 8, add(load(out + c + 8), s2));
      store(out + c + 12, add(load(out + c + 12), s3));
    }
    for (; c < C; c += 4) {
      const int t = std::min(4, C - c);
      f32x4 s = zero();
      for (int x = 0; x < in.w; x++) s = add(s, load_partial(row + size_t(x) * C + c, t));
      store_partial(out + c, add(load_partial(out + c, t), s), t);
    }
  }
  const float inv = float(1.0 / double(n));
  for (int c = 0; c < C; c++) out[c] *= inv;
}

void f32_scale_channels(size_t pixels, int c, float* x, const float* s) {
  const int c4 = c / 4 * 4;
  for (size_t p = 0; p < pixels; p++) {
    float* xp = x + p * c;
    int ch = 0;
    for (; ch < c4; ch += 4) store(xp + ch, mul(load(xp + ch), load(s + ch)));
    if (ch < c) {
      const int t = c - ch;
      store_partial(xp + ch, mul(load_partial(xp + ch, t), load_partial(s + ch, t)), t);
    }
  }
}

void f32_act(size_t n, float* x, Act act) {
  if (act == Act::kNone) return;
  detail::with_act(act, [&](auto tag) {
    constexpr Act A = decltype(tag)::value;
    map_flat(n, x, [&](size_t i) { return detail::act_v<A>(load(x + i)); });
    const size_t done = n / 4 * 4;
    if (done < n) {
      const int t = int(n - done);
      store_partial(x + done, detail::act_v<A>(load_partial(x + done, t)), t);
    }
  });
}

}  // namespace dfs
