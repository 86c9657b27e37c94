// AVX-512 kernel (AVX512F + VPOPCNTDQ). Compiled with -mavx512f -mavx512bw -mavx512vl
// -mavx512vpopcntdq -mpopcnt; runs only where DetectCpuSupport() reports avx512. Every helper
// is file-local (anonymous namespace) so that no AVX-512 code can be shared with other files.
//
// One ZMM register holds word w of the 8 lanes of a group (64 bytes, one cache line), so
//   acc += vpopcntq(group_word AND broadcast(query_word))
// over the words leaves the 8 pair counts of a (query, group) in acc's 8 qwords, with no
// horizontal reduction. A tile runs kTileQueries queries against one group: each group word is
// loaded once and ANDed with each query's word (broadcast straight from memory, {1to8}).
//
// Measured on the development VM (AMD EPYC with AVX-512 VPOPCNTDQ, bench/kernels_bench.cpp):
// 4 queries per tile ran 1.3x faster than 2; 8 per tile gained under 5% in cache, and nothing for
// calls of 4 queries, which is what the candidate driver makes. Software prefetch of the next
// groups (2, 4 or 8 ahead) gained 3-8% when the targets stream from memory and lost as much when
// they are in cache (the hardware prefetcher follows the sequential group stream), so there is
// none. What mattered was the code GCC makes: vpandq with an embedded broadcast (and_epi64, not
// and_si512), query pointers hoisted out of the group loop, and accumulators kept as chains (see
// Step); together about 2x over the first version.
#include <immintrin.h>

#define BLOOMLINK_KERNEL_ISA_FILE
#include "match/kernels_internal.hpp"

namespace bloomlink::match::internal {
namespace {

constexpr std::size_t kGroupLanes = kLanes;

constexpr std::size_t Min(std::size_t a, std::size_t b) { return a < b ? a : b; }
constexpr std::size_t Max(std::size_t a, std::size_t b) { return a < b ? b : a; }

constexpr std::size_t kTileQueries = 4;
// Groups visited by all the query tiles of a call before moving on: the target chunk (16 KiB, 16
// groups of 1024-bit filters) stays in L1 while the queries go through it.
constexpr std::size_t kChunkBytes = 16 * 1024;

// Step(acc, query, group, w): acc[j] += popcount(word w of the group AND word w of query j).
template <std::size_t Q>
[[gnu::always_inline]] inline void Step(__m512i (&acc)[Q], const std::uint64_t* const (&query)[Q],
                                        const std::uint64_t* group, std::size_t w) {
  const __m512i t = _mm512_loadu_si512(group + w * kGroupLanes);
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

// Tile<Q, W>: counts of Q queries (query j at query[j]) against one group, W words (fully
// unrolled) or, when W == 0, `words` words. Stores 8 uint32 counts per query at
// out + j * out_stride.
template <std::size_t Q, std::size_t W>
[[gnu::always_inline]] inline void Tile(const std::uint64_t* const (&query)[Q],
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

// Groups<Q, W>: Tile<Q, W> for queries q + j * q_stride (j < Q) over groups [g0, g1).
template <std::size_t Q, std::size_t W>
void Groups(const std::uint64_t* q, std::size_t q_stride, const std::uint64_t* groups,
            std::size_t g0, std::size_t g1, std::size_t words, std::uint32_t* out,
            std::size_t out_stride) {
  const std::uint64_t* query[Q];
  for (std::size_t j = 0; j < Q; ++j) query[j] = q + j * q_stride;
  const std::size_t group_words = words * kGroupLanes;
  for (std::size_t g = g0; g < g1; ++g) {
    Tile<Q, W>(query, groups + g * group_words, words, out + g * kGroupLanes, out_stride);
  }
}

// Remainder<Q, W>(r, ...): Groups<r, W> for the last r < kTileQueries queries (r <= Q).
template <std::size_t Q, std::size_t W>
void Remainder(std::size_t r, const std::uint64_t* q, std::size_t q_stride,
               const std::uint64_t* groups, std::size_t g0, std::size_t g1, std::size_t words,
               std::uint32_t* out, std::size_t out_stride) {
  if constexpr (Q > 0) {
    if (r == Q) {
      Groups<Q, W>(q, q_stride, groups, g0, g1, words, out, out_stride);
    } else {
      Remainder<Q - 1, W>(r, q, q_stride, groups, g0, g1, words, out, out_stride);
    }
  }
}

// Run<W>: the kernel for W words (0: any). Groups go in chunks that stay in L1; each chunk is
// run against all the queries, kTileQueries at a time, then the remainder.
template <std::size_t W>
void Run(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
         const std::uint64_t* groups, std::size_t ngroups, std::size_t words, std::uint32_t* counts,
         std::size_t counts_stride) {
  const std::size_t group_bytes = words * kGroupLanes * sizeof(std::uint64_t);
  const std::size_t chunk = Max(1, kChunkBytes / Max(1, group_bytes));
  for (std::size_t g0 = 0; g0 < ngroups; g0 += chunk) {
    const std::size_t g1 = Min(ngroups, g0 + chunk);
    std::size_t q = 0;
    for (; q + kTileQueries <= nq; q += kTileQueries) {
      Groups<kTileQueries, W>(queries + q * query_stride, query_stride, groups, g0, g1, words,
                              counts + q * counts_stride, counts_stride);
    }
    Remainder<kTileQueries - 1, W>(nq - q, queries + q * query_stride, query_stride, groups, g0, g1,
                                   words, counts + q * counts_stride, counts_stride);
  }
}

}  // namespace

void AndPopcountAvx512(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept {
  switch (words) {
    case 16:
      Run<16>(queries, nq, query_stride, groups, ngroups, words, counts, counts_stride);
      break;
    case 32:
      Run<32>(queries, nq, query_stride, groups, ngroups, words, counts, counts_stride);
      break;
    default:
      Run<0>(queries, nq, query_stride, groups, ngroups, words, counts, counts_stride);
      break;
  }
}

}  // namespace bloomlink::match::internal
