#include "schema/strptime.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "internal/calendar.hpp"
#include "internal/strings.hpp"

namespace bloomlink::schema_internal {
namespace {

constexpr std::array<std::string_view, 12> kMonthAbbr = {"jan", "feb", "mar", "apr", "may", "jun",
                                                         "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> kMonthFull = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

enum class Piece { kLiteral, kSpace, kYear4, kYear2, kMonth, kDay, kMonthName, kMonthFullName };

struct Token {
  Piece piece;
  char literal = 0;
};

bool Tokenise(std::string_view format, std::vector<Token>* tokens, char* bad) {
  for (std::size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c == '%') {
      if (i + 1 >= format.size()) {
        *bad = '\0';
        return false;
      }
      char d = format[++i];
      switch (d) {
        case 'Y':
          tokens->push_back({Piece::kYear4});
          break;
        case 'y':
          tokens->push_back({Piece::kYear2});
          break;
        case 'm':
          tokens->push_back({Piece::kMonth});
          break;
        case 'd':
          tokens->push_back({Piece::kDay});
          break;
        case 'b':
          tokens->push_back({Piece::kMonthName});
          break;
        case 'B':
          tokens->push_back({Piece::kMonthFullName});
          break;
        case '%':
          tokens->push_back({Piece::kLiteral, '%'});
          break;
        default:
          *bad = d;
          return false;
      }
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      // Python turns each run of white space in the format into \s+.
      if (tokens->empty() || tokens->back().piece != Piece::kSpace)
        tokens->push_back({Piece::kSpace});
    } else {
      tokens->push_back({Piece::kLiteral, c});
    }
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

struct Fields {
  int year = 1900, month = 1, day = 1;
};

// Alternatives of each directive, in Python's order. Each candidate is a length; Match tries them
// left to right and backtracks, like the regular expression Python builds.
int Candidates(Piece piece, std::string_view s, std::size_t pos, std::array<std::size_t, 8>& lens,
               std::array<int, 8>& values) {
  int n = 0;
  auto at = [&](std::size_t i) -> char { return pos + i < s.size() ? s[pos + i] : '\0'; };
  switch (piece) {
    case Piece::kYear4:
      if (IsDigit(at(0)) && IsDigit(at(1)) && IsDigit(at(2)) && IsDigit(at(3))) {
        lens[n] = 4;
        values[n++] =
            (at(0) - '0') * 1000 + (at(1) - '0') * 100 + (at(2) - '0') * 10 + (at(3) - '0');
      }
      break;
    case Piece::kYear2:
      if (IsDigit(at(0)) && IsDigit(at(1))) {
        int y = (at(0) - '0') * 10 + (at(1) - '0');
        lens[n] = 2;
        values[n++] = y < 69 ? 2000 + y : 1900 + y;
      }
      break;
    case Piece::kMonth:  // 1[0-2]|0[1-9]|[1-9]
      if (at(0) == '1' && at(1) >= '0' && at(1) <= '2') {
        lens[n] = 2;
        values[n++] = 10 + (at(1) - '0');
      }
      if (at(0) == '0' && at(1) >= '1' && at(1) <= '9') {
        lens[n] = 2;
        values[n++] = at(1) - '0';
      }
      if (at(0) >= '1' && at(0) <= '9') {
        lens[n] = 1;
        values[n++] = at(0) - '0';
      }
      break;
    case Piece::kDay:  // 3[01]|[12]\d|0[1-9]|[1-9]| [1-9]
      if (at(0) == '3' && (at(1) == '0' || at(1) == '1')) {
        lens[n] = 2;
        values[n++] = 30 + (at(1) - '0');
      }
      if ((at(0) == '1' || at(0) == '2') && IsDigit(at(1))) {
        lens[n] = 2;
        values[n++] = (at(0) - '0') * 10 + (at(1) - '0');
      }
      if (at(0) == '0' && at(1) >= '1' && at(1) <= '9') {
        lens[n] = 2;
        values[n++] = at(1) - '0';
      }
      if (at(0) >= '1' && at(0) <= '9') {
        lens[n] = 1;
        values[n++] = at(0) - '0';
      }
      if (at(0) == ' ' && at(1) >= '1' && at(1) <= '9') {
        lens[n] = 2;
        values[n++] = at(1) - '0';
      }
      break;
    case Piece::kMonthName:
    case Piece::kMonthFullName: {
      const auto& names = piece == Piece::kMonthName ? kMonthAbbr : kMonthFull;
      // Python sorts the alternatives longest first; case-insensitive.
      std::array<int, 12> order;
      for (int i = 0; i < 12; ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int b) { return names[a].size() > names[b].size(); });
      for (int i : order) {
        std::string_view name = names[i];
        if (pos + name.size() > s.size()) continue;
        bool same = true;
        for (std::size_t k = 0; k < name.size() && same; ++k) {
          same = std::tolower(static_cast<unsigned char>(s[pos + k])) == name[k];
        }
        if (same && n < 8) {
          lens[n] = name.size();
          values[n++] = i + 1;
        }
      }
      break;
    }
    default:
      break;
  }
  return n;
}

bool Match(const std::vector<Token>& tokens, std::size_t t, std::string_view s, std::size_t pos,
           Fields fields, Fields* result, std::size_t* end) {
  if (t == tokens.size()) {
    *result = fields;
    *end = pos;
    return true;
  }
  const Token& token = tokens[t];
  if (token.piece == Piece::kLiteral) {
    if (pos < s.size() && std::tolower(static_cast<unsigned char>(s[pos])) ==
                              std::tolower(static_cast<unsigned char>(token.literal))) {
      return Match(tokens, t + 1, s, pos + 1, fields, result, end);
    }
    return false;
  }
  if (token.piece == Piece::kSpace) {
    // \s+ is greedy: try the longest run first, then shorter ones.
    std::size_t run = 0;
    while (pos + run < s.size() && IsSpace(s[pos + run])) ++run;
    for (std::size_t k = run; k >= 1; --k) {
      if (Match(tokens, t + 1, s, pos + k, fields, result, end)) return true;
    }
    return false;
  }
  std::array<std::size_t, 8> lens{};
  std::array<int, 8> values{};
  int n = Candidates(token.piece, s, pos, lens, values);
  for (int i = 0; i < n; ++i) {
    Fields next = fields;
    switch (token.piece) {
      case Piece::kYear4:
      case Piece::kYear2:
        next.year = values[i];
        break;
      case Piece::kMonth:
      case Piece::kMonthName:
      case Piece::kMonthFullName:
        next.month = values[i];
        break;
      case Piece::kDay:
        next.day = values[i];
        break;
      default:
        break;
    }
    if (Match(tokens, t + 1, s, pos + lens[i], next, result, end)) return true;
  }
  return false;
}

}  // namespace

absl::Status CheckStrptimeFormat(std::string_view format) {
  std::vector<Token> tokens;
  char bad = 0;
  if (!Tokenise(format, &tokens, &bad)) {
    if (bad == '\0') return absl::InvalidArgumentError("a format that does not end with '%'");
    return absl::InvalidArgumentError(internal::StrCat(
        "a date format using only %Y %y %m %d %b %B %% (not %", std::string(1, bad), ")"));
  }
  return absl::OkStatus();
}

bool StrptimeToYmd(std::string_view value, std::string_view format, std::string* out) {
  std::vector<Token> tokens;
  char bad = 0;
  if (!Tokenise(format, &tokens, &bad)) return false;
  Fields fields;
  std::size_t end = 0;
  if (!Match(tokens, 0, value, 0, Fields{}, &fields, &end)) return false;
  if (end != value.size()) return false;  // "unconverted data remains"
  if (fields.year < 1 || !internal::IsValidDate(fields.year, fields.month, fields.day))
    return false;
  out->clear();
  internal::StrAppend(*out, fields.year, fields.month < 10 ? "0" : "", fields.month,
                      fields.day < 10 ? "0" : "", fields.day);
  return true;
}

}  // namespace bloomlink::schema_internal
