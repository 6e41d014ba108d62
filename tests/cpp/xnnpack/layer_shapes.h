// The real conv layer shapes of BlazeFace (128 short / 192 full range) and EfficientNet-B0 and
// our kernels' runner for each; drives the XNNPACK cross-check, the native benchmark and the wasm
// timing mode of tests/wasm/kernel_check.cc. Free of XNNPACK so that the wasm build can use it.
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"
#include "kernels/kernels.h"

namespace dfs::xnn {

enum class Op { kConv, kDw, kGemm };

struct Layer {
  const char* name;  // net_op_shape, also the gtest parameter name
  Op op;
  int h, w;       // input spatial size
  int cin, cout;  // cout == cin for depthwise
  int k, stride;
  int pad_top, pad_left;
  bool same;  // output size: TF SAME (ceil(in/s)) or symmetric (in + 2*pad - k)/s + 1
  Act act;
  int out_h() const { return same ? same_out(h, stride) : (h + 2 * pad_top - k) / stride + 1; }
  int out_w() const { return same ? same_out(w, stride) : (w + 2 * pad_left - k) / stride + 1; }
  // Weights in our canonical layouts: HWIO (conv), HWC (dw), [cin][cout] (1x1).
  size_t weight_count() const {
    return op == Op::kDw ? size_t(k) * k * cin : size_t(k) * k * cin * cout;
  }
  double flops() const {
    const double px = double(out_h()) * out_w();
    return op == Op::kDw ? 2.0 * px * cout * k * k : 2.0 * px * cout * k * k * cin;
  }
};

// TF SAME leading pads: same_pad_before(in, k, s), e.g. 1 for 5x5s2 on 128 and 0 for 3x3s2 on even
// sizes; the symmetric (PyTorch) ones are k/2.
inline const std::vector<Layer>& layers() {
  static const std::vector<Layer> v = [] {
    std::vector<Layer> l;
    auto conv = [&](const char* n, int hw, int ci, int co, int k, int s, int pad, bool same,
                    Act a) {
      l.push_back({n, Op::kConv, hw, hw, ci, co, k, s, pad, pad, same, a});
    };
    auto dw = [&](const char* n, int hw, int c, int k, int s, int pad, bool same, Act a) {
      l.push_back({n, Op::kDw, hw, hw, c, c, k, s, pad, pad, same, a});
    };
    auto pw = [&](const char* n, int hw, int ci, int co, Act a) {
      l.push_back({n, Op::kGemm, hw, hw, ci, co, 1, 1, 0, 0, true, a});
    };
    // BlazeFace short range, 128x128 input.
    conv("bfs_stem_5x5s2_128_3to24", 128, 3, 24, 5, 2, same_pad_before(128, 5, 2), true,
         Act::kRelu);
    dw("bfs_dw3s1_64x64x24", 64, 24, 3, 1, 1, true, Act::kNone);
    pw("bfs_pw_64x64_24to24", 64, 24, 24, Act::kNone);
    pw("bfs_pw_64x64_24to28", 64, 24, 28, Act::kNone);
    dw("bfs_dw3s2_64x64x28", 64, 28, 3, 2, same_pad_before(64, 3, 2), true, Act::kNone);
    pw("bfs_pw_32x32_28to32", 32, 28, 32, Act::kNone);
    dw("bfs_dw3s1_32x32x32", 32, 32, 3, 1, 1, true, Act::kNone);
    pw("bfs_pw_32x32_32to36", 32, 32, 36, Act::kNone);
    dw("bfs_dw3s1_32x32x36", 32, 36, 3, 1, 1, true, Act::kNone);
    pw("bfs_pw_32x32_36to42", 32, 36, 42, Act::kNone);
    dw("bfs_dw3s2_32x32x42", 32, 42, 3, 2, same_pad_before(32, 3, 2), true, Act::kNone);
    pw("bfs_pw_16x16_42to48", 16, 42, 48, Act::kNone);
    dw("bfs_dw3s1_16x16x48", 16, 48, 3, 1, 1, true, Act::kNone);
    pw("bfs_pw_16x16_48to56", 16, 48, 56, Act::kNone);
    dw("bfs_dw3s1_16x16x56", 16, 56, 3, 1, 1, true, Act::kNone);
    pw("bfs_pw_16x16_56to64", 16, 56, 64, Act::kNone);
    dw("bfs_dw3s1_16x16x64", 16, 64, 3, 1, 1, true, Act::kNone);
    pw("bfs_pw_16x16_64to72", 16, 64, 72, Act::kNone);
    dw("bfs_dw3s1_16x16x72", 16, 72, 3, 1, 1, true, Act::kNone);
    pw("bfs_pw_16x16_72to80", 16, 72, 80, Act::kNone);
    dw("bfs_dw3s1_16x16x80", 16, 80, 3, 1, 1, true, Act::kNone);
    pw("bfs_pw_16x16_80to88", 16, 80, 88, Act::kNone);
    dw("bfs_dw3s1_16x16x88", 16, 88, 3, 1, 1, true, Act::kNone);
    dw("bfs_dw3s2_16x16x88", 16, 88, 3, 2, same_pad_before(16, 3, 2), true, Act::kNone);
    pw("bfs_pw_8x8_88to96", 8, 88, 96, Act::kNone);
    dw("bfs_dw3s1_8x8x96", 8, 96, 3, 1, 1, true, Act::kNone);
    pw("bfs_pw_8x8_96to96", 8, 96, 96, Act::kNone);
    pw("bfs_head_16x16_88to2", 16, 88, 2, Act::kNone);
    pw("bfs_head_16x16_88to32", 16, 88, 32, Act::kNone);
    pw("bfs_head_8x8_96to6", 8, 96, 6, Act::kNone);
    pw("bfs_head_8x8_96to96", 8, 96, 96, Act::kNone);
    // BlazeFace full range, 192x192 input.
    conv("bff_stem_3x3s2_192_3to32", 192, 3, 32, 3, 2, same_pad_before(192, 3, 2), true,
         Act::kRelu);
    dw("bff_dw3s1_96x96x32", 96, 32, 3, 1, 1, true, Act::kNone);
    pw("bff_pw_96x96_32to32", 96, 32, 32, Act::kNone);
    pw("bff_pw_12x12_256to96", 12, 256, 96, Act::kNone);
    pw("bff_pw_6x6_384to96", 6, 384, 96, Act::kNone);
    // EfficientNet-B0, 224x224 input, torchvision symmetric padding, swish.
    conv("b0_stem_3x3s2_224_3to32", 224, 3, 32, 3, 2, 1, false, Act::kSwish);
    dw("b0_dw3s1_112x112x32", 112, 32, 3, 1, 1, false, Act::kSwish);
    pw("b0_pw_112x112_32to16", 112, 32, 16, Act::kNone);
    pw("b0_pw_112x112_16to96", 112, 16, 96, Act::kSwish);
    dw("b0_dw3s2_112x112x96", 112, 96, 3, 2, 1, false, Act::kSwish);
    pw("b0_pw_56x56_96to24", 56, 96, 24, Act::kNone);
    pw("b0_pw_56x56_24to144", 56, 24, 144, Act::kSwish);
    dw("b0_dw5s2_56x56x144", 56, 144, 5, 2, 2, false, Act::kSwish);
    dw("b0_dw5s1_14x14x480", 14, 480, 5, 1, 2, false, Act::kSwish);
    dw("b0_dw5s2_14x14x672", 14, 672, 5, 2, 2, false, Act::kSwish);
    dw("b0_dw3s1_7x7x1152", 7, 1152, 3, 1, 1, false, Act::kSwish);
    pw("b0_pw_7x7_1152to320", 7, 1152, 320, Act::kNone);
    pw("b0_pw_7x7_320to1280", 7, 320, 1280, Act::kSwish);
    return l;
  }();
  return v;
}

// Our side of a layer: weights packed once, run() writes the NHWC output.
class OursLayer {
 public:
  OursLayer(const Layer& l, const float* w, const float* b) : l_(l), w_(w), b_(b) {
    if (l.op == Op::kConv) {
      packed_.resize(f32_conv_packed_size(l.k, l.k, l.cin, l.cout));
      f32_conv_pack(l.k, l.k, l.cin, l.cout, w, b, packed_.data());
      scratch_.resize(f32_conv_scratch_size(l.k, l.k, l.cin));
    } else if (l.op == Op::kGemm) {
      packed_.resize(f32_gemm_packed_size(l.cin, l.cout));
      f32_gemm_pack(l.cin, l.cout, w, b, packed_.data());
    }
  }
  void run(const float* x, float* y) const {
    const Tensor in{const_cast<float*>(x), l_.h, l_.w, l_.cin};
    const Tensor out{y, l_.out_h(), l_.out_w(), l_.cout};
    switch (l_.op) {
      case Op::kConv:
        f32_conv(in, packed_.data(), l_.k, l_.k, l_.stride, l_.pad_top, l_.pad_left, l_.act, out,
                 scratch_.data());
        break;
      case Op::kDw:
        f32_dwconv(in, w_, b_, l_.k, l_.stride, l_.pad_top, l_.pad_left, l_.act, out);
        break;
      case Op::kGemm: f32_gemm(l_.h * l_.w, l_.cin, l_.cout, x, packed_.data(), l_.act, y); break;
    }
  }

 private:
  Layer l_;
  const float* w_;
  const float* b_;
  std::vector<float> packed_;
  mutable std::vector<float> scratch_;  // the conv's im2col chunks (run() is const)
};

}  // namespace dfs::xnn
