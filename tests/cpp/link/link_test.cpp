#include "bloomlink/link.hpp"

#include <random>

#include "test_support.hpp"

namespace bloomlink::link {
namespace {

using ::absl::StatusCode;
using testing::StatusIs;

EncodedDataset Dataset(std::vector<std::string> ids, std::size_t bits, std::uint64_t seed) {
  EncodedDataset d;
  d.ids = std::move(ids);
  d.clks = BitMatrix(d.ids.size(), bits);
  std::mt19937_64 rng(seed);
  for (std::size_t r = 0; r < d.ids.size(); ++r) {
    for (std::size_t i = 0; i < bits; ++i) {
      if (rng() % 2) d.clks.SetBit(r, i);
    }
  }
  d.clks.UpdatePopcounts();
  Digest fp{}, kc{};
  fp[0] = 1;
  kc[0] = 2;
  d.schema_fingerprint = fp;
  d.key_check = kc;
  return d;
}

TEST(CheckCompatibleTest, RefusesDifferentSchemasSecretsAndLengths) {
  EncodedDataset a = Dataset({"a1", "a2"}, 1024, 1);
  EncodedDataset b = Dataset({"b1"}, 1024, 2);
  auto ok = CheckCompatible(a, "a.bloom", b, "b.bloom");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->empty());

  EncodedDataset other_schema = b;
  (*other_schema.schema_fingerprint)[5] = 9;
  EXPECT_THAT(CheckCompatible(a, "a.bloom", other_schema, "b.bloom"),
              StatusIs(StatusCode::kFailedPrecondition, "different schemas"));
  EncodedDataset other_secret = b;
  (*other_secret.key_check)[5] = 9;
  EXPECT_THAT(CheckCompatible(a, "a.bloom", other_secret, "b.bloom"),
              StatusIs(StatusCode::kFailedPrecondition, "different secrets"));
  EncodedDataset wide = Dataset({"b1"}, 2048, 3);
  EXPECT_THAT(CheckCompatible(a, "a.bloom", wide, "b.bloom"),
              StatusIs(StatusCode::kFailedPrecondition,
                       "cannot link a.bloom (1024-bit filters) with b.bloom (2048-bit filters)"));
  EncodedDataset empty = Dataset({}, 1024, 4);
  EXPECT_THAT(CheckCompatible(a, "a.bloom", empty, "b.bloom"),
              StatusIs(StatusCode::kInvalidArgument, "b.bloom: has no records"));
}

TEST(CheckCompatibleTest, WarnsWhenProvenanceIsUnknown) {
  EncodedDataset a = Dataset({"a1"}, 1024, 1);
  EncodedDataset b = Dataset({"0"}, 1024, 2);
  b.schema_fingerprint.reset();
  b.key_check.reset();
  auto warnings = CheckCompatible(a, "a.bloom", b, "b.json");
  ASSERT_TRUE(warnings.ok());
  ASSERT_EQ(warnings->size(), 2u);
  EXPECT_THAT((*warnings)[0],
              ::testing::HasSubstr("b.json does not record its schema fingerprint"));
  EXPECT_THAT((*warnings)[1], ::testing::HasSubstr("b.json does not record a key check value"));
}

TEST(LinkTest, FindsCopiesAndResolvesOneToOne) {
  EncodedDataset a = Dataset({"a0", "a1", "a2", "a3"}, 256, 5);
  EncodedDataset b;
  b.ids = {"b0", "b1", "b2"};
  b.clks = BitMatrix(3, 256);
  // b0 = a2, b1 = a0, b2 = a0 with one bit flipped (a0 must go to its exact copy).
  std::memcpy(b.clks.row_bytes(0), a.clks.row_bytes(2), 32);
  std::memcpy(b.clks.row_bytes(1), a.clks.row_bytes(0), 32);
  std::memcpy(b.clks.row_bytes(2), a.clks.row_bytes(0), 32);
  b.clks.row_bytes(2)[0] ^= 0x80;
  b.clks.UpdatePopcounts();
  LinkReport report;
  auto result = Link(a, b, {.candidates = {.threshold = 0.9}}, &report);
  ASSERT_TRUE(result.ok()) << result.status();
  const match::CandidatePairs* pairs = &result->pairs;
  EXPECT_TRUE(result->probability.empty());
  EXPECT_FALSE(result->model.has_value());
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ(report.matches, 2u);
  EXPECT_EQ(report.candidates.candidates, 3u);
  // Highest score first; both exact copies score 1, ordered by index in A.
  EXPECT_EQ(pairs->left, (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(pairs->right, (std::vector<std::uint32_t>{1, 0}));
  EXPECT_EQ(pairs->score, (std::vector<float>{1.0f, 1.0f}));
  auto all = Link(a, b, {.candidates = {.threshold = 0.9}, .one_to_one = solve::OneToOne::kNone});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->pairs.size(), 3u);
}

TEST(WritePairsCsvTest, SortsByScoreThenIdsAndQuotesIds) {
  testing::TempDir dir;
  EncodedDataset a = Dataset({"z", "a,comma", "m"}, 64, 1);
  EncodedDataset b = Dataset({"q\"uote", "b", "c"}, 64, 2);
  Linkage linkage;
  linkage.pairs.push_back(0, 1, 0.5f);
  linkage.pairs.push_back(2, 2, 0.9f);
  linkage.pairs.push_back(1, 0, 0.5f);
  linkage.pairs.push_back(0, 2, 0.5f);
  const std::string path = dir.file("pairs.csv");
  ASSERT_TRUE(WritePairsCsv(a, b, linkage, path).ok());
  EXPECT_EQ(testing::ReadFile(path),
            "id_a,id_b,score\n"
            "m,c,0.900000\n"
            "\"a,comma\",\"q\"\"uote\",0.500000\n"
            "z,b,0.500000\n"
            "z,c,0.500000\n");
}

TEST(WritePairsCsvTest, FailureLeavesNoFile) {
  EncodedDataset a = Dataset({"a"}, 64, 1);
  Linkage none;
  EXPECT_THAT(WritePairsCsv(a, a, none, "/nonexistent-folder/pairs.csv"),
              StatusIs(StatusCode::kNotFound, "/nonexistent-folder/pairs.csv"));
}

}  // namespace
}  // namespace bloomlink::link
