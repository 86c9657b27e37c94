// The data holder's side of a linkage with pseudonymous ids: mapping pseudonyms back to record
// ids and leaving out every row that names a decoy (bloomlink/encode/decoys.hpp).
#include <cstring>

#include "bloomlink/encode/decoys.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "encode/decoy_maker.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::encode {
namespace {

using internal::StrCat;
using internal::Thousands;

}  // namespace

void IdRevealer::AddIds(std::span<const std::string> ids, int threads) {
  const std::vector<std::string> names = keys_->Pseudonyms(ids, threads);
  ids_.reserve(ids_.size() + ids.size());
  for (std::size_t r = 0; r < ids.size(); ++r) {
    std::uint8_t bytes[16];
    if (!encode_internal::DecodePseudonym(names[r], bytes)) continue;  // cannot happen
    Key key;
    std::memcpy(&key.hi, bytes, 8);
    std::memcpy(&key.lo, bytes + 8, 8);
    ids_.try_emplace(key, ids[r]);
  }
}

absl::Status IdRevealer::AddExtract(const std::string& path, const std::string& id_column,
                                    const io::CsvOptions& csv, int threads) {
  BLOOMLINK_ASSIGN_OR_RETURN(io::CsvReader reader, io::CsvReader::Open(path, csv));
  auto column = reader.Column(id_column);
  if (!column.ok()) {
    return absl::InvalidArgumentError(
        StrCat(std::string(column.status().message()), " (the id column)"));
  }
  std::vector<std::string> ids;
  io::CsvRecord record;
  while (true) {
    BLOOMLINK_ASSIGN_OR_RETURN(bool more, reader.Next(record));
    if (!more) break;
    if (record[*column].empty()) {
      return absl::InvalidArgumentError(StrCat(reader.name(), ":", record.line(), ": column ",
                                               *column + 1, " (", id_column, "): the id is empty"));
    }
    ids.emplace_back(record[*column]);
    if (ids.size() == 65536) {
      AddIds(ids, threads);
      ids.clear();
    }
  }
  AddIds(ids, threads);
  return absl::OkStatus();
}

IdRevealer::Kind IdRevealer::Find(std::string_view id, std::string_view* real) const {
  std::uint8_t bytes[16];
  if (!encode_internal::DecodePseudonym(id, bytes)) return Kind::kUnknown;
  Key key;
  std::memcpy(&key.hi, bytes, 8);
  std::memcpy(&key.lo, bytes + 8, 8);
  if (auto it = ids_.find(key); it != ids_.end()) {
    if (real != nullptr) *real = it->second;
    return Kind::kRevealed;
  }
  return keys_->IsDecoy(id) ? Kind::kDecoy : Kind::kUnknown;
}

bool RevealRow(const IdRevealer& revealer, std::span<const std::string_view> ids,
               std::vector<std::string_view>& out, RevealReport& report) {
  ++report.rows_read;
  out.resize(ids.size());
  bool decoy = false;
  std::uint64_t revealed = 0;
  for (std::size_t k = 0; k < ids.size(); ++k) {
    std::string_view real;
    switch (revealer.Find(ids[k], &real)) {
      case IdRevealer::Kind::kRevealed:
        out[k] = real;
        ++revealed;
        break;
      case IdRevealer::Kind::kDecoy:
        decoy = true;
        ++report.decoy_ids;
        out[k] = ids[k];
        break;
      case IdRevealer::Kind::kUnknown:
        out[k] = ids[k];
        break;
    }
    if (IsPseudonymShaped(ids[k])) ++report.pseudonyms;
  }
  if (decoy) {
    ++report.rows_dropped;
    return false;
  }
  report.ids_revealed += revealed;
  report.ids_left += ids.size() - revealed;
  return true;
}

void FinishRevealReport(RevealReport& report, std::string_view source) {
  if (report.rows_read == 0) return;
  if (report.pseudonyms == 0) {
    report.warnings.push_back(
        StrCat(source,
               ": no id is a pseudonym, so there is nothing to reveal and no decoy to leave out: "
               "the encodings were made without --decoys or --pseudonymous-ids"));
  } else if (report.ids_revealed == 0 && report.decoy_ids == 0) {
    report.warnings.push_back(StrCat(
        source, ": 0 of the ", Thousands(report.pseudonyms),
        " pseudonymous ids were recognised (none is a record of the extracts given, none a "
        "decoy): probably the wrong secret or schema, or the wrong extract; nothing was revealed "
        "and no decoy left out"));
  } else if (report.ids_revealed == 0) {
    report.warnings.push_back(
        StrCat(source, ": decoys were recognised, but 0 of the ", Thousands(report.pseudonyms),
               " pseudonymous ids is a record of the extracts given: probably the wrong extract "
               "or id column"));
  }
}

absl::StatusOr<RevealReport> RevealCsv(const IdRevealer& revealer, const std::string& input,
                                       RevealTable table, const std::string& output) {
  BLOOMLINK_ASSIGN_OR_RETURN(io::CsvReader reader, io::CsvReader::Open(input));
  std::vector<std::string> names;
  std::string_view expected;
  if (table == RevealTable::kPairs) {
    names = {"id_a", "id_b"};
    expected = "a pairs file has columns id_a and id_b, as bloomlink link writes it";
  } else {
    names = {"record_id"};
    expected =
        "a crosswalk has columns person_id, source and record_id, as bloomlink index export "
        "writes it";
  }
  std::vector<std::size_t> columns;
  for (const std::string& name : names) {
    auto column = reader.Column(name);
    if (!column.ok()) {
      return absl::InvalidArgumentError(
          StrCat(std::string(column.status().message()), " (", expected, ")"));
    }
    columns.push_back(*column);
  }
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter out, io::AtomicFileWriter::Create(output));
  std::string line;
  for (std::size_t c = 0; c < reader.header().size(); ++c) {
    if (c > 0) line.push_back(',');
    io::AppendCsvField(line, reader.header()[c]);
  }
  line.push_back('\n');
  BLOOMLINK_RETURN_IF_ERROR(out.Write(line));
  RevealReport report;
  io::CsvRecord record;
  std::vector<std::string_view> ids(columns.size()), revealed;
  while (true) {
    BLOOMLINK_ASSIGN_OR_RETURN(bool more, reader.Next(record));
    if (!more) break;
    for (std::size_t k = 0; k < columns.size(); ++k) {
      ids[k] = record[columns[k]];
      if (ids[k].empty()) {
        return absl::InvalidArgumentError(StrCat(reader.name(), ":", record.line(), ": column ",
                                                 columns[k] + 1, " (", names[k], ") is empty"));
      }
    }
    if (!RevealRow(revealer, ids, revealed, report)) continue;
    line.clear();
    for (std::size_t c = 0; c < record.size(); ++c) {
      if (c > 0) line.push_back(',');
      std::string_view value = record[c];
      for (std::size_t k = 0; k < columns.size(); ++k) {
        if (columns[k] == c) value = revealed[k];
      }
      io::AppendCsvField(line, value);
    }
    line.push_back('\n');
    BLOOMLINK_RETURN_IF_ERROR(out.Write(line));
  }
  BLOOMLINK_RETURN_IF_ERROR(out.Commit());
  FinishRevealReport(report, input);
  return report;
}

}  // namespace bloomlink::encode
