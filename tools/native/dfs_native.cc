// Native driver of the pipeline for developers: detect faces in files or in raw RGB frames (for
// measuring framing on stored crops; tools/train/README.md). Not shipped. DFS_TURNED=0 in the
// environment leaves out the turned passes (DetectOptions::turned), DFS_TURNED_CONFIRM=X sets
// their confirmation score (turned_confirm; 0 keeps every face they find). The crop itself is
// shared with training through tools/train/crop.py, parity-tested against build/dfs_crop.
//   dfs_native detect MODELS_DIR FILE...                 -> one JSON line per file
//   dfs_native detect-raw MODELS_DIR FRAMES.u8 N H W     -> one JSON line per HxWx3 frame
//   dfs_native arch WIDTH DEPTH                          -> the EfficientNet blocks, JSON
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/status.h"
#include "models/efficientnet.h"
#include "pipeline/checker.h"

using namespace dfs;

static std::vector<uint8_t> read_all(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) fail(Code::kInvalidArgument, "cannot read " + p);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

// `key` is the JSON member naming the input, e.g. "file":"a.jpg" or "index":3.
static void print_faces(const std::string& key, const CheckResult& r) {
  std::printf("{%s,\"width\":%d,\"height\":%d,\"faces\":[", key.c_str(), r.width, r.height);
  for (size_t i = 0; i < r.faces.size(); i++) {
    const Detection& d = r.faces[i].det;
    std::printf("%s{\"box\":[%.2f,%.2f,%.2f,%.2f],\"score\":%.4f,\"keypoints\":[", i ? "," : "",
                d.x, d.y, d.w, d.h, d.score);
    for (int k = 0; k < 6; k++) std::printf("%s[%.2f,%.2f]", k ? "," : "", d.kp[k][0], d.kp[k][1]);
    std::printf("]}");
  }
  std::printf("]}\n");
}

// The EfficientNet geometry the engine builds for a width and depth multiplier, as JSON (the
// parity test holds the Python, JavaScript and torchvision tables to it).
static int print_arch(double width, double depth) {
  const EffNetArch a = efficientnet_arch(width, depth);
  std::printf("{\"stem\":%d,\"head\":%d,\"blocks\":[", a.stem, a.head);
  for (size_t i = 0; i < a.blocks.size(); i++) {
    const EffNetBlockCfg& b = a.blocks[i];
    std::printf("%s[%d,%d,%d,%d,%d,%d]", i ? "," : "", b.expand, b.k, b.stride, b.cin, b.cout,
                b.cse);
  }
  std::printf("]}\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "arch")
    return print_arch(std::atof(argv[2]), std::atof(argv[3]));
  if (argc < 4) {
    std::fprintf(
        stderr,
        "usage: dfs_native detect MODELS_DIR FILE... | detect-raw MODELS_DIR FRAMES.u8 N H W"
        " | arch WIDTH DEPTH\n");
    return 2;
  }
  try {
    Checker checker;
    for (const char* m : {"/blazeface_short.dfs", "/blazeface_full.dfs"}) {
      auto b = read_all(std::string(argv[2]) + m);
      checker.load_model(b.data(), b.size());
    }
    CheckOptions opt;
    opt.classify = false;
    // DFS_TURNED=0: without the turned passes (measuring what they add).
    if (const char* t = std::getenv("DFS_TURNED")) opt.detect.turned = std::string(t) != "0";
    if (const char* t = std::getenv("DFS_TURNED_CONFIRM")) opt.detect.turned_confirm = std::atof(t);
    std::string cmd = argv[1];
    if (cmd == "detect") {
      int failed = 0;
      for (int i = 3; i < argc; i++) {
        try {
          auto b = read_all(argv[i]);
          CheckResult r = checker.check_encoded(b.data(), b.size(), opt);
          print_faces("\"file\":\"" + std::string(argv[i]) + "\"", r);
        } catch (const Error& e) {
          failed++;
          std::printf("{\"file\":\"%s\",\"error\":{\"code\":\"%s\"}}\n", argv[i],
                      code_name(e.code));
        }
      }
      return failed ? 1 : 0;
    }
    if (cmd == "detect-raw" && argc == 7) {
      long n = std::stol(argv[4]);
      int h = std::stoi(argv[5]), w = std::stoi(argv[6]);
      std::ifstream f(argv[3], std::ios::binary);
      if (!f) fail(Code::kInvalidArgument, std::string("cannot read ") + argv[3]);
      Image img;
      img.w = w;
      img.h = h;
      img.rgb.resize(size_t(w) * h * 3);
      for (long i = 0; i < n; i++) {
        if (!f.read(reinterpret_cast<char*>(img.rgb.data()), std::streamsize(img.rgb.size())))
          fail(Code::kInvalidArgument, "frames file shorter than N frames");
        print_faces("\"index\":" + std::to_string(i), checker.check_image(img, opt));
      }
      return 0;
    }
    std::fprintf(stderr, "unknown command %s\n", argv[1]);
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "dfs_native: %s: %s\n", code_name(e.code), e.message.c_str());
    return 1;
  }
}
