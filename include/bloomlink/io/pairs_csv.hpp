// bloomlink/io/pairs_csv.hpp
//
// Pairs of record ids in CSV, both ways: the linkage output (id_a,id_b,score and any further
// numbers per pair) and truth files (two columns of ids, whatever their header says). The
// writer is the one every front end uses (the CLI's `link --output`, Python's
// Linkage.to_csv), so the file's form and row order are defined once, here.
//
//   io::PairsTable table{.ids_a = a.ids, .ids_b = b.ids, .left = pairs.left,
//                        .right = pairs.right, .columns = {{"score", pairs.score.data()}},
//                        .sort_by = 0};
//   absl::Status written = io::WritePairsCsv(table, "pairs.csv");
//   auto back = io::ReadIdPairsCsv("pairs.csv", "id_a", "id_b");  // (id_a, id_b) per row
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bloomlink::io {

// PairsColumn: a named number per pair; pair i's value is values[i * stride] (a stride > 1 reads
// one column of a row-major pairs x k table).
struct PairsColumn {
  std::string name;
  const float* values = nullptr;
  std::size_t stride = 1;
};

// PairsTable: pairs of records by index (left into ids_a, right into ids_b) and their numbers.
struct PairsTable {
  std::span<const std::string> ids_a;
  std::span<const std::string> ids_b;
  std::span<const std::uint32_t> left;
  std::span<const std::uint32_t> right;
  std::vector<PairsColumn> columns;
  // sort_by: the column whose value orders the rows, highest first.
  std::size_t sort_by = 0;
};

// PairsOrder(table): the order rows are written in: by columns[sort_by] descending, then id_a,
// then id_b (byte order); a permutation of 0..left.size()-1. The table must be valid (see
// WritePairsCsv).
std::vector<std::uint32_t> PairsOrder(const PairsTable& table);

// WritePairsCsv(table, path): CSV with the header id_a,id_b and the columns' names, one row per
// pair in PairsOrder, ids quoted per RFC 4180 when needed, numbers with six decimals (exactly
// printf's "%.6f"), LF line endings. Written atomically. InvalidArgument when left and right
// differ in length, an index is out of range, a column has no values or sort_by names no column.
absl::Status WritePairsCsv(const PairsTable& table, const std::string& path);

// ReadIdPairsCsv(path, column_a, column_b): the values of the two named columns of every record;
// with empty names, the first two columns. Errors name the file and line (empty ids, a missing
// column, fewer than two columns).
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadIdPairsCsv(
    const std::string& path, const std::string& column_a = "", const std::string& column_b = "");

// RecordLabel: a record of some source and a label: its person in a crosswalk
// (person_id,source,record_id,...), its entity in a truth (source,record_id,entity).
struct RecordLabel {
  std::string source, record_id, label;
};
// ReadRecordLabels(path, label_column): the rows of a CSV with columns source, record_id and
// `label_column` (by name, in any order, other columns ignored). InvalidArgument naming the file,
// line and column for an empty value or a (source, record_id) listed twice.
absl::StatusOr<std::vector<RecordLabel>> ReadRecordLabels(const std::string& path,
                                                          const std::string& label_column);

}  // namespace bloomlink::io
