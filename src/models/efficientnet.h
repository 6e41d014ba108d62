// EfficientNet (B0..B4 by compound scaling, optional AutoAtt attention, optional kind head).
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"
#include "kernels/kernels.h"
#include "models/blazeface.h"  // Probe
#include "models/weights.h"

namespace dfs {

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
  // reference: run the plain reference kernels (the oracle tests); otherwise the optimized ones.
  explicit EfficientNet(const WeightsFile& wf, bool reference = false);
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
  // Floats of weights held (canonical or packed, whichever the kernel table reads).
  size_t weight_floats() const;

 private:
  struct Conv {
    FloatArray w, b, packed;  // canonical (reference kernels) or packed (optimized), not both
    int cin = 0, cout = 0;
  };
  struct Block {
    EffNetBlockCfg cfg;
    Conv expand, project, se_reduce, se_expand;
    FloatArray dw_w, dw_b;
    int in_h, in_w, out_h, out_w, pad;
  };
  Conv load_gemm(const WeightsFile& wf, const std::string& name, const std::vector<int>& shape,
                 int cin, int cout, bool reference);
  void gemm(const Conv& c, int m, const float* a, Act act, float* out) const;

  EffNetArch arch_;
  int in_h_ = 0, in_w_ = 0;
  Conv stem_, head_, fc_, att_, kind_;
  bool has_kind_ = false;
  float kind_logit_ = 0;
  int stem_pad_ = 0, stem_h_ = 0, stem_w_ = 0;
  std::vector<Block> blocks_;
  std::vector<float> input_, pool_, se1_, se2_, att_map_;
  AlignedBuf buf_[5];
  int att_h_ = 0, att_w_ = 0;
  const KernelTable* k_;
};

}  // namespace dfs
