// EfficientNet (B0..B4 by compound scaling, optional AutoAtt attention) and the face classifier
// built on it: crop with margin, resize, normalize, forward, calibrated sigmoid.
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"
#include "image/image.h"
#include "kernels/kernels.h"
#include "models/blazeface.h"  // Probe
#include "models/weights.h"

namespace dfs {

struct Detection;

struct EffNetBlockCfg {
  int expand, k, stride, cin, cout, cse;
};

struct EffNetArch {
  int stem = 32, head = 1280;
  std::vector<EffNetBlockCfg> blocks;
  bool same_padding = false;
  int attention_after = -1;
};
// The B0 table scaled by width/depth (FORMAT.md). Variants b0..b4 name their multipliers.
EffNetArch efficientnet_arch(double width_mult, double depth_mult, int head_base = 1280);
bool efficientnet_variant(const std::string& name, double* width, double* depth, int* resolution);

class EfficientNet {
 public:
  explicit EfficientNet(const WeightsFile& wf);
  const EffNetArch& arch() const { return arch_; }
  int input_h() const { return in_h_; }
  int input_w() const { return in_w_; }
  float* input() { return input_.data(); }
  // Returns the logit. When the model has attention, attention() holds the last map; when it
  // has a kind head (arch.kind_head), kind_logit() holds that head's logit for the same input.
  float forward(const Probe* probe = nullptr);
  bool has_kind() const { return has_kind_; }
  float kind_logit() const { return kind_logit_; }
  const std::vector<float>& attention() const { return att_map_; }
  int att_h() const { return att_h_; }
  int att_w() const { return att_w_; }
  void set_reference(bool ref) { reference_ = ref; }

 private:
  struct Conv {
    FloatArray w, b, packed;
    int cin = 0, cout = 0;
  };
  struct Block {
    EffNetBlockCfg cfg;
    Conv expand, project, se_reduce, se_expand;
    FloatArray dw_w, dw_b;
    int in_h, in_w, out_h, out_w, pad;
  };
  Conv load_gemm(const WeightsFile& wf, const std::string& name, const std::vector<int>& shape,
                 int cin, int cout);
  void gemm(const Conv& c, int m, const float* a, Act act, float* out) const;

  EffNetArch arch_;
  int in_h_ = 0, in_w_ = 0;
  Conv stem_, head_, fc_, att_, kind_;
  bool has_kind_ = false;
  float kind_logit_ = 0;
  int stem_pad_ = 0, stem_h_ = 0, stem_w_ = 0;
  std::vector<Block> blocks_;
  std::vector<float> input_, pool_, se1_, se2_, att_map_;
  AlignedBuf buf_[4];
  int att_h_ = 0, att_w_ = 0;
  bool reference_ = false;
};

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
