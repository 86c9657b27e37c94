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
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bloomlink::synth {

// kSynthReferenceDate: the extract date that ages (0 to 100 years) are relative to. No date of
// birth is after it.
inline constexpr std::string_view kSynthReferenceDate = "2024-03-31";

// kMaxSynthRecords: the largest accepted SynthOptions::records.
inline constexpr std::uint64_t kMaxSynthRecords = 100'000'000;

struct SynthOptions {
  // records: persons in the trust extract (1 to kMaxSynthRecords). The council extract has as
  // many, of whom round(overlap * records) are also in the trust extract.
  std::uint64_t records = 5000;
  std::uint64_t seed = 1;
  // overlap: the fraction of council records that are true matches, in [0, 1].
  double overlap = 0.6;
  // corruption: scales how often records disagree (>= 0): 1.0 gives realistic rates, 0 gives
  // extracts whose shared persons are identical after cleaning (only the formats differ).
  double corruption = 1.0;
};

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

// WriteSynthExtracts(options, dir) writes dir/trust.csv, dir/council.csv and dir/truth.csv
// (atomically each, with a header row). The folder is created if missing. Same options, same
// bytes. Errors name the path; invalid options are InvalidArgument.
absl::StatusOr<SynthSummary> WriteSynthExtracts(const SynthOptions& options,
                                                const std::string& dir);

}  // namespace bloomlink::synth
