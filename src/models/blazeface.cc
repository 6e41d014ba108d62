// BlazeFace: graph validation, arena planning by tensor lifetime, and the forward loop.
#include "models/blazeface.h"

#include <algorithm>
#include <map>

#include "core/status.h"

namespace dfs {

static Act parse_act(const std::string& s, const std::string& where) {
  if (s == "none") return Act::kNone;
  if (s == "relu") return Act::kRelu;
  if (s == "relu6") return Act::kRelu6;
  fail(Code::kBadModel, where + ": unknown activation '" + s + "'");
}

// The largest activation a graph may declare (floats): 64 MiB, 40x the biggest of either shipped
// detector (128 x 128 x 24), so a header cannot make the arena plan ask for gigabytes.
constexpr int64_t kMaxActivationFloats = int64_t(1) << 24;

BlazeFace::BlazeFace(const WeightsFile& wf, bool reference)
    : header_(wf.header()), k_(&kernel_table(reference)) {
  if (wf.kind() != "blazeface")
    fail(Code::kBadModel, "model kind is '" + wf.kind() + "', expected blazeface");
  const Json& in = header_["input"];
  in_h_ = in["height"].integer();
  in_w_ = in["width"].integer();
  if (in_h_ < 16 || in_h_ > 1024 || in_w_ < 16 || in_w_ > 1024 || in["channels"].integer() != 3)
    fail(Code::kBadModel, "blazeface: bad input size");
  norm_ = InputNorm::from(in, "blazeface");

  const Json& g = header_["graph"];
  std::map<std::string, int> ids;
  for (auto& kv : g["tensors"].items()) {
    auto s = kv.second.ints();
    if (s.size() != 3 || s[0] <= 0 || s[1] <= 0 || s[2] <= 0 || s[0] > 4096 || s[1] > 4096 ||
        s[2] > 4096)
      fail(Code::kBadModel, "blazeface: bad shape for tensor '" + kv.first + "'");
    if (int64_t(s[0]) * s[1] * s[2] > kMaxActivationFloats)
      fail(Code::kBadModel, "blazeface: tensor '" + kv.first + "' has " +
                                std::to_string(int64_t(s[0]) * s[1] * s[2]) +
                                " floats, over the limit " + std::to_string(kMaxActivationFloats));
    ids[kv.first] = int(slots_.size());
    slots_.push_back({kv.first, s[0], s[1], s[2]});
  }
  auto id_of = [&](const Json& j) {
    auto it = ids.find(j.str());
    if (it == ids.end()) fail(Code::kBadModel, "blazeface: unknown tensor '" + j.str() + "'");
    return it->second;
  };
  input_id_ = id_of(g["input"]);
  const Slot& is = slots_[input_id_];
  if (is.h != in_h_ || is.w != in_w_ || is.c != 3)
    fail(Code::kBadModel, "blazeface: input shape mismatch");

  std::vector<bool> produced(slots_.size(), false);
  produced[input_id_] = true;
  const Json& ops = g["ops"];
  for (size_t i = 0; i < ops.size(); i++) {
    const Json& j = ops[i];
    const std::string& kind = j["op"].str();
    Op op;
    std::string where = "blazeface op " + std::to_string(i) + " (" + kind + ")";
    if (kind == "add") {
      op.kind = OpKind::kAdd;
      if (!j["in"].is_array() || j["in"].size() != 2)
        fail(Code::kBadModel, where + ": needs 2 inputs");
      op.in0 = id_of(j["in"][0]);
      op.in1 = id_of(j["in"][1]);
    } else {
      op.in0 = id_of(j["in"]);
    }
    op.out = id_of(j["out"]);
    if (!produced[op.in0] || (op.in1 >= 0 && !produced[op.in1]))
      fail(Code::kBadModel, where + ": reads a tensor before it is produced");
    if (produced[op.out]) fail(Code::kBadModel, where + ": writes a tensor twice");
    const Slot &a = slots_[op.in0], &o = slots_[op.out];
    if (j.has("act")) op.act = parse_act(j["act"].str(), where);
    if (kind == "conv" || kind == "conv1x1" || kind == "dwconv") {
      op.k = j["k"].integer();
      op.stride = j["stride"].integer();
      auto pad = j["pad"].ints();
      if (pad.size() != 2) fail(Code::kBadModel, where + ": pad needs [top, left]");
      op.pad_top = pad[0];
      op.pad_left = pad[1];
      if (op.k < 1 || op.k > 7 || op.stride < 1 || op.stride > 2 || op.pad_top < 0 ||
          op.pad_left < 0 || op.pad_top >= op.k || op.pad_left >= op.k)
        fail(Code::kBadModel, where + ": bad kernel/stride/pad");
      // Output extent must be what this stride and leading pad give for some trailing pad < k.
      auto fits = [&](int in, int pad, int out) {
        int lo = (in + pad - op.k) / op.stride + 1, hi = (in + pad - 1) / op.stride + 1;
        return out >= lo && out <= hi;
      };
      if (!fits(a.h, op.pad_top, o.h) || !fits(a.w, op.pad_left, o.w))
        fail(Code::kBadModel, where + ": output size inconsistent with input");
      // Every limit of the op's kernel first (so the error names the op, not a weight), then
      // the weights its shape implies.
      if (kind == "dwconv") {
        op.kind = OpKind::kDwConv;
        if (a.c != o.c || (op.k != 3 && op.k != 5))
          fail(Code::kBadModel, where + ": bad depthwise (k must be 3 or 5, channels kept)");
      } else if (kind == "conv1x1") {
        op.kind = OpKind::kConv1x1;
        if (op.k != 1 || op.stride != 1 || a.h != o.h || a.w != o.w)
          fail(Code::kBadModel, where + ": 1x1 conv must keep the size");
      } else {
        op.kind = OpKind::kConv;
        if (int64_t(op.k) * op.k * a.c > kConvMaxTaps)
          fail(Code::kBadModel, where + ": conv receptive field k*k*cin = " +
                                    std::to_string(int64_t(op.k) * op.k * a.c) +
                                    " exceeds the kernel limit " + std::to_string(kConvMaxTaps));
      }
      const std::string &wn = j["w"].str(), &bn = j["b"].str();
      op.b = wf.get(bn, {o.c});
      if (op.kind == OpKind::kDwConv) {
        op.w = wf.get(wn, {op.k, op.k, o.c});
      } else if (op.kind == OpKind::kConv1x1) {
        op.w = wf.get(wn, {1, 1, a.c, o.c});
        prepare_gemm(reference, a.c, o.c, op.w, op.b, op.packed);
      } else {
        op.w = wf.get(wn, {op.k, op.k, a.c, o.c});
        prepare_conv(reference, op.k, op.k, a.c, o.c, op.w, op.b, op.packed);
        conv_scratch_ = std::max(conv_scratch_, f32_conv_scratch_size(op.k, op.k, a.c));
      }
    } else if (kind == "add") {
      const Slot& b = slots_[op.in1];
      if (a.h != o.h || a.w != o.w || b.h != o.h || b.w != o.w || a.c != o.c || b.c > a.c)
        fail(Code::kBadModel, where + ": add shapes do not fit");
    } else if (kind == "maxpool2x2") {
      op.kind = OpKind::kMaxPool;
      if (o.c != a.c || o.h != (a.h + 1) / 2 || o.w != (a.w + 1) / 2)
        fail(Code::kBadModel, where + ": bad pool shapes");
    } else if (kind == "resize") {
      op.kind = OpKind::kResize;
      if (o.c != a.c) fail(Code::kBadModel, where + ": resize changes channels");
    } else {
      fail(Code::kBadModel, where + ": unknown op");
    }
    produced[op.out] = true;
    ops_.push_back(std::move(op));
  }

  auto gather = [&](const Json& list, int per, std::vector<int>& out) {
    size_t total = 0;
    for (size_t i = 0; i < list.size(); i++) {
      int id = id_of(list[i]);
      if (!produced[id]) fail(Code::kBadModel, "blazeface: output never produced");
      const Slot& s = slots_[id];
      if (s.c % per)
        fail(Code::kBadModel,
             "blazeface: output channels not a multiple of " + std::to_string(per));
      total += size_t(s.h) * s.w * s.c / per;
      out.push_back(id);
    }
    return total;
  };
  size_t ns = gather(g["scores"], 1, score_ids_), nb = gather(g["boxes"], 16, box_ids_);
  num_boxes_ = header_["decode"]["num_boxes"].integer();
  if (ns != size_t(num_boxes_) || nb != size_t(num_boxes_))
    fail(Code::kBadModel, "blazeface: outputs do not cover num_boxes anchors");
  scores_.resize(ns);
  boxes_.resize(nb * 16);

  // Fuse each 1x1 conv with the residual add right after it when nothing else reads the conv's
  // output: one pass adds the shortcut in the GEMM's registers instead of writing the conv output
  // and reading it back (BlazeFace's blocks all end this way). Before the arena plan, so that
  // the fused op's output never shares memory with its inputs.
  {
    std::vector<int> readers(slots_.size(), 0);
    for (const Op& op : ops_) {
      readers[op.in0]++;
      if (op.in1 >= 0) readers[op.in1]++;
    }
    for (int id : score_ids_) readers[id]++;
    for (int id : box_ids_) readers[id]++;
    std::vector<Op> fused;
    for (size_t i = 0; i < ops_.size(); i++) {
      Op& op = ops_[i];
      if (op.kind == OpKind::kConv1x1 && op.act == Act::kNone && i + 1 < ops_.size()) {
        const Op& add = ops_[i + 1];
        if (add.kind == OpKind::kAdd && add.in0 == op.out && add.in1 != op.out &&
            readers[op.out] == 1) {
          op.kind = OpKind::kConv1x1Add;
          op.in1 = add.in1;
          op.act = add.act;
          op.out = add.out;
          fused_ops_++;
          fused.push_back(std::move(op));
          i++;
          continue;
        }
      }
      fused.push_back(std::move(op));
    }
    ops_ = std::move(fused);
  }

  // Arena plan: each activation lives from its producer to its last reader; slots reuse memory
  // first-fit, so peak memory is the largest live set, not the sum of all tensors.
  std::vector<int> last(slots_.size(), -1), first(slots_.size(), -1);
  first[input_id_] = -1;
  for (size_t i = 0; i < ops_.size(); i++) {
    first[ops_[i].out] = int(i);
    last[ops_[i].in0] = std::max(last[ops_[i].in0], int(i));
    if (ops_[i].in1 >= 0) last[ops_[i].in1] = std::max(last[ops_[i].in1], int(i));
  }
  for (int id : score_ids_) last[id] = int(ops_.size());
  for (int id : box_ids_) last[id] = int(ops_.size());
  std::vector<int> order;
  order.push_back(input_id_);
  for (auto& op : ops_) order.push_back(op.out);
  std::vector<int> placed;
  for (int id : order) {
    size_t need = align_up(size_t(slots_[id].h) * slots_[id].w * slots_[id].c, 16);
    int born = id == input_id_ ? -1 : first[id];
    std::vector<std::pair<size_t, size_t>> busy;
    for (int p : placed)
      if (last[p] >= born)
        busy.push_back(
            {slots_[p].off,
             slots_[p].off + align_up(size_t(slots_[p].h) * slots_[p].w * slots_[p].c, 16)});
    std::sort(busy.begin(), busy.end());
    size_t off = 0;
    for (auto& b : busy) {
      if (off + need <= b.first) break;
      off = std::max(off, b.second);
    }
    slots_[id].off = off;
    arena_.ensure(off + need);
    placed.push_back(id);
  }
  // The KxK convs' im2col scratch after every activation (it lives only inside one op).
  scratch_off_ = arena_.floats();
  arena_.ensure(scratch_off_ + conv_scratch_);
  arena_.commit();
}

Tensor BlazeFace::view(int id) const {
  const Slot& s = slots_[id];
  return Tensor{arena_.at(s.off), s.h, s.w, s.c};
}

void BlazeFace::forward(const Probe* probe) {
  for (const Op& op : ops_) {
    Tensor in = view(op.in0), out = view(op.out);
    switch (op.kind) {
      case OpKind::kConv:
        k_->conv(in, dense_view(op.w, op.b, op.packed), op.k, op.k, op.stride, op.pad_top,
                 op.pad_left, op.act, out, arena_.at(scratch_off_));
        break;
      case OpKind::kConv1x1:
        k_->gemm(in.h * in.w, in.c, out.c, in.data, dense_view(op.w, op.b, op.packed), op.act,
                 out.data);
        break;
      case OpKind::kConv1x1Add: {
        const Tensor r = view(op.in1);
        k_->gemm_add(in.h * in.w, in.c, out.c, in.data, dense_view(op.w, op.b, op.packed), r.data,
                     r.c, op.act, out.data);
        break;
      }
      case OpKind::kDwConv:
        k_->dwconv(in, op.w.data(), op.b.data(), op.k, op.stride, op.pad_top, op.pad_left, op.act,
                   out);
        break;
      case OpKind::kAdd: {
        Tensor b = view(op.in1);
        k_->add(out.size() / out.c, in.c, in.data, b.c, b.data, op.act, out.data);
        break;
      }
      case OpKind::kMaxPool: k_->maxpool2x2(in, out); break;
      case OpKind::kResize: k_->resize_bilinear(in, out); break;
    }
    if (probe) (*probe)(slots_[op.out].name, out);
  }
  size_t o = 0;
  for (int id : score_ids_) {
    Tensor t = view(id);
    std::copy(t.data, t.data + t.size(), scores_.begin() + o);
    o += t.size();
  }
  o = 0;
  for (int id : box_ids_) {
    Tensor t = view(id);
    std::copy(t.data, t.data + t.size(), boxes_.begin() + o);
    o += t.size();
  }
}

}  // namespace dfs
