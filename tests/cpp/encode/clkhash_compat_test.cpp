// Bit-compatibility with clkhash 0.18.3: every schema and record in
// tests/data/clkhash-vectors must encode to exactly the CLKs clkhash wrote.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bloomlink/base64.hpp"
#include "bloomlink/encode/encode_csv.hpp"
#include "bloomlink/encode/encoder.hpp"
#include "bloomlink/encode/keyed_hash.hpp"
#include "bloomlink/encode/tokenise.hpp"
#include "bloomlink/schema.hpp"
#include "encode/field_formatter.hpp"
#include "test_support.hpp"

namespace bloomlink::encode {
namespace {

using Json = nlohmann::json;

// A file of the clkhash reference vectors (tests/data/clkhash-vectors).
std::filesystem::path Vector(const std::string& name) {
  return testing::TestData("clkhash-vectors/" + name);
}

Json LoadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

std::vector<std::string> ClksOf(const EncodedDataset& data) {
  std::vector<std::string> out;
  for (std::size_t r = 0; r < data.clks.rows(); ++r) {
    out.push_back(Base64Encode(
        std::span<const std::uint8_t>(data.clks.row_bytes(r), data.clks.bytes_per_filter())));
  }
  return out;
}

Secret VectorSecret() {
  auto s = Secret::FromBytes("peer-vector-secret-2024", "test");
  EXPECT_TRUE(s.ok());
  return std::move(*s);
}

class ClkhashVectorsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ClkhashVectorsTest, KeysTokensAndClksMatchClkhash) {
  const std::string name = GetParam();
  Json debug = LoadJson(Vector("debug_" + name + ".json"));
  Json expected = LoadJson(Vector("clks_" + name + ".json"));
  auto schema = LoadSchema(Vector("schema_" + name + ".json").string());
  ASSERT_TRUE(schema.ok()) << schema.status();
  Secret secret = VectorSecret();

  // Keys: HKDF output split per field.
  auto keys = DeriveFieldKeys(*schema, secret);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), debug["keys_hex"].size());
  for (std::size_t j = 0; j < keys->size(); ++j) {
    for (std::size_t k = 0; k < 2; ++k) {
      const std::string& key = (*keys)[j].keys[k];
      EXPECT_EQ(HexEncode(std::span<const std::uint8_t>(
                    reinterpret_cast<const std::uint8_t*>(key.data()), key.size())),
                debug["keys_hex"][j][k].get<std::string>())
          << "field " << j << " key " << k;
    }
  }

  // Formatting and tokens, record by record and field by field (the debug trace).
  std::string value;
  TokenList tokens;
  internal::RegexMatcher matcher;
  for (const Json& record : debug["records"]) {
    for (std::size_t j = 0; j < schema->fields.size(); ++j) {
      const FieldSpec& field = schema->fields[j];
      const Json& trace = record["fields"][j];
      if (field.ignored) continue;
      auto formatter = encode_internal::FieldFormatter::Create(field);
      ASSERT_TRUE(formatter.ok());
      auto result = formatter->Format(trace["raw"].get<std::string>(), &value, matcher);
      ASSERT_TRUE(result.ok()) << result.status();
      std::vector<std::string> got;
      if (result->encode && Tokenise(value, field.tokens, tokens)) {
        for (std::size_t t = 0; t < tokens.size(); ++t) got.emplace_back(tokens[t]);
        EXPECT_EQ(value, trace["formatted"].get<std::string>())
            << "record " << record["rec_id"] << " field " << field.name;
      }
      EXPECT_EQ(got, trace["tokens"].get<std::vector<std::string>>())
          << "record " << record["rec_id"] << " field " << field.name;
    }
  }

  // Whole CLKs through the CSV pipeline, with one thread and with several.
  for (int threads : {1, 3}) {
    auto encoder = Encoder::Create(*schema, secret, {.threads = threads});
    ASSERT_TRUE(encoder.ok()) << encoder.status();
    CsvEncodeOptions options;
    options.id_column = "rec_id";
    options.batch_records = 5;  // several batches
    auto data = EncodeCsv(Vector("data.csv").string(), *encoder, options);
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_EQ(data->clks.bits(), debug["l"].get<std::size_t>());
    std::vector<std::string> clks = ClksOf(*data);
    std::vector<std::string> want = expected["clks"].get<std::vector<std::string>>();
    ASSERT_EQ(clks.size(), want.size());
    for (std::size_t r = 0; r < clks.size(); ++r) {
      EXPECT_EQ(clks[r], want[r]) << name << " record " << r + 1 << " threads " << threads;
      EXPECT_EQ(data->clks.popcount(r), debug["records"][r]["popcount"].get<std::uint32_t>());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllSchemas, ClkhashVectorsTest,
                         ::testing::Values("A_blake_default", "B_doublehash",
                                           "C_doublehash_nonsingular_l1000", "F_legacy_v2"));

class Febrl4Test : public ::testing::TestWithParam<std::string> {};

TEST_P(Febrl4Test, TutorialSchemaMatchesClkhashOnAllRecords) {
  auto schema = LoadSchema(Vector("febrl4_tutorial_schema_v3.json").string());
  ASSERT_TRUE(schema.ok()) << schema.status();
  // The tutorial's secret is six bytes: accepted only because this is a compatibility test.
  auto secret = Secret::FromBytes("secret", "test", {.allow_weak = true});
  ASSERT_TRUE(secret.ok());
  const std::string part = GetParam();
  std::vector<std::string> want =
      LoadJson(Vector("febrl4" + part + "_clks.json"))["clks"].get<std::vector<std::string>>();
  const std::filesystem::path csv = testing::TestData("febrl/dataset4" + part + ".csv");
  std::vector<std::string> first;
  for (int threads : {1, 2}) {
    auto encoder = Encoder::Create(*schema, *secret, {.threads = threads});
    ASSERT_TRUE(encoder.ok()) << encoder.status();
    CsvEncodeOptions options;
    options.id_column = "rec_id";
    options.csv.skip_initial_space = true;
    options.batch_records = 1000;
    EncodeReport report;
    auto data = EncodeCsv(csv.string(), *encoder, options, &report);
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_EQ(report.records_read, 5000u);
    std::vector<std::string> clks = ClksOf(*data);
    ASSERT_EQ(clks.size(), want.size());
    std::size_t mismatches = 0;
    for (std::size_t r = 0; r < clks.size(); ++r) {
      if (clks[r] != want[r]) {
        if (++mismatches <= 3)
          ADD_FAILURE() << "record " << r << " (" << data->ids[r] << ") differs";
      }
    }
    EXPECT_EQ(mismatches, 0u);
    if (threads == 1) {
      first = clks;
    } else {
      EXPECT_EQ(clks, first) << "output depends on the thread count";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(BothFiles, Febrl4Test, ::testing::Values("a", "b"));

}  // namespace
}  // namespace bloomlink::encode
