// Leakage figures on hand-made matrices.
#include <cmath>

#include "audit/internal.hpp"
#include "test_support.hpp"

namespace bloomlink::audit_internal {
namespace {

std::vector<std::uint32_t> AllRows(std::size_t n) {
  std::vector<std::uint32_t> rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i] = static_cast<std::uint32_t>(i);
  return rows;
}

TEST(LeakageTest, CountsDuplicatesAndTheLargestClass) {
  // 10 records: rows 0-3 equal, rows 4-5 equal, rows 6-9 distinct.
  BitMatrix m(10, 128);
  for (std::size_t r = 0; r < 10; ++r) {
    const std::size_t pattern = r < 4 ? 0 : r < 6 ? 1 : r;
    for (std::size_t b : {pattern, pattern + 20, std::size_t{100}}) m.SetBit(r, b);
  }
  m.UpdatePopcounts();
  std::vector<std::uint32_t> lengths(10, 3);
  for (int threads : {1, 2}) {
    LeakageResult l = MeasureLeakage(m, AllRows(10), lengths, threads);
    EXPECT_EQ(l.records, 10u);
    EXPECT_EQ(l.duplicated, 6u);
    EXPECT_DOUBLE_EQ(l.duplicate_share, 0.6);
    EXPECT_EQ(l.largest_class, 4u);
    EXPECT_DOUBLE_EQ(l.largest_class_share, 0.4);
    EXPECT_EQ(l.verdict, Verdict::kWarn);
    // Constant lengths: no correlation to speak of.
    EXPECT_TRUE(std::isnan(l.popcount_length_correlation));
  }
}

TEST(LeakageTest, FindsAConstantColumnAndNoneInBalancedBits) {
  // 4000 records; every column set in alternate records (fill 0.5) except column 17, always set.
  const std::size_t n = 4000;
  BitMatrix m(n, 64);
  std::vector<std::uint32_t> lengths(n);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t b = 0; b < 64; ++b) {
      if (b == 17 || (r + b) % 2 == 0) m.SetBit(r, b);
    }
    lengths[r] = static_cast<std::uint32_t>(r % 7);
  }
  m.UpdatePopcounts();
  LeakageResult l = MeasureLeakage(m, AllRows(n), lengths, 1);
  ASSERT_EQ(l.far_columns.size(), 1u);
  EXPECT_EQ(l.far_columns[0], 17u);
  EXPECT_DOUBLE_EQ(l.far_column_fill[0], 1.0);
  EXPECT_EQ(l.verdict, Verdict::kWarn);
  // Rows alternate between two patterns: half the records share each.
  EXPECT_EQ(l.duplicated, n);
  EXPECT_EQ(l.largest_class, n / 2);

  // Without column 17's bias, no column is far from the mean.
  BitMatrix balanced(n, 64);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t b = 0; b < 64; ++b) {
      if ((r * 31 + b * 17 + (r * b) % 11) % 2 == 0) balanced.SetBit(r, b);
    }
  }
  balanced.UpdatePopcounts();
  EXPECT_TRUE(MeasureLeakage(balanced, AllRows(n), lengths, 2).far_columns.empty());
}

TEST(LeakageTest, PopcountFollowingLengthCorrelatesFully) {
  // A record with value length k sets the first 2k bits: popcount = 2 x length.
  BitMatrix m(50, 128);
  std::vector<std::uint32_t> lengths(50);
  for (std::size_t r = 0; r < 50; ++r) {
    lengths[r] = static_cast<std::uint32_t>(r % 20 + 1);
    for (std::size_t b = 0; b < 2 * lengths[r]; ++b) m.SetBit(r, b);
  }
  m.UpdatePopcounts();
  LeakageResult l = MeasureLeakage(m, AllRows(50), lengths, 1);
  EXPECT_NEAR(l.popcount_length_correlation, 1.0, 1e-12);
  // A subset of rows: only those are counted.
  std::vector<std::uint32_t> some = {0, 1, 2};
  LeakageResult sub = MeasureLeakage(m, some, std::vector<std::uint32_t>{1, 2, 3}, 1);
  EXPECT_EQ(sub.records, 3u);
  EXPECT_EQ(sub.duplicated, 0u);
}

}  // namespace
}  // namespace bloomlink::audit_internal
