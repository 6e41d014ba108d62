// Error codes shared by the whole core; the bindings turn them into JS Errors with a stable `code`.
#pragma once
#include <string>

namespace dfs {

enum class Code {
  kOk = 0,
  kInvalidArgument,    // wrong type/shape/value from the caller
  kEmptyInput,         // zero-length buffer
  kUnsupportedFormat,  // bytes are not an image format we decode
  kCorruptImage,       // decoder failed part-way (truncated, bad tables)
  kImageTooLarge,      // header dimensions or file size over the configured limits
  kBadModel,           // weights file failed validation (magic, checksum, offsets, shapes)
  kOutOfMemory,        // an allocation failed (wasm heap limit)
  kInternal,
};

const char* code_name(Code c);  // "INVALID_ARGUMENT", "BAD_MODEL", ... stable strings for JS

// Exception used internally so deep code can bail out; caught at the pipeline boundary only.
struct Error {
  Code code;
  std::string message;
};

[[noreturn]] void fail(Code c, const std::string& msg);

// A precondition that stays checked in release builds (unlike assert): kInternal on failure.
// For checks outside hot loops; `msg` is only built when the check fails.
#define DFS_CHECK(cond, msg)                                 \
  do {                                                       \
    if (!(cond)) ::dfs::fail(::dfs::Code::kInternal, (msg)); \
  } while (0)

}  // namespace dfs
