#include "bloomlink/io/encoded_file.hpp"

#include <openssl/evp.h>

#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "bloomlink/io/clk_json.hpp"
#include "bloomlink/io/encodings.hpp"
#include "test_support.hpp"

namespace bloomlink::io {
namespace {

using ::bloomlink::testing::ReadFile;
using ::bloomlink::testing::StatusIs;
using ::bloomlink::testing::TempDir;
using ::bloomlink::testing::WriteFile;
using ::testing::HasSubstr;

// ---- fixtures ------------------------------------------------------------------------------

Digest MakeDigest(std::uint8_t seed) {
  Digest d;
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(seed + 7 * i);
  return d;
}

BitMatrix RandomMatrix(std::size_t rows, std::size_t bits, std::uint64_t seed) {
  BitMatrix m(rows, bits);
  std::mt19937_64 rng(seed);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t b = 0; b < bits; ++b) {
      if (rng() & 1) m.SetBit(r, b);
    }
  }
  m.UpdatePopcounts();
  return m;
}

struct Options {
  bool fingerprint = false;
  bool key_check = false;
  int fields = 0;
};

EncodedDataset MakeDataset(std::size_t n, std::size_t bits, Options options = {}) {
  EncodedDataset d;
  for (std::size_t i = 0; i < n; ++i) {
    // A mix of ASCII, multi-byte UTF-8 and lengths.
    std::string id = (i % 3 == 0)   ? "nhs-" + std::to_string(i)
                     : (i % 3 == 1) ? "Zoë, \"K\" #" + std::to_string(i)
                                    : std::string(i % 40 + 1, 'x') + std::to_string(i);
    d.ids.push_back(id);
  }
  d.clks = RandomMatrix(n, bits, n * 31 + bits);
  if (options.fingerprint) d.schema_fingerprint = MakeDigest(1);
  if (options.key_check) d.key_check = MakeDigest(99);
  const char* names[] = {"surname", "given_name", "date_of_birth"};
  const std::size_t field_bits[] = {500, 256, 64};
  for (int f = 0; f < options.fields; ++f) {
    d.field_filters.push_back(
        FieldFilters{names[f], RandomMatrix(n, field_bits[f], 1000 + static_cast<unsigned>(f))});
  }
  d.records_skipped = n * 3 + 1;
  return d;
}

void ExpectSameDataset(const EncodedDataset& got, const EncodedDataset& want) {
  EXPECT_EQ(got.ids, want.ids);
  EXPECT_EQ(got.clks.bits(), want.clks.bits());
  EXPECT_TRUE(got.clks == want.clks);
  ASSERT_EQ(got.clks.rows(), want.clks.rows());
  for (std::size_t r = 0; r < got.clks.rows(); ++r) {
    ASSERT_EQ(got.clks.popcount(r), want.clks.popcount(r)) << "row " << r;
  }
  EXPECT_EQ(got.schema_fingerprint, want.schema_fingerprint);
  EXPECT_EQ(got.key_check, want.key_check);
  EXPECT_EQ(got.records_skipped, want.records_skipped);
  ASSERT_EQ(got.field_filters.size(), want.field_filters.size());
  for (std::size_t f = 0; f < got.field_filters.size(); ++f) {
    EXPECT_EQ(got.field_filters[f].field, want.field_filters[f].field);
    EXPECT_TRUE(got.field_filters[f].filters == want.field_filters[f].filters);
    for (std::size_t r = 0; r < got.field_filters[f].filters.rows(); ++r) {
      ASSERT_EQ(got.field_filters[f].filters.popcount(r),
                want.field_filters[f].filters.popcount(r));
    }
  }
}

// ---- an independent builder of the documented layout (docs/file-format.md) -----------------

std::string U32(std::uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}
std::string U64(std::uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}

const std::string kMagic(
    "\x89"
    "BLOOMLINK\r\n\x1a\n",
    14);

std::string Sha256(std::string_view data) {
  unsigned char out[32];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), 32);
}

std::string Section(std::string_view tag, std::string_view payload) {
  return std::string(tag) + U64(payload.size()) + std::string(payload);
}

std::string Head(std::uint64_t bits, std::uint64_t records, std::uint32_t fields = 0,
                 std::uint32_t flags = 0, std::uint64_t skipped = 0) {
  std::string p = U32(flags);
  p += std::string(flags & 1 ? std::string(32, '\x11') : std::string(32, '\0'));
  p += std::string(flags & 2 ? std::string(32, '\x22') : std::string(32, '\0'));
  return p + U64(bits) + U64(records) + U64(skipped) + U32(fields);
}

std::string Ids(const std::vector<std::string>& ids) {
  std::string p;
  for (const auto& id : ids) p += U32(static_cast<std::uint32_t>(id.size()));
  for (const auto& id : ids) p += id;
  return p;
}

// Finish(body): preamble (version) + body + END section with the checksum.
std::string Finish(std::string_view body, std::uint32_t version = 1) {
  std::string file = kMagic + U32(version) + std::string(body) + "END " + U64(32);
  return file + Sha256(file);
}

// A valid body: 2 records of 16 bits, ids "a" and "b".
std::string GoodBody() {
  return Section("HEAD", Head(16, 2)) + Section("IDS ", Ids({"a", "b"})) +
         Section("CLKS", std::string("\x01\x02\x03\x04", 4));
}

// Rechecksum(file): recomputes the trailing checksum after a deliberate edit.
std::string Rechecksum(std::string file) {
  file.resize(file.size() - 32);
  return file + Sha256(file);
}

class EncodedFileTest : public ::testing::Test {
 protected:
  absl::StatusOr<EncodedDataset> ReadBytes(const std::string& bytes) {
    const std::string path = dir_.file("x.bloom");
    WriteFile(path, bytes);
    return ReadEncodedFile(path);
  }
  TempDir dir_;
};

// ---- round trips ---------------------------------------------------------------------------

class RoundTripTest : public ::testing::TestWithParam<std::tuple<std::size_t, std::size_t, int>> {};

TEST_P(RoundTripTest, WritesAndReadsBack) {
  const auto [n, bits, variant] = GetParam();
  Options options;
  options.fingerprint = variant >= 1;
  options.key_check = variant == 2 || variant == 3;
  options.fields = variant == 3 ? 3 : (variant == 4 ? 1 : 0);
  const EncodedDataset want = MakeDataset(n, bits, options);
  TempDir dir;
  const std::string path = dir.file("d.bloom");
  ASSERT_TRUE(WriteEncodedFile(want, path).ok());
  absl::StatusOr<EncodedDataset> got = ReadEncodedFile(path);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameDataset(*got, want);

  // The header alone, with and without checking the checksum.
  for (bool verify : {true, false}) {
    absl::StatusOr<EncodedFileHeader> header = ReadEncodedFileHeader(path, verify);
    ASSERT_TRUE(header.ok()) << header.status();
    EXPECT_EQ(header->version, kEncodedFileVersion);
    EXPECT_EQ(header->filter_bits, bits);
    EXPECT_EQ(header->records, n);
    EXPECT_EQ(header->records_skipped, want.records_skipped);
    EXPECT_EQ(header->schema_fingerprint, want.schema_fingerprint);
    EXPECT_EQ(header->key_check, want.key_check);
    EXPECT_EQ(header->checksum_verified, verify);
    EXPECT_EQ(header->file_bytes, ReadFile(path).size());
    ASSERT_EQ(header->field_filters.size(), want.field_filters.size());
    for (std::size_t f = 0; f < want.field_filters.size(); ++f) {
      EXPECT_EQ(header->field_filters[f].field, want.field_filters[f].field);
      EXPECT_EQ(header->field_filters[f].bits, want.field_filters[f].filters.bits());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, RoundTripTest,
                         ::testing::Combine(::testing::Values(0, 1, 7, 1000),
                                            ::testing::Values(64, 1000, 1024, 2048),
                                            ::testing::Values(0, 1, 2, 3, 4)));

TEST_F(EncodedFileTest, LayoutMatchesTheDocumentedBytes) {
  // The writer's output equals a file assembled by hand from docs/file-format.md.
  EncodedDataset d;
  d.ids = {"a", "bc"};
  d.clks = BitMatrix(2, 12);
  d.clks.SetBit(0, 0);   // byte 0 = 0x80
  d.clks.SetBit(1, 11);  // byte 1 = 0x10
  d.clks.UpdatePopcounts();
  d.records_skipped = 5;
  d.key_check = Digest{};
  d.key_check->fill(0x22);
  FieldFilters ff{"dob", BitMatrix(2, 8)};
  ff.filters.SetBit(1, 7);
  ff.filters.UpdatePopcounts();
  d.field_filters.push_back(std::move(ff));
  const std::string path = dir_.file("layout.bloom");
  ASSERT_TRUE(WriteEncodedFile(d, path).ok());

  std::string body = Section("HEAD", Head(12, 2, 1, /*flags=*/2, /*skipped=*/5)) +
                     Section("IDS ", Ids({"a", "bc"})) +
                     Section("CLKS", std::string("\x80\x00\x00\x10", 4)) +
                     Section("FFLT", U64(8) + U32(3) + "dob" + std::string("\x00\x01", 2));
  EXPECT_EQ(ReadFile(path), Finish(body));
}

TEST_F(EncodedFileTest, MissingOptionalsAreAbsentNotZero) {
  absl::StatusOr<EncodedDataset> got = ReadBytes(Finish(GoodBody()));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->schema_fingerprint.has_value());
  EXPECT_FALSE(got->key_check.has_value());
  EXPECT_EQ(got->ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(got->clks.bits(), 16u);
  EXPECT_EQ(got->clks.popcount(0), 2u);  // 0x01 0x02
  EXPECT_EQ(got->clks.popcount(1), 3u);  // 0x03 0x04
  EXPECT_TRUE(got->clks.GetBit(0, 7));
  EXPECT_TRUE(got->clks.GetBit(0, 14));
}

// ---- corruption ----------------------------------------------------------------------------

std::string SmallFile(const TempDir& dir) {
  Options options{true, true, 2};
  EncodedDataset d = MakeDataset(3, 1000, options);
  const std::string path = dir.file("small.bloom");
  EXPECT_TRUE(WriteEncodedFile(d, path).ok());
  return ReadFile(path);
}

TEST_F(EncodedFileTest, EveryTruncationIsRejected) {
  const std::string file = SmallFile(dir_);
  ASSERT_GT(file.size(), 500u);
  const std::string path = dir_.file("cut.bloom");
  for (std::size_t len = 0; len < file.size(); ++len) {
    WriteFile(path, file.substr(0, len));
    ASSERT_THAT(ReadEncodedFile(path), StatusIs(absl::StatusCode::kInvalidArgument, path))
        << "prefix of " << len << " bytes";
    ASSERT_THAT(ReadEncodedFileHeader(path, true), StatusIs(absl::StatusCode::kInvalidArgument, ""))
        << "prefix of " << len << " bytes";
    ASSERT_THAT(ReadEncodedFileHeader(path, false),
                StatusIs(absl::StatusCode::kInvalidArgument, ""))
        << "prefix of " << len << " bytes";
    ASSERT_THAT(ReadEncodings(path), StatusIs(absl::StatusCode::kInvalidArgument, ""))
        << "prefix of " << len << " bytes";
  }
}

TEST_F(EncodedFileTest, TruncationNamesTheSection) {
  const std::string file = SmallFile(dir_);
  // Section offsets from the layout: preamble 18, HEAD 12 + 96.
  const std::size_t ids_at = 18 + 12 + 96;
  const std::uint64_t ids_len = [&] {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(file[ids_at + 4 + i]);
    return v;
  }();
  const std::size_t clks_at = ids_at + 12 + ids_len;
  const std::size_t fflt_at = clks_at + 12 + 3 * 125;
  struct Case {
    std::size_t len;
    std::string want;
  };
  const Case cases[] = {
      {0, "not a bloomlink encoded file"},
      {10, "preamble: truncated"},
      {18, "section HEAD: truncated: the file ends where this section should start"},
      {20, "section HEAD: truncated: the file ends inside the section's 12-byte header"},
      {18 + 12 + 50, "section HEAD: truncated or corrupt"},
      {ids_at, "section IDS: truncated"},
      {ids_at + 12 + 3, "section IDS: truncated or corrupt"},
      {clks_at, "section CLKS: truncated"},
      {clks_at + 12 + 100, "section CLKS: truncated or corrupt"},
      {fflt_at, "section FFLT: truncated"},
      {fflt_at + 30, "section FFLT: truncated or corrupt"},
      {file.size() - 44, "section END: truncated"},
      {file.size() - 1, "section END: truncated or corrupt"},
  };
  const std::string path = dir_.file("cut.bloom");
  for (const Case& c : cases) {
    WriteFile(path, file.substr(0, c.len));
    EXPECT_THAT(ReadEncodedFile(path), StatusIs(absl::StatusCode::kInvalidArgument, c.want))
        << "prefix of " << c.len << " bytes";
  }
}

TEST_F(EncodedFileTest, EveryFlippedByteIsRejected) {
  const std::string file = SmallFile(dir_);
  const std::string path = dir_.file("flip.bloom");
  for (std::size_t i = 0; i < file.size(); ++i) {
    for (unsigned mask : {0x01u, 0x80u, 0xFFu}) {
      std::string bad = file;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      WriteFile(path, bad);
      ASSERT_THAT(ReadEncodedFile(path), StatusIs(absl::StatusCode::kInvalidArgument, path))
          << "byte " << i << " mask " << mask;
      ASSERT_THAT(ReadEncodedFileHeader(path, true),
                  StatusIs(absl::StatusCode::kInvalidArgument, ""))
          << "byte " << i << " mask " << mask;
    }
  }
}

TEST_F(EncodedFileTest, FlippedDataByteIsAChecksumMismatch) {
  std::string file = SmallFile(dir_);
  file[file.size() - 100] ^= 0x04;  // inside the last field filter
  EXPECT_THAT(ReadBytes(file),
              StatusIs(absl::StatusCode::kInvalidArgument, "section END: checksum mismatch"));
}

TEST_F(EncodedFileTest, FutureVersionIsRefused) {
  std::string file = SmallFile(dir_);
  file[14] = 2;  // version, little-endian u32 after the 14-byte magic
  EXPECT_THAT(ReadBytes(file),
              StatusIs(absl::StatusCode::kInvalidArgument, "made by a newer bloomlink"));
  file[14] = 0;
  file[17] = 1;
  EXPECT_THAT(ReadBytes(file),
              StatusIs(absl::StatusCode::kInvalidArgument, "format version 16777216"));
  file[17] = 0;
  EXPECT_THAT(ReadBytes(file), StatusIs(absl::StatusCode::kInvalidArgument, "version 0"));
}

TEST_F(EncodedFileTest, BadMagicIsRefused) {
  EXPECT_THAT(ReadBytes("{\"clks\": []}"),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a bloomlink encoded file"));
  std::string file = Finish(GoodBody());
  file[1] = 'b';
  EXPECT_THAT(ReadBytes(file),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a bloomlink encoded file"));
  EXPECT_THAT(ReadBytes(""), StatusIs(absl::StatusCode::kInvalidArgument, "empty"));
}

TEST_F(EncodedFileTest, HugeCorruptCountsFailWithoutAllocating) {
  // Checksums are made valid so that the length checks are what refuses these.
  const std::uint64_t huge[] = {std::uint64_t{1} << 62, ~std::uint64_t{0}, 1000000000};
  for (std::uint64_t count : huge) {
    EXPECT_THAT(ReadBytes(Finish(Section("HEAD", Head(16, count)) +
                                 Section("IDS ", Ids({"a", "b"})) + Section("CLKS", "abcd"))),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "section IDS: the section is 10 bytes, too short for the lengths"));
    // A section length far past the end of the file.
    EXPECT_THAT(ReadBytes(Finish(Section("HEAD", Head(16, 2)) + "IDS " + U64(count) + "xx")),
                StatusIs(absl::StatusCode::kInvalidArgument, "section IDS: truncated or corrupt"));
  }
  // Id lengths that do not add up.
  std::string ids = U32(1) + U32(0xFFFFFFF0u) + "ab";
  EXPECT_THAT(ReadBytes(Finish(Section("HEAD", Head(16, 2)) + Section("IDS ", ids) +
                               Section("CLKS", "abcd"))),
              StatusIs(absl::StatusCode::kInvalidArgument, "over the limit"));
  ids = U32(1) + U32(3) + "ab";
  EXPECT_THAT(ReadBytes(Finish(Section("HEAD", Head(16, 2)) + Section("IDS ", ids) +
                               Section("CLKS", "abcd"))),
              StatusIs(absl::StatusCode::kInvalidArgument, "add up to 4 bytes"));
  // Too many field-filter sections, a huge field name, a huge filter length.
  EXPECT_THAT(
      ReadBytes(Finish(Section("HEAD", Head(16, 2, 0xFFFFFFFFu)) + "rest")),
      StatusIs(absl::StatusCode::kInvalidArgument, "field-filter sections, over the limit"));
  std::string with_field = Section("HEAD", Head(16, 2, 1)) + Section("IDS ", Ids({"a", "b"})) +
                           Section("CLKS", "abcd") +
                           Section("FFLT", U64(8) + U32(0x7FFFFFFF) + "n" + "xy");
  EXPECT_THAT(ReadBytes(Finish(with_field)),
              StatusIs(absl::StatusCode::kInvalidArgument, "field name is 2147483647 bytes"));
  EXPECT_THAT(ReadBytes(Finish(Section("HEAD", Head(std::uint64_t{1} << 40, 0)) +
                               Section("IDS ", "") + Section("CLKS", ""))),
              StatusIs(absl::StatusCode::kInvalidArgument, "over the limit"));
}

TEST_F(EncodedFileTest, ZeroFilterBitsAreRefused) {
  EXPECT_THAT(
      ReadBytes(Finish(Section("HEAD", Head(0, 0)) + Section("IDS ", "") + Section("CLKS", ""))),
      StatusIs(absl::StatusCode::kInvalidArgument, "section HEAD: the filter length is 0"));
  std::string body = Section("HEAD", Head(16, 2, 1)) + Section("IDS ", Ids({"a", "b"})) +
                     Section("CLKS", "abcd") + Section("FFLT", U64(0) + U32(1) + "f");
  EXPECT_THAT(ReadBytes(Finish(body)), StatusIs(absl::StatusCode::kInvalidArgument,
                                                "section FFLT (field filters #0): the "
                                                "filter length is 0"));
}

TEST_F(EncodedFileTest, DuplicateIdsAreRefusedWithTheirRecordNumbers) {
  absl::StatusOr<EncodedDataset> got =
      ReadBytes(Finish(Section("HEAD", Head(8, 4)) +
                       Section("IDS ", Ids({"p1", "p2", "p3", "p2"})) + Section("CLKS", "abcd")));
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kInvalidArgument,
                            "section IDS: duplicate id \"p2\" at records 1 and 3"));
  // A writer-made file edited to repeat an id (with its checksum made valid again).
  EncodedDataset two = MakeDataset(2, 64);
  two.ids = {"rec-aa", "rec-ab"};
  ASSERT_TRUE(WriteEncodedFile(two, dir_.file("two.bloom")).ok());
  std::string file = ReadFile(dir_.file("two.bloom"));
  const std::size_t at = file.find("rec-ab");
  ASSERT_NE(at, std::string::npos);
  file[at + 5] = 'a';
  EXPECT_THAT(ReadBytes(Rechecksum(file)), StatusIs(absl::StatusCode::kInvalidArgument,
                                                    "duplicate id \"rec-aa\" at records 0 and 1"));
  // And the writer refuses them too.
  EncodedDataset d = MakeDataset(5, 64);
  d.ids[4] = d.ids[2];
  EXPECT_THAT(WriteEncodedFile(d, dir_.file("dup.bloom")),
              StatusIs(absl::StatusCode::kInvalidArgument, "duplicate id"));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("dup.bloom")));
}

TEST_F(EncodedFileTest, BadIdsAreRefused) {
  auto file_with = [](const std::vector<std::string>& ids) {
    return Finish(Section("HEAD", Head(8, 2)) + Section("IDS ", Ids(ids)) + Section("CLKS", "ab"));
  };
  EXPECT_THAT(ReadBytes(file_with({"a", ""})), StatusIs(absl::StatusCode::kInvalidArgument,
                                                        "section IDS: record 1 has an empty id"));
  for (const char* bad : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    EXPECT_THAT(ReadBytes(file_with({"a", bad})),
                StatusIs(absl::StatusCode::kInvalidArgument, "record 1 is not valid UTF-8"))
        << bad;
  }
  EXPECT_TRUE(ReadBytes(file_with({"a", "\xf0\x9f\x98\x80 \xe4\xb8\xad"})).ok());
}

// FuzzRegression (tests/fuzz/regressions/encoded_file/id_with_nul_byte): a .bloom id with a NUL
// byte was read, but the id,clk CSV written from it could not be read back (CSV refuses NUL).
TEST_F(EncodedFileTest, FuzzRegressionIdWithNulByteIsRefused) {
  const std::string body = Section("HEAD", Head(8, 2)) +
                           Section("IDS ", Ids({"a", std::string("b\0c", 3)})) +
                           Section("CLKS", "ab");
  EXPECT_THAT(ReadBytes(Finish(body)),
              StatusIs(absl::StatusCode::kInvalidArgument, "record 1 contains a NUL byte"));
  EncodedDataset d = MakeDataset(2, 8);
  d.ids[0] = std::string("x\0", 2);
  EXPECT_THAT(WriteEncodedFile(d, dir_.file("nul.bloom")),
              StatusIs(absl::StatusCode::kInvalidArgument, "record 0 contains a NUL byte"));
}

TEST_F(EncodedFileTest, NonZeroPaddingBitsAreRefused) {
  // 12-bit filters: the low 4 bits of every second byte are padding.
  std::string body = Section("HEAD", Head(12, 2)) + Section("IDS ", Ids({"a", "b"})) +
                     Section("CLKS", std::string("\xff\xf0\xff\xf1", 4));
  EXPECT_THAT(ReadBytes(Finish(body)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "section CLKS: record 1: CLK has non-zero bits beyond its length of 12"));
  body = Section("HEAD", Head(16, 2, 1)) + Section("IDS ", Ids({"a", "b"})) +
         Section("CLKS", "abcd") + Section("FFLT", U64(7) + U32(3) + "sex" + "\x02\x01");
  EXPECT_THAT(ReadBytes(Finish(body)), StatusIs(absl::StatusCode::kInvalidArgument,
                                                "record 1: the filter of field \"sex\""));
  // The writer refuses a matrix with padding bits set.
  EncodedDataset d = MakeDataset(2, 1000);
  d.clks.row_bytes(1)[125] = 1;
  EXPECT_THAT(WriteEncodedFile(d, dir_.file("pad.bloom")),
              StatusIs(absl::StatusCode::kInvalidArgument, "record 1: CLK has non-zero bits"));
}

TEST_F(EncodedFileTest, StructuralFaultsAreRefused) {
  const std::string head = Section("HEAD", Head(16, 2));
  const std::string ids = Section("IDS ", Ids({"a", "b"}));
  const std::string clks = Section("CLKS", "abcd");
  // Out of order.
  EXPECT_THAT(ReadBytes(Finish(head + clks + ids)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "section CLKS: section out of place: expected section IDS"));
  EXPECT_THAT(ReadBytes(Finish(ids + head + clks)),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected section HEAD"));
  // Announced field filters missing, or one too many.
  EXPECT_THAT(ReadBytes(Finish(Section("HEAD", Head(16, 2, 2)) + ids + clks +
                               Section("FFLT", U64(8) + U32(1) + "f" + "xy"))),
              StatusIs(absl::StatusCode::kInvalidArgument, "announces 2 field-filter sections"));
  EXPECT_THAT(ReadBytes(Finish(head + ids + clks + Section("FFLT", U64(8) + U32(1) + "f" + "xy"))),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected section END"));
  // Wrong section sizes.
  EXPECT_THAT(ReadBytes(Finish(head + ids + Section("CLKS", "abc"))),
              StatusIs(absl::StatusCode::kInvalidArgument, "section CLKS: the section is 3 bytes"));
  EXPECT_THAT(
      ReadBytes(Finish(Section("HEAD", Head(16, 2) + "x") + ids + clks)),
      StatusIs(absl::StatusCode::kInvalidArgument, "section HEAD: the section is 97 bytes"));
  EXPECT_THAT(
      ReadBytes(Finish(Section("HEAD", Head(16, 2)) + Section("IDS ", "abc") + clks)),
      StatusIs(absl::StatusCode::kInvalidArgument, "too short for the lengths of the 2 ids"));
  // Reserved flag bits; fingerprint bytes without the flag.
  EXPECT_THAT(ReadBytes(Finish(Section("HEAD", Head(16, 2, 0, 4)) + ids + clks)),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown flag bits"));
  std::string odd = Head(16, 2);
  odd[10] = 1;
  EXPECT_THAT(ReadBytes(Finish(Section("HEAD", odd) + ids + clks)),
              StatusIs(absl::StatusCode::kInvalidArgument, "fingerprint is flagged absent"));
  // Bytes after the checksum.
  EXPECT_THAT(
      ReadBytes(Finish(GoodBody()) + "x"),
      StatusIs(absl::StatusCode::kInvalidArgument, "1 unexpected bytes follow the checksum"));
  // Duplicate field names.
  std::string two = Section("HEAD", Head(16, 2, 2)) + ids + clks +
                    Section("FFLT", U64(8) + U32(1) + "f" + "xy") +
                    Section("FFLT", U64(8) + U32(1) + "f" + "xy");
  EXPECT_THAT(ReadBytes(Finish(two)),
              StatusIs(absl::StatusCode::kInvalidArgument, "field \"f\" has field filters twice"));
}

TEST_F(EncodedFileTest, UnknownSectionsFollowTheEvolutionRules) {
  // An ancillary section (lower-case first letter) from a newer bloomlink is skipped.
  std::string body = Section("HEAD", Head(16, 2)) + Section("note", "made by tomorrow") +
                     Section("IDS ", Ids({"a", "b"})) + Section("CLKS", "abcd") +
                     Section("zzzz", "");
  absl::StatusOr<EncodedDataset> got = ReadBytes(Finish(body));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->ids.size(), 2u);
  // ... but still covered by the checksum.
  std::string file = Finish(body);
  file[18 + 12 + 96 + 12 + 3] ^= 1;  // inside "made by tomorrow"
  EXPECT_THAT(ReadBytes(file), StatusIs(absl::StatusCode::kInvalidArgument, "checksum mismatch"));
  // A required section it does not know is refused.
  body = Section("HEAD", Head(16, 2)) + Section("IDS ", Ids({"a", "b"})) + Section("CLKS", "abcd") +
         Section("BLCK", "keys");
  EXPECT_THAT(ReadBytes(Finish(body)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "section BLCK: this section is required to read the file but is unknown "
                       "to this bloomlink: the file was made by a newer bloomlink"));
}

TEST_F(EncodedFileTest, PseudonymousIdsAreAFlagSection) {
  // Written as an ancillary section pids holding the scheme, after the others; read back into the
  // dataset and the header; absent (and false) otherwise.
  EncodedDataset d = MakeDataset(3, 64);
  d.pseudonymous_ids = true;
  const std::string path = dir_.file("p.bloom");
  ASSERT_TRUE(WriteEncodedFile(d, path).ok());
  const std::string file = ReadFile(path);
  const std::size_t at = file.find("pids");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(file.substr(at, 16), "pids" + U64(4) + U32(1));
  EXPECT_EQ(at + 16, file.size() - 12 - 32);  // just before END
  auto back = ReadEncodedFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->pseudonymous_ids);
  auto header = ReadEncodedFileHeader(path);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_TRUE(header->pseudonymous_ids);
  d.pseudonymous_ids = false;
  ASSERT_TRUE(WriteEncodedFile(d, path).ok());
  EXPECT_EQ(ReadFile(path).find("pids"), std::string::npos);
  back = ReadEncodedFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->pseudonymous_ids);
  // A bad section is refused by name.
  const std::string base =
      Section("HEAD", Head(16, 2)) + Section("IDS ", Ids({"a", "b"})) + Section("CLKS", "abcd");
  EXPECT_THAT(ReadBytes(Finish(base + Section("pids", U32(0)))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "section pids (pseudonymous ids): pseudonym scheme 0"));
  EXPECT_THAT(ReadBytes(Finish(base + Section("pids", U64(1)))),
              StatusIs(absl::StatusCode::kInvalidArgument, "the section is 8 bytes; expected 4"));
  EXPECT_THAT(ReadBytes(Finish(base + Section("pids", U32(1)) + Section("pids", U32(1)))),
              StatusIs(absl::StatusCode::kInvalidArgument, "the file has this section twice"));
}

TEST_F(EncodedFileTest, HeaderOnlyReadSkipsContentsButChecksLayout) {
  const std::string file = SmallFile(dir_);
  const std::string path = dir_.file("h.bloom");
  WriteFile(path, file);
  absl::StatusOr<EncodedFileHeader> header = ReadEncodedFileHeader(path);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_TRUE(header->checksum_verified);
  EXPECT_EQ(std::string(header->checksum.begin(), header->checksum.end()),
            file.substr(file.size() - 32));
  EXPECT_EQ(header->field_filters.size(), 2u);
  EXPECT_EQ(header->field_filters[0].field, "surname");
  EXPECT_EQ(header->field_filters[0].bits, 500u);

  // Without verification a flipped data byte goes unnoticed; with it, it does not.
  std::string bad = file;
  bad[file.size() - 100] ^= 1;
  WriteFile(path, bad);
  EXPECT_TRUE(ReadEncodedFileHeader(path, false).ok());
  EXPECT_THAT(ReadEncodedFileHeader(path, true),
              StatusIs(absl::StatusCode::kInvalidArgument, "checksum mismatch"));
}

TEST_F(EncodedFileTest, OpenFailures) {
  EXPECT_THAT(ReadEncodedFile(dir_.file("missing.bloom")),
              StatusIs(absl::StatusCode::kNotFound, "missing.bloom"));
  EXPECT_THAT(ReadEncodedFileHeader(dir_.file("missing.bloom")),
              StatusIs(absl::StatusCode::kNotFound, "missing.bloom"));
  EXPECT_THAT(ReadEncodings(dir_.file("missing.bloom")),
              StatusIs(absl::StatusCode::kNotFound, "missing.bloom"));
  EXPECT_THAT(ReadEncodedFile(dir_.path().string()),
              StatusIs(absl::StatusCode::kInvalidArgument, "folder"));
  EXPECT_THAT(WriteEncodedFile(MakeDataset(1, 64), dir_.file("no/such/folder/x.bloom")),
              StatusIs(absl::StatusCode::kNotFound, "x.bloom"));
}

TEST_F(EncodedFileTest, WriterRefusesInconsistentDatasets) {
  EncodedDataset d = MakeDataset(3, 64);
  d.ids.pop_back();
  EXPECT_THAT(WriteEncodedFile(d, dir_.file("x.bloom")),
              StatusIs(absl::StatusCode::kInvalidArgument, "2 ids but 3 CLKs"));
  d = MakeDataset(3, 64, Options{false, false, 1});
  d.field_filters[0].filters.Resize(2);
  EXPECT_THAT(WriteEncodedFile(d, dir_.file("x.bloom")),
              StatusIs(absl::StatusCode::kInvalidArgument, "has 2 filters for 3 records"));
  d = MakeDataset(3, 64, Options{false, false, 2});
  d.field_filters[1].field = "surname";
  EXPECT_THAT(WriteEncodedFile(d, dir_.file("x.bloom")),
              StatusIs(absl::StatusCode::kInvalidArgument, "twice"));
  EXPECT_THAT(WriteEncodedFile(EncodedDataset{}, dir_.file("x.bloom")),
              StatusIs(absl::StatusCode::kInvalidArgument, "0 bits"));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("x.bloom")));
}

// ---- format selection ------------------------------------------------------------------------

TEST_F(EncodedFileTest, FormatNames) {
  for (EncodingFormat f :
       {EncodingFormat::kBloom, EncodingFormat::kClkhashJson, EncodingFormat::kCsv}) {
    absl::StatusOr<EncodingFormat> parsed = ParseEncodingFormat(EncodingFormatName(f));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, f);
  }
  EXPECT_THAT(ParseEncodingFormat("json"),
              StatusIs(absl::StatusCode::kInvalidArgument, "bloom, clkhash-json, csv"));
  EXPECT_EQ(*EncodingFormatForPath("a/b.BLOOM"), EncodingFormat::kBloom);
  EXPECT_EQ(*EncodingFormatForPath("clks.json"), EncodingFormat::kClkhashJson);
  EXPECT_EQ(*EncodingFormatForPath("x.csv"), EncodingFormat::kCsv);
  EXPECT_THAT(EncodingFormatForPath("x.txt"), StatusIs(absl::StatusCode::kInvalidArgument, ".txt"));
}

TEST_F(EncodedFileTest, ReadEncodingsDetectsEveryFormat) {
  const EncodedDataset d = MakeDataset(7, 1024, Options{true, true, 1});
  for (EncodingFormat f :
       {EncodingFormat::kBloom, EncodingFormat::kClkhashJson, EncodingFormat::kCsv}) {
    const std::string path = dir_.file("e." + std::string(EncodingFormatName(f)));
    ASSERT_TRUE(WriteEncodings(d, path, f).ok());
    absl::StatusOr<EncodingFormat> detected = DetectEncodingFormat(path);
    ASSERT_TRUE(detected.ok()) << detected.status();
    EXPECT_EQ(*detected, f);
    absl::StatusOr<EncodedDataset> got = ReadEncodings(path);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(got->clks == d.clks);
    if (f == EncodingFormat::kBloom) {
      ExpectSameDataset(*got, d);
    } else if (f == EncodingFormat::kCsv) {
      EXPECT_EQ(got->ids, d.ids);
      EXPECT_FALSE(got->schema_fingerprint.has_value());
    } else {
      EXPECT_EQ(got->ids[6], "6");
      EXPECT_TRUE(got->field_filters.empty());
    }
  }
  const std::string path = dir_.file("other.txt");
  WriteFile(path, "hello");
  EXPECT_THAT(ReadEncodings(path),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a recognised encodings file"));
  WriteFile(path, "");
  EXPECT_THAT(ReadEncodings(path), StatusIs(absl::StatusCode::kInvalidArgument, "empty"));
  WriteFile(path, "\xEF\xBB\xBF  \n {\"clks\": []}");
  EXPECT_EQ(*DetectEncodingFormat(path), EncodingFormat::kClkhashJson);
}

}  // namespace
}  // namespace bloomlink::io
