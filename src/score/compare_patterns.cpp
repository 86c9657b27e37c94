// ComparePatterns: the comparison vectors of many pairs as distinct patterns with counts and one
// pattern index per pair (see bloomlink/score/fellegi_sunter.hpp).
//
// A pair's fields are compared on a record-major copy of the field filters (FieldRows: every
// field of a record side by side, then the record's popcounts), so the partner's fields are a
// few consecutive cache lines, fetched ahead, rather than a row in each field's matrix. The
// match kernel table's field_level_keys (bloomlink/match/kernels.hpp, dispatched like the
// candidate search's kernels) counts each field's intersection, finds its level by Compare's
// double-precision rule and packs the levels into an integer key, as EM's pattern counting
// packs them. Keys are counted per thread, the distinct keys sorted (the patterns' order), and
// each pair's key replaced by its pattern's index.
#include <omp.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "bloomlink/match/kernels.hpp"
#include "bloomlink/score/fellegi_sunter.hpp"
#include "internal/huge_pages.hpp"
#include "internal/status_macros.hpp"
#include "score/fs_internal.hpp"

namespace bloomlink::score {
namespace {

// Pairs per block: the unit of the threads' work.
constexpr std::size_t kBlock = std::size_t{1} << 14;
// Below this many pairs one thread compares them all.
constexpr std::size_t kParallelCutoff = 4096;

// FieldRows: one side's field filters, record-major: record r's row holds the fields' words one
// field after the other (field f ending at word field_end[f], the layout the field_level_keys
// kernel takes), then (at word `popcount_word`) the fields' popcounts as uint32, and is padded to
// whole 64-byte lines.
struct FieldRows {
  struct Free {
    void operator()(std::uint64_t* p) const { std::free(p); }
  };
  std::unique_ptr<std::uint64_t[], Free> words;
  std::size_t stride = 0;  // in words
  std::size_t popcount_word = 0;
  const std::uint64_t* row(std::size_t r) const { return words.get() + r * stride; }
};

FieldRows PackRows(const std::vector<const BitMatrix*>& m, std::size_t rows, int threads) {
  FieldRows out;
  const std::size_t nf = m.size();
  std::size_t w = 0;
  for (const BitMatrix* f : m) w += f->words_per_row();
  out.popcount_word = w;
  const std::size_t used = w + (nf * sizeof(std::uint32_t) + 7) / 8;
  out.stride = (used + 7) / 8 * 8;
  const std::size_t bytes = std::max<std::size_t>(64, rows * out.stride * 8);
  // Not zeroed: every word is written below (huge pages first, so the writes fault rarely).
  out.words.reset(static_cast<std::uint64_t*>(std::aligned_alloc(64, bytes)));
  if (out.words == nullptr) throw std::bad_alloc();
  internal::AdviseHugePages(out.words.get(), bytes);
  std::uint64_t* base = out.words.get();
  const std::size_t stride = out.stride, pop = out.popcount_word;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t q = 0; q < static_cast<std::int64_t>(rows); ++q) {
    const auto r = static_cast<std::size_t>(q);
    std::uint64_t* row = base + r * stride;
    std::fill(row + w, row + stride, 0);
    std::size_t at = 0;
    for (std::size_t f = 0; f < nf; ++f) {
      const std::size_t k = m[f]->words_per_row();
      std::memcpy(row + at, m[f]->row_words(r), k * 8);
      at += k;
      const std::uint32_t count = m[f]->popcount(r);
      std::memcpy(reinterpret_cast<std::uint8_t*>(row + pop) + f * 4, &count, 4);
    }
  }
  return out;
}

// FieldCode: where a field's level goes in the key (for decoding the keys into patterns).
struct FieldCode {
  std::size_t ncuts;
  unsigned shift;
};

// kMaxRowWords: the most words of field filters a record may have for the packed comparison
// (more: Compare's way).
constexpr std::size_t kMaxRowWords = 512;
// kMaxFields: the most fields of the packed comparison (each field takes at least 2 of the
// key's 64 bits).
constexpr std::size_t kMaxFields = 32;
// kBatch: pairs per call of the field_level_keys kernel.
constexpr std::size_t kBatch = 64;

// ThreadPatterns: one thread's distinct keys, each with a local number (its order of first
// appearance in that thread) and its count.
template <typename Key>
struct ThreadPatterns {
  absl::flat_hash_map<Key, std::uint32_t> local;
  std::vector<Key> keys;  // by local number
  std::vector<std::uint64_t> counts;
};

// CountKeys: every pair's key, counted per thread (each pair keeps its key's local number in
// the output), the distinct keys sorted (the patterns' order), and each pair's local number
// replaced by its pattern's index through a table per thread. The kernel `level_keys` computes
// the keys as `spec` says.
template <typename Key>
PairPatterns CountKeys(const std::vector<FieldLevels>& fields, const FieldCode* codes,
                       const match::FieldKeySpec& spec, match::FieldLevelKeysFn level_keys,
                       const FieldRows& rows_a, const FieldRows& rows_b,
                       const match::CandidatePairs& pairs, int nthreads) {
  const std::size_t nf = fields.size();
  const std::size_t n = pairs.size();
  PairPatterns out;
  // (Huge pages advised before the first touch: resize's zeroing faults the pages in.)
  internal::ResizeFresh(out.pattern, n);
  std::uint32_t* pattern = out.pattern.data();
  const std::uint32_t* left = pairs.left.data();
  const std::uint32_t* right = pairs.right.data();
  const std::size_t nblocks = (n + kBlock - 1) / kBlock;
  std::vector<ThreadPatterns<Key>> counted(static_cast<std::size_t>(nthreads));
  std::vector<int> block_thread(nblocks);  // which thread's local numbers a block holds
#pragma omp parallel num_threads(nthreads)
  {
    const int thread = omp_get_thread_num();
    ThreadPatterns<Key>& mine = counted[static_cast<std::size_t>(thread)];
#pragma omp for schedule(static)
    for (std::int64_t block = 0; block < static_cast<std::int64_t>(nblocks); ++block) {
      block_thread[static_cast<std::size_t>(block)] = thread;
      const std::size_t begin = static_cast<std::size_t>(block) * kBlock;
      const std::size_t end = std::min(n, begin + kBlock);
      Key last_key = 0;
      std::uint32_t last_id = 0;
      std::uint64_t run = 0;  // pairs in a row with last_key, counted at once
      alignas(64) std::uint64_t batch[kBatch];
      for (std::size_t p0 = begin; p0 < end; p0 += kBatch) {
        const std::size_t m = std::min(kBatch, end - p0);
        // The kernel fetches the rows of the block's later pairs ahead.
        level_keys(rows_a.words.get(), rows_b.words.get(), rows_a.stride, left + p0, right + p0, m,
                   end - p0, spec, batch);
        for (std::size_t q = 0; q < m; ++q) {
          const auto key = static_cast<Key>(batch[q]);
          if (run == 0 || key != last_key) {
            if (run > 0) mine.counts[last_id] += run;
            const auto [it, inserted] =
                mine.local.try_emplace(key, static_cast<std::uint32_t>(mine.keys.size()));
            if (inserted) {
              mine.keys.push_back(key);
              mine.counts.push_back(0);
            }
            last_key = key;
            last_id = it->second;
            run = 0;
          }
          pattern[p0 + q] = last_id;
          ++run;
        }
      }
      if (run > 0) mine.counts[last_id] += run;
    }
  }
  // Every thread's counts, added (integers: in any order), then sorted by key.
  absl::flat_hash_map<Key, std::uint64_t> all;
  for (const ThreadPatterns<Key>& t : counted) {
    for (std::size_t id = 0; id < t.keys.size(); ++id) all[t.keys[id]] += t.counts[id];
  }
  std::vector<std::pair<Key, std::uint64_t>> sorted(all.begin(), all.end());
  std::sort(sorted.begin(), sorted.end());
  absl::flat_hash_map<Key, std::uint32_t> index;
  index.reserve(sorted.size());
  PatternCounts& pc = out.counts;
  pc.patterns.fields = fields;
  pc.patterns.levels.reserve(sorted.size() * nf);
  pc.counts.reserve(sorted.size());
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    const Key key = sorted[k].first;
    index.emplace(key, static_cast<std::uint32_t>(k));
    pc.counts.push_back(sorted[k].second);
    for (std::size_t f = 0; f < nf; ++f) {
      const unsigned bits = static_cast<unsigned>(std::bit_width(codes[f].ncuts + 1));
      const auto code = static_cast<unsigned>((key >> codes[f].shift) & ((Key{1} << bits) - 1));
      pc.patterns.levels.push_back(code == 0 ? kMissingLevel : static_cast<std::uint8_t>(code - 1));
    }
  }
  // Each thread's local numbers to pattern indexes.
  std::vector<std::vector<std::uint32_t>> remap(counted.size());
  for (std::size_t t = 0; t < counted.size(); ++t) {
    remap[t].reserve(counted[t].keys.size());
    for (const Key key : counted[t].keys) remap[t].push_back(index.find(key)->second);
    counted[t] = {};
  }
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (std::int64_t block = 0; block < static_cast<std::int64_t>(nblocks); ++block) {
    const std::uint32_t* to = remap[static_cast<std::size_t>(block_thread[block])].data();
    const std::size_t begin = static_cast<std::size_t>(block) * kBlock;
    const std::size_t end = std::min(n, begin + kBlock);
    for (std::size_t p = begin; p < end; ++p) pattern[p] = to[pattern[p]];
  }
  return out;
}

// PatternsOfVectors: the general case (keys wider than 64 bits): Compare's vectors, their rows
// counted as byte strings.
PairPatterns PatternsOfVectors(ComparisonVectors vectors) {
  const std::size_t nf = vectors.fields.size();
  const std::size_t n = vectors.size();
  absl::flat_hash_map<std::string_view, std::uint64_t> counts;
  const auto row = [&](std::size_t p) {
    return std::string_view(reinterpret_cast<const char*>(vectors.levels.data()) + p * nf, nf);
  };
  for (std::size_t p = 0; p < n; ++p) ++counts[row(p)];
  std::vector<std::pair<std::string_view, std::uint64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end());
  absl::flat_hash_map<std::string_view, std::uint32_t> index;
  PairPatterns out;
  out.counts.patterns.fields = vectors.fields;
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    index.emplace(sorted[k].first, static_cast<std::uint32_t>(k));
    out.counts.patterns.levels.insert(out.counts.patterns.levels.end(), sorted[k].first.begin(),
                                      sorted[k].first.end());
    out.counts.counts.push_back(sorted[k].second);
  }
  out.pattern.resize(n);
  for (std::size_t p = 0; p < n; ++p) out.pattern[p] = index.at(row(p));
  return out;
}

// ComparePatternsWith: score_internal::ComparePatternsWith (fs_internal.hpp).
absl::StatusOr<PairPatterns> ComparePatternsWith(const match::KernelTable& kernel,
                                                 const std::vector<const BitMatrix*>& a,
                                                 const std::vector<const BitMatrix*>& b,
                                                 const match::CandidatePairs& pairs,
                                                 const std::vector<FieldLevels>& fields,
                                                 int threads) {
  BLOOMLINK_RETURN_IF_ERROR(score_internal::CheckCompareInputs(a, b, pairs, fields));
  const std::size_t nf = fields.size();
  const std::size_t n = pairs.size();
  unsigned total_bits = 0;
  for (const FieldLevels& f : fields) {
    total_bits += static_cast<unsigned>(std::bit_width(f.cutpoints.size() + 1));
  }
  std::size_t row_words = 0;
  for (std::size_t f = 0; f < nf; ++f) row_words += a[f]->words_per_row();
  if (total_bits > 64 || nf > kMaxFields || row_words > kMaxRowWords ||
      n > std::numeric_limits<std::uint32_t>::max()) {
    BLOOMLINK_ASSIGN_OR_RETURN(ComparisonVectors vectors, Compare(a, b, pairs, fields, threads));
    return PatternsOfVectors(std::move(vectors));
  }
  int nthreads = threads > 0 ? threads : omp_get_num_procs();
  if (n < kParallelCutoff) nthreads = 1;
  // Every row a pair uses, and no more: with few pairs the copy would cost more than it saves.
  std::size_t rows_a = std::numeric_limits<std::size_t>::max(), rows_b = rows_a;
  for (std::size_t f = 0; f < nf; ++f) {
    rows_a = std::min(rows_a, a[f]->rows());
    rows_b = std::min(rows_b, b[f]->rows());
  }
  const FieldRows packed_a = PackRows(a, n == 0 ? 0 : rows_a, nthreads);
  const bool same = a == b;  // one dataset with itself: one copy
  FieldRows packed_b_storage;
  if (!same) packed_b_storage = PackRows(b, n == 0 ? 0 : rows_b, nthreads);
  const FieldRows& packed_b = same ? packed_a : packed_b_storage;

  // The kernel's key: each field's cut-points as a column of doubles (0.0 past its own: always
  // reached), its code at its shift.
  std::vector<FieldCode> codes(nf);
  std::vector<std::uint32_t> field_end(nf);
  std::vector<std::uint8_t> shifts(nf);
  std::size_t ncuts = 0;
  for (const FieldLevels& f : fields) ncuts = std::max(ncuts, f.cutpoints.size());
  const std::size_t cut_stride = (nf + match::kCutLanes - 1) / match::kCutLanes * match::kCutLanes;
  std::vector<double> cutpoints(ncuts * cut_stride, 0.0);
  std::size_t word_offset = 0;
  unsigned shift = 0;
  for (std::size_t f = 0; f < nf; ++f) {
    codes[f] = FieldCode{.ncuts = fields[f].cutpoints.size(), .shift = shift};
    for (std::size_t l = 0; l < fields[f].cutpoints.size(); ++l) {
      cutpoints[l * cut_stride + f] = fields[f].cutpoints[l];
    }
    word_offset += a[f]->words_per_row();
    field_end[f] = static_cast<std::uint32_t>(word_offset);
    shifts[f] = static_cast<std::uint8_t>(shift);
    shift += static_cast<unsigned>(std::bit_width(fields[f].cutpoints.size() + 1));
  }
  const match::FieldKeySpec spec{.field_end = field_end.data(),
                                 .nf = nf,
                                 .popcount_word = packed_a.popcount_word,
                                 .cutpoints = cutpoints.data(),
                                 .cut_stride = cut_stride,
                                 .ncuts = ncuts,
                                 .shift = shifts.data()};
  if (total_bits <= 32) {
    return CountKeys<std::uint32_t>(fields, codes.data(), spec, kernel.field_level_keys, packed_a,
                                    packed_b, pairs, nthreads);
  }
  return CountKeys<std::uint64_t>(fields, codes.data(), spec, kernel.field_level_keys, packed_a,
                                  packed_b, pairs, nthreads);
}

}  // namespace

absl::StatusOr<PairPatterns> ComparePatterns(const std::vector<const BitMatrix*>& a,
                                             const std::vector<const BitMatrix*>& b,
                                             const match::CandidatePairs& pairs,
                                             const std::vector<FieldLevels>& fields, int threads) {
  BLOOMLINK_ASSIGN_OR_RETURN(const match::KernelTable* kernel, match::Kernels());
  return ComparePatternsWith(*kernel, a, b, pairs, fields, threads);
}

}  // namespace bloomlink::score

namespace bloomlink::score_internal {

absl::StatusOr<score::PairPatterns> ComparePatternsWith(
    const match::KernelTable& kernel, const std::vector<const BitMatrix*>& a,
    const std::vector<const BitMatrix*>& b, const match::CandidatePairs& pairs,
    const std::vector<score::FieldLevels>& fields, int threads) {
  return score::ComparePatternsWith(kernel, a, b, pairs, fields, threads);
}

}  // namespace bloomlink::score_internal
