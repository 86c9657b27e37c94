#include "bloomlink/encode/tokenise.hpp"

#include <cmath>
#include <cstdlib>

#include "internal/strings.hpp"

namespace bloomlink::encode {
namespace {

// 128-bit integers hold clkhash numeric values (Python ints) with room for the scaling.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// IsPySpace(c): the ASCII white space int() and float() strip. Unlike str.isspace() it excludes
// \x1c-\x1f: int("5\x1c") is a ValueError.
bool IsPySpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

std::string_view StripPySpace(std::string_view s) {
  while (!s.empty() && IsPySpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsPySpace(s.back())) s.remove_suffix(1);
  return s;
}

// DigitsWithUnderscores(s, out): Python's digit-part rule: digits, single underscores only
// between digits. Appends the digits to `out`.
bool DigitsWithUnderscores(std::string_view s, std::string& out) {
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

// ParsePythonInt: int(word, 10) for ASCII input.
bool ParsePythonInt(std::string_view word, Int128& value) {
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
bool ParsePythonFloat(std::string_view word, double& value) {
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

void AppendInt128(std::string& out, Int128 v) {
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

}  // namespace

bool Tokenise(std::string_view value, const TokenSpec& spec, TokenList& out) {
  out.clear();
  if (value.empty()) return true;
  switch (spec.kind) {
    case TokenKind::kExact:
      out.Push(value);
      return true;
    case TokenKind::kQgram:
    case TokenKind::kPositionalQgram: {
      const int q = spec.q;
      const int pad = spec.padded && q > 1 ? q - 1 : 0;
      std::string& padded = out.padded_;
      padded.assign(static_cast<std::size_t>(pad), ' ');
      padded.append(value);
      padded.append(static_cast<std::size_t>(pad), ' ');
      std::vector<std::uint32_t>& starts = out.starts_;
      starts.clear();
      for (std::uint32_t i = 0; i < padded.size(); ++i) {
        if ((static_cast<unsigned char>(padded[i]) & 0xC0) != 0x80) starts.push_back(i);
      }
      const std::size_t chars = starts.size();
      starts.push_back(static_cast<std::uint32_t>(padded.size()));
      std::string& token = out.token_;
      for (std::size_t i = 0; i + static_cast<std::size_t>(q) <= chars; ++i) {
        std::string_view gram(padded.data() + starts[i], starts[i + q] - starts[i]);
        if (spec.kind == TokenKind::kPositionalQgram) {
          token.clear();
          internal::StrAppend(token, i + 1, ' ', gram);
          out.Push(token);
        } else {
          out.Push(gram);
        }
      }
      return true;
    }
    case TokenKind::kNumeric: {
      // clkhash NumericComparison: scale the value by 10^fractional_precision and by
      // 2 * resolution, round it to the nearest multiple of distance_interval (a residue of
      // exactly half goes up), then emit the 2 * resolution + 1 neighbouring multiples.
      Int128 v = 0;
      Int128 scale = 1;
      for (int i = 0; i < spec.fractional_precision; ++i) scale *= 10;
      if (ParsePythonInt(value, v)) {
        if (__builtin_mul_overflow(v, scale, &v)) return false;
      } else {
        double f = 0;
        if (!ParsePythonFloat(value, f)) return false;
        double scaled = spec.fractional_precision > 0 ? f * static_cast<double>(scale) : f;
        // round() is half-to-even (the default rounding mode); int() truncates.
        double r = spec.fractional_precision > 0 ? std::nearbyint(scaled) : std::trunc(scaled);
        if (!(std::fabs(r) < 1.0e30)) return false;
        v = static_cast<Int128>(r);
      }
      if (__builtin_mul_overflow(v, 2 * static_cast<Int128>(spec.resolution), &v)) return false;
      const Int128 interval = spec.distance_interval;
      Int128 residue = v % interval;
      if (residue < 0) residue += interval;  // Python's modulo takes the divisor's sign
      if (residue != 0) {
        if (2 * residue < interval) {
          v -= residue;
        } else {
          v += interval - residue;
        }
      }
      std::string& token = out.token_;
      for (int i = -spec.resolution; i <= spec.resolution; ++i) {
        token.clear();
        AppendInt128(token, v + static_cast<Int128>(i) * interval);
        out.Push(token);
      }
      return true;
    }
  }
  return true;
}

}  // namespace bloomlink::encode
