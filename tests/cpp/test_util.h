// Helpers shared by the C++ tests: file reading and the repo/shared paths.
#pragma once
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace dfs_test {

inline std::string repo_path(const std::string& rel) { return std::string(DFS_SOURCE_DIR) + "/" + rel; }
inline std::string shared_path(const std::string& rel) {
  return std::string(DFS_SOURCE_DIR) + "/../shared/" + rel;
}
inline bool file_exists(const std::string& p) { return std::ifstream(p).good(); }
inline std::vector<uint8_t> read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

}  // namespace dfs_test
