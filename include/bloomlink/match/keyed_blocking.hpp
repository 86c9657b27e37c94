// bloomlink/match/keyed_blocking.hpp
//
// Keyed blocking: a candidate source that compares only the pairs of records sharing a blocking
// token (bloomlink/blocking_keys.hpp) in at least one of the schema's blocking rules, the union
// over the rules (Splink's OR-ed blocking rules). The data holders compute the tokens when they
// encode, as keyed HMACs of values such as soundex(family_name) + year(date_of_birth), so the
// linkage unit sees only which records share a token. Each rule is a table of the bucket join
// (src/match/bucket_join.hpp): records grouped by token, each block's pairs compared with the
// SIMD kernels by the candidate rule of candidates.hpp; a pair sharing tokens in several rules
// is kept once. Blocks with more than KeyOptions::max_block_pairs pairs are not compared, and
// counted. The result is every candidate pair (score >= threshold) sharing a token, ordered by
// (left, right): a subset of FindCandidates' exhaustive pairs, the same for any thread count.
//
//   match::CandidateOptions options{.threshold = 0.8, .blocking = match::Blocking::kKeys};
//   options.keys = {.a = &a.blocking_keys, .b = &b.blocking_keys};
//   absl::StatusOr<match::CandidatePairs> pairs = match::FindCandidates(a.clks, b.clks, options);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/blocking_keys.hpp"
#include "bloomlink/match/candidate_pairs.hpp"
#include "bloomlink/match/candidates.hpp"

namespace bloomlink::match {

// kLargeBlockPairs: a rule whose largest block holds more pairs than this gets a warning (a
// token that common, often a placeholder value, does little blocking).
inline constexpr std::uint64_t kLargeBlockPairs = 1000000;

// CheckBlockingKeys(a, rows_a, b, rows_b): FailedPrecondition when a dataset has no blocking
// tokens, or the two name different rules (encoded with different schemas); InvalidArgument when
// the token counts do not match the records.
absl::Status CheckBlockingKeys(const BlockingKeys* a, std::size_t rows_a, const BlockingKeys* b,
                               std::size_t rows_b);

// KeyedRuleBlocks: what one rule's blocks hold.
struct KeyedRuleBlocks {
  std::string rule;
  std::uint64_t a_with_token = 0, b_with_token = 0;  // records with a token for the rule
  std::uint64_t blocks = 0;                          // tokens shared by a pair or more
  std::uint64_t pairs = 0;                           // the pairs of all its blocks
  // the largest block: records of A and B sharing its token, and its pairs
  std::uint64_t largest_a = 0, largest_b = 0, largest_pairs = 0;
};

struct KeyedBlockingStats {
  std::uint64_t comparisons = 0;  // pairs compared, over all rules (with repeats)
  std::uint64_t capped_blocks = 0, capped_pairs = 0;
  std::vector<KeyedRuleBlocks> rules;
  double seconds = 0;
};

// FindCandidatesByKeys(a, b, options, stats): the candidates (options.threshold, same_dataset,
// threads, kernel, max_candidates, cancelled as in FindCandidates; top_k must be 0) among the
// pairs sharing a token of options.keys. Errors as FindCandidates and CheckBlockingKeys.
absl::StatusOr<CandidatePairs> FindCandidatesByKeys(const BitMatrix& a, const BitMatrix& b,
                                                    const CandidateOptions& options,
                                                    KeyedBlockingStats* stats = nullptr);

// CountKeyedBlocks(a, b, same_dataset): every rule's blocks, counted without comparing anything
// (for `bloomlink blocking report`). Errors as CheckBlockingKeys.
absl::StatusOr<std::vector<KeyedRuleBlocks>> CountKeyedBlocks(const BlockingKeys& a,
                                                              const BlockingKeys& b,
                                                              bool same_dataset);

// KeyedPairSample: pairs drawn uniformly from the pairs the rules compare (a pair shared by
// several rules counted in each), for estimating how many of them reach a threshold.
struct KeyedPairSample {
  std::uint64_t compared = 0;  // the pairs of all rules' blocks
  std::vector<std::uint32_t> left, right;
};

// SampleKeyedPairs(a, b, same_dataset, n, seed): up to n pairs (fewer when the rules compare
// fewer), the same for the same seed. Errors as CheckBlockingKeys.
absl::StatusOr<KeyedPairSample> SampleKeyedPairs(const BlockingKeys& a, const BlockingKeys& b,
                                                 bool same_dataset, std::size_t n,
                                                 std::uint64_t seed);

// KeysShared(a, left, b, right): whether record left of a and right of b share a token in some
// rule, i.e. whether FindCandidatesByKeys compares them.
bool KeysShared(const BlockingKeys& a, std::size_t left, const BlockingKeys& b, std::size_t right);

// BlockingWarnings(rules, capped_blocks, capped_pairs): one line per rule whose largest block is
// over kLargeBlockPairs, and one for blocks not compared.
std::vector<std::string> BlockingWarnings(const std::vector<KeyedRuleBlocks>& rules,
                                          std::uint64_t capped_blocks, std::uint64_t capped_pairs,
                                          std::uint64_t max_block_pairs);

}  // namespace bloomlink::match
