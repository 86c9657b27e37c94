// The index tests' encoding of synthetic sources (bloomlink synth --sources): one schema with
// field-level filters (so that sources are linked by Fellegi-Sunter) and one secret.
#pragma once

#include <string>
#include <string_view>

#include "bloomlink/encode/encode_csv.hpp"
#include "test_support.hpp"

namespace bloomlink::index::testing {

inline constexpr std::string_view kSchema = R"({
  "bloomlink_schema": 1,
  "fields": [
    {"name": "nhs_number", "type": "nhs_number", "field_filter": {"bits": 128, "per_token": 8}},
    {"name": "given_name", "type": "name", "field_filter": {"bits": 256, "per_token": 8}},
    {"name": "family_name", "type": "name", "field_filter": {"bits": 256, "per_token": 8}},
    {"name": "date_of_birth", "type": "date", "field_filter": {"bits": 128, "per_token": 8}},
    {"name": "sex", "type": "sex", "field_filter": {"bits": 64, "per_token": 8}},
    {"name": "postcode", "type": "postcode", "field_filter": {"bits": 256, "per_token": 8}}
  ]
})";
inline constexpr std::string_view kSecret = "person index test secret, 32 bytes";

// Encode(path, secret): the CSV at `path` encoded with kSchema (an empty dataset, and a test
// failure, on any error).
inline EncodedDataset Encode(const std::string& path, std::string_view secret_text = kSecret) {
  auto schema = ParseSchema(kSchema, "schema.json");
  EXPECT_TRUE(schema.ok()) << schema.status();
  auto secret = encode::Secret::FromBytes(secret_text, "test secret");
  EXPECT_TRUE(secret.ok());
  auto encoder = encode::Encoder::Create(*schema, *secret, {.threads = 2, .token_cache = true});
  EXPECT_TRUE(encoder.ok());
  auto data = encode::EncodeCsv(path, *encoder, {});
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *std::move(data) : EncodedDataset{};
}

}  // namespace bloomlink::index::testing
