// The self-attack on synthetic extracts: it must work on unhardened encodings (so that it can
// fail a schema), give the same figures whatever the thread count, and refuse bad options.
#include "bloomlink/audit/audit.hpp"

#include <cmath>

#include "audit/internal.hpp"
#include "bloomlink/synth/synth.hpp"
#include "nlohmann/json.hpp"
#include "test_support.hpp"

namespace bloomlink::audit {
namespace {

using ::bloomlink::testing::StatusIs;
using ::bloomlink::testing::TempDir;

// The starter schema with a field-level filter on every field (docs/schema.md): unhardened.
constexpr char kSchema[] = R"({
  "bloomlink_schema": 1,
  "filter": {"bits": 1024},
  "fields": [
    {"name": "nhs_number", "type": "nhs_number", "field_filter": {"bits": 128, "per_token": 8}},
    {"name": "given_name", "type": "name", "field_filter": {"bits": 256, "per_token": 8}},
    {"name": "family_name", "type": "name", "field_filter": {"bits": 256, "per_token": 8}},
    {"name": "date_of_birth", "type": "date", "field_filter": {"bits": 128, "per_token": 8}},
    {"name": "sex", "type": "sex", "field_filter": {"bits": 64, "per_token": 8}},
    {"name": "postcode", "type": "postcode", "field_filter": {"bits": 256, "per_token": 8}}
  ]
})";

constexpr char kSecret[] = "a secret for the audit tests, long enough";

// Extract: a synthetic trust extract held in memory, as RunAudit takes it.
struct Extract {
  std::vector<std::string> storage;
  std::vector<std::string_view> ids, values;
};

Extract MakeExtract(std::uint64_t records, std::uint64_t seed) {
  synth::SynthOptions options;
  options.records = records;
  options.seed = seed;
  auto gen = synth::SynthGenerator::Create(options);
  EXPECT_TRUE(gen.ok());
  Extract e;
  e.storage.reserve(records * 7);
  synth::SynthRecord r;
  for (std::uint64_t row = 0; row < records; ++row) {
    gen->TrustRecord(row, &r, nullptr);
    for (std::string* s : {&r.id, &r.nhs_number, &r.given_name, &r.family_name, &r.date_of_birth,
                           &r.sex, &r.postcode}) {
      e.storage.push_back(*s);
    }
  }
  for (std::size_t i = 0; i < e.storage.size(); ++i) {
    (i % 7 == 0 ? e.ids : e.values).push_back(e.storage[i]);
  }
  return e;
}

LinkageSchema Schema() {
  auto schema = ParseSchema(kSchema, "schema");
  EXPECT_TRUE(schema.ok()) << schema.status();
  return *schema;
}

encode::Secret Secret() { return *encode::Secret::FromBytes(kSecret, "test"); }

const PatternMiningResult& Mining(const AuditReport& report, std::string_view field,
                                  std::string_view target) {
  for (const PatternMiningResult& r : report.pattern_mining) {
    if (r.field == field && r.target == target) return r;
  }
  ADD_FAILURE() << "no pattern-mining result for " << field << " " << target;
  static PatternMiningResult none;
  return none;
}

// JsonWithoutTimings: the report's JSON without its timings (they alone may differ).
std::string JsonWithoutTimings(const AuditReport& report, bool drop_source = false) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(AuditReportJson(report));
  j.erase("timings");
  if (drop_source) j.erase("source");
  return j.dump(1);
}

class AuditTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    extract_ = new Extract(MakeExtract(20000, 77));
    AuditOptions options;
    options.sample = 20000;
    options.threads = 2;
    auto report = RunAudit(extract_->ids, extract_->values, Schema(), Secret(), options);
    ASSERT_TRUE(report.ok()) << report.status();
    report_ = new AuditReport(*std::move(report));
  }
  static void TearDownTestSuite() {
    delete report_;
    delete extract_;
  }
  static Extract* extract_;
  static AuditReport* report_;
};
Extract* AuditTest::extract_ = nullptr;
AuditReport* AuditTest::report_ = nullptr;

// A CLK of the starter schema's two name fields (200 bits each): the attack must work there.
constexpr char kNamesSchema[] = R"({
  "bloomlink_schema": 1,
  "filter": {"bits": 1024},
  "fields": [
    {"name": "given_name", "type": "name"},
    {"name": "family_name", "type": "name"}
  ]
})";

TEST_F(AuditTest, PatternMiningWorksOnUnhardenedNameClks) {
  auto schema = ParseSchema(kNamesSchema, "names");
  ASSERT_TRUE(schema.ok()) << schema.status();
  // The name columns of the extract only.
  std::vector<std::string_view> values;
  for (std::size_t r = 0; r < extract_->ids.size(); ++r) {
    values.push_back(extract_->values[r * 6 + 1]);
    values.push_back(extract_->values[r * 6 + 2]);
  }
  AuditOptions options;
  options.sample = 20000;
  auto report = RunAudit(extract_->ids, values, *schema, Secret(), options);
  ASSERT_TRUE(report.ok()) << report.status();
  const PatternMiningResult& given = Mining(*report, "given_name", "CLK");
  EXPECT_GE(given.qgrams.size(), 5u);
  EXPECT_GE(given.position_precision, 0.8);
  EXPECT_GT(given.one_to_one_share, 0.01);
  EXPECT_GE(given.within_guesses, given.one_to_one);
  EXPECT_GT(given.records, 19000u);
  const PatternMiningResult& family = Mining(*report, "family_name", "CLK");
  EXPECT_GE(family.qgrams.size(), 5u);
  EXPECT_GT(family.one_to_one_share, 0.005);
  EXPECT_EQ(report->pattern_mining_verdict, Verdict::kWarn);
}

TEST_F(AuditTest, StarterClksAreAttackedToo) {
  // Every field mixed into one CLK: the attack is run and reported (it finds much less there,
  // docs/security.md), and the verdict still follows the field filters' results.
  for (const char* field : {"given_name", "family_name"}) {
    const PatternMiningResult& m = Mining(*report_, field, "CLK");
    EXPECT_GT(m.partitions, 0u) << field;
    EXPECT_GT(m.records, 19000u) << field;
  }
  EXPECT_EQ(report_->pattern_mining_verdict, Verdict::kWarn);
}

TEST_F(AuditTest, PatternMiningWorksOnFieldFiltersToo) {
  for (const char* field : {"given_name", "family_name"}) {
    const PatternMiningResult& m = Mining(*report_, field, "field filter");
    SCOPED_TRACE(field);
    EXPECT_GE(m.position_precision, 0.8);
    EXPECT_GT(m.one_to_one_share, 0.005);
    EXPECT_GT(m.within_guesses_share, 0.05);
  }
  EXPECT_GT(Mining(*report_, "given_name", "field filter").one_to_one_share, 0.05);
  ASSERT_EQ(report_->names.size(), 2u);
  for (const NameReidentification& n : report_->names) {
    EXPECT_EQ(n.fields, (std::vector<std::string>{"given_name", "family_name"}));
    EXPECT_GE(n.one_to_one, std::max(Mining(*report_, "given_name", n.target).one_to_one,
                                     Mining(*report_, "family_name", n.target).one_to_one));
  }
}

TEST_F(AuditTest, FrequencyAttackReidentifiesGivenNamesFromFieldFilters) {
  const AuditReport& r = *report_;
  bool given = false, sex = false;
  for (const FrequencyAttackResult& f : r.frequency) {
    if (f.field == "given_name") {
      given = true;
      EXPECT_TRUE(f.scored);
      EXPECT_GT(f.share, 0.2) << f.reidentified << " of " << f.records;
      EXPECT_EQ(f.verdict, Verdict::kWarn);
      EXPECT_NE(f.attacker.find("own frequencies"), std::string::npos);
    }
    if (f.field == "sex") {
      sex = true;
      EXPECT_FALSE(f.scored);
      EXPECT_EQ(f.verdict, Verdict::kNotScored);
      EXPECT_NE(f.note.find("few values"), std::string::npos);
    }
    if (f.field == "nhs_number") {
      EXPECT_EQ(f.reidentified, 0u);  // every value unique
    }
  }
  EXPECT_TRUE(given);
  EXPECT_TRUE(sex);
  EXPECT_EQ(r.frequency_verdict, Verdict::kWarn);
}

TEST_F(AuditTest, LeakageAndGraphProxyFigures) {
  const AuditReport& r = *report_;
  ASSERT_EQ(r.leakage.size(), 7u);  // the CLK and six field filters
  EXPECT_EQ(r.leakage[0].target, "CLK");
  EXPECT_EQ(r.leakage[0].records, 20000u);
  EXPECT_EQ(r.leakage[0].duplicated, 0u);  // NHS numbers make every CLK unique
  for (const LeakageResult& l : r.leakage) {
    if (l.field == "sex") {
      EXPECT_GT(l.largest_class_share, 0.4);  // two values
    }
    if (l.field == "given_name") {
      EXPECT_GT(l.duplicate_share, 0.9);  // a name's filter is a pseudonym of the name
      EXPECT_GT(l.popcount_length_correlation, 0.8);
    }
  }
  EXPECT_EQ(r.leakage_verdict, Verdict::kWarn);
  EXPECT_EQ(r.graph.pairs, kDefaultGraphPairs);
  EXPECT_GT(r.graph.r2, 0.5);
  EXPECT_FALSE(std::isnan(r.graph.mae));
  // Nothing of the extract's own values in the report: no id, no NHS number, no postcode.
  const std::string json = AuditReportJson(r);
  for (std::size_t i = 0; i < 200; ++i) {
    ASSERT_EQ(json.find(std::string(extract_->ids[i])), std::string::npos);
    for (std::size_t field : {0, 3, 5}) {  // NHS number, date of birth, postcode
      const std::string value(extract_->values[i * 6 + field]);
      if (!value.empty()) {
        ASSERT_EQ(json.find(value), std::string::npos) << value;
      }
    }
  }
  EXPECT_EQ(json.find(kSecret), std::string::npos);
  EXPECT_FALSE(AuditTable(r).empty());
}

TEST(AuditDeterminismTest, SameJsonWhateverTheThreadCount) {
  Extract e = MakeExtract(6000, 9);
  std::string json[2];
  for (int threads : {1, 2}) {
    AuditOptions options;
    options.threads = threads;
    options.sample = 4000;
    auto report = RunAudit(e.ids, e.values, Schema(), Secret(), options);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->timings.threads, threads);
    json[threads - 1] = JsonWithoutTimings(*report);
  }
  EXPECT_EQ(json[0], json[1]);
}

TEST(AuditCsvTest, TheCsvAndInMemoryPathsGiveTheSameFigures) {
  TempDir dir;
  synth::SynthOptions so;
  so.records = 3000;
  so.seed = 4;
  ASSERT_TRUE(synth::WriteSynthExtracts(so, dir.path().string()).ok());
  AuditOptions options;
  options.sample = 2000;
  auto from_csv = AuditCsv(dir.file("trust.csv"), Schema(), Secret(), options);
  ASSERT_TRUE(from_csv.ok()) << from_csv.status();
  EXPECT_EQ(from_csv->source, dir.file("trust.csv"));
  Extract e = MakeExtract(3000, 4);
  auto in_memory = RunAudit(e.ids, e.values, Schema(), Secret(), options, "DataFrame");
  ASSERT_TRUE(in_memory.ok()) << in_memory.status();
  EXPECT_EQ(JsonWithoutTimings(*from_csv, true), JsonWithoutTimings(*in_memory, true));
}

TEST(AuditOptionsTest, BadOptionsAreRefused) {
  Extract e = MakeExtract(100, 1);
  AuditOptions options;
  options.references.push_back({"surname", {"s.csv", {{"SMITH", 1}}}});
  EXPECT_THAT(RunAudit(e.ids, e.values, Schema(), Secret(), options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "reference for surname: the schema has no such field"));
  options.references = {{"", {"a.csv", {{"SMITH", 1}}}}, {"", {"b.csv", {{"JONES", 1}}}}};
  EXPECT_THAT(RunAudit(e.ids, e.values, Schema(), Secret(), options),
              StatusIs(absl::StatusCode::kInvalidArgument, "two references for every name field"));
  options.references.clear();
  options.sample = 0;
  EXPECT_THAT(RunAudit(e.ids, e.values, Schema(), Secret(), options),
              StatusIs(absl::StatusCode::kInvalidArgument, "sample"));
  options.sample = 10;
  options.threads = -1;
  EXPECT_THAT(RunAudit(e.ids, e.values, Schema(), Secret(), options),
              StatusIs(absl::StatusCode::kInvalidArgument, ""));
}

TEST(AuditReferenceTest, AUserReferenceIsUsedAndNamedAndFeedsTheFrequencyAttack) {
  Extract e = MakeExtract(2000, 3);
  AuditOptions options;
  // A reference that knows one family name only: the attack has little to go on.
  options.references.push_back({"family_name", {"tiny.csv", {{"SMITH", 100}}}});
  auto report = RunAudit(e.ids, e.values, Schema(), Secret(), options);
  ASSERT_TRUE(report.ok()) << report.status();
  const PatternMiningResult& m = Mining(*report, "family_name", "CLK");
  EXPECT_EQ(m.reference, "tiny.csv");
  EXPECT_EQ(m.reference_values, 1u);
  EXPECT_LE(m.one_to_one_share, 0.05);
  for (const FrequencyAttackResult& f : report->frequency) {
    if (f.field == "family_name") {
      EXPECT_EQ(f.attacker, "reference tiny.csv");
    }
  }
  // The other name field, without a reference of its own, was attacked with the synthetic
  // tables, and the report says so.
  bool warned = false;
  for (const std::string& w : report->warnings) warned |= w.find("given_name") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(AttackOnRandomBitsTest, FindsNoOneInFiltersThatHoldNoPattern) {
  // Random filters carry no q-gram: whatever positions the attack claims, none is correct and
  // nobody is re-identified.
  Extract e = MakeExtract(3000, 5);
  LinkageSchema schema = Schema();
  auto plain_enc = encode::Encoder::Create(schema, Secret(), {.threads = 1});
  ASSERT_TRUE(plain_enc.ok());
  double seconds = 0;
  auto plain = audit_internal::PlaintextFromRecords(e.ids, e.values, *plain_enc, "records", nullptr,
                                                    &seconds);
  ASSERT_TRUE(plain.ok()) << plain.status();
  BitMatrix random(plain->dataset.size(), 1024);
  std::uint64_t x = 12345;
  for (std::size_t r = 0; r < random.rows(); ++r) {
    for (std::size_t w = 0; w < random.words_per_row(); ++w) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      random.row_words(r)[w] = x ^ (x >> 29);
    }
  }
  random.UpdatePopcounts();
  auto names = SyntheticNameReferences(20000);
  ASSERT_TRUE(names.ok());
  auto ref = audit_internal::CleanReference(names->given, schema.fields[1]);
  ASSERT_TRUE(ref.ok());
  std::vector<std::uint32_t> rows;
  for (std::uint32_t r = 0; r < random.rows(); ++r) {
    if (plain->fields[1].value[r] != 0) rows.push_back(r);
  }
  auto kernel = match::Kernels();
  ASSERT_TRUE(kernel.ok());
  PatternMiningSettings settings;
  auto outcome = audit_internal::MineBitPatterns(**kernel, random, rows, *ref, settings, 2);
  auto ev = audit_internal::EvaluateAttack(**kernel, random, rows, plain->fields[1],
                                           schema.fields[1], *ref, outcome, settings, 2);
  EXPECT_EQ(ev.correct_positions, 0u);
  EXPECT_EQ(ev.one_to_one, 0u);
}

}  // namespace
}  // namespace bloomlink::audit
