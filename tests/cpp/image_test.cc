// Tests for src/image: decoding (fixtures, hostile bytes, limits), EXIF orientation, resampling.
#include "image/image.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "core/status.h"
#include "image/exif.h"
#include "image/jpeg_guard.h"

namespace {

using dfs::Code;
using dfs::DecodeLimits;
using dfs::Image;
using Bytes = std::vector<uint8_t>;
using Rgb = std::array<int, 3>;

// ---------------------------------------------------------------- helpers

std::string fixture_path(const std::string& name) {
  return std::string(DFS_SOURCE_DIR) + "/tests/fixtures/image/" + name;
}

Bytes load_fixture(const std::string& name) {
  std::ifstream f(fixture_path(name), std::ios::binary);
  Bytes b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (b.empty()) {
    ADD_FAILURE() << "missing fixture " << name << " (run tools/fixtures/make_image_fixtures.py)";
  }
  return b;
}

Image decode(const Bytes& b, const DecodeLimits& lim = DecodeLimits()) {
  return dfs::decode_image(b.data(), b.size(), lim);
}

// Runs f, which must throw dfs::Error; returns it (code kOk if nothing was thrown).
dfs::Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const dfs::Error& e) { return e; }
  return dfs::Error{Code::kOk, "no error thrown"};
}

dfs::Error decode_error(const Bytes& b, const DecodeLimits& lim = DecodeLimits()) {
  return error_of([&] { decode(b, lim); });
}

Rgb pixel(const Image& img, int x, int y) {
  const uint8_t* p = img.rgb.data() + (size_t(y) * img.w + x) * 3;
  return {p[0], p[1], p[2]};
}

int max_diff(const Rgb& a, const Rgb& b) {
  return std::max({std::abs(a[0] - b[0]), std::abs(a[1] - b[1]), std::abs(a[2] - b[2])});
}

std::string str(const Rgb& c) {
  return "(" + std::to_string(c[0]) + "," + std::to_string(c[1]) + "," + std::to_string(c[2]) + ")";
}

// The fixtures' "quad" pattern (tools/fixtures/make_image_fixtures.py): 34x22, 17x11 quadrants
// TL, TR, BL, BR.
constexpr int kW = 34, kH = 22;
const std::array<Rgb, 4> kQuadRgb = {{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}}};
const std::array<int, 4> kQuadGray = {30, 90, 160, 230};
const std::array<int, 4> kQuadAlpha = {255, 128, 0, 64};

int quadrant(int x, int y) { return (x >= kW / 2 ? 1 : 0) + (y >= kH / 2 ? 2 : 0); }

Rgb gray(int v) { return {v, v, v}; }
int over_black(int c, int a) { return int(std::lround(c * a / 255.0)); }
int from16(int v) { return int(std::lround(v / 257.0)); }

// Lossless formats (tol 0) are checked at every pixel; lossy ones at the quadrant centres, where
// JPEG's block and chroma artefacts from the quadrant edges have faded.
void expect_quads(const Image& img, const std::array<Rgb, 4>& want, int tol) {
  ASSERT_EQ(img.w, kW);
  ASSERT_EQ(img.h, kH);
  ASSERT_EQ(img.rgb.size(), size_t(kW) * kH * 3);
  if (tol == 0) {
    int bad = 0;
    for (int y = 0; y < kH; ++y) {
      for (int x = 0; x < kW; ++x) {
        const Rgb got = pixel(img, x, y), exp = want[quadrant(x, y)];
        if (got != exp && ++bad <= 5) {
          ADD_FAILURE() << "pixel (" << x << "," << y << ") is " << str(got) << ", want "
                        << str(exp);
        }
      }
    }
    EXPECT_EQ(bad, 0);
  } else {
    const int cx[4] = {kW / 4, 3 * kW / 4, kW / 4, 3 * kW / 4};
    const int cy[4] = {kH / 4, kH / 4, 3 * kH / 4, 3 * kH / 4};
    for (int q = 0; q < 4; ++q) {
      const Rgb got = pixel(img, cx[q], cy[q]);
      EXPECT_LE(max_diff(got, want[q]), tol)
          << "quadrant " << q << " is " << str(got) << ", want " << str(want[q]);
    }
  }
}

// ---------------------------------------------------------------- fixtures decode

struct FixtureCase {
  const char* file;
  std::array<Rgb, 4> want;
  int tol;
};

std::vector<FixtureCase> fixture_cases() {
  const auto g = kQuadGray;
  const auto a = kQuadAlpha;
  std::vector<FixtureCase> c = {
      {"quad.jpg", kQuadRgb, 8},
      {"quad_progressive.jpg", kQuadRgb, 8},
      {"quad_gray.jpg", {gray(g[0]), gray(g[1]), gray(g[2]), gray(g[3])}, 8},
      {"quad_cmyk.jpg", kQuadRgb, 8},
      {"quad.png", kQuadRgb, 0},
      {"quad_interlaced.png", kQuadRgb, 0},
      {"quad_gray.png", {gray(g[0]), gray(g[1]), gray(g[2]), gray(g[3])}, 0},
      {"quad_1bit.png", {gray(255), gray(0), gray(0), gray(255)}, 0},
      {"quad_palette.png", kQuadRgb, 0},
      // The blue palette entry is transparent: over black.
      {"quad_palette_trns.png", {kQuadRgb[0], kQuadRgb[1], Rgb{0, 0, 0}, kQuadRgb[3]}, 0},
      {"quad_rgba.png",
       {Rgb{255, 0, 0}, Rgb{0, over_black(255, a[1]), 0}, Rgb{0, 0, 0},
        gray(over_black(255, a[3]))},
       0},
      {"quad_la.png",
       {gray(over_black(g[0], a[0])), gray(over_black(g[1], a[1])), gray(over_black(g[2], a[2])),
        gray(over_black(g[3], a[3]))},
       0},
      {"quad_gray16.png",
       {gray(from16(0x1234)), gray(from16(0x5678)), gray(from16(0x9ABC)), gray(from16(0xDEF0))},
       1},
      {"quad_rgb16.png",
       {Rgb{from16(0xFF00), from16(0x1234), from16(0x00FF)},
        Rgb{from16(0x0101), from16(0xFEFE), from16(0x8000)},
        Rgb{from16(0x0000), from16(0x7F80), from16(0xFFFF)},
        Rgb{from16(0xC0C0), from16(0xC000), from16(0x4242)}},
       1},
      {"quad.bmp", kQuadRgb, 0},
      {"quad_topdown.bmp", kQuadRgb, 0},
      {"anim.gif", kQuadRgb, 0},  // frame 2 is all yellow
  };
  // Stored rotated/flipped with EXIF orientation n; decoding must bring the red quadrant back to
  // the top left. Odd n carry little-endian EXIF, even n big-endian.
  static const char* kExif[] = {"exif_1.jpg", "exif_2.jpg", "exif_3.jpg", "exif_4.jpg",
                                "exif_5.jpg", "exif_6.jpg", "exif_7.jpg", "exif_8.jpg"};
  for (const char* f : kExif) c.push_back({f, kQuadRgb, 8});
  return c;
}

void PrintTo(const FixtureCase& c, std::ostream* os) { *os << c.file; }

class DecodeFixture : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(DecodeFixture, DecodesToKnownColours) {
  const FixtureCase& fc = GetParam();
  const Bytes b = load_fixture(fc.file);
  ASSERT_FALSE(b.empty());
  Image img;
  try {
    img = decode(b);
  } catch (const dfs::Error& e) {
    FAIL() << fc.file << ": " << dfs::code_name(e.code) << ": " << e.message;
  }
  expect_quads(img, fc.want, fc.tol);
}

INSTANTIATE_TEST_SUITE_P(Image, DecodeFixture, ::testing::ValuesIn(fixture_cases()),
                         [](const ::testing::TestParamInfo<FixtureCase>& info) {
                           std::string n = info.param.file;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

TEST(DecodeImage, GrayJpegHasEqualChannelsEverywhere) {
  const Image img = decode(load_fixture("quad_gray.jpg"));
  for (size_t i = 0; i < img.rgb.size(); i += 3) {
    ASSERT_EQ(img.rgb[i], img.rgb[i + 1]);
    ASSERT_EQ(img.rgb[i], img.rgb[i + 2]);
  }
}

TEST(DecodeImage, OnePixelAndOnePixelWideImages) {
  Image img = decode(load_fixture("tiny_1x1.png"));
  ASSERT_EQ(img.w, 1);
  ASSERT_EQ(img.h, 1);
  EXPECT_EQ(pixel(img, 0, 0), (Rgb{10, 200, 30}));

  img = decode(load_fixture("tiny_1x1.jpg"));
  ASSERT_EQ(img.w, 1);
  ASSERT_EQ(img.h, 1);
  EXPECT_LE(max_diff(pixel(img, 0, 0), Rgb{10, 200, 30}), 10) << str(pixel(img, 0, 0));

  img = decode(load_fixture("strip_1x7.png"));
  ASSERT_EQ(img.w, 1);
  ASSERT_EQ(img.h, 7);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(pixel(img, 0, i), (Rgb{i * 36, 255 - i * 36, 128}));

  img = decode(load_fixture("strip_7x1.jpg"));
  ASSERT_EQ(img.w, 7);
  ASSERT_EQ(img.h, 1);
  for (int i = 0; i < 7; ++i) {
    EXPECT_LE(max_diff(pixel(img, i, 0), Rgb{i * 36, 255 - i * 36, 128}), 24)
        << i << ": " << str(pixel(img, i, 0));
  }
}

// ---------------------------------------------------------------- EXIF

TEST(Exif, ReadsEveryFixtureOrientationInBothByteOrders) {
  for (int n = 1; n <= 8; ++n) {
    const Bytes b = load_fixture("exif_" + std::to_string(n) + ".jpg");
    EXPECT_EQ(dfs::jpeg_exif_orientation(b.data(), b.size()), n);
    const Image img = decode(b);
    EXPECT_EQ(img.w, kW) << n;  // 5..8 are stored 22x34
  }
}

// Hand-written goldens from the EXIF definitions, on a 3x2 image whose pixel k has R = k.
TEST(Exif, OrientedCopyMatchesTheEightDefinitions) {
  const uint8_t src3[] = {1, 10, 20, 2, 10, 20, 3, 10, 20, 4, 10, 20, 5, 10, 20, 6, 10, 20};
  struct Want {
    int w, h;
    std::vector<int> r;
  };
  const Want want[9] = {{},
                        {3, 2, {1, 2, 3, 4, 5, 6}},
                        {3, 2, {3, 2, 1, 6, 5, 4}},
                        {3, 2, {6, 5, 4, 3, 2, 1}},
                        {3, 2, {4, 5, 6, 1, 2, 3}},
                        {2, 3, {1, 4, 2, 5, 3, 6}},
                        {2, 3, {4, 1, 5, 2, 6, 3}},
                        {2, 3, {6, 3, 5, 2, 4, 1}},
                        {2, 3, {3, 6, 2, 5, 1, 4}}};
  for (int o = 1; o <= 8; ++o) {
    const Image img = dfs::oriented_rgb(src3, 3, 2, 3, o);
    ASSERT_EQ(img.w, want[o].w) << o;
    ASSERT_EQ(img.h, want[o].h) << o;
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(img.rgb[i * 3], want[o].r[i]) << "orientation " << o << " pixel " << i;
      EXPECT_EQ(img.rgb[i * 3 + 1], 10);
      EXPECT_EQ(img.rgb[i * 3 + 2], 20);
    }
  }
  // Out-of-range orientation is treated as 1.
  EXPECT_EQ(dfs::oriented_rgb(src3, 3, 2, 3, 9).rgb, dfs::oriented_rgb(src3, 3, 2, 3, 1).rgb);
}

TEST(Exif, OrientedCopyOfLargeImageMatchesPerPixelMapping) {
  // Big enough to cross several 32x32 tiles with ragged edges.
  const int w = 77, h = 45;
  Bytes src(size_t(w) * h * 4);
  std::mt19937 rng(7);
  for (auto& v : src) v = uint8_t(rng());
  for (int o = 1; o <= 8; ++o) {
    const Image img = dfs::oriented_rgb(src.data(), w, h, 4, o);
    const bool swap = o >= 5;
    ASSERT_EQ(img.w, swap ? h : w);
    for (int y = 0; y < img.h; ++y) {
      for (int x = 0; x < img.w; ++x) {
        int sx = x, sy = y;  // undo the display transform, one case at a time
        switch (o) {
          case 2: sx = w - 1 - x; break;
          case 3: sx = w - 1 - x, sy = h - 1 - y; break;
          case 4: sy = h - 1 - y; break;
          case 5: sx = y, sy = x; break;
          case 6: sx = y, sy = h - 1 - x; break;
          case 7: sx = w - 1 - y, sy = h - 1 - x; break;
          case 8: sx = w - 1 - y, sy = x; break;
        }
        const uint8_t* s = &src[(size_t(sy) * w + sx) * 4];
        const Rgb want{over_black(s[0], s[3]), over_black(s[1], s[3]), over_black(s[2], s[3])};
        ASSERT_EQ(pixel(img, x, y), want) << "orientation " << o << " at " << x << "," << y;
      }
    }
  }
}

// A JPEG prefix with marker segments and no image data: enough for the EXIF reader.
Bytes jpeg_with_segments(const std::vector<std::pair<uint8_t, Bytes>>& segs) {
  Bytes b = {0xFF, 0xD8};
  for (const auto& s : segs) {
    const size_t len = s.second.size() + 2;
    b.insert(b.end(), {0xFF, s.first, uint8_t(len >> 8), uint8_t(len & 0xFF)});
    b.insert(b.end(), s.second.begin(), s.second.end());
  }
  b.insert(b.end(), {0xFF, 0xD9});
  return b;
}

struct ExifOpts {
  bool big_endian = false;
  uint32_t ifd_offset = 8;
  uint16_t count_override = 0;  // 0: the real entry count
  uint16_t type = 3;
  uint32_t value_count = 1;
  uint16_t value = 6;
};

Bytes exif_payload(const ExifOpts& o) {
  Bytes b = {'E', 'x', 'i', 'f', 0, 0};
  const bool be = o.big_endian;
  auto put16 = [&](uint32_t v) {
    const uint8_t hi = uint8_t(v >> 8), lo = uint8_t(v);
    b.insert(b.end(), {be ? hi : lo, be ? lo : hi});
  };
  auto put32 = [&](uint32_t v) {
    put16(be ? v >> 16 : v & 0xFFFF);
    put16(be ? v & 0xFFFF : v >> 16);
  };
  b.insert(b.end(), {be ? uint8_t('M') : uint8_t('I'), be ? uint8_t('M') : uint8_t('I')});
  put16(42);
  put32(o.ifd_offset);
  put16(o.count_override ? o.count_override : 3);
  put16(0x010F), put16(2), put32(4), put32(0x44465300);  // Make "DFS"
  put16(0x0110), put16(2), put32(4), put32(0x58595A00);  // Model
  put16(0x0112), put16(o.type), put32(o.value_count), put16(o.value), put16(0);
  put32(0);  // no next IFD
  return b;
}

int orientation_of(const Bytes& b) { return dfs::jpeg_exif_orientation(b.data(), b.size()); }

TEST(Exif, ParsesAfterOtherSegmentsAndIgnoresBadTags) {
  const Bytes jfif = {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0};
  const Bytes xmp = {'h', 't', 't', 'p', ':', '/', '/', 'n', 's', 0, '<', 'x', '/', '>'};
  for (bool be : {false, true}) {
    for (int v = 0; v <= 9; ++v) {
      ExifOpts o;
      o.big_endian = be;
      o.value = uint16_t(v);
      const Bytes j = jpeg_with_segments({{0xE0, jfif}, {0xE1, xmp}, {0xE1, exif_payload(o)}});
      EXPECT_EQ(orientation_of(j), v >= 1 && v <= 8 ? v : 1) << "value " << v << " be " << be;
    }
  }
  ExifOpts o;
  EXPECT_EQ(orientation_of(jpeg_with_segments({{0xE1, exif_payload(o)}})), 6);
  o.type = 4;  // LONG instead of SHORT
  EXPECT_EQ(orientation_of(jpeg_with_segments({{0xE1, exif_payload(o)}})), 1);
  o = ExifOpts();
  o.value_count = 2;
  EXPECT_EQ(orientation_of(jpeg_with_segments({{0xE1, exif_payload(o)}})), 1);
  // Fill bytes before a marker are legal.
  Bytes filled = jpeg_with_segments({{0xE1, exif_payload(ExifOpts())}});
  filled.insert(filled.begin() + 2, {0xFF, 0xFF, 0xFF});
  EXPECT_EQ(orientation_of(filled), 6);
  // EXIF after the start of scan is not read; neither is a second Exif APP1 after a broken one.
  EXPECT_EQ(orientation_of(jpeg_with_segments({{0xDA, {1, 2, 3}}, {0xE1, exif_payload(o)}})), 1);
  ExifOpts bad;
  bad.ifd_offset = 1000;
  EXPECT_EQ(orientation_of(
                jpeg_with_segments({{0xE1, exif_payload(bad)}, {0xE1, exif_payload(ExifOpts())}})),
            1);
}

TEST(Exif, HostileOffsetsAndCountsAreIgnored) {
  for (uint32_t off : {0u, 7u, 44u, 45u, 46u, 1000u, 0x7FFFFFFFu, 0xFFFFFFF0u, 0xFFFFFFFFu}) {
    ExifOpts o;
    o.ifd_offset = off;
    EXPECT_EQ(orientation_of(jpeg_with_segments({{0xE1, exif_payload(o)}})), 1) << off;
  }
  for (bool be : {false, true}) {
    ExifOpts o;
    o.big_endian = be;
    o.count_override = 0xFFFF;  // runs off the end, after the real entries
    EXPECT_EQ(orientation_of(jpeg_with_segments({{0xE1, exif_payload(o)}})), 6);
    o.count_override = 2;  // orientation is entry 3, not listed
    EXPECT_EQ(orientation_of(jpeg_with_segments({{0xE1, exif_payload(o)}})), 1);
  }
  // Segment lengths that lie.
  Bytes j = jpeg_with_segments({{0xE1, exif_payload(ExifOpts())}});
  for (int len : {0, 1, 2, 3, 7, 8, 0xFFFF}) {
    Bytes k = j;
    k[4] = uint8_t(len >> 8), k[5] = uint8_t(len);
    const int r = orientation_of(k);
    EXPECT_TRUE(r == 1) << "length " << len << " gave " << r;
  }
  EXPECT_EQ(dfs::jpeg_exif_orientation(nullptr, 0), 1);
}

TEST(Exif, EveryTruncationAndRandomMutationIsSafe) {
  const Bytes j = jpeg_with_segments({{0xE1, exif_payload(ExifOpts())}});
  const size_t app1_end = j.size() - 2;
  for (size_t n = 0; n < j.size(); ++n) {
    // Heap copies so ASan sees a read past the end of each prefix.
    const Bytes prefix(j.begin(), j.begin() + n);
    const int r = dfs::jpeg_exif_orientation(prefix.data(), prefix.size());
    EXPECT_EQ(r, n >= app1_end ? 6 : 1) << "prefix " << n;
  }
  std::mt19937 rng(12345);
  int sixes = 0;
  for (int it = 0; it < 20000; ++it) {
    Bytes k = j;
    const int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) k[rng() % k.size()] = uint8_t(rng());
    k.resize(k.size() - rng() % 8);
    const int r = dfs::jpeg_exif_orientation(k.data(), k.size());
    ASSERT_GE(r, 1);
    ASSERT_LE(r, 8);
    sixes += r == 6;
  }
  EXPECT_GT(sixes, 0);  // mutations outside the tag leave it readable
}

TEST(Exif, BrokenExifInARealJpegDecodesUnrotated) {
  Bytes b = load_fixture("exif_6.jpg");
  const auto it = std::search(b.begin(), b.end(), std::begin("Exif"), std::end("Exif") - 1);
  ASSERT_NE(it, b.end());
  // "Exif\0\0" + "MM\0*" then the IFD0 offset: point it far outside the segment.
  const size_t off = size_t(it - b.begin()) + 10;
  b[off] = 0x7F, b[off + 1] = 0xFF, b[off + 2] = 0xFF, b[off + 3] = 0xF0;
  EXPECT_EQ(orientation_of(b), 1);
  const Image img = decode(b);
  EXPECT_EQ(img.w, kH);  // stored 22x34, left as stored
  EXPECT_EQ(img.h, kW);
}

// ---------------------------------------------------------------- bad bytes

TEST(DecodeErrors, EmptyAndNull) {
  EXPECT_EQ(error_of([] { dfs::decode_image(nullptr, 0, DecodeLimits()); }).code,
            Code::kEmptyInput);
  const uint8_t one = 0xFF;
  EXPECT_EQ(error_of([&] { dfs::decode_image(&one, 0, DecodeLimits()); }).code, Code::kEmptyInput);
  EXPECT_EQ(error_of([] { dfs::decode_image(nullptr, 10, DecodeLimits()); }).code,
            Code::kInvalidArgument);
}

TEST(DecodeErrors, RandomBytesAreUnsupported) {
  std::mt19937 rng(99);
  for (int i = 0; i < 300; ++i) {
    Bytes b(1 + rng() % 300);
    for (auto& v : b) v = uint8_t(rng());
    const dfs::Error e = decode_error(b);
    ASSERT_EQ(e.code, Code::kUnsupportedFormat) << i;
    EXPECT_NE(e.message.find("JPEG, PNG, BMP, GIF"), std::string::npos) << e.message;
  }
}

TEST(DecodeErrors, OtherFormatsAreNamed) {
  auto bytes = [](const char* s, size_t n) { return Bytes(s, s + n); };
  const std::pair<Bytes, const char*> cases[] = {
      {bytes("RIFF\x10\0\0\0WEBPVP8 ", 16), "WebP"},
      {bytes("\0\0\0\x18"
             "ftypheic\0\0\0\0",
             16),
       "HEIF"},
      {bytes("\0\0\0\x18"
             "ftypavif\0\0\0\0",
             16),
       "AVIF"},
      {bytes("II*\0\x08\0\0\0", 8), "TIFF"},
      {bytes("MM\0*\0\0\0\x08", 8), "TIFF"},
      {bytes("\xFF\x0A\x01\x02", 4), "JPEG XL"},
  };
  for (const auto& c : cases) {
    const dfs::Error e = decode_error(c.first);
    EXPECT_EQ(e.code, Code::kUnsupportedFormat);
    EXPECT_NE(e.message.find(c.second), std::string::npos) << e.message;
  }
}

TEST(DecodeErrors, SignatureFollowedByGarbageIsCorrupt) {
  std::mt19937 rng(5);
  const std::vector<Bytes> sigs = {{0xFF, 0xD8, 0xFF},
                                   {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'},
                                   {'G', 'I', 'F', '8', '9', 'a'},
                                   {'B', 'M'}};
  for (const Bytes& sig : sigs) {
    for (int i = 0; i < 50; ++i) {
      Bytes b = sig;
      for (int k = 0; k < 200; ++k) b.push_back(uint8_t(rng()));
      const dfs::Error e = decode_error(b, DecodeLimits{1 << 20, 4096, 1 << 20});
      // Random bytes can spell a huge size in a header; that must be caught before decoding.
      EXPECT_TRUE(e.code == Code::kCorruptImage || e.code == Code::kImageTooLarge)
          << dfs::code_name(e.code) << ": " << e.message;
    }
  }
  const dfs::Error e = decode_error({0xFF, 0xD8, 0xFF, 0xE0, 0x00});
  EXPECT_EQ(e.code, Code::kCorruptImage);
  EXPECT_NE(e.message.find("JPEG"), std::string::npos) << e.message;
}

// Every prefix of a valid file must either fail cleanly or decode at the full size (stb fills a
// truncated JPEG's missing blocks, as browsers do).
void check_truncations(const std::string& name) {
  const Bytes full = load_fixture(name);
  ASSERT_FALSE(full.empty());
  const Image ref = decode(full);
  int corrupt = 0;
  for (size_t n = 0; n < full.size(); ++n) {
    const Bytes b(full.begin(), full.begin() + n);  // own heap block: ASan catches over-reads
    try {
      const Image img = dfs::decode_image(b.data(), b.size(), DecodeLimits());
      EXPECT_EQ(img.w, ref.w) << name << " prefix " << n;
      EXPECT_EQ(img.h, ref.h) << name << " prefix " << n;
      EXPECT_EQ(img.rgb.size(), size_t(img.w) * img.h * 3);
    } catch (const dfs::Error& e) {
      if (n == 0) {
        EXPECT_EQ(e.code, Code::kEmptyInput);
      } else if (e.code == Code::kUnsupportedFormat) {
        EXPECT_LT(n, 8u) << name << ": only a cut signature is unsupported";
      } else {
        EXPECT_EQ(e.code, Code::kCorruptImage) << name << " prefix " << n << ": " << e.message;
        const std::string fmt = name.substr(name.rfind('.') + 1);
        EXPECT_NE(e.message.find(fmt == "jpg"   ? "JPEG"
                                 : fmt == "png" ? "PNG"
                                 : fmt == "bmp" ? "BMP"
                                                : "GIF"),
                  std::string::npos)
            << e.message;
        ++corrupt;
      }
    }
  }
  EXPECT_GT(corrupt, 0) << name;
}

TEST(DecodeErrors, TruncatedJpegsNeverCrash) {
  for (const char* f : {"quad.jpg", "quad_progressive.jpg", "quad_cmyk.jpg", "exif_6.jpg"}) {
    check_truncations(f);
  }
}

TEST(DecodeErrors, TruncatedPngBmpGifNeverCrash) {
  for (const char* f : {"quad.png", "quad_interlaced.png", "quad_rgb16.png", "quad_palette.png",
                        "quad.bmp", "quad_topdown.bmp", "anim.gif"}) {
    check_truncations(f);
  }
}

// DFS_IMAGE_FUZZ_ITERS=100000 (with a sanitizer or valgrind build) runs a longer campaign.
int fuzz_iterations() {
  const char* env = std::getenv("DFS_IMAGE_FUZZ_ITERS");
  return env ? std::max(1, std::atoi(env)) : 400;
}

TEST(DecodeErrors, RandomMutationsNeverCrash) {
  const DecodeLimits small{1 << 20, 2048, 1 << 20};  // a mutated header must not cost much
  const int iters = fuzz_iterations();
  std::mt19937 rng(2024);
  for (const char* f :
       {"quad.jpg", "quad_progressive.jpg", "quad_cmyk.jpg", "quad.png", "quad_interlaced.png",
        "quad_rgb16.png", "quad_palette_trns.png", "quad.bmp", "anim.gif", "exif_5.jpg"}) {
    const Bytes full = load_fixture(f);
    ASSERT_FALSE(full.empty());
    int ok = 0, failed = 0;
    for (int it = 0; it < iters; ++it) {
      Bytes b = full;
      const int edits = 1 + int(rng() % 4);
      for (int k = 0; k < edits; ++k) {
        // Keep the signature: mutating it only tests sniffing, which is covered elsewhere.
        const size_t at = 8 + rng() % (b.size() - 8);
        b[at] = rng() % 3 == 0 ? uint8_t(b[at] ^ (1u << (rng() % 8))) : uint8_t(rng());
      }
      try {
        const Image img = dfs::decode_image(b.data(), b.size(), small);
        ASSERT_EQ(img.rgb.size(), size_t(img.w) * img.h * 3);
        ASSERT_LE(int64_t(img.w) * img.h, small.max_pixels);
        ++ok;
      } catch (const dfs::Error& e) {
        ASSERT_TRUE(e.code == Code::kCorruptImage || e.code == Code::kImageTooLarge)
            << f << ": " << dfs::code_name(e.code) << " " << e.message;
        ++failed;
      }
    }
    EXPECT_EQ(ok + failed, iters);
  }
}

// stb 2.27 overflows its Huffman arrays when a DHT's 16 code counts sum past 256 (upstream #1289).
// Such files must be stopped before stb sees them, wherever stb would meet the table.
size_t find_marker(const Bytes& b, uint8_t m, size_t from = 0) {
  for (size_t i = from; i + 1 < b.size(); ++i) {
    if (b[i] == 0xFF && b[i + 1] == m) return i;
  }
  return b.size();
}

Bytes hostile_dht() {
  Bytes seg = {0xFF, 0xC4};
  const size_t len = 2 + 17 + 16 * 255;
  seg.insert(seg.end(), {uint8_t(len >> 8), uint8_t(len & 0xFF), 0x00});
  seg.insert(seg.end(), 16, 255);
  seg.insert(seg.end(), 16 * 255, 0x01);
  return seg;
}

TEST(DecodeErrors, OversizedHuffmanTableIsStoppedBeforeStb) {
  for (const char* f : {"quad.jpg", "quad_progressive.jpg", "exif_3.jpg"}) {
    const Bytes good = load_fixture(f);
    ASSERT_EQ(dfs::jpeg_stb_hazard(good.data(), good.size()), nullptr) << f;

    // Counts patched in place in the first table.
    Bytes b = good;
    const size_t dht = find_marker(b, 0xC4);
    ASSERT_LT(dht, b.size());
    std::fill_n(b.begin() + dht + 5, 16, uint8_t(255));
    dfs::Error e = decode_error(b);
    EXPECT_EQ(e.code, Code::kCorruptImage);
    EXPECT_NE(e.message.find("256"), std::string::npos) << e.message;

    // A whole hostile segment before the frame header, and one after the first scan's data.
    const Bytes evil = hostile_dht();
    b = good;
    b.insert(b.begin() + 2, evil.begin(), evil.end());
    EXPECT_EQ(decode_error(b).code, Code::kCorruptImage);
    b = good;
    const size_t sos = find_marker(b, 0xDA);
    const size_t after_scan = find_marker(b, 0xDA, sos + 2) < b.size()
                                  ? find_marker(b, 0xDA, sos + 2)
                                  : b.size() - 2;  // EOI
    b.insert(b.begin() + after_scan, evil.begin(), evil.end());
    e = decode_error(b);
    EXPECT_EQ(e.code, Code::kCorruptImage);
    EXPECT_NE(e.message.find("256"), std::string::npos) << f << ": " << e.message;
  }
}

// stb sizes buffers from a PNG chunk length and grows its zlib output without bound; in wasm the
// heap never shrinks, so such requests must be refused by the allocation cap, quickly.
TEST(DecodeErrors, DecoderMemoryIsBoundedByWhatTheImageNeeds) {
  Bytes b = load_fixture("quad.png");
  const auto idat = std::search(b.begin(), b.end(), std::begin("IDAT"), std::end("IDAT") - 1);
  ASSERT_NE(idat, b.end());
  const size_t len_at = size_t(idat - b.begin()) - 4;
  b[len_at] = 0x6A, b[len_at + 1] = 0x00, b[len_at + 2] = 0x00, b[len_at + 3] = 0x31;  // 1.7 GB
  const auto t0 = std::chrono::steady_clock::now();
  dfs::Error e = decode_error(b);
  EXPECT_EQ(e.code, Code::kCorruptImage) << e.message;
  // A chunk running past the end of the file: the chunk walk says so before stb sizes anything.
  EXPECT_NE(e.message.find("ends before its IEND"), std::string::npos) << e.message;

  // 8 MB of zlib output for a 34x22 image.
  e = decode_error(load_fixture("bomb.png"));
  EXPECT_EQ(e.code, Code::kCorruptImage) << e.message;
  EXPECT_NE(e.message.find("memory"), std::string::npos) << e.message;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);

  // The cap leaves room for the biggest legitimate buffers: 16-bit RGBA, progressive JPEG.
  EXPECT_EQ(decode(load_fixture("quad_rgb16.png")).w, kW);
  EXPECT_EQ(decode(load_fixture("quad_progressive.jpg")).w, kW);
}

TEST(DecodeErrors, JpegGuardAcceptsWhatStbAccepts) {
  // Padding and fill bytes that stb tolerates must not trip the guard.
  Bytes b = load_fixture("quad.jpg");
  const size_t dqt = find_marker(b, 0xDB);
  b.insert(b.begin() + dqt, {0x00, 0x00, 0xFF, 0xFF});  // junk, then fill bytes before DQT
  b.insert(b.end() - 2, {0xFF, 0xFF});                  // fill before EOI
  b.insert(b.end(), {'t', 'r', 'a', 'i', 'l'});         // trailing bytes after EOI
  EXPECT_EQ(dfs::jpeg_stb_hazard(b.data(), b.size()), nullptr);
  EXPECT_EQ(decode(b).w, kW);
  // Without EOI stb rejects the file; so does the guard, with a clearer reason.
  Bytes cut = load_fixture("quad.jpg");
  cut.resize(cut.size() - 2);
  const dfs::Error e = decode_error(cut);
  EXPECT_EQ(e.code, Code::kCorruptImage);
  EXPECT_NE(e.message.find("truncated"), std::string::npos) << e.message;
}

// ---------------------------------------------------------------- size limits

uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return ~c;
}

void put_be32(Bytes& b, uint32_t v) {
  b.insert(b.end(), {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)});
}

void png_chunk(Bytes& b, const char* type, const Bytes& body) {
  put_be32(b, uint32_t(body.size()));
  Bytes tb(type, type + 4);
  tb.insert(tb.end(), body.begin(), body.end());
  b.insert(b.end(), tb.begin(), tb.end());
  put_be32(b, crc32(tb.data(), tb.size()));
}

// A well-formed PNG header claiming w x h RGB8, followed by a tiny (wrong) IDAT and IEND.
Bytes png_claiming(uint32_t w, uint32_t h) {
  Bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  put_be32(ihdr, w);
  put_be32(ihdr, h);
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});
  png_chunk(b, "IHDR", ihdr);
  png_chunk(b, "IDAT", {0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01});
  png_chunk(b, "IEND", {});
  return b;
}

TEST(DecodeSizeLimits, HugePngHeaderIsRejectedBeforeDecoding) {
  dfs::Error e = decode_error(png_claiming(100000, 100000));
  EXPECT_EQ(e.code, Code::kImageTooLarge) << e.message;
  EXPECT_NE(e.message.find("100000x100000"), std::string::npos) << e.message;

  // Past stb's own ceiling even when the caller allows more: still "too large", not "corrupt".
  DecodeLimits lax;
  lax.max_side = 1 << 30;
  lax.max_pixels = int64_t(1) << 62;
  e = decode_error(png_claiming(70000, 10), lax);
  EXPECT_EQ(e.code, Code::kImageTooLarge) << e.message;

  // Under the side limit, over the pixel limit.
  e = decode_error(png_claiming(20000, 20000));
  EXPECT_EQ(e.code, Code::kImageTooLarge) << e.message;

  // Within limits: the header passes and the decoder then finds the data wrong. This proves the
  // two cases above were decided from the header, not by a failed decode.
  e = decode_error(png_claiming(3000, 2000));
  EXPECT_EQ(e.code, Code::kCorruptImage) << e.message;
}

// Rewrites the frame size in a JPEG's SOF0/SOF2 segment.
Bytes jpeg_with_size(Bytes b, uint16_t w, uint16_t h) {
  for (size_t i = 2; i + 9 < b.size(); ++i) {
    if (b[i] == 0xFF && (b[i + 1] == 0xC0 || b[i + 1] == 0xC2)) {
      b[i + 5] = uint8_t(h >> 8), b[i + 6] = uint8_t(h);
      b[i + 7] = uint8_t(w >> 8), b[i + 8] = uint8_t(w);
      return b;
    }
  }
  ADD_FAILURE() << "no SOF found";
  return b;
}

TEST(DecodeSizeLimits, HugeJpegFrameIsRejected) {
  const Bytes q = load_fixture("quad.jpg");
  dfs::Error e = decode_error(jpeg_with_size(q, 30000, 30000));
  EXPECT_EQ(e.code, Code::kImageTooLarge) << e.message;
  EXPECT_NE(e.message.find("30000x30000"), std::string::npos) << e.message;
  e = decode_error(jpeg_with_size(q, 30001, 1));
  EXPECT_EQ(e.code, Code::kImageTooLarge) << e.message;
  e = decode_error(jpeg_with_size(load_fixture("quad_progressive.jpg"), 65535, 65535));
  EXPECT_EQ(e.code, Code::kImageTooLarge) << e.message;
  // Same bytes with the real size decode: the patching itself is sound.
  EXPECT_EQ(decode(jpeg_with_size(q, kW, kH)).w, kW);
}

TEST(DecodeSizeLimits, AreConfigurable) {
  const Bytes b = load_fixture("quad.png");
  DecodeLimits lim;
  lim.max_pixels = kW * kH;
  EXPECT_EQ(decode(b, lim).w, kW);
  lim.max_pixels = kW * kH - 1;
  EXPECT_EQ(decode_error(b, lim).code, Code::kImageTooLarge);

  lim = DecodeLimits();
  lim.max_side = kW;
  EXPECT_EQ(decode(b, lim).w, kW);
  lim.max_side = kW - 1;
  EXPECT_EQ(decode_error(b, lim).code, Code::kImageTooLarge);

  lim = DecodeLimits();
  lim.max_bytes = b.size();
  EXPECT_EQ(decode(b, lim).w, kW);
  lim.max_bytes = b.size() - 1;
  EXPECT_EQ(decode_error(b, lim).code, Code::kImageTooLarge);
}

TEST(DecodeSizeLimits, BmpWithAbsurdHeightIsRejectedWithoutOverflow) {
  const Bytes q = load_fixture("quad.bmp");
  auto with_height = [&](uint32_t hgt) {
    Bytes b = q;
    for (int k = 0; k < 4; ++k) b[22 + k] = uint8_t(hgt >> (8 * k));  // BITMAPINFOHEADER.biHeight
    return b;
  };
  EXPECT_EQ(decode_error(with_height(0x80000000u)).code, Code::kImageTooLarge);  // INT_MIN
  EXPECT_EQ(decode_error(with_height(0x7FFFFFFFu)).code, Code::kImageTooLarge);
  EXPECT_EQ(decode_error(with_height(0)).code, Code::kCorruptImage);
  // A negative height is a top-down image; the size check uses its magnitude.
  EXPECT_EQ(decode_error(with_height(uint32_t(-40000))).code, Code::kImageTooLarge);
  const Image flipped = decode(with_height(uint32_t(-kH)));
  EXPECT_EQ(flipped.h, kH);
  EXPECT_EQ(pixel(flipped, 0, 0), kQuadRgb[2]);  // bottom-up data read top-down: blue on top
}

// ---------------------------------------------------------------- canvas RGBA

TEST(ImageFromRgba, DropsAlphaAndHonoursStride) {
  const int w = 5, h = 3;
  const size_t stride = w * 4 + 7;
  Bytes rgba(stride * h, 0xEE);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &rgba[y * stride + x * 4];
      p[0] = uint8_t(x * 40), p[1] = uint8_t(y * 80), p[2] = uint8_t(x + y), p[3] = uint8_t(x * 60);
    }
  }
  const Image img = dfs::image_from_rgba(rgba.data(), w, h, stride, DecodeLimits());
  ASSERT_EQ(img.w, w);
  ASSERT_EQ(img.h, h);
  ASSERT_EQ(img.rgb.size(), size_t(w * h * 3));
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) EXPECT_EQ(pixel(img, x, y), (Rgb{x * 40, y * 80, x + y}));
  }
}

TEST(ImageFromRgba, RejectsBadArgumentsAndOversize) {
  Bytes rgba(64, 0);
  auto code = [&](const uint8_t* p, int w, int h, size_t stride, DecodeLimits lim = {}) {
    return error_of([&] { dfs::image_from_rgba(p, w, h, stride, lim); }).code;
  };
  EXPECT_EQ(code(rgba.data(), 0, 4, 0), Code::kEmptyInput);
  EXPECT_EQ(code(rgba.data(), 4, 0, 16), Code::kEmptyInput);
  EXPECT_EQ(code(rgba.data(), -1, 4, 16), Code::kInvalidArgument);
  EXPECT_EQ(code(nullptr, 4, 4, 16), Code::kInvalidArgument);
  EXPECT_EQ(code(rgba.data(), 4, 4, 15), Code::kInvalidArgument);
  // Rejected before a single pixel is read (the buffer is far too small for these sizes).
  EXPECT_EQ(code(rgba.data(), 40000, 1, 160000), Code::kImageTooLarge);
  EXPECT_EQ(code(rgba.data(), 20000, 20000, 80000), Code::kImageTooLarge);
  DecodeLimits lim;
  lim.max_pixels = 15;
  EXPECT_EQ(code(rgba.data(), 4, 4, 16, lim), Code::kImageTooLarge);
  EXPECT_EQ(code(rgba.data(), 4, 4, 16), Code::kOk);
}

// ---------------------------------------------------------------- resample

Image random_image(int w, int h, uint32_t seed) {
  Image img;
  img.w = w;
  img.h = h;
  img.rgb.resize(size_t(w) * h * 3);
  std::mt19937 rng(seed);
  for (auto& v : img.rgb) v = uint8_t(rng());
  return img;
}

std::vector<float> resample(const Image& img, float x, float y, float w, float h, int ow, int oh,
                            float fill = 0) {
  std::vector<float> out(size_t(ow) * oh * 3, -1.f);
  dfs::resample_region(img, x, y, w, h, ow, oh, fill, out.data());
  return out;
}

// Slow reference straight from the definition in image.h: per output pixel, per axis, a list of
// (source index, weight) where an index outside the image reads `fill`; double precision; no
// clipping, no tap tables shared across pixels, no separable passes.
std::vector<std::pair<int, double>> ref_axis(double start, double extent, int n, int i, int size) {
  std::vector<std::pair<int, double>> taps;
  const double scale = extent / n;
  if (scale > dfs::kResampleAreaAbove) {
    const double a = start + i * scale, b = start + (i + 1) * scale;
    for (double k = std::floor(a); k < b; k += 1) {
      const double overlap = std::min(b, k + 1) - std::max(a, k);
      if (overlap > 0) taps.emplace_back(int(k), overlap / (b - a));
    }
  } else {
    const double p = start + (i + 0.5) * scale;
    if (p < 0 || p >= size) {
      taps.emplace_back(-1, 1.0);
    } else {
      const double u = p - 0.5, k = std::floor(u), f = u - k;
      taps.emplace_back(std::clamp(int(k), 0, size - 1), 1 - f);
      taps.emplace_back(std::clamp(int(k) + 1, 0, size - 1), f);
    }
  }
  return taps;
}

std::array<double, 3> ref_pixel(const Image& img, double x, double y, double w, double h, int ow,
                                int oh, double fill, int i, int j) {
  std::array<double, 3> acc = {0, 0, 0};
  for (const auto& ty : ref_axis(y, h, oh, j, img.h)) {
    for (const auto& tx : ref_axis(x, w, ow, i, img.w)) {
      const bool in = tx.first >= 0 && tx.first < img.w && ty.first >= 0 && ty.first < img.h;
      for (int c = 0; c < 3; ++c) {
        const double v = in ? img.rgb[(size_t(ty.first) * img.w + tx.first) * 3 + c] : fill;
        acc[c] += tx.second * ty.second * v;
      }
    }
  }
  return acc;
}

TEST(Resample, IdentityReproducesPixels) {
  const Image img = random_image(37, 23, 1);
  std::vector<float> out = resample(img, 0, 0, 37, 23, 37, 23);
  for (size_t k = 0; k < out.size(); ++k) ASSERT_EQ(out[k], float(img.rgb[k])) << k;
  // An integer sub-rectangle is an exact crop.
  out = resample(img, 5, 3, 10, 8, 10, 8);
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 10; ++x) {
      for (int c = 0; c < 3; ++c) {
        ASSERT_EQ(out[(y * 10 + x) * 3 + c], float(img.rgb[((y + 3) * 37 + x + 5) * 3 + c]));
      }
    }
  }
}

TEST(Resample, ConstantImageStaysConstant) {
  Image img;
  img.w = 50, img.h = 31;
  img.rgb.assign(size_t(50) * 31 * 3, 77);
  const float rects[][4] = {{0, 0, 50, 31},
                            {3.3f, 1.7f, 20.1f, 9.9f},
                            {0.1f, 0.2f, 49.8f, 30.7f},
                            {10, 10, 3.5f, 2.25f},
                            {0, 0, 50, 31}};
  const int sizes[][2] = {{7, 5}, {64, 48}, {13, 41}, {100, 100}, {1, 1}};
  for (const auto& r : rects) {
    for (const auto& s : sizes) {
      const std::vector<float> out = resample(img, r[0], r[1], r[2], r[3], s[0], s[1], 200);
      for (float v : out) ASSERT_NEAR(v, 77.f, 1e-3f) << r[0] << "," << r[1] << " -> " << s[0];
    }
  }
}

TEST(Resample, PinnedSemanticsOnTinyRows) {
  Image row;
  row.w = 2, row.h = 1, row.rgb = {0, 0, 0, 100, 100, 100};
  // 2x bilinear upscale: centres at .25, .75, 1.25, 1.75; clamp at the edges (cv2 INTER_LINEAR).
  std::vector<float> out = resample(row, 0, 0, 2, 1, 4, 1);
  const float up[] = {0, 25, 75, 100};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(out[i * 3], up[i]) << i;

  Image row4;
  row4.w = 4, row4.h = 1;
  for (int v : {0, 100, 200, 50})
    row4.rgb.insert(row4.rgb.end(), {uint8_t(v), uint8_t(v), uint8_t(v)});
  // 2x area downscale: pairs averaged.
  out = resample(row4, 0, 0, 4, 1, 2, 1);
  EXPECT_FLOAT_EQ(out[0], 50);
  EXPECT_FLOAT_EQ(out[3], 125);
  // Half-pixel shift, same size: the last centre lands exactly on the right edge, outside.
  out = resample(row4, 0.5f, 0, 4, 1, 4, 1, 9);
  const float shifted[] = {50, 150, 125, 9};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(out[i * 3], shifted[i]) << i;
}

TEST(Resample, OutsideReadsFill) {
  Image img;
  img.w = 4, img.h = 4;
  img.rgb.assign(4 * 4 * 3, 200);
  // Area (scale 4): quadrant cells wholly outside, wholly inside.
  std::vector<float> out = resample(img, -4, -4, 8, 8, 2, 2, 10);
  EXPECT_FLOAT_EQ(out[0], 10);
  EXPECT_FLOAT_EQ(out[3], 10);
  EXPECT_FLOAT_EQ(out[6], 10);
  EXPECT_FLOAT_EQ(out[9], 200);
  // A cell half outside is half fill.
  out = resample(img, -2, 0, 8, 4, 2, 1, 10);
  EXPECT_FLOAT_EQ(out[0], 105);
  EXPECT_FLOAT_EQ(out[3], 10 * 0.5f + 200 * 0.5f);  // [2, 6): half inside
  // Bilinear (scale 1): every centre left of x = 0 is fill, every other one the image.
  out = resample(img, -10, -10, 30, 30, 30, 30, 33);
  for (int y = 0; y < 30; ++y) {
    for (int x = 0; x < 30; ++x) {
      const bool in = x >= 10 && x < 14 && y >= 10 && y < 14;
      ASSERT_EQ(out[(y * 30 + x) * 3 + 1], in ? 200.f : 33.f) << x << "," << y;
    }
  }
  // Entirely outside, far away and huge: all fill, and it must not walk the empty space.
  for (const auto& r : std::vector<std::array<float, 4>>{
           {100, 100, 5, 5}, {-50, -50, 10, 10}, {-1e9f, -1e9f, 1e7f, 1e7f}}) {
    out = resample(img, r[0], r[1], r[2], r[3], 8, 8, 255);
    for (float v : out) ASSERT_EQ(v, 255.f);
  }
  // A rect a billion times the image: mostly fill, the image's share is its area fraction.
  out = resample(img, -1e4f, -1e4f, 2e4f, 2e4f, 1, 1, 0);
  EXPECT_NEAR(out[0], 200.0 * 16 / 4e8, 1e-6);
}

TEST(Resample, AreaFilterAveragesACheckerboard) {
  Image img;
  img.w = 256, img.h = 256;
  img.rgb.resize(size_t(256) * 256 * 3);
  for (int y = 0; y < 256; ++y) {
    for (int x = 0; x < 256; ++x) {
      std::fill_n(&img.rgb[(size_t(y) * 256 + x) * 3], 3, uint8_t((x + y) % 2 ? 255 : 0));
    }
  }
  std::vector<float> out = resample(img, 0, 0, 256, 256, 32, 32);
  for (float v : out) ASSERT_NEAR(v, 127.5f, 1e-3f);
  // Non-integer scale: a box of side s covers whole checker pairs except along its edges, so the
  // mean is off by at most 127.5/s^2. Point sampling would give 0 or 255 here.
  const int n = 37;
  const double s = 256.0 / n;
  out = resample(img, 0, 0, 256, 256, n, n);
  for (float v : out) ASSERT_NEAR(v, 127.5, 127.5 / (s * s) + 0.01);
}

TEST(Resample, MatchesSlowReferenceOnRandomRects) {
  const Image img = random_image(53, 41, 3);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> ux(-30, 60), uy(-30, 50), uw(0.3f, 150), uh(0.3f, 120),
      ufill(0, 255);
  double worst = 0;
  for (int it = 0; it < 400; ++it) {
    const float x = ux(rng), y = uy(rng), w = uw(rng), h = uh(rng), fill = ufill(rng);
    const int ow = 1 + int(rng() % 40), oh = 1 + int(rng() % 40);
    const std::vector<float> out = resample(img, x, y, w, h, ow, oh, fill);
    for (int j = 0; j < oh; ++j) {
      for (int i = 0; i < ow; ++i) {
        const auto want = ref_pixel(img, x, y, w, h, ow, oh, fill, i, j);
        for (int c = 0; c < 3; ++c) {
          const double d = std::abs(out[(size_t(j) * ow + i) * 3 + c] - want[c]);
          worst = std::max(worst, d);
          ASSERT_LT(d, 0.02) << "rect " << x << "," << y << "," << w << "," << h << " -> " << ow
                             << "x" << oh << " at " << i << "," << j;
        }
      }
    }
  }
  RecordProperty("worst_abs_diff", std::to_string(worst));
}

// Border::kMirror must read exactly what the same rect reads from an explicitly mirror-padded
// copy of the image (numpy "symmetric" padding, which is how the classifier's training crops
// are cut), for area and bilinear scales, out to the mirror's reach.
TEST(Resample, MirrorBorderEqualsAPaddedImage) {
  for (const auto& wh : {std::pair<int, int>{53, 41}, {7, 5}, {1, 9}}) {
    const int W = wh.first, H = wh.second, P = 2 * std::max(W, H);
    const Image img = random_image(W, H, 5);
    Image pad;
    pad.w = W + 2 * P;
    pad.h = H + 2 * P;
    pad.rgb.resize(size_t(pad.w) * pad.h * 3);
    auto reflect = [](int k, int n) {  // symmetric: ... 1 0 | 0 1 ... n-1 | n-1 n-2 ...
      const int period = 2 * n, m = ((k % period) + period) % period;
      return m < n ? m : period - 1 - m;
    };
    for (int y = 0; y < pad.h; ++y)
      for (int x = 0; x < pad.w; ++x)
        for (int c = 0; c < 3; ++c)
          pad.rgb[(size_t(y) * pad.w + x) * 3 + c] =
              img.rgb[(size_t(reflect(y - P, H)) * W + reflect(x - P, W)) * 3 + c];
    std::mt19937 rng(17);
    for (int it = 0; it < 300; ++it) {
      // Rects that stay within the mirror's reach (2 sizes beyond each edge) on both axes.
      std::uniform_real_distribution<float> u01(0, 1);
      const float w = 0.5f + u01(rng) * 2.5f * W, h = 0.5f + u01(rng) * 2.5f * H;
      const float x = -2.f * W + u01(rng) * (5.f * W - w), y = -2.f * H + u01(rng) * (5.f * H - h);
      const int ow = 1 + int(rng() % 30), oh = 1 + int(rng() % 30);
      std::vector<float> got(size_t(ow) * oh * 3), want(got.size());
      dfs::resample_region(img, x, y, w, h, ow, oh, 99.f, got.data(), dfs::Border::kMirror);
      dfs::resample_region(pad, x + P, y + P, w, h, ow, oh, 99.f, want.data());
      for (size_t k = 0; k < got.size(); ++k)
        ASSERT_NEAR(got[k], want[k], 0.02) << W << "x" << H << " rect " << x << "," << y << "," << w
                                           << "," << h << " -> " << ow << "x" << oh;
    }
  }
  // Beyond the reach the fill comes back, and fill mode is unchanged by the new parameter.
  const Image img = random_image(4, 4, 9);
  std::vector<float> far(3);
  dfs::resample_region(img, 100, 100, 1, 1, 1, 1, 42.f, far.data(), dfs::Border::kMirror);
  EXPECT_EQ(far[0], 42.f);
  EXPECT_EQ(far[2], 42.f);
}

// The detector's tiles are windows of one whole-photo downscale (src/pipeline/detect.cc): that
// is only right if a window of the downscale equals resampling the tile itself, for tile origins
// on the grid of 10 source pixels (640 -> 192), the last ones running up to 9 px past the edge.
TEST(Resample, TileIsAWindowOfTheWholeDownscale) {
  const Image img = random_image(1301, 917, 21);
  const double s = 640.0 / 192;
  const int dw = int(std::lround(670 / s)) + 192, dh = int(std::lround(280 / s)) + 192;
  std::vector<float> down(size_t(dw) * dh * 3);
  dfs::resample_region(img, 0, 0, float(dw * s), float(dh * s), dw, dh, 0.f, down.data());
  for (auto o :
       {std::pair<int, int>{0, 0}, {480, 0}, {650, 270}, {480, 270}, {670, 280}, {670, 0}}) {
    const std::vector<float> t = resample(img, float(o.first), float(o.second), 640, 640, 192, 192);
    const size_t col = size_t(std::lround(o.first / s)), row = size_t(std::lround(o.second / s));
    double worst = 0;
    for (int y = 0; y < 192; y++)
      for (int x = 0; x < 192 * 3; x++)
        worst = std::max(
            worst, double(std::abs(t[size_t(y) * 576 + x] - down[((row + y) * dw + col) * 3 + x])));
    EXPECT_LT(worst, 1e-3) << "tile at " << o.first << "," << o.second;
  }
}

TEST(Resample, OnePixelAndStripImages) {
  Image one;
  one.w = one.h = 1;
  one.rgb = {9, 99, 199};
  std::vector<float> out = resample(one, 0, 0, 1, 1, 5, 5);
  for (int k = 0; k < 25; ++k) {
    EXPECT_FLOAT_EQ(out[k * 3], 9);
    EXPECT_FLOAT_EQ(out[k * 3 + 2], 199);
  }
  const Image strip = random_image(1, 40, 4);
  out = resample(strip, 0, 0, 1, 40, 3, 10);  // x bilinear from 1 pixel, y area 4:1
  for (int j = 0; j < 10; ++j) {
    const auto want = ref_pixel(strip, 0, 0, 1, 40, 3, 10, 0, 1, j);
    EXPECT_NEAR(out[(j * 3 + 1) * 3], want[0], 1e-3);
  }
}

TEST(Resample, RejectsBadArguments) {
  const Image img = random_image(4, 4, 5);
  float out[3 * 16];
  auto code = [&](const Image& im, float x, float y, float w, float h, int ow, int oh, float fill,
                  float* o) {
    return error_of([&] { dfs::resample_region(im, x, y, w, h, ow, oh, fill, o); }).code;
  };
  EXPECT_EQ(code(Image(), 0, 0, 1, 1, 1, 1, 0, out), Code::kInvalidArgument);
  Image broken = img;
  broken.rgb.pop_back();
  EXPECT_EQ(code(broken, 0, 0, 1, 1, 1, 1, 0, out), Code::kInvalidArgument);
  EXPECT_EQ(code(img, 0, 0, 4, 4, 0, 4, 0, out), Code::kInvalidArgument);
  EXPECT_EQ(code(img, 0, 0, 4, 4, 4, -1, 0, out), Code::kInvalidArgument);
  EXPECT_EQ(code(img, 0, 0, 0, 4, 4, 4, 0, out), Code::kInvalidArgument);
  EXPECT_EQ(code(img, 0, 0, 4, -4, 4, 4, 0, out), Code::kInvalidArgument);
  EXPECT_EQ(code(img, NAN, 0, 4, 4, 4, 4, 0, out), Code::kInvalidArgument);
  EXPECT_EQ(code(img, 0, 0, INFINITY, 4, 4, 4, 0, out), Code::kInvalidArgument);
  EXPECT_EQ(code(img, 0, 0, 4, 4, 4, 4, 256, out), Code::kInvalidArgument);
  EXPECT_EQ(code(img, 0, 0, 4, 4, 4, 4, -1, out), Code::kInvalidArgument);
  EXPECT_EQ(code(img, 0, 0, 4, 4, 4, 4, 0, nullptr), Code::kInvalidArgument);
  EXPECT_EQ(code(img, 0, 0, 4, 4, 4, 4, 0, out), Code::kOk);
}

// The pipeline's two real uses on a 12 MP photo: letterbox to 192 and a small face crop to 224.
TEST(Resample, LargePhotoLetterboxAndFaceCrop) {
  const Image img = random_image(4000, 3000, 6);
  std::mt19937 rng(8);
  struct Use {
    float x, y, w, h;
    int o;
  };
  for (const Use& u : {Use{0, -500, 4000, 4000, 192}, Use{1234.5f, 777.25f, 60, 60, 224}}) {
    std::vector<float> out(size_t(u.o) * u.o * 3);
    const int reps = 5;
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) {
      dfs::resample_region(img, u.x, u.y, u.w, u.h, u.o, u.o, 0, out.data());
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
        reps;
    std::printf("[ timing ] resample 4000x3000 rect %gx%g -> %dx%d: %.2f ms\n", u.w, u.h, u.o, u.o,
                ms);
    for (int k = 0; k < 200; ++k) {
      const int i = int(rng() % u.o), j = int(rng() % u.o);
      const auto want = ref_pixel(img, u.x, u.y, u.w, u.h, u.o, u.o, 0, i, j);
      for (int c = 0; c < 3; ++c) ASSERT_NEAR(out[(size_t(j) * u.o + i) * 3 + c], want[c], 0.02);
    }
  }
}

// ---------------------------------------------------------------- shared test photos

TEST(DecodeImage, SharedTestdataPhotos) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(DFS_SOURCE_DIR "/../shared/testdata");
  if (!fs::is_directory(root)) GTEST_SKIP() << "no " << root << " (shared test photos absent)";
  int decoded = 0;
  double total_ms = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::string ext = entry.path().extension().string();
    for (char& ch : ext) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (ext != ".jpg" && ext != ".jpeg" && ext != ".png" && ext != ".bmp" && ext != ".gif") {
      continue;
    }
    std::ifstream f(entry.path(), std::ios::binary);
    const Bytes b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto t0 = std::chrono::steady_clock::now();
    try {
      const Image img = decode(b);
      EXPECT_GT(img.w, 0);
      EXPECT_GT(img.h, 0);
      EXPECT_EQ(img.rgb.size(), size_t(img.w) * img.h * 3);
      ++decoded;
    } catch (const dfs::Error& e) {
      ADD_FAILURE() << entry.path() << ": " << dfs::code_name(e.code) << ": " << e.message;
    }
    total_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  EXPECT_GT(decoded, 0);
  std::printf("[ timing ] decoded %d shared photos, %.2f ms each on average\n", decoded,
              decoded ? total_ms / decoded : 0.0);
}

}  // namespace
