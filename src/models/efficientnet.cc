// EfficientNet forward in fixed code: stem, MBConv blocks with squeeze-excitation, head, logit
// (and the optional kind head). The face classifier built on it is src/pipeline/classifier.cc.
#include "models/efficientnet.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/status.h"

namespace dfs {

static int round_filters(double c, double w) {
  double v = c * w;
  int n = std::max(8, int(v + 4) / 8 * 8);
  if (n < 0.9 * v) n += 8;
  return n;
}

EffNetArch efficientnet_arch(double width, double depth, int head_base) {
  // B0: expand, kernel, stride, cin, cout, repeats.
  static const int kBase[7][6] = {
      {1, 3, 1, 32, 16, 1},  {6, 3, 2, 16, 24, 2},   {6, 5, 2, 24, 40, 2},  {6, 3, 2, 40, 80, 3},
      {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4}, {6, 3, 1, 192, 320, 1}};
  EffNetArch a;
  a.stem = round_filters(32, width);
  a.head = round_filters(head_base, width);
  for (auto& s : kBase) {
    int reps = int(std::ceil(s[5] * depth));
    int cin = round_filters(s[3], width), cout = round_filters(s[4], width);
    for (int r = 0; r < reps; r++) {
      EffNetBlockCfg b;
      b.expand = s[0];
      b.k = s[1];
      b.stride = r == 0 ? s[2] : 1;
      b.cin = r == 0 ? cin : cout;
      b.cout = cout;
      b.cse = std::max(1, b.cin / 4);
      a.blocks.push_back(b);
    }
  }
  return a;
}

bool efficientnet_variant(const std::string& name, double* w, double* d, int* res) {
  static const struct {
    const char* n;
    double w, d;
    int r;
  } kV[] = {{"b0", 1.0, 1.0, 224},
            {"b1", 1.0, 1.1, 240},
            {"b2", 1.1, 1.2, 260},
            {"b3", 1.2, 1.4, 300},
            {"b4", 1.4, 1.8, 380}};
  for (auto& v : kV)
    if (name == v.n) {
      *w = v.w;
      *d = v.d;
      *res = v.r;
      return true;
    }
  return false;
}

EfficientNet::Conv EfficientNet::load_gemm(const WeightsFile& wf, const std::string& name,
                                           const std::vector<int>& shape, int cin, int cout,
                                           bool reference) {
  Conv c;
  c.cin = cin;
  c.cout = cout;
  c.w = wf.get(name + ".w", shape);
  c.b = wf.get(name + ".b", {cout});
  prepare_gemm(reference, cin, cout, c.w, c.b, c.packed);
  return c;
}

void EfficientNet::gemm(const Conv& c, int m, const float* a, Act act, float* out) const {
  k_->gemm(m, c.cin, c.cout, a, dense_view(c.w, c.b, c.packed), act, out);
}

static int conv_out(int in, int k, int s, bool same) {
  return same ? (in + s - 1) / s : (in + 2 * (k / 2) - k) / s + 1;
}
static int conv_pad(int in, int k, int s, bool same) {
  return same ? same_pad_before(in, k, s) : k / 2;
}

EfficientNet::EfficientNet(const WeightsFile& wf, bool reference) : k_(&kernel_table(reference)) {
  if (wf.kind() != "efficientnet")
    fail(Code::kBadModel, "model kind is '" + wf.kind() + "', expected efficientnet");
  const Json& h = wf.header();
  const Json& a = h["arch"];
  double width = a.num_or("width_mult", 1.0), depth = a.num_or("depth_mult", 1.0);
  int res = 0;
  if (a.has("variant") && a["variant"].str() != "custom" &&
      !efficientnet_variant(a["variant"].str(), &width, &depth, &res))
    fail(Code::kBadModel, "efficientnet: unknown variant '" + a["variant"].str() + "'");
  if (!(width >= 0.1 && width <= 4 && depth >= 0.1 && depth <= 4))
    fail(Code::kBadModel, "efficientnet: width/depth multipliers out of range");
  const int head = a.has("head") ? a["head"].integer() : 1280;
  if (head < 8 || head > 4096)
    fail(Code::kBadModel, "efficientnet: arch.head out of range 8..4096");
  arch_ = efficientnet_arch(width, depth, head);
  const std::string pad = a.has("padding") ? a["padding"].str() : "symmetric";
  if (pad != "symmetric" && pad != "same")
    fail(Code::kBadModel, "efficientnet: padding must be symmetric or same");
  arch_.same_padding = pad == "same";
  arch_.attention_after =
      a.has("attention_after_block") ? a["attention_after_block"].integer() : -1;
  if (arch_.attention_after >= int(arch_.blocks.size()))
    fail(Code::kBadModel, "efficientnet: attention block out of range");
  in_h_ = h["input"]["height"].integer();
  in_w_ = h["input"]["width"].integer();
  if (in_h_ < 32 || in_h_ > 1024 || in_w_ < 32 || in_w_ > 1024)
    fail(Code::kBadModel, "efficientnet: input size out of range");
  const bool same = arch_.same_padding;

  stem_h_ = conv_out(in_h_, 3, 2, same);
  stem_w_ = conv_out(in_w_, 3, 2, same);
  stem_pad_ = conv_pad(in_h_, 3, 2, same);
  if (conv_pad(in_w_, 3, 2, same) != stem_pad_)
    fail(Code::kBadModel, "efficientnet: input must be square");
  stem_.cin = 3;
  stem_.cout = arch_.stem;
  stem_.w = wf.get("stem.w", {3, 3, 3, arch_.stem});
  stem_.b = wf.get("stem.b", {arch_.stem});
  prepare_conv(reference, 3, 3, 3, arch_.stem, stem_.w, stem_.b, stem_.packed);

  int hh = stem_h_, ww = stem_w_;
  size_t max_act = size_t(hh) * ww * arch_.stem, max_exp = 0;
  int max_c = arch_.head;
  for (size_t i = 0; i < arch_.blocks.size(); i++) {
    Block b;
    b.cfg = arch_.blocks[i];
    const auto& c = b.cfg;
    std::string p = "blocks." + std::to_string(i) + ".";
    int cexp = c.cin * c.expand;
    if (c.expand != 1)
      b.expand = load_gemm(wf, p + "expand", {1, 1, c.cin, cexp}, c.cin, cexp, reference);
    b.dw_w = wf.get(p + "dw.w", {c.k, c.k, cexp});
    b.dw_b = wf.get(p + "dw.b", {cexp});
    b.se_reduce = load_gemm(wf, p + "se.reduce", {cexp, c.cse}, cexp, c.cse, reference);
    b.se_expand = load_gemm(wf, p + "se.expand", {c.cse, cexp}, c.cse, cexp, reference);
    b.project = load_gemm(wf, p + "project", {1, 1, cexp, c.cout}, cexp, c.cout, reference);
    b.in_h = hh;
    b.in_w = ww;
    b.pad = conv_pad(hh, c.k, c.stride, same);
    b.out_h = conv_out(hh, c.k, c.stride, same);
    b.out_w = conv_out(ww, c.k, c.stride, same);
    max_exp = std::max(max_exp, size_t(hh) * ww * cexp);
    hh = b.out_h;
    ww = b.out_w;
    max_act = std::max(max_act, size_t(hh) * ww * c.cout);
    max_c = std::max(max_c, cexp);
    if (int(i) == arch_.attention_after) {
      att_ = load_gemm(wf, "att", {1, 1, c.cout, 1}, c.cout, 1, reference);
      att_h_ = hh;
      att_w_ = ww;
      att_map_.resize(size_t(hh) * ww);
    }
    blocks_.push_back(std::move(b));
  }
  head_ = load_gemm(wf, "head", {1, 1, arch_.blocks.back().cout, arch_.head},
                    arch_.blocks.back().cout, arch_.head, reference);
  max_act = std::max(max_act, size_t(hh) * ww * arch_.head);
  fc_ = load_gemm(wf, "fc", {arch_.head, 1}, arch_.head, 1, reference);
  if (a.has("kind_head") && a["kind_head"].type() != Json::Type::kBool)
    fail(Code::kBadModel, "efficientnet: arch.kind_head must be true or false");
  if (a.has("kind_head") && a["kind_head"].boolean()) {
    kind_ = load_gemm(wf, "kind", {arch_.head, 1}, arch_.head, 1, reference);
    has_kind_ = true;
  }
  input_.resize(size_t(in_h_) * in_w_ * 3);
  // Two ping-pong activation buffers, the expanded and depthwise buffers and the stem's scratch:
  // allocated once.
  buf_[0] = aligned_floats(max_act);
  buf_[1] = aligned_floats(max_act);
  buf_[2] = aligned_floats(std::max(max_exp, max_act));
  buf_[3] = aligned_floats(std::max(max_exp, max_act));
  buf_[4] = aligned_floats(std::max<size_t>(f32_conv_scratch_size(3, 3, 3), 16));  // stem im2col
  pool_.resize(max_c);
  se1_.resize(max_c);
  se2_.resize(max_c);
}

float EfficientNet::forward(const Probe* probe) {
  Tensor in{input_.data(), in_h_, in_w_, 3};
  Tensor x{buf_[0].get(), stem_h_, stem_w_, arch_.stem};  // [H/2, W/2, stem]
  k_->conv(in, dense_view(stem_.w, stem_.b, stem_.packed), 3, 3, 2, stem_pad_, stem_pad_,
           Act::kSwish, x, buf_[4].get());
  if (probe) (*probe)("stem", x);
  int cur = 0;
  for (size_t i = 0; i < blocks_.size(); i++) {
    const Block& b = blocks_[i];
    const auto& c = b.cfg;
    const int cexp = c.cin * c.expand;
    const size_t pix_in = size_t(b.in_h) * b.in_w, pix_out = size_t(b.out_h) * b.out_w;
    Tensor e{x.data, b.in_h, b.in_w, cexp};  // [h, w, cexp]
    if (c.expand != 1) {
      e.data = buf_[2].get();
      gemm(b.expand, int(pix_in), x.data, Act::kSwish, e.data);
    }
    Tensor d{buf_[3].get(), b.out_h, b.out_w, cexp};  // [h/s, w/s, cexp]
    k_->dwconv(e, b.dw_w.data(), b.dw_b.data(), c.k, c.stride, b.pad, b.pad, Act::kSwish, d);
    // Squeeze-excitation: channel gates from the pooled depthwise output.
    k_->gavgpool(d, pool_.data());                                  // [cexp]
    gemm(b.se_reduce, 1, pool_.data(), Act::kSwish, se1_.data());   // [cse]
    gemm(b.se_expand, 1, se1_.data(), Act::kSigmoid, se2_.data());  // [cexp]
    k_->scale_channels(pix_out, cexp, d.data, se2_.data());
    Tensor y{buf_[1 - cur].get(), b.out_h, b.out_w, c.cout};  // [h/s, w/s, cout]
    gemm(b.project, int(pix_out), d.data, Act::kNone, y.data);
    if (c.stride == 1 && c.cin == c.cout)
      k_->add(pix_out, c.cout, y.data, c.cout, x.data, Act::kNone, y.data);
    cur = 1 - cur;
    x = y;
    if (int(i) == arch_.attention_after) {
      // AutoAtt: a 1x1 conv to one channel, sigmoid, multiplied back into every channel.
      gemm(att_, int(pix_out), x.data, Act::kSigmoid, att_map_.data());
      for (size_t p = 0; p < pix_out; p++)
        for (int ch = 0; ch < c.cout; ch++) x.data[p * c.cout + ch] *= att_map_[p];
      if (probe) (*probe)("attention", Tensor{att_map_.data(), att_h_, att_w_, 1});
    }
    if (probe) (*probe)("block" + std::to_string(i), x);
  }
  Tensor hd{buf_[1 - cur].get(), x.h, x.w, arch_.head};  // [h, w, head]
  gemm(head_, x.h * x.w, x.data, Act::kSwish, hd.data);
  if (probe) (*probe)("head", hd);
  k_->gavgpool(hd, pool_.data());  // [head]
  if (probe) (*probe)("pool", Tensor{pool_.data(), 1, 1, arch_.head});
  float logit = 0;
  gemm(fc_, 1, pool_.data(), Act::kNone, &logit);
  if (has_kind_) gemm(kind_, 1, pool_.data(), Act::kNone, &kind_logit_);
  return logit;
}

size_t EfficientNet::weight_floats() const {
  auto n = [](const Conv& c) { return c.w.size() + c.b.size() + c.packed.size(); };
  size_t total = n(stem_) + n(head_) + n(fc_) + n(att_) + n(kind_);
  for (const Block& b : blocks_)
    total += n(b.expand) + n(b.project) + n(b.se_reduce) + n(b.se_expand) + b.dw_w.size() +
             b.dw_b.size();
  return total;
}

}  // namespace dfs
