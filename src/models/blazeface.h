// BlazeFace forward pass: the op list from the .dfs header, run with our kernels over one arena.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "kernels/kernels.h"
#include "models/weights.h"

namespace dfs {

// Called after each op with the op's output name and tensor (for per-layer golden tests).
using Probe = std::function<void(const std::string& name, const Tensor& t)>;

class BlazeFace {
 public:
  // Validates the graph (shapes, names, weight shapes) and plans the arena. Throws kBadModel.
  // reference: run the plain reference kernels (the oracle tests); otherwise the optimized ones.
  explicit BlazeFace(const WeightsFile& wf, bool reference = false);

  int input_h() const { return in_h_; }
  int input_w() const { return in_w_; }
  const InputNorm& norm() const { return norm_; }
  int num_boxes() const { return num_boxes_; }
  const Json& header() const { return header_; }
  // How many 1x1 conv + residual add pairs run as one fused op.
  int fused_ops() const { return fused_ops_; }

  // The input slot (H x W x 3, already normalized) to fill before forward().
  float* input() { return arena_.at(slots_[input_id_].off); }
  // Runs the network; then scores() holds num_boxes raw logits, boxes() num_boxes x 16 values.
  void forward(const Probe* probe = nullptr);
  const float* scores() const { return scores_.data(); }
  const float* boxes() const { return boxes_.data(); }

 private:
  // kConv1x1Add: a 1x1 conv fused at load with the residual add that alone reads it (in1 is
  // the shortcut, act the add's).
  enum class OpKind { kConv, kConv1x1, kConv1x1Add, kDwConv, kAdd, kMaxPool, kResize };
  struct Op {
    OpKind kind;
    int in0 = -1, in1 = -1, out = -1;  // activation ids
    int k = 1, stride = 1, pad_top = 0, pad_left = 0;
    Act act = Act::kNone;
    FloatArray w, b, packed;  // canonical (reference kernels, depthwise) or packed (conv, 1x1)
  };
  struct Slot {
    std::string name;
    int h, w, c;
    size_t off = 0;
  };
  Tensor view(int id) const;

  Json header_;
  int in_h_ = 0, in_w_ = 0, num_boxes_ = 0, input_id_ = -1, fused_ops_ = 0;
  InputNorm norm_;
  std::vector<Slot> slots_;
  std::vector<Op> ops_;
  std::vector<int> score_ids_, box_ids_;
  std::vector<float> scores_, boxes_;
  Arena arena_;
  size_t conv_scratch_ = 0, scratch_off_ = 0;  // floats of conv scratch, at this arena offset
  const KernelTable* k_;
};

}  // namespace dfs
