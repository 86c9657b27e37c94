#include "bloomlink/io/csv.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace bloomlink::io {
namespace {

using ::bloomlink::testing::StatusIs;
using ::bloomlink::testing::TempDir;
using ::bloomlink::testing::WriteFile;
using ::testing::ElementsAre;

using Rows = std::vector<std::vector<std::string>>;

// MessageOmits(text): the StatusOr failed and its message does not contain `text` (used to check
// that errors never quote field contents).
MATCHER_P(MessageOmits, text, "") {
  if (arg.ok()) return false;
  std::string message(arg.status().message());
  *result_listener << "message is \"" << message << "\"";
  return message.find(text) == std::string::npos;
}

struct Parsed {
  std::vector<std::string> header;
  Rows rows;
  std::vector<std::uint64_t> lines;
  std::uint64_t blank_lines = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t total_bytes = 0;

  bool operator==(const Parsed&) const = default;
};

absl::StatusOr<Parsed> ReadAll(absl::StatusOr<CsvReader> reader) {
  if (!reader.ok()) return reader.status();
  Parsed out;
  out.header = reader->header();
  CsvRecord record;
  while (true) {
    absl::StatusOr<bool> more = reader->Next(record);
    if (!more.ok()) return more.status();
    if (!*more) break;
    EXPECT_EQ(record.number(), out.rows.size() + 1);
    std::vector<std::string> row;
    for (std::size_t i = 0; i < record.size(); ++i) row.emplace_back(record[i]);
    out.rows.push_back(std::move(row));
    out.lines.push_back(record.line());
  }
  out.blank_lines = reader->blank_lines();
  out.bytes_read = reader->bytes_read();
  out.total_bytes = reader->total_bytes();
  return out;
}

// Parse(data, options) reads `data` as "x.csv" with many read chunk sizes (so that every record,
// quote pair, CRLF, byte-order mark and UTF-8 sequence lands across a chunk boundary somewhere),
// checks that they all agree, and returns the result.
absl::StatusOr<Parsed> Parse(const std::string& data, CsvOptions options = {}) {
  absl::StatusOr<Parsed> reference = ReadAll(CsvReader::FromString(data, "x.csv", options));
  for (std::size_t chunk : {1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31, 64, 65, 100}) {
    CsvOptions o = options;
    o.read_chunk_bytes = chunk;
    absl::StatusOr<Parsed> got = ReadAll(CsvReader::FromString(data, "x.csv", o));
    EXPECT_EQ(got.status(), reference.status()) << "chunk " << chunk;
    if (got.ok() && reference.ok()) {
      EXPECT_TRUE(*got == *reference) << "chunk " << chunk;
    }
  }
  return reference;
}

absl::StatusOr<Rows> ParseRows(const std::string& data, CsvOptions options = {}) {
  absl::StatusOr<Parsed> parsed = Parse(data, options);
  if (!parsed.ok()) return parsed.status();
  return parsed->rows;
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

// ---------------------------------------------------------------------------------------------
// RFC 4180

TEST(CsvReaderTest, ReadsSimpleFile) {
  absl::StatusOr<Parsed> p = Parse("id,given_name,surname\n1,Ann,Smith\n2,Bob,Jones\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->header, ElementsAre("id", "given_name", "surname"));
  EXPECT_EQ(p->rows, (Rows{{"1", "Ann", "Smith"}, {"2", "Bob", "Jones"}}));
  EXPECT_THAT(p->lines, ElementsAre(2, 3));
  EXPECT_EQ(p->blank_lines, 0u);
}

TEST(CsvReaderTest, QuotedFieldsWithDelimitersQuotesAndNewlines) {
  std::string data =
      "id,address,note\n"
      "1,\"1 High St, Leeds\",\"she said \"\"hi\"\"\"\n"
      "2,\"line one\nline two\",\"crlf\r\ninside\"\n"
      "3,\"\",\"\"\"\"\n"
      "4,plain,\",\"\n";
  absl::StatusOr<Parsed> p = Parse(data);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rows, (Rows{{"1", "1 High St, Leeds", "she said \"hi\""},
                           {"2", "line one\nline two", "crlf\r\ninside"},
                           {"3", "", "\""},
                           {"4", "plain", ","}}));
  // Record 2 spans lines 3-5, so record 3 starts on line 6.
  EXPECT_THAT(p->lines, ElementsAre(2, 3, 6, 7));
}

TEST(CsvReaderTest, LineEndingsLfCrlfMixedAndNoFinalNewline) {
  EXPECT_EQ(ParseRows("a,b\r\n1,2\r\n3,4\r\n").value(), (Rows{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(ParseRows("a,b\n1,2\r\n3,4\n5,6").value(), (Rows{{"1", "2"}, {"3", "4"}, {"5", "6"}}));
  EXPECT_EQ(ParseRows("a,b\r\n1,2").value(), (Rows{{"1", "2"}}));
  EXPECT_EQ(ParseRows("a,b\n1,\"2\"").value(), (Rows{{"1", "2"}}));
  EXPECT_EQ(ParseRows("a,b\n1,\"2\"\r\n").value(), (Rows{{"1", "2"}}));
}

TEST(CsvReaderTest, HeaderOnlyFileHasNoRecords) {
  absl::StatusOr<Parsed> p = Parse("a,b");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->header, ElementsAre("a", "b"));
  EXPECT_TRUE(p->rows.empty());
  EXPECT_TRUE(Parse("a,b\n").ok());
}

TEST(CsvReaderTest, EmptyFieldsAndTrailingDelimiter) {
  EXPECT_EQ(ParseRows("a,b,c\n,,\n1,,\n,,3").value(),
            (Rows{{"", "", ""}, {"1", "", ""}, {"", "", "3"}}));
  absl::StatusOr<Parsed> p = Parse("a,b,\n1,2,\n");
  ASSERT_TRUE(p.ok());
  EXPECT_THAT(p->header, ElementsAre("a", "b", ""));
  EXPECT_EQ(p->rows, (Rows{{"1", "2", ""}}));
}

TEST(CsvReaderTest, SkipsUtf8ByteOrderMark) {
  absl::StatusOr<Parsed> p = Parse("\xEF\xBB\xBFid,name\n1,Zo\xC3\xAB\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->header, ElementsAre("id", "name"));
  EXPECT_EQ(p->rows, (Rows{{"1", "Zo\xC3\xAB"}}));
  EXPECT_EQ(p->bytes_read, p->total_bytes);
}

TEST(CsvReaderTest, ByteOrderMarkBeforeQuotedHeader) {
  absl::StatusOr<Parsed> p = Parse("\xEF\xBB\xBF\"id\",name\n1,x\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->header, ElementsAre("id", "name"));
}

TEST(CsvReaderTest, QuoteInsideUnquotedFieldIsLiteral) {
  EXPECT_EQ(ParseRows("a,b\n5'11\",O\"Brien\nx\"\"y,z\n").value(),
            (Rows{{"5'11\"", "O\"Brien"}, {"x\"\"y", "z"}}));
  // Without skip_initial_space a space before a quote makes the field unquoted.
  EXPECT_EQ(ParseRows("a,b\n1, \"x\"\n").value(), (Rows{{"1", " \"x\""}}));
}

TEST(CsvReaderTest, TextAfterClosingQuoteIsAnError) {
  EXPECT_THAT(Parse("a,b\n\"ab\"c,d\n"),
              StatusIs(kInvalid,
                       "x.csv:2: column 1 (a): unexpected character after the "
                       "closing quote; expected the delimiter or the end of the line"));
  EXPECT_THAT(Parse("a,b\n1,\"ab\" \n"), StatusIs(kInvalid, "x.csv:2: column 2 (b): unexpected"));
  EXPECT_THAT(Parse("\"a\"x,b\n"), StatusIs(kInvalid, "x.csv:1: column 1: unexpected character"));
}

TEST(CsvReaderTest, CustomDelimiter) {
  CsvOptions tab;
  tab.delimiter = '\t';
  EXPECT_EQ(ParseRows("a\tb\n1,5\t\"x\ty\"\n", tab).value(), (Rows{{"1,5", "x\ty"}}));
  CsvOptions semi;
  semi.delimiter = ';';
  EXPECT_EQ(ParseRows("a;b\n1;2\n", semi).value(), (Rows{{"1", "2"}}));
}

TEST(CsvReaderTest, RejectsBadOptions) {
  for (char d : {'"', '\n', '\r', '\0', static_cast<char>(0xC3)}) {
    CsvOptions o;
    o.delimiter = d;
    EXPECT_THAT(CsvReader::FromString("a\n", "x.csv", o),
                StatusIs(kInvalid, "x.csv: invalid CSV options: the delimiter"));
  }
  CsvOptions o;
  o.read_chunk_bytes = 0;
  EXPECT_THAT(CsvReader::FromString("a\n", "x.csv", o), StatusIs(kInvalid, "read_chunk_bytes"));
  o = {};
  o.max_columns = 0;
  EXPECT_THAT(CsvReader::FromString("a\n", "x.csv", o), StatusIs(kInvalid, "max_columns"));
  o = {};
  o.max_field_bytes = 0;
  EXPECT_THAT(CsvReader::FromString("a\n", "x.csv", o), StatusIs(kInvalid, "max_field_bytes"));
}

// ---------------------------------------------------------------------------------------------
// Blank lines and whitespace

TEST(CsvReaderTest, BlankLinesAreSkippedAndCounted) {
  absl::StatusOr<Parsed> p = Parse("\n\r\na,b\n\n1,2\r\n\r\n\n3,4\n\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->header, ElementsAre("a", "b"));
  EXPECT_EQ(p->rows, (Rows{{"1", "2"}, {"3", "4"}}));
  EXPECT_THAT(p->lines, ElementsAre(5, 8));
  EXPECT_EQ(p->blank_lines, 6u);
}

TEST(CsvReaderTest, OneColumnFileNeedsQuotesForEmptyValues) {
  absl::StatusOr<Parsed> p = Parse("name\nAnn\n\n\"\"\nBob\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rows, (Rows{{"Ann"}, {""}, {"Bob"}}));
  EXPECT_EQ(p->blank_lines, 1u);
}

TEST(CsvReaderTest, WhitespaceOnlyLineIsARecord) {
  EXPECT_EQ(ParseRows("name\n  \nx\n").value(), (Rows{{"  "}, {"x"}}));
  EXPECT_THAT(Parse("a,b\n1,2\n \n"),
              StatusIs(kInvalid, "x.csv:3: row has 1 field, the header has 2"));
}

TEST(CsvReaderTest, SkipInitialSpace) {
  CsvOptions o;
  o.skip_initial_space = true;
  absl::StatusOr<Parsed> p = Parse("id, name,  note\n1, Ann Smith, \"a, b\"\n  2,x ,\n", o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->header, ElementsAre("id", "name", "note"));
  EXPECT_EQ(p->rows, (Rows{{"1", "Ann Smith", "a, b"}, {"2", "x ", ""}}));
  // Only spaces are skipped, not tabs; spaces inside quotes are kept.
  EXPECT_EQ(ParseRows("a,b\n1,\t2\n1,\" 2\"\n", o).value(), (Rows{{"1", "\t2"}, {"1", " 2"}}));
}

// ---------------------------------------------------------------------------------------------
// Errors: structure

TEST(CsvReaderTest, RaggedRows) {
  EXPECT_THAT(Parse("a,b,c\n1,2,3\n1,2\n"),
              StatusIs(kInvalid, "x.csv:3: row has 2 fields, the header has 3"));
  EXPECT_THAT(Parse("a,b,c\n1,2,3,4,5\n"),
              StatusIs(kInvalid, "x.csv:2: row has 5 fields, the header has 3"));
  // The line is where the record starts.
  EXPECT_THAT(Parse("a,b\n\"x\ny\"\n"),
              StatusIs(kInvalid, "x.csv:2: row has 1 field, the header has 2"));
}

TEST(CsvReaderTest, ErrorsAreSticky) {
  absl::StatusOr<CsvReader> reader = CsvReader::FromString("a,b\n1\n2,3\n", "x.csv");
  ASSERT_TRUE(reader.ok());
  CsvRecord record;
  EXPECT_THAT(reader->Next(record), StatusIs(kInvalid, "x.csv:2: row has 1 field"));
  EXPECT_THAT(reader->Next(record), StatusIs(kInvalid, "x.csv:2: row has 1 field"));
}

TEST(CsvReaderTest, EndIsSticky) {
  absl::StatusOr<CsvReader> reader = CsvReader::FromString("a\n1\n", "x.csv");
  ASSERT_TRUE(reader.ok());
  CsvRecord record;
  EXPECT_TRUE(reader->Next(record).value());
  EXPECT_FALSE(reader->Next(record).value());
  EXPECT_FALSE(reader->Next(record).value());
}

TEST(CsvReaderTest, UnterminatedQuote) {
  EXPECT_THAT(Parse("a,b\n1,2\n3,\"SECRET\n4,5\n6,7\n"),
              StatusIs(kInvalid,
                       "x.csv:3: column 2 (b): unterminated quoted field starting at "
                       "line 3; expected a closing quote"));
  EXPECT_THAT(Parse("a,b\n1,2\n3,\"SECRET\n4,5\n6,7\n"), MessageOmits("SECRET"));
  EXPECT_THAT(Parse("\"a,b\n"), StatusIs(kInvalid, "x.csv:1: column 1: unterminated quoted field"));
}

TEST(CsvReaderTest, CrOnlyLineEndingsAreRefused) {
  EXPECT_THAT(Parse("id,name\r1,Ann\r2,Bob\r"),
              StatusIs(kInvalid, "x.csv:1: line endings are CR only; convert to LF or CRLF"));
  EXPECT_THAT(Parse("\"id\",\"name\"\r1,Ann\r"),
              StatusIs(kInvalid, "x.csv:1: line endings are CR only"));
  EXPECT_THAT(Parse("\rid\r"), StatusIs(kInvalid, "x.csv:1: line endings are CR only"));
  // A stray CR later in a LF file is named as such.
  EXPECT_THAT(Parse("a,b\n1,2\n3,SEC\rRET\n"),
              StatusIs(kInvalid,
                       "x.csv:3: column 2 (b): carriage return (CR) not followed by a "
                       "line feed (LF) outside quotes"));
  EXPECT_THAT(Parse("a,b\n1,2\r"), StatusIs(kInvalid, "x.csv:2: column 2 (b): carriage return"));
  EXPECT_THAT(Parse("a,b\n1,2\n\r"), StatusIs(kInvalid, "x.csv:3: column 1 (a): carriage return"));
}

TEST(CsvReaderTest, CrInsideQuotesIsKept) {
  EXPECT_EQ(ParseRows("a,b\n\"x\ry\",z\n").value(), (Rows{{"x\ry", "z"}}));
}

TEST(CsvReaderTest, EmptyFileAndMissingHeader) {
  EXPECT_THAT(Parse(""), StatusIs(kInvalid, "x.csv: the file is empty"));
  EXPECT_THAT(Parse("\xEF\xBB\xBF"), StatusIs(kInvalid, "x.csv: the file is empty"));
  EXPECT_THAT(Parse("\n\r\n\n"),
              StatusIs(kInvalid, "x.csv: the file has no header, only blank lines"));
}

TEST(CsvReaderTest, HeaderColumnLimit) {
  std::string header;
  for (int i = 0; i < 5000; ++i) header += i == 0 ? "c" : ",c";
  EXPECT_THAT(Parse(header + "\n"),
              StatusIs(kInvalid, "x.csv:1: header has 5000 columns, more than the limit of 4096"));
  CsvOptions o;
  o.max_columns = 3;
  EXPECT_THAT(Parse("a,b,c,d\n", o),
              StatusIs(kInvalid, "x.csv:1: header has 4 columns, more than the limit of 3"));
  EXPECT_TRUE(Parse("a,b,c\n1,2,3\n", o).ok());
}

TEST(CsvReaderTest, FieldLengthLimit) {
  CsvOptions o;
  o.max_field_bytes = 10;
  // The limit counts bytes after unquoting: "ab""cdefgh" is 9 bytes.
  EXPECT_TRUE(Parse("id,given_name\n1,\"ab\"\"cdefgh\"\n12345,abcdefghij\n", o).ok());
  EXPECT_THAT(Parse("id,given_name\n1,SECRETSECRET\n", o),
              StatusIs(kInvalid,
                       "x.csv:2: column 2 (given_name): field longer than the limit of 10 bytes"));
  EXPECT_THAT(Parse("id,given_name\n1,SECRETSECRET\n", o), MessageOmits("SECRET"));
  EXPECT_THAT(Parse("id,given_name\n1,\"SECRET\"\"SECRET\"\n", o),
              StatusIs(kInvalid, "x.csv:2: column 2 (given_name): field longer than the limit"));
  EXPECT_TRUE(Parse("id,given_name\n1,\"SECRETabc\"\"\"\n", o).ok());
  EXPECT_THAT(Parse("id,given_name\n1,\"SECRETabcd\"\"\"\n", o),
              StatusIs(kInvalid, "x.csv:2: column 2 (given_name): field longer than the limit"));
  // An unterminated quote stops at the limit, with a hint.
  EXPECT_THAT(Parse("id,given_name\n1,\"abc\n2,def\n3,ghi\n", o),
              StatusIs(kInvalid, "quoted field starting at line 2; is a closing quote missing?"));
  EXPECT_THAT(Parse("abcdefghijk\n", o), StatusIs(kInvalid, "x.csv:1: column 1: field longer"));
}

// Found by the csv fuzzer (tests/fuzz/regressions/csv/long_quoted_field_then_nul): a quoted field
// over the limit that also holds a NUL byte reported the NUL when read in one chunk but the
// length when read in small chunks. The first fault in the file wins, whatever the chunk size
// (Parse checks every size agrees).
TEST(CsvReaderTest, FuzzRegressionLongQuotedFieldThenNulIsChunkIndependent) {
  CsvOptions o;
  o.max_field_bytes = 8;
  EXPECT_THAT(Parse(std::string("a\n\"0123456789\0\"\n", 16), o),
              StatusIs(kInvalid,
                       "x.csv:2: column 1 (a): field longer than the limit of 8 bytes (quoted "
                       "field starting at line 2; is a closing quote missing?)"));
  // NUL first, then over the limit: the NUL.
  EXPECT_THAT(Parse(std::string("a\n\"01\0" "3456789\"\n", 15), o),
              StatusIs(kInvalid, "x.csv:2: column 1 (a): NUL byte"));
  // The fuzzer's input: ';' as the delimiter, skip_initial_space, invalid UTF-8 too.
  o.delimiter = ';';
  o.skip_initial_space = true;
  // (Built with append: GCC 12 warns falsely about + on strings, -Wrestrict.)
  std::string fuzzed = "\"";
  fuzzed.append(77, '\xD5').append(1, '\0').append("\n\xC3\xAB\"ab4\n\xC3\xAB\"acb\"\"");
  EXPECT_THAT(Parse(fuzzed, o), StatusIs(kInvalid, "x.csv:1: column 1: field longer than"));
}

TEST(CsvReaderTest, DefaultFieldLengthLimit) {
  std::string big(std::size_t{1} << 20, 'x');
  EXPECT_TRUE(Parse("id,given_name\n1," + big + "\n").ok());
  EXPECT_THAT(
      Parse("id,given_name\n1," + big + "x\n"),
      StatusIs(kInvalid,
               "x.csv:2: column 2 (given_name): field longer than the limit of 1048576 bytes"));
}

// ---------------------------------------------------------------------------------------------
// Errors: encoding

TEST(CsvReaderTest, AcceptsValidUtf8) {
  std::string names =
      "Zo\xC3\xAB,\xE2\x82\xAC"
      "5,\xF0\x9F\x98\x80,\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9x,"
      "\xF4\x8F\xBF\xBF,\xEF\xBF\xBF,\xED\x9F\xBF";
  std::string data = "a,b,c,d,e,f,g\n" + names + "\n\"" + std::string("\xC3\xA9") + "\",,,,,,\n";
  absl::StatusOr<Parsed> p = Parse(data);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->rows[0][0], "Zo\xC3\xAB");
  EXPECT_EQ(p->rows[0][2], "\xF0\x9F\x98\x80");
  EXPECT_EQ(p->rows[1][0], "\xC3\xA9");
}

TEST(CsvReaderTest, RejectsInvalidUtf8) {
  const char* bad[] = {
      "\x80",              // lone continuation byte
      "ab\xC3",            // truncated at the end of the field
      "\xC3x",             // missing continuation
      "\xC0\xAF",          // overlong
      "\xE0\x80\xAF",      // overlong three-byte
      "\xED\xA0\x80",      // UTF-16 surrogate
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "\xF5\x80\x80\x80",  // invalid lead byte
      "\xFF",              //
      "Mu\xFCller",        // Latin-1
  };
  for (const char* value : bad) {
    std::string field = std::string("SECRET") + value;
    EXPECT_THAT(Parse("id,given_name,postcode\n1,x,y\n2,z," + field + "\n"),
                StatusIs(kInvalid, "x.csv:3: column 3 (postcode): invalid UTF-8"))
        << value;
    EXPECT_THAT(Parse("id,given_name,postcode\n1,\"" + field + "\",y\n"),
                StatusIs(kInvalid, "x.csv:2: column 2 (given_name): invalid UTF-8"))
        << value;
    EXPECT_THAT(Parse("id,given_name,postcode\n1,\"" + field + "\",y\n"), MessageOmits("SECRET"));
  }
  // In the header (no names yet) and in a field long enough for the eight-byte fast path.
  EXPECT_THAT(Parse("id,n\xC3\n"), StatusIs(kInvalid, "x.csv:1: column 2: invalid UTF-8"));
  EXPECT_THAT(Parse("a\n" + std::string(40, 'x') + "\xE2\x82" + std::string(40, 'x') + "\n"),
              StatusIs(kInvalid, "x.csv:2: column 1 (a): invalid UTF-8"));
}

TEST(CsvReaderTest, RejectsNulBytes) {
  EXPECT_THAT(Parse(std::string("id,name\n1,SEC\0RET\n", 17)),
              StatusIs(kInvalid, "x.csv:2: column 2 (name): NUL byte"));
  EXPECT_THAT(Parse(std::string("id,name\n1,\"SEC\0RET\"\n", 19)),
              StatusIs(kInvalid, "x.csv:2: column 2 (name): NUL byte"));
}

std::string Utf16(const std::string& ascii, bool little_endian, bool bom) {
  std::string out;
  if (bom) out += little_endian ? "\xFF\xFE" : "\xFE\xFF";
  for (char c : ascii) {
    if (little_endian) {
      out += c;
      out += '\0';
    } else {
      out += '\0';
      out += c;
    }
  }
  return out;
}

TEST(CsvReaderTest, RejectsUtf16AndUtf32) {
  const std::string text = "id,given_name,surname\n1,Ann,Smith\n";
  for (bool le : {true, false}) {
    for (bool bom : {true, false}) {
      EXPECT_THAT(Parse(Utf16(text, le, bom)),
                  StatusIs(kInvalid, "x.csv: the file looks like UTF-16; save it as UTF-8"))
          << le << bom;
    }
  }
  // Short files too.
  EXPECT_THAT(Parse(Utf16("a\n", true, false)), StatusIs(kInvalid, "looks like UTF-16"));
  EXPECT_THAT(Parse("\xFF\xFE"), StatusIs(kInvalid, "looks like UTF-16"));
  std::string utf32le("\xFF\xFE\0\0", 4), utf32be("\0\0\xFE\xFF", 4);
  for (char c : text) {
    utf32le += std::string(1, c) + std::string(3, '\0');
    utf32be += std::string(3, '\0') + std::string(1, c);
  }
  EXPECT_THAT(Parse(utf32le), StatusIs(kInvalid, "x.csv: the file looks like UTF-32; save it"));
  EXPECT_THAT(Parse(utf32be), StatusIs(kInvalid, "x.csv: the file looks like UTF-32; save it"));
  EXPECT_THAT(Parse(utf32le.substr(4)), StatusIs(kInvalid, "looks like UTF-32"));
}

TEST(CsvReaderTest, RecognisesSpreadsheetsAndCompressedFiles) {
  // Binary files given instead of a CSV export are named for what they are, not as UTF-16.
  const std::string zip = std::string("PK\x03\x04\x14\x00\x06\x00", 8) + std::string(100, '\0');
  EXPECT_THAT(Parse(zip), StatusIs(kInvalid,
                                   "x.csv: the file is a ZIP archive (an Excel .xlsx "
                                   "workbook?), not CSV text; export it as CSV UTF-8"));
  const std::string xls = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + std::string(100, '\0');
  EXPECT_THAT(Parse(xls), StatusIs(kInvalid, "x.csv: the file is an Excel .xls workbook"));
  const std::string gz = std::string("\x1F\x8B\x08\x00", 4) + std::string(50, '\0');
  EXPECT_THAT(Parse(gz), StatusIs(kInvalid, "x.csv: the file is gzip-compressed; decompress it"));
  // Text that merely starts with "PK" is still CSV.
  EXPECT_TRUE(Parse("PK,name\n1,a\n").ok());
}

// ---------------------------------------------------------------------------------------------
// Header lookups

TEST(CsvReaderTest, ColumnLookup) {
  absl::StatusOr<CsvReader> reader =
      CsvReader::FromString("id,given_name,,Surname,id\n", "trust.csv");
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->name(), "trust.csv");
  EXPECT_EQ(reader->Column("given_name").value(), 1u);
  EXPECT_EQ(reader->Column("Surname").value(), 3u);
  EXPECT_THAT(reader->Column("id"),
              StatusIs(kInvalid,
                       "trust.csv: the header has the column \"id\" more than once "
                       "(columns 1 and 5)"));
  EXPECT_THAT(reader->Column(""), StatusIs(kInvalid,
                                           "trust.csv: cannot look up a column with an "
                                           "empty name"));
  EXPECT_THAT(reader->Column("postcode"),
              StatusIs(absl::StatusCode::kNotFound,
                       "trust.csv: the header has no column \"postcode\"; the columns are \"id\", "
                       "\"given_name\", \"\", \"Surname\", \"id\""));
  EXPECT_THAT(
      reader->Column("surname"),
      StatusIs(absl::StatusCode::kNotFound, "(column 4 is \"Surname\": check case and spaces)"));
}

TEST(CsvReaderTest, ColumnDuplicateNamesEveryColumn) {
  absl::StatusOr<CsvReader> reader = CsvReader::FromString("x,y,x,x\n", "a.csv");
  ASSERT_TRUE(reader.ok());
  EXPECT_THAT(reader->Column("x"), StatusIs(kInvalid, "(columns 1, 3 and 4)"));
}

TEST(CsvReaderTest, ErrorsNameUnnamedColumnsByNumber) {
  EXPECT_THAT(Parse("a,,c\n1,\"x\"y,3\n"), StatusIs(kInvalid, "x.csv:2: column 2: unexpected"));
}

// ---------------------------------------------------------------------------------------------
// Files and streaming

TEST(CsvReaderTest, OpenErrors) {
  TempDir dir;
  EXPECT_THAT(CsvReader::Open(dir.file("missing.csv")),
              StatusIs(absl::StatusCode::kNotFound, "missing.csv: cannot open"));
  EXPECT_THAT(CsvReader::Open(dir.path().string()), StatusIs(kInvalid, "is a folder"));
  std::string empty = dir.file("council.csv");
  WriteFile(empty, "");
  EXPECT_THAT(CsvReader::Open(empty), StatusIs(kInvalid, "council.csv: the file is empty"));
  if (::geteuid() != 0) {
    std::string locked = dir.file("locked.csv");
    WriteFile(locked, "a\n");
    ::chmod(locked.c_str(), 0);
    EXPECT_THAT(CsvReader::Open(locked),
                StatusIs(absl::StatusCode::kPermissionDenied, "locked.csv: cannot open"));
  }
}

// MakeFile(rows): a CSV with an id column and a name column that needs quoting now and then.
std::string MakeFile(std::size_t rows, Rows* expected) {
  std::string out = "id,name,note\r\n";
  for (std::size_t i = 0; i < rows; ++i) {
    std::string id = std::to_string(i);
    std::string name = "name" + std::to_string(i * 7919 % 1000);
    std::string note = i % 3 == 0 ? "a, \"b\"\nc" : "plain \xC3\xA9";
    out += id + "," + name + ",";
    out += i % 3 == 0 ? "\"a, \"\"b\"\"\nc\"" : note;
    out += i % 2 == 0 ? "\n" : "\r\n";
    if (expected != nullptr) expected->push_back({id, name, note});
  }
  return out;
}

TEST(CsvReaderTest, StreamsFileLargerThanAChunk) {
  TempDir dir;
  Rows expected;
  std::string data = MakeFile(150000, &expected);
  ASSERT_GT(data.size(), 3u << 20);
  std::string path = dir.file("big.csv");
  WriteFile(path, data);
  absl::StatusOr<Parsed> p = ReadAll(CsvReader::Open(path));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->header, ElementsAre("id", "name", "note"));
  EXPECT_EQ(p->rows, expected);
  EXPECT_EQ(p->total_bytes, data.size());
  EXPECT_EQ(p->bytes_read, data.size());
  // The same through odd chunk sizes on the file path (tiny ones: SmallFileThroughOpen...).
  for (std::size_t chunk : {61, 4093, 65537}) {
    CsvOptions o;
    o.read_chunk_bytes = chunk;
    absl::StatusOr<Parsed> q = ReadAll(CsvReader::Open(path, o));
    ASSERT_TRUE(q.ok()) << q.status();
    EXPECT_TRUE(*q == *p) << chunk;
  }
}

TEST(CsvReaderTest, SmallFileThroughOpenWithTinyChunks) {
  TempDir dir;
  std::string path = dir.file("small.csv");
  WriteFile(path, "\xEF\xBB\xBFid,name\n1,\"x\ny\"\n");
  CsvOptions o;
  o.read_chunk_bytes = 2;
  absl::StatusOr<Parsed> p = ReadAll(CsvReader::Open(path, o));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->header, ElementsAre("id", "name"));
  EXPECT_EQ(p->rows, (Rows{{"1", "x\ny"}}));
}

TEST(CsvReaderTest, FieldLargerThanAChunk) {
  TempDir dir;
  std::string big;
  for (int i = 0; big.size() < (3u << 20); ++i) big += "line \"\" " + std::to_string(i) + "\r\n";
  std::string expected;
  for (std::size_t i = 0; i < big.size(); ++i) {
    if (big[i] == '"') ++i;  // "" -> "
    expected += big[i];
  }
  std::string path = dir.file("wide.csv");
  WriteFile(path, "id,text\n1,\"" + big + "\"\n2,x\n");
  CsvOptions o;
  o.max_field_bytes = 4u << 20;
  absl::StatusOr<Parsed> p = ReadAll(CsvReader::Open(path, o));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->rows.size(), 2u);
  EXPECT_EQ(p->rows[0][1], expected);
  EXPECT_EQ(p->rows[1], (std::vector<std::string>{"2", "x"}));
  EXPECT_EQ(p->lines[1], 3u + std::count(big.begin(), big.end(), '\n'));
}

TEST(CsvReaderTest, ProgressCounters) {
  absl::StatusOr<CsvReader> reader = CsvReader::FromString("a,b\n1,2\n3,4\n", "x.csv");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(reader->total_bytes(), 12u);
  EXPECT_EQ(reader->bytes_read(), 4u);
  CsvRecord record;
  ASSERT_TRUE(reader->Next(record).value());
  EXPECT_EQ(reader->bytes_read(), 8u);
  ASSERT_TRUE(reader->Next(record).value());
  ASSERT_FALSE(reader->Next(record).value());
  EXPECT_EQ(reader->bytes_read(), 12u);
}

TEST(CsvReaderTest, ReaderIsMovable) {
  absl::StatusOr<CsvReader> reader = CsvReader::FromString("a\n1\n2\n", "x.csv");
  ASSERT_TRUE(reader.ok());
  CsvRecord record;
  ASSERT_TRUE(reader->Next(record).value());
  CsvReader moved = std::move(*reader);
  ASSERT_TRUE(moved.Next(record).value());
  EXPECT_EQ(record[0], "2");
  EXPECT_EQ(record.number(), 2u);
  EXPECT_EQ(record.line(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Round trip of random data through every chunk size

std::string Quote(const std::string& field) {
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

TEST(CsvReaderTest, RandomRoundTrip) {
  std::mt19937 rng(20240601);
  const std::vector<std::string> pieces = {"a",
                                           "Z",
                                           "0",
                                           " ",
                                           ",",
                                           "\"",
                                           "\n",
                                           "\r\n",
                                           "\r",
                                           "\xC3\xA9",
                                           "\xE2\x82\xAC",
                                           "\xF0\x9F\x98\x80",
                                           "'",
                                           "\t",
                                           "abcdefghijklmnopqrstuvwxyz0123"};
  for (int trial = 0; trial < 60; ++trial) {
    std::size_t columns = 1 + rng() % 5;
    std::string data;
    Rows expected;
    for (std::size_t c = 0; c < columns; ++c) {
      if (c > 0) data += ',';
      data += 'c';
      data += std::to_string(c);
    }
    data += "\n";
    std::size_t rows = rng() % 12;
    for (std::size_t r = 0; r < rows; ++r) {
      std::vector<std::string> row;
      for (std::size_t c = 0; c < columns; ++c) {
        std::string field;
        std::size_t n = rng() % 6;
        for (std::size_t k = 0; k < n; ++k) field += pieces[rng() % pieces.size()];
        bool needs_quotes =
            field.find_first_of(",\"\r\n") != std::string::npos || (columns == 1 && field.empty());
        data += c ? "," : "";
        data += needs_quotes || rng() % 4 == 0 ? Quote(field) : field;
        row.push_back(field);
      }
      bool last = r + 1 == rows;
      if (!last || rng() % 2 == 0) data += rng() % 2 ? "\n" : "\r\n";
      if (!last && rng() % 5 == 0) data += "\n";
      expected.push_back(std::move(row));
    }
    absl::StatusOr<Rows> got = ParseRows(data);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, expected) << "trial " << trial;
  }
}

}  // namespace
}  // namespace bloomlink::io
