// bloomlink/audit/reference.hpp
//
// ReferenceTable: what an attacker without the key knows of a field: a public frequency list of
// its values (published name counts, such as the ONS's baby names and surname tables). The
// audit's pattern-mining attack derives the frequency of every q-gram from it, and its frequency
// attack on field-level filters aligns it with the filters' counts. Values are raw: the audit
// cleans them with the attacked field's own cleaner, as the data holder's values are cleaned.
//
//   absl::StatusOr<audit::ReferenceTable> surnames = audit::ReadReferenceCsv("surnames.csv");
//   if (!surnames.ok()) return surnames.status();
//   options.references.push_back({.field = "family_name", .table = *std::move(surnames)});
//
// Without a reference for a name field the audit uses the project's own synthetic name tables
// (SyntheticNameReferences): names the synth generator draws, counted over a synthetic
// population. A real attacker would use published frequencies; those tables are only a stand-in
// (docs/security.md, The self-attack).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace bloomlink::audit {

struct ReferenceTable {
  // source: where the table came from, for the report (a path, or a description).
  std::string source;
  // values: (raw value, count), in the table's order; a value may appear more than once (the
  // counts add up).
  std::vector<std::pair<std::string, std::uint64_t>> values;
};

// kMaxReferenceValues: the most rows a reference file may hold.
inline constexpr std::size_t kMaxReferenceValues = 10'000'000;

// ReadReferenceCsv(path): a CSV file (bloomlink/io/csv.hpp) whose header has the columns
// `value` and `count` (others are ignored); each row a value and its count, a whole number
// 0 .. 2^53. Errors name the file and line: a missing column (InvalidArgument listing the
// header), a count that is not a whole number (the value itself is never quoted), no rows, more
// than kMaxReferenceValues rows; NotFound / PermissionDenied when the file cannot be read.
absl::StatusOr<ReferenceTable> ReadReferenceCsv(const std::string& path);

// kSyntheticReferencePersons, kSyntheticReferenceSeed: the synthetic population the default
// references count names over (a seed no demo or test uses for its extracts).
inline constexpr std::uint64_t kSyntheticReferencePersons = 200'000;
inline constexpr std::uint64_t kSyntheticReferenceSeed = 0x5EEDA0D17;

// SyntheticNames: given names and family names of a synthetic population, with their counts.
struct SyntheticNames {
  ReferenceTable given, family;
};

// SyntheticNameReferences(persons, seed): the names of the synth generator's trust extract of
// `persons` records (bloomlink/synth/synth.hpp), counted; deterministic. InvalidArgument for a
// person count the generator refuses.
absl::StatusOr<SyntheticNames> SyntheticNameReferences(
    std::uint64_t persons = kSyntheticReferencePersons,
    std::uint64_t seed = kSyntheticReferenceSeed);

}  // namespace bloomlink::audit
