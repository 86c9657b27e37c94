// bloomlink/match/kernels.hpp
//
// The SIMD kernels behind candidate generation and their single dispatch point.
//
// A kernel computes |a AND b| (the popcount of the intersection, the numerator of the Dice
// coefficient) for a few query filters against many target filters (and_popcount, the candidate
// search), or for each field of many given pairs of records (field_popcounts; field_level_keys
// also turns them into Dice levels packed in a key: Fellegi-Sunter's comparison of field
// filters, score::ComparePatterns). Three implementations exist:
// a portable scalar reference, AVX2 (vpshufb nibble popcounts) and AVX-512 with VPOPCNTDQ. Each
// lives in its own source file, the only files compiled with ISA flags; the rest of the library
// is built for the processor's baseline. The two x86 kernels exist only in builds with the x86
// kernels (CMake's BLOOMLINK_X86_KERNELS, on by default on x86). Kernels() chooses one on first
// use from CPUID, or the one named by the BLOOMLINK_KERNEL environment variable (scalar, avx2,
// avx512); an unknown name, or one this build or CPU cannot run, is an error, never a silent
// fallback.
//
// Targets are passed as "groups": 8 filters stored word-interleaved, so that one vector load
// holds the same word of 8 targets and no horizontal sums are needed:
//   word w of lane l of group g is groups[(g * words + w) * kGroupLanes + l].
// Unused lanes are zero. Callers build groups with PackTargetGroups.
//
//   absl::StatusOr<const match::KernelTable*> kernel = match::Kernels();
//   if (!kernel.ok()) return kernel.status();
//   (*kernel)->and_popcount(queries, nq, query_stride, groups, ngroups, words, counts, stride);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/match/field_key_spec.hpp"

namespace bloomlink::match {

inline constexpr std::size_t kGroupLanes = 8;

// AndPopcountFn(queries, nq, query_stride, groups, ngroups, words, counts, counts_stride):
// for q < nq, g < ngroups, l < kGroupLanes:
//   counts[q * counts_stride + g * kGroupLanes + l] = popcount(query q AND target (g, l))
// over `words` 64-bit words. Query q starts at queries + q * query_stride (in words). Any nq,
// ngroups and words (words 0 gives zero counts); pointers to queries and groups are 64-byte
// aligned (for speed: the kernels use unaligned loads, so other alignments give the same
// results). Counts are written for all 8 lanes of every group (0 for the zero-filled unused
// lanes) and nowhere else: counts_stride >= ngroups * kGroupLanes, and the rest of each row is
// left as is. Never allocates, never throws, and gives exactly the scalar kernel's results.
//
// Speed: pass 4 queries (or a multiple of 4) per call; the SIMD kernels run 4 queries per load
// of a target group, and 1024 and 2048 bits (16 and 32 words) are fully unrolled.
using AndPopcountFn = void (*)(const std::uint64_t* queries, std::size_t nq,
                               std::size_t query_stride, const std::uint64_t* groups,
                               std::size_t ngroups, std::size_t words, std::uint32_t* counts,
                               std::size_t counts_stride) noexcept;

// FieldPopcountsFn(a_rows, b_rows, row_stride, left, right, n, prefetch_n, field_end, nf,
// counts): the intersections of each field of many pairs of records whose fields are stored
// record-major (all the fields of a record side by side in one row of row_stride words, field f
// in words [field_end[f - 1], field_end[f]), field 0 from word 0). For p < n and f < nf:
//   counts[p * nf + f] = popcount(x AND y) over field f's words,
// with x = a_rows + left[p] * row_stride and y = b_rows + right[p] * row_stride. field_end is
// non-decreasing and field_end[nf - 1] <= row_stride (an empty field counts 0; nf 0 writes
// nothing). left and right are read for p < prefetch_n (prefetch_n >= n, an index there must
// be a row too): the rows of the pairs after the n are fetched ahead (whole rows of row_stride
// words), so that a caller going through a long list of pairs a few at a time passes the rest
// of the list. Rows need no alignment (64-byte aligned rows are faster). Never allocates, never
// throws, and gives exactly the scalar kernel's results.
//
// Speed: one call per few dozen pairs or more; rows of at most 32 words (2048 bits) with at most
// 32 fields take the AVX-512 kernel's fastest path.
using FieldPopcountsFn = void (*)(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                                  std::size_t row_stride, const std::uint32_t* left,
                                  const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                                  const std::uint32_t* field_end, std::size_t nf,
                                  std::uint32_t* counts) noexcept;

// FieldLevelKeysFn(a_rows, b_rows, row_stride, left, right, n, prefetch_n, spec, keys): for
// p < n, keys[p] is the key (FieldKeySpec, bloomlink/match/field_key_spec.hpp) of record left[p]
// of A with record right[p] of B: each field's intersection counted as field_popcounts does,
// its level from the field's cut-points, packed. Rows, left, right and prefetch_n as for
// FieldPopcountsFn; the popcounts (nf uint32 from word spec.popcount_word) must fit in a row. Never
// allocates, never throws, and gives exactly the scalar kernel's results.
//
// Speed: as field_popcounts; the AVX-512 kernel finds the levels of 8 fields at once.
using FieldLevelKeysFn = void (*)(const std::uint64_t* a_rows, const std::uint64_t* b_rows,
                                  std::size_t row_stride, const std::uint32_t* left,
                                  const std::uint32_t* right, std::size_t n, std::size_t prefetch_n,
                                  const FieldKeySpec& spec, std::uint64_t* keys) noexcept;

enum class KernelIsa { kScalar, kAvx2, kAvx512 };

struct KernelTable {
  KernelIsa isa;
  std::string_view name;  // "scalar", "avx2", "avx512"
  AndPopcountFn and_popcount;
  FieldPopcountsFn field_popcounts;
  FieldLevelKeysFn field_level_keys;
};

// Kernels() is the kernel table chosen once, on first use: BLOOMLINK_KERNEL if set (an unknown
// or unsupported value is InvalidArgument, naming the variable and the supported values), else
// the best this CPU supports. Thread-safe.
absl::StatusOr<const KernelTable*> Kernels();

// KernelFor(isa) is that implementation when this build has it and this CPU can run it, else
// nullptr (tests and benchmarks use it to run every path in one process).
const KernelTable* KernelFor(KernelIsa isa);

// SupportedKernels() lists every kernel of this build that this CPU can run, scalar first.
std::vector<const KernelTable*> SupportedKernels();

// ParseKernelName("avx2") -> kAvx2; InvalidArgument for anything else.
absl::StatusOr<KernelIsa> ParseKernelName(std::string_view name);

// AlignedWords: a zero-filled array of 64-bit words whose first word is 64-byte aligned (the
// allocation is rounded up to whole 64-byte lines). Move-only; AlignedWords(0) holds nothing.
struct AlignedWords {
  AlignedWords() = default;
  explicit AlignedWords(std::size_t words);
  AlignedWords(AlignedWords&&) noexcept;
  AlignedWords& operator=(AlignedWords&&) noexcept;
  AlignedWords(const AlignedWords&) = delete;
  AlignedWords& operator=(const AlignedWords&) = delete;
  ~AlignedWords();
  std::uint64_t* data() { return data_; }
  const std::uint64_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  std::uint64_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// PackTargetGroups(rows, words, out): interleaves the filters rows[0 .. n) (each `words` long)
// into ceil(n / 8) groups in `out`: word w of rows[g * 8 + l] goes to
// out[(g * words + w) * kGroupLanes + l], and the unused lanes of the last group are zero. `out`
// is reallocated only when its size is not ceil(n / 8) * words * kGroupLanes.
void PackTargetGroups(std::span<const std::uint64_t* const> rows, std::size_t words,
                      AlignedWords& out);

}  // namespace bloomlink::match
