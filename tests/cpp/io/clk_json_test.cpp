#include "bloomlink/io/clk_json.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "bloomlink/base64.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/io/encodings.hpp"
#include "test_support.hpp"

namespace bloomlink::io {
namespace {

using ::bloomlink::testing::ReadFile;
using ::bloomlink::testing::StatusIs;
using ::bloomlink::testing::TempDir;
using ::bloomlink::testing::TestData;
using ::bloomlink::testing::WriteFile;

BitMatrix RandomMatrix(std::size_t rows, std::size_t bits, std::uint64_t seed) {
  BitMatrix m(rows, bits);
  std::mt19937_64 rng(seed);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t b = 0; b < bits; ++b) {
      if (rng() % 3 == 0) m.SetBit(r, b);
    }
  }
  m.UpdatePopcounts();
  return m;
}

EncodedDataset MakeDataset(std::size_t n, std::size_t bits, bool awkward_ids = false) {
  EncodedDataset d;
  for (std::size_t i = 0; i < n; ++i) {
    std::string id = std::to_string(i);
    if (awkward_ids) {
      switch (i % 5) {
        case 0:
          id = "plain-" + id;
          break;
        case 1:
          id = "Smith, J " + id;
          break;
        case 2:
          id = "say \"hi\" " + id;
          break;
        case 3:
          id = "two\nlines\r\n" + id;
          break;
        default:
          id = "Zoë 中 " + id + " ";
      }
    }
    d.ids.push_back(id);
  }
  d.clks = RandomMatrix(n, bits, n + bits);
  return d;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char out[32];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return HexEncode(std::span<const std::uint8_t>(out, 32));
}

// A file of the clkhash reference vectors (tests/data/clkhash-vectors).
std::string Vector(const std::string& name) { return TestData("clkhash-vectors/" + name).string(); }

class ClkJsonTest : public ::testing::Test {
 protected:
  absl::StatusOr<EncodedDataset> ReadJsonText(const std::string& text) {
    const std::string path = dir_.file("x.json");
    WriteFile(path, text);
    return ReadClkJson(path);
  }
  absl::StatusOr<EncodedDataset> ReadCsvText(const std::string& text) {
    const std::string path = dir_.file("x.csv");
    WriteFile(path, text);
    return ReadClkCsv(path);
  }
  TempDir dir_;
};

// ---- the real clkhash output ---------------------------------------------------------------

TEST_F(ClkJsonTest, ReadsAndRewritesClkhashVectorsByteForByte) {
  std::ifstream manifest_in(Vector("manifest.json"));
  const nlohmann::json manifest = nlohmann::json::parse(manifest_in);
  ASSERT_EQ(manifest["outputs"].size(), 4u);
  for (const auto& [name, out] : manifest["outputs"].items()) {
    SCOPED_TRACE(name);
    const std::string path = Vector(out["clks"].get<std::string>());
    absl::StatusOr<EncodedDataset> got = ReadClkJson(path);
    ASSERT_TRUE(got.ok()) << got.status();
    const auto popcounts = out["popcounts"].get<std::vector<std::uint32_t>>();
    ASSERT_EQ(got->size(), popcounts.size());
    EXPECT_EQ(got->clks.bits(), out["l"].get<std::size_t>());
    for (std::size_t i = 0; i < popcounts.size(); ++i) {
      EXPECT_EQ(got->clks.popcount(i), popcounts[i]) << "record " << i;
      EXPECT_EQ(got->ids[i], std::to_string(i));
    }
    EXPECT_FALSE(got->schema_fingerprint.has_value());
    EXPECT_FALSE(got->key_check.has_value());

    // Written back: the same base64 strings, indeed the same bytes as anonlink's file.
    const std::string written = dir_.file(name + ".json");
    ASSERT_TRUE(WriteClkJson(*got, written).ok());
    const std::string original = ReadFile(path);
    EXPECT_EQ(ReadFile(written), original);
    EXPECT_EQ(Sha256Hex(ReadFile(written)), out["sha256_of_clks_json"].get<std::string>());
    const nlohmann::json a = nlohmann::json::parse(original);
    const nlohmann::json b = nlohmann::json::parse(ReadFile(written));
    EXPECT_EQ(a["clks"], b["clks"]);

    // And through the native format and CSV.
    const std::string bloom = dir_.file(name + ".bloom");
    ASSERT_TRUE(WriteEncodedFile(*got, bloom).ok());
    absl::StatusOr<EncodedDataset> again = ReadEncodings(bloom);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->clks == got->clks);
  }
}

TEST_F(ClkJsonTest, L1000ClksAre125Bytes) {
  const std::string path = Vector("clks_C_doublehash_nonsingular_l1000.json");
  absl::StatusOr<EncodedDataset> got = ReadClkJson(path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->clks.bits(), 1000u);
  EXPECT_EQ(got->clks.bytes_per_filter(), 125u);
  const nlohmann::json j = nlohmann::json::parse(ReadFile(path));
  for (std::size_t i = 0; i < got->size(); ++i) {
    EXPECT_EQ(Base64Encode(std::span<const std::uint8_t>(got->clks.row_bytes(i), 125)),
              j["clks"][i].get<std::string>());
  }
}

TEST_F(ClkJsonTest, ReadsFebrl4a) {
  const std::string path = Vector("febrl4a_clks.json");
  absl::StatusOr<EncodedDataset> got = ReadEncodings(path);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 5000u);
  EXPECT_EQ(got->clks.bits(), 1024u);
  EXPECT_EQ(got->ids.front(), "0");
  EXPECT_EQ(got->ids.back(), "4999");
  const nlohmann::json j = nlohmann::json::parse(ReadFile(path));
  for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{2500}, std::size_t{4999}}) {
    const std::string want = j["clks"][i].get<std::string>();
    EXPECT_EQ(Base64Encode(std::span<const std::uint8_t>(got->clks.row_bytes(i), 128)), want);
    absl::StatusOr<std::string> raw = Base64Decode(want);
    ASSERT_TRUE(raw.ok());
    std::uint32_t ones = 0;
    for (char c : *raw) ones += std::popcount(static_cast<unsigned char>(c));
    EXPECT_EQ(got->clks.popcount(i), ones);
  }
  const std::string written = dir_.file("febrl4a.json");
  ASSERT_TRUE(WriteClkJson(*got, written).ok());
  EXPECT_EQ(ReadFile(written), ReadFile(path));
}

// ---- round trips ---------------------------------------------------------------------------

class ClkRoundTripTest : public ::testing::TestWithParam<std::tuple<std::size_t, std::size_t>> {};

TEST_P(ClkRoundTripTest, JsonAndCsv) {
  const auto [n, bits] = GetParam();
  const EncodedDataset d = MakeDataset(n, bits, /*awkward_ids=*/true);
  TempDir dir;
  const std::string json = dir.file("d.json");
  ASSERT_TRUE(WriteClkJson(d, json).ok());
  absl::StatusOr<EncodedDataset> from_json = ReadClkJson(json);
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  EXPECT_EQ(from_json->size(), n);
  EXPECT_EQ(from_json->clks.bits(), n == 0 ? 0 : bits);
  if (n > 0) {
    EXPECT_TRUE(from_json->clks == d.clks);
    EXPECT_EQ(from_json->ids.back(), std::to_string(n - 1));
    // Valid JSON of the clkhash shape.
    const nlohmann::json j = nlohmann::json::parse(ReadFile(json));
    ASSERT_EQ(j["clks"].size(), n);
    EXPECT_EQ(j["clks"][0].get<std::string>().size(), (bits / 8 + 2) / 3 * 4);
  } else {
    EXPECT_EQ(ReadFile(json), "{\"clks\": []}");
  }
  for (std::size_t r = 0; r < from_json->size(); ++r) {
    ASSERT_EQ(from_json->clks.popcount(r), d.clks.popcount(r));
  }

  const std::string csv = dir.file("d.csv");
  ASSERT_TRUE(WriteClkCsv(d, csv).ok());
  absl::StatusOr<EncodedDataset> from_csv = ReadClkCsv(csv);
  ASSERT_TRUE(from_csv.ok()) << from_csv.status();
  EXPECT_EQ(from_csv->ids, d.ids);
  if (n > 0) {
    EXPECT_TRUE(from_csv->clks == d.clks);
  }
  for (std::size_t r = 0; r < from_csv->size(); ++r) {
    ASSERT_EQ(from_csv->clks.popcount(r), d.clks.popcount(r));
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, ClkRoundTripTest,
                         ::testing::Combine(::testing::Values(0, 1, 7, 1000),
                                            ::testing::Values(64, 1000, 1024, 2048)));

TEST_F(ClkJsonTest, LargeFilesCrossChunkBoundaries) {
  // Over 1 MiB, so strings, quoted ids and CRLFs straddle the reader's chunks.
  const EncodedDataset d = MakeDataset(9001, 1000, /*awkward_ids=*/true);
  const std::string json = dir_.file("big.json");
  ASSERT_TRUE(WriteClkJson(d, json).ok());
  ASSERT_GT(ReadFile(json).size(), 1u << 20);
  absl::StatusOr<EncodedDataset> from_json = ReadClkJson(json);
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  EXPECT_TRUE(from_json->clks == d.clks);

  const std::string csv = dir_.file("big.csv");
  ASSERT_TRUE(WriteClkCsv(d, csv).ok());
  // CRLF line endings throughout (outside quoted fields).
  std::string text = ReadFile(csv);
  std::string crlf;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (c == '\n' && !quoted) crlf += '\r';
    crlf += c;
  }
  WriteFile(csv, crlf);
  absl::StatusOr<EncodedDataset> from_csv = ReadClkCsv(csv);
  ASSERT_TRUE(from_csv.ok()) << from_csv.status();
  EXPECT_EQ(from_csv->ids, d.ids);
  EXPECT_TRUE(from_csv->clks == d.clks);
}

// ---- clkhash JSON: accepted variations and errors -------------------------------------------

TEST_F(ClkJsonTest, AcceptsWhitespaceEscapesAndUnpaddedBase64) {
  absl::StatusOr<EncodedDataset> got = ReadJsonText(
      "\xEF\xBB\xBF\n{\n  \"clks\" :\t[\n    \"AAE=\",\n    \"\\/\\/8\" ,\"\\u0041\\u0041A=\"\r\n  "
      "]\n}\n");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ(got->clks.bits(), 16u);
  EXPECT_EQ(got->clks.row_bytes(0)[1], 0x01);
  EXPECT_EQ(got->clks.row_bytes(1)[0], 0xFF);  // "//8" (unpadded) = 0xFF 0xFF
  EXPECT_EQ(got->clks.row_bytes(1)[1], 0xFF);
  EXPECT_EQ(got->clks.popcount(2), 0u);  // "AAA=" spelt with \u escapes
  EXPECT_EQ(got->ids, (std::vector<std::string>{"0", "1", "2"}));
}

TEST_F(ClkJsonTest, ErrorsNameTheRecordAndWhatWasExpected) {
  using absl::StatusCode;
  struct Case {
    std::string text;
    std::string want;
  };
  const Case cases[] = {
      {"", "the file is empty"},
      {"  ", "the file is empty"},
      {"[\"AAA=\"]", "expected '{'"},
      {"{}", "no \"clks\" key"},
      {"{\"clocks\": []}", "unexpected key \"clocks\""},
      {"{\"clks\": [], \"clks\": []}", "appears twice"},
      {"{\"clks\" []}", "expected ':'"},
      {"{\"clks\": {}}", "expected '[' starting the array"},
      {"{\"clks\": [\"AAA=\", 12]}",
       "clks[1] (byte offset 18): expected a base64 string in double "
       "quotes, found '1'"},
      {"{\"clks\": [\"AAA=\", \"AAA=\", \"A!A=\"]}", "clks[2]"},
      {"{\"clks\": [\"AAA=\", \"AAA=\", \"A!A=\"]}", "character 2 of the string ('!')"},
      {"{\"clks\": [\"AAA=\", \"AAAA\"]}", "clks[1]"},
      {"{\"clks\": [\"AAA=\", \"AAAA\"]}", "the CLK is 3 bytes (24 bits) but the first CLK is 2"},
      {"{\"clks\": [\"\"]}", "clks[0]"},
      {"{\"clks\": [\"\"]}", "the CLK is empty"},
      {"{\"clks\": [\"AAB=\"]}", "non-zero trailing bits"},
      {"{\"clks\": [\"AAB\"]}", "non-zero trailing bits"},
      {"{\"clks\": [\"A\"]}", "not a whole number of bytes"},
      {"{\"clks\": [\"AA=\"]}", "groups of 4"},
      {"{\"clks\": [\"AAA=\" \"AAA=\"]}",
       "clks[0] (byte offset 17): expected ',' or ']' after the "
       "CLK, found '\"'"},
      {"{\"clks\": [\"AAA=\",", "clks[1]"},
      {"{\"clks\": [\"AAA=\",", "found the end of the file"},
      {"{\"clks\": [\"AAA=", "the file ends inside a string"},
      {"{\"clks\": [\"AA\nA=\"]}", "control character"},
      {"{\"clks\": [\"AA\\qA=\"]}", "invalid escape"},
      {"{\"clks\": [\"AAA=\"]", "expected ',' or '}'"},
      {"{\"clks\": [\"AAA=\"]} x", "unexpected 'x' after the closing '}'"},
      {"{\"clks\": [\"AAA=\"]}{}", "after the closing '}'"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<EncodedDataset> got = ReadJsonText(c.text);
    EXPECT_THAT(got, StatusIs(StatusCode::kInvalidArgument, c.want)) << c.text;
    EXPECT_THAT(got, StatusIs(StatusCode::kInvalidArgument, "x.json")) << c.text;
  }
  EXPECT_THAT(ReadClkJson(dir_.file("none.json")), StatusIs(StatusCode::kNotFound, "none.json"));
}

TEST_F(ClkJsonTest, WriterRefusesPartialBytes) {
  EncodedDataset d = MakeDataset(2, 1001);
  EXPECT_THAT(WriteClkJson(d, dir_.file("x.json")),
              StatusIs(absl::StatusCode::kInvalidArgument, "1001 bits is not a multiple of 8"));
  EXPECT_THAT(WriteClkCsv(d, dir_.file("x.csv")),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a multiple of 8"));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("x.json")));
}

// ---- CSV -----------------------------------------------------------------------------------

TEST_F(ClkJsonTest, CsvQuotesIdsPerRfc4180) {
  EncodedDataset d;
  d.ids = {"a", "b,c", "say \"x\"", "l1\nl2", "cr\r"};
  d.clks = BitMatrix(5, 8);
  for (std::size_t r = 0; r < 5; ++r) d.clks.row_bytes(r)[0] = static_cast<std::uint8_t>(r);
  d.clks.UpdatePopcounts();
  const std::string path = dir_.file("q.csv");
  ASSERT_TRUE(WriteClkCsv(d, path).ok());
  EXPECT_EQ(
      ReadFile(path),
      "id,clk\na,AA==\n\"b,c\",AQ==\n\"say \"\"x\"\"\",Ag==\n\"l1\nl2\",Aw==\n\"cr\r\",BA==\n");
  absl::StatusOr<EncodedDataset> got = ReadClkCsv(path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->ids, d.ids);
  EXPECT_TRUE(got->clks == d.clks);
}

TEST_F(ClkJsonTest, CsvAcceptsBomCrlfQuotedHeaderAndBlankLines) {
  absl::StatusOr<EncodedDataset> got =
      ReadCsvText("\xEF\xBB\xBF\"id\",\"clk\"\r\n\r\nx1,\"AAE=\"\r\n\n\"x2\",AQI=");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->ids, (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(got->clks.bits(), 16u);
  EXPECT_EQ(got->clks.popcount(1), 2u);
  got = ReadCsvText("id,clk\n");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->size(), 0u);
}

// The id,clk reader is CsvReader: a quote inside an unquoted field is a literal character, as in
// every CSV bloomlink reads.
TEST_F(ClkJsonTest, CsvReadsInnerQuotesAsEveryCsvIsRead) {
  absl::StatusOr<EncodedDataset> got = ReadCsvText("id,clk\n5'11\",AAA=\n");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->ids, (std::vector<std::string>{"5'11\""}));
}

TEST_F(ClkJsonTest, CsvErrorsNameTheLineAndRecord) {
  using absl::StatusCode;
  struct Case {
    std::string text;
    std::string want;
  };
  const Case cases[] = {
      {"", "the file is empty"},
      {"id,clks\n", ":1: expected the header id,clk"},
      {"clk,id\n", ":1: expected the header id,clk"},
      {"id\n", ":1: expected the header id,clk"},
      {"id,clk,x\n", ":1: expected the header id,clk"},
      {"id,clk\na,AAA=\nb\n", ":3: row has 1 field, the header has 2"},
      {"id,clk\na,AAA=\nb,AAA=,c\n", ":3: row has 3 fields, the header has 2"},
      {"id,clk\na,AAA=\n\"b\nb\",A*A=\n", ":3: record 1: column clk: invalid base64"},
      {"id,clk\na,AAA=\nb,AAAA\n", ":3: record 1: column clk: the CLK is 3 bytes"},
      {"id,clk\na,\n", ":2: record 0: column clk: the CLK is empty"},
      {"id,clk\n\"ab,AAA=\n", ":2: column 1 (id): unterminated quoted field starting at line 2"},
      {"id,clk\n\"a\"b,AAA=\n", ":2: column 1 (id): unexpected character after the closing quote"},
      {"id,clk\na,AAA=\nb,AAA=\na,AAA=\n", "duplicate id \"a\" at records 0 and 2"},
      {"id,clk\na,AAA=\n,AAA=\n", "record 1 has an empty id"},
      {"id,clk\n\xff,AAA=\n", ":2: column 1 (id): invalid UTF-8"},
      {"id,clk\na,AA\rA=\n",
       ":2: column 2 (clk): carriage return (CR) not followed by a line feed"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<EncodedDataset> got = ReadCsvText(c.text);
    EXPECT_THAT(got, StatusIs(StatusCode::kInvalidArgument, c.want)) << c.text;
    EXPECT_THAT(got, StatusIs(StatusCode::kInvalidArgument, "x.csv")) << c.text;
  }
}

}  // namespace
}  // namespace bloomlink::io
