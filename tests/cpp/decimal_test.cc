// parse_decimal against glibc's strtod (correctly rounded) bit for bit: printed doubles at every
// precision, random digit strings over the whole exponent range, exact halfway points between
// neighbouring doubles (and just above and below them), and the JSON number grammar.
#include "core/decimal.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "core/json.h"
#include "core/status.h"

namespace {

using dfs::DecimalResult;

uint64_t bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}

DecimalResult parse(const std::string& s, double* out) {
  return dfs::parse_decimal(s.data(), s.data() + s.size(), out);
}

// Our result must be strtod's, bit for bit, or out of range exactly where strtod overflows.
void expect_same_as_strtod(const std::string& s) {
  errno = 0;
  double want = std::strtod(s.c_str(), nullptr);
  bool overflow = std::isinf(want);
  double got = 0;
  DecimalResult r = parse(s, &got);
  if (overflow) {
    EXPECT_EQ(r, DecimalResult::kOutOfRange) << s;
  } else {
    ASSERT_EQ(r, DecimalResult::kOk) << s;
    EXPECT_EQ(bits(got), bits(want)) << s << ": got " << got << " want " << want;
  }
}

double random_double(std::mt19937_64& rng) {
  for (;;) {
    uint64_t u = rng();
    double d;
    std::memcpy(&d, &u, sizeof d);
    if (std::isfinite(d)) return d;
  }
}

TEST(Decimal, KnownHardCases) {
  for (const char* s : {"0",
                        "-0",
                        "0.0",
                        "0e10",
                        "-0.000e-5",
                        "1",
                        "-1",
                        "9007199254740992",
                        "9007199254740993",
                        "9007199254740995",
                        "18014398509481993",
                        "0.1",
                        "0.2",
                        "0.3",
                        "1e23",
                        "8.7e22",
                        "9007199254740993e22",
                        "1.7976931348623157e308",
                        "1.7976931348623158e308",
                        "1.7976931348623159e308",
                        "1e308",
                        "1e309",
                        "-1e309",
                        "2.2250738585072011e-308",
                        "2.2250738585072014e-308",
                        "4.9406564584124654e-324",
                        "2.4703282292062327e-324",
                        "2.4703282292062328e-324",
                        "1e-324",
                        "1e-400",
                        "5e-324",
                        "0.9019289080915323",
                        "0.568980892739539",
                        "123456789012345678901234567890",
                        "3.141592653589793238462643383279",
                        "1.00000000000000011102230246251565404236316680908203125",
                        "1.00000000000000011102230246251565404236316680908203124",
                        "1.00000000000000011102230246251565404236316680908203126",
                        "7.038531e-26",
                        "2.2250738585072012e-308",
                        "6.631236846766476e-316",
                        "3.2378839133029012e+138",
                        "1E+2",
                        "1e-2",
                        "12.5E0"})
    expect_same_as_strtod(s);
}

TEST(Decimal, PrintedDoublesAtEveryPrecision) {
  std::mt19937_64 rng(11);
  char buf[64];
  for (int i = 0; i < 40000; i++) {
    double d = random_double(rng);
    for (int prec : {1, 3, 6, 9, 12, 15, 16, 17, 18, 21}) {
      std::snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
      expect_same_as_strtod(buf);
    }
    std::snprintf(buf, sizeof buf, "%.17g", d);
    expect_same_as_strtod(buf);
  }
}

TEST(Decimal, RandomDigitStrings) {
  std::mt19937_64 rng(12);
  for (int i = 0; i < 60000; i++) {
    int n = 1 + int(rng() % 40);
    std::string s = (rng() & 1) ? "-" : "";
    std::string digits;
    for (int k = 0; k < n; k++) digits += char('0' + rng() % 10);
    if (digits.size() > 1 && digits[0] == '0') digits[0] = '1';
    int point = int(rng() % (n + 1));
    s += digits.substr(0, point ? point : 1);
    if (point && point < n) s += "." + digits.substr(point);
    int e = int(rng() % 700) - 360;
    s += "e" + std::to_string(e);
    expect_same_as_strtod(s);
  }
}

// The exact decimal expansion of the point halfway between a double and the next one up, built
// in x87 long double (64-bit mantissa holds 2f+1 < 2^54) and printed exactly by glibc; also that
// point with one more nonzero digit (just above) and with its last digit lowered (just below).
TEST(Decimal, HalfwayPoints) {
  std::mt19937_64 rng(13);
  static char buf[1200];
  for (int i = 0; i < 3000; i++) {
    double d = std::fabs(random_double(rng));
    if (i % 3 == 0) d = std::ldexp(double(rng() % (uint64_t(1) << 52)), -1074);  // subnormal
    if (d == DBL_MAX) continue;
    double up = std::nextafter(d, INFINITY);
    long double half = (static_cast<long double>(d) + static_cast<long double>(up)) / 2;
    ASSERT_EQ(static_cast<long double>(up) - half, half - static_cast<long double>(d));
    std::snprintf(buf, sizeof buf, "%.1100Le", half);
    std::string s(buf);
    size_t epos = s.find('e');
    std::string mant = s.substr(0, epos), exp = s.substr(epos);
    while (mant.back() == '0') mant.pop_back();
    if (mant.back() == '.') mant.pop_back();
    expect_same_as_strtod(mant + exp);
    expect_same_as_strtod(mant + "000001" + exp);
    if (mant.find('.') != std::string::npos && mant.back() > '0') {
      std::string below = mant;
      below.back() = char(below.back() - 1);
      expect_same_as_strtod(below + "9999" + exp);
    }
  }
}

TEST(Decimal, JsonGrammar) {
  double d = 0;
  for (const char* bad :
       {"",      "-",     "+1",   "01", "-01", "1.",   ".5",       "1e",  "1e+", "1E-", "--1",
        "1.2.3", "1e5.0", "0x10", "1 ", " 1",  "1ee2", "Infinity", "NaN", "1-2", "00"})
    EXPECT_EQ(parse(bad, &d), DecimalResult::kSyntax) << bad;
  EXPECT_EQ(parse("0", &d), DecimalResult::kOk);
  EXPECT_EQ(parse("1e999999999999", &d), DecimalResult::kOutOfRange);
  EXPECT_EQ(parse("1e-999999999999", &d), DecimalResult::kOk);
  EXPECT_EQ(d, 0.0);
  EXPECT_EQ(parse("-0", &d), DecimalResult::kOk);
  EXPECT_TRUE(std::signbit(d));
  EXPECT_EQ(parse("0." + std::string(dfs::kMaxDecimalDigits, '7'), &d), DecimalResult::kOk);
  expect_same_as_strtod("0." + std::string(dfs::kMaxDecimalDigits, '7'));
  EXPECT_EQ(parse(std::string(dfs::kMaxDecimalDigits + 1, '7'), &d), DecimalResult::kTooLong);
  // Zeros around the significant digits do not count towards the limit.
  std::string zeros = "0." + std::string(5000, '0') + "1" + std::string(5000, '0') + "e5001";
  EXPECT_EQ(parse(zeros, &d), DecimalResult::kOk);
  EXPECT_EQ(d, 1.0);
}

TEST(Decimal, JsonHeaderNumbers) {
  std::string text = "{\"a\": [0.5, -2e3, 9007199254740993], \"b\": 1e400}";
  try {
    dfs::Json::parse(text.data(), text.size());
    ADD_FAILURE() << "1e400 accepted";
  } catch (const dfs::Error& e) {
    EXPECT_NE(e.message.find("number out of range"), std::string::npos) << e.message;
  }
  std::string ok = "{\"a\": [0.5, -2e3, 9007199254740993, 1.5e-7]}";
  dfs::Json j = dfs::Json::parse(ok.data(), ok.size());
  EXPECT_EQ(j["a"][0].num(), 0.5);
  EXPECT_EQ(j["a"][1].num(), -2000.0);
  EXPECT_EQ(j["a"][2].num(), 9007199254740992.0);
  EXPECT_EQ(j["a"][3].num(), 1.5e-7);
  std::string bad = "[1.]";
  EXPECT_THROW(dfs::Json::parse(bad.data(), bad.size()), dfs::Error);
}

}  // namespace
