// The portable reference kernel: std::popcount per 64-bit word, baseline x86-64 flags. Every
// other kernel must give exactly its results.
#include <bit>

#include "match/kernels_internal.hpp"

namespace bloomlink::match::internal {

using match::kGroupLanes;

void AndPopcountScalar(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept {
  for (std::size_t q = 0; q < nq; ++q) {
    const std::uint64_t* query = queries + q * query_stride;
    std::uint32_t* out = counts + q * counts_stride;
    for (std::size_t g = 0; g < ngroups; ++g) {
      const std::uint64_t* group = groups + g * words * kGroupLanes;
      std::uint32_t acc[kGroupLanes] = {};
      for (std::size_t w = 0; w < words; ++w) {
        const std::uint64_t qw = query[w];
        for (std::size_t l = 0; l < kGroupLanes; ++l) {
          acc[l] += static_cast<std::uint32_t>(std::popcount(qw & group[w * kGroupLanes + l]));
        }
      }
      for (std::size_t l = 0; l < kGroupLanes; ++l) out[g * kGroupLanes + l] = acc[l];
    }
  }
}

}  // namespace bloomlink::match::internal
