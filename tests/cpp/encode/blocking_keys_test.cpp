// Keyed blocking tokens: the schema's "blocking" rules, the transforms, the tokens the encoder
// computes (equal exactly when the rule's values are, keyed by the secret, missing when a part
// is), and the bkey section of the .bloom format.
#include <filesystem>
#include <fstream>

#include "bloomlink/encode/encode_csv.hpp"
#include "bloomlink/encode/encoder.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/schema.hpp"
#include "encode/blocking_keyer.hpp"
#include "test_support.hpp"

namespace bloomlink::encode {
namespace {

using ::absl::StatusCode;
using ::bloomlink::testing::StatusIs;
using encode_internal::BlockingValue;

constexpr std::string_view kFields = R"j(
  "fields": [
    {"name": "given_name", "type": "name"},
    {"name": "family_name", "type": "name"},
    {"name": "date_of_birth", "type": "date"},
    {"name": "postcode", "type": "postcode"},
    {"name": "note", "type": "text"}
  ])j";

std::string WithBlocking(std::string_view blocking) {
  std::string s = R"j({"bloomlink_schema": 1,)j" + std::string(kFields);
  if (!blocking.empty()) s += R"j(, "blocking": )j" + std::string(blocking);
  return s + "}";
}

constexpr std::string_view kRules = R"j([
  {"name": "surname_year", "on": ["soundex(family_name)", "year(date_of_birth)"]},
  {"name": "district", "on": ["district(postcode)"], "description": "ignored"}
])j";

LinkageSchema ParseOk(std::string_view json) {
  auto schema = ParseSchema(json, "schema.json");
  EXPECT_TRUE(schema.ok()) << schema.status();
  return schema.ok() ? *std::move(schema) : LinkageSchema{};
}

TEST(BlockingSchemaTest, RulesAreParsedAndFingerprinted) {
  const LinkageSchema schema = ParseOk(WithBlocking(kRules));
  ASSERT_EQ(schema.blocking.size(), 2u);
  EXPECT_EQ(schema.blocking[0].name, "surname_year");
  ASSERT_EQ(schema.blocking[0].parts.size(), 2u);
  EXPECT_EQ(schema.blocking[0].parts[0].field, 1u);
  EXPECT_EQ(schema.blocking[0].parts[0].transform, BlockingTransform::kSoundex);
  EXPECT_EQ(schema.blocking[0].parts[1].transform, BlockingTransform::kYear);
  EXPECT_EQ(BlockingPartText(schema, schema.blocking[1].parts[0]), "district(postcode)");
  EXPECT_NE(schema.canonical_json.find(R"j("blocking":[{"name":"surname_year")j"),
            std::string::npos);
  // No rules: the canonical form has no "blocking" key, so fingerprints made before rules
  // existed stay as they were. A rule changes the fingerprint (and so every key).
  const LinkageSchema plain = ParseOk(WithBlocking(""));
  EXPECT_EQ(plain.canonical_json.find("blocking"), std::string::npos);
  EXPECT_NE(plain.fingerprint, schema.fingerprint);
  const LinkageSchema other = ParseOk(WithBlocking(
      R"j([{"name": "surname_year", "on": ["soundex(family_name)", "month(date_of_birth)"]}])j"));
  EXPECT_NE(other.fingerprint, schema.fingerprint);
}

TEST(BlockingSchemaTest, Errors) {
  struct Case {
    const char* name;
    std::string_view blocking;
    const char* message;
  };
  const Case cases[] = {
      {"not an array", R"j({})j",
       "schema.json: blocking: expected an array of 1..16 blocking rules"},
      {"empty", R"j([])j", "schema.json: blocking: expected an array of 1..16 blocking rules"},
      {"unknown key", R"j([{"name": "a", "on": ["note"], "fields": []}])j",
       "schema.json: blocking[0].fields: unknown key (expected one of: name, on, description)"},
      {"bad name", R"j([{"name": "a b", "on": ["note"]}])j",
       "schema.json: blocking[0].name: expected a name of 1..64 letters"},
      {"repeated name", R"j([{"name": "a", "on": ["note"]}, {"name": "a", "on": ["note"]}])j",
       "schema.json: blocking[1].name: expected a name not used by another blocking rule"},
      {"no parts", R"j([{"name": "a", "on": []}])j",
       "schema.json: blocking[0].on: expected an array"},
      {"unknown field", R"j([{"name": "a", "on": ["surname"]}])j",
       "schema.json: blocking[0].on[0]: \"surname\" is not a field of this schema"},
      {"unknown transform", R"j([{"name": "a", "on": ["metaphone(family_name)"]}])j",
       "schema.json: blocking[0].on[0]: unknown transform \"metaphone\" (expected one of: "
       "soundex, initial, year, month, district, area)"},
      {"unclosed", R"j([{"name": "a", "on": ["soundex(family_name"]}])j",
       "schema.json: blocking[0].on[0]: expected \"field\" or \"transform(field)\""},
      {"wrong type", R"j([{"name": "a", "on": ["year(family_name)"]}])j",
       "schema.json: blocking[0].on[0]: year does not apply to field \"family_name\" (type name)"},
      {"wrong type postcode", R"j([{"name": "a", "on": ["soundex(postcode)"]}])j",
       "does not apply to field \"postcode\" (type postcode)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseSchema(WithBlocking(c.blocking), "schema.json"),
                StatusIs(StatusCode::kInvalidArgument, c.message));
  }
}

TEST(BlockingValueTest, Transforms) {
  const auto apply = [](BlockingTransform t, std::string_view clean) {
    std::string out;
    return BlockingValue(t, clean, &out) ? out : std::string("<none>");
  };
  // American Soundex's reference examples: h and w do not separate equal codes, vowels do.
  EXPECT_EQ(apply(BlockingTransform::kSoundex, "robert"), "R163");
  EXPECT_EQ(apply(BlockingTransform::kSoundex, "rupert"), "R163");
  EXPECT_EQ(apply(BlockingTransform::kSoundex, "rubin"), "R150");
  EXPECT_EQ(apply(BlockingTransform::kSoundex, "ashcraft"), "A261");
  EXPECT_EQ(apply(BlockingTransform::kSoundex, "tymczak"), "T522");
  EXPECT_EQ(apply(BlockingTransform::kSoundex, "pfister"), "P236");
  EXPECT_EQ(apply(BlockingTransform::kSoundex, "honeyman"), "H555");
  EXPECT_EQ(apply(BlockingTransform::kSoundex, "lee"), "L000");
  EXPECT_EQ(apply(BlockingTransform::kSoundex, "o neil"), "O540");  // letters only
  EXPECT_EQ(apply(BlockingTransform::kSoundex, "123"), "<none>");
  EXPECT_EQ(apply(BlockingTransform::kInitial, "sean"), "s");
  EXPECT_EQ(apply(BlockingTransform::kInitial, "\xc3\xa9mile"), "\xc3\xa9");  // one character
  EXPECT_EQ(apply(BlockingTransform::kYear, "19850704"), "1985");
  EXPECT_EQ(apply(BlockingTransform::kMonth, "19850704"), "07");
  EXPECT_EQ(apply(BlockingTransform::kDistrict, "SW1A1AA"), "SW1A");
  EXPECT_EQ(apply(BlockingTransform::kDistrict, "M11AA"), "M1");
  EXPECT_EQ(apply(BlockingTransform::kArea, "SW1A1AA"), "SW");
  EXPECT_EQ(apply(BlockingTransform::kArea, "M11AA"), "M");
  EXPECT_EQ(apply(BlockingTransform::kValue, "anything"), "anything");
  EXPECT_EQ(apply(BlockingTransform::kValue, ""), "<none>");
}

Secret SecretOf(std::string_view text) {
  auto secret = Secret::FromBytes(text, "test secret");
  EXPECT_TRUE(secret.ok()) << secret.status();
  return std::move(*secret);
}

// Encode(schema, secret, rows, threads): rows of (given, family, dob, postcode, note).
EncodedDataset Encode(const LinkageSchema& schema, std::string_view secret_text,
                      const std::vector<std::vector<std::string>>& rows, int threads = 1) {
  Secret secret = SecretOf(secret_text);
  auto encoder = Encoder::Create(schema, secret, {.threads = threads, .token_cache = true});
  EXPECT_TRUE(encoder.ok()) << encoder.status();
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < rows.size(); ++i) ids.push_back("r" + std::to_string(i));
  std::vector<std::string_view> id_views(ids.begin(), ids.end()), values;
  for (const auto& row : rows) values.insert(values.end(), row.begin(), row.end());
  auto dataset = EncodeRecords(id_views, values, *encoder);
  EXPECT_TRUE(dataset.ok()) << dataset.status();
  return dataset.ok() ? *std::move(dataset) : EncodedDataset{};
}

TEST(BlockingTokensTest, EqualExactlyWhenTheRuleValuesAre) {
  const LinkageSchema schema = ParseOk(WithBlocking(kRules));
  const EncodedDataset d = Encode(schema, "a shared secret of some length",
                                  {{"Ann", "Smith", "1980-01-02", "SW1A 1AA", "x"},
                                   {"Bob", "SMYTH", "03/04/1980", "SW1A 2BB", "y"},  // same rules
                                   {"Ann", "Smith", "1981-01-02", "LS6 1AB", "x"},   // other year
                                   {"Ann", "", "1980-01-02", "", "x"}});             // missing
  const BlockingKeys& k = d.blocking_keys;
  ASSERT_EQ(k.rules, (std::vector<std::string>{"surname_year", "district"}));
  ASSERT_EQ(k.records(), 4u);
  EXPECT_EQ(k.token(0, 0), k.token(1, 0));  // S530 + 1980
  EXPECT_EQ(k.token(0, 1), k.token(1, 1));  // SW1A
  EXPECT_NE(k.token(0, 0), k.token(2, 0));
  EXPECT_NE(k.token(0, 1), k.token(2, 1));
  EXPECT_NE(k.token(0, 0), kNoBlockingToken);
  EXPECT_EQ(k.token(3, 0), kNoBlockingToken);  // no family name
  EXPECT_EQ(k.token(3, 1), kNoBlockingToken);  // no postcode
  // Rules have keys of their own: the same value in two rules gives unrelated tokens.
  const LinkageSchema twice = ParseOk(WithBlocking(
      R"j([{"name": "a", "on": ["family_name"]}, {"name": "b", "on": ["family_name"]}])j"));
  const EncodedDataset t = Encode(twice, "a shared secret of some length",
                                  {{"Ann", "Smith", "1980-01-02", "SW1A 1AA", "x"}});
  EXPECT_NE(t.blocking_keys.token(0, 0), t.blocking_keys.token(0, 1));
}

TEST(BlockingTokensTest, KeyedBySecretAndSameForAnyThreadCount) {
  const LinkageSchema schema = ParseOk(WithBlocking(kRules));
  std::vector<std::vector<std::string>> rows;
  for (int i = 0; i < 3000; ++i) {  // over the encoder's parallel cut-off
    rows.push_back({"Name" + std::to_string(i % 7), "Family" + std::to_string(i % 13),
                    "19" + std::to_string(50 + i % 40) + "-01-0" + std::to_string(1 + i % 9),
                    "LS" + std::to_string(1 + i % 20) + " 1AB", "n"});
  }
  const EncodedDataset one = Encode(schema, "a shared secret of some length", rows, 1);
  const EncodedDataset two = Encode(schema, "a shared secret of some length", rows, 2);
  EXPECT_EQ(one.blocking_keys.tokens, two.blocking_keys.tokens);
  const EncodedDataset other = Encode(schema, "another secret of some length!", rows, 2);
  ASSERT_EQ(other.blocking_keys.tokens.size(), one.blocking_keys.tokens.size());
  std::size_t equal = 0;
  for (std::size_t i = 0; i < one.blocking_keys.tokens.size(); ++i) {
    equal += one.blocking_keys.tokens[i] == other.blocking_keys.tokens[i];
  }
  EXPECT_EQ(equal, 0u);
}

TEST(BlockingTokensTest, SkippedRecordsTakeTheirTokensWithThem) {
  const LinkageSchema schema = ParseOk(WithBlocking(kRules));
  const EncodedDataset d = Encode(schema, "a shared secret of some length",
                                  {{"Ann", "Smith", "1980-01-02", "SW1A 1AA", "x"},
                                   {"", "", "", "", ""},  // nothing usable: skipped
                                   {"Bob", "Jones", "1990-05-06", "LS6 1AB", "x"}});
  ASSERT_EQ(d.size(), 2u);
  const EncodedDataset alone = Encode(schema, "a shared secret of some length",
                                      {{"Bob", "Jones", "1990-05-06", "LS6 1AB", "x"}});
  EXPECT_EQ(d.blocking_keys.token(1, 0), alone.blocking_keys.token(0, 0));
  EXPECT_EQ(d.blocking_keys.token(1, 1), alone.blocking_keys.token(0, 1));
}

TEST(BlockingTokensTest, BloomFilesKeepThemAndRefuseACorruptSection) {
  const LinkageSchema schema = ParseOk(WithBlocking(kRules));
  const EncodedDataset d = Encode(
      schema, "a shared secret of some length",
      {{"Ann", "Smith", "1980-01-02", "SW1A 1AA", "x"}, {"Bob", "Jones", "", "LS6 1AB", "y"}});
  const std::string path = ::testing::TempDir() + "/blocking_keys_test.bloom";
  ASSERT_TRUE(io::WriteEncodedFile(d, path).ok());
  auto back = io::ReadEncodedFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->blocking_keys.rules, d.blocking_keys.rules);
  EXPECT_EQ(back->blocking_keys.tokens, d.blocking_keys.tokens);
  auto header = io::ReadEncodedFileHeader(path);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->blocking_rules, d.blocking_keys.rules);

  // The section's rule count changed: refused by the layout checks, naming the section.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::size_t at = bytes.find("bkey");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 12] = 3;  // 3 rules instead of 2
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  EXPECT_THAT(io::ReadEncodedFile(path),
              StatusIs(StatusCode::kInvalidArgument, "section bkey (blocking tokens)"));

  // A dataset whose tokens do not match its records is not written.
  EncodedDataset bad = d;
  bad.blocking_keys.tokens.pop_back();
  EXPECT_THAT(io::WriteEncodedFile(bad, path),
              StatusIs(StatusCode::kInvalidArgument, "blocking tokens for 2 records and 2 rules"));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace bloomlink::encode
