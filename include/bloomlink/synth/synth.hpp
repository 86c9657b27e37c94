// bloomlink/synth/synth.hpp
//
// Synthetic UK-style person records for demos, tests and benchmarks: a hospital trust's extract
// and a council's extract of overlapping populations, with known true matches and realistic
// disagreements (typos, nicknames, swapped day/month, moved postcodes, missing values), generated
// deterministically from a seed. Valid NHS numbers (Modulus 11 check digit) and UK-pattern
// postcodes; name lists written for this project. No real persons.
//
// Columns of both extracts: id, nhs_number, given_name, family_name, date_of_birth, sex, postcode
// (the starter schema's columns). The truth file has columns id_a,id_b (trust id, council id).
//
//   synth::SynthOptions options;
//   options.records = 5000;
//   options.seed = 42;
//   BLOOMLINK_ASSIGN_OR_RETURN(synth::SynthSummary summary,
//                              synth::WriteSynthExtracts(options, "demo-data"));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bloomlink::synth {

struct SynthOptions {
  // records: persons in the trust extract. The council extract has about as many, of whom
  // `overlap` are also in the trust extract.
  std::uint64_t records = 5000;
  std::uint64_t seed = 1;
  double overlap = 0.6;
  // corruption: scales how often a shared person's council record disagrees with the trust's.
  double corruption = 1.0;
};

// SynthRecord: one row of an extract (all fields as they appear in the CSV).
struct SynthRecord {
  std::string id, nhs_number, given_name, family_name, date_of_birth, sex, postcode;
};

// SynthGenerator yields the two extracts record by record (constant memory, any size).
class SynthGenerator {
 public:
  explicit SynthGenerator(const SynthOptions& options);
  // Next(trust, council, trust_present, council_present): the next person. Either or both
  // records may be present; when both are, they are a true match.
  void Next(SynthRecord& trust, bool& trust_present, SynthRecord& council, bool& council_present);
  bool done() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

struct SynthSummary {
  std::uint64_t trust_records = 0;
  std::uint64_t council_records = 0;
  std::uint64_t true_matches = 0;
  std::string trust_path, council_path, truth_path;
};

// WriteSynthExtracts(options, dir) writes dir/trust.csv, dir/council.csv and dir/truth.csv
// (atomically each). The folder is created if missing. Same options, same bytes.
absl::StatusOr<SynthSummary> WriteSynthExtracts(const SynthOptions& options, const std::string& dir);

}  // namespace bloomlink::synth
