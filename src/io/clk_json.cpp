// clkhash JSON and id,clk CSV encodings: streaming readers for these two fixed shapes (no DOM:
// a 5M-record file is read in 1 MiB chunks and each CLK is decoded straight into its row) and
// writers that produce what clkhash / anonlink read.
#include "bloomlink/io/clk_json.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "bloomlink/base64.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/io/csv.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "io/input_file.hpp"

namespace bloomlink::io {
namespace {

using internal::StrCat;

constexpr std::size_t kReadChunk = std::size_t{1} << 20;
// The longest string (JSON) or field (CSV) accepted: room for the base64 of the largest filter
// (kMaxFilterBits) and for the largest id, so a corrupt file cannot make a string grow unbounded.
constexpr std::size_t kMaxTokenBytes = std::size_t{4} << 20;
static_assert(kMaxTokenBytes >= (kMaxFilterBits / 8 + 2) / 3 * 4 && kMaxTokenBytes >= kMaxIdBytes);

using internal::DescribeChar;

using io_internal::InputFile;

void SkipByteOrderMark(InputFile& in) {
  if (in.Fill(3) && in.buffered().starts_with("\xEF\xBB\xBF")) in.Consume(3);
}

// ClkCollector: gathers the CLKs of a file into one BitMatrix. The first CLK fixes the length;
// the matrix is sized once from the file size (every record takes at least its unpadded base64
// and two more bytes, so file size / that is an upper bound on the count) instead of growing by
// copying; Finish() trims it to the records read.
class ClkCollector {
 public:
  explicit ClkCollector(std::uint64_t file_bytes) : file_bytes_(file_bytes) {}

  // Append(bytes) adds the next CLK; returns what is wrong with it, or "".
  std::string Append(const std::vector<std::uint8_t>& bytes) {
    if (bytes.empty()) return "the CLK is empty; expected base64 of the filter bytes";
    if (count_ == 0) {
      if (bytes.size() * 8 > kMaxFilterBits) {
        return StrCat("the CLK is ", bytes.size() * 8, " bits, over the limit of ", kMaxFilterBits);
      }
      bytes_per_filter_ = bytes.size();
      const std::uint64_t min_record = (bytes_per_filter_ * 4 + 2) / 3 + 2;
      clks_ =
          BitMatrix(static_cast<std::size_t>(file_bytes_ / min_record + 1), bytes_per_filter_ * 8);
    } else if (bytes.size() != bytes_per_filter_) {
      return StrCat("the CLK is ", bytes.size(), " bytes (", bytes.size() * 8,
                    " bits) but the first CLK is ", bytes_per_filter_, " bytes (",
                    bytes_per_filter_ * 8, " bits); all CLKs must have the same length");
    }
    if (count_ == clks_.rows()) clks_.Resize(count_ + count_ / 2 + 1);  // size unknown (a pipe)
    std::memcpy(clks_.row_bytes(count_), bytes.data(), bytes_per_filter_);
    ++count_;
    return "";
  }

  std::size_t count() const { return count_; }

  // Finish() is the matrix of the CLKs read (0 rows and 0 bits when there were none), with
  // popcounts.
  BitMatrix Finish() {
    clks_.Resize(count_);
    clks_.UpdatePopcounts();
    return std::move(clks_);
  }

 private:
  std::uint64_t file_bytes_;
  BitMatrix clks_;
  std::size_t count_ = 0;
  std::size_t bytes_per_filter_ = 0;
};

// ---- clkhash JSON --------------------------------------------------------------------------

class JsonReader {
 public:
  explicit JsonReader(InputFile& in) : in_(in) {}

  absl::StatusOr<EncodedDataset> Read();

 private:
  absl::Status Error(std::string_view where, std::string_view what) const {
    if (!in_.status().ok()) return in_.status();
    return absl::InvalidArgumentError(StrCat(in_.path(), ": ", where, where.empty() ? "" : " ",
                                             "(byte offset ", in_.offset(), "): ", what));
  }
  void SkipSpace() {
    while (true) {
      int c = in_.Peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      in_.Consume(1);
    }
  }
  absl::Status Expect(char want, std::string_view where, std::string_view what) {
    SkipSpace();
    int c = in_.Peek();
    if (c != static_cast<unsigned char>(want)) {
      return Error(where, StrCat("expected ", what, ", found ", DescribeChar(c)));
    }
    in_.Consume(1);
    return absl::OkStatus();
  }
  absl::Status ReadString(std::string& out, std::string_view where);
  absl::Status ReadClks(ClkCollector& clks);

  InputFile& in_;
  std::string scratch_;
  std::vector<std::uint8_t> bytes_;
};

absl::Status JsonReader::ReadString(std::string& out, std::string_view where) {
  in_.Consume(1);  // the opening quote
  out.clear();
  while (true) {
    std::string_view buffered = in_.buffered();
    if (buffered.empty()) {
      if (!in_.Fill()) return Error(where, "the file ends inside a string (no closing '\"')");
      continue;
    }
    std::size_t k = 0;
    while (k < buffered.size()) {
      const auto c = static_cast<unsigned char>(buffered[k]);
      if (c == '"' || c == '\\' || c < 0x20) break;
      ++k;
    }
    out.append(buffered.data(), k);
    in_.Consume(k);
    if (out.size() > kMaxTokenBytes) {
      return Error(where, StrCat("a string longer than ", kMaxTokenBytes,
                                 " bytes; a CLK's base64 is never that long"));
    }
    if (k == buffered.size()) continue;
    const auto c = static_cast<unsigned char>(buffered[k]);
    if (c == '"') {
      in_.Consume(1);
      return absl::OkStatus();
    }
    if (c < 0x20) {
      return Error(where, StrCat("a control character (", DescribeChar(c),
                                 ") inside a string; JSON strings must escape them"));
    }
    in_.Consume(1);  // the backslash
    const int e = in_.Get();
    switch (e) {
      case '"':
      case '\\':
      case '/':
        out.push_back(static_cast<char>(e));
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        std::uint32_t cp = 0;
        for (int i = 0; i < 4; ++i) {
          const int h = in_.Get();
          int v = -1;
          if (h >= '0' && h <= '9') v = h - '0';
          if (h >= 'a' && h <= 'f') v = h - 'a' + 10;
          if (h >= 'A' && h <= 'F') v = h - 'A' + 10;
          if (v < 0) return Error(where, "a \\u escape needs four hexadecimal digits");
          cp = (cp << 4) | static_cast<std::uint32_t>(v);
        }
        // Only ASCII can be part of base64 or of the key "clks"; anything else stands in as a
        // character that fails later with a clear message.
        out.push_back(cp < 0x80 ? static_cast<char>(cp) : '?');
        break;
      }
      default:
        return Error(where, StrCat("invalid escape sequence \\", DescribeChar(e)));
    }
  }
}

absl::Status JsonReader::ReadClks(ClkCollector& clks) {
  BLOOMLINK_RETURN_IF_ERROR(Expect('[', "\"clks\"", "'[' starting the array of CLKs"));
  SkipSpace();
  if (in_.Peek() == ']') {
    in_.Consume(1);
    return absl::OkStatus();
  }
  std::string where;
  for (std::size_t i = 0;; ++i) {
    where.clear();  // reuses its capacity: no allocation per record
    internal::StrAppend(where, "clks[", i, "]");
    SkipSpace();
    const int c = in_.Peek();
    if (c != '"') {
      return Error(where,
                   StrCat("expected a base64 string in double quotes, found ", DescribeChar(c)));
    }
    BLOOMLINK_RETURN_IF_ERROR(ReadString(scratch_, where));
    if (absl::Status decoded = Base64DecodeTo(scratch_, bytes_); !decoded.ok()) {
      return Error(where, std::string(decoded.message()));
    }
    std::string error = clks.Append(bytes_);
    if (!error.empty()) return Error(where, error);
    SkipSpace();
    const int next = in_.Peek();
    if (next != ',' && next != ']') {
      return Error(where, StrCat("expected ',' or ']' after the CLK, found ", DescribeChar(next)));
    }
    in_.Consume(1);
    if (next == ']') return absl::OkStatus();
  }
}

absl::StatusOr<EncodedDataset> JsonReader::Read() {
  ClkCollector clks(in_.size());
  SkipByteOrderMark(in_);
  SkipSpace();
  if (in_.Peek() < 0) {
    if (!in_.status().ok()) return in_.status();
    return absl::InvalidArgumentError(
        StrCat(in_.path(), ": the file is empty; expected clkhash JSON {\"clks\": [...]}"));
  }
  BLOOMLINK_RETURN_IF_ERROR(
      Expect('{', "", "'{' starting the clkhash JSON object {\"clks\": [...]}"));
  SkipSpace();
  if (in_.Peek() == '}') {
    return Error("", "the object has no \"clks\" key; expected {\"clks\": [...]}");
  }
  bool seen_clks = false;
  while (true) {
    SkipSpace();
    if (in_.Peek() != '"') {
      return Error("", StrCat("expected a key in double quotes, found ", DescribeChar(in_.Peek())));
    }
    std::string key;
    BLOOMLINK_RETURN_IF_ERROR(ReadString(key, "object key"));
    if (key != "clks") {
      std::string shown = key.substr(0, 40);
      for (char& ch : shown) {
        if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) {
          ch = '?';
        }
      }
      return Error("", StrCat("unexpected key \"", shown,
                              "\"; a clkhash JSON file has the single key \"clks\""));
    }
    if (seen_clks) return Error("", "the key \"clks\" appears twice");
    seen_clks = true;
    BLOOMLINK_RETURN_IF_ERROR(Expect(':', "", "':' after the key \"clks\""));
    BLOOMLINK_RETURN_IF_ERROR(ReadClks(clks));
    SkipSpace();
    const int c = in_.Peek();
    if (c != ',' && c != '}') {
      return Error("", StrCat("expected ',' or '}' after the CLK array, found ", DescribeChar(c)));
    }
    in_.Consume(1);
    if (c == '}') break;
  }
  SkipSpace();
  if (in_.Peek() >= 0) {
    return Error("", StrCat("unexpected ", DescribeChar(in_.Peek()),
                            " after the closing '}' of the JSON object"));
  }
  if (!in_.status().ok()) return in_.status();
  EncodedDataset dataset;
  dataset.clks = clks.Finish();
  const std::size_t n = dataset.clks.rows();
  dataset.ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) dataset.ids.push_back(StrCat(i));
  return dataset;
}

// ---- CSV of id,clk --------------------------------------------------------------------------

absl::StatusOr<EncodedDataset> ReadClks(CsvReader reader) {
  const std::string& path = reader.name();
  const std::vector<std::string>& header = reader.header();
  if (header.size() != 2 || header[0] != "id" || header[1] != "clk") {
    return absl::InvalidArgumentError(StrCat(path, ":1: expected the header id,clk"));
  }
  EncodedDataset dataset;
  ClkCollector clks(reader.total_bytes());
  std::vector<std::uint8_t> bytes;
  CsvRecord record;
  for (std::size_t i = 0;; ++i) {
    BLOOMLINK_ASSIGN_OR_RETURN(bool more, reader.Next(record));
    if (!more) break;
    // Records count from 0, as clkhash's positions do.
    auto error = [&](std::string_view what) {
      return absl::InvalidArgumentError(
          StrCat(path, ":", record.line(), ": record ", i, ": column clk: ", what));
    };
    if (absl::Status decoded = Base64DecodeTo(record[1], bytes); !decoded.ok()) {
      return error(std::string(decoded.message()));
    }
    if (std::string wrong = clks.Append(bytes); !wrong.empty()) return error(wrong);
    dataset.ids.emplace_back(record[0]);
  }
  dataset.clks = clks.Finish();
  BLOOMLINK_RETURN_IF_ERROR(ValidateEncodedDataset(dataset, path));
  return dataset;
}

// ---- writers ---------------------------------------------------------------------------------

absl::Status CheckWritable(const EncodedDataset& dataset, const std::string& path,
                           std::string_view form) {
  BLOOMLINK_RETURN_IF_ERROR(ValidateEncodedDataset(dataset, StrCat(path, ": cannot write")));
  if (dataset.clks.bits() % 8 != 0) {
    return absl::InvalidArgumentError(StrCat(path, ": cannot write ", form,
                                             ": it stores whole bytes, and the filter length ",
                                             dataset.clks.bits(), " bits is not a multiple of 8"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EncodedDataset> ReadClkJson(const std::string& path) {
  BLOOMLINK_ASSIGN_OR_RETURN(InputFile in, InputFile::Open(path, {.chunk_bytes = kReadChunk}));
  JsonReader reader(in);
  return reader.Read();
}

absl::StatusOr<EncodedDataset> ReadClkCsv(const std::string& path) {
  // Fields as long as the base64 of the largest filter (the CSV reader's default is 1 MiB).
  BLOOMLINK_ASSIGN_OR_RETURN(CsvReader reader,
                             CsvReader::Open(path, {.max_field_bytes = kMaxTokenBytes}));
  return ReadClks(std::move(reader));
}

absl::Status WriteClkJson(const EncodedDataset& dataset, const std::string& path) {
  BLOOMLINK_RETURN_IF_ERROR(CheckWritable(dataset, path, "clkhash JSON"));
  BLOOMLINK_ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::Create(path));
  const BitMatrix& clks = dataset.clks;
  const std::size_t bpf = clks.bytes_per_filter();
  std::string buffer = "{\"clks\": [";
  buffer.reserve(kReadChunk + (bpf + 2) / 3 * 4 + 8);
  for (std::size_t r = 0; r < clks.rows(); ++r) {
    if (r > 0) buffer += ", ";
    buffer.push_back('"');
    Base64EncodeTo(std::span<const std::uint8_t>(clks.row_bytes(r), bpf), buffer);
    buffer.push_back('"');
    if (buffer.size() >= kReadChunk) {
      BLOOMLINK_RETURN_IF_ERROR(out.Write(buffer));
      buffer.clear();
    }
  }
  buffer += "]}";
  BLOOMLINK_RETURN_IF_ERROR(out.Write(buffer));
  return out.Commit();
}

absl::Status WriteClkCsv(const EncodedDataset& dataset, const std::string& path) {
  BLOOMLINK_RETURN_IF_ERROR(CheckWritable(dataset, path, "a CSV of base64 CLKs"));
  BLOOMLINK_ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::Create(path));
  const BitMatrix& clks = dataset.clks;
  const std::size_t bpf = clks.bytes_per_filter();
  std::string buffer = "id,clk\n";
  buffer.reserve(kReadChunk + 4096);
  for (std::size_t r = 0; r < clks.rows(); ++r) {
    AppendCsvField(buffer, dataset.ids[r]);
    buffer.push_back(',');
    Base64EncodeTo(std::span<const std::uint8_t>(clks.row_bytes(r), bpf), buffer);
    buffer.push_back('\n');
    if (buffer.size() >= kReadChunk) {
      BLOOMLINK_RETURN_IF_ERROR(out.Write(buffer));
      buffer.clear();
    }
  }
  BLOOMLINK_RETURN_IF_ERROR(out.Write(buffer));
  return out.Commit();
}

}  // namespace bloomlink::io
