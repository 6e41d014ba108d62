// libFuzzer target: the .dfs reader plus the BlazeFace/EfficientNet constructors and a tiny run.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dfs_fuzz::one_weights(data, size);
  return 0;
}
