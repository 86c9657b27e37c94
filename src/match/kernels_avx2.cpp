// AVX2 kernel. Compiled with -mavx2 -mpopcnt; runs only where DetectCpuSupport() reports avx2.
// The blocking of queries and groups is the shared TilingDriver (tiling_driver.hpp); this file
// is the tile.
//
// A YMM register holds word w of 4 lanes of a group (half a group). The popcount of
// (target AND query) is taken per byte with the vpshufb nibble lookup: the target's low and high
// nibbles (split once per target vector) are ANDed with the broadcast query word and with its copy
// shifted right by 4, and each looked up in a 16-entry table of nibble popcounts. Byte counts are
// summed in byte accumulators for at most 31 words (31 * 8 = 248 < 256), then vpsadbw adds each
// qword's 8 bytes: the 4 lane counts.
#include <immintrin.h>

#define BLOOMLINK_KERNEL_ISA_FILE
#include "bloomlink/match/field_key_spec.hpp"
#include "match/kernels_internal.hpp"
#include "match/tiling_driver.hpp"

namespace bloomlink::match_internal {
namespace {

constexpr std::size_t kHalves = 2;         // 4-lane halves of a group
constexpr std::size_t kMaxByteWords = 31;  // words a byte accumulator can take: 31 * 8 < 256

// ChunkWords<W>: words per byte-accumulator chunk (W == 0: runtime word count).
template <std::size_t W>
constexpr std::size_t ChunkWords() {
  if constexpr (W != 0 && W <= kMaxByteWords) {
    return W;
  } else if constexpr (W != 0 && W % 2 == 0 && W / 2 <= kMaxByteWords) {
    return W / 2;
  } else {
    return kMaxByteWords;
  }
}

// Nibbles: the 16-entry table of nibble popcounts (in both 128-bit lanes) and the low-nibble mask.
struct Nibbles {
  __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2,
                                 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  __m256i low = _mm256_set1_epi8(0x0f);
};

// Avx2Tile: a TilingDriver tile (tiling_driver.hpp) of 4 queries x 1 group (both halves): each
// target vector's nibbles are split once for 4 queries, each query word's high nibbles shifted
// once for 2 target vectors. (Measured on the development VM, an AMD EPYC with AVX-512: 4 x 8
// lanes beat 2 x 8, 4 x 4 and 2 x 4; the scalar popcnt instruction, one query x 8 lanes, ran at
// 0.55x of this.)
struct Avx2Tile {
  static constexpr std::size_t kQueries = 4;

  // Step(bytes, query, group, w, nib): bytes[j][h] += per-byte popcounts of word w of half h of the
  // group AND word w of query j.
  template <std::size_t Q>
  [[gnu::always_inline]] static void Step(__m256i (&bytes)[Q][kHalves],
                                          const std::uint64_t* const (&query)[Q],
                                          const std::uint64_t* group, std::size_t w,
                                          const Nibbles& nib) {
    constexpr std::size_t H = kHalves;
    __m256i tlo[H], thi[H];
    for (std::size_t h = 0; h < H; ++h) {
      const __m256i t =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(group + w * kLanes + h * 4));
      tlo[h] = _mm256_and_si256(t, nib.low);
      thi[h] = _mm256_and_si256(_mm256_srli_epi16(t, 4), nib.low);
    }
    for (std::size_t j = 0; j < Q; ++j) {
      // tlo & q keeps q's low nibbles, thi & (q >> 4) its high ones: both are table indexes.
      const __m256i qlo = _mm256_set1_epi64x(static_cast<long long>(query[j][w]));
      const __m256i qhi = _mm256_srli_epi64(qlo, 4);
      for (std::size_t h = 0; h < H; ++h) {
        const __m256i a = _mm256_shuffle_epi8(nib.lut, _mm256_and_si256(tlo[h], qlo));
        const __m256i b = _mm256_shuffle_epi8(nib.lut, _mm256_and_si256(thi[h], qhi));
        bytes[j][h] = _mm256_add_epi8(bytes[j][h], _mm256_add_epi8(a, b));
        // Keeps each accumulator a sequential chain: without this GCC reassociates the unrolled
        // sums into a tree whose partial sums spill to the stack.
        __asm__("" : "+x"(bytes[j][h]));
      }
    }
  }

  // Count<Q, W>: the tile contract of tiling_driver.hpp.
  template <std::size_t Q, std::size_t W>
  [[gnu::always_inline]] static void Count(const std::uint64_t* const (&query)[Q],
                                           const std::uint64_t* group, std::size_t words,
                                           std::uint32_t* out, std::size_t out_stride) {
    constexpr std::size_t kChunk = ChunkWords<W>();
    static_assert(W % kChunk == 0, "a fixed width is a whole number of chunks");
    constexpr std::size_t H = kHalves;
    const std::size_t n = W != 0 ? W : words;
    const Nibbles nib;
    __m256i total[Q][H];
    for (std::size_t j = 0; j < Q; ++j) {
      for (std::size_t h = 0; h < H; ++h) total[j][h] = _mm256_setzero_si256();
    }
    for (std::size_t c = 0; c < n; c += kChunk) {
      __m256i bytes[Q][H];
      for (std::size_t j = 0; j < Q; ++j) {
        for (std::size_t h = 0; h < H; ++h) bytes[j][h] = _mm256_setzero_si256();
      }
      if constexpr (W != 0) {
#pragma GCC unroll 32
        for (std::size_t w = c; w < c + kChunk; ++w) Step(bytes, query, group, w, nib);
      } else {
        const std::size_t c_end = n < c + kChunk ? n : c + kChunk;  // min(n, c + kChunk)
#pragma GCC unroll 2
        for (std::size_t w = c; w < c_end; ++w) Step(bytes, query, group, w, nib);
      }
      for (std::size_t j = 0; j < Q; ++j) {
        for (std::size_t h = 0; h < H; ++h) {
          total[j][h] =
              _mm256_add_epi64(total[j][h], _mm256_sad_epu8(bytes[j][h], _mm256_setzero_si256()));
        }
      }
    }
    // Each total holds its 4 counts in the even dwords: gather them into the low 128 bits.
    const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    for (std::size_t j = 0; j < Q; ++j) {
      for (std::size_t h = 0; h < H; ++h) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j * out_stride + h * 4),
                         _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(total[j][h], even)));
      }
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

// LevelKey(x, y, spec): the key of rows x and y (match::FieldKeySpec), one field at a time.
[[gnu::always_inline]] inline std::uint64_t LevelKey(const std::uint64_t* x, const std::uint64_t* y,
                                                     const match::FieldKeySpec& spec) {
  const auto* px = reinterpret_cast<const unsigned char*>(x + spec.popcount_word);
  const auto* py = reinterpret_cast<const unsigned char*>(y + spec.popcount_word);
  std::uint64_t key = 0;
  std::size_t w = 0;
  for (std::size_t f = 0; f < spec.nf; ++f) {
    std::uint32_t c = 0;
    for (; w < spec.field_end[f]; ++w) c += static_cast<std::uint32_t>(_mm_popcnt_u64(x[w] & y[w]));
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

// FieldLevelKeysAvx2: POPCNT per word and the levels one field at a time, as the scalar kernel.
void FieldLevelKeysAvx2(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
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

// FieldPopcountsAvx2: the POPCNT instruction per word (a pair's fields are a few words each, too
// few to fill the vpshufb tile's vectors), as the scalar kernel's loops.
void FieldPopcountsAvx2(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
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
      std::uint64_t c = 0;
      for (; w < field_end[f]; ++w) c += static_cast<std::uint64_t>(_mm_popcnt_u64(x[w] & y[w]));
      counts[p * nf + f] = static_cast<std::uint32_t>(c);
    }
  }
}

void AndPopcountAvx2(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                     const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                     std::uint32_t* counts, std::size_t counts_stride) noexcept {
  TilingDriver<Avx2Tile>::AndPopcount(queries, nq, query_stride, groups, ngroups, words, counts,
                                      counts_stride);
}

}  // namespace bloomlink::match_internal
