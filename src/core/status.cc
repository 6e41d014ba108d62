// Stable names for error codes and the throw helper.
#include "core/status.h"

namespace dfs {

const char* code_name(Code c) {
  switch (c) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "INVALID_ARGUMENT";
    case Code::kEmptyInput: return "EMPTY_INPUT";
    case Code::kUnsupportedFormat: return "UNSUPPORTED_FORMAT";
    case Code::kCorruptImage: return "CORRUPT_IMAGE";
    case Code::kImageTooLarge: return "IMAGE_TOO_LARGE";
    case Code::kBadModel: return "BAD_MODEL";
    case Code::kOutOfMemory: return "OUT_OF_MEMORY";
    case Code::kInternal: return "INTERNAL";
  }
  return "INTERNAL";
}

void fail(Code c, const std::string& msg) { throw Error{c, msg}; }

}  // namespace dfs
