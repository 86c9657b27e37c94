#include "bloomlink/bitmatrix.hpp"

#include <cstring>

#include "bloomlink/base64.hpp"
#include "test_support.hpp"

namespace bloomlink {
namespace {

TEST(BitMatrixTest, RowsAreAlignedAndPadded) {
  BitMatrix m(3, 1000);
  EXPECT_EQ(m.rows(), 3u);
  EXPECT_EQ(m.bits(), 1000u);
  EXPECT_EQ(m.bytes_per_filter(), 125u);
  EXPECT_EQ(m.words_per_row(), 16u);
  EXPECT_EQ(m.stride_bytes() % BitMatrix::kRowAlignment, 0u);
  for (std::size_t r = 0; r < m.rows(); ++r) {
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m.row_bytes(r)) % BitMatrix::kRowAlignment, 0u);
  }
}

TEST(BitMatrixTest, BitOrderIsClkhashBigEndianWithinBytes) {
  BitMatrix m(1, 64);
  m.SetBit(0, 0);
  m.SetBit(0, 9);
  EXPECT_EQ(m.row_bytes(0)[0], 0x80);
  EXPECT_EQ(m.row_bytes(0)[1], 0x40);
  EXPECT_TRUE(m.GetBit(0, 9));
  EXPECT_FALSE(m.GetBit(0, 8));
  m.UpdatePopcounts();
  EXPECT_EQ(m.popcount(0), 2u);
}

TEST(BitMatrixTest, ResizeKeepsRowsAndZeroesNewOnes) {
  BitMatrix m(2, 128);
  m.SetBit(1, 127);
  m.Resize(1000);
  EXPECT_TRUE(m.GetBit(1, 127));
  for (std::size_t r = 2; r < 1000; ++r) ASSERT_EQ(m.row_words(r)[0] | m.row_words(r)[1], 0u);
  m.Resize(1);
  m.Resize(2);
  EXPECT_FALSE(m.GetBit(1, 127));
}

TEST(BitMatrixTest, ReserveKeepsContentsAndRows) {
  BitMatrix m(3, 1024);
  m.SetBit(2, 1000);
  m.Reserve(100);
  EXPECT_EQ(m.rows(), 3u);
  EXPECT_GE(m.capacity(), 100u);
  EXPECT_TRUE(m.GetBit(2, 1000));
  m.Resize(100);
  EXPECT_EQ(m.capacity(), 100u);  // no reallocation within the reserved capacity
  EXPECT_FALSE(m.GetBit(99, 0));
}

TEST(BitMatrixTest, CopyAndEquality) {
  BitMatrix a(2, 256);
  a.SetBit(0, 5);
  BitMatrix b = a;
  EXPECT_TRUE(a == b);
  b.SetBit(1, 200);
  EXPECT_FALSE(a == b);
}

TEST(Base64Test, RoundTripsAllLengths) {
  std::string data;
  for (int n = 0; n < 70; ++n) {
    auto decoded = Base64Decode(Base64Encode(data));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, data);
    data.push_back(static_cast<char>(n * 37));
  }
  EXPECT_EQ(Base64Encode(std::string_view("Man")), "TWFu");
  EXPECT_EQ(Base64Encode(std::string_view("Ma")), "TWE=");
}

TEST(Base64Test, RejectsBadText) {
  using testing::StatusIs;
  EXPECT_THAT(Base64Decode("TW=u"),
              StatusIs(absl::StatusCode::kInvalidArgument, "character 3 of the string ('=')"));
  EXPECT_THAT(Base64Decode("TWF"), StatusIs(absl::StatusCode::kInvalidArgument, "trailing bits"));
  EXPECT_THAT(Base64Decode("T"),
              StatusIs(absl::StatusCode::kInvalidArgument, "not a whole number of bytes"));
  EXPECT_THAT(Base64Decode("TWE=="), StatusIs(absl::StatusCode::kInvalidArgument, "groups of 4"));
  auto unpadded = Base64Decode("TWE");
  ASSERT_TRUE(unpadded.ok());
  EXPECT_EQ(*unpadded, "Ma");
}

}  // namespace
}  // namespace bloomlink
