// bloomlink/encode/encode_csv.hpp
//
// EncodeCsv: the data holder's whole job on a CSV extract. Streams the file in batches (memory is
// one batch of raw values plus the encodings), encodes each batch in parallel, and returns the
// EncodedDataset with ids, CLKs, the schema fingerprint and the key check value.
//
// With options.privacy (bloomlink/encode/decoys.hpp) every id becomes a keyed pseudonym and, when
// asked, decoy records are added; the records are then in pseudonym order. Decoys take their values
// from the extract's own records, so EncodeCsv then reads the file a second time (it must be a
// regular file, not a pipe).
//
// Columns: a bloomlink schema names each field's column; a clkhash schema maps feature j to CSV
// column j (clkhash's rule) and the header must carry the features' identifiers in that order.
// Ids come from `id_column`: an empty or repeated id is an error naming the lines. Records in
// which no field yields a token are skipped and counted (bloomlink schemas only; clkhash encodes
// them as empty filters, and so does bloomlink for clkhash schemas). Encoding nothing is an error
// (InvalidArgument naming the file): an extract without records, or one in which every record is
// skipped.
//
//   encode::EncodeReport report;
//   absl::StatusOr<EncodedDataset> data = encode::EncodeCsv("trust.csv", encoder, {}, &report);
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/encode/decoys.hpp"
#include "bloomlink/encode/encoder.hpp"
#include "bloomlink/encoded_dataset.hpp"
#include "bloomlink/io/csv.hpp"

namespace bloomlink::encode {

struct CsvEncodeOptions {
  std::string id_column = "id";
  io::CsvOptions csv = {};
  std::size_t batch_records = 32768;
  // progress(records, bytes_read, total_bytes): called after each batch, on the calling thread.
  std::function<void(std::uint64_t, std::uint64_t, std::uint64_t)> progress = nullptr;
  // cancelled: polled after each batch on the calling thread; true stops with Cancelled.
  std::function<bool()> cancelled = nullptr;
  // privacy: pseudonymous ids and decoy records (none by default).
  PrivacyOptions privacy = {};
};

// EncodeReport: what became of the input records (also filled by EncodeRecords).
struct EncodeReport {
  std::uint64_t records_read = 0;
  std::uint64_t records_encoded = 0;
  std::uint64_t records_skipped = 0;  // no usable identifier at all
  std::uint64_t blank_lines = 0;      // CSV only
  // decoys: decoy records added (PrivacyOptions); for the data holder's eyes only.
  std::uint64_t decoys = 0;
  EncodeStats stats;  // of the real records
  // warnings: what the holder should know about the output (e.g. a field that tells decoys apart).
  std::vector<std::string> warnings;
};

absl::StatusOr<EncodedDataset> EncodeCsv(const std::string& path, Encoder& encoder,
                                         const CsvEncodeOptions& options,
                                         EncodeReport* report = nullptr);

// EncodeRecords(ids, values, encoder, source, report, cancelled): the same for records held in
// memory (the Python layer's DataFrames). values holds ids.size() x schema fields raw values,
// row-major (values of ignored fields are not read); a clkhash schema's fields are matched by the
// caller. Errors name `source` and the 1-based record number. `privacy` as in CsvEncodeOptions.
absl::StatusOr<EncodedDataset> EncodeRecords(std::span<const std::string_view> ids,
                                             std::span<const std::string_view> values,
                                             Encoder& encoder, std::string_view source = "records",
                                             EncodeReport* report = nullptr,
                                             const std::function<bool()>& cancelled = nullptr,
                                             const PrivacyOptions& privacy = {});

}  // namespace bloomlink::encode
