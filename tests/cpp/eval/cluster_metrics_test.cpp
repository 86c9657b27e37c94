// Clustering measures on hand-worked partitions: pairwise, B-cubed and cluster-exact (all
// clusters, and groups of two records or more), and ID churn.
#include "bloomlink/eval/clusters.hpp"

#include <vector>

#include "test_support.hpp"

namespace bloomlink::eval {
namespace {

using ::bloomlink::testing::StatusIs;

TEST(ClustersTest, IdenticalPartitionsScoreOne) {
  const std::vector<std::uint64_t> labels = {1, 1, 2, 3, 3, 3};
  auto m = CompareClusters(labels, labels);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->records, 6u);
  EXPECT_EQ(m->clusters, 3u);
  EXPECT_EQ(m->predicted_pairs, 4u);  // 1 + 0 + 3
  EXPECT_EQ(m->correct_pairs, 4u);
  EXPECT_DOUBLE_EQ(m->pairwise.f1, 1.0);
  EXPECT_DOUBLE_EQ(m->bcubed.f1, 1.0);
  EXPECT_DOUBLE_EQ(m->exact.f1, 1.0);
  EXPECT_EQ(m->groups, 2u);
  EXPECT_EQ(m->exact_group_clusters, 2u);
  EXPECT_DOUBLE_EQ(m->exact_groups.f1, 1.0);
}

TEST(ClustersTest, HandWorkedExample) {
  // Truth: {0,1,2} {3,4} {5}. Predicted: {0,1} {2,3,4} {5}.
  const std::vector<std::uint64_t> truth = {7, 7, 7, 8, 8, 9};
  const std::vector<std::uint64_t> predicted = {1, 1, 2, 2, 2, 3};
  auto m = CompareClusters(predicted, truth);
  ASSERT_TRUE(m.ok());
  // Pairs: predicted 1 + 3 = 4, true 3 + 1 = 4, correct {0,1} and {3,4} = 2.
  EXPECT_EQ(m->predicted_pairs, 4u);
  EXPECT_EQ(m->true_pairs, 4u);
  EXPECT_EQ(m->correct_pairs, 2u);
  EXPECT_DOUBLE_EQ(m->pairwise.precision, 0.5);
  EXPECT_DOUBLE_EQ(m->pairwise.recall, 0.5);
  // B-cubed precision: records 0,1: 2/2; record 2: 1/3; records 3,4: 2/3; record 5: 1.
  EXPECT_NEAR(m->bcubed.precision, (1 + 1 + 1.0 / 3 + 2.0 / 3 + 2.0 / 3 + 1) / 6, 1e-12);
  // Recall: records 0,1: 2/3; record 2: 1/3; records 3,4: 2/2; record 5: 1.
  EXPECT_NEAR(m->bcubed.recall, (2.0 / 3 + 2.0 / 3 + 1.0 / 3 + 1 + 1 + 1) / 6, 1e-12);
  // Exact: only {5} over all clusters (1 of 3 each way); no group is exact.
  EXPECT_EQ(m->exact_clusters, 1u);
  EXPECT_NEAR(m->exact.precision, 1.0 / 3, 1e-12);
  EXPECT_EQ(m->exact_group_clusters, 0u);
  EXPECT_EQ(m->groups, 2u);
  EXPECT_EQ(m->entity_groups, 2u);
  EXPECT_DOUBLE_EQ(m->exact_groups.f1, 0.0);
}

TEST(ClustersTest, AllSingletonsAgainstPairs) {
  const std::vector<std::uint64_t> truth = {1, 1, 2, 2};
  const std::vector<std::uint64_t> singletons = {10, 11, 12, 13};
  auto m = CompareClusters(singletons, truth);
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(m->pairwise.precision, 1.0);  // nothing predicted
  EXPECT_DOUBLE_EQ(m->pairwise.recall, 0.0);
  EXPECT_DOUBLE_EQ(m->pairwise.f1, 0.0);
  EXPECT_DOUBLE_EQ(m->bcubed.precision, 1.0);
  EXPECT_DOUBLE_EQ(m->bcubed.recall, 0.5);
  EXPECT_DOUBLE_EQ(m->exact_groups.precision, 1.0);  // no predicted group
  EXPECT_DOUBLE_EQ(m->exact_groups.recall, 0.0);
}

TEST(ClustersTest, ChurnAndErrors) {
  const std::vector<std::uint64_t> before = {1, 1, 2, 3};
  const std::vector<std::uint64_t> after = {1, 4, 2, 3};
  auto churn = IdChurn(before, after);
  ASSERT_TRUE(churn.ok());
  EXPECT_DOUBLE_EQ(*churn, 0.25);
  EXPECT_DOUBLE_EQ(*IdChurn({}, {}), 0.0);
  const std::vector<std::uint64_t> shorter = {1};
  EXPECT_THAT(IdChurn(before, shorter),
              StatusIs(absl::StatusCode::kInvalidArgument, "4 labels before and 1 after"));
  EXPECT_THAT(CompareClusters(before, shorter),
              StatusIs(absl::StatusCode::kInvalidArgument, "4 predicted labels for 1 true ones"));
  auto empty = CompareClusters({}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_DOUBLE_EQ(empty->bcubed.f1, 1.0);
}

}  // namespace
}  // namespace bloomlink::eval
