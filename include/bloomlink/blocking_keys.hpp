// bloomlink/blocking_keys.hpp
//
// BlockingKeys: the keyed blocking tokens of a dataset's records, one per record and blocking
// rule of the schema (bloomlink/schema.hpp, BlockingRule). A token is the first 8 bytes of an
// HMAC-SHA256 of the rule's part values under a key derived from the secret, so the linkage unit
// sees only which records share a token, never the values. Records that share a token in some
// rule are compared (`link --blocking keys`, bloomlink/match/blocking.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bloomlink {

// kNoBlockingToken: the record has no token for the rule (one of its parts was missing).
inline constexpr std::uint64_t kNoBlockingToken = 0;

struct BlockingKeys {
  // rules: the rule names, in the schema's order.
  std::vector<std::string> rules;
  // tokens: record-major, tokens[i * rules.size() + r] is record i's token for rule r.
  std::vector<std::uint64_t> tokens;

  bool empty() const { return rules.empty(); }
  std::size_t records() const { return rules.empty() ? 0 : tokens.size() / rules.size(); }
  std::uint64_t token(std::size_t record, std::size_t rule) const {
    return tokens[record * rules.size() + rule];
  }
};

}  // namespace bloomlink
