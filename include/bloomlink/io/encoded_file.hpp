// bloomlink/io/encoded_file.hpp
//
// The files a data holder sends to the linkage unit. bloomlink's native format (`.bloom`) carries
// everything in an EncodedDataset: record ids, CLKs, optional field-level filters, the schema
// fingerprint, the key check value and the count of skipped records, protected by a SHA-256
// checksum. The byte layout, integrity checks and versioning rules are in docs/file-format.md.
//
// bloomlink/io/encodings.hpp reads and writes encodings in any of the formats (this one, clkhash
// JSON or a CSV of id,clk) without the caller naming it.
//
//   if (absl::Status s = io::WriteEncodedFile(dataset, "trust.bloom"); !s.ok()) return s;
//   absl::StatusOr<EncodedDataset> back = io::ReadEncodedFile("trust.bloom");
//   absl::StatusOr<io::EncodedFileHeader> header = io::ReadEncodedFileHeader("trust.bloom");
//
// Errors: NotFound / PermissionDenied when a file cannot be opened; InvalidArgument for any bad
// content, including a checksum mismatch (a corrupt file is bad input). Every message names the
// file and, for the native format, the section and what was wrong. Record numbers in messages
// count from 0, as clkhash's positions do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bloomlink/encoded_dataset.hpp"

namespace bloomlink::io {

// kEncodedFileVersion is the native format version this bloomlink writes and the newest it reads.
// A file with a larger version is refused as "made by a newer bloomlink".
inline constexpr std::uint32_t kEncodedFileVersion = 1;

// Limits of the native format (and of the datasets the writers accept). Over a limit is an error.
// A CLK or field filter is at most kMaxFilterBits (bloomlink/encoded_dataset.hpp).
// kMaxIdBytes bounds one record id (the CSV reader's default field limit, 1 MiB).
inline constexpr std::uint64_t kMaxIdBytes = std::uint64_t{1} << 20;
// kMaxFieldFilters bounds the number of field-filter sections; kMaxFieldNameBytes a field name.
inline constexpr std::uint32_t kMaxFieldFilters = 4096;
inline constexpr std::uint32_t kMaxFieldNameBytes = 1024;
// kMaxBlockingRuleCount: the most blocking rules a file's bkey section may name.
inline constexpr std::uint32_t kMaxBlockingRuleCount = 256;

// FieldFilterInfo: the description of one field-filter section (name and filter length).
struct FieldFilterInfo {
  std::string field;
  std::uint64_t bits = 0;
};

// EncodedFileHeader: what a native file says about itself, without its ids and filters.
struct EncodedFileHeader {
  std::uint32_t version = 0;
  std::optional<Digest> schema_fingerprint;
  std::optional<Digest> key_check;
  std::uint64_t filter_bits = 0;
  std::uint64_t records = 0;
  std::uint64_t records_skipped = 0;
  std::vector<FieldFilterInfo> field_filters;
  // blocking_rules: the names of the keyed blocking rules (section bkey), if any.
  std::vector<std::string> blocking_rules;
  // pseudonymous_ids: the ids are keyed pseudonyms (section pids).
  bool pseudonymous_ids = false;
  // file_bytes is the size of the file.
  std::uint64_t file_bytes = 0;
  // checksum is the SHA-256 stored in the file; checksum_verified says whether it was checked
  // against the contents (ReadEncodedFileHeader with verify_checksum = true).
  Digest checksum{};
  bool checksum_verified = false;
};

// WriteEncodedFile(dataset, path) writes `dataset` in the native format, atomically (the file
// appears complete or not at all). The dataset is validated first (ValidateEncodedDataset) and
// the filter length must be at least 1 bit; InvalidArgument names what is wrong.
absl::Status WriteEncodedFile(const EncodedDataset& dataset, const std::string& path);

// WriteEncodedTo(dataset, name, put): the bytes of `dataset`'s native file, in order, to `put`
// (a file embedded in another: the person index), checked as WriteEncodedFile checks them
// (messages start with `name`). EncodedFileBytes(dataset): how many bytes that is.
absl::Status WriteEncodedTo(const EncodedDataset& dataset, std::string_view name,
                            const std::function<absl::Status(const void*, std::size_t)>& put);
std::uint64_t EncodedFileBytes(const EncodedDataset& dataset);

// ParseEncodedBytes(bytes, name): a native file held in memory, checked as ReadEncodedFile
// checks a file; `name` stands for the file in messages.
absl::StatusOr<EncodedDataset> ParseEncodedBytes(std::string bytes, std::string name);

// ReadEncodedFile(path) reads a native file and checks everything: layout, section lengths
// against the file size (before any allocation), the checksum, zero padding bits, ids (non-empty,
// valid UTF-8, unique) and field names. Popcounts are up to date in the result.
absl::StatusOr<EncodedDataset> ReadEncodedFile(const std::string& path);

// ReadEncodedFileHeader(path, verify_checksum) reads the header and the description of every
// section (for `bloomlink inspect`) without loading ids or filters. It checks the layout and that
// every section's length fits the header's counts and the file size. With verify_checksum (the
// default) it also streams the whole file through SHA-256 and refuses a mismatch; without it,
// only the sections' headers are read. It does not check the contents of ids or filters (UTF-8,
// duplicates, padding bits): ReadEncodedFile does.
absl::StatusOr<EncodedFileHeader> ReadEncodedFileHeader(const std::string& path,
                                                        bool verify_checksum = true);

// LooksLikeEncodedFile(head): whether a file starting with `head` claims to be a native file (its
// first byte is the magic's 0x89, which no UTF-8 text starts with).
bool LooksLikeEncodedFile(std::string_view head);

// ValidateEncodedDataset(dataset, name) checks an in-memory dataset: as many CLK rows (and rows
// of every field-filter matrix) as ids; ids non-empty, at most kMaxIdBytes, valid UTF-8 and
// unique; filter lengths at most kMaxFilterBits; every bit beyond a filter's length zero; field
// names non-empty, valid UTF-8, at most kMaxFieldNameBytes and unique; at most kMaxFieldFilters
// field filters. InvalidArgument messages start with `name` (a file name or a description).
absl::Status ValidateEncodedDataset(const EncodedDataset& dataset, std::string_view name);

}  // namespace bloomlink::io
