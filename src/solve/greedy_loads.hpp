// Internal: the knobs of the greedy solver's lazy loading, exposed so that tests can drive every
// path (several partial loads, the final load of everything) on small inputs. Not part of the
// public API; SolveOneToOne always uses the defaults.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "bloomlink/match/candidate_pairs.hpp"

namespace bloomlink::solve_internal {

// GreedyLoadOptions: the first load keeps up to `first_quota` candidates per left; a left that
// runs out is loaded again with `quota_growth` times its last quota (or its share of the
// per-load budget); after `max_partial_loads` loads, everything left is loaded at once.
struct GreedyLoadOptions {
  std::uint32_t first_quota = 16;
  std::uint32_t quota_growth = 4;
  int max_partial_loads = 16;
  // A load keeps up to (candidates / budget_divisor) keys in all, shared among its lefts, when
  // that is more than their quotas.
  std::uint32_t budget_divisor = 16;
};

struct GreedyResult {
  match::CandidatePairs pairs;
  int loads = 0;  // passes over the candidates
};

// SolveGreedyWithOptions: SolveOneToOne(candidates, kGreedy, ...) with the given options.
absl::StatusOr<GreedyResult> SolveGreedyWithOptions(const match::CandidatePairs& candidates,
                                                    std::size_t left_count, std::size_t right_count,
                                                    const GreedyLoadOptions& options);

}  // namespace bloomlink::solve_internal
