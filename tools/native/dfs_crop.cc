// The engine's region resampling as a command, for tests in other languages (the Python crop
// parity test: tools/train/crop.py must cut exactly what the product's classifier sees).
//   dfs_crop IMAGE X Y W H OUT_W OUT_H mirror|fill [FILL]  -> OUT_H*OUT_W*3 float32 (0..255) on
//   stdout
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/status.h"
#include "image/image.h"

int main(int argc, char** argv) {
  if (argc < 9) {
    std::fprintf(stderr, "usage: dfs_crop IMAGE X Y W H OUT_W OUT_H mirror|fill [FILL]\n");
    return 2;
  }
  std::ifstream f(argv[1], std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), {});
  try {
    const dfs::Image img = dfs::decode_image(bytes.data(), bytes.size(), dfs::DecodeLimits{});
    const int ow = std::atoi(argv[6]), oh = std::atoi(argv[7]);
    const dfs::Border border =
        std::string(argv[8]) == "mirror" ? dfs::Border::kMirror : dfs::Border::kFill;
    std::vector<float> out(size_t(ow) * oh * 3);
    dfs::resample_region(img, std::strtof(argv[2], nullptr), std::strtof(argv[3], nullptr),
                         std::strtof(argv[4], nullptr), std::strtof(argv[5], nullptr), ow, oh,
                         argc > 9 ? std::strtof(argv[9], nullptr) : 0.f, out.data(), border);
    std::fwrite(out.data(), sizeof(float), out.size(), stdout);
  } catch (const dfs::Error& e) {
    std::fprintf(stderr, "%s: %s\n", dfs::code_name(e.code), e.message.c_str());
    return 1;
  }
  return 0;
}
