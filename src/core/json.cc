// Strict recursive-descent JSON parser with a depth limit (model headers come from untrusted
// files).
#include "core/json.h"

#include <cmath>
#include <cstring>

#include "core/decimal.h"
#include "core/status.h"

namespace dfs {

class JsonParser {
 public:
  JsonParser(const char* p, size_t n) : p_(p), end_(p + n), begin_(p) {}
  Json parse_document() {
    Json v = value(0);
    ws();
    if (p_ != end_) bad("trailing characters");
    return v;
  }

 private:
  const char *p_, *end_, *begin_;
  [[noreturn]] void bad(const char* what) {
    fail(Code::kBadModel,
         std::string("model header JSON: ") + what + " at byte " + std::to_string(p_ - begin_));
  }
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) p_++;
  }
  bool lit(const char* s) {
    size_t n = std::strlen(s);
    if (size_t(end_ - p_) >= n && std::memcmp(p_, s, n) == 0) {
      p_ += n;
      return true;
    }
    return false;
  }
  Json value(int depth) {
    if (depth > 64) bad("nesting too deep");
    ws();
    if (p_ >= end_) bad("unexpected end");
    Json v;
    char c = *p_;
    if (c == '{') {
      v.type_ = Json::Type::kObject;
      p_++;
      ws();
      if (p_ < end_ && *p_ == '}') {
        p_++;
        return v;
      }
      for (;;) {
        ws();
        if (p_ >= end_ || *p_ != '"') bad("expected key");
        std::string k = string();
        ws();
        if (p_ >= end_ || *p_ != ':') bad("expected ':'");
        p_++;
        v.obj_.emplace_back(std::move(k), value(depth + 1));
        ws();
        if (p_ < end_ && *p_ == ',') {
          p_++;
          continue;
        }
        if (p_ < end_ && *p_ == '}') {
          p_++;
          return v;
        }
        bad("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.type_ = Json::Type::kArray;
      p_++;
      ws();
      if (p_ < end_ && *p_ == ']') {
        p_++;
        return v;
      }
      for (;;) {
        v.arr_.push_back(value(depth + 1));
        ws();
        if (p_ < end_ && *p_ == ',') {
          p_++;
          continue;
        }
        if (p_ < end_ && *p_ == ']') {
          p_++;
          return v;
        }
        bad("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.type_ = Json::Type::kString;
      v.s_ = string();
      return v;
    }
    if (lit("true")) {
      v.type_ = Json::Type::kBool;
      v.b_ = true;
      return v;
    }
    if (lit("false")) {
      v.type_ = Json::Type::kBool;
      return v;
    }
    if (lit("null")) return v;
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t n = decimal_span(p_, end_);
      switch (parse_decimal(p_, p_ + n, &v.n_)) {
        case DecimalResult::kOk: break;
        case DecimalResult::kOutOfRange: bad("number out of range");
        case DecimalResult::kTooLong: bad("number with too many digits");
        case DecimalResult::kSyntax: bad("bad number");
      }
      p_ += n;
      v.type_ = Json::Type::kNumber;
      return v;
    }
    bad("unexpected character");
  }
  std::string string() {
    p_++;  // opening quote
    std::string out;
    while (p_ < end_ && *p_ != '"') {
      char c = *p_++;
      if (c == '\\') {
        if (p_ >= end_) bad("bad escape");
        char e = *p_++;
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'u': {
            if (end_ - p_ < 4) bad("bad \\u escape");
            unsigned cp = 0;
            for (int i = 0; i < 4; i++) {
              char h = *p_++;
              cp <<= 4;
              if (h >= '0' && h <= '9')
                cp |= h - '0';
              else if (h >= 'a' && h <= 'f')
                cp |= h - 'a' + 10;
              else if (h >= 'A' && h <= 'F')
                cp |= h - 'A' + 10;
              else
                bad("bad \\u escape");
            }
            // Headers are ASCII in practice; encode the BMP code point as UTF-8.
            if (cp < 0x80)
              out += char(cp);
            else if (cp < 0x800) {
              out += char(0xc0 | (cp >> 6));
              out += char(0x80 | (cp & 63));
            } else {
              out += char(0xe0 | (cp >> 12));
              out += char(0x80 | ((cp >> 6) & 63));
              out += char(0x80 | (cp & 63));
            }
            break;
          }
          default: out += e;
        }
      } else {
        out += c;
      }
    }
    if (p_ >= end_) bad("unterminated string");
    p_++;
    return out;
  }
};

Json Json::parse(const char* text, size_t size) { return JsonParser(text, size).parse_document(); }

bool Json::has(const std::string& key) const {
  if (type_ != Type::kObject) return false;
  for (auto& kv : obj_)
    if (kv.first == key) return true;
  return false;
}
const Json& Json::operator[](const std::string& key) const {
  if (type_ != Type::kObject)
    fail(Code::kBadModel, "model header: expected an object for '" + key + "'");
  for (auto& kv : obj_)
    if (kv.first == key) return kv.second;
  fail(Code::kBadModel, "model header: missing key '" + key + "'");
}
const Json& Json::operator[](size_t i) const {
  if (type_ != Type::kArray || i >= arr_.size())
    fail(Code::kBadModel, "model header: index out of range");
  return arr_[i];
}
size_t Json::size() const {
  if (type_ == Type::kArray) return arr_.size();
  if (type_ == Type::kObject) return obj_.size();
  return 0;
}
double Json::num() const {
  if (type_ != Type::kNumber) fail(Code::kBadModel, "model header: expected a number");
  return n_;
}
int Json::integer() const {
  double d = num();
  if (d != std::floor(d) || d < -2147483648.0 || d > 2147483647.0)
    fail(Code::kBadModel, "model header: expected an integer");
  return int(d);
}
bool Json::boolean() const {
  if (type_ != Type::kBool) fail(Code::kBadModel, "model header: expected a boolean");
  return b_;
}
const std::string& Json::str() const {
  if (type_ != Type::kString) fail(Code::kBadModel, "model header: expected a string");
  return s_;
}
const std::vector<std::pair<std::string, Json>>& Json::items() const {
  if (type_ != Type::kObject) fail(Code::kBadModel, "model header: expected an object");
  return obj_;
}
double Json::num_or(const std::string& key, double def) const {
  return has(key) ? (*this)[key].num() : def;
}
std::vector<int> Json::ints() const {
  if (type_ != Type::kArray) fail(Code::kBadModel, "model header: expected an array");
  std::vector<int> v;
  for (auto& e : arr_) v.push_back(e.integer());
  return v;
}
std::vector<float> Json::floats() const {
  if (type_ != Type::kArray) fail(Code::kBadModel, "model header: expected an array");
  std::vector<float> v;
  for (auto& e : arr_) v.push_back(float(e.num()));
  return v;
}
std::vector<std::string> Json::strings() const {
  if (type_ != Type::kArray) fail(Code::kBadModel, "model header: expected an array");
  std::vector<std::string> v;
  for (auto& e : arr_) v.push_back(e.str());
  return v;
}

}  // namespace dfs
