// The column-major layout of the pattern-mining attack against naive counts on random bits.
#include "audit/column_bits.hpp"

#include <random>

#include "test_support.hpp"

namespace bloomlink::audit_internal {
namespace {

TEST(Transpose64Test, MatchesNaiveTranspose) {
  std::mt19937_64 rng(11);
  std::uint64_t a[64], original[64];
  for (int i = 0; i < 64; ++i) a[i] = original[i] = rng();
  Transpose64(a);
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 64; ++j) {
      ASSERT_EQ((a[i] >> j) & 1, (original[j] >> i) & 1) << i << "," << j;
    }
  }
}

BitMatrix RandomMatrix(std::size_t rows, std::size_t bits, double density, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution bit(density);
  BitMatrix m(rows, bits);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < bits; ++c) {
      if (bit(rng)) m.SetBit(r, c);
    }
  }
  m.UpdatePopcounts();
  return m;
}

TEST(ColumnBitsTest, ColumnsHoldTheRowsBits) {
  // Awkward sizes: a partial last block of records and a length that is not a multiple of 64.
  for (std::size_t bits : {64u, 1000u, 1024u}) {
    BitMatrix m = RandomMatrix(300, bits, 0.3, bits);
    std::vector<std::uint32_t> rows;
    for (std::uint32_t r = 0; r < 300; r += 2) rows.push_back(r);  // every other row
    rows.push_back(1);                                             // out of order too
    ColumnBits cb(m, rows);
    ASSERT_EQ(cb.records(), rows.size());
    ASSERT_EQ(cb.columns(), bits);
    ASSERT_EQ(cb.words(), (rows.size() + 63) / 64);
    for (std::size_t c = 0; c < bits; ++c) {
      for (std::size_t i = 0; i < rows.size(); ++i) {
        ASSERT_EQ((cb.Word(c, i / 64) >> (i % 64)) & 1, m.GetBit(rows[i], c) ? 1u : 0u)
            << "column " << c << " record " << i;
      }
      // Bits past the last record are zero.
      for (std::size_t i = rows.size(); i < cb.words() * 64; ++i) {
        ASSERT_EQ((cb.Word(c, i / 64) >> (i % 64)) & 1, 0u);
      }
    }
  }
}

TEST(ColumnBitsTest, JointSupportAndColumnCountsMatchNaiveCounts) {
  BitMatrix m = RandomMatrix(1000, 256, 0.6, 5);
  std::vector<std::uint32_t> rows(1000);
  for (std::uint32_t r = 0; r < 1000; ++r) rows[r] = 999 - r;
  ColumnBits cb(m, rows);
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> scratch;
  // A random mask of records.
  std::vector<std::uint64_t> mask(cb.words(), 0);
  std::vector<bool> in_mask(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    in_mask[i] = rng() % 3 != 0;
    if (in_mask[i]) mask[i / 64] |= std::uint64_t{1} << (i % 64);
  }
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<std::uint32_t> columns;
    const int size = static_cast<int>(rng() % 6);
    for (int k = 0; k < size; ++k) columns.push_back(static_cast<std::uint32_t>(rng() % 256));
    std::uint64_t naive = 0, naive_masked = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      bool all = true;
      for (std::uint32_t c : columns) all = all && m.GetBit(rows[i], c);
      naive += all;
      naive_masked += all && in_mask[i];
    }
    EXPECT_EQ(JointSupport(cb, columns, nullptr, scratch), naive);
    EXPECT_EQ(JointSupport(cb, columns, mask.data(), scratch), naive_masked);
  }
  auto kernel = match::Kernels();
  ASSERT_TRUE(kernel.ok());
  for (const match::KernelTable* k : match::SupportedKernels()) {
    std::vector<std::uint32_t> counts(cb.groups() * match::kGroupLanes, 12345);
    ColumnCounts(*k, cb, mask.data(), counts.data());
    for (std::size_t c = 0; c < 256; ++c) {
      std::uint32_t naive = 0;
      for (std::size_t i = 0; i < rows.size(); ++i) naive += in_mask[i] && m.GetBit(rows[i], c);
      ASSERT_EQ(counts[c], naive) << k->name << " column " << c;
    }
  }
}

}  // namespace
}  // namespace bloomlink::audit_internal
