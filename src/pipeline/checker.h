// The whole check: decode -> detect faces -> crop + classify each -> image verdict, with timings.
#pragma once
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "image/image.h"
#include "pipeline/detect.h"
#include "provenance/provenance.h"

namespace dfs {

class Classifier;  // src/pipeline/classifier.h

struct CheckOptions {
  DetectOptions detect;
  DecodeLimits limits;
  bool classify = true;
  bool heatmap = false;
  bool upright = true;  // turn faces on their side upright before classifying
};

struct FaceResult {
  Detection det;               // source pixels
  float fake = NAN;            // P(manipulated) in [0,1]; NaN when no classifier is loaded
  float synthetic = NAN;       // P(whole face generated | manipulated); NaN without a kind head
  int turns = 0;               // quarter turns applied to the crop to make the face upright
  int heat_w = 0, heat_h = 0;  // attention map over the classifier's crop, when it has one
  std::vector<float> heat;
  float crop[4] = {0, 0, 0, 0};  // the square crop (x, y, side, side) the classifier saw
};

struct CheckResult {
  int width = 0, height = 0;
  std::vector<FaceResult> faces;
  float fake = NAN;      // max over faces; NaN with no face or no classifier
  bool scanned = false;  // provenance was read (encoded input only)
  Provenance provenance;
  double decode_ms = 0, detect_ms = 0, classify_ms = 0;
};

class Checker {
 public:
  Checker();
  ~Checker();
  // Loads a detector (.dfs kind blazeface; the header's name says short or full range) or the
  // classifier (kind efficientnet). Replaces a model of the same role. Throws kBadModel, also
  // when `role` is given and the file is of another kind (a detector offered as the classifier
  // must not silently replace a detector).
  enum class Role { kAny, kDetectorShort, kDetectorFull, kClassifier };
  void load_model(const uint8_t* bytes, size_t size, Role role = Role::kAny);
  bool has_detector() const { return short_ || full_; }
  bool has_classifier() const { return bool(classifier_); }
  const Classifier* classifier() const { return classifier_.get(); }

  CheckResult check_encoded(const uint8_t* bytes, size_t size, const CheckOptions& opt);
  CheckResult check_rgba(const uint8_t* rgba, int w, int h, size_t stride, const CheckOptions& opt);
  CheckResult check_image(const Image& img, const CheckOptions& opt);

  // Quarter turns (0..3, turn_square) that make this face upright: the short-range detector is
  // run on the face's square neighbourhood turned each way and the most confident turn wins,
  // if it clearly beats upright. BlazeFace's keypoints cannot tell: it regresses them as if
  // the face were upright.
  int upright_turns(const Image& img, const Detection& d);

 private:
  // Scores a face on its side: re-detected in its neighbourhood turned upright, that box turned
  // back into the photo (f->det), and the classifier's crop of the photo turned upright (fake,
  // synthetic, crop, and the heat map turned back when asked). False when the turned face is not
  // found again.
  bool classify_turned(const Image& img, const Detection& d, int turns, bool heatmap,
                       FaceResult* f);
  // check_image without the whole-photo turn.
  CheckResult check_once(const Image& img, const CheckOptions& opt);
  std::unique_ptr<FaceDetector> short_, full_;
  std::unique_ptr<Classifier> classifier_;
};

}  // namespace dfs
