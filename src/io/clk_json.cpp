// clkhash JSON and id,clk CSV encodings: streaming readers for these two fixed shapes (no DOM:
// a 5M-record file is read in 1 MiB chunks and each CLK is decoded straight into its row) and
// writers that produce what clkhash / anonlink read.
#include "bloomlink/io/clk_json.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "bloomlink/base64.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "internal/file_errors.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::io {
namespace {

using internal::StrCat;

constexpr std::size_t kReadChunk = std::size_t{1} << 20;
// The longest string (JSON) or field (CSV) accepted: room for the base64 of the largest filter
// (kMaxFilterBits) and for the largest id, so a corrupt file cannot make a string grow unbounded.
constexpr std::size_t kMaxTokenBytes = std::size_t{4} << 20;
static_assert(kMaxTokenBytes >= (kMaxFilterBits / 8 + 2) / 3 * 4 && kMaxTokenBytes >= kMaxIdBytes);

std::string DescribeChar(int c) {
  if (c < 0) return "the end of the file";
  if (c >= 0x21 && c < 0x7f) return StrCat("'", static_cast<char>(c), "'");
  if (c == ' ') return "a space";
  static constexpr char kHex[] = "0123456789abcdef";
  return StrCat("byte 0x", kHex[(c >> 4) & 15], kHex[c & 15]);
}

// ---- buffered input ----------------------------------------------------------------------

// TextInput: a file read in 1 MiB chunks with byte-at-a-time peeking and bulk scanning.
class TextInput {
 public:
  static absl::StatusOr<TextInput> Open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return internal::FileError(errno, path, "cannot open");
    TextInput in(path, fd);
    std::size_t buffer_bytes = kReadChunk;
    struct stat st;
    if (::fstat(fd, &st) == 0) {
      if (S_ISDIR(st.st_mode)) {
        return absl::InvalidArgumentError(StrCat(path, ": cannot read: it is a folder"));
      }
      if (S_ISREG(st.st_mode)) {
        in.file_bytes_ = static_cast<std::uint64_t>(st.st_size);
        // A small file needs no 1 MiB buffer (the buffer is zeroed: that would cost more than
        // reading the file). Reading on past the size still works if the file grew.
        buffer_bytes =
            static_cast<std::size_t>(std::min<std::uint64_t>(kReadChunk, in.file_bytes_ + 1));
      }
    }
    in.buffer_.resize(buffer_bytes);
    return in;
  }
  TextInput(TextInput&& other) noexcept
      : path_(std::move(other.path_)),
        fd_(std::exchange(other.fd_, -1)),
        buffer_(std::move(other.buffer_)),
        pos_(other.pos_),
        len_(other.len_),
        base_(other.base_),
        file_bytes_(other.file_bytes_),
        status_(std::move(other.status_)) {}
  TextInput& operator=(TextInput&&) = delete;
  TextInput(const TextInput&) = delete;
  ~TextInput() {
    if (fd_ >= 0) ::close(fd_);
  }

  const std::string& path() const { return path_; }
  // file_bytes() is the size of a regular file, 0 for anything else (a pipe).
  std::uint64_t file_bytes() const { return file_bytes_; }
  // Peek() is the next byte, or -1 at the end of the file (or after a read error: see status()).
  int Peek() { return pos_ < len_ ? static_cast<unsigned char>(buffer_[pos_]) : PeekSlow(); }
  // Advance() consumes the byte Peek() returned.
  void Advance() { ++pos_; }
  int Get() {
    int c = Peek();
    if (c >= 0) ++pos_;
    return c;
  }
  // Buffered() is what is buffered but not consumed; Consume(n) consumes n bytes of it.
  std::string_view Buffered() const { return std::string_view(buffer_.data() + pos_, len_ - pos_); }
  void Consume(std::size_t n) { pos_ += n; }
  // Refill() reads the next chunk once everything buffered is consumed; false at the end.
  bool Refill() {
    if (pos_ < len_) return true;
    if (fd_ < 0 || !status_.ok()) return false;
    base_ += len_;
    pos_ = len_ = 0;
    while (true) {
      ssize_t got = ::read(fd_, buffer_.data(), buffer_.size());
      if (got < 0) {
        if (errno == EINTR) continue;
        status_ = absl::InternalError(
            StrCat(path_, ": read failed at byte ", base_, ": ", std::strerror(errno)));
        return false;
      }
      len_ = static_cast<std::size_t>(got);
      return got > 0;
    }
  }
  // offset() is the 0-based byte offset of the next byte in the file.
  std::uint64_t offset() const { return base_ + pos_; }
  const absl::Status& status() const { return status_; }

 private:
  TextInput(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  int PeekSlow() {
    if (!Refill()) return -1;
    return static_cast<unsigned char>(buffer_[pos_]);
  }

  std::string path_;
  int fd_ = -1;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  std::uint64_t base_ = 0;
  std::uint64_t file_bytes_ = 0;
  absl::Status status_;
};

void SkipByteOrderMark(TextInput& in) {
  if (in.Peek() != 0xEF) return;
  // The three bytes may straddle a chunk boundary only in a file of under 1 MiB... never: the
  // first chunk holds them unless the file is shorter.
  std::string_view b = in.Buffered();
  if (b.size() >= 3 && b.substr(0, 3) == "\xEF\xBB\xBF") in.Consume(3);
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
  explicit JsonReader(TextInput& in) : in_(in) {}

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
      in_.Advance();
    }
  }
  absl::Status Expect(char want, std::string_view where, std::string_view what) {
    SkipSpace();
    int c = in_.Peek();
    if (c != static_cast<unsigned char>(want)) {
      return Error(where, StrCat("expected ", what, ", found ", DescribeChar(c)));
    }
    in_.Advance();
    return absl::OkStatus();
  }
  absl::Status ReadString(std::string& out, std::string_view where);
  absl::Status ReadClks(ClkCollector& clks);

  TextInput& in_;
  std::string scratch_;
  std::vector<std::uint8_t> bytes_;
};

absl::Status JsonReader::ReadString(std::string& out, std::string_view where) {
  in_.Advance();  // the opening quote
  out.clear();
  while (true) {
    std::string_view buffered = in_.Buffered();
    if (buffered.empty()) {
      if (!in_.Refill()) return Error(where, "the file ends inside a string (no closing '\"')");
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
      in_.Advance();
      return absl::OkStatus();
    }
    if (c < 0x20) {
      return Error(where, StrCat("a control character (", DescribeChar(c),
                                 ") inside a string; JSON strings must escape them"));
    }
    in_.Advance();  // the backslash
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
    in_.Advance();
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
    in_.Advance();
    if (next == ']') return absl::OkStatus();
  }
}

absl::StatusOr<EncodedDataset> JsonReader::Read() {
  ClkCollector clks(in_.file_bytes());
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
    in_.Advance();
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

class CsvClkReader {
 public:
  explicit CsvClkReader(TextInput& in) : in_(in) {}
  absl::StatusOr<EncodedDataset> Read();

 private:
  absl::Status Error(std::string_view what) const {
    if (!in_.status().ok()) return in_.status();
    return absl::InvalidArgumentError(StrCat(in_.path(), ": line ", line_, ": ", what));
  }
  // ReadRow() parses the next row into fields_[0..count_); false at the end of the file.
  absl::StatusOr<bool> ReadRow();
  absl::Status ReadQuoted(std::string& field);
  absl::Status ReadUnquoted(std::string& field);

  TextInput& in_;
  std::uint64_t line_ = 1;      // the line being read
  std::uint64_t row_line_ = 1;  // the line the current row started on
  std::array<std::string, 2> fields_;
  std::size_t count_ = 0;
  bool terminated_by_newline_ = false;  // ReadUnquoted consumed a CRLF
};

absl::Status CsvClkReader::ReadQuoted(std::string& field) {
  const std::uint64_t start = line_;
  in_.Advance();  // the opening quote
  while (true) {
    std::string_view buffered = in_.Buffered();
    if (buffered.empty()) {
      if (!in_.Refill()) {
        return Error(StrCat("the file ends inside a quoted field that starts on line ", start));
      }
      continue;
    }
    std::size_t k = buffered.find('"');
    if (k == std::string_view::npos) k = buffered.size();
    std::string_view piece = buffered.substr(0, k);
    line_ += static_cast<std::uint64_t>(std::count(piece.begin(), piece.end(), '\n'));
    field.append(piece);
    in_.Consume(k);
    if (field.size() > kMaxTokenBytes) {
      return Error(StrCat("a field longer than ", kMaxTokenBytes, " bytes"));
    }
    if (k == buffered.size()) continue;
    in_.Advance();  // a quote: closing, or the first of a doubled pair
    if (in_.Peek() == '"') {
      field.push_back('"');
      in_.Advance();
      continue;
    }
    return absl::OkStatus();
  }
}

absl::Status CsvClkReader::ReadUnquoted(std::string& field) {
  while (true) {
    std::string_view buffered = in_.Buffered();
    if (buffered.empty()) {
      if (!in_.Refill()) return absl::OkStatus();
      continue;
    }
    std::size_t k = 0;
    while (k < buffered.size()) {
      const char c = buffered[k];
      if (c == ',' || c == '\n' || c == '\r' || c == '"') break;
      ++k;
    }
    field.append(buffered.data(), k);
    in_.Consume(k);
    if (field.size() > kMaxTokenBytes) {
      return Error(StrCat("a field longer than ", kMaxTokenBytes, " bytes"));
    }
    if (k == buffered.size()) continue;
    const char c = buffered[k];
    if (c == '"') {
      return Error(
          "a double quote inside an unquoted field; quote the whole field and double the quote "
          "(RFC 4180)");
    }
    if (c == '\r') {
      // A CR ends the line only as part of CRLF; elsewhere it is data (and fails later).
      in_.Advance();
      if (in_.Peek() == '\n') {
        in_.Advance();
        terminated_by_newline_ = true;
        return absl::OkStatus();
      }
      field.push_back('\r');
      continue;
    }
    return absl::OkStatus();  // ',' or '\n': the caller consumes it
  }
}

absl::StatusOr<bool> CsvClkReader::ReadRow() {
  // Skip blank lines.
  while (true) {
    const int c = in_.Peek();
    if (c == '\n') {
      in_.Advance();
      ++line_;
      continue;
    }
    if (c == '\r') {
      std::string_view b = in_.Buffered();
      if (b.size() >= 2 && b[1] == '\n') {
        in_.Consume(2);
        ++line_;
        continue;
      }
    }
    if (c < 0) {
      if (!in_.status().ok()) return in_.status();
      return false;
    }
    break;
  }
  row_line_ = line_;
  count_ = 0;
  while (true) {
    if (count_ == fields_.size()) {
      return Error("more than 2 fields; expected exactly 2 (id,clk)");
    }
    std::string& field = fields_[count_++];
    field.clear();
    terminated_by_newline_ = false;
    if (in_.Peek() == '"') {
      BLOOMLINK_RETURN_IF_ERROR(ReadQuoted(field));
      const int c = in_.Peek();
      if (c == '\r') {
        in_.Advance();
        if (in_.Peek() != '\n') return Error("a CR after a closing quote is not followed by LF");
        in_.Advance();
        ++line_;
        return true;
      }
      if (c != ',' && c != '\n' && c >= 0) {
        return Error(StrCat("expected ',' or the end of the line after a closing quote, found ",
                            DescribeChar(c)));
      }
    } else {
      BLOOMLINK_RETURN_IF_ERROR(ReadUnquoted(field));
      if (terminated_by_newline_) {
        ++line_;
        return true;
      }
    }
    const int c = in_.Get();
    if (c == ',') continue;
    if (c == '\n') ++line_;
    if (c < 0 && !in_.status().ok()) return in_.status();
    return true;  // '\n' or the end of the file
  }
}

absl::StatusOr<EncodedDataset> CsvClkReader::Read() {
  SkipByteOrderMark(in_);
  BLOOMLINK_ASSIGN_OR_RETURN(bool header, ReadRow());
  if (!header) {
    return absl::InvalidArgumentError(
        StrCat(in_.path(), ": the file is empty; expected the header id,clk"));
  }
  if (count_ != 2 || fields_[0] != "id" || fields_[1] != "clk") {
    line_ = row_line_;
    return Error("expected the header id,clk");
  }
  EncodedDataset dataset;
  ClkCollector clks(in_.file_bytes());
  std::vector<std::uint8_t> bytes;
  std::string error;
  for (std::size_t i = 0;; ++i) {
    BLOOMLINK_ASSIGN_OR_RETURN(bool more, ReadRow());
    if (!more) break;
    const std::uint64_t end_line = line_;
    line_ = row_line_;  // messages name the line the row starts on
    if (count_ != 2) return Error(StrCat("record ", i, ": 1 field; expected 2 (id,clk)"));
    if (absl::Status decoded = Base64DecodeTo(fields_[1], bytes); !decoded.ok()) {
      return Error(StrCat("record ", i, ": column clk: ", std::string(decoded.message())));
    }
    error = clks.Append(bytes);
    if (!error.empty()) return Error(StrCat("record ", i, ": column clk: ", error));
    dataset.ids.push_back(fields_[0]);
    line_ = end_line;
  }
  dataset.clks = clks.Finish();
  BLOOMLINK_RETURN_IF_ERROR(ValidateEncodedDataset(dataset, in_.path()));
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

bool NeedsQuotes(std::string_view id) {
  return id.find_first_of(",\"\r\n") != std::string_view::npos;
}

}  // namespace

absl::StatusOr<EncodedDataset> ReadClkJson(const std::string& path) {
  BLOOMLINK_ASSIGN_OR_RETURN(TextInput in, TextInput::Open(path));
  JsonReader reader(in);
  return reader.Read();
}

absl::StatusOr<EncodedDataset> ReadClkCsv(const std::string& path) {
  BLOOMLINK_ASSIGN_OR_RETURN(TextInput in, TextInput::Open(path));
  CsvClkReader reader(in);
  return reader.Read();
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
    const std::string& id = dataset.ids[r];
    if (NeedsQuotes(id)) {
      buffer.push_back('"');
      for (char c : id) {
        if (c == '"') buffer.push_back('"');
        buffer.push_back(c);
      }
      buffer.push_back('"');
    } else {
      buffer += id;
    }
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
