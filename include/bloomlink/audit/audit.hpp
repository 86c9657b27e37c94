// bloomlink/audit/audit.hpp
//
// RunAudit: the data holder attacks its own encodings before they leave the building. It holds
// the plaintext and the secret, so it can encode an extract exactly as `bloomlink encode` does
// (the Encoder, with whatever the schema asks for) and then measure what an attacker without the
// key could learn from the encodings, checking every guess against the plaintext:
//
//  1. leakage of the encodings alone (CLK and each field-level filter): records whose encoding
//     equals another's, the largest class of equal encodings, bit columns whose fill is far
//     from the mean fill, and how much the popcount tells of the values' length;
//  2. a pattern-mining attack in the manner of Christen et al. (2018): with a public frequency
//     list of a name field's values (audit/reference.hpp), find which bit positions each
//     frequent q-gram sets, by recursive partitioning of a sample of records, then re-identify
//     names from the positions found; on the CLK and on the field's field-level filter;
//  3. a frequency attack on field-level filters: align the ranks of the filters' counts with the
//     ranks of the values' frequencies;
//  4. a graph-matching exposure proxy: how well the Dice similarity of CLKs follows the Dice
//     similarity of the plaintext q-gram sets (what a graph-matching attacker with overlapping
//     plaintext exploits).
//
// Each gets a verdict, PASS or WARN (docs/security.md, "The self-attack: bloomlink audit",
// defines every figure and rule). The report holds counts, shares, q-grams and settings; never a
// record id, a value of the extract or the secret.
//
//   audit::AuditOptions options;
//   options.sample = 100000;
//   absl::StatusOr<audit::AuditReport> report =
//       audit::AuditCsv("trust.csv", schema, secret, options);
//   if (!report.ok()) return report.status();
//   for (const audit::AuditTableRow& row : audit::AuditTable(*report)) print(row);
//   std::string json = audit::AuditReportJson(*report);
//
// Results do not depend on the thread count (only the timings do).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/audit/reference.hpp"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/io/csv.hpp"
#include "bloomlink/schema.hpp"

namespace bloomlink::audit {

// FieldReference: a reference table for one field, or (field empty) for every field of type
// `name`. A table for a field that is not of type name makes the pattern-mining attack attack
// that field too.
struct FieldReference {
  std::string field;
  ReferenceTable table;
};

// PatternMiningSettings: the attack's rules (docs/security.md defines them). The defaults are the
// documented audit; they are options for experiments.
struct PatternMiningSettings {
  int max_depth = 12;                // splits on the longest path from the sample
  std::uint64_t min_partition = 50;  // a partition of fewer records is not split
  std::uint64_t min_expected = 20;   // a q-gram expected in fewer records is not sought
  double max_share = 0.95;           // nor one expected in more than this share of them
  int seed_candidates = 64;          // columns examined for partners per q-gram and partition
  int seeds = 12;                    // start columns tried per q-gram and partition
  int qgrams_per_partition = 3;      // q-grams tried per partition before giving up
  int lookahead_depth = 12;          // partitions above this depth confirm a clique one
                                     // level down
  double support_factor = 2.0;       // accepted support: within this factor of expected
  double global_factor = 1.5;        // and in the whole sample, within this factor
  double partner_factor = 1.2;       // partners: implied shared share within this factor
  double closure_share = 0.99;       // a position: set in this share of the q-gram's records
  double consistency_factor = 1.5;   // final positions: counts agree with the reference's
  int max_guesses = 10;              // "within N guesses"
};

// kDefaultSample, kDefaultGraphPairs, kFrequencyRanks: the audit's default sizes.
inline constexpr std::uint64_t kDefaultSample = 100'000;
inline constexpr std::uint64_t kDefaultGraphPairs = 20'000;
inline constexpr std::size_t kFrequencyRanks = 100;
// kFewValues: a field with fewer distinct values than this is not scored by the frequency attack.
inline constexpr std::uint64_t kFewValues = 20;
// kDefaultAuditSeed: the seed of the sample and of the graph proxy's pairs.
inline constexpr std::uint64_t kDefaultAuditSeed = 0xA0D17;

struct AuditOptions {
  // sample: records the pattern-mining attack and the graph proxy use (at least 1): the records
  // whose keyed hash of the id (under `seed`) is smallest, so that the same extract gives the
  // same sample whatever its row order.
  std::uint64_t sample = kDefaultSample;
  std::uint64_t seed = kDefaultAuditSeed;
  // threads: 0 uses every core; at most kMaxThreads (bloomlink/threads.hpp).
  int threads = 0;
  // references: at most one per field, and at most one for every name field (field empty); a
  // field's own table wins over the one for every name field. Name fields without any use the
  // synthetic name tables.
  std::vector<FieldReference> references;
  std::uint64_t graph_pairs = kDefaultGraphPairs;
  PatternMiningSettings mining;
  // cancelled: polled between stages and batches on the calling thread; true stops with
  // Cancelled.
  std::function<bool()> cancelled = nullptr;
};

enum class Verdict { kPass, kWarn, kNotScored };
// VerdictName: "PASS", "WARN", "not scored".
std::string_view VerdictName(Verdict verdict);

// LeakageResult: figures of one kind of encoding (the CLK, or one field's field-level filters).
struct LeakageResult {
  std::string target;  // "CLK" or "field filter"
  std::string field;   // the field of a field-level filter; empty for the CLK
  std::uint32_t bits = 0;
  // records: the CLK's every encoded record; a field filter's records with the field present.
  std::uint64_t records = 0;
  std::uint64_t duplicated = 0;  // records whose encoding equals another record's
  double duplicate_share = 0;
  std::uint64_t largest_class = 0;  // records sharing the most common encoding
  double largest_class_share = 0;
  double mean_fill = 0;  // mean share of records with a bit set, over the columns
  // far_columns: columns whose fill differs from the mean by more than 0.25 and by more than
  // five binomial standard deviations (sqrt(mean (1 - mean) / records)); with their fill.
  std::vector<std::uint32_t> far_columns;
  std::vector<double> far_column_fill;
  // popcount_length_correlation: Pearson's r of the popcount with the length (code points) of
  // the record's clean values (all fields for the CLK; the field's for a field filter); NaN
  // when either is constant.
  double popcount_length_correlation = 0;
  Verdict verdict = Verdict::kPass;
  std::vector<std::string> reasons;  // why WARN
};

// AttributedQgram: a q-gram whose bit positions the attack claims to have found.
struct AttributedQgram {
  std::string qgram;
  std::vector<std::uint32_t> positions;
  std::uint32_t correct_positions = 0;  // by the plaintext check (docs/security.md)
  std::uint64_t partition = 0;          // records of the partition it was found in
  double expected_share = 0;            // its share there by the reference
  std::uint64_t support = 0;            // records there with every position set
};

// PatternMiningResult: the attack on one field, through one kind of encoding.
struct PatternMiningResult {
  std::string field;
  std::string target;                  // "CLK" or "field filter"
  std::string reference;               // the reference table's source
  std::uint64_t reference_values = 0;  // distinct clean values of the reference
  std::uint64_t records = 0;           // sample records with the field present
  std::uint64_t partitions = 0;        // partitions examined
  std::vector<AttributedQgram> qgrams;
  std::uint64_t positions = 0, correct_positions = 0;
  double position_precision = 0;  // correct / positions; NaN when nothing was attributed
  std::uint64_t one_to_one = 0, within_guesses = 0;  // records re-identified
  double one_to_one_share = 0, within_guesses_share = 0;
};

// NameReidentification: records with any attacked name field re-identified, per kind of encoding.
struct NameReidentification {
  std::string target;
  std::vector<std::string> fields;
  std::uint64_t records = 0;  // sample records with at least one of the fields present
  std::uint64_t one_to_one = 0, within_guesses = 0;
  double one_to_one_share = 0, within_guesses_share = 0;
};

// FrequencyAttackResult: the frequency attack on one field's field-level filters.
struct FrequencyAttackResult {
  std::string field;
  bool scored = true;
  std::string note;                   // why not scored
  std::string attacker;               // "reference <source>" or "the extract's own frequencies"
  std::uint64_t records = 0;          // records with the field present
  std::uint64_t distinct_values = 0;  // distinct clean values among them
  std::uint64_t distinct_filters = 0;
  std::uint64_t aligned_ranks = 0;
  std::uint64_t reidentified = 0;
  double share = 0;
  Verdict verdict = Verdict::kPass;
};

struct GraphProxyResult {
  std::uint64_t pairs = 0, random_pairs = 0, similar_pairs = 0;
  double slope = 0, intercept = 0;
  double r2 = 0;   // NaN with fewer than 3 pairs or no spread
  double mae = 0;  // mean absolute error of the line
  Verdict verdict = Verdict::kPass;
};

struct AuditTimings {
  int threads = 0;
  double encode = 0, clean = 0, leakage = 0, pattern_mining = 0, frequency = 0, graph = 0,
         total = 0;  // seconds
};

struct AuditReport {
  std::string source;              // the input file, or the source name given to RunAudit
  std::string schema_fingerprint;  // hex
  std::uint64_t records_read = 0, records_encoded = 0, records_skipped = 0;
  std::uint64_t sample_requested = 0, sample = 0;
  std::uint64_t seed = 0;
  std::uint64_t graph_pairs_requested = 0;
  PatternMiningSettings mining;
  std::vector<LeakageResult> leakage;
  Verdict leakage_verdict = Verdict::kPass;
  std::vector<PatternMiningResult> pattern_mining;
  std::vector<NameReidentification> names;
  Verdict pattern_mining_verdict = Verdict::kNotScored;
  std::vector<FrequencyAttackResult> frequency;
  Verdict frequency_verdict = Verdict::kNotScored;
  GraphProxyResult graph;
  AuditTimings timings;
  std::vector<std::string> warnings;  // e.g. a name field attacked with the synthetic tables
};

// RunAudit(ids, values, schema, secret, options, source): records held in memory, as
// encode::EncodeRecords takes them (values: ids.size() x schema fields raw values, row-major;
// values of ignored fields are not read). Errors: EncodeRecords' (naming `source` and the
// record), InvalidArgument for bad options (naming the option or field), Cancelled.
absl::StatusOr<AuditReport> RunAudit(std::span<const std::string_view> ids,
                                     std::span<const std::string_view> values,
                                     const LinkageSchema& schema, const encode::Secret& secret,
                                     const AuditOptions& options,
                                     std::string_view source = "records");

// CsvAuditOptions: how AuditCsv reads the extract (as encode::EncodeCsv does).
struct CsvAuditOptions {
  std::string id_column = "id";
  io::CsvOptions csv = {};
};

// AuditCsv(path, schema, secret, options, csv): a CSV extract, encoded by encode::EncodeCsv
// (its errors name the file and line) and read a second time for the clean values.
absl::StatusOr<AuditReport> AuditCsv(const std::string& path, const LinkageSchema& schema,
                                     const encode::Secret& secret, const AuditOptions& options,
                                     const CsvAuditOptions& csv = {});

// AuditTableRow: one line of the human summary: attack, target, measure, value, verdict.
struct AuditTableRow {
  std::string attack, target, measure, value, verdict;
};
// AuditTable(report): the rows `bloomlink audit` prints (and Python's table()).
std::vector<AuditTableRow> AuditTable(const AuditReport& report);

// AuditReportJson(report): every figure, verdict, setting and timing as JSON (docs/cli.md).
// Equal reports give equal text; NaN is written as null.
std::string AuditReportJson(const AuditReport& report);

}  // namespace bloomlink::audit
