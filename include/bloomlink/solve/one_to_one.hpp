// bloomlink/solve/one_to_one.hpp
//
// One-to-one resolution: from candidate pairs (any record may appear in many) to matches in
// which each record of A and each record of B appears at most once.
//
//  - kGreedy: highest score first; ties broken by left index, then right index. Computed by
//    deferred acceptance over per-record candidate heaps, which gives exactly the greedy
//    matching without sorting all candidates.
//  - kOptimal: the matching with the largest total score (maximum-weight bipartite matching),
//    solved separately on each connected component of the candidate graph, so the cost grows
//    with the candidates, not with |A| x |B|.
//  - kMutual: a pair is kept when each record is the other's best candidate (ties by index).
//  - kNone: every candidate is kept.
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
// (InvalidArgument otherwise), scores finite and non-negative. The result is ordered by score
// (highest first), then left index, then right index, whatever the input order; with kNone it
// holds every candidate in that order. Pairs repeated in the input count once (the highest score).
absl::StatusOr<match::CandidatePairs> SolveOneToOne(const match::CandidatePairs& candidates,
                                                    OneToOne method, std::size_t left_count,
                                                    std::size_t right_count);

}  // namespace bloomlink::solve
