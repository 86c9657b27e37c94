// Internal: Python's number syntax, where bloomlink must read values exactly as clkhash (Python)
// does: int(s) and float(s) of ASCII text, and str() of a 128-bit integer.
#pragma once

#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>

namespace bloomlink::internal {

// Int128: 128-bit integers hold clkhash numeric values (Python ints) with room for scaling.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// IsPySpace(c): the ASCII white space int() and float() strip. Unlike str.isspace() it excludes
// \x1c-\x1f: int("5\x1c") is a ValueError.
inline bool IsPySpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

inline std::string_view StripPySpace(std::string_view s) {
  while (!s.empty() && IsPySpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsPySpace(s.back())) s.remove_suffix(1);
  return s;
}

// DigitsWithUnderscores(s, out): Python's digit-part rule: digits, single underscores only
// between digits. Appends the digits to `out`.
inline bool DigitsWithUnderscores(std::string_view s, std::string& out) {
  if (s.empty() || s.front() == '_' || s.back() == '_') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      if (s[i + 1] == '_') return false;
      continue;
    }
    if (c < '0' || c > '9') return false;
    out.push_back(c);
  }
  return true;
}

// ParsePythonInt(word, value): int(word) (base 10) for ASCII input; false for anything int()
// refuses and for values beyond 128 bits.
inline bool ParsePythonInt(std::string_view word, Int128& value) {
  std::string_view s = StripPySpace(word);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  std::string digits;
  if (!DigitsWithUnderscores(s, digits)) return false;
  Int128 v = 0;
  for (char c : digits) {
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v)) return false;
  }
  value = negative ? -v : v;
  return true;
}

// ParsePythonFloat: float(word) for ASCII input; inf and nan are refused (clkhash cannot turn
// them into tokens either).
inline bool ParsePythonFloat(std::string_view word, double& value) {
  std::string_view s = StripPySpace(word);
  std::string clean;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean.push_back(s[i++]);
  std::size_t mantissa_end = s.find_first_of("eE", i);
  std::string_view mantissa =
      s.substr(i, mantissa_end == std::string_view::npos ? s.npos : mantissa_end - i);
  std::size_t dot = mantissa.find('.');
  std::string_view whole = mantissa.substr(0, dot);
  std::string_view frac =
      dot == std::string_view::npos ? std::string_view() : mantissa.substr(dot + 1);
  if (whole.empty() && frac.empty()) return false;
  if (!whole.empty() && !DigitsWithUnderscores(whole, clean)) return false;
  if (dot != std::string_view::npos) {
    clean.push_back('.');
    if (!frac.empty() && !DigitsWithUnderscores(frac, clean)) return false;
  }
  if (mantissa_end != std::string_view::npos) {
    std::string_view exp = s.substr(mantissa_end + 1);
    clean.push_back('e');
    if (!exp.empty() && (exp.front() == '+' || exp.front() == '-')) {
      clean.push_back(exp.front());
      exp.remove_prefix(1);
    }
    if (!DigitsWithUnderscores(exp, clean)) return false;
  }
  char* end = nullptr;
  double v = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size() || !std::isfinite(v)) return false;
  value = v;
  return true;
}

inline void AppendInt128(std::string& out, Int128 v) {
  char buf[48];
  int n = 0;
  bool negative = v < 0;
  UInt128 u =
      negative ? static_cast<UInt128>(0) - static_cast<UInt128>(v) : static_cast<UInt128>(v);
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  } while (u != 0);
  if (negative) out.push_back('-');
  while (n > 0) out.push_back(buf[--n]);
}

}  // namespace bloomlink::internal
