// Tests of the schema's hardening (docs/schema.md, Hardening): each transform's defining property
// on the internal FilterHardener, and through the Encoder: determinism for a secret and schema,
// other output under another secret, salting, BLIP seeded by the record, balanced popcounts
// (a linkage refused between files that disagree on hardening: tests/python/test_hardening.py).
#include "encode/harden.hpp"

#include <bit>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bloomlink/encode/encode_csv.hpp"
#include "bloomlink/encode/encoder.hpp"
#include "test_support.hpp"

namespace bloomlink::encode {
namespace {

using ::bloomlink::testing::StatusIs;
using encode_internal::FilterHardener;

constexpr std::string_view kKeyA = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kKeyB = "fedcba9876543210fedcba9876543210";

std::vector<std::uint8_t> RandomFilter(std::uint32_t bits, std::mt19937_64& rng, double fill) {
  std::vector<std::uint8_t> f((bits + 7) / 8, 0);
  std::bernoulli_distribution on(fill);
  for (std::uint32_t i = 0; i < bits; ++i) {
    if (on(rng)) f[i >> 3] |= static_cast<std::uint8_t>(0x80u >> (i & 7));
  }
  return f;
}

bool Bit(const std::vector<std::uint8_t>& f, std::size_t i) {
  return (f[i >> 3] >> (7 - (i & 7))) & 1;
}

int Popcount(const std::vector<std::uint8_t>& f) {
  int n = 0;
  for (std::uint8_t b : f) n += std::popcount(b);
  return n;
}

std::vector<std::uint8_t> Apply(const FilterHardener& h, const std::vector<std::uint8_t>& in,
                                std::uint64_t seed = 0) {
  std::vector<std::uint8_t> out((h.out_bits() + 7) / 8, 0xFF), scratch;
  h.Apply(in.data(), out.data(), seed, scratch);
  return out;
}

FilterHardener Make(FilterHardening spec, std::uint32_t bits, std::string_view key = kKeyA) {
  auto h = FilterHardener::Create(spec, bits, key);
  EXPECT_TRUE(h.ok()) << h.status();
  return *std::move(h);
}

std::vector<std::uint8_t> Xor(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) a[i] ^= b[i];
  return a;
}

TEST(FilterHardener, Rule90IsTheXorOfTheNeighbours) {
  std::mt19937_64 rng(1);
  const std::uint32_t n = 256;
  const auto in = RandomFilter(n, rng, 0.3);
  const auto out = Apply(Make({.rule90 = true}, n), in);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(Bit(out, i), Bit(in, (i + n - 1) % n) != Bit(in, (i + 1) % n)) << i;
  }
}

TEST(FilterHardener, DiffusionIsLinearKeyedAndUsesItsTaps) {
  std::mt19937_64 rng(2);
  const std::uint32_t n = 512;
  const FilterHardener h = Make({.diffusion_taps = 4}, n);
  const auto a = RandomFilter(n, rng, 0.3), b = RandomFilter(n, rng, 0.3);
  // Each output bit is an XOR of inputs: the map is linear over GF(2).
  EXPECT_EQ(Apply(h, Xor(a, b)), Xor(Apply(h, a), Apply(h, b)));
  // One input bit reaches about taps output bits (each output draws 4 of 512 inputs).
  std::vector<std::uint8_t> one((n + 7) / 8, 0);
  int reached = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    one.assign(one.size(), 0);
    one[i >> 3] = static_cast<std::uint8_t>(0x80u >> (i & 7));
    reached += Popcount(Apply(h, one));
  }
  EXPECT_EQ(reached, 4 * static_cast<int>(n));  // every output bit has exactly 4 distinct taps
  EXPECT_NE(Apply(h, a), Apply(Make({.diffusion_taps = 4}, n, kKeyB), a));
}

TEST(FilterHardener, BalancingSetsHalfTheBitsUnderAKeyedPermutation) {
  std::mt19937_64 rng(3);
  const std::uint32_t n = 256;
  const FilterHardener h = Make({.balance = true}, n);
  ASSERT_EQ(h.out_bits(), 2 * n);
  for (double fill : {0.0, 0.1, 0.5, 0.9}) {
    EXPECT_EQ(Popcount(Apply(h, RandomFilter(n, rng, fill))), static_cast<int>(n));
  }
  // Changing one input bit moves one set bit: two positions of the output differ.
  auto a = RandomFilter(n, rng, 0.3);
  auto b = a;
  b[5] ^= 0x10;
  EXPECT_EQ(Popcount(Xor(Apply(h, a), Apply(h, b))), 2);
  EXPECT_NE(Apply(h, a), Apply(Make({.balance = true}, n, kKeyB), a));
}

TEST(FilterHardener, BlipFlipsAboutItsShareOfBitsAndOnlyBySeed) {
  std::mt19937_64 rng(4);
  const std::uint32_t n = 1024;
  const FilterHardener h = Make({.blip = 0.05}, n);
  const auto in = RandomFilter(n, rng, 0.3);
  EXPECT_EQ(Apply(h, in, 7), Apply(h, in, 7));
  EXPECT_NE(Apply(h, in, 7), Apply(h, in, 8));
  int flipped = 0;
  const int seeds = 400;
  for (int s = 0; s < seeds; ++s) flipped += Popcount(Xor(Apply(h, in, s), in));
  const double share = static_cast<double>(flipped) / (seeds * n);
  EXPECT_NEAR(share, 0.05, 0.003);  // binomial sd over 409,600 bits: 0.00034
}

TEST(FilterHardener, NothingButBitsPastTheFilterAreTouched) {
  std::mt19937_64 rng(5);
  const FilterHardener h = Make({.rule90 = true, .blip = 0.1}, 100);  // 100 bits: 13 bytes
  const auto out = Apply(h, RandomFilter(100, rng, 0.5), 3);
  EXPECT_EQ(out.back() & 0x0F, 0);
}

// ---------------------------------------------------------------------------------------------
// Through the encoder.

constexpr const char* kFields = R"j(
  {"name": "given_name", "type": "name", "tokens": {"kind": "qgram", "q": 2},
   "bits": {"per_token": 20}, "field_filter": {"bits": 256, "per_token": 8}},
  {"name": "family_name", "type": "name", "tokens": {"kind": "qgram", "q": 2},
   "bits": {"per_token": 20}, "field_filter": {"bits": 256, "per_token": 8}},
  {"name": "date_of_birth", "type": "date", "tokens": {"kind": "positional_qgram", "q": 1},
   "bits": {"per_token": 10}, "field_filter": {"bits": 128, "per_token": 8}})j";

LinkageSchema Schema(const std::string& hardening) {
  std::string json =
      std::string(R"j({"bloomlink_schema": 1, "filter": {"bits": 512}, "fields": [)j") + kFields +
      "]";
  if (!hardening.empty()) json += R"j(, "hardening": )j" + hardening;
  json += "}";
  auto s = ParseSchema(json, "test");
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : LinkageSchema{};
}

struct People {
  std::vector<std::string> ids, values;
  void Add(std::string given, std::string family, std::string dob) {
    ids.push_back(absl::StrCat("r", ids.size()));
    values.push_back(std::move(given));
    values.push_back(std::move(family));
    values.push_back(std::move(dob));
  }
};

EncodedDataset EncodePeople(const LinkageSchema& schema, const People& people,
                            std::string_view secret = kKeyA, int threads = 1) {
  auto s = Secret::FromBytes(secret, "test");
  EXPECT_TRUE(s.ok());
  auto encoder = Encoder::Create(schema, *s, {.threads = threads, .token_cache = true});
  EXPECT_TRUE(encoder.ok()) << encoder.status();
  std::vector<std::string_view> ids(people.ids.begin(), people.ids.end());
  std::vector<std::string_view> values(people.values.begin(), people.values.end());
  auto data = EncodeRecords(ids, values, *encoder);
  EXPECT_TRUE(data.ok()) << data.status();
  return data.ok() ? *std::move(data) : EncodedDataset{};
}

People Crowd(std::size_t n) {
  const char* given[] = {"JOHN", "MARY", "AHMED", "OLUWASEUN", "ZOFIA", "SIOBHAN"};
  const char* family[] = {"SMITH", "KHAN", "O'BRIEN", "NOWAK", "OKAFOR"};
  People p;
  for (std::size_t i = 0; i < n; ++i) {
    p.Add(given[i % 6], family[i % 5], absl::StrCat(1930 + i % 80, "-0", 1 + i % 9, "-1", i % 10));
  }
  return p;
}

bool SameRows(const BitMatrix& a, std::size_t ra, const BitMatrix& b, std::size_t rb) {
  return std::equal(a.row_bytes(ra), a.row_bytes(ra) + (a.bits() + 7) / 8, b.row_bytes(rb));
}

bool SameMatrix(const BitMatrix& a, const BitMatrix& b) {
  if (a.rows() != b.rows() || a.bits() != b.bits()) return false;
  for (std::size_t r = 0; r < a.rows(); ++r) {
    if (!SameRows(a, r, b, r)) return false;
  }
  return true;
}

const char* const kEveryHardening[] = {
    R"j({"salt": [{"fields": ["given_name", "family_name"], "with": ["year(date_of_birth)"]}]})j",
    R"j({"clk": {"xor_folds": 1}, "field_filters": {"xor_folds": 1}})j",
    R"j({"clk": {"rule90": true}, "field_filters": {"rule90": true}})j",
    R"j({"clk": {"diffusion_taps": 3}, "field_filters": {"diffusion_taps": 3}})j",
    R"j({"clk": {"balance": true}, "field_filters": {"balance": true}})j",
    R"j({"clk": {"blip": 0.05}, "field_filters": {"blip": 0.05}})j",
};

TEST(Hardening, EachIsDeterministicForASecretAndDiffersUnderAnother) {
  const People people = Crowd(1500);  // above the encoder's parallel cutoff
  for (const char* h : kEveryHardening) {
    SCOPED_TRACE(h);
    const LinkageSchema schema = Schema(h);
    const EncodedDataset a = EncodePeople(schema, people, kKeyA, 1);
    const EncodedDataset again = EncodePeople(schema, people, kKeyA, 2);
    const EncodedDataset other = EncodePeople(schema, people, kKeyB, 1);
    EXPECT_TRUE(SameMatrix(a.clks, again.clks));
    ASSERT_EQ(a.field_filters.size(), 3u);
    for (std::size_t f = 0; f < 3; ++f) {
      EXPECT_TRUE(SameMatrix(a.field_filters[f].filters, again.field_filters[f].filters));
    }
    std::size_t same = 0;
    for (std::size_t r = 0; r < a.size(); ++r) same += SameRows(a.clks, r, other.clks, r);
    EXPECT_EQ(same, 0u);
    EXPECT_NE(a.schema_fingerprint, Schema("").fingerprint);
  }
}

TEST(Hardening, LengthsFollowFoldingAndBalancing) {
  const People people = Crowd(10);
  const EncodedDataset folded = EncodePeople(Schema(kEveryHardening[1]), people);
  EXPECT_EQ(folded.clks.bits(), 512u);
  EXPECT_EQ(folded.field_filters[0].filters.bits(), 256u);
  const EncodedDataset balanced = EncodePeople(Schema(kEveryHardening[4]), people);
  EXPECT_EQ(balanced.clks.bits(), 1024u);
  EXPECT_EQ(balanced.field_filters[2].filters.bits(), 256u);
  for (std::size_t r = 0; r < balanced.size(); ++r) {
    EXPECT_EQ(balanced.clks.popcount(r), 512u);
    EXPECT_EQ(balanced.field_filters[0].filters.popcount(r), 256u);
  }
}

TEST(Hardening, SaltingSeparatesEqualNamesBornInDifferentYears) {
  People people;
  people.Add("JOHN", "SMITH", "1950-01-01");
  people.Add("JOHN", "SMITH", "1950-12-31");  // the same year: the same name bits
  people.Add("JOHN", "SMITH", "1951-01-01");  // another year
  const EncodedDataset salted = EncodePeople(Schema(kEveryHardening[0]), people);
  const BitMatrix& given = salted.field_filters[0].filters;
  EXPECT_TRUE(SameRows(given, 0, given, 1));
  EXPECT_FALSE(SameRows(given, 0, given, 2));
  const EncodedDataset plain = EncodePeople(Schema(""), people);
  EXPECT_TRUE(SameRows(plain.field_filters[0].filters, 0, plain.field_filters[0].filters, 2));
}

TEST(Hardening, BlipIsSeededByTheRecordSoEqualValuesElsewhereDiffer) {
  // Records sharing a given name but nothing else: without BLIP their given-name filters are
  // equal (what a frequency attack counts); with it they differ, yet the same record encodes
  // the same way twice.
  People people;
  for (int i = 0; i < 200; ++i) people.Add("JOHN", absl::StrCat("SURNAME", i), "1970-01-01");
  const LinkageSchema schema = Schema(kEveryHardening[5]);
  const EncodedDataset a = EncodePeople(schema, people);
  const BitMatrix& given = a.field_filters[0].filters;
  std::size_t distinct_from_first = 0;
  double hamming = 0;
  for (std::size_t r = 1; r < a.size(); ++r) {
    distinct_from_first += !SameRows(given, 0, given, r);
    for (std::size_t w = 0; w < 4; ++w) {
      hamming += std::popcount(given.row_words(r - 1)[w] ^ given.row_words(r)[w]);
    }
  }
  EXPECT_EQ(distinct_from_first, a.size() - 1);
  // Two independent flips at 5% differ in 2 x 0.05 x 0.95 of 256 bits: about 24 bits.
  EXPECT_NEAR(hamming / static_cast<double>(a.size() - 1), 24.3, 3);
  People twice;
  twice.Add("JOHN", "SURNAME1", "1970-01-01");
  twice.Add("JOHN", "SURNAME1", "1970-01-01");
  const EncodedDataset t = EncodePeople(schema, twice);
  EXPECT_TRUE(SameRows(t.clks, 0, t.clks, 1));
  EXPECT_TRUE(SameRows(t.field_filters[0].filters, 0, t.field_filters[0].filters, 1));
}

TEST(Hardening, SchemaErrorsNameThePath) {
  const std::string base = absl::StrCat(R"j({"bloomlink_schema": 1, "fields": [)j", kFields, "], ");
  auto error = [&](const std::string& hardening) {
    auto s = ParseSchema(base + R"j("hardening": )j" + hardening + "}", "s.json");
    return s.status();
  };
  EXPECT_THAT(error(R"j({"clk": {"blip": 0.5}})j"),
              StatusIs(absl::StatusCode::kInvalidArgument, "hardening.clk.blip"));
  EXPECT_THAT(error(R"j({"clk": {"xor_folds": 9}})j"),
              StatusIs(absl::StatusCode::kInvalidArgument, "xor_folds"));
  EXPECT_THAT(error(R"j({"salt": [{"fields": ["given_name"], "with": ["given_name"]}]})j"),
              StatusIs(absl::StatusCode::kInvalidArgument, "own value"));
  EXPECT_THAT(error(R"j({"salt": [{"fields": ["nobody"], "with": ["year(date_of_birth)"]
}]
})j"),
              StatusIs(absl::StatusCode::kInvalidArgument, "nobody"));
  EXPECT_THAT(error(R"j({"salt": [{"fields": ["given_name"], "with": ["family_name"]},
                                {"fields": ["family_name"], "with": ["year(date_of_birth)"]
  }]
  })j"),
              StatusIs(absl::StatusCode::kInvalidArgument, "is both"));
  EXPECT_THAT(error(R"j({"pepper": {}})j"), StatusIs(absl::StatusCode::kInvalidArgument, "pepper"));
}

}  // namespace
}  // namespace bloomlink::encode
