#include "bloomlink/encode/tokenise.hpp"

#include <cmath>

#include "internal/python_number.hpp"
#include "internal/strings.hpp"

namespace bloomlink::encode {

using internal::Int128;

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
      if (internal::ParsePythonInt(value, v)) {
        if (__builtin_mul_overflow(v, scale, &v)) return false;
      } else {
        double f = 0;
        if (!internal::ParsePythonFloat(value, f)) return false;
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
        internal::AppendInt128(token, v + static_cast<Int128>(i) * interval);
        out.Push(token);
      }
      return true;
    }
  }
  return true;
}

}  // namespace bloomlink::encode
