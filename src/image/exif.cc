// JPEG EXIF orientation: a bounds-checked APP1/TIFF reader and the upright copy of decoded pixels.
#include "image/exif.h"

#include <algorithm>
#include <cstring>

namespace dfs {
namespace {

// Reads the orientation from a TIFF structure (the APP1 payload after "Exif\0\0"). Every offset
// comes from the file, so each one is checked against n before it is followed.
int tiff_orientation(const uint8_t* t, size_t n) {
  if (n < 8) return 1;
  bool little;
  if (t[0] == 'I' && t[1] == 'I') {
    little = true;
  } else if (t[0] == 'M' && t[1] == 'M') {
    little = false;
  } else {
    return 1;
  }
  auto u16 = [&](size_t o) -> uint32_t {
    return little ? t[o] | (t[o + 1] << 8) : (t[o] << 8) | t[o + 1];
  };
  auto u32 = [&](size_t o) -> uint32_t {
    return little ? u16(o) | (u16(o + 2) << 16) : (u16(o) << 16) | u16(o + 2);
  };
  if (u16(2) != 42) return 1;
  const size_t ifd = u32(4);
  if (ifd > n || n - ifd < 2) return 1;
  const uint32_t count = u16(ifd);
  size_t e = ifd + 2;
  for (uint32_t i = 0; i < count && n - e >= 12; ++i, e += 12) {
    if (u16(e) != 0x0112) continue;
    if (u16(e + 2) != 3 || u32(e + 4) != 1) return 1;  // not SHORT x1: browsers ignore it too
    const uint32_t v = u16(e + 8);
    return v >= 1 && v <= 8 ? int(v) : 1;
  }
  return 1;
}

// round(c * a / 255) exactly, for c, a in 0..255.
inline uint8_t mul_div255(uint32_t c, uint32_t a) {
  const uint32_t t = c * a + 128;
  return uint8_t((t + (t >> 8)) >> 8);
}

}  // namespace

int jpeg_exif_orientation(const uint8_t* d, size_t n) {
  if (d == nullptr || n < 4 || d[0] != 0xFF || d[1] != 0xD8) return 1;
  size_t p = 2;
  while (p + 4 <= n) {
    if (d[p] != 0xFF) return 1;  // lost marker sync; guessing could pick up a bogus tag
    const uint8_t m = d[p + 1];
    if (m == 0xFF) {  // fill byte before a marker
      ++p;
      continue;
    }
    p += 2;
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;  // markers without a length
    if (m == 0xDA || m == 0xD9) return 1;  // EXIF after the scan is not metadata a viewer reads
    const size_t len = size_t(d[p]) << 8 | d[p + 1];
    if (len < 2 || len > n - p) return 1;
    // Only the first Exif APP1 counts (what browsers do), even when it turns out broken.
    if (m == 0xE1 && len >= 2 + 6 && std::memcmp(d + p + 2, "Exif\0\0", 6) == 0) {
      return tiff_orientation(d + p + 8, len - 8);
    }
    p += len;
  }
  return 1;
}

Image oriented_rgb(const uint8_t* src, int w, int h, int channels, int orientation) {
  if (orientation < 1 || orientation > 8) orientation = 1;
  const bool swap = orientation >= 5;
  Image img;
  img.w = swap ? h : w;
  img.h = swap ? w : h;
  img.rgb.resize(size_t(w) * size_t(h) * 3);

  // Source pixel index of destination pixel (x, y) is base + x*sx + y*sy; the EXIF definitions:
  // 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 CW, 7 transverse, 8 rotate 90 CCW.
  const ptrdiff_t W = w, H = h;
  ptrdiff_t base = 0, sx = 1, sy = W;
  switch (orientation) {
    case 2: base = W - 1, sx = -1, sy = W; break;
    case 3: base = (H - 1) * W + W - 1, sx = -1, sy = -W; break;
    case 4: base = (H - 1) * W, sx = 1, sy = -W; break;
    case 5: base = 0, sx = W, sy = 1; break;
    case 6: base = (H - 1) * W, sx = -W, sy = 1; break;
    case 7: base = (H - 1) * W + W - 1, sx = -W, sy = -1; break;
    case 8: base = W - 1, sx = W, sy = -1; break;
    default: break;
  }

  // Transposing orientations walk source columns; 32x32 tiles keep those reads in cache.
  const int tile_h = 32;
  const int tile_w = swap ? 32 : img.w;
  uint8_t* const dst = img.rgb.data();
  for (int ty = 0; ty < img.h; ty += tile_h) {
    const int y1 = std::min(ty + tile_h, img.h);
    for (int tx = 0; tx < img.w; tx += tile_w) {
      const int x1 = std::min(tx + tile_w, img.w);
      for (int y = ty; y < y1; ++y) {
        uint8_t* d = dst + (size_t(y) * img.w + tx) * 3;
        ptrdiff_t s = base + tx * sx + y * sy;
        if (channels == 3) {
          for (int x = tx; x < x1; ++x, s += sx, d += 3) {
            const uint8_t* q = src + s * 3;
            d[0] = q[0], d[1] = q[1], d[2] = q[2];
          }
        } else {
          for (int x = tx; x < x1; ++x, s += sx, d += 3) {
            const uint8_t* q = src + s * 4;
            d[0] = mul_div255(q[0], q[3]);
            d[1] = mul_div255(q[1], q[3]);
            d[2] = mul_div255(q[2], q[3]);
          }
        }
      }
    }
  }
  return img;
}

}  // namespace dfs
