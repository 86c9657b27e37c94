// The portable kernel: std::popcount per 64-bit word, built with the library's baseline flags. It
// defines the results every other kernel must give exactly (the tests check it against a
// pair-by-pair count), and it is the only kernel of a build without the x86 kernels, where the
// compiler may vectorise its lane loop (AArch64's CNT, for one).
#include <bit>

#define BLOOMLINK_KERNEL_ISA_FILE
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

}  // namespace

void AndPopcountScalar(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept {
  TilingDriver<ScalarTile>::AndPopcount(queries, nq, query_stride, groups, ngroups, words, counts,
                                        counts_stride);
}

}  // namespace bloomlink::match_internal
