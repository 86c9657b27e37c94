// bloomlink/io/csv.hpp
//
// CsvReader: a streaming RFC 4180 reader for person-record extracts. Handles quoted fields with
// embedded delimiters, quotes ("") and newlines, LF and CRLF line endings, a UTF-8 byte-order
// mark, and a final line without a newline. It reads the file in large chunks and never holds
// more than one record plus one chunk in memory, so it streams files of any size.
//
// Every error names the file and the 1-based line (and column where it applies) and says what
// was expected; it never quotes field contents (they are personal data). Refused: empty file,
// missing header, ragged rows, unterminated quotes, invalid UTF-8, NUL bytes, UTF-16/UTF-32
// files, fields over max_field_bytes, headers over max_columns.
// Blank lines (no characters at all) between records are skipped and counted (blank_lines()).
//
//   BLOOMLINK_ASSIGN_OR_RETURN(io::CsvReader reader, io::CsvReader::Open("trust.csv"));
//   BLOOMLINK_ASSIGN_OR_RETURN(std::size_t id_col, reader.Column("id"));
//   io::CsvRecord record;
//   while (true) {
//     BLOOMLINK_ASSIGN_OR_RETURN(bool more, reader.Next(record));
//     if (!more) break;
//     std::string_view id = record[id_col];
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace bloomlink::io {

struct CsvOptions {
  char delimiter = ',';
  // skip_initial_space ignores spaces right after a delimiter (Python csv's skipinitialspace),
  // for files such as FEBRL's that separate fields with ", ".
  bool skip_initial_space = false;
  // Limits: over a limit is an error naming the limit, never a silent truncation.
  std::size_t max_field_bytes = std::size_t{1} << 20;  // 1 MiB
  std::size_t max_columns = 4096;
};

// CsvRecord: one parsed record. Fields are views into the record's own buffer, valid until the
// record is reused by CsvReader::Next.
class CsvRecord {
 public:
  std::size_t size() const { return ends_.size(); }
  std::string_view operator[](std::size_t i) const {
    std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(buffer_).substr(begin, ends_[i] - begin);
  }
  // line() is the 1-based physical line where the record starts.
  std::uint64_t line() const { return line_; }
  // number() is the 1-based data record number (the header is not counted).
  std::uint64_t number() const { return number_; }

 private:
  friend class CsvReader;
  std::string buffer_;
  std::vector<std::size_t> ends_;
  std::uint64_t line_ = 0;
  std::uint64_t number_ = 0;
};

class CsvReader {
 public:
  // Open(path, options) opens the file and reads the header. NotFound/PermissionDenied when the
  // file cannot be opened; InvalidArgument for an empty file or a bad header.
  static absl::StatusOr<CsvReader> Open(std::string path, CsvOptions options = {});
  // FromString(data, name, options) reads from memory; `name` stands for the file in messages.
  static absl::StatusOr<CsvReader> FromString(std::string data, std::string name,
                                              CsvOptions options = {});

  CsvReader(CsvReader&&) noexcept;
  CsvReader& operator=(CsvReader&&) noexcept;
  ~CsvReader();

  const std::string& name() const;
  const std::vector<std::string>& header() const;
  // Column(name) is the index of the header column called `name`: NotFound (listing the header)
  // when absent, InvalidArgument when the header has it more than once.
  absl::StatusOr<std::size_t> Column(std::string_view name) const;

  // Next(record) reads the next record into `record`; false at the end of the file.
  absl::StatusOr<bool> Next(CsvRecord& record);

  // Progress: bytes consumed so far and the file size (0 when unknown).
  std::uint64_t bytes_read() const;
  std::uint64_t total_bytes() const;
  std::uint64_t blank_lines() const;

 private:
  struct State;
  explicit CsvReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace bloomlink::io
