// bloomlink/eval/metrics.hpp
//
// Linkage quality against known truth: precision, recall and F1 of predicted pairs, and, for a
// candidate set, pair completeness (the share of true pairs among the candidates) and the
// reduction ratio (the share of all |A| x |B| comparisons avoided).
//
// Truth is a set of (id in A, id in B) pairs, given as a list (a CSV of two id columns) or by a
// regular expression whose first capture group names the entity (FEBRL: "^rec-(\d+)-" makes
// rec-12-org and rec-12-dup-0 the same person); with a regex, the true pairs are every (a, b)
// whose ids capture the same group, which needs the ids of both datasets.
//
//   auto truth = eval::TruthSet::FromPairs(pairs);
//   eval::PairMetrics m = eval::ComparePairs(predicted, *truth);   // m.precision, m.recall, m.f1
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace bloomlink::eval {

using IdPair = std::pair<std::string, std::string>;

class TruthSet {
 public:
  // FromPairs(pairs): duplicates count once.
  static TruthSet FromPairs(const std::vector<IdPair>& pairs);
  // FromRegex(pattern, ids_a, ids_b): `pattern` is a regular expression in Python's syntax
  // (re.search on str: Unicode classes, named groups such as (?P<e>\d+)), matched by PCRE2. It is
  // searched in each id (anchor it with ^ to match from the start); the text of its first capture
  // group, named or not, is the entity key. Ids the pattern does not match, or where the first
  // group takes no part, belong to no entity (never a true pair); so do bytes that are not UTF-8.
  // An id listed twice counts once. size() is counted per key (count in A x count in B), without
  // listing the pairs; Contains compares the keys of two listed ids. InvalidArgument when the
  // pattern does not compile (PCRE2's message and the offset in the pattern), has no capture
  // group, or backtracks past the match limit on an id (the message names the id).
  static absl::StatusOr<TruthSet> FromRegex(std::string_view pattern,
                                            const std::vector<std::string>& ids_a,
                                            const std::vector<std::string>& ids_b);

  // FromPairsWithin / FromRegexWithin: truth for deduplication (one dataset with itself): pairs
  // are unordered ((a, b) is (b, a)) and an id is never paired with itself; a regex entity of n
  // ids has n (n - 1) / 2 true pairs.
  static TruthSet FromPairsWithin(const std::vector<IdPair>& pairs);
  static absl::StatusOr<TruthSet> FromRegexWithin(std::string_view pattern,
                                                  const std::vector<std::string>& ids);

  TruthSet(TruthSet&&) noexcept;
  TruthSet& operator=(TruthSet&&) noexcept;
  ~TruthSet();

  // Contains(id_a, id_b): whether (id_a, id_b) is a true pair; the first id is from A, the
  // second from B. With FromRegex, ids that were not listed are never in a true pair.
  bool Contains(std::string_view id_a, std::string_view id_b) const;
  // size(): the number of true pairs.
  std::uint64_t size() const;
  // within(): made by FromPairsWithin or FromRegexWithin.
  bool within() const;

 private:
  struct Impl;
  explicit TruthSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct PairMetrics {
  std::uint64_t predicted = 0;   // distinct predicted pairs
  std::uint64_t true_pairs = 0;  // size of the truth
  std::uint64_t true_positives = 0;
  std::uint64_t false_positives = 0;
  std::uint64_t false_negatives = 0;
  double precision = 0;  // tp / predicted (1 when nothing is predicted)
  double recall = 0;     // tp / true_pairs (1 when there is no true pair)
  double f1 = 0;         // harmonic mean (0 when both are 0)
};

// ComparePairs(predicted, truth): duplicate predictions count once; with a within truth set,
// (a, b) and (b, a) are the same prediction.
PairMetrics ComparePairs(const std::vector<IdPair>& predicted, const TruthSet& truth);

// PairCompleteness(metrics) is the recall of a candidate set; ReductionRatio(candidates, na, nb)
// is 1 - candidates / (na * nb) (0 when na * nb is 0), computed in floating point so that
// na * nb may exceed 2^64; it is negative when candidates exceed na * nb.
inline double PairCompleteness(const PairMetrics& candidate_metrics) {
  return candidate_metrics.recall;
}
double ReductionRatio(std::uint64_t candidates, std::uint64_t na, std::uint64_t nb);

// PairsWithin(n): n (n - 1) / 2, the pairs of two different records among n (deduplication).
// ReductionRatioWithin(candidates, n): 1 - candidates / PairsWithin(n) (0 when n < 2).
std::uint64_t PairsWithin(std::uint64_t n);
double ReductionRatioWithin(std::uint64_t candidates, std::uint64_t n);

}  // namespace bloomlink::eval
