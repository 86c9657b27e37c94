// bloomlink/io/clk_json.hpp
//
// Encodings in the forms other tools exchange: clkhash's JSON (what `anonlink encode` writes and
// the anonlink entity service accepts) and a two-column CSV of ids and base64 CLKs.
//
//   clkhash JSON:  {"clks": ["<base64>", "<base64>", ...]}
//   CSV:           id,clk
//                  nhs-0001,/v9hmo8dxgvC...
//
// Both carry CLKs only: no field filters, schema fingerprint, key check value or skipped-record
// count (use the native format, bloomlink/io/encoded_file.hpp, for those). A CLK is base64 of
// its bytes in clkhash's bit order, so the filter length read back is 8 × the decoded bytes; all
// CLKs in a file must have the same length. Both readers stream (the file is never held in memory
// whole) and every error names the file, the record (clks[i] for JSON, the line and record for
// CSV; records count from 0) and what was expected.
//
//   absl::StatusOr<EncodedDataset> clks = io::ReadClkJson("clks_a.json");
//   if (!clks.ok()) return clks.status();
//   absl::Status written = io::WriteClkCsv(*clks, "clks_a.csv");
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bloomlink/encoded_dataset.hpp"

namespace bloomlink::io {

// ReadClkJson(path) reads clkhash JSON. The top level must be an object with the single key
// "clks" holding an array of base64 strings (padded or unpadded, canonical); any JSON
// whitespace is allowed between tokens. Record i gets the id "i" (its position, as anonlink
// reports matches). An empty array gives an empty dataset with a filter length of 0.
absl::StatusOr<EncodedDataset> ReadClkJson(const std::string& path);

// WriteClkJson(dataset, path) writes `{"clks": ["<base64>", ...]}` exactly as clkhash does
// (", " between CLKs, no trailing newline), atomically; each CLK is bytes_per_filter() bytes.
// The filter length must be a multiple of 8 bits (the form has no room for a partial byte), and
// ids are not written.
absl::Status WriteClkJson(const EncodedDataset& dataset, const std::string& path);

// ReadClkCsv(path) reads a CSV whose header is exactly `id,clk` (a UTF-8 byte-order mark is
// allowed; fields may be quoted per RFC 4180; LF or CRLF line endings; blank lines are skipped).
// Every row has two fields: a non-empty, unique, UTF-8 id and a base64 CLK.
absl::StatusOr<EncodedDataset> ReadClkCsv(const std::string& path);

// WriteClkCsv(dataset, path) writes the header `id,clk` and one row per record, atomically. Ids
// containing a comma, double quote, CR or LF are quoted (quotes doubled); lines end with LF. The
// filter length must be a multiple of 8 bits.
absl::Status WriteClkCsv(const EncodedDataset& dataset, const std::string& path);

}  // namespace bloomlink::io
