// Fellegi–Sunter scoring: Compare against a bit-by-bit reference (empty filters, exact cut-point
// Dice values, any thread count), EM recovering a known model from simulated comparison vectors
// (fixed u, label switching, missing fields, floors), scores against hand computation, random
// pairs, EstimateU, labels and model files.
#include "bloomlink/score/fellegi_sunter.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bloomlink/match/kernels.hpp"
#include "score/fs_internal.hpp"
#include "test_support.hpp"

namespace bloomlink::score {
namespace {

using ::absl::StatusCode;
using ::testing::HasSubstr;
using testing::StatusIs;

// Name("f", 3) = "f3" (operator+ on strings trips a GCC 12 false -Wrestrict warning).
std::string Name(const char* prefix, std::size_t i) {
  std::string name = prefix;
  name += std::to_string(i);
  return name;
}

// ---------------------------------------------------------------------------------------------
// Compare.

// RandomFilters(rows, bits, density, empty_share, rng): random rows; about empty_share of them
// all zero (a missing value).
BitMatrix RandomFilters(std::size_t rows, std::size_t bits, double density, double empty_share,
                        std::mt19937_64& rng) {
  BitMatrix m(rows, bits);
  std::bernoulli_distribution bit(density), empty(empty_share);
  for (std::size_t r = 0; r < rows; ++r) {
    if (empty(rng)) continue;
    for (std::size_t i = 0; i < bits; ++i) {
      if (bit(rng)) m.SetBit(r, i);
    }
  }
  m.UpdatePopcounts();
  return m;
}

// NearCopy(src, from, flips, rng): row r a copy of row from[r] of `src` with up to `flips` bits
// flipped, so that high agreement levels occur.
BitMatrix NearCopy(const BitMatrix& src, const std::vector<std::size_t>& sources, std::size_t flips,
                   std::mt19937_64& rng) {
  BitMatrix m(sources.size(), src.bits());
  for (std::size_t r = 0; r < sources.size(); ++r) {
    const std::size_t from = sources[r];
    for (std::size_t i = 0; i < src.bits(); ++i) {
      if (src.GetBit(from, i)) m.SetBit(r, i);
    }
    const std::size_t n = rng() % (flips + 1);
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t bit = rng() % src.bits();
      m.row_bytes(r)[bit / 8] ^= static_cast<std::uint8_t>(0x80u >> (bit % 8));
    }
  }
  m.UpdatePopcounts();
  return m;
}

// ReferenceLevel: the header's rule, from bits read one at a time.
std::uint8_t ReferenceLevel(const BitMatrix& a, std::size_t i, const BitMatrix& b, std::size_t j,
                            const std::vector<double>& cuts) {
  std::uint64_t pa = 0, pb = 0, c = 0;
  for (std::size_t k = 0; k < a.bits(); ++k) {
    const bool x = a.GetBit(i, k), y = b.GetBit(j, k);
    pa += x;
    pb += y;
    c += x && y;
  }
  if (pa == 0 || pb == 0) return kMissingLevel;
  for (std::size_t l = 0; l < cuts.size(); ++l) {
    if (2.0 * static_cast<double>(c) >= cuts[l] * static_cast<double>(pa + pb)) {
      return static_cast<std::uint8_t>(l);
    }
  }
  return static_cast<std::uint8_t>(cuts.size());
}

struct CompareFixture {
  std::vector<BitMatrix> a, b;
  std::vector<FieldLevels> fields;
  match::CandidatePairs pairs;
  std::vector<const BitMatrix*> A() const {
    std::vector<const BitMatrix*> out;
    for (const BitMatrix& m : a) out.push_back(&m);
    return out;
  }
  std::vector<const BitMatrix*> B() const {
    std::vector<const BitMatrix*> out;
    for (const BitMatrix& m : b) out.push_back(&m);
    return out;
  }
};

// MakeFixture: fields of awkward widths (64 bits; 256; 320; 2,560, over 31 words) and cut-points,
// random and near-copy filters with empty rows on both sides; half the pairs are a record of B
// with the record of A it was copied from, half are random.
CompareFixture MakeFixture(std::size_t na, std::size_t nb, std::size_t npairs, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  CompareFixture fx;
  std::vector<std::size_t> sources(nb / 2);
  for (std::size_t& s : sources) s = rng() % na;
  const std::vector<std::size_t> widths = {64, 256, 320, 2560};
  const std::vector<std::vector<double>> cuts = {
      {0.9}, {0.95, 0.85, 0.7}, {0.99, 0.8, 0.6, 0.4, 0.2}, {1.0, 0.75}};
  for (std::size_t f = 0; f < widths.size(); ++f) {
    fx.a.push_back(RandomFilters(na, widths[f], 0.3, 0.1, rng));
    BitMatrix near = NearCopy(fx.a.back(), sources, widths[f] / 16, rng);
    BitMatrix other = RandomFilters(nb - nb / 2, widths[f], 0.3, 0.1, rng);
    BitMatrix b(nb, widths[f]);
    for (std::size_t r = 0; r < nb; ++r) {
      const BitMatrix& src = r < nb / 2 ? near : other;
      const std::size_t sr = r < nb / 2 ? r : r - nb / 2;
      std::memcpy(b.row_bytes(r), src.row_bytes(sr), src.words_per_row() * 8);
    }
    b.UpdatePopcounts();
    fx.b.push_back(std::move(b));
    fx.fields.push_back({.field = Name("f", f), .cutpoints = cuts[f]});
  }
  for (std::size_t p = 0; p < npairs; ++p) {
    if (p % 2 == 0) {
      const std::size_t r = rng() % sources.size();
      fx.pairs.push_back(static_cast<std::uint32_t>(sources[r]), static_cast<std::uint32_t>(r),
                         0.5f);
    } else {
      fx.pairs.push_back(static_cast<std::uint32_t>(rng() % na),
                         static_cast<std::uint32_t>(rng() % nb), 0.5f);
    }
  }
  return fx;
}

TEST(Compare, MatchesBitByBitReference) {
  CompareFixture fx = MakeFixture(300, 400, 6000, 1);
  auto cv = Compare(fx.A(), fx.B(), fx.pairs, fx.fields, 1);
  ASSERT_TRUE(cv.ok()) << cv.status();
  ASSERT_EQ(cv->size(), fx.pairs.size());
  ASSERT_EQ(cv->fields.size(), fx.fields.size());
  std::vector<std::size_t> seen(8, 0);
  std::size_t missing = 0;
  for (std::size_t p = 0; p < fx.pairs.size(); ++p) {
    for (std::size_t f = 0; f < fx.fields.size(); ++f) {
      const std::uint8_t want = ReferenceLevel(fx.a[f], fx.pairs.left[p], fx.b[f],
                                               fx.pairs.right[p], fx.fields[f].cutpoints);
      ASSERT_EQ(cv->level(p, f), want) << "pair " << p << " field " << f;
      if (want == kMissingLevel) {
        ++missing;
      } else {
        ++seen[want];
      }
    }
  }
  // The fixture exercises missing values and several levels.
  EXPECT_GT(missing, 100u);
  EXPECT_GT(seen[0], 100u);
  EXPECT_GT(seen[1], 100u);
  EXPECT_GT(seen[2], 100u);
}

TEST(Compare, SameResultForAnyThreadCount) {
  CompareFixture fx = MakeFixture(500, 500, 50000, 2);
  auto one = Compare(fx.A(), fx.B(), fx.pairs, fx.fields, 1);
  ASSERT_TRUE(one.ok()) << one.status();
  for (int threads : {2, 3, 0}) {
    auto many = Compare(fx.A(), fx.B(), fx.pairs, fx.fields, threads);
    ASSERT_TRUE(many.ok()) << many.status();
    EXPECT_EQ(many->levels, one->levels) << threads << " threads";
  }
}

// Filters with chosen popcounts and intersection: a = bits [0, na), b = bits [na - c, na - c + nb).
void SetRun(BitMatrix& m, std::size_t row, std::size_t from, std::size_t count) {
  for (std::size_t i = from; i < from + count; ++i) m.SetBit(row, i);
}

TEST(Compare, ExactCutPointDiceReachesTheLevel) {
  // Dice = 2c / (|a| + |b|): 6/8 = 0.75, 14/20 = 0.7, 8/8 = 1, 5/8 just below 0.75... per row.
  struct Case {
    std::size_t na, nb, c;
  };
  const std::vector<Case> cases = {{4, 4, 3},    {10, 10, 7}, {4, 4, 4}, {5, 3, 2},
                                   {40, 60, 35}, {1, 1, 0},   {0, 5, 0}, {5, 0, 0}};
  BitMatrix a(cases.size(), 256), b(cases.size(), 256);
  match::CandidatePairs pairs;
  for (std::size_t r = 0; r < cases.size(); ++r) {
    SetRun(a, r, 0, cases[r].na);
    SetRun(b, r, cases[r].na - cases[r].c, cases[r].nb);
    pairs.push_back(static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(r), 0.f);
  }
  a.UpdatePopcounts();
  b.UpdatePopcounts();
  const std::vector<FieldLevels> fields = {{.field = "x", .cutpoints = {1.0, 0.75, 0.7}}};
  auto cv = Compare({&a}, {&b}, pairs, fields, 1);
  ASSERT_TRUE(cv.ok()) << cv.status();
  EXPECT_EQ(cv->level(0, 0), 1);  // 6/8 = 0.75 >= 0.75 (inclusive)
  // 14/20: 0.7 * 20 rounds to 14 in double, so the rule says it reaches 0.7.
  EXPECT_EQ(cv->level(1, 0), ReferenceLevel(a, 1, b, 1, fields[0].cutpoints));
  EXPECT_EQ(cv->level(1, 0), 2);
  EXPECT_EQ(cv->level(2, 0), 0);  // identical: Dice 1
  EXPECT_EQ(cv->level(3, 0), 3);  // 4/8 = 0.5
  EXPECT_EQ(cv->level(4, 0), 2);  // 70/100 = 0.7
  EXPECT_EQ(cv->level(5, 0), 3);  // disjoint
  EXPECT_EQ(cv->level(6, 0), kMissingLevel);
  EXPECT_EQ(cv->level(7, 0), kMissingLevel);
}

TEST(Compare, IndicesAreCheckedAgainstEveryField) {
  // Field y of A has fewer rows than field x: index 2 is valid for x only.
  BitMatrix ax(3, 64), ay(2, 64), bx(1, 64), by(1, 64);
  for (BitMatrix* m : {&ax, &ay, &bx, &by}) m->UpdatePopcounts();
  match::CandidatePairs pairs;
  pairs.push_back(1, 0, 0.f);
  const std::vector<FieldLevels> fields = {{.field = "x"}, {.field = "y"}};
  EXPECT_TRUE(Compare({&ax, &ay}, {&bx, &by}, pairs, fields).ok());
  pairs.push_back(2, 0, 0.f);
  EXPECT_THAT(Compare({&ax, &ay}, {&bx, &by}, pairs, fields),
              StatusIs(StatusCode::kInvalidArgument, "left index 2 is out of range"));
}

TEST(Compare, NoPairsGivesEmptyVectors) {
  BitMatrix a(3, 128), b(2, 128);
  a.UpdatePopcounts();
  b.UpdatePopcounts();
  const std::vector<FieldLevels> fields = {{.field = "x"}};
  auto cv = Compare({&a}, {&b}, {}, fields);
  ASSERT_TRUE(cv.ok()) << cv.status();
  EXPECT_EQ(cv->size(), 0u);
  EXPECT_EQ(cv->fields.size(), 1u);
}

TEST(Compare, RefusesBadInput) {
  BitMatrix a(3, 128), b(2, 128), wide(2, 192);
  a.UpdatePopcounts();
  b.UpdatePopcounts();
  wide.UpdatePopcounts();
  match::CandidatePairs ok_pairs;
  ok_pairs.push_back(2, 1, 0.f);
  const std::vector<FieldLevels> one = {{.field = "x"}};
  const std::vector<FieldLevels> two = {{.field = "x"}, {.field = "y"}};
  EXPECT_THAT(Compare({&a}, {&b}, ok_pairs, two), StatusIs(StatusCode::kInvalidArgument, "fields"));
  EXPECT_THAT(Compare({&a, &a}, {&b}, ok_pairs, two),
              StatusIs(StatusCode::kInvalidArgument, "field filter matrices"));
  EXPECT_THAT(Compare({}, {}, ok_pairs, {}), StatusIs(StatusCode::kInvalidArgument, "no fields"));
  EXPECT_THAT(Compare({&a}, {&wide}, ok_pairs, one),
              StatusIs(StatusCode::kInvalidArgument, "128-bit filters in A but 192-bit"));
  EXPECT_THAT(Compare({nullptr}, {&b}, ok_pairs, one),
              StatusIs(StatusCode::kInvalidArgument, "null"));
  match::CandidatePairs bad_left = ok_pairs;
  bad_left.push_back(3, 0, 0.f);
  EXPECT_THAT(Compare({&a}, {&b}, bad_left, one),
              StatusIs(StatusCode::kInvalidArgument, "pair 1: left index 3 is out of range"));
  match::CandidatePairs bad_right = ok_pairs;
  bad_right.push_back(0, 2, 0.f);
  EXPECT_THAT(Compare({&a}, {&b}, bad_right, one),
              StatusIs(StatusCode::kInvalidArgument, "right index 2 is out of range"));
  match::CandidatePairs ragged = ok_pairs;
  ragged.right.push_back(0);
  EXPECT_THAT(Compare({&a}, {&b}, ragged, one), StatusIs(StatusCode::kInvalidArgument, "right"));
  for (const std::vector<double>& cuts :
       std::vector<std::vector<double>>{{0.7, 0.85}, {0.9, 0.9}, {1.1}, {0.0}, {}, {NAN}}) {
    const std::vector<FieldLevels> bad = {{.field = "x", .cutpoints = cuts}};
    EXPECT_THAT(Compare({&a}, {&b}, ok_pairs, bad),
                StatusIs(StatusCode::kInvalidArgument, "field \"x\""));
  }
  std::vector<double> many(254);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = 1.0 - static_cast<double>(i) / 300.0;
  EXPECT_THAT(Compare({&a}, {&b}, ok_pairs, {{.field = "x", .cutpoints = many}}),
              StatusIs(StatusCode::kInvalidArgument, "expected 1 to 253 cut-points"));
  many.pop_back();  // 253 cut-points, 254 levels: the most allowed
  EXPECT_TRUE(Compare({&a}, {&b}, ok_pairs, {{.field = "x", .cutpoints = many}}).ok());
}

// ---------------------------------------------------------------------------------------------
// ComparePatterns: the same levels as Compare, as patterns.

// FixtureOf(widths, cuts, ...): like MakeFixture, with the given fields (a field f of widths[f]
// bits and cut-points cuts[f % cuts.size()]).
CompareFixture FixtureOf(const std::vector<std::size_t>& widths,
                         const std::vector<std::vector<double>>& cuts, std::size_t na,
                         std::size_t nb, std::size_t npairs, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  CompareFixture fx;
  std::vector<std::size_t> sources(nb / 2);
  for (std::size_t& s : sources) s = rng() % na;
  for (std::size_t f = 0; f < widths.size(); ++f) {
    fx.a.push_back(RandomFilters(na, widths[f], 0.3, 0.1, rng));
    BitMatrix near = NearCopy(fx.a.back(), sources, widths[f] / 16, rng);
    BitMatrix other = RandomFilters(nb - nb / 2, widths[f], 0.3, 0.1, rng);
    BitMatrix b(nb, widths[f]);
    for (std::size_t r = 0; r < nb; ++r) {
      const BitMatrix& src = r < nb / 2 ? near : other;
      const std::size_t sr = r < nb / 2 ? r : r - nb / 2;
      std::memcpy(b.row_bytes(r), src.row_bytes(sr), src.words_per_row() * 8);
    }
    b.UpdatePopcounts();
    fx.b.push_back(std::move(b));
    fx.fields.push_back({.field = Name("f", f), .cutpoints = cuts[f % cuts.size()]});
  }
  for (std::size_t p = 0; p < npairs; ++p) {
    if (p % 2 == 0) {
      const std::size_t r = rng() % sources.size();
      fx.pairs.push_back(static_cast<std::uint32_t>(sources[r]), static_cast<std::uint32_t>(r),
                         0.5f);
    } else {
      fx.pairs.push_back(static_cast<std::uint32_t>(rng() % na),
                         static_cast<std::uint32_t>(rng() % nb), 0.5f);
    }
  }
  return fx;
}

// ExpectSameAsCompare(fx, pp): pair p's pattern row is Compare's row p; the patterns are distinct
// and each count is the number of pairs with that pattern.
void ExpectSameAsCompare(const CompareFixture& fx, const PairPatterns& pp) {
  auto cv = Compare(fx.A(), fx.B(), fx.pairs, fx.fields, 1);
  ASSERT_TRUE(cv.ok()) << cv.status();
  const std::size_t nf = fx.fields.size();
  ASSERT_EQ(pp.pattern.size(), fx.pairs.size());
  ASSERT_EQ(pp.counts.patterns.fields.size(), nf);
  ASSERT_EQ(pp.counts.patterns.size(), pp.counts.size());
  std::vector<std::uint64_t> seen(pp.counts.size(), 0);
  for (std::size_t p = 0; p < fx.pairs.size(); ++p) {
    const std::uint32_t k = pp.pattern[p];
    ASSERT_LT(k, pp.counts.size());
    ++seen[k];
    for (std::size_t f = 0; f < nf; ++f) {
      ASSERT_EQ(pp.counts.patterns.level(k, f), cv->level(p, f)) << "pair " << p << " field " << f;
    }
  }
  EXPECT_EQ(seen, pp.counts.counts);
  // (std::string keys: GCC 12 warns falsely on comparing vectors of bytes.)
  std::set<std::string> distinct;
  const auto* levels = reinterpret_cast<const char*>(pp.counts.patterns.levels.data());
  for (std::size_t k = 0; k < pp.counts.size(); ++k) distinct.emplace(levels + k * nf, nf);
  EXPECT_EQ(distinct.size(), pp.counts.size());
}

TEST(ComparePatterns, SameLevelsAsCompare) {
  struct Case {
    const char* what;
    std::vector<std::size_t> widths;
    std::vector<std::vector<double>> cuts;
  };
  const std::vector<Case> cases = {
      {"narrow fields, 32-bit keys", {64, 256, 320, 128}, {{0.9}, {0.95, 0.85, 0.7}, {1.0, 0.75}}},
      {"eight cut-points and more (the general table)",
       {256, 192},
       {{0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25},
        {0.99, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1}}},
      {"64-bit keys", std::vector<std::size_t>(12, 64), {{0.95, 0.85, 0.7}}},
      {"keys over 64 bits (Compare's vectors)",
       std::vector<std::size_t>(20, 64),
       {{0.95, 0.85, 0.75, 0.65}}},
      {"a field over 31 words", {64, 2560}, {{0.9, 0.5}}},
      {"exactly 31 words", {1984, 64}, {{0.9, 0.5}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const CompareFixture fx = FixtureOf(c.widths, c.cuts, 300, 400, 6000, 3);
    auto pp = ComparePatterns(fx.A(), fx.B(), fx.pairs, fx.fields, 1);
    ASSERT_TRUE(pp.ok()) << pp.status();
    ExpectSameAsCompare(fx, *pp);
    EXPECT_GT(pp->counts.size(), 5u);
  }
}

TEST(ComparePatterns, ExactCutPointDiceReachesTheLevel) {
  const CompareFixture fx = MakeFixture(50, 60, 500, 4);  // includes a 2,560-bit field
  CompareFixture narrow = fx;
  narrow.a.pop_back();
  narrow.b.pop_back();
  narrow.fields.pop_back();
  for (const CompareFixture* f : {&fx, static_cast<const CompareFixture*>(&narrow)}) {
    auto pp = ComparePatterns(f->A(), f->B(), f->pairs, f->fields, 1);
    ASSERT_TRUE(pp.ok()) << pp.status();
    ExpectSameAsCompare(*f, *pp);
  }
  // Intersections exactly at a cut-point, as in Compare's test.
  const std::vector<std::array<std::size_t, 3>> cases = {
      {4, 4, 3}, {10, 10, 7}, {4, 4, 4}, {5, 3, 2}, {40, 60, 35}, {1, 1, 0}, {0, 5, 0}, {5, 0, 0}};
  BitMatrix a(cases.size(), 256), b(cases.size(), 256);
  CompareFixture exact;
  for (std::size_t r = 0; r < cases.size(); ++r) {
    SetRun(a, r, 0, cases[r][0]);
    SetRun(b, r, cases[r][0] - cases[r][2], cases[r][1]);
    exact.pairs.push_back(static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(r), 0.f);
  }
  a.UpdatePopcounts();
  b.UpdatePopcounts();
  exact.a.push_back(std::move(a));
  exact.b.push_back(std::move(b));
  exact.fields = {{.field = "x", .cutpoints = {1.0, 0.75, 0.7}}};
  auto pp = ComparePatterns(exact.A(), exact.B(), exact.pairs, exact.fields, 1);
  ASSERT_TRUE(pp.ok()) << pp.status();
  ExpectSameAsCompare(exact, *pp);
}

TEST(ComparePatterns, SameResultWithEveryKernel) {
  // Each field_level_keys kernel this CPU runs (BLOOMLINK_KERNEL's choices): the synth schema's
  // field widths, 8 x 256 bits (the AVX-512 kernel's 32-word rows) and rows past 32 words.
  const std::vector<std::vector<std::size_t>> layouts = {
      {128, 256, 256, 128, 64, 256}, std::vector<std::size_t>(8, 256), {64, 2560, 192}};
  for (const auto& widths : layouts) {
    SCOPED_TRACE(::testing::Message() << widths.size() << " fields");
    const CompareFixture fx = FixtureOf(
        widths, {{0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35}, {0.9, 0.7}}, 300, 400, 9000, 8);
    const auto kernels = match::SupportedKernels();
    ASSERT_FALSE(kernels.empty());
    auto reference = score_internal::ComparePatternsWith(*kernels.front(), fx.A(), fx.B(), fx.pairs,
                                                         fx.fields, 2);
    ASSERT_TRUE(reference.ok()) << reference.status();
    ExpectSameAsCompare(fx, *reference);
    for (const match::KernelTable* kernel : kernels) {
      SCOPED_TRACE(kernel->name);
      auto pp =
          score_internal::ComparePatternsWith(*kernel, fx.A(), fx.B(), fx.pairs, fx.fields, 2);
      ASSERT_TRUE(pp.ok()) << pp.status();
      EXPECT_EQ(pp->pattern, reference->pattern);
      EXPECT_EQ(pp->counts.counts, reference->counts.counts);
      EXPECT_EQ(pp->counts.patterns.levels, reference->counts.patterns.levels);
    }
  }
}

TEST(ComparePatterns, SameResultForAnyThreadCount) {
  const CompareFixture fx =
      FixtureOf({128, 256, 64}, {{0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35}}, 500, 500, 50000, 5);
  auto one = ComparePatterns(fx.A(), fx.B(), fx.pairs, fx.fields, 1);
  ASSERT_TRUE(one.ok()) << one.status();
  for (int threads : {2, 3, 0}) {
    auto many = ComparePatterns(fx.A(), fx.B(), fx.pairs, fx.fields, threads);
    ASSERT_TRUE(many.ok()) << many.status();
    EXPECT_EQ(many->pattern, one->pattern) << threads << " threads";
    EXPECT_EQ(many->counts.counts, one->counts.counts) << threads << " threads";
    EXPECT_EQ(many->counts.patterns.levels, one->counts.patterns.levels) << threads << " threads";
  }
}

TEST(ComparePatterns, OneDatasetWithItselfAndNoPairs) {
  CompareFixture fx = FixtureOf({128, 256}, {{0.9, 0.7}}, 400, 400, 8000, 6);
  fx.b.clear();
  auto a = fx.A();
  // The same matrices on both sides (a deduplication): one copy of the filters.
  for (std::size_t p = 0; p < fx.pairs.size(); ++p) fx.pairs.right[p] %= 400;
  auto pp = ComparePatterns(a, a, fx.pairs, fx.fields, 2);
  ASSERT_TRUE(pp.ok()) << pp.status();
  auto cv = Compare(a, a, fx.pairs, fx.fields, 1);
  ASSERT_TRUE(cv.ok()) << cv.status();
  for (std::size_t p = 0; p < fx.pairs.size(); ++p) {
    for (std::size_t f = 0; f < fx.fields.size(); ++f) {
      ASSERT_EQ(pp->counts.patterns.level(pp->pattern[p], f), cv->level(p, f));
    }
  }
  auto none = ComparePatterns(a, a, {}, fx.fields);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->pattern.size(), 0u);
  EXPECT_EQ(none->counts.size(), 0u);
  EXPECT_EQ(none->counts.patterns.fields.size(), fx.fields.size());
}

TEST(ComparePatterns, RefusesWhatCompareRefuses) {
  BitMatrix a(3, 128), b(2, 128), wide(2, 192);
  a.UpdatePopcounts();
  b.UpdatePopcounts();
  wide.UpdatePopcounts();
  match::CandidatePairs pairs;
  pairs.push_back(0, 5, 0.f);
  const std::vector<FieldLevels> fields = {{.field = "x"}};
  EXPECT_THAT(ComparePatterns({&a}, {&b}, pairs, fields),
              StatusIs(StatusCode::kInvalidArgument, "right index 5 is out of range"));
  EXPECT_THAT(ComparePatterns({&a}, {&wide}, {}, fields),
              StatusIs(StatusCode::kInvalidArgument, "192-bit filters in B"));
  EXPECT_THAT(ComparePatterns({&a}, {&b}, {}, {{.field = "x", .cutpoints = {0.5, 0.7}}}),
              StatusIs(StatusCode::kInvalidArgument, "strictly decreasing"));
  EXPECT_THAT(ComparePatterns({}, {}, {}, {}), StatusIs(StatusCode::kInvalidArgument, "no fields"));
}

// ---------------------------------------------------------------------------------------------
// EM on simulated comparison vectors.

struct TrueModel {
  std::vector<std::vector<double>> m, u;
  std::vector<double> missing;  // per field, the chance a value is missing
  double lambda = 0.1;
};

std::vector<FieldLevels> FieldsFor(const TrueModel& t) {
  std::vector<FieldLevels> fields;
  for (std::size_t f = 0; f < t.m.size(); ++f) {
    FieldLevels field{.field = Name("field", f), .cutpoints = {}};
    for (std::size_t l = 0; l + 1 < t.m[f].size(); ++l) {
      field.cutpoints.push_back(0.95 - 0.1 * static_cast<double>(l));
    }
    fields.push_back(field);
  }
  return fields;
}

// Simulate(t, n, seed): n pairs drawn from the model: match with probability lambda, then each
// field's level from m or u, or missing.
ComparisonVectors Simulate(const TrueModel& t, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  ComparisonVectors cv;
  cv.fields = FieldsFor(t);
  const std::size_t nf = t.m.size();
  std::vector<std::discrete_distribution<int>> dm, du;
  for (std::size_t f = 0; f < nf; ++f) {
    dm.emplace_back(t.m[f].begin(), t.m[f].end());
    du.emplace_back(t.u[f].begin(), t.u[f].end());
  }
  std::bernoulli_distribution is_match(t.lambda);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  cv.levels.resize(n * nf);
  for (std::size_t p = 0; p < n; ++p) {
    const bool match = is_match(rng);
    for (std::size_t f = 0; f < nf; ++f) {
      const int level = match ? dm[f](rng) : du[f](rng);
      cv.levels[p * nf + f] =
          unit(rng) < t.missing[f] ? kMissingLevel : static_cast<std::uint8_t>(level);
    }
  }
  return cv;
}

TrueModel MakeTrueModel(std::size_t fields, double lambda) {
  TrueModel t;
  t.lambda = lambda;
  const std::vector<std::vector<double>> m = {{0.86, 0.07, 0.04, 0.03},
                                              {0.78, 0.12, 0.06, 0.04},
                                              {0.92, 0.04, 0.02, 0.02},
                                              {0.70, 0.15, 0.10, 0.05},
                                              {0.83, 0.09, 0.05, 0.03}};
  const std::vector<std::vector<double>> u = {{0.05, 0.10, 0.25, 0.60},
                                              {0.10, 0.15, 0.25, 0.50},
                                              {0.02, 0.05, 0.13, 0.80},
                                              {0.20, 0.20, 0.30, 0.30},
                                              {0.08, 0.12, 0.30, 0.50}};
  const std::vector<double> missing = {0.0, 0.05, 0.10, 0.02, 0.15};
  for (std::size_t f = 0; f < fields; ++f) {
    t.m.push_back(m[f]);
    t.u.push_back(u[f]);
    t.missing.push_back(missing[f]);
  }
  return t;
}

void ExpectNearModel(const FsModel& got, const TrueModel& want, double tolerance) {
  EXPECT_NEAR(got.lambda, want.lambda, tolerance);
  ASSERT_EQ(got.fields.size(), want.m.size());
  for (std::size_t f = 0; f < want.m.size(); ++f) {
    ASSERT_EQ(got.fields[f].m.size(), want.m[f].size());
    for (std::size_t l = 0; l < want.m[f].size(); ++l) {
      EXPECT_NEAR(got.fields[f].m[l], want.m[f][l], tolerance)
          << "m, field " << f << " level " << l;
      EXPECT_NEAR(got.fields[f].u[l], want.u[f][l], tolerance)
          << "u, field " << f << " level " << l;
    }
  }
}

std::size_t DistinctPatterns(const ComparisonVectors& cv) {
  std::set<std::string> patterns;
  const std::size_t nf = cv.fields.size();
  for (std::size_t p = 0; p < cv.size(); ++p) {
    patterns.emplace(reinterpret_cast<const char*>(cv.levels.data() + p * nf), nf);
  }
  return patterns.size();
}

struct RecoveryCase {
  std::size_t fields;
  double lambda;
  std::uint64_t seed;
};

class EmRecovery : public ::testing::TestWithParam<RecoveryCase> {};

TEST_P(EmRecovery, RecoversTheSimulatingModel) {
  const RecoveryCase c = GetParam();
  const TrueModel truth = MakeTrueModel(c.fields, c.lambda);
  const ComparisonVectors cv = Simulate(truth, 200000, c.seed);
  auto model = EstimateModel(cv, InitialModel(cv.fields));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE(model->converged);
  EXPECT_GT(model->iterations, 1);
  EXPECT_LT(model->iterations, 500);
  EXPECT_EQ(model->training_pairs, 200000u);
  EXPECT_EQ(model->distinct_patterns, DistinctPatterns(cv));
  EXPECT_EQ(model->u_method, UMethod::kEm);
  ExpectNearModel(*model, truth, 0.02);
  for (const FsModel::Field& field : model->fields) {
    EXPECT_NEAR(std::accumulate(field.m.begin(), field.m.end(), 0.0), 1.0, 1e-12);
    EXPECT_NEAR(std::accumulate(field.u.begin(), field.u.end(), 0.0), 1.0, 1e-12);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, EmRecovery,
                         ::testing::Values(RecoveryCase{3, 0.05, 11}, RecoveryCase{4, 0.1, 12},
                                           RecoveryCase{5, 0.3, 13}, RecoveryCase{5, 0.05, 14}),
                         [](const ::testing::TestParamInfo<RecoveryCase>& param_info) {
                           return "fields" + std::to_string(param_info.param.fields) + "_seed" +
                                  std::to_string(param_info.param.seed);
                         });

TEST(EstimateModel, IsDeterministicAndIgnoresPairOrder) {
  const TrueModel truth = MakeTrueModel(4, 0.1);
  const ComparisonVectors cv = Simulate(truth, 50000, 21);
  // The same pairs in reverse order.
  ComparisonVectors reversed = cv;
  const std::size_t nf = cv.fields.size();
  for (std::size_t p = 0; p < cv.size(); ++p) {
    std::copy_n(cv.levels.begin() + static_cast<std::ptrdiff_t>(p * nf), nf,
                reversed.levels.begin() + static_cast<std::ptrdiff_t>((cv.size() - 1 - p) * nf));
  }
  auto a = EstimateModel(cv, InitialModel(cv.fields));
  auto b = EstimateModel(reversed, InitialModel(cv.fields));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->lambda, b->lambda);
  EXPECT_EQ(a->iterations, b->iterations);
  for (std::size_t f = 0; f < nf; ++f) {
    EXPECT_EQ(a->fields[f].m, b->fields[f].m);
    EXPECT_EQ(a->fields[f].u, b->fields[f].u);
  }
}

// CountRows(cv): cv's distinct rows and their counts, in reverse order of first appearance (any
// order must do).
PatternCounts CountRows(const ComparisonVectors& cv) {
  const std::size_t nf = cv.fields.size();
  // (std::string keys: GCC 12 warns falsely on comparing vectors of bytes.)
  std::map<std::string, std::uint64_t> counts;
  const auto* levels = reinterpret_cast<const char*>(cv.levels.data());
  for (std::size_t p = 0; p < cv.size(); ++p) ++counts[std::string(levels + p * nf, nf)];
  PatternCounts out;
  out.patterns.fields = cv.fields;
  for (auto it = counts.rbegin(); it != counts.rend(); ++it) {
    out.patterns.levels.insert(out.patterns.levels.end(), it->first.begin(), it->first.end());
    out.counts.push_back(it->second);
  }
  return out;
}

void ExpectIdenticalModels(const FsModel& a, const FsModel& b) {
  EXPECT_EQ(a.lambda, b.lambda);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.converged, b.converged);
  EXPECT_EQ(a.training_pairs, b.training_pairs);
  EXPECT_EQ(a.space_pairs, b.space_pairs);
  EXPECT_EQ(a.distinct_patterns, b.distinct_patterns);
  ASSERT_EQ(a.fields.size(), b.fields.size());
  for (std::size_t f = 0; f < a.fields.size(); ++f) {
    EXPECT_EQ(a.fields[f].m, b.fields[f].m);
    EXPECT_EQ(a.fields[f].u, b.fields[f].u);
  }
}

TEST(EstimateModel, FromCountsIsTheModelOfTheVectors) {
  const TrueModel truth = MakeTrueModel(4, 0.1);
  const ComparisonVectors cv = Simulate(truth, 50000, 22);
  const PatternCounts counts = CountRows(cv);
  ASSERT_LT(counts.size(), cv.size());
  EmOptions options{.m_pseudo_count = 1, .u_pseudo_count = 1};
  auto from_vectors = EstimateModel(cv, InitialModel(cv.fields), options);
  auto from_counts = EstimateModel(counts, InitialModel(cv.fields), options);
  ASSERT_TRUE(from_vectors.ok() && from_counts.ok());
  ExpectIdenticalModels(*from_vectors, *from_counts);
  // With background pairs standing for the rest of the space.
  BackgroundPairs background{.vectors = Simulate(MakeTrueModel(4, 0.001), 5000, 23),
                             .weight = 1234.5};
  background.vectors.fields = cv.fields;
  from_vectors = EstimateModel(cv, InitialModel(cv.fields), options, &background);
  from_counts = EstimateModel(counts, InitialModel(cv.fields), options, &background);
  ASSERT_TRUE(from_vectors.ok() && from_counts.ok());
  ExpectIdenticalModels(*from_vectors, *from_counts);
  // Counts that do not fit their patterns, or no pairs at all.
  PatternCounts bad = counts;
  bad.counts.pop_back();
  EXPECT_THAT(EstimateModel(bad, InitialModel(cv.fields)),
              StatusIs(StatusCode::kInvalidArgument, "counts"));
  PatternCounts zero = counts;
  std::fill(zero.counts.begin(), zero.counts.end(), 0);
  EXPECT_THAT(EstimateModel(zero, InitialModel(cv.fields)),
              StatusIs(StatusCode::kInvalidArgument, "no pairs"));
}

TEST(EstimateModel, FixedUIsKept) {
  const TrueModel truth = MakeTrueModel(4, 0.15);
  const ComparisonVectors cv = Simulate(truth, 200000, 31);
  FsModel start = InitialModel(cv.fields);
  for (std::size_t f = 0; f < truth.u.size(); ++f) start.fields[f].u = truth.u[f];
  auto model = EstimateModel(cv, start, {.estimate_u = false});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE(model->converged);
  EXPECT_EQ(model->u_method, UMethod::kFixed);
  for (std::size_t f = 0; f < truth.u.size(); ++f) EXPECT_EQ(model->fields[f].u, truth.u[f]);
  ExpectNearModel(*model, truth, 0.02);

  // A u from a sample keeps its name.
  start.u_method = UMethod::kSample;
  auto sampled = EstimateModel(cv, start, {.estimate_u = false});
  ASSERT_TRUE(sampled.ok());
  EXPECT_EQ(sampled->u_method, UMethod::kSample);
}

TEST(EstimateModel, FixedMAndLambdaAreKept) {
  const TrueModel truth = MakeTrueModel(3, 0.2);
  const ComparisonVectors cv = Simulate(truth, 100000, 32);
  FsModel start = InitialModel(cv.fields);
  start.lambda = 0.2;
  for (std::size_t f = 0; f < truth.m.size(); ++f) start.fields[f].m = truth.m[f];
  auto model = EstimateModel(cv, start, {.estimate_m = false, .estimate_lambda = false});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->lambda, 0.2);
  for (std::size_t f = 0; f < truth.m.size(); ++f) EXPECT_EQ(model->fields[f].m, truth.m[f]);
  ExpectNearModel(*model, truth, 0.02);
}

TEST(EstimateModel, LabelSwitchingMakesMatchesTheHighAgreementClass) {
  const TrueModel truth = MakeTrueModel(4, 0.1);
  const ComparisonVectors cv = Simulate(truth, 200000, 41);
  // Start in the other labelling: "matches" look like the true non-matches and are 90%.
  FsModel start = InitialModel(cv.fields);
  for (std::size_t f = 0; f < truth.m.size(); ++f) {
    start.fields[f].m = truth.u[f];
    start.fields[f].u = truth.m[f];
  }
  start.lambda = 0.9;
  // With lambda held at 0.9 nothing may be swapped: EM stays in the swapped labelling, which
  // shows that this start leads EM there.
  auto held = EstimateModel(cv, start, {.estimate_lambda = false});
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_NEAR(held->fields[0].m[0], truth.u[0][0], 0.02);
  EXPECT_NEAR(held->fields[0].u[0], truth.m[0][0], 0.02);
  // With everything estimated the classes are swapped back.
  auto model = EstimateModel(cv, start);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE(model->converged);
  ExpectNearModel(*model, truth, 0.02);
}

TEST(EstimateModel, AlwaysMissingFieldKeepsItsStartValues) {
  TrueModel truth = MakeTrueModel(4, 0.1);
  truth.missing[2] = 1.0;
  const ComparisonVectors cv = Simulate(truth, 200000, 51);
  const FsModel start = InitialModel(cv.fields);
  auto model = EstimateModel(cv, start);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_TRUE(model->converged);
  EXPECT_EQ(model->fields[2].m, start.fields[2].m);
  EXPECT_EQ(model->fields[2].u, start.fields[2].u);
  for (std::size_t f : {0u, 1u, 3u}) {
    for (std::size_t l = 0; l < 4; ++l) {
      EXPECT_NEAR(model->fields[f].m[l], truth.m[f][l], 0.02);
      EXPECT_NEAR(model->fields[f].u[l], truth.u[f][l], 0.02);
    }
  }
  EXPECT_NEAR(model->lambda, truth.lambda, 0.02);
}

TEST(EstimateModel, ProbabilitiesStayWithinTheFloor) {
  // Level 3 never occurs among matches, level 0 never among non-matches.
  TrueModel truth = MakeTrueModel(3, 0.2);
  for (std::size_t f = 0; f < 3; ++f) {
    truth.m[f] = {0.8, 0.15, 0.05, 0.0};
    truth.u[f] = {0.0, 0.1, 0.3, 0.6};
  }
  const ComparisonVectors cv = Simulate(truth, 50000, 61);
  const double floor = 1e-4;
  auto model = EstimateModel(cv, InitialModel(cv.fields), {.probability_floor = floor});
  ASSERT_TRUE(model.ok()) << model.status();
  for (const FsModel::Field& field : model->fields) {
    for (const auto* values : {&field.m, &field.u}) {
      EXPECT_NEAR(std::accumulate(values->begin(), values->end(), 0.0), 1.0, 1e-12);
      for (double x : *values) {
        EXPECT_GE(x, floor * (1 - 1e-12));
        EXPECT_LE(x, 1 - floor);
      }
    }
    EXPECT_NEAR(field.m[3], floor, 1e-12);
    EXPECT_NEAR(field.u[0], floor, 1e-12);
  }
  EXPECT_TRUE(ValidateModel(*model).ok());
}

TEST(EstimateModel, ManyFieldsUseByteKeyedPatterns) {
  // 30 fields of 4 levels (3 bits each) do not fit a 64-bit key.
  TrueModel truth;
  truth.lambda = 0.2;
  const TrueModel five = MakeTrueModel(5, 0.2);
  for (std::size_t f = 0; f < 30; ++f) {
    truth.m.push_back(five.m[f % 5]);
    truth.u.push_back(five.u[f % 5]);
    truth.missing.push_back(five.missing[f % 5]);
  }
  const ComparisonVectors cv = Simulate(truth, 20000, 71);
  auto model = EstimateModel(cv, InitialModel(cv.fields));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->distinct_patterns, DistinctPatterns(cv));
  EXPECT_TRUE(model->converged);
  EXPECT_NEAR(model->lambda, 0.2, 0.02);
  EXPECT_NEAR(model->fields[0].m[0], truth.m[0][0], 0.03);
  EXPECT_NEAR(model->fields[0].u[0], truth.u[0][0], 0.03);
}

TEST(EstimateModel, ManyPatternsAreCountedBySortingWithTheSameResult) {
  // Over 2^18 distinct patterns: counted by radix sort instead of a hash map. The patterns, the
  // model and its weights must be what counting them any other way gives: the same as for the
  // pairs in reverse order, the same for any thread count, and the number of patterns that of a
  // set of the rows.
  ComparisonVectors cv;
  for (int f = 0; f < 8; ++f) {
    cv.fields.push_back({.field = "f" + std::to_string(f),
                         .cutpoints = {0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35}});
  }
  std::mt19937_64 rng(2718);
  const std::size_t n = 300000, nf = cv.fields.size();
  cv.levels.resize(n * nf);
  for (std::size_t p = 0; p < n; ++p) {
    const bool match = p % 10 == 0;
    for (std::size_t f = 0; f < nf; ++f) {
      const std::uint64_t r = rng();
      const std::uint8_t level =
          static_cast<std::uint8_t>(match ? (r % 3 == 0 ? (r >> 8) % 8 : 0) : (r >> 8) % 8);
      cv.levels[p * nf + f] = r % 20 == 1 ? kMissingLevel : level;
    }
  }
  ASSERT_GT(DistinctPatterns(cv), std::size_t{1} << 18);
  ComparisonVectors reversed = cv;
  for (std::size_t p = 0; p < n; ++p) {
    std::copy(cv.levels.begin() + static_cast<std::ptrdiff_t>(p * nf),
              cv.levels.begin() + static_cast<std::ptrdiff_t>((p + 1) * nf),
              reversed.levels.begin() + static_cast<std::ptrdiff_t>((n - 1 - p) * nf));
  }
  const FsModel start = InitialModel(cv.fields);
  auto a = EstimateModel(cv, start, {.max_iterations = 20, .threads = 1});
  auto b = EstimateModel(reversed, start, {.max_iterations = 20, .threads = 2});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->distinct_patterns, DistinctPatterns(cv));
  EXPECT_EQ(ModelToJson(*a), ModelToJson(*b));
}

TEST(EstimateModel, MaxIterationsZeroReturnsTheStart) {
  const TrueModel truth = MakeTrueModel(3, 0.1);
  const ComparisonVectors cv = Simulate(truth, 1000, 81);
  const FsModel start = InitialModel(cv.fields);
  auto model = EstimateModel(cv, start, {.max_iterations = 0});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->iterations, 0);
  EXPECT_FALSE(model->converged);
  EXPECT_EQ(model->lambda, start.lambda);
  EXPECT_EQ(model->fields[1].m, start.fields[1].m);
}

TEST(EstimateModel, RefusesUnusableInput) {
  const TrueModel truth = MakeTrueModel(3, 0.1);
  ComparisonVectors cv = Simulate(truth, 1000, 91);
  const FsModel start = InitialModel(cv.fields);

  ComparisonVectors empty;
  empty.fields = cv.fields;
  EXPECT_THAT(EstimateModel(empty, start), StatusIs(StatusCode::kInvalidArgument, "no pairs"));

  ComparisonVectors bad_level = cv;
  bad_level.levels[7] = 4;  // pair 2, field 1; fields have 4 levels
  EXPECT_THAT(EstimateModel(bad_level, start),
              StatusIs(StatusCode::kInvalidArgument, "pair 2, field \"field1\": level 4"));
  ComparisonVectors ragged = cv;
  ragged.levels.push_back(0);
  EXPECT_THAT(EstimateModel(ragged, start),
              StatusIs(StatusCode::kInvalidArgument, "not a multiple"));

  FsModel fewer = start;
  fewer.fields.pop_back();
  EXPECT_THAT(EstimateModel(cv, fewer), StatusIs(StatusCode::kInvalidArgument, "3"));
  FsModel renamed = start;
  renamed.fields[1].levels.field = "other";
  EXPECT_THAT(EstimateModel(cv, renamed), StatusIs(StatusCode::kInvalidArgument, "\"other\""));
  FsModel recut = start;
  recut.fields[0].levels.cutpoints = {0.9, 0.8, 0.6};
  EXPECT_THAT(EstimateModel(cv, recut), StatusIs(StatusCode::kInvalidArgument, "cut-points"));
  FsModel bad_m = start;
  bad_m.fields[0].m = {0.5, 0.5, 0.5, 0.5};
  EXPECT_THAT(EstimateModel(cv, bad_m), StatusIs(StatusCode::kInvalidArgument, "m sums to 2"));
  FsModel bad_lambda = start;
  bad_lambda.lambda = 1.0;
  EXPECT_THAT(EstimateModel(cv, bad_lambda), StatusIs(StatusCode::kInvalidArgument, "lambda"));
  EXPECT_THAT(EstimateModel(cv, start, {.probability_floor = 0.0}),
              StatusIs(StatusCode::kInvalidArgument, "probability_floor"));
  EXPECT_THAT(EstimateModel(cv, start, {.probability_floor = 0.3}),
              StatusIs(StatusCode::kInvalidArgument, "too many levels"));
  EXPECT_THAT(EstimateModel(cv, start, {.max_iterations = -1}),
              StatusIs(StatusCode::kInvalidArgument, "max_iterations"));
}

TEST(InitialModel, MDecreasesUIncreases) {
  const FsModel model = InitialModel({{.field = "a"}, {.field = "b", .cutpoints = {0.9}}});
  EXPECT_EQ(model.lambda, 0.1);
  ASSERT_EQ(model.fields.size(), 2u);
  EXPECT_EQ(model.fields[0].m.size(), 4u);
  EXPECT_EQ(model.fields[1].u.size(), 2u);
  for (const FsModel::Field& field : model.fields) {
    EXPECT_NEAR(std::accumulate(field.m.begin(), field.m.end(), 0.0), 1.0, 1e-15);
    EXPECT_NEAR(std::accumulate(field.u.begin(), field.u.end(), 0.0), 1.0, 1e-15);
    for (std::size_t l = 1; l < field.m.size(); ++l) {
      EXPECT_LT(field.m[l], field.m[l - 1]);
      EXPECT_GT(field.u[l], field.u[l - 1]);
    }
  }
  EXPECT_TRUE(ValidateModel(model).ok());
}

// ---------------------------------------------------------------------------------------------
// EstimateU and random pairs.

TEST(EstimateU, AddOneSmoothedFrequencies) {
  ComparisonVectors sample;
  sample.fields = {{.field = "a", .cutpoints = {0.9, 0.8}}, {.field = "b", .cutpoints = {0.9}}};
  // a: levels 2, 2, 1, missing -> counts (0, 1, 2) of 3; b: 0, 1, 1, 1.
  sample.levels = {2, 0, 2, 1, 1, 1, kMissingLevel, 1};
  const auto u = EstimateU(sample);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0], (std::vector<double>{1.0 / 6, 2.0 / 6, 3.0 / 6}));
  EXPECT_EQ(u[1], (std::vector<double>{2.0 / 6, 4.0 / 6}));
}

TEST(EstimateU, RecoversUFromARandomSampleOfCompareOutput) {
  // Random pairs of unrelated records: u from Compare on a sample, against the frequencies.
  std::mt19937_64 rng(5);
  BitMatrix a = RandomFilters(400, 256, 0.25, 0.05, rng);
  std::vector<std::size_t> sources(400);
  for (std::size_t& s : sources) s = rng() % 400;
  BitMatrix b = NearCopy(a, sources, 40, rng);
  const std::vector<FieldLevels> fields = {{.field = "x", .cutpoints = {0.9, 0.5, 0.3}}};
  const match::CandidatePairs sample = SampleRandomPairs(400, 400, 100000, 99);
  auto cv = Compare({&a}, {&b}, sample, fields, 2);
  ASSERT_TRUE(cv.ok()) << cv.status();
  std::vector<double> counts(4, 0.0);
  double present = 0;
  for (std::size_t p = 0; p < cv->size(); ++p) {
    if (cv->level(p, 0) != kMissingLevel) {
      counts[cv->level(p, 0)] += 1;
      present += 1;
    }
  }
  const auto u = EstimateU(*cv);
  ASSERT_EQ(u.size(), 1u);
  for (std::size_t l = 0; l < 4; ++l) EXPECT_NEAR(u[0][l], counts[l] / present, 1e-4);
  EXPECT_GT(u[0][3], 0.5);  // unrelated records mostly disagree
}

TEST(SampleRandomPairs, DeterministicAndInRange) {
  const auto a = SampleRandomPairs(1000, 37, 20000, 7);
  const auto b = SampleRandomPairs(1000, 37, 20000, 7);
  const auto c = SampleRandomPairs(1000, 37, 20000, 8);
  ASSERT_EQ(a.size(), 20000u);
  EXPECT_EQ(a.left, b.left);
  EXPECT_EQ(a.right, b.right);
  EXPECT_NE(a.left, c.left);
  std::vector<int> right_counts(37, 0);
  for (std::size_t p = 0; p < a.size(); ++p) {
    ASSERT_LT(a.left[p], 1000u);
    ASSERT_LT(a.right[p], 37u);
    ++right_counts[a.right[p]];
    EXPECT_EQ(a.score[p], 0.0f);
  }
  // Roughly uniform: each of 37 values about 540 times.
  for (int count : right_counts) {
    EXPECT_GT(count, 400);
    EXPECT_LT(count, 700);
  }
  EXPECT_TRUE(SampleRandomPairs(0, 5, 10, 1).empty());
  EXPECT_TRUE(SampleRandomPairs(5, 0, 10, 1).empty());
  EXPECT_TRUE(SampleRandomPairs(5, 5, 0, 1).empty());
}

TEST(SampleRandomPairs, SameDatasetGivesLeftBelowRight) {
  const auto pairs = SampleRandomPairs(6, 999, 30000, 3, /*same_dataset=*/true);
  ASSERT_EQ(pairs.size(), 30000u);
  std::vector<int> counts(36, 0);
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    ASSERT_LT(pairs.left[p], pairs.right[p]);
    ASSERT_LT(pairs.right[p], 6u);
    ++counts[pairs.left[p] * 6 + pairs.right[p]];
  }
  // All 15 unordered pairs, each about 2,000 times.
  for (std::uint32_t i = 0; i < 6; ++i) {
    for (std::uint32_t j = i + 1; j < 6; ++j) {
      EXPECT_GT(counts[i * 6 + j], 1700) << i << "," << j;
      EXPECT_LT(counts[i * 6 + j], 2300) << i << "," << j;
    }
  }
  const auto two = SampleRandomPairs(2, 0, 100, 4, true);
  ASSERT_EQ(two.size(), 100u);
  for (std::size_t p = 0; p < two.size(); ++p) {
    EXPECT_EQ(two.left[p], 0u);
    EXPECT_EQ(two.right[p], 1u);
  }
  EXPECT_TRUE(SampleRandomPairs(1, 1, 100, 4, true).empty());
}

// ---------------------------------------------------------------------------------------------
// Scores.

FsModel SmallModel() {
  FsModel model;
  model.lambda = 0.2;
  model.fields.push_back({.levels = {.field = "name", .cutpoints = {0.9, 0.7}},
                          .m = {0.8, 0.15, 0.05},
                          .u = {0.1, 0.3, 0.6}});
  model.fields.push_back(
      {.levels = {.field = "dob", .cutpoints = {0.95}}, .m = {0.9, 0.1}, .u = {0.25, 0.75}});
  return model;
}

TEST(Score, EqualsHandComputation) {
  const FsModel model = SmallModel();
  ComparisonVectors cv;
  cv.fields = {model.fields[0].levels, model.fields[1].levels};
  cv.levels = {0, 0, 2, 1, 1, kMissingLevel, kMissingLevel, kMissingLevel};
  const PairScores s = Score(model, cv);
  ASSERT_EQ(s.weight.size(), 4u);
  ASSERT_EQ(s.contributions.size(), 8u);
  const double prior = std::log2(0.2 / 0.8);  // -2
  const double w0 = prior + std::log2(0.8 / 0.1) + std::log2(0.9 / 0.25);
  const double w1 = prior + std::log2(0.05 / 0.6) + std::log2(0.1 / 0.75);
  const double w2 = prior + std::log2(0.15 / 0.3);
  const double w3 = prior;
  const double want[] = {w0, w1, w2, w3};
  for (int p = 0; p < 4; ++p) {
    EXPECT_NEAR(s.weight[p], want[p], 1e-5) << p;
    EXPECT_NEAR(s.probability[p], std::pow(2.0, want[p]) / (1 + std::pow(2.0, want[p])), 1e-6);
  }
  EXPECT_FLOAT_EQ(s.weight[3], -2.0f);
  EXPECT_FLOAT_EQ(s.probability[3], 0.2f);     // the prior alone
  EXPECT_NEAR(s.contributions[0], 3.0, 1e-6);  // log2(8)
  EXPECT_NEAR(s.contributions[1], std::log2(3.6), 1e-6);
  EXPECT_EQ(s.contributions[5], 0.0f);  // missing
  EXPECT_EQ(s.contributions[6], 0.0f);
  EXPECT_EQ(s.contributions[7], 0.0f);
}

TEST(Score, ProbabilityIsFiniteForExtremeWeights) {
  FsModel model;
  model.lambda = 0.5;
  for (int f = 0; f < 100; ++f) {
    model.fields.push_back({.levels = {.field = Name("f", f), .cutpoints = {0.9}},
                            .m = {1 - 1e-12, 1e-12},
                            .u = {1e-12, 1 - 1e-12}});
  }
  ComparisonVectors cv;
  for (const auto& f : model.fields) cv.fields.push_back(f.levels);
  cv.levels.assign(100, 0);
  cv.levels.resize(200, 1);
  const PairScores s = Score(model, cv);
  EXPECT_GT(s.weight[0], 3000.0f);
  EXPECT_EQ(s.probability[0], 1.0f);
  EXPECT_LT(s.weight[1], -3000.0f);
  EXPECT_EQ(s.probability[1], 0.0f);
}

TEST(Score, BetterLevelsNeverScoreLower) {
  // A monotone model (m / u decreasing with the level in every field): over every pair of
  // patterns p <= q (each field at least as good), W(p) >= W(q).
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> unit(0.05, 1.0);
  FsModel model;
  model.lambda = 0.07;
  for (int f = 0; f < 3; ++f) {
    FsModel::Field field{.levels = {.field = Name("f", f)}, .m = {}, .u = {}};
    std::vector<double> m(4), u(4);
    for (double& x : m) x = unit(rng);
    for (double& x : u) x = unit(rng);
    std::sort(m.rbegin(), m.rend());
    std::sort(u.begin(), u.end());
    const double sm = std::accumulate(m.begin(), m.end(), 0.0);
    const double su = std::accumulate(u.begin(), u.end(), 0.0);
    for (double& x : m) x /= sm;
    for (double& x : u) x /= su;
    field.m = m;
    field.u = u;
    model.fields.push_back(field);
  }
  ComparisonVectors cv;
  for (const auto& f : model.fields) cv.fields.push_back(f.levels);
  for (int p = 0; p < 64; ++p) {
    cv.levels.push_back(static_cast<std::uint8_t>(p % 4));
    cv.levels.push_back(static_cast<std::uint8_t>(p / 4 % 4));
    cv.levels.push_back(static_cast<std::uint8_t>(p / 16));
  }
  const PairScores s = Score(model, cv);
  for (int p = 0; p < 64; ++p) {
    for (int q = 0; q < 64; ++q) {
      bool better = true;
      for (int f = 0; f < 3; ++f) better = better && cv.level(p, f) <= cv.level(q, f);
      if (better) {
        EXPECT_GE(s.weight[p], s.weight[q]) << p << " vs " << q;
        EXPECT_GE(s.probability[p], s.probability[q]) << p << " vs " << q;
      }
    }
  }
  EXPECT_GT(s.weight[0], s.weight[63]);
}

TEST(Score, LevelsTheModelLacksContributeNothing) {
  const FsModel model = SmallModel();
  ComparisonVectors cv;
  cv.fields = {model.fields[0].levels, model.fields[1].levels, {.field = "extra"}};
  cv.levels = {7, 0, 2};  // name: no level 7; dob: level 0; extra: not in the model
  const PairScores s = Score(model, cv);
  ASSERT_EQ(s.contributions.size(), 3u);
  EXPECT_EQ(s.contributions[0], 0.0f);
  EXPECT_NEAR(s.contributions[1], std::log2(3.6), 1e-6);
  EXPECT_EQ(s.contributions[2], 0.0f);
  EXPECT_NEAR(s.weight[0], -2.0 + std::log2(3.6), 1e-5);
}

TEST(ValidateModel, NamesTheProblem) {
  EXPECT_TRUE(ValidateModel(SmallModel()).ok());
  EXPECT_THAT(ValidateModel(FsModel{}), StatusIs(StatusCode::kInvalidArgument, "no fields"));
  FsModel twice = SmallModel();
  twice.fields[1].levels.field = "name";
  EXPECT_THAT(ValidateModel(twice), StatusIs(StatusCode::kInvalidArgument, "appears twice"));
  FsModel lambda = SmallModel();
  lambda.lambda = 0.0;
  EXPECT_THAT(ValidateModel(lambda), StatusIs(StatusCode::kInvalidArgument, "lambda"));
  FsModel sum = SmallModel();
  sum.fields[1].u = {0.3, 0.6};
  EXPECT_THAT(ValidateModel(sum), StatusIs(StatusCode::kInvalidArgument, "field \"dob\": u"));
  FsModel length = SmallModel();
  length.fields[0].m = {0.9, 0.1};
  EXPECT_THAT(ValidateModel(length),
              StatusIs(StatusCode::kInvalidArgument, "field \"name\": m: expected 3 values"));
  FsModel fingerprint = SmallModel();
  fingerprint.schema_fingerprint = "not hex";
  EXPECT_THAT(ValidateModel(fingerprint), StatusIs(StatusCode::kInvalidArgument, "fingerprint"));
}

TEST(LevelLabel, DescribesEachLevel) {
  const FieldLevels field{.field = "x", .cutpoints = {0.95, 0.875, 0.7}};
  EXPECT_EQ(LevelLabel(field, 0), "Dice >= 0.95");
  EXPECT_EQ(LevelLabel(field, 1), "0.875 <= Dice < 0.95");
  EXPECT_EQ(LevelLabel(field, 2), "0.70 <= Dice < 0.875");
  EXPECT_EQ(LevelLabel(field, 3), "Dice < 0.70");
  EXPECT_EQ(LevelLabel(field, kMissingLevel), "missing");
  EXPECT_EQ(LevelLabel(field, 4), "level 4 (out of range)");
  EXPECT_EQ(LevelLabel({.field = "y", .cutpoints = {1.0}}, 0), "Dice >= 1.00");
}

TEST(CheckModelFits, NamesTheDifference) {
  const FsModel model = SmallModel();
  ComparisonVectors cv;
  cv.fields = {model.fields[0].levels, model.fields[1].levels};
  EXPECT_TRUE(CheckModelFits(model, cv).ok());
  cv.fields[1].field = "birth";
  EXPECT_THAT(CheckModelFits(model, cv),
              StatusIs(StatusCode::kInvalidArgument, "\"dob\" in the model but \"birth\""));
}

// ---------------------------------------------------------------------------------------------
// Model files.

FsModel TrainedModel() {
  const TrueModel truth = MakeTrueModel(4, 0.1);
  const ComparisonVectors cv = Simulate(truth, 20000, 101);
  FsModel model = *EstimateModel(cv, InitialModel(cv.fields));
  model.schema_fingerprint = "00ff8a" + std::string(58, 'c');
  model.fields[1].levels.field = "given \"name\"\n\u00e9";  // escaped on the way out
  return model;
}

void ExpectSameModel(const FsModel& a, const FsModel& b) {
  EXPECT_EQ(a.lambda, b.lambda);
  EXPECT_EQ(a.schema_fingerprint, b.schema_fingerprint);
  EXPECT_EQ(a.u_method, b.u_method);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.converged, b.converged);
  EXPECT_EQ(a.training_pairs, b.training_pairs);
  EXPECT_EQ(a.distinct_patterns, b.distinct_patterns);
  ASSERT_EQ(a.fields.size(), b.fields.size());
  for (std::size_t f = 0; f < a.fields.size(); ++f) {
    EXPECT_EQ(a.fields[f].levels.field, b.fields[f].levels.field);
    EXPECT_EQ(a.fields[f].levels.cutpoints, b.fields[f].levels.cutpoints);
    EXPECT_EQ(a.fields[f].m, b.fields[f].m);  // exact
    EXPECT_EQ(a.fields[f].u, b.fields[f].u);
  }
}

TEST(ModelFile, RoundTripIsExact) {
  const FsModel model = TrainedModel();
  const std::string json = ModelToJson(model);
  EXPECT_THAT(json, HasSubstr("\"bloomlink_model\": 1"));
  EXPECT_THAT(json, HasSubstr("\"u_method\":\"em\""));
  auto back = ParseModel(json, "model.json");
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSameModel(model, *back);
  EXPECT_EQ(ModelToJson(*back), json);
}

TEST(ModelFile, TheLinkagesEstimateRoundTrips) {
  FsModel model = TrainedModel();
  model.estimate = FsModel::Estimate{.true_matches = 4990.5,
                                     .false_matches = 9.5,
                                     .missed_matches = 12.25,
                                     .precision = 0.998,
                                     .recall = 0.9975,
                                     .f1 = 0.99775};
  const std::string json = ModelToJson(model);
  EXPECT_THAT(json, HasSubstr("\"estimate\":{\"true_matches\":4990.5,\"false_matches\":9.5,"));
  auto back = ParseModel(json, "model.json");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_TRUE(back->estimate.has_value());
  EXPECT_EQ(back->estimate->missed_matches, 12.25);
  EXPECT_EQ(back->estimate->f1, 0.99775);
  EXPECT_EQ(ModelToJson(*back), json);
  EXPECT_FALSE(ParseModel(ModelToJson(TrainedModel()), "m.json")->estimate.has_value());
}

TEST(ModelFile, SaveAndLoad) {
  testing::TempDir dir;
  const FsModel model = TrainedModel();
  const std::string path = dir.file("model.json");
  ASSERT_TRUE(SaveModel(model, path).ok());
  auto back = LoadModel(path);
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSameModel(model, *back);
  // Only the model file is left in the folder (no temporary file).
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
  }
  EXPECT_EQ(files, 1u);

  EXPECT_THAT(LoadModel(dir.file("absent.json")), StatusIs(StatusCode::kNotFound, "absent.json"));
  FsModel invalid = model;
  invalid.fields[0].m[0] = 2.0;
  const std::string other = dir.file("invalid.json");
  EXPECT_THAT(SaveModel(invalid, other), StatusIs(StatusCode::kInvalidArgument, "invalid.json"));
  EXPECT_FALSE(std::filesystem::exists(other));
}

TEST(ModelFile, OptionalPartsMayBeLeftOut) {
  auto model = ParseModel(R"({"bloomlink_model": 1, "lambda": 0.25,
    "fields": [{"field": "dob", "cutpoints": [0.95], "m": [0.9, 0.1], "u": [0.2, 0.8]}]})",
                          "min.json");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->lambda, 0.25);
  EXPECT_EQ(model->schema_fingerprint, "");
  EXPECT_EQ(model->u_method, UMethod::kEm);
  EXPECT_EQ(model->fields[0].u, (std::vector<double>{0.2, 0.8}));
}

// Edit(json, from, to): the model's JSON with one piece replaced.
std::string Edit(std::string json, const std::string& from, const std::string& to) {
  const std::size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) json.replace(at, from.size(), to);
  return json;
}

TEST(ModelFile, ErrorsNameTheSourceAndPath) {
  const std::string good = R"({"bloomlink_model": 1, "schema_fingerprint": "ab12", "lambda": 0.1,
    "fields": [{"field": "name", "cutpoints": [0.9, 0.7], "m": [0.8, 0.15, 0.05],
                "u": [0.1, 0.3, 0.6]},
               {"field": "dob", "cutpoints": [0.95], "m": [0.9, 0.1], "u": [0.25, 0.75]}],
    "training": {"u_method": "sample", "iterations": 12, "converged": true, "pairs": 1000,
                 "distinct_patterns": 14}})";
  ASSERT_TRUE(ParseModel(good, "m.json").ok()) << ParseModel(good, "m.json").status();
  struct Case {
    std::string from, to, message;
  };
  const std::vector<Case> cases = {
      {"\"bloomlink_model\": 1", "\"bloomlink_model\": 2",
       "m.json: bloomlink_model: model format "
       "2 was made by a newer bloomlink"},
      {"\"bloomlink_model\": 1", "\"bloomlink_model\": 0", "m.json: bloomlink_model: expected"},
      {"\"bloomlink_model\": 1,", "", "m.json: not a bloomlink model"},
      {"\"lambda\": 0.1", "\"lambda\": 0.1, \"extra\": 3", "m.json: extra: unknown key"},
      {"\"lambda\": 0.1", "\"lambda\": 1.5", "m.json: lambda: expected a probability in (0, 1)"},
      {"\"lambda\": 0.1,", "", "m.json: lambda: missing"},
      {"\"ab12\"", "\"xyz\"", "m.json: schema_fingerprint: expected a hexadecimal string"},
      {"\"field\": \"dob\",", "\"field\": \"dob\", \"weight\": 1,",
       "m.json: fields[1].weight: unknown key"},
      {"\"m\": [0.8, 0.15, 0.05]", "\"m\": [0.8, 0.2]",
       "m.json: fields[0].m: expected 3 values (one per level: cut-points + 1), got 2"},
      {"\"m\": [0.8, 0.15, 0.05]", "\"m\": [0.8, 0.15, 1.05]",
       "m.json: fields[0].m[2]: expected a probability in (0, 1), got 1.05"},
      {"\"m\": [0.8, 0.15, 0.05]", "\"m\": [0.8, \"x\", 0.05]",
       "m.json: fields[0].m[1]: expected a probability in (0, 1), got \"x\""},
      {"\"u\": [0.25, 0.75]", "\"u\": [0.25, 0.7]",
       "m.json: fields[1].u: expected values summing to 1"},
      {"\"cutpoints\": [0.9, 0.7]", "\"cutpoints\": [0.7, 0.9]",
       "m.json: fields[0].cutpoints[1]: expected a cut-point below the one before"},
      {"\"cutpoints\": [0.95]", "\"cutpoints\": [1.5]",
       "m.json: fields[1].cutpoints[0]: expected a cut-point in (0, 1], got 1.5"},
      {"\"cutpoints\": [0.95]", "\"cutpoints\": []", "m.json: fields[1].cutpoints: expected 1 to"},
      {"\"cutpoints\": [0.95]", "\"cutpoints\": 0.95",
       "m.json: fields[1].cutpoints: expected an array of numbers"},
      {"\"field\": \"dob\"", "\"field\": \"name\"",
       "m.json: fields[1].field: field \"name\" "
       "appears twice"},
      {"\"field\": \"dob\"", "\"field\": \"\"", "m.json: fields[1].field: expected a non-empty"},
      {"\"field\": \"dob\",", "", "m.json: fields[1].field: missing"},
      {"\"u_method\": \"sample\"", "\"u_method\": \"guess\"",
       "m.json: training.u_method: expected one of"},
      {"\"iterations\": 12", "\"iterations\": -1", "m.json: training.iterations: expected"},
      {"\"converged\": true", "\"converged\": 1", "m.json: training.converged: expected true"},
      {"\"pairs\": 1000", "\"pairs\": 1000, \"seed\": 3", "m.json: training.seed: unknown key"},
      {"\"pairs\": 1000", "\"pairs\": 1000, \"estimate\": 3",
       "m.json: training.estimate: expected an object"},
      {"\"pairs\": 1000",
       "\"pairs\": 1000, \"estimate\": {\"true_matches\": 10, \"false_matches\": 1, "
       "\"missed_matches\": 2, \"precision\": 0.9, \"recall\": 0.8, \"f1\": 1.5}",
       "m.json: training.estimate.f1: expected a number in [0, 1]"},
      {"\"pairs\": 1000",
       "\"pairs\": 1000, \"estimate\": {\"true_matches\": 10, \"false_matches\": -1, "
       "\"missed_matches\": 2, \"precision\": 0.9, \"recall\": 0.8, \"f1\": 0.85}",
       "m.json: training.estimate.false_matches: expected a number at least 0"},
      {"\"pairs\": 1000", "\"pairs\": 1000, \"estimate\": {\"fp\": 1}",
       "m.json: training.estimate.fp: unknown key"},
      {"\"pairs\": 1000", "\"pairs\": 1000, \"estimate\": {\"f1\": 0.5}",
       "m.json: training.estimate.true_matches: missing"},
      {"\"fields\": [", "\"fields\": [3, ", "m.json: fields[0]: expected an object, got 3"},
  };
  for (const Case& c : cases) {
    const std::string json = Edit(good, c.from, c.to);
    EXPECT_THAT(ParseModel(json, "m.json"), StatusIs(StatusCode::kInvalidArgument, c.message))
        << c.from << " -> " << c.to;
  }
  EXPECT_THAT(ParseModel("{\n  \"bloomlink_model\": 1,\n  oops", "m.json"),
              StatusIs(StatusCode::kInvalidArgument, "m.json:3:"));
  EXPECT_THAT(ParseModel(Edit(good, "\"training\": {", "\"training\": 3, \"t\": {"), "m.json"),
              StatusIs(StatusCode::kInvalidArgument, "m.json: t: unknown key"));
  EXPECT_THAT(
      ParseModel(R"({"bloomlink_model": 1, "lambda": 0.1, "training": 3,
    "fields": [{"field": "dob", "cutpoints": [0.95], "m": [0.9, 0.1], "u": [0.2, 0.8]}]})",
                 "m.json"),
      StatusIs(StatusCode::kInvalidArgument, "m.json: training: expected an object, got 3"));
  EXPECT_THAT(ParseModel("[1]", "m.json"),
              StatusIs(StatusCode::kInvalidArgument, "m.json: (top level): expected an object"));
  EXPECT_THAT(ParseModel(R"({"bloomlink_model": 1, "lambda": 0.1, "fields": []})", "m.json"),
              StatusIs(StatusCode::kInvalidArgument, "m.json: fields: expected a non-empty"));
}

}  // namespace
}  // namespace bloomlink::score
