// Decimal text to double, correctly rounded (round half to even), for JSON numbers.
//
// Why not strtod: in WebAssembly, musl's strtod works in 128-bit long double, which is emulated
// in software; replacing it took 11 KB off the release module (343 -> 332 KB, measured
// 2026-12-02), for the few dozen numbers of a model header. This one uses an exact fast path
// for the usual short numbers and a small big-integer comparison for the rest.
#pragma once
#include <cstddef>

namespace dfs {

enum class DecimalResult { kOk, kSyntax, kOutOfRange, kTooLong };

// Parses exactly [s, end) as a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// kOk: *out is the nearest double (ties to even; underflow gives 0 or a subnormal).
// kOutOfRange: the magnitude rounds past the largest double. kSyntax: not that grammar.
// kTooLong: more than kMaxDecimalDigits significant digits (a bound on the work, far beyond
// the 17 that identify any double).
constexpr int kMaxDecimalDigits = 800;
DecimalResult parse_decimal(const char* s, const char* end, double* out);

// The length of the longest prefix of [s, end) made only of number characters
// (digits, '-', '+', '.', 'e', 'E'): what a JSON scanner hands to parse_decimal.
size_t decimal_span(const char* s, const char* end);

}  // namespace dfs
