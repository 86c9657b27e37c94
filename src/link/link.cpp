#include "bloomlink/link.hpp"

#include <algorithm>
#include <chrono>

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
                 "...); every organisation must encode with the same schema file"));
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
  if (candidates.threshold == kAutoThreshold) candidates.threshold = 0;  // chosen later
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
    const match::CandidatePairs& candidates, const score::PatternCounts& counts,
    const LinkOptions& options, score::BackgroundPairs& background) {
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
  absl::flat_hash_set<std::uint64_t> candidate_set;
  if (subset) {
    candidate_set.reserve(candidates.size());
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      candidate_set.insert((std::uint64_t{candidates.left[i]} << 32) | candidates.right[i]);
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
  const bool have_background = below.size() > 0 && space > candidates.size();
  if (have_background) {
    BLOOMLINK_ASSIGN_OR_RETURN(background.vectors, score::Compare(fa, fb, below, levels, threads));
    background.weight =
        static_cast<double>(space - candidates.size()) / static_cast<double>(below.size());
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

// ScoreFellegiSunter: the Fellegi-Sunter stage over the candidates: levels, model, scores,
// decision and one-to-one resolution by match probability.
absl::StatusOr<Linkage> ScoreFellegiSunter(const EncodedDataset& a, const EncodedDataset& b,
                                           match::CandidatePairs candidates,
                                           const LinkOptions& options, LinkReport& rep) {
  const FsOptions& fs = options.fs;
  const auto start = std::chrono::steady_clock::now();
  std::vector<const BitMatrix*> fa, fb;
  Linkage result;
  BLOOMLINK_RETURN_IF_ERROR(FsFields(a, b, fa, fb, result.fs_fields));
  std::vector<score::FieldLevels> levels;
  for (const std::string& name : result.fs_fields) levels.push_back({name, fs.cutpoints});
  if (fs.model) {
    levels.clear();
    for (const score::FsModel::Field& f : fs.model->fields) levels.push_back(f.levels);
  }
  const int threads = options.candidates.threads;
  if (fs.model) {
    // The model names its fields: take the datasets' filters in the model's order.
    std::vector<const BitMatrix*> ma, mb;
    std::vector<std::string> names;
    for (const score::FieldLevels& l : levels) {
      auto it = std::find(result.fs_fields.begin(), result.fs_fields.end(), l.field);
      if (it == result.fs_fields.end()) {
        return absl::InvalidArgumentError(
            StrCat("the model has field ", l.field, ", which the datasets have no filters for"));
      }
      const std::size_t at = static_cast<std::size_t>(it - result.fs_fields.begin());
      ma.push_back(fa[at]);
      mb.push_back(fb[at]);
      names.push_back(l.field);
    }
    fa = std::move(ma);
    fb = std::move(mb);
    result.fs_fields = std::move(names);
  }
  if (candidates.size() == 0 && !fs.model) {
    rep.warnings.push_back(
        "no candidate pairs reach the threshold: there is nothing to estimate a Fellegi-Sunter "
        "model from, and no pairs are matched");
    return result;
  }
  // Each candidate's agreement pattern (4 bytes a pair), and the distinct patterns with their
  // counts: what EM needs, and through the patterns' scores, every candidate's.
  BLOOMLINK_ASSIGN_OR_RETURN(score::PairPatterns compared,
                             score::ComparePatterns(fa, fb, candidates, levels, threads));
  const score::ComparisonVectors& patterns = compared.counts.patterns;
  const std::vector<std::uint32_t>& pattern_of = compared.pattern;
  score::FsModel model;
  score::BackgroundPairs background;
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
    BLOOMLINK_ASSIGN_OR_RETURN(model, EstimateOverAllPairs(a, b, fa, fb, levels, candidates,
                                                           compared.counts, options, background));
    if (a.schema_fingerprint) model.schema_fingerprint = HexEncode(*a.schema_fingerprint);
  } else {
    score::FsModel initial = score::InitialModel(levels);
    score::EmOptions em = fs.em;
    if (em.threads == 0) em.threads = options.candidates.threads;
    if (fs.u_from_sample) {
      match::CandidatePairs sample = score::SampleRandomPairs(a.size(), b.size(), fs.u_sample_pairs,
                                                              fs.seed, options.deduplicate);
      BLOOMLINK_ASSIGN_OR_RETURN(score::ComparisonVectors sv,
                                 score::Compare(fa, fb, sample, levels, threads));
      std::vector<std::vector<double>> u = score::EstimateU(sv, em.probability_floor);
      for (std::size_t f = 0; f < initial.fields.size(); ++f) initial.fields[f].u = u[f];
      initial.u_method = score::UMethod::kSample;
      em.estimate_u = false;
    }
    BLOOMLINK_ASSIGN_OR_RETURN(model, score::EstimateModel(compared.counts, initial, em));
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
  // Scores per pattern: a candidate's are its pattern's.
  const score::PairScores scores = score::Score(model, patterns, /*contributions=*/false);
  const float* weight_of = scores.weight.data();
  const float* probability_of = scores.probability.data();
  // Matches by the decision rule, resolved one-to-one by match weight: the same order as the
  // probability, without its ties (in single precision every weight above about 25 has
  // probability 1). The solver needs scores >= 0: weights are shifted by the lowest kept.
  std::vector<bool> accepted(scores.probability.size());
  float lowest = 0;
  bool any = false;
  for (std::size_t k = 0; k < accepted.size(); ++k) {
    accepted[k] = probability_of[k] >= fs.decision && compared.counts.counts[k] > 0;
    if (accepted[k]) {
      lowest = any ? std::min(lowest, weight_of[k]) : weight_of[k];
      any = true;
    }
  }
  match::CandidatePairs decided;
  std::vector<std::uint32_t> candidate_of;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (accepted[pattern_of[i]]) candidate_of.push_back(static_cast<std::uint32_t>(i));
  }
  decided.reserve(candidate_of.size());
  for (std::uint32_t i : candidate_of) {
    decided.push_back(candidates.left[i], candidates.right[i], weight_of[pattern_of[i]] - lowest);
  }
  rep.score_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto solve_start = std::chrono::steady_clock::now();
  BLOOMLINK_ASSIGN_OR_RETURN(match::CandidatePairs kept, Resolve(decided, options, a, b));
  rep.solve_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - solve_start).count();
  // Map the kept pairs back to their candidates for the Dice scores and explanations.
  absl::flat_hash_map<std::uint64_t, std::uint32_t> index;
  index.reserve(decided.size());
  for (std::size_t i = 0; i < decided.size(); ++i) {
    index.emplace((std::uint64_t{decided.left[i]} << 32) | decided.right[i], candidate_of[i]);
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
    const std::size_t k = pattern_of[c];
    result.pairs.push_back(candidates.left[c], candidates.right[c], candidates.score[c]);
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
  if (result.one_to_one == solve::OneToOne::kNone) {
    double all_p = 0.0;  // in the candidates' order, as ever
    for (std::uint32_t k : pattern_of) all_p += probability_of[k];
    estimate.missed_matches = all_p - kept_p;
  } else {
    std::vector<bool> matched_a(a.size(), false), matched_b(b.size(), false);
    for (std::size_t i = 0; i < result.pairs.size(); ++i) {
      matched_a[result.pairs.left[i]] = true;
      matched_b[result.pairs.right[i]] = true;
    }
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
    for (const auto& [record, p] : sorted) estimate.missed_matches += p;
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
  MemoryEstimate memory;
  bool limited_by_memory = false;  // the search's candidate limit is the memory limit's
  if (options.max_memory > 0) {
    memory = EstimateMemory(a, b, options);
    const std::uint64_t fixed = memory.datasets + memory.search;
    if (memory.total() > options.max_memory) {
      return absl::ResourceExhaustedError(StrCat(
          "linking would need about ", FormatBytes(memory.total()), " (the encodings ",
          FormatBytes(memory.datasets), ", the search ", FormatBytes(memory.search), ", about ",
          internal::Thousands(memory.expected_candidates), " candidate pairs at Dice >= ",
          options.candidates.threshold, " x ", memory.bytes_per_candidate,
          " bytes, estimated from ", internal::Thousands(memory.sampled_pairs),
          options.candidates.blocking == match::Blocking::kKeys ? " pairs sharing a token"
                                                                : " random pairs",
          "), more than the memory limit of ", FormatBytes(options.max_memory),
          ": raise the limit, raise the threshold, or keep each record's best few (top-k)"));
    }
    // The estimate came from a sample: also stop the search itself at the limit (or at the
    // caller's own candidate limit, if lower).
    const std::uint64_t by_memory =
        std::max<std::uint64_t>(1, (options.max_memory - fixed) / memory.bytes_per_candidate);
    if (candidate_options.max_candidates == 0 || by_memory < candidate_options.max_candidates) {
      candidate_options.max_candidates = by_memory;
      limited_by_memory = true;
    }
  }
  auto found = match::FindCandidates(a.clks, b.clks, candidate_options, &rep.candidates);
  if (limited_by_memory && absl::IsResourceExhausted(found.status())) {
    return absl::ResourceExhaustedError(StrCat(
        "stopped: the candidate pairs at Dice >= ", options.candidates.threshold,
        " would need more than the memory limit of ", FormatBytes(options.max_memory),
        " allows (over ", internal::Thousands(candidate_options.max_candidates),
        " pairs; the estimate from a sample was ", internal::Thousands(memory.expected_candidates),
        "): raise the limit, raise the threshold, or keep each record's best few (top-k)"));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(match::CandidatePairs candidates, std::move(found));
  for (const std::string& warning : rep.candidates.blocking_warnings) {
    rep.warnings.push_back(warning);
  }
  BLOOMLINK_ASSIGN_OR_RETURN(
      Linkage result, MethodOf(options.method).decide(a, b, std::move(candidates), options, rep));
  result.deduplicated = options.deduplicate;
  result.one_to_one = OneToOneOf(options);
  if (rep.floor) rep.floor->random_dice = {};  // served the decision; the report stays small
  return result;
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
