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
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/match/candidate_pairs.hpp"

namespace bloomlink::score {

inline constexpr std::uint8_t kMissingLevel = 0xFF;

// FieldLevels: one field's cut-points, strictly decreasing values in (0, 1]; the field has
// cutpoints.size() + 1 levels.
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
absl::StatusOr<ComparisonVectors> Compare(const std::vector<const BitMatrix*>& a,
                                          const std::vector<const BitMatrix*>& b,
                                          const match::CandidatePairs& pairs,
                                          const std::vector<FieldLevels>& fields, int threads = 0);

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
  std::string u_method = "em";  // "em", "sample" or "fixed"
  int iterations = 0;
  bool converged = false;
  std::uint64_t training_pairs = 0;
  std::uint64_t distinct_patterns = 0;
};

// InitialModel(fields): starting values for EM: m decreasing with the level (agreement is
// likely among matches), u increasing, lambda 0.1.
FsModel InitialModel(const std::vector<FieldLevels>& fields);

struct EmOptions {
  double tolerance = 1e-6;   // stop when no parameter moves by more than this
  int max_iterations = 500;
  bool estimate_m = true;    // false: keep the starting m (supplied by the user)
  bool estimate_u = true;    // false: keep the starting u (from a sample, or supplied)
  bool estimate_lambda = true;
  // Probabilities are kept within [floor, 1 - floor] so that log weights stay finite.
  double probability_floor = 1e-6;
};

// EstimateModel(vectors, start, options): EM over the distinct agreement patterns (with their
// counts). Deterministic; cost grows with distinct patterns x iterations, not with pairs once
// patterns are counted. InvalidArgument when `start` does not fit `vectors` (fields, levels).
absl::StatusOr<FsModel> EstimateModel(const ComparisonVectors& vectors, FsModel start,
                                      const EmOptions& options = {});

// EstimateU(sample, probability_floor): u for every field from the levels of a random sample of
// pairs (nearly all non-matches): level frequencies among non-missing values, add-one smoothed.
std::vector<std::vector<double>> EstimateU(const ComparisonVectors& sample,
                                           double probability_floor = 1e-6);

// SampleRandomPairs(na, nb, n, seed, same_dataset): n pairs drawn uniformly (deterministic for a
// seed); with same_dataset, only pairs left < right.
match::CandidatePairs SampleRandomPairs(std::size_t na, std::size_t nb, std::size_t n,
                                        std::uint64_t seed, bool same_dataset = false);

// PairScores: per pair, the match weight (log2 odds), the match probability and each field's
// contribution log2(m / u) (0 for a missing field): contributions is pairs x fields, row-major.
struct PairScores {
  std::vector<float> weight;
  std::vector<float> probability;
  std::vector<float> contributions;
};
PairScores Score(const FsModel& model, const ComparisonVectors& vectors);

// Model files: JSON (docs/matching.md), {"bloomlink_model": 1, ...}. ParseModel errors name the
// source and the JSON path.
std::string ModelToJson(const FsModel& model);
absl::StatusOr<FsModel> ParseModel(std::string_view json, std::string_view source);
absl::StatusOr<FsModel> LoadModel(const std::string& path);
absl::Status SaveModel(const FsModel& model, const std::string& path);  // atomic

// LevelLabel(field, level): "Dice >= 0.95", "0.85 <= Dice < 0.95", "Dice < 0.70", "missing".
std::string LevelLabel(const FieldLevels& field, std::size_t level);

}  // namespace bloomlink::score
