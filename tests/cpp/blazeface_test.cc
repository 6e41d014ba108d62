// BlazeFace: weights-file validation, anchors, decode/NMS, raw outputs vs the PyTorch goldens,
// and faces found in real photos (../shared/testdata, skipped when absent).
#include "models/blazeface.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/status.h"
#include "models/weights.h"
#include "pipeline/checker.h"
#include "pipeline/detect.h"
#include "test_util.h"

using namespace dfs;
using namespace dfs_test;

namespace {

std::vector<uint8_t> model_bytes(const char* kind) {
  auto b = read_file(repo_path(std::string("models/blazeface_") + kind + ".dfs"));
  EXPECT_FALSE(b.empty()) << "models/blazeface_" << kind << ".dfs missing: run tools/build.sh";
  return b;
}

Code parse_code(const std::vector<uint8_t>& b) {
  try {
    WeightsFile::parse(b.data(), b.size());
  } catch (const Error& e) { return e.code; }
  return Code::kOk;
}

}  // namespace

TEST(Weights, ParsesShippedModels) {
  for (const char* k : {"short", "full"}) {
    auto b = model_bytes(k);
    WeightsFile wf = WeightsFile::parse(b.data(), b.size());
    EXPECT_EQ(wf.kind(), "blazeface");
    EXPECT_TRUE(wf.header()["provenance"]["license"].str() == "Apache-2.0");
  }
}

// Every one of the 65536 halves against the definition (IEEE 754 binary16), bit for bit.
TEST(Weights, HalfToFloatIsExactForEveryHalf) {
  for (uint32_t h = 0; h < 65536; h++) {
    const int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
    const float got = f16_to_f32(uint16_t(h));
    if (exp == 31) {
      ASSERT_TRUE(mant ? std::isnan(got) : std::isinf(got)) << h;
      ASSERT_EQ(std::signbit(got), bool(sign)) << h;
      uint32_t bits;
      std::memcpy(&bits, &got, 4);
      ASSERT_EQ(bits & 0x7fffffu, uint32_t(mant) << 13) << "NaN payload kept, " << h;
      continue;
    }
    const double mag =
        exp == 0 ? std::ldexp(double(mant), -24) : std::ldexp(1024.0 + mant, exp - 25);
    const float want = float(sign ? -mag : mag);
    uint32_t gb, wb;
    std::memcpy(&gb, &got, 4);
    std::memcpy(&wb, &want, 4);
    ASSERT_EQ(gb, wb) << "half 0x" << std::hex << h;
  }
}

TEST(Weights, RejectsBadFiles) {
  auto good = model_bytes("short");
  EXPECT_EQ(parse_code({}), Code::kEmptyInput);
  std::vector<uint8_t> b = good;
  b[0] = 'X';
  EXPECT_EQ(parse_code(b), Code::kBadModel);  // magic
  b = good;
  b[good.size() / 2] ^= 0x40;
  EXPECT_EQ(parse_code(b), Code::kBadModel);  // checksum
  for (size_t cut : {size_t(3), size_t(19), size_t(100), good.size() / 2, good.size() - 1}) {
    std::vector<uint8_t> t(good.begin(), good.begin() + cut);
    EXPECT_EQ(parse_code(t), Code::kBadModel) << "truncated at " << cut;
  }
  b = good;
  put_le32(b, 8, 7);
  fix_crc(b);
  EXPECT_EQ(parse_code(b), Code::kBadModel);  // version
  b = good;
  put_le32(b, 12, 0x7fffffff);
  fix_crc(b);
  EXPECT_EQ(parse_code(b), Code::kBadModel);  // header length past the end
  // Lies about a tensor behind a valid checksum: offset past the end, size not matching shape.
  EXPECT_EQ(parse_code(edit_header(good, "\"offset\":0,", "\"offset\":9e9,")), Code::kBadModel);
  EXPECT_EQ(parse_code(edit_header(good, "\"nbytes\":", "\"nbytes\":1")), Code::kBadModel);
  EXPECT_EQ(parse_code(edit_header(good, "\"dtype\":\"f16\"", "\"dtype\":\"q4\"")),
            Code::kBadModel);
  EXPECT_EQ(parse_code(edit_header(good, "{\"kind\"", "[\"kind\"")), Code::kBadModel);
}

TEST(Weights, GraphValidationNamesTheProblem) {
  auto good = model_bytes("short");
  // A tensor with a different shape than the op expects fails loading with a clear message.
  auto b = edit_header(good, "\"t3\":[64,64,24]", "\"t3\":[64,64,25]");
  WeightsFile wf = WeightsFile::parse(b.data(), b.size());
  expect_bad_model([&] { BlazeFace net(wf); }, "conv2d");
}

TEST(Anchors, ShortRangeLayout) {
  auto b = model_bytes("short");
  WeightsFile wf = WeightsFile::parse(b.data(), b.size());
  auto a = generate_anchors(anchor_options_from(wf.header()["anchors"]));
  ASSERT_EQ(a.size(), 896u);
  // Stride 8: 16x16 cells, 2 anchors each; then stride 16: 8x8 cells, 6 anchors each.
  EXPECT_FLOAT_EQ(a[0].x, 0.5f / 16);
  EXPECT_FLOAT_EQ(a[1].x, 0.5f / 16);
  EXPECT_FLOAT_EQ(a[2].x, 1.5f / 16);
  EXPECT_FLOAT_EQ(a[511].x, 15.5f / 16);
  EXPECT_FLOAT_EQ(a[511].y, 15.5f / 16);
  EXPECT_FLOAT_EQ(a[512].x, 0.5f / 8);
  EXPECT_FLOAT_EQ(a[517].x, 0.5f / 8);
  EXPECT_FLOAT_EQ(a[518].x, 1.5f / 8);
  EXPECT_FLOAT_EQ(a[895].y, 7.5f / 8);
  for (auto& x : a) EXPECT_EQ(x.w, 1.0f);
}

TEST(Anchors, FullRangeLayout) {
  auto b = model_bytes("full");
  WeightsFile wf = WeightsFile::parse(b.data(), b.size());
  auto a = generate_anchors(anchor_options_from(wf.header()["anchors"]));
  ASSERT_EQ(a.size(), 2304u);
  EXPECT_FLOAT_EQ(a[0].x, 0.5f / 48);
  EXPECT_FLOAT_EQ(a[1].x, 1.5f / 48);
  EXPECT_FLOAT_EQ(a[48].y, 1.5f / 48);
  EXPECT_FLOAT_EQ(a[2303].x, 47.5f / 48);
}

TEST(Nms, WeightedMergesOverlapsAndKeepsSeparate) {
  auto det = [](float x, float y, float s, float score) {
    Detection d{};
    d.x = x;
    d.y = y;
    d.w = s;
    d.h = s;
    d.score = score;
    for (auto& k : d.kp) {
      k[0] = x;
      k[1] = y;
    }
    return d;
  };
  // Two overlapping boxes (IoU ~0.68) merge into a score-weighted average; a third stays apart.
  auto out = weighted_nms({det(0, 0, 10, 0.9f), det(1, 1, 10, 0.6f), det(50, 50, 10, 0.8f)}, 0.3f);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_NEAR(out[0].x, (0 * 0.9f + 1 * 0.6f) / 1.5f, 1e-6);
  EXPECT_NEAR(out[0].kp[3][1], (0 * 0.9f + 1 * 0.6f) / 1.5f, 1e-6);
  EXPECT_FLOAT_EQ(out[1].x, 50);
  // Below the IoU threshold nothing merges; empty input gives empty output.
  EXPECT_EQ(weighted_nms({det(0, 0, 10, 0.9f), det(8, 8, 10, 0.6f)}, 0.3f).size(), 2u);
  EXPECT_TRUE(weighted_nms({}, 0.3f).empty());
  EXPECT_NEAR(iou(det(0, 0, 10, 1), det(5, 0, 10, 1)), 50.f / 150.f, 1e-6);
}

TEST(Decode, BoxAndKeypointsAgainstAnchor) {
  std::vector<Anchor> anchors = {{0.25f, 0.5f, 1.f, 1.f}};
  DecodeOptions o;
  o.x_scale = o.y_scale = o.w_scale = o.h_scale = 128;
  float score = 2.0f;  // sigmoid = 0.8808
  float box[16] = {12.8f, -6.4f, 32.f, 64.f, 0, 0, 12.8f, 12.8f, 0, 0, 0, 0, 0, 0, 0, 0};
  auto d = decode_boxes(&score, box, anchors, o, 0.5f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NEAR(d[0].score, 1 / (1 + std::exp(-2.0f)), 1e-6);
  EXPECT_NEAR(d[0].x + d[0].w / 2, 0.35f, 1e-6);
  EXPECT_NEAR(d[0].y + d[0].h / 2, 0.45f, 1e-6);
  EXPECT_NEAR(d[0].w, 0.25f, 1e-6);
  EXPECT_NEAR(d[0].h, 0.5f, 1e-6);
  EXPECT_NEAR(d[0].kp[1][0], 0.35f, 1e-6);
  EXPECT_NEAR(d[0].kp[0][1], 0.5f, 1e-6);
  EXPECT_TRUE(decode_boxes(&score, box, anchors, o, 0.9f).empty());
}

// Raw outputs against the PyTorch reference that parses the .tflite itself (tests/golden).
static void golden_check(const char* kind, bool reference) {
  auto b = model_bytes(kind);
  WeightsFile wf = WeightsFile::parse(b.data(), b.size());
  BlazeFace net(wf, reference);
  // Every BlazeFace block ends in 1x1 conv + residual add: those run fused (and the goldens
  // below check the fused ops).
  EXPECT_GE(net.fused_ops(), 8) << kind;
  const int H = net.input_h(), W = net.input_w(), N = net.num_boxes();
  float* in = net.input();
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++)
        in[(y * W + x) * 3 + c] = ((y * 131 + x * 71 + c * 29) % 256) / 127.5f - 1.0f;
  net.forward();
  auto g = read_file(repo_path(std::string("tests/golden/blazeface_") + kind + ".bin"));
  ASSERT_EQ(g.size(), size_t(N) * 17 * 4);
  const float* gf = reinterpret_cast<const float*>(g.data());
  double max_s = 0, max_b = 0, max_mag = 0;
  for (int i = 0; i < N; i++) {
    max_s = std::max(max_s, double(std::fabs(net.scores()[i] - gf[i])));
    max_mag = std::max(max_mag, double(std::fabs(gf[i])));
  }
  for (int i = 0; i < N * 16; i++) {
    max_b = std::max(max_b, double(std::fabs(net.boxes()[i] - gf[N + i])));
    max_mag = std::max(max_mag, double(std::fabs(gf[N + i])));
  }
  std::printf("[golden %s %s] max |diff| scores %.3g, regressors %.3g (max |value| %.3g)\n", kind,
              reference ? "ref" : "simd", max_s, max_b, max_mag);
  EXPECT_LT(max_s, 1e-4);
  EXPECT_LT(max_b, 1e-4);
}

TEST(BlazeFaceGolden, ShortRangeOptimized) { golden_check("short", false); }
TEST(BlazeFaceGolden, ShortRangeReference) { golden_check("short", true); }
TEST(BlazeFaceGolden, FullRangeOptimized) { golden_check("full", false); }
TEST(BlazeFaceGolden, FullRangeReference) { golden_check("full", true); }

// ---- Real photos (read from ../shared, never copied) ----
static Checker& detector() {
  static Checker* c = [] {
    auto* ch = new Checker();
    for (const char* k : {"short", "full"}) {
      auto b = model_bytes(k);
      ch->load_model(b.data(), b.size());
    }
    return ch;
  }();
  return *c;
}

static std::vector<std::pair<std::string, std::string>> labelled(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> out;
  std::ifstream f(shared_path("testdata/" + dir + "/labels.csv"));
  std::string line;
  std::getline(f, line);
  while (std::getline(f, line)) {
    auto comma = line.find(',');
    if (comma != std::string::npos) out.push_back({line.substr(0, comma), line.substr(comma + 1)});
  }
  return out;
}

TEST(Detect, FaceInEveryPortrait) {
  if (!file_exists(shared_path("README.md")))
    GTEST_SKIP() << "../shared is absent: real-photo test skipped";
  int total = 0, found = 0;
  std::string missed;
  for (const char* dir : {"lfw-real", "utkface-real", "ffhq-stylegan2", "stylegan3-fake",
                          "flux-politicians", "yonsei-photoshop", "seed-examples"}) {
    for (auto& [file, label] : labelled(dir)) {
      auto bytes = read_file(shared_path(std::string("testdata/") + dir + "/" + file));
      CheckResult r = detector().check_encoded(bytes.data(), bytes.size(), CheckOptions());
      total++;
      if (!r.faces.empty())
        found++;
      else
        missed += std::string(dir) + "/" + file + " ";
      for (auto& f : r.faces) {
        EXPECT_GT(f.det.w, 8);
        EXPECT_GE(f.det.x + f.det.w, 0);
        EXPECT_LE(f.det.x, r.width);
      }
    }
  }
  std::printf("[detect] faces found in %d of %d labelled photos\n", found, total);
  EXPECT_EQ(found, total) << "no face in: " << missed;
}

// A square of the committed public-domain portrait (tests/fixtures/faces/SOURCE.md; its face is
// about x 175-276, y 74-175), so these tests need no ../shared.
static Image fixture_square(int x0, int y0, int s) {
  auto bytes = read_file(repo_path("tests/fixtures/faces/astronaut.jpg"));
  Image img = decode_image(bytes.data(), bytes.size(), DecodeLimits());
  Image out;
  out.w = out.h = s;
  out.rgb.resize(size_t(s) * s * 3);
  for (int y = 0; y < s; y++)
    std::memcpy(&out.rgb[size_t(y) * s * 3], &img.rgb[(size_t(y0 + y) * img.w + x0) * 3],
                size_t(s) * 3);
  return out;
}

TEST(Detect, MosaicOfFourFacesGivesFourFacesInPlace) {
  // Four 150x150 head-and-shoulders squares tiled 2x2 into a 300x300 image: one face per quadrant.
  std::vector<Image> imgs;
  for (int i = 0; i < 4; i++) imgs.push_back(fixture_square(150 + 4 * i, 50, 150));
  const int S = imgs[0].w;
  Image m;
  m.w = m.h = 2 * S;
  m.rgb.assign(size_t(m.w) * m.h * 3, 0);
  for (int i = 0; i < 4; i++) {
    ASSERT_EQ(imgs[i].w, S);
    int ox = (i % 2) * S, oy = (i / 2) * S;
    for (int y = 0; y < S; y++)
      std::memcpy(&m.rgb[(size_t(oy + y) * m.w + ox) * 3], &imgs[i].rgb[size_t(y) * S * 3],
                  size_t(S) * 3);
  }
  CheckResult r = detector().check_image(m, CheckOptions());
  ASSERT_EQ(r.faces.size(), 4u);
  bool quadrant[4] = {false, false, false, false};
  for (auto& f : r.faces) {
    float cx = f.det.x + f.det.w / 2, cy = f.det.y + f.det.h / 2;
    quadrant[(cy >= S ? 2 : 0) + (cx >= S ? 1 : 0)] = true;
    // The nose keypoint sits inside the box.
    EXPECT_GT(f.det.kp[2][0], f.det.x);
    EXPECT_LT(f.det.kp[2][0], f.det.x + f.det.w);
  }
  for (bool q : quadrant) EXPECT_TRUE(q);
}

TEST(Detect, SmallFaceInBigPhotoFoundByTiles) {
  // A 150x150 portrait pasted into a 4000x3000 grey canvas: too small for the whole-image pass.
  Image face = fixture_square(150, 50, 150);
  Image big;
  big.w = 4000;
  big.h = 3000;
  big.rgb.assign(size_t(big.w) * big.h * 3, 128);
  const int ox = 2900, oy = 700;
  for (int y = 0; y < face.h; y++)
    std::memcpy(&big.rgb[(size_t(oy + y) * big.w + ox) * 3], &face.rgb[size_t(y) * face.w * 3],
                size_t(face.w) * 3);
  CheckOptions opt;
  CheckResult r = detector().check_image(big, opt);
  ASSERT_EQ(r.faces.size(), 1u);
  float cx = r.faces[0].det.x + r.faces[0].det.w / 2, cy = r.faces[0].det.y + r.faces[0].det.h / 2;
  EXPECT_NEAR(cx, ox + face.w / 2, 30);
  EXPECT_NEAR(cy, oy + face.h / 2, 30);
  opt.detect.tiles = false;
  EXPECT_TRUE(detector().check_image(big, opt).faces.empty()) << "tiling should be what finds it";
}

TEST(Detect, FaceFillingTheFrame) {
  // The face alone, filling the whole frame.
  Image tight = fixture_square(180, 80, 95);
  CheckResult r = detector().check_image(tight, CheckOptions());
  EXPECT_EQ(r.faces.size(), 1u);
}
