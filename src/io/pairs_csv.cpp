#include "bloomlink/io/pairs_csv.hpp"

#include <algorithm>
#include <charconv>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/io/csv.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::io {
namespace {

using internal::StrCat;

// Ranks(ids): ranks[i] is id i's position in byte order, so rows can be sorted by id with
// integer comparisons.
std::vector<std::uint32_t> Ranks(std::span<const std::string> ids) {
  std::vector<std::uint32_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t x, std::uint32_t y) { return ids[x] < ids[y]; });
  std::vector<std::uint32_t> ranks(ids.size());
  for (std::size_t r = 0; r < order.size(); ++r) ranks[order[r]] = static_cast<std::uint32_t>(r);
  return ranks;
}

absl::Status CheckTable(const PairsTable& t, const std::string& path) {
  if (t.left.size() != t.right.size()) {
    return absl::InvalidArgumentError(StrCat(path, ": cannot write pairs: ", t.left.size(),
                                             " left indices but ", t.right.size(), " right"));
  }
  for (std::size_t i = 0; i < t.left.size(); ++i) {
    if (t.left[i] >= t.ids_a.size() || t.right[i] >= t.ids_b.size()) {
      return absl::InvalidArgumentError(
          StrCat(path, ": cannot write pairs: pair ", i, " indexes a record beyond the datasets"));
    }
  }
  for (const PairsColumn& c : t.columns) {
    if (c.values == nullptr && !t.left.empty()) {
      return absl::InvalidArgumentError(
          StrCat(path, ": cannot write pairs: column ", c.name, " has no values"));
    }
  }
  if (t.sort_by >= t.columns.size()) {
    return absl::InvalidArgumentError(
        StrCat(path, ": cannot write pairs: no column ", t.sort_by, " to sort by"));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::uint32_t> PairsOrder(const PairsTable& t) {
  const PairsColumn& key = t.columns[t.sort_by];
  auto value = [&](std::uint32_t i) { return key.values[i * key.stride]; };
  const std::vector<std::uint32_t> rank_a = Ranks(t.ids_a), rank_b = Ranks(t.ids_b);
  std::vector<std::uint32_t> order(t.left.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
    if (value(x) != value(y)) return value(x) > value(y);
    if (t.left[x] != t.left[y]) return rank_a[t.left[x]] < rank_a[t.left[y]];
    return rank_b[t.right[x]] < rank_b[t.right[y]];
  });
  return order;
}

absl::Status WritePairsCsv(const PairsTable& table, const std::string& path) {
  BLOOMLINK_RETURN_IF_ERROR(CheckTable(table, path));
  const std::vector<std::uint32_t> order = PairsOrder(table);
  BLOOMLINK_ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::Create(path));
  std::string line = "id_a,id_b";
  for (const PairsColumn& c : table.columns) {
    line.push_back(',');
    AppendCsvField(line, c.name);
  }
  line.push_back('\n');
  BLOOMLINK_RETURN_IF_ERROR(out.Write(line));
  // std::to_chars writes exactly what printf's "%.6f" writes, without parsing a format for every
  // number (a file of all pairs can hold tens of millions of lines). Every value is a float, whose
  // fixed form has at most 39 integer digits: the buffer always suffices.
  char number[64];
  number[0] = ',';
  for (std::uint32_t i : order) {
    line.clear();
    AppendCsvField(line, table.ids_a[table.left[i]]);
    line.push_back(',');
    AppendCsvField(line, table.ids_b[table.right[i]]);
    for (const PairsColumn& c : table.columns) {
      const double v = c.values[i * c.stride];
      const std::to_chars_result r =
          std::to_chars(number + 1, number + sizeof number, v, std::chars_format::fixed, 6);
      line.append(number, r.ptr);
    }
    line.push_back('\n');
    BLOOMLINK_RETURN_IF_ERROR(out.Write(line));
  }
  return out.Commit();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadIdPairsCsv(
    const std::string& path, const std::string& column_a, const std::string& column_b) {
  BLOOMLINK_ASSIGN_OR_RETURN(CsvReader reader, CsvReader::Open(path));
  std::size_t ca = 0, cb = 1;
  if (!column_a.empty()) {
    BLOOMLINK_ASSIGN_OR_RETURN(ca, reader.Column(column_a));
    BLOOMLINK_ASSIGN_OR_RETURN(cb, reader.Column(column_b));
  } else if (reader.header().size() < 2) {
    return absl::InvalidArgumentError(StrCat(path, ":1: expected at least two columns of ids"));
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  CsvRecord record;
  while (true) {
    BLOOMLINK_ASSIGN_OR_RETURN(bool more, reader.Next(record));
    if (!more) break;
    if (record[ca].empty() || record[cb].empty()) {
      return absl::InvalidArgumentError(
          StrCat(path, ":", record.line(), ": column ", record[ca].empty() ? ca + 1 : cb + 1, " (",
                 reader.header()[record[ca].empty() ? ca : cb], "): the id is empty"));
    }
    pairs.emplace_back(std::string(record[ca]), std::string(record[cb]));
  }
  return pairs;
}

absl::StatusOr<std::vector<RecordLabel>> ReadRecordLabels(const std::string& path,
                                                          const std::string& label_column) {
  BLOOMLINK_ASSIGN_OR_RETURN(CsvReader reader, CsvReader::Open(path));
  BLOOMLINK_ASSIGN_OR_RETURN(const std::size_t cs, reader.Column("source"));
  BLOOMLINK_ASSIGN_OR_RETURN(const std::size_t cr, reader.Column("record_id"));
  BLOOMLINK_ASSIGN_OR_RETURN(const std::size_t cl, reader.Column(label_column));
  std::vector<RecordLabel> out;
  absl::flat_hash_map<std::string, std::uint64_t> line_of;  // "source\0record_id" -> line
  CsvRecord record;
  while (true) {
    BLOOMLINK_ASSIGN_OR_RETURN(bool more, reader.Next(record));
    if (!more) break;
    for (std::size_t c : {cs, cr, cl}) {
      if (record[c].empty()) {
        return absl::InvalidArgumentError(StrCat(path, ":", record.line(), ": column ", c + 1, " (",
                                                 reader.header()[c], "): empty"));
      }
    }
    std::string key = StrCat(record[cs], std::string_view("\0", 1), record[cr]);
    const auto [it, added] = line_of.emplace(std::move(key), record.line());
    if (!added) {
      return absl::InvalidArgumentError(
          StrCat(path, ":", record.line(), ": record ", record[cr], " of source ", record[cs],
                 " is listed twice (first on line ", it->second, ")"));
    }
    out.push_back({std::string(record[cs]), std::string(record[cr]), std::string(record[cl])});
  }
  return out;
}

}  // namespace bloomlink::io
