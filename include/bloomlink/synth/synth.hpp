// bloomlink/synth/synth.hpp
//
// Synthetic UK-style person records for demos, tests and benchmarks: a hospital trust's extract
// and a council's extract of overlapping populations, with known true matches and realistic
// disagreements (typos, nicknames, married names, swapped day/month, moved postcodes, missing
// values), generated deterministically from a seed. Valid NHS numbers (Modulus 11 check digit)
// and UK-pattern postcodes; name lists written for this project. No real persons.
//
// Columns of both extracts: id, nhs_number, given_name, family_name, date_of_birth, sex, postcode
// (the starter schema's columns). The two extracts format them differently, as real systems do:
//
//   trust.csv    T0000123,9434765919,MARGARET,O'BRIEN,1948-03-07,F,LS61AB
//   council.csv  C3fa9b2c1,943 476 5919,Peggy,O'Brien,07/03/1948,2,LS6 1AB
//
// (ISO dates and M/F/U in the trust's; DD/MM/YYYY dates and NHS data dictionary sex codes
// 1/2/0/9, mixed-case names and spaced postcodes in the council's.) The truth file has columns
// id_a,id_b (trust id, council id), one row per person present in both extracts. Neither the ids
// nor the row order reveal the pairing.
//
//   synth::SynthOptions options;
//   options.records = 5000;
//   options.seed = 42;
//   absl::StatusOr<synth::SynthSummary> summary = synth::WriteSynthExtracts(options, "demo-data");
//
// Output depends only on the options (never on the clock, the machine or the standard library):
// ages are relative to the fixed kSynthReferenceDate.
//
// Knobs for linkage-quality experiments (all optional; unset, the output is the built-in one):
//
//   options.overlap = 0.3;                  // 30% of the council's persons are in both extracts
//   options.exact_share = 2.0 / 3;          // two thirds of true pairs identical after cleaning
//   options.field_corruption[static_cast<std::size_t>(synth::SynthField::kDateOfBirth)] = 0.9;
//   options.missing = 0.05;                 // 5% of the values of every field empty, both extracts
//
// Corruption and missingness are separate: a corruption makes a value that is present on both
// sides disagree after cleaning (a typo, a nickname, a married name, a swapped day and month, a
// moved postcode, a mistyped NHS number); missingness leaves a value empty, in any record of
// either extract, whether or not the person is in both.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bloomlink::synth {

// kSynthReferenceDate: the extract date that ages (0 to 100 years) are relative to. No date of
// birth is after it.
inline constexpr std::string_view kSynthReferenceDate = "2024-03-31";

// kMaxSynthRecords: the largest accepted SynthOptions::records.
inline constexpr std::uint64_t kMaxSynthRecords = 100'000'000;

// SynthField: the identifier fields of the extracts (every column but id), in column order.
enum class SynthField { kNhsNumber, kGivenName, kFamilyName, kDateOfBirth, kSex, kPostcode };
inline constexpr std::size_t kSynthFieldCount = 6;

// SynthFieldName(field): its column name ("nhs_number", "given_name", "family_name",
// "date_of_birth", "sex", "postcode"). ParseSynthField reads those names; InvalidArgument
// (listing them) for any other.
std::string_view SynthFieldName(SynthField field);
absl::StatusOr<SynthField> ParseSynthField(std::string_view name);

// kSynthDefaultFieldCorruption[f]: about how often field f of a council record is corrupted at
// corruption 1 without the knobs below (measured on the built-in rates): the per-field rates
// that exact_share uses, times corruption, for fields without a field_corruption rate.
inline constexpr std::array<double, kSynthFieldCount> kSynthDefaultFieldCorruption = {
    0.005,  // nhs_number: a mistyped digit (the check digit catches it: invalid, not different)
    0.06,   // given_name: a nickname or other spelling, a typo
    0.043,  // family_name: a married name, a typo
    0.013,  // date_of_birth: day and month swapped, a day or year mistyped
    0.002,  // sex: recorded as the other sex
    0.09,   // postcode: moved house (mostly nearby), a mistyped inward code
};

// RecordsPerPerson: with SynthOptions::records_per_person, how many records each person has in
// the one file to deduplicate (uniformly from min to max).
struct RecordsPerPerson {
  std::uint32_t min = 3;
  std::uint32_t max = 20;
};
// kMaxRecordsPerPerson: the largest RecordsPerPerson::max accepted.
inline constexpr std::uint32_t kMaxRecordsPerPerson = 1000;

// kMaxSynthSources: the most extracts SynthOptions::sources may ask for.
inline constexpr std::uint32_t kMaxSynthSources = 16;

struct SynthOptions {
  // records: persons in the trust extract (1 to kMaxSynthRecords). The council extract has as
  // many, of whom round(overlap * records) are also in the trust extract.
  std::uint64_t records = 5000;
  std::uint64_t seed = 1;
  // overlap: the fraction of council records that are true matches, in [0, 1]. At 0 no person is
  // in both extracts and the truth file has a header only.
  double overlap = 0.6;
  // corruption: scales how often records disagree (>= 0): 1.0 gives realistic rates, 0 gives
  // extracts whose shared persons are identical after cleaning (only the formats differ). It
  // scales the built-in rates of every corruption and, unless `missing` is set, of missing
  // values; a field_corruption rate replaces it for its field.
  double corruption = 1.0;
  // exact_share: when set, in [0, 1]: the share of true pairs whose council record carries no
  // corruption (round(exact_share * true pairs) of them; the two records are then identical
  // after cleaning except where a value is missing, see `missing`). Every other council record
  // has at least one corrupted field: each field is corrupted with its rate (field_corruption,
  // else kSynthDefaultFieldCorruption times corruption), conditioned on at least one, so below
  // 1 some field's rate must be above 0. Unset, each field is corrupted independently: at
  // corruption 1 about 80% of true pairs happen to carry no corruption (and about 68% are
  // identical after cleaning; the others have a value missing on one side).
  std::optional<double> exact_share;
  // field_corruption[f] (indexed by SynthField): when set, in [0, 1], the probability that
  // field f of a council record is corrupted (in the records exact_share leaves corrupted, when
  // that is set), in place of the built-in rates times corruption. A corrupted field always
  // disagrees after cleaning where it can: sex only when known, a mistyped NHS number becomes
  // invalid (the check digit catches it), not another person's number.
  std::array<std::optional<double>, kSynthFieldCount> field_corruption{};
  // missing: when set, in [0, 1], the probability that a value is left empty, for every field
  // of every record of both extracts (a missing sex is "U" in the trust's extract, "0" or "9"
  // in the council's). Unset, built-in rates per field and extract (the council's NHS numbers
  // are missing most often, 12%) times corruption.
  std::optional<double> missing;
  // records_per_person: when set, one file to deduplicate (WriteSynthDedup) instead of two
  // extracts: `records` rows in all, of persons with min to max records each (the last person
  // takes the rows left, which may be fewer than min), in a random order. A quarter of the
  // records are written as the trust writes them, the others as the council does, each with its
  // own corruptions and missing values at the rates above (so two records of a person may both
  // be corrupted). overlap does not apply; exact_share cannot be combined with it.
  std::optional<RecordsPerPerson> records_per_person;
  // sources: when set (2 to kMaxSynthSources), N extracts of one population of `records`
  // persons (WriteSynthSources) instead of two. Each person is in each source with a
  // probability of the source's own (SynthSourceShare); the first source (the trust) holds each
  // person at most once and writes as the trust does (missing values only), the others as the
  // council does (with its corruptions), every second one of them (council, gp, ...) with some
  // persons recorded twice or three times. overlap does not apply; neither exact_share nor
  // records_per_person can be combined with it.
  std::optional<std::uint32_t> sources;
};

// SynthSourceName(s): the name of source s (0-based) of WriteSynthSources: trust, council,
// community, gp, hospice, mental_health, ambulance, care_home, then source9, source10, ...
std::string SynthSourceName(std::uint32_t s);
// SynthSourceShare(s): the probability that a person is in source s (0.3 to 0.7).
double SynthSourceShare(std::uint32_t s);

// ValidateSynthOptions(options) is InvalidArgument naming the offending option, else OK.
absl::Status ValidateSynthOptions(const SynthOptions& options);

// SynthRecord: one row of an extract (all fields as they appear in the CSV; a missing value is
// empty). No field contains a comma, a quote or a line break.
struct SynthRecord {
  std::string id, nhs_number, given_name, family_name, date_of_birth, sex, postcode;
};

// SynthGenerator produces any row of either extract on demand, in O(1) time and constant memory:
// iterate rows 0..trust_records()-1 and 0..council_records()-1 to stream extracts of any size.
// Each row depends only on the options and its row number, so rows may be produced in any order
// or from several threads (all methods are const). Reusing one SynthRecord across calls avoids
// allocations.
//
//   absl::StatusOr<synth::SynthGenerator> gen = synth::SynthGenerator::Create(options);
//   if (!gen.ok()) return gen.status();
//   synth::SynthRecord record;
//   std::string match;
//   for (std::uint64_t row = 0; row < gen->trust_records(); ++row) {
//     gen->TrustRecord(row, &record, &match);  // match: the council id, or empty
//   }
class SynthGenerator {
 public:
  // Create(options) validates the options (see ValidateSynthOptions).
  static absl::StatusOr<SynthGenerator> Create(const SynthOptions& options);

  const SynthOptions& options() const;
  std::uint64_t trust_records() const;
  std::uint64_t council_records() const;
  // true_matches(): persons in both extracts, round(overlap * records).
  std::uint64_t true_matches() const;

  // TrustRecord(row, record, match_id) writes trust row `row` (< trust_records()) to *record and,
  // when match_id is not null, the id of the same person's council row to *match_id (empty when
  // the person is not in the council extract).
  void TrustRecord(std::uint64_t row, SynthRecord* record, std::string* match_id) const;
  // CouncilRecord(row, record) writes council row `row` (< council_records()) to *record.
  void CouncilRecord(std::uint64_t row, SynthRecord* record) const;

  // With records_per_person (deduplication): persons() is the number of persons, and
  // DedupRecord(row, record) writes row `row` (< options().records) of the one file to *record
  // and returns its person (in [0, persons())). persons() is 0 otherwise.
  std::uint64_t persons() const;
  std::uint64_t DedupRecord(std::uint64_t row, SynthRecord* record) const;

 private:
  struct State;
  explicit SynthGenerator(std::shared_ptr<const State> state);
  std::shared_ptr<const State> state_;
};

struct SynthSummary {
  std::uint64_t trust_records = 0;
  std::uint64_t council_records = 0;
  std::uint64_t true_matches = 0;
  std::string trust_path, council_path, truth_path;
};

struct SynthDedupSummary {
  std::uint64_t records = 0;
  std::uint64_t persons = 0;
  std::uint64_t true_pairs = 0;  // pairs of records of one person
  std::string records_path, truth_path;
};

// WriteSynthDedup(options, dir) writes, for options with records_per_person, dir/records.csv
// (the trust's columns; ids R0000001, ... in row order, revealing nothing) and dir/truth.csv
// (id_a,id_b: every pair of records of one person, once, id_a the earlier row), atomically each.
// InvalidArgument without records_per_person; otherwise as WriteSynthExtracts.
absl::StatusOr<SynthDedupSummary> WriteSynthDedup(const SynthOptions& options,
                                                  const std::string& dir);

struct SynthSourcesSummary {
  std::uint64_t persons = 0;             // the population
  std::uint64_t persons_in_several = 0;  // persons with records in two sources or more
  std::vector<std::string> names, paths;
  std::vector<std::uint64_t> records;  // per source
  std::string truth_path;
};

// WriteSynthSources(options, dir) writes, for options with sources, one extract per source,
// dir/<name>.csv (the trust's columns; ids a letter of the source and a number, in a random
// order that reveals nothing), and dir/truth.csv with columns source,record_id,entity (every
// record once; entity the person, P0000001, ...), atomically each. InvalidArgument without
// sources; otherwise as WriteSynthExtracts.
absl::StatusOr<SynthSourcesSummary> WriteSynthSources(const SynthOptions& options,
                                                      const std::string& dir);

// WriteSynthExtracts(options, dir) writes dir/trust.csv, dir/council.csv and dir/truth.csv
// (atomically each, with a header row). The folder is created if missing. Same options, same
// bytes. Errors name the path; invalid options are InvalidArgument.
absl::StatusOr<SynthSummary> WriteSynthExtracts(const SynthOptions& options,
                                                const std::string& dir);

}  // namespace bloomlink::synth
