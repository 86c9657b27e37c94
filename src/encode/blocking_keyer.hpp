// Internal: keyed blocking tokens (bloomlink/blocking_keys.hpp) from a record's clean values.
//
// A rule's token is the first 8 bytes (little-endian) of HMAC-SHA256 under the rule's key
// (DeriveBlockingKeys) of its parts' values, each as a 4-byte little-endian length and its
// bytes; a token that would be 0 (kNoBlockingToken) is 1. A record with any part missing, or a
// part whose transform leaves nothing, has no token for the rule.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/encode/keyed_hash.hpp"
#include "bloomlink/schema.hpp"
#include "encode/field_hasher.hpp"

namespace bloomlink::encode_internal {

// BlockingValue(transform, clean, out): appends the transform of a clean value (docs/schema.md,
// Blocking rules) to *out; false when it leaves nothing (a soundex of a value without letters).
bool BlockingValue(BlockingTransform transform, std::string_view clean, std::string* out);

// BlockingKeyer: one thread's keyed MAC contexts for every rule of a schema.
class BlockingKeyer {
 public:
  // Create(schema, keys): keys from DeriveBlockingKeys, one per rule.
  static absl::StatusOr<BlockingKeyer> Create(const LinkageSchema& schema,
                                              const std::vector<encode::FieldKeys>& keys);
  // Clone(): a keyer for another thread (the contexts duplicated).
  absl::StatusOr<BlockingKeyer> Clone() const;

  std::size_t rules() const { return rules_.size(); }
  // Token(rule, clean, present): the rule's token for a record whose field j has clean value
  // clean[j] when present[j] (schema field order).
  std::uint64_t Token(std::size_t rule, const std::vector<std::string>& clean,
                      const std::vector<std::uint8_t>& present);

 private:
  BlockingKeyer() = default;
  std::vector<BlockingRule> rules_;
  std::vector<MacContext> contexts_;
  std::string message_, value_;
};

}  // namespace bloomlink::encode_internal
