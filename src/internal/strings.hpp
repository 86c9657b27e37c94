// Internal string helpers; not part of the public API.
//
// Debian's Abseil is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so
// absl::StrCat does not accept std::string_view. StrCat here takes std::string_view, strings,
// characters, integers and floating point values.
#pragma once

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

namespace bloomlink::internal {

inline void AppendPiece(std::string& out, std::string_view s) { out.append(s); }
inline void AppendPiece(std::string& out, const char* s) { out.append(s); }
inline void AppendPiece(std::string& out, const std::string& s) { out.append(s); }
inline void AppendPiece(std::string& out, char c) { out.push_back(c); }
template <typename T>
requires(std::integral<T> && !std::same_as<T, char> &&
         !std::same_as<T, bool>) inline void AppendPiece(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}
template <typename T>
requires std::floating_point<T>
inline void AppendPiece(std::string& out, T v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

// StrCat(pieces...) concatenates its arguments.
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (AppendPiece(out, args), ...);
  return out;
}

// Thousands(n): 1234567 -> "1,234,567" (for counts in messages).
inline std::string Thousands(unsigned long long n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// StrAppend(out, pieces...) appends its arguments to `out`.
template <typename... Args>
void StrAppend(std::string& out, const Args&... args) {
  (AppendPiece(out, args), ...);
}

// DescribeChar(c): a byte as a message shows it: 'x' for printable ASCII, "a space", "byte 0x0a"
// otherwise, and "the end of the file" for c < 0 (a reader's end-of-input marker).
inline std::string DescribeChar(int c) {
  if (c < 0) return "the end of the file";
  if (c >= 0x21 && c < 0x7f) return StrCat("'", static_cast<char>(c), "'");
  if (c == ' ') return "a space";
  static constexpr char kHex[] = "0123456789abcdef";
  return StrCat("byte 0x", kHex[(c >> 4) & 15], kHex[c & 15]);
}

}  // namespace bloomlink::internal
