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
//
// The field kernels (FieldPopcountsAvx512, FieldLevelKeysAvx512: Fellegi-Sunter's comparison of
// record-major field filters, one pair at a time) count a row of up to 32 words in one pass:
// vpopcntq of the words' intersections, the 32 word counts as 16-bit lanes, their prefix sums
// (5 vpermw + vpaddw), and each field's count as the difference of two prefix sums (2 vpermw).
// The levels of 8 fields are then found at once in doubles (one vmulpd and vcmppd per
// cut-point, the same products and comparisons as the scalar code) and shifted into the key.
#include <immintrin.h>

#define BLOOMLINK_KERNEL_ISA_FILE
#include "bloomlink/match/field_key_spec.hpp"
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

// NarrowCounts<C>(x, y, layout): the intersections of the fields of rows x and y, whose fields
// end within C 8-word chunks (C <= 4: at most 32 words, so at most 32 fields), as 16-bit lanes
// (field f in lane f). The 8 word counts of each chunk (vpopcntq) are gathered into 16-bit
// lanes (one lane per word), summed into prefix sums of the words (a lane plus the lane 1, 2,
// 4, ... below it), and each field's count is the prefix sum at its last word less the one at
// the word before it.
template <std::size_t C>
[[gnu::always_inline]] inline __m512i NarrowCounts(const std::uint64_t* x, const std::uint64_t* y,
                                                   const NarrowLayout& layout) {
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
    v = _mm512_add_epi16(v,
                         _mm512_maskz_permutexvar_epi16(layout.shift_mask[k], layout.shift[k], v));
  }
  const __m512i last = _mm512_permutexvar_epi16(layout.end, v);
  const __m512i before = _mm512_maskz_permutexvar_epi16(layout.has_start, layout.start, v);
  return _mm512_maskz_sub_epi16(layout.has_end, last, before);
}

// ForEachPair(..., emit): emit(p, x, y) for each pair's rows, fetching rows of B ahead.
template <class Emit>
[[gnu::always_inline]] inline void ForEachPair(const std::uint64_t* a_rows,
                                               const std::uint64_t* b_rows, std::size_t row_stride,
                                               const std::uint32_t* left,
                                               const std::uint32_t* right, std::size_t n,
                                               std::size_t prefetch_n, Emit emit) {
  for (std::size_t p = 0; p < n; ++p) {
    if (p + kFieldPrefetchPairs < prefetch_n) {
      PrefetchRow(b_rows + std::size_t{right[p + kFieldPrefetchPairs]} * row_stride, row_stride);
    }
    emit(p, a_rows + std::size_t{left[p]} * row_stride,
         b_rows + std::size_t{right[p]} * row_stride);
  }
}

// WideCount(x, y, w, end): the intersection of words [w, end) of rows x and y, 8 words at a
// time (the last ones masked), summed across the vector: any layout.
[[gnu::always_inline]] inline std::uint32_t WideCount(const std::uint64_t* x,
                                                      const std::uint64_t* y, std::size_t w,
                                                      std::size_t end) {
  __m512i acc = _mm512_setzero_si512();
  for (; w < end; w += 8) {
    const std::size_t in = end - w;
    const auto m = static_cast<__mmask8>(in >= 8 ? 0xff : (1u << in) - 1);
    const __m512i xw = _mm512_maskz_loadu_epi64(m, x + w);
    const __m512i yw = _mm512_maskz_loadu_epi64(m, y + w);
    acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_epi64(xw, yw)));
  }
  return SumLanes(acc);
}

// NarrowChunks(field_end, nf): the 8-word chunks of a narrow layout (1-4), or 0 when the layout
// is not narrow (empty, over 32 words or over 32 fields).
std::size_t NarrowChunks(const std::uint32_t* field_end, std::size_t nf) {
  const std::size_t words = nf == 0 ? 0 : field_end[nf - 1];
  if (words == 0 || words > kNarrowWords || nf > kNarrowWords) return 0;
  return (words + 7) / 8;
}

// WithChunks(chunks, run): run(Chunks<C>{}) with C = chunks (1-4), so that the chunk count is
// a template argument of NarrowCounts (Chunks stands in for std::integral_constant: no standard
// header here).
template <std::size_t C>
struct Chunks {
  static constexpr std::size_t kValue = C;
};
template <class Run>
[[gnu::always_inline]] inline void WithChunks(std::size_t chunks, Run run) {
  switch (chunks) {
    case 1:
      run(Chunks<1>{});
      break;
    case 2:
      run(Chunks<2>{});
      break;
    case 3:
      run(Chunks<3>{});
      break;
    default:
      run(Chunks<4>{});
      break;
  }
}

// LevelKey(x, y, spec, count): the key of rows x and y (FieldKeySpec), their fields'
// intersections given by count(f): one field at a time, for layouts past the vector path.
template <class Count>
[[gnu::always_inline]] inline std::uint64_t LevelKey(const std::uint64_t* x, const std::uint64_t* y,
                                                     const match::FieldKeySpec& spec, Count count) {
  const auto* px = reinterpret_cast<const unsigned char*>(x + spec.popcount_word);
  const auto* py = reinterpret_cast<const unsigned char*>(y + spec.popcount_word);
  std::uint64_t key = 0;
  for (std::size_t f = 0; f < spec.nf; ++f) {
    std::uint32_t pa = 0, pb = 0;
    __builtin_memcpy(&pa, px + 4 * f, 4);
    __builtin_memcpy(&pb, py + 4 * f, 4);
    if (pa == 0 || pb == 0) continue;
    const double two_c = 2.0 * static_cast<double>(count(f));
    const double sum = static_cast<double>(std::uint64_t{pa} + pb);
    std::uint64_t level = 0;
    for (std::size_t l = 0; l < spec.ncuts; ++l) {
      level += !(two_c >= spec.cutpoints[l * spec.cut_stride + f] * sum) ? 1 : 0;
    }
    key |= (level + 1) << spec.shift[f];
  }
  return key;
}

// KeyGroups: FieldLevelKeysAvx512's constants for up to 32 fields, 8 per group.
struct KeyGroups {
  std::size_t groups;
  __mmask8 fields[4];  // the group's lanes that are fields
  __m512i shift[4];    // each field's shift, as a qword
  __m512i move[4];     // 16-bit lane i <- lane 8 g + i
};

KeyGroups MakeKeyGroups(const match::FieldKeySpec& spec) {
  KeyGroups k;
  k.groups = (spec.nf + 7) / 8;
  for (std::size_t g = 0; g < 4; ++g) {
    alignas(64) std::uint64_t shift[8] = {};
    alignas(64) std::uint16_t move[kNarrowWords] = {};
    unsigned lanes = 0;
    for (std::size_t i = 0; i < 8; ++i) {
      const std::size_t f = 8 * g + i;
      if (f < spec.nf) {
        shift[i] = spec.shift[f];
        lanes |= 1u << i;
      }
      move[i] = static_cast<std::uint16_t>(f % kNarrowWords);
    }
    k.fields[g] = static_cast<__mmask8>(lanes);
    k.shift[g] = _mm512_load_si512(shift);
    k.move[g] = _mm512_load_si512(move);
  }
  return k;
}

// NarrowKey(field, x, y, spec, groups): the key of rows x and y whose fields' intersections
// are the 16-bit lanes of `field` (NarrowCounts): the levels of 8 fields at once, in doubles
// (one compare per cut-point), each field's code shifted into its place in a qword, the qwords
// ORed together.
[[gnu::always_inline]] inline std::uint64_t NarrowKey(__m512i field, const std::uint64_t* x,
                                                      const std::uint64_t* y,
                                                      const match::FieldKeySpec& spec,
                                                      const KeyGroups& groups) {
  const __m512i one = _mm512_set1_epi64(1);
  const auto* px = reinterpret_cast<const std::uint32_t*>(x + spec.popcount_word);
  const auto* py = reinterpret_cast<const std::uint32_t*>(y + spec.popcount_word);
  __m512i keys = _mm512_setzero_si512();
  for (std::size_t g = 0; g < groups.groups; ++g) {
    const __m512i lanes = g == 0 ? field : _mm512_permutexvar_epi16(groups.move[g], field);
    const __m256i c32 = Low256(_mm512_maskz_cvtepu16_epi32(0xffff, Low256(lanes)));
    const __m512d c = _mm512_maskz_cvtepu32_pd(0xff, c32);
    const __m512d two_c = _mm512_add_pd(c, c);
    const __m256i pa = _mm256_maskz_loadu_epi32(groups.fields[g], px + 8 * g);
    const __m256i pb = _mm256_maskz_loadu_epi32(groups.fields[g], py + 8 * g);
    const __mmask8 missing =
        static_cast<__mmask8>(_mm256_cmpeq_epi32_mask(pa, _mm256_setzero_si256()) |
                              _mm256_cmpeq_epi32_mask(pb, _mm256_setzero_si256()));
    const __m512d sum = _mm512_maskz_cvtepu32_pd(0xff, _mm256_add_epi32(pa, pb));
    __m512i level = _mm512_setzero_si512();
    const double* cut = spec.cutpoints + 8 * g;
    for (std::size_t l = 0; l < spec.ncuts; ++l) {
      const __m512d need = _mm512_mul_pd(_mm512_loadu_pd(cut + l * spec.cut_stride), sum);
      const __mmask8 missed = _mm512_cmp_pd_mask(two_c, need, _CMP_NGE_UQ);  // !(2c >= need)
      level = _mm512_mask_add_epi64(level, missed, level, one);
    }
    const __m512i code =
        _mm512_maskz_add_epi64(static_cast<__mmask8>(groups.fields[g] & ~missing), level, one);
    keys = _mm512_or_si512(keys, _mm512_maskz_sllv_epi64(0xff, code, groups.shift[g]));
  }
  const __m256i h = _mm256_or_si256(Low256(keys), _mm512_maskz_extracti64x4_epi64(0xff, keys, 1));
  const __m128i q = _mm_or_si128(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
  return static_cast<std::uint64_t>(_mm_cvtsi128_si64(q)) |
         static_cast<std::uint64_t>(_mm_extract_epi64(q, 1));
}

}  // namespace

void FieldPopcountsAvx512(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                          std::size_t row_stride, const std::uint32_t* left,
                          const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                          const std::uint32_t* field_end, std::size_t nf,
                          std::uint32_t* counts) noexcept {
  const std::size_t chunks = NarrowChunks(field_end, nf);
  if (chunks == 0) {
    ForEachPair(a_rows, b_rows, row_stride, left, right, n, prefetch_n,
                [&](std::size_t p, const std::uint64_t* x, const std::uint64_t* y) {
                  std::size_t w = 0;
                  for (std::size_t f = 0; f < nf; ++f) {
                    counts[p * nf + f] = WideCount(x, y, w, field_end[f]);
                    w = field_end[f];
                  }
                });
    return;
  }
  const NarrowLayout layout = MakeNarrowLayout(field_end, nf);
  WithChunks(chunks, [&](auto tag) {
    constexpr std::size_t C = decltype(tag)::kValue;
    ForEachPair(a_rows, b_rows, row_stride, left, right, n, prefetch_n,
                [&](std::size_t p, const std::uint64_t* x, const std::uint64_t* y) {
                  const __m512i field = NarrowCounts<C>(x, y, layout);
                  std::uint32_t* out = counts + p * nf;
                  _mm512_mask_storeu_epi32(out, layout.store_low,
                                           _mm512_maskz_cvtepu16_epi32(0xffff, Low256(field)));
                  if (nf > 16) {
                    _mm512_mask_storeu_epi32(
                        out + 16, layout.store_high,
                        _mm512_maskz_cvtepu16_epi32(
                            0xffff, _mm512_maskz_extracti64x4_epi64(0xff, field, 1)));
                  }
                });
  });
}

void FieldLevelKeysAvx512(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                          std::size_t row_stride, const std::uint32_t* left,
                          const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                          const match::FieldKeySpec& spec, std::uint64_t* keys) noexcept {
  const std::size_t chunks = NarrowChunks(spec.field_end, spec.nf);
  if (chunks == 0) {
    ForEachPair(a_rows, b_rows, row_stride, left, right, n, prefetch_n,
                [&](std::size_t p, const std::uint64_t* x, const std::uint64_t* y) {
                  keys[p] = LevelKey(x, y, spec, [&](std::size_t f) {
                    return WideCount(x, y, f == 0 ? 0 : spec.field_end[f - 1], spec.field_end[f]);
                  });
                });
    return;
  }
  const NarrowLayout layout = MakeNarrowLayout(spec.field_end, spec.nf);
  const KeyGroups groups = MakeKeyGroups(spec);
  WithChunks(chunks, [&](auto tag) {
    constexpr std::size_t C = decltype(tag)::kValue;
    ForEachPair(a_rows, b_rows, row_stride, left, right, n, prefetch_n,
                [&](std::size_t p, const std::uint64_t* x, const std::uint64_t* y) {
                  keys[p] = NarrowKey(NarrowCounts<C>(x, y, layout), x, y, spec, groups);
                });
  });
}

void AndPopcountAvx512(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                       const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                       std::uint32_t* counts, std::size_t counts_stride) noexcept {
  TilingDriver<Avx512Tile>::AndPopcount(queries, nq, query_stride, groups, ngroups, words, counts,
                                        counts_stride);
}

}  // namespace bloomlink::match_internal
