#include "bloomlink/encode/encode_csv.hpp"

#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "encode/decoy_maker.hpp"
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
        // A column the schema needs is bad input (the file itself was found).
        return absl::InvalidArgumentError(StrCat(std::string(column.status().message()),
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

// Where: how a record is named in messages: "trust.csv:17" (CSV lines) or "records: record 17".
struct Where {
  std::string source;
  bool lines;        // positions are file lines (CSV) rather than record numbers
  std::string noun;  // "on line" / "at record"
  std::string operator()(std::uint64_t at) const {
    return lines ? StrCat(source, ":", at) : StrCat(source, ": record ", at);
  }
};

// IdIndex: detects repeated ids, among kept and skipped records alike, in constant memory per
// kept id (a 64-bit hash, where to find the id, and its line).
class IdIndex {
 public:
  // Add(id, line, kept, skipped): an error when `id` was seen before. A kept record's id must
  // already be the last element of `kept`; a skipped record's id is remembered here.
  // Hash(id): the key Add takes (computed apart, so that a batch's hashes can be computed, and
  // their slots fetched, ahead of the adds).
  static std::uint64_t Hash(std::string_view id) { return absl::HashOf(id); }
  void Prefetch(std::uint64_t h) const { seen_.prefetch(h); }

  absl::Status Add(std::string_view id, std::uint64_t h, std::uint64_t line,
                   const std::vector<std::string>& kept, bool skipped, const Where& where) {
    std::uint32_t slot;
    if (skipped) {
      slot = kSkipped | static_cast<std::uint32_t>(skipped_.size());
      skipped_.emplace_back(id);
    } else {
      slot = static_cast<std::uint32_t>(kept.size() - 1);
    }
    auto [it, inserted] = seen_.try_emplace(h, Entry{slot, line});
    if (inserted) return absl::OkStatus();
    const std::uint32_t other = it->second.slot;
    const std::string& other_id = (other & kSkipped) ? skipped_[other & ~kSkipped] : kept[other];
    if (other_id == id) return Duplicate(id, it->second.line, line, where);
    // A hash collision between different ids: fall back to the exact map.
    auto [it2, inserted2] = collisions_.try_emplace(std::string(id), line);
    if (!inserted2) return Duplicate(id, it2->second, line, where);
    return absl::OkStatus();
  }

 private:
  static constexpr std::uint32_t kSkipped = 0x80000000u;
  struct Entry {
    std::uint32_t slot;  // index into kept ids, or kSkipped | index into skipped_
    std::uint64_t line;
  };
  static absl::Status Duplicate(std::string_view id, std::uint64_t first, std::uint64_t at,
                                const Where& where) {
    return absl::InvalidArgumentError(
        StrCat(where(at), ": id \"", id, "\" is repeated (first ", where.noun, " ", first, ")"));
  }
  absl::flat_hash_map<std::uint64_t, Entry> seen_;
  absl::flat_hash_map<std::string, std::uint64_t> collisions_;
  std::vector<std::string> skipped_;

 public:
  void Reserve(std::size_t ids) { seen_.reserve(ids); }
};

// DatasetBuilder: encodes batches of records and appends them to a dataset: skips (and counts)
// records without a usable identifier, refuses empty and repeated ids, keeps input order.
class DatasetBuilder {
 public:
  DatasetBuilder(Encoder& encoder, Where where, std::string id_label, EncodeReport& report)
      : encoder_(encoder),
        where_(std::move(where)),
        id_label_(std::move(id_label)),
        report_(report),
        skip_empty_(encoder.schema().dialect == SchemaDialect::kBloomlink) {
    const LinkageSchema& schema = encoder.schema();
    dataset_.clks = BitMatrix(0, schema.encoded_bits());
    dataset_.schema_fingerprint = schema.fingerprint;
    dataset_.key_check = encoder.key_check();
    for (std::size_t j : encoder.field_filter_fields()) {
      dataset_.field_filters.push_back(
          FieldFilters{schema.fields[j].name, BitMatrix(0, schema.field_filter_encoded_bits(schema.fields[j]))});
    }
    for (const BlockingRule& rule : schema.blocking)
      dataset_.blocking_keys.rules.push_back(rule.name);
    report_ = EncodeReport{};
    report_.stats.fields.resize(schema.fields.size());
  }

  void Reserve(std::size_t records) {
    dataset_.clks.Reserve(records);
    for (FieldFilters& f : dataset_.field_filters) f.filters.Reserve(records);
    dataset_.blocking_keys.tokens.reserve(records * dataset_.blocking_keys.rules.size());
    dataset_.ids.reserve(records);
    id_index_.Reserve(records);
  }

  // AddBatch(ids, values, positions): positions name the records in messages (lines or record
  // numbers).
  // id_hashes: IdIndex::Hash of each id when already computed (the CSV reader's thread does),
  // else empty.
  absl::Status AddBatch(std::span<const std::string_view> ids,
                        std::span<const std::string_view> values,
                        std::span<const std::uint64_t> positions,
                        std::span<const std::uint64_t> id_hashes = {}) {
    const std::size_t rows = ids.size();
    for (std::size_t r = 0; r < rows; ++r) {
      if (ids[r].empty()) {
        return absl::InvalidArgumentError(
            StrCat(where_(positions[r]), ": ", id_label_, "the id is empty"));
      }
    }
    report_.records_read += rows;
    const std::size_t first = dataset_.clks.rows();
    dataset_.clks.Resize(first + rows);
    filter_matrices_.clear();
    for (FieldFilters& f : dataset_.field_filters) {
      f.filters.Resize(first + rows);
      filter_matrices_.push_back(&f.filters);
    }
    nonempty_.assign(rows, 1);
    const std::size_t rules = dataset_.blocking_keys.rules.size();
    std::vector<std::uint64_t>& tokens = dataset_.blocking_keys.tokens;
    tokens.resize((first + rows) * rules);
    std::size_t failed = 0;
    absl::Status encoded =
        encoder_.EncodeBatch(values, rows, dataset_.clks, first, report_.stats, nonempty_,
                             filter_matrices_, &failed, rules > 0 ? tokens.data() : nullptr);
    if (!encoded.ok()) {
      return absl::Status(encoded.code(),
                          StrCat(where_(positions[failed]), ": ", std::string(encoded.message())));
    }
    // Keep the records in input order; drop (and count) those with no usable identifier. The
    // ids' slots in the repeated-id index are fetched a few records ahead: a large index is a
    // cache miss per id otherwise.
    if (id_hashes.size() != rows) {
      hashes_.resize(rows);
      for (std::size_t r = 0; r < rows; ++r) hashes_[r] = IdIndex::Hash(ids[r]);
      id_hashes = hashes_;
    }
    constexpr std::size_t kAhead = 8;
    for (std::size_t r = 0; r < std::min(rows, kAhead); ++r) id_index_.Prefetch(id_hashes[r]);
    std::size_t kept = first;
    for (std::size_t r = 0; r < rows; ++r) {
      if (r + kAhead < rows) id_index_.Prefetch(id_hashes[r + kAhead]);
      if (skip_empty_ && !nonempty_[r]) {
        ++report_.records_skipped;
        BLOOMLINK_RETURN_IF_ERROR(id_index_.Add(ids[r], id_hashes[r], positions[r], dataset_.ids,
                                                /*skipped=*/true, where_));
        continue;
      }
      if (dataset_.ids.size() >= 0x7FFFFFFFu) {
        return absl::ResourceExhaustedError(
            StrCat(where_.source, ": more than 2147483647 records in one dataset"));
      }
      dataset_.ids.emplace_back(ids[r]);
      BLOOMLINK_RETURN_IF_ERROR(id_index_.Add(ids[r], id_hashes[r], positions[r], dataset_.ids,
                                              /*skipped=*/false, where_));
      const std::size_t from = first + r;
      if (from != kept) {
        MoveRow(dataset_.clks, from, kept);
        for (FieldFilters& f : dataset_.field_filters) MoveRow(f.filters, from, kept);
        std::copy_n(tokens.begin() + static_cast<std::ptrdiff_t>(from * rules), rules,
                    tokens.begin() + static_cast<std::ptrdiff_t>(kept * rules));
      }
      ++kept;
    }
    dataset_.clks.Resize(kept);
    tokens.resize(kept * rules);
    for (FieldFilters& f : dataset_.field_filters) f.filters.Resize(kept);
    return absl::OkStatus();
  }

  absl::StatusOr<EncodedDataset> Finish() {
    if (report_.records_read == 0) {
      return absl::InvalidArgumentError(StrCat(where_.source, ": no records"));
    }
    if (dataset_.ids.empty()) {
      // Every record was skipped: an empty output is almost always a wrong file or schema.
      return absl::InvalidArgumentError(StrCat(
          where_.source, ": ",
          report_.records_read == 1
              ? std::string("the only record has no usable identifier")
              : StrCat("none of the ", report_.records_read, " records has a usable identifier"),
          " (every schema field is missing or invalid): nothing to encode; check that "
          "the columns hold what the schema expects"));
    }
    report_.records_encoded = dataset_.ids.size();
    dataset_.records_skipped = report_.records_skipped;
    return std::move(dataset_);
  }

 private:
  Encoder& encoder_;
  Where where_;
  std::string id_label_;
  EncodeReport& report_;
  const bool skip_empty_;
  EncodedDataset dataset_;
  static void MoveRow(BitMatrix& m, std::size_t from, std::size_t to) {
    std::memcpy(m.row_bytes(to), m.row_bytes(from), m.stride_bytes());
    m.UpdatePopcount(to);
  }

  IdIndex id_index_;
  std::vector<std::uint64_t> hashes_;
  std::vector<std::uint8_t> nonempty_;
  std::vector<BitMatrix*> filter_matrices_;
};

// RawBatch: up to `batch` records' raw values, copied into `arena` (the reader reuses its
// records) and viewed by ids and values; lines name the records in messages.
struct RawBatch {
  std::string arena;
  // Per record: where its id ends, then where each field's value ends (nfields + 1 entries).
  std::vector<std::size_t> ends;
  std::vector<std::string_view> ids;
  std::vector<std::string_view> values;
  std::vector<std::uint64_t> lines;
  std::vector<std::uint64_t> id_hashes;  // IdIndex::Hash of each id
  std::size_t rows = 0;
  bool more = true;  // the file may hold more records after this batch
};

// ReadBatch(reader, id_column, columns, schema, batch, out): the next up to `batch` records.
absl::Status ReadBatch(io::CsvReader& reader, std::size_t id_column,
                       const std::vector<std::size_t>& columns, const LinkageSchema& schema,
                       std::size_t batch, RawBatch& out) {
  const std::size_t nfields = schema.fields.size();
  out.arena.clear();
  out.ends.clear();
  out.lines.clear();
  out.rows = 0;
  io::CsvRecord record;
  while (out.rows < batch) {
    BLOOMLINK_ASSIGN_OR_RETURN(out.more, reader.Next(record));
    if (!out.more) break;
    out.arena.append(record[id_column]);
    out.ends.push_back(out.arena.size());
    for (std::size_t j = 0; j < nfields; ++j) {
      if (!schema.fields[j].ignored) out.arena.append(record[columns[j]]);
      out.ends.push_back(out.arena.size());
    }
    out.lines.push_back(record.line());
    ++out.rows;
  }
  out.values.resize(out.rows * nfields);
  out.ids.resize(out.rows);
  out.id_hashes.resize(out.rows);
  const std::string_view arena(out.arena);
  for (std::size_t r = 0, k = 0; r < out.rows; ++r) {
    const std::size_t begin = r == 0 ? 0 : out.ends[k - 1];
    out.ids[r] = arena.substr(begin, out.ends[k] - begin);
    out.id_hashes[r] = IdIndex::Hash(out.ids[r]);
    ++k;
    for (std::size_t j = 0; j < nfields; ++j, ++k) {
      out.values[r * nfields + j] = arena.substr(out.ends[k - 1], out.ends[k] - out.ends[k - 1]);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EncodedDataset> EncodeCsv(const std::string& path, Encoder& encoder,
                                         const CsvEncodeOptions& options, EncodeReport* report) {
  const LinkageSchema& schema = encoder.schema();
  BLOOMLINK_RETURN_IF_ERROR(CheckPrivacyOptions(options.privacy));
  if (options.privacy.decoys > 0) {
    std::error_code error;
    if (std::filesystem::exists(path, error) && !std::filesystem::is_regular_file(path, error)) {
      return absl::InvalidArgumentError(
          StrCat(path,
                 ": not a regular file: decoys take their values from the extract's own "
                 "records, which are read a second time (a pipe cannot be)"));
    }
  }
  BLOOMLINK_ASSIGN_OR_RETURN(io::CsvReader reader, io::CsvReader::Open(path, options.csv));
  auto id_column = reader.Column(options.id_column);
  if (!id_column.ok()) {
    return absl::InvalidArgumentError(
        StrCat(std::string(id_column.status().message()), " (the id column)"));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(std::vector<std::size_t> columns, FieldColumns(reader, schema));
  const std::size_t batch = std::max<std::size_t>(1, options.batch_records);

  EncodeReport local;
  EncodeReport& rep = report ? *report : local;
  DatasetBuilder builder(encoder, Where{reader.name(), true, "on line"},
                         StrCat("column ", *id_column + 1, " (", options.id_column, "): "), rep);

  // Reading and parsing the next batch (one thread) overlaps encoding the current one (the
  // encoder's threads): two batches alternate. With one thread there is nothing to overlap.
  const bool pipelined = encoder.threads() > 1;
  RawBatch batches[2];
  const auto read_batch = [&](RawBatch& out) -> absl::Status {
    return ReadBatch(reader, *id_column, columns, schema, batch, out);
  };
  BLOOMLINK_RETURN_IF_ERROR(read_batch(batches[0]));
  std::uint64_t last_progress_bytes = 0;
  bool reserved = false;
  for (std::size_t current = 0;; current ^= 1) {
    RawBatch& raw = batches[current];
    if (raw.rows == 0) break;
    if (!reserved && raw.more && reader.total_bytes() > 0) {
      // After the first batch the file size gives a good estimate of the record count: reserve
      // for it (plus 5%) so that a large file is not copied as the matrix grows.
      const double per_record =
          static_cast<double>(reader.bytes_read()) / static_cast<double>(raw.rows);
      builder.Reserve(static_cast<std::size_t>(1.05 * static_cast<double>(reader.total_bytes()) /
                                               std::max(per_record, 1.0)));
      reserved = true;
    }
    const std::uint64_t bytes_read = reader.bytes_read();
    RawBatch& next = batches[current ^ 1];
    next.rows = 0;
    absl::Status next_status;
    std::thread ahead;
    if (raw.more) {
      if (pipelined) {
        ahead = std::thread([&] { next_status = read_batch(next); });
      }
    }
    absl::Status added = builder.AddBatch(raw.ids, raw.values, raw.lines, raw.id_hashes);
    if (ahead.joinable()) ahead.join();
    BLOOMLINK_RETURN_IF_ERROR(added);
    if (raw.more && !pipelined) next_status = read_batch(next);
    if (options.progress) {
      last_progress_bytes = bytes_read;
      options.progress(rep.records_read, last_progress_bytes, reader.total_bytes());
    }
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError(StrCat(reader.name(), ": encoding cancelled"));
    }
    BLOOMLINK_RETURN_IF_ERROR(next_status);
  }
  if (options.progress && reader.total_bytes() > 0 && last_progress_bytes != reader.total_bytes()) {
    // Trailing blank lines are read after the last batch: end on 100%.
    options.progress(rep.records_read, reader.total_bytes(), reader.total_bytes());
  }
  if (rep.records_read == 0) {
    return absl::InvalidArgumentError(StrCat(reader.name(), ": no records after the header"));
  }
  rep.blank_lines = reader.blank_lines();
  BLOOMLINK_ASSIGN_OR_RETURN(EncodedDataset data, builder.Finish());
  if (!options.privacy.active()) return data;
  BLOOMLINK_ASSIGN_OR_RETURN(
      encode_internal::DecoyMaker maker,
      encode_internal::DecoyMaker::Create(options.privacy, schema, data.ids, encoder.threads()));
  if (maker.needs_values()) {
    // The second reading: the values the decoys take from the records.
    BLOOMLINK_ASSIGN_OR_RETURN(io::CsvReader again, io::CsvReader::Open(path, options.csv));
    BLOOMLINK_ASSIGN_OR_RETURN(std::size_t id_again, again.Column(options.id_column));
    BLOOMLINK_ASSIGN_OR_RETURN(std::vector<std::size_t> columns_again, FieldColumns(again, schema));
    io::CsvRecord record;
    while (true) {
      BLOOMLINK_ASSIGN_OR_RETURN(bool more, again.Next(record));
      if (!more) break;
      maker.Offer(record[id_again], [&](std::size_t j) { return record[columns_again[j]]; });
    }
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError(StrCat(reader.name(), ": encoding cancelled"));
    }
  }
  BLOOMLINK_RETURN_IF_ERROR(maker.Finish(data, encoder, rep, reader.name()));
  return data;
}

absl::StatusOr<EncodedDataset> EncodeRecords(std::span<const std::string_view> ids,
                                             std::span<const std::string_view> values,
                                             Encoder& encoder, std::string_view source,
                                             EncodeReport* report,
                                             const std::function<bool()>& cancelled,
                                             const PrivacyOptions& privacy) {
  const std::size_t nfields = encoder.schema().fields.size();
  BLOOMLINK_RETURN_IF_ERROR(CheckPrivacyOptions(privacy));
  if (values.size() != ids.size() * nfields) {
    return absl::InvalidArgumentError(StrCat(source, ": ", values.size(), " values for ",
                                             ids.size(), " records of ", nfields, " fields"));
  }
  EncodeReport local;
  EncodeReport& rep = report ? *report : local;
  DatasetBuilder builder(encoder, Where{std::string(source), false, "at record"}, "", rep);
  builder.Reserve(ids.size());
  constexpr std::size_t kBatch = 32768;
  std::vector<std::uint64_t> positions;
  for (std::size_t first = 0; first < ids.size(); first += kBatch) {
    const std::size_t rows = std::min(kBatch, ids.size() - first);
    positions.resize(rows);
    for (std::size_t r = 0; r < rows; ++r) positions[r] = first + r + 1;
    BLOOMLINK_RETURN_IF_ERROR(builder.AddBatch(
        ids.subspan(first, rows), values.subspan(first * nfields, rows * nfields), positions));
    if (cancelled && cancelled())
      return absl::CancelledError(StrCat(source, ": encoding cancelled"));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(EncodedDataset data, builder.Finish());
  if (!privacy.active()) return data;
  BLOOMLINK_ASSIGN_OR_RETURN(
      encode_internal::DecoyMaker maker,
      encode_internal::DecoyMaker::Create(privacy, encoder.schema(), data.ids, encoder.threads()));
  for (std::size_t r = 0; r < ids.size() && maker.needs_values(); ++r) {
    maker.Offer(ids[r], [&](std::size_t j) { return values[r * nfields + j]; });
  }
  BLOOMLINK_RETURN_IF_ERROR(maker.Finish(data, encoder, rep, source));
  return data;
}

}  // namespace bloomlink::encode
