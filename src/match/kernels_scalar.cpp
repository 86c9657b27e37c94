// The portable kernels: std::popcount per 64-bit word, built with the library's baseline flags.
// They define the results every other kernel must give exactly (the tests check them against a
// pair-by-pair count), and they are the only kernels of a build without the x86 kernels, where
// the compiler may vectorise their loops (AArch64's CNT, for one).
#include <bit>

#define BLOOMLINK_KERNEL_ISA_FILE
#include "bloomlink/match/field_key_spec.hpp"
#include "match/kernels_internal.hpp"
#include "match/tiling_driver.hpp"

namespace bloomlink::match_internal {
namespace {

// ScalarTile: a TilingDriver tile (tiling_driver.hpp) of 4 queries: each target word is loaded
// once for 4 queries.
struct ScalarTile {
  static constexpr std::size_t kQueries = 4;

  // Count<Q, W>: the tile contract of tiling_driver.hpp.
  template <std::size_t Q, std::size_t W>
  [[gnu::always_inline]] static void Count(const std::uint64_t* const (&query)[Q],
                                           const std::uint64_t* group, std::size_t words,
                                           std::uint32_t* out, std::size_t out_stride) {
    const std::size_t n = W != 0 ? W : words;
    std::uint32_t acc[Q][kLanes] = {};
    for (std::size_t w = 0; w < n; ++w) {
      const std::uint64_t* targets = group + w * kLanes;
      for (std::size_t j = 0; j < Q; ++j) {
        const std::uint64_t qw = query[j][w];
        for (std::size_t l = 0; l < kLanes; ++l) {
          acc[j][l] += static_cast<std::uint32_t>(std::popcount(qw & targets[l]));
        }
      }
    }
    for (std::size_t j = 0; j < Q; ++j) {
      for (std::size_t l = 0; l < kLanes; ++l) out[j * out_stride + l] = acc[j][l];
    }
  }
};

// PrefetchRow(row, words): asks for the cache lines of `words` words from `row`.
[[gnu::always_inline]] inline void PrefetchRow(const std::uint64_t* row, std::size_t words) {
  const auto* bytes = reinterpret_cast<const char*>(row);
  for (std::size_t at = 0; at < words * sizeof(std::uint64_t); at += 64) {
    __builtin_prefetch(bytes + at);
  }
}

// LevelKey(x, y, spec): the key of rows x and y (match::FieldKeySpec), one field at a time.
[[gnu::always_inline]] inline std::uint64_t LevelKey(const std::uint64_t* x, const std::uint64_t* y,
                                                     const match::FieldKeySpec& spec) {
  const auto* px = reinterpret_cast<const unsigned char*>(x + spec.popcount_word);
  const auto* py = reinterpret_cast<const unsigned char*>(y + spec.popcount_word);
  std::uint64_t key = 0;
  std::size_t w = 0;
  for (std::size_t f = 0; f < spec.nf; ++f) {
    std::uint32_t c = 0;
    for (; w < spec.field_end[f]; ++w) c += static_cast<std::uint32_t>(std::popcount(x[w] & y[w]));
    std::uint32_t pa = 0, pb = 0;
    __builtin_memcpy(&pa, px + 4 * f, 4);
    __builtin_memcpy(&pb, py + 4 * f, 4);
    if (pa == 0 || pb == 0) continue;
    const double two_c = 2.0 * static_cast<double>(c);
    const double sum = static_cast<double>(std::uint64_t{pa} + pb);
    std::uint64_t level = 0;
    for (std::size_t l = 0; l < spec.ncuts; ++l) {
      level += !(two_c >= spec.cutpoints[l * spec.cut_stride + f] * sum) ? 1 : 0;
    }
    key |= (level + 1) << spec.shift[f];
  }
  return key;
}

}  // namespace

void FieldLevelKeysScalar(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                          std::size_t row_stride, const std::uint32_t* left,
                          const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                          const match::FieldKeySpec& spec, std::uint64_t* keys) noexcept {
  for (std::size_t p = 0; p < n; ++p) {
    if (p + kFieldPrefetchPairs < prefetch_n) {
      PrefetchRow(b_rows + std::size_t{right[p + kFieldPrefetchPairs]} * row_stride, row_stride);
    }
    keys[p] = LevelKey(a_rows + std::size_t{left[p]} * row_stride,
                       b_rows + std::size_t{right[p]} * row_stride, spec);
  }
}

void FieldPopcountsScalar(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                          std::size_t row_stride, const std::uint32_t* left,
                          const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                          const std::uint32_t* field_end, std::size_t nf,
                          std::uint32_t* counts) noexcept {
  for (std::size_t p = 0; p < n; ++p) {
    if (p + kFieldPrefetchPairs < prefetch_n) {
      PrefetchRow(b_rows + std::size_t{right[p + kFieldPrefetchPairs]} * row_stride, row_stride);
    }
    const std::uint64_t* x = a_rows + std::size_t{left[p]} * row_stride;
    const std::uint64_t* y = b_rows + std::size_t{right[p]} * row_stride;
    std::size_t w = 0;
    for (std::size_t f = 0; f < nf; ++f) {
      std::uint32_t c = 0;
      for (; w < field_end[f]; ++w) c += static_cast<std::uint32_t>(std::popcount(x[w] & y[w]));
      counts[p * nf + f] = c;
    }
  }
}

void AndPopcountScalar(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept {
  TilingDriver<ScalarTile>::AndPopcount(queries, nq, query_stride, groups, ngroups, words, counts,
                                        counts_stride);
}

}  // namespace bloomlink::match_internal
