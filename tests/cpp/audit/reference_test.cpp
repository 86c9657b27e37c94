// Reference files: good ones read, bad ones refused naming the file and line.
#include "bloomlink/audit/reference.hpp"

#include "audit/internal.hpp"
#include "bloomlink/schema.hpp"
#include "test_support.hpp"

namespace bloomlink::audit {
namespace {

using ::bloomlink::testing::StatusIs;
using ::bloomlink::testing::TempDir;
using ::bloomlink::testing::WriteFile;

TEST(ReferenceTest, ReadsValuesAndCountsInAnyColumnOrder) {
  TempDir dir;
  const std::string path = dir.file("names.csv");
  WriteFile(path, "count,value,note\n120,SMITH,x\n 7 ,O'Brien,\n0,Zed,\n");
  auto table = ReadReferenceCsv(path);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->source, path);
  ASSERT_EQ(table->values.size(), 3u);
  EXPECT_EQ(table->values[0], (std::pair<std::string, std::uint64_t>{"SMITH", 120}));
  EXPECT_EQ(table->values[1], (std::pair<std::string, std::uint64_t>{"O'Brien", 7}));
  EXPECT_EQ(table->values[2].second, 0u);
}

TEST(ReferenceTest, ABadCountNamesTheFileAndLineButNotTheValue) {
  TempDir dir;
  const std::string path = dir.file("names.csv");
  WriteFile(path, "value,count\nSMITH,120\nJONES,many\n");
  auto table = ReadReferenceCsv(path);
  EXPECT_THAT(table, StatusIs(absl::StatusCode::kInvalidArgument,
                              path + ":3: column 2 (count): expected a whole number"));
  EXPECT_EQ(table.status().message().find("JONES"), std::string_view::npos);
  EXPECT_EQ(table.status().message().find("many"), std::string_view::npos);
  WriteFile(path, "value,count\nSMITH,-1\n");
  EXPECT_THAT(ReadReferenceCsv(path), StatusIs(absl::StatusCode::kInvalidArgument, ":2: "));
}

TEST(ReferenceTest, AMissingColumnNamesTheFileAndHeaderLine) {
  TempDir dir;
  const std::string path = dir.file("names.csv");
  WriteFile(path, "value,frequency\nSMITH,120\n");
  EXPECT_THAT(ReadReferenceCsv(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                               path + ":1: the header has no column \"count\""));
  WriteFile(path, "name,count\nSMITH,120\n");
  EXPECT_THAT(ReadReferenceCsv(path),
              StatusIs(absl::StatusCode::kInvalidArgument, "no column \"value\""));
}

TEST(ReferenceTest, RaggedRowsEmptyFilesAndMissingFilesAreRefused) {
  TempDir dir;
  const std::string path = dir.file("names.csv");
  WriteFile(path, "value,count\nSMITH,1\nJONES\n");
  EXPECT_THAT(ReadReferenceCsv(path), StatusIs(absl::StatusCode::kInvalidArgument, ":3"));
  WriteFile(path, "value,count\n");
  EXPECT_THAT(ReadReferenceCsv(path),
              StatusIs(absl::StatusCode::kInvalidArgument, "no rows after the header"));
  EXPECT_THAT(ReadReferenceCsv(dir.file("absent.csv")),
              StatusIs(absl::StatusCode::kNotFound, "absent.csv"));
}

TEST(ReferenceTest, SyntheticNamesAreDeterministicAndCounted) {
  auto a = SyntheticNameReferences(5000, 3);
  auto b = SyntheticNameReferences(5000, 3);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->given.values, b->given.values);
  EXPECT_EQ(a->family.values, b->family.values);
  std::uint64_t total = 0;
  for (const auto& [v, n] : a->family.values) total += n;
  EXPECT_EQ(total, 5000u);
  EXPECT_GT(a->given.values.size(), 50u);
  // Ordered by count, highest first.
  EXPECT_GE(a->given.values.front().second, a->given.values.back().second);
  EXPECT_NE(a->given.source.find("synthetic"), std::string::npos);
}

TEST(ReferenceTest, CleaningMergesSpellingsAndDropsInvalidValues) {
  auto schema = ParseSchema(
      R"({"bloomlink_schema": 1, "fields": [{"name": "family_name", "type": "name"}]})", "s");
  ASSERT_TRUE(schema.ok()) << schema.status();
  ReferenceTable table{"t", {{"O'Brien", 3}, {"OBRIEN", 2}, {"Mr", 9}, {"Smith", 1}}};
  auto ref = audit_internal::CleanReference(table, schema->fields[0]);
  ASSERT_TRUE(ref.ok()) << ref.status();
  ASSERT_EQ(ref->names.size(), 2u);  // obrien (5) and smith (1); "Mr" cleans to nothing
  EXPECT_EQ(ref->names[0], "obrien");
  EXPECT_EQ(ref->counts[0], 5u);
  EXPECT_EQ(ref->dropped, 1u);
  // "obrien" padded bigrams: " o", "ob", "br", "ri", "ie", "en", "n ".
  EXPECT_EQ(ref->name_tokens[0].size(), 7u);
}

}  // namespace
}  // namespace bloomlink::audit
