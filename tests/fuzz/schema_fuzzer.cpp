// libFuzzer target: the schema parser (bloomlink/schema.hpp), both dialects (bloomlink's own and
// clkhash v2/v3), as `bloomlink schema check` and `bloomlink encode` use it.
//
// Input: the schema's bytes. Invariants checked beyond "no crash, no exception":
//  - errors are InvalidArgument and start with the source name;
//  - an accepted schema is within the documented limits, its fingerprint is the SHA-256 of its
//    canonical JSON, which is itself valid JSON without white space, and parsing is deterministic;
//  - an accepted schema gives an encoder (Encoder::Create: key derivation and MAC set-up), as
//    `bloomlink encode` would make, and that encoder encodes a record made of the input's bytes
//    (each field's value is the input's first 128 bytes, so clkhash patterns are matched against
//    text that shares their alphabet, and hashing stays cheap); the one error allowed is
//    InvalidArgument (a pattern over the match limit).
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bloomlink/encode/encoder.hpp"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/schema.hpp"
#include "fuzz_support.hpp"
#include "nlohmann/json.hpp"

namespace {

using bloomlink::FieldSpec;
using bloomlink::LinkageSchema;

constexpr std::string_view kSource = "fuzz.json";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto schema = bloomlink::ParseSchema(json, kSource);
  if (!schema.ok()) {
    bloomlink::fuzz::ExpectInvalidArgument(schema.status(), "ParseSchema");
    FUZZ_CHECK(std::string(schema.status().message()).rfind(kSource, 0) == 0,
               "the message does not name the source: " + schema.status().ToString());
    return 0;
  }
  const LinkageSchema& s = *schema;
  FUZZ_CHECK(!s.fields.empty() && s.fields.size() <= bloomlink::kMaxFields, "field count");
  FUZZ_CHECK(s.filter_bits >= 1 && s.filter_bits <= bloomlink::kMaxFilterBits, "filter_bits");
  FUZZ_CHECK((std::uint64_t{s.filter_bits} << s.xor_folds) <= bloomlink::kMaxFilterBits,
             "filter_bits << xor_folds");
  for (const FieldSpec& f : s.fields) {
    FUZZ_CHECK(!f.column.empty() || s.dialect != bloomlink::SchemaDialect::kBloomlink,
               "a bloomlink field without a column");
    if (f.ignored) continue;
    FUZZ_CHECK(f.bits.count >= 1, "a field with no bits");
    FUZZ_CHECK(f.field_filter.bits <= bloomlink::kMaxFilterBits, "field_filter.bits");
  }

  bloomlink::Digest digest{};
  unsigned int len = 0;
  EVP_Digest(s.canonical_json.data(), s.canonical_json.size(), digest.data(), &len, EVP_sha256(),
             nullptr);
  FUZZ_CHECK(digest == s.fingerprint, "the fingerprint is not the SHA-256 of the canonical JSON");
  auto canonical = nlohmann::json::parse(s.canonical_json, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!canonical.is_discarded(), "the canonical JSON is not JSON");
  FUZZ_CHECK(canonical.dump() == s.canonical_json, "the canonical JSON is not in canonical form");

  auto again = bloomlink::ParseSchema(json, kSource);
  FUZZ_CHECK(again.ok() && again->fingerprint == s.fingerprint, "parsing is not deterministic");

  static const auto secret =
      bloomlink::encode::Secret::FromBytes("fuzz-secret-0123456789abcdef", "the fuzz secret");
  if (!secret.ok()) bloomlink::fuzz::Fail(secret.status().ToString());
  bloomlink::encode::EncoderOptions options;
  options.threads = 1;
  auto encoder = bloomlink::encode::Encoder::Create(s, *secret, options);
  FUZZ_CHECK(encoder.ok(), "an accepted schema gives no encoder: " + encoder.status().ToString());

  const std::vector<std::string_view> values(s.fields.size(), json.substr(0, 128));
  bloomlink::BitMatrix clks(1, s.filter_bits);
  bloomlink::encode::EncodeStats stats;
  const absl::Status encoded = encoder->EncodeBatch(values, 1, clks, 0, stats);
  if (!encoded.ok()) bloomlink::fuzz::ExpectInvalidArgument(encoded, "EncodeBatch");
  return 0;
}
