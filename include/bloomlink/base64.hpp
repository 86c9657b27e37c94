// bloomlink/base64.hpp
//
// Standard base64 (RFC 4648, with padding), as clkhash writes CLKs and schema salts.
//
//   std::string text = bloomlink::Base64Encode(bytes);
//   absl::StatusOr<std::string> raw = bloomlink::Base64Decode(text);
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace bloomlink {

// Base64Encode(data) returns the padded base64 text of `data`.
std::string Base64Encode(std::span<const std::uint8_t> data);
inline std::string Base64Encode(std::string_view data) {
  return Base64Encode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}
// Base64EncodeTo(data, out) appends the base64 text of `data` to `out` (no allocation when `out`
// has capacity).
void Base64EncodeTo(std::span<const std::uint8_t> data, std::string& out);

// Base64Decode(text) decodes padded or unpadded base64; whitespace is not allowed. Returns
// InvalidArgument naming the offending character position otherwise.
absl::StatusOr<std::string> Base64Decode(std::string_view text);

// HexEncode(data) returns lower-case hex.
std::string HexEncode(std::span<const std::uint8_t> data);

}  // namespace bloomlink
