// Hostile input through the whole native pipeline: every bad image or model file is a dfs::Error
// with the right code, the same Checker keeps working after each, limits are enforced before work,
// and every saved fuzz crash (tests/corpus/regressions/) replays cleanly.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <dirent.h>
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../fuzz/fuzz_targets.h"
#include "core/crc32.h"
#include "core/json.h"
#include "core/status.h"
#include "models/blazeface.h"
#include "models/efficientnet.h"
#include "models/weights.h"
#include "pipeline/checker.h"
#include "test_util.h"

using dfs::Code;

// Under the sanitizer build (tools/test.sh), the one known stb_image report that the saved fuzz
// inputs replay is suppressed exactly as in the fuzz runs (see the file for why it is benign).
extern "C" const char* __ubsan_default_options() {
  return "suppressions=" DFS_SOURCE_DIR "/tests/fuzz/ubsan.supp";
}

namespace {

using Bytes = std::vector<uint8_t>;
using dfs_test::edit_header;
using dfs_test::fix_crc;
using dfs_test::le32;
using dfs_test::put_le32;

void append(void* ctx, void* data, int size) {
  auto* out = static_cast<Bytes*>(ctx);
  out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

// Pixels with structure in both directions so encoders produce real entropy-coded data.
std::vector<uint8_t> pattern(int w, int h, int comp) {
  std::vector<uint8_t> px(size_t(w) * h * comp);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < comp; c++)
        px[(size_t(y) * w + x) * comp + c] = uint8_t(x * 7 + y * 13 + c * 85 + (x * y >> 2));
  return px;
}

Bytes jpg(int w, int h, int comp = 3) {
  Bytes out;
  auto px = pattern(w, h, comp);
  EXPECT_TRUE(stbi_write_jpg_to_func(append, &out, w, h, comp, px.data(), 90));
  return out;
}
Bytes png(int w, int h, int comp = 3) {
  Bytes out;
  auto px = pattern(w, h, comp);
  EXPECT_TRUE(stbi_write_png_to_func(append, &out, w, h, comp, px.data(), w * comp));
  return out;
}
Bytes bmp(int w, int h) {
  Bytes out;
  auto px = pattern(w, h, 3);
  EXPECT_TRUE(stbi_write_bmp_to_func(append, &out, w, h, 3, px.data()));
  return out;
}

void put_be32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; i++) b[at + i] = uint8_t(v >> (24 - 8 * i));
}

// Recomputes the IHDR chunk's CRC after its fields were edited.
void fix_png_ihdr_crc(Bytes& p) { put_be32(p, 29, dfs::crc32_ieee(p.data() + 12, 17)); }

// Offset of the first JPEG segment with this marker (at its 0xFF), or npos.
size_t find_segment(const Bytes& j, uint8_t marker) {
  size_t p = 2;
  while (p + 4 <= j.size() && j[p] == 0xFF) {
    if (j[p + 1] == marker) return p;
    p += 2 + (size_t(j[p + 2]) << 8 | j[p + 3]);
  }
  return std::string::npos;
}

// The shared checker: shipped detectors, loaded once for the whole file.
dfs::Checker& checker() { return *dfs_fuzz::pipeline_checker(DFS_SOURCE_DIR); }

// What "still works" means after an error: a face photo from ../shared when present (one face),
// else a generated image without a face (no faces, and the size right).
void expect_still_works(const std::string& after) {
  dfs::CheckOptions opt;
  static const std::string face = dfs_test::shared_path("testdata/lfw-real/real-0000.jpg");
  if (dfs_test::file_exists(face)) {
    Bytes b = dfs_test::read_file(face);
    auto r = checker().check_encoded(b.data(), b.size(), opt);
    EXPECT_EQ(r.faces.size(), 1u) << "after " << after;
  } else {
    static const Bytes plain = png(96, 64);
    auto r = checker().check_encoded(plain.data(), plain.size(), opt);
    EXPECT_EQ(r.width, 96) << "after " << after;
    EXPECT_TRUE(r.faces.empty()) << "after " << after;
  }
}

// Checks `bytes`, returns the error code (kOk when it succeeded), counts it and proves reuse.
Code check_code(const Bytes& bytes, const std::string& what, dfs::CheckOptions opt = {},
                std::map<std::string, int>* tally = nullptr) {
  Code code = Code::kOk;
  try {
    auto r = checker().check_encoded(bytes.data(), bytes.size(), opt);
    dfs_fuzz::check_result(r, opt);
  } catch (const dfs::Error& e) {
    EXPECT_FALSE(e.message.empty()) << what;
    code = e.code;
  }
  if (tally) (*tally)[dfs::code_name(code)]++;
  return code;
}

std::string tally_str(const std::map<std::string, int>& t) {
  std::string s;
  for (auto& kv : t) s += kv.first + "=" + std::to_string(kv.second) + " ";
  return s;
}

bool image_code(Code c) {
  return c == Code::kOk || c == Code::kEmptyInput || c == Code::kUnsupportedFormat ||
         c == Code::kCorruptImage || c == Code::kImageTooLarge;
}

}  // namespace

TEST(Hostile, EachBadImageHasItsCodeAndTheCheckerStillWorks) {
  const Bytes good_jpg = jpg(48, 40), good_png = png(33, 17);
  struct Case {
    std::string name;
    Bytes bytes;
    Code want;
  };
  std::vector<Case> cases;
  cases.push_back({"empty", {}, Code::kEmptyInput});
  cases.push_back({"text", Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'i', 'm', 'a', 'g', 'e'},
                   Code::kUnsupportedFormat});
  cases.push_back({"JPEG SOI only", Bytes{0xFF, 0xD8, 0xFF}, Code::kCorruptImage});
  const Bytes one = png(1, 1);
  cases.push_back({"PNG signature only", Bytes(one.begin(), one.begin() + 8), Code::kCorruptImage});
  cases.push_back(
      {"GIF header only", Bytes{'G', 'I', 'F', '8', '9', 'a', 1, 0}, Code::kCorruptImage});

  // Huffman table whose 16 counts add up to more than 256 codes (stb overflows on it).
  Bytes dht = good_jpg;
  size_t at = find_segment(dht, 0xC4);
  ASSERT_NE(at, std::string::npos);
  for (int i = 0; i < 16; i++) dht[at + 5 + i] = 0xFF;
  cases.push_back({"Huffman table with 4080 codes", dht, Code::kCorruptImage});

  // Headers that claim a decompression bomb: refused from the header, nothing allocated.
  Bytes bomb_png = good_png;
  put_be32(bomb_png, 16, 100000);
  put_be32(bomb_png, 20, 100000);
  cases.push_back({"PNG header 100000x100000", bomb_png, Code::kImageTooLarge});
  Bytes bomb_jpg = good_jpg;
  at = find_segment(bomb_jpg, 0xC0);
  ASSERT_NE(at, std::string::npos);
  bomb_jpg[at + 5] = 0xFD, bomb_jpg[at + 6] = 0xE8;  // height 65000
  bomb_jpg[at + 7] = 0xFD, bomb_jpg[at + 8] = 0xE8;  // width 65000
  cases.push_back({"JPEG frame 65000x65000", bomb_jpg, Code::kImageTooLarge});
  Bytes bomb_bmp = bmp(4, 4);
  put_le32(bomb_bmp, 18, 100000);
  put_le32(bomb_bmp, 22, 100000);
  cases.push_back({"BMP header 100000x100000", bomb_bmp, Code::kImageTooLarge});
  Bytes bomb_gif{'G', 'I', 'F', '8',  '9',  'a',  0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, ',', 0,
                 0,   0,   0,   0xFF, 0xFF, 0xFF, 0xFF, 0,    2,    2,    4, 1, 0, ';'};
  cases.push_back({"GIF 65535x65535", bomb_gif, Code::kImageTooLarge});

  // A critical PNG chunk whose CRC is wrong (stb ignores CRCs; browsers refuse such files).
  Bytes crc = good_png;
  ASSERT_EQ(std::string(crc.begin() + 37, crc.begin() + 41), "IDAT");
  const size_t idat_len = size_t(crc[33]) << 24 | crc[34] << 16 | crc[35] << 8 | crc[36];
  crc[41 + idat_len] ^= 1;
  cases.push_back({"PNG IDAT with a bad CRC", crc, Code::kCorruptImage});

  for (const auto& c : cases) {
    EXPECT_EQ(dfs::code_name(check_code(c.bytes, c.name)), std::string(dfs::code_name(c.want)))
        << c.name;
    expect_still_works(c.name);
  }
}

TEST(Hostile, PastTheDecodersCeilingIsTooLargeNotCorrupt) {
  // With the caller's limits raised, 30000x30000 passes our checks but not stb's own size
  // ceiling (2^30 bytes for PNG, INT_MAX for JPEG): that is "too large", decided from the header.
  dfs::CheckOptions opt;
  opt.limits.max_pixels = 2'000'000'000;
  Bytes p = png(4, 4);
  put_be32(p, 16, 30000);
  put_be32(p, 20, 30000);
  EXPECT_EQ(dfs::code_name(check_code(p, "PNG 30000x30000", opt)), std::string("IMAGE_TOO_LARGE"));
  Bytes j = jpg(8, 8);
  const size_t at = find_segment(j, 0xC0);
  ASSERT_NE(at, std::string::npos);
  j[at + 5] = 0x75, j[at + 6] = 0x30, j[at + 7] = 0x75, j[at + 8] = 0x30;  // 30000 x 30000
  EXPECT_EQ(dfs::code_name(check_code(j, "JPEG 30000x30000", opt)), std::string("IMAGE_TOO_LARGE"));
  expect_still_works("30000x30000 headers");
}

// A file far too small for the size its header declares is refused from the header, before
// the decoder allocates the pixels (a 634-byte JPEG declaring 10000x10000 used to pin ~1 GB).
// Truncated BMP rows are corrupt, not silently black. Many scans and arithmetic coding are
// refused by the JPEG pre-check with their own words.
TEST(Hostile, DeclaredSizeNeedsTheBytesAndScansAreBounded) {
  auto code_and_message = [](const Bytes& b) -> std::pair<Code, std::string> {
    try {
      checker().check_encoded(b.data(), b.size(), {});
    } catch (const dfs::Error& e) { return {e.code, e.message}; }
    return {Code::kOk, ""};
  };
  Bytes j = jpg(16, 16);
  const size_t sof = find_segment(j, 0xC0);
  ASSERT_NE(sof, std::string::npos);
  j[sof + 5] = 0x27, j[sof + 6] = 0x10, j[sof + 7] = 0x27, j[sof + 8] = 0x10;  // 10000 x 10000
  auto r = code_and_message(j);
  EXPECT_EQ(r.first, Code::kCorruptImage);
  EXPECT_NE(r.second.find("fewer than any encoding"), std::string::npos) << r.second;

  Bytes p = png(4, 4);
  put_be32(p, 16, 10000);
  put_be32(p, 20, 10000);
  fix_png_ihdr_crc(p);
  r = code_and_message(p);
  EXPECT_EQ(r.first, Code::kCorruptImage) << r.second;
  EXPECT_NE(r.second.find("fewer than any encoding"), std::string::npos) << r.second;

  // GIF: logical screen 10000x10000 in 35 bytes.
  const uint8_t gif[] = {'G', 'I', 'F', '8', '9', 'a', 0x10, 0x27, 0x10, 0x27, 0x80, 0,
                         0,   0,   0,   0,   255, 255, 255,  0x2C, 0,    0,    0,    0,
                         1,   0,   1,   0,   0,   2,   2,    0x44, 0x01, 0,    0x3B};
  r = code_and_message(Bytes(gif, gif + sizeof gif));
  EXPECT_EQ(r.first, Code::kCorruptImage) << r.second;

  Bytes b = bmp(32, 32);
  Bytes cut(b.begin(), b.end() - 100);
  r = code_and_message(cut);
  EXPECT_EQ(r.first, Code::kCorruptImage);
  EXPECT_NE(r.second.find("BMP pixel data is cut short"), std::string::npos) << r.second;
  EXPECT_EQ(code_and_message(b).first, Code::kOk);

  // Scans past the bound: the first scan repeated (its header and data) 200 times.
  Bytes base = jpg(16, 16);
  const size_t sos = find_segment(base, 0xDA);
  ASSERT_NE(sos, std::string::npos);
  const Bytes scan(base.begin() + sos, base.end() - 2);  // SOS .. before EOI
  Bytes many(base.begin(), base.begin() + sos);
  for (int i = 0; i < 200; i++) many.insert(many.end(), scan.begin(), scan.end());
  many.push_back(0xFF);
  many.push_back(0xD9);
  r = code_and_message(many);
  EXPECT_EQ(r.first, Code::kCorruptImage);
  EXPECT_NE(r.second.find("more than 150 scans"), std::string::npos) << r.second;

  Bytes arith = jpg(16, 16);
  arith[sof + 1] = 0xC9;  // SOF9: arithmetic coding
  r = code_and_message(arith);
  EXPECT_EQ(r.first, Code::kUnsupportedFormat);
  EXPECT_NE(r.second.find("arithmetic-coded"), std::string::npos) << r.second;
  expect_still_works("declared sizes and scans");
}

TEST(Hostile, TruncationAtEveryOffsetAndByteFlipsNeverCrash) {
  std::map<std::string, int> tally;
  for (const Bytes& good : {jpg(40, 24), jpg(21, 13, 1), png(23, 11, 4), bmp(9, 7)}) {
    for (size_t cut = 0; cut < good.size(); cut++) {
      Code c = check_code(Bytes(good.begin(), good.begin() + cut), "truncated", {}, &tally);
      EXPECT_TRUE(image_code(c)) << "cut at " << cut << ": " << dfs::code_name(c);
    }
    std::mt19937 rng(uint32_t(good.size()));
    for (int i = 0; i < 150; i++) {
      Bytes b = good;
      for (int k = 0; k < 1 + i % 4; k++) b[rng() % b.size()] ^= uint8_t(1 + rng() % 255);
      Code c = check_code(b, "flipped", {}, &tally);
      EXPECT_TRUE(image_code(c)) << dfs::code_name(c);
    }
  }
  expect_still_works("truncations and flips");
  std::printf("[hostile] truncations+flips: %s\n", tally_str(tally).c_str());
}

TEST(Hostile, RandomBytesWithAndWithoutImageSignatures) {
  std::map<std::string, int> tally;
  std::mt19937 rng(7);
  const std::vector<Bytes> prefixes = {{},
                                       {0xFF, 0xD8, 0xFF},
                                       {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'},
                                       {'G', 'I', 'F', '8', '9', 'a'},
                                       {'B', 'M'}};
  for (int i = 0; i < 600; i++) {
    Bytes b = prefixes[i % prefixes.size()];
    const size_t n = rng() % 600;
    for (size_t k = 0; k < n; k++) b.push_back(uint8_t(rng()));
    Code c = check_code(b, "random", {}, &tally);
    EXPECT_TRUE(image_code(c)) << dfs::code_name(c);
  }
  expect_still_works("random bytes");
  std::printf("[hostile] random bytes: %s\n", tally_str(tally).c_str());
}

TEST(Hostile, DegenerateButValidImagesAreChecked) {
  struct Case {
    Bytes bytes;
    int w, h;
  };
  for (const Case& c : {Case{png(1, 1), 1, 1}, Case{png(1, 57), 1, 57}, Case{png(57, 1, 1), 57, 1},
                        Case{jpg(1, 1), 1, 1}, Case{jpg(1, 33), 1, 33}, Case{jpg(33, 1, 1), 33, 1},
                        Case{bmp(1, 5), 1, 5}}) {
    auto r = checker().check_encoded(c.bytes.data(), c.bytes.size(), {});
    EXPECT_EQ(r.width, c.w);
    EXPECT_EQ(r.height, c.h);
    EXPECT_TRUE(r.faces.empty());
  }
  // Every fixture the decoder's own tests use (16-bit, palette, CMYK, progressive, animated GIF,
  // EXIF orientations), when they are present, through the whole pipeline.
  const std::string dir = dfs_test::repo_path("tests/fixtures/image");
  DIR* d = opendir(dir.c_str());
  if (!d) GTEST_SKIP() << "tests/fixtures/image is absent";
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string name = e->d_name;
    Bytes b = dfs_test::read_file(dir + "/" + name);
    // bomb.* fixtures are decompression bombs by design (a small image whose compressed stream
    // inflates far past what its size needs: refused as corrupt or too large, never decoded);
    // everything else is a valid image.
    const bool bomb = name.rfind("bomb", 0) == 0;
    try {
      auto r = checker().check_encoded(b.data(), b.size(), {});
      EXPECT_FALSE(bomb) << name << " was decoded";
      EXPECT_GT(r.width, 0) << name;
    } catch (const dfs::Error& err) {
      EXPECT_TRUE(bomb && (err.code == Code::kImageTooLarge || err.code == Code::kCorruptImage))
          << name << ": " << dfs::code_name(err.code) << " " << err.message;
    }
    n++;
  }
  closedir(d);
  EXPECT_GT(n, 0);
}

TEST(Hostile, LimitsAreCheckedBeforeWork) {
  const Bytes b = png(64, 48);
  dfs::CheckOptions opt;
  opt.limits.max_pixels = 64 * 48 - 1;
  EXPECT_EQ(check_code(b, "max_pixels", opt), Code::kImageTooLarge);
  opt.limits.max_pixels = 64 * 48;
  EXPECT_EQ(check_code(b, "max_pixels exact", opt), Code::kOk);
  opt = {};
  opt.limits.max_bytes = b.size() - 1;
  EXPECT_EQ(check_code(b, "max_bytes", opt), Code::kImageTooLarge);
  opt.limits.max_bytes = b.size();
  EXPECT_EQ(check_code(b, "max_bytes exact", opt), Code::kOk);
  opt = {};
  opt.limits.max_side = 63;
  EXPECT_EQ(check_code(b, "max_side", opt), Code::kImageTooLarge);

  // A real zlib bomb: 4000x4000 zero pixels compress over 100:1; the default limit lets the
  // header through, a tight one stops it before a byte of it is inflated.
  std::vector<uint8_t> zeros(size_t(4000) * 4000, 0);
  Bytes bomb;
  ASSERT_TRUE(stbi_write_png_to_func(append, &bomb, 4000, 4000, 1, zeros.data(), 4000));
  EXPECT_LT(bomb.size(), zeros.size() / 100);
  zeros = {};
  opt = {};
  opt.limits.max_pixels = 1000000;
  EXPECT_EQ(check_code(bomb, "zlib bomb", opt), Code::kImageTooLarge);

  // Pixels from a canvas get the same limits.
  std::vector<uint8_t> rgba(size_t(64) * 48 * 4, 50);
  opt = {};
  opt.limits.max_pixels = 1000;
  EXPECT_THROW(checker().check_rgba(rgba.data(), 64, 48, 64 * 4, opt), dfs::Error);
  expect_still_works("limits");
}

TEST(Hostile, MaxFacesCapsTheResult) {
  // The committed public-domain portrait, plus two ../shared portraits when they are there.
  std::vector<std::string> photos = {dfs_test::repo_path("tests/fixtures/faces/astronaut.jpg")};
  for (const char* rel : {"testdata/lfw-real/real-0000.jpg", "testdata/lfw-real/real-0001.jpg"})
    if (dfs_test::file_exists(dfs_test::shared_path(rel)))
      photos.push_back(dfs_test::shared_path(rel));
  for (const auto& p : photos) {
    Bytes b = dfs_test::read_file(p);
    dfs::CheckOptions opt;
    opt.detect.max_faces = 1;
    opt.detect.min_score = 0.05f;  // a low threshold makes more candidates than the cap
    auto r = checker().check_encoded(b.data(), b.size(), opt);
    EXPECT_EQ(r.faces.size(), 1u) << p;
  }
}

// ---- model files
// ---------------------------------------------------------------------------------
namespace {

Bytes shipped(const char* kind) {
  return dfs_test::read_file(dfs_test::repo_path(std::string("models/blazeface_") + kind + ".dfs"));
}

// Loads into a fresh checker (models replace each other by role) and returns the code.
Code load_code(const Bytes& b) {
  dfs::Checker c;
  try {
    c.load_model(b.data(), b.size());
  } catch (const dfs::Error& e) {
    EXPECT_FALSE(e.message.empty());
    return e.code;
  }
  return Code::kOk;
}

}  // namespace

// Weights that are NaN or infinite are refused at load, for f32 (full-range detector) and the
// classifier's f16 + int8 storage alike: all data bytes 0xFF is NaN in f32 and f16 (int8 0xFF is
// -1, but its f32 per-channel scales are NaN).
TEST(Hostile, NonFiniteWeightsAreBadModel) {
  for (const char* f : {"models/blazeface_full.dfs", "models/classifier.dfs"}) {
    Bytes b = dfs_test::read_file(dfs_test::repo_path(f));
    ASSERT_GT(b.size(), 1000u);
    const size_t data_start = (16 + le32(b, 12) + 63) / 64 * 64;
    for (size_t i = data_start; i + 4 < b.size(); i++) b[i] = 0xFF;
    fix_crc(b);
    try {
      dfs::WeightsFile wf = dfs::WeightsFile::parse(b.data(), b.size());
      dfs::Checker c;
      c.load_model(b.data(), b.size());
      FAIL() << f << ": NaN weights accepted";
    } catch (const dfs::Error& e) {
      EXPECT_EQ(e.code, Code::kBadModel) << f;
      EXPECT_NE(e.message.find("NaN"), std::string::npos) << f << ": " << e.message;
    }
  }
}

// A valid model offered for the wrong role is refused, and the models already loaded stay.
TEST(Hostile, ModelOfferedForTheWrongRoleIsBadModel) {
  using Role = dfs::Checker::Role;
  const Bytes det = shipped("short");
  dfs::Checker c;
  c.load_model(det.data(), det.size(), Role::kDetectorShort);
  ASSERT_TRUE(c.has_detector());
  for (Role r : {Role::kClassifier}) {
    try {
      c.load_model(det.data(), det.size(), r);
      FAIL() << "a detector was accepted as the classifier";
    } catch (const dfs::Error& e) {
      EXPECT_EQ(e.code, Code::kBadModel);
      EXPECT_NE(e.message.find("classifier"), std::string::npos) << e.message;
    }
  }
  EXPECT_TRUE(c.has_detector());
  EXPECT_FALSE(c.has_classifier());
  const Bytes clf = dfs_test::read_file(dfs_test::repo_path("models/classifier.dfs"));
  for (Role r : {Role::kDetectorShort, Role::kDetectorFull}) {
    try {
      c.load_model(clf.data(), clf.size(), r);
      FAIL() << "a classifier was accepted as a detector";
    } catch (const dfs::Error& e) { EXPECT_EQ(e.code, Code::kBadModel); }
  }
  c.load_model(clf.data(), clf.size(), Role::kClassifier);
  EXPECT_TRUE(c.has_classifier());
}

TEST(Hostile, LyingModelFilesAreBadModel) {
  const Bytes good = shipped("short");
  ASSERT_GT(good.size(), 1000u);
  ASSERT_EQ(load_code(good), Code::kOk);
  const std::string json(good.begin() + 16, good.begin() + 16 + le32(good, 12));

  EXPECT_EQ(load_code({}), Code::kEmptyInput);
  for (size_t cut :
       {size_t(4), size_t(19), size_t(20), size_t(64), good.size() / 2, good.size() - 1}) {
    EXPECT_EQ(load_code(Bytes(good.begin(), good.begin() + cut)), Code::kBadModel)
        << "truncated to " << cut;
  }
  Bytes b = good;
  b[b.size() / 2] ^= 1;
  EXPECT_EQ(load_code(b), Code::kBadModel) << "bad checksum";
  b = good;
  b[0] = 'X';
  EXPECT_EQ(load_code(b), Code::kBadModel) << "wrong magic";
  b = good;
  put_le32(b, 8, 2);
  fix_crc(b);
  EXPECT_EQ(load_code(b), Code::kBadModel) << "version 2";
  b = good;
  put_le32(b, 12, uint32_t(good.size()));
  fix_crc(b);
  EXPECT_EQ(load_code(b), Code::kBadModel) << "json_len past the end";
  b = good;
  put_le32(b, 12, 0xFFFFFFF0u);
  fix_crc(b);
  EXPECT_EQ(load_code(b), Code::kBadModel) << "json_len near 4 GiB";

  // Tensor table lies, each with a valid CRC so the offset/size checks themselves run.
  const std::string first = "\"offset\":0,";
  ASSERT_NE(json.find(first), std::string::npos);
  const std::vector<std::pair<std::string, std::string>> lies = {
      {first, "\"offset\":9e9,"},                         // offset beyond the data
      {first, "\"offset\":-64,"},                         // negative offset
      {first, "\"offset\":0.5,"},                         // non-integral offset
      {first, "\"offset\":18446744073709551615,"},        // 2^64-1: wraps if added unchecked
      {"\"nbytes\":", "\"nbytes\":1"},                    // size disagrees with the shape
      {"\"shape\":[", "\"shape\":[0,"},                   // zero dimension
      {"\"shape\":[", "\"shape\":[16777216,16777216,"},   // product overflows
      {"\"dtype\":\"f", "\"dtype\":\"x"},                 // unknown dtype
      {"\"kind\":\"blazeface\"", "\"kind\":\"resnet\""},  // unknown model kind
      {"\"tensors\":[", "\"tensors\":7,\"x\":["},         // tensor table of the wrong type
      {"{", "["},                                         // header not an object
  };
  for (const auto& l : lies) {
    EXPECT_EQ(load_code(edit_header(good, l.first, l.second)), Code::kBadModel) << l.second;
  }
  // The last tensor's data running past the end: found by moving its offset to the end.
  const size_t data_len = good.size() - 4 - (16 + json.size() + 63) / 64 * 64;
  const size_t last = json.rfind("\"offset\":");
  const size_t last_end = json.find(',', last);
  Bytes past = edit_header(good, json.substr(last, last_end - last),
                           "\"offset\":" + std::to_string(data_len));
  EXPECT_EQ(load_code(past), Code::kBadModel) << "last tensor runs past the end";
  // A graph activation whose shape does not fit the op that writes it.
  EXPECT_EQ(load_code(edit_header(good, "\"t3\":[64,64,24]", "\"t3\":[64,64,4096]")),
            Code::kBadModel);

  // None of this disturbed the shared checker.
  expect_still_works("bad model files");
}

// A conv whose receptive field (k*k*cin) is past what f32_conv's im2col chunk holds was a stack
// overflow in release builds (the kernel only asserted). Now the loader names the op.
TEST(Hostile, ConvPastTheKernelLimitIsBadModel) {
  const Bytes full = shipped("full");
  const std::string op39 =
      "{\"op\":\"conv1x1\",\"in\":\"t122\",\"out\":\"t125\",\"w\":\"conv2d_15.w\","
      "\"b\":\"conv2d_15.b\",\"k\":1,\"stride\":1,\"pad\":[0,0]";
  const std::string as_conv7 =  // 7 x 7 x 128 = 6272 taps > 6144
      "{\"op\":\"conv\",\"in\":\"t122\",\"out\":\"t125\",\"w\":\"conv2d_15.w\","
      "\"b\":\"conv2d_15.b\",\"k\":7,\"stride\":1,\"pad\":[3,3]";
  const Bytes bad = edit_header(full, op39, as_conv7);
  dfs_test::expect_bad_model(
      [&] {
        dfs::Checker c;
        c.load_model(bad.data(), bad.size());
      },
      "op 39 (conv): conv receptive field k*k*cin = 6272 exceeds the kernel limit 6144");
  // At 5 x 5 x 128 = 3200 taps the same edit passes this check and fails on the weights' shape.
  const std::string as_conv5 =
      "{\"op\":\"conv\",\"in\":\"t122\",\"out\":\"t125\",\"w\":\"conv2d_15.w\","
      "\"b\":\"conv2d_15.b\",\"k\":5,\"stride\":1,\"pad\":[2,2]";
  const Bytes shape_lie = edit_header(full, op39, as_conv5);
  dfs_test::expect_bad_model(
      [&] {
        dfs::Checker c;
        c.load_model(shape_lie.data(), shape_lie.size());
      },
      "conv2d_15.w");
  expect_still_works("conv past the kernel limit");
}

// Every kernel limit of every op kind, from the list the wasm test reads too
// (tests/fixtures/model_limits.json): BAD_MODEL naming the op at load, in the reference and the
// optimized kernel tables alike, and the checker already loaded is untouched.
TEST(Hostile, EachKernelLimitIsBadModelAtLoad) {
  const Bytes list = dfs_test::read_file(dfs_test::repo_path("tests/fixtures/model_limits.json"));
  const dfs::Json cases =
      dfs::Json::parse(reinterpret_cast<const char*>(list.data()), list.size())["cases"];
  ASSERT_GE(cases.size(), 20u);
  std::map<std::string, int> per_model;
  for (size_t i = 0; i < cases.size(); i++) {
    const dfs::Json& c = cases[i];
    const std::string& model = c["model"].str();
    const Bytes good = dfs_test::read_file(dfs_test::repo_path("models/" + model + ".dfs"));
    const Bytes bad = edit_header(good, c["find"].str(), c["replace"].str());
    ASSERT_NE(bad, good) << c["limit"].str() << ": the edit found nothing to change";
    for (bool reference : {false, true}) {
      SCOPED_TRACE(c["limit"].str() + (reference ? " (reference kernels)" : ""));
      dfs_test::expect_bad_model(
          [&] {
            const auto wf = dfs::WeightsFile::parse(bad.data(), bad.size());
            if (wf.kind() == "efficientnet")
              dfs::EfficientNet net(wf, reference);
            else
              dfs::BlazeFace net(wf, reference);
          },
          c["expect"].str());
    }
    {  // and through the product's entry point
      SCOPED_TRACE(c["limit"].str() + " (Checker::load_model)");
      dfs_test::expect_bad_model(
          [&] {
            dfs::Checker ck;
            ck.load_model(bad.data(), bad.size());
          },
          c["expect"].str());
    }
    per_model[model]++;
  }
  EXPECT_GE(per_model["blazeface_short"] + per_model["blazeface_full"], 15);
  EXPECT_GE(per_model["classifier"], 8);
  expect_still_works("each kernel limit");
}

TEST(Hostile, RandomModelMutationsNeverCrash) {
  const Bytes good = shipped("short");
  const uint32_t json_len = le32(good, 12);
  std::map<std::string, int> tally;
  std::mt19937 rng(11);
  for (int i = 0; i < 300; i++) {
    Bytes b = good;
    // Mostly inside the JSON header (that is where offsets and shapes live), CRC fixed after.
    for (int k = 0; k < 1 + i % 3; k++) b[16 + rng() % json_len] = uint8_t(rng());
    fix_crc(b);
    Code c = load_code(b);
    tally[dfs::code_name(c)]++;
    EXPECT_TRUE(c == Code::kOk || c == Code::kBadModel) << dfs::code_name(c);
  }
  std::printf("[hostile] header mutations: %s\n", tally_str(tally).c_str());
}

// ---- saved fuzz findings
// -------------------------------------------------------------------------
TEST(Hostile, FuzzRegressionsReplay) {
  int n = 0;
  for (const char* target : {"image", "weights", "pipeline"}) {
    const std::string dir = dfs_test::repo_path(std::string("tests/corpus/regressions/") + target);
    DIR* d = opendir(dir.c_str());
    if (!d) continue;
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.' && std::string(e->d_name) != "README.md") names.push_back(e->d_name);
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      SCOPED_TRACE(std::string(target) + "/" + name);
      Bytes b = dfs_test::read_file(dir + "/" + name);
      const std::string t = target;
      if (t == "image")
        dfs_fuzz::one_image(b.data(), b.size());
      else if (t == "weights")
        dfs_fuzz::one_weights(b.data(), b.size());
      else
        dfs_fuzz::one_pipeline(&checker(), b.data(), b.size());
      n++;
    }
  }
  std::printf("[hostile] replayed %d saved fuzz inputs\n", n);
  // The corpus is committed: replaying nothing means the path or the folder broke.
  EXPECT_GE(n, 2) << "no saved fuzz inputs were found under tests/corpus/regressions";
  expect_still_works("fuzz regressions");
}
