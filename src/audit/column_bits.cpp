#include "audit/column_bits.hpp"

#include <algorithm>
#include <cstring>

#include "internal/popcount.hpp"

namespace bloomlink::audit_internal {

void Transpose64(std::uint64_t a[64]) noexcept {
  // Swap the off-diagonal j x j blocks of every 2j x 2j block, j = 32, 16, ..., 1: the high j
  // bits of row k with the low j bits of row k + j.
  std::uint64_t m = 0x00000000FFFFFFFFULL;
  for (unsigned j = 32; j != 0; j >>= 1, m ^= (m << j)) {
    for (unsigned k = 0; k < 64; k = ((k | j) + 1) & ~j) {
      const std::uint64_t t = ((a[k] >> j) ^ a[k | j]) & m;
      a[k | j] ^= t;
      a[k] ^= t << j;
    }
  }
}

ColumnBits::ColumnBits(const BitMatrix& m, std::span<const std::uint32_t> rows)
    : records_(rows.size()), columns_(m.bits()), words_((rows.size() + 63) / 64) {
  constexpr std::size_t kLanes = match::kGroupLanes;
  const std::size_t row_words = (columns_ + 63) / 64;
  data_ = match::AlignedWords(groups() * words_ * kLanes);
  std::uint64_t* out = data_.data();
  std::vector<std::uint64_t> block(row_words * 64);
  for (std::size_t b = 0; b < words_; ++b) {
    const std::size_t first = b * 64;
    const std::size_t n = std::min<std::size_t>(64, records_ - first);
    // block[w * 64 + r]: word w of the block's record r.
    for (std::size_t r = 0; r < n; ++r) {
      const std::uint64_t* row = m.row_words(rows[first + r]);
      for (std::size_t w = 0; w < row_words; ++w) block[w * 64 + r] = row[w];
    }
    for (std::size_t r = n; r < 64; ++r) {
      for (std::size_t w = 0; w < row_words; ++w) block[w * 64 + r] = 0;
    }
    for (std::size_t w = 0; w < row_words; ++w) {
      std::uint64_t* t = block.data() + w * 64;
      Transpose64(t);
      // Column 64w + o is bit o ^ 7 of the row's word (bit o % 8 of a byte counts from the top).
      const std::size_t end = std::min<std::size_t>(64, columns_ - w * 64);
      for (std::size_t o = 0; o < end; ++o) {
        const std::size_t c = w * 64 + o;
        out[((c / kLanes) * words_ + b) * kLanes + c % kLanes] = t[o ^ 7];
      }
    }
  }
}

void ColumnBits::CopyColumn(std::size_t c, std::uint64_t* out) const {
  for (std::size_t w = 0; w < words_; ++w) out[w] = Word(c, w);
}

void ColumnBits::AndColumn(std::size_t c, std::uint64_t* inout) const {
  for (std::size_t w = 0; w < words_; ++w) inout[w] &= Word(c, w);
}

void ColumnBits::AllRecords(std::uint64_t* out) const {
  for (std::size_t w = 0; w < words_; ++w) out[w] = ~std::uint64_t{0};
  if (records_ % 64 != 0) out[words_ - 1] = (std::uint64_t{1} << (records_ % 64)) - 1;
}

void ColumnCounts(const match::KernelTable& kernel, const ColumnBits& bits,
                  const std::uint64_t* query, std::uint32_t* counts) noexcept {
  const std::size_t groups = bits.groups();
  kernel.and_popcount(query, 1, bits.words(), bits.groups_data(), groups, bits.words(), counts,
                      groups * match::kGroupLanes);
}

std::uint64_t PopcountWords(const std::uint64_t* words, std::size_t n) noexcept {
  std::uint64_t total = 0;
  // internal::Popcount sums in 32 bits: count in slices that cannot overflow it.
  constexpr std::size_t kSlice = std::size_t{1} << 24;
  for (std::size_t at = 0; at < n; at += kSlice) {
    total += internal::Popcount(words + at, std::min(kSlice, n - at));
  }
  return total;
}

std::uint64_t JointSupport(const ColumnBits& bits, std::span<const std::uint32_t> columns,
                           const std::uint64_t* mask, std::vector<std::uint64_t>& scratch) {
  const std::size_t words = bits.words();
  scratch.resize(words);
  if (mask != nullptr) {
    std::copy_n(mask, words, scratch.data());
  } else {
    bits.AllRecords(scratch.data());
  }
  for (std::uint32_t c : columns) bits.AndColumn(c, scratch.data());
  return PopcountWords(scratch.data(), words);
}

}  // namespace bloomlink::audit_internal
