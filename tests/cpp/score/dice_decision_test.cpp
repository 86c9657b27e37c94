// Label-free Dice decision: synthetic score distributions with known labels (a clear mixture,
// with and without one-to-one resolution; no matches; nothing but matches), tiny inputs, every
// refusal, and determinism (same input, any order, same result).
#include "bloomlink/score/dice_decision.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "test_support.hpp"

namespace bloomlink::score {
namespace {

using ::absl::StatusCode;
using ::testing::HasSubstr;
using testing::StatusIs;

// Labelled scores: score[i] with is_match[i].
struct Labelled {
  std::vector<float> score;
  std::vector<bool> is_match;
  std::size_t matches = 0;

  void Add(double s, bool match) {
    score.push_back(static_cast<float>(std::clamp(s, 0.0, 1.0)));
    is_match.push_back(match);
    matches += match ? 1 : 0;
  }
  // F1 of accepting the scores >= t, against the labels.
  double F1At(double t) const {
    std::size_t tp = 0, accepted = 0;
    for (std::size_t i = 0; i < score.size(); ++i) {
      if (score[i] >= t) {
        ++accepted;
        tp += is_match[i] ? 1 : 0;
      }
    }
    return tp == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(accepted + matches);
  }
};

// Matches: 1 - Dice is log-normal around 0.06 (a few corrupted fields), a share of them exact
// copies (Dice 1); all at or above `floor`.
void AddMatches(Labelled& out, std::size_t n, double exact_share, std::mt19937_64& rng,
                double floor = 0.62) {
  std::normal_distribution<double> log_distance(std::log(0.06), 0.6);
  std::bernoulli_distribution exact(exact_share);
  for (std::size_t i = 0; i < n; ++i) {
    double s = 1.0;
    if (!exact(rng)) {
      do {
        s = 1.0 - std::exp(log_distance(rng));
      } while (s < floor);
    }
    out.Add(s, true);
  }
}

// Best look-alikes after one-to-one resolution: a bump around 0.68.
void AddLookAlikes(Labelled& out, std::size_t n, std::mt19937_64& rng) {
  std::normal_distribution<double> d(0.68, 0.025);
  for (std::size_t i = 0; i < n; ++i) out.Add(d(rng), false);
}

// The upper tail of all pairs (random Dice about N(0.58, 0.03)) above `floor`: `n` of them.
void AddTail(Labelled& out, std::size_t n, double floor, std::mt19937_64& rng) {
  std::normal_distribution<double> d(0.58, 0.03);
  std::size_t added = 0;
  while (added < n) {
    const double s = d(rng);
    if (s >= floor) {
      out.Add(s, false);
      ++added;
    }
  }
}

std::vector<float> RandomSample(std::size_t n, std::mt19937_64& rng) {
  std::normal_distribution<double> d(0.58, 0.03);
  std::vector<float> out(n);
  for (float& v : out) v = static_cast<float>(std::clamp(d(rng), 0.0, 1.0));
  return out;
}

constexpr std::uint64_t kRecords = 5000;

DiceScores OneToOne(const Labelled& l, const std::vector<float>& sample, double floor = 0.5) {
  return {.scores = l.score,
          .floor = floor,
          .random_scores = sample,
          .comparison_pairs = kRecords * kRecords,
          .records_a = kRecords,
          .records_b = kRecords,
          .one_to_one = true,
          .look_alikes = {},
          .look_alike_records = 0,
          .look_alike_weights = {}};
}

DiceScores AllCandidates(const Labelled& l, const std::vector<float>& sample, double floor) {
  DiceScores in = OneToOne(l, sample, floor);
  in.one_to_one = false;
  return in;
}

TEST(DiceDecisionTest, ClearMixtureAfterOneToOne) {
  std::mt19937_64 rng(11);
  Labelled l;
  AddMatches(l, 3000, 0.3, rng);
  AddLookAlikes(l, 1990, rng);
  const std::vector<float> sample = RandomSample(100000, rng);
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(OneToOne(l, sample));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->model, DiceModel::kMixture) << d->reason;
  // The valley between the bump (0.68 +- 0.025) and the matches (mostly above 0.85).
  EXPECT_GT(d->threshold, 0.72);
  EXPECT_LT(d->threshold, 0.84);
  EXPECT_NEAR(d->expected_matches, 3000.0, 90.0);
  const double truth = l.F1At(d->threshold);
  EXPECT_GT(truth, 0.98);
  EXPECT_NEAR(d->f1, truth, 0.02);
  EXPECT_EQ(d->accepted,
            static_cast<std::uint64_t>(std::count_if(l.score.begin(), l.score.end(), [&](float s) {
              return static_cast<double>(s) >= d->threshold;
            })));
  // The estimates hang together: F1 = 2 TP / (2 TP + FP + FN) with TP = matches - missed.
  const double tp = d->expected_matches - d->expected_missed_matches;
  const double fp = d->expected_false_matches;
  EXPECT_NEAR(d->f1, 2.0 * tp / (2.0 * tp + fp + d->expected_missed_matches), 1e-9);
  EXPECT_NEAR(d->precision, tp / (tp + fp), 1e-9);
  EXPECT_NEAR(d->recall, tp / d->expected_matches, 1e-9);
  EXPECT_GT(d->equal_odds_threshold, 0.70);
  EXPECT_LT(d->equal_odds_threshold, 0.86);
  EXPECT_THAT(d->reason, HasSubstr("two-component mixture fitted to the 4,990 highest"));
  EXPECT_THAT(d->reason, HasSubstr("one-to-one resolved"));
}

TEST(DiceDecisionTest, ClearMixtureOfAllCandidates) {
  std::mt19937_64 rng(12);
  Labelled l;
  AddMatches(l, 3000, 0.3, rng);
  AddTail(l, 60000, 0.62, rng);
  const std::vector<float> sample = RandomSample(100000, rng);
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(AllCandidates(l, sample, 0.62));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->model, DiceModel::kMixture) << d->reason;
  EXPECT_GT(d->threshold, 0.66);
  EXPECT_LT(d->threshold, 0.80);
  EXPECT_NEAR(d->expected_matches, 3000.0, 150.0);
  const double truth = l.F1At(d->threshold);
  EXPECT_GT(truth, 0.97);
  EXPECT_NEAR(d->f1, truth, 0.02);
  // The window holds the highest 4 x (|A| + |B|) scores, not the 63,000.
  EXPECT_LE(d->window_scores, 40000u);
  EXPECT_GT(d->window_start, 0.62);
}

TEST(DiceDecisionTest, NoMatchesAfterOneToOneClaimsNothing) {
  std::mt19937_64 rng(13);
  Labelled l;
  AddLookAlikes(l, 4990, rng);
  const std::vector<float> sample = RandomSample(200000, rng);
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(OneToOne(l, sample));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_LE(d->accepted, 50u) << d->reason;
  EXPECT_LE(d->expected_matches, 50.0) << d->reason;
}

TEST(DiceDecisionTest, NoMatchesAmongAllCandidatesClaimsNothing) {
  std::mt19937_64 rng(14);
  Labelled l;
  AddTail(l, 50000, 0.62, rng);
  const std::vector<float> sample = RandomSample(100000, rng);
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(AllCandidates(l, sample, 0.62));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->model, DiceModel::kNoMatches) << d->reason;
  EXPECT_EQ(d->accepted, 0u);
  EXPECT_EQ(d->threshold, 1.0);
  EXPECT_EQ(d->expected_matches, 0.0);
  EXPECT_THAT(d->reason, HasSubstr("no match component"));
}

TEST(DiceDecisionTest, EveryRecordMatchedAcceptsEverything) {
  std::mt19937_64 rng(15);
  Labelled l;
  AddMatches(l, 5000, 0.3, rng);
  const std::vector<float> sample = RandomSample(100000, rng);
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(OneToOne(l, sample));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->model, DiceModel::kMatchesOnly) << d->reason;
  EXPECT_EQ(d->accepted, 5000u);
  EXPECT_NEAR(d->expected_matches, 5000.0, 1.0);
  EXPECT_NEAR(d->f1, 1.0, 1e-9);
}

TEST(DiceDecisionTest, WorksWithoutARandomSample) {
  std::mt19937_64 rng(16);
  Labelled l;
  AddMatches(l, 3000, 0.3, rng);
  AddLookAlikes(l, 1990, rng);
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(OneToOne(l, {}));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->model, DiceModel::kMixture) << d->reason;
  EXPECT_GT(l.F1At(d->threshold), 0.98);
}

TEST(DiceDecisionTest, NoScores) {
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(OneToOne(Labelled{}, {}));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->model, DiceModel::kNoScores);
  EXPECT_EQ(d->threshold, 1.0);
  EXPECT_EQ(d->accepted, 0u);
  EXPECT_EQ(d->expected_matches, 0.0);
  EXPECT_EQ(d->reason, "no scores: nothing to accept");
}

TEST(DiceDecisionTest, TinyInputsGiveAnAnswerWithinRange) {
  std::mt19937_64 rng(17);
  for (std::size_t n : {1, 2, 3, 5, 10, 30}) {
    Labelled l;
    AddMatches(l, n / 2, 0.0, rng);
    AddLookAlikes(l, n - n / 2, rng);
    const std::vector<float> sample = RandomSample(1000, rng);
    for (bool one_to_one : {true, false}) {
      DiceScores in = OneToOne(l, sample);
      in.one_to_one = one_to_one;
      absl::StatusOr<DiceDecision> d = DecideDiceThreshold(in);
      ASSERT_TRUE(d.ok()) << n << ": " << d.status();
      EXPECT_GE(d->threshold, 0.5) << n;
      EXPECT_LE(d->threshold, 1.0) << n;
      EXPECT_LE(d->accepted, n);
      EXPECT_GE(d->expected_matches, 0.0);
      EXPECT_LE(d->expected_matches, static_cast<double>(n) + 1e-9);
      EXPECT_GE(d->f1, 0.0);
      EXPECT_LE(d->f1, 1.0);
      EXPECT_FALSE(d->reason.empty());
    }
  }
}

TEST(DiceDecisionTest, OnlyIdenticalClksAreAccepted) {
  Labelled l;
  for (int i = 0; i < 4; ++i) l.Add(1.0, true);
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(OneToOne(l, {}));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->model, DiceModel::kMatchesOnly) << d->reason;
  EXPECT_EQ(d->threshold, 1.0);
  EXPECT_EQ(d->accepted, 4u);
  EXPECT_EQ(d->expected_matches, 4.0);
  EXPECT_EQ(d->f1, 1.0);
}

TEST(DiceDecisionTest, ScoresAtTheFloorInSinglePrecisionAreAccepted) {
  // A candidate whose Dice reaches the floor may round to a float just below the double floor.
  const double floor = 0.6369313113291704;
  Labelled l;
  l.Add(static_cast<double>(static_cast<float>(floor)), false);
  ASSERT_LT(static_cast<double>(l.score[0]), floor);
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(AllCandidates(l, {}, floor));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->window_scores, 1u);
}

TEST(DiceDecisionTest, RefusesBadInput) {
  const std::vector<float> ok_scores = {0.7f, 0.9f};
  const std::vector<float> sample = {0.5f, 0.6f};
  const DiceScores ok{.scores = ok_scores,
                      .floor = 0.5,
                      .random_scores = sample,
                      .comparison_pairs = 100,
                      .records_a = 10,
                      .records_b = 10,
                      .one_to_one = true,
                      .look_alikes = {},
                      .look_alike_records = 0,
                      .look_alike_weights = {}};
  ASSERT_TRUE(DecideDiceThreshold(ok).ok());
  const auto with = [&](auto change) {
    DiceScores in = ok;
    change(in);
    return DecideDiceThreshold(in);
  };
  EXPECT_THAT(with([](DiceScores& in) { in.floor = -0.1; }),
              StatusIs(StatusCode::kInvalidArgument, "the floor must be in [0, 1)"));
  EXPECT_THAT(with([](DiceScores& in) { in.floor = 1.0; }),
              StatusIs(StatusCode::kInvalidArgument, "the floor must be in [0, 1)"));
  EXPECT_THAT(with([](DiceScores& in) { in.floor = std::numeric_limits<double>::quiet_NaN(); }),
              StatusIs(StatusCode::kInvalidArgument, "the floor must be in [0, 1)"));
  const std::vector<float> low = {0.7f, 0.4f};
  EXPECT_THAT(with([&](DiceScores& in) { in.scores = low; }),
              StatusIs(StatusCode::kInvalidArgument, "scores[1] is below the floor 0.5"));
  const std::vector<float> high = {1.5f};
  EXPECT_THAT(with([&](DiceScores& in) { in.scores = high; }),
              StatusIs(StatusCode::kInvalidArgument, "dice decision: scores[0] is above 1"));
  EXPECT_EQ(with([&](DiceScores& in) { in.scores = high; }).status().message(),
            "dice decision: scores[0] is above 1");
  const std::vector<float> nan = {0.7f, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_THAT(with([&](DiceScores& in) { in.scores = nan; }),
              StatusIs(StatusCode::kInvalidArgument, "scores[1] is not a number"));
  const std::vector<float> bad_sample = {0.5f, -0.2f};
  EXPECT_THAT(with([&](DiceScores& in) { in.random_scores = bad_sample; }),
              StatusIs(StatusCode::kInvalidArgument, "random_scores[1] is outside [0, 1]"));
  EXPECT_THAT(with([&](DiceScores& in) { in.random_scores = nan; }),
              StatusIs(StatusCode::kInvalidArgument, "random_scores[1] is not a number"));
  EXPECT_THAT(with([](DiceScores& in) { in.records_a = 0; }),
              StatusIs(StatusCode::kInvalidArgument, "records_a and records_b must be at least 1"));
  EXPECT_THAT(with([](DiceScores& in) { in.records_b = 0; }),
              StatusIs(StatusCode::kInvalidArgument, "records_a and records_b must be at least 1"));
  EXPECT_THAT(with([](DiceScores& in) { in.comparison_pairs = 0; }),
              StatusIs(StatusCode::kInvalidArgument, "comparison_pairs must be at least 1"));
  EXPECT_THAT(with([](DiceScores& in) { in.comparison_pairs = 101; }),
              StatusIs(StatusCode::kInvalidArgument,
                       "comparison_pairs (101) exceeds records_a x records_b (10 x 10)"));
  EXPECT_THAT(
      with([](DiceScores& in) { in.comparison_pairs = 1; }),
      StatusIs(StatusCode::kInvalidArgument, "2 scores but only 1 pairs in the comparison space"));
  EXPECT_THAT(with([](DiceScores& in) {
                in.records_a = 1;
                in.comparison_pairs = 10;
              }),
              StatusIs(StatusCode::kInvalidArgument,
                       "2 scores resolved one-to-one, more than the smaller dataset's 1 records"));
  const std::vector<float> look = {0.6f, 0.45f};
  EXPECT_THAT(with([&](DiceScores& in) {
                in.look_alikes = look;
                in.look_alike_records = 10;
              }),
              StatusIs(StatusCode::kInvalidArgument, "look_alikes[1] is outside [floor, 1]"));
  EXPECT_THAT(with([&](DiceScores& in) { in.look_alikes = sample; }),
              StatusIs(StatusCode::kInvalidArgument, "look_alike_records is 0"));
  EXPECT_THAT(with([&](DiceScores& in) {
                in.look_alikes = sample;
                in.look_alike_records = 1;
              }),
              StatusIs(StatusCode::kInvalidArgument,
                       "2 best look-alikes from 1 sampled records: at most one each"));
  const std::vector<double> weights = {1.0, 0.0};
  EXPECT_THAT(with([&](DiceScores& in) {
                in.look_alikes = sample;
                in.look_alike_records = 10;
                in.look_alike_weights = weights;
              }),
              StatusIs(StatusCode::kInvalidArgument, "look_alike_weights are for links without"));
  EXPECT_THAT(with([&](DiceScores& in) {
                in.look_alikes = sample;
                in.look_alike_records = 10;
                in.one_to_one = false;
              }),
              StatusIs(StatusCode::kInvalidArgument, "0 look_alike_weights for 2 look_alikes"));
  EXPECT_THAT(with([&](DiceScores& in) {
                in.look_alikes = sample;
                in.look_alike_records = 10;
                in.look_alike_weights = weights;
                in.one_to_one = false;
              }),
              StatusIs(StatusCode::kInvalidArgument, "look_alike_weights[1] must be a positive"));
  EXPECT_THAT(with([&](DiceScores& in) {
                in.scores = low;
                in.look_alike_records = 10;
              }),
              StatusIs(StatusCode::kInvalidArgument, "scores[1] is below the floor 0.5"));
  // Without one-to-one, more scores than records is normal.
  EXPECT_TRUE(with([](DiceScores& in) {
                in.records_a = 1;
                in.comparison_pairs = 10;
                in.one_to_one = false;
              }).ok());
}

TEST(DiceDecisionTest, DeterministicAndIndependentOfOrder) {
  std::mt19937_64 rng(18);
  Labelled l;
  AddMatches(l, 2000, 0.2, rng);
  AddTail(l, 30000, 0.62, rng);
  const std::vector<float> sample = RandomSample(50000, rng);
  absl::StatusOr<DiceDecision> first = DecideDiceThreshold(AllCandidates(l, sample, 0.62));
  ASSERT_TRUE(first.ok()) << first.status();
  std::vector<float> shuffled = l.score;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::vector<float> shuffled_sample = sample;
  std::shuffle(shuffled_sample.begin(), shuffled_sample.end(), rng);
  for (int round = 0; round < 2; ++round) {
    DiceScores in = AllCandidates(l, sample, 0.62);
    if (round == 1) {
      in.scores = shuffled;
      in.random_scores = shuffled_sample;
    }
    absl::StatusOr<DiceDecision> again = DecideDiceThreshold(in);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->threshold, first->threshold);
    EXPECT_EQ(again->accepted, first->accepted);
    EXPECT_EQ(again->expected_matches, first->expected_matches);
    EXPECT_EQ(again->expected_false_matches, first->expected_false_matches);
    EXPECT_EQ(again->expected_missed_matches, first->expected_missed_matches);
    EXPECT_EQ(again->f1, first->f1);
    EXPECT_EQ(again->equal_odds_threshold, first->equal_odds_threshold);
    EXPECT_EQ(again->reason, first->reason);
  }
}

// The look-alike decision (two datasets): the non-matches among the resolved pairs are best
// look-alikes, drawn like the look-alikes given. Corrupted matches overlap them heavily (the
// case the mixture failed on: a single threshold reaches F1 of about 0.9 at best).
TEST(DiceDecisionTest, LookAlikesPlaceTheThresholdOnOverlappingScores) {
  std::mt19937_64 rng(31);
  Labelled l;
  std::normal_distribution<double> corrupted(0.74, 0.06);
  std::normal_distribution<double> look_alike(0.66, 0.03);
  for (int i = 0; i < 1500; ++i) l.Add(std::max(0.6, corrupted(rng)), true);
  for (int i = 0; i < 500; ++i) l.Add(1.0, true);
  for (int i = 0; i < 2500; ++i) l.Add(std::max(0.6, look_alike(rng)), false);
  std::vector<float> look;
  for (int i = 0; i < 4000; ++i) look.push_back(static_cast<float>(std::max(0.6, look_alike(rng))));
  DiceScores in = OneToOne(l, {}, 0.6);
  in.look_alikes = look;
  in.look_alike_records = 4000;
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(in);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->model, DiceModel::kLookAlikes) << d->reason;
  double best = 0.0;
  for (double t = 0.6; t <= 1.0; t += 0.0025) best = std::max(best, l.F1At(t));
  const double f1 = l.F1At(d->threshold);
  EXPECT_GT(f1, best - 0.01) << d->reason;
  // The matches scoring below the look-alikes' median (about 140 of them here) count as
  // non-matches there, twice over: the estimates lean to fewer matches (about 1,750).
  EXPECT_NEAR(d->f1, f1, 0.06) << d->reason;
  EXPECT_NEAR(d->expected_matches, 2000.0, 300.0) << d->reason;
  EXPECT_LT(d->expected_matches, 2000.0) << d->reason;
  EXPECT_NE(d->reason.find("non-matches among the 4,500 one-to-one resolved pairs"),
            std::string::npos)
      << d->reason;
}

// Where the datasets share nobody, the resolved pairs look like the look-alikes: nothing is
// claimed, with or without one-to-one.
TEST(DiceDecisionTest, LookAlikesClaimNothingWithoutMatches) {
  std::mt19937_64 rng(32);
  std::normal_distribution<double> look_alike(0.66, 0.03);
  Labelled l;
  for (int i = 0; i < 4000; ++i) l.Add(std::max(0.6, look_alike(rng)), false);
  std::vector<float> look;
  for (int i = 0; i < 4000; ++i) look.push_back(static_cast<float>(std::max(0.6, look_alike(rng))));
  DiceScores in = OneToOne(l, {}, 0.6);
  in.look_alikes = look;
  in.look_alike_records = 4000;
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(in);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->accepted, 0u) << d->reason;
  EXPECT_EQ(d->threshold, 1.0);
  EXPECT_NE(d->reason.find("only scores of exactly 1 accepted"), std::string::npos) << d->reason;

  // All candidates: the tail of all pairs, and look-alike pairs standing for 2 each.
  Labelled tail;
  AddTail(tail, 20000, 0.62, rng);
  Labelled tail_look;
  AddTail(tail_look, 10000, 0.62, rng);
  const std::vector<double> weights(10000, 2.0);
  DiceScores all = AllCandidates(tail, {}, 0.62);
  all.look_alikes = tail_look.score;
  all.look_alike_records = 4000;
  all.look_alike_weights = weights;
  d = DecideDiceThreshold(all);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->accepted, 0u) << d->reason;
}

// Without one-to-one: every candidate at or above the floor, the look-alike pairs weighted.
TEST(DiceDecisionTest, LookAlikePairsCountTheNonMatchesOfAllCandidates) {
  std::mt19937_64 rng(33);
  Labelled l;
  AddMatches(l, 2000, 0.2, rng);
  AddTail(l, 30000, 0.62, rng);
  Labelled look;
  AddTail(look, 15000, 0.62, rng);
  const std::vector<double> weights(15000, 2.0);
  DiceScores in = AllCandidates(l, {}, 0.62);
  in.look_alikes = look.score;
  in.look_alike_records = 2000;
  in.look_alike_weights = weights;
  absl::StatusOr<DiceDecision> d = DecideDiceThreshold(in);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->model, DiceModel::kLookAlikes);
  double best = 0.0;
  for (double t = 0.62; t <= 1.0; t += 0.0025) best = std::max(best, l.F1At(t));
  EXPECT_GT(l.F1At(d->threshold), best - 0.01) << d->reason;
  // The number of matches is the candidates less the look-alikes' estimate at the floor, where
  // both are large: 15,000 look-alikes standing for 2 each leave it uncertain by about 250 (of
  // 2,000), so the estimated F1 is only roughly right.
  EXPECT_NEAR(d->f1, l.F1At(d->threshold), 0.1) << d->reason;
  // The same input in another order gives the same decision.
  std::vector<float> shuffled = l.score;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  in.scores = shuffled;
  absl::StatusOr<DiceDecision> again = DecideDiceThreshold(in);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->threshold, d->threshold);
  EXPECT_EQ(again->expected_false_matches, d->expected_false_matches);
  EXPECT_EQ(again->reason, d->reason);
}

TEST(DiceDecisionTest, ModelNames) {
  EXPECT_EQ(DiceModelName(DiceModel::kLookAlikes), "look-alikes");
  EXPECT_EQ(DiceModelName(DiceModel::kNoScores), "no scores");
  EXPECT_EQ(DiceModelName(DiceModel::kMixture), "mixture");
  EXPECT_EQ(DiceModelName(DiceModel::kMatchesOnly), "matches only");
  EXPECT_EQ(DiceModelName(DiceModel::kNoMatches), "no matches");
}

}  // namespace
}  // namespace bloomlink::score
