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
#include <vector>

#include "absl/status/status.h"
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

// Base64Decode(text) decodes padded or unpadded canonical base64; whitespace is not allowed.
// InvalidArgument says what is wrong ("invalid base64: character 3 of the string ('=') is not a
// base64 character") and never quotes the text.
absl::StatusOr<std::string> Base64Decode(std::string_view text);
// Base64DecodeTo(text, out): the same into `out` (resized; its capacity is reused, so decoding
// many CLKs into one buffer allocates nothing).
absl::Status Base64DecodeTo(std::string_view text, std::vector<std::uint8_t>& out);

// HexEncode(data) returns lower-case hex.
std::string HexEncode(std::span<const std::uint8_t> data);

}  // namespace bloomlink
