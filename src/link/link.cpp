#include "bloomlink/link.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "bloomlink/base64.hpp"
#include "bloomlink/eval/metrics.hpp"
#include "bloomlink/io/pairs_csv.hpp"
#include "bloomlink/memory_limit.hpp"
#include "internal/popcount.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "link/look_alikes.hpp"
#include "link/streaming.hpp"

namespace bloomlink::link {
namespace {

using internal::StrCat;

std::string Short(const Digest& d) { return HexEncode(d).substr(0, 16); }

}  // namespace

absl::StatusOr<std::vector<std::string>> CheckCompatible(const EncodedDataset& a,
                                                         std::string_view name_a,
                                                         const EncodedDataset& b,
                                                         std::string_view name_b) {
  if (a.size() == 0) return absl::InvalidArgumentError(StrCat(name_a, ": has no records"));
  if (b.size() == 0) return absl::InvalidArgumentError(StrCat(name_b, ": has no records"));
  if (a.clks.bits() != b.clks.bits()) {
    return absl::FailedPreconditionError(
        StrCat("cannot link ", name_a, " (", a.clks.bits(), "-bit filters) with ", name_b, " (",
               b.clks.bits(), "-bit filters): both must be encoded with the same schema"));
  }
  std::vector<std::string> warnings;
  if (&a == &b) return warnings;  // one dataset with itself: nothing to compare
  if (a.schema_fingerprint && b.schema_fingerprint) {
    if (*a.schema_fingerprint != *b.schema_fingerprint) {
      return absl::FailedPreconditionError(
          StrCat("cannot link ", name_a, " with ", name_b,
                 ": they were encoded with different schemas "
                 "(fingerprints ",
                 Short(*a.schema_fingerprint), "... and ", Short(*b.schema_fingerprint),
                 "...); every organisation must encode with the same schema file, its hardening "
                 "included"));
    }
  } else {
    warnings.push_back(StrCat(a.schema_fingerprint ? name_b : name_a,
                              " does not record its schema fingerprint (clkhash JSON or CSV): "
                              "cannot check that both were encoded with the same schema"));
  }
  if (a.key_check && b.key_check) {
    if (*a.key_check != *b.key_check) {
      return absl::FailedPreconditionError(StrCat("cannot link ", name_a, " with ", name_b,
                                                  ": they were encoded with different secrets "
                                                  "(key check values ",
                                                  Short(*a.key_check), "... and ",
                                                  Short(*b.key_check),
                                                  "...); the data holders must share one secret"));
    }
  } else {
    warnings.push_back(StrCat(a.key_check ? name_b : name_a,
                              " does not record a key check value (clkhash JSON or CSV): "
                              "cannot check that both were encoded with the same secret"));
  }
  return warnings;
}

solve::OneToOne DefaultOneToOne(bool deduplicate) {
  return deduplicate ? solve::OneToOne::kNone : solve::OneToOne::kGreedy;
}

solve::OneToOne OneToOneOf(const LinkOptions& options) {
  return options.one_to_one.value_or(DefaultOneToOne(options.deduplicate));
}

absl::Status ValidateLinkOptions(const LinkOptions& options) {
  match::CandidateOptions candidates = options.candidates;
  // The automatic floor is chosen later, always in (0, 1]: validate the rest with a stand-in.
  if (candidates.threshold == kAutoThreshold) candidates.threshold = 0.5;
  BLOOMLINK_RETURN_IF_ERROR(match::ValidateCandidateOptions(candidates));
  const FsOptions& fs = options.fs;
  if (options.method == Method::kDice) {
    if (fs.model || fs.u_from_sample) {
      return absl::InvalidArgumentError(
          "a model (--model) and u from a sample (--u-from-sample) go with method fs "
          "(Fellegi-Sunter), not dice");
    }
  } else {
    if (!(fs.decision >= 0 && fs.decision <= 1)) {
      return absl::InvalidArgumentError(
          StrCat("decision: expected a match probability in [0, 1], got ", fs.decision));
    }
    if (fs.model && fs.u_from_sample) {
      return absl::InvalidArgumentError(
          "u from a random sample estimates u, but a fixed model was given (it has its own u): "
          "use one or the other");
    }
  }
  if (options.deduplicate && OneToOneOf(options) == solve::OneToOne::kOptimal) {
    return absl::InvalidArgumentError(
        "one-to-one optimal pairs the records of two datasets; within one dataset "
        "(deduplication) use greedy, mutual or none");
  }
  return absl::OkStatus();
}

namespace {

// FsFields: the field-level filters both datasets carry (same names, same lengths), in A's
// order.
absl::Status FsFields(const EncodedDataset& a, const EncodedDataset& b,
                      std::vector<const BitMatrix*>& fa, std::vector<const BitMatrix*>& fb,
                      std::vector<std::string>& names) {
  for (const FieldFilters& f : a.field_filters) {
    for (const FieldFilters& g : b.field_filters) {
      if (f.field != g.field) continue;
      if (f.filters.bits() != g.filters.bits()) {
        return absl::FailedPreconditionError(
            StrCat("field ", f.field, ": the field-level filters have different lengths (",
                   f.filters.bits(), " and ", g.filters.bits(), " bits)"));
      }
      fa.push_back(&f.filters);
      fb.push_back(&g.filters);
      names.push_back(f.field);
    }
  }
  if (names.empty()) {
    return absl::FailedPreconditionError(
        "method fs needs field-level filters in both datasets: give the schema's fields a "
        "\"field_filter\" and encode again (docs/schema.md)");
  }
  return absl::OkStatus();
}

// Resolve: one-to-one between two datasets, or within one when deduplicating.
absl::StatusOr<match::CandidatePairs> Resolve(const match::CandidatePairs& pairs,
                                              const LinkOptions& options, const EncodedDataset& a,
                                              const EncodedDataset& b) {
  const solve::OneToOne method = OneToOneOf(options);
  if (options.deduplicate) return solve::SolveOneToOneWithin(pairs, method, a.size());
  return solve::SolveOneToOne(pairs, method, a.size(), b.size());
}

// EstimateOverAllPairs: the model of the whole comparison space: EM over the candidates (every
// pair at or above the floor) and a random sample of the other pairs, each standing for its
// share of them (score::BackgroundPairs). *background receives that sample, for the estimate of
// the matches below the floor.
absl::StatusOr<score::FsModel> EstimateOverAllPairs(
    const EncodedDataset& a, const EncodedDataset& b, const std::vector<const BitMatrix*>& fa,
    const std::vector<const BitMatrix*>& fb, const std::vector<score::FieldLevels>& levels,
    const match::CandidatePairs* candidates, std::uint64_t count,
    const score::PatternCounts& counts, const LinkOptions& options,
    score::BackgroundPairs& background) {
  const FsOptions& fs = options.fs;
  const int threads = options.candidates.threads;
  const std::uint64_t na = a.size(), nb = b.size();
  const std::uint64_t space = options.deduplicate ? eval::PairsWithin(na) : na * nb;
  match::CandidatePairs sample =
      score::SampleRandomPairs(na, nb, fs.u_sample_pairs, fs.seed, options.deduplicate);
  // The sample's pairs that are not candidates. Without top-k or blocking the candidates are
  // exactly the pairs at or above the floor; with them, a pair at or above the floor may have
  // been left out.
  const bool subset =
      options.candidates.top_k > 0 || options.candidates.blocking != match::Blocking::kExhaustive;
  if (subset && candidates == nullptr) {
    return absl::InternalError("EstimateOverAllPairs: top-k or blocking without the candidates");
  }
  absl::flat_hash_set<std::uint64_t> candidate_set;
  if (subset) {
    candidate_set.reserve(candidates->size());
    for (std::size_t i = 0; i < candidates->size(); ++i) {
      candidate_set.insert((std::uint64_t{candidates->left[i]} << 32) | candidates->right[i]);
    }
  }
  match::CandidatePairs below;
  const std::size_t words = a.clks.words_per_row();
  for (std::size_t k = 0; k < sample.size(); ++k) {
    const std::uint32_t i = sample.left[k], j = sample.right[k];
    bool candidate;
    if (subset) {
      candidate = candidate_set.contains((std::uint64_t{i} << 32) | j);
    } else {
      const std::uint32_t c =
          internal::AndPopcount(a.clks.row_words(i), b.clks.row_words(j), words);
      candidate = match::IsCandidate(c, a.clks.popcount(i) + b.clks.popcount(j),
                                     options.candidates.threshold);
    }
    if (!candidate) below.push_back(i, j, 0.0f);
  }
  score::FsModel initial = score::InitialModel(levels);
  score::EmOptions em = fs.em;
  if (em.threads == 0) em.threads = options.candidates.threads;
  // Probabilities of all pairs can be far below the default floor (a share of matches of 1 in a
  // million, full agreement on a field 1 in 10 million non-matches).
  em.probability_floor =
      std::min(em.probability_floor, 0.01 / static_cast<double>(std::max<std::uint64_t>(space, 1)));
  const bool have_background = below.size() > 0 && space > count;
  if (have_background) {
    BLOOMLINK_ASSIGN_OR_RETURN(background.vectors, score::Compare(fa, fb, below, levels, threads));
    background.weight = static_cast<double>(space - count) / static_cast<double>(below.size());
    // Start u at the background's level frequencies (nearly all non-matches), and lambda at half
    // the largest share of matches possible one-to-one.
    const std::vector<std::vector<double>> u =
        score::EstimateU(background.vectors, em.probability_floor);
    for (std::size_t f = 0; f < initial.fields.size(); ++f) initial.fields[f].u = u[f];
    initial.lambda =
        std::clamp(0.5 * static_cast<double>(std::min(na, nb)) / static_cast<double>(space),
                   em.probability_floor, 0.5);
  }
  if (fs.u_from_sample && sample.size() > 0) {
    // u fixed at the level frequencies of the whole sample (Splink's way): sound here, where the
    // model describes all pairs, nearly all of them non-matches.
    BLOOMLINK_ASSIGN_OR_RETURN(score::ComparisonVectors all,
                               score::Compare(fa, fb, sample, levels, threads));
    const std::vector<std::vector<double>> su = score::EstimateU(all, em.probability_floor);
    for (std::size_t f = 0; f < initial.fields.size(); ++f) initial.fields[f].u = su[f];
    initial.u_method = score::UMethod::kSample;
    em.estimate_u = false;
  }
  return score::EstimateModel(counts, initial, em, have_background ? &background : nullptr);
}

// FsStage: what the Fellegi-Sunter stage compares: the field-level filters of both datasets
// (in the model's order when a model is given) and each field's levels.
struct FsStage {
  std::vector<const BitMatrix*> fa, fb;
  std::vector<score::FieldLevels> levels;
};

// PrepareFs(a, b, options, result): the stage's fields; their names go to result.fs_fields.
absl::StatusOr<FsStage> PrepareFs(const EncodedDataset& a, const EncodedDataset& b,
                                  const LinkOptions& options, Linkage& result) {
  const FsOptions& fs = options.fs;
  FsStage stage;
  BLOOMLINK_RETURN_IF_ERROR(FsFields(a, b, stage.fa, stage.fb, result.fs_fields));
  for (const std::string& name : result.fs_fields) stage.levels.push_back({name, fs.cutpoints});
  if (fs.model) {
    stage.levels.clear();
    for (const score::FsModel::Field& f : fs.model->fields) stage.levels.push_back(f.levels);
    // The model names its fields: take the datasets' filters in the model's order.
    std::vector<const BitMatrix*> ma, mb;
    std::vector<std::string> names;
    for (const score::FieldLevels& l : stage.levels) {
      auto it = std::find(result.fs_fields.begin(), result.fs_fields.end(), l.field);
      if (it == result.fs_fields.end()) {
        return absl::InvalidArgumentError(
            StrCat("the model has field ", l.field, ", which the datasets have no filters for"));
      }
      const std::size_t at = static_cast<std::size_t>(it - result.fs_fields.begin());
      ma.push_back(stage.fa[at]);
      mb.push_back(stage.fb[at]);
      names.push_back(l.field);
    }
    stage.fa = std::move(ma);
    stage.fb = std::move(mb);
    result.fs_fields = std::move(names);
  }
  return stage;
}

constexpr std::string_view kNoCandidatesWarning =
    "no candidate pairs reach the threshold: there is nothing to estimate a Fellegi-Sunter "
    "model from, and no pairs are matched";

// FitModel: the model: the given one (checked against the patterns), or estimated by EM on the
// candidates' pattern counts, over all pairs (EstimateOverAllPairs, which fills `background`)
// or over the candidates alone. candidates: the candidates themselves, needed only when top-k
// or blocking may have left out pairs above the floor (else nullptr will do); count: how many.
absl::StatusOr<score::FsModel> FitModel(const EncodedDataset& a, const EncodedDataset& b,
                                        const FsStage& stage, const score::PatternCounts& counts,
                                        const match::CandidatePairs* candidates,
                                        std::uint64_t count, const LinkOptions& options,
                                        LinkReport& rep, score::BackgroundPairs& background) {
  const FsOptions& fs = options.fs;
  const int threads = options.candidates.threads;
  const score::ComparisonVectors& patterns = counts.patterns;
  score::FsModel model;
  if (fs.model) {
    model = *fs.model;
    BLOOMLINK_RETURN_IF_ERROR(score::CheckModelFits(model, patterns));
    if (a.schema_fingerprint && !model.schema_fingerprint.empty() &&
        model.schema_fingerprint != HexEncode(*a.schema_fingerprint)) {
      rep.warnings.push_back(
          StrCat("the model was trained on encodings of another schema (fingerprint ",
                 model.schema_fingerprint.substr(0, 16), "..., these are ",
                 Short(*a.schema_fingerprint), "...)"));
    }
  } else if (fs.all_pairs) {
    BLOOMLINK_ASSIGN_OR_RETURN(
        model, EstimateOverAllPairs(a, b, stage.fa, stage.fb, stage.levels, candidates, count,
                                    counts, options, background));
    if (a.schema_fingerprint) model.schema_fingerprint = HexEncode(*a.schema_fingerprint);
    // A model of implausibly many matches: EM settled on a "match" class of common agreement
    // among non-matches, as it can where there are no matches to find (a file without
    // duplicates deduplicated: 35 M "matches" among the pairs of 100,000 records). More than
    // ten per record is far beyond real duplication (splink-fake1000: two; FEBRL3: 1.3).
    const double records = static_cast<double>(std::max(a.size(), b.size()));
    const double space = options.deduplicate ? static_cast<double>(eval::PairsWithin(a.size()))
                                             : static_cast<double>(a.size()) * b.size();
    const double expected = model.lambda * space;
    if (expected > 10 * records) {
      rep.warnings.push_back(StrCat(
          "the model expects about ", internal::Thousands(static_cast<std::uint64_t>(expected)),
          " matches, more than ten per record", model.converged ? "" : " (EM did not converge)",
          ": it has likely taken common agreement among non-matches for matches, and the pairs "
          "accepted are likely false. ",
          options.deduplicate ? "If the file holds each person once there is nothing to find (in "
                                "a person index, declare such a source unique); otherwise "
                              : "",
          "try --u-from-sample, or the exhaustive search instead of blocking"));
    }
  } else {
    score::FsModel initial = score::InitialModel(stage.levels);
    score::EmOptions em = fs.em;
    if (em.threads == 0) em.threads = options.candidates.threads;
    if (fs.u_from_sample) {
      match::CandidatePairs sample = score::SampleRandomPairs(a.size(), b.size(), fs.u_sample_pairs,
                                                              fs.seed, options.deduplicate);
      BLOOMLINK_ASSIGN_OR_RETURN(score::ComparisonVectors sv,
                                 score::Compare(stage.fa, stage.fb, sample, stage.levels, threads));
      std::vector<std::vector<double>> u = score::EstimateU(sv, em.probability_floor);
      for (std::size_t f = 0; f < initial.fields.size(); ++f) initial.fields[f].u = u[f];
      initial.u_method = score::UMethod::kSample;
      em.estimate_u = false;
    }
    BLOOMLINK_ASSIGN_OR_RETURN(model, score::EstimateModel(counts, initial, em));
    if (model.lambda > 0.5) {
      const int percent = static_cast<int>(model.lambda * 100 + 0.5);
      rep.warnings.push_back(
          fs.u_from_sample
              ? StrCat("u from a random sample: EM put ", percent,
                       "% of the candidates in the match class, so the candidates' non-matches "
                       "do not look like random pairs (a tight candidate threshold or top-k "
                       "selects similar records); estimate u by EM instead, or take candidates "
                       "with a looser threshold")
              : StrCat("EM estimates that ", percent,
                       "% of the candidates are matches: with so few non-matches among them "
                       "the model is poorly determined and may miss matches; take candidates "
                       "with a looser threshold (the model needs non-matches to learn from)"));
    }
    if (a.schema_fingerprint) model.schema_fingerprint = HexEncode(*a.schema_fingerprint);
  }
  return model;
}

// PatternDecision: per pattern, its scores (a candidate's are its pattern's) and whether its
// pairs are matches by the decision rule. They are resolved one-to-one by match weight: the
// same order as the probability, without its ties (in single precision every weight above
// about 25 has probability 1). The solver needs scores >= 0: weights are shifted by the lowest
// accepted.
struct PatternDecision {
  score::PairScores scores;
  std::vector<bool> accepted;
  float lowest = 0;
  std::uint64_t accepted_pairs = 0;  // candidates with an accepted pattern
};

PatternDecision Decide(const score::FsModel& model, const score::PatternCounts& counts,
                       double decision) {
  PatternDecision d;
  d.scores = score::Score(model, counts.patterns, /*contributions=*/false);
  d.accepted.resize(d.scores.probability.size());
  bool any = false;
  for (std::size_t k = 0; k < d.accepted.size(); ++k) {
    d.accepted[k] = d.scores.probability[k] >= decision && counts.counts[k] > 0;
    if (d.accepted[k]) {
      d.lowest = any ? std::min(d.lowest, d.scores.weight[k]) : d.scores.weight[k];
      any = true;
      d.accepted_pairs += counts.counts[k];
    }
  }
  return d;
}

// AcceptedPairs: the candidates whose pattern is accepted, in the candidates' order: as the
// solver takes them (left, right, weight - lowest), and each one's CLK Dice and pattern.
struct AcceptedPairs {
  match::CandidatePairs decided;
  std::vector<float> dice;
  std::vector<std::uint32_t> pattern;
  void push_back(std::uint32_t left, std::uint32_t right, float dice_score, std::uint32_t k,
                 const PatternDecision& d) {
    decided.push_back(left, right, d.scores.weight[k] - d.lowest);
    dice.push_back(dice_score);
    pattern.push_back(k);
  }
};

// CandidateMisses(matched_a, matched_b): with one-to-one, the missed matches among the
// candidates given the records the resolution matched (see FinishFs).
using CandidateMisses = std::function<absl::StatusOr<double>(const std::vector<bool>& matched_a,
                                                             const std::vector<bool>& matched_b)>;

// FinishFs: one-to-one resolution of the accepted pairs, the linkage's pairs with their
// probabilities, weights and contributions, and the expected errors. all_p: the sum of the
// probabilities of every candidate, in the candidates' order (without one-to-one); misses: the
// missed matches among the candidates (with one-to-one). `start`: when the stage began.
absl::StatusOr<Linkage> FinishFs(const EncodedDataset& a, const EncodedDataset& b,
                                 score::FsModel model, const score::PatternCounts& counts,
                                 const PatternDecision& d, const AcceptedPairs& accepted,
                                 double all_p, const CandidateMisses& misses,
                                 const score::BackgroundPairs& background,
                                 const LinkOptions& options, LinkReport& rep, Linkage result,
                                 std::chrono::steady_clock::time_point start) {
  const FsOptions& fs = options.fs;
  const score::ComparisonVectors& patterns = counts.patterns;
  const float* weight_of = d.scores.weight.data();
  const float* probability_of = d.scores.probability.data();
  rep.score_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto solve_start = std::chrono::steady_clock::now();
  BLOOMLINK_ASSIGN_OR_RETURN(match::CandidatePairs kept, Resolve(accepted.decided, options, a, b));
  rep.solve_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - solve_start).count();
  // Map the kept pairs back to the accepted ones for the Dice scores and explanations.
  const match::CandidatePairs& decided = accepted.decided;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> index;
  index.reserve(decided.size());
  for (std::size_t i = 0; i < decided.size(); ++i) {
    index.emplace((std::uint64_t{decided.left[i]} << 32) | decided.right[i],
                  static_cast<std::uint32_t>(i));
  }
  const std::size_t nfields = result.fs_fields.size();
  score::ComparisonVectors kept_vectors;  // the kept pairs' levels, for their explanations
  kept_vectors.fields = patterns.fields;
  kept_vectors.levels.reserve(kept.size() * nfields);
  result.pairs.reserve(kept.size());
  result.probability.reserve(kept.size());
  result.weight.reserve(kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const std::uint32_t c = index.at((std::uint64_t{kept.left[i]} << 32) | kept.right[i]);
    const std::size_t k = accepted.pattern[c];
    result.pairs.push_back(decided.left[c], decided.right[c], accepted.dice[c]);
    result.probability.push_back(probability_of[k]);
    result.weight.push_back(weight_of[k]);
    kept_vectors.levels.insert(
        kept_vectors.levels.end(),
        patterns.levels.begin() + static_cast<std::ptrdiff_t>(k * nfields),
        patterns.levels.begin() + static_cast<std::ptrdiff_t>((k + 1) * nfields));
  }
  result.contributions = score::Score(model, kept_vectors).contributions;
  // Expected errors under the model: a kept pair is a false match with probability 1 - p, a
  // candidate left out a missed match with probability p, and so is each pair below the floor
  // (the background sample, each standing for `weight` pairs).
  // With one-to-one, a candidate whose record is already matched is not a missed match however
  // probable the model finds it (a record has one partner): the missed matches among the
  // candidates are, per record of A left unmatched, the most probable of its candidates whose
  // partner is unmatched too.
  ErrorEstimate estimate;
  double kept_p = 0.0;
  for (float p : result.probability) kept_p += p;
  estimate.false_matches = static_cast<double>(result.pairs.size()) - kept_p;
  if (OneToOneOf(options) == solve::OneToOne::kNone) {
    estimate.missed_matches = all_p - kept_p;
  } else {
    std::vector<bool> matched_a(a.size(), false), matched_b(b.size(), false);
    for (std::size_t i = 0; i < result.pairs.size(); ++i) {
      matched_a[result.pairs.left[i]] = true;
      matched_b[result.pairs.right[i]] = true;
    }
    BLOOMLINK_ASSIGN_OR_RETURN(estimate.missed_matches, misses(matched_a, matched_b));
  }
  if (background.vectors.size() > 0) {
    const score::PairScores below =
        score::Score(model, background.vectors, /*contributions=*/false);
    double below_p = 0.0;
    for (float p : below.probability) below_p += p;
    estimate.missed_below_floor = below_p * background.weight;
    estimate.missed_matches += estimate.missed_below_floor;
  }
  estimate.Finish(kept_p);
  result.estimate = estimate;
  if (!fs.model) {  // estimated here: the model file records what this linkage expected
    model.estimate = score::FsModel::Estimate{
        .true_matches = estimate.true_matches,
        .false_matches = estimate.false_matches,
        .missed_matches = estimate.missed_matches,
        .precision = estimate.precision,
        .recall = estimate.recall,
        .f1 = estimate.f1,
    };
  }
  result.model = std::move(model);
  rep.matches = result.pairs.size();
  return result;
}

// ScoreFellegiSunter: the Fellegi-Sunter stage over the candidates: levels, model, scores,
// decision and one-to-one resolution by match probability.
absl::StatusOr<Linkage> ScoreFellegiSunter(const EncodedDataset& a, const EncodedDataset& b,
                                           match::CandidatePairs candidates,
                                           const LinkOptions& options, LinkReport& rep) {
  const FsOptions& fs = options.fs;
  const auto start = std::chrono::steady_clock::now();
  Linkage result;
  BLOOMLINK_ASSIGN_OR_RETURN(const FsStage stage, PrepareFs(a, b, options, result));
  const int threads = options.candidates.threads;
  if (candidates.size() == 0 && !fs.model) {
    rep.warnings.push_back(std::string(kNoCandidatesWarning));
    return result;
  }
  // Each candidate's agreement pattern (4 bytes a pair), and the distinct patterns with their
  // counts: what EM needs, and through the patterns' scores, every candidate's.
  BLOOMLINK_ASSIGN_OR_RETURN(
      score::PairPatterns compared,
      score::ComparePatterns(stage.fa, stage.fb, candidates, stage.levels, threads));
  const std::vector<std::uint32_t>& pattern_of = compared.pattern;
  score::BackgroundPairs background;
  BLOOMLINK_ASSIGN_OR_RETURN(score::FsModel model,
                             FitModel(a, b, stage, compared.counts, &candidates, candidates.size(),
                                      options, rep, background));
  const PatternDecision d = Decide(model, compared.counts, fs.decision);
  const float* probability_of = d.scores.probability.data();
  AcceptedPairs accepted;
  std::size_t count = 0;
  for (std::uint32_t k : pattern_of) count += d.accepted[k] ? 1 : 0;
  accepted.decided.reserve(count);
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const std::uint32_t k = pattern_of[i];
    if (d.accepted[k])
      accepted.push_back(candidates.left[i], candidates.right[i], candidates.score[i], k, d);
  }
  double all_p = 0.0;  // in the candidates' order, as ever
  for (std::uint32_t k : pattern_of) all_p += probability_of[k];
  const CandidateMisses misses = [&](const std::vector<bool>& matched_a,
                                     const std::vector<bool>& matched_b) -> absl::StatusOr<double> {
    absl::flat_hash_map<std::uint32_t, float> best_unmatched;  // record of A -> max p
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      const std::uint32_t l = candidates.left[i], r = candidates.right[i];
      if (matched_a[l] || matched_b[r]) continue;
      float& best = best_unmatched[l];
      best = std::max(best, probability_of[pattern_of[i]]);
    }
    // Summed in record order, so the total does not depend on hashing.
    std::vector<std::pair<std::uint32_t, float>> sorted(best_unmatched.begin(),
                                                        best_unmatched.end());
    std::sort(sorted.begin(), sorted.end());
    double missed = 0.0;
    for (const auto& [record, p] : sorted) missed += p;
    return missed;
  };
  return FinishFs(a, b, std::move(model), compared.counts, d, accepted, all_p, misses, background,
                  options, rep, std::move(result), start);
}

// GlobalPatterns: the distinct patterns of every batch of candidates, merged: a batch's
// patterns (ComparePatterns numbers them within the batch) are found by their levels. The
// order is the order of first appearance, the same for any thread count; EM and the scores do
// not depend on it.
class GlobalPatterns {
 public:
  explicit GlobalPatterns(const std::vector<score::FieldLevels>& levels) {
    counts_.patterns.fields = levels;
  }
  // Add(batch): counts the batch's patterns; returns the global index of each of them.
  const std::vector<std::uint32_t>& Add(const score::PatternCounts& batch) {
    local_.resize(batch.size());
    for (std::size_t k = 0; k < batch.size(); ++k) {
      local_[k] = IndexOf(batch, k);
      counts_.counts[local_[k]] += batch.counts[k];
    }
    return local_;
  }
  // Find(batch): the global index of each of the batch's patterns, which must all be known.
  absl::StatusOr<std::vector<std::uint32_t>> Find(const score::PatternCounts& batch) const {
    std::vector<std::uint32_t> global(batch.size());
    for (std::size_t k = 0; k < batch.size(); ++k) {
      auto it = index_.find(Row(batch, k));
      if (it == index_.end()) {
        return absl::InternalError("streamed Fellegi-Sunter: a pattern the first pass did not see");
      }
      global[k] = it->second;
    }
    return global;
  }
  const score::PatternCounts& counts() const { return counts_; }

 private:
  static std::string Row(const score::PatternCounts& batch, std::size_t k) {
    const std::size_t nf = batch.patterns.fields.size();
    return std::string(reinterpret_cast<const char*>(batch.patterns.levels.data()) + k * nf, nf);
  }
  std::uint32_t IndexOf(const score::PatternCounts& batch, std::size_t k) {
    auto [it, inserted] =
        index_.try_emplace(Row(batch, k), static_cast<std::uint32_t>(counts_.size()));
    if (inserted) {
      counts_.patterns.levels.insert(counts_.patterns.levels.end(), it->first.begin(),
                                     it->first.end());
      counts_.counts.push_back(0);
    }
    return it->second;
  }
  score::PatternCounts counts_;
  absl::flat_hash_map<std::string, std::uint32_t> index_;
  std::vector<std::uint32_t> local_;
};

// BestCandidates: per record of A, the kBest most probable of its candidates that were not
// accepted (every other one is at most as probable as the least of them), for the missed
// matches after one-to-one resolution without holding the candidates: the most probable
// candidate whose partner is unmatched is the first such in the list, unless every one in a
// full list is matched (then the candidates must be searched again for that record).
class BestCandidates {
 public:
  static constexpr std::size_t kBest = link_internal::kStreamBest;
  explicit BestCandidates(std::size_t records)
      : p_(records * kBest), partner_(records * kBest), size_(records, 0), least_(records, 0) {}
  void Offer(std::uint32_t record, float p, std::uint32_t partner) {
    const std::size_t n = size_[record];
    float* p_of = p_.data() + std::size_t{record} * kBest;
    std::uint32_t* partner_of = partner_.data() + std::size_t{record} * kBest;
    if (n < kBest) {
      p_of[n] = p;
      partner_of[n] = partner;
      size_[record] = static_cast<std::uint8_t>(n + 1);
      least_[record] = n == 0 ? p : std::min(least_[record], p);
      return;
    }
    if (!(p > least_[record])) return;
    std::size_t at = 0;
    for (std::size_t i = 1; i < kBest; ++i) {
      if (p_of[i] < p_of[at]) at = i;
    }
    p_of[at] = p;
    partner_of[at] = partner;
    least_[record] = *std::min_element(p_of, p_of + kBest);
  }
  // Best(record, matched_b, &p): false when the list is full and every partner in it is
  // matched; else *p is the most probable unaccepted candidate's probability among those whose
  // partner is unmatched (0 when there is none).
  bool Best(std::uint32_t record, const std::vector<bool>& matched_b, float* p) const {
    const std::size_t n = size_[record];
    const float* p_of = p_.data() + std::size_t{record} * kBest;
    const std::uint32_t* partner_of = partner_.data() + std::size_t{record} * kBest;
    float best = 0;
    bool found = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (!matched_b[partner_of[i]] && (!found || p_of[i] > best)) {
        best = p_of[i];
        found = true;
      }
    }
    *p = best;
    return found || n < kBest;
  }

 private:
  std::vector<float> p_;
  std::vector<std::uint32_t> partner_;
  std::vector<std::uint8_t> size_;
  std::vector<float> least_;
};

// StreamFellegiSunter: ScoreFellegiSunter without holding the candidates (exhaustive search,
// no top-k): the candidate search runs twice, in batches (match::ForEachCandidateBatch). Pass 1
// counts the batches' patterns; the model is estimated on the counts; pass 2 keeps only the
// candidates whose pattern is accepted, sums every candidate's probability in the candidates'
// order and keeps each record's few most probable unaccepted candidates (BestCandidates); a
// third search, for the records whose list was not enough, runs only when needed. The result is
// ScoreFellegiSunter's exactly. accepted_limit: ResourceExhausted, before pass 2, when more
// pairs than this would be accepted (0: no limit).
absl::StatusOr<Linkage> StreamFellegiSunter(const EncodedDataset& a, const EncodedDataset& b,
                                            const match::CandidateOptions& candidate_options,
                                            std::uint64_t batch_pairs, std::uint64_t accepted_limit,
                                            const LinkOptions& options, LinkReport& rep) {
  const FsOptions& fs = options.fs;
  const auto start = std::chrono::steady_clock::now();
  Linkage result;
  BLOOMLINK_ASSIGN_OR_RETURN(const FsStage stage, PrepareFs(a, b, options, result));
  const int threads = options.candidates.threads;
  const auto compare = [&](const match::CandidatePairs& batch) {
    return score::ComparePatterns(stage.fa, stage.fb, batch, stage.levels, threads);
  };
  // Pass 1: the patterns' counts.
  GlobalPatterns global(stage.levels);
  BLOOMLINK_RETURN_IF_ERROR(match::ForEachCandidateBatch(
      a.clks, b.clks, candidate_options, batch_pairs,
      [&](const match::CandidatePairs& batch) -> absl::Status {
        BLOOMLINK_ASSIGN_OR_RETURN(const score::PairPatterns compared, compare(batch));
        global.Add(compared.counts);
        return absl::OkStatus();
      },
      &rep.candidates));
  const std::uint64_t count = rep.candidates.candidates;
  const double search_seconds = rep.candidates.seconds;
  if (count == 0 && !fs.model) {
    rep.warnings.push_back(std::string(kNoCandidatesWarning));
    return result;
  }
  const score::PatternCounts& counts = global.counts();
  score::BackgroundPairs background;
  BLOOMLINK_ASSIGN_OR_RETURN(score::FsModel model, FitModel(a, b, stage, counts, nullptr, count,
                                                            options, rep, background));
  const PatternDecision d = Decide(model, counts, fs.decision);
  if (accepted_limit > 0 && d.accepted_pairs > accepted_limit) {
    return absl::ResourceExhaustedError(StrCat(
        internal::Thousands(d.accepted_pairs), " candidate pairs reach match probability ",
        fs.decision, ", more than the memory limit allows (", internal::Thousands(accepted_limit),
        "): raise the limit, raise the threshold, or keep each record's best few (top-k)"));
  }
  const float* probability_of = d.scores.probability.data();
  // Pass 2: the accepted pairs, every candidate's probability, each record's best unaccepted.
  AcceptedPairs accepted;
  accepted.decided.reserve(d.accepted_pairs);
  accepted.dice.reserve(d.accepted_pairs);
  accepted.pattern.reserve(d.accepted_pairs);
  double all_p = 0.0;  // in the candidates' order, as ScoreFellegiSunter sums it
  BestCandidates best(a.size());
  match::CandidateStats again;
  BLOOMLINK_RETURN_IF_ERROR(match::ForEachCandidateBatch(
      a.clks, b.clks, candidate_options, batch_pairs,
      [&](const match::CandidatePairs& batch) -> absl::Status {
        BLOOMLINK_ASSIGN_OR_RETURN(const score::PairPatterns compared, compare(batch));
        BLOOMLINK_ASSIGN_OR_RETURN(const std::vector<std::uint32_t> global_of,
                                   global.Find(compared.counts));
        for (std::size_t i = 0; i < batch.size(); ++i) {
          const std::uint32_t k = global_of[compared.pattern[i]];
          const float p = probability_of[k];
          all_p += p;
          if (d.accepted[k]) {
            accepted.push_back(batch.left[i], batch.right[i], batch.score[i], k, d);
          } else if (p > 0) {  // a candidate of probability 0 adds nothing to a record's best
            best.Offer(batch.left[i], p, batch.right[i]);
          }
        }
        return absl::OkStatus();
      },
      &again));
  const CandidateMisses misses = [&](const std::vector<bool>& matched_a,
                                     const std::vector<bool>& matched_b) -> absl::StatusOr<double> {
    std::vector<float> best_of(a.size(), 0.0f);  // record of A -> max p
    for (std::size_t i = 0; i < accepted.decided.size(); ++i) {
      const std::uint32_t l = accepted.decided.left[i], r = accepted.decided.right[i];
      if (matched_a[l] || matched_b[r]) continue;
      best_of[l] = std::max(best_of[l], probability_of[accepted.pattern[i]]);
    }
    std::vector<bool> search_again(a.size(), false);
    bool any = false;
    for (std::uint32_t l = 0; l < a.size(); ++l) {
      if (matched_a[l]) continue;
      float p;
      if (best.Best(l, matched_b, &p)) {
        best_of[l] = std::max(best_of[l], p);
      } else {
        search_again[l] = true;
        any = true;
      }
    }
    if (any) {
      // Pass 3, for the records whose list held matched partners only: their candidates with an
      // unmatched partner.
      match::CandidatePairs wanted;
      BLOOMLINK_RETURN_IF_ERROR(match::ForEachCandidateBatch(
          a.clks, b.clks, candidate_options, batch_pairs,
          [&](const match::CandidatePairs& batch) -> absl::Status {
            wanted.clear();
            for (std::size_t i = 0; i < batch.size(); ++i) {
              if (search_again[batch.left[i]] && !matched_b[batch.right[i]]) {
                wanted.push_back(batch.left[i], batch.right[i], batch.score[i]);
              }
            }
            if (wanted.empty()) return absl::OkStatus();
            BLOOMLINK_ASSIGN_OR_RETURN(const score::PairPatterns compared, compare(wanted));
            BLOOMLINK_ASSIGN_OR_RETURN(const std::vector<std::uint32_t> global_of,
                                       global.Find(compared.counts));
            for (std::size_t i = 0; i < wanted.size(); ++i) {
              float& b_of = best_of[wanted.left[i]];
              b_of = std::max(b_of, probability_of[global_of[compared.pattern[i]]]);
            }
            return absl::OkStatus();
          },
          nullptr));
      rep.stream_passes = 3;
    }
    // Summed in record order, as ScoreFellegiSunter sums it.
    double missed = 0.0;
    for (float p : best_of) {
      if (p > 0) missed += p;
    }
    return missed;
  };
  rep.stream_passes = 2;
  BLOOMLINK_ASSIGN_OR_RETURN(Linkage linkage,
                             FinishFs(a, b, std::move(model), counts, d, accepted, all_p, misses,
                                      background, options, rep, std::move(result), start));
  // The report's search time is the first pass's; the Fellegi-Sunter stage's includes the rest.
  rep.candidates.seconds = search_seconds;
  return linkage;
}

// ResolveByDice: the Dice method: the candidates resolved one-to-one by their CLK Dice.
absl::StatusOr<Linkage> ResolveByDice(const EncodedDataset& a, const EncodedDataset& b,
                                      match::CandidatePairs candidates, const LinkOptions& options,
                                      LinkReport& rep) {
  const auto start = std::chrono::steady_clock::now();
  Linkage result;
  BLOOMLINK_ASSIGN_OR_RETURN(result.pairs, Resolve(candidates, options, a, b));
  if (rep.floor) {
    // The floor was chosen from the data: so is the decision threshold. Resolving at the floor
    // and keeping the pairs that reach the threshold is the resolution at the threshold (the
    // solvers take pairs by score), so the pairs are cut, not resolved again.
    const std::uint64_t na = a.size(), nb = b.size();
    const bool one_to_one = OneToOneOf(options) != solve::OneToOne::kNone;
    // Two datasets: their look-alikes within themselves count the non-matches. Within one
    // dataset there is no such reference (its look-alikes are the pairs being decided), so the
    // decision fits a mixture to the scores.
    link_internal::LookAlikes look_alikes;
    if (!options.deduplicate) {
      BLOOMLINK_ASSIGN_OR_RETURN(look_alikes,
                                 link_internal::FindLookAlikes(a, b, options.candidates.threshold,
                                                               options.candidates.threads));
    }
    score::DiceScores input;
    input.scores = result.pairs.score;
    input.floor = options.candidates.threshold;
    input.random_scores = rep.floor->random_dice;
    input.comparison_pairs = options.deduplicate ? eval::PairsWithin(na) : na * nb;
    input.records_a = na;
    input.records_b = options.deduplicate ? na : nb;
    input.one_to_one = one_to_one;
    input.look_alike_records = look_alikes.records;  // 0 within one dataset: the mixture
    if (one_to_one) {
      input.look_alikes = look_alikes.best;
    } else if (!options.deduplicate) {
      // Every candidate: the look-alike pairs, weighted, count the non-matches; how many
      // matches there are is read off the one-to-one decision on a greedy resolution of the
      // same candidates (a person has at most one record in each dataset).
      BLOOMLINK_ASSIGN_OR_RETURN(
          const match::CandidatePairs greedy,
          solve::SolveOneToOne(candidates, solve::OneToOne::kGreedy, na, nb));
      score::DiceScores resolved = input;
      resolved.scores = greedy.score;
      resolved.one_to_one = true;
      resolved.look_alikes = look_alikes.best;
      BLOOMLINK_ASSIGN_OR_RETURN(const score::DiceDecision by_greedy,
                                 score::DecideDiceThreshold(resolved));
      input.matches = by_greedy.expected_matches;
      input.look_alikes = look_alikes.pairs;
      input.look_alike_weights = look_alikes.weights;
    }
    BLOOMLINK_ASSIGN_OR_RETURN(score::DiceDecision decision, score::DecideDiceThreshold(input));
    match::CandidatePairs kept;
    for (std::size_t i = 0; i < result.pairs.size(); ++i) {
      if (result.pairs.score[i] >= static_cast<float>(decision.threshold)) {
        kept.push_back(result.pairs.left[i], result.pairs.right[i], result.pairs.score[i]);
      }
    }
    result.pairs = std::move(kept);
    ErrorEstimate estimate;
    estimate.false_matches = decision.expected_false_matches;
    estimate.missed_matches = decision.expected_missed_matches;
    estimate.Finish(static_cast<double>(result.pairs.size()) - decision.expected_false_matches);
    result.estimate = estimate;
    rep.dice_decision = std::move(decision);
  }
  rep.solve_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rep.matches = result.pairs.size();
  return result;
}

// The linkage methods: what each does with the candidate pairs. A new method is a Method and an
// entry here (its code in score/ and solve/).
struct MethodEntry {
  Method method;
  std::string_view name;
  absl::StatusOr<Linkage> (*decide)(const EncodedDataset& a, const EncodedDataset& b,
                                    match::CandidatePairs candidates, const LinkOptions& options,
                                    LinkReport& rep);
};
constexpr MethodEntry kMethods[] = {
    {Method::kAuto, "auto", nullptr},  // resolved to one of the others first (ResolveMethod)
    {Method::kDice, "dice", ResolveByDice},
    {Method::kFellegiSunter, "fs", ScoreFellegiSunter},
};

const MethodEntry& MethodOf(Method method) {
  for (const MethodEntry& m : kMethods) {
    if (m.method == method) return m;
  }
  return kMethods[0];  // every Method has an entry (tested by MethodName)
}

}  // namespace

absl::StatusOr<Method> ParseMethod(std::string_view name) {
  for (const MethodEntry& m : kMethods) {
    if (m.name == name) return m.method;
  }
  return absl::InvalidArgumentError(
      StrCat("unknown method \"", name, "\": expected auto, dice or fs (Fellegi-Sunter)"));
}

Method ResolveMethod(const EncodedDataset& a, const EncodedDataset& b, const LinkOptions& options) {
  if (options.method != Method::kAuto) return options.method;
  if (options.fs.model || options.fs.u_from_sample) return Method::kFellegiSunter;
  for (const FieldFilters& f : a.field_filters) {
    for (const FieldFilters& g : b.field_filters) {
      if (f.field == g.field && f.filters.bits() == g.filters.bits()) {
        return Method::kFellegiSunter;
      }
    }
  }
  return Method::kDice;
}

std::string_view MethodName(Method method) { return MethodOf(method).name; }

absl::StatusOr<Linkage> Link(const EncodedDataset& a, const EncodedDataset& b,
                             const LinkOptions& given, LinkReport* report) {
  BLOOMLINK_RETURN_IF_ERROR(ValidateLinkOptions(given));
  LinkReport local;
  LinkReport& rep = report ? *report : local;
  rep = LinkReport{};
  // The automatic choices first: from here on `options` names a method and a floor.
  LinkOptions resolved = given;
  resolved.method = ResolveMethod(a, b, given);
  rep.method = resolved.method;
  if (given.candidates.threshold == kAutoThreshold) {
    FloorChoice floor = ChooseCandidateFloor(a, b, given.deduplicate);
    resolved.candidates.threshold = floor.threshold;
    if (!floor.warning.empty()) rep.warnings.push_back(floor.warning);
    rep.floor = std::move(floor);
  }
  const LinkOptions& options = resolved;
  match::CandidateOptions candidate_options = options.candidates;
  candidate_options.same_dataset = options.deduplicate;
  candidate_options.keys.a = &a.blocking_keys;
  candidate_options.keys.b = &b.blocking_keys;
  // Fellegi-Sunter on every candidate of the exhaustive search can stream them (two searches,
  // holding the accepted pairs only) when they would not fit the memory limit.
  const bool can_stream = options.method == Method::kFellegiSunter &&
                          options.candidates.top_k == 0 &&
                          options.candidates.blocking == match::Blocking::kExhaustive;
  bool stream = can_stream && options.always_stream;
  MemoryEstimate memory;
  bool limited_by_memory = false;  // the search's candidate limit is the memory limit's
  if (options.max_memory > 0 || stream) memory = EstimateMemory(a, b, options);
  const std::uint64_t fixed = memory.datasets + memory.search;
  if (options.max_memory > 0) {
    if (memory.total() > options.max_memory) {
      if (!can_stream || memory.stream_total(0) > options.max_memory) {
        return absl::ResourceExhaustedError(StrCat(
            "linking would need about ", FormatBytes(memory.total()), " (the encodings ",
            FormatBytes(memory.datasets), ", the search ", FormatBytes(memory.search), ", about ",
            internal::Thousands(memory.expected_candidates), " candidate pairs at Dice >= ",
            options.candidates.threshold, " x ", memory.bytes_per_candidate,
            " bytes, estimated from ", internal::Thousands(memory.sampled_pairs),
            options.candidates.blocking == match::Blocking::kKeys ? " pairs sharing a token"
                                                                  : " random pairs",
            can_stream ? StrCat("; streamed, ", FormatBytes(memory.stream_total(0)),
                                " before the accepted pairs")
                       : std::string(),
            "), more than the memory limit of ", FormatBytes(options.max_memory),
            ": raise the limit, raise the threshold, or keep each record's best few (top-k)"));
      }
      stream = true;
      rep.stream_reason =
          StrCat("the candidates (about ", internal::Thousands(memory.expected_candidates), ", ",
                 FormatBytes(memory.total()), " in all) would not fit the memory limit of ",
                 FormatBytes(options.max_memory));
    }
    if (!stream) {
      // The estimate came from a sample: also stop the search itself at the limit (or at the
      // caller's own candidate limit, if lower).
      const std::uint64_t by_memory =
          std::max<std::uint64_t>(1, (options.max_memory - fixed) / memory.bytes_per_candidate);
      if (candidate_options.max_candidates == 0 || by_memory < candidate_options.max_candidates) {
        candidate_options.max_candidates = by_memory;
        limited_by_memory = true;
      }
    }
  }
  std::optional<Linkage> linked;
  if (!stream) {
    auto found = match::FindCandidates(a.clks, b.clks, candidate_options, &rep.candidates);
    if (limited_by_memory && absl::IsResourceExhausted(found.status())) {
      if (!can_stream) {
        return absl::ResourceExhaustedError(StrCat(
            "stopped: the candidate pairs at Dice >= ", options.candidates.threshold,
            " would need more than the memory limit of ", FormatBytes(options.max_memory),
            " allows (over ", internal::Thousands(candidate_options.max_candidates),
            " pairs; the estimate from a sample was ",
            internal::Thousands(memory.expected_candidates),
            "): raise the limit, raise the threshold, or keep each record's best few (top-k)"));
      }
      // The sample underestimated them: stream instead.
      stream = true;
      rep.stream_reason =
          StrCat("the candidates (over ", internal::Thousands(candidate_options.max_candidates),
                 ") would not fit the memory limit of ", FormatBytes(options.max_memory));
      candidate_options.max_candidates = options.candidates.max_candidates;
    } else {
      BLOOMLINK_ASSIGN_OR_RETURN(match::CandidatePairs candidates, std::move(found));
      for (const std::string& warning : rep.candidates.blocking_warnings) {
        rep.warnings.push_back(warning);
      }
      BLOOMLINK_ASSIGN_OR_RETURN(
          linked, MethodOf(options.method).decide(a, b, std::move(candidates), options, rep));
    }
  }
  if (stream) {
    if (rep.stream_reason.empty()) rep.stream_reason = "asked for (LinkOptions::always_stream)";
    // What the limit leaves for the accepted pairs, beyond the batches and per-record tables.
    std::uint64_t accepted_limit = 0;
    if (options.max_memory > 0) {
      const std::uint64_t held = memory.stream_total(0);
      accepted_limit = std::max<std::uint64_t>(
          1, (options.max_memory - std::min(options.max_memory, held)) / memory.bytes_per_accepted);
    }
    BLOOMLINK_ASSIGN_OR_RETURN(
        linked, StreamFellegiSunter(a, b, candidate_options,
                                    options.stream_batch_pairs > 0 ? options.stream_batch_pairs
                                                                   : memory.stream_batch_pairs,
                                    accepted_limit, options, rep));
  }
  Linkage& result = *linked;
  result.deduplicated = options.deduplicate;
  result.one_to_one = OneToOneOf(options);
  if (rep.floor) rep.floor->random_dice = {};  // served the decision; the report stays small
  return std::move(result);
}

io::PairsTable PairsTableOf(const EncodedDataset& a, const EncodedDataset& b,
                            const Linkage& linkage, bool explain) {
  const match::CandidatePairs& pairs = linkage.pairs;
  io::PairsTable table{.ids_a = a.ids,
                       .ids_b = b.ids,
                       .left = pairs.left,
                       .right = pairs.right,
                       .columns = {{"score", pairs.score.data()}}};
  if (!linkage.fs_fields.empty()) {
    table.columns.push_back({"match_probability", linkage.probability.data()});
    table.columns.push_back({"match_weight", linkage.weight.data()});
    // By weight: the probability's order, without its ties at 1.
    table.sort_by = 2;
    if (explain) {
      const std::size_t nfields = linkage.fs_fields.size();
      // With no pairs there are no contributions: no column has a value to point at.
      const float* contributions = linkage.contributions.data();
      for (std::size_t f = 0; f < nfields; ++f) {
        table.columns.push_back({"weight_" + linkage.fs_fields[f],
                                 contributions == nullptr ? nullptr : contributions + f, nfields});
      }
    }
  }
  return table;
}

absl::Status WritePairsCsv(const EncodedDataset& a, const EncodedDataset& b, const Linkage& linkage,
                           const std::string& path, bool explain) {
  return io::WritePairsCsv(PairsTableOf(a, b, linkage, explain), path);
}

}  // namespace bloomlink::link
