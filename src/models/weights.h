// Reader for our .dfs weights files (src/models/FORMAT.md): validates everything, expands to f32.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/crc32.h"
#include "core/json.h"
#include "core/tensor.h"
#include "kernels/kernels.h"

namespace dfs {

float f16_to_f32(uint16_t h);

// A model's input normalization from its header's "input" (mean/std on pixels scaled to [0,1]).
struct InputNorm {
  float mean[3], std[3];
  static InputNorm from(const Json& input, const std::string& who);  // throws kBadModel
  // out[i] = (rgb255[i] / 255 - mean[c]) / std[c] over `pixels` RGB pixels.
  void apply(const float* rgb255, size_t pixels, float* out) const;
};

class WeightsFile {
 public:
  // Parses and validates `bytes` (copied; the caller may free them). Throws Error{kBadModel}.
  static WeightsFile parse(const uint8_t* bytes, size_t size);

  const Json& header() const { return header_; }
  const std::string& kind() const { return kind_; }
  // Tensor as f32 with the expected shape; throws kBadModel naming the tensor on mismatch.
  FloatArray get(const std::string& name, const std::vector<int>& shape) const;

 private:
  struct Entry {
    std::string name;
    int dtype;  // 0 f32, 1 f16, 2 i8
    std::vector<int> shape;
    size_t offset, nbytes;
  };
  const Entry& find(const std::string& name) const;
  std::unique_ptr<uint8_t[]> bytes_;  // a copy of the file, not zero-filled first
  size_t data_start_ = 0, data_len_ = 0;
  Json header_;
  std::string kind_;
  std::vector<Entry> entries_;
};

// A conv/GEMM's weights in the form the model's kernel table reads: for the optimized kernels
// they are packed and the canonical copy is released (it would stay resident for nothing); for
// the reference kernels the canonical copy stays and nothing is packed.
void prepare_gemm(bool reference, int K, int N, FloatArray& w, FloatArray& b, FloatArray& packed);
void prepare_conv(bool reference, int kh, int kw, int cin, int cout, FloatArray& w, FloatArray& b,
                  FloatArray& packed);
inline DenseWeights dense_view(const FloatArray& w, const FloatArray& b, const FloatArray& packed) {
  return {w.data(), b.data(), packed.data()};
}

}  // namespace dfs
