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

// PrefetchRow(row, words): asks for the cache lines of `words` words from `row`.
[[gnu::always_inline]] inline void PrefetchRow(const std::uint64_t* row, std::size_t words) {
  const auto* bytes = reinterpret_cast<const char*>(row);
  for (std::size_t at = 0; at < words * sizeof(std::uint64_t); at += 64) {
    _mm_prefetch(bytes + at, _MM_HINT_T0);
  }
}

// kNarrowWords: the row width (in words, and the most fields) of FieldRowsNarrow: one 16-bit
// lane per word in a ZMM register.
constexpr std::size_t kNarrowWords = 32;

// NarrowLayout: FieldRowsNarrow's constants for one field layout, made once per call.
struct NarrowLayout {
  __mmask8 load[4];  // the words of each 8-word chunk of a row that belong to fields
  __m512i gather;    // 16-bit word w of qword i of two vectors -> lanes i and 8 + i
  __m512i shift[5];  // lane i <- lane i - 2^k
  __mmask32 shift_mask[5];
  unsigned steps;                   // prefix steps needed: 2^steps >= the row's words
  __m512i end, start;               // lane f <- the last word of field f, the last word before it
  __mmask32 has_end, has_start;     // fields with a last word; fields not starting at word 0
  __mmask16 store_low, store_high;  // fields 0-15 and 16-31 of the output
};

NarrowLayout MakeNarrowLayout(const std::uint32_t* field_end, std::size_t nf) {
  NarrowLayout layout;
  const std::size_t words = field_end[nf - 1];
  for (std::size_t c = 0; c < 4; ++c) {
    const std::size_t in = words > 8 * c ? words - 8 * c : 0;
    layout.load[c] = static_cast<__mmask8>(in >= 8 ? 0xff : (1u << in) - 1);
  }
  alignas(64) std::uint16_t index[kNarrowWords];
  for (std::size_t i = 0; i < kNarrowWords; ++i) {
    const std::size_t lane = i % 16;
    index[i] = static_cast<std::uint16_t>(lane < 8 ? 4 * lane : 32 + 4 * (lane - 8));
  }
  layout.gather = _mm512_load_si512(index);
  layout.steps = 0;
  for (unsigned k = 0; k < 5; ++k) {
    const std::size_t by = std::size_t{1} << k;
    for (std::size_t i = 0; i < kNarrowWords; ++i) {
      index[i] = static_cast<std::uint16_t>(i >= by ? i - by : 0);
    }
    layout.shift[k] = _mm512_load_si512(index);
    layout.shift_mask[k] = static_cast<__mmask32>(~((std::uint64_t{1} << by) - 1));
    if (by < words) layout.steps = k + 1;
  }
  std::uint32_t has_end = 0, has_start = 0;
  alignas(64) std::uint16_t start[kNarrowWords] = {};
  for (std::size_t f = 0; f < nf; ++f) {
    const std::uint32_t first = f == 0 ? 0 : field_end[f - 1];
    index[f] = static_cast<std::uint16_t>(field_end[f] > 0 ? field_end[f] - 1 : 0);
    start[f] = static_cast<std::uint16_t>(first > 0 ? first - 1 : 0);
    if (field_end[f] > 0) has_end |= 1u << f;
    if (first > 0) has_start |= 1u << f;
  }
  for (std::size_t f = nf; f < kNarrowWords; ++f) index[f] = 0;
  layout.end = _mm512_load_si512(index);
  layout.start = _mm512_load_si512(start);
  layout.has_end = has_end;
  layout.has_start = has_start;
  layout.store_low = static_cast<__mmask16>(nf >= 16 ? 0xffff : (1u << nf) - 1);
  layout.store_high = static_cast<__mmask16>(nf <= 16 ? 0 : (std::uint64_t{1} << (nf - 16)) - 1);
  return layout;
}

// Low256(v): the low 256 bits of v. (Not _mm512_castsi512_si256, nor the unmasked inserts,
// extracts and conversions: GCC 12's trip its -Wmaybe-uninitialized inside its header; the
// all-ones masked forms are the same instructions.)
[[gnu::always_inline]] inline __m256i Low256(__m512i v) {
  return _mm512_maskz_extracti64x4_epi64(0xff, v, 0);
}

// SumLanes(v): the sum of v's 8 qwords, as uint32 (they are counts of at most a row's bits).
// (Not _mm512_reduce_add_epi64, for the reason of Low256.)
[[gnu::always_inline]] inline std::uint32_t SumLanes(__m512i v) {
  const __m256i h = _mm256_add_epi64(Low256(v), _mm512_maskz_extracti64x4_epi64(0xff, v, 1));
  const __m128i q = _mm_add_epi64(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
  return static_cast<std::uint32_t>(_mm_cvtsi128_si64(q) + _mm_extract_epi64(q, 1));
}

// FieldRowsNarrow<C>: FieldPopcountsAvx512 for rows whose fields end within C 8-word chunks
// (C <= 4: at most 32 words, so at most 32 fields). Per pair: the 8 word counts of each chunk
// (vpopcntq), gathered into 16-bit lanes (one lane per word), summed into prefix sums of the
// words (a lane plus the lane 1, 2, 4, ... below it), and each field's count is the prefix sum
// at its last word less the one at the word before it.
template <std::size_t C>
void FieldRowsNarrow(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                     std::size_t row_stride, const std::uint32_t* left, const std::uint32_t* right,
                     std::size_t n, std::size_t prefetch_n, std::size_t nf,
                     const NarrowLayout& layout, std::uint32_t* counts) {
  for (std::size_t p = 0; p < n; ++p) {
    if (p + kFieldPrefetchPairs < prefetch_n) {
      PrefetchRow(b_rows + std::size_t{right[p + kFieldPrefetchPairs]} * row_stride, row_stride);
    }
    const std::uint64_t* x = a_rows + std::size_t{left[p]} * row_stride;
    const std::uint64_t* y = b_rows + std::size_t{right[p]} * row_stride;
    __m512i chunk[4];
#pragma GCC unroll 4
    for (std::size_t c = 0; c < 4; ++c) {
      if (c < C) {
        const __m512i xc = _mm512_maskz_loadu_epi64(layout.load[c], x + 8 * c);
        const __m512i yc = _mm512_maskz_loadu_epi64(layout.load[c], y + 8 * c);
        chunk[c] = _mm512_popcnt_epi64(_mm512_and_epi64(xc, yc));
      } else {
        chunk[c] = _mm512_setzero_si512();
      }
    }
    __m512i v = _mm512_permutex2var_epi16(chunk[0], layout.gather, chunk[1]);
    if constexpr (C > 2) {
      const __m512i high = _mm512_permutex2var_epi16(chunk[2], layout.gather, chunk[3]);
      v = _mm512_maskz_inserti64x4(0xff, v, Low256(high), 1);
    }
    for (unsigned k = 0; k < layout.steps; ++k) {
      v = _mm512_add_epi16(
          v, _mm512_maskz_permutexvar_epi16(layout.shift_mask[k], layout.shift[k], v));
    }
    const __m512i last = _mm512_permutexvar_epi16(layout.end, v);
    const __m512i before = _mm512_maskz_permutexvar_epi16(layout.has_start, layout.start, v);
    const __m512i field = _mm512_maskz_sub_epi16(layout.has_end, last, before);
    std::uint32_t* out = counts + p * nf;
    _mm512_mask_storeu_epi32(out, layout.store_low,
                             _mm512_maskz_cvtepu16_epi32(0xffff, Low256(field)));
    if (nf > 16) {
      _mm512_mask_storeu_epi32(
          out + 16, layout.store_high,
          _mm512_maskz_cvtepu16_epi32(0xffff, _mm512_maskz_extracti64x4_epi64(0xff, field, 1)));
    }
  }
}

// FieldRowsWide: FieldPopcountsAvx512 for any layout: each field's words 8 at a time (the last
// ones masked), summed across the vector.
void FieldRowsWide(const std::uint64_t* a_rows, const std::uint64_t* b_rows, std::size_t row_stride,
                   const std::uint32_t* left, const std::uint32_t* right, std::size_t n,
                   std::size_t prefetch_n, const std::uint32_t* field_end, std::size_t nf,
                   std::uint32_t* counts) {
  for (std::size_t p = 0; p < n; ++p) {
    if (p + kFieldPrefetchPairs < prefetch_n) {
      PrefetchRow(b_rows + std::size_t{right[p + kFieldPrefetchPairs]} * row_stride, row_stride);
    }
    const std::uint64_t* x = a_rows + std::size_t{left[p]} * row_stride;
    const std::uint64_t* y = b_rows + std::size_t{right[p]} * row_stride;
    std::size_t w = 0;
    for (std::size_t f = 0; f < nf; ++f) {
      __m512i acc = _mm512_setzero_si512();
      for (; w < field_end[f]; w += 8) {
        const std::size_t in = field_end[f] - w;
        const auto m = static_cast<__mmask8>(in >= 8 ? 0xff : (1u << in) - 1);
        const __m512i xw = _mm512_maskz_loadu_epi64(m, x + w);
        const __m512i yw = _mm512_maskz_loadu_epi64(m, y + w);
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_epi64(xw, yw)));
      }
      w = field_end[f];
      counts[p * nf + f] = SumLanes(acc);
    }
  }
}

}  // namespace

void FieldPopcountsAvx512(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                          std::size_t row_stride, const std::uint32_t* left,
                          const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                          const std::uint32_t* field_end, std::size_t nf,
                          std::uint32_t* counts) noexcept {
  const std::size_t words = nf == 0 ? 0 : field_end[nf - 1];
  if (words == 0 || words > kNarrowWords || nf > kNarrowWords) {
    FieldRowsWide(a_rows, b_rows, row_stride, left, right, n, prefetch_n, field_end, nf, counts);
    return;
  }
  const NarrowLayout layout = MakeNarrowLayout(field_end, nf);
  switch ((words + 7) / 8) {
    case 1:
      FieldRowsNarrow<1>(a_rows, b_rows, row_stride, left, right, n, prefetch_n, nf, layout,
                         counts);
      break;
    case 2:
      FieldRowsNarrow<2>(a_rows, b_rows, row_stride, left, right, n, prefetch_n, nf, layout,
                         counts);
      break;
    case 3:
      FieldRowsNarrow<3>(a_rows, b_rows, row_stride, left, right, n, prefetch_n, nf, layout,
                         counts);
      break;
    default:
      FieldRowsNarrow<4>(a_rows, b_rows, row_stride, left, right, n, prefetch_n, nf, layout,
                         counts);
      break;
  }
}

void AndPopcountAvx512(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept {
  TilingDriver<Avx512Tile>::AndPopcount(queries, nq, query_stride, groups, ngroups, words, counts,
                                        counts_stride);
}

}  // namespace bloomlink::match_internal
