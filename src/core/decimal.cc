// Correctly rounded decimal -> double (see decimal.h). Two paths:
// - exact: at most 19 significant digits whose integer m is <= 2^53 and a power of ten that is
//   itself an exact double (10^0..10^22): m and 10^|e| are exact, so one IEEE multiply or
//   divide rounds once, correctly;
// - otherwise: a double estimate within a few units in the last place (ulp), then moved one ulp
//   at a time until the exact decimal value lies between the halfway points to its neighbours,
//   each comparison done on big integers (value = digits * 10^e, halfway = odd * 2^k).
#include "core/decimal.h"

#include <cfloat>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace dfs {
namespace {

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr int kMaxExactPow10 = 22;
constexpr uint64_t kTwo53 = uint64_t(1) << 53;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

uint64_t bits_of(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}
double from_bits(uint64_t u) {
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}

// Unsigned integer in base 2^32, least significant limb first; only what the comparison needs.
class Big {
 public:
  explicit Big(uint64_t v) {
    while (v) {
      limbs_.push_back(uint32_t(v));
      v >>= 32;
    }
  }
  // this = this * m + add
  void mul_add(uint32_t m, uint32_t add) {
    uint64_t carry = add;
    for (uint32_t& l : limbs_) {
      uint64_t t = uint64_t(l) * m + carry;
      l = uint32_t(t);
      carry = t >> 32;
    }
    if (carry) limbs_.push_back(uint32_t(carry));
  }
  void mul_pow5(int n) {
    static constexpr uint32_t kPow5[] = {1,       5,        25,        125,       625,
                                         3125,    15625,    78125,     390625,    1953125,
                                         9765625, 48828125, 244140625, 1220703125};
    for (; n >= 13; n -= 13) mul_add(kPow5[13], 0);
    if (n) mul_add(kPow5[n], 0);
  }
  void shift_left(int bits) {
    if (limbs_.empty() || bits <= 0) return;
    int words = bits / 32, rest = bits % 32;
    if (rest) {
      uint32_t carry = 0;
      for (uint32_t& l : limbs_) {
        uint32_t next = l >> (32 - rest);
        l = (l << rest) | carry;
        carry = next;
      }
      if (carry) limbs_.push_back(carry);
    }
    limbs_.insert(limbs_.begin(), size_t(words), 0u);
  }
  // -1, 0, 1 as a <, ==, > b. Limb vectors never carry leading zero limbs.
  static int compare(const Big& a, const Big& b) {
    if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size() ? -1 : 1;
    for (size_t i = a.limbs_.size(); i-- > 0;)
      if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
    return 0;
  }

 private:
  std::vector<uint32_t> limbs_;
};

Big from_digits(const std::string& digits) {
  Big b(0);
  size_t i = 0;
  while (i < digits.size()) {
    uint32_t chunk = 0, scale = 1;
    for (int k = 0; k < 9 && i < digits.size(); k++, i++) {
      chunk = chunk * 10 + uint32_t(digits[i] - '0');
      scale *= 10;
    }
    b.mul_add(scale, chunk);
  }
  return b;
}

// Compares digits * 10^e with the point halfway between x (finite, >= 0) and the next double
// up (value-wise; past DBL_MAX that is the rounding boundary to infinity).
int compare_with_halfway(const Big& digits, int e, double x) {
  uint64_t u = bits_of(x);
  uint64_t frac = u & ((uint64_t(1) << 52) - 1);
  int biased = int(u >> 52);
  uint64_t f = biased ? frac | (uint64_t(1) << 52) : frac;
  int k = biased ? biased - 1075 : -1074;  // x = f * 2^k
  // halfway = (2f + 1) * 2^(k - 1); value = digits * 5^e * 2^e
  Big a = digits, b(2 * f + 1);
  if (e >= 0)
    a.mul_pow5(e);
  else
    b.mul_pow5(-e);
  int pa = e, pb = k - 1;
  if (pa > pb)
    a.shift_left(pa - pb);
  else
    b.shift_left(pb - pa);
  return Big::compare(a, b);
}

// The tie-breaking choice between two adjacent doubles: the one with an even last bit.
double even_of(double lo, double hi) { return (bits_of(lo) & 1) == 0 ? lo : hi; }

}  // namespace

size_t decimal_span(const char* s, const char* end) {
  const char* p = s;
  while (p < end && (is_digit(*p) || *p == '-' || *p == '+' || *p == '.' || *p == 'e' || *p == 'E'))
    p++;
  return size_t(p - s);
}

DecimalResult parse_decimal(const char* s, const char* end, double* out) {
  const char* p = s;
  bool negative = p < end && *p == '-';
  if (negative) p++;
  if (p == end || !is_digit(*p)) return DecimalResult::kSyntax;
  const char* int_begin = p;
  if (*p == '0')
    p++;
  else
    while (p < end && is_digit(*p)) p++;
  const char* int_end = p;
  const char *frac_begin = p, *frac_end = p;
  if (p < end && *p == '.') {
    frac_begin = ++p;
    while (p < end && is_digit(*p)) p++;
    frac_end = p;
    if (frac_end == frac_begin) return DecimalResult::kSyntax;
  }
  long exponent = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    bool exp_negative = p < end && *p == '-';
    if (p < end && (*p == '+' || *p == '-')) p++;
    if (p == end || !is_digit(*p)) return DecimalResult::kSyntax;
    for (; p < end && is_digit(*p); p++)
      if (exponent < 100000) exponent = exponent * 10 + (*p - '0');  // saturates; range below
    if (exp_negative) exponent = -exponent;
  }
  if (p != end) return DecimalResult::kSyntax;

  // Significant digits without leading or trailing zeros; value = digits * 10^e.
  std::string digits;
  long e = exponent - long(frac_end - frac_begin);
  long trailing_zeros = 0;
  for (auto part : {std::make_pair(int_begin, int_end), std::make_pair(frac_begin, frac_end)}) {
    for (const char* q = part.first; q < part.second; q++) {
      if (*q == '0') {
        if (!digits.empty()) trailing_zeros++;
        continue;
      }
      if (digits.size() + size_t(trailing_zeros) >= size_t(kMaxDecimalDigits))
        return DecimalResult::kTooLong;
      digits.append(size_t(trailing_zeros), '0');
      trailing_zeros = 0;
      digits += *q;
    }
  }
  e += trailing_zeros;
  const double sign = negative ? -1.0 : 1.0;
  if (digits.empty()) {
    *out = sign * 0.0;
    return DecimalResult::kOk;
  }
  const long n = long(digits.size());
  if (e + n - 1 > 308) return DecimalResult::kOutOfRange;  // >= 1e309
  if (e + n < -324) {                                      // < 1e-324, under half the least
    *out = sign * 0.0;                                     // subnormal (4.94e-324)
    return DecimalResult::kOk;
  }

  // The leading (at most 19) digits as an integer.
  const int head_len = int(n < 19 ? n : 19);
  uint64_t head = 0;
  for (int i = 0; i < head_len; i++) head = head * 10 + uint64_t(digits[size_t(i)] - '0');
  long head_e = e + (n - head_len);

  if (n == head_len && head <= kTwo53) {
    if (head_e >= 0 && head_e <= kMaxExactPow10) {
      *out = sign * (double(head) * kPow10[head_e]);
      return DecimalResult::kOk;
    }
    if (head_e < 0 && head_e >= -kMaxExactPow10) {
      *out = sign * (double(head) / kPow10[-head_e]);
      return DecimalResult::kOk;
    }
  }

  // Estimate, then correct against the exact value.
  double x = double(head);
  for (long k = head_e; k > 0;) {
    long step = k < kMaxExactPow10 ? k : kMaxExactPow10;
    x *= kPow10[step];
    k -= step;
  }
  for (long k = -head_e; k > 0;) {
    long step = k < kMaxExactPow10 ? k : kMaxExactPow10;
    x /= kPow10[step];
    k -= step;
  }
  if (!(x <= DBL_MAX)) x = DBL_MAX;
  const Big big = from_digits(digits);
  const int ie = int(e);
  for (int iter = 0; iter < 2000; iter++) {
    int above = compare_with_halfway(big, ie, x);
    if (above >= 0 && x == DBL_MAX) return DecimalResult::kOutOfRange;  // ties go to infinity
    double up = from_bits(bits_of(x) + 1);
    if (above > 0) {
      x = up;
      continue;
    }
    if (above == 0) {
      x = even_of(x, up);
      break;
    }
    if (x == 0) break;
    double down = from_bits(bits_of(x) - 1);
    int below = compare_with_halfway(big, ie, down);
    if (below < 0) {
      x = down;
      continue;
    }
    if (below == 0) x = even_of(down, x);
    break;
  }
  *out = sign * x;
  return DecimalResult::kOk;
}

}  // namespace dfs
