// bloomlink/match/candidates.hpp
//
// FindCandidates: every pair of records (a in A, b in B) whose Dice similarity reaches a
// threshold, or each record of A's best k such pairs: the linkage unit's candidate generation.
//
//   Dice(a, b) = 2 |a AND b| / (|a| + |b|)
//
// A pair is a candidate when 2 |a AND b| >= threshold x (|a| + |b|) (computed in double
// precision, so the threshold is inclusive and every kernel agrees exactly); pairs of two empty
// filters never are. Its score is the Dice coefficient rounded to float.
//
// How: targets (B) are sorted by popcount and packed for the SIMD kernels; queries (A) are sorted
// by popcount and processed in tiles. Since |a AND b| <= min(|a|, |b|), a pair can only qualify
// when threshold x (|a| + |b|) <= 2 min(|a|, |b|): each tile visits only the slice of targets
// whose popcounts allow it (exact pruning, nothing that could qualify is skipped). Tiles are
// cache-blocked against blocks of targets and spread over threads with OpenMP; each thread
// appends to its own buffer and the buffers are joined in tile order, so the result, including
// its order, does not depend on the thread count.
//
//   match::CandidateStats stats;
//   absl::StatusOr<match::CandidatePairs> pairs =
//       match::FindCandidates(a.clks, b.clks, {.threshold = 0.8}, &stats);
//
// ForEachCandidateBatch gives the same pairs in batches, for a consumer that needs them once
// each and cannot hold them all (hundreds of millions at a loose threshold).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/match/blocking.hpp"
#include "bloomlink/match/candidate_pairs.hpp"
#include "bloomlink/match/kernels.hpp"

namespace bloomlink::match {

// IsCandidate(intersection, popcount_sum, threshold): the candidate rule above,
// 2 |a AND b| >= threshold x (|a| + |b|) in double precision, never for two empty filters (the
// search's popcount pruning and the linker's memory estimate test pairs with it).
inline bool IsCandidate(std::uint32_t intersection, std::uint32_t popcount_sum, double threshold) {
  return popcount_sum > 0 &&
         2.0 * static_cast<double>(intersection) >= threshold * static_cast<double>(popcount_sum);
}

// kMaxTopK: the largest top_k accepted.
inline constexpr int kMaxTopK = 1000000;

struct CandidateOptions {
  // threshold: inclusive Dice threshold in [0, 1]; with top_k it is the floor.
  double threshold = 0.8;
  // top_k: 0 keeps every pair at or above the threshold; k > 0 keeps, for each record of A, its
  // k highest-scoring pairs at or above the threshold (ties: the lower index in B first); at
  // most kMaxTopK.
  int top_k = 0;
  // same_dataset: a and b are the same records (deduplication): pairs of a record with itself
  // are never candidates and each pair appears once, as (lower index, higher index).
  bool same_dataset = false;
  // threads: 0 uses every core (bloomlink/threads.hpp).
  int threads = 0;
  // max_candidates: 0 for no limit; otherwise the search stops with ResourceExhausted as soon as
  // it has found more candidate pairs than this (a memory bound; checked after each tile of
  // queries, so a few more may be held briefly).
  std::uint64_t max_candidates = 0;
  // blocking: which pairs are compared (bloomlink/match/blocking.hpp); with kLsh, lsh's settings
  // (top_k must be 0).
  Blocking blocking = Blocking::kExhaustive;
  LshOptions lsh = {};
  // keys: with kKeys, the blocking tokens and settings (top_k must be 0).
  KeyOptions keys = {};
  // kernel: nullptr uses Kernels() (CPUID, or BLOOMLINK_KERNEL).
  const KernelTable* kernel = nullptr;
  // cancelled: polled between tiles from a single thread; returning true stops the search with
  // a Cancelled status (the Python layer checks for Ctrl-C here).
  std::function<bool()> cancelled = nullptr;
  // progress(done, total): query records finished so far, called from a single thread.
  std::function<void(std::uint64_t, std::uint64_t)> progress = nullptr;
};

struct CandidateStats {
  std::uint64_t pairs = 0;        // |A| x |B|
  std::uint64_t comparisons = 0;  // pairs whose intersection was computed
  std::uint64_t pruned = 0;       // pairs ruled out by popcounts alone
  std::uint64_t candidates = 0;
  std::string kernel;  // the kernel that ran
  int threads = 1;
  double seconds = 0;
  // With blocking other than exhaustive: how the pairs to compare were chosen and what that is
  // expected to miss (one line), pairs in oversized blocks that were not compared, and what a
  // user should know about the blocks (e.g. a token shared by very many records).
  std::string blocking_reason;
  std::uint64_t skipped_pairs = 0;
  std::vector<std::string> blocking_warnings;
};

// ValidateCandidateOptions(options): InvalidArgument when the threshold is outside [0, 1], top_k
// outside [0, kMaxTopK] or the thread count out of range (CheckThreads).
absl::Status ValidateCandidateOptions(const CandidateOptions& options);

// ValidateCandidateInputs(a, b, options): ValidateCandidateOptions, and InvalidArgument when the
// filter lengths differ, a matrix has more than 2^32 - 1 rows, or same_dataset is set for two
// matrices of different sizes (every candidate source checks the same).
absl::Status ValidateCandidateInputs(const BitMatrix& a, const BitMatrix& b,
                                     const CandidateOptions& options);

// FindCandidates(a, b, options, stats): InvalidArgument for options ValidateCandidateOptions
// refuses or filter lengths that differ; Cancelled when options.cancelled said so.
absl::StatusOr<CandidatePairs> FindCandidates(const BitMatrix& a, const BitMatrix& b,
                                              const CandidateOptions& options,
                                              CandidateStats* stats = nullptr);

// CandidateSink: receives a batch of candidate pairs; a status other than OK stops the search
// and is returned by ForEachCandidateBatch.
using CandidateSink = std::function<absl::Status(const CandidatePairs& batch)>;

// ForEachCandidateBatch(a, b, options, batch_pairs, sink, stats): the pairs FindCandidates
// returns, in the same order, handed to sink in consecutive batches instead of held all at once
// (a streaming consumer, like Fellegi-Sunter's pattern counting, holds one batch at a time).
// Each batch is the candidates of a run of consecutive tiles of queries (64 records of A),
// joined in tile order: the threads search tiles until about batch_pairs candidates are
// buffered (a tile's candidates are never split, so a batch may hold a few tiles more), then
// sink is called from the calling thread, outside the search's threads, so it may use threads
// of its own. The batches, their concatenation and stats->candidates do not depend on the
// thread count; the concatenation is FindCandidates' result exactly. Empty batches are not
// passed. stats->seconds is the search's time without the sink's.
//
// Only the exhaustive search with every candidate: InvalidArgument when options.top_k is not 0
// or options.blocking is not kExhaustive, and for what FindCandidates refuses. max_candidates
// limits the candidates of the whole search (ResourceExhausted), options.cancelled and
// options.progress work as in FindCandidates.
absl::Status ForEachCandidateBatch(const BitMatrix& a, const BitMatrix& b,
                                   const CandidateOptions& options, std::uint64_t batch_pairs,
                                   const CandidateSink& sink, CandidateStats* stats = nullptr);

}  // namespace bloomlink::match
