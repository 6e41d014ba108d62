// Region resampling (letterbox, face crops): separable area/bilinear filter with fill outside.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "image/image.h"

namespace dfs {
namespace {

// One axis of the separable filter. Output i reads taps [first[i], first[i+1]) of (idx, wt), all
// idx inside the image, and gives weight outside[i] to the fill value; the weights sum to 1.
struct AxisTaps {
  std::vector<size_t> first;
  std::vector<int> idx;
  std::vector<float> wt;
  std::vector<float> outside;
  int lo = INT_MAX, hi = -1;  // range of idx over all outputs
};

// Index k of the image mirrored about its edges (... 1 0 | 0 1 ... size-1 | size-1 ...).
int mirror_index(long k, int size) {
  const long period = 2L * size;
  const long m = ((k % period) + period) % period;
  return int(m < size ? m : period - 1 - m);
}

AxisTaps axis_taps(double start, double extent, int n, int size, Border border) {
  AxisTaps t;
  t.first.reserve(size_t(n) + 1);
  t.outside.resize(n);
  const double scale = extent / n;
  const bool area = scale > kResampleAreaAbove;
  const double reach = border == Border::kMirror ? double(kMirrorReach) * size : 0.0;
  const double lo_edge = -reach, hi_edge = size + reach;
  std::vector<std::pair<int, double>> taps;
  for (int i = 0; i < n; ++i) {
    taps.clear();
    double outside = 0;
    if (area) {
      const double a = start + i * scale, b = start + (i + 1) * scale;
      // Clip to the image (or to its mirrored surround) first so a huge rect costs no more than
      // the pixels it can actually read.
      const double ca = std::max(a, lo_edge), cb = std::min(b, hi_edge);
      double inside = 0;
      if (cb > ca) {
        const long k1 = long(std::ceil(cb));
        for (long k = long(std::floor(ca)); k < k1; ++k) {
          const double overlap = std::min(b, k + 1.0) - std::max(a, double(k));
          if (overlap <= 0) continue;
          taps.emplace_back(mirror_index(k, size), overlap);
          inside += overlap;
        }
      }
      outside = std::max(0.0, (b - a) - inside);
    } else {
      double p = start + (i + 0.5) * scale;
      if (p >= lo_edge && p < hi_edge && (p < 0 || p >= size)) {
        // Reflect the sample point: continuous mirror about 0 and size.
        const double period = 2.0 * size;
        p = std::fmod(p, period);
        if (p < 0) p += period;
        if (p >= size) p = std::max(0.0, period - p);
        p = std::min(p, std::nextafter(double(size), 0.0));
      }
      if (p >= 0 && p < size) {
        const double u = p - 0.5, k = std::floor(u), f = u - k;
        const int k0 = int(k);
        taps.emplace_back(std::clamp(k0, 0, size - 1), 1 - f);
        if (f > 0) taps.emplace_back(std::clamp(k0 + 1, 0, size - 1), f);
      } else {
        outside = 1;
      }
    }
    // Normalising makes a constant image (or an all-fill region) come out exactly constant.
    double total = outside;
    for (const auto& tp : taps) total += tp.second;
    t.first.push_back(t.idx.size());
    for (const auto& tp : taps) {
      t.idx.push_back(tp.first);
      t.wt.push_back(float(tp.second / total));
      t.lo = std::min(t.lo, tp.first);
      t.hi = std::max(t.hi, tp.first);
    }
    t.outside[i] = float(outside / total);
  }
  t.first.push_back(t.idx.size());
  return t;
}

}  // namespace

void resample_region(const Image& img, float x, float y, float w, float h, int out_w, int out_h,
                     float fill, float* out, Border border) {
  if (img.w <= 0 || img.h <= 0 || img.rgb.size() != size_t(img.w) * size_t(img.h) * 3) {
    fail(Code::kInvalidArgument, "resample_region: image is empty or its buffer size is wrong");
  }
  if (out_w < 1 || out_h < 1 || out_w > kMaxDecodableSide || out_h > kMaxDecodableSide) {
    fail(Code::kInvalidArgument, "resample_region: output size " + std::to_string(out_w) + "x" +
                                     std::to_string(out_h) + " out of range");
  }
  if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(w) || !std::isfinite(h) ||
      !(w > 0) || !(h > 0)) {
    fail(Code::kInvalidArgument, "resample_region: region must be finite with w, h > 0");
  }
  if (!(fill >= 0 && fill <= 255)) fail(Code::kInvalidArgument, "resample_region: fill not 0..255");
  if (out == nullptr) fail(Code::kInvalidArgument, "resample_region: output is null");

  const AxisTaps tx = axis_taps(x, w, out_w, img.w, border);
  const AxisTaps ty = axis_taps(y, h, out_h, img.h, border);

  // Vertical pass first, one output row at a time, over only the columns the horizontal taps
  // read: each source byte is touched about once when downscaling, and the scratch is one row.
  const int lo = tx.lo;
  const size_t span = tx.hi >= tx.lo ? size_t(tx.hi - tx.lo + 1) * 3 : 0;
  std::vector<float> col(span);
  std::vector<uint16_t> sum(span);
  const size_t row_bytes = size_t(img.w) * 3;
  for (int j = 0; j < out_h; ++j) {
    std::fill(col.begin(), col.end(), 0.f);
    float* __restrict c = col.data();
    const size_t t_end = span > 0 ? ty.first[j + 1] : ty.first[j];
    for (size_t t = ty.first[j]; t < t_end;) {
      // An area cell's interior rows share one weight: add them as integers (exact, and much
      // cheaper than a float multiply-add per byte) and scale once. 257 rows of 255 fit in 16 bits.
      const float wy = ty.wt[t];
      const int r0 = ty.idx[t];
      size_t run = 1;
      while (t + run < t_end && run < 257 && ty.wt[t + run] == wy &&
             ty.idx[t + run] == r0 + int(run)) {
        ++run;
      }
      const uint8_t* __restrict s = img.rgb.data() + size_t(r0) * row_bytes + size_t(lo) * 3;
      if (run == 1) {
        for (size_t k = 0; k < span; ++k) c[k] += wy * float(s[k]);
      } else {
        uint16_t* __restrict a = sum.data();
        for (size_t k = 0; k < span; ++k) a[k] = s[k];
        for (size_t r = 1; r < run; ++r) {
          const uint8_t* __restrict sr = s + r * row_bytes;
          for (size_t k = 0; k < span; ++k) a[k] = uint16_t(a[k] + sr[k]);
        }
        for (size_t k = 0; k < span; ++k) c[k] += wy * float(a[k]);
      }
      t += run;
    }
    // A tap table entry already includes its axis' outside share; the pixel's total fill share
    // is "x outside" within the inside rows plus everything from the outside rows.
    const float fy = ty.outside[j];
    float* o = out + size_t(j) * out_w * 3;
    for (int i = 0; i < out_w; ++i, o += 3) {
      float r = 0, g = 0, b = 0;
      for (size_t t = tx.first[i]; t < tx.first[i + 1]; ++t) {
        const float wx = tx.wt[t];
        const float* v = c + size_t(tx.idx[t] - lo) * 3;
        r += wx * v[0];
        g += wx * v[1];
        b += wx * v[2];
      }
      const float f = fill * (tx.outside[i] * (1 - fy) + fy);
      o[0] = r + f;
      o[1] = g + f;
      o[2] = b + f;
    }
  }
}

void turn_square(const float* src, float* dst, int n, int c, int k) {
  k = ((k % 4) + 4) % 4;
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++) {
      // One turn: dst(x, y) = src(n-1-y, x); k turns compose it k times.
      int sx = x, sy = y;
      for (int t = 0; t < k; t++) {
        const int px = sx;
        sx = n - 1 - sy;
        sy = px;
      }
      for (int ch = 0; ch < c; ch++)
        dst[(size_t(y) * n + x) * c + ch] = src[(size_t(sy) * n + sx) * c + ch];
    }
}

Image turn_image(const Image& img, int k) {
  k = ((k % 4) + 4) % 4;
  Image out;
  out.w = k % 2 ? img.h : img.w;
  out.h = k % 2 ? img.w : img.h;
  out.rgb.resize(img.rgb.size());
  for (int y = 0; y < out.h; y++)
    for (int x = 0; x < out.w; x++) {
      // turn_square's rule for a rectangle: one turn takes (x, y) from (w - 1 - y, x).
      int sx = x, sy = y;
      if (k == 1) sx = img.w - 1 - y, sy = x;
      if (k == 2) sx = img.w - 1 - x, sy = img.h - 1 - y;
      if (k == 3) sx = y, sy = img.h - 1 - x;
      const uint8_t* p = &img.rgb[(size_t(sy) * img.w + sx) * 3];
      std::copy(p, p + 3, &out.rgb[(size_t(y) * out.w + x) * 3]);
    }
  return out;
}

void unturn_point(float w, float h, int k, float* x, float* y) {
  k = ((k % 4) + 4) % 4;
  const float X = *x, Y = *y;
  if (k == 1) *x = w - Y, *y = X;
  if (k == 2) *x = w - X, *y = h - Y;
  if (k == 3) *x = Y, *y = h - X;
}

void unturn_box(float w, float h, int k, float* x, float* y, float* bw, float* bh) {
  float ax = *x, ay = *y, bx = *x + *bw, by = *y + *bh;
  unturn_point(w, h, k, &ax, &ay);
  unturn_point(w, h, k, &bx, &by);
  *x = std::min(ax, bx), *y = std::min(ay, by);
  *bw = std::fabs(bx - ax), *bh = std::fabs(by - ay);
}

}  // namespace dfs
