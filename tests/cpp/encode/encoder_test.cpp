// Unit tests of the Encoder: determinism across threads and the token cache, bits per token and
// per field, invalid and missing values, statistics, popcounts, secrets and XOR folding.
#include "bloomlink/encode/encoder.hpp"

#include <bit>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bloomlink/encode/keyed_hash.hpp"
#include "bloomlink/encode/tokenise.hpp"
#include "encode/field_hasher.hpp"
#include "test_support.hpp"

namespace bloomlink::encode {
namespace {

using ::absl::StatusCode;
using ::bloomlink::testing::StatusIs;

Secret MakeSecret(std::string_view bytes) {
  auto s = Secret::FromBytes(bytes, "test");
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(*s);
}

LinkageSchema MakeSchema(std::string_view json) {
  auto s = ParseSchema(json, "test");
  EXPECT_TRUE(s.ok()) << s.status() << "\n" << json;
  return s.ok() ? *std::move(s) : LinkageSchema{};
}

Encoder MakeEncoder(const LinkageSchema& schema, const Secret& secret,
                    EncoderOptions options = {}) {
  auto e = Encoder::Create(schema, secret, options);
  EXPECT_TRUE(e.ok()) << e.status();
  return std::move(*e);
}

// Rows: raw values, row-major, with the views EncodeBatch reads.
struct Rows {
  std::size_t fields = 0;
  std::vector<std::string> storage;
  std::vector<std::string_view> views;

  void Add(std::vector<std::string> row) {
    EXPECT_EQ(row.size(), fields);
    for (std::string& v : row) storage.push_back(std::move(v));
  }
  std::size_t size() const { return fields == 0 ? 0 : storage.size() / fields; }
  std::span<const std::string_view> View() {
    views.assign(storage.begin(), storage.end());
    return views;
  }
};

struct Encoded {
  BitMatrix clks;
  EncodeStats stats;
  std::vector<std::uint8_t> nonempty;
};

Encoded EncodeAll(Encoder& encoder, Rows& rows, std::size_t batch = 0) {
  Encoded out;
  const std::size_t n = rows.size();
  out.clks = BitMatrix(n, encoder.schema().filter_bits);
  out.nonempty.assign(n, 0xAA);
  std::span<const std::string_view> all = rows.View();
  if (batch == 0) batch = std::max<std::size_t>(n, 1);
  for (std::size_t first = 0; first < n; first += batch) {
    const std::size_t count = std::min(batch, n - first);
    absl::Status done = encoder.EncodeBatch(
        all.subspan(first * rows.fields, count * rows.fields), count, out.clks, first, out.stats,
        std::span<std::uint8_t>(out.nonempty).subspan(first, count));
    EXPECT_TRUE(done.ok()) << done;
  }
  return out;
}

std::uint32_t CountOnes(const BitMatrix& m, std::size_t row) {
  std::uint32_t n = 0;
  for (std::size_t b = 0; b < m.bits(); ++b) n += m.GetBit(row, b);
  return n;
}

bool RowIsZero(const BitMatrix& m, std::size_t row) { return CountOnes(m, row) == 0; }

// EXPECT_SAME_STATS: every count except the MAC and cache counters (which depend on the cache).
void ExpectSameStats(const EncodeStats& a, const EncodeStats& b) {
  EXPECT_EQ(a.records, b.records);
  EXPECT_EQ(a.empty_records, b.empty_records);
  ASSERT_EQ(a.fields.size(), b.fields.size());
  for (std::size_t j = 0; j < a.fields.size(); ++j) {
    EXPECT_EQ(a.fields[j].valid, b.fields[j].valid) << j;
    EXPECT_EQ(a.fields[j].missing, b.fields[j].missing) << j;
    EXPECT_EQ(a.fields[j].invalid, b.fields[j].invalid) << j;
    EXPECT_EQ(a.fields[j].invalid_reasons, b.fields[j].invalid_reasons) << j;
  }
}

// ---------------------------------------------------------------------------------------------
// Synthetic UK records for the starter schema's six columns.

std::string NhsNumber(std::mt19937& rng) {
  std::uniform_int_distribution<int> digit(0, 9);
  while (true) {
    std::string n;
    int sum = 0;
    for (int i = 0; i < 9; ++i) {
      int d = digit(rng);
      n.push_back(static_cast<char>('0' + d));
      sum += d * (10 - i);
    }
    int check = 11 - sum % 11;
    if (check == 11) check = 0;
    if (check == 10) continue;
    n.push_back(static_cast<char>('0' + check));
    if (n.find_first_not_of(n[0]) == std::string::npos) continue;
    return n;
  }
}

template <std::size_t N>
std::string Pick(std::mt19937& rng, const std::string_view (&options)[N]) {
  return std::string(options[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng)]);
}

Rows StarterRows(std::size_t n, unsigned seed) {
  static const std::string_view kGiven[] = {
      "Ann", "Anne", "Seán", "Zoë",     "Mohammed", "Muhammad", "Olivia", "Dr Priya", "JOHN",
      "Jon", "",     "NULL", "Baby of", "Chloé",    "O'Brien",  "Wei",    "李"};
  static const std::string_view kFamily[] = {"Smith", "Smyth",    "O'Neil-Smith", "Jones",
                                             "Patel", "Nguyen",   "Williams",     "N/A",
                                             "",      "Kowalski", "van der Berg", "Ó Súilleabháin"};
  static const std::string_view kDates[] = {"1985-07-04", "4/7/1985",   "04.07.1985", "19850704",
                                            "31/02/1990", "1/1/2001",   "",           "29/02/2000",
                                            "12-12-1960", "not a date", "1850-01-01", "07/04/85"};
  static const std::string_view kSex[] = {"M", "F", "1", "2", "9", "U", "", "female", "x"};
  static const std::string_view kPostcodes[] = {"LS6 1AB", "SW1A 1AA", "M1 1AE",  "B33 8TH",
                                                "CR2 6XH", "DN55 1PT", "ls61ab",  "ZZ99 3VZ",
                                                "",        "XYZ",      "0X1 1AA", "LSI 1AA"};
  std::mt19937 rng(seed);
  std::bernoulli_distribution bad_nhs(0.1), no_nhs(0.2);
  Rows rows;
  rows.fields = 6;
  for (std::size_t i = 0; i < n; ++i) {
    std::string nhs = no_nhs(rng) ? "" : NhsNumber(rng);
    if (!nhs.empty() && bad_nhs(rng)) nhs[9] = nhs[9] == '9' ? '0' : static_cast<char>(nhs[9] + 1);
    if (!nhs.empty() && i % 3 == 0)
      nhs = nhs.substr(0, 3) + " " + nhs.substr(3, 3) + " " + nhs.substr(6);
    rows.Add({nhs, Pick(rng, kGiven), Pick(rng, kFamily), Pick(rng, kDates), Pick(rng, kSex),
              Pick(rng, kPostcodes)});
  }
  return rows;
}

LinkageSchema StarterSchema() { return MakeSchema(StarterSchemaJson()); }

// ---------------------------------------------------------------------------------------------

TEST(EncoderTest, OutputDoesNotDependOnThreadsOrTokenCache) {
  LinkageSchema schema = StarterSchema();
  Secret secret = MakeSecret("a shared secret between holders");
  Rows rows = StarterRows(3000, 7);
  Encoder reference_encoder = MakeEncoder(schema, secret, {.threads = 1, .token_cache = false});
  EXPECT_EQ(reference_encoder.threads(), 1);
  Encoded reference = EncodeAll(reference_encoder, rows);
  ASSERT_EQ(reference.clks.rows(), 3000u);
  EXPECT_EQ(reference.stats.records, 3000u);
  EXPECT_EQ(reference.stats.cache_hits, 0u);
  EXPECT_GT(reference.stats.mac_calls, 3000u);
  // The data has invalid values of several kinds, and some records without any token.
  ASSERT_EQ(reference.stats.fields.size(), 6u);
  for (std::size_t j = 0; j < 6; ++j) {
    EXPECT_GT(reference.stats.fields[j].valid, 0u) << j;
    EXPECT_GT(reference.stats.fields[j].missing, 0u) << j;
  }
  EXPECT_GT(reference.stats.fields[0].invalid, 0u);
  EXPECT_GT(reference.stats.fields[3].invalid, 0u);
  EXPECT_GT(reference.stats.fields[4].invalid, 0u);
  EXPECT_GT(reference.stats.fields[5].invalid, 0u);

  for (int threads : {1, 2, 4, 7}) {
    for (bool cache : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "threads " << threads << " cache " << cache);
      Encoder encoder = MakeEncoder(schema, secret, {.threads = threads, .token_cache = cache});
      EXPECT_EQ(encoder.threads(), threads);
      for (std::size_t batch : {std::size_t{0}, std::size_t{1000}, std::size_t{777}}) {
        Encoded got = EncodeAll(encoder, rows, batch);
        EXPECT_TRUE(got.clks == reference.clks) << "batch " << batch;
        EXPECT_EQ(
            std::vector<std::uint32_t>(got.clks.popcounts().begin(), got.clks.popcounts().end()),
            std::vector<std::uint32_t>(reference.clks.popcounts().begin(),
                                       reference.clks.popcounts().end()));
        EXPECT_EQ(got.nonempty, reference.nonempty);
        ExpectSameStats(got.stats, reference.stats);
        if (cache) {
          EXPECT_GT(got.stats.cache_hits, 0u);
          EXPECT_LT(got.stats.mac_calls, reference.stats.mac_calls);
        } else {
          EXPECT_EQ(got.stats.cache_hits, 0u);
          EXPECT_EQ(got.stats.mac_calls, reference.stats.mac_calls);
        }
      }
    }
  }
}

TEST(EncoderTest, PopcountsAreUpdatedAndNonemptyFlagsSet) {
  LinkageSchema schema = StarterSchema();
  Secret secret = MakeSecret("a shared secret between holders");
  Rows rows = StarterRows(600, 11);
  Encoder encoder = MakeEncoder(schema, secret, {.threads = 2});
  Encoded got = EncodeAll(encoder, rows);
  std::size_t empty = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(got.clks.popcount(r), CountOnes(got.clks, r)) << r;
    ASSERT_TRUE(got.nonempty[r] == 0 || got.nonempty[r] == 1) << r;
    EXPECT_EQ(got.nonempty[r] == 1, got.clks.popcount(r) > 0) << r;
    empty += got.nonempty[r] == 0;
  }
  EXPECT_EQ(got.stats.empty_records, empty);
}

TEST(EncoderTest, DifferentSecretsGiveDifferentFilters) {
  LinkageSchema schema = StarterSchema();
  Rows rows = StarterRows(200, 3);
  Encoder a1 = MakeEncoder(schema, MakeSecret("secret number one, long enough"), {.threads = 1});
  Encoder a2 = MakeEncoder(schema, MakeSecret("secret number one, long enough"), {.threads = 3});
  Encoder b = MakeEncoder(schema, MakeSecret("secret number two, long enough"), {.threads = 1});
  EXPECT_EQ(a1.key_check(), a2.key_check());
  EXPECT_NE(a1.key_check(), b.key_check());
  Encoded e1 = EncodeAll(a1, rows), e2 = EncodeAll(a2, rows), e3 = EncodeAll(b, rows);
  EXPECT_TRUE(e1.clks == e2.clks);
  std::size_t compared = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (e1.clks.popcount(r) == 0) continue;
    ++compared;
    EXPECT_NE(std::memcmp(e1.clks.row_bytes(r), e3.clks.row_bytes(r), e1.clks.bytes_per_filter()),
              0)
        << r;
  }
  EXPECT_GT(compared, 100u);
}

// HashTokens(schema, secret, tokens): the bits the schema's only field sets for (token, k) pairs.
std::vector<std::uint8_t> HashTokens(const LinkageSchema& schema, const Secret& secret,
                                     const std::vector<std::pair<std::string, int>>& tokens) {
  auto keys = DeriveFieldKeys(schema, secret);
  EXPECT_TRUE(keys.ok());
  auto tmpl = encode_internal::FieldHashTemplate::Create(schema.fields[0], (*keys)[0],
                                                         schema.filter_bits << schema.xor_folds);
  EXPECT_TRUE(tmpl.ok());
  auto hasher = encode_internal::FieldHasher::Create(*tmpl, false);
  EXPECT_TRUE(hasher.ok());
  std::vector<std::uint8_t> filter(((schema.filter_bits << schema.xor_folds) + 7) / 8, 0);
  for (const auto& [token, k] : tokens) hasher->Insert(token, k, filter.data());
  return filter;
}

std::vector<std::uint8_t> RowOf(const BitMatrix& m, std::size_t r) {
  return std::vector<std::uint8_t>(m.row_bytes(r), m.row_bytes(r) + m.bytes_per_filter());
}

TEST(EncoderTest, PerTokenSetsAtMostKBitsPerToken) {
  LinkageSchema schema = MakeSchema(R"({"bloomlink_schema": 1, "fields": [
      {"name": "s", "type": "text", "tokens": {"kind": "exact"}, "bits": {"per_token": 20}}]})");
  Secret secret = MakeSecret("a shared secret between holders");
  Encoder encoder = MakeEncoder(schema, secret, {.threads = 1});
  Rows rows;
  rows.fields = 1;
  const std::vector<std::string> values = {"alpha", "beta", "Gamma", "delta epsilon", "東京"};
  for (const std::string& v : values) rows.Add({v});
  Encoded got = EncodeAll(encoder, rows);
  for (std::size_t r = 0; r < values.size(); ++r) {
    SCOPED_TRACE(values[r]);
    EXPECT_GT(got.clks.popcount(r), 0u);
    EXPECT_LE(got.clks.popcount(r), 20u);
    // Exactly the bits of the cleaned value as one token with k = 20 ("Gamma" cleans to lower
    // case).
    std::string clean = values[r] == "Gamma" ? "gamma" : values[r];
    EXPECT_EQ(RowOf(got.clks, r), HashTokens(schema, secret, {{clean, 20}}));
  }

  // Several tokens: at most k bits each.
  LinkageSchema grams = MakeSchema(R"({"bloomlink_schema": 1, "fields": [
      {"name": "s", "type": "text", "bits": {"per_token": 3}}]})");
  Encoder gram_encoder = MakeEncoder(grams, secret, {.threads = 1});
  Rows words;
  words.fields = 1;
  words.Add({"ann"});
  words.Add({"bartholomew"});
  Encoded g = EncodeAll(gram_encoder, words);
  EXPECT_LE(g.clks.popcount(0), 4u * 3u);
  EXPECT_LE(g.clks.popcount(1), 12u * 3u);
  EXPECT_EQ(RowOf(g.clks, 0),
            HashTokens(grams, secret, {{" a", 3}, {"an", 3}, {"nn", 3}, {"n ", 3}}));
}

TEST(EncoderTest, PerFieldSharesBitsOverTokens) {
  // "ann" has 4 padded bigrams; 10 bits shared out are 3, 3, 2, 2 (the first 10 % 4 get one more).
  LinkageSchema schema = MakeSchema(R"({"bloomlink_schema": 1, "fields": [
      {"name": "s", "type": "text", "bits": {"per_field": 10}}]})");
  Secret secret = MakeSecret("a shared secret between holders");
  Encoder encoder = MakeEncoder(schema, secret, {.threads = 1});
  Rows rows;
  rows.fields = 1;
  rows.Add({"Ann"});
  rows.Add({"a"});               // 2 bigrams: 5 each
  rows.Add({"abcdefghijklmn"});  // 15 bigrams: the first 10 get 1 bit, the rest none
  Encoded got = EncodeAll(encoder, rows);
  EXPECT_EQ(RowOf(got.clks, 0),
            HashTokens(schema, secret, {{" a", 3}, {"an", 3}, {"nn", 2}, {"n ", 2}}));
  EXPECT_EQ(RowOf(got.clks, 1), HashTokens(schema, secret, {{" a", 5}, {"a ", 5}}));
  std::vector<std::pair<std::string, int>> long_tokens;
  const std::string padded = " abcdefghijklmn ";
  for (std::size_t i = 0; i + 2 <= padded.size(); ++i) {
    long_tokens.emplace_back(padded.substr(i, 2), i < 10 ? 1 : 0);
  }
  EXPECT_EQ(RowOf(got.clks, 2), HashTokens(schema, secret, long_tokens));
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_GT(got.clks.popcount(r), 0u);
    EXPECT_LE(got.clks.popcount(r), 10u);
  }
}

TEST(EncoderTest, InvalidAndMissingValuesAreCountedAndNotEncoded) {
  LinkageSchema schema = MakeSchema(R"({"bloomlink_schema": 1, "fields": [
      {"name": "nhs", "type": "nhs_number"}]})");
  Secret secret = MakeSecret("a shared secret between holders");
  Encoder encoder = MakeEncoder(schema, secret, {.threads = 1});
  Rows rows;
  rows.fields = 1;
  const std::vector<std::string> values = {
      "943 476 5919",  // valid
      "943 476 5918",  // check digit
      "",              // missing
      "NULL",          // missing (a missing-value marker)
      " n/a ",         // missing: markers ignore case and surrounding blanks
      "   ",           // missing
      "94347659",      // wrong length
      "abc",           // non-digit
      "943 476 5917",  // check digit
  };
  for (const std::string& v : values) rows.Add({v});
  Encoded got = EncodeAll(encoder, rows);
  EXPECT_EQ(got.stats.records, values.size());
  EXPECT_EQ(got.stats.empty_records, values.size() - 1);
  ASSERT_EQ(got.stats.fields.size(), 1u);
  const FieldStats& f = got.stats.fields[0];
  EXPECT_EQ(f.valid, 1u);
  EXPECT_EQ(f.missing, 4u);
  EXPECT_EQ(f.invalid, 4u);
  using Reasons = std::vector<std::pair<std::string, std::uint64_t>>;
  // Sorted by reason (byte order: upper case first).
  EXPECT_EQ(f.invalid_reasons, (Reasons{{"NHS number is not ten digits", 1},
                                        {"check digit does not match", 2},
                                        {"non-digit characters in NHS number", 1}}));
  EXPECT_GT(got.clks.popcount(0), 0u);
  EXPECT_EQ(got.nonempty[0], 1);
  for (std::size_t r = 1; r < values.size(); ++r) {
    SCOPED_TRACE(values[r]);
    EXPECT_TRUE(RowIsZero(got.clks, r));
    EXPECT_EQ(got.clks.popcount(r), 0u);
    EXPECT_EQ(got.nonempty[r], 0);
  }
}

TEST(EncoderTest, AnInvalidFieldLeavesTheOtherFieldsAsIfItWereMissing) {
  LinkageSchema schema = StarterSchema();
  Secret secret = MakeSecret("a shared secret between holders");
  Encoder encoder = MakeEncoder(schema, secret, {.threads = 1});
  Rows rows;
  rows.fields = 6;
  rows.Add({"943 476 5918", "Ann", "Smith", "31/02/1990", "x", "XYZ"});  // invalid NHS, date...
  rows.Add({"", "Ann", "Smith", "", "", ""});
  rows.Add({"943 476 5918", "", "NULL", "31/02/1990", "9", "ZZ99 3VZ"});  // nothing usable
  Encoded got = EncodeAll(encoder, rows);
  EXPECT_EQ(RowOf(got.clks, 0), RowOf(got.clks, 1));
  EXPECT_GT(got.clks.popcount(0), 0u);
  EXPECT_TRUE(RowIsZero(got.clks, 2));
  EXPECT_EQ(got.nonempty, (std::vector<std::uint8_t>{1, 1, 0}));
  EXPECT_EQ(got.stats.empty_records, 1u);
  EXPECT_EQ(got.stats.fields[0].invalid, 2u);  // nhs_number
  EXPECT_EQ(got.stats.fields[0].missing, 1u);
  EXPECT_EQ(got.stats.fields[1].valid, 2u);  // given_name
  EXPECT_EQ(got.stats.fields[1].missing, 1u);
  EXPECT_EQ(got.stats.fields[3].invalid, 2u);  // date_of_birth
  EXPECT_EQ(got.stats.fields[3].invalid_reasons,
            (std::vector<std::pair<std::string, std::uint64_t>>{{"impossible date", 2}}));
  EXPECT_EQ(got.stats.fields[4].invalid, 1u);  // sex "x"
  EXPECT_EQ(got.stats.fields[4].missing, 2u);  // "" and "9"
  EXPECT_EQ(got.stats.fields[5].invalid, 1u);  // "XYZ"
  EXPECT_EQ(got.stats.fields[5].missing, 2u);  // "" and ZZ99
}

TEST(EncoderTest, ClkhashValuesAreCountedOnce) {
  // A sentinel without replaceWith is hashed as it is (clkhash's rule); under a numeric
  // comparison it has no tokens. Each value lands in exactly one of valid, missing, invalid.
  LinkageSchema schema = MakeSchema(R"({"version": 3, "clkConfig": {"l": 1024,
      "kdf": {"type": "HKDF"}}, "features": [
      {"identifier": "w", "format": {"type": "string"},
       "hashing": {"comparison": {"type": "numeric", "thresholdDistance": 5, "resolution": 1},
                   "strategy": {"bitsPerFeature": 30}, "missingValue": {"sentinel": "N/A"}}},
      {"identifier": "s", "format": {"type": "string", "maxLength": 3},
       "hashing": {"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 10},
                   "missingValue": {"sentinel": "U"}}}]})");
  Secret secret = MakeSecret("a shared secret between holders");
  Encoder encoder = MakeEncoder(schema, secret, {.threads = 1});
  Rows rows;
  rows.fields = 2;
  rows.Add({"N/A", "U"});    // both sentinels: missing; "U" is still hashed
  rows.Add({"42", "abcd"});  // valid; too long
  rows.Add({"abc", ""});     // not a number; empty
  Encoded got = EncodeAll(encoder, rows);
  using Reasons = std::vector<std::pair<std::string, std::uint64_t>>;
  const FieldStats& w = got.stats.fields[0];
  EXPECT_EQ(w.valid, 1u);
  EXPECT_EQ(w.missing, 1u);
  EXPECT_EQ(w.invalid, 1u);
  EXPECT_EQ(w.invalid_reasons, (Reasons{{"not a number", 1}}));
  const FieldStats& sx = got.stats.fields[1];
  EXPECT_EQ(sx.valid, 0u);
  EXPECT_EQ(sx.missing, 2u);
  EXPECT_EQ(sx.invalid, 1u);
  EXPECT_EQ(sx.invalid_reasons, (Reasons{{"longer than maxLength", 1}}));
  // Row 0 has the sentinel "U" hashed; row 2 has nothing.
  EXPECT_GT(got.clks.popcount(0), 0u);
  EXPECT_LE(got.clks.popcount(0), 10u);
  EXPECT_EQ(got.nonempty, (std::vector<std::uint8_t>{1, 1, 0}));
  EXPECT_TRUE(RowIsZero(got.clks, 2));
}

// ClkhashPatternSchema(pattern): one string feature, "name", with that pattern (JSON-escaped).
LinkageSchema ClkhashPatternSchema(const std::string& pattern) {
  return MakeSchema(absl::StrCat(R"({"version": 3, "clkConfig": {"l": 1024,
      "kdf": {"type": "HKDF"}}, "features": [
      {"identifier": "name", "format": {"type": "string", "pattern": ")",
                                 pattern, R"("},
       "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 10}}}]})"));
}

TEST(EncoderTest, ClkhashPatternsAreCheckedOnValuesOfAnyLength) {
  using Reasons = std::vector<std::pair<std::string, std::uint64_t>>;
  // Regression (found while fuzzing the schema reader): std::regex matched recursively, and a
  // 200,000-character value overflowed the stack, so values over 1,024 bytes were refused. clkhash
  // has no such cap, and PCRE2 needs none.
  LinkageSchema schema = ClkhashPatternSchema("[a-z]*");
  LinkageSchema no_pattern = schema;
  no_pattern.fields[0].clkhash.pattern.clear();
  Secret secret = MakeSecret("a shared secret between holders");
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    Encoder encoder = MakeEncoder(schema, secret, {.threads = threads});
    Rows rows;
    rows.fields = 1;
    std::string longer(200000, 'a');
    rows.Add({longer});
    longer += 'B';  // (appended, not `+ "B"`: GCC 12 warns falsely about the temporary's bounds)
    rows.Add({longer});
    rows.Add({"Bob"});
    rows.Add({"bob"});
    Encoded got = EncodeAll(encoder, rows);
    const FieldStats& f = got.stats.fields[0];
    EXPECT_EQ(f.valid, 2u);
    EXPECT_EQ(f.invalid, 2u);
    EXPECT_EQ(f.invalid_reasons, (Reasons{{"does not match the pattern", 2}}));
    EXPECT_EQ(got.nonempty, (std::vector<std::uint8_t>{1, 0, 0, 1}));
    // A pattern only decides whether a value is used; the value is hashed as without one.
    Encoder plain = MakeEncoder(no_pattern, secret, {.threads = threads});
    Encoded reference = EncodeAll(plain, rows);
    EXPECT_EQ(RowOf(got.clks, 0), RowOf(reference.clks, 0));
    EXPECT_EQ(RowOf(got.clks, 3), RowOf(reference.clks, 3));
    EXPECT_GT(got.clks.popcount(0), 0u);
  }
}

TEST(EncoderTest, ClkhashPatternsArePythonRegularExpressionsMatchedInFull) {
  // As clkhash compiles them (Python's re) and checks them (the whole value must match).
  Secret secret = MakeSecret("a shared secret between holders");
  struct Case {
    std::string pattern;  // as written in the JSON schema
    std::vector<std::string> valid, invalid;
  };
  const Case cases[] = {
      // A named group and a reference to it: Python's syntax, which std::regex did not read.
      {"(?P<letter>[A-Z])[a-z]*-(?P=letter)[a-z]*", {"Anne-Adams", "Bo-Bell"}, {"Anne-Smith"}},
      {"(?P<area>[A-Z]{1,2})[0-9][0-9A-Z]? [0-9][A-Z]{2}",
       {"LS6 1AB", "SW1A 1AA"},
       {"ls6 1ab", "LS6 1AB ", " LS6 1AB", "LS61AB"}},
      // The whole value, backtracking into alternatives: "ab" is matched by a|ab.
      {"a|ab", {"a", "ab"}, {"abc", "b"}},
      // Unicode, as Python's str patterns: \w holds letters with accents.
      {R"(\\w+(?: \\w+)*)", {"Se\xc3\xa1n Murphy", "Zo\xc3\xab"}, {"O'Neil", "Ann "}},
      {"[0-9]{,4}", {"", "2913"}, {"29134"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.pattern);
    LinkageSchema schema = ClkhashPatternSchema(c.pattern);
    Encoder encoder = MakeEncoder(schema, secret, {.threads = 1});
    Rows rows;
    rows.fields = 1;
    for (const std::string& v : c.valid) rows.Add({v});
    for (const std::string& v : c.invalid) rows.Add({v});
    Encoded got = EncodeAll(encoder, rows);
    const FieldStats& f = got.stats.fields[0];
    // An empty value that matches has no tokens, and is counted as missing.
    const std::uint64_t empty = std::count(c.valid.begin(), c.valid.end(), "");
    EXPECT_EQ(f.valid, c.valid.size() - empty);
    EXPECT_EQ(f.missing, empty);
    EXPECT_EQ(f.invalid, c.invalid.size());
  }
}

TEST(EncoderTest, APatternOverTheMatchLimitIsAnErrorNamingTheFieldAndRecord) {
  // (a+)+ backtracks exponentially on a run of a's that does not end the value. clkhash (Python's
  // re, no limit) would take hours to answer; guessing "invalid" would not be its answer, so the
  // batch fails, naming the field, the pattern and the first such record, never the value.
  LinkageSchema schema = ClkhashPatternSchema("(a+)+");
  Secret secret = MakeSecret("a shared secret between holders");
  const std::string bad = std::string(40, 'a') + "!";
  for (int threads : {1, 2}) {
    SCOPED_TRACE(threads);
    Encoder encoder = MakeEncoder(schema, secret, {.threads = threads});
    Rows rows;
    rows.fields = 1;
    for (int r = 0; r < 1000; ++r) rows.Add({r == 300 || r == 700 ? bad : "aaa"});
    BitMatrix out(rows.size(), schema.filter_bits);
    EncodeStats stats;
    std::size_t failed = 12345;
    absl::Status done =
        encoder.EncodeBatch(rows.View(), rows.size(), out, 0, stats, {}, {}, &failed);
    EXPECT_THAT(done, StatusIs(StatusCode::kInvalidArgument,
                               "field name: pattern \"(a+)+\": matching stopped at the limit of "
                               "10000000 backtracking steps: the pattern backtracks too much on "
                               "this text"));
    EXPECT_EQ(done.message().find("aaaa"), std::string_view::npos) << done;
    EXPECT_EQ(failed, 300u);
    EXPECT_EQ(stats.records, 0u);  // the batch's counts are dropped
    // The encoder is still usable, and counts only what it encodes.
    Rows good;
    good.fields = 1;
    good.Add({"aaa"});
    Encoded after = EncodeAll(encoder, good);
    EXPECT_EQ(after.stats.records, 1u);
    EXPECT_EQ(after.stats.fields[0].valid, 1u);
  }
}

TEST(EncoderTest, StatsMergeAcrossBatches) {
  LinkageSchema schema = StarterSchema();
  Secret secret = MakeSecret("a shared secret between holders");
  Rows rows = StarterRows(1500, 5);
  Encoder encoder = MakeEncoder(schema, secret, {.threads = 2});
  Encoded whole = EncodeAll(encoder, rows);
  Encoded pieces = EncodeAll(encoder, rows, 333);
  Encoded singles = EncodeAll(encoder, rows, 1);
  EXPECT_TRUE(whole.clks == pieces.clks);
  EXPECT_TRUE(whole.clks == singles.clks);
  ExpectSameStats(whole.stats, pieces.stats);
  ExpectSameStats(whole.stats, singles.stats);
  EXPECT_EQ(whole.stats.records, 1500u);
  // Reasons are sorted and each counted once.
  for (const FieldStats& f : whole.stats.fields) {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < f.invalid_reasons.size(); ++i) {
      total += f.invalid_reasons[i].second;
      if (i > 0) {
        EXPECT_LT(f.invalid_reasons[i - 1].first, f.invalid_reasons[i].first);
      }
    }
    EXPECT_EQ(total, f.invalid);
    EXPECT_EQ(f.valid + f.missing + f.invalid, 1500u);
  }
}

TEST(EncodeStatsTest, MergeAddsCountsAndMergesReasonsSorted) {
  EncodeStats a;
  a.records = 10;
  a.empty_records = 1;
  a.mac_calls = 100;
  a.cache_hits = 5;
  a.fields.resize(1);
  a.fields[0] = {7, 2, 1, {{"b", 1}}};
  EncodeStats b;
  b.records = 5;
  b.empty_records = 2;
  b.mac_calls = 50;
  b.cache_hits = 1;
  b.fields.resize(2);
  b.fields[0] = {1, 1, 3, {{"c", 2}, {"a", 1}}};
  b.fields[1] = {4, 0, 1, {{"z", 1}}};
  a.Merge(b);
  EXPECT_EQ(a.records, 15u);
  EXPECT_EQ(a.empty_records, 3u);
  EXPECT_EQ(a.mac_calls, 150u);
  EXPECT_EQ(a.cache_hits, 6u);
  ASSERT_EQ(a.fields.size(), 2u);
  EXPECT_EQ(a.fields[0].valid, 8u);
  EXPECT_EQ(a.fields[0].missing, 3u);
  EXPECT_EQ(a.fields[0].invalid, 4u);
  using Reasons = std::vector<std::pair<std::string, std::uint64_t>>;
  EXPECT_EQ(a.fields[0].invalid_reasons, (Reasons{{"a", 1}, {"b", 1}, {"c", 2}}));
  EXPECT_EQ(a.fields[1].invalid_reasons, (Reasons{{"z", 1}}));
  a.Merge(b);
  EXPECT_EQ(a.fields[0].invalid_reasons, (Reasons{{"a", 2}, {"b", 1}, {"c", 4}}));
}

TEST(EncoderTest, ValuesOfIgnoredFieldsAreNotRead) {
  LinkageSchema schema = MakeSchema(R"({"version": 3, "clkConfig": {"l": 1024,
      "kdf": {"type": "HKDF"}}, "features": [{"identifier": "id", "ignored": true},
      {"identifier": "a", "format": {"type": "string"},
       "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 10}}}]})");
  Secret secret = MakeSecret("a shared secret between holders");
  Encoder encoder = MakeEncoder(schema, secret, {.threads = 1});
  Rows rows;
  rows.fields = 2;
  rows.Add({"1", "value"});
  rows.Add({"something else entirely", "value"});
  rows.Add({"1", ""});
  Encoded got = EncodeAll(encoder, rows);
  EXPECT_EQ(RowOf(got.clks, 0), RowOf(got.clks, 1));
  // clkhash schemas encode an empty record as an all-zero filter.
  EXPECT_TRUE(RowIsZero(got.clks, 2));
  EXPECT_EQ(got.nonempty[2], 0);
  EXPECT_EQ(got.stats.fields[0].valid + got.stats.fields[0].missing + got.stats.fields[0].invalid,
            0u);
}

// ---------------------------------------------------------------------------------------------
// XOR folding (clkhash schemas).

std::string ClkSchema(int l, int folds, const std::string& hash) {
  return absl::StrCat(R"({"version": 3, "clkConfig": {"l": )", l, R"(, "xor_folds": )", folds,
                      R"(, "kdf": {"type": "HKDF", "salt": "c2FsdA=="}},
      "features": [{"identifier": "id", "ignored": true},
        {"identifier": "name", "format": {"type": "string"},
         "hashing": {"comparison": {"type": "ngram", "n": 2}, "strategy": {"bitsPerToken": 30},
                     "hash": {"type": ")",
                      hash, R"("}}},
        {"identifier": "age", "format": {"type": "integer"},
         "hashing": {"comparison": {"type": "numeric", "thresholdDistance": 5, "resolution": 2},
                     "strategy": {"bitsPerFeature": 60}, "hash": {"type": ")",
                      hash, R"("}}}]})");
}

// Fold(filter, bits, folds): the first half XOR the second half, `folds` times.
std::vector<bool> Fold(const BitMatrix& m, std::size_t row, int folds) {
  std::vector<bool> bits(m.bits());
  for (std::size_t b = 0; b < m.bits(); ++b) bits[b] = m.GetBit(row, b);
  for (int f = 0; f < folds; ++f) {
    const std::size_t half = bits.size() / 2;
    std::vector<bool> next(half);
    for (std::size_t b = 0; b < half; ++b) next[b] = bits[b] != bits[b + half];
    bits = std::move(next);
  }
  return bits;
}

struct FoldCase {
  int unfolded_l;
  int folds;
  std::string_view hash;
};

TEST(EncoderTest, XorFoldingMatchesAManualFoldOfTheUnfoldedEncoding) {
  const FoldCase cases[] = {{1024, 1, "blakeHash"},
                            {1024, 2, "blakeHash"},
                            {1000, 1, "doubleHash"},  // 500-bit halves: not whole bytes
                            {1000, 3, "doubleHash"},  // 125 bits
                            {2048, 3, "doubleHash"}};
  Secret secret = MakeSecret("a shared secret between holders");
  Rows rows;
  rows.fields = 3;
  std::mt19937 rng(99);
  const std::string_view names[] = {"alice", "bob", "carol", "dave", "émile", "", "東京"};
  for (int i = 0; i < 700; ++i) {  // over the parallel cut-off
    rows.Add({std::to_string(i), Pick(rng, names) + std::to_string(i % 13),
              i % 10 == 0 ? "" : std::to_string(i % 97)});
  }
  for (const FoldCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.unfolded_l << " / 2^" << c.folds << " " << c.hash);
    LinkageSchema unfolded_schema = MakeSchema(ClkSchema(c.unfolded_l, 0, std::string(c.hash)));
    LinkageSchema folded_schema =
        MakeSchema(ClkSchema(c.unfolded_l >> c.folds, c.folds, std::string(c.hash)));
    ASSERT_EQ(folded_schema.xor_folds, c.folds);
    ASSERT_EQ(folded_schema.filter_bits, static_cast<std::uint32_t>(c.unfolded_l >> c.folds));
    Encoder unfolded_encoder = MakeEncoder(unfolded_schema, secret, {.threads = 2});
    Encoder folded_encoder = MakeEncoder(folded_schema, secret, {.threads = 3});
    Encoded unfolded = EncodeAll(unfolded_encoder, rows);
    Encoded folded = EncodeAll(folded_encoder, rows);
    ASSERT_EQ(folded.clks.bits(), static_cast<std::size_t>(c.unfolded_l >> c.folds));
    std::size_t mismatches = 0;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::vector<bool> want = Fold(unfolded.clks, r, c.folds);
      std::vector<bool> got(folded.clks.bits());
      for (std::size_t b = 0; b < got.size(); ++b) got[b] = folded.clks.GetBit(r, b);
      if (got != want && ++mismatches <= 3) ADD_FAILURE() << "record " << r;
      EXPECT_EQ(folded.clks.popcount(r), CountOnes(folded.clks, r));
    }
    EXPECT_EQ(mismatches, 0u);
    // Padding bits past the filter length stay zero.
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const std::size_t bits = folded.clks.bits();
      for (std::size_t b = bits; b < folded.clks.words_per_row() * 64; ++b) {
        ASSERT_EQ((folded.clks.row_bytes(r)[b / 8] >> (7 - b % 8)) & 1, 0) << r << " bit " << b;
      }
    }
  }
}

TEST(EncoderTest, CreateRefusesBadInput) {
  // Keys for blakeHash are BLAKE2b keys: at most 64 bytes.
  // The schema parser refuses such a schema (schema_test); the encoder checks again for schemas
  // built in code.
  LinkageSchema big_keys = MakeSchema(R"({"version": 3, "clkConfig": {"l": 1024,
      "kdf": {"type": "HKDF", "keySize": 64}}, "features": [
      {"identifier": "a", "format": {"type": "string"},
       "hashing": {"comparison": {"type": "exact"}, "strategy": {"bitsPerToken": 10}}}]})");
  big_keys.kdf.key_size = 100;
  EXPECT_THAT(Encoder::Create(big_keys, MakeSecret("a shared secret between holders")),
              StatusIs(StatusCode::kInvalidArgument, "blakeHash needs keySize <= 64"));
}

}  // namespace
}  // namespace bloomlink::encode
