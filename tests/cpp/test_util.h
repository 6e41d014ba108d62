// Helpers shared by the C++ tests: file reading, the repo/shared paths, and editing .dfs files.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/crc32.h"
#include "core/status.h"

namespace dfs_test {

inline std::string repo_path(const std::string& rel) {
  return std::string(DFS_SOURCE_DIR) + "/" + rel;
}
inline std::string shared_path(const std::string& rel) {
  return std::string(DFS_SOURCE_DIR) + "/../shared/" + rel;
}
inline bool file_exists(const std::string& p) { return std::ifstream(p).good(); }
inline std::vector<uint8_t> read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

inline void put_le32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; i++) b[at + i] = uint8_t(v >> (8 * i));
}
inline uint32_t le32(const std::vector<uint8_t>& b, size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | uint32_t(b[at + 3]) << 24;
}
// Recomputes a .dfs file's trailing CRC-32, so a test reaches the checks that sit behind it.
inline void fix_crc(std::vector<uint8_t>& b) {
  put_le32(b, b.size() - 4, dfs::crc32_ieee(b.data(), b.size() - 4));
}
// Replaces the first `from` in a .dfs file's JSON header by `to`, re-pads the data section
// behind it and fixes the CRC.
inline std::vector<uint8_t> edit_header(const std::vector<uint8_t>& b, const std::string& from,
                                        const std::string& to) {
  const uint32_t len = le32(b, 12);
  std::string json(b.begin() + 16, b.begin() + 16 + len);
  const size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at == std::string::npos) return b;
  json.replace(at, from.size(), to);
  const size_t old_start = (16 + len + 63) / 64 * 64, new_start = (16 + json.size() + 63) / 64 * 64;
  std::vector<uint8_t> out(new_start, 0);
  std::copy(b.begin(), b.begin() + 12, out.begin());
  put_le32(out, 12, uint32_t(json.size()));
  std::copy(json.begin(), json.end(), out.begin() + 16);
  out.insert(out.end(), b.begin() + old_start, b.end());
  fix_crc(out);
  return out;
}

// Runs load(), which must throw dfs::Error kBadModel with `names` in its message.
template <typename F>
void expect_bad_model(F&& load, const std::string& names) {
  try {
    load();
    ADD_FAILURE() << "expected BAD_MODEL naming " << names;
  } catch (const dfs::Error& e) {
    EXPECT_EQ(e.code, dfs::Code::kBadModel);
    EXPECT_NE(e.message.find(names), std::string::npos) << e.message;
  }
}

}  // namespace dfs_test
