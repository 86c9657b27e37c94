// ValueCleaner gives the clean value and tokens the Encoder hashes.
#include "bloomlink/encode/clean.hpp"
#include "bloomlink/encode/encoder.hpp"
#include "test_support.hpp"

namespace bloomlink::encode {
namespace {

LinkageSchema StarterSchema() {
  auto schema = ParseSchema(StarterSchemaJson(), "starter");
  EXPECT_TRUE(schema.ok()) << schema.status();
  return *schema;
}

std::vector<std::string> Strings(const TokenList& tokens) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < tokens.size(); ++i) out.emplace_back(tokens[i]);
  return out;
}

TEST(ValueCleanerTest, CleansAndTokenisesAsTheSchemaSays) {
  const LinkageSchema schema = StarterSchema();
  auto name = ValueCleaner::Create(schema.fields[1]);  // given_name, q=2 padded
  ASSERT_TRUE(name.ok()) << name.status();
  std::string clean;
  TokenList tokens;
  auto ok = name->CleanAndTokenise("Dr Seán", &clean, &tokens);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(*ok);
  EXPECT_EQ(clean, "sean");
  EXPECT_EQ(Strings(tokens), (std::vector<std::string>{" s", "se", "ea", "an", "n "}));
  // Missing and invalid values are not encoded, and leave nothing behind.
  EXPECT_FALSE(*name->CleanAndTokenise("BABY OF", &clean, &tokens));
  EXPECT_TRUE(clean.empty());
  EXPECT_TRUE(tokens.empty());
  auto nhs = ValueCleaner::Create(schema.fields[0]);
  ASSERT_TRUE(nhs.ok());
  EXPECT_TRUE(*nhs->CleanAndTokenise("943 476 5919", &clean, nullptr));
  EXPECT_EQ(clean, "9434765919");
  EXPECT_FALSE(*nhs->CleanAndTokenise("943 476 5918", &clean, nullptr));  // check digit
  // A copy works on its own.
  ValueCleaner copy = *nhs;
  EXPECT_TRUE(*copy.CleanAndTokenise("9434765919", &clean, &tokens));
  EXPECT_EQ(Strings(tokens), (std::vector<std::string>{"9434765919"}));
}

TEST(ValueCleanerTest, EncodedExactlyWhenTheEncoderSetsBits) {
  // One field at a time: a value is "encoded" exactly when the Encoder's filter has bits.
  const LinkageSchema schema = StarterSchema();
  auto secret = Secret::FromBytes("a secret of sixteen bytes or more", "test");
  ASSERT_TRUE(secret.ok());
  auto encoder = Encoder::Create(schema, *secret, {.threads = 1});
  ASSERT_TRUE(encoder.ok());
  const std::vector<std::string> raw = {
      "", "N/A", "x", "31/02/1990", "1990-02-28", "U", "M", "ZZ99 3VZ", "SW1A 1AA", "Mr", "O'Neil"};
  for (std::size_t j = 0; j < schema.fields.size(); ++j) {
    auto cleaner = ValueCleaner::Create(schema.fields[j]);
    ASSERT_TRUE(cleaner.ok());
    for (const std::string& v : raw) {
      std::vector<std::string_view> values(schema.fields.size(), "");
      values[j] = v;
      BitMatrix out(1, schema.filter_bits);
      EncodeStats stats;
      ASSERT_TRUE(encoder->EncodeBatch(values, 1, out, 0, stats).ok());
      std::string clean;
      auto encoded = cleaner->CleanAndTokenise(v, &clean, nullptr);
      ASSERT_TRUE(encoded.ok());
      EXPECT_EQ(*encoded, out.popcount(0) > 0) << schema.fields[j].name << " \"" << v << "\"";
    }
  }
}

}  // namespace
}  // namespace bloomlink::encode
