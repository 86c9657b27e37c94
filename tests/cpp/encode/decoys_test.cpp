// Tests of pseudonymous ids and decoy records (bloomlink/encode/decoys.hpp): pseudonyms and the
// decoy tag, the decoys' number, content and stability across a refreshed extract, that nothing
// changes without them, thread counts, the CSV path, and revealing a linkage's output.
#include "bloomlink/encode/decoys.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bloomlink/encode/encode_csv.hpp"
#include "bloomlink/io/csv.hpp"
#include "test_support.hpp"

namespace bloomlink::encode {
namespace {

using ::absl::StatusCode;
using ::bloomlink::testing::StatusIs;
using ::testing::HasSubstr;

Secret MakeSecret(std::string_view text = "a shared secret between holders") {
  auto s = Secret::FromBytes(text, "test");
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(*s);
}

LinkageSchema MakeSchema(std::string_view json) {
  auto s = ParseSchema(json, "test");
  EXPECT_TRUE(s.ok()) << s.status() << "\n" << json;
  return s.ok() ? *std::move(s) : LinkageSchema{};
}

// The starter schema's fields, each with a field-level filter, and two blocking rules.
constexpr char kFilterSchema[] = R"json({
  "bloomlink_schema": 1,
  "filter": {"bits": 1024},
  "fields": [
    {"name": "nhs_number", "type": "nhs_number", "tokens": {"kind": "exact"},
     "bits": {"per_token": 80}, "field_filter": {"bits": 128, "per_token": 8}},
    {"name": "given_name", "type": "name", "tokens": {"kind": "qgram", "q": 2},
     "bits": {"per_field": 200}, "field_filter": {"bits": 256, "per_token": 8}},
    {"name": "family_name", "type": "name", "tokens": {"kind": "qgram", "q": 2},
     "bits": {"per_field": 200}, "field_filter": {"bits": 256, "per_token": 8}},
    {"name": "date_of_birth", "type": "date", "tokens": {"kind": "positional_qgram", "q": 1},
     "bits": {"per_field": 160}, "field_filter": {"bits": 128, "per_token": 8}},
    {"name": "sex", "type": "sex", "tokens": {"kind": "exact"}, "bits": {"per_token": 20},
     "field_filter": {"bits": 64, "per_token": 8}},
    {"name": "postcode", "type": "postcode", "tokens": {"kind": "qgram", "q": 2},
     "bits": {"per_field": 120}, "field_filter": {"bits": 256, "per_token": 8}}
  ],
  "blocking": [
    {"name": "nhs_number", "on": ["nhs_number"]},
    {"name": "surname_year", "on": ["soundex(family_name)", "year(date_of_birth)"]}
  ]
})json";

// People: synthetic extracts in the starter schema's columns, ids T0000001...
struct People {
  std::vector<std::string> ids;
  std::vector<std::vector<std::string>> rows;  // nhs_number, given, family, dob, sex, postcode

  std::vector<std::string_view> IdViews() const { return {ids.begin(), ids.end()}; }
  std::vector<std::string_view> Values() const {
    std::vector<std::string_view> v;
    for (const auto& row : rows) v.insert(v.end(), row.begin(), row.end());
    return v;
  }
  std::string Csv() const {
    std::string csv = "id,nhs_number,given_name,family_name,date_of_birth,sex,postcode\n";
    for (std::size_t r = 0; r < ids.size(); ++r) {
      csv += ids[r];
      for (const std::string& v : rows[r]) csv += "," + v;
      csv += "\n";
    }
    return csv;
  }
};

std::string NhsNumber(std::mt19937_64& rng) {
  while (true) {
    std::string digits;
    int sum = 0;
    for (int i = 0; i < 9; ++i) {
      const int d = static_cast<int>(rng() % 10);
      digits.push_back(static_cast<char>('0' + d));
      sum += d * (10 - i);
    }
    const int check = 11 - sum % 11;
    if (check == 10) continue;
    digits.push_back(static_cast<char>('0' + (check == 11 ? 0 : check)));
    return digits;
  }
}

std::vector<std::string> Person(std::mt19937_64& rng) {
  static const char* kGiven[] = {"Ann",    "John",  "Priya", "Mohammed", "Olivia", "George",
                                 "Amelia", "Harry", "Isla",  "Jack",     "Sophie", "Oliver",
                                 "Emily",  "Noah",  "Grace", "Leo",      "Ava",    "Arthur"};
  static const char* kFamily[] = {"Smith",  "Jones",  "Taylor", "Brown",  "Williams", "Wilson",
                                  "Patel",  "Khan",   "Evans",  "Thomas", "Johnson",  "Roberts",
                                  "Walker", "Wright", "Murphy", "Hughes", "Edwards",  "Green"};
  const auto pick = [&](const auto& list) {
    return std::string(list[rng() % (sizeof list / sizeof list[0])]);
  };
  const std::string dob =
      absl::StrCat(1930 + rng() % 80, "-0", 1 + rng() % 9, "-", 10 + rng() % 18);
  std::string postcode;
  postcode += static_cast<char>('A' + rng() % 26);
  postcode += static_cast<char>('A' + rng() % 26);
  postcode += static_cast<char>('1' + rng() % 9);
  postcode += ' ';
  postcode += static_cast<char>('1' + rng() % 9);
  postcode += static_cast<char>('A' + rng() % 26);
  postcode += static_cast<char>('A' + rng() % 26);
  return {NhsNumber(rng), pick(kGiven), pick(kFamily), dob, rng() % 2 ? "M" : "F", postcode};
}

People MakePeople(std::size_t n, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  People p;
  for (std::size_t r = 0; r < n; ++r) {
    p.ids.push_back(absl::StrCat("T", 1000000 + r));
    p.rows.push_back(Person(rng));
  }
  return p;
}

struct Encoded {
  EncodedDataset data;
  EncodeReport report;
};

Encoded Encode(const People& people, const LinkageSchema& schema, double decoys, bool pseudonymous,
               int threads = 1, std::string_view secret_text = {}) {
  const Secret secret = secret_text.empty() ? MakeSecret() : MakeSecret(secret_text);
  auto encoder = Encoder::Create(schema, secret, {.threads = threads});
  EXPECT_TRUE(encoder.ok()) << encoder.status();
  auto keys = IdKeys::Create(schema, secret);
  EXPECT_TRUE(keys.ok()) << keys.status();
  Encoded out;
  const auto ids = people.IdViews();
  const auto values = people.Values();
  auto data = EncodeRecords(ids, values, *encoder, "people", &out.report, nullptr,
                            {.keys = &*keys, .decoys = decoys, .pseudonymous_ids = pseudonymous});
  EXPECT_TRUE(data.ok()) << data.status();
  if (data.ok()) out.data = std::move(*data);
  return out;
}

std::string Row(const BitMatrix& m, std::size_t r) {
  return std::string(reinterpret_cast<const char*>(m.row_bytes(r)), m.bytes_per_filter());
}

// Everything a record carries in the file, as bytes.
std::string RecordBytes(const EncodedDataset& d, std::size_t r) {
  std::string out = Row(d.clks, r);
  for (const FieldFilters& f : d.field_filters) out += Row(f.filters, r);
  for (std::size_t k = 0; k < d.blocking_keys.rules.size(); ++k) {
    absl::StrAppend(&out, "|", d.blocking_keys.token(r, k));
  }
  return out;
}

IdKeys Keys(const LinkageSchema& schema, std::string_view secret = {}) {
  auto keys = IdKeys::Create(schema, secret.empty() ? MakeSecret() : MakeSecret(secret));
  EXPECT_TRUE(keys.ok()) << keys.status();
  return std::move(*keys);
}

TEST(Pseudonyms, AreDeterministicForASecretAndSchemaAndDifferOtherwise) {
  const LinkageSchema starter = MakeSchema(StarterSchemaJson());
  const std::string a = Keys(starter).Pseudonym("T0000001");
  EXPECT_EQ(a, Keys(starter).Pseudonym("T0000001"));
  EXPECT_EQ(a.size(), kPseudonymChars);
  EXPECT_EQ(a.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos) << a;
  EXPECT_TRUE(IsPseudonymShaped(a));
  EXPECT_NE(a, Keys(starter).Pseudonym("T0000002"));
  EXPECT_NE(a, Keys(starter, "another secret, just as long").Pseudonym("T0000001"));
  EXPECT_NE(a, Keys(MakeSchema(kFilterSchema)).Pseudonym("T0000001"));
  // The batch form gives the same, whatever the thread count.
  std::vector<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.push_back(absl::StrCat("T", i));
  const IdKeys keys = Keys(starter);
  const std::vector<std::string> one = keys.Pseudonyms(ids, 1);
  EXPECT_EQ(one, keys.Pseudonyms(ids, 2));
  EXPECT_EQ(one[17], keys.Pseudonym(ids[17]));
}

TEST(Pseudonyms, NotPseudonymsAreRecognisedAsSuch) {
  for (std::string_view text :
       {"", "T0000001", "abcdefghijklmnopqrstuvwxy", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "abcdefghijklmnopqrstuvwxyz",  // last character's low bits set
        "abcdefghijklmnopqrstuvwxya0", "abcdefghijklmnopqrstuvwxy1"}) {
    EXPECT_FALSE(IsPseudonymShaped(text)) << text;
  }
  EXPECT_TRUE(IsPseudonymShaped("abcdefghijklmnopqrstuvwxya"));
}

TEST(DecoyTag, RecognisesEveryDecoyAndNoRealPseudonym) {
  const LinkageSchema schema = MakeSchema(StarterSchemaJson());
  const IdKeys keys = Keys(schema);
  const IdKeys other = Keys(schema, "another secret, just as long");
  std::vector<std::string> ids;
  for (int i = 0; i < 100000; ++i) ids.push_back(absl::StrCat("R", i));
  std::size_t real_as_decoy = 0;
  for (const std::string& p : keys.Pseudonyms(ids, 0)) real_as_decoy += keys.IsDecoy(p);
  EXPECT_EQ(real_as_decoy, 0u);
  std::size_t decoys = 0, other_decoys = 0;
  std::set<std::string> distinct;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    const std::string p = keys.DecoyPseudonym(i, ids[i % 997]);
    EXPECT_TRUE(IsPseudonymShaped(p)) << p;
    decoys += keys.IsDecoy(p);
    other_decoys += other.IsDecoy(p);
    distinct.insert(p);
  }
  EXPECT_EQ(decoys, 20000u);
  EXPECT_EQ(other_decoys, 0u);  // another secret's holders do not recognise them
  EXPECT_EQ(distinct.size(), 20000u);
  // A decoy's id depends on its anchor: two holders' decoy 0 differ.
  EXPECT_NE(keys.DecoyPseudonym(0, "T0000001"), keys.DecoyPseudonym(0, "C0000001"));
  EXPECT_FALSE(keys.IsDecoy("T0000001"));
}

TEST(Decoys, CountIsTheRoundedFractionOfTheRecordsEncoded) {
  const LinkageSchema schema = MakeSchema(StarterSchemaJson());
  const People people = MakePeople(1000);
  const IdKeys keys = Keys(schema);
  for (const auto& [fraction, expected] : std::vector<std::pair<double, std::size_t>>{
           {0.25, 250}, {0.1234, 123}, {0.1235, 124}, {1.0, 1000}, {0.0005, 1}, {0.0004, 0}}) {
    const Encoded e = Encode(people, schema, fraction, false);
    EXPECT_EQ(e.data.size(), 1000 + expected) << fraction;
    EXPECT_EQ(e.report.decoys, expected) << fraction;
    EXPECT_EQ(e.report.records_encoded, 1000u);
    std::size_t tagged = 0;
    for (const std::string& id : e.data.ids) tagged += keys.IsDecoy(id);
    EXPECT_EQ(tagged, expected) << fraction;
    EXPECT_TRUE(e.data.pseudonymous_ids);
    EXPECT_TRUE(std::is_sorted(e.data.ids.begin(), e.data.ids.end()));
  }
  EXPECT_EQ(DecoyCount(0.25, 10), 3u);  // 2.5 rounds away from zero
  EXPECT_EQ(DecoyCount(0, 1000000), 0u);
}

TEST(Decoys, NothingChangesWithoutThemAndRealRecordsKeepTheirEncodings) {
  const LinkageSchema schema = MakeSchema(kFilterSchema);
  const People people = MakePeople(500);
  const Encoded plain = Encode(people, schema, 0, false);
  // No decoys and no pseudonyms asked: the very same dataset.
  const Encoded zero = Encode(people, schema, 0.0, false);
  EXPECT_EQ(zero.data.ids, plain.data.ids);
  EXPECT_FALSE(zero.data.pseudonymous_ids);
  EXPECT_EQ(zero.data.clks, plain.data.clks);
  ASSERT_EQ(zero.data.field_filters.size(), plain.data.field_filters.size());
  for (std::size_t f = 0; f < plain.data.field_filters.size(); ++f) {
    EXPECT_EQ(zero.data.field_filters[f].filters, plain.data.field_filters[f].filters);
  }
  EXPECT_EQ(zero.data.blocking_keys.tokens, plain.data.blocking_keys.tokens);
  EXPECT_EQ(zero.report.decoys, 0u);

  // Pseudonyms alone: the same records, renamed and reordered; with decoys too, the real records
  // are the same.
  const IdKeys keys = Keys(schema);
  for (double decoys : {0.0, 0.3}) {
    const Encoded e = Encode(people, schema, decoys, true);
    std::map<std::string, std::size_t> row;
    for (std::size_t r = 0; r < e.data.size(); ++r) row[e.data.ids[r]] = r;
    for (std::size_t r = 0; r < people.ids.size(); ++r) {
      auto it = row.find(keys.Pseudonym(people.ids[r]));
      ASSERT_NE(it, row.end()) << people.ids[r];
      EXPECT_EQ(RecordBytes(e.data, it->second), RecordBytes(plain.data, r)) << people.ids[r];
    }
    EXPECT_EQ(e.data.size(), people.ids.size() + e.report.decoys);
    EXPECT_EQ(e.report.decoys, decoys > 0 ? 150u : 0u);
    // The counts describe the real records only.
    EXPECT_EQ(e.report.stats.records, plain.report.stats.records);
  }
}

TEST(Decoys, TakeEachValueFromARealRecordAndCarryFiltersAndTokens) {
  const LinkageSchema schema = MakeSchema(kFilterSchema);
  const People people = MakePeople(2000);
  const IdKeys keys = Keys(schema);
  const Encoded e = Encode(people, schema, 0.25, false);
  ASSERT_EQ(e.data.field_filters.size(), 6u);
  // Every decoy's field filters are each some real record's (drawn from the extract's values),
  // but not all from the same one; and decoys carry blocking tokens as real records do.
  std::vector<std::set<std::string>> real_filters(6);
  for (std::size_t r = 0; r < e.data.size(); ++r) {
    if (keys.IsDecoy(e.data.ids[r])) continue;
    for (std::size_t f = 0; f < 6; ++f)
      real_filters[f].insert(Row(e.data.field_filters[f].filters, r));
  }
  std::size_t decoys = 0, with_token = 0, copies = 0;
  std::set<std::string> clks;
  for (std::size_t r = 0; r < e.data.size(); ++r) {
    if (!keys.IsDecoy(e.data.ids[r])) continue;
    ++decoys;
    for (std::size_t f = 0; f < 6; ++f) {
      EXPECT_TRUE(real_filters[f].count(Row(e.data.field_filters[f].filters, r)))
          << "decoy " << e.data.ids[r] << " field " << f;
    }
    with_token += e.data.blocking_keys.token(r, 1) != kNoBlockingToken;
    clks.insert(Row(e.data.clks, r));
    EXPECT_GT(e.data.clks.popcount(r), 0u);
  }
  for (std::size_t r = 0; r < e.data.size(); ++r) {
    if (!keys.IsDecoy(e.data.ids[r])) copies += clks.count(Row(e.data.clks, r));
  }
  EXPECT_EQ(decoys, 500u);
  EXPECT_GT(with_token, 490u);
  EXPECT_EQ(copies, 0u);           // no decoy is a copy of a real record
  EXPECT_EQ(clks.size(), decoys);  // nor of another decoy
  // The field filters of nearly unique values tell the decoys apart: the holder is warned.
  ASSERT_FALSE(e.report.warnings.empty());
  const std::string all = absl::StrJoin(e.report.warnings, "\n");
  EXPECT_THAT(all, HasSubstr("field-level filters of field nhs_number tell decoys apart"));
  EXPECT_THAT(all, HasSubstr("blocking tokens of rule nhs_number tell decoys apart"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("field sex ")));
  // Without field filters or tokens there is nothing to warn about.
  EXPECT_TRUE(Encode(people, MakeSchema(StarterSchemaJson()), 0.25, false).report.warnings.empty());
}

TEST(Decoys, SameOutputForOneAndTwoThreads) {
  const LinkageSchema schema = MakeSchema(kFilterSchema);
  const People people = MakePeople(9000);  // above the cut-offs where work is parallel
  const Encoded one = Encode(people, schema, 0.25, false, 1);
  const Encoded two = Encode(people, schema, 0.25, false, 2);
  EXPECT_EQ(one.data.ids, two.data.ids);
  EXPECT_EQ(one.data.clks, two.data.clks);
  for (std::size_t f = 0; f < one.data.field_filters.size(); ++f) {
    EXPECT_EQ(one.data.field_filters[f].filters, two.data.field_filters[f].filters);
  }
  EXPECT_EQ(one.data.blocking_keys.tokens, two.data.blocking_keys.tokens);
}

// DecoyEncodings(e, keys): each decoy's id and its encodings.
std::map<std::string, std::string> DecoyEncodings(const Encoded& e, const IdKeys& keys) {
  std::map<std::string, std::string> out;
  for (std::size_t r = 0; r < e.data.size(); ++r) {
    if (keys.IsDecoy(e.data.ids[r])) out[e.data.ids[r]] = RecordBytes(e.data, r);
  }
  return out;
}

// Kept(before, after): how many of `before`'s decoys keep their id, and their id and encoding.
std::pair<std::size_t, std::size_t> Kept(const std::map<std::string, std::string>& before,
                                         const std::map<std::string, std::string>& after) {
  std::size_t id = 0, both = 0;
  for (const auto& [p, bytes] : before) {
    auto it = after.find(p);
    if (it == after.end()) continue;
    ++id;
    both += it->second == bytes;
  }
  return {id, both};
}

TEST(Decoys, AreStableAcrossARefreshedExtract) {
  const LinkageSchema schema = MakeSchema(kFilterSchema);
  const IdKeys keys = Keys(schema);
  const People people = MakePeople(4000);
  const auto before = DecoyEncodings(Encode(people, schema, 0.25, false), keys);
  ASSERT_EQ(before.size(), 1000u);

  // The same extract again: the same decoys.
  EXPECT_EQ(DecoyEncodings(Encode(people, schema, 0.25, false), keys), before);

  // 1% of the records with a value changed, in an order shuffled: decoys keep their ids, and
  // nearly all their encodings.
  std::mt19937_64 rng(7);
  People updated = people;
  for (std::size_t k = 0; k < 40; ++k) {
    const std::size_t r = rng() % updated.rows.size();
    updated.rows[r] = Person(rng);
  }
  std::vector<std::size_t> order(updated.ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  People shuffled;
  for (std::size_t r : order) {
    shuffled.ids.push_back(updated.ids[r]);
    shuffled.rows.push_back(updated.rows[r]);
  }
  const auto [id1, both1] =
      Kept(before, DecoyEncodings(Encode(shuffled, schema, 0.25, false), keys));
  EXPECT_EQ(id1, 1000u);
  // Each decoy takes its six values from six records: about 6% of them change (1,000 x 6 x 1%).
  EXPECT_GE(both1, 900u) << "decoys whose encodings changed when 1% of the records did";
  EXPECT_LT(both1, 1000u);

  // 1% of the records gone and as many new ones: most decoys keep their ids and encodings.
  People refreshed = people;
  for (std::size_t k = 0; k < 40; ++k) {
    const std::size_t r = rng() % refreshed.rows.size();
    refreshed.ids[r] = absl::StrCat("N", k);
    refreshed.rows[r] = Person(rng);
  }
  const auto [id2, both2] =
      Kept(before, DecoyEncodings(Encode(refreshed, schema, 0.25, false), keys));
  std::printf(
      "refresh: %zu of 1000 decoys kept their encodings when 1%% of the records changed; "
      "%zu kept their ids and %zu their encodings when 1%% were replaced\n",
      both1, id2, both2);
  EXPECT_GE(id2, 960u) << "decoys whose ids changed when 1% of the records were replaced";
  EXPECT_GE(both2, 800u) << "decoys whose encodings changed when 1% of the records were replaced";
  EXPECT_LT(both2, 1000u);
}

TEST(Decoys, FromACsvFileAreThoseOfTheSameRecordsInMemory) {
  const LinkageSchema schema = MakeSchema(kFilterSchema);
  const People people = MakePeople(1500);
  testing::TempDir dir;
  const std::string path = dir.file("extract.csv");
  testing::WriteFile(path, people.Csv());
  const Secret secret = MakeSecret();
  auto encoder = Encoder::Create(schema, secret, {.threads = 2});
  ASSERT_TRUE(encoder.ok());
  const IdKeys keys = Keys(schema);
  CsvEncodeOptions options;
  options.batch_records = 100;  // many batches
  options.privacy = {.keys = &keys, .decoys = 0.25, .pseudonymous_ids = false};
  EncodeReport report;
  auto from_csv = EncodeCsv(path, *encoder, options, &report);
  ASSERT_TRUE(from_csv.ok()) << from_csv.status();
  const Encoded in_memory = Encode(people, schema, 0.25, false);
  EXPECT_EQ(from_csv->ids, in_memory.data.ids);
  EXPECT_EQ(from_csv->clks, in_memory.data.clks);
  EXPECT_EQ(from_csv->blocking_keys.tokens, in_memory.data.blocking_keys.tokens);
  EXPECT_EQ(report.decoys, 375u);
  EXPECT_EQ(report.records_encoded, 1500u);
}

TEST(Decoys, BadOptionsAreRefused) {
  const LinkageSchema schema = MakeSchema(StarterSchemaJson());
  const IdKeys keys = Keys(schema);
  for (double bad : {-0.1, 1.5, std::nan("")}) {
    EXPECT_THAT(CheckPrivacyOptions({.keys = &keys, .decoys = bad, .pseudonymous_ids = false}),
                StatusIs(StatusCode::kInvalidArgument, "decoys: expected a fraction"));
  }
  EXPECT_THAT(CheckPrivacyOptions({.keys = nullptr, .decoys = 0.25, .pseudonymous_ids = false}),
              StatusIs(StatusCode::kInvalidArgument, "keys"));
  EXPECT_THAT(CheckPrivacyOptions({.keys = nullptr, .decoys = 0, .pseudonymous_ids = true}),
              StatusIs(StatusCode::kInvalidArgument, "keys"));
  EXPECT_TRUE(CheckPrivacyOptions({.keys = nullptr, .decoys = 0, .pseudonymous_ids = false}).ok());
  const People people = MakePeople(10);
  auto encoder = Encoder::Create(schema, MakeSecret(), {.threads = 1});
  ASSERT_TRUE(encoder.ok());
  const auto ids = people.IdViews();
  const auto values = people.Values();
  EXPECT_THAT(EncodeRecords(ids, values, *encoder, "people", nullptr, nullptr,
                            {.keys = &keys, .decoys = 2, .pseudonymous_ids = false}),
              StatusIs(StatusCode::kInvalidArgument, "decoys: expected a fraction"));
}

// ---- revealing
// ---------------------------------------------------------------------------------

TEST(Reveal, MapsPseudonymsBackAndLeavesOutRowsWithDecoys) {
  const LinkageSchema schema = MakeSchema(StarterSchemaJson());
  const IdKeys keys = Keys(schema);
  const IdKeys wrong = Keys(schema, "another secret, just as long");
  IdRevealer revealer(keys);
  const std::vector<std::string> ids = {"T1", "T2", "T3"};
  revealer.AddIds(ids);
  EXPECT_EQ(revealer.ids(), 3u);
  std::string_view real;
  EXPECT_EQ(revealer.Find(keys.Pseudonym("T2"), &real), IdRevealer::Kind::kRevealed);
  EXPECT_EQ(real, "T2");
  EXPECT_EQ(revealer.Find(keys.DecoyPseudonym(3, "C9")), IdRevealer::Kind::kDecoy);
  EXPECT_EQ(revealer.Find(keys.Pseudonym("C1")), IdRevealer::Kind::kUnknown);
  EXPECT_EQ(revealer.Find("C1"), IdRevealer::Kind::kUnknown);
  EXPECT_EQ(revealer.Find(wrong.DecoyPseudonym(3, "C9")), IdRevealer::Kind::kUnknown);

  testing::TempDir dir;
  const std::string pairs = dir.file("pairs.csv");
  const std::string t1 = keys.Pseudonym("T1"), t3 = keys.Pseudonym("T3");
  const std::string c1 = keys.Pseudonym("C1"), decoy = keys.DecoyPseudonym(0, "C7");
  testing::WriteFile(pairs, absl::StrCat("id_a,id_b,score,note\n",             //
                                         t1, ",", c1, ",0.910000,\"a, b\"\n",  //
                                         decoy, ",", c1, ",0.900000,x\n",      //
                                         t3, ",", decoy, ",0.850000,y\n",      //
                                         t3, ",", c1, ",0.800000,z\n"));
  auto report = RevealCsv(revealer, pairs, RevealTable::kPairs, dir.file("out.csv"));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(testing::ReadFile(dir.file("out.csv")),
            absl::StrCat("id_a,id_b,score,note\n", "T1,", c1, ",0.910000,\"a, b\"\n", "T3,", c1,
                         ",0.800000,z\n"));
  EXPECT_EQ(report->rows_read, 4u);
  EXPECT_EQ(report->rows_dropped, 2u);
  EXPECT_EQ(report->ids_revealed, 2u);
  EXPECT_EQ(report->ids_left, 2u);
  EXPECT_EQ(report->decoy_ids, 2u);
  EXPECT_EQ(report->pseudonyms, 8u);
  EXPECT_TRUE(report->warnings.empty());

  // A crosswalk: rows of decoys go; a person whose only records are decoys goes with them.
  const std::string crosswalk = dir.file("crosswalk.csv");
  testing::WriteFile(crosswalk, absl::StrCat("person_id,source,record_id,confidence\n",  //
                                             "P1,trust,", t1, ",1.0000\n",               //
                                             "P1,council,", decoy, ",0.9000\n",          //
                                             "P2,council,", keys.DecoyPseudonym(1, "C8"),
                                             ",1.0000\n",  //
                                             "P3,council,", c1, ",1.0000\n"));
  report = RevealCsv(revealer, crosswalk, RevealTable::kCrosswalk, dir.file("cw.csv"));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(testing::ReadFile(dir.file("cw.csv")),
            absl::StrCat("person_id,source,record_id,confidence\nP1,trust,T1,1.0000\nP3,council,",
                         c1, ",1.0000\n"));
  EXPECT_EQ(report->rows_dropped, 2u);

  // With the wrong secret nothing is recognised, and the report says so.
  IdRevealer lost(wrong);
  lost.AddIds(ids);
  report = RevealCsv(lost, pairs, RevealTable::kPairs, dir.file("lost.csv"));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->ids_revealed, 0u);
  EXPECT_EQ(report->rows_dropped, 0u);
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_THAT(report->warnings[0],
              HasSubstr("0 of the 8 pseudonymous ids were recognised (none is a record of the "
                        "extracts given, none a decoy): probably the wrong secret"));
}

TEST(Reveal, ErrorsNameTheFileAndLine) {
  const LinkageSchema schema = MakeSchema(StarterSchemaJson());
  const IdKeys keys = Keys(schema);
  IdRevealer revealer(keys);
  testing::TempDir dir;
  const std::string pairs = dir.file("pairs.csv");
  testing::WriteFile(pairs, "a,b\nx,y\n");
  EXPECT_THAT(RevealCsv(revealer, pairs, RevealTable::kPairs, dir.file("out.csv")),
              StatusIs(StatusCode::kInvalidArgument, "id_a"));
  testing::WriteFile(pairs, "id_a,id_b\nx,y\nx,\n");
  EXPECT_THAT(RevealCsv(revealer, pairs, RevealTable::kPairs, dir.file("out.csv")),
              StatusIs(StatusCode::kInvalidArgument, "pairs.csv:3: column 2 (id_b) is empty"));
  EXPECT_THAT(RevealCsv(revealer, pairs, RevealTable::kCrosswalk, dir.file("out.csv")),
              StatusIs(StatusCode::kInvalidArgument, "record_id"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("out.csv")));
  const std::string extract = dir.file("extract.csv");
  testing::WriteFile(extract, "id,name\nT1,a\n,b\n");
  EXPECT_THAT(
      revealer.AddExtract(extract, "id"),
      StatusIs(StatusCode::kInvalidArgument, "extract.csv:3: column 1 (id): the id is empty"));
  EXPECT_THAT(revealer.AddExtract(extract, "record"),
              StatusIs(StatusCode::kInvalidArgument, "(the id column)"));
}

}  // namespace
}  // namespace bloomlink::encode
