// Keyed blocking against brute force: exactly the candidate pairs (Dice >= threshold) that share
// a token in some rule, with the exhaustive search's scores, once each, in (left, right) order,
// the same for any thread count; oversized blocks skipped, counted and warned about; datasets
// without tokens or with other rules refused.
#include "bloomlink/match/keyed_blocking.hpp"

#include <algorithm>
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
using testing_matrices::RandomMatrix;

using testing_matrices::Triple;
using testing_matrices::Triples;

// RandomKeys(rows, rules, values, missing, rng): each token one of `values` values (1..values),
// or none with probability `missing`.
BlockingKeys RandomKeys(std::size_t rows, std::size_t rules, std::uint64_t values, double missing,
                        std::mt19937_64& rng) {
  BlockingKeys k;
  for (std::size_t r = 0; r < rules; ++r) k.rules.push_back("rule" + std::to_string(r));
  std::bernoulli_distribution absent(missing);
  for (std::size_t i = 0; i < rows * rules; ++i) {
    k.tokens.push_back(absent(rng) ? kNoBlockingToken : 1 + rng() % values);
  }
  return k;
}

CandidateOptions Keyed(double threshold, const BlockingKeys& a, const BlockingKeys& b,
                       bool same = false) {
  CandidateOptions o;
  o.threshold = threshold;
  o.same_dataset = same;
  o.blocking = Blocking::kKeys;
  o.keys.a = &a;
  o.keys.b = &b;
  return o;
}

// BruteForce: the exhaustive candidates that share a token.
std::vector<Triple> BruteForce(const BitMatrix& a, const BitMatrix& b, const BlockingKeys& ka,
                               const BlockingKeys& kb, double t, bool same) {
  CandidateOptions o;
  o.threshold = t;
  o.same_dataset = same;
  auto all = FindCandidates(a, b, o);
  EXPECT_TRUE(all.ok());
  std::vector<Triple> out;
  for (const Triple& p : Triples(*all)) {
    if (KeysShared(ka, std::get<0>(p), kb, std::get<1>(p))) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(KeyedBlockingTest, FindsExactlyTheCandidatesSharingATokenOnceEachInOrder) {
  std::mt19937_64 rng(7);
  const BitMatrix a = RandomMatrix(700, 256, 0.3, rng);
  const BitMatrix b = RandomMatrix(600, 256, 0.3, rng);
  const BlockingKeys ka = RandomKeys(a.rows(), 3, 40, 0.1, rng);
  const BlockingKeys kb = RandomKeys(b.rows(), 3, 40, 0.1, rng);
  for (double t : {0.0, 0.2, 0.3}) {
    SCOPED_TRACE(t);
    const std::vector<Triple> expected = BruteForce(a, b, ka, kb, t, false);
    ASSERT_FALSE(expected.empty());
    for (int threads : {1, 2, 3}) {
      CandidateOptions o = Keyed(t, ka, kb);
      o.threads = threads;
      CandidateStats stats;
      auto got = FindCandidates(a, b, o, &stats);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(Triples(*got), expected);  // sorted, each pair once, the same scores
      EXPECT_EQ(stats.candidates, expected.size());
      EXPECT_GT(stats.comparisons, 0u);
      EXPECT_LT(stats.comparisons, stats.pairs);
      EXPECT_NE(stats.blocking_reason.find("keyed blocking: pairs sharing a token of 3 rules"),
                std::string::npos);
    }
  }
}

TEST(KeyedBlockingTest, WithinOneDatasetEachPairOnce) {
  std::mt19937_64 rng(8);
  const BitMatrix a = RandomMatrix(900, 128, 0.4, rng);
  const BlockingKeys ka = RandomKeys(a.rows(), 2, 30, 0.2, rng);
  const std::vector<Triple> expected = BruteForce(a, a, ka, ka, 0.4, true);
  ASSERT_FALSE(expected.empty());
  for (int threads : {1, 2}) {
    CandidateOptions o = Keyed(0.4, ka, ka, true);
    o.threads = threads;
    auto got = FindCandidates(a, a, o);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Triples(*got), expected);
    for (const Triple& p : Triples(*got)) ASSERT_LT(std::get<0>(p), std::get<1>(p));
  }
}

TEST(KeyedBlockingTest, OversizedBlocksAreSkippedCountedAndWarnedAbout) {
  std::mt19937_64 rng(9);
  const BitMatrix a = RandomMatrix(400, 128, 0.3, rng);
  const BitMatrix b = RandomMatrix(400, 128, 0.3, rng);
  // Rule 0: every record shares one token (a placeholder value); rule 1: small blocks.
  BlockingKeys ka = RandomKeys(a.rows(), 2, 50, 0.0, rng);
  BlockingKeys kb = RandomKeys(b.rows(), 2, 50, 0.0, rng);
  for (std::size_t i = 0; i < a.rows(); ++i) ka.tokens[i * 2] = 99;
  for (std::size_t i = 0; i < b.rows(); ++i) kb.tokens[i * 2] = 99;
  CandidateOptions o = Keyed(0.0, ka, kb);
  o.keys.max_block_pairs = 1000;
  KeyedBlockingStats stats;
  auto got = FindCandidatesByKeys(a, b, o, &stats);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(stats.capped_blocks, 1u);
  EXPECT_EQ(stats.capped_pairs, 400u * 400u);
  ASSERT_EQ(stats.rules.size(), 2u);
  EXPECT_EQ(stats.rules[0].largest_pairs, 400u * 400u);
  EXPECT_EQ(stats.rules[0].largest_a, 400u);
  // Only rule 1's pairs remain (threshold 0: every pair compared is a candidate).
  std::size_t rule1_pairs = 0;
  for (std::size_t i = 0; i < a.rows(); ++i) {
    for (std::size_t j = 0; j < b.rows(); ++j) rule1_pairs += ka.token(i, 1) == kb.token(j, 1);
  }
  EXPECT_EQ(got->size(), rule1_pairs);
  const std::vector<std::string> warnings =
      BlockingWarnings(stats.rules, stats.capped_blocks, stats.capped_pairs, 1000);
  ASSERT_EQ(warnings.size(), 1u);  // 160,000 pairs: under kLargeBlockPairs, but capped
  EXPECT_NE(warnings[0].find("1 blocks of more than 1,000 pairs were not compared (160,000"),
            std::string::npos);
  KeyedRuleBlocks large;
  large.rule = "postcode";
  large.largest_a = 2000;
  large.largest_b = 1000;
  large.largest_pairs = 2000000;
  EXPECT_THAT(BlockingWarnings({large}, 0, 0, 1000),
              ::testing::ElementsAre(::testing::HasSubstr(
                  "blocking rule postcode: one token is shared by 2,000 records of the first "
                  "dataset and 1,000 of the second (2,000,000 pairs")));
}

TEST(KeyedBlockingTest, CountsBlocksWithoutComparing) {
  BlockingKeys a, b;
  a.rules = b.rules = {"r"};
  a.tokens = {5, 5, 7, kNoBlockingToken, 9};
  b.tokens = {5, 7, 7, 7, 8};
  auto blocks = CountKeyedBlocks(a, b, false);
  ASSERT_TRUE(blocks.ok()) << blocks.status();
  ASSERT_EQ(blocks->size(), 1u);
  const KeyedRuleBlocks& r = (*blocks)[0];
  EXPECT_EQ(r.a_with_token, 4u);
  EXPECT_EQ(r.b_with_token, 5u);
  EXPECT_EQ(r.blocks, 2u);         // 5 and 7
  EXPECT_EQ(r.pairs, 2u * 1 + 3);  // 5: 2 x 1, 7: 1 x 3
  EXPECT_EQ(r.largest_pairs, 3u);
  EXPECT_EQ(r.largest_a, 1u);
  EXPECT_EQ(r.largest_b, 3u);
  auto within = CountKeyedBlocks(a, a, true);
  ASSERT_TRUE(within.ok());
  EXPECT_EQ((*within)[0].pairs, 1u);  // the two records with token 5
}

TEST(KeyedBlockingTest, SamplesDrawnFromTheComparedPairs) {
  std::mt19937_64 rng(11);
  const BlockingKeys ka = RandomKeys(300, 3, 20, 0.2, rng);
  const BlockingKeys kb = RandomKeys(200, 3, 20, 0.2, rng);
  for (bool same : {false, true}) {
    SCOPED_TRACE(same);
    const BlockingKeys& other = same ? ka : kb;
    auto blocks = CountKeyedBlocks(ka, other, same);
    ASSERT_TRUE(blocks.ok());
    std::uint64_t compared = 0;
    for (const KeyedRuleBlocks& rule : *blocks) compared += rule.pairs;
    auto sample = SampleKeyedPairs(ka, other, same, 5000, 42);
    ASSERT_TRUE(sample.ok()) << sample.status();
    EXPECT_EQ(sample->compared, compared);
    ASSERT_EQ(sample->left.size(), std::min<std::uint64_t>(5000, compared));
    std::set<std::pair<std::uint32_t, std::uint32_t>> distinct;
    for (std::size_t s = 0; s < sample->left.size(); ++s) {
      ASSERT_TRUE(KeysShared(ka, sample->left[s], other, sample->right[s]));
      if (same) {
        ASSERT_LT(sample->left[s], sample->right[s]);
      }
      distinct.insert({sample->left[s], sample->right[s]});
    }
    EXPECT_GT(distinct.size(), compared / 4);  // spread over the blocks, not a few pairs
    auto again = SampleKeyedPairs(ka, other, same, 5000, 42);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->left, sample->left);
    EXPECT_EQ(again->right, sample->right);
  }
}

TEST(KeyedBlockingTest, RefusedWithoutTokensOrWithOtherRules) {
  std::mt19937_64 rng(10);
  const BitMatrix a = RandomMatrix(10, 64, 0.3, rng);
  const BlockingKeys ka = RandomKeys(10, 2, 5, 0.0, rng);
  const BlockingKeys none;
  EXPECT_THAT(FindCandidates(a, a, Keyed(0.5, ka, none)),
              StatusIs(StatusCode::kFailedPrecondition,
                       "keyed blocking needs blocking tokens in both datasets"));
  BlockingKeys other = ka;
  other.rules[1] = "postcode_sex";
  EXPECT_THAT(FindCandidates(a, a, Keyed(0.5, ka, other)),
              StatusIs(StatusCode::kFailedPrecondition,
                       "the datasets' blocking rules differ (rule0, rule1 and rule0, "
                       "postcode_sex): they were encoded with different schemas"));
  BlockingKeys short_keys = ka;
  short_keys.tokens.pop_back();
  EXPECT_THAT(FindCandidates(a, a, Keyed(0.5, ka, short_keys)),
              StatusIs(StatusCode::kInvalidArgument, "19 tokens for 10 records and 2 rules"));
  CandidateOptions top = Keyed(0.5, ka, ka);
  top.top_k = 3;
  EXPECT_THAT(FindCandidates(a, a, top), StatusIs(StatusCode::kInvalidArgument, "top-k"));
}

}  // namespace
}  // namespace bloomlink::match
