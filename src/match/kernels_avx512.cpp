// AVX-512 kernel (AVX512F + VPOPCNTDQ). Compiled with -mavx512f -mavx512bw -mavx512vl
// -mavx512vpopcntdq -mpopcnt; runs only where DetectCpuSupport() reports avx512. The blocking
// of queries and groups is the shared TilingDriver (tiling_driver.hpp); this file is the tile.
//
// One ZMM register holds word w of the 8 lanes of a group (64 bytes, one cache line), so
//   acc += vpopcntq(group_word AND broadcast(query_word))
// over the words leaves the 8 pair counts of a (query, group) in acc's 8 qwords, with no
// horizontal reduction. A tile runs 4 queries against one group: each group word is loaded once
// and ANDed with each query's word (broadcast straight from memory, {1to8}).
//
// Measured on the development VM (AMD EPYC with AVX-512 VPOPCNTDQ, bench/kernels_bench.cpp):
// software prefetch of the next groups (2, 4 or 8 ahead) gained 3-8% when the targets stream from
// memory and lost as much when they are in cache (the hardware prefetcher follows the sequential
// group stream), so there is none. What mattered was the code GCC makes: vpandq with an embedded
// broadcast (and_epi64, not and_si512), query pointers hoisted out of the group loop, and
// accumulators kept as chains (see Step); together about 2x over the first version.
#include <immintrin.h>

#define BLOOMLINK_KERNEL_ISA_FILE
#include "match/kernels_internal.hpp"
#include "match/tiling_driver.hpp"

namespace bloomlink::match_internal {
namespace {

// Avx512Tile: a TilingDriver tile (tiling_driver.hpp) of 4 queries. 4 per tile ran 1.3x faster
// than 2; 8 per tile gained under 5% in cache, and nothing for calls of 4 queries, which is what
// the candidate driver makes.
struct Avx512Tile {
  static constexpr std::size_t kQueries = 4;

  // Step(acc, query, group, w): acc[j] += popcount(word w of the group AND word w of query j).
  template <std::size_t Q>
  [[gnu::always_inline]] static void Step(__m512i (&acc)[Q], const std::uint64_t* const (&query)[Q],
                                          const std::uint64_t* group, std::size_t w) {
    const __m512i t = _mm512_loadu_si512(group + w * kLanes);
#pragma GCC unroll 8
    for (std::size_t j = 0; j < Q; ++j) {
      // and_epi64 (not and_si512) so that the broadcast folds into vpandq's memory operand.
      const __m512i b = _mm512_set1_epi64(static_cast<long long>(query[j][w]));
      acc[j] = _mm512_add_epi64(acc[j], _mm512_popcnt_epi64(_mm512_and_epi64(t, b)));
      // Keeps each accumulator a sequential chain: without this GCC reassociates the unrolled
      // sums into a tree whose partial sums spill to the stack.
      __asm__("" : "+v"(acc[j]));
    }
  }

  // Count<Q, W>: the tile contract of tiling_driver.hpp. One ZMM accumulator per query holds
  // its 8 lane counts.
  template <std::size_t Q, std::size_t W>
  [[gnu::always_inline]] static void Count(const std::uint64_t* const (&query)[Q],
                                           const std::uint64_t* group, std::size_t words,
                                           std::uint32_t* out, std::size_t out_stride) {
    __m512i acc[Q];
    for (std::size_t j = 0; j < Q; ++j) acc[j] = _mm512_setzero_si512();
    if constexpr (W != 0) {
#pragma GCC unroll 64
      for (std::size_t w = 0; w < W; ++w) Step(acc, query, group, w);
    } else {
#pragma GCC unroll 4
      for (std::size_t w = 0; w < words; ++w) Step(acc, query, group, w);
    }
    // vpmovqd: 8 qword counts to 8 uint32. (The unmasked _mm512_cvtepi64_epi32 trips GCC 12's
    // -Wuninitialized inside its header; an all-ones mask compiles to the same instruction.)
#pragma GCC unroll 8
    for (std::size_t j = 0; j < Q; ++j) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + j * out_stride),
                          _mm512_maskz_cvtepi64_epi32(0xff, acc[j]));
    }
  }
};

}  // namespace

void AndPopcountAvx512(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept {
  TilingDriver<Avx512Tile>::AndPopcount(queries, nq, query_stride, groups, ngroups, words, counts,
                                        counts_stride);
}

}  // namespace bloomlink::match_internal
