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
  const auto s = det->turn_scores(img, d);
  const int best_k = int(std::max_element(s.begin(), s.end()) - s.begin());
  // Upright unless another turn is more face-like by a margin. Chosen on 120 faces-mixed
  // validation crops in each of the 4 orientations (480): margin 0.05 at side 1.6 turned none of
  // the upright ones and found 97.4% of the turned ones (0.2: 41%; 0: one upright turned).
  return best_k != 0 && s[best_k] > s[0] + 0.05f ? best_k : 0;
}

bool Checker::classify_turned(const Image& img, const Detection& d, int turns, bool heatmap,
                              FaceResult* f) {
  FaceDetector* det = short_ ? short_.get() : full_.get();
  // The face's neighbourhood turned upright, where the detector draws an upright box: a box
  // BlazeFace draws around a face on its side or upside down sits off the face, and its
  // keypoints are placed as if the face were upright.
  const int n = det->model().input_w();
  if (n != det->model().input_h()) return false;
  const float side = std::max(d.w, d.h) * 2.2f;
  std::vector<float> rgb(size_t(n) * n * 3), turned(rgb.size());
  resample_region(img, d.x + d.w / 2 - side / 2, d.y + d.h / 2 - side / 2, side, side, n, n, 0.f,
                  rgb.data(), Border::kMirror);
  turn_square(rgb.data(), turned.data(), n, 3, turns);
  std::vector<Detection> found = det->detect_resampled(turned.data(), size_t(n) * 3, 0, 0, 1, 0.3f);
  // The face at the centre: the most confident detection whose centre is in the middle third.
  std::vector<Detection> best;
  for (const Detection& x : found) {
    const float cx = x.x + x.w / 2, cy = x.y + x.h / 2;
    if (std::fabs(cx - 0.5f) < 1 / 6.f && std::fabs(cy - 0.5f) < 1 / 6.f &&
        (best.empty() || x.score > best[0].score))
      best = {x};
  }
  if (best.empty()) return false;
  // That upright box and its keypoints turned back into the photo; the classifier then crops the
  // photo itself around it and turns the crop upright (one resampling, as for an upright face),
  // so a photo turned by quarter turns is scored as it is upright. The score stays the photo's.
  unturn(best, turns, d.x + d.w / 2 - side / 2, d.y + d.h / 2 - side / 2, side);
  f->det = best[0];
  f->det.score = d.score;
  f->fake = classifier_->classify_face(img, f->det, heatmap ? &f->heat : nullptr, &f->heat_w,
                                       &f->heat_h, f->crop, &f->synthetic, turns);
  return true;
}

CheckResult Checker::check_image(const Image& img, const CheckOptions& opt) {
  CheckResult r = check_once(img, opt);
  // Every face wants the same quarter turn: the photo itself is on its side or upside down (no
  // EXIF to say so). Checked again turned upright, it gives what the upright photo gives, where
  // turning each face's neighbourhood alone leaves the detector's box, and so the classifier's
  // crop, a little different (their scores were up to 0.4 apart). Kept only when the turned photo
  // has as many faces, all upright; results come back in the photo's own frame.
  // The turned copy costs 3 bytes a pixel: past kTurnWholeMaxPixels (a 24 MP phone photo is 72
  // MB more) each face keeps its own turn instead.
  constexpr int64_t kTurnWholeMaxPixels = 24'000'000;
  if (r.faces.empty() || r.faces[0].turns == 0 || int64_t(img.w) * img.h > kTurnWholeMaxPixels)
    return r;
  const int k = r.faces[0].turns;
  for (const FaceResult& f : r.faces)
    if (f.turns != k) return r;
  const Image t = turn_image(img, k);
  CheckResult u = check_once(t, opt);
  if (u.faces.size() != r.faces.size()) return r;
  for (const FaceResult& f : u.faces)
    if (f.turns != 0) return r;
  for (FaceResult& f : u.faces) {
    unturn(f.det, img.w, img.h, k);
    unturn_box(img.w, img.h, k, &f.crop[0], &f.crop[1], &f.crop[2], &f.crop[3]);
    f.turns = k;
    if (!f.heat.empty() && f.heat_w == f.heat_h) {  // the map back into the photo's orientation
      std::vector<float> back(f.heat.size());
      turn_square(f.heat.data(), back.data(), f.heat_w, 1, (4 - k) % 4);
      f.heat.swap(back);
    }
  }
  u.width = img.w, u.height = img.h;
  u.detect_ms += r.detect_ms;
  u.classify_ms += r.classify_ms;
  return u;
}

CheckResult Checker::check_once(const Image& img, const CheckOptions& opt) {
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
      if (f.turns == 0 || !classify_turned(img, d, f.turns, opt.heatmap, &f)) {
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
