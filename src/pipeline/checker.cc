// Orchestrates one check; every error escapes as dfs::Error and leaves the checker reusable.
#include "pipeline/checker.h"

#include <algorithm>
#include <time.h>

#include "core/status.h"
#include "models/efficientnet.h"

namespace dfs {

// POSIX monotonic clock rather than std::chrono::steady_clock: libc++'s now() can throw
// system_error, whose message formatting pulled printf and long-double math (~12 KB) into wasm.
static double now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
}

Checker::Checker() = default;
Checker::~Checker() = default;

void Checker::load_model(const uint8_t* bytes, size_t size, Role role) {
  WeightsFile wf = WeightsFile::parse(bytes, size);
  const bool want_detector = role == Role::kDetectorShort || role == Role::kDetectorFull;
  if (role != Role::kAny && (wf.kind() == "blazeface") != want_detector) {
    fail(Code::kBadModel, "model kind '" + wf.kind() + "' offered as the " +
                              (want_detector ? "face detector" : "classifier") + " (expected '" +
                              (want_detector ? "blazeface" : "efficientnet") + "')");
  }
  if (wf.kind() == "blazeface") {
    auto det = std::make_unique<FaceDetector>(wf);
    const bool full = role == Role::kAny
                          ? wf.header()["name"].str().find("full") != std::string::npos
                          : role == Role::kDetectorFull;
    (full ? full_ : short_) = std::move(det);
  } else if (wf.kind() == "efficientnet") {
    classifier_ = std::make_unique<Classifier>(wf);
  } else {
    fail(Code::kBadModel, "unknown model kind '" + wf.kind() + "'");
  }
}

CheckResult Checker::check_encoded(const uint8_t* bytes, size_t size, const CheckOptions& opt) {
  double t0 = now_ms();
  Image img = decode_image(bytes, size, opt.limits);
  double t1 = now_ms();
  CheckResult r = check_image(img, opt);
  r.decode_ms = t1 - t0;
  // After the decode: its limits (size, format) have been checked, and the scan is one bounded
  // pass over the container that never throws.
  r.provenance = scan_provenance(bytes, size);
  r.scanned = true;
  return r;
}

CheckResult Checker::check_rgba(const uint8_t* rgba, int w, int h, size_t stride,
                                const CheckOptions& opt) {
  double t0 = now_ms();
  Image img = image_from_rgba(rgba, w, h, stride, opt.limits);
  double t1 = now_ms();
  CheckResult r = check_image(img, opt);
  r.decode_ms = t1 - t0;
  return r;
}

CheckResult Checker::check_image(const Image& img, const CheckOptions& opt) {
  if (!has_detector()) fail(Code::kInvalidArgument, "no face detector model is loaded");
  CheckResult r;
  r.width = img.w;
  r.height = img.h;
  double t0 = now_ms();
  auto dets = detect_faces(img, short_.get(), full_.get(), opt.detect);
  double t1 = now_ms();
  for (auto& d : dets) {
    FaceResult f;
    f.det = d;
    if (classifier_ && opt.classify) {
      f.fake = classifier_->classify_face(img, d, opt.heatmap ? &f.heat : nullptr, &f.heat_w,
                                          &f.heat_h, f.crop, &f.synthetic);
      r.fake = std::isnan(r.fake) ? f.fake : std::max(r.fake, f.fake);
    }
    r.faces.push_back(std::move(f));
  }
  r.detect_ms = t1 - t0;
  r.classify_ms = now_ms() - t1;
  return r;
}

}  // namespace dfs
