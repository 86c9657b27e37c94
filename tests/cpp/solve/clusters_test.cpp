// Multi-party clusters: connected components chain, average link does not; unique sources hold a
// person at most once; the result does not depend on the order of the pairs; bad input refused.
#include "bloomlink/solve/clusters.hpp"

#include <algorithm>
#include <random>

#include "bloomlink/eval/clusters.hpp"
#include "test_support.hpp"

namespace bloomlink::solve {
namespace {

using ::bloomlink::testing::StatusIs;

std::vector<std::uint32_t> Cluster(std::uint32_t n, const std::vector<LinkedPair>& pairs,
                                   ClusterMethod method, std::vector<std::uint32_t> source = {},
                                   std::vector<std::uint32_t> unique = {}) {
  ClusterInput input;
  input.records = n;
  input.source = source;
  input.unique_sources = unique;
  ClusterOptions options;
  options.method = method;
  auto labels = ClusterRecords(input, pairs, options);
  EXPECT_TRUE(labels.ok()) << labels.status();
  return labels.ok() ? *labels : std::vector<std::uint32_t>{};
}

TEST(ClustersTest, AverageLinkDoesNotChain) {
  // A ~ B and B ~ C strongly, A and C never linked: components make one person of three,
  // average link keeps C apart ({A, B} and C average (0.9 + 0) / 2 = 0.45).
  const std::vector<LinkedPair> pairs = {{0, 1, 0.95f}, {1, 2, 0.9f}};
  EXPECT_EQ(Cluster(3, pairs, ClusterMethod::kConnectedComponents),
            (std::vector<std::uint32_t>{0, 0, 0}));
  EXPECT_EQ(Cluster(3, pairs, ClusterMethod::kAverageLink), (std::vector<std::uint32_t>{0, 0, 1}));
  // With A ~ C too, the three are one person.
  const std::vector<LinkedPair> triangle = {{0, 1, 0.95f}, {1, 2, 0.9f}, {0, 2, 0.6f}};
  EXPECT_EQ(Cluster(3, triangle, ClusterMethod::kAverageLink),
            (std::vector<std::uint32_t>{0, 0, 0}));
}

TEST(ClustersTest, PairsMissingAcrossSourcesDoNotCountAgainst) {
  // A (source 0) ~ B (source 1) and B ~ C (source 2); A and C were never linked. Across
  // sources, linked one-to-one, the missing pair is no evidence against: one person. The same
  // records in one source stay apart (previous test).
  const std::vector<LinkedPair> pairs = {{0, 1, 0.95f}, {1, 2, 0.9f}};
  EXPECT_EQ(Cluster(3, pairs, ClusterMethod::kAverageLink, {0, 1, 2}),
            (std::vector<std::uint32_t>{0, 0, 0}));
  // Two records of source 1 (B and D) both linked to A: within source 1 the unlinked pair B, D
  // counts 0, so {A, B} and D average (0.9 + 0) / 2 = 0.45 and D stays apart; linked to B as
  // well, it joins.
  const std::vector<LinkedPair> dup = {{0, 1, 0.95f}, {0, 3, 0.9f}};
  EXPECT_EQ(Cluster(4, dup, ClusterMethod::kAverageLink, {0, 1, 2, 1}),
            (std::vector<std::uint32_t>{0, 0, 1, 2}));
  const std::vector<LinkedPair> dup_linked = {{0, 1, 0.95f}, {0, 3, 0.9f}, {1, 3, 0.8f}};
  EXPECT_EQ(Cluster(4, dup_linked, ClusterMethod::kAverageLink, {0, 1, 2, 1}),
            (std::vector<std::uint32_t>{0, 0, 1, 0}));
}

TEST(ClustersTest, OneFalsePairDoesNotMergeTwoGroups) {
  // Two persons of four records each, fully linked within; one false pair between them.
  std::vector<LinkedPair> pairs;
  for (std::uint32_t g = 0; g < 2; ++g) {
    for (std::uint32_t i = 0; i < 4; ++i) {
      for (std::uint32_t j = i + 1; j < 4; ++j) pairs.push_back({4 * g + i, 4 * g + j, 0.97f});
    }
  }
  pairs.push_back({3, 4, 0.8f});
  EXPECT_EQ(Cluster(8, pairs, ClusterMethod::kConnectedComponents),
            std::vector<std::uint32_t>(8, 0));
  EXPECT_EQ(Cluster(8, pairs, ClusterMethod::kAverageLink),
            (std::vector<std::uint32_t>{0, 0, 0, 0, 1, 1, 1, 1}));
}

TEST(ClustersTest, UniqueSourcesHoldAPersonOnce) {
  // Records 0 and 1 are both from source 0 (unique), both linked to record 2 (source 1).
  const std::vector<LinkedPair> pairs = {{0, 2, 0.9f}, {1, 2, 0.95f}, {0, 1, 0.9f}};
  const std::vector<std::uint32_t> source = {0, 0, 1};
  for (ClusterMethod method : {ClusterMethod::kConnectedComponents, ClusterMethod::kAverageLink}) {
    const std::vector<std::uint32_t> labels = Cluster(3, pairs, method, source, {0});
    EXPECT_NE(labels[0], labels[1]);
    EXPECT_EQ(labels[1], labels[2]) << "the stronger link wins";
    // Not unique: one person.
    EXPECT_EQ(Cluster(3, pairs, method, source, {}), (std::vector<std::uint32_t>{0, 0, 0}));
  }
}

TEST(ClustersTest, OrderOfPairsDoesNotMatterAndRecoversPlantedGroups) {
  // 300 persons of 1 to 5 records, pairs within persons mostly linked, some noise between.
  std::mt19937_64 rng(3);
  std::vector<std::uint64_t> truth;
  std::vector<LinkedPair> pairs;
  std::uint32_t n = 0;
  for (std::uint32_t person = 0; person < 300; ++person) {
    const std::uint32_t k = 1 + static_cast<std::uint32_t>(rng() % 5);
    for (std::uint32_t i = 0; i < k; ++i) {
      truth.push_back(person);
      for (std::uint32_t j = 0; j < i; ++j) {
        if (rng() % 10 < 8) pairs.push_back({n - i + j, n, 0.7f + 0.3f * (rng() % 100) / 100});
      }
      ++n;
    }
  }
  for (int noise = 0; noise < 200; ++noise) {
    const auto a = static_cast<std::uint32_t>(rng() % n), b = static_cast<std::uint32_t>(rng() % n);
    if (a != b && truth[a] != truth[b]) pairs.push_back({a, b, 0.6f});
  }
  for (ClusterMethod method : {ClusterMethod::kConnectedComponents, ClusterMethod::kAverageLink}) {
    const std::vector<std::uint32_t> labels = Cluster(n, pairs, method);
    std::vector<LinkedPair> shuffled = pairs;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (LinkedPair& p : shuffled) {
      if (rng() % 2) std::swap(p.a, p.b);
    }
    EXPECT_EQ(Cluster(n, shuffled, method), labels);
    std::vector<std::uint64_t> predicted(labels.begin(), labels.end());
    auto m = eval::CompareClusters(predicted, truth);
    ASSERT_TRUE(m.ok());
    if (method == ClusterMethod::kAverageLink) {
      EXPECT_GT(m->pairwise.precision, 0.97) << "noise pairs do not chain persons together";
      EXPECT_GT(m->bcubed.f1, 0.9);
    } else {
      EXPECT_LT(m->pairwise.precision, 0.5) << "200 noise pairs chain many persons together";
    }
  }
}

TEST(ClustersTest, ChangeMarginMakesExistingPersonsResistChange) {
  // Records of three sources (0 and 3 in source 0); before the update, person 7 held records 0
  // and 1, person 8 record 2; record 3 is new.
  // Two existing persons brought together by a pair at 0.6: merged without a margin, kept
  // apart with one (0.6 < 0.5 + 0.2).
  const std::vector<std::uint32_t> two_sources = {0, 1, 2, 0};
  const std::vector<std::uint32_t> before = {7, 7, 8, kNoPrevious};
  const auto cluster2 = [&](const std::vector<LinkedPair>& pairs, double margin) {
    ClusterInput input{
        .records = 4, .source = two_sources, .unique_sources = {}, .previous = before};
    auto labels = ClusterRecords(
        input, pairs,
        {.method = ClusterMethod::kAverageLink, .threshold = 0.5, .change_margin = margin});
    EXPECT_TRUE(labels.ok()) << labels.status();
    return labels.ok() ? *labels : std::vector<std::uint32_t>{};
  };
  const std::vector<LinkedPair> merge = {{0, 1, 0.95f}, {0, 2, 0.6f}};
  EXPECT_EQ(cluster2(merge, 0.0), (std::vector<std::uint32_t>{0, 0, 0, 1}));
  EXPECT_EQ(cluster2(merge, 0.2), (std::vector<std::uint32_t>{0, 0, 1, 2}));
  // A weakened pair within person 7 (0.4, under the threshold) keeps it whole with a margin
  // (0.4 >= 0.5 - 0.2): no split on borderline evidence; without one it splits.
  const std::vector<LinkedPair> weak = {{0, 1, 0.4f}};
  EXPECT_EQ(cluster2(weak, 0.0), (std::vector<std::uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(cluster2(weak, 0.2), (std::vector<std::uint32_t>{0, 0, 1, 2}));
  // A new record attaches at the plain threshold, margin or not.
  const std::vector<LinkedPair> attach = {{2, 3, 0.55f}};
  EXPECT_EQ(cluster2(attach, 0.2), (std::vector<std::uint32_t>{0, 1, 2, 2}));
  // Bad margins and previous lists are refused.
  ClusterInput input{.records = 4, .source = two_sources, .unique_sources = {}, .previous = before};
  EXPECT_THAT(ClusterRecords(input, weak, {.threshold = 0.5, .change_margin = 0.5}),
              StatusIs(absl::StatusCode::kInvalidArgument, "change margin"));
  const std::vector<std::uint32_t> short_previous = {7};
  input.previous = short_previous;
  EXPECT_THAT(ClusterRecords(input, weak, {.threshold = 0.5}),
              StatusIs(absl::StatusCode::kInvalidArgument, "previous persons"));
}

TEST(ClustersTest, RefusesBadInput) {
  ClusterInput input;
  input.records = 3;
  const std::vector<LinkedPair> self = {{1, 1, 0.9f}};
  EXPECT_THAT(ClusterRecords(input, self, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "joins a record with itself"));
  const std::vector<LinkedPair> out = {{0, 3, 0.9f}};
  EXPECT_THAT(ClusterRecords(input, out, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "out of range"));
  const std::vector<LinkedPair> bad = {{0, 1, 1.5f}};
  EXPECT_THAT(ClusterRecords(input, bad, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "probability 1.5"));
  ClusterOptions zero;
  zero.threshold = 0;
  EXPECT_THAT(ClusterRecords(input, {}, zero),
              StatusIs(absl::StatusCode::kInvalidArgument, "threshold must be in (0, 1]"));
  const std::vector<std::uint32_t> two = {0, 1};
  input.source = two;
  EXPECT_THAT(ClusterRecords(input, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "2 sources for 3 records"));
  EXPECT_THAT(ParseClusterMethod("single"),
              StatusIs(absl::StatusCode::kInvalidArgument, "average-link or components"));
  EXPECT_EQ(ClusterMethodName(*ParseClusterMethod("components")), "components");
}

}  // namespace
}  // namespace bloomlink::solve
