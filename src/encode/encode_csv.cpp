#include "bloomlink/encode/encode_csv.hpp"

#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::encode {
namespace {

using internal::StrCat;

// ColumnsFor(reader, schema, id_column): the CSV column of each schema field (ignored fields: the
// id column, never read) and of the id.
absl::StatusOr<std::vector<std::size_t>> FieldColumns(const io::CsvReader& reader,
                                                      const LinkageSchema& schema) {
  std::vector<std::size_t> columns;
  const auto& header = reader.header();
  if (schema.dialect == SchemaDialect::kBloomlink) {
    for (const FieldSpec& field : schema.fields) {
      auto column = reader.Column(field.column);
      if (!column.ok()) {
        return absl::Status(column.status().code(),
                            StrCat(std::string(column.status().message()),
                                   " (needed by schema field ", field.name, ")"));
      }
      columns.push_back(*column);
    }
    return columns;
  }
  // clkhash: feature j is column j, and the header must agree (clkhash's header check).
  if (header.size() != schema.fields.size()) {
    return absl::InvalidArgumentError(StrCat(
        reader.name(), ":1: the header has ", header.size(), " columns but the clkhash schema has ",
        schema.fields.size(), " features (clkhash maps features to columns by position)"));
  }
  for (std::size_t j = 0; j < schema.fields.size(); ++j) {
    if (header[j] != schema.fields[j].name) {
      return absl::InvalidArgumentError(
          StrCat(reader.name(), ":1: column ", j + 1, " is \"", header[j],
                 "\" but the clkhash schema's feature ", j + 1, " is \"", schema.fields[j].name,
                 "\" (clkhash maps features to columns by position)"));
    }
    columns.push_back(j);
  }
  return columns;
}

// IdIndex: detects repeated ids, among kept and skipped records alike, in constant memory per
// kept id (a 64-bit hash, where to find the id, and its line).
class IdIndex {
 public:
  // Add(id, line, kept, skipped): an error when `id` was seen before. A kept record's id must
  // already be the last element of `kept`; a skipped record's id is remembered here.
  absl::Status Add(std::string_view id, std::uint64_t line, const std::vector<std::string>& kept,
                   bool skipped, std::string_view file) {
    std::uint32_t where;
    if (skipped) {
      where = kSkipped | static_cast<std::uint32_t>(skipped_.size());
      skipped_.emplace_back(id);
    } else {
      where = static_cast<std::uint32_t>(kept.size() - 1);
    }
    std::uint64_t h = absl::HashOf(id);
    auto [it, inserted] = seen_.try_emplace(h, Entry{where, line});
    if (inserted) return absl::OkStatus();
    const std::uint32_t other = it->second.where;
    const std::string& other_id = (other & kSkipped) ? skipped_[other & ~kSkipped] : kept[other];
    if (other_id == id) return Duplicate(id, it->second.line, line, file);
    // A hash collision between different ids: fall back to the exact map.
    auto [it2, inserted2] = collisions_.try_emplace(std::string(id), line);
    if (!inserted2) return Duplicate(id, it2->second, line, file);
    return absl::OkStatus();
  }

 private:
  static constexpr std::uint32_t kSkipped = 0x80000000u;
  struct Entry {
    std::uint32_t where;  // index into kept ids, or kSkipped | index into skipped_
    std::uint64_t line;
  };
  static absl::Status Duplicate(std::string_view id, std::uint64_t first, std::uint64_t line,
                                std::string_view file) {
    return absl::InvalidArgumentError(
        StrCat(file, ":", line, ": id \"", id, "\" is repeated (first on line ", first, ")"));
  }
  absl::flat_hash_map<std::uint64_t, Entry> seen_;
  absl::flat_hash_map<std::string, std::uint64_t> collisions_;
  std::vector<std::string> skipped_;

 public:
  void Reserve(std::size_t ids) { seen_.reserve(ids); }
};

}  // namespace

absl::StatusOr<EncodedDataset> EncodeCsv(const std::string& path, Encoder& encoder,
                                         const CsvEncodeOptions& options, CsvEncodeReport* report) {
  const LinkageSchema& schema = encoder.schema();
  BLOOMLINK_ASSIGN_OR_RETURN(io::CsvReader reader, io::CsvReader::Open(path, options.csv));
  auto id_column = reader.Column(options.id_column);
  if (!id_column.ok()) {
    return absl::Status(id_column.status().code(),
                        StrCat(std::string(id_column.status().message()),
                               " (the id column; choose another with --id-column)"));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(std::vector<std::size_t> columns, FieldColumns(reader, schema));
  const bool skip_empty = schema.dialect == SchemaDialect::kBloomlink;
  const std::size_t nfields = schema.fields.size();
  const std::size_t batch = std::max<std::size_t>(1, options.batch_records);

  EncodedDataset dataset;
  dataset.clks = BitMatrix(0, schema.filter_bits);
  dataset.schema_fingerprint = schema.fingerprint;
  dataset.key_check = encoder.key_check();

  CsvEncodeReport local;
  CsvEncodeReport& rep = report ? *report : local;
  rep = CsvEncodeReport{};
  rep.stats.fields.resize(nfields);

  // One batch of raw values: copied into `arena` (records are reused by the reader), then viewed.
  std::string arena;
  // Per record: where its id ends, then where each field's value ends (nfields + 1 entries).
  std::vector<std::size_t> ends;
  std::vector<std::string_view> ids;
  std::vector<std::string_view> values;
  std::vector<std::uint64_t> lines;
  std::vector<std::uint8_t> nonempty;
  IdIndex id_index;
  std::uint64_t last_progress_bytes = 0;
  io::CsvRecord record;
  bool more = true;
  while (more) {
    arena.clear();
    ends.clear();
    lines.clear();
    std::size_t rows = 0;
    while (rows < batch) {
      BLOOMLINK_ASSIGN_OR_RETURN(more, reader.Next(record));
      if (!more) break;
      std::string_view id = record[*id_column];
      if (id.empty()) {
        return absl::InvalidArgumentError(StrCat(reader.name(), ":", record.line(), ": column ",
                                                 *id_column + 1, " (", options.id_column,
                                                 "): the id is empty"));
      }
      arena.append(id);
      ends.push_back(arena.size());
      for (std::size_t j = 0; j < nfields; ++j) {
        if (!schema.fields[j].ignored) arena.append(record[columns[j]]);
        ends.push_back(arena.size());
      }
      lines.push_back(record.line());
      ++rows;
    }
    if (rows == 0) break;
    rep.records_read += rows;
    values.resize(rows * nfields);
    ids.resize(rows);
    for (std::size_t r = 0, k = 0; r < rows; ++r) {
      std::size_t begin = r == 0 ? 0 : ends[k - 1];
      ids[r] = std::string_view(arena).substr(begin, ends[k] - begin);
      ++k;
      for (std::size_t j = 0; j < nfields; ++j, ++k) {
        values[r * nfields + j] =
            std::string_view(arena).substr(ends[k - 1], ends[k] - ends[k - 1]);
      }
    }
    const std::size_t first = dataset.clks.rows();
    if (first == 0 && more && reader.total_bytes() > 0) {
      // After the first batch the file size gives a good estimate of the record count: reserve
      // for it (plus 5%) so that a large file is not copied as the matrix grows.
      const double per_record =
          static_cast<double>(reader.bytes_read()) / static_cast<double>(rows);
      const auto estimate = static_cast<std::size_t>(
          1.05 * static_cast<double>(reader.total_bytes()) / std::max(per_record, 1.0));
      dataset.clks.Reserve(estimate);
      dataset.ids.reserve(estimate);
      id_index.Reserve(estimate);
    }
    dataset.clks.Resize(first + rows);
    nonempty.assign(rows, 1);
    encoder.EncodeBatch(values, rows, dataset.clks, first, rep.stats, nonempty);

    // Keep the records in input order; drop (and count) those with no usable identifier.
    std::size_t kept = first;
    for (std::size_t r = 0; r < rows; ++r) {
      if (skip_empty && !nonempty[r]) {
        ++rep.records_skipped;
        BLOOMLINK_RETURN_IF_ERROR(
            id_index.Add(ids[r], lines[r], dataset.ids, /*skipped=*/true, reader.name()));
        continue;
      }
      if (dataset.ids.size() >= 0x7FFFFFFFu) {
        return absl::ResourceExhaustedError(
            StrCat(reader.name(), ": more than 2147483647 records in one file"));
      }
      dataset.ids.emplace_back(ids[r]);
      BLOOMLINK_RETURN_IF_ERROR(
          id_index.Add(ids[r], lines[r], dataset.ids, /*skipped=*/false, reader.name()));
      const std::size_t from = first + r;
      if (from != kept) {
        std::memcpy(dataset.clks.row_bytes(kept), dataset.clks.row_bytes(from),
                    dataset.clks.stride_bytes());
        dataset.clks.UpdatePopcount(kept);
      }
      ++kept;
    }
    dataset.clks.Resize(kept);
    if (options.progress) {
      last_progress_bytes = reader.bytes_read();
      options.progress(rep.records_read, last_progress_bytes, reader.total_bytes());
    }
  }
  if (options.progress && reader.total_bytes() > 0 && last_progress_bytes != reader.total_bytes()) {
    // Trailing blank lines are read after the last batch: end on 100%.
    options.progress(rep.records_read, reader.total_bytes(), reader.total_bytes());
  }
  if (rep.records_read == 0) {
    return absl::InvalidArgumentError(StrCat(reader.name(), ": no records after the header"));
  }
  rep.records_encoded = dataset.ids.size();
  rep.blank_lines = reader.blank_lines();
  dataset.records_skipped = rep.records_skipped;
  return dataset;
}

}  // namespace bloomlink::encode
