// libFuzzer target: the streaming CSV reader (bloomlink/io/csv.hpp), as `bloomlink encode` uses it.
//
// Input: one options byte, then the CSV bytes. The options byte picks the delimiter, the
// skip_initial_space flag, a tiny read chunk (so records straddle chunks) and optionally tiny
// limits. Invariants checked beyond "no crash":
//  - every error is InvalidArgument, and after an error Next() keeps returning the same error;
//    after the end it keeps returning false and bytes_read() == total_bytes();
//  - every record has header().size() fields, numbers count 1, 2, ... and lines increase;
//  - Column(name) finds each header name (or refuses an empty or repeated name);
//  - the chunk size never changes the outcome: the same input read in one chunk gives the same
//    header, records and status (message included);
//  - a file that reads without error, written back with every field quoted, reads back the same.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bloomlink/io/csv.hpp"
#include "fuzz_support.hpp"

namespace {

using bloomlink::fuzz::ExpectInvalidArgument;
using bloomlink::io::CsvOptions;
using bloomlink::io::CsvReader;
using bloomlink::io::CsvRecord;

struct Outcome {
  absl::Status status;  // of FromString, else of the first failing Next
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> records;
  std::vector<std::uint64_t> lines;
  std::uint64_t blank_lines = 0;
};

Outcome Read(const std::string& data, const CsvOptions& options) {
  Outcome out;
  auto reader = CsvReader::FromString(data, "fuzz.csv", options);
  if (!reader.ok()) {
    out.status = reader.status();
    ExpectInvalidArgument(out.status, "CsvReader::FromString");
    return out;
  }
  out.header = reader->header();
  FUZZ_CHECK(!out.header.empty(), "a header without columns");
  FUZZ_CHECK(out.header.size() <= options.max_columns, "more columns than max_columns");
  for (const std::string& name : out.header) {
    FUZZ_CHECK(name.size() <= options.max_field_bytes, "a header name over max_field_bytes");
    auto column = reader->Column(name);
    if (column.ok()) {
      FUZZ_CHECK(*column < out.header.size() && out.header[*column] == name,
                 "Column() returned another column");
    } else {
      ExpectInvalidArgument(column.status(), "Column() of a header name");
    }
  }
  CsvRecord record;
  std::uint64_t last_line = 0;
  while (true) {
    auto more = reader->Next(record);
    if (!more.ok()) {
      out.status = more.status();
      ExpectInvalidArgument(out.status, "CsvReader::Next");
      auto again = reader->Next(record);
      FUZZ_CHECK(!again.ok() && again.status() == out.status,
                 "Next() after an error did not repeat the error");
      break;
    }
    if (!*more) {
      FUZZ_CHECK(reader->bytes_read() == reader->total_bytes(),
                 "bytes_read() != total_bytes() at the end");
      auto again = reader->Next(record);
      FUZZ_CHECK(again.ok() && !*again, "Next() after the end did not return false");
      break;
    }
    FUZZ_CHECK(record.size() == out.header.size(), "a record with a different field count");
    FUZZ_CHECK(record.number() == out.records.size() + 1, "record numbers do not count 1, 2, ...");
    FUZZ_CHECK(record.line() > last_line, "record lines do not increase");
    last_line = record.line();
    std::vector<std::string> fields;
    for (std::size_t i = 0; i < record.size(); ++i) {
      FUZZ_CHECK(record[i].size() <= options.max_field_bytes, "a field over max_field_bytes");
      fields.emplace_back(record[i]);
    }
    out.records.push_back(std::move(fields));
    out.lines.push_back(record.line());
  }
  out.blank_lines = reader->blank_lines();
  return out;
}

std::string Quote(const std::string& field) {
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Write(const Outcome& o, char delimiter) {
  std::string out;
  auto row = [&](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out.push_back(delimiter);
      out += Quote(fields[i]);
    }
    out.push_back('\n');
  };
  row(o.header);
  for (const auto& r : o.records) row(r);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  const std::string csv(reinterpret_cast<const char*>(data + 1), size - 1);

  static constexpr char kDelimiters[] = {',', ';', '\t', '|'};
  static constexpr std::size_t kChunks[] = {1, 2, 3, 4, 5, 7, 16, 64};
  CsvOptions options;
  options.delimiter = kDelimiters[flags & 3];
  options.skip_initial_space = (flags & 4) != 0;
  options.read_chunk_bytes = kChunks[(flags >> 3) & 7];
  if (flags & 0x40) {
    options.max_field_bytes = 8;
    options.max_columns = 4;
  }

  const Outcome chunked = Read(csv, options);

  CsvOptions whole = options;
  whole.read_chunk_bytes = std::size_t{1} << 20;
  const Outcome one = Read(csv, whole);
  FUZZ_CHECK(chunked.status == one.status,
             "the chunk size changed the status: " + chunked.status.ToString() + " vs " +
                 one.status.ToString());
  FUZZ_CHECK(chunked.header == one.header, "the chunk size changed the header");
  FUZZ_CHECK(chunked.records == one.records, "the chunk size changed the records");
  FUZZ_CHECK(chunked.lines == one.lines, "the chunk size changed the record lines");
  FUZZ_CHECK(chunked.blank_lines == one.blank_lines, "the chunk size changed blank_lines()");

  if (one.status.ok()) {
    const Outcome back = Read(Write(one, options.delimiter), whole);
    FUZZ_CHECK(back.status.ok(), "written back, the file does not read: " + back.status.ToString());
    FUZZ_CHECK(back.header == one.header, "written back, the header differs");
    FUZZ_CHECK(back.records == one.records, "written back, the records differ");
  }
  return 0;
}
