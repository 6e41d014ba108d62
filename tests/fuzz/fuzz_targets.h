// One-input bodies of the fuzz targets, shared by the libFuzzer entry points (tests/fuzz/fuzz_*.cc)
// and the regression replay in tests/cpp/hostile_test.cc, so a saved crash replays exactly.
//
// Contract checked on every input: the core either returns a result that satisfies its documented
// invariants or throws dfs::Error with a known code and a message. Any other exception, a
// sanitizer report or a broken invariant aborts (which is what libFuzzer and gtest both notice).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "image/image.h"
#include "models/blazeface.h"
#include "models/efficientnet.h"
#include "models/weights.h"
#include "pipeline/checker.h"
#include "pipeline/classifier.h"
#include "pipeline/detect.h"

namespace dfs_fuzz {

[[noreturn]] inline void broken(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}
inline void expect(bool ok, const char* what) {
  if (!ok) broken(what);
}

// A dfs::Error is the only acceptable failure, and it must carry a real code and a reason.
inline void check_error(const dfs::Error& e) {
  expect(e.code != dfs::Code::kOk, "error thrown with code OK");
  expect(!e.message.empty(), "error without a message");
}

// Small limits keep each run fast; the properties checked do not depend on the sizes.
inline dfs::DecodeLimits fuzz_limits() {
  dfs::DecodeLimits lim;
  lim.max_pixels = 1 << 20;
  lim.max_side = 4096;
  lim.max_bytes = 1 << 20;
  return lim;
}

inline void check_image(const dfs::Image& img, const dfs::DecodeLimits& lim) {
  expect(img.w > 0 && img.h > 0, "decoded image has no pixels");
  expect(img.w <= lim.max_side && img.h <= lim.max_side, "decoded side over max_side");
  expect(int64_t(img.w) * img.h <= lim.max_pixels, "decoded pixels over max_pixels");
  expect(img.rgb.size() == size_t(img.w) * img.h * 3, "RGB buffer size disagrees with w*h*3");
  // Touch every byte so ASan sees any read of memory the decoder did not own.
  unsigned sum = 0;
  for (uint8_t v : img.rgb) sum += v;
  volatile unsigned sink = sum;
  (void)sink;
}

// ---- image decode ----------------------------------------------------------------------------
inline void one_image(const uint8_t* data, size_t size) {
  const dfs::DecodeLimits lim = fuzz_limits();
  try {
    check_image(dfs::decode_image(data, size, lim), lim);
  } catch (const dfs::Error& e) { check_error(e); }
}

// ---- weights reader and model constructors ----------------------------------------------------
// Input forms:
//  - a whole .dfs file ("DFSMODEL..."): parsed as it is, then again with its CRC recomputed so
//    mutations reach the checks that sit behind the checksum;
//  - "DFSJ" + u32 data_len + JSON header: wrapped here into a valid file with data_len zero bytes
//    of tensor data. The header is where the validation logic lives, and this keeps corpus
//    entries small instead of megabytes of weights the mutator would mostly waste time on.
constexpr size_t kMaxFuzzDataLen = 8u << 20;

inline void put_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; i++) b[at + i] = uint8_t(v >> (8 * i));
}

inline std::vector<uint8_t> wrap_header(const uint8_t* json, size_t json_len, size_t data_len) {
  const size_t data_start = (16 + json_len + 63) / 64 * 64;
  std::vector<uint8_t> f(data_start + data_len + 4, 0);
  std::memcpy(f.data(), "DFSMODEL", 8);
  put_u32(f, 8, 1);
  put_u32(f, 12, uint32_t(json_len));
  if (json_len) std::memcpy(f.data() + 16, json, json_len);
  put_u32(f, f.size() - 4, dfs::crc32_ieee(f.data(), f.size() - 4));
  return f;
}

// Runs what a loaded model can do on tiny inputs, so graph/arena validation that lets a lying
// header through shows up as an out-of-bounds access here.
inline void exercise_model(const dfs::WeightsFile& wf) {
  dfs::Image img;
  img.w = 40;
  img.h = 24;
  img.rgb.assign(size_t(img.w) * img.h * 3, 0);
  for (size_t i = 0; i < img.rgb.size(); i++) img.rgb[i] = uint8_t(i * 37);
  if (wf.kind() == "blazeface") {
    dfs::FaceDetector det(wf);
    auto dets = det.detect_region(img, -4.f, -12.f, 48.f, 0.5f);
    for (const auto& d : dets)
      expect(d.score >= 0.f && d.score <= 1.f, "detector score outside [0,1]");
  } else if (wf.kind() == "efficientnet") {
    dfs::Classifier cls(wf);
    dfs::Detection d{};
    d.x = 10, d.y = 4, d.w = 16, d.h = 16, d.score = 1;
    std::vector<float> heat;
    int hw = 0, hh = 0;
    float crop[4];
    const float p = cls.classify_face(img, d, &heat, &hw, &hh, crop);
    expect(std::isnan(p) || (p >= 0.f && p <= 1.f), "classifier probability outside [0,1]");
    expect(heat.size() == size_t(hw) * size_t(hh), "attention map size disagrees with its shape");
  }
}

inline void one_model_file(const uint8_t* data, size_t size) {
  try {
    dfs::WeightsFile wf = dfs::WeightsFile::parse(data, size);
    exercise_model(wf);
  } catch (const dfs::Error& e) { check_error(e); }
}

inline void one_weights(const uint8_t* data, size_t size) {
  if (size >= 8 && std::memcmp(data, "DFSJ", 4) == 0) {
    uint32_t data_len = 0;
    for (int i = 0; i < 4; i++) data_len |= uint32_t(data[4 + i]) << (8 * i);
    if (data_len > kMaxFuzzDataLen) return;
    std::vector<uint8_t> f = wrap_header(data + 8, size - 8, data_len);
    one_model_file(f.data(), f.size());
    return;
  }
  one_model_file(data, size);
  if (size >= 20) {
    std::vector<uint8_t> f(data, data + size);
    put_u32(f, size - 4, dfs::crc32_ieee(f.data(), size - 4));
    one_model_file(f.data(), f.size());
  }
}

// ---- the whole pipeline -----------------------------------------------------------------------
// A checker with the shipped detectors (and a classifier when one is around), loaded once.
inline dfs::Checker* pipeline_checker(const std::string& root) {
  static std::unique_ptr<dfs::Checker> checker = [&] {
    auto c = std::make_unique<dfs::Checker>();
    for (const char* rel : {"models/blazeface_short.dfs", "models/blazeface_full.dfs",
                            "build-golden/effnet_w025_synth.dfs"}) {
      const std::string path = root + "/" + rel;
      std::FILE* f = std::fopen(path.c_str(), "rb");
      if (!f) continue;
      std::vector<uint8_t> b;
      uint8_t buf[1 << 16];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) b.insert(b.end(), buf, buf + n);
      std::fclose(f);
      c->load_model(b.data(), b.size());
    }
    if (!c->has_detector()) broken("no detector model found under the source root");
    return c;
  }();
  return checker.get();
}

inline void check_result(const dfs::CheckResult& r, const dfs::CheckOptions& opt) {
  expect(r.width > 0 && r.height > 0, "result without a size");
  expect(int(r.faces.size()) <= opt.detect.max_faces, "more faces than max_faces");
  for (const auto& f : r.faces) {
    const auto& d = f.det;
    expect(std::isfinite(d.x) && std::isfinite(d.y) && std::isfinite(d.w) && std::isfinite(d.h),
           "non-finite face box");
    expect(d.score >= 0.f && d.score <= 1.f, "face score outside [0,1]");
    expect(std::isnan(f.fake) || (f.fake >= 0.f && f.fake <= 1.f), "fake outside [0,1]");
  }
}

// Input forms: encoded bytes for check_encoded, or "RGBA" + u16 w + u16 h + pixels (zero-padded
// when short) for check_rgba, which is how a canvas's pixels arrive.
inline void one_pipeline(dfs::Checker* checker, const uint8_t* data, size_t size) {
  dfs::CheckOptions opt;
  opt.limits = fuzz_limits();
  opt.limits.max_pixels = 1 << 16;  // detection cost grows with the image: keep executions fast
  opt.detect.max_faces = 4;
  // The last byte picks the optional passes, so both sides of each get explored.
  opt.heatmap = size > 0 && (data[size - 1] & 1);
  opt.detect.zoom_out = size > 0 && (data[size - 1] & 2);
  try {
    if (size >= 8 && std::memcmp(data, "RGBA", 4) == 0) {
      const int w = data[4] | data[5] << 8, h = data[6] | data[7] << 8;
      // Never more than the limits allow: if a too-large size got past the checks, reading the
      // short buffer is an out-of-bounds access ASan reports.
      const size_t cap = size_t(opt.limits.max_pixels) * 4;
      std::vector<uint8_t> px(std::min(size_t(w) * h * 4, cap), 0);
      const size_t n = std::min(px.size(), size - 8);
      if (n > 0) std::memcpy(px.data(), data + 8, n);  // memcpy on an empty vector's null is UB
      check_result(checker->check_rgba(px.data(), w, h, size_t(w) * 4, opt), opt);
    } else {
      check_result(checker->check_encoded(data, size, opt), opt);
    }
  } catch (const dfs::Error& e) { check_error(e); }
}

}  // namespace dfs_fuzz
