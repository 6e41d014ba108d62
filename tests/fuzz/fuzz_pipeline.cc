// libFuzzer target: the whole check (decode, detect, classify) with the shipped models.
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static dfs::Checker* checker = dfs_fuzz::pipeline_checker(DFS_SOURCE_DIR);
  dfs_fuzz::one_pipeline(checker, data, size);
  return 0;
}
