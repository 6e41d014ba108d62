// EfficientNet engine against independent PyTorch goldens (tests/golden/effnet_*): every probe
// (stem, each stage, attention, head, pooled) and the logit, optimized and reference kernels.
// The golden models are rebuilt from committed headers by tools/test.sh into build-golden/.
#include "models/efficientnet.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <tuple>
#include <utility>

#include "core/json.h"
#include "core/status.h"
#include "image/image.h"
#include "pipeline/classifier.h"
#include "pipeline/detect.h"
#include "test_util.h"

using namespace dfs;
using namespace dfs_test;

namespace {

struct Golden {
  Json index;
  std::vector<uint8_t> probes;
  std::vector<uint8_t> model;
};

bool load_golden(const std::string& name, Golden* g) {
  std::string model_path = repo_path("build-golden/" + name + ".dfs");
  if (!file_exists(model_path)) return false;
  auto idx = read_file(repo_path("tests/golden/" + name + ".json"));
  g->index = Json::parse(reinterpret_cast<const char*>(idx.data()), idx.size());
  g->probes = read_file(repo_path("tests/golden/" + name + ".probes.bin"));
  g->model = read_file(model_path);
  return true;
}

// Our probe names for the golden's: stage S ends at a block index that follows from the depth.
std::map<std::string, std::string> probe_names(const EffNetArch& a, double depth) {
  static const int kReps[7] = {1, 2, 2, 3, 3, 4, 1};
  std::map<std::string, std::string> m = {
      {"stem", "stem"}, {"head", "head"}, {"pooled", "pool"}, {"att", "attention"}};
  int block = -1;
  for (int s = 0; s < 7; s++) {
    block += int(std::ceil(kReps[s] * depth));
    m["stage." + std::to_string(s)] = "block" + std::to_string(block);
  }
  EXPECT_EQ(block + 1, int(a.blocks.size()));
  return m;
}

void run_golden(const std::string& name, bool reference, double tol) {
  Golden g;
  if (!load_golden(name, &g))
    GTEST_FAIL() << "build-golden/" << name << ".dfs missing: tools/test.sh builds it";
  WeightsFile wf = WeightsFile::parse(g.model.data(), g.model.size());
  EfficientNet net(wf, reference);
  const int H = net.input_h(), W = net.input_w();
  float* in = net.input();
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++)
        in[(y * W + x) * 3 + c] = ((y * 131 + x * 71 + c * 29) % 256) / 127.5f - 1.0f;
  std::map<std::string, std::vector<float>> seen;
  Probe probe = [&](const std::string& n, const Tensor& t) {
    seen[n].assign(t.data, t.data + t.size());
  };
  float logit = net.forward(&probe);
  double depth = g.index["arch"].num_or("depth_mult", 1.0);
  auto names = probe_names(net.arch(), depth);
  const Json& probes = g.index["probes"];
  int compared = 0;
  for (size_t i = 0; i < probes.size(); i++) {
    const Json& p = probes[i];
    const std::string& gname = p["name"].str();
    if (gname == "logit") continue;
    ASSERT_TRUE(names.count(gname)) << gname;
    const auto& ours = seen[names[gname]];
    size_t count = size_t(p["count"].num()), off = size_t(p["offset"].num());
    ASSERT_EQ(ours.size(), count) << "probe " << gname;
    ASSERT_LE(off + count * 4, g.probes.size());
    const float* ref = reinterpret_cast<const float*>(g.probes.data() + off);
    double max_diff = 0, max_ref = 0;
    for (size_t k = 0; k < count; k++) {
      max_diff = std::max(max_diff, double(std::fabs(ours[k] - ref[k])));
      max_ref = std::max(max_ref, double(std::fabs(ref[k])));
    }
    double rel = max_diff / std::max(max_ref, 1e-12);
    EXPECT_LT(rel, tol) << name << " probe " << gname << " (ours '" << names[gname] << "')";
    compared++;
  }
  double want = g.index["logit"].num();
  std::printf("[effnet %s %s] %d probes compared, logit %.6f vs golden %.6f\n", name.c_str(),
              reference ? "ref" : "simd", compared, logit, want);
  EXPECT_NEAR(logit, want, tol * std::max(1.0, std::fabs(want)));
}

}  // namespace

TEST(EfficientNetGolden, B0TorchvisionOptimized) { run_golden("effnet_b0_synth", false, 1e-4); }
TEST(EfficientNetGolden, B0TorchvisionReference) { run_golden("effnet_b0_synth", true, 1e-4); }
TEST(EfficientNetGolden, AutoAttB4GeometryOptimized) {
  run_golden("effnet_b4att_synth", false, 1e-4);
}
TEST(EfficientNetGolden, Width025Optimized) { run_golden("effnet_w025_synth", false, 1e-4); }

// The optimized model keeps only the packed weights (the canonical copy is released after
// packing); the reference model only the canonical ones. Packing pads to vector widths, so the
// packed form is a little larger, never twice (as when both stayed resident).
TEST(EfficientNetModel, HoldsOneCopyOfItsWeights) {
  Golden g;
  if (!load_golden("effnet_b0_synth", &g))
    GTEST_FAIL() << "build-golden/effnet_b0_synth.dfs missing";
  WeightsFile wf = WeightsFile::parse(g.model.data(), g.model.size());
  const size_t optimized = EfficientNet(wf, false).weight_floats();
  const size_t reference = EfficientNet(wf, true).weight_floats();
  EXPECT_GT(optimized, reference);
  EXPECT_LT(double(optimized), 1.25 * double(reference)) << optimized << " vs " << reference;
}

TEST(EfficientNetArch, CompoundScalingMatchesKnownShapes) {
  // B0: 16 blocks, stem 32, head 1280, last stage 320 channels; B4: 32 blocks, stem 48, head 1792.
  auto b0 = efficientnet_arch(1.0, 1.0);
  EXPECT_EQ(b0.blocks.size(), 16u);
  EXPECT_EQ(b0.stem, 32);
  EXPECT_EQ(b0.head, 1280);
  EXPECT_EQ(b0.blocks.back().cout, 320);
  EXPECT_EQ(b0.blocks[1].cse, 4);  // 16 input channels / 4
  auto b4 = efficientnet_arch(1.4, 1.8);
  EXPECT_EQ(b4.blocks.size(), 32u);
  EXPECT_EQ(b4.stem, 48);
  EXPECT_EQ(b4.head, 1792);
  EXPECT_EQ(b4.blocks[9].cout, 56);  // where icpr2020dfdc's AutoAtt attaches
  double w, d;
  int r;
  ASSERT_TRUE(efficientnet_variant("b4", &w, &d, &r));
  EXPECT_EQ(r, 380);
  EXPECT_FALSE(efficientnet_variant("b9", &w, &d, &r));
}

TEST(EfficientNetModel, RejectsMismatchedWeights) {
  Golden g;
  if (!load_golden("effnet_w025_synth", &g)) GTEST_FAIL() << "golden model missing";
  // Claim a wider network than the tensors hold: loading must name the first tensor that differs.
  std::string json(g.model.begin() + 16,
                   g.model.begin() + 16 + (g.model[12] | g.model[13] << 8 | g.model[14] << 16));
  size_t at = json.find("\"width_mult\":0.25");
  ASSERT_NE(at, std::string::npos);
  json.replace(at, 17, "\"width_mult\":0.50");
  std::copy(json.begin(), json.end(), g.model.begin() + 16);
  uint32_t crc = crc32_ieee(g.model.data(), g.model.size() - 4);
  for (int i = 0; i < 4; i++) g.model[g.model.size() - 4 + i] = uint8_t(crc >> (8 * i));
  WeightsFile wf = WeightsFile::parse(g.model.data(), g.model.size());
  expect_bad_model([&] { EfficientNet net(wf); }, "stem.w");
}

// preprocess.tta "flip": the score is sigmoid of the mean logit of the crop and of its mirror
// image, and the heat map is the mean of the two maps (the second mirrored back). The mirror
// image's crop is made here independently: the photo mirrored, the box mirrored with it.
TEST(EfficientNetClassifier, FlipTtaAveragesTheCropAndItsMirrorImage) {
  Golden g;
  if (!load_golden("effnet_b4att_synth", &g)) GTEST_FAIL() << "golden model missing";
  const std::string plain_pre = "\"resize\":\"scale\"}";
  std::vector<uint8_t> flip_model =
      edit_header(g.model, plain_pre, "\"resize\":\"scale\",\"tta\":\"flip\"}");
  WeightsFile wf_plain = WeightsFile::parse(g.model.data(), g.model.size());
  WeightsFile wf_flip = WeightsFile::parse(flip_model.data(), flip_model.size());
  Classifier plain(wf_plain), flip(wf_flip);
  EXPECT_FALSE(plain.tta_flip());
  ASSERT_TRUE(flip.tta_flip());

  Image img, mir;
  img.w = mir.w = 203, img.h = mir.h = 161;
  img.rgb.resize(size_t(img.w) * img.h * 3);
  mir.rgb.resize(img.rgb.size());
  for (int y = 0; y < img.h; y++)
    for (int x = 0; x < img.w; x++)
      for (int c = 0; c < 3; c++) {
        const uint8_t v =
            uint8_t((x * x / 7 + y * 3 + c * 50 + (x * y) / 11) & 255);  // not symmetric
        img.rgb[(size_t(y) * img.w + x) * 3 + c] = v;
        mir.rgb[(size_t(y) * img.w + (img.w - 1 - x)) * 3 + c] = v;
      }
  Detection d{};
  d.x = 41.5f, d.y = 30, d.w = 70, d.h = 82;
  Detection dm = d;
  dm.x = float(img.w) - d.x - d.w;
  auto logit = [](float p) { return std::log(double(p) / (1.0 - double(p))); };

  std::vector<float> h0, hm, h1;
  int w0 = 0, hh0 = 0, wm = 0, hhm = 0, w1 = 0, hh1 = 0;
  float crop[4];
  const float p0 = plain.classify_face(img, d, &h0, &w0, &hh0, crop);
  const float pm = plain.classify_face(mir, dm, &hm, &wm, &hhm, crop);
  const float p1 = flip.classify_face(img, d, &h1, &w1, &hh1, crop);
  ASSERT_TRUE(p0 > 1e-5f && p0 < 1 - 1e-5f && pm > 1e-5f && pm < 1 - 1e-5f) << p0 << " " << pm;
  EXPECT_GT(std::fabs(logit(p0) - logit(pm)), 1e-3)
      << "the test image should not score the same mirrored";
  EXPECT_NEAR(logit(p1), 0.5 * (logit(p0) + logit(pm)), 2e-3);
  ASSERT_EQ(w1, w0);
  ASSERT_EQ(hh1, hh0);
  ASSERT_EQ(h1.size(), size_t(w0) * hh0);
  double worst = 0;
  for (int y = 0; y < hh0; y++)
    for (int x = 0; x < w0; x++) {
      const double want = 0.5 * (h0[size_t(y) * w0 + x] + hm[size_t(y) * w0 + (w0 - 1 - x)]);
      worst = std::max(worst, std::fabs(h1[size_t(y) * w0 + x] - want));
    }
  EXPECT_LT(worst, 1e-3);
  // The same call again gives the same answer (the mirrored input does not leak into the next).
  EXPECT_EQ(flip.classify_face(img, d, &h1, &w1, &hh1, crop), p1);

  std::vector<uint8_t> bad =
      edit_header(g.model, plain_pre, "\"resize\":\"scale\",\"tta\":\"rotate\"}");
  WeightsFile wf_bad = WeightsFile::parse(bad.data(), bad.size());
  expect_bad_model([&] { Classifier c(wf_bad); }, "tta");
}

// The header's calibration is range-checked at load (a threshold of 9 or a band that does not
// hold the threshold is BAD_MODEL), and a valid inconclusive band is read as written.
TEST(EfficientNetClassifier, CalibrationAndBandAreValidated) {
  Golden g;
  if (!load_golden("effnet_w025_synth", &g)) GTEST_FAIL() << "golden model missing";
  const std::string cal = "\"calibration\":{\"temperature\":1.0,\"threshold\":0.5}";
  {
    WeightsFile wf = WeightsFile::parse(g.model.data(), g.model.size());
    Classifier c(wf);
    EXPECT_EQ(c.band_lo(), c.threshold());  // no band: lo = hi = threshold
    EXPECT_EQ(c.band_hi(), c.threshold());
  }
  auto with = [&](const std::string& to) { return edit_header(g.model, cal, to); };
  {
    auto m =
        with("\"calibration\":{\"temperature\":1,\"threshold\":0.5,\"inconclusive\":[0.25,0.75]}");
    WeightsFile wf = WeightsFile::parse(m.data(), m.size());
    Classifier c(wf);
    EXPECT_FLOAT_EQ(c.band_lo(), 0.25f);
    EXPECT_FLOAT_EQ(c.band_hi(), 0.75f);
  }
  const std::pair<std::string, std::string> bad[] = {
      {"\"calibration\":{\"temperature\":1,\"threshold\":9}", "calibration.threshold"},
      {"\"calibration\":{\"temperature\":1,\"threshold\":0}", "calibration.threshold"},
      {"\"calibration\":{\"temperature\":1,\"threshold\":0.5,\"inconclusive\":[0.6,0.7]}",
       "inconclusive"},
      {"\"calibration\":{\"temperature\":1,\"threshold\":0.5,\"inconclusive\":[0.2,1.5]}",
       "inconclusive"},
      {"\"calibration\":{\"temperature\":1,\"threshold\":0.5,\"inconclusive\":[0.2]}",
       "inconclusive"},
      {"\"calibration\":{\"temperature\":1,\"threshold\":0.5,\"inconclusive\":\"wide\"}",
       "inconclusive"},
  };
  for (const auto& b : bad) {
    auto m = with(b.first);
    WeightsFile wf = WeightsFile::parse(m.data(), m.size());
    expect_bad_model([&] { Classifier c(wf); }, b.second);
  }
}

// arch.kind_head asks for the kind head's tensors: a file that claims one without them is
// BAD_MODEL naming the missing tensor; a model without the flag has none (NaN kind).
TEST(EfficientNetClassifier, KindHeadNeedsItsTensors) {
  Golden g;
  if (!load_golden("effnet_w025_synth", &g)) GTEST_FAIL() << "golden model missing";
  const std::string head = "\"head\":1280}";
  auto m = edit_header(g.model, head, "\"head\":1280,\"kind_head\":true}");
  WeightsFile wf = WeightsFile::parse(m.data(), m.size());
  expect_bad_model([&] { EfficientNet net(wf); }, "kind.w");
  auto m2 = edit_header(g.model, head, "\"head\":1280,\"kind_head\":\"yes\"}");
  WeightsFile wf2 = WeightsFile::parse(m2.data(), m2.size());
  expect_bad_model([&] { EfficientNet net(wf2); }, "kind_head");

  WeightsFile plain = WeightsFile::parse(g.model.data(), g.model.size());
  Classifier c(plain);
  EXPECT_FALSE(c.net().has_kind());
  Image img;
  img.w = img.h = 64;
  img.rgb.assign(size_t(64) * 64 * 3, 128);
  Detection d{};
  d.x = d.y = 16, d.w = d.h = 32;
  float crop[4], synthetic = 0;
  c.classify_face(img, d, nullptr, nullptr, nullptr, crop, &synthetic);
  EXPECT_TRUE(std::isnan(synthetic));
}

// Scoring with `turns` quarter turns equals scoring the photo turned back by the same amount:
// the crop is turned before the network sees it (and the heat map turned back after).
TEST(EfficientNetClassifier, TurnsMakeTheCropUpright) {
  Golden g;
  if (!load_golden("effnet_b4att_synth", &g)) GTEST_FAIL() << "golden model missing";
  WeightsFile wf = WeightsFile::parse(g.model.data(), g.model.size());
  Classifier c(wf);
  const int n = 160;
  Image img;
  img.w = img.h = n;
  img.rgb.resize(size_t(n) * n * 3);
  for (int y = 0; y < n; y++)
    for (int x = 0; x < n; x++)
      for (int ch = 0; ch < 3; ch++)
        img.rgb[(size_t(y) * n + x) * 3 + ch] =
            uint8_t((x * 3 + y * y / 9 + ch * 70 + (x * y) / 13) & 255);
  Detection d{};
  d.x = 40, d.y = 44, d.w = d.h = 72;
  // One quarter turn clockwise (y down): (x, y) -> (n-1-y, x), the box with it.
  auto turn = [&](const Image& a, Detection det) {
    Image b;
    b.w = a.h, b.h = a.w;
    b.rgb.resize(a.rgb.size());
    for (int y = 0; y < a.h; y++)
      for (int x = 0; x < a.w; x++)
        for (int ch = 0; ch < 3; ch++)
          b.rgb[(size_t(x) * b.w + (a.h - 1 - y)) * 3 + ch] = a.rgb[(size_t(y) * a.w + x) * 3 + ch];
    Detection t = det;
    t.x = float(a.h) - (det.y + det.h);
    t.y = det.x;
    return std::make_pair(b, t);
  };
  float crop[4];
  std::vector<float> h0, hq;
  int w0 = 0, hh0 = 0, wq = 0, hhq = 0;
  const float p0 = c.classify_face(img, d, &h0, &w0, &hh0, crop);
  auto logit = [](float p) { return std::log(double(p) / (1.0 - double(p))); };
  Image im = img;
  Detection dt = d;
  for (int q = 1; q <= 3; q++) {
    std::tie(im, dt) = turn(im, dt);
    // The photo turned q times clockwise; q turns of the crop bring it back.
    const float pq = c.classify_face(im, dt, &hq, &wq, &hhq, crop, nullptr, q);
    EXPECT_NEAR(logit(pq), logit(p0), 2e-3) << q << " quarter turns";
    const float raw = c.classify_face(im, dt, nullptr, nullptr, nullptr, crop);
    EXPECT_GT(std::fabs(logit(raw) - logit(p0)), 1e-3)
        << "the test image is not symmetric under turns";
    // The heat map comes back in the turned photo's orientation: h0 turned q times.
    ASSERT_EQ(hq.size(), h0.size());
    std::vector<float> want(h0.size());
    turn_square(h0.data(), want.data(), w0, 1, (4 - q) % 4);
    double worst = 0;
    for (size_t i = 0; i < want.size(); i++)
      worst = std::max(worst, double(std::fabs(want[i] - hq[i])));
    EXPECT_LT(worst, 1e-3) << q;
  }
}
