// The face classifier built on EfficientNet: crop with margin, turn upright, resize, normalize,
// forward (flip TTA), calibrated sigmoid, the inconclusive band and the kind head.
#pragma once
#include <string>
#include <vector>

#include "image/image.h"
#include "models/efficientnet.h"

namespace dfs {

struct Detection;

class Classifier {
 public:
  explicit Classifier(const WeightsFile& wf);
  // P(fake) for one detected face; fills the attention map (if any and heat != null) and the
  // square crop used (x, y, side, side) in source pixels. With a kind head, *synthetic gets
  // P(whole face generated | fake) (else NaN): the rest is "replaced" (swap, reenactment).
  // turns: quarter turns (turn_square) that make the face upright; the heat map is turned back.
  float classify_face(const Image& img, const Detection& d, std::vector<float>* heat, int* heat_w,
                      int* heat_h, float crop[4], float* synthetic = nullptr, int turns = 0);
  float threshold() const { return threshold_; }
  // The inconclusive band [lo, hi] around the threshold (calibration.inconclusive; a model
  // without one has lo = hi = threshold).
  float band_lo() const { return band_lo_; }
  float band_hi() const { return band_hi_; }
  bool tta_flip() const { return tta_flip_; }
  EfficientNet& net() { return net_; }
  const Json& header() const { return header_; }

 private:
  Json header_;
  EfficientNet net_;
  InputNorm norm_;
  float margin_, temperature_, threshold_, band_lo_, band_hi_;
  Border border_ = Border::kFill;
  bool tta_flip_ = false;
  std::vector<float> rgb_;
};

}  // namespace dfs
