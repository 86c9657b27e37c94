// The audit's plaintext: each encoded record's clean values, beside its encodings.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "audit/internal.hpp"
#include "bloomlink/encode/clean.hpp"
#include "bloomlink/io/csv.hpp"
#include "internal/random.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::audit_internal {
namespace {

using internal::StrCat;

constexpr std::size_t kBatch = 32768;

double Now() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

std::uint32_t CodePoints(std::string_view s) {
  std::uint32_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::uint64_t Hash64(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = internal::Mix64(seed ^ internal::kGoldenGamma) ^ bytes.size();
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    h = internal::Mix64(h ^ w) + internal::kGoldenGamma;
  }
  std::uint64_t tail = 0;
  for (std::size_t k = 0; i < bytes.size(); ++i, ++k) {
    tail |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * k);
  }
  return internal::Mix64(h ^ tail ^ 0xFF);
}

std::uint32_t ValueInterner::Add(std::string_view clean, bool present) {
  if (!present) return 0;
  // Looked up by view first: a value seen before costs no allocation.
  if (const auto it = index_.find(Key(clean)); it != index_.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(distinct_.size() + 1);
  index_.emplace(std::string(clean), id);
  distinct_.emplace_back(clean);
  return id;
}

FieldValues ValueInterner::Finish(std::vector<std::uint32_t> value) {
  FieldValues out;
  out.value = std::move(value);
  out.distinct = std::move(distinct_);
  out.length.reserve(out.distinct.size());
  for (const std::string& s : out.distinct) out.length.push_back(CodePoints(s));
  index_ = {};
  distinct_ = {};
  return out;
}

absl::StatusOr<RowCleaner> RowCleaner::Create(const LinkageSchema& schema, int threads) {
  RowCleaner out;
  out.schema_ = &schema;
  out.threads_ = std::max(threads, 1);
  std::vector<std::optional<encode::ValueCleaner>> first(schema.fields.size());
  for (std::size_t j = 0; j < schema.fields.size(); ++j) {
    if (schema.fields[j].ignored) continue;
    BLOOMLINK_ASSIGN_OR_RETURN(first[j], encode::ValueCleaner::Create(schema.fields[j]));
  }
  out.cleaners_.assign(static_cast<std::size_t>(out.threads_), first);
  out.interners_.resize(schema.fields.size());
  return out;
}

absl::Status RowCleaner::Clean(std::span<const std::string_view> values,
                               std::span<const std::size_t> rows,
                               std::vector<std::vector<std::uint32_t>>& out_values,
                               const std::function<std::string(std::size_t)>& where) {
  const LinkageSchema& schema = *schema_;
  const std::size_t nfields = schema.fields.size();
  const std::size_t n = rows.size();
  const int threads = n < 512 ? 1 : threads_;
  // The strings keep their capacity from batch to batch: no allocation once warm.
  if (clean_.size() < n * nfields) clean_.resize(n * nfields);
  present_.assign(n * nfields, 0);
  // Each thread's first failure (records run in increasing order within a thread).
  std::vector<std::size_t> failed_at(static_cast<std::size_t>(threads), n);
  std::vector<absl::Status> failure(static_cast<std::size_t>(threads));
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel num_threads(threads)
  {
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
    auto& mine = cleaners_[t];
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < count; ++i) {
      const auto r = static_cast<std::size_t>(i);
      if (failed_at[t] < n) continue;
      for (std::size_t j = 0; j < nfields; ++j) {
        if (!mine[j]) continue;
        absl::StatusOr<bool> ok = mine[j]->CleanAndTokenise(values[rows[r] * nfields + j],
                                                            &clean_[r * nfields + j], nullptr);
        if (!ok.ok()) {
          failed_at[t] = r;
          failure[t] = ok.status();
          break;
        }
        present_[r * nfields + j] = *ok ? 1 : 0;
      }
    }
  }
  std::size_t first = n;
  absl::Status status;
  for (std::size_t t = 0; t < failure.size(); ++t) {
    if (failed_at[t] < first) {
      first = failed_at[t];
      status = failure[t];
    }
  }
  if (first < n) {
    return absl::Status(status.code(), StrCat(where(first), ": ", std::string(status.message())));
  }
  const auto fields = static_cast<std::int64_t>(nfields);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::int64_t jj = 0; jj < fields; ++jj) {
    const auto j = static_cast<std::size_t>(jj);
    if (schema.fields[j].ignored) continue;
    std::vector<std::uint32_t>& out = out_values[j];
    for (std::size_t r = 0; r < n; ++r) {
      out.push_back(interners_[j].Add(clean_[r * nfields + j], present_[r * nfields + j] != 0));
    }
  }
  return absl::OkStatus();
}

std::vector<FieldValues> RowCleaner::Finish(std::vector<std::vector<std::uint32_t>> values) {
  std::vector<FieldValues> out(interners_.size());
  for (std::size_t j = 0; j < interners_.size(); ++j) {
    out[j] = interners_[j].Finish(std::move(values[j]));
  }
  return out;
}

absl::StatusOr<Plaintext> PlaintextFromRecords(std::span<const std::string_view> ids,
                                               std::span<const std::string_view> values,
                                               encode::Encoder& encoder, std::string_view source,
                                               const std::function<bool()>& cancelled,
                                               double* encode_seconds) {
  const LinkageSchema& schema = encoder.schema();
  const double start = Now();
  encode::EncodeReport report;
  BLOOMLINK_ASSIGN_OR_RETURN(
      EncodedDataset dataset,
      encode::EncodeRecords(ids, values, encoder, source, &report, cancelled));
  *encode_seconds = Now() - start;
  // The dataset keeps the input order and drops records without a token; ids are unique.
  std::vector<std::size_t> kept;
  kept.reserve(dataset.ids.size());
  for (std::size_t r = 0, k = 0; r < ids.size() && k < dataset.ids.size(); ++r) {
    if (ids[r] == dataset.ids[k]) {
      kept.push_back(r);
      ++k;
    }
  }
  if (kept.size() != dataset.ids.size()) {
    return absl::InternalError(StrCat(source, ": the encoded records do not follow the input"));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(RowCleaner cleaner, RowCleaner::Create(schema, encoder.threads()));
  std::vector<std::vector<std::uint32_t>> ids_out(schema.fields.size());
  for (auto& v : ids_out) v.reserve(kept.size());
  for (std::size_t first = 0; first < kept.size(); first += kBatch) {
    const std::size_t n = std::min(kBatch, kept.size() - first);
    std::span<const std::size_t> rows(kept.data() + first, n);
    BLOOMLINK_RETURN_IF_ERROR(cleaner.Clean(values, rows, ids_out, [&](std::size_t i) {
      return StrCat(source, ": record ", rows[i] + 1);
    }));
    if (cancelled && cancelled()) return absl::CancelledError(StrCat(source, ": audit cancelled"));
  }
  Plaintext out;
  out.dataset = std::move(dataset);
  out.report = report;
  out.fields = cleaner.Finish(std::move(ids_out));
  return out;
}

absl::StatusOr<Plaintext> PlaintextFromCsv(const std::string& path, encode::Encoder& encoder,
                                           const CsvAuditOptions& csv,
                                           const std::function<bool()>& cancelled,
                                           double* encode_seconds) {
  const LinkageSchema& schema = encoder.schema();
  const double start = Now();
  encode::CsvEncodeOptions options;
  options.id_column = csv.id_column;
  options.csv = csv.csv;
  options.cancelled = cancelled;
  encode::EncodeReport report;
  BLOOMLINK_ASSIGN_OR_RETURN(EncodedDataset dataset,
                             encode::EncodeCsv(path, encoder, options, &report));
  *encode_seconds = Now() - start;

  // The second reading: the same file, columns as EncodeCsv takes them (which checked them).
  BLOOMLINK_ASSIGN_OR_RETURN(io::CsvReader reader, io::CsvReader::Open(path, csv.csv));
  BLOOMLINK_ASSIGN_OR_RETURN(const std::size_t id_column, reader.Column(csv.id_column));
  const std::size_t nfields = schema.fields.size();
  std::vector<std::size_t> columns(nfields, 0);
  for (std::size_t j = 0; j < nfields; ++j) {
    if (schema.fields[j].ignored) continue;
    if (schema.dialect == SchemaDialect::kBloomlink) {
      BLOOMLINK_ASSIGN_OR_RETURN(columns[j], reader.Column(schema.fields[j].column));
    } else {
      columns[j] = j;  // clkhash: feature j is column j
    }
  }
  BLOOMLINK_ASSIGN_OR_RETURN(RowCleaner cleaner, RowCleaner::Create(schema, encoder.threads()));
  std::vector<std::vector<std::uint32_t>> ids_out(nfields);
  for (auto& v : ids_out) v.reserve(dataset.ids.size());
  std::string arena;
  std::vector<std::size_t> ends, lines, rows;
  std::vector<std::string_view> views;
  io::CsvRecord record;
  std::size_t k = 0;  // the next encoded record
  const auto flush = [&]() -> absl::Status {
    const std::size_t n = lines.size();
    views.resize(n * nfields);
    const std::string_view all(arena);
    for (std::size_t i = 0; i < n * nfields; ++i) {
      const std::size_t begin = i == 0 ? 0 : ends[i - 1];
      views[i] = all.substr(begin, ends[i] - begin);
    }
    rows.resize(n);
    for (std::size_t i = 0; i < n; ++i) rows[i] = i;
    BLOOMLINK_RETURN_IF_ERROR(cleaner.Clean(
        views, rows, ids_out, [&](std::size_t i) { return StrCat(reader.name(), ":", lines[i]); }));
    arena.clear();
    ends.clear();
    lines.clear();
    if (cancelled && cancelled()) return absl::CancelledError(StrCat(path, ": audit cancelled"));
    return absl::OkStatus();
  };
  while (k < dataset.ids.size()) {
    BLOOMLINK_ASSIGN_OR_RETURN(const bool more, reader.Next(record));
    if (!more) break;
    if (record[id_column] != dataset.ids[k]) continue;  // a record encode skipped
    ++k;
    for (std::size_t j = 0; j < nfields; ++j) {
      if (!schema.fields[j].ignored) arena.append(record[columns[j]]);
      ends.push_back(arena.size());
    }
    lines.push_back(record.line());
    if (lines.size() == kBatch) BLOOMLINK_RETURN_IF_ERROR(flush());
  }
  if (!lines.empty()) BLOOMLINK_RETURN_IF_ERROR(flush());
  if (k != dataset.ids.size()) {
    return absl::FailedPreconditionError(
        StrCat(path, ": the file changed while it was audited (read it again)"));
  }
  Plaintext out;
  out.dataset = std::move(dataset);
  out.report = report;
  out.fields = cleaner.Finish(std::move(ids_out));
  return out;
}

std::vector<std::uint32_t> ChooseSample(std::span<const std::string> ids, std::uint64_t n,
                                        std::uint64_t seed) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    keyed[i] = {Hash64(ids[i], seed), static_cast<std::uint32_t>(i)};
  }
  const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(n, ids.size()));
  std::nth_element(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(take), keyed.end());
  keyed.resize(take);
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::uint32_t> rows(take);
  for (std::size_t i = 0; i < take; ++i) rows[i] = keyed[i].second;
  return rows;
}

}  // namespace bloomlink::audit_internal
