// Aligned allocation that reports failure as an error instead of aborting.
#include "core/tensor.h"

#include <string>

namespace dfs {

AlignedBuf aligned_floats(size_t n) {
  size_t bytes = align_up(n * sizeof(float), 64);
  void* p = std::aligned_alloc(64, bytes ? bytes : 64);
  if (!p) fail(Code::kOutOfMemory, "out of memory allocating " + std::to_string(bytes) + " bytes");
  return AlignedBuf(static_cast<float*>(p));
}

}  // namespace dfs
