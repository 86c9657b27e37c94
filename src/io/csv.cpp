#include "bloomlink/io/csv.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "internal/utf8.hpp"
#include "io/input_file.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace bloomlink::io {
namespace {

// kSniffBytes: how much of the start of the file is looked at for byte-order marks and UTF-16 or
// UTF-32 text without one.
constexpr std::size_t kSniffBytes = 64;
// kMaxNamesListed: how many header names a NotFound from Column lists.
constexpr std::size_t kMaxNamesListed = 64;

// Scanner: finds the next byte that ends a run of ordinary field content. Outside quotes that is
// the delimiter, CR, LF, a quote or NUL; inside quotes a quote, LF (to count lines) or NUL. Bytes
// with the high bit set also stop the scan until the field is known to need UTF-8 validation.
class Scanner {
 public:
  explicit Scanner(char delimiter) : delimiter_(delimiter) {
    for (int c : {static_cast<unsigned char>(delimiter), static_cast<unsigned char>('\r'),
                  static_cast<unsigned char>('\n'), static_cast<unsigned char>('"'),
                  static_cast<unsigned char>('\0')}) {
      table_[c] |= kUnquoted;
    }
    for (int c : {'"', '\n', '\0'}) table_[c] |= kQuoted;
    for (int c = 0x80; c < 0x100; ++c) table_[c] |= kHigh;
  }

  template <bool kInQuotes>
  const char* Find(const char* p, const char* end, bool stop_on_high) const {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i lf = _mm_set1_epi8('\n');
    const __m128i zero = _mm_setzero_si128();
    const __m128i delim = _mm_set1_epi8(delimiter_);
    const __m128i cr = _mm_set1_epi8('\r');
    while (end - p >= 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, lf)),
                                 _mm_cmpeq_epi8(v, zero));
      if constexpr (!kInQuotes) {
        hit = _mm_or_si128(hit, _mm_or_si128(_mm_cmpeq_epi8(v, delim), _mm_cmpeq_epi8(v, cr)));
      }
      unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
      if (stop_on_high) mask |= static_cast<unsigned>(_mm_movemask_epi8(v));
      if (mask != 0) return p + __builtin_ctz(mask);
      p += 16;
    }
#endif
    const std::uint8_t stop = (kInQuotes ? kQuoted : kUnquoted) | (stop_on_high ? kHigh : 0);
    while (p < end && (table_[static_cast<unsigned char>(*p)] & stop) == 0) ++p;
    return p;
  }

 private:
  static constexpr std::uint8_t kUnquoted = 1, kQuoted = 2, kHigh = 4;
  char delimiter_;
  std::uint8_t table_[256] = {};
};

// Mode: where the parser is within a record, kept across chunk boundaries.
enum class Mode {
  kRecordStart,  // before the first byte of a record (blank lines are skipped here)
  kBlankCR,      // at a record start, after a CR: LF must follow (a blank CRLF line)
  kFieldStart,   // at the start of a field, after a delimiter
  kUnquoted,     // inside an unquoted field
  kQuoted,       // inside a quoted field
  kQuotedQuote,  // inside a quoted field, just after a quote: "" or the closing quote
  kCR,           // after a CR that ends a record: LF must follow
};

}  // namespace

struct CsvReader::State {
  std::string name;
  CsvOptions options;
  Scanner scanner;
  io_internal::InputFile input;

  // The current window of input, input.buffered() when it was filled: [window_begin, end), of
  // which [p, end) is not yet parsed.
  const char* window_begin = nullptr;
  const char* p = nullptr;
  const char* end = nullptr;

  std::vector<std::string> header;
  bool header_read = false;
  std::uint64_t blank_lines = 0;
  std::uint64_t line = 1;  // the current physical line
  std::uint64_t records = 0;
  absl::Status error;  // sticky once set
  bool done = false;

  // Per-record parser state.
  std::size_t field_count = 0;
  std::size_t field_start = 0;  // offset in the record buffer
  bool field_high = false;      // the field has a byte with the high bit set
  std::uint64_t record_line = 0;
  std::uint64_t field_line = 0;  // where the current field starts
  std::uint64_t quote_line = 0;  // where the current quoted field opened

  State(const CsvOptions& options_in, io_internal::InputFile input_in)
      : name(input_in.path()),
        options(options_in),
        scanner(options_in.delimiter),
        input(std::move(input_in)) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  std::uint64_t BytesRead() const {
    return input.offset() + static_cast<std::uint64_t>(p - window_begin);
  }

  // Column(i): "column 3 (surname)", or "column 3" when the header has no name for it.
  std::string Column(std::size_t index) const {
    if (header_read && index < header.size() && !header[index].empty()) {
      return internal::StrCat("column ", index + 1, " (", header[index], ")");
    }
    return internal::StrCat("column ", index + 1);
  }
  absl::Status Error(std::uint64_t at_line, std::string_view what) const {
    return absl::InvalidArgumentError(internal::StrCat(name, ":", at_line, ": ", what));
  }
  absl::Status FieldError(std::uint64_t at_line, std::string_view what) const {
    return Error(at_line, internal::StrCat(Column(field_count), ": ", what));
  }

  // NextWindow(): the window after the current one (which is parsed); false at the end.
  absl::StatusOr<bool> NextWindow(std::size_t at_least = 1) {
    input.Consume(static_cast<std::size_t>(end - window_begin));
    window_begin = p = end = nullptr;
    if (!input.Fill(at_least)) {
      if (!input.status().ok()) return input.status();
      return false;
    }
    const std::string_view window = input.buffered();
    window_begin = p = window.data();
    end = p + window.size();
    return true;
  }

  // Start(): reads the first bytes, refuses UTF-16/UTF-32 and empty files, skips a UTF-8 BOM and
  // reads the header.
  absl::Status Start() {
    const CsvOptions& o = options;
    auto bad_option = [&](std::string_view what) {
      return absl::InvalidArgumentError(internal::StrCat(name, ": invalid CSV options: ", what));
    };
    unsigned char d = static_cast<unsigned char>(o.delimiter);
    if (d == '"' || d == '\r' || d == '\n' || d == '\0' || d >= 0x80) {
      return bad_option(
          "the delimiter must be an ASCII character other than a quote, CR, LF or NUL");
    }
    if (o.max_columns == 0) return bad_option("max_columns must be at least 1");
    if (o.max_field_bytes == 0) return bad_option("max_field_bytes must be at least 1");
    if (o.read_chunk_bytes == 0) return bad_option("read_chunk_bytes must be at least 1");
    // The first window holds at least kSniffBytes, or the whole file.
    BLOOMLINK_RETURN_IF_ERROR(NextWindow(kSniffBytes).status());
    BLOOMLINK_RETURN_IF_ERROR(Sniff());
    // The first window holds kSniffBytes or the whole file, so nothing left means empty.
    if (p == end) return absl::InvalidArgumentError(internal::StrCat(name, ": the file is empty"));

    CsvRecord record;
    BLOOMLINK_ASSIGN_OR_RETURN(bool got, ReadRecord(record, o.max_columns));
    if (!got) {
      return absl::InvalidArgumentError(
          internal::StrCat(name, ": the file has no header, only blank lines"));
    }
    if (field_count > o.max_columns) {
      return Error(record_line,
                   internal::StrCat("header has ", field_count, " columns, more than the limit of ",
                                    o.max_columns));
    }
    header.reserve(record.size());
    for (std::size_t i = 0; i < record.size(); ++i) header.emplace_back(record[i]);
    header_read = true;
    return absl::OkStatus();
  }

  // Sniff(): looks at the first window for byte-order marks and NUL-heavy text.
  absl::Status Sniff() {
    auto bytes = reinterpret_cast<const unsigned char*>(p);
    std::size_t n = static_cast<std::size_t>(end - p);
    auto starts = [&](std::initializer_list<unsigned char> bom) {
      return n >= bom.size() && std::equal(bom.begin(), bom.end(), bytes);
    };
    auto refuse = [&](std::string_view encoding) {
      return absl::InvalidArgumentError(
          internal::StrCat(name, ": the file looks like ", encoding, "; save it as UTF-8"));
    };
    if (starts({0xFF, 0xFE, 0x00, 0x00}) || starts({0x00, 0x00, 0xFE, 0xFF})) {
      return refuse("UTF-32");
    }
    if (starts({0xFF, 0xFE}) || starts({0xFE, 0xFF})) return refuse("UTF-16");
    if (starts({0xEF, 0xBB, 0xBF})) {
      p += 3;
      return absl::OkStatus();
    }
    // Files often given instead of a CSV export; their NUL bytes would otherwise read as UTF-16.
    auto not_text = [&](std::string_view what) {
      return absl::InvalidArgumentError(internal::StrCat(name, ": the file is ", what));
    };
    if (starts({'P', 'K', 0x03, 0x04})) {
      return not_text(
          "a ZIP archive (an Excel .xlsx workbook?), not CSV text; export it as CSV UTF-8");
    }
    if (starts({0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})) {
      return not_text("an Excel .xls workbook (OLE2), not CSV text; export it as CSV UTF-8");
    }
    if (starts({0x1F, 0x8B})) return not_text("gzip-compressed; decompress it first");
    std::size_t look = std::min(n, kSniffBytes);
    if (look >= 2) {
      std::size_t nuls = static_cast<std::size_t>(std::count(bytes, bytes + look, 0));
      // ASCII text is half NUL bytes in UTF-16 and three quarters in UTF-32.
      if (nuls * 10 >= look * 6) return refuse("UTF-32");
      if (nuls * 4 >= look) return refuse("UTF-16");
    }
    return absl::OkStatus();
  }

  // EndField(record, cap): closes the current field; fields past `cap` are counted, not kept.
  absl::Status EndField(CsvRecord& record, std::size_t cap) {
    if (field_count < cap && !field_high) [[likely]] {
      std::size_t size = record.buffer_.size();
      record.ends_.push_back(size);
      ++field_count;
      field_start = size;
      return absl::OkStatus();
    }
    return EndFieldSlow(record, cap);
  }
  absl::Status EndFieldSlow(CsvRecord& record, std::size_t cap) {
    std::string& buffer = record.buffer_;
    if (field_count < cap) {
      if (field_high && !internal::IsValidUtf8(std::string_view(buffer).substr(field_start))) {
        return FieldError(field_line,
                          "invalid UTF-8 (is the file in Windows-1252 or Latin-1? save it as "
                          "UTF-8)");
      }
      record.ends_.push_back(buffer.size());
    } else {
      buffer.resize(field_start);
    }
    ++field_count;
    field_start = buffer.size();
    field_high = false;
    return absl::OkStatus();
  }

  absl::Status FieldTooLong(bool quoted) const {
    std::string what =
        internal::StrCat("field longer than the limit of ", options.max_field_bytes, " bytes");
    if (quoted) {
      internal::StrAppend(what, " (quoted field starting at line ", quote_line,
                          "; is a closing quote missing?)");
    }
    return FieldError(field_line, what);
  }

  absl::Status BareCR() const {
    if (line == 1) {
      return Error(line, "line endings are CR only; convert to LF or CRLF");
    }
    return FieldError(line,
                      "carriage return (CR) not followed by a line feed (LF) outside quotes; "
                      "expected LF or CRLF line endings");
  }

  // ReadRecord(record, cap): parses the next record; false at the end of the input.
  absl::StatusOr<bool> ReadRecord(CsvRecord& record, std::size_t cap);
  absl::StatusOr<bool> FinishAtEnd(CsvRecord& record, std::size_t cap, Mode mode);
};

absl::StatusOr<bool> CsvReader::State::FinishAtEnd(CsvRecord& record, std::size_t cap, Mode mode) {
  switch (mode) {
    case Mode::kRecordStart:
      return false;
    case Mode::kBlankCR:
    case Mode::kCR:
      return BareCR();
    case Mode::kQuoted:
      return Error(record_line, internal::StrCat(Column(field_count),
                                                 ": unterminated quoted field starting at line ",
                                                 quote_line, "; expected a closing quote"));
    case Mode::kFieldStart:
    case Mode::kUnquoted:
    case Mode::kQuotedQuote:
      BLOOMLINK_RETURN_IF_ERROR(EndField(record, cap));
      return true;
  }
  return false;
}

absl::StatusOr<bool> CsvReader::State::ReadRecord(CsvRecord& record, std::size_t cap) {
  std::string& buffer = record.buffer_;
  buffer.clear();
  record.ends_.clear();
  field_count = 0;
  field_start = 0;
  field_high = false;
  const char delimiter = options.delimiter;
  const bool skip_space = options.skip_initial_space;
  const std::size_t max_field = options.max_field_bytes;
  Mode mode = Mode::kRecordStart;
  // Local copies of the window pointers: appending to `buffer` would otherwise force reloads.
  const char* q = p;
  const char* stop = end;

  while (true) {
    if (q == stop) {
      p = q;
      BLOOMLINK_ASSIGN_OR_RETURN(bool more, NextWindow());
      if (!more) return FinishAtEnd(record, cap, mode);
      q = p;
      stop = end;
    }
    switch (mode) {
      case Mode::kRecordStart: {
        char c = *q;
        if (c == '\n') {
          ++q;
          ++line;
          ++blank_lines;
          continue;
        }
        if (c == '\r') {
          ++q;
          mode = Mode::kBlankCR;
          continue;
        }
        record_line = line;
        field_line = line;
        mode = Mode::kFieldStart;
        [[fallthrough]];
      }
      case Mode::kFieldStart: {
        char c = *q;
        if (skip_space && c == ' ') {
          ++q;
          continue;
        }
        field_line = line;
        if (c == '"') {
          ++q;
          quote_line = line;
          mode = Mode::kQuoted;
          continue;
        }
        mode = Mode::kUnquoted;
        [[fallthrough]];
      }
      case Mode::kUnquoted: {
        const char* hit = scanner.Find<false>(q, stop, !field_high);
        buffer.append(q, hit);
        if (buffer.size() - field_start > max_field) {
          p = hit;
          return FieldTooLong(false);
        }
        q = hit;
        if (q == stop) continue;
        char c = *q++;
        if (c == delimiter) {
          BLOOMLINK_RETURN_IF_ERROR(EndField(record, cap));
          mode = Mode::kFieldStart;
        } else if (c == '\n') {
          ++line;
          p = q;
          BLOOMLINK_RETURN_IF_ERROR(EndField(record, cap));
          return true;
        } else if (c == '\r') {
          mode = Mode::kCR;
        } else if (c == '"') {
          buffer.push_back('"');  // lenient: a literal quote inside an unquoted field
        } else if (c == '\0') {
          p = q;
          return FieldError(line, "NUL byte; expected text (is this a binary file?)");
        } else {
          field_high = true;
          buffer.push_back(c);
        }
        if (buffer.size() - field_start > max_field) {
          p = q;
          return FieldTooLong(false);
        }
        continue;
      }
      case Mode::kQuoted: {
        const char* hit = scanner.Find<true>(q, stop, !field_high);
        buffer.append(q, hit);
        // Over the limit before the character at `hit` counts (as for unquoted fields), so which
        // error a field reports does not depend on where the read chunks end.
        if (buffer.size() - field_start > max_field) {
          p = hit;
          return FieldTooLong(true);
        }
        q = hit;
        if (q != stop) {
          char c = *q++;
          if (c == '"') {
            mode = Mode::kQuotedQuote;
          } else if (c == '\n') {
            ++line;
            buffer.push_back('\n');
          } else if (c == '\0') {
            p = q;
            return FieldError(line, "NUL byte; expected text (is this a binary file?)");
          } else {
            field_high = true;
            buffer.push_back(c);
          }
        }
        if (buffer.size() - field_start > max_field) {
          p = q;
          return FieldTooLong(true);
        }
        continue;
      }
      case Mode::kQuotedQuote: {
        char c = *q++;
        if (c == '"') {
          buffer.push_back('"');
          mode = Mode::kQuoted;
          if (buffer.size() - field_start > max_field) {
            p = q;
            return FieldTooLong(true);
          }
        } else if (c == delimiter) {
          BLOOMLINK_RETURN_IF_ERROR(EndField(record, cap));
          mode = Mode::kFieldStart;
        } else if (c == '\n') {
          ++line;
          p = q;
          BLOOMLINK_RETURN_IF_ERROR(EndField(record, cap));
          return true;
        } else if (c == '\r') {
          mode = Mode::kCR;
        } else {
          p = q;
          return FieldError(line,
                            "unexpected character after the closing quote; expected the "
                            "delimiter or the end of the line");
        }
        continue;
      }
      case Mode::kCR: {
        if (*q != '\n') {
          p = q;
          return BareCR();
        }
        ++q;
        ++line;
        p = q;
        BLOOMLINK_RETURN_IF_ERROR(EndField(record, cap));
        return true;
      }
      case Mode::kBlankCR: {
        if (*q != '\n') {
          p = q;
          return BareCR();
        }
        ++q;
        ++line;
        ++blank_lines;
        mode = Mode::kRecordStart;
        continue;
      }
    }
  }
}

CsvReader::CsvReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
CsvReader::CsvReader(CsvReader&&) noexcept = default;
CsvReader& CsvReader::operator=(CsvReader&&) noexcept = default;
CsvReader::~CsvReader() = default;

absl::StatusOr<CsvReader> CsvReader::Open(std::string path, CsvOptions options) {
  BLOOMLINK_ASSIGN_OR_RETURN(
      io_internal::InputFile input,
      io_internal::InputFile::Open(std::move(path), {.chunk_bytes = options.read_chunk_bytes}));
  auto state = std::make_unique<State>(options, std::move(input));
  BLOOMLINK_RETURN_IF_ERROR(state->Start());
  return CsvReader(std::move(state));
}

absl::StatusOr<CsvReader> CsvReader::FromString(std::string data, std::string name,
                                                CsvOptions options) {
  auto state = std::make_unique<State>(
      options, io_internal::InputFile::FromString(std::move(data), std::move(name),
                                                  options.read_chunk_bytes));
  BLOOMLINK_RETURN_IF_ERROR(state->Start());
  return CsvReader(std::move(state));
}

const std::string& CsvReader::name() const { return state_->name; }
const std::vector<std::string>& CsvReader::header() const { return state_->header; }
std::uint64_t CsvReader::bytes_read() const { return state_->BytesRead(); }
std::uint64_t CsvReader::total_bytes() const { return state_->input.size(); }
std::uint64_t CsvReader::blank_lines() const { return state_->blank_lines; }

absl::StatusOr<std::size_t> CsvReader::Column(std::string_view name) const {
  const State& s = *state_;
  if (name.empty()) {
    return absl::InvalidArgumentError(
        internal::StrCat(s.name, ": cannot look up a column with an empty name"));
  }
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < s.header.size(); ++i) {
    if (s.header[i] == name) found.push_back(i);
  }
  if (found.size() == 1) return found[0];
  if (found.size() > 1) {
    std::string message = internal::StrCat(s.name, ": the header has the column \"", name,
                                           "\" more than once (columns ");
    for (std::size_t k = 0; k < found.size(); ++k) {
      internal::StrAppend(message, k == 0 ? "" : (k + 1 == found.size() ? " and " : ", "),
                          found[k] + 1);
    }
    message += ")";
    return absl::InvalidArgumentError(message);
  }
  // Not found: list the header, and point out a near miss (case or surrounding spaces).
  auto fold = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    std::string out(v);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  };
  std::string message = internal::StrCat(s.name, ": the header has no column \"", name, "\"");
  std::string folded = fold(name);
  for (std::size_t i = 0; i < s.header.size(); ++i) {
    if (fold(s.header[i]) == folded) {
      internal::StrAppend(message, " (column ", i + 1, " is \"", s.header[i],
                          "\": check case and spaces)");
      break;
    }
  }
  message += "; the columns are ";
  for (std::size_t i = 0; i < s.header.size() && i < kMaxNamesListed; ++i) {
    internal::StrAppend(message, i == 0 ? "" : ", ", "\"", s.header[i], "\"");
  }
  if (s.header.size() > kMaxNamesListed) {
    internal::StrAppend(message, " and ", s.header.size() - kMaxNamesListed, " more");
  }
  return absl::NotFoundError(message);
}

absl::StatusOr<bool> CsvReader::Next(CsvRecord& record) {
  State& s = *state_;
  if (!s.error.ok()) return s.error;
  if (s.done) return false;
  absl::StatusOr<bool> got = s.ReadRecord(record, s.header.size());
  if (!got.ok()) {
    s.error = got.status();
    return s.error;
  }
  if (!*got) {
    s.done = true;
    return false;
  }
  if (s.field_count != s.header.size()) {
    s.error = s.Error(s.record_line, internal::StrCat("row has ", s.field_count,
                                                      s.field_count == 1 ? " field" : " fields",
                                                      ", the header has ", s.header.size()));
    return s.error;
  }
  record.line_ = s.record_line;
  record.number_ = ++s.records;
  return true;
}

void AppendCsvField(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace bloomlink::io
