// bloomlink/solve/one_to_one.hpp
//
// One-to-one resolution: from candidate pairs (any record may appear in many) to matches in
// which each record of A and each record of B appears at most once.
//
//  - kGreedy: highest score first; ties broken by left index, then right index. Computed by
//    deferred acceptance over per-record candidate heaps, which gives exactly the greedy
//    matching without sorting all candidates; the heaps are filled lazily by a few passes over
//    the input, so the working memory follows what the records actually need, not the number
//    of candidates.
//  - kOptimal: the matching with the largest total score (maximum-weight bipartite matching;
//    records may stay unmatched), solved separately on each connected component of the
//    candidate graph, so the cost grows with the candidates, not with |A| x |B|. Scores are
//    summed as integers, llround(score * 2^30) (scaled down by a power of two when a score
//    exceeds 1): totals are exact, scores closer than about 2^-30 weigh the same, and pairs whose
//    weight rounds to 0 are never matched. Among matchings of equal total weight the one
//    returned is deterministic but unspecified.
//  - kMutual: a pair is kept when each record is the other's best candidate (ties by index:
//    the smaller index of the other side wins).
//  - kNone: every candidate is kept.
//
// Every method's output depends only on the set of candidates, not on their order.
//
//   match::CandidatePairs matches = solve::SolveOneToOne(candidates, solve::OneToOne::kGreedy,
//                                                        a.size(), b.size());
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "bloomlink/match/candidate_pairs.hpp"

namespace bloomlink::solve {

enum class OneToOne { kNone, kGreedy, kOptimal, kMutual };

// ParseOneToOne("greedy") etc.; InvalidArgument listing the names otherwise.
absl::StatusOr<OneToOne> ParseOneToOne(std::string_view name);
std::string_view OneToOneName(OneToOne method);

// SolveOneToOne(candidates, method, left_count, right_count): indices must be below the counts
// (InvalidArgument otherwise), scores finite and non-negative (-0 counts as 0); an error names
// the first offending pair's position. The result is ordered by score (highest first), then
// left index, then right index, whatever the input order; with kNone it holds every candidate
// in that order. Pairs repeated in the input count once (the highest score). Limits: at most
// 2^32 - 1 candidates, and for kOptimal at most 2^31 - 1 records in all; per-record working
// arrays are sized by the largest index present.
absl::StatusOr<match::CandidatePairs> SolveOneToOne(const match::CandidatePairs& candidates,
                                                    OneToOne method, std::size_t left_count,
                                                    std::size_t right_count);

// SolveOneToOneWithin(candidates, method, count): the same within one dataset (deduplication),
// where a pair is two different records of the same `count`, unordered. Pairs are first put in
// order (left < right; a pair of a record with itself is InvalidArgument) and repeats count once;
// then each record appears in at most one kept pair: kGreedy takes pairs by score (ties by left,
// then right index) while both records are free; kMutual keeps a pair when each record is the
// other's best (ties: the smaller index wins); kNone keeps every pair. kOptimal (a maximum-weight
// matching on a general graph) is InvalidArgument. Output ordered as for SolveOneToOne, with
// left < right in every pair.
absl::StatusOr<match::CandidatePairs> SolveOneToOneWithin(const match::CandidatePairs& candidates,
                                                          OneToOne method, std::size_t count);

}  // namespace bloomlink::solve
