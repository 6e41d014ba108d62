// A small strict JSON reader for model headers: bounded depth and size, no exceptions escape
// except dfs::Error(kBadModel) with the position of the problem.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dfs {

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  static Json parse(const char* text, size_t size);  // throws Error{kBadModel}

  Type type() const { return type_; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  bool has(const std::string& key) const;
  // Accessors throw Error{kBadModel, "<what>: expected ..."} on a type mismatch or missing key.
  const Json& operator[](const std::string& key) const;
  const Json& operator[](size_t i) const;
  size_t size() const;
  double num() const;
  int integer() const;  // must be integral and in int range
  bool boolean() const;
  const std::string& str() const;
  const std::vector<std::pair<std::string, Json>>& items() const;
  // Convenience with defaults for optional keys.
  double num_or(const std::string& key, double def) const;
  std::vector<int> ints() const;
  std::vector<float> floats() const;
  std::vector<std::string> strings() const;

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool b_ = false;
  double n_ = 0;
  std::string s_;
  std::vector<Json> arr_;
  std::vector<std::pair<std::string, Json>> obj_;
};

}  // namespace dfs
