// bloomlink/encode/tokenise.hpp
//
// Tokenisers: a cleaned value becomes the tokens that are hashed into the filter.
//  - q-grams over Unicode code points (not bytes), padded with q-1 spaces on each side by default
//    ("ann", q=2: " a", "an", "nn", "n "); duplicates are kept;
//  - positional q-grams, "<1-based position> <q-gram>" ("1  a", "2 an", ...);
//  - the whole value as one token;
//  - clkhash's numeric neighbourhood tokens.
// An empty value has no tokens.
//
//   encode::TokenList tokens;
//   encode::Tokenise("ann", spec, tokens);
//   for (std::size_t i = 0; i < tokens.size(); ++i) use(tokens[i]);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bloomlink/schema.hpp"

namespace bloomlink::encode {

// TokenList: the tokens of one value, stored back to back; reusing one list across values
// allocates nothing once it has grown to the largest value.
class TokenList {
 public:
  void clear() {
    data_.clear();
    ends_.clear();
  }
  std::size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  std::string_view operator[](std::size_t i) const {
    std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(data_).substr(begin, ends_[i] - begin);
  }

 private:
  friend bool Tokenise(std::string_view, const TokenSpec&, TokenList&);
  void Push(std::string_view token) {
    data_.append(token);
    ends_.push_back(static_cast<std::uint32_t>(data_.size()));
  }
  std::string data_;
  std::vector<std::uint32_t> ends_;
  std::string padded_;                 // scratch: the padded value
  std::vector<std::uint32_t> starts_;  // scratch: code point offsets
  std::string token_;                  // scratch: a positional or numeric token
};

// Tokenise(value, spec, out) replaces `out` with the tokens of `value` (valid UTF-8). Returns
// false only for kNumeric when `value` is not a number Python's int() or float() accepts (or is
// out of range); `out` is then empty.
bool Tokenise(std::string_view value, const TokenSpec& spec, TokenList& out);

}  // namespace bloomlink::encode
