// XNNPACK's side of each real layer shape (see layer_shapes.h), for the cross-check and the
// native benchmark.
#pragma once
#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <vector>

#include "xnnpack/layer_shapes.h"

namespace dfs::xnn {

inline void check_xnn(xnn_status s, const char* what) {
  if (s != xnn_status_success) {
    std::fprintf(stderr, "XNNPACK %s failed with status %d\n", what, int(s));
    std::abort();
  }
}

inline void xnn_init_once() {
  static const bool ok = [] {
    check_xnn(xnn_initialize(nullptr), "xnn_initialize");
    return true;
  }();
  (void)ok;
}

// XNNPACK's side: one convolution2d_nhwc_f32 operator (explicit, possibly asymmetric padding),
// with min/max clamping for relu/relu6 and, because XNNPACK cannot fuse them, separate sigmoid and
// multiply operators for sigmoid/swish (what a TFLite-with-XNNPACK graph executes).
class XnnLayer {
 public:
  XnnLayer(const Layer& l, const float* w, const float* b) : l_(l) {
    xnn_init_once();
    const int oh = l.out_h(), ow = l.out_w();
    const int pb = std::max(0, (oh - 1) * l.stride + l.k - l.h - l.pad_top);
    const int pr = std::max(0, (ow - 1) * l.stride + l.k - l.w - l.pad_left);
    if ((l.h + l.pad_top + pb - l.k) / l.stride + 1 != oh ||
        (l.w + l.pad_left + pr - l.k) / l.stride + 1 != ow) {
      std::fprintf(stderr, "layer %s: no XNNPACK padding gives our output size\n", l.name);
      std::abort();
    }
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    if (l.act == Act::kRelu) lo = 0.f;
    if (l.act == Act::kRelu6) lo = 0.f, hi = 6.f;
    std::vector<float> kernel;
    uint32_t groups = 1, flags = 0;
    size_t gin = l.cin, gout = l.cout;
    if (l.op == Op::kDw) {
      // With XNN_FLAG_DEPTHWISE_CONVOLUTION the filter is [kh][kw][channels]: our layout.
      kernel.assign(w, w + l.weight_count());
      groups = l.cin, gin = 1, gout = 1, flags = XNN_FLAG_DEPTHWISE_CONVOLUTION;
    } else {
      // Dense filters are OHWI; ours are HWIO.
      const size_t taps = size_t(l.k) * l.k;
      kernel.resize(l.weight_count());
      for (size_t t = 0; t < taps; t++)
        for (int ci = 0; ci < l.cin; ci++)
          for (int co = 0; co < l.cout; co++)
            kernel[(size_t(co) * taps + t) * l.cin + ci] = w[(t * l.cin + ci) * l.cout + co];
    }
    check_xnn(xnn_create_convolution2d_nhwc_f32(l.pad_top, pr, pb, l.pad_left, l.k, l.k, l.stride,
                                                l.stride, 1, 1, groups, gin, gout, l.cin, l.cout,
                                                kernel.data(), b, lo, hi, flags, &conv_),
              "create_convolution2d");
    out_size_ = size_t(oh) * ow * l.cout;
    if (l.act == Act::kSigmoid || l.act == Act::kSwish) {
      check_xnn(xnn_create_sigmoid_nc_f32(l.cout, l.cout, l.cout, 0, &sig_), "create_sigmoid");
      if (l.act == Act::kSwish) {
        check_xnn(xnn_create_multiply_nd_f32(lo, hi, 0, &mul_), "create_multiply");
        scratch_.resize(out_size_ * 2);
      } else {
        scratch_.resize(out_size_);
      }
    }
  }
  ~XnnLayer() {
    for (xnn_operator_t op : {conv_, sig_, mul_})
      if (op) xnn_delete_operator(op);
  }
  XnnLayer(const XnnLayer&) = delete;
  XnnLayer& operator=(const XnnLayer&) = delete;

  // Binds input and output buffers (XNNPACK's setup step, outside the timed region).
  void setup(const float* x, float* y) {
    const size_t pixels = size_t(l_.out_h()) * l_.out_w();
    float* conv_out = y;
    if (l_.act == Act::kSigmoid) conv_out = scratch_.data();
    if (l_.act == Act::kSwish) conv_out = scratch_.data();
    check_xnn(xnn_setup_convolution2d_nhwc_f32(conv_, 1, l_.h, l_.w, x, conv_out, nullptr),
              "setup_convolution2d");
    if (l_.act == Act::kSigmoid) {
      check_xnn(xnn_setup_sigmoid_nc_f32(sig_, pixels, conv_out, y, nullptr), "setup_sigmoid");
    } else if (l_.act == Act::kSwish) {
      float* sig_out = scratch_.data() + out_size_;
      check_xnn(xnn_setup_sigmoid_nc_f32(sig_, pixels, conv_out, sig_out, nullptr),
                "setup_sigmoid");
      const size_t shape[2] = {pixels, size_t(l_.cout)};
      check_xnn(xnn_setup_multiply_nd_f32(mul_, 2, shape, 2, shape, conv_out, sig_out, y, nullptr),
                "setup_multiply");
    }
  }
  void run() {
    check_xnn(xnn_run_operator(conv_, nullptr), "run conv");
    if (sig_) check_xnn(xnn_run_operator(sig_, nullptr), "run sigmoid");
    if (mul_) check_xnn(xnn_run_operator(mul_, nullptr), "run multiply");
  }

 private:
  Layer l_;
  xnn_operator_t conv_ = nullptr, sig_ = nullptr, mul_ = nullptr;
  size_t out_size_ = 0;
  std::vector<float> scratch_;
};

}  // namespace dfs::xnn
