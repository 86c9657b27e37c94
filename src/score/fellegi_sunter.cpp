// Fellegi–Sunter scoring: comparison vectors from field-level filters, EM over distinct agreement
// patterns, scores, random pairs for u, and level labels. Model files are in model_file.cpp.
#include "bloomlink/score/fellegi_sunter.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "internal/huge_pages.hpp"
#include "internal/popcount.hpp"
#include "internal/random.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "score/fs_internal.hpp"

namespace bloomlink::score_internal {

using internal::StrCat;

absl::Status CheckCutpoints(const score::FieldLevels& field, std::string_view context) {
  const std::vector<double>& cuts = field.cutpoints;
  if (cuts.empty() || cuts.size() >= score::kMaxLevels) {
    return absl::InvalidArgumentError(StrCat(context, "field \"", field.field, "\": expected 1 to ",
                                             score::kMaxLevels - 1, " cut-points, got ",
                                             cuts.size()));
  }
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    if (!(cuts[i] > 0.0 && cuts[i] <= 1.0)) {
      return absl::InvalidArgumentError(StrCat(context, "field \"", field.field, "\": cut-point ",
                                               i, " is ", cuts[i], "; expected a value in (0, 1]"));
    }
    if (i > 0 && !(cuts[i] < cuts[i - 1])) {
      return absl::InvalidArgumentError(StrCat(context, "field \"", field.field,
                                               "\": cut-points must be strictly decreasing (",
                                               cuts[i - 1], " then ", cuts[i], ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckProbabilities(const std::vector<double>& values, std::size_t levels,
                                std::string_view what) {
  if (values.size() != levels) {
    return absl::InvalidArgumentError(
        StrCat(what, ": expected ", levels, " values (one per level), got ", values.size()));
  }
  double sum = 0.0;
  for (std::size_t l = 0; l < values.size(); ++l) {
    if (!(values[l] > 0.0 && values[l] < 1.0)) {
      return absl::InvalidArgumentError(
          StrCat(what, ": value ", l, " is ", values[l], "; expected a probability in (0, 1)"));
    }
    sum += values[l];
  }
  if (!(std::fabs(sum - 1.0) <= kSumTolerance)) {
    return absl::InvalidArgumentError(StrCat(what, ": values sum to ", sum, "; expected 1"));
  }
  return absl::OkStatus();
}

absl::Status CheckCompareInputs(const std::vector<const BitMatrix*>& a,
                                const std::vector<const BitMatrix*>& b,
                                const match::CandidatePairs& pairs,
                                const std::vector<score::FieldLevels>& fields) {
  const std::size_t nf = fields.size();
  if (nf == 0) return absl::InvalidArgumentError("Compare: no fields to compare");
  if (a.size() != nf || b.size() != nf) {
    return absl::InvalidArgumentError(StrCat("Compare: ", nf, " fields but ", a.size(),
                                             " field filter matrices for A and ", b.size(),
                                             " for B; expected one per field on each side"));
  }
  if (pairs.right.size() != pairs.left.size()) {
    return absl::InvalidArgumentError(StrCat("Compare: candidate pairs have ", pairs.left.size(),
                                             " left and ", pairs.right.size(), " right indices"));
  }
  std::size_t rows_a = std::numeric_limits<std::size_t>::max();
  std::size_t rows_b = rows_a;
  for (std::size_t f = 0; f < nf; ++f) {
    BLOOMLINK_RETURN_IF_ERROR(CheckCutpoints(fields[f], "Compare: "));
    if (a[f] == nullptr || b[f] == nullptr) {
      return absl::InvalidArgumentError(
          StrCat("Compare: field \"", fields[f].field, "\": no filter matrix (null)"));
    }
    if (a[f]->bits() != b[f]->bits()) {
      return absl::InvalidArgumentError(StrCat("Compare: field \"", fields[f].field,
                                               "\": ", a[f]->bits(), "-bit filters in A but ",
                                               b[f]->bits(), "-bit filters in B"));
    }
    rows_a = std::min(rows_a, a[f]->rows());
    rows_b = std::min(rows_b, b[f]->rows());
  }
  const std::size_t n = pairs.size();
  // The largest indices first (a loop the compiler vectorises), the failing pair only if one is
  // out of range.
  std::uint32_t max_left = 0, max_right = 0;
  const std::uint32_t* left_index = pairs.left.data();
  const std::uint32_t* right_index = pairs.right.data();
  for (std::size_t p = 0; p < n; ++p) {
    max_left = std::max(max_left, left_index[p]);
    max_right = std::max(max_right, right_index[p]);
  }
  const bool in_range = n == 0 || (max_left < rows_a && max_right < rows_b);
  for (std::size_t p = 0; p < n && !in_range; ++p) {
    if (pairs.left[p] >= rows_a || pairs.right[p] >= rows_b) {
      const bool left = pairs.left[p] >= rows_a;
      return absl::InvalidArgumentError(StrCat("Compare: pair ", p, ": ", left ? "left" : "right",
                                               " index ", left ? pairs.left[p] : pairs.right[p],
                                               " is out of range (dataset ", left ? "A" : "B",
                                               " has ", left ? rows_a : rows_b, " records)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace bloomlink::score_internal

namespace bloomlink::score {
namespace {

using internal::StrCat;
using score_internal::CheckCutpoints;

// CountPatterns counts with a hash map up to this many distinct patterns, then by sorting.
constexpr std::size_t kHashedPatterns = std::size_t{1} << 18;
constexpr std::size_t kHashProbe = std::size_t{1} << 16;
// EM visits the patterns in blocks of this many (the unit of its threads' work).
constexpr std::size_t kEmBlock = 1 << 14;
// EM's E-step groups fields whose combinations of codes number at most this (see EstimateModel).
constexpr std::size_t kChunkCombos = 4096;
// Below this many pairs Compare runs on one thread: starting threads costs more than it saves.
constexpr std::size_t kParallelCutoff = 4096;
// Compare fetches the filters of the pair this many pairs ahead.
constexpr std::int64_t kPrefetchDistance = 4;

std::size_t LevelCount(const FieldLevels& field) { return field.cutpoints.size() + 1; }

// ---------------------------------------------------------------------------------------------
// Distinct patterns.

// Patterns: the distinct agreement patterns of one or more sets of comparison vectors, in a fixed
// order (sorted by key), with the weight of each (the pairs that have it, each pair counting its
// set's weight).
struct Patterns {
  std::size_t fields = 0;
  std::vector<std::uint8_t> levels;  // size() x fields
  std::vector<double> counts;
  double pairs = 0;                  // the total weight
  std::uint64_t observed_pairs = 0;  // the pairs counted, unweighted
  std::size_t size() const { return counts.size(); }
};

absl::Status LevelOutOfRange(const ComparisonVectors& v, std::size_t pair, std::size_t field) {
  return absl::InvalidArgumentError(
      StrCat("comparison vectors: pair ", pair, ", field \"", v.fields[field].field, "\": level ",
             static_cast<int>(v.level(pair, field)), " is out of range (the field has ",
             LevelCount(v.fields[field]), " levels and ", static_cast<int>(kMissingLevel),
             " means missing)"));
}

// WeightedVectors: a set of comparison vectors whose every pair stands for `weight` pairs; with
// `counts`, row k of the vectors stands for counts[k] pairs (patterns counted already).
struct WeightedVectors {
  const ComparisonVectors* vectors;
  double weight;
  const std::vector<std::uint64_t>* counts;
};

// RadixSort(keys, n, bits): sorts n keys whose values fit in `bits` bits, least significant
// 11-bit digit first (2,048 buckets: the scatter stays within the caches, where 16-bit digits'
// 65,536 did not), with every digit's histogram taken in one read.
// (The scratch array is not zeroed first: every element is written before it is read.)
template <typename Key>
void RadixSort(std::unique_ptr<Key[]>& keys, std::size_t n, unsigned bits) {
  constexpr unsigned kDigit = 11;
  constexpr std::size_t kBuckets = std::size_t{1} << kDigit;
  const unsigned passes = (bits + kDigit - 1) / kDigit;
  if (passes == 0 || n < 2) return;
  std::vector<std::size_t> offsets(passes * kBuckets, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (unsigned d = 0; d < passes; ++d)
      ++offsets[d * kBuckets + ((keys[i] >> (d * kDigit)) & (kBuckets - 1))];
  }
  auto scratch = std::make_unique_for_overwrite<Key[]>(n);
  internal::AdviseHugePages(scratch.get(), n * sizeof(Key));
  for (unsigned d = 0; d < passes; ++d) {
    std::size_t* o = offsets.data() + d * kBuckets;
    std::size_t total = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      const std::size_t count = o[b];
      o[b] = total;
      total += count;
    }
    const unsigned shift = d * kDigit;
    for (std::size_t i = 0; i < n; ++i) scratch[o[(keys[i] >> shift) & (kBuckets - 1)]++] = keys[i];
    keys.swap(scratch);
  }
}

// SortedCounts: one set's distinct keys in ascending order, and how many pairs have each.
template <typename Key>
struct SortedCounts {
  std::vector<Key> keys;
  std::vector<std::uint64_t> counts;
};

// CountPatterns(sets): aggregates the pairs' patterns over every set (all with the same fields).
// A pattern is packed into an integer key when its fields fit (level + 1, or 0 for missing, in
// bit_width(levels) bits per field: 32-bit keys when they fit, else 64-bit), else it is keyed by
// its bytes. Each set's patterns are counted exactly, then merged in key order with the sets'
// weights added in the sets' order, so the result does not depend on hashing or threads.
// InvalidArgument for a level out of range.
absl::StatusOr<Patterns> CountPatterns(const std::vector<WeightedVectors>& sets, int threads) {
  const std::vector<FieldLevels>& fields = sets.front().vectors->fields;
  const std::size_t nf = fields.size();
  std::vector<unsigned> shift(nf);
  std::vector<unsigned> levels(nf);
  unsigned total_bits = 0;
  for (std::size_t f = 0; f < nf; ++f) {
    levels[f] = static_cast<unsigned>(LevelCount(fields[f]));
    shift[f] = total_bits;
    total_bits += static_cast<unsigned>(std::bit_width(levels[f]));
  }
  Patterns out;
  out.fields = nf;
  const auto first_bad_level = [&](const ComparisonVectors& v) -> absl::Status {
    for (std::size_t q = 0; q < v.size(); ++q) {
      const std::uint8_t* row = v.levels.data() + q * nf;
      for (std::size_t f = 0; f < nf; ++f) {
        if (row[f] != kMissingLevel && row[f] >= levels[f]) return LevelOutOfRange(v, q, f);
      }
    }
    return absl::OkStatus();
  };
  // count_set(v, key_of): v's patterns, sorted. A hash map while the patterns are few (the usual
  // case: it stays in cache); packed keys, once there are more than kHashedPatterns, are built
  // on every thread, sorted by radix and counted in runs instead: random access into a large
  // table costs more than a few passes over the keys.
  const auto count_set = [&]<typename Key>(const ComparisonVectors& v,
                                           const std::vector<std::uint64_t>* counted_rows,
                                           auto key_of) -> absl::StatusOr<SortedCounts<Key>> {
    constexpr bool kPacked = std::is_integral_v<Key>;
    const std::size_t n = v.size();
    // Rows counted already are few (distinct patterns): always by the map.
    const std::size_t cap = kPacked && counted_rows == nullptr
                                ? kHashedPatterns
                                : std::numeric_limits<std::size_t>::max();
    SortedCounts<Key> sorted;
    absl::flat_hash_map<Key, std::uint64_t> counts;
    bool complete = true;
    for (std::size_t p = 0; p < n; ++p) {
      // Give up on the map once it holds more than `cap` patterns, or early when the first
      // kHashProbe pairs show so many (over half of them new) that it will (the result is the
      // same either way; filling the map first only costs time).
      if (counts.size() > cap || (p == kHashProbe && n > cap && counts.size() > kHashProbe / 2)) {
        complete = false;
        break;
      }
      const std::uint8_t* row = v.levels.data() + p * nf;
      for (std::size_t f = 0; f < nf; ++f) {
        if (row[f] != kMissingLevel && row[f] >= levels[f]) return LevelOutOfRange(v, p, f);
      }
      counts[key_of(row)] += counted_rows == nullptr ? 1 : (*counted_rows)[p];
    }
    if (complete) {
      std::vector<std::pair<Key, std::uint64_t>> pairs(counts.begin(), counts.end());
      std::sort(pairs.begin(), pairs.end());
      sorted.keys.reserve(pairs.size());
      sorted.counts.reserve(pairs.size());
      for (const auto& [key, count] : pairs) {
        sorted.keys.push_back(key);
        sorted.counts.push_back(count);
      }
      return sorted;
    }
    if constexpr (kPacked) {
      counts = {};
      auto keys = std::make_unique_for_overwrite<Key[]>(n);
      internal::AdviseHugePages(keys.get(), n * sizeof(Key));
      const auto count = static_cast<std::int64_t>(n);
      // Each field's byte to its part of the key, and whether the byte is a valid level, by
      // table: a load and an OR per field.
      std::vector<Key> part(nf * 256, 0);
      std::vector<std::uint8_t> invalid(nf * 256, 0);
      for (std::size_t f = 0; f < nf; ++f) {
        for (unsigned byte = 0; byte < 256; ++byte) {
          const auto level = static_cast<std::uint8_t>(byte);
          invalid[f * 256 + byte] = level != kMissingLevel && level >= levels[f];
          if (level != kMissingLevel && level < levels[f]) {
            part[f * 256 + byte] = static_cast<Key>(static_cast<Key>(level + 1) << shift[f]);
          }
        }
      }
      bool bad = false;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(|| : bad)
      for (std::int64_t q = 0; q < count; ++q) {
        const std::uint8_t* row = v.levels.data() + static_cast<std::size_t>(q) * nf;
        Key key = 0;
        std::uint8_t wrong = 0;
        for (std::size_t f = 0; f < nf; ++f) {
          key |= part[f * 256 + row[f]];
          wrong |= invalid[f * 256 + row[f]];
        }
        keys[static_cast<std::size_t>(q)] = key;
        bad = bad || wrong != 0;
      }
      if (bad) return first_bad_level(v);
      RadixSort(keys, n, total_bits);
      std::size_t distinct = 0;
      for (std::size_t i = 0; i < n; ++i) distinct += i == 0 || keys[i] != keys[i - 1] ? 1 : 0;
      sorted.keys.reserve(distinct);
      internal::AdviseHugePages(sorted.keys.data(), distinct * sizeof(Key));
      sorted.counts.reserve(distinct);
      internal::AdviseHugePages(sorted.counts.data(), distinct * sizeof(std::uint64_t));
      for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && keys[j] == keys[i]) ++j;
        sorted.keys.push_back(keys[i]);
        sorted.counts.push_back(j - i);
        i = j;
      }
    }
    return sorted;
  };
  // gather: every set counted, then merged by key (the sets are few: the candidates and the
  // background), each key's weight summed in the sets' order.
  const auto gather = [&]<typename Key>(auto key_of, auto unpack) -> absl::Status {
    std::vector<SortedCounts<Key>> counted;
    std::size_t most = 0;
    for (const WeightedVectors& set : sets) {
      BLOOMLINK_ASSIGN_OR_RETURN(SortedCounts<Key> c, count_set.template operator()<Key>(
                                                          *set.vectors, set.counts, key_of));
      most += c.keys.size();
      if (set.counts == nullptr) {
        out.observed_pairs += set.vectors->size();
      } else {
        for (std::uint64_t k : *set.counts) out.observed_pairs += k;
      }
      counted.push_back(std::move(c));
    }
    out.counts.reserve(most);
    internal::AdviseHugePages(out.counts.data(), most * sizeof(double));
    out.levels.reserve(most * nf);
    internal::AdviseHugePages(out.levels.data(), most * nf);
    std::vector<std::size_t> at(counted.size(), 0);
    while (true) {
      const Key* lowest = nullptr;
      for (std::size_t k = 0; k < counted.size(); ++k) {
        if (at[k] < counted[k].keys.size() &&
            (lowest == nullptr || counted[k].keys[at[k]] < *lowest)) {
          lowest = &counted[k].keys[at[k]];
        }
      }
      if (lowest == nullptr) break;
      const Key key = *lowest;
      double total = 0.0;
      for (std::size_t k = 0; k < counted.size(); ++k) {
        if (at[k] < counted[k].keys.size() && counted[k].keys[at[k]] == key) {
          total += static_cast<double>(counted[k].counts[at[k]]) * sets[k].weight;
          ++at[k];
        }
      }
      unpack(key);
      out.counts.push_back(total);
    }
    for (std::size_t k = 0; k < counted.size(); ++k) {
      for (std::uint64_t c : counted[k].counts)
        out.pairs += static_cast<double>(c) * sets[k].weight;
    }
    return absl::OkStatus();
  };
  const auto packed = [&]<typename Key>() -> absl::Status {
    const auto key_of = [&](const std::uint8_t* row) {
      Key key = 0;
      for (std::size_t f = 0; f < nf; ++f) {
        if (row[f] != kMissingLevel)
          key |= static_cast<Key>(static_cast<Key>(row[f] + 1) << shift[f]);
      }
      return key;
    };
    const auto unpack = [&](Key key) {
      for (std::size_t f = 0; f < nf; ++f) {
        const Key mask = static_cast<Key>((std::uint64_t{1} << std::bit_width(levels[f])) - 1);
        const auto code = static_cast<unsigned>((key >> shift[f]) & mask);
        out.levels.push_back(code == 0 ? kMissingLevel : static_cast<std::uint8_t>(code - 1));
      }
    };
    return gather.template operator()<Key>(key_of, unpack);
  };
  if (total_bits <= 32) {
    BLOOMLINK_RETURN_IF_ERROR(packed.template operator()<std::uint32_t>());
  } else if (total_bits <= 64) {
    BLOOMLINK_RETURN_IF_ERROR(packed.template operator()<std::uint64_t>());
  } else {
    // The row's bytes are the key: the map copies them only for a new pattern.
    const auto key_of = [&](const std::uint8_t* row) {
      return absl::string_view(reinterpret_cast<const char*>(row), nf);
    };
    const auto unpack = [&](const std::string& key) {
      out.levels.insert(out.levels.end(), key.begin(), key.end());
    };
    BLOOMLINK_RETURN_IF_ERROR(gather.template operator()<std::string>(key_of, unpack));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// EM.

// ApplyFloor(p, k, floor): keeps the k probabilities p (summing to 1) within [floor, 1 - floor]:
// values below the floor are raised to it and the others scaled down in proportion, repeated until
// none is below (needs k * floor < 1; then the largest is at most 1 - (k - 1) floor). Values
// already within the floor are left exactly as they are.
void ApplyFloor(double* p, std::size_t k, double floor) {
  bool below = false;
  for (std::size_t i = 0; i < k; ++i) below = below || p[i] < floor;
  if (!below) return;
  std::vector<bool> pinned(k, false);
  for (std::size_t round = 0; round <= k && below; ++round) {
    std::size_t npinned = 0;
    double free_sum = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
      if (pinned[i] || p[i] < floor) {
        pinned[i] = true;
        ++npinned;
      } else {
        free_sum += p[i];
      }
    }
    const double scale = (1.0 - static_cast<double>(npinned) * floor) / free_sum;
    below = false;
    for (std::size_t i = 0; i < k; ++i) {
      p[i] = pinned[i] ? floor : p[i] * scale;
      below = below || p[i] < floor;
    }
  }
}

double ClampLambda(double lambda, double floor) { return std::clamp(lambda, floor, 1.0 - floor); }

// Posterior(d, g, h): g = 1 / (1 + e^-d) and h = 1 - g, each computed without cancellation or
// overflow.
inline void Posterior(double d, double& g, double& h) {
  if (d >= 0.0) {
    const double e = std::exp(-d);
    g = 1.0 / (1.0 + e);
    h = e * g;
  } else {
    const double e = std::exp(d);
    h = 1.0 / (1.0 + e);
    g = e * h;
  }
}

absl::Status CheckStartField(const FsModel::Field& field, std::size_t index) {
  const std::size_t k = LevelCount(field.levels);
  for (const auto* values : {&field.m, &field.u}) {
    const char* name = values == &field.m ? "m" : "u";
    if (values->size() != k) {
      return absl::InvalidArgumentError(StrCat("start model: field ", index, " (\"",
                                               field.levels.field, "\"): ", name, " has ",
                                               values->size(), " values, expected ", k));
    }
    double sum = 0.0;
    for (double x : *values) {
      if (!(x >= 0.0 && x <= 1.0)) {
        return absl::InvalidArgumentError(StrCat("start model: field \"", field.levels.field,
                                                 "\": ", name, " has ", x,
                                                 "; expected probabilities in [0, 1]"));
      }
      sum += x;
    }
    if (!(std::fabs(sum - 1.0) <= score_internal::kSumTolerance)) {
      return absl::InvalidArgumentError(StrCat("start model: field \"", field.levels.field,
                                               "\": ", name, " sums to ", sum, "; expected 1"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Compare.

absl::StatusOr<ComparisonVectors> Compare(const std::vector<const BitMatrix*>& a,
                                          const std::vector<const BitMatrix*>& b,
                                          const match::CandidatePairs& pairs,
                                          const std::vector<FieldLevels>& fields, int threads) {
  BLOOMLINK_RETURN_IF_ERROR(score_internal::CheckCompareInputs(a, b, pairs, fields));
  const std::size_t nf = fields.size();
  const std::size_t n = pairs.size();

  // Everything the loop reads, copied out of the matrices and vectors: the loop stores bytes,
  // which may alias anything, so members read through pointers would be reloaded every time.
  struct FieldView {
    const std::uint8_t* a_rows;
    const std::uint8_t* b_rows;
    std::size_t a_stride, b_stride;
    const std::uint32_t* a_popcounts;
    const std::uint32_t* b_popcounts;
    std::size_t words;
    const double* cuts;
    std::size_t ncuts;
  };
  std::vector<FieldView> views;
  for (std::size_t f = 0; f < nf; ++f) {
    views.push_back({.a_rows = a[f]->row_bytes(0),
                     .b_rows = b[f]->row_bytes(0),
                     .a_stride = a[f]->stride_bytes(),
                     .b_stride = b[f]->stride_bytes(),
                     .a_popcounts = a[f]->popcounts().data(),
                     .b_popcounts = b[f]->popcounts().data(),
                     .words = a[f]->words_per_row(),
                     .cuts = fields[f].cutpoints.data(),
                     .ncuts = fields[f].cutpoints.size()});
  }
  const auto words_at = [](const std::uint8_t* rows, std::size_t stride, std::size_t r) {
    return reinterpret_cast<const std::uint64_t*>(rows + r * stride);
  };

  ComparisonVectors out;
  out.fields = fields;
  out.levels.resize(n * nf);
  int nthreads = threads > 0 ? threads : omp_get_num_procs();
  if (n < kParallelCutoff) nthreads = 1;
  std::uint8_t* levels = out.levels.data();
  const FieldView* view = views.data();
  const std::uint32_t* left = pairs.left.data();
  const std::uint32_t* right = pairs.right.data();
  const auto count = static_cast<std::int64_t>(n);
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (std::int64_t p = 0; p < count; ++p) {
    // Pairs come in any order (a candidate search emits them by record of A, with scattered
    // partners in B): fetch the rows of a pair a little ahead so that the misses overlap.
    if (p + kPrefetchDistance < count) {
      const std::size_t ahead = static_cast<std::size_t>(p + kPrefetchDistance);
      const std::size_t pi = left[ahead], pj = right[ahead];
      for (std::size_t f = 0; f < nf; ++f) {
        __builtin_prefetch(words_at(view[f].a_rows, view[f].a_stride, pi));
        __builtin_prefetch(words_at(view[f].b_rows, view[f].b_stride, pj));
        __builtin_prefetch(view[f].b_popcounts + pj);
      }
    }
    const std::size_t i = left[p];
    const std::size_t j = right[p];
    std::uint8_t* row = levels + static_cast<std::size_t>(p) * nf;
    // Levels are gathered in a local buffer (which nothing else can alias) and stored together.
    constexpr std::size_t kChunk = 64;
    for (std::size_t f0 = 0; f0 < nf; f0 += kChunk) {
      const std::size_t f1 = std::min(nf, f0 + kChunk);
      std::uint8_t chunk[kChunk];
      for (std::size_t f = f0; f < f1; ++f) {
        const FieldView& v = view[f];
        const std::uint32_t pa = v.a_popcounts[i];
        const std::uint32_t pb = v.b_popcounts[j];
        std::size_t l = kMissingLevel;
        if (pa != 0 && pb != 0) {
          const std::uint32_t c = internal::AndPopcount(words_at(v.a_rows, v.a_stride, i),
                                                        words_at(v.b_rows, v.b_stride, j), v.words);
          const double two_c = 2.0 * static_cast<double>(c);
          const double sum = static_cast<double>(std::uint64_t{pa} + pb);
          l = 0;
          while (l < v.ncuts && !(two_c >= v.cuts[l] * sum)) ++l;
        }
        chunk[f - f0] = static_cast<std::uint8_t>(l);
      }
      std::memcpy(row + f0, chunk, f1 - f0);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Models.

FsModel InitialModel(const std::vector<FieldLevels>& fields) {
  FsModel model;
  model.lambda = 0.1;
  for (const FieldLevels& levels : fields) {
    FsModel::Field field;
    field.levels = levels;
    const std::size_t k = LevelCount(levels);
    double m_sum = 0.0, u_sum = 0.0;
    for (std::size_t l = 0; l < k; ++l) {
      field.m.push_back(std::ldexp(1.0, -2 * static_cast<int>(l)));
      field.u.push_back(std::ldexp(1.0, static_cast<int>(l)));
      m_sum += field.m.back();
      u_sum += field.u.back();
    }
    for (double& x : field.m) x /= m_sum;
    for (double& x : field.u) x /= u_sum;
    model.fields.push_back(std::move(field));
  }
  return model;
}

absl::Status CheckModelFits(const FsModel& model, const ComparisonVectors& vectors) {
  if (model.fields.size() != vectors.fields.size()) {
    return absl::InvalidArgumentError(StrCat("the model has ", model.fields.size(),
                                             " fields but the comparison vectors have ",
                                             vectors.fields.size()));
  }
  for (std::size_t f = 0; f < model.fields.size(); ++f) {
    const FsModel::Field& mf = model.fields[f];
    const FieldLevels& vf = vectors.fields[f];
    if (mf.levels.field != vf.field) {
      return absl::InvalidArgumentError(StrCat("field ", f, " is \"", mf.levels.field,
                                               "\" in the model but \"", vf.field,
                                               "\" in the comparison vectors"));
    }
    if (mf.levels.cutpoints != vf.cutpoints) {
      return absl::InvalidArgumentError(
          StrCat("field \"", vf.field,
                 "\": the model's cut-points differ from those of the comparison vectors"));
    }
    const std::size_t k = LevelCount(vf);
    if (mf.m.size() != k || mf.u.size() != k) {
      return absl::InvalidArgumentError(StrCat("field \"", vf.field, "\": the model has ",
                                               mf.m.size(), " m and ", mf.u.size(),
                                               " u values; expected ", k, " (one per level)"));
    }
  }
  return absl::OkStatus();
}

std::string_view UMethodName(UMethod method) {
  switch (method) {
    case UMethod::kEm:
      return "em";
    case UMethod::kSample:
      return "sample";
    case UMethod::kFixed:
      return "fixed";
  }
  return "?";
}

absl::Status ValidateModel(const FsModel& model) {
  if (model.fields.empty()) return absl::InvalidArgumentError("model: no fields");
  for (std::size_t f = 0; f < model.fields.size(); ++f) {
    const FsModel::Field& field = model.fields[f];
    if (field.levels.field.empty()) {
      return absl::InvalidArgumentError(StrCat("model: field ", f, " has no name"));
    }
    for (std::size_t g = 0; g < f; ++g) {
      if (model.fields[g].levels.field == field.levels.field) {
        return absl::InvalidArgumentError(
            StrCat("model: field \"", field.levels.field, "\" appears twice"));
      }
    }
    BLOOMLINK_RETURN_IF_ERROR(CheckCutpoints(field.levels, "model: "));
    const std::size_t k = LevelCount(field.levels);
    BLOOMLINK_RETURN_IF_ERROR(score_internal::CheckProbabilities(
        field.m, k, StrCat("model: field \"", field.levels.field, "\": m")));
    BLOOMLINK_RETURN_IF_ERROR(score_internal::CheckProbabilities(
        field.u, k, StrCat("model: field \"", field.levels.field, "\": u")));
  }
  if (!(model.lambda > 0.0 && model.lambda < 1.0)) {
    return absl::InvalidArgumentError(
        StrCat("model: lambda is ", model.lambda, "; expected a probability in (0, 1)"));
  }
  for (char c : model.schema_fingerprint) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("model: the schema fingerprint is not hexadecimal");
    }
  }
  if (model.iterations < 0) {
    return absl::InvalidArgumentError("model: iterations is negative");
  }
  return absl::OkStatus();
}

namespace {

// EstimateModelOf(vectors, counts, ...): EstimateModel over `vectors`, each row one pair, or with
// `counts` row k standing for counts[k] pairs.
absl::StatusOr<FsModel> EstimateModelOf(const ComparisonVectors& vectors,
                                        const std::vector<std::uint64_t>* counts, FsModel start,
                                        const EmOptions& options,
                                        const BackgroundPairs* background) {
  const std::size_t nf = vectors.fields.size();
  if (nf == 0) return absl::InvalidArgumentError("EstimateModel: no fields");
  if (vectors.levels.size() % nf != 0) {
    return absl::InvalidArgumentError(StrCat("EstimateModel: ", vectors.levels.size(),
                                             " levels is not a multiple of ", nf, " fields"));
  }
  if (counts != nullptr && counts->size() != vectors.size()) {
    return absl::InvalidArgumentError(
        StrCat("EstimateModel: ", vectors.size(), " patterns but ", counts->size(), " counts"));
  }
  std::uint64_t pairs = vectors.size();
  if (counts != nullptr) {
    pairs = 0;
    for (std::uint64_t k : *counts) pairs += k;
  }
  if (pairs == 0) {
    return absl::InvalidArgumentError("EstimateModel: no pairs to estimate the model from");
  }
  for (const FieldLevels& field : vectors.fields) {
    BLOOMLINK_RETURN_IF_ERROR(CheckCutpoints(field, "EstimateModel: "));
  }
  BLOOMLINK_RETURN_IF_ERROR(CheckModelFits(start, vectors));
  const double floor = options.probability_floor;
  if (!(floor > 0.0 && floor < 0.5)) {
    return absl::InvalidArgumentError(
        StrCat("EstimateModel: probability_floor is ", floor, "; expected a value in (0, 0.5)"));
  }
  if (!(options.tolerance >= 0.0) || options.max_iterations < 0 ||
      !(options.m_pseudo_count >= 0.0) || !(options.u_pseudo_count >= 0.0)) {
    return absl::InvalidArgumentError(
        "EstimateModel: tolerance, max_iterations and the pseudo-counts must not be negative");
  }
  if (background != nullptr) {
    if (!(background->weight > 0.0 && std::isfinite(background->weight))) {
      return absl::InvalidArgumentError(StrCat("EstimateModel: the background pairs' weight is ",
                                               background->weight, "; expected a positive number"));
    }
    if (background->vectors.fields.size() != nf || background->vectors.levels.size() % nf != 0) {
      return absl::InvalidArgumentError(
          "EstimateModel: the background pairs do not have the candidates' fields");
    }
    for (std::size_t f = 0; f < nf; ++f) {
      if (background->vectors.fields[f].field != vectors.fields[f].field ||
          background->vectors.fields[f].cutpoints != vectors.fields[f].cutpoints) {
        return absl::InvalidArgumentError(StrCat(
            "EstimateModel: field ", f, " of the background pairs differs from the candidates'"));
      }
    }
  }
  for (std::size_t f = 0; f < nf; ++f) {
    if (!(floor * static_cast<double>(LevelCount(vectors.fields[f])) < 1.0)) {
      return absl::InvalidArgumentError(StrCat("EstimateModel: field \"", vectors.fields[f].field,
                                               "\" has too many levels for probability_floor ",
                                               floor));
    }
    BLOOMLINK_RETURN_IF_ERROR(CheckStartField(start.fields[f], f));
  }
  if (!(start.lambda > 0.0 && start.lambda < 1.0)) {
    return absl::InvalidArgumentError(StrCat("EstimateModel: the start lambda is ", start.lambda,
                                             "; expected a value in (0, 1)"));
  }

  std::vector<WeightedVectors> sets = {{&vectors, 1.0, counts}};
  if (background != nullptr && background->vectors.size() > 0) {
    sets.push_back({&background->vectors, background->weight, nullptr});
  }
  const int threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  BLOOMLINK_ASSIGN_OR_RETURN(const Patterns patterns, CountPatterns(sets, threads));

  // Parameters in flat arrays: field f's level l is slot offset[f] + l; one extra slot (index
  // `slots`) stands for "missing", with a zero log ratio, whose sums are thrown away.
  std::vector<std::size_t> offset(nf + 1, 0);
  for (std::size_t f = 0; f < nf; ++f) offset[f + 1] = offset[f] + LevelCount(vectors.fields[f]);
  const std::size_t slots = offset[nf];
  std::vector<double> m(slots), u(slots);
  for (std::size_t f = 0; f < nf; ++f) {
    FsModel::Field& field = start.fields[f];
    const std::size_t k = LevelCount(field.levels);
    ApplyFloor(field.m.data(), k, floor);
    ApplyFloor(field.u.data(), k, floor);
    std::copy(field.m.begin(), field.m.end(), m.begin() + static_cast<std::ptrdiff_t>(offset[f]));
    std::copy(field.u.begin(), field.u.end(), u.begin() + static_cast<std::ptrdiff_t>(offset[f]));
  }
  double lambda = ClampLambda(start.lambda, floor);

  const std::size_t np = patterns.size();
  std::vector<bool> observed(nf, false);
  std::vector<bool> level_seen(slots, false);  // some pair has this level
  for (std::size_t p = 0; p < np; ++p) {
    for (std::size_t f = 0; f < nf; ++f) {
      const std::uint8_t l = patterns.levels[p * nf + f];
      if (l == kMissingLevel) continue;
      observed[f] = true;
      level_seen[offset[f] + l] = true;
    }
  }
  const double total_pairs = patterns.pairs;

  std::vector<double> log_ratio(slots + 1, 0.0), sum_m(slots + 1), sum_u(slots + 1);
  std::vector<double> next(slots);
  int iterations = 0;
  bool converged = false;
  // The E-step by chunks of fields: consecutive fields are grouped while their combinations of
  // codes (each level, or missing) number at most kChunkCombos, and each pattern is stored as its
  // combination in every chunk. An iteration first adds up the log-ratios of every combination
  // (a small table), so that a pattern costs one lookup and one add per chunk instead of one per
  // field: 8 fields of 8 levels are 3 chunks.
  struct Chunk {
    std::size_t first_field, end_field, offset, combos;
  };
  std::vector<Chunk> chunks;
  for (std::size_t f = 0; f < nf;) {
    Chunk c{f, f, 0, 1};
    while (c.end_field < nf &&
           c.combos * (LevelCount(vectors.fields[c.end_field]) + 1) <= kChunkCombos) {
      c.combos *= LevelCount(vectors.fields[c.end_field]) + 1;
      ++c.end_field;
    }
    if (c.end_field == c.first_field) {  // a field with more codes than kChunkCombos: alone
      c.combos = LevelCount(vectors.fields[f]) + 1;
      ++c.end_field;
    }
    c.offset = chunks.empty() ? 0 : chunks.back().offset + chunks.back().combos;
    chunks.push_back(c);
    f = c.end_field;
  }
  const std::size_t nchunks = chunks.size();
  const std::size_t table_size = chunks.back().offset + chunks.back().combos;
  // combo_slots[t]: the slots (one per field of the chunk; `slots` for missing) of combination t.
  std::vector<std::size_t> combo_slots;
  std::vector<std::size_t> combo_first(table_size + 1);
  for (const Chunk& c : chunks) {
    for (std::size_t t = 0; t < c.combos; ++t) {
      combo_first[c.offset + t] = combo_slots.size();
      std::size_t rest = t;
      for (std::size_t f = c.first_field; f < c.end_field; ++f) {
        const std::size_t codes = LevelCount(vectors.fields[f]) + 1;
        const std::size_t code = rest % codes;
        rest /= codes;
        combo_slots.push_back(code == 0 ? slots : offset[f] + code - 1);
      }
    }
  }
  combo_first[table_size] = combo_slots.size();
  // Each pattern's combination per chunk, as an index into the table.
  std::vector<std::uint32_t> pattern_combos(np * nchunks);
  internal::AdviseHugePages(pattern_combos.data(), pattern_combos.size() * sizeof(std::uint32_t));
  const std::size_t nblocks = (np + kEmBlock - 1) / kEmBlock;
  const int nthreads = nblocks < 2 ? 1 : threads;
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (std::int64_t q = 0; q < static_cast<std::int64_t>(np); ++q) {
    const auto p = static_cast<std::size_t>(q);
    const std::uint8_t* row = patterns.levels.data() + p * nf;
    for (std::size_t c = 0; c < nchunks; ++c) {
      std::size_t t = 0, scale = 1;
      for (std::size_t f = chunks[c].first_field; f < chunks[c].end_field; ++f) {
        t += (row[f] == kMissingLevel ? 0 : row[f] + 1u) * scale;
        scale *= LevelCount(vectors.fields[f]) + 1;
      }
      pattern_combos[p * nchunks + c] = static_cast<std::uint32_t>(chunks[c].offset + t);
    }
  }
  const std::size_t stride = table_size + 1;  // a block's matches per combination, and in all
  std::vector<double> partial(nblocks * stride);
  std::vector<double> combo_log_ratio(table_size), combo_m(table_size);
  // SumByCombination(weight_of, by_combo): by_combo[t] = the sum of weight_of(p) over the patterns
  // with combination t, by blocks on every thread and the blocks added in order (the same sums
  // whatever the number of threads); returns the sum over all patterns.
  const auto sum_by_combination = [&](auto weight_of, std::vector<double>& by_combo) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (std::int64_t block = 0; block < static_cast<std::int64_t>(nblocks); ++block) {
      double* bm = partial.data() + static_cast<std::size_t>(block) * stride;
      std::fill(bm, bm + stride, 0.0);
      const std::size_t end = std::min(np, static_cast<std::size_t>(block + 1) * kEmBlock);
      for (std::size_t p = static_cast<std::size_t>(block) * kEmBlock; p < end; ++p) {
        const std::uint32_t* combo = pattern_combos.data() + p * nchunks;
        const double w = weight_of(p, combo);
        bm[table_size] += w;
        for (std::size_t c = 0; c < nchunks; ++c) bm[combo[c]] += w;
      }
    }
    std::fill(by_combo.begin(), by_combo.end(), 0.0);
    double total = 0.0;
    for (std::size_t block = 0; block < nblocks; ++block) {
      const double* bm = partial.data() + block * stride;
      for (std::size_t t = 0; t < table_size; ++t) by_combo[t] += bm[t];
      total += bm[table_size];
    }
    return total;
  };
  // by_slot(by_combo, out): out[k] = the sum of by_combo over the combinations with slot k.
  const auto by_slot = [&](const std::vector<double>& by_combo, std::vector<double>& out) {
    std::fill(out.begin(), out.end(), 0.0);
    for (std::size_t t = 0; t < table_size; ++t) {
      for (std::size_t i = combo_first[t]; i < combo_first[t + 1]; ++i) {
        out[combo_slots[i]] += by_combo[t];
      }
    }
  };
  // slot_pairs[k]: the pairs (weighted) whose pattern has slot k; in each E-step the non-matches'
  // sum of a slot is this less the matches' sum, so only the matches' sums are accumulated.
  std::vector<double> slot_pairs(slots + 1, 0.0);
  sum_by_combination([&](std::size_t p, const std::uint32_t*) { return patterns.counts[p]; },
                     combo_m);
  by_slot(combo_m, slot_pairs);
  while (iterations < options.max_iterations) {
    // E-step: posterior match probability of every pattern, from its log-odds.
    for (std::size_t s = 0; s < slots; ++s) log_ratio[s] = std::log(m[s]) - std::log(u[s]);
    for (std::size_t t = 0; t < table_size; ++t) {
      double sum = 0.0;
      for (std::size_t i = combo_first[t]; i < combo_first[t + 1]; ++i) {
        sum += log_ratio[combo_slots[i]];
      }
      combo_log_ratio[t] = sum;
    }
    const double prior = std::log(lambda) - std::log1p(-lambda);
    const double matches = sum_by_combination(
        [&](std::size_t p, const std::uint32_t* combo) {
          double d = prior;
          for (std::size_t c = 0; c < nchunks; ++c) d += combo_log_ratio[combo[c]];
          double g, h;
          Posterior(d, g, h);
          return patterns.counts[p] * g;
        },
        combo_m);
    // Only the matches' sums: the non-matches' are the slot's pairs less those (slot_pairs).
    by_slot(combo_m, sum_m);
    for (std::size_t k = 0; k <= slots; ++k) sum_u[k] = std::max(0.0, slot_pairs[k] - sum_m[k]);
    // M-step.
    double change = 0.0;
    if (options.estimate_lambda) {
      const double next_lambda = ClampLambda(matches / total_pairs, floor);
      change = std::max(change, std::fabs(next_lambda - lambda));
      lambda = next_lambda;
    }
    for (int which = 0; which < 2; ++which) {
      if (which == 0 ? !options.estimate_m : !options.estimate_u) continue;
      std::vector<double>& param = which == 0 ? m : u;
      const std::vector<double>& sums = which == 0 ? sum_m : sum_u;
      // Dirichlet pseudo-counts: every level some pair shows counts as seen `pseudo` more times
      // in each class, so that a level one class never shows keeps a probability of about
      // pseudo / class size, not the floor. A level no pair shows gets none (it takes the floor
      // in both classes, a weight of 0).
      const double pseudo = which == 0 ? options.m_pseudo_count : options.u_pseudo_count;
      for (std::size_t f = 0; f < nf; ++f) {
        if (!observed[f]) continue;  // never observed: keep the start values
        const std::size_t k = offset[f + 1] - offset[f];
        double denominator = 0.0;
        for (std::size_t l = 0; l < k; ++l) {
          next[l] = sums[offset[f] + l] + (level_seen[offset[f] + l] ? pseudo : 0.0);
          denominator += next[l];
        }
        if (!(denominator > 0.0)) continue;  // no weight: keep
        for (std::size_t l = 0; l < k; ++l) next[l] /= denominator;
        ApplyFloor(next.data(), k, floor);
        for (std::size_t l = 0; l < k; ++l) {
          change = std::max(change, std::fabs(next[l] - param[offset[f] + l]));
          param[offset[f] + l] = next[l];
        }
      }
    }
    ++iterations;
    if (change < options.tolerance) {
      converged = true;
      break;
    }
  }

  // Label switching: matches are the class with more full agreement (see the header).
  if (options.estimate_m && options.estimate_u && options.estimate_lambda) {
    double balance = 0.0;
    for (std::size_t f = 0; f < nf; ++f) {
      if (observed[f]) balance += m[offset[f]] - u[offset[f]];
    }
    if (balance < 0.0) {
      for (std::size_t f = 0; f < nf; ++f) {
        if (!observed[f]) continue;
        std::swap_ranges(m.begin() + static_cast<std::ptrdiff_t>(offset[f]),
                         m.begin() + static_cast<std::ptrdiff_t>(offset[f + 1]),
                         u.begin() + static_cast<std::ptrdiff_t>(offset[f]));
      }
      lambda = 1.0 - lambda;
    }
  }

  FsModel model = std::move(start);
  for (std::size_t f = 0; f < nf; ++f) {
    FsModel::Field& field = model.fields[f];
    field.m.assign(m.begin() + static_cast<std::ptrdiff_t>(offset[f]),
                   m.begin() + static_cast<std::ptrdiff_t>(offset[f + 1]));
    field.u.assign(u.begin() + static_cast<std::ptrdiff_t>(offset[f]),
                   u.begin() + static_cast<std::ptrdiff_t>(offset[f + 1]));
  }
  model.lambda = lambda;
  if (options.estimate_u) {
    model.u_method = UMethod::kEm;
  } else if (model.u_method == UMethod::kEm) {
    model.u_method = UMethod::kFixed;
  }
  model.iterations = iterations;
  model.converged = converged;
  model.training_pairs = patterns.observed_pairs;
  model.space_pairs = static_cast<std::uint64_t>(std::llround(patterns.pairs));
  model.distinct_patterns = np;
  return model;
}

}  // namespace

absl::StatusOr<FsModel> EstimateModel(const ComparisonVectors& vectors, FsModel start,
                                      const EmOptions& options, const BackgroundPairs* background) {
  return EstimateModelOf(vectors, nullptr, std::move(start), options, background);
}

absl::StatusOr<FsModel> EstimateModel(const PatternCounts& counts, FsModel start,
                                      const EmOptions& options, const BackgroundPairs* background) {
  return EstimateModelOf(counts.patterns, &counts.counts, std::move(start), options, background);
}

std::vector<std::vector<double>> EstimateU(const ComparisonVectors& sample,
                                           double probability_floor) {
  const std::size_t nf = sample.fields.size();
  std::vector<std::vector<double>> u(nf);
  for (std::size_t f = 0; f < nf; ++f) u[f].assign(LevelCount(sample.fields[f]), 1.0);
  const std::size_t n = nf == 0 ? 0 : sample.levels.size() / nf;
  for (std::size_t p = 0; p < n; ++p) {
    for (std::size_t f = 0; f < nf; ++f) {
      const std::uint8_t l = sample.levels[p * nf + f];
      if (l < u[f].size()) u[f][l] += 1.0;
    }
  }
  for (std::vector<double>& field : u) {
    double total = 0.0;
    for (double c : field) total += c;
    for (double& c : field) c /= total;
    if (probability_floor > 0.0 && probability_floor * static_cast<double>(field.size()) < 1.0) {
      ApplyFloor(field.data(), field.size(), probability_floor);
    }
  }
  return u;
}

// ---------------------------------------------------------------------------------------------
// Random pairs.

namespace {

// Xoshiro256: xoshiro256** (Blackman and Vigna), its state filled from splitmix64 of the seed.
class Xoshiro256 {
 public:
  explicit Xoshiro256(std::uint64_t seed) {
    internal::SplitMix64 fill(seed);
    for (std::uint64_t& s : s_) s = fill.Next();
  }
  std::uint64_t Next() {
    const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
  }
  // Below(n): uniform in [0, n), n > 0. Draws below 2^64 mod n are rejected, so that the accepted
  // range is a whole number of copies of [0, n).
  std::uint64_t Below(std::uint64_t n) {
    const std::uint64_t reject_below = (0 - n) % n;
    std::uint64_t x = Next();
    while (x < reject_below) x = Next();
    return x % n;
  }

 private:
  std::uint64_t s_[4];
};

}  // namespace

match::CandidatePairs SampleRandomPairs(std::size_t na, std::size_t nb, std::size_t n,
                                        std::uint64_t seed, bool same_dataset) {
  match::CandidatePairs out;
  if (na == 0 || (same_dataset ? na < 2 : nb == 0)) return out;
  out.reserve(n);
  Xoshiro256 rng(seed);
  for (std::size_t k = 0; k < n; ++k) {
    if (same_dataset) {
      // A uniform ordered pair of distinct records, then ordered by index.
      const std::uint64_t i = rng.Below(na);
      std::uint64_t j = rng.Below(na - 1);
      if (j >= i) ++j;
      out.push_back(static_cast<std::uint32_t>(std::min(i, j)),
                    static_cast<std::uint32_t>(std::max(i, j)), 0.0f);
    } else {
      const std::uint64_t i = rng.Below(na);
      const std::uint64_t j = rng.Below(nb);
      out.push_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), 0.0f);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scores and labels.

PairScores Score(const FsModel& model, const ComparisonVectors& vectors, bool contributions) {
  const std::size_t nf = vectors.fields.size();
  const std::size_t n = vectors.size();
  // ratio[f][l] = log2(m / u); fields the model lacks contribute 0.
  std::vector<std::vector<double>> ratio(nf);
  for (std::size_t f = 0; f < nf && f < model.fields.size(); ++f) {
    const FsModel::Field& field = model.fields[f];
    const std::size_t k = std::min(field.m.size(), field.u.size());
    for (std::size_t l = 0; l < k; ++l) {
      ratio[f].push_back(std::log2(field.m[l]) - std::log2(field.u[l]));
    }
  }
  const double prior = std::log2(model.lambda) - std::log2(1.0 - model.lambda);
  PairScores out;
  out.weight.resize(n);
  out.probability.resize(n);
  if (contributions) out.contributions.resize(n * nf);
  for (std::size_t p = 0; p < n; ++p) {
    const std::uint8_t* row = vectors.levels.data() + p * nf;
    double w = prior;
    for (std::size_t f = 0; f < nf; ++f) {
      const double c = row[f] < ratio[f].size() ? ratio[f][row[f]] : 0.0;
      if (contributions) out.contributions[p * nf + f] = static_cast<float>(c);
      w += c;
    }
    out.weight[p] = static_cast<float>(w);
    // 1 / (1 + 2^-w), without overflow for large |w|.
    double probability;
    if (w >= 0.0) {
      probability = 1.0 / (1.0 + std::exp2(-w));
    } else {
      const double e = std::exp2(w);
      probability = e / (1.0 + e);
    }
    out.probability[p] = static_cast<float>(probability);
  }
  return out;
}

namespace {

// FormatCut(0.7) = "0.70", FormatCut(0.875) = "0.875", FormatCut(1) = "1.00".
std::string FormatCut(double cut) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, cut, std::chars_format::fixed);
  std::string s(buf, r.ptr);
  const std::size_t dot = s.find('.');
  if (dot == std::string::npos) {
    s += ".00";
  } else if (s.size() - dot - 1 < 2) {
    s.append(2 - (s.size() - dot - 1), '0');
  }
  return s;
}

}  // namespace

std::string LevelLabel(const FieldLevels& field, std::size_t level) {
  const std::vector<double>& cuts = field.cutpoints;
  if (level == kMissingLevel) return "missing";
  if (level > cuts.size()) return StrCat("level ", level, " (out of range)");
  if (cuts.empty()) return "any Dice";
  if (level == 0) return StrCat("Dice >= ", FormatCut(cuts[0]));
  if (level == cuts.size()) return StrCat("Dice < ", FormatCut(cuts.back()));
  return StrCat(FormatCut(cuts[level]), " <= Dice < ", FormatCut(cuts[level - 1]));
}

}  // namespace bloomlink::score
