// Orchestrates one check; every error escapes as dfs::Error and leaves the checker reusable.
#include "pipeline/checker.h"

#include <time.h>

#include <algorithm>

#include "core/status.h"
#include "models/efficientnet.h"
#include "pipeline/classifier.h"

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

int Checker::upright_turns(const Image& img, const Detection& d) {
  FaceDetector* det = short_ ? short_.get() : full_.get();
  if (!det) return 0;
  const int n = det->model().input_h();
  if (n != det->model().input_w()) return 0;
  // The face at about the scale the short-range model finds faces in a photo.
  const float side = std::max(d.w, d.h) * 1.6f;
  std::vector<float> rgb(size_t(n) * n * 3), turned(rgb.size());
  resample_region(img, d.x + d.w / 2 - side / 2, d.y + d.h / 2 - side / 2, side, side, n, n, 0.f,
                  rgb.data());
  float upright = 0, best = 0;
  int best_k = 0;
  for (int k = 0; k < 4; k++) {
    if (k) turn_square(rgb.data(), turned.data(), n, 3, k);
    float s = 0;
    for (const Detection& f :
         det->detect_resampled(k ? turned.data() : rgb.data(), size_t(n) * 3, 0, 0, side, 0.3f))
      s = std::max(s, f.score);
    if (k == 0) upright = s;
    if (s > best) best = s, best_k = k;
  }
  // Upright unless another turn is more face-like by a margin. Chosen on 120 faces-mixed
  // validation crops in each of the 4 orientations (480): margin 0.05 at side 1.6 turned none of
  // the upright ones and found 97.4% of the turned ones (0.2: 41%; 0: one upright turned).
  return best_k != 0 && best > upright + 0.05f ? best_k : 0;
}

bool Checker::classify_turned(const Image& img, const Detection& d, int turns, FaceResult* f) {
  FaceDetector* det = short_ ? short_.get() : full_.get();
  // The face's neighbourhood turned upright at about its own resolution (within 96..512 px),
  // where the detector draws an upright box: the classifier then frames the face the way it
  // does every upright face, instead of around the smaller box BlazeFace gives a face on its side.
  const float side = std::max(d.w, d.h) * 2.2f;
  const int m = std::max(96, std::min(512, int(std::lround(side))));
  std::vector<float> rgb(size_t(m) * m * 3), turned(rgb.size());
  resample_region(img, d.x + d.w / 2 - side / 2, d.y + d.h / 2 - side / 2, side, side, m, m, 0.f,
                  rgb.data(), Border::kMirror);
  turn_square(rgb.data(), turned.data(), m, 3, turns);
  Image up;
  up.w = up.h = m;
  up.rgb.resize(turned.size());
  for (size_t i = 0; i < turned.size(); i++)
    up.rgb[i] = uint8_t(std::min(255.f, std::max(0.f, std::lround(turned[i]) * 1.f)));
  const Detection* best = nullptr;
  auto found = det->detect_region(up, 0, 0, float(m), 0.3f);
  for (const Detection& x : found) {
    // The face at the centre: the most confident detection whose centre is in the middle third.
    const float cx = x.x + x.w / 2, cy = x.y + x.h / 2;
    if (std::fabs(cx - m / 2.f) < m / 6.f && std::fabs(cy - m / 2.f) < m / 6.f &&
        (!best || x.score > best->score))
      best = &x;
  }
  if (!best) return false;
  // No heat map: it would be in the turned neighbourhood's frame, not the photo's.
  f->fake =
      classifier_->classify_face(up, *best, nullptr, nullptr, nullptr, f->crop, &f->synthetic);
  // The crop reported in the photo: the same size around the original box's centre.
  const float s = f->crop[2] * side / float(m);
  f->crop[0] = d.x + d.w / 2 - s / 2;
  f->crop[1] = d.y + d.h / 2 - s / 2;
  f->crop[2] = f->crop[3] = s;
  return true;
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
      f.turns = opt.upright ? upright_turns(img, d) : 0;
      if (f.turns == 0 || !classify_turned(img, d, f.turns, &f)) {
        f.turns = 0;
        f.fake = classifier_->classify_face(img, d, opt.heatmap ? &f.heat : nullptr, &f.heat_w,
                                            &f.heat_h, f.crop, &f.synthetic);
      }
      r.fake = std::isnan(r.fake) ? f.fake : std::max(r.fake, f.fake);
    }
    r.faces.push_back(std::move(f));
  }
  r.detect_ms = t1 - t0;
  r.classify_ms = now_ms() - t1;
  return r;
}

}  // namespace dfs
