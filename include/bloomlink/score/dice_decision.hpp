// bloomlink/score/dice_decision.hpp
//
// A decision threshold for CLK Dice scores chosen without labels, with the decision's own error
// estimates: the clkhash/anonlink case, where the encodings have no field-level filters and the
// only evidence about a pair is the Dice similarity of its two CLKs.
//
// How many of the pairs at a given score are not matches is the hard part. Between two datasets
// it is counted from look-alikes: records of each dataset compared with the rest of their own
// dataset (look_alikes below; link::Link() finds them), nearly all of them not matches and
// found the way the link's non-matches are. Within one dataset there is no such reference, and
// the scores of the pairs that may be matches (after one-to-one resolution when one is applied,
// otherwise every candidate above the floor) are fitted with a two-component mixture: true
// matches, mostly near 1, and non-matches (a record's best look-alike, or the upper tail of all
// pairs), lower, by EM on a fine histogram. Either way the threshold is the one that maximises
// the F1 expected, returned with the expected numbers of true matches, of false matches among
// the accepted pairs and of matches missed among the rejected ones. docs/matching.md describes
// both methods, their estimates and when they are unreliable.
//
//   match::CandidatePairs pairs = ...;                     // greedy one-to-one at Dice >= 0.5
//   std::vector<float> sample = ...;                       // Dice of 200,000 random pairs
//   absl::StatusOr<score::DiceDecision> d = score::DecideDiceThreshold({
//       .scores = pairs.score, .floor = 0.5, .random_scores = sample,
//       .comparison_pairs = na * nb, .records_a = na, .records_b = nb, .one_to_one = true});
//   // keep the pairs with score >= d->threshold; d->f1 is the F1 expected of that decision.
//
// The greedy resolution at a threshold t equals the greedy resolution at a lower floor restricted
// to the pairs scoring >= t, so resolving once at the floor and cutting at d->threshold gives the
// greedy result at that threshold.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace bloomlink::score {

// DiceScores: the input of DecideDiceThreshold. Spans are only read during the call.
struct DiceScores {
  // scores: the Dice scores of the pairs that may be matches: after one-to-one resolution when
  // one is applied, else every candidate at or above the floor. Each in [floor, 1], compared in
  // single precision like the scores themselves. Any order.
  std::span<const float> scores;
  // floor: the threshold the candidates were taken at (inclusive), in [0, 1).
  double floor = 0.0;
  // random_scores: Dice scores of pairs drawn at random from the whole comparison space (nearly
  // all non-matches), each in [0, 1]. May be empty: the decision then does without the checks
  // that need it (see DecideDiceThreshold). 100,000 or more make them reliable.
  std::span<const float> random_scores;
  // comparison_pairs: the size of the comparison space: records_a x records_b for two datasets,
  // n (n - 1) / 2 for pairs within one dataset (records_a = records_b = n).
  std::uint64_t comparison_pairs = 0;
  std::uint64_t records_a = 0;
  std::uint64_t records_b = 0;
  // one_to_one: the scores were resolved one-to-one (greedy, optimal or mutual): at most
  // min(records_a, records_b) of them, each record in at most one pair.
  bool one_to_one = false;
  // look_alikes: scores of pairs that are not matches, found the way this link's non-matches
  // are: records sampled from each dataset compared with the rest of their own dataset (two
  // extracts of one organisation's records rarely hold a person twice). With one_to_one, each
  // sampled record's best look-alike at or above the floor; otherwise every pair of a sampled
  // record at or above the floor, with look_alike_weights. When given (two datasets, not
  // deduplication), the decision counts non-matches from them (see DecideDiceThreshold) instead
  // of fitting a mixture. Each in [floor, 1].
  std::span<const float> look_alikes;
  // look_alike_records: how many records were sampled to find the look-alikes (0: no look-alikes,
  // fit the mixture). A sampled record whose look-alikes all score below the floor adds none.
  std::uint64_t look_alike_records = 0;
  // look_alike_weights: without one_to_one, how many pairs of the comparison space each
  // look-alike stands for (one per look-alike, each > 0); empty with one_to_one.
  std::span<const double> look_alike_weights;
  // matches: without one_to_one, the number of true matches among the scores when it is known
  // better than the look-alike pairs tell it, or negative. Link() gives the matches a one-to-one
  // decision on the same candidates expects (a person has at most one record in each dataset,
  // so a one-to-one resolution keeps nearly every match): near the floor, where the candidates
  // are many, a dataset's look-alikes within itself count the other dataset's non-matches too
  // roughly to leave the few matches among them.
  double matches = -1.0;
};

// DiceModel: what DecideDiceThreshold found in the scores.
enum class DiceModel {
  kNoScores,     // no scores at all: nothing to accept
  kMixture,      // matches and non-matches
  kMatchesOnly,  // the scores are all matches (one-to-one only; nearly every record has a partner)
  kNoMatches,    // no match component is supported: only scores of exactly 1 are accepted
  kLookAlikes,   // non-matches counted from each dataset's look-alikes within itself
};

// DiceModelName: "no scores", "mixture", "matches only", "no matches", "look-alikes".
std::string_view DiceModelName(DiceModel model);

// DiceDecision: the chosen threshold and what it is expected to achieve. The expectations are
// under the fitted mixture (docs/matching.md says when they are unreliable); pairs below the
// floor, and matches that a one-to-one resolution gave away to a better-scoring wrong pair, are
// not among the scores and so not counted.
struct DiceDecision {
  // threshold: accept the pairs with score >= threshold. 1 when nothing below Dice 1 is accepted.
  double threshold = 1.0;
  // accepted: how many of the scores are >= threshold (exact).
  std::uint64_t accepted = 0;
  // expected_matches: the estimated number of true matches among the scores: those in the fitting
  // window, and those the match component puts in a band below it (down to where a window of
  // twice as many scores would start, or the floor). Matches scoring lower are not counted.
  double expected_matches = 0.0;
  // expected_false_matches: expected non-matches among the accepted pairs.
  double expected_false_matches = 0.0;
  // expected_missed_matches: expected true matches among the rejected pairs.
  double expected_missed_matches = 0.0;
  // Estimated precision, recall and F1 of the decision, from the three numbers above: precision
  // is 1 when nothing is accepted, recall 1 when no match is expected, F1 1 when both hold.
  double precision = 1.0;
  double recall = 1.0;
  double f1 = 1.0;
  // equal_odds_threshold: for comparison, the lowest score from which the fitted posterior
  // probability of a match stays >= 0.5 up to `threshold` (or, when it is below 0.5 there, the
  // first score above `threshold` where it reaches 0.5). 1 without a match component.
  double equal_odds_threshold = 1.0;
  DiceModel model = DiceModel::kNoScores;
  // window_start: the mixture was fitted to the scores >= window_start (window_scores of them);
  // at most 4 x (records_a + records_b) of the highest scores, so that the non-match component
  // describes the upper tail that meets the matches.
  double window_start = 0.0;
  std::uint64_t window_scores = 0;
  // reason: one line saying what was fitted to what, and why this threshold.
  std::string reason;
};

// DecideDiceThreshold(input): chooses a decision threshold for input.scores without labels and
// estimates its errors. Deterministic (single-threaded, no randomness: the same input gives the
// same result on any machine), and linear in the number of scores: a pass to check and bin them,
// then EM on a 512-bin histogram, whatever their number.
//
// The method (docs/matching.md, "Label-free Dice decision"): the highest scores (at most
// 4 x (records_a + records_b) of them) are binned into 512 bins; a mixture of a match component
// (a normal distribution of log(1 - Dice), plus a point mass at Dice 1 for identical CLKs) and a
// non-match component (normal in Dice: after one-to-one resolution one bump, the best
// look-alikes, whose centre may lie at most two random-pair standard deviations above where the
// best of max(|A|, |B|) random pairs is expected; otherwise one or two components whose density
// does not rise with the score, the upper tail of all pairs) is fitted by EM from several starts,
// beside a model of non-matches only and, after one-to-one resolution, one of matches only. A
// mixture whose match component is not 1.5 random-pair standard deviations above its non-match
// component is discarded (one population split in two); the model with the lowest BIC wins.
// After one-to-one resolution a match component is also refused when the pairs scoring at least
// the lower quartile of its claimed matches are fewer than a quarter of all pairs of the
// comparison space expected to score that much (from the random sample): real matches are
// nearly all of the pairs that score so high; a best look-alike is one of many. The posterior is
// made non-decreasing in the score (isotonic regression weighted by the bins' counts), and the
// threshold maximises the expected F1, 2 TP / (2 TP + FP + FN), over the bin edges (in the middle
// of a run of empty bins that all give the best value); scores of exactly 1 are always accepted.
//
// With look-alikes (look_alike_records > 0: a link of two datasets) the non-matches are counted
// instead of fitted; the look-alikes are drawn the way the link's non-matches are, so the number of
// non-matches among the scores at or above any t is estimated from them:
//   one_to_one: the non-matches among the resolved pairs are best look-alikes. Their number N0
//     is read where non-matches dominate, below the look-alikes' median m: N0 = #(scores < m) /
//     share of look-alikes < m (at most all scores); each look-alike stands for N0 / (their
//     number) of them.
//   otherwise: each look-alike pair stands for look_alike_weights of them; with `matches` given,
//     the matches expected at any t are at most that many, and that many in all.
// The matches among the scores at or above t are the scores at or above t less the look-alikes'
// weight at or above t, never fewer than at a higher t; the matches in all are those at the
// floor. Matches scoring below the look-alikes' median count as non-matches there: the
// estimates lean to fewer matches, by about twice the matches scoring that low.
// The threshold maximises the expected F1 among the thresholds whose accepted pairs are expected
// to be at least half matches, allowing for the look-alikes being a sample (two Poisson standard
// deviations); when none is, only scores of exactly 1 are accepted. equal_odds_threshold is the
// threshold (there is no per-pair posterior). Nothing is claimed where the datasets share nobody:
// the scores then look like the look-alikes.
//
// InvalidArgument, naming the problem, when: floor is not in [0, 1); a score is not a number, is
// below the floor or above 1; a random score is not in [0, 1]; records_a, records_b or
// comparison_pairs is 0; comparison_pairs exceeds records_a x records_b; there are more scores
// than comparison_pairs; with one_to_one, more scores than min(records_a, records_b); a
// look-alike is below the floor or above 1; there are look-alikes but look_alike_records is 0
// (or more of them than records, with one_to_one); or look_alike_weights is not one positive weight
// per look-alike without one_to_one (or not empty with it).
absl::StatusOr<DiceDecision> DecideDiceThreshold(const DiceScores& input);

}  // namespace bloomlink::score
