// The tiling driver shared by every AND-popcount kernel: the order in which a call's queries and
// target groups are visited, and the specialisation on filter width. A kernel file supplies only
// its tile (the counts of a few queries against one group of 8 targets) and instantiates
// TilingDriver with it:
//
//   void AndPopcountAvx2(...) noexcept { TilingDriver<Avx2Tile>::AndPopcount(...); }
//
// Why a header and not a function in kernels.cpp: the driver must be compiled with each kernel
// file's ISA flags and inlined around that file's tile (a call per tile through a pointer would
// cost more than the tile itself), so each kernel file compiles its own copy, as simdjson does
// with its generic code.
//
// The hazard of that, and the rule that answers it: code compiled in a kernel file with
// -mavx512f must never be the copy that another file calls. An inline function or a template
// instantiation with external linkage is emitted as a weak symbol in every object that uses it,
// and the linker keeps one of them, possibly the AVX-512 one, for every caller. So:
//   - everything here is a member of TilingDriver<Tile>, and every kernel file declares its Tile
//     in an anonymous namespace: each instantiation then has internal linkage, one per file;
//   - kernel files include no library or standard-library header besides <cstddef>, <cstdint>
//     (types only), the ISA's intrinsics (kernels_scalar.cpp, built for the baseline, also
//     <bit>) and bloomlink/match/field_key_spec.hpp (a plain struct).
// The same rules hold for the field kernels in those files (FieldPopcounts, FieldLevelKeys:
// their helpers are in an anonymous namespace, and bloomlink/match/field_key_spec.hpp, which
// they include, holds only a plain struct and a constant). The test kernel_object_symbols
// checks the result: each kernel object defines exactly its entry points as external symbols,
// its AndPopcount, FieldPopcounts and FieldLevelKeys functions.
#pragma once

#ifndef BLOOMLINK_KERNEL_ISA_FILE
#error "tiling_driver.hpp is for the kernel files only (see the comment at its top)"
#endif

#include <cstddef>
#include <cstdint>

#include "match/kernels_internal.hpp"

namespace bloomlink::match_internal {

// KernelTile: what a kernel file provides.
//   kQueries: queries per tile; the last nq % kQueries queries of a call run in one smaller tile.
//   Count<Q, W>(query, group, words, out, out_stride), for 1 <= Q <= kQueries: for j < Q and
//     lane l < kLanes, out[j * out_stride + l] = popcount(query[j] AND target l of `group`) over
//     W words, fully unrolled, or over `words` words when W == 0 (then any count, 0 included).
//     `group` is one group as PackTargetGroups lays it out (word w of lane l at
//     group[w * kLanes + l]). Writes those 8 counts per query and nothing else.
template <class Tile>
concept KernelTile = requires(const std::uint64_t* const (&query)[1], const std::uint64_t* group,
                              std::size_t words, std::uint32_t* out) {
  requires Tile::kQueries >= 1;
  Tile::template Count<1, 0>(query, group, words, out, words);
};

template <KernelTile Tile>
class TilingDriver {
 public:
  // AndPopcount: the match::AndPopcountFn contract (bloomlink/match/kernels.hpp). 1024- and
  // 2048-bit filters (16 and 32 words) get tiles unrolled for their width; other widths run
  // the generic loop.
  static void AndPopcount(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
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

 private:
  // Groups visited by all the query tiles of a call before moving on: the target chunk (16 KiB,
  // 16 groups of 1024-bit filters) stays in L1 while the queries go through it.
  static constexpr std::size_t kChunkBytes = 16 * 1024;

  // Min and Max: std::min and std::max are standard-library templates (see the top comment).
  static constexpr std::size_t Min(std::size_t a, std::size_t b) { return a < b ? a : b; }
  static constexpr std::size_t Max(std::size_t a, std::size_t b) { return a < b ? b : a; }

  // Groups<Q, W>: the tile of queries q + j * q_stride (j < Q) against each group in [g0, g1).
  template <std::size_t Q, std::size_t W>
  static void Groups(const std::uint64_t* q, std::size_t q_stride, const std::uint64_t* groups,
                     std::size_t g0, std::size_t g1, std::size_t words, std::uint32_t* out,
                     std::size_t out_stride) {
    // The query pointers are worked out once per call, not once per group.
    const std::uint64_t* query[Q];
    for (std::size_t j = 0; j < Q; ++j) query[j] = q + j * q_stride;
    const std::size_t group_words = words * kLanes;
    for (std::size_t g = g0; g < g1; ++g) {
      Tile::template Count<Q, W>(query, groups + g * group_words, words, out + g * kLanes,
                                 out_stride);
    }
  }

  // Remainder<Q, W>(r, ...): Groups<r, W> for the last r < kQueries queries (r <= Q), so that
  // every tile size is a compile-time constant.
  template <std::size_t Q, std::size_t W>
  static void Remainder(std::size_t r, const std::uint64_t* q, std::size_t q_stride,
                        const std::uint64_t* groups, std::size_t g0, std::size_t g1,
                        std::size_t words, std::uint32_t* out, std::size_t out_stride) {
    if constexpr (Q > 0) {
      if (r == Q) {
        Groups<Q, W>(q, q_stride, groups, g0, g1, words, out, out_stride);
      } else {
        Remainder<Q - 1, W>(r, q, q_stride, groups, g0, g1, words, out, out_stride);
      }
    }
  }

  // Run<W>: the kernel for W words (0: any). Groups go in chunks that stay in L1; each chunk is
  // run against all the queries, kQueries at a time, then the remainder.
  template <std::size_t W>
  static void Run(const std::uint64_t* queries, std::size_t nq, std::size_t query_stride,
                  const std::uint64_t* groups, std::size_t ngroups, std::size_t words,
                  std::uint32_t* counts, std::size_t counts_stride) {
    constexpr std::size_t kQueries = Tile::kQueries;
    const std::size_t group_bytes = words * kLanes * sizeof(std::uint64_t);
    const std::size_t chunk = Max(1, kChunkBytes / Max(1, group_bytes));
    for (std::size_t g0 = 0; g0 < ngroups; g0 += chunk) {
      const std::size_t g1 = Min(ngroups, g0 + chunk);
      std::size_t q = 0;
      for (; q + kQueries <= nq; q += kQueries) {
        Groups<kQueries, W>(queries + q * query_stride, query_stride, groups, g0, g1, words,
                            counts + q * counts_stride, counts_stride);
      }
      Remainder<kQueries - 1, W>(nq - q, queries + q * query_stride, query_stride, groups, g0, g1,
                                 words, counts + q * counts_stride, counts_stride);
    }
  }
};

}  // namespace bloomlink::match_internal
