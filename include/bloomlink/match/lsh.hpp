// bloomlink/match/lsh.hpp
//
// Hamming LSH on CLK bits: a candidate source that compares only the pairs of records that agree
// on every one of K sampled bit positions in at least one of L tables, instead of all |A| x |B|
// pairs. Two CLKs at Dice d disagree on a share of their bits that grows with 1 - d, so a pair at
// the threshold agrees on a random informative position with some probability p, on K of them
// with p^K, and in at least one of L independent tables with 1 - (1 - p^K)^L: the pair
// completeness at the threshold. Pairs above the threshold agree more and are found more often;
// random pairs agree on a position with probability q < p and collide in a table with q^K, which
// is where the saving comes from.
//
// PlanLsh chooses K and L from the data: the positions are those set in between 5% and 95% of
// a sample of records (a position almost always 0 or 1 tells nothing), p comes from the 90th
// percentile of the records' popcounts on those positions (fuller records disagree on more bits
// at the same Dice), q from the positions' frequencies, and K minimises the estimated work of the
// L tables needed for the target completeness. FindCandidatesLsh then processes the tables one
// at a time: every record's key (its K bits), records grouped by key, each bucket's pairs
// compared with the SIMD kernels by the candidate rule of candidates.hpp, the table dropped. A
// pair found in several tables is kept once (in the first table it collides in). Buckets whose
// pairs exceed max_bucket_pairs are skipped and counted in the stats. The result is every
// candidate pair (score >= threshold) that collides in some table, ordered by (left, right):
// a subset of FindCandidates' pairs, deterministic for a seed whatever the thread count.
//
//   match::LshOptions lsh;                       // completeness 0.99, K and L from the data
//   absl::StatusOr<match::LshPlan> plan = match::PlanLsh(a.clks, b.clks, 0.8, false, lsh);
//   match::LshStats stats;
//   absl::StatusOr<match::CandidatePairs> pairs =
//       match::FindCandidatesLsh(a.clks, b.clks, options, *plan, &stats);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/match/blocking.hpp"
#include "bloomlink/match/candidate_pairs.hpp"
#include "bloomlink/match/candidates.hpp"

namespace bloomlink::match {

inline constexpr int kMaxLshBits = 64;
inline constexpr int kMaxLshTables = 256;
// FindCandidates with Blocking::kLsh compares exhaustively instead when the plan expects to
// compare at least this share of the pairs: comparing a bucket's pairs costs several times what
// the exhaustive search's tiles do (100,000 x 100,000 synth extracts at Dice 0.75: LSH comparing
// 17% of the pairs took 4.8 s, the exhaustive search 3.3 s; at 0.8, 5% took 1.6 s against 3.1).
inline constexpr double kLshWorthwhile = 0.1;

// LshPlan: the tables' positions and what they are expected to achieve.
struct LshPlan {
  int bits = 0;                                       // K
  int tables = 0;                                     // L
  std::vector<std::vector<std::uint32_t>> positions;  // per table, K bit positions
  std::size_t informative_positions = 0;  // positions set in 5%-95% of the sampled records
  double agreement_at_threshold = 0;      // p
  double agreement_random = 0;            // q
  double predicted_completeness = 0;      // 1 - (1 - p^K)^L at the threshold
  double expected_comparisons = 0;        // L x (pairs) x q^K
  std::uint64_t max_bucket_pairs = 0;     // LshOptions::max_bucket_pairs
  std::string reason;                     // one line: K, L and why
};

// PlanLsh(a, b, threshold, same_dataset, options): InvalidArgument for options out of range,
// filter lengths that differ, or CLKs with too few informative positions to sample from (fewer
// than K, or none).
absl::StatusOr<LshPlan> PlanLsh(const BitMatrix& a, const BitMatrix& b, double threshold,
                                bool same_dataset, const LshOptions& options);

struct LshStats {
  std::uint64_t comparisons = 0;  // pairs compared, over all tables (with repeats)
  std::uint64_t buckets = 0;      // buckets with at least one pair, over all tables
  std::uint64_t largest_bucket_pairs = 0;
  std::uint64_t capped_buckets = 0;  // skipped for exceeding max_bucket_pairs
  std::uint64_t capped_pairs = 0;    // their pairs, not compared
  double seconds = 0;
};

// FindCandidatesLsh(a, b, options, plan, stats): the candidates (options.threshold, same_dataset,
// threads, kernel, max_candidates, cancelled as in FindCandidates; top_k must be 0) among the
// pairs that collide in one of the plan's tables. Errors as FindCandidates.
absl::StatusOr<CandidatePairs> FindCandidatesLsh(const BitMatrix& a, const BitMatrix& b,
                                                 const CandidateOptions& options,
                                                 const LshPlan& plan, LshStats* stats = nullptr);

// LshBlocks: what a plan's tables would compare, found without comparing anything: the pairs
// of every bucket over all tables (a pair colliding in several tables counted in each) and the
// largest buckets, for `bloomlink blocking report`.
struct LshBlock {
  std::uint32_t table = 0;
  std::uint64_t a_records = 0, b_records = 0, pairs = 0;
};
struct LshBlocks {
  std::uint64_t comparisons = 0;
  std::uint64_t buckets = 0;
  std::vector<LshBlock> largest;  // the largest (at most kLargestLshBlocks), largest first
};
inline constexpr std::size_t kLargestLshBlocks = 5;

// CountLshBlocks(a, b, same_dataset, plan, threads): InvalidArgument when the filter lengths
// differ or the plan does not fit them.
absl::StatusOr<LshBlocks> CountLshBlocks(const BitMatrix& a, const BitMatrix& b, bool same_dataset,
                                         const LshPlan& plan, int threads);

// LshCollides(a_row, b_row, plan): whether two filters (rows of BitMatrix bytes) share a key in
// one of the plan's tables, i.e. whether FindCandidatesLsh compares them.
bool LshCollides(const std::uint8_t* a_row, const std::uint8_t* b_row, const LshPlan& plan);

}  // namespace bloomlink::match
