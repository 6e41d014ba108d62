// libFuzzer target: dfs::decode_image on arbitrary bytes (JPEG/PNG/BMP/GIF and anything else).
#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dfs_fuzz::one_image(data, size);
  return 0;
}
