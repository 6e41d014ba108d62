// .dfs parsing: every size and offset is checked before use; a lying file is a BAD_MODEL error.
#include "models/weights.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "core/status.h"

namespace dfs {

float f16_to_f32(uint16_t h) {
  // Branch-free and exact for every half, subnormals included: put exponent and mantissa where
  // a float keeps them and rescale by 2^(127-15); an all-ones exponent (inf/NaN) is restored
  // after. Loading runs this over every f16 weight, so it has to vectorize.
  const uint32_t em = uint32_t(h & 0x7fffu) << 13;
  float f;
  std::memcpy(&f, &em, 4);
  f *= 0x1p112f;
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  bits |= (h & 0x7c00u) == 0x7c00u ? 0x7f800000u : 0u;
  bits |= uint32_t(h & 0x8000u) << 16;
  std::memcpy(&f, &bits, 4);
  return f;
}

InputNorm InputNorm::from(const Json& in, const std::string& who) {
  auto mean = in["mean"].floats(), stdv = in["std"].floats();
  if (mean.size() != 3 || stdv.size() != 3) fail(Code::kBadModel, who + ": mean/std need 3 values");
  InputNorm n;
  for (int i = 0; i < 3; i++) {
    n.mean[i] = mean[i];
    n.std[i] = stdv[i];
    if (!(n.std[i] > 1e-6f) || !std::isfinite(n.mean[i]))
      fail(Code::kBadModel, who + ": std must be positive and mean finite");
  }
  return n;
}

void InputNorm::apply(const float* rgb255, size_t pixels, float* out) const {
  // Folded into one multiply-add per value.
  float scale[3], shift[3];
  for (int c = 0; c < 3; c++) {
    scale[c] = 1.f / (255.f * std[c]);
    shift[c] = -mean[c] / std[c];
  }
  for (size_t i = 0; i < pixels; i++)
    for (int c = 0; c < 3; c++) out[i * 3 + c] = rgb255[i * 3 + c] * scale[c] + shift[c];
}

static uint32_t rd32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

WeightsFile WeightsFile::parse(const uint8_t* bytes, size_t size) {
  if (!bytes || size == 0) fail(Code::kEmptyInput, "model file is empty");
  if (size < 20 || std::memcmp(bytes, "DFSMODEL", 8) != 0)
    fail(Code::kBadModel, "not a Deepfake Shield model file (bad magic)");
  uint32_t version = rd32(bytes + 8);
  if (version != 1)
    fail(Code::kBadModel, "unsupported model file version " + std::to_string(version));
  uint32_t crc_stored = rd32(bytes + size - 4);
  if (crc32_ieee(bytes, size - 4) != crc_stored)
    fail(Code::kBadModel, "model file checksum mismatch (truncated or corrupted)");
  size_t json_len = rd32(bytes + 12);
  if (json_len > size - 20) fail(Code::kBadModel, "model header length exceeds the file");
  WeightsFile w;
  w.bytes_.reset(new uint8_t[size]);
  std::memcpy(w.bytes_.get(), bytes, size);
  w.data_start_ = (16 + json_len + 63) / 64 * 64;
  if (w.data_start_ > size - 4) fail(Code::kBadModel, "model data section starts past the end");
  w.data_len_ = size - 4 - w.data_start_;
  w.header_ = Json::parse(reinterpret_cast<const char*>(w.bytes_.get() + 16), json_len);
  if (!w.header_.is_object()) fail(Code::kBadModel, "model header is not an object");
  w.kind_ = w.header_["kind"].str();
  const Json& ts = w.header_["tensors"];
  if (!ts.is_array()) fail(Code::kBadModel, "model header: 'tensors' must be an array");
  for (size_t i = 0; i < ts.size(); i++) {
    const Json& t = ts[i];
    Entry e;
    e.name = t["name"].str();
    const std::string& dt = t["dtype"].str();
    size_t esize;
    if (dt == "f32") {
      e.dtype = 0;
      esize = 4;
    } else if (dt == "f16") {
      e.dtype = 1;
      esize = 2;
    } else if (dt == "i8") {
      e.dtype = 2;
      esize = 1;
    } else
      fail(Code::kBadModel, "tensor '" + e.name + "': unknown dtype '" + dt + "'");
    e.shape = t["shape"].ints();
    if (e.shape.empty() || e.shape.size() > 6)
      fail(Code::kBadModel, "tensor '" + e.name + "': bad rank");
    size_t n = 1;
    for (int d : e.shape) {
      if (d <= 0 || d > (1 << 24)) fail(Code::kBadModel, "tensor '" + e.name + "': bad dimension");
      if (n > std::numeric_limits<size_t>::max() / size_t(d) / 8)
        fail(Code::kBadModel, "tensor '" + e.name + "': too large");
      n *= size_t(d);
    }
    double off = t["offset"].num(), nb = t["nbytes"].num();
    if (off < 0 || nb < 0 || off > double(w.data_len_) || nb > double(w.data_len_))
      fail(Code::kBadModel, "tensor '" + e.name + "': offset/size outside the file");
    e.offset = size_t(off);
    e.nbytes = size_t(nb);
    if (double(e.offset) != off || double(e.nbytes) != nb)
      fail(Code::kBadModel, "tensor '" + e.name + "': non-integral offset");
    if (e.nbytes != n * esize)
      fail(Code::kBadModel, "tensor '" + e.name + "': byte size does not match its shape");
    if (e.offset > w.data_len_ - e.nbytes)
      fail(Code::kBadModel, "tensor '" + e.name + "': data runs past the end of the file");
    for (auto& other : w.entries_)
      if (other.name == e.name) fail(Code::kBadModel, "tensor '" + e.name + "' listed twice");
    w.entries_.push_back(std::move(e));
  }
  return w;
}

const WeightsFile::Entry& WeightsFile::find(const std::string& name) const {
  for (auto& e : entries_)
    if (e.name == name) return e;
  fail(Code::kBadModel, "model is missing tensor '" + name + "'");
}

FloatArray WeightsFile::get(const std::string& name, const std::vector<int>& shape) const {
  const Entry& e = find(name);
  if (e.shape != shape) {
    auto dims = [](const std::vector<int>& v) {
      std::string s;
      for (size_t i = 0; i < v.size(); i++) s += (i ? "," : "") + std::to_string(v[i]);
      return "[" + s + "]";
    };
    fail(Code::kBadModel,
         "tensor '" + name + "' has shape " + dims(e.shape) + ", expected " + dims(shape));
  }
  size_t n = 1;
  for (int d : shape) n *= size_t(d);
  FloatArray out(n);
  const uint8_t* p = bytes_.get() + data_start_ + e.offset;
  if (e.dtype == 0) {
    std::memcpy(out.data(), p, n * 4);
  } else if (e.dtype == 1) {
    // Infinity and NaN are the halves with an all-ones exponent: checked on the bits here, in
    // the same pass, so the float check below is skipped for f16 tensors.
    uint32_t bad = 0;
    float* __restrict o = out.data();
    for (size_t i = 0; i < n; i++) {
      const uint16_t h = uint16_t(p[2 * i] | p[2 * i + 1] << 8);
      bad |= (h & 0x7c00u) == 0x7c00u;
      o[i] = f16_to_f32(h);
    }
    if (bad) fail(Code::kBadModel, "tensor '" + name + "' holds NaN or infinity");
    return out;
  } else {
    // Per-output-channel int8: the last dim is the channel; scales live in "<name>:scale".
    const size_t ch = size_t(shape.back());
    const FloatArray scale = get(name + ":scale", {int(ch)});
    for (size_t r = 0; r < n; r += ch)
      for (size_t c = 0; c < ch; c++) out[r + c] = float(int8_t(p[r + c])) * scale[c];
  }
  // Not finite = all-ones exponent; one branch-free pass over the bits (it vectorizes, and a
  // per-element branch was a visible part of loading in wasm's baseline tier).
  uint32_t bad = 0;
  const float* v = out.data();
  for (size_t i = 0; i < n; i++) {
    uint32_t bits;
    std::memcpy(&bits, v + i, 4);
    bad |= (bits & 0x7f800000u) == 0x7f800000u;
  }
  if (bad) fail(Code::kBadModel, "tensor '" + name + "' holds NaN or infinity");
  return out;
}

void prepare_gemm(bool reference, int K, int N, FloatArray& w, FloatArray& b, FloatArray& packed) {
  if (reference) return;
  packed = FloatArray(f32_gemm_packed_size(K, N));
  f32_gemm_pack(K, N, w.data(), b.data(), packed.data());
  w = FloatArray();
  b = FloatArray();
}

void prepare_conv(bool reference, int kh, int kw, int cin, int cout, FloatArray& w, FloatArray& b,
                  FloatArray& packed) {
  if (reference) return;
  packed = FloatArray(f32_conv_packed_size(kh, kw, cin, cout));
  f32_conv_pack(kh, kw, cin, cout, w.data(), b.data(), packed.data());
  w = FloatArray();
  b = FloatArray();
}

}  // namespace dfs
