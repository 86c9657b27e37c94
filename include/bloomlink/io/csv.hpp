// bloomlink/io/csv.hpp
//
// CsvReader: a streaming RFC 4180 reader for person-record extracts. Handles quoted fields with
// embedded delimiters, quotes ("") and newlines, LF and CRLF line endings, a UTF-8 byte-order
// mark, and a final line without a newline. It reads the file in large chunks and never holds
// more than one record plus one chunk in memory, so it streams files of any size (FromString
// holds its string, and parses it in place).
//
// Every error names the file and the 1-based line (and column where it applies) and says what
// was expected; it never quotes field contents (they are personal data). Refused: empty file,
// missing header, ragged rows, unterminated quotes, invalid UTF-8, NUL bytes, UTF-16/UTF-32
// files, ZIP (.xlsx), .xls and gzip files, fields over max_field_bytes, headers over max_columns.
// Blank lines (no characters at all) between records are skipped and counted (blank_lines());
// so a one-column file writes an empty value as "". A line holding only spaces is a record.
//
// Dialect details:
// - A quote inside an unquoted field (`5'11",x`) is kept as a literal character (lenient, like
//   Python's csv and Excel); only a quote at the very start of a field opens a quoted field.
// - After a closing quote only the delimiter, a line ending or the end of the file may follow:
//   `"ab"c,` and `"ab" ,` are errors.
// - Line endings are LF or CRLF, mixed freely. A carriage return outside quotes that is not
//   followed by LF is an error (CR-only "old Mac" files are refused with a message saying so);
//   inside quotes CR and LF are kept as they are.
// - A UTF-8 byte-order mark at the start is skipped; the header's first name never includes it.
//
//   absl::StatusOr<io::CsvReader> reader = io::CsvReader::Open("trust.csv");
//   if (!reader.ok()) return reader.status();
//   absl::StatusOr<std::size_t> id_col = reader->Column("id");
//   if (!id_col.ok()) return id_col.status();
//   io::CsvRecord record;
//   while (true) {
//     absl::StatusOr<bool> more = reader->Next(record);
//     if (!more.ok()) return more.status();
//     if (!*more) break;
//     std::string_view id = record[*id_col];
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
  // delimiter must be an ASCII character other than '"', CR, LF and NUL.
  char delimiter = ',';
  // skip_initial_space ignores spaces (' ' only) at the start of every field, that is right after
  // a delimiter and at the start of a line, also before a quoted field (Python csv's
  // skipinitialspace), for files such as FEBRL's that separate fields with ", ".
  bool skip_initial_space = false;
  // Limits: over a limit is an error naming the limit, never a silent truncation.
  // max_field_bytes counts a field's bytes after unquoting.
  std::size_t max_field_bytes = std::size_t{1} << 20;  // 1 MiB
  std::size_t max_columns = 4096;
  // read_chunk_bytes is the size of each read from the file (for FromString, of each slice of the
  // string); memory use is about one chunk plus one record. Tests make it tiny so that records
  // span chunks; there is rarely a reason to change it otherwise. Must be at least 1.
  std::size_t read_chunk_bytes = std::size_t{1} << 20;  // 1 MiB
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
  // file cannot be opened; InvalidArgument for a folder, bad options, an empty file or a bad
  // header. Leading blank lines before the header are skipped (and counted).
  static absl::StatusOr<CsvReader> Open(std::string path, CsvOptions options = {});
  // FromString(data, name, options) reads from memory; `name` stands for the file in messages.
  static absl::StatusOr<CsvReader> FromString(std::string data, std::string name,
                                              CsvOptions options = {});

  CsvReader(CsvReader&&) noexcept;
  CsvReader& operator=(CsvReader&&) noexcept;
  ~CsvReader();

  const std::string& name() const;
  const std::vector<std::string>& header() const;
  // Column(name) is the 0-based index of the header column called exactly `name`: NotFound
  // (listing the header) when absent, InvalidArgument when the header has it more than once
  // (naming each column number) or when `name` is empty (an empty header name never matches).
  absl::StatusOr<std::size_t> Column(std::string_view name) const;

  // Next(record) reads the next record into `record`; false at the end of the file. Every record
  // has exactly header().size() fields. After an error the reader is stuck: Next returns the
  // same error again; after the end it keeps returning false.
  absl::StatusOr<bool> Next(CsvRecord& record);

  // Progress: bytes consumed so far (including the header, a byte-order mark and blank lines) and
  // the file size (0 when unknown, e.g. for a pipe). At the end bytes_read() == total_bytes().
  std::uint64_t bytes_read() const;
  std::uint64_t total_bytes() const;
  std::uint64_t blank_lines() const;

 private:
  struct State;
  explicit CsvReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// AppendCsvField(out, field): appends `field` to a CSV line, quoted (inner quotes doubled) when it
// holds the delimiter ',', a quote, CR or LF, so that CsvReader reads it back as it was. The
// one CSV field writer of the library.
void AppendCsvField(std::string& out, std::string_view field);

}  // namespace bloomlink::io
