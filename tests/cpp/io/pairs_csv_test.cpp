#include "bloomlink/io/pairs_csv.hpp"

#include "test_support.hpp"

namespace bloomlink::io {
namespace {

using ::absl::StatusCode;
using testing::StatusIs;

TEST(WritePairsCsvTest, ColumnsWithAStrideAndTheSortColumn) {
  testing::TempDir dir;
  const std::vector<std::string> ids_a = {"a0", "a1"}, ids_b = {"b0", "b1", "b2"};
  const std::vector<std::uint32_t> left = {0, 1, 1}, right = {2, 0, 1};
  const std::vector<float> score = {0.5f, 0.75f, 0.25f};
  // A pairs x 2 row-major table: column x is every other value from 0, column y from 1.
  const std::vector<float> table = {1, -1, 2, -2, 3, -3};
  PairsTable t{.ids_a = ids_a,
               .ids_b = ids_b,
               .left = left,
               .right = right,
               .columns = {{"score", score.data()},
                           {"x", table.data(), 2},
                           {"y,quoted", table.data() + 1, 2}},
               .sort_by = 1};
  EXPECT_EQ(PairsOrder(t), (std::vector<std::uint32_t>{2, 1, 0}));
  const std::string path = dir.file("pairs.csv");
  ASSERT_TRUE(WritePairsCsv(t, path).ok());
  EXPECT_EQ(testing::ReadFile(path),
            "id_a,id_b,score,x,\"y,quoted\"\n"
            "a1,b1,0.250000,3.000000,-3.000000\n"
            "a1,b0,0.750000,2.000000,-2.000000\n"
            "a0,b2,0.500000,1.000000,-1.000000\n");
  auto back = ReadIdPairsCsv(path, "id_a", "id_b");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->front(), (std::pair<std::string, std::string>{"a1", "b1"}));
}

TEST(WritePairsCsvTest, RefusesATableThatDoesNotHold) {
  testing::TempDir dir;
  const std::vector<std::string> ids = {"a"};
  const std::vector<std::uint32_t> zero = {0}, one = {1}, none = {};
  const std::vector<float> score = {1.0f};
  const std::string path = dir.file("pairs.csv");
  PairsTable beyond{
      .ids_a = ids, .ids_b = ids, .left = zero, .right = one, .columns = {{"score", score.data()}}};
  EXPECT_THAT(WritePairsCsv(beyond, path),
              StatusIs(StatusCode::kInvalidArgument, "pair 0 indexes a record beyond"));
  PairsTable ragged{.ids_a = ids,
                    .ids_b = ids,
                    .left = zero,
                    .right = none,
                    .columns = {{"score", score.data()}}};
  EXPECT_THAT(WritePairsCsv(ragged, path),
              StatusIs(StatusCode::kInvalidArgument, "1 left indices but 0 right"));
  PairsTable unsorted{.ids_a = ids, .ids_b = ids, .left = zero, .right = zero, .columns = {}};
  EXPECT_THAT(WritePairsCsv(unsorted, path),
              StatusIs(StatusCode::kInvalidArgument, "no column 0 to sort by"));
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace bloomlink::io
