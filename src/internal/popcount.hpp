// Internal: popcounts of 64-bit word arrays outside the SIMD kernels (one row's popcount, one
// pair's intersection), for code built for the baseline x86-64 or any other target.
//
// The baseline x86-64 has no POPCNT instruction (std::popcount would be a call into libgcc for
// every word), so each word is reduced to 8 byte counts with shifts and masks, byte counts are
// accumulated over up to 31 words (31 x 8 = 248 fits a byte) and summed once per 31 words.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace bloomlink::internal {

// PopcountOf(word_at, words): the ones in word_at(0) .. word_at(words - 1).
template <typename WordAt>
inline std::uint32_t PopcountOf(WordAt word_at, std::size_t words) {
  constexpr std::uint64_t k1 = 0x5555555555555555ULL;
  constexpr std::uint64_t k2 = 0x3333333333333333ULL;
  constexpr std::uint64_t k4 = 0x0F0F0F0F0F0F0F0FULL;
  constexpr std::uint64_t k8 = 0x00FF00FF00FF00FFULL;
  std::uint32_t total = 0;
  std::size_t w = 0;
  while (w < words) {
    const std::size_t end = std::min(words, w + 31);
    std::uint64_t bytes = 0;
    for (; w < end; ++w) {
      std::uint64_t x = word_at(w);
      x -= (x >> 1) & k1;
      x = (x & k2) + ((x >> 2) & k2);
      bytes += (x + (x >> 4)) & k4;
    }
    // Four 16-bit lanes of at most 496 each; the multiply sums them into the top lane.
    const std::uint64_t shorts = (bytes & k8) + ((bytes >> 8) & k8);
    total += static_cast<std::uint32_t>((shorts * 0x0001000100010001ULL) >> 48);
  }
  return total;
}

// Popcount(a, words) = |a|; AndPopcount(a, b, words) = |a AND b|.
inline std::uint32_t Popcount(const std::uint64_t* a, std::size_t words) {
  return PopcountOf([a](std::size_t w) { return a[w]; }, words);
}
inline std::uint32_t AndPopcount(const std::uint64_t* a, const std::uint64_t* b,
                                 std::size_t words) {
  return PopcountOf([a, b](std::size_t w) { return a[w] & b[w]; }, words);
}

}  // namespace bloomlink::internal
