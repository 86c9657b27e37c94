#include "bloomlink/base64.hpp"

#include <array>

#include "internal/strings.hpp"

namespace bloomlink {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> MakeDecodeTable() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr std::array<std::int8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

void Base64EncodeTo(std::span<const std::uint8_t> data, std::string& out) {
  std::size_t i = 0;
  const std::size_t n = data.size();
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v =
        (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (n - i == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.append("==");
  } else if (n - i == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
}

std::string Base64Encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  Base64EncodeTo(data, out);
  return out;
}

absl::Status Base64DecodeTo(std::string_view text, std::vector<std::uint8_t>& out) {
  using internal::StrCat;
  std::size_t len = text.size();
  std::size_t padding = 0;
  while (len > 0 && text[len - 1] == '=' && padding < 2) {
    --len;
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) {
    return absl::InvalidArgumentError(StrCat("invalid base64: ", text.size(),
                                             " characters with padding; padded base64 comes in "
                                             "groups of 4"));
  }
  if (len % 4 == 1) {
    return absl::InvalidArgumentError(
        StrCat("invalid base64: ", text.size(), " characters is not a whole number of bytes"));
  }
  out.resize(len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1));
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  auto bad_char = [&](std::size_t from) {
    std::size_t i = from;
    while (kDecode[t[i]] >= 0) ++i;
    return absl::InvalidArgumentError(StrCat(
        "invalid base64: character ", i + 1, " of the string (",
        internal::DescribeChar(static_cast<unsigned char>(t[i])), ") is not a base64 character"));
  };
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    const int a = kDecode[t[i]], b = kDecode[t[i + 1]], c = kDecode[t[i + 2]],
              d = kDecode[t[i + 3]];
    if ((a | b | c | d) < 0) return bad_char(i);
    const std::uint32_t v = (static_cast<std::uint32_t>(a) << 18) |
                            (static_cast<std::uint32_t>(b) << 12) |
                            (static_cast<std::uint32_t>(c) << 6) | static_cast<std::uint32_t>(d);
    out[o++] = static_cast<std::uint8_t>(v >> 16);
    out[o++] = static_cast<std::uint8_t>(v >> 8);
    out[o++] = static_cast<std::uint8_t>(v);
  }
  if (i < len) {
    std::uint32_t v = 0;
    const std::size_t rest = len - i;  // 2 or 3
    for (std::size_t k = 0; k < rest; ++k) {
      const int x = kDecode[t[i + k]];
      if (x < 0) return bad_char(i);
      v = (v << 6) | static_cast<std::uint32_t>(x);
    }
    // 2 characters carry 12 bits (one byte + 4 spare), 3 carry 18 (two bytes + 2 spare).
    const unsigned spare = rest == 2 ? 4 : 2;
    if ((v & ((1u << spare) - 1)) != 0) {
      return absl::InvalidArgumentError(
          "invalid base64: non-zero trailing bits (not canonical base64)");
    }
    v >>= spare;
    if (rest == 3) out[o++] = static_cast<std::uint8_t>(v >> 8);
    out[o++] = static_cast<std::uint8_t>(v);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  std::vector<std::uint8_t> bytes;
  absl::Status s = Base64DecodeTo(text, bytes);
  if (!s.ok()) return s;
  return std::string(bytes.begin(), bytes.end());
}

std::string HexEncode(std::span<const std::uint8_t> data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace bloomlink
