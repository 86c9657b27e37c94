// Stable person IDs: carried by record overlap; a merge keeps the oldest ID, a split leaves it
// with the largest part, new persons get fresh random IDs, IDs whose records are all gone are
// retired.
#include "bloomlink/index/stable_ids.hpp"

#include <set>

#include "test_support.hpp"

namespace bloomlink::index {
namespace {

using ::bloomlink::testing::StatusIs;

// Fresh IDs N1, N2, ... in the order asked for.
std::function<std::string()> Counter() {
  auto next = std::make_shared<int>(0);
  return [next] {
    std::string id = "N";
    id += std::to_string(++*next);  // (appended: GCC 12 warns falsely about "N" + ...)
    return id;
  };
}

TEST(StableIdsTest, UnchangedClustersKeepTheirIds) {
  const std::vector<PreviousPerson> before = {{"A", 1}, {"B", 2}};
  const std::vector<std::uint32_t> previous = {0, 0, 1};
  const std::vector<std::uint32_t> cluster = {1, 1, 0};
  auto ids = CarryIds(before, previous, cluster, Counter());
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->person_of_cluster, (std::vector<std::string>{"B", "A"}));
  EXPECT_TRUE(ids->events.empty());
}

TEST(StableIdsTest, NewRecordsJoinOrMakeNewPersons) {
  const std::vector<PreviousPerson> before = {{"A", 1}};
  // Record 2 is new and joins A's cluster; record 3 is new and alone.
  const std::vector<std::uint32_t> previous = {0, 0, kNoPerson, kNoPerson};
  const std::vector<std::uint32_t> cluster = {0, 0, 0, 1};
  auto ids = CarryIds(before, previous, cluster, Counter());
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->person_of_cluster, (std::vector<std::string>{"A", "N1"}));
  EXPECT_EQ(ids->created, (std::vector<bool>{false, true}));
  EXPECT_EQ(ids->new_persons, 1u);
  ASSERT_EQ(ids->events.size(), 1u);
  EXPECT_EQ(ids->events[0].kind, IdEvent::Kind::kNew);
  EXPECT_EQ(ids->events[0].id, "N1");
}

TEST(StableIdsTest, MergeKeepsTheOldestSplitKeepsTheLargestPart) {
  // A (older) and B merge into one cluster; C splits 2 + 1.
  const std::vector<PreviousPerson> before = {{"B", 5}, {"A", 3}, {"C", 4}};
  const std::vector<std::uint32_t> previous = {0, 1, 2, 2, 2};
  const std::vector<std::uint32_t> cluster = {0, 0, 1, 2, 1};
  auto ids = CarryIds(before, previous, cluster, Counter());
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->person_of_cluster, (std::vector<std::string>{"A", "C", "N1"}));
  EXPECT_EQ(ids->merges, 1u);
  EXPECT_EQ(ids->splits, 1u);
  EXPECT_EQ(ids->new_persons, 0u) << "the split-off part is reported by the split";
  ASSERT_EQ(ids->events.size(), 2u);
  EXPECT_EQ(ids->events[0].kind, IdEvent::Kind::kMerged);
  EXPECT_EQ(ids->events[0].id, "A");
  EXPECT_EQ(ids->events[0].others, (std::vector<std::string>{"B"}));
  EXPECT_EQ(ids->events[1].kind, IdEvent::Kind::kSplit);
  EXPECT_EQ(ids->events[1].id, "C");
  EXPECT_EQ(ids->events[1].others, (std::vector<std::string>{"N1"}));
}

TEST(StableIdsTest, EqualPartsGoToTheLowestRecordAndGoneIdsAreRetired) {
  const std::vector<PreviousPerson> before = {{"A", 1}, {"Z", 2}};
  // A's two records split 1 + 1: the ID stays with record 0's part. Z has no record left.
  const std::vector<std::uint32_t> previous = {0, 0};
  const std::vector<std::uint32_t> cluster = {1, 0};
  auto ids = CarryIds(before, previous, cluster, Counter());
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->person_of_cluster, (std::vector<std::string>{"N1", "A"}));
  EXPECT_EQ(ids->retired, 1u);
  EXPECT_EQ(ids->events.back().kind, IdEvent::Kind::kRetired);
  EXPECT_EQ(ids->events.back().id, "Z");
}

TEST(StableIdsTest, FreshIdsAreRandomAndOpaque) {
  std::set<std::string> seen;
  // The generator crosses its 1,024-ID buffer twice; its IDs are as NewPersonId's.
  const std::function<std::string()> generator = PersonIdGenerator();
  for (int i = 0; i < 3000; ++i) {
    const std::string id = i < 1000 ? NewPersonId() : generator();
    ASSERT_EQ(id.size(), 25u);
    ASSERT_EQ(id[0], 'P');
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef", 1), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 3000u);
}

TEST(StableIdsTest, RefusesBadInput) {
  const std::vector<PreviousPerson> before = {{"A", 1}};
  const std::vector<std::uint32_t> one = {0}, two = {0, 0}, bad = {3}, gap = {1};
  EXPECT_THAT(CarryIds(before, one, two, Counter()),
              StatusIs(absl::StatusCode::kInvalidArgument, "1 previous persons for 2"));
  EXPECT_THAT(CarryIds(before, bad, one, Counter()),
              StatusIs(absl::StatusCode::kInvalidArgument, "previous person 3 of 1"));
  EXPECT_THAT(CarryIds(before, one, gap, Counter()),
              StatusIs(absl::StatusCode::kInvalidArgument, "without gaps"));
}

}  // namespace
}  // namespace bloomlink::index
