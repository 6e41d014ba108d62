// The face classifier: the product's crop of a detected face (margin, mirrored border, turned
// upright), normalization, flip test-time augmentation, EfficientNet forward, calibration.
#include "pipeline/classifier.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/status.h"
#include "pipeline/detect.h"

namespace dfs {

// Mirrors each row of an HWC image in place (left <-> right).
static void mirror_rows(float* img, int h, int w, int c) {
  for (int y = 0; y < h; y++) {
    float* row = img + size_t(y) * w * c;
    for (int l = 0, r = w - 1; l < r; l++, r--)
      for (int k = 0; k < c; k++) std::swap(row[size_t(l) * c + k], row[size_t(r) * c + k]);
  }
}

Classifier::Classifier(const WeightsFile& wf) : header_(wf.header()), net_(wf) {
  norm_ = InputNorm::from(header_["input"], "classifier");
  const Json& pre = header_["preprocess"];
  margin_ = float(pre.num_or("margin", 0.2));
  if (!(margin_ >= 0 && margin_ <= 2)) fail(Code::kBadModel, "classifier: margin out of range");
  // What the crop reads beyond the photo's edges: black (older models) or the photo mirrored.
  const std::string border = pre.has("border") ? pre["border"].str() : "fill";
  if (border == "mirror") {
    border_ = Border::kMirror;
  } else if (border != "fill") {
    fail(Code::kBadModel, "classifier: preprocess.border must be \"fill\" or \"mirror\"");
  }
  // Test-time augmentation the calibration was fitted with: "flip" averages the logits of the
  // crop and of its mirror image.
  const std::string tta = pre.has("tta") ? pre["tta"].str() : "none";
  if (tta == "flip") {
    tta_flip_ = true;
  } else if (tta != "none") {
    fail(Code::kBadModel, "classifier: preprocess.tta must be \"none\" or \"flip\"");
  }
  const Json& cal = header_["calibration"];
  temperature_ = float(cal.num_or("temperature", 1.0));
  threshold_ = float(cal.num_or("threshold", 0.5));
  if (!(temperature_ > 0.01f && temperature_ < 100.f))
    fail(Code::kBadModel, "classifier: bad temperature");
  if (!(threshold_ > 0.f && threshold_ < 1.f))
    fail(Code::kBadModel, "classifier: calibration.threshold must be in (0, 1)");
  band_lo_ = band_hi_ = threshold_;
  if (cal.has("inconclusive")) {
    const Json& b = cal["inconclusive"];
    if (!b.is_array() || b.size() != 2)
      fail(Code::kBadModel, "classifier: calibration.inconclusive must be [lo, hi]");
    band_lo_ = float(b[0].num());
    band_hi_ = float(b[1].num());
    if (!(band_lo_ > 0.f && band_lo_ <= threshold_ && threshold_ <= band_hi_ && band_hi_ < 1.f))
      fail(Code::kBadModel,
           "classifier: calibration.inconclusive must satisfy 0 < lo <= threshold <= hi < 1");
  }
  rgb_.resize(size_t(net_.input_h()) * net_.input_w() * 3);
}

float Classifier::classify_face(const Image& img, const Detection& d, std::vector<float>* heat,
                                int* heat_w, int* heat_h, float crop[4], float* synthetic,
                                int turns) {
  // Square crop centered on the box, each side widened by `margin` of the box's larger side.
  float side = std::max(d.w, d.h) * (1 + 2 * margin_);
  float cx = d.x + d.w / 2, cy = d.y + d.h / 2;
  crop[0] = cx - side / 2;
  crop[1] = cy - side / 2;
  crop[2] = crop[3] = side;
  const int H = net_.input_h(), W = net_.input_w();
  resample_region(img, crop[0], crop[1], side, side, W, H, 0.f, rgb_.data(), border_);
  // A face on its side (the photo rotated without EXIF) is turned upright first: the model only
  // ever saw upright faces, and scored them 0.3-0.4 apart from the same face turned 90 degrees.
  turns = W == H ? ((turns % 4) + 4) % 4 : 0;
  if (turns) {
    std::vector<float> turned(rgb_.size());
    turn_square(rgb_.data(), turned.data(), W, 3, turns);
    rgb_.swap(turned);
  }
  norm_.apply(rgb_.data(), size_t(H) * W, net_.input());
  float logit = net_.forward();
  float kind = net_.kind_logit();
  const bool want_heat = heat && !net_.attention().empty();
  if (want_heat) {
    *heat = net_.attention();
    *heat_w = net_.att_w();
    *heat_h = net_.att_h();
  }
  if (tta_flip_) {
    mirror_rows(net_.input(), H, W, 3);
    logit = 0.5f * (logit + net_.forward());
    kind = 0.5f * (kind + net_.kind_logit());
    if (want_heat) {  // the mirror image's map, mirrored back, averaged in
      const std::vector<float>& a = net_.attention();
      const int aw = *heat_w;
      for (int y = 0; y < *heat_h; y++)
        for (int x = 0; x < aw; x++) {
          float& v = (*heat)[size_t(y) * aw + x];
          v = 0.5f * (v + a[size_t(y) * aw + (aw - 1 - x)]);
        }
    }
  }
  if (want_heat && turns && *heat_w == *heat_h) {  // the map back into the photo's orientation
    const int aw = *heat_w;
    std::vector<float> back(heat->size());
    turn_square(heat->data(), back.data(), aw, 1, (4 - turns) % 4);
    heat->swap(back);
  }
  if (synthetic) *synthetic = net_.has_kind() ? 1.f / (1.f + std::exp(-kind)) : NAN;
  return 1.f / (1.f + std::exp(-logit / temperature_));
}

}  // namespace dfs
