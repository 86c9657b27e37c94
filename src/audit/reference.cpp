// Reference tables: a reference CSV file, the synthetic name tables, and a table cleaned by the
// attacked field's cleaner.
#include "bloomlink/audit/reference.hpp"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "audit/internal.hpp"
#include "bloomlink/encode/clean.hpp"
#include "bloomlink/io/csv.hpp"
#include "bloomlink/synth/synth.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::audit {
namespace {

using internal::StrCat;

constexpr std::uint64_t kMaxCount = std::uint64_t{1} << 53;

// ParseCount(text): a whole number 0 .. 2^53, blanks around it allowed.
std::optional<std::uint64_t> ParseCount(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty() || text.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > kMaxCount) return std::nullopt;
  return v;
}

// Sorted(counts, source): a table ordered by count (highest first), then value.
ReferenceTable Sorted(const absl::flat_hash_map<std::string, std::uint64_t>& counts,
                      std::string source) {
  ReferenceTable table;
  table.source = std::move(source);
  table.values.assign(counts.begin(), counts.end());
  std::sort(table.values.begin(), table.values.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return table;
}

}  // namespace

absl::StatusOr<ReferenceTable> ReadReferenceCsv(const std::string& path) {
  BLOOMLINK_ASSIGN_OR_RETURN(io::CsvReader reader, io::CsvReader::Open(path));
  std::size_t columns[2];
  const char* names[2] = {"value", "count"};
  for (int k = 0; k < 2; ++k) {
    absl::StatusOr<std::size_t> column = reader.Column(names[k]);
    if (!column.ok()) {
      std::string message(column.status().message());
      const std::string prefix = reader.name() + ": ";
      if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
      return absl::InvalidArgumentError(
          StrCat(reader.name(), ":1: ", message,
                 " (a reference file has a header with the columns value and count)"));
    }
    columns[k] = *column;
  }
  ReferenceTable table;
  table.source = path;
  io::CsvRecord record;
  while (true) {
    BLOOMLINK_ASSIGN_OR_RETURN(const bool more, reader.Next(record));
    if (!more) break;
    const std::optional<std::uint64_t> count = ParseCount(record[columns[1]]);
    if (!count) {
      return absl::InvalidArgumentError(StrCat(reader.name(), ":", record.line(), ": column ",
                                               columns[1] + 1,
                                               " (count): expected a whole number from 0 to 2^53"));
    }
    if (table.values.size() == kMaxReferenceValues) {
      return absl::InvalidArgumentError(StrCat(reader.name(), ":", record.line(), ": more than ",
                                               kMaxReferenceValues,
                                               " rows (the most a reference file may hold)"));
    }
    table.values.emplace_back(std::string(record[columns[0]]), *count);
  }
  if (table.values.empty()) {
    return absl::InvalidArgumentError(StrCat(reader.name(), ": no rows after the header"));
  }
  return table;
}

absl::StatusOr<SyntheticNames> SyntheticNameReferences(std::uint64_t persons, std::uint64_t seed) {
  synth::SynthOptions options;
  options.records = persons;
  options.seed = seed;
  options.overlap = 0;
  options.missing = 0;
  BLOOMLINK_ASSIGN_OR_RETURN(synth::SynthGenerator generator,
                             synth::SynthGenerator::Create(options));
  absl::flat_hash_map<std::string, std::uint64_t> given, family;
  synth::SynthRecord record;
  for (std::uint64_t row = 0; row < generator.trust_records(); ++row) {
    generator.TrustRecord(row, &record, nullptr);
    if (!record.given_name.empty()) ++given[record.given_name];
    if (!record.family_name.empty()) ++family[record.family_name];
  }
  const std::string source =
      StrCat("synthetic name tables (", internal::Thousands(persons), " persons, seed ", seed, ")");
  return SyntheticNames{Sorted(given, StrCat("given names of the ", source)),
                        Sorted(family, StrCat("family names of the ", source))};
}

}  // namespace bloomlink::audit

namespace bloomlink::audit_internal {

absl::StatusOr<MiningReference> CleanReference(const audit::ReferenceTable& table,
                                               const FieldSpec& field) {
  BLOOMLINK_ASSIGN_OR_RETURN(encode::ValueCleaner cleaner, encode::ValueCleaner::Create(field));
  MiningReference ref;
  ref.source = table.source;
  std::string clean;
  encode::TokenList tokens;
  std::vector<std::uint32_t> ids;
  for (const auto& [raw, count] : table.values) {
    BLOOMLINK_ASSIGN_OR_RETURN(const bool encoded, cleaner.CleanAndTokenise(raw, &clean, &tokens));
    if (!encoded) {
      ++ref.dropped;
      continue;
    }
    auto [it, inserted] =
        ref.name_index.try_emplace(clean, static_cast<std::uint32_t>(ref.names.size()));
    if (!inserted) {
      ref.counts[it->second] += count;
      continue;
    }
    ids.clear();
    for (std::size_t t = 0; t < tokens.size(); ++t) {
      auto [tok, fresh] = ref.token_index.try_emplace(
          std::string(tokens[t]), static_cast<std::uint32_t>(ref.tokens.size()));
      if (fresh) ref.tokens.emplace_back(tokens[t]);
      ids.push_back(tok->second);
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    ref.names.push_back(clean);
    ref.counts.push_back(count);
    ref.name_tokens.push_back(ids);
  }
  return ref;
}

}  // namespace bloomlink::audit_internal
