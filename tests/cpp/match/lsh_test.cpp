// Hamming LSH against brute force: every pair it finds is a true candidate with the exhaustive
// search's score, the share it finds is the one predicted, buckets over the cap are skipped and
// counted, and the result is the same for any thread count and kernel.
#include "bloomlink/match/lsh.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>
#include <set>
#include <tuple>

#include "random_matrix.hpp"
#include "test_support.hpp"
#include "triples.hpp"

namespace bloomlink::match {
namespace {

using ::absl::StatusCode;
using testing::StatusIs;

using testing_matrices::Sorted;
using testing_matrices::Triple;
using testing_matrices::Triples;

using testing_matrices::RandomMatrix;

// Copies(a, flips, rng): row r is a's row r with flips[r % flips.size()] random bits flipped.
BitMatrix Copies(const BitMatrix& a, const std::vector<std::size_t>& flips, std::mt19937_64& rng) {
  BitMatrix m(a.rows(), a.bits());
  for (std::size_t r = 0; r < a.rows(); ++r) {
    std::memcpy(m.row_bytes(r), a.row_bytes(r), a.words_per_row() * 8);
    std::set<std::size_t> flipped;
    while (flipped.size() < flips[r % flips.size()]) flipped.insert(rng() % a.bits());
    for (std::size_t bit : flipped) {
      m.row_bytes(r)[bit / 8] ^= static_cast<std::uint8_t>(0x80u >> (bit % 8));
    }
  }
  m.UpdatePopcounts();
  return m;
}

CandidateOptions At(double threshold, bool same = false) {
  CandidateOptions o;
  o.threshold = threshold;
  o.same_dataset = same;
  return o;
}

TEST(LshTest, FindsOnlyTrueCandidatesWithTheirScoresOnceEachInOrder) {
  std::mt19937_64 rng(1);
  const BitMatrix a = RandomMatrix(1500, 1024, 0.3, rng);
  const BitMatrix b = Copies(a, {20, 60, 120, 200, 400}, rng);
  const double t = 0.8;
  auto exhaustive = FindCandidates(a, b, At(t));
  ASSERT_TRUE(exhaustive.ok());
  const std::vector<Triple> truth = Sorted(Triples(*exhaustive));
  LshOptions lsh;
  auto plan = PlanLsh(a, b, t, false, lsh);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->informative_positions, 1024u);
  EXPECT_GE(plan->predicted_completeness, 0.99);
  LshStats stats;
  auto found = FindCandidatesLsh(a, b, At(t), *plan, &stats);
  ASSERT_TRUE(found.ok()) << found.status();
  const std::vector<Triple> got = Triples(*found);
  EXPECT_EQ(got, Sorted(got)) << "ordered by (left, right)";
  EXPECT_EQ(std::set<Triple>(got.begin(), got.end()).size(), got.size()) << "each pair once";
  // A subset of the exhaustive candidates, with the same scores.
  std::vector<Triple> missing;
  std::set_difference(truth.begin(), truth.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  EXPECT_EQ(truth.size() - missing.size(), got.size()) << "every found pair is a candidate";
  // Pairs well above the threshold are nearly all found.
  EXPECT_GE(static_cast<double>(got.size()), 0.99 * static_cast<double>(truth.size()));
  // As many comparisons as planned (random pairs collide in a table with q^K), fewer than all.
  EXPECT_LT(stats.comparisons, a.rows() * b.rows());
  EXPECT_NEAR(static_cast<double>(stats.comparisons), plan->expected_comparisons,
              0.25 * plan->expected_comparisons);
  EXPECT_GT(stats.buckets, 0u);
  EXPECT_EQ(stats.capped_buckets, 0u);
}

// The recall at a known distance is 1 - (1 - p^K)^L with p the share of agreeing positions: the
// prediction the plan makes at the threshold.
TEST(LshTest, RecallIsAsPredicted) {
  std::mt19937_64 rng(2);
  const std::size_t n = 4000, bits = 1024, flips = 160;
  const BitMatrix a = RandomMatrix(n, bits, 0.3, rng);
  const BitMatrix b = Copies(a, {flips}, rng);
  LshOptions lsh;
  lsh.bits = 12;
  lsh.tables = 4;
  auto plan = PlanLsh(a, b, 0.5, false, lsh);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->informative_positions, bits);
  // The pair (r, r) differs in exactly `flips` of the 1,024 positions, all informative.
  const double p = 1.0 - static_cast<double>(flips) / static_cast<double>(bits);
  const double predicted = 1.0 - std::pow(1.0 - std::pow(p, 12), 4);
  auto found = FindCandidatesLsh(a, b, At(0.5), *plan);
  ASSERT_TRUE(found.ok());
  std::size_t hits = 0;
  for (std::size_t i = 0; i < found->size(); ++i) {
    hits += found->left[i] == found->right[i] ? 1 : 0;
  }
  const double recall = static_cast<double>(hits) / static_cast<double>(n);
  // Binomial standard deviation over 4,000 pairs: about 0.008; tables share no positions'
  // draws, so the tables are close to independent.
  EXPECT_NEAR(recall, predicted, 0.03) << "predicted " << predicted;
}

TEST(LshTest, SameResultForAnyThreadCountKernelAndRunWithOneSeed) {
  std::mt19937_64 rng(3);
  const BitMatrix a = RandomMatrix(700, 512, 0.35, rng);
  const BitMatrix b = Copies(a, {10, 40, 90}, rng);
  auto plan = PlanLsh(a, b, 0.75, false, LshOptions());
  ASSERT_TRUE(plan.ok());
  CandidateOptions options = At(0.75);
  options.threads = 1;
  auto first = FindCandidatesLsh(a, b, options, *plan);
  ASSERT_TRUE(first.ok());
  for (int threads : {2, 3, 0}) {
    options.threads = threads;
    for (const KernelTable* kernel : SupportedKernels()) {
      options.kernel = kernel;
      auto again = FindCandidatesLsh(a, b, options, *plan);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(Triples(*again), Triples(*first)) << threads << " " << kernel->name;
    }
  }
  auto replanned = PlanLsh(a, b, 0.75, false, LshOptions());
  ASSERT_TRUE(replanned.ok());
  EXPECT_EQ(replanned->positions, plan->positions);
  LshOptions other_seed;
  other_seed.seed = 2;
  EXPECT_NE(PlanLsh(a, b, 0.75, false, other_seed)->positions, plan->positions);
}

TEST(LshTest, DeduplicationFindsEachPairOfTwoRecordsOnce) {
  std::mt19937_64 rng(4);
  const BitMatrix base = RandomMatrix(600, 1024, 0.3, rng);
  const BitMatrix copies = Copies(base, {30, 80}, rng);
  BitMatrix both(1200, 1024);
  for (std::size_t r = 0; r < 600; ++r) {
    std::memcpy(both.row_bytes(r), base.row_bytes(r), base.words_per_row() * 8);
    std::memcpy(both.row_bytes(600 + r), copies.row_bytes(r), base.words_per_row() * 8);
  }
  both.UpdatePopcounts();
  auto exhaustive = FindCandidates(both, both, At(0.8, true));
  ASSERT_TRUE(exhaustive.ok());
  const std::vector<Triple> truth = Sorted(Triples(*exhaustive));
  auto plan = PlanLsh(both, both, 0.8, true, LshOptions());
  ASSERT_TRUE(plan.ok());
  auto found = FindCandidatesLsh(both, both, At(0.8, true), *plan);
  ASSERT_TRUE(found.ok());
  const std::vector<Triple> got = Triples(*found);
  for (const auto& [l, r, s] : got) EXPECT_LT(l, r);
  EXPECT_TRUE(std::includes(truth.begin(), truth.end(), got.begin(), got.end()));
  EXPECT_GE(static_cast<double>(got.size()), 0.99 * static_cast<double>(truth.size()));
}

TEST(LshTest, OversizedBucketsAreSkippedAndCounted) {
  std::mt19937_64 rng(5);
  const BitMatrix a = RandomMatrix(400, 256, 0.3, rng);
  const BitMatrix b = Copies(a, {5}, rng);
  LshOptions lsh;
  lsh.bits = 2;  // four buckets per table: about 10,000 pairs each
  lsh.tables = 3;
  lsh.max_bucket_pairs = 5000;
  auto plan = PlanLsh(a, b, 0.9, false, lsh);
  ASSERT_TRUE(plan.ok());
  LshStats stats;
  auto found = FindCandidatesLsh(a, b, At(0.9), *plan, &stats);
  ASSERT_TRUE(found.ok());
  EXPECT_GT(stats.capped_buckets, 0u);
  EXPECT_GT(stats.capped_pairs, 0u);
  EXPECT_GT(stats.largest_bucket_pairs, 5000u);
  lsh.max_bucket_pairs = 0;  // no cap: every bucket compared, every copy found
  auto uncapped = PlanLsh(a, b, 0.9, false, lsh);
  LshStats all;
  auto more = FindCandidatesLsh(a, b, At(0.9), *uncapped, &all);
  ASSERT_TRUE(more.ok());
  EXPECT_EQ(all.capped_buckets, 0u);
  EXPECT_GT(more->size(), found->size());
  EXPECT_EQ(all.comparisons, stats.comparisons + stats.capped_pairs);
}

TEST(LshTest, RefusesWhatItCannotDo) {
  std::mt19937_64 rng(6);
  const BitMatrix a = RandomMatrix(50, 256, 0.3, rng);
  const BitMatrix empty(50, 256);
  EXPECT_THAT(PlanLsh(empty, empty, 0.8, true, LshOptions()),
              StatusIs(StatusCode::kInvalidArgument, "no bit position is set in between 5%"));
  LshOptions bad;
  bad.completeness = 1.0;
  EXPECT_THAT(PlanLsh(a, a, 0.8, true, bad),
              StatusIs(StatusCode::kInvalidArgument, "completeness must be in (0, 1)"));
  bad = LshOptions();
  bad.bits = 65;
  EXPECT_THAT(PlanLsh(a, a, 0.8, true, bad),
              StatusIs(StatusCode::kInvalidArgument, "bits per key must be 0"));
  EXPECT_THAT(PlanLsh(a, a, 0.0, true, LshOptions()),
              StatusIs(StatusCode::kInvalidArgument, "threshold in (0, 1]"));
  const BitMatrix wider(10, 512);
  EXPECT_THAT(PlanLsh(a, wider, 0.8, false, LshOptions()),
              StatusIs(StatusCode::kInvalidArgument, "filter lengths differ"));
  auto plan = PlanLsh(a, a, 0.8, true, LshOptions());
  ASSERT_TRUE(plan.ok());
  CandidateOptions top = At(0.8, true);
  top.top_k = 3;
  EXPECT_THAT(FindCandidatesLsh(a, a, top, *plan),
              StatusIs(StatusCode::kInvalidArgument, "top-k must be 0"));
}

}  // namespace
}  // namespace bloomlink::match
