// bloomlink/link.hpp
//
// Linking two encoded datasets (or one with itself): the linkage unit's whole job from files to
// matches. Checks that the encodings can be compared (same filter length, schema fingerprint and
// key check value), finds candidate pairs by CLK Dice (bloomlink/match/candidates.hpp), then
//  - kDice: resolves the candidates one-to-one by Dice (bloomlink/solve/one_to_one.hpp) and, when
//    the floor was chosen automatically, keeps those reaching a decision threshold chosen without
//    labels (bloomlink/score/dice_decision.hpp);
//  - kFellegiSunter: scores each candidate field by field on the field-level filters with a
//    Fellegi-Sunter model estimated by EM without labels (bloomlink/score/fellegi_sunter.hpp),
//    keeps the pairs whose match probability reaches the decision threshold and resolves those
//    one-to-one by match weight (the probability's order);
// and writes the pairs with the records' ids.
//
// The rules of a linkage (defaults, which options go together) live here, not in the front
// ends: the CLI and Python fill a LinkOptions and call ValidateLinkOptions and Link.
//
//   link::LinkReport report;
//   absl::StatusOr<link::Linkage> result =
//       link::Link(a, b, {.candidates = {.threshold = 0.8}}, &report);
//   if (!result.ok()) return result.status();
//   absl::Status written = link::WritePairsCsv(a, b, *result, "pairs.csv");
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/encoded_dataset.hpp"
#include "bloomlink/io/pairs_csv.hpp"
#include "bloomlink/match/candidate_pairs.hpp"
#include "bloomlink/match/candidates.hpp"
#include "bloomlink/score/dice_decision.hpp"
#include "bloomlink/score/fellegi_sunter.hpp"
#include "bloomlink/solve/one_to_one.hpp"

namespace bloomlink::link {

// CheckCompatible(a, name_a, b, name_b): FailedPrecondition when the two encodings cannot be
// compared: different filter lengths, schema fingerprints or key check values (different
// schemas or secrets). When either file does not record a fingerprint or key check value
// (clkhash JSON, CSV), that check cannot be made: the returned warnings say so (none when a and
// b are the same object: a deduplication). InvalidArgument when a dataset has no records.
absl::StatusOr<std::vector<std::string>> CheckCompatible(const EncodedDataset& a,
                                                         std::string_view name_a,
                                                         const EncodedDataset& b,
                                                         std::string_view name_b);

// Method: kAuto takes kFellegiSunter when both datasets carry field-level filters of a field in
// common, else kDice (ResolveMethod).
enum class Method { kAuto, kDice, kFellegiSunter };

// ParseMethod("auto" | "dice" | "fs"); InvalidArgument otherwise. MethodName: the name
// ParseMethod reads.
absl::StatusOr<Method> ParseMethod(std::string_view name);
std::string_view MethodName(Method method);

// kAutoThreshold: as LinkOptions::candidates.threshold, "choose the candidate floor from the
// data" (ChooseCandidateFloor).
inline constexpr double kAutoThreshold = -1;

// FloorChoice: the automatic candidate floor and why. The floor is the loosest CLK Dice threshold
// (in hundredths) at which the candidates stay within kCandidatesPerRecord per record (|A| + |B|
// records, or |A| within one dataset), as read off the Dice of a random sample of pairs (nearly
// all non-matches): random look-alikes beyond that budget are excluded, every pair more alike,
// corrupted matches included, is scored. 0 when the budget covers every pair.
inline constexpr std::uint64_t kCandidatesPerRecord = 100;
// A warning names the schema change when random pairs' mean Dice or the floor exceed these:
// CLKs so full that similarity barely separates records.
inline constexpr double kFullClkMeanDice = 0.6;
inline constexpr double kFullClkFloor = 0.75;
struct FloorChoice {
  double threshold = 0;
  double random_mean = 0;  // mean Dice of the random pairs
  double expected_candidates = 0;
  std::uint64_t budget = 0;
  std::uint64_t sampled_pairs = 0;
  std::string reason;   // one line: the floor and how it was chosen
  std::string warning;  // empty, or why the CLKs are too full and what to change
  // random_dice: the sampled pairs' Dice, which the label-free Dice decision reuses (Link()
  // empties it before it returns its report).
  std::vector<float> random_dice;
};
FloorChoice ChooseCandidateFloor(const EncodedDataset& a, const EncodedDataset& b,
                                 bool deduplicate);

struct FsOptions {
  // model: fixed parameters (no estimation) when given, e.g. a model trained earlier.
  std::optional<score::FsModel> model = std::nullopt;
  // Agreement levels of every field (its Dice on the field filters): eight, so that a field
  // corrupted by typos still tells a near miss (0.65) from no resemblance (below 0.35). Three
  // levels (0.95, 0.85, 0.70) lost half the true pairs of shared/data/multiparty5 1-2 (F1 0.65
  // against 0.89).
  std::vector<double> cutpoints = {0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35};
  // u from a random sample of pairs instead of EM (m and lambda still by EM). Sound when the
  // candidates' non-matches look like random pairs (a loose candidate threshold, no top-k); when
  // EM then puts most candidates in the match class, LinkReport::warnings says so.
  bool u_from_sample = false;
  std::size_t u_sample_pairs = 200000;
  std::uint64_t seed = 1;
  // decision: pairs whose match probability reaches it are matches.
  double decision = 0.5;
  // all_pairs: estimate the model of the whole comparison space, the candidates together with
  // a random sample of u_sample_pairs pairs standing for the rest (score::BackgroundPairs);
  // false: EM over the candidates alone (the method of earlier versions).
  bool all_pairs = true;
  score::EmOptions em = {.m_pseudo_count = 1, .u_pseudo_count = 1};
};

struct LinkOptions {
  // candidates.threshold: the candidate floor (Dice), or kAutoThreshold (the default) to choose
  // it from the data (ChooseCandidateFloor).
  match::CandidateOptions candidates = {.threshold = kAutoThreshold};
  // one_to_one: how the matches are resolved; unset takes the default (DefaultOneToOne).
  std::optional<solve::OneToOne> one_to_one = std::nullopt;
  Method method = Method::kAuto;
  // fs: Fellegi-Sunter's options; with kDice they must keep their defaults (no model, no u from
  // a sample): ValidateLinkOptions refuses what would be silently ignored.
  FsOptions fs = {};
  // deduplicate: a and b are the same dataset; pairs are two different records, left < right,
  // each once (candidates.same_dataset is set accordingly).
  bool deduplicate = false;
  // max_memory: bytes the linkage may use (0: no limit). Link() estimates its need first
  // (EstimateMemory) and refuses with ResourceExhausted when the estimate exceeds it, and stops
  // the candidate search the same way if it finds more candidates than the rest allows. With
  // Fellegi-Sunter on every candidate of the exhaustive search (no top-k, no blocking), it
  // streams the candidates instead (searching them twice, holding the pairs the model accepts
  // and one batch: LinkReport::stream_passes), and refuses only when that would not fit either:
  // before the search (MemoryEstimate::stream_total), or once the model is estimated, when the
  // pairs it accepts would not.
  std::uint64_t max_memory = 0;
  // always_stream: stream as above even when the candidates would fit (for tests and
  // benchmarks: the result is the same; streaming takes about twice the search and comparison
  // time). Ignored where streaming is not possible (Dice, top-k, blocking).
  bool always_stream = false;
  // stream_batch_pairs: candidates per batch when streaming; 0 chooses from the memory limit
  // (MemoryEstimate::stream_batch_pairs). The result does not depend on it.
  std::uint64_t stream_batch_pairs = 0;
};

// ResolveMethod(a, b, options): options.method, or for kAuto: kFellegiSunter when a model or u
// from a sample is given or a and b carry field-level filters of a field in common (same name
// and length), else kDice.
Method ResolveMethod(const EncodedDataset& a, const EncodedDataset& b, const LinkOptions& options);

// DefaultOneToOne(deduplicate): greedy between two datasets; none within one, where every pair
// over the threshold is kept (a person may have several duplicate records).
solve::OneToOne DefaultOneToOne(bool deduplicate);

// OneToOneOf(options): options.one_to_one, or DefaultOneToOne(options.deduplicate).
solve::OneToOne OneToOneOf(const LinkOptions& options);

// ValidateLinkOptions(options): InvalidArgument when the options are out of range or do not go
// together: candidate options match::ValidateCandidateOptions refuses, a decision outside [0, 1], a
// model or u from a sample with kDice, a model together with u from a sample, or optimal one-to-one
// within one dataset. Link() calls it first; front ends call it to refuse bad options before
// reading any file.
absl::Status ValidateLinkOptions(const LinkOptions& options);

// MemoryEstimate: what Link() is expected to hold at its peak.
struct MemoryEstimate {
  std::uint64_t datasets = 0;  // the encodings as loaded (ids, CLKs, field filters)
  std::uint64_t search = 0;    // the candidate search's packed copy of B and its indexes
  // Candidate pairs expected: the share of a random sample of pairs that reaches the threshold,
  // times all pairs (at most |A| x k with top-k); each costs bytes_per_candidate at the peak
  // (the search's buffers and result, the one-to-one solver, Fellegi-Sunter levels and scores).
  std::uint64_t expected_candidates = 0;
  std::uint64_t sampled_pairs = 0;
  std::uint64_t bytes_per_candidate = 0;
  std::uint64_t total() const {
    return datasets + search + expected_candidates * bytes_per_candidate;
  }
  // Streaming (Fellegi-Sunter, exhaustive search, no top-k; else 0): one batch of
  // stream_batch_pairs candidates (smaller under a tight limit) and per-record tables take
  // stream_buffers bytes, each pair the model accepts bytes_per_accepted (the pairs, their
  // resolution and index): stream_total(accepted).
  std::uint64_t stream_batch_pairs = 0;
  std::uint64_t stream_buffers = 0;
  std::uint64_t bytes_per_accepted = 0;
  std::uint64_t stream_total(std::uint64_t accepted) const {
    return datasets + search + stream_buffers + accepted * bytes_per_accepted;
  }
};
MemoryEstimate EstimateMemory(const EncodedDataset& a, const EncodedDataset& b,
                              const LinkOptions& options);

struct LinkReport {
  match::CandidateStats candidates;
  std::uint64_t matches = 0;
  double solve_seconds = 0;
  double score_seconds = 0;  // Fellegi-Sunter: comparison vectors, estimation and scoring
  // Warnings about the result (the CLI prints them; Python raises them as warnings).
  std::vector<std::string> warnings;
  // method: the method that ran (kAuto resolved); floor: the automatic floor, when chosen.
  Method method = Method::kDice;
  std::optional<FloorChoice> floor;
  // dice_decision: with kDice and the automatic floor, how the decision threshold was chosen
  // (score::DecideDiceThreshold).
  std::optional<score::DiceDecision> dice_decision;
  // stream_passes: 0 when the candidates were held; else how many times they were searched
  // (2, or 3 when the missed matches needed a last look), and stream_reason why. candidates is
  // then the first search's report.
  int stream_passes = 0;
  std::string stream_reason;
};

// ErrorEstimate: a linkage's expected errors, estimated without labels from the model's match
// probabilities p: false matches, the sum of 1 - p over the pairs kept; missed matches, the sum
// of p over the candidates not kept and over the pairs below the candidate floor (estimated from
// a random sample of them); hence precision, recall and F1 as the model expects them. With kDice
// and a decision chosen without labels, the decision's own expected false and missed matches
// (score::DiceDecision). They are as good as the model is (docs/matching.md).
struct ErrorEstimate {
  double true_matches = 0;  // expected true matches among the pairs kept
  double false_matches = 0;
  double missed_matches = 0;
  double missed_below_floor = 0;  // the part of missed_matches below the candidate floor
  double precision = 1, recall = 1, f1 = 1;
  // Finish(true_matches): sets true_matches and the rates from it and the error counts.
  void Finish(double expected_true) {
    true_matches = expected_true;
    const double kept = true_matches + false_matches;
    const double all_true = true_matches + missed_matches;
    precision = kept > 0 ? true_matches / kept : 1.0;
    recall = all_true > 0 ? true_matches / all_true : 1.0;
    f1 = kept + all_true > 0 ? 2 * true_matches / (kept + all_true) : 1.0;
  }
};

// Linkage: the pairs kept, indexing a's and b's records; pairs.score is the CLK Dice. With
// Fellegi-Sunter (fs_fields not empty), also each pair's match probability and weight, and per
// field its contribution to the weight (pairs x fields, row-major), and the model used (absent
// only when there were no candidates to estimate one from).
struct Linkage {
  // deduplicated: the pairs are within one dataset (LinkOptions::deduplicate): unordered, each
  // once, never a record with itself. one_to_one: the resolution applied (OneToOneOf).
  bool deduplicated = false;
  solve::OneToOne one_to_one = solve::OneToOne::kGreedy;
  match::CandidatePairs pairs;
  std::vector<float> probability, weight;
  std::vector<std::string> fs_fields;
  std::vector<float> contributions;
  std::optional<score::FsModel> model;
  // estimate: the expected errors (absent when nothing could be estimated).
  std::optional<ErrorEstimate> estimate;
};

// Link(a, b, options, report): InvalidArgument for options ValidateLinkOptions refuses. First the
// automatic choices: the method (ResolveMethod, report->method) and, with kAutoThreshold, the
// candidate floor (ChooseCandidateFloor, report->floor, with its warning in report->warnings).
// Pairs ordered by score (Dice, or with Fellegi-Sunter the match weight, which orders as the
// probability does but without its ties at 1; highest first), then index in A, then index in B;
// one-to-one resolution uses the same order. Fellegi-Sunter needs field-level filters present in
// both datasets (FailedPrecondition otherwise) and, with a given model, a model for those fields
// and cut-points (InvalidArgument). With no candidates and no given model there is nothing to
// estimate: no pairs, no model, and a warning in the report. Deduplication resolves one-to-one
// within the dataset (solve::SolveOneToOneWithin).
absl::StatusOr<Linkage> Link(const EncodedDataset& a, const EncodedDataset& b,
                             const LinkOptions& options, LinkReport* report = nullptr);

// PairsTableOf(a, b, linkage, explain): the linkage as io::PairsTable (bloomlink/io/pairs_csv.hpp),
// viewing a's and b's ids and the linkage's arrays (they must outlive it): columns score and, with
// Fellegi-Sunter, match_probability, match_weight and, with explain, one weight_<field> per
// field; rows ordered by match weight (Fellegi-Sunter; the probability's order) or score.
io::PairsTable PairsTableOf(const EncodedDataset& a, const EncodedDataset& b,
                            const Linkage& linkage, bool explain);

// WritePairsCsv(a, b, linkage, path, explain): io::WritePairsCsv of PairsTableOf(...): the CSV
// header id_a,id_b,score[,match_probability,match_weight[,weight_<field>...]], sorted by match
// weight or score, descending, then id_a, then id_b (byte order); six decimals; atomic.
absl::Status WritePairsCsv(const EncodedDataset& a, const EncodedDataset& b, const Linkage& linkage,
                           const std::string& path, bool explain = false);

}  // namespace bloomlink::link
