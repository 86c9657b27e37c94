// bloomlink/match/blocking.hpp
//
// Candidate sources: how FindCandidates (bloomlink/match/candidates.hpp) chooses which pairs to
// compare. Every source gives the same results contract: the pairs it compares whose Dice reaches
// the threshold, each once, with the same score; the exhaustive search compares every pair, the
// others a subset (and so may miss a candidate, which their stats say how likely).
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "bloomlink/blocking_keys.hpp"

namespace bloomlink::match {

enum class Blocking {
  kExhaustive,  // every pair (with exact popcount pruning)
  kLsh,         // Hamming LSH on CLK bits (bloomlink/match/lsh.hpp)
  kKeys,        // keyed blocking tokens (bloomlink/match/keyed_blocking.hpp)
};

// BlockingName: "exhaustive", "lsh", "keys"; ParseBlocking: the reverse, InvalidArgument naming the
// choices for anything else.
std::string_view BlockingName(Blocking blocking);
absl::StatusOr<Blocking> ParseBlocking(std::string_view name);

// LshOptions: Hamming LSH's settings (bloomlink/match/lsh.hpp).
struct LshOptions {
  // completeness: the share of the pairs at exactly the threshold that the tables should find
  // (pairs above it are found more often), in (0, 1).
  double completeness = 0.99;
  // bits and tables: K and L; 0 derives them from the data and the completeness.
  int bits = 0;
  int tables = 0;
  // seed: which positions each table samples; the same seed gives the same tables.
  std::uint64_t seed = 1;
  // max_bucket_pairs: a bucket whose pairs exceed this is skipped (counted in LshStats); 0 for
  // no limit.
  std::uint64_t max_bucket_pairs = 50000000;
};

// KeyOptions: keyed blocking's inputs and settings (bloomlink/match/keyed_blocking.hpp).
struct KeyOptions {
  // a, b: the datasets' blocking tokens (EncodedDataset::blocking_keys); b is a's within one
  // dataset.
  const BlockingKeys* a = nullptr;
  const BlockingKeys* b = nullptr;
  // max_block_pairs: a block (the records sharing one token) whose pairs exceed this is not
  // compared (counted and warned about); 0 for no limit.
  std::uint64_t max_block_pairs = 50000000;
};

}  // namespace bloomlink::match
