// Unit tests of the schema parser (both dialects), its canonical form and fingerprint, and the
// strptime subset clkhash date formats use.
#include "bloomlink/schema.hpp"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bloomlink/base64.hpp"
#include "schema/strptime.hpp"
#include "test_support.hpp"

namespace bloomlink {
namespace {

using ::absl::StatusCode;
using ::bloomlink::testing::StatusIs;
using Json = nlohmann::json;

absl::StatusOr<LinkageSchema> Parse(std::string_view json) {
  return ParseSchema(json, "schema.json");
}

LinkageSchema ParseOk(std::string_view json) {
  auto schema = Parse(json);
  EXPECT_TRUE(schema.ok()) << schema.status() << "\n" << json;
  return schema.ok() ? *std::move(schema) : LinkageSchema{};
}

// A one-field bloomlink schema around `field` (a JSON object text).
std::string OneField(std::string_view field) {
  return std::string(R"({"bloomlink_schema": 1, "fields": [)") + std::string(field) + "]}";
}

std::string Hex(const Digest& d) { return HexEncode(d); }

// ---------------------------------------------------------------------------------------------
// bloomlink dialect: defaults and keys.

struct TypeDefaultCase {
  std::string_view type;
  FieldKind kind;
  TokenKind tokens;
  int q;
  bool per_field;
  int bits;
};

TEST(BloomlinkSchemaTest, DefaultsPerType) {
  const TypeDefaultCase cases[] = {
      {"text", FieldKind::kText, TokenKind::kQgram, 2, true, 200},
      {"name", FieldKind::kName, TokenKind::kQgram, 2, true, 200},
      {"date", FieldKind::kDate, TokenKind::kPositionalQgram, 1, true, 160},
      {"sex", FieldKind::kSex, TokenKind::kExact, 2, false, 20},
      {"postcode", FieldKind::kPostcode, TokenKind::kQgram, 2, true, 120},
      {"nhs_number", FieldKind::kNhsNumber, TokenKind::kExact, 2, false, 80},
  };
  for (const TypeDefaultCase& c : cases) {
    SCOPED_TRACE(c.type);
    LinkageSchema s =
        ParseOk(OneField(std::string(R"({"name": "f", "type": ")") + std::string(c.type) + "\"}"));
    ASSERT_EQ(s.fields.size(), 1u);
    const FieldSpec& f = s.fields[0];
    EXPECT_EQ(f.kind, c.kind);
    EXPECT_EQ(f.tokens.kind, c.tokens);
    if (c.tokens != TokenKind::kExact) {
      EXPECT_EQ(f.tokens.q, c.q);
      EXPECT_TRUE(f.tokens.padded);
    }
    EXPECT_EQ(f.bits.per_field, c.per_field);
    EXPECT_EQ(f.bits.count, c.bits);
    EXPECT_EQ(f.name, "f");
    EXPECT_EQ(f.column, "f");
    EXPECT_FALSE(f.ignored);
    EXPECT_FALSE(f.drop_punctuation);
    EXPECT_EQ(f.min_year, 1880);
    EXPECT_EQ(f.max_year, 2100);
    EXPECT_EQ(f.hash.scheme, HashScheme::kHmacSha256Double);
    EXPECT_EQ(f.hash.encoding, TextEncoding::kUtf8);
    // Stored trimmed, lower case and sorted: the form raw values are compared in.
    EXPECT_EQ(f.missing.values, (std::vector<std::string>{"n/a", "null"}));
    EXPECT_FALSE(f.missing.replace_with.has_value());
  }
}

// The identifier types are one table: each names its kind and cleaner, and the cleaner gets the
// field's options.
TEST(IdentifierTypesTest, EachTypeIsOneEntryWithItsCleaner) {
  std::vector<std::string_view> names;
  for (const IdentifierType& t : IdentifierTypes()) {
    names.push_back(t.name);
    EXPECT_EQ(FieldKindName(t.kind), t.name);
    EXPECT_EQ(IdentifierTypeOf(t.kind), &t);
    ASSERT_NE(t.clean, nullptr);
  }
  EXPECT_EQ(names, (std::vector<std::string_view>{"text", "name", "date", "sex", "postcode",
                                                  "nhs_number"}));
  EXPECT_EQ(IdentifierTypeOf(FieldKind::kClkString), nullptr);
  FieldSpec date = ParseOk(OneField(R"({"name": "d", "type": "date",
                                         "options": {"min_year": 2000}})"))
                       .fields[0];
  std::string out;
  EXPECT_EQ(IdentifierTypeOf(FieldKind::kDate)->clean("31/12/1999", date, &out).status,
            encode::CleanStatus::kInvalid);
  EXPECT_EQ(IdentifierTypeOf(FieldKind::kDate)->clean("01/01/2000", date, &out).status,
            encode::CleanStatus::kValid);
  EXPECT_EQ(out, "20000101");
  FieldSpec text = ParseOk(OneField(R"({"name": "t", "type": "text",
                                         "options": {"drop_punctuation": true}})"))
                       .fields[0];
  EXPECT_EQ(IdentifierTypeOf(FieldKind::kText)->clean("O'Neil", text, &out).status,
            encode::CleanStatus::kValid);
  EXPECT_EQ(out, "oneil");
}

TEST(BloomlinkSchemaTest, TopLevelDefaults) {
  LinkageSchema s = ParseOk(OneField(R"({"name": "f", "type": "text"})"));
  EXPECT_EQ(s.dialect, SchemaDialect::kBloomlink);
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(s.filter_bits, 1024u);
  EXPECT_EQ(s.xor_folds, 0);
  EXPECT_EQ(s.kdf.hash, HkdfHash::kSha256);
  EXPECT_EQ(s.kdf.salt, "bloomlink/schema/v1");
  EXPECT_EQ(s.kdf.info, "");
  EXPECT_TRUE(s.warnings.empty());
  EXPECT_FALSE(s.canonical_json.empty());
}

TEST(BloomlinkSchemaTest, EveryKey) {
  LinkageSchema s = ParseOk(R"({
    "bloomlink_schema": 1,
    "description": "every key",
    "filter": {"bits": 2048},
    "hashing": {"algorithm": "hmac-sha256", "salt": "cHJvamVjdC1zYWx0"},
    "missing_values": ["?", "unknown"],
    "fields": [
      {"name": "Free.text-1", "column": "Notes", "type": "text", "description": "d",
       "options": {"drop_punctuation": true},
       "tokens": {"kind": "positional_qgram", "q": 3, "padded": false},
       "bits": {"per_token": 7},
       "missing_values": ["-"]},
      {"name": "dob", "type": "date", "options": {"min_year": 1900, "max_year": 2025},
       "tokens": {"kind": "exact"}, "bits": {"per_field": 2048}},
      {"name": "pc", "type": "postcode", "tokens": {"kind": "qgram", "q": 5}}
    ]
  })");
  EXPECT_EQ(s.filter_bits, 2048u);
  EXPECT_EQ(s.kdf.salt, "project-salt");
  ASSERT_EQ(s.fields.size(), 3u);

  const FieldSpec& text = s.fields[0];
  EXPECT_EQ(text.name, "Free.text-1");
  EXPECT_EQ(text.column, "Notes");
  EXPECT_EQ(text.kind, FieldKind::kText);
  EXPECT_TRUE(text.drop_punctuation);
  EXPECT_EQ(text.tokens.kind, TokenKind::kPositionalQgram);
  EXPECT_EQ(text.tokens.q, 3);
  EXPECT_FALSE(text.tokens.padded);
  EXPECT_FALSE(text.bits.per_field);
  EXPECT_EQ(text.bits.count, 7);
  EXPECT_EQ(text.missing.values, (std::vector<std::string>{"-"}));

  const FieldSpec& dob = s.fields[1];
  EXPECT_EQ(dob.min_year, 1900);
  EXPECT_EQ(dob.max_year, 2025);
  EXPECT_EQ(dob.tokens.kind, TokenKind::kExact);
  EXPECT_TRUE(dob.bits.per_field);
  EXPECT_EQ(dob.bits.count, 2048);
  // The top-level list applies where a field has none of its own.
  EXPECT_EQ(dob.missing.values, (std::vector<std::string>{"?", "unknown"}));

  const FieldSpec& pc = s.fields[2];
  EXPECT_EQ(pc.tokens.kind, TokenKind::kQgram);
  EXPECT_EQ(pc.tokens.q, 5);
  EXPECT_TRUE(pc.tokens.padded);
  // Tokens given, bits not: the type's bits stay.
  EXPECT_TRUE(pc.bits.per_field);
  EXPECT_EQ(pc.bits.count, 120);
}

TEST(BloomlinkSchemaTest, EmptyMissingValuesListIsAllowed) {
  LinkageSchema s = ParseOk(R"({"bloomlink_schema": 1, "missing_values": [],
                               "fields": [{"name": "a", "type": "text"},
                                          {"name": "b", "type": "text", "missing_values": []}]})");
  EXPECT_TRUE(s.fields[0].missing.values.empty());
  EXPECT_TRUE(s.fields[1].missing.values.empty());
}

TEST(BloomlinkSchemaTest, TwoFieldsMayReadTheSameColumn) {
  LinkageSchema s = ParseOk(R"({"bloomlink_schema": 1, "fields": [
      {"name": "pc_grams", "column": "postcode", "type": "postcode"},
      {"name": "pc_exact", "column": "postcode", "type": "postcode", "tokens": {"kind": "exact"},
       "bits": {"per_token": 30}}]})");
  ASSERT_EQ(s.fields.size(), 2u);
  EXPECT_EQ(s.fields[0].column, "postcode");
  EXPECT_EQ(s.fields[1].column, "postcode");
}

TEST(BloomlinkSchemaTest, FilterBitsLimits) {
  for (int bits : {64, 128, 1024, 65536}) {
    LinkageSchema s =
        ParseOk(std::string(R"({"bloomlink_schema": 1, "filter": {"bits": )") +
                std::to_string(bits) + R"(}, "fields": [{"name": "a", "type": "sex"}]})");
    EXPECT_EQ(s.filter_bits, static_cast<std::uint32_t>(bits));
  }
}

TEST(BloomlinkSchemaTest, StarterSchemaParsesWithTheSixFields) {
  auto s = ParseSchema(StarterSchemaJson(), "starter");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->filter_bits, 1024u);
  struct Want {
    std::string_view name;
    FieldKind kind;
    TokenKind tokens;
    int q;
    bool per_field;
    int bits;
  };
  const Want want[] = {
      {"nhs_number", FieldKind::kNhsNumber, TokenKind::kExact, 0, false, 80},
      {"given_name", FieldKind::kName, TokenKind::kQgram, 2, true, 200},
      {"family_name", FieldKind::kName, TokenKind::kQgram, 2, true, 200},
      {"date_of_birth", FieldKind::kDate, TokenKind::kPositionalQgram, 1, true, 160},
      {"sex", FieldKind::kSex, TokenKind::kExact, 0, false, 20},
      {"postcode", FieldKind::kPostcode, TokenKind::kQgram, 2, true, 120},
  };
  ASSERT_EQ(s->fields.size(), 6u);
  for (std::size_t j = 0; j < 6; ++j) {
    SCOPED_TRACE(want[j].name);
    const FieldSpec& f = s->fields[j];
    EXPECT_EQ(f.name, want[j].name);
    EXPECT_EQ(f.column, want[j].name);
    EXPECT_EQ(f.kind, want[j].kind);
    EXPECT_EQ(f.tokens.kind, want[j].tokens);
    if (want[j].tokens != TokenKind::kExact) {
      EXPECT_EQ(f.tokens.q, want[j].q);
      EXPECT_TRUE(f.tokens.padded);
    }
    EXPECT_EQ(f.bits.per_field, want[j].per_field);
    EXPECT_EQ(f.bits.count, want[j].bits);
  }
  // The starter schema spells out the type defaults, so it means the same as the bare types
  // (with its hardening: keyed diffusion of the CLK).
  EXPECT_EQ(s->hardening.clk.diffusion_taps, 2);
  EXPECT_EQ(s->hardening.clk.blip, 0);
  LinkageSchema bare = ParseOk(R"({"bloomlink_schema": 1, "fields": [
      {"name": "nhs_number", "type": "nhs_number"}, {"name": "given_name", "type": "name"},
      {"name": "family_name", "type": "name"}, {"name": "date_of_birth", "type": "date"},
      {"name": "sex", "type": "sex"}, {"name": "postcode", "type": "postcode"}],
      "hardening": {"clk": {"diffusion_taps": 2}}})");
  EXPECT_EQ(Hex(bare.fingerprint), Hex(s->fingerprint));
}

TEST(BloomlinkSchemaTest, StarterSchemaWithFieldFiltersHardensThemToo) {
  auto s = ParseSchema(StarterSchemaJson({.field_filters = true}), "starter --fs");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->fields.size(), 6u);
  for (const FieldSpec& f : s->fields) EXPECT_GT(f.field_filter.bits, 0u) << f.name;
  EXPECT_EQ(s->hardening.clk.diffusion_taps, 2);
  EXPECT_EQ(s->hardening.field_filters.diffusion_taps, 2);
  EXPECT_EQ(s->hardening.field_filters.blip, 0.02);
}

TEST(BloomlinkSchemaTest, LoadSchemaReadsAFileAndNamesIt) {
  testing::TempDir dir;
  const std::string path = dir.file("s.json");
  testing::WriteFile(path, StarterSchemaJson());
  auto s = LoadSchema(path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->fields.size(), 6u);

  testing::WriteFile(path, R"({"bloomlink_schema": 1, "fields": []})");
  EXPECT_THAT(LoadSchema(path), StatusIs(StatusCode::kInvalidArgument, path + ": fields:"));
  EXPECT_THAT(LoadSchema(dir.file("absent.json")),
              StatusIs(StatusCode::kNotFound, "absent.json: cannot open the schema file"));
}

TEST(BloomlinkSchemaTest, LoadSchemaRefusesFoldersAndEndlessFiles) {
  testing::TempDir dir;
  EXPECT_THAT(
      LoadSchema(dir.path().string()),
      StatusIs(StatusCode::kInvalidArgument, ": cannot read the schema file: it is a folder"));
  // Read up to the limit only: /dev/zero must not exhaust memory.
  EXPECT_THAT(LoadSchema("/dev/zero"),
              StatusIs(StatusCode::kInvalidArgument, "/dev/zero: schema file is over 16 MiB"));
}

// ---------------------------------------------------------------------------------------------
// bloomlink dialect: errors.

struct ErrorCase {
  std::string_view what;
  std::string json;
  std::string message;  // expected substring (the whole message after "schema.json: " mostly)
};

TEST(BloomlinkSchemaTest, NotJsonNamesLineAndColumn) {
  EXPECT_THAT(Parse("{\n  \"bloomlink_schema\": 1,\n  \"fields\": [,]\n}"),
              StatusIs(StatusCode::kInvalidArgument, "schema.json:3:14: not valid JSON"));
  EXPECT_THAT(Parse(""), StatusIs(StatusCode::kInvalidArgument, "schema.json:1:1: not valid JSON"));
  EXPECT_THAT(Parse("{\"a\": 1} x"),
              StatusIs(StatusCode::kInvalidArgument, "schema.json:1:10: not valid JSON"));
}

// Found by the schema fuzzer (tests/fuzz/regressions/schema/number_overflow.json): a number too
// large for a double made nlohmann/json throw out_of_range, which escaped ParseSchema and aborted
// `bloomlink schema check`.
TEST(BloomlinkSchemaTest, FuzzRegressionNumberOverflowIsInvalidJson) {
  EXPECT_THAT(Parse(R"({"bloomlink_schema": 1e400})"),
              StatusIs(StatusCode::kInvalidArgument,
                       "schema.json: not valid JSON ([json.exception.out_of_range.406] number "
                       "overflow parsing '1e400')"));
  EXPECT_THAT(Parse(R"({"version": 3, "clkConfig": {"l": -1e999}})"),
              StatusIs(StatusCode::kInvalidArgument, "number overflow parsing '-1e999'"));
}

TEST(BloomlinkSchemaTest, Errors) {
  const std::string kField = R"({"name": "f", "type": "name"})";
  const ErrorCase cases[] = {
      {"not an object", "[1, 2]",
       "schema.json: (top level): expected an object, got an array of 2 items"},
      {"neither dialect", R"({"fields": 1, "bloomlink": 1})", "schema.json: not a linkage schema"},
      {"neither dialect, empty", "{}", "schema.json: not a linkage schema"},
      {"missing fields", R"({"bloomlink_schema": 1})",
       "schema.json: fields: missing; expected an array of field objects"},
      {"empty fields", R"({"bloomlink_schema": 1, "fields": []})",
       "schema.json: fields: expected an array of 1..256 field objects, got an empty array"},
      {"fields not an array", R"({"bloomlink_schema": 1, "fields": {}})",
       "schema.json: fields: expected an array of 1..256 field objects, got an object"},
      {"field not an object", R"({"bloomlink_schema": 1, "fields": ["name"]})",
       "schema.json: fields[0]: expected an object, got \"name\""},
      {"unknown top-level key", R"({"bloomlink_schema": 1, "feilds": [], "fields": [1]})",
       "schema.json: feilds: unknown key (expected one of: bloomlink_schema, description, filter, "
       "hashing, missing_values, fields, blocking, hardening)"},
      {"unknown filter key",
       R"({"bloomlink_schema": 1, "filter": {"bits": 64, "k": 2}, "fields": [)" + kField + "]}",
       "schema.json: filter.k: unknown key (expected one of: bits)"},
      {"unknown hashing key",
       R"({"bloomlink_schema": 1, "hashing": {"algo": "x"}, "fields": [)" + kField + "]}",
       "schema.json: hashing.algo: unknown key (expected one of: algorithm, salt)"},
      {"unknown field key", OneField(R"({"name": "f", "colum": "x", "type": "name"})"),
       "schema.json: fields[0].colum: unknown key (expected one of: name, column, type, options, "
       "tokens, bits, field_filter, missing_values, description)"},
      {"unknown tokens key",
       OneField(
           R"({"name": "f", "type": "name", "tokens": {"kind": "qgram", "q": 2, "pad": true}})"),
       "schema.json: fields[0].tokens.pad: unknown key (expected one of: kind, q, padded)"},
      {"unknown bits key", OneField(R"({"name": "f", "type": "name", "bits": {"k": 2}})"),
       "schema.json: fields[0].bits.k: unknown key (expected one of: per_token, per_field)"},
      {"unknown text option",
       OneField(R"({"name": "f", "type": "text", "options": {"drop_punct": true}})"),
       "schema.json: fields[0].options.drop_punct: unknown key (expected one of: "
       "drop_punctuation)"},
      {"unknown date option",
       OneField(R"({"name": "f", "type": "date", "options": {"min": 1900}})"),
       "schema.json: fields[0].options.min: unknown key (expected one of: min_year, max_year)"},
      {"options on a type without options",
       OneField(R"({"name": "f", "type": "sex", "options": {"strict": true}})"),
       "schema.json: fields[0].options.strict: unknown key"},
      {"q as a string",
       R"({"bloomlink_schema": 1, "fields": [)" + kField +
           R"(, {"name": "g", "type": "name", "tokens": {"kind": "qgram", "q": "two"}}]})",
       "schema.json: fields[1].tokens.q: expected an integer 1..5, got \"two\""},
      {"q out of range",
       OneField(R"({"name": "f", "type": "name", "tokens": {"kind": "qgram", "q": 6}})"),
       "schema.json: fields[0].tokens.q: expected an integer 1..5, got 6"},
      {"q fractional",
       OneField(R"({"name": "f", "type": "name", "tokens": {"kind": "qgram", "q": 2.5}})"),
       "schema.json: fields[0].tokens.q: expected an integer 1..5, got 2.5"},
      {"q far out of range",
       OneField(R"({"name": "f", "type": "name", "tokens": {"kind": "qgram", "q": 1e300}})"),
       "schema.json: fields[0].tokens.q: expected an integer 1..5, got 1e+300"},
      {"q far out of range, negative",
       OneField(R"({"name": "f", "type": "name", "tokens": {"kind": "qgram", "q": -1e19}})"),
       "schema.json: fields[0].tokens.q: expected an integer 1..5, got -1e+19"},
      {"q missing", OneField(R"({"name": "f", "type": "name", "tokens": {"kind": "qgram"}})"),
       "schema.json: fields[0].tokens.q: missing; expected an integer 1..5"},
      {"q with exact",
       OneField(R"({"name": "f", "type": "name", "tokens": {"kind": "exact", "q": 2}})"),
       "schema.json: fields[0].tokens.q: expected no q or padded with kind \"exact\", got 2"},
      {"padded with exact",
       OneField(R"({"name": "f", "type": "name", "tokens": {"kind": "exact", "padded": true}})"),
       "schema.json: fields[0].tokens.padded: expected no q or padded with kind \"exact\""},
      {"padded not a bool",
       OneField(
           R"({"name": "f", "type": "name", "tokens": {"kind": "qgram", "q": 2, "padded": 1}})"),
       "schema.json: fields[0].tokens.padded: expected true or false, got 1"},
      {"unknown token kind",
       OneField(R"({"name": "f", "type": "name", "tokens": {"kind": "bigram"}})"),
       "schema.json: fields[0].tokens.kind: expected one of \"qgram\", \"positional_qgram\", "
       "\"exact\", got \"bigram\""},
      {"unknown type", OneField(R"({"name": "f", "type": "surname"})"),
       "schema.json: fields[0].type: expected one of \"text\", \"name\", \"date\", \"sex\", "
       "\"postcode\", \"nhs_number\", got \"surname\""},
      {"missing type", OneField(R"({"name": "f"})"), "schema.json: fields[0].type: missing"},
      {"missing name", OneField(R"({"type": "name"})"),
       "schema.json: fields[0].name: missing; expected a string"},
      {"name not a string", OneField(R"({"name": 7, "type": "name"})"),
       "schema.json: fields[0].name: expected a string, got 7"},
      {"name with a space", OneField(R"({"name": "given name", "type": "name"})"),
       "schema.json: fields[0].name: expected a name of 1..64 letters, digits, '_', '-' or '.', "
       "got \"given name\""},
      {"empty name", OneField(R"({"name": "", "type": "name"})"),
       "schema.json: fields[0].name: expected a name of 1..64"},
      {"name of 65 characters",
       OneField(R"({"name": ")" + std::string(65, 'a') + R"(", "type": "name"})"),
       "schema.json: fields[0].name: expected a name of 1..64"},
      {"non-ASCII name", OneField(R"({"name": "prénom", "type": "name"})"),
       "schema.json: fields[0].name: expected a name of 1..64"},
      {"empty column", OneField(R"({"name": "f", "column": "", "type": "name"})"),
       "schema.json: fields[0].column: expected a non-empty column name, got \"\""},
      {"duplicate field names",
       R"({"bloomlink_schema": 1, "fields": [{"name": "a", "type": "name"},
           {"name": "b", "type": "sex"}, {"name": "a", "type": "date"}]})",
       "schema.json: fields[2].name: expected a name not used by another field, got \"a\""},
      {"filter bits not a multiple of 64",
       R"({"bloomlink_schema": 1, "filter": {"bits": 1000}, "fields": [)" + kField + "]}",
       "schema.json: filter.bits: expected a multiple of 64 from 64 to 65536, got 1000"},
      {"filter bits too small",
       R"({"bloomlink_schema": 1, "filter": {"bits": 0}, "fields": [)" + kField + "]}",
       "schema.json: filter.bits: expected an integer 64..65536, got 0"},
      {"filter bits too large",
       R"({"bloomlink_schema": 1, "filter": {"bits": 65600}, "fields": [)" + kField + "]}",
       "schema.json: filter.bits: expected an integer 64..65536, got 65600"},
      {"filter bits negative",
       R"({"bloomlink_schema": 1, "filter": {"bits": -64}, "fields": [)" + kField + "]}",
       "schema.json: filter.bits: expected an integer 64..65536, got -64"},
      {"filter not an object",
       R"({"bloomlink_schema": 1, "filter": 1024, "fields": [)" + kField + "]}",
       "schema.json: filter: expected an object, got 1024"},
      {"per_token and per_field",
       OneField(R"({"name": "f", "type": "name", "bits": {"per_token": 2, "per_field": 100}})"),
       "schema.json: fields[0].bits: expected exactly one of \"per_token\" or \"per_field\""},
      {"neither per_token nor per_field", OneField(R"({"name": "f", "type": "name", "bits": {}})"),
       "schema.json: fields[0].bits: expected exactly one of \"per_token\" or \"per_field\""},
      {"per_token zero", OneField(R"({"name": "f", "type": "name", "bits": {"per_token": 0}})"),
       "schema.json: fields[0].bits.per_token: expected an integer 1..256, got 0"},
      {"per_token too many",
       OneField(R"({"name": "f", "type": "name", "bits": {"per_token": 257}})"),
       "schema.json: fields[0].bits.per_token: expected an integer 1..256, got 257"},
      {"per_field over the filter",
       R"({"bloomlink_schema": 1, "filter": {"bits": 512}, "fields": [{"name": "f", "type": "name",
           "bits": {"per_field": 513}}]})",
       "schema.json: fields[0].bits.per_field: expected an integer 1..512, got 513"},
      {"bad base64 salt",
       R"({"bloomlink_schema": 1, "hashing": {"salt": "not base64!"}, "fields": [)" + kField + "]}",
       "schema.json: hashing.salt: expected non-empty base64 text, got \"not base64!\""},
      {"empty salt",
       R"({"bloomlink_schema": 1, "hashing": {"salt": ""}, "fields": [)" + kField + "]}",
       "schema.json: hashing.salt: expected non-empty base64 text, got \"\""},
      {"other algorithm",
       R"({"bloomlink_schema": 1, "hashing": {"algorithm": "sha1"}, "fields": [)" + kField + "]}",
       "schema.json: hashing.algorithm: expected one of \"hmac-sha256\", got \"sha1\""},
      {"future version", R"({"bloomlink_schema": 2, "fields": [)" + kField + "]}",
       "schema.json: bloomlink_schema: version 2 was made by a newer bloomlink; this one reads "
       "version 1"},
      {"version zero", R"({"bloomlink_schema": 0, "fields": [)" + kField + "]}",
       "schema.json: bloomlink_schema: expected an integer >= 1, got 0"},
      {"version a string", R"({"bloomlink_schema": "1", "fields": [)" + kField + "]}",
       "schema.json: bloomlink_schema: expected an integer >= 1, got \"1\""},
      {"min_year after max_year",
       OneField(
           R"({"name": "f", "type": "date", "options": {"min_year": 2000, "max_year": 1990}})"),
       "schema.json: fields[0].options.max_year: expected a year >= min_year (2000), got 1990"},
      {"min_year after the default max_year",
       OneField(R"({"name": "f", "type": "date", "options": {"min_year": 2200}})"),
       "schema.json: fields[0].options.max_year: expected a year >= min_year (2200)"},
      {"year out of range",
       OneField(R"({"name": "f", "type": "date", "options": {"min_year": 0}})"),
       "schema.json: fields[0].options.min_year: expected an integer 1..9999, got 0"},
      {"drop_punctuation not a bool",
       OneField(R"({"name": "f", "type": "text", "options": {"drop_punctuation": "yes"}})"),
       "schema.json: fields[0].options.drop_punctuation: expected true or false, got \"yes\""},
      {"missing_values not strings",
       R"({"bloomlink_schema": 1, "missing_values": ["NULL", 0], "fields": [)" + kField + "]}",
       "schema.json: missing_values[1]: expected a string, got 0"},
      {"field missing_values not an array",
       OneField(R"({"name": "f", "type": "name", "missing_values": "NULL"})"),
       "schema.json: fields[0].missing_values: expected an array of strings, got \"NULL\""},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_THAT(Parse(c.json), StatusIs(StatusCode::kInvalidArgument, c.message));
  }
}

TEST(BloomlinkSchemaTest, TooManyFields) {
  Json doc = {{"bloomlink_schema", 1}, {"fields", Json::array()}};
  for (int i = 0; i < 257; ++i) {
    std::string name = std::string("f").append(std::to_string(i));
    doc["fields"].push_back({{"name", name}, {"type", "sex"}});
  }
  EXPECT_THAT(Parse(doc.dump()),
              StatusIs(StatusCode::kInvalidArgument,
                       "schema.json: fields: expected an array of 1..256 field objects"));
  doc["fields"].erase(doc["fields"].size() - 1);
  EXPECT_TRUE(Parse(doc.dump()).ok());
}

TEST(BloomlinkSchemaTest, ErrorsNameTheSource) {
  EXPECT_THAT(ParseSchema(OneField(R"({"name": "f", "type": "name", "bits": {}})"), "proj/s.json"),
              StatusIs(StatusCode::kInvalidArgument, "proj/s.json: fields[0].bits: expected"));
}

// ---------------------------------------------------------------------------------------------
// Fingerprint and canonical form.

std::string FingerprintOf(std::string_view json) { return Hex(ParseOk(json).fingerprint); }

const char kBase[] = R"({"bloomlink_schema": 1, "fields": [
    {"name": "given", "type": "name"},
    {"name": "dob", "type": "date"},
    {"name": "note", "type": "text"}]})";

TEST(FingerprintTest, EqualForSchemasThatMeanTheSame) {
  const std::string base = FingerprintOf(kBase);
  const char* same[] = {
      // Key order and white space.
      R"({"fields":[{"type":"name","name":"given"},{"type":"date","name":"dob"},{"name":"note","type":"text"}],"bloomlink_schema":1})",
      // Descriptions.
      R"({"bloomlink_schema": 1, "description": "anything", "fields": [
          {"name": "given", "type": "name", "description": "first name"},
          {"name": "dob", "type": "date"},
          {"name": "note", "type": "text", "description": "x"}]})",
      // Every default spelled out.
      R"({"bloomlink_schema": 1, "filter": {"bits": 1024},
          "hashing": {"algorithm": "hmac-sha256", "salt": "Ymxvb21saW5rL3NjaGVtYS92MQ=="},
          "missing_values": ["NULL", "N/A"],
          "fields": [
            {"name": "given", "column": "given", "type": "name",
             "tokens": {"kind": "qgram", "q": 2, "padded": true}, "bits": {"per_field": 200},
             "missing_values": ["NULL", "N/A"]},
            {"name": "dob", "column": "dob", "type": "date",
             "options": {"min_year": 1880, "max_year": 2100},
             "tokens": {"kind": "positional_qgram", "q": 1}, "bits": {"per_field": 160}},
            {"name": "note", "type": "text", "options": {"drop_punctuation": false},
             "tokens": {"kind": "qgram", "q": 2}}]})",
      // 2.0 is the integer 2 in JSON.
      R"({"bloomlink_schema": 1.0, "fields": [
          {"name": "given", "type": "name", "tokens": {"kind": "qgram", "q": 2.0}},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
  };
  for (const char* json : same) {
    SCOPED_TRACE(json);
    EXPECT_EQ(FingerprintOf(json), base);
  }
  EXPECT_EQ(Base64Encode("bloomlink/schema/v1"), "Ymxvb21saW5rL3NjaGVtYS92MQ==");
}

TEST(FingerprintTest, DiffersForEveryEncodingRelevantChange) {
  const std::string base = FingerprintOf(kBase);
  const char* different[] = {
      // q
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given", "type": "name", "tokens": {"kind": "qgram", "q": 3}},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // padded
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given", "type": "name", "tokens": {"kind": "qgram", "q": 2, "padded": false}},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // token kind
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given", "type": "name", "tokens": {"kind": "positional_qgram", "q": 2}},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // bits count
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given", "type": "name", "bits": {"per_field": 201}},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // per_token instead of per_field with the same count
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given", "type": "name", "bits": {"per_token": 200}},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // column
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given", "column": "forename", "type": "name"},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // name
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given_name", "column": "given", "type": "name"},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // type
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given", "type": "text", "options": {"drop_punctuation": true}},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // salt
      R"({"bloomlink_schema": 1, "hashing": {"salt": "cHJvamVjdA=="}, "fields": [
          {"name": "given", "type": "name"},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // field order
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "dob", "type": "date"}, {"name": "given", "type": "name"},
          {"name": "note", "type": "text"}]})",
      // filter bits
      R"({"bloomlink_schema": 1, "filter": {"bits": 2048}, "fields": [
          {"name": "given", "type": "name"},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // date range
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given", "type": "name"},
          {"name": "dob", "type": "date", "options": {"min_year": 1900}},
          {"name": "note", "type": "text"}]})",
      // drop_punctuation
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given", "type": "name"}, {"name": "dob", "type": "date"},
          {"name": "note", "type": "text", "options": {"drop_punctuation": true}}]})",
      // missing values
      R"({"bloomlink_schema": 1, "missing_values": ["NULL"], "fields": [
          {"name": "given", "type": "name"},
          {"name": "dob", "type": "date"}, {"name": "note", "type": "text"}]})",
      // a field fewer
      R"({"bloomlink_schema": 1, "fields": [
          {"name": "given", "type": "name"}, {"name": "dob", "type": "date"}]})",
  };
  std::vector<std::string> seen = {base};
  for (const char* json : different) {
    SCOPED_TRACE(json);
    std::string fp = FingerprintOf(json);
    for (const std::string& other : seen) EXPECT_NE(fp, other);
    seen.push_back(fp);
  }
}

TEST(FingerprintTest, IsTheSha256OfTheCanonicalJson) {
  LinkageSchema s = ParseOk(StarterSchemaJson());
  Digest digest{};
  unsigned int len = 0;
  ASSERT_EQ(EVP_Digest(s.canonical_json.data(), s.canonical_json.size(), digest.data(), &len,
                       EVP_sha256(), nullptr),
            1);
  EXPECT_EQ(Hex(digest), Hex(s.fingerprint));
}

TEST(FingerprintTest, CanonicalJsonIsCompactSortedAndComplete) {
  LinkageSchema s = ParseOk(StarterSchemaJson());
  const std::string& c = s.canonical_json;
  EXPECT_EQ(c.find(' '), std::string::npos) << c;
  EXPECT_EQ(c.find('\n'), std::string::npos) << c;
  EXPECT_EQ(c.find('\t'), std::string::npos) << c;
  EXPECT_EQ(c.find("description"), std::string::npos) << c;
  EXPECT_EQ(c.find("Starter schema"), std::string::npos) << c;
  Json parsed = Json::parse(c);
  EXPECT_EQ(parsed.dump(), c);  // nlohmann dumps keys sorted: the text is already sorted
  EXPECT_EQ(parsed["filter_bits"], 1024);
  EXPECT_EQ(parsed["dialect"], "bloomlink");
  ASSERT_EQ(parsed["fields"].size(), 6u);
  EXPECT_EQ(parsed["fields"][1]["tokens"]["q"], 2);
  EXPECT_EQ(parsed["fields"][1]["bits"]["per_field"], 200);
  EXPECT_EQ(parsed["kdf"]["salt"], Base64Encode("bloomlink/schema/v1"));
}

TEST(FingerprintTest, DialectsNeverShareAFingerprint) {
  // The same clkhash schema read as v2 and v3 (the feature layout both accept) differs by dialect.
  const char* v2 = R"({"version": 2, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}},
      "features": [{"identifier": "a", "format": {"type": "string"},
                    "hashing": {"ngram": 2, "strategy": {"numBits": 200}}}]})";
  const char* v3 = R"({"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}},
      "features": [{"identifier": "a", "format": {"type": "string"},
                    "hashing": {"comparison": {"type": "ngram", "n": 2},
                                "strategy": {"bitsPerFeature": 200}}}]})";
  EXPECT_NE(FingerprintOf(v2), FingerprintOf(v3));
}

// ---------------------------------------------------------------------------------------------
// clkhash dialect.

// A v3 schema with one string feature "a" (2-grams, bitsPerFeature 100) whose parts can be
// replaced: clk_config is the clkConfig object, hashing the feature's hashing object.
std::string ClkV3(
    std::string_view clk_config = R"({"l": 1024, "kdf": {"type": "HKDF"}})",
    std::string_view hashing =
        R"({"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerFeature": 100}})",
    std::string_view format = R"({"type": "string"})") {
  return std::string(R"({"version": 3, "clkConfig": )") + std::string(clk_config) +
         R"(, "features": [{"identifier": "rec_id", "ignored": true}, {"identifier": "a", "format": )" +
         std::string(format) + R"(, "hashing": )" + std::string(hashing) + "}]}";
}

// A file of the clkhash reference vectors (tests/data/clkhash-vectors).
std::string Vector(std::string_view name) {
  return testing::TestData("clkhash-vectors/" + std::string(name)).string();
}

TEST(ClkhashSchemaTest, ReferenceVectorSchemasParse) {
  struct Want {
    std::string_view file;
    SchemaDialect dialect;
    std::uint32_t l;
    HashScheme given_name_hash;
  };
  const Want want[] = {
      {"schema_A_blake_default.json", SchemaDialect::kClkhashV3, 1024, HashScheme::kClkhashBlake2b},
      {"schema_B_doublehash.json", SchemaDialect::kClkhashV3, 1024, HashScheme::kClkhashDouble},
      {"schema_C_doublehash_nonsingular_l1000.json", SchemaDialect::kClkhashV3, 1000,
       HashScheme::kClkhashDouble},
      {"schema_F_legacy_v2.json", SchemaDialect::kClkhashV2, 1024, HashScheme::kClkhashDouble},
      {"febrl4_tutorial_schema_v3.json", SchemaDialect::kClkhashV3, 1024,
       HashScheme::kClkhashBlake2b},
  };
  for (const Want& w : want) {
    SCOPED_TRACE(w.file);
    auto s = LoadSchema(Vector(w.file));
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->dialect, w.dialect);
    EXPECT_EQ(s->filter_bits, w.l);
    EXPECT_EQ(s->xor_folds, 0);
    EXPECT_TRUE(s->warnings.empty());
    ASSERT_GE(s->fields.size(), 2u);
    EXPECT_TRUE(s->fields[0].ignored);
    EXPECT_EQ(s->fields[0].name, "rec_id");
    EXPECT_EQ(s->fields[1].hash.scheme, w.given_name_hash);
    for (const FieldSpec& f : s->fields) EXPECT_EQ(f.column, f.name);
  }
  // Details of schema A.
  auto a = LoadSchema(Vector("schema_A_blake_default.json"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kdf.hash, HkdfHash::kSha256);
  EXPECT_EQ(a->kdf.info, "schema_example");
  EXPECT_EQ(a->kdf.salt.size(), 64u);
  EXPECT_EQ(a->kdf.key_size, 64);
  ASSERT_EQ(a->fields.size(), 9u);
  const FieldSpec& dob = a->fields[3];
  EXPECT_EQ(dob.kind, FieldKind::kClkDate);
  EXPECT_EQ(dob.clkhash.date_format, "%Y-%m-%d");
  EXPECT_EQ(dob.tokens.kind, TokenKind::kPositionalQgram);
  EXPECT_EQ(dob.tokens.q, 1);
  EXPECT_EQ(dob.missing.values, (std::vector<std::string>{"N/A"}));
  EXPECT_EQ(dob.missing.replace_with, std::optional<std::string>(""));
  const FieldSpec& gender = a->fields[4];
  EXPECT_EQ(gender.kind, FieldKind::kClkEnum);
  EXPECT_EQ(gender.clkhash.enum_values, (std::vector<std::string>{"M", "F", "U"}));
  EXPECT_FALSE(gender.bits.per_field);
  EXPECT_EQ(gender.bits.count, 40);
  EXPECT_FALSE(gender.missing.replace_with.has_value());
  const FieldSpec& weight = a->fields[7];
  EXPECT_EQ(weight.tokens.kind, TokenKind::kNumeric);
  EXPECT_EQ(weight.tokens.resolution, 2);
  EXPECT_EQ(weight.tokens.fractional_precision, 1);
  EXPECT_EQ(weight.tokens.distance_interval, 25);
  const FieldSpec& age = a->fields[6];
  EXPECT_EQ(age.kind, FieldKind::kClkInteger);
  EXPECT_EQ(age.clkhash.minimum, std::optional<std::int64_t>(0));
  EXPECT_EQ(age.clkhash.maximum, std::optional<std::int64_t>(150));
  EXPECT_EQ(a->fields[5].clkhash.pattern, "[0-9]{4}");

  auto c = LoadSchema(Vector("schema_C_doublehash_nonsingular_l1000.json"));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->fields[1].hash.prevent_singularity);
  EXPECT_EQ(c->kdf.salt, "");
  EXPECT_EQ(c->kdf.info, "");
}

TEST(ClkhashSchemaTest, V3InlineAndDefaults) {
  LinkageSchema s = ParseOk(ClkV3());
  EXPECT_EQ(s.dialect, SchemaDialect::kClkhashV3);
  EXPECT_EQ(s.version, 3);
  EXPECT_EQ(s.filter_bits, 1024u);
  EXPECT_EQ(s.kdf.key_size, 64);
  EXPECT_EQ(s.kdf.hash, HkdfHash::kSha256);
  EXPECT_EQ(s.kdf.salt, "");
  ASSERT_EQ(s.fields.size(), 2u);
  EXPECT_TRUE(s.fields[0].ignored);
  const FieldSpec& a = s.fields[1];
  EXPECT_EQ(a.kind, FieldKind::kClkString);
  EXPECT_EQ(a.hash.scheme, HashScheme::kClkhashBlake2b);  // the default
  EXPECT_FALSE(a.hash.prevent_singularity);
  EXPECT_EQ(a.hash.encoding, TextEncoding::kUtf8);
  EXPECT_EQ(a.clkhash.letter_case, LetterCase::kMixed);
  EXPECT_EQ(a.clkhash.min_length, 0);
  EXPECT_FALSE(a.clkhash.max_length.has_value());
  EXPECT_TRUE(a.missing.values.empty());
  EXPECT_EQ(a.tokens.kind, TokenKind::kQgram);
  EXPECT_EQ(a.tokens.q, 2);
  EXPECT_TRUE(a.bits.per_field);
  EXPECT_EQ(a.bits.count, 100);
}

TEST(ClkhashSchemaTest, V2DefaultsAndLayout) {
  LinkageSchema s = ParseOk(R"({"version": 2,
      "clkConfig": {"l": 512, "kdf": {"type": "HKDF", "hash": "SHA512", "keySize": 32}},
      "features": [
        {"identifier": "a", "format": {"type": "string", "encoding": "utf-16"},
         "hashing": {"ngram": 2}},
        {"identifier": "b", "format": {"type": "integer"},
         "hashing": {"ngram": 1, "positional": true, "strategy": {"k": 9}}},
        {"identifier": "c", "format": {"type": "string"},
         "hashing": {"ngram": 0, "strategy": {}, "hash": {"type": "doubleHash"}}}]})");
  EXPECT_EQ(s.dialect, SchemaDialect::kClkhashV2);
  EXPECT_EQ(s.version, 2);
  EXPECT_EQ(s.kdf.hash, HkdfHash::kSha512);
  EXPECT_EQ(s.kdf.key_size, 32);
  ASSERT_EQ(s.fields.size(), 3u);
  EXPECT_TRUE(s.fields[0].bits.per_field);  // numBits 200 by default
  EXPECT_EQ(s.fields[0].bits.count, 200);
  EXPECT_EQ(s.fields[0].hash.encoding, TextEncoding::kUtf16);
  EXPECT_EQ(s.fields[0].hash.scheme, HashScheme::kClkhashBlake2b);
  EXPECT_EQ(s.fields[1].tokens.kind, TokenKind::kPositionalQgram);
  EXPECT_EQ(s.fields[1].tokens.q, 1);
  EXPECT_FALSE(s.fields[1].bits.per_field);
  EXPECT_EQ(s.fields[1].bits.count, 9);
  EXPECT_EQ(s.fields[2].tokens.q, 0);
  EXPECT_EQ(s.fields[2].bits.count, 200);
  EXPECT_EQ(s.fields[2].hash.scheme, HashScheme::kClkhashDouble);
}

TEST(ClkhashSchemaTest, EncodingNames) {
  const std::pair<std::string_view, TextEncoding> cases[] = {
      {"utf-8", TextEncoding::kUtf8},   {"UTF8", TextEncoding::kUtf8},
      {"utf_8", TextEncoding::kUtf8},   {"ascii", TextEncoding::kAscii},
      {"utf-16", TextEncoding::kUtf16}, {"utf-32", TextEncoding::kUtf32},
  };
  for (const auto& [name, want] : cases) {
    SCOPED_TRACE(name);
    LinkageSchema s = ParseOk(
        ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF"}})",
              R"({"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 5}})",
              std::string(R"({"type": "string", "encoding": ")") + std::string(name) + "\"}"));
    EXPECT_EQ(s.fields[1].hash.encoding, want);
  }
  EXPECT_THAT(Parse(ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF"}})",
                          R"({"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 5}})",
                          R"({"type": "string", "encoding": "latin-1"})")),
              StatusIs(StatusCode::kInvalidArgument,
                       "schema.json: features[1].format.encoding: expected one of \"utf-8\", "
                       "\"ascii\", \"utf-16\", \"utf-32\", got \"latin-1\""));
}

TEST(ClkhashSchemaTest, XorFoldsIsHonouredAndXorFoldsCamelCaseIgnoredWithAWarning) {
  LinkageSchema folded = ParseOk(ClkV3(R"({"l": 512, "xor_folds": 1, "kdf": {"type": "HKDF"}})"));
  EXPECT_EQ(folded.filter_bits, 512u);
  EXPECT_EQ(folded.xor_folds, 1);
  EXPECT_TRUE(folded.warnings.empty());

  LinkageSchema camel = ParseOk(ClkV3(R"({"l": 512, "xorFolds": 1, "kdf": {"type": "HKDF"}})"));
  EXPECT_EQ(camel.xor_folds, 0);
  ASSERT_EQ(camel.warnings.size(), 1u);
  EXPECT_THAT(camel.warnings[0], ::testing::HasSubstr("clkConfig.xorFolds is ignored"));
  // Ignored means ignored: the same encoding as without the key.
  EXPECT_EQ(Hex(camel.fingerprint),
            Hex(ParseOk(ClkV3(R"({"l": 512, "kdf": {"type": "HKDF"}})")).fingerprint));
  EXPECT_NE(Hex(camel.fingerprint), Hex(folded.fingerprint));

  EXPECT_THAT(Parse(ClkV3(R"({"l": 65536, "xor_folds": 1, "kdf": {"type": "HKDF"}})")),
              StatusIs(StatusCode::kInvalidArgument,
                       "schema.json: clkConfig.xor_folds: expected fewer folds"));
}

TEST(ClkhashSchemaTest, NumericComparisonParameters) {
  struct Case {
    std::string_view threshold;
    int precision;
    std::int64_t interval;  // 0: refused
  };
  const Case cases[] = {
      {"5", 0, 5},     {"2.5", 0, 2},                   // round half to even: 2.5 -> 2
      {"3.5", 0, 4},   {"2.5", 1, 25}, {"0.25", 1, 2},  // 2.5 -> 2
      {"0.35", 1, 4},  {"1.5", 0, 2},  {"0.001", 3, 1},
      {"0.4", 0, 0},   {"0.5", 0, 0},  // 0.5 rounds to 0: refused
      {"0.004", 2, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.threshold) + " @ " + std::to_string(c.precision));
    std::string hashing =
        std::string(R"({"comparison": {"type": "numeric", "thresholdDistance": )") +
        std::string(c.threshold) + R"(, "resolution": 3, "fractional_precision": )" +
        std::to_string(c.precision) + R"(}, "strategy": {"bitsPerFeature": 70}})";
    auto s = Parse(ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF"}})", hashing));
    if (c.interval == 0) {
      EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument,
                              "schema.json: features[1].hashing.comparison.thresholdDistance: "
                              "expected a distance that is not zero at this fractional_precision"));
    } else {
      ASSERT_TRUE(s.ok()) << s.status();
      const TokenSpec& t = s->fields[1].tokens;
      EXPECT_EQ(t.kind, TokenKind::kNumeric);
      EXPECT_EQ(t.distance_interval, c.interval);
      EXPECT_EQ(t.resolution, 3);
      EXPECT_EQ(t.fractional_precision, c.precision);
    }
  }
  const std::string bad[][2] = {
      {R"({"type": "numeric", "thresholdDistance": 0, "resolution": 1})",
       "comparison.thresholdDistance: expected a positive number, got 0"},
      {R"({"type": "numeric", "thresholdDistance": -1, "resolution": 1})",
       "comparison.thresholdDistance: expected a positive number, got -1"},
      {R"({"type": "numeric", "thresholdDistance": "5", "resolution": 1})",
       "comparison.thresholdDistance: expected a number, got \"5\""},
      {R"({"type": "numeric", "resolution": 1})", "comparison.thresholdDistance: missing"},
      {R"({"type": "numeric", "thresholdDistance": 5, "resolution": 0})",
       "comparison.resolution: expected an integer 1..65536, got 0"},
      {R"({"type": "numeric", "thresholdDistance": 5, "resolution": 1, "fractional_precision": -1})",
       "comparison.fractional_precision: expected an integer 0..15, got -1"},
      {R"({"type": "numeric", "thresholdDistance": 1e300, "resolution": 1})",
       "comparison.thresholdDistance: expected a smaller number"},
      {R"({"type": "numeric", "thresholdDistance": 5, "resolution": 1, "n": 2})",
       "comparison.n: unknown key"},
  };
  for (const auto& [comparison, message] : bad) {
    SCOPED_TRACE(comparison);
    EXPECT_THAT(Parse(ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF"}})",
                            std::string(R"({"comparison": )") + comparison +
                                R"(, "strategy": {"bitsPerFeature": 70}})")),
                StatusIs(StatusCode::kInvalidArgument, "features[1].hashing." + message));
  }
}

TEST(ClkhashSchemaTest, Errors) {
  const std::string kConfig = R"({"l": 1024, "kdf": {"type": "HKDF"}})";
  const std::string kHashing =
      R"({"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerFeature": 100}})";
  const ErrorCase cases[] = {
      {"version 1",
       R"({"version": 1, "clkConfig": {"l": 1024, "k": 20, "hash": {"type": "doubleHash"},
           "kdf": {"type": "HKDF"}}, "features": []})",
       "schema.json: version: expected a clkhash schema of version 2 or 3 (convert version 1 "
       "schemas with clkhash first), got 1"},
      {"version 4", R"({"version": 4, "clkConfig": {}, "features": []})",
       "schema.json: version: expected a clkhash schema of version 2 or 3, got 4"},
      {"no version", R"({"clkConfig": {"l": 1024}, "features": []})",
       "schema.json: version: missing"},
      {"unknown top-level key", R"({"version": 3, "clkconfig": {}, "features": []})",
       "schema.json: clkconfig: unknown key (expected one of: version, clkConfig, features, "
       "$schema, id)"},
      {"unknown clkConfig key", ClkV3(R"({"l": 1024, "folds": 1, "kdf": {"type": "HKDF"}})"),
       "schema.json: clkConfig.folds: unknown key"},
      {"v1 layout in clkConfig", ClkV3(R"({"l": 1024, "k": 30, "kdf": {"type": "HKDF"}})"),
       "schema.json: clkConfig.k: expected no clkConfig-level k or hash"},
      {"unknown kdf key", ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF", "rounds": 3}})"),
       "schema.json: clkConfig.kdf.rounds: unknown key (expected one of: type, hash, salt, info, "
       "keySize)"},
      {"kdf type", ClkV3(R"({"l": 1024, "kdf": {"type": "PBKDF2"}})"),
       "schema.json: clkConfig.kdf.type: expected one of \"HKDF\", got \"PBKDF2\""},
      {"kdf hash", ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF", "hash": "MD5"}})"),
       "schema.json: clkConfig.kdf.hash: expected one of \"SHA256\", \"SHA512\", got \"MD5\""},
      {"kdf salt not base64", ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF", "salt": "%%%"}})"),
       "schema.json: clkConfig.kdf.salt: expected base64 text, got \"%%%\""},
      {"kdf info not base64", ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF", "info": "a b"}})"),
       "schema.json: clkConfig.kdf.info: expected base64 text"},
      {"l zero", ClkV3(R"({"l": 0, "kdf": {"type": "HKDF"}})"),
       "schema.json: clkConfig.l: expected an integer 1..65536, got 0"},
      {"l not a power of two with blakeHash", ClkV3(R"({"l": 1000, "kdf": {"type": "HKDF"}})"),
       "schema.json: clkConfig.l: expected a power of two (l x 2^xor_folds must be one for "
       "blakeHash), got 1000"},
      {"l times folds not a power of two with blakeHash",
       ClkV3(R"({"l": 384, "xor_folds": 2, "kdf": {"type": "HKDF"}})"),
       "schema.json: clkConfig.l: expected a power of two"},
      {"keySize over 64 with blakeHash",
       ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF", "keySize": 65}})"),
       "schema.json: clkConfig.kdf.keySize: expected at most 64 with blakeHash (BLAKE2b's "
       "longest key), got 65"},
      {"bitsPerToken over the filter limit",
       ClkV3(kConfig, R"({"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 65537}})"),
       "schema.json: features[1].hashing.strategy.bitsPerToken: expected an integer 1..65536"},
      {"prevent_singularity with blakeHash",
       ClkV3(kConfig, R"({"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 5},
                          "hash": {"type": "blakeHash", "prevent_singularity": true}})"),
       "schema.json: features[1].hashing.hash.prevent_singularity: expected no "
       "prevent_singularity with blakeHash, got true"},
      {"unknown hash type",
       ClkV3(kConfig, R"({"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 5},
                          "hash": {"type": "sha3"}})"),
       "schema.json: features[1].hashing.hash.type: expected one of \"blakeHash\", "
       "\"doubleHash\", got \"sha3\""},
      {"unknown feature key",
       R"({"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}},
           "features": [{"identifier": "a", "format": {"type": "string"}, "hashing": )" +
           kHashing + R"(, "weight": 1}]})",
       "schema.json: features[0].weight: unknown key (expected one of: identifier, ignored, "
       "description, format, hashing)"},
      {"unknown key on an ignored feature",
       R"({"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}},
           "features": [{"identifier": "a", "ignored": true, "format": {"type": "string"}}]})",
       "schema.json: features[0].format: unknown key (expected one of: identifier, ignored, "
       "description)"},
      {"unknown format key", ClkV3(kConfig, kHashing, R"({"type": "string", "minlength": 1})"),
       "schema.json: features[1].format.minlength: unknown key"},
      {"unknown hashing key",
       ClkV3(kConfig, R"({"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 5},
                          "ngram": 2})"),
       "schema.json: features[1].hashing.ngram: unknown key (expected one of: comparison, "
       "strategy, hash, missingValue)"},
      {"unknown strategy key",
       ClkV3(kConfig, R"({"comparison": {"type": "exact"}, "strategy": {"k": 5}})"),
       "schema.json: features[1].hashing.strategy.k: unknown key (expected one of: bitsPerToken, "
       "bitsPerFeature)"},
      {"both strategies",
       ClkV3(
           kConfig,
           R"({"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 5, "bitsPerFeature": 50}})"),
       "schema.json: features[1].hashing.strategy: expected exactly one of \"bitsPerToken\" or "
       "\"bitsPerFeature\""},
      {"no strategy", ClkV3(kConfig, R"({"comparison": {"type": "exact"}, "strategy": {}})"),
       "schema.json: features[1].hashing.strategy: expected exactly one of"},
      {"unknown missingValue key",
       ClkV3(kConfig, R"({"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 5},
                          "missingValue": {"sentinel": "", "replace": "x"}})"),
       "schema.json: features[1].hashing.missingValue.replace: unknown key"},
      {"unknown comparison",
       ClkV3(kConfig, R"({"comparison": {"type": "soundex"}, "strategy": {"bitsPerToken": 5}})"),
       "schema.json: features[1].hashing.comparison.type: expected one of \"ngram\", \"exact\", "
       "\"numeric\", got \"soundex\""},
      {"unsupported strptime directive",
       ClkV3(kConfig, kHashing, R"({"type": "date", "format": "%Y-%m-%d %H:%M"})"),
       "schema.json: features[1].format.format: expected a date format using only %Y %y %m %d "
       "%b %B %% (not %H), got \"%Y-%m-%d %H:%M\""},
      {"format ending with %", ClkV3(kConfig, kHashing, R"({"type": "date", "format": "%Y%"})"),
       "schema.json: features[1].format.format: expected a format that does not end with '%'"},
      {"invalid regex", ClkV3(kConfig, kHashing, R"({"type": "string", "pattern": "[0-9"})"),
       "schema.json: features[1].format.pattern: expected a valid regular expression (missing "
       "terminating ] for character class at offset 4), got \"[0-9\""},
      {"Python syntax PCRE2 refuses",
       ClkV3(kConfig, kHashing, R"({"type": "string", "pattern": "(?a)\\w+"})"),
       "schema.json: features[1].format.pattern: expected a valid regular expression "
       "(unrecognized character after (? or (?- at offset 2), got \"(?a)\\\\w+\""},
      {"pattern with length",
       ClkV3(kConfig, kHashing, R"({"type": "string", "pattern": "a+", "maxLength": 3})"),
       "schema.json: features[1].format.pattern: expected no pattern together with case, "
       "minLength or maxLength"},
      {"unknown format type", ClkV3(kConfig, kHashing, R"({"type": "float"})"),
       "schema.json: features[1].format.type: expected one of \"string\", \"integer\", \"date\", "
       "\"enum\", got \"float\""},
      {"unknown case", ClkV3(kConfig, kHashing, R"({"type": "string", "case": "title"})"),
       "schema.json: features[1].format.case: expected one of \"upper\", \"lower\", \"mixed\""},
      {"HKDF output too long",
       R"({"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF", "keySize": 1024}},
           "features": [{"identifier": "a", "ignored": true}, {"identifier": "b", "ignored": true},
                        {"identifier": "c", "ignored": true}, {"identifier": "d", "ignored": true}]})",
       "schema.json: clkConfig.kdf.keySize: expected a smaller key size: HKDF cannot produce keys "
       "for every feature, got 1024"},
      {"keySize too large", ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF", "keySize": 1025}})"),
       "schema.json: clkConfig.kdf.keySize: expected an integer 1..1024, got 1025"},
      {"no features", R"({"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}}})",
       "schema.json: features: missing; expected an array of features"},
      {"empty features",
       R"({"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}}, "features": []})",
       "schema.json: features: expected an array of 1..256 features, got an empty array"},
      {"v2 weight",
       R"({"version": 2, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}}, "features": [
           {"identifier": "a", "format": {"type": "string"},
            "hashing": {"ngram": 2, "weight": 2}}]})",
       "schema.json: features[0].hashing.weight: expected no \"weight\""},
      {"v2 ngram out of range",
       R"({"version": 2, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}}, "features": [
           {"identifier": "a", "format": {"type": "string"}, "hashing": {"ngram": 3}}]})",
       "schema.json: features[0].hashing.ngram: expected an integer 0..2, got 3"},
      {"v2 both strategies",
       R"({"version": 2, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}}, "features": [
           {"identifier": "a", "format": {"type": "string"},
            "hashing": {"ngram": 2, "strategy": {"k": 2, "numBits": 20}}}]})",
       "schema.json: features[0].hashing.strategy: expected exactly one of \"k\" or \"numBits\""},
      {"v2 unknown strategy key",
       R"({"version": 2, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF"}}, "features": [
           {"identifier": "a", "format": {"type": "string"},
            "hashing": {"ngram": 2, "strategy": {"bitsPerToken": 2}}}]})",
       "schema.json: features[0].hashing.strategy.bitsPerToken: unknown key (expected one of: k, "
       "numBits)"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_THAT(Parse(c.json), StatusIs(StatusCode::kInvalidArgument, c.message));
  }
}

// WithPattern(pattern): a clkhash v3 schema whose second feature is a string with that pattern
// (JSON escapes in `pattern` are decoded by the parser).
std::string WithPattern(const std::string& pattern) {
  return ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF"}})",
               R"({"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 2}})",
               R"({"type": "string", "pattern": ")" + pattern + R"("})");
}

// Found while fuzzing the schema parser (tests/fuzz/regressions/schema/deeply_nested_pattern.json):
// std::regex compiled recursively, so a pattern of 20,000 nested groups overflowed the stack and
// killed `bloomlink schema check`. PCRE2 limits nesting to 250 levels, and patterns are limited to
// 16,384 bytes.
TEST(ClkhashSchemaTest, FuzzRegressionLongPatternIsRefusedNotAStackOverflow) {
  EXPECT_TRUE(Parse(WithPattern(std::string(16384, 'a'))).ok());
  EXPECT_TRUE(Parse(WithPattern(std::string(250, '(') + std::string(250, ')'))).ok());
  EXPECT_THAT(Parse(WithPattern(std::string(16385, 'a'))),
              StatusIs(StatusCode::kInvalidArgument,
                       "schema.json: features[1].format.pattern: expected a regular expression of "
                       "at most 16384 bytes, got \"aaaa"));
  EXPECT_THAT(Parse(WithPattern(std::string(251, '(') + std::string(251, ')'))),
              StatusIs(StatusCode::kInvalidArgument,
                       "schema.json: features[1].format.pattern: expected a valid regular "
                       "expression (parentheses are too deeply nested at offset 251)"));
  EXPECT_THAT(Parse(WithPattern(std::string(8000, '(') + std::string(8000, ')'))),
              StatusIs(StatusCode::kInvalidArgument, "parentheses are too deeply nested"));
  EXPECT_THAT(Parse(WithPattern(std::string(20000, '(') + std::string(20000, ')'))),
              StatusIs(StatusCode::kInvalidArgument, "at most 16384 bytes"));
}

// clkhash patterns are Python regular expressions, named groups and {,n} included; a pattern whose
// compiled form exceeds PCRE2's 64 KiB is refused with PCRE2's message.
TEST(ClkhashSchemaTest, PatternsArePythonRegularExpressions) {
  auto parsed = Parse(WithPattern(R"((?P<area>[A-Z]{1,2})[0-9]{1,2} (?P=area)?\\d[A-Z]{,2})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->fields[1].clkhash.pattern,
            R"((?P<area>[A-Z]{1,2})[0-9]{1,2} (?P=area)?\d[A-Z]{,2})");
  EXPECT_THAT(Parse(WithPattern("(?:(?:a{1000}){1000}){1000}")),
              StatusIs(StatusCode::kInvalidArgument, "regular expression is too large"));
}

TEST(ClkhashSchemaTest, HkdfLengthLimitDependsOnTheDigest) {
  // 2 x 4 x 1020 = 8160 bytes is exactly 255 SHA-256 blocks; SHA-512 allows twice as much.
  const char* at_limit = R"({"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF",
      "keySize": 1020}}, "features": [{"identifier": "a", "ignored": true},
      {"identifier": "b", "ignored": true}, {"identifier": "c", "ignored": true},
      {"identifier": "d", "ignored": true}]})";
  EXPECT_TRUE(Parse(at_limit).ok());
  const char* sha512 = R"({"version": 3, "clkConfig": {"l": 1024, "kdf": {"type": "HKDF",
      "hash": "SHA512", "keySize": 1024}}, "features": [{"identifier": "a", "ignored": true},
      {"identifier": "b", "ignored": true}, {"identifier": "c", "ignored": true},
      {"identifier": "d", "ignored": true}]})";
  EXPECT_TRUE(Parse(sha512).ok());
}

TEST(ClkhashSchemaTest, DoubleHashAllowsAnyLength) {
  LinkageSchema s = ParseOk(ClkV3(R"({"l": 1000, "kdf": {"type": "HKDF"}})",
                                  R"({"comparison": {"type": "ngram", "n": 2},
                                      "strategy": {"bitsPerToken": 10},
                                      "hash": {"type": "doubleHash", "prevent_singularity": true}})"));
  EXPECT_EQ(s.filter_bits, 1000u);
  EXPECT_EQ(s.fields[1].hash.scheme, HashScheme::kClkhashDouble);
  EXPECT_TRUE(s.fields[1].hash.prevent_singularity);
  EXPECT_FALSE(s.fields[1].bits.per_field);
  EXPECT_EQ(s.fields[1].bits.count, 10);
}

TEST(ClkhashSchemaTest, FingerprintFollowsEncodingRelevantChanges) {
  const std::string base = FingerprintOf(ClkV3());
  EXPECT_EQ(FingerprintOf(ClkV3(R"({"kdf": {"keySize": 64, "type": "HKDF", "hash": "SHA256"},
                                    "l": 1024})")),
            base);
  EXPECT_NE(FingerprintOf(ClkV3(R"({"l": 2048, "kdf": {"type": "HKDF"}})")), base);
  EXPECT_NE(FingerprintOf(ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF", "salt": "AAAA"}})")), base);
  EXPECT_NE(FingerprintOf(ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF", "info": "AAAA"}})")), base);
  EXPECT_NE(FingerprintOf(ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF", "keySize": 32}})")), base);
  EXPECT_NE(FingerprintOf(ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF"}})",
                                R"({"comparison": {"type": "ngram", "n": 2},
                                    "strategy": {"bitsPerFeature": 100},
                                    "hash": {"type": "doubleHash"}})")),
            base);
  EXPECT_NE(FingerprintOf(ClkV3(R"({"l": 1024, "kdf": {"type": "HKDF"}})",
                                R"({"comparison": {"type": "ngram", "n": 2},
                                    "strategy": {"bitsPerFeature": 100},
                                    "missingValue": {"sentinel": "N/A"}})")),
            base);
}

// ---------------------------------------------------------------------------------------------
// strptime.

struct StrptimeCase {
  std::string_view value;
  std::string_view format;
  std::string_view expected;  // empty: Python raises ValueError
};

TEST(StrptimeTest, ReproducesPythonDatetimeStrptime) {
  // Expected values are what CPython 3.11's datetime.strptime(value, format).strftime("%Y%m%d")
  // gives (or ValueError).
  const StrptimeCase cases[] = {
      {"1985-7-4", "%Y-%m-%d", "19850704"},
      {"1985-07-04", "%Y-%m-%d", "19850704"},
      {"1985-1-10", "%Y-%m-%d", "19850110"},
      {"1985-02-1", "%Y-%m-%d", "19850201"},
      // Leap years.
      {"2000-02-29", "%Y-%m-%d", "20000229"},
      {"2004-02-29", "%Y-%m-%d", "20040229"},
      {"1900-02-29", "%Y-%m-%d", ""},
      {"2001-02-29", "%Y-%m-%d", ""},
      {"1985-04-31", "%Y-%m-%d", ""},
      {"1985-2-30", "%Y-%m-%d", ""},
      {"1985-13-01", "%Y-%m-%d", ""},
      {"1985-00-10", "%Y-%m-%d", ""},
      {"1985-01-00", "%Y-%m-%d", ""},
      {"0000-01-01", "%Y-%m-%d", ""},  // year 0 is out of range
      // "unconverted data remains": the first match does not reach the end.
      {"1985-7-41", "%Y-%m-%d", ""},
      {"1985-07-04 ", "%Y-%m-%d", ""},
      {"1985-07-04x", "%Y-%m-%d", ""},
      {" 1985-07-04", "%Y-%m-%d", ""},
      // Alternatives tried left to right, with backtracking.
      {"19850704", "%Y%m%d", "19850704"},
      {"1985111", "%Y%m%d", "19851101"},
      {"198512", "%Y%m%d", "19850102"},
      {"1985131", "%Y%m%d", "19850131"},
      {"19851", "%Y%m%d", ""},
      {"1985-110", "%Y-%m%d", "19850110"},
      {"1985-111", "%Y-%m%d", "19851101"},
      {"1985-1231", "%Y-%m%d", "19851231"},
      // %y pivots at 69.
      {"68-01-01", "%y-%m-%d", "20680101"},
      {"69-01-01", "%y-%m-%d", "19690101"},
      {"00-01-01", "%y-%m-%d", "20000101"},
      {"99-12-31", "%y-%m-%d", "19991231"},
      {"85", "%y", "19850101"},
      {"1985-01-01", "%y-%m-%d", ""},
      // Month names, any case; %b only abbreviations, %B only full names.
      {"4 jul 1985", "%d %b %Y", "19850704"},
      {"4 JUL 1985", "%d %b %Y", "19850704"},
      {"4 Jul 1985", "%d %b %Y", "19850704"},
      {"4 July 1985", "%d %b %Y", ""},
      {"4 JULY 1985", "%d %B %Y", "19850704"},
      {"4 july 1985", "%d %B %Y", "19850704"},
      {"4 jul 1985", "%d %B %Y", ""},
      {"04 September 1985", "%d %B %Y", "19850904"},
      {"2023-sep-5", "%Y-%b-%d", "20230905"},
      {"2023-sept-5", "%Y-%b-%d", ""},
      {"1 May 2020", "%d %B %Y", "20200501"},
      {"1 may 2020", "%d %b %Y", "20200501"},
      // White space in the format matches any run of white space, but at least one character.
      {"4   jul\t1985", "%d %b %Y", "19850704"},
      {"4 jul 1985", "%d  %b %Y", "19850704"},
      {"4jul1985", "%d %b %Y", ""},
      {"1985-07-04", "%Y-%m-%d ", ""},
      {"1985-07-04  ", "%Y-%m-%d ", "19850704"},
      // A single-digit day may have a leading space.
      {" 4/07/1985", "%d/%m/%Y", "19850704"},
      {"  4/07/1985", "%d/%m/%Y", ""},
      {"4/7/1985", "%d/%m/%Y", "19850704"},
      // Literals, %% and defaults for absent directives (1900-01-01).
      {"100%1985", "100%%%Y", "19850101"},
      {"1985%", "%Y%%", "19850101"},
      {"1985", "%Y", "19850101"},
      {"1985T07", "%Yt%m", "19850701"},
      {"", "%Y", ""},
  };
  for (const StrptimeCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "\"" << c.value << "\" with \"" << c.format << "\"");
    ASSERT_TRUE(schema_internal::CheckStrptimeFormat(c.format).ok());
    std::string out = "junk";
    bool ok = schema_internal::StrptimeToYmd(c.value, c.format, &out);
    if (c.expected.empty()) {
      EXPECT_FALSE(ok) << "parsed as " << out;
    } else {
      EXPECT_TRUE(ok);
      EXPECT_EQ(out, c.expected);
    }
  }
}

TEST(StrptimeTest, CheckFormat) {
  for (std::string_view ok : {"%Y-%m-%d", "%d/%m/%y", "%d %b %Y", "%B %d, %Y", "%%", "", "date"}) {
    EXPECT_TRUE(schema_internal::CheckStrptimeFormat(ok).ok()) << ok;
  }
  EXPECT_THAT(schema_internal::CheckStrptimeFormat("%Y-%j"),
              StatusIs(StatusCode::kInvalidArgument, "(not %j)"));
  EXPECT_THAT(schema_internal::CheckStrptimeFormat("%H:%M"),
              StatusIs(StatusCode::kInvalidArgument, "(not %H)"));
  EXPECT_THAT(schema_internal::CheckStrptimeFormat("%Y%"),
              StatusIs(StatusCode::kInvalidArgument, "does not end with '%'"));
  std::string out;
  EXPECT_FALSE(schema_internal::StrptimeToYmd("1985", "%Q", &out));
}

}  // namespace
}  // namespace bloomlink

namespace bloomlink {
namespace {

TEST(FieldFilterSchemaTest, ParsesAndChangesTheFingerprint) {
  const std::string plain = R"({"bloomlink_schema": 1, "fields": [
      {"name": "surname", "type": "name"}]})";
  const std::string with_filter = R"({"bloomlink_schema": 1, "fields": [
      {"name": "surname", "type": "name", "field_filter": {"bits": 256, "per_token": 6}}]})";
  auto a = ParseSchema(plain, "schema.json");
  auto b = ParseSchema(with_filter, "schema.json");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->fields[0].field_filter.bits, 0u);
  EXPECT_EQ(b->fields[0].field_filter.bits, 256u);
  EXPECT_FALSE(b->fields[0].field_filter.tokens.per_field);
  EXPECT_EQ(b->fields[0].field_filter.tokens.count, 6);
  EXPECT_NE(a->fingerprint, b->fingerprint);
  auto shared = ParseSchema(R"({"bloomlink_schema": 1, "fields": [
      {"name": "surname", "type": "name", "field_filter": {"bits": 512, "per_field": 60}}]})",
                            "schema.json");
  ASSERT_TRUE(shared.ok());
  EXPECT_TRUE(shared->fields[0].field_filter.tokens.per_field);
  EXPECT_NE(shared->fingerprint, b->fingerprint);
}

TEST(FieldFilterSchemaTest, ErrorsNameThePath) {
  auto parse = [](const std::string& filter) {
    return ParseSchema(R"({"bloomlink_schema": 1, "fields": [{"name": "s", "type": "name",
        "field_filter": )" +
                           filter + "}]}",
                       "schema.json");
  };
  EXPECT_THAT(
      parse(R"({"bits": 100, "per_token": 4})"),
      testing::StatusIs(absl::StatusCode::kInvalidArgument,
                        "schema.json: fields[0].field_filter.bits: expected a multiple of 64"));
  EXPECT_THAT(parse(R"({"bits": 128, "per_token": 4, "per_field": 30})"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                "fields[0].field_filter: expected exactly one of"));
  EXPECT_THAT(parse(R"({"bits": 128})"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "exactly one of"));
  EXPECT_THAT(parse(R"({"bits": 128, "per_token": 4, "k": 1})"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                "fields[0].field_filter.k: unknown key"));
}

}  // namespace
}  // namespace bloomlink
