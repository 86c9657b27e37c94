// bloomlink/score/fellegi_sunter.hpp
//
// Probabilistic (Fellegi–Sunter) scoring of candidate pairs on field-level Bloom filters,
// estimated without labels.
//
// Each candidate pair (from the CLK stage: a loose threshold or top-k, so N x M pairs are never
// compared) gets, for every field with field-level filters, an agreement level from the Dice
// similarity of the two records' field filters: level 0 when it reaches the first cut-point
// (e.g. 0.95), level 1 for the second (0.85), ..., and the last level when it reaches none;
// kMissingLevel when either record has no value in that field (an empty field filter), which
// contributes nothing. A pattern of levels has probability
//   P(pattern | match) = prod_f m_f[level_f],  P(pattern | non-match) = prod_f u_f[level_f]
// and, with lambda the share of matches among the candidates, the match weight is
//   W = log2(lambda / (1 - lambda)) + sum_f log2(m_f[level_f] / u_f[level_f])
// and the match probability 2^W / (1 + 2^W). m, u and lambda are estimated by EM over the
// candidate pairs (u alternatively from a random sample of pairs); identical patterns are
// aggregated first, so EM costs little whatever the number of pairs.
//
//   score::ComparisonVectors cv = *score::Compare(a_fields, b_fields, candidates, levels);
//   score::FsModel model = *score::EstimateModel(cv, score::InitialModel(levels), {});
//   score::PairScores s = score::Score(model, cv);     // s.probability[i] for pair i
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/match/candidate_pairs.hpp"

namespace bloomlink::score {

inline constexpr std::uint8_t kMissingLevel = 0xFF;
// kMaxLevels: the most levels a field may have (levels are bytes; 0xFF means missing).
inline constexpr std::size_t kMaxLevels = 254;

// FieldLevels: one field's cut-points, strictly decreasing values in (0, 1]; the field has
// cutpoints.size() + 1 levels (at least 2, at most kMaxLevels: 1 to 253 cut-points). Level 0 is
// the best agreement.
struct FieldLevels {
  std::string field;
  std::vector<double> cutpoints = {0.95, 0.85, 0.70};
};

// ComparisonVectors: pairs x fields agreement levels, row-major.
struct ComparisonVectors {
  std::vector<FieldLevels> fields;
  std::vector<std::uint8_t> levels;
  std::size_t size() const { return fields.empty() ? 0 : levels.size() / fields.size(); }
  std::uint8_t level(std::size_t pair, std::size_t field) const {
    return levels[pair * fields.size() + field];
  }
};

// Compare(a, b, pairs, fields, threads): a[f] and b[f] are field f's filters for datasets A and B
// (row i = record i; same filter length for A and B). A pair's level for field f is kMissingLevel
// when either filter is empty, else the first cut-point its Dice reaches (Dice >= cut-point,
// computed as 2c >= cut * (|a| + |b|) in double precision like the candidate search), else
// cutpoints.size(). InvalidArgument for mismatched sizes, out-of-range indices or bad cut-points.
// threads: 0 uses every core; the result is the same for any thread count.
absl::StatusOr<ComparisonVectors> Compare(const std::vector<const BitMatrix*>& a,
                                          const std::vector<const BitMatrix*>& b,
                                          const match::CandidatePairs& pairs,
                                          const std::vector<FieldLevels>& fields, int threads = 0);

// PatternCounts: the distinct agreement patterns of some pairs and how many pairs show each:
// row k of `patterns` (a distinct pattern) is shown by counts[k] pairs.
struct PatternCounts {
  ComparisonVectors patterns;
  std::vector<std::uint64_t> counts;
  std::size_t size() const { return counts.size(); }
};

// PairPatterns: what Compare says of each pair, as its pattern: pair p's levels are row
// pattern[p] of counts.patterns (4 bytes per pair, whatever the number of fields).
struct PairPatterns {
  PatternCounts counts;
  std::vector<std::uint32_t> pattern;
};

// ComparePatterns(a, b, pairs, fields, threads): the levels Compare gives the pairs, as distinct
// patterns with their counts and each pair's pattern (pair p has Compare's levels row p exactly).
// Same arguments and errors as Compare. The patterns are in a fixed order (by their levels; it
// depends neither on the pairs' order nor on the thread count), so the result is the same for
// any thread count.
//
// How: the field filters are copied record-major first (all fields of a record side by side,
// with their popcounts, so a pair reads a few consecutive cache lines instead of two scattered
// rows per field), each pair's levels are computed and packed into an integer key by the match
// kernels' field_level_keys (bloomlink/match/kernels.hpp: SIMD, chosen like the candidate
// search's, forced by BLOOMLINK_KERNEL, whose error ComparePatterns returns), and the keys are
// counted per thread; no per-field level is stored. The copy costs about as much as
// comparing one pair per record, so for a few pairs among many records Compare is cheaper.
absl::StatusOr<PairPatterns> ComparePatterns(const std::vector<const BitMatrix*>& a,
                                             const std::vector<const BitMatrix*>& b,
                                             const match::CandidatePairs& pairs,
                                             const std::vector<FieldLevels>& fields,
                                             int threads = 0);

// UMethod: how a model's u was obtained: by EM, from a random sample of pairs, or fixed (given).
enum class UMethod { kEm, kSample, kFixed };

// UMethodName: "em", "sample", "fixed" (the model file's names).
std::string_view UMethodName(UMethod method);

// FsModel: the parameters, and how they were obtained. m and u of each field have one entry per
// level (cutpoints.size() + 1), each summing to 1.
struct FsModel {
  struct Field {
    FieldLevels levels;
    std::vector<double> m, u;
  };
  std::vector<Field> fields;
  double lambda = 0.01;            // prior probability that a candidate pair is a match
  std::string schema_fingerprint;  // hex; the schema the model was trained for (may be empty)
  // Training record (informative; not used for scoring).
  UMethod u_method = UMethod::kEm;
  int iterations = 0;
  bool converged = false;
  std::uint64_t training_pairs = 0;  // pairs whose levels were counted (candidates + background)
  // space_pairs: the pairs the model stands for (with background pairs, the whole comparison
  // space; else training_pairs); lambda is the share of matches among them.
  std::uint64_t space_pairs = 0;
  std::uint64_t distinct_patterns = 0;
  // estimate: the errors the linkage that estimated the model expected of itself, without labels
  // (link::ErrorEstimate: expected true, false and missed matches, and so precision, recall and
  // F1), recorded by link::Link() and kept in the model file; absent when not recorded.
  struct Estimate {
    double true_matches = 0, false_matches = 0, missed_matches = 0;
    double precision = 1, recall = 1, f1 = 1;
  };
  std::optional<Estimate> estimate;
};

// InitialModel(fields): starting values for EM: m decreasing with the level (agreement is
// likely among matches), u increasing, lambda 0.1. With k levels, m[l] is proportional to 4^-l
// and u[l] to 2^l (4 levels: m = .753 .188 .047 .012, u = .067 .133 .267 .533).
FsModel InitialModel(const std::vector<FieldLevels>& fields);

struct EmOptions {
  double tolerance = 1e-6;  // stop once the largest change of a parameter is below this
  int max_iterations = 500;
  bool estimate_m = true;  // false: keep the starting m (supplied by the user)
  bool estimate_u = true;  // false: keep the starting u (from a sample, or supplied)
  bool estimate_lambda = true;
  // Probabilities are kept within [floor, 1 - floor] so that log weights stay finite.
  double probability_floor = 1e-6;
  // Dirichlet pseudo-counts: each level of each field counts as observed this many more times
  // in the match (m) or non-match (u) class, so a level that a class never shows in the data
  // gets about pseudo / class size instead of the floor (a regularised estimate: one
  // disagreement cannot veto a match unless many matches show that it never happens).
  double m_pseudo_count = 0;
  double u_pseudo_count = 0;
  // threads: 0 uses every core; the result is the same for any thread count.
  int threads = 0;
};

// BackgroundPairs: the rest of the comparison space, for estimating over all pairs rather than
// over the candidates alone: the levels of a random sample of the pairs that are not candidates,
// each standing for `weight` pairs (the non-candidate pairs / the sample's size). Candidates are
// selected because they look alike, so their non-matches are not typical non-matches; with the
// background, u, m and lambda describe the whole space (lambda: the share of matches among all
// pairs) and the posterior of a candidate is its probability of being a match.
struct BackgroundPairs {
  ComparisonVectors vectors;
  double weight = 1;
};

// EstimateModel(vectors, start, options): EM over the distinct agreement patterns (with their
// counts). Deterministic; cost grows with distinct patterns x iterations, not with pairs once
// patterns are counted. InvalidArgument when `start` does not fit `vectors` (CheckModelFits),
// when there are no pairs, when a level is out of range, or when the options or the start values
// are unusable (m, u not probabilities summing to 1, lambda outside (0, 1), floor x levels >= 1).
//
// The start values are first kept within the floor (clamped, renormalised). Each iteration:
//   E-step: per pattern, the posterior match probability from the log-odds
//           ln(lambda / (1 - lambda)) + sum_f ln(m_f / u_f) over its non-missing fields;
//   M-step: lambda = expected matches / pairs; m_f[l] = (expected matches at level l of f +
//           m_pseudo_count) / (expected matches with a non-missing level in f + levels x
//           m_pseudo_count) (u likewise with non-matches); a missing level takes no part in its
//           field's normalisation, so a field that is always missing keeps its start values.
//           Then the floor (clamp, renormalise).
// It stops when the largest change of an estimated parameter in an iteration is below
// options.tolerance (converged = true), or after options.max_iterations. Patterns are visited in
// a fixed order (sorted), so the result does not depend on the order of the pairs.
//
// Label switching: EM cannot tell the two classes apart by name. When m, u and lambda are all
// estimated and the "match" class ends with less full agreement than the other
// (sum over observed fields of m_f[0] < sum of u_f[0]), the classes are swapped (m <-> u,
// lambda <-> 1 - lambda) so that matches are always the high-agreement class. When any of them is
// fixed, the fixed values name the classes and nothing is swapped.
//
// The result's u_method is kEm when u was estimated; otherwise start.u_method is kept, with kEm
// turned into kFixed (set start.u_method = kSample when u came from EstimateU).
//
// background (optional): pairs standing for the rest of the comparison space, counted with
// their weight beside the candidates (see BackgroundPairs); InvalidArgument when its fields or
// cut-points differ from the candidates' or its weight is not positive.
absl::StatusOr<FsModel> EstimateModel(const ComparisonVectors& vectors, FsModel start,
                                      const EmOptions& options = {},
                                      const BackgroundPairs* background = nullptr);

// EstimateModel(counts, start, options, background): the same, over pairs already counted by
// pattern (ComparePatterns): the same model as EstimateModel over the comparison vectors those
// pairs have. InvalidArgument also when counts.counts and the patterns differ in size.
absl::StatusOr<FsModel> EstimateModel(const PatternCounts& counts, FsModel start,
                                      const EmOptions& options = {},
                                      const BackgroundPairs* background = nullptr);

// EstimateU(sample, probability_floor): u for every field from the levels of a random sample of
// pairs (nearly all non-matches): level frequencies among non-missing values, add-one smoothed
// ((count + 1) / (non-missing + levels)), then kept within the floor. Levels out of range are
// ignored. result[f] has sample.fields[f].cutpoints.size() + 1 entries.
std::vector<std::vector<double>> EstimateU(const ComparisonVectors& sample,
                                           double probability_floor = 1e-6);

// SampleRandomPairs(na, nb, n, seed, same_dataset): n pairs drawn uniformly and independently
// (with replacement; xoshiro256** seeded by splitmix64, so the same arguments always give the
// same pairs, on any platform): left in [0, na), right in [0, nb). With same_dataset (A linked
// to itself) nb is ignored and each pair is two distinct records of the na, left < right, every
// unordered pair equally likely. Empty when na or nb is 0 (na < 2 with same_dataset). Scores are
// 0 (the pairs were not compared). na and nb must be at most 2^32 (indices are 32-bit).
match::CandidatePairs SampleRandomPairs(std::size_t na, std::size_t nb, std::size_t n,
                                        std::uint64_t seed, bool same_dataset = false);

// PairScores: per pair, the match weight (log2 odds), the match probability and each field's
// contribution log2(m / u) (0 for a missing field): contributions is pairs x fields, row-major.
// Score(model, vectors) needs a model that fits the vectors (CheckModelFits); a level outside
// the model's range contributes 0 like a missing one. Sums are in double precision; the
// probability 1 / (1 + 2^-W) is computed without overflow for any W.
struct PairScores {
  std::vector<float> weight;
  std::vector<float> probability;
  std::vector<float> contributions;
};
// With contributions = false, PairScores::contributions is left empty (a linkage needs them for
// the pairs it keeps only, and they take 4 bytes per pair and field).
PairScores Score(const FsModel& model, const ComparisonVectors& vectors, bool contributions = true);

// CheckModelFits(model, vectors): OK when the model has the vectors' fields, in order, with the
// same names and cut-points (so the same levels) and m, u of the right lengths; else
// InvalidArgument naming the first difference.
absl::Status CheckModelFits(const FsModel& model, const ComparisonVectors& vectors);

// ValidateModel(model): OK when the model could be saved and loaded back: at least one field;
// unique non-empty field names; cut-points as for Compare; m and u with cutpoints.size() + 1
// values in (0, 1) each summing to 1 within 1e-6; lambda in (0, 1); iterations >= 0.
// InvalidArgument naming the field otherwise.
absl::Status ValidateModel(const FsModel& model);

// Model files: JSON (docs/matching.md):
//   {"bloomlink_model": 1, "schema_fingerprint": "...", "lambda": 0.05,
//    "fields": [{"field": "surname", "cutpoints": [0.95, 0.85, 0.7],
//                "m": [...], "u": [...]}, ...],
//    "training": {"u_method": "em", "iterations": 41, "converged": true, "pairs": 1000000,
//                 "distinct_patterns": 2113}}
// Numbers are written so that they read back exactly. ParseModel is strict (unknown keys are
// refused; the rules of ValidateModel apply) and its errors name the source and the JSON path
// ("model.json: fields[1].m[2]: expected a probability in (0, 1), got 1.5"); a file from a newer
// format version is refused as made by a newer bloomlink. "schema_fingerprint" and "training"
// (and each key of "training") may be left out. LoadModel: NotFound when the file cannot be
// opened. ModelToJson writes what it is given (check with ValidateModel first); SaveModel
// refuses (InvalidArgument) a model that fails ValidateModel, and writes atomically (a
// temporary file renamed into place).
std::string ModelToJson(const FsModel& model);
absl::StatusOr<FsModel> ParseModel(std::string_view json, std::string_view source);
absl::StatusOr<FsModel> LoadModel(const std::string& path);
absl::Status SaveModel(const FsModel& model, const std::string& path);  // atomic

// LevelLabel(field, level): "Dice >= 0.95", "0.85 <= Dice < 0.95", "Dice < 0.70", "missing"
// (cut-points with at least two decimals, more when needed: "Dice >= 0.875"); "level N (out of
// range)" for a level the field does not have.
std::string LevelLabel(const FieldLevels& field, std::size_t level);

}  // namespace bloomlink::score
