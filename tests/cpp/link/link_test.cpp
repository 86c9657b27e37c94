#include "bloomlink/link.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "bloomlink/threads.hpp"
#include "internal/strings.hpp"
#include "link/streaming.hpp"
#include "test_support.hpp"

namespace bloomlink::link {
namespace {

using ::absl::StatusCode;
using internal::StrCat;
using testing::StatusIs;

EncodedDataset Dataset(std::vector<std::string> ids, std::size_t bits, std::uint64_t seed) {
  EncodedDataset d;
  d.ids = std::move(ids);
  d.clks = BitMatrix(d.ids.size(), bits);
  std::mt19937_64 rng(seed);
  for (std::size_t r = 0; r < d.ids.size(); ++r) {
    for (std::size_t i = 0; i < bits; ++i) {
      if (rng() % 2) d.clks.SetBit(r, i);
    }
  }
  d.clks.UpdatePopcounts();
  Digest fp{}, kc{};
  fp[0] = 1;
  kc[0] = 2;
  d.schema_fingerprint = fp;
  d.key_check = kc;
  return d;
}

TEST(CheckCompatibleTest, RefusesDifferentSchemasSecretsAndLengths) {
  EncodedDataset a = Dataset({"a1", "a2"}, 1024, 1);
  EncodedDataset b = Dataset({"b1"}, 1024, 2);
  auto ok = CheckCompatible(a, "a.bloom", b, "b.bloom");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->empty());

  EncodedDataset other_schema = b;
  (*other_schema.schema_fingerprint)[5] = 9;
  EXPECT_THAT(CheckCompatible(a, "a.bloom", other_schema, "b.bloom"),
              StatusIs(StatusCode::kFailedPrecondition, "different schemas"));
  EncodedDataset other_secret = b;
  (*other_secret.key_check)[5] = 9;
  EXPECT_THAT(CheckCompatible(a, "a.bloom", other_secret, "b.bloom"),
              StatusIs(StatusCode::kFailedPrecondition, "different secrets"));
  EncodedDataset wide = Dataset({"b1"}, 2048, 3);
  EXPECT_THAT(CheckCompatible(a, "a.bloom", wide, "b.bloom"),
              StatusIs(StatusCode::kFailedPrecondition,
                       "cannot link a.bloom (1024-bit filters) with b.bloom (2048-bit filters)"));
  EncodedDataset empty = Dataset({}, 1024, 4);
  EXPECT_THAT(CheckCompatible(a, "a.bloom", empty, "b.bloom"),
              StatusIs(StatusCode::kInvalidArgument, "b.bloom: has no records"));
}

TEST(CheckCompatibleTest, WarnsWhenProvenanceIsUnknown) {
  EncodedDataset a = Dataset({"a1"}, 1024, 1);
  EncodedDataset b = Dataset({"0"}, 1024, 2);
  b.schema_fingerprint.reset();
  b.key_check.reset();
  auto warnings = CheckCompatible(a, "a.bloom", b, "b.json");
  ASSERT_TRUE(warnings.ok());
  ASSERT_EQ(warnings->size(), 2u);
  EXPECT_THAT((*warnings)[0],
              ::testing::HasSubstr("b.json does not record its schema fingerprint"));
  EXPECT_THAT((*warnings)[1], ::testing::HasSubstr("b.json does not record a key check value"));
}

TEST(CheckCompatibleTest, ADatasetWithItselfNeedsNoChecks) {
  EncodedDataset a = Dataset({"a1"}, 1024, 1);
  a.schema_fingerprint.reset();
  auto warnings = CheckCompatible(a, "a.json", a, "a.json");
  ASSERT_TRUE(warnings.ok());
  EXPECT_TRUE(warnings->empty());
}

// The rules of a linkage are the library's: both front ends call ValidateLinkOptions and take
// the defaults from it.
TEST(LinkOptionsTest, DefaultsAndRefusals) {
  EXPECT_EQ(DefaultOneToOne(false), solve::OneToOne::kGreedy);
  EXPECT_EQ(DefaultOneToOne(true), solve::OneToOne::kNone);
  EXPECT_EQ(OneToOneOf({.deduplicate = true}), solve::OneToOne::kNone);
  EXPECT_EQ(OneToOneOf({.one_to_one = solve::OneToOne::kMutual, .deduplicate = true}),
            solve::OneToOne::kMutual);
  EXPECT_TRUE(ValidateLinkOptions({}).ok());
  // Blocking that needs a threshold takes the automatic floor (chosen later, in (0, 1]).
  LinkOptions lsh_auto;
  lsh_auto.candidates.blocking = match::Blocking::kLsh;
  EXPECT_TRUE(ValidateLinkOptions(lsh_auto).ok());

  LinkOptions model_with_dice{.method = Method::kDice};
  model_with_dice.fs.model = score::InitialModel({{.field = "given_name"}});
  LinkOptions sample_with_dice{.method = Method::kDice};
  sample_with_dice.fs.u_from_sample = true;
  for (const LinkOptions& o : {model_with_dice, sample_with_dice}) {
    EXPECT_THAT(ValidateLinkOptions(o),
                StatusIs(StatusCode::kInvalidArgument, "go with method fs (Fellegi-Sunter)"));
  }
  EXPECT_THAT(ValidateLinkOptions({.candidates = {.threshold = 1.5}}),
              StatusIs(StatusCode::kInvalidArgument, "threshold must be between 0 and 1"));
  EXPECT_THAT(ValidateLinkOptions({.candidates = {.top_k = match::kMaxTopK + 1}}),
              StatusIs(StatusCode::kInvalidArgument, "top-k must be 0 (no limit) to 1000000"));
  EXPECT_THAT(ValidateLinkOptions({.candidates = {.threads = kMaxThreads + 1}}),
              StatusIs(StatusCode::kInvalidArgument, "threads must be 0 (every core) to 1024"));
  EXPECT_THAT(ValidateLinkOptions({.one_to_one = solve::OneToOne::kOptimal, .deduplicate = true}),
              StatusIs(StatusCode::kInvalidArgument, "use greedy, mutual or none"));
  // Link() refuses the same, before any work.
  EncodedDataset a = Dataset({"a1"}, 64, 1);
  EXPECT_THAT(Link(a, a, sample_with_dice), StatusIs(StatusCode::kInvalidArgument, "method fs"));
}

// A dataset linked with itself as two datasets is not a deduplication: each record pairs with
// itself; only LinkOptions::deduplicate makes one (and says so in the Linkage).
TEST(LinkTest, LinkingADatasetWithItselfIsNotADeduplication) {
  EncodedDataset a = Dataset({"a0", "a1", "a2"}, 256, 5);
  auto two = Link(a, a, {.candidates = {.threshold = 0.99}});
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_FALSE(two->deduplicated);
  EXPECT_EQ(two->one_to_one, solve::OneToOne::kGreedy);
  EXPECT_EQ(two->pairs.left, (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_EQ(two->pairs.right, (std::vector<std::uint32_t>{0, 1, 2}));
  auto within = Link(a, a, {.candidates = {.threshold = 0.99}, .deduplicate = true});
  ASSERT_TRUE(within.ok()) << within.status();
  EXPECT_TRUE(within->deduplicated);
  EXPECT_EQ(within->one_to_one, solve::OneToOne::kNone);
  EXPECT_TRUE(within->pairs.empty());
}

TEST(LinkTest, FindsCopiesAndResolvesOneToOne) {
  EncodedDataset a = Dataset({"a0", "a1", "a2", "a3"}, 256, 5);
  EncodedDataset b;
  b.ids = {"b0", "b1", "b2"};
  b.clks = BitMatrix(3, 256);
  // b0 = a2, b1 = a0, b2 = a0 with one bit flipped (a0 must go to its exact copy).
  std::memcpy(b.clks.row_bytes(0), a.clks.row_bytes(2), 32);
  std::memcpy(b.clks.row_bytes(1), a.clks.row_bytes(0), 32);
  std::memcpy(b.clks.row_bytes(2), a.clks.row_bytes(0), 32);
  b.clks.row_bytes(2)[0] ^= 0x80;
  b.clks.UpdatePopcounts();
  LinkReport report;
  auto result = Link(a, b, {.candidates = {.threshold = 0.9}}, &report);
  ASSERT_TRUE(result.ok()) << result.status();
  const match::CandidatePairs* pairs = &result->pairs;
  EXPECT_TRUE(result->probability.empty());
  EXPECT_FALSE(result->model.has_value());
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ(report.matches, 2u);
  EXPECT_EQ(report.candidates.candidates, 3u);
  // Highest score first; both exact copies score 1, ordered by index in A.
  EXPECT_EQ(pairs->left, (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(pairs->right, (std::vector<std::uint32_t>{1, 0}));
  EXPECT_EQ(pairs->score, (std::vector<float>{1.0f, 1.0f}));
  auto all = Link(a, b, {.candidates = {.threshold = 0.9}, .one_to_one = solve::OneToOne::kNone});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->pairs.size(), 3u);
}

TEST(WritePairsCsvTest, SortsByScoreThenIdsAndQuotesIds) {
  testing::TempDir dir;
  EncodedDataset a = Dataset({"z", "a,comma", "m"}, 64, 1);
  EncodedDataset b = Dataset({"q\"uote", "b", "c"}, 64, 2);
  Linkage linkage;
  linkage.pairs.push_back(0, 1, 0.5f);
  linkage.pairs.push_back(2, 2, 0.9f);
  linkage.pairs.push_back(1, 0, 0.5f);
  linkage.pairs.push_back(0, 2, 0.5f);
  const std::string path = dir.file("pairs.csv");
  ASSERT_TRUE(WritePairsCsv(a, b, linkage, path).ok());
  EXPECT_EQ(testing::ReadFile(path),
            "id_a,id_b,score\n"
            "m,c,0.900000\n"
            "\"a,comma\",\"q\"\"uote\",0.500000\n"
            "z,b,0.500000\n"
            "z,c,0.500000\n");
}

// Scores are written as printf's "%.6f" writes them (the format of every earlier pairs file), for
// awkward values too: halfway cases, tiny and huge magnitudes, negative weights, infinities.
TEST(WritePairsCsvTest, NumbersArePrintfFixedSix) {
  testing::TempDir dir;
  std::vector<float> values = {0.0f,
                               -0.0f,
                               1.0f,
                               0.5f,
                               0.0000005f,
                               0.0000015f,
                               0.1234565f,
                               1e-30f,
                               3.4e38f,
                               -3.4e38f,
                               -1.0f / 3.0f,
                               2.0f / 3.0f,
                               std::numeric_limits<float>::infinity(),
                               -std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::denorm_min()};
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::uniform_real_distribution<float> weight(-40.0f, 40.0f);
  for (int i = 0; i < 2000; ++i) values.push_back(i % 2 ? unit(rng) : weight(rng));
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < values.size(); ++i) ids.push_back(std::to_string(i));
  EncodedDataset a = Dataset(ids, 64, 1);
  EncodedDataset b = Dataset({"b"}, 64, 2);
  Linkage linkage;
  linkage.fs_fields = {"x"};
  for (std::size_t i = 0; i < values.size(); ++i) {
    linkage.pairs.push_back(static_cast<std::uint32_t>(i), 0, 0.5f);
    linkage.probability.push_back(0.5f);
    linkage.weight.push_back(0.0f);  // all equal: the file follows the ids' order
    linkage.contributions.push_back(values[i]);
  }
  const std::string path = dir.file("pairs.csv");
  ASSERT_TRUE(WritePairsCsv(a, b, linkage, path, /*explain=*/true).ok());
  std::vector<std::pair<std::string, std::string>> expected;  // (id, line)
  for (std::size_t i = 0; i < values.size(); ++i) {
    char weight_text[64];
    std::snprintf(weight_text, sizeof weight_text, "%.6f", static_cast<double>(values[i]));
    expected.emplace_back(ids[i], ids[i] + ",b,0.500000,0.500000,0.000000," + weight_text + "\n");
  }
  std::sort(expected.begin(), expected.end());
  std::string file = "id_a,id_b,score,match_probability,match_weight,weight_x\n";
  for (const auto& e : expected) file += e.second;
  EXPECT_EQ(testing::ReadFile(path), file);
}

TEST(WritePairsCsvTest, FailureLeavesNoFile) {
  EncodedDataset a = Dataset({"a"}, 64, 1);
  Linkage none;
  EXPECT_THAT(WritePairsCsv(a, a, none, "/nonexistent-folder/pairs.csv"),
              StatusIs(StatusCode::kNotFound, "/nonexistent-folder/pairs.csv"));
}

// A synthetic population for Fellegi-Sunter: four fields whose values are sets of 25 bits in a
// 256-bit field filter, drawn from pools of different sizes (so non-matches often share a given
// or family name or a postcode, and almost never a date of birth). The CLK is the four field
// filters side by side. A record is a person's values, each field missing (empty) with
// probability 0.05, with a typo (4 bits moved) with probability 0.15 and replaced (15 bits moved)
// with probability 0.05.
constexpr std::size_t kFieldBits = 256;
const std::vector<std::string> kFsFields = {"given_name", "family_name", "date_of_birth",
                                            "postcode"};

struct Population {
  std::vector<std::vector<std::vector<std::uint16_t>>> values;  // person x field x bits
};

std::vector<std::uint16_t> RandomValue(std::mt19937_64& rng) {
  std::set<std::uint16_t> bits;
  while (bits.size() < 25) bits.insert(static_cast<std::uint16_t>(rng() % kFieldBits));
  return {bits.begin(), bits.end()};
}

Population MakePopulation(std::size_t people, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::vector<std::size_t> pool_sizes = {150, 250, 0, 500};  // 0: a fresh value per person
  std::vector<std::vector<std::vector<std::uint16_t>>> pools(pool_sizes.size());
  for (std::size_t f = 0; f < pool_sizes.size(); ++f) {
    for (std::size_t v = 0; v < pool_sizes[f]; ++v) pools[f].push_back(RandomValue(rng));
  }
  Population p;
  for (std::size_t i = 0; i < people; ++i) {
    std::vector<std::vector<std::uint16_t>> person;
    for (std::size_t f = 0; f < pool_sizes.size(); ++f) {
      person.push_back(pool_sizes[f] ? pools[f][rng() % pool_sizes[f]] : RandomValue(rng));
    }
    p.values.push_back(std::move(person));
  }
  return p;
}

// Records(population, people, prefix, seed): one record per listed person, with ids
// "<prefix><person>" (the truth is in the ids) and field filters for every field.
EncodedDataset Records(const Population& population, const std::vector<std::size_t>& people,
                       const std::string& prefix, std::uint64_t seed, bool field_filters = true) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  EncodedDataset d;
  const std::size_t nf = kFsFields.size();
  d.clks = BitMatrix(people.size(), kFieldBits * nf);
  std::vector<BitMatrix> filters(nf, BitMatrix(people.size(), kFieldBits));
  for (std::size_t r = 0; r < people.size(); ++r) {
    d.ids.push_back(prefix + std::to_string(people[r]));
    for (std::size_t f = 0; f < nf; ++f) {
      std::vector<std::uint16_t> bits = population.values[people[r]][f];
      const double roll = unit(rng);
      if (roll < 0.05) continue;  // missing
      // A typo moves a few bits; a different value most of them.
      const std::size_t moved = roll < 0.20 ? 4 : roll < 0.25 ? 15 : 0;
      for (std::size_t k = 0; k < moved; ++k)
        bits[rng() % bits.size()] = static_cast<std::uint16_t>(rng() % kFieldBits);
      for (std::uint16_t bit : bits) {
        filters[f].SetBit(r, bit);
        d.clks.SetBit(r, f * kFieldBits + bit);
      }
    }
  }
  d.clks.UpdatePopcounts();
  if (field_filters) {
    for (std::size_t f = 0; f < nf; ++f) {
      filters[f].UpdatePopcounts();
      d.field_filters.push_back({kFsFields[f], std::move(filters[f])});
    }
  }
  Digest fp{}, kc{};
  d.schema_fingerprint = fp;
  d.key_check = kc;
  return d;
}

// Two extracts of 300 people each, 150 of them in both, in different orders (b_first = 300:
// 300 and 150 people, none in both).
struct TwoExtracts {
  EncodedDataset a, b;
};
TwoExtracts MakeExtracts(bool field_filters = true, std::size_t b_first = 150) {
  const Population population = MakePopulation(450, 7);
  std::vector<std::size_t> in_a(300), in_b(450 - b_first);
  std::iota(in_a.begin(), in_a.end(), 0u);
  std::iota(in_b.begin(), in_b.end(), b_first);
  std::shuffle(in_b.begin(), in_b.end(), std::mt19937_64(3));
  return {Records(population, in_a, "a", 1, field_filters),
          Records(population, in_b, "b", 2, field_filters)};
}

std::string Person(const std::string& id) { return id.substr(1); }

LinkOptions FsLinkOptions(int threads = 0) {
  LinkOptions options;
  options.method = Method::kFellegiSunter;
  options.candidates.threshold = 0.2;
  options.candidates.top_k = 10;
  options.candidates.threads = threads;
  return options;
}

TEST(FellegiSunterLinkTest, FindsTheMatchesWithoutLabels) {
  const TwoExtracts x = MakeExtracts();
  LinkReport report;
  auto result = Link(x.a, x.b, FsLinkOptions(), &report);
  ASSERT_TRUE(result.ok()) << result.status();
  const Linkage& l = *result;
  ASSERT_TRUE(l.model.has_value());
  EXPECT_EQ(l.fs_fields, kFsFields);
  const std::size_t n = l.pairs.size();
  ASSERT_EQ(l.probability.size(), n);
  ASSERT_EQ(l.weight.size(), n);
  ASSERT_EQ(l.contributions.size(), n * kFsFields.size());
  EXPECT_EQ(report.matches, n);
  std::size_t true_positives = 0;
  const double prior = std::log2(l.model->lambda / (1 - l.model->lambda));
  for (std::size_t i = 0; i < n; ++i) {
    if (Person(x.a.ids[l.pairs.left[i]]) == Person(x.b.ids[l.pairs.right[i]])) ++true_positives;
    EXPECT_GE(l.probability[i], 0.5f);
    if (i > 0) {
      EXPECT_GE(l.probability[i - 1], l.probability[i]) << "pairs ordered by probability";
    }
    // The weight is the prior log-odds plus the fields' contributions; the probability its
    // logistic.
    double sum = prior;
    for (std::size_t f = 0; f < kFsFields.size(); ++f)
      sum += l.contributions[i * kFsFields.size() + f];
    EXPECT_NEAR(l.weight[i], sum, 1e-3);
    EXPECT_NEAR(l.probability[i], 1 / (1 + std::exp2(-sum)), 1e-4);
  }
  // 150 true pairs. EM makes the date of birth decisive (the pools make names and postcodes
  // common among candidates), so the 10% of matches whose date is replaced or missing in one
  // record are mostly missed: 132 of 150 were found when this test was written.
  const double precision = static_cast<double>(true_positives) / static_cast<double>(n);
  const double recall = static_cast<double>(true_positives) / 150.0;
  EXPECT_GE(precision, 0.97) << true_positives << " of " << n;
  EXPECT_GE(recall, 0.85) << true_positives << " of 150";
  // lambda is the share of matches among all pairs (the model describes the whole space).
  EXPECT_EQ(l.model->space_pairs, x.a.size() * x.b.size());
  EXPECT_NEAR(l.model->lambda * static_cast<double>(l.model->space_pairs), 150.0, 15.0);
  // The expected errors, estimated without labels, are close to the true ones.
  ASSERT_TRUE(l.estimate.has_value());
  EXPECT_NEAR(l.estimate->precision, precision, 0.03);
  EXPECT_NEAR(l.estimate->recall, recall, 0.03);
  EXPECT_NEAR(l.estimate->false_matches + l.estimate->true_matches, static_cast<double>(n), 1e-3);
  // The model keeps the estimate of the linkage that estimated it.
  ASSERT_TRUE(l.model->estimate.has_value());
  EXPECT_EQ(l.model->estimate->false_matches, l.estimate->false_matches);
  EXPECT_EQ(l.model->estimate->missed_matches, l.estimate->missed_matches);
  EXPECT_EQ(l.model->estimate->f1, l.estimate->f1);
  EXPECT_EQ(l.model->u_method, score::UMethod::kEm);
  EXPECT_GT(l.model->training_pairs, 0u);
  // One-to-one: no record twice.
  EXPECT_EQ(std::set<std::uint32_t>(l.pairs.left.begin(), l.pairs.left.end()).size(), n);
  EXPECT_EQ(std::set<std::uint32_t>(l.pairs.right.begin(), l.pairs.right.end()).size(), n);
}

TEST(FellegiSunterLinkTest, DecisionThresholdSelectsByProbability) {
  const TwoExtracts x = MakeExtracts();
  LinkOptions options = FsLinkOptions();
  options.one_to_one = solve::OneToOne::kNone;
  auto loose = Link(x.a, x.b, options);
  options.fs.decision = 0.99;
  auto strict = Link(x.a, x.b, options);
  ASSERT_TRUE(loose.ok() && strict.ok());
  EXPECT_LT(strict->pairs.size(), loose->pairs.size());
  for (float p : strict->probability) EXPECT_GE(p, 0.99f);
  options.fs.decision = 0;
  LinkReport report;
  auto all = Link(x.a, x.b, options, &report);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->pairs.size(), report.candidates.candidates) << "decision 0 keeps every candidate";
}

TEST(FellegiSunterLinkTest, WithoutOneToOneEveryUnacceptedCandidateCountsAsMissed) {
  // One-to-one none: the expected missed matches (above the floor) are every candidate's
  // probability less the accepted pairs': read off a link that keeps every candidate
  // (decision 0) and one at the default decision, same model.
  const TwoExtracts x = MakeExtracts();
  LinkOptions options = FsLinkOptions();
  options.one_to_one = solve::OneToOne::kNone;
  auto decided = Link(x.a, x.b, options);
  options.fs.decision = 0;
  auto every = Link(x.a, x.b, options);
  ASSERT_TRUE(decided.ok() && every.ok());
  ASSERT_TRUE(decided->estimate.has_value());
  double all_p = 0, kept_p = 0;
  for (float p : every->probability) all_p += p;
  for (float p : decided->probability) kept_p += p;
  ASSERT_LT(decided->pairs.size(), every->pairs.size());
  const ErrorEstimate& e = *decided->estimate;
  EXPECT_NEAR(e.missed_matches - e.missed_below_floor, all_p - kept_p, 1e-6 * all_p);
}

TEST(FellegiSunterLinkTest, SameResultForAnyThreadCount) {
  const TwoExtracts x = MakeExtracts();
  auto one = Link(x.a, x.b, FsLinkOptions(1));
  ASSERT_TRUE(one.ok());
  for (int threads : {2, 3, 0}) {
    auto other = Link(x.a, x.b, FsLinkOptions(threads));
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(other->pairs.left, one->pairs.left) << threads;
    EXPECT_EQ(other->pairs.right, one->pairs.right) << threads;
    EXPECT_EQ(other->probability, one->probability) << threads;
    EXPECT_EQ(score::ModelToJson(*other->model), score::ModelToJson(*one->model)) << threads;
  }
}

TEST(FellegiSunterLinkTest, AFixedModelIsUsedAsGiven) {
  const TwoExtracts x = MakeExtracts();
  auto trained = Link(x.a, x.b, FsLinkOptions());
  ASSERT_TRUE(trained.ok());
  LinkOptions options = FsLinkOptions();
  options.fs.model = trained->model;
  options.fs.cutpoints = {0.5};  // ignored: the model's levels apply
  auto reused = Link(x.a, x.b, options);
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_EQ(reused->pairs.left, trained->pairs.left);
  EXPECT_EQ(reused->pairs.right, trained->pairs.right);
  EXPECT_EQ(reused->probability, trained->probability);
  EXPECT_EQ(score::ModelToJson(*reused->model), score::ModelToJson(*trained->model));

  // A model in another field order takes the datasets' filters in its own order.
  score::FsModel reordered = *trained->model;
  std::reverse(reordered.fields.begin(), reordered.fields.end());
  options.fs.model = reordered;
  auto again = Link(x.a, x.b, options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->fs_fields, (std::vector<std::string>(kFsFields.rbegin(), kFsFields.rend())));
  EXPECT_EQ(again->pairs.left, trained->pairs.left);
  for (std::size_t i = 0; i < again->probability.size(); ++i)
    EXPECT_NEAR(again->probability[i], trained->probability[i], 1e-6);

  score::FsModel other = *trained->model;
  other.fields[1].levels.field = "nhs_number";
  options.fs.model = other;
  EXPECT_THAT(Link(x.a, x.b, options),
              StatusIs(StatusCode::kInvalidArgument,
                       "the model has field nhs_number, which the datasets have no filters for"));
}

TEST(FellegiSunterLinkTest, UFromASampleOfPairs) {
  const TwoExtracts x = MakeExtracts();
  LinkOptions options = FsLinkOptions();
  // u from random pairs describes the candidates' non-matches only when the candidates are not
  // selected by similarity: here, every pair.
  options.candidates.threshold = 0;
  options.candidates.top_k = 0;
  options.fs.u_from_sample = true;
  options.fs.u_sample_pairs = 20000;
  LinkReport report;
  auto result = Link(x.a, x.b, options, &report);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->model->u_method, score::UMethod::kSample);
  // Random pairs almost never share a date of birth.
  EXPECT_LT(result->model->fields[2].u[0], 0.01);
  std::size_t true_positives = 0;
  for (std::size_t i = 0; i < result->pairs.size(); ++i)
    true_positives +=
        Person(x.a.ids[result->pairs.left[i]]) == Person(x.b.ids[result->pairs.right[i]]);
  EXPECT_GE(true_positives, 140u);
  EXPECT_GE(true_positives + 3, result->pairs.size());
  EXPECT_TRUE(report.warnings.empty());

  // Candidates selected by CLK similarity (each record's best 10): estimated over all pairs, the
  // model still finds the matches...
  options.candidates.threshold = 0.2;
  options.candidates.top_k = 10;
  auto selected = Link(x.a, x.b, options, &report);
  ASSERT_TRUE(selected.ok()) << selected.status();
  EXPECT_TRUE(report.warnings.empty());
  std::size_t selected_true = 0;
  for (std::size_t i = 0; i < selected->pairs.size(); ++i)
    selected_true +=
        Person(x.a.ids[selected->pairs.left[i]]) == Person(x.b.ids[selected->pairs.right[i]]);
  EXPECT_GE(selected_true, 140u);
  EXPECT_GE(selected_true + 3, selected->pairs.size());
  // ...but over the candidates alone their non-matches are nothing like random pairs, EM puts
  // nearly all of them in the match class, and the report says so.
  options.fs.all_pairs = false;
  ASSERT_TRUE(Link(x.a, x.b, options, &report).ok());
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], ::testing::HasSubstr("do not look like random pairs"));
}

TEST(FellegiSunterLinkTest, NeedsFieldFiltersOfTheSameLength) {
  const TwoExtracts plain = MakeExtracts(/*field_filters=*/false);
  EXPECT_THAT(Link(plain.a, plain.b, FsLinkOptions()),
              StatusIs(StatusCode::kFailedPrecondition, "\"field_filter\""));
  TwoExtracts x = MakeExtracts();
  x.b.field_filters[2].filters = BitMatrix(x.b.size(), 512);
  EXPECT_THAT(Link(x.a, x.b, FsLinkOptions()),
              StatusIs(StatusCode::kFailedPrecondition,
                       "field date_of_birth: the field-level filters have different lengths "
                       "(256 and 512 bits)"));
  // Dice linkage does not need them.
  EXPECT_TRUE(Link(plain.a, plain.b, {.candidates = {.threshold = 0.8}}).ok());
}

TEST(LinkTest, DeduplicationPairsTwoDifferentRecordsOnce) {
  // 200 people, 60 of them twice and 20 three times: 60 + 20 x 3 = 120 true pairs.
  const Population population = MakePopulation(200, 11);
  std::vector<std::size_t> people(200);
  std::iota(people.begin(), people.end(), 0u);
  for (std::size_t i = 0; i < 60; ++i) people.push_back(i);
  for (std::size_t i = 100; i < 120; ++i) people.insert(people.end(), 2, i);
  std::shuffle(people.begin(), people.end(), std::mt19937_64(5));
  EncodedDataset d = Records(population, people, "r", 9);
  for (std::size_t i = 0; i < d.size(); ++i) d.ids[i] += "-" + std::to_string(i);  // unique ids
  for (Method method : {Method::kDice, Method::kFellegiSunter}) {
    LinkOptions options = FsLinkOptions();
    options.method = method;
    options.candidates.threshold = method == Method::kDice ? 0.75 : 0.2;
    options.deduplicate = true;
    options.one_to_one = solve::OneToOne::kNone;
    auto result = Link(d, d, options);
    ASSERT_TRUE(result.ok()) << result.status();
    std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
    std::size_t true_positives = 0;
    for (std::size_t i = 0; i < result->pairs.size(); ++i) {
      const std::uint32_t l = result->pairs.left[i], r = result->pairs.right[i];
      EXPECT_LT(l, r) << "left < right: no self pairs, each pair in one order";
      EXPECT_TRUE(seen.insert({l, r}).second) << "pair listed twice";
      const std::string pl = d.ids[l].substr(1, d.ids[l].find('-') - 1);
      const std::string pr = d.ids[r].substr(1, d.ids[r].find('-') - 1);
      true_positives += pl == pr;
    }
    EXPECT_GE(true_positives, 100u) << (method == Method::kDice ? "dice" : "fs");
    EXPECT_GE(static_cast<double>(true_positives), 0.9 * static_cast<double>(result->pairs.size()));
  }
}

TEST(WritePairsCsvTest, FellegiSunterColumnsAndExplanations) {
  testing::TempDir dir;
  EncodedDataset a = Dataset({"a0", "a1"}, 64, 1);
  EncodedDataset b = Dataset({"b0", "b1"}, 64, 2);
  Linkage linkage;
  linkage.pairs.push_back(0, 1, 0.9f);
  linkage.pairs.push_back(1, 0, 0.95f);
  linkage.probability = {0.99f, 0.6f};
  linkage.weight = {6.5f, 0.5f};
  linkage.fs_fields = {"surname", "dob,year"};
  linkage.contributions = {3.0f, 3.25f, -1.0f, 1.25f};
  linkage.model = score::InitialModel({{.field = "surname"}, {.field = "dob,year"}});
  const std::string path = dir.file("pairs.csv");
  ASSERT_TRUE(WritePairsCsv(a, b, linkage, path, /*explain=*/true).ok());
  // Ordered by match probability, not by Dice.
  EXPECT_EQ(testing::ReadFile(path),
            "id_a,id_b,score,match_probability,match_weight,weight_surname,\"weight_dob,year\"\n"
            "a0,b1,0.900000,0.990000,6.500000,3.000000,3.250000\n"
            "a1,b0,0.950000,0.600000,0.500000,-1.000000,1.250000\n");
  ASSERT_TRUE(WritePairsCsv(a, b, linkage, path).ok());
  EXPECT_EQ(testing::ReadFile(path),
            "id_a,id_b,score,match_probability,match_weight\n"
            "a0,b1,0.900000,0.990000,6.500000\n"
            "a1,b0,0.950000,0.600000,0.500000\n");
}

TEST(ParseMethodTest, NamesTheChoices) {
  EXPECT_EQ(*ParseMethod("dice"), Method::kDice);
  EXPECT_EQ(*ParseMethod("fs"), Method::kFellegiSunter);
  EXPECT_EQ(*ParseMethod("auto"), Method::kAuto);
  for (Method m : {Method::kAuto, Method::kDice, Method::kFellegiSunter})
    EXPECT_EQ(*ParseMethod(MethodName(m)), m);
  EXPECT_THAT(ParseMethod("FS"), StatusIs(StatusCode::kInvalidArgument,
                                          "unknown method \"FS\": expected auto, dice or fs"));
}

TEST(FellegiSunterLinkTest, RefusesUnusableOptions) {
  const TwoExtracts x = MakeExtracts();
  for (double decision : {-0.1, 1.5, std::nan("")}) {
    LinkOptions options = FsLinkOptions();
    options.fs.decision = decision;
    EXPECT_THAT(
        Link(x.a, x.b, options),
        StatusIs(StatusCode::kInvalidArgument, "decision: expected a match probability in [0, 1]"));
  }
  LinkOptions options = FsLinkOptions();
  options.fs.model = score::InitialModel({{.field = "given_name"}});
  options.fs.u_from_sample = true;
  EXPECT_THAT(Link(x.a, x.b, options),
              StatusIs(StatusCode::kInvalidArgument, "use one or the other"));
  options = FsLinkOptions();
  options.deduplicate = true;
  options.one_to_one = solve::OneToOne::kOptimal;
  EXPECT_THAT(Link(x.a, x.a, options),
              StatusIs(StatusCode::kInvalidArgument, "use greedy, mutual or none"));
}

TEST(FellegiSunterLinkTest, NoCandidatesMeansNoPairsAndAWarning) {
  const TwoExtracts x = MakeExtracts(true, /*b_first=*/300);  // nobody in both
  LinkOptions options = FsLinkOptions();
  options.candidates.threshold = 0.9;
  options.candidates.top_k = 0;
  LinkReport report;
  auto result = Link(x.a, x.b, options, &report);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->pairs.size(), 0u);
  EXPECT_FALSE(result->model.has_value());
  EXPECT_EQ(result->fs_fields, kFsFields);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_THAT(report.warnings[0], ::testing::HasSubstr("no candidate pairs reach the threshold"));
  // The file still has the Fellegi-Sunter columns.
  testing::TempDir dir;
  ASSERT_TRUE(WritePairsCsv(x.a, x.b, *result, dir.file("p.csv"), true).ok());
  EXPECT_EQ(testing::ReadFile(dir.file("p.csv")),
            "id_a,id_b,score,match_probability,match_weight,weight_given_name,"
            "weight_family_name,weight_date_of_birth,weight_postcode\n");
  // With a model given, nothing needs estimating: no warning.
  auto trained = Link(x.a, x.b, FsLinkOptions());
  ASSERT_TRUE(trained.ok());
  options.fs.model = trained->model;
  report = {};
  result = Link(x.a, x.b, options, &report);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(report.warnings.empty());
  EXPECT_TRUE(result->model.has_value());
}

TEST(LinkTest, DeduplicationOneToOneUsesEachRecordOnce) {
  const Population population = MakePopulation(100, 13);
  std::vector<std::size_t> people(100);
  std::iota(people.begin(), people.end(), 0u);
  for (std::size_t i = 0; i < 30; ++i) people.insert(people.end(), 2, i);  // 30 people 3 times
  EncodedDataset d = Records(population, people, "r", 4);
  for (std::size_t i = 0; i < d.size(); ++i) d.ids[i] += "-" + std::to_string(i);
  for (Method method : {Method::kDice, Method::kFellegiSunter}) {
    for (solve::OneToOne one : {solve::OneToOne::kGreedy, solve::OneToOne::kMutual}) {
      LinkOptions options = FsLinkOptions();
      options.method = method;
      options.candidates.threshold = method == Method::kDice ? 0.75 : 0.2;
      options.deduplicate = true;
      options.one_to_one = one;
      auto result = Link(d, d, options);
      ASSERT_TRUE(result.ok()) << result.status();
      std::vector<int> uses(d.size(), 0);
      for (std::size_t i = 0; i < result->pairs.size(); ++i) {
        EXPECT_LT(result->pairs.left[i], result->pairs.right[i]);
        ++uses[result->pairs.left[i]];
        ++uses[result->pairs.right[i]];
      }
      EXPECT_LE(*std::max_element(uses.begin(), uses.end()), 1);
      EXPECT_GE(result->pairs.size(), 20u);
    }
  }
}

TEST(LinkTest, MemoryEstimateAndLimit) {
  const TwoExtracts x = MakeExtracts();
  LinkOptions options = FsLinkOptions();
  options.candidates.top_k = 0;
  options.candidates.threshold = 0.3;
  const MemoryEstimate estimate = EstimateMemory(x.a, x.b, options);
  LinkReport report;
  auto result = Link(x.a, x.b, options, &report);
  ASSERT_TRUE(result.ok());
  const double actual = static_cast<double>(report.candidates.candidates);
  ASSERT_GT(actual, 500);
  // The sample of 90,000 pairs (all of them here) estimates the candidates closely.
  EXPECT_EQ(estimate.sampled_pairs, 90000u);
  EXPECT_NEAR(static_cast<double>(estimate.expected_candidates), actual, 0.1 * actual);
  EXPECT_GT(estimate.datasets, x.a.clks.rows() * x.a.clks.stride_bytes() * 2);
  // Fellegi-Sunter keeps one pattern index per candidate, not levels and scores, and no
  // solver's copy of every candidate: less per pair than Dice, plus its copy of the filters.
  LinkOptions dice = options;
  dice.method = Method::kDice;
  const MemoryEstimate by_dice = EstimateMemory(x.a, x.b, dice);
  EXPECT_LT(estimate.bytes_per_candidate, by_dice.bytes_per_candidate);
  EXPECT_GT(estimate.search, by_dice.search);
  // With top-k the estimate is at most |A| x k.
  options.candidates.top_k = 1;
  EXPECT_LE(EstimateMemory(x.a, x.b, options).expected_candidates, 300u);
  options.candidates.top_k = 0;

  // A limit below the estimate, even streamed: refused before any work, saying what to change.
  options.max_memory = std::min(estimate.total() / 2, estimate.stream_total(0) - 1);
  EXPECT_THAT(Link(x.a, x.b, options),
              StatusIs(StatusCode::kResourceExhausted,
                       "raise the limit, raise the threshold, or keep each record's best few"));
  // A limit the job fits in: the same result as no limit.
  options.max_memory = estimate.total() * 2;
  auto limited = Link(x.a, x.b, options);
  ASSERT_TRUE(limited.ok()) << limited.status();
  EXPECT_EQ(limited->pairs.left, result->pairs.left);
  // The caller's own candidate limit, lower than the memory's, holds and is reported as itself.
  options.candidates.max_candidates = 100;
  EXPECT_THAT(Link(x.a, x.b, options),
              StatusIs(StatusCode::kResourceExhausted, "found more than 100 candidate pairs"));
  options.candidates.max_candidates = 0;
  // Deduplication counts each unordered pair once.
  options.deduplicate = true;
  options.max_memory = 0;
  const MemoryEstimate within = EstimateMemory(x.a, x.a, options);
  EXPECT_LT(within.datasets, estimate.datasets);
}

// ExpectSameLinkage(x, y): the same pairs, scores, probabilities, weights, contributions, model
// and estimate, exactly.
void ExpectSameLinkage(const Linkage& x, const Linkage& y, const std::string& what) {
  EXPECT_EQ(x.pairs.left, y.pairs.left) << what;
  EXPECT_EQ(x.pairs.right, y.pairs.right) << what;
  EXPECT_EQ(x.pairs.score, y.pairs.score) << what;
  EXPECT_EQ(x.probability, y.probability) << what;
  EXPECT_EQ(x.weight, y.weight) << what;
  EXPECT_EQ(x.contributions, y.contributions) << what;
  ASSERT_EQ(x.model.has_value(), y.model.has_value()) << what;
  if (x.model) {
    EXPECT_EQ(score::ModelToJson(*x.model), score::ModelToJson(*y.model)) << what;
  }
  ASSERT_EQ(x.estimate.has_value(), y.estimate.has_value()) << what;
  if (x.estimate) {
    EXPECT_EQ(x.estimate->false_matches, y.estimate->false_matches) << what;
    EXPECT_EQ(x.estimate->missed_matches, y.estimate->missed_matches) << what;
    EXPECT_EQ(x.estimate->missed_below_floor, y.estimate->missed_below_floor) << what;
    EXPECT_EQ(x.estimate->f1, y.estimate->f1) << what;
  }
}

TEST(FellegiSunterLinkTest, StreamingGivesTheSameLinkage) {
  const TwoExtracts x = MakeExtracts();
  // To deduplicate: 300 records of 200 people, 100 of them twice.
  std::vector<std::size_t> people(200);
  std::iota(people.begin(), people.end(), 0u);
  for (std::size_t i = 0; i < 100; ++i) people.push_back(i * 2);
  const EncodedDataset within = Records(MakePopulation(200, 11), people, "r", 5);
  for (bool dedupe : {false, true}) {
    for (solve::OneToOne one :
         {solve::OneToOne::kGreedy, solve::OneToOne::kMutual, solve::OneToOne::kNone}) {
      for (double threshold : {0.2, 0.5}) {
        LinkOptions options = FsLinkOptions(1);
        options.candidates.top_k = 0;
        options.candidates.threshold = threshold;
        options.deduplicate = dedupe;
        options.one_to_one = one;
        const EncodedDataset& a = dedupe ? within : x.a;
        const EncodedDataset& b = dedupe ? within : x.b;
        LinkReport held_report;
        auto held = Link(a, b, options, &held_report);
        ASSERT_TRUE(held.ok()) << held.status();
        ASSERT_GT(held->pairs.size(), 20u);
        EXPECT_EQ(held_report.stream_passes, 0);
        for (int threads : {1, 2}) {
          for (std::uint64_t batch : {std::uint64_t{0}, std::uint64_t{2000}}) {
            options.candidates.threads = threads;
            options.always_stream = true;
            options.stream_batch_pairs = batch;
            LinkReport report;
            auto streamed = Link(a, b, options, &report);
            options.always_stream = false;
            options.stream_batch_pairs = 0;
            const std::string what =
                StrCat(dedupe ? "dedupe " : "", solve::OneToOneName(one), " t ", threshold,
                       " threads ", threads, " batch ", batch);
            ASSERT_TRUE(streamed.ok()) << streamed.status() << " " << what;
            EXPECT_GE(report.stream_passes, 2) << what;
            EXPECT_EQ(report.candidates.candidates, held_report.candidates.candidates) << what;
            EXPECT_EQ(report.matches, held_report.matches) << what;
            ExpectSameLinkage(*held, *streamed, what);
          }
        }
      }
    }
  }
  // A given model, and EM over the candidates alone.
  auto trained = Link(x.a, x.b, FsLinkOptions());
  ASSERT_TRUE(trained.ok());
  for (bool given : {true, false}) {
    LinkOptions options = FsLinkOptions();
    options.candidates.top_k = 0;
    options.candidates.threshold = 0.4;
    if (given) {
      options.fs.model = trained->model;
    } else {
      options.fs.all_pairs = false;
    }
    auto held = Link(x.a, x.b, options);
    options.always_stream = true;
    options.stream_batch_pairs = 5000;
    auto streamed = Link(x.a, x.b, options);
    ASSERT_TRUE(held.ok() && streamed.ok());
    ExpectSameLinkage(*held, *streamed, given ? "given model" : "candidates alone");
  }
}

TEST(FellegiSunterLinkTest, StreamingLooksAgainWhenARecordsBestPartnersAreAllMatched) {
  // A household of forty sharing a family name and a postcode: 39 of them are in both extracts
  // (and matched), the last only in A. Its most probable candidates (more than the streamed
  // link keeps per record) are the others, all matched, so the missed matches need its other
  // candidates: a third search.
  Population population = MakePopulation(450, 7);
  constexpr std::size_t kHousehold = link_internal::kStreamBest + 8;
  for (std::size_t i = 1; i < kHousehold; ++i) {
    population.values[i][1] = population.values[0][1];
    population.values[i][3] = population.values[0][3];
  }
  std::vector<std::size_t> in_a(300), in_b(300);
  std::iota(in_a.begin(), in_a.end(), 0u);
  std::iota(in_b.begin(), in_b.end(), 150u);
  for (std::size_t i = 0; i + 1 < kHousehold; ++i) in_b[i] = i;
  const EncodedDataset a = Records(population, in_a, "a", 1);
  const EncodedDataset b = Records(population, in_b, "b", 2);
  for (int threads : {1, 2}) {
    LinkOptions options = FsLinkOptions(threads);
    options.candidates.top_k = 0;
    options.candidates.threshold = 0.2;
    auto held = Link(a, b, options);
    ASSERT_TRUE(held.ok()) << held.status();
    options.always_stream = true;
    LinkReport report;
    auto streamed = Link(a, b, options, &report);
    ASSERT_TRUE(streamed.ok()) << streamed.status();
    EXPECT_EQ(report.stream_passes, 3);
    ExpectSameLinkage(*held, *streamed, StrCat("household, threads ", threads));
  }
}

TEST(FellegiSunterLinkTest, StreamsWhenTheCandidatesDoNotFitTheMemoryLimit) {
  const TwoExtracts x = MakeExtracts();
  LinkOptions options = FsLinkOptions();
  options.candidates.top_k = 0;
  options.candidates.threshold = 0.05;  // nearly every pair: the candidates outweigh the rest
  auto held = Link(x.a, x.b, options);
  ASSERT_TRUE(held.ok());
  const MemoryEstimate estimate = EstimateMemory(x.a, x.b, options);
  ASSERT_GT(estimate.stream_batch_pairs, 0u);
  // Just below the estimate with the candidates held: streamed, with the same result.
  options.max_memory = estimate.total() - 1;
  const MemoryEstimate limited = EstimateMemory(x.a, x.b, options);
  ASSERT_LT(limited.stream_total(held->pairs.size() * 4), options.max_memory)
      << limited.datasets << " " << limited.search << " " << limited.stream_buffers << " "
      << estimate.total();
  LinkReport report;
  auto streamed = Link(x.a, x.b, options, &report);
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  EXPECT_GE(report.stream_passes, 2);
  EXPECT_THAT(report.stream_reason, ::testing::HasSubstr("would not fit the memory limit"));
  ExpectSameLinkage(*held, *streamed, "limited");
  // Not even streamed: refused before the search, saying so.
  options.max_memory = estimate.datasets + estimate.search;
  EXPECT_THAT(Link(x.a, x.b, options),
              StatusIs(StatusCode::kResourceExhausted, "before the accepted pairs"));
  // The accepted pairs alone would not fit: refused once the model says how many they are.
  const MemoryEstimate tight = EstimateMemory(x.a, x.b, options);
  options.max_memory = tight.stream_total(2);
  ASSERT_LT(tight.stream_total(2), limited.stream_total(held->pairs.size()));
  EXPECT_THAT(Link(x.a, x.b, options),
              StatusIs(StatusCode::kResourceExhausted, "more than the memory limit allows"));
  // Dice cannot stream: refused as before.
  options.method = Method::kDice;
  options.max_memory = limited.stream_total(held->pairs.size() * 4);
  EXPECT_THAT(Link(x.a, x.b, options),
              StatusIs(StatusCode::kResourceExhausted, "linking would need about"));
}

}  // namespace
}  // namespace bloomlink::link
