// AVX2 kernel. Compiled with -mavx2 -mpopcnt; runs only where DetectCpuSupport() reports avx2.
// Every helper is file-local (anonymous namespace) so that no AVX2 code can be shared with other
// files.
//
// A YMM register holds word w of 4 lanes of a group (half a group). The popcount of
// (target AND query) is taken per byte with the vpshufb nibble lookup: the target's low and high
// nibbles (split once per target vector) are ANDed with the broadcast query word and with its copy
// shifted right by 4, and each looked up in a 16-entry table of nibble popcounts. Byte counts are
// summed in byte accumulators for at most 31 words (31 * 8 = 248 < 256), then vpsadbw adds each
// qword's 8 bytes: the 4 lane counts.
#include <immintrin.h>

#define BLOOMLINK_KERNEL_ISA_FILE
#include "match/kernels_internal.hpp"

namespace bloomlink::match::internal {
namespace {

constexpr std::size_t kGroupLanes = kLanes;

constexpr std::size_t Min(std::size_t a, std::size_t b) { return a < b ? a : b; }
constexpr std::size_t Max(std::size_t a, std::size_t b) { return a < b ? b : a; }

// A tile is 4 queries x 1 group (both halves): each target vector's nibbles are split once for
// 4 queries, each query word's high nibbles shifted once for 2 target vectors. (Measured on the
// development VM, an AMD EPYC with AVX-512: 4 x 8 lanes beat 2 x 8, 4 x 4 and 2 x 4; the scalar
// popcnt instruction, one query x 8 lanes, ran at 0.55x of this.)
constexpr std::size_t kTileQueries = 4;
constexpr std::size_t kHalves = 2;  // 4-lane halves of a group
// Groups visited by all the query tiles of a call before moving on: the target chunk (16 KiB)
// stays in L1 while the queries go through it.
constexpr std::size_t kChunkBytes = 16 * 1024;
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

// Step(bytes, query, group, w, nib): bytes[j][h] += per-byte popcounts of word w of half h of the
// group AND word w of query j.
template <std::size_t Q>
[[gnu::always_inline]] inline void Step(__m256i (&bytes)[Q][kHalves],
                                        const std::uint64_t* const (&query)[Q],
                                        const std::uint64_t* group, std::size_t w,
                                        const Nibbles& nib) {
  constexpr std::size_t H = kHalves;
  __m256i tlo[H], thi[H];
  for (std::size_t h = 0; h < H; ++h) {
    const __m256i t =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(group + w * kGroupLanes + h * 4));
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

// Tile<Q, W>: counts of Q queries (query j at query[j]) against one group; W words fully
// unrolled, or `words` when W == 0. Stores 8 uint32 counts per query at out + j * out_stride.
template <std::size_t Q, std::size_t W>
[[gnu::always_inline]] inline void Tile(const std::uint64_t* const (&query)[Q],
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
      const std::size_t c_end = Min(n, c + kChunk);
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

void AndPopcountAvx2(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
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
