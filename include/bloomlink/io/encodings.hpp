// bloomlink/io/encodings.hpp
//
// Encodings in any of the file formats they are exchanged in, chosen by name, by file extension
// or from a file's first bytes:
//   bloom         bloomlink's native format (bloomlink/io/encoded_file.hpp), .bloom
//   clkhash-json  clkhash / anonlink {"clks": ["<base64>", ...]} (bloomlink/io/clk_json.hpp), .json
//   csv           a CSV with the header id,clk and base64 CLKs (bloomlink/io/clk_json.hpp), .csv
// The formats are one table (src/io/encodings.cpp): a new format is an EncodingFormat and an
// entry there.
//
//   absl::StatusOr<EncodedDataset> a = io::ReadEncodings("trust.json");   // any format
//   absl::StatusOr<io::EncodingFormat> f = io::EncodingFormatForPath("out.bloom");
//   if (f.ok()) absl::Status written = io::WriteEncodings(*a, "out.bloom", *f);
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bloomlink/encoded_dataset.hpp"

namespace bloomlink::io {

// EncodingFormat: the file formats encodings can be exchanged in.
enum class EncodingFormat { kBloom, kClkhashJson, kCsv };

// ParseEncodingFormat(name) maps "bloom", "clkhash-json" and "csv" to a format; InvalidArgument
// listing the accepted names otherwise.
absl::StatusOr<EncodingFormat> ParseEncodingFormat(std::string_view name);
// EncodingFormatName(format) is the name ParseEncodingFormat accepts.
std::string_view EncodingFormatName(EncodingFormat format);
// EncodingFormatForPath(path) picks a format from the file extension: .bloom, .json, .csv
// (case-insensitive). InvalidArgument for any other extension.
absl::StatusOr<EncodingFormat> EncodingFormatForPath(std::string_view path);

// DetectEncodingFormat(path) looks at the first bytes of a file: the native magic (or a first
// byte of 0x89) means kBloom; after an optional UTF-8 byte-order mark and whitespace, `{` means
// kClkhashJson and a header starting `id,clk` (optionally quoted) means kCsv. InvalidArgument
// naming the three forms otherwise.
absl::StatusOr<EncodingFormat> DetectEncodingFormat(const std::string& path);

// ReadEncodings(path) detects the format (DetectEncodingFormat) and reads the file with that
// format's reader.
absl::StatusOr<EncodedDataset> ReadEncodings(const std::string& path);

// WriteEncodings(dataset, path, format) writes `dataset` in `format`, atomically. clkhash JSON and
// CSV carry only ids (CSV) and CLKs: field filters, the schema fingerprint, the key check value
// and records_skipped are not written in those forms.
absl::Status WriteEncodings(const EncodedDataset& dataset, const std::string& path,
                            EncodingFormat format);

}  // namespace bloomlink::io
