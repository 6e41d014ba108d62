// NHWC float tensor views and a bump arena sized once at model load (no allocation in forward()).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/status.h"

namespace dfs {

// A view over NHWC f32 memory owned elsewhere (arena or caller). Batch is always 1.
struct Tensor {
  float* data = nullptr;
  int h = 0, w = 0, c = 0;
  size_t size() const { return size_t(h) * w * c; }
  float* px(int y, int x) const { return data + (size_t(y) * w + x) * c; }
};

inline size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

// 64-byte aligned heap block that frees itself.
struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
using AlignedBuf = std::unique_ptr<float[], AlignedFree>;
AlignedBuf aligned_floats(size_t n);  // throws Error{kOutOfMemory} on failure

// An owned, 64-byte aligned float array that is NOT zero-filled when created: model weights are
// written exactly once at load (converted or packed), and zero-filling megabytes first, plus
// std::vector's element-wise loops, showed up as a third of the wasm cold start.
class FloatArray {
 public:
  FloatArray() = default;
  explicit FloatArray(size_t n) : buf_(aligned_floats(n)), n_(n) {}
  float* data() { return buf_.get(); }
  const float* data() const { return buf_.get(); }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  float& operator[](size_t i) { return buf_[i]; }
  float operator[](size_t i) const { return buf_[i]; }
  float* begin() { return data(); }
  float* end() { return data() + n_; }
  const float* begin() const { return data(); }
  const float* end() const { return data() + n_; }

 private:
  AlignedBuf buf_;
  size_t n_ = 0;
};

// Arena: the caller plans offsets (lifetime-based reuse), ensure()s each slot's end, then
// commit() allocates one 64-byte-aligned block.
class Arena {
 public:
  // Grows the plan to cover floats [0, end).
  void ensure(size_t end) {
    if (end > top_) top_ = align_up(end, 16);
  }
  void commit() { buf_ = aligned_floats(top_ ? top_ : 16); }
  float* at(size_t off) const { return buf_.get() + off; }
  size_t floats() const { return top_; }

 private:
  size_t top_ = 0;
  AlignedBuf buf_;
};

}  // namespace dfs
