#include "bloomlink/match/kernels.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "match/kernels_internal.hpp"
#include "test_support.hpp"

namespace bloomlink::match {
namespace {

using ::bloomlink::testing::StatusIs;
using match_internal::BuiltKernel;
using match_internal::CpuSupport;
using match_internal::SelectKernel;

constexpr KernelIsa kAllIsas[] = {KernelIsa::kScalar, KernelIsa::kAvx2, KernelIsa::kAvx512};

// BuiltIsas(): the kernels compiled into this build (a build without the x86 kernels has only
// scalar), so that a test over kernels is instantiated for those only.
std::vector<KernelIsa> BuiltIsas() {
  std::vector<KernelIsa> isas;
  for (KernelIsa isa : kAllIsas) {
    if (BuiltKernel(isa) != nullptr) isas.push_back(isa);
  }
  return isas;
}

// BuiltX86Isas() and UnbuiltIsas(): the vector kernels this build has, and those it lacks.
std::vector<KernelIsa> BuiltX86Isas() {
  std::vector<KernelIsa> isas = BuiltIsas();
  isas.erase(isas.begin());  // scalar
  return isas;
}
std::vector<KernelIsa> UnbuiltIsas() {
  std::vector<KernelIsa> isas;
  for (KernelIsa isa : kAllIsas) {
    if (BuiltKernel(isa) == nullptr) isas.push_back(isa);
  }
  return isas;
}

// IsaName(isa): the kernel's BLOOMLINK_KERNEL name, whether or not this build has it.
std::string IsaName(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::kAvx2:
      return "avx2";
    case KernelIsa::kAvx512:
      return "avx512";
    case KernelIsa::kScalar:
      break;
  }
  return "scalar";
}

std::string ParamName(const ::testing::TestParamInfo<KernelIsa>& param_info) {
  return IsaName(param_info.param);
}

constexpr std::uint32_t kSentinel = 0xdeadbeefu;

// Filters: `rows` filters of `words` words each in one 64-byte aligned buffer, row r at
// data() + r * stride.
struct Filters {
  Filters(std::size_t rows_in, std::size_t words_in, std::size_t stride_in)
      : rows(rows_in), words(words_in), stride(stride_in), storage(rows_in * stride_in) {}
  const std::uint64_t* row(std::size_t r) const { return storage.data() + r * stride; }
  std::uint64_t* row(std::size_t r) { return storage.data() + r * stride; }
  std::vector<const std::uint64_t*> pointers() const {
    std::vector<const std::uint64_t*> p;
    for (std::size_t r = 0; r < rows; ++r) p.push_back(row(r));
    return p;
  }

  std::size_t rows, words, stride;
  AlignedWords storage;
};

// RandomWord(rng, density): each bit set independently with probability round(density * 256)
// / 256 (the binary digits of the probability, least significant first: OR in a fresh random
// word for a 1, AND for a 0).
std::uint64_t RandomWord(std::mt19937_64& rng, double density) {
  const auto p = static_cast<unsigned>(density * 256 + 0.5);
  if (p >= 256) return ~std::uint64_t{0};
  std::uint64_t w = 0;
  for (unsigned i = 0; i < 8; ++i) w = ((p >> i) & 1) != 0 ? (w | rng()) : (w & rng());
  return w;
}

void FillRandom(Filters& f, std::mt19937_64& rng, double density) {
  for (std::size_t r = 0; r < f.rows; ++r) {
    for (std::size_t w = 0; w < f.words; ++w) f.row(r)[w] = RandomWord(rng, density);
  }
}

// Expected(queries, targets, ngroups, counts_stride, size): the counts buffer a kernel must
// leave, computed pair by pair from the unpacked rows: popcount(query AND target) for real
// targets, 0 for unused lanes of the last group, kSentinel everywhere it must not write.
std::vector<std::uint32_t> Expected(const Filters& queries, const Filters& targets,
                                    std::size_t ngroups, std::size_t counts_stride,
                                    std::size_t size) {
  std::vector<std::uint32_t> counts(size, kSentinel);
  for (std::size_t q = 0; q < queries.rows; ++q) {
    for (std::size_t t = 0; t < ngroups * kGroupLanes; ++t) {
      std::uint32_t c = 0;
      if (t < targets.rows) {
        for (std::size_t w = 0; w < queries.words; ++w) {
          c += static_cast<std::uint32_t>(std::popcount(queries.row(q)[w] & targets.row(t)[w]));
        }
      }
      counts[q * counts_stride + t] = c;
    }
  }
  return counts;
}

// RunKernel(kernel, ...): the counts buffer after one call, pre-filled with kSentinel.
std::vector<std::uint32_t> RunKernel(const KernelTable& kernel, const Filters& queries,
                                     const AlignedWords& groups, std::size_t ngroups,
                                     std::size_t counts_stride, std::size_t size) {
  std::vector<std::uint32_t> counts(size, kSentinel);
  kernel.and_popcount(queries.storage.data(), queries.rows, queries.stride, groups.data(), ngroups,
                      queries.words, counts.data(), counts_stride);
  return counts;
}

// SameCounts(got, want, counts_stride): equal buffers, or where the first difference is (query
// row and position in it).
::testing::AssertionResult SameCounts(const std::vector<std::uint32_t>& got,
                                      const std::vector<std::uint32_t>& want,
                                      std::size_t counts_stride) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "sizes " << got.size() << " and " << want.size();
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i] != want[i]) {
      const std::size_t row = counts_stride == 0 ? 0 : i / counts_stride;
      return ::testing::AssertionFailure()
             << "first difference at index " << i << " (query " << row << ", position "
             << i - row * counts_stride << "): " << got[i] << " instead of " << want[i];
    }
  }
  return ::testing::AssertionSuccess();
}

// KernelTest: each kernel of this build; one this CPU cannot run is skipped.
class KernelTest : public ::testing::TestWithParam<KernelIsa> {
 protected:
  void SetUp() override {
    kernel_ = KernelFor(GetParam());
    if (kernel_ == nullptr) GTEST_SKIP() << "this CPU cannot run this kernel";
  }
  const KernelTable* kernel_ = nullptr;
};

// Shapes: every combination of these, each with its own random filters.
constexpr std::size_t kQueryCounts[] = {0, 1, 3, 4, 5, 9};
constexpr std::size_t kTargetCounts[] = {0, 1, 7, 8, 53, 1024};  // groups 0, 1, 1, 1, 7, 128
constexpr std::size_t kWordCounts[] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 48};
constexpr double kDensities[] = {0.05, 0.5, 0.95};

TEST_P(KernelTest, MatchesScalarReferenceOnRandomFilters) {
  const KernelTable& scalar = *KernelFor(KernelIsa::kScalar);
  std::mt19937_64 rng(20261127);
  std::size_t cases = 0;
  for (std::size_t words : kWordCounts) {
    for (std::size_t nq : kQueryCounts) {
      for (std::size_t nt : kTargetCounts) {
        for (double density : kDensities) {
          // Alternate tight and loose strides: queries spaced by more than their width, and
          // count rows with room after them that the kernel must not touch.
          const bool loose = (cases % 2) == 1;
          const std::size_t query_stride = loose ? words + 3 : words;
          Filters queries(nq, words, query_stride);
          Filters targets(nt, words, words);
          FillRandom(queries, rng, density);
          FillRandom(targets, rng, density);
          AlignedWords groups;
          PackTargetGroups(targets.pointers(), words, groups);
          const std::size_t ngroups = (nt + kGroupLanes - 1) / kGroupLanes;
          const std::size_t counts_stride = ngroups * kGroupLanes + (loose ? 5 : 0);
          const std::size_t size = nq * counts_stride + 8;  // and a tail that must stay untouched

          SCOPED_TRACE(::testing::Message() << "words " << words << ", nq " << nq << ", targets "
                                            << nt << ", density " << density << ", query_stride "
                                            << query_stride << ", counts_stride " << counts_stride);
          const auto expected = Expected(queries, targets, ngroups, counts_stride, size);
          const auto reference = RunKernel(scalar, queries, groups, ngroups, counts_stride, size);
          ASSERT_TRUE(SameCounts(reference, expected, counts_stride));
          ASSERT_TRUE(SameCounts(RunKernel(*kernel_, queries, groups, ngroups, counts_stride, size),
                                 reference, counts_stride));
          ++cases;
        }
      }
    }
  }
  EXPECT_EQ(cases, std::size(kWordCounts) * std::size(kQueryCounts) * std::size(kTargetCounts) *
                       std::size(kDensities));
}

// All-zero and all-one filters: counts 0 and 64 * words, the largest possible (byte and lane
// accumulators must not overflow or wrap), mixed with random ones.
TEST_P(KernelTest, MatchesOnAllZeroAndAllOneFilters) {
  const KernelTable& scalar = *KernelFor(KernelIsa::kScalar);
  std::mt19937_64 rng(7);
  for (std::size_t words : {1, 15, 16, 31, 32, 33, 48, 64, 100}) {
    SCOPED_TRACE(::testing::Message() << "words " << words);
    Filters queries(6, words, words);
    Filters targets(21, words, words);
    FillRandom(queries, rng, 0.5);
    FillRandom(targets, rng, 0.5);
    // Queries 0 and 3 all ones, 1 and 4 all zeros; targets 0-7 and 16-19 all ones, 8-11 zeros.
    for (std::size_t w = 0; w < words; ++w) {
      queries.row(0)[w] = queries.row(3)[w] = ~std::uint64_t{0};
      queries.row(1)[w] = queries.row(4)[w] = 0;
      for (std::size_t t : {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19}) {
        targets.row(t)[w] = ~std::uint64_t{0};
      }
      for (std::size_t t : {8, 9, 10, 11}) targets.row(t)[w] = 0;
    }
    AlignedWords groups;
    PackTargetGroups(targets.pointers(), words, groups);
    const std::size_t ngroups = 3;
    const std::size_t stride = ngroups * kGroupLanes;
    const auto counts =
        RunKernel(*kernel_, queries, groups, ngroups, stride, queries.rows * stride);
    const auto full = static_cast<std::uint32_t>(64 * words);
    EXPECT_EQ(counts[0 * stride + 0], full);
    EXPECT_EQ(counts[3 * stride + 19], full);
    EXPECT_EQ(counts[0 * stride + 8], 0u);
    EXPECT_EQ(counts[1 * stride + 0], 0u);
    EXPECT_EQ(counts[0 * stride + 21], 0u);  // unused lane
    EXPECT_TRUE(SameCounts(
        counts, RunKernel(scalar, queries, groups, ngroups, stride, queries.rows * stride),
        stride));
  }
}

// Field layouts for field_popcounts, as each field's words: empty, one word, the synth schema's
// fields (17 words), 8 x 256 bits, 32 one-word fields, empty fields among others, the widest
// narrow rows (32 words) and past them (33 words, 33 fields, 65 words, a 2048-bit field), and
// 12 fields (two groups of 8 for the AVX-512 levels).
const std::vector<std::vector<std::uint32_t>> kFieldLayouts = {
    {},
    {1},
    {2, 4, 4, 2, 1, 4},
    {4, 4, 4, 4, 4, 4, 4, 4},
    std::vector<std::uint32_t>(32, 1),
    {0, 3, 0, 5, 0},
    {16, 16},
    {8, 9, 15},
    {33},
    std::vector<std::uint32_t>(33, 1),
    {20, 20, 20, 5},
    {32, 1},
    {7},
    {9, 9},
    std::vector<std::uint32_t>(12, 2),
};

// FieldCase: rows of records, pairs of them and a field layout for field_popcounts.
struct FieldCase {
  std::vector<std::uint32_t> field_end;
  std::size_t stride = 0;
  AlignedWords a, b;
  std::vector<std::uint32_t> left, right;

  // Expected(n): the counts of the first n pairs, pair by pair, then kSentinel (untouched).
  std::vector<std::uint32_t> Expected(std::size_t n, std::size_t size) const {
    std::vector<std::uint32_t> counts(size, kSentinel);
    const std::size_t nf = field_end.size();
    for (std::size_t p = 0; p < n; ++p) {
      const std::uint64_t* x = a.data() + left[p] * stride;
      const std::uint64_t* y = b.data() + right[p] * stride;
      for (std::size_t f = 0; f < nf; ++f) {
        std::uint32_t c = 0;
        for (std::size_t w = f == 0 ? 0 : field_end[f - 1]; w < field_end[f]; ++w) {
          c += static_cast<std::uint32_t>(std::popcount(x[w] & y[w]));
        }
        counts[p * nf + f] = c;
      }
    }
    return counts;
  }

  std::vector<std::uint32_t> Run(const KernelTable& kernel, std::size_t first, std::size_t n,
                                 std::size_t prefetch_n, std::size_t size) const {
    std::vector<std::uint32_t> counts(size, kSentinel);
    kernel.field_popcounts(a.data(), b.data(), stride, left.data() + first, right.data() + first, n,
                           prefetch_n, field_end.data(), field_end.size(), counts.data());
    return counts;
  }
};

// MakeFieldCase(widths, records, pairs, pad, density, rng): `records` random rows a side of
// the layout's words plus `pad` more (random too: the kernel must not count them), and `pairs`
// random pairs.
FieldCase MakeFieldCase(const std::vector<std::uint32_t>& widths, std::size_t records,
                        std::size_t pairs, std::size_t pad, double density, std::mt19937_64& rng) {
  FieldCase c;
  std::uint32_t end = 0;
  for (std::uint32_t w : widths) c.field_end.push_back(end += w);
  c.stride = end + pad;
  c.a = AlignedWords(records * c.stride);
  c.b = AlignedWords(records * c.stride);
  for (std::size_t i = 0; i < records * c.stride; ++i) {
    c.a.data()[i] = RandomWord(rng, density);
    c.b.data()[i] = RandomWord(rng, density);
  }
  for (std::size_t p = 0; p < pairs; ++p) {
    c.left.push_back(static_cast<std::uint32_t>(rng() % records));
    c.right.push_back(static_cast<std::uint32_t>(rng() % records));
  }
  return c;
}

TEST_P(KernelTest, FieldPopcountsMatchesScalarReferenceOnRandomRows) {
  const KernelTable& scalar = *KernelFor(KernelIsa::kScalar);
  std::mt19937_64 rng(20261203);
  std::size_t cases = 0;
  for (const auto& widths : kFieldLayouts) {
    for (std::size_t pad : {0, 3, 8}) {
      for (double density : {0.05, 0.5, 1.0}) {
        // 40 pairs: calls over [0, n) with n 0, 1, 7 and 23, reading ahead to the 40th.
        const FieldCase c = MakeFieldCase(widths, 13, 40, pad, density, rng);
        const std::size_t nf = widths.size();
        for (std::size_t n : {0, 1, 7, 23}) {
          for (std::size_t prefetch_n : {n, std::size_t{40}}) {
            SCOPED_TRACE(::testing::Message()
                         << "fields " << nf << ", words " << (nf == 0 ? 0 : c.field_end.back())
                         << ", pad " << pad << ", density " << density << ", pairs " << n
                         << ", prefetch_n " << prefetch_n);
            const std::size_t size = n * nf + 40;  // and a tail that must stay untouched
            const auto expected = c.Expected(n, size);
            ASSERT_EQ(c.Run(scalar, 0, n, prefetch_n, size), expected);
            ASSERT_EQ(c.Run(*kernel_, 0, n, prefetch_n, size), expected);
            ++cases;
          }
        }
      }
    }
  }
  EXPECT_EQ(cases, kFieldLayouts.size() * 3 * 3 * 4 * 2);
}

// All-one rows: every field counts all its bits (the 16-bit lanes of the AVX-512 kernel's
// sums must not wrap), on unaligned rows (an odd stride from an odd word).
TEST_P(KernelTest, FieldPopcountsCountsFullFieldsOnUnalignedRows) {
  for (const auto& widths : kFieldLayouts) {
    std::vector<std::uint32_t> field_end;
    std::uint32_t end = 0;
    for (std::uint32_t w : widths) field_end.push_back(end += w);
    const std::size_t stride = end + 1;
    AlignedWords rows(1 + 5 * stride);
    for (std::size_t i = 0; i < rows.size(); ++i) rows.data()[i] = ~std::uint64_t{0};
    const std::vector<std::uint32_t> left = {0, 4, 2}, right = {3, 1, 4};
    std::vector<std::uint32_t> counts(3 * widths.size() + 1, kSentinel);
    kernel_->field_popcounts(rows.data() + 1, rows.data() + 1, stride, left.data(), right.data(), 3,
                             3, field_end.data(), field_end.size(), counts.data());
    for (std::size_t p = 0; p < 3; ++p) {
      for (std::size_t f = 0; f < widths.size(); ++f) {
        EXPECT_EQ(counts[p * widths.size() + f], 64 * widths[f]) << "pair " << p << " field " << f;
      }
    }
    EXPECT_EQ(counts.back(), kSentinel);
  }
}

// ReferenceKey(x, y, spec): FieldKeySpec's key, as Compare finds levels (the first cut-point
// reached), from the rows' own words.
std::uint64_t ReferenceKey(const std::uint64_t* x, const std::uint64_t* y,
                           const FieldKeySpec& spec) {
  std::uint64_t key = 0;
  for (std::size_t f = 0; f < spec.nf; ++f) {
    std::uint32_t c = 0, pa = 0, pb = 0;
    for (std::size_t w = f == 0 ? 0 : spec.field_end[f - 1]; w < spec.field_end[f]; ++w) {
      c += static_cast<std::uint32_t>(std::popcount(x[w] & y[w]));
      pa += static_cast<std::uint32_t>(std::popcount(x[w]));
      pb += static_cast<std::uint32_t>(std::popcount(y[w]));
    }
    if (pa == 0 || pb == 0) continue;
    std::size_t level = 0;
    const double sum = static_cast<double>(pa + pb);
    while (level < spec.ncuts && !(2.0 * c >= spec.cutpoints[level * spec.cut_stride + f] * sum)) {
      ++level;
    }
    key |= static_cast<std::uint64_t>(level + 1) << spec.shift[f];
  }
  return key;
}

TEST_P(KernelTest, FieldLevelKeysMatchesReferenceOnRandomRows) {
  std::mt19937_64 rng(20261204);
  // Cut-points per field (cycled): exact Dice values of small counts are common at 64 bits.
  const std::vector<std::vector<double>> cuts = {
      {0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35}, {1.0, 0.75, 0.5, 0.25}, {0.9}, {0.7, 0.5}};
  std::size_t cases = 0;
  for (const auto& widths : kFieldLayouts) {
    const std::size_t nf = widths.size();
    if (nf > 20) continue;  // keys of 3 bits a field at most: 64 bits
    for (double density : {0.05, 0.3, 0.7}) {
      std::vector<std::uint32_t> field_end;
      std::uint32_t end = 0;
      for (std::uint32_t w : widths) field_end.push_back(end += w);
      const std::size_t popcount_word = end + 1;  // a word of padding between
      const std::size_t stride = popcount_word + (nf + 1) / 2 + 2;
      const std::size_t records = 17;
      AlignedWords a(records * stride), b(records * stride);
      for (AlignedWords* side : {&a, &b}) {
        for (std::size_t r = 0; r < records; ++r) {
          std::uint64_t* row = side->data() + r * stride;
          for (std::size_t w = 0; w < stride; ++w) row[w] = RandomWord(rng, density);
          // Every fourth field of a record is empty (missing); B's records mostly copy A's
          // fields with a few bits changed, so that high levels occur.
          for (std::size_t f = 0; f < nf; ++f) {
            const std::size_t w0 = f == 0 ? 0 : field_end[f - 1];
            for (std::size_t w = w0; w < field_end[f]; ++w) {
              if (rng() % 4 == 0 && w == w0) {
                for (std::size_t z = w0; z < field_end[f]; ++z) row[z] = 0;
                break;
              }
              if (side == &b && rng() % 2 == 0) {
                row[w] = a.data()[r * stride + w] ^ (std::uint64_t{1} << (rng() % 64));
              }
            }
          }
          for (std::size_t f = 0; f < nf; ++f) {
            std::uint32_t count = 0;
            for (std::size_t w = f == 0 ? 0 : field_end[f - 1]; w < field_end[f]; ++w) {
              count += static_cast<std::uint32_t>(std::popcount(row[w]));
            }
            std::memcpy(reinterpret_cast<unsigned char*>(row + popcount_word) + 4 * f, &count, 4);
          }
        }
      }
      std::vector<std::uint8_t> shift;
      std::size_t ncuts = 0, at = 0;
      for (std::size_t f = 0; f < nf; ++f) {
        shift.push_back(static_cast<std::uint8_t>(at));
        const std::size_t k = cuts[f % cuts.size()].size();
        at += static_cast<std::size_t>(std::bit_width(k + 1));
        ncuts = std::max(ncuts, k);
      }
      const std::size_t cut_stride = (nf + kCutLanes - 1) / kCutLanes * kCutLanes;
      std::vector<double> cutpoints(std::max<std::size_t>(1, ncuts * cut_stride), 0.0);
      for (std::size_t f = 0; f < nf; ++f) {
        const auto& c = cuts[f % cuts.size()];
        for (std::size_t l = 0; l < c.size(); ++l) cutpoints[l * cut_stride + f] = c[l];
      }
      const FieldKeySpec spec{.field_end = field_end.data(),
                              .nf = nf,
                              .popcount_word = popcount_word,
                              .cutpoints = cutpoints.data(),
                              .cut_stride = cut_stride,
                              .ncuts = ncuts,
                              .shift = shift.data()};
      std::vector<std::uint32_t> left, right;
      for (std::size_t p = 0; p < 60; ++p) {
        left.push_back(static_cast<std::uint32_t>(rng() % records));
        // Half the pairs a record with its near copy.
        right.push_back(p % 2 == 0 ? left.back() : static_cast<std::uint32_t>(rng() % records));
      }
      for (std::size_t n : {0, 1, 9, 50}) {
        SCOPED_TRACE(::testing::Message() << "fields " << nf << ", words " << end << ", density "
                                          << density << ", pairs " << n);
        std::vector<std::uint64_t> keys(n + 3, 0xdeadbeefdeadbeefULL);
        kernel_->field_level_keys(a.data(), b.data(), stride, left.data(), right.data(), n, 60,
                                  spec, keys.data());
        std::set<std::uint64_t> distinct;
        for (std::size_t p = 0; p < n; ++p) {
          ASSERT_EQ(keys[p],
                    ReferenceKey(a.data() + left[p] * stride, b.data() + right[p] * stride, spec))
              << "pair " << p;
          distinct.insert(keys[p]);
        }
        for (std::size_t p = n; p < n + 3; ++p) ASSERT_EQ(keys[p], 0xdeadbeefdeadbeefULL);
        if (n == 50 && nf > 1) {
          EXPECT_GT(distinct.size(), 5u);
        }
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 100u);
}

INSTANTIATE_TEST_SUITE_P(AllKernels, KernelTest, ::testing::ValuesIn(BuiltIsas()), ParamName);

TEST(PackTargetGroupsTest, InterleavesWordsOfEightLanesAndZeroesUnusedLanes) {
  // Row r, word w holds (r + 1) * 100 + w.
  Filters rows(10, 2, 2);
  for (std::size_t r = 0; r < 10; ++r) {
    for (std::size_t w = 0; w < 2; ++w) rows.row(r)[w] = (r + 1) * 100 + w;
  }
  AlignedWords out;
  PackTargetGroups(rows.pointers(), 2, out);
  ASSERT_EQ(out.size(), 2u * 2u * 8u);
  const std::uint64_t* p = out.data();
  // Group 0: word 0 of rows 0-7, then word 1 of rows 0-7.
  EXPECT_EQ(p[0], 100u);
  EXPECT_EQ(p[1], 200u);
  EXPECT_EQ(p[7], 800u);
  EXPECT_EQ(p[8], 101u);
  EXPECT_EQ(p[15], 801u);
  // Group 1: rows 8 and 9 in lanes 0 and 1, lanes 2-7 zero.
  EXPECT_EQ(p[16], 900u);
  EXPECT_EQ(p[17], 1000u);
  for (std::size_t l = 2; l < 8; ++l) EXPECT_EQ(p[16 + l], 0u) << l;
  EXPECT_EQ(p[24], 901u);
  EXPECT_EQ(p[25], 1001u);
  for (std::size_t l = 2; l < 8; ++l) EXPECT_EQ(p[24 + l], 0u) << l;
}

TEST(PackTargetGroupsTest, ReusedBufferGetsUnusedLanesZeroed) {
  Filters rows(3, 4, 4);
  for (std::size_t w = 0; w < 12; ++w) rows.storage.data()[w] = 5;
  AlignedWords out(4 * 8);
  for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = ~std::uint64_t{0};
  PackTargetGroups(rows.pointers(), 4, out);
  ASSERT_EQ(out.size(), 4u * 8u);
  for (std::size_t w = 0; w < 4; ++w) {
    for (std::size_t l = 0; l < 8; ++l) EXPECT_EQ(out.data()[w * 8 + l], l < 3 ? 5u : 0u);
  }
}

TEST(PackTargetGroupsTest, NoRowsIsNoGroups) {
  AlignedWords out(16);
  PackTargetGroups({}, 16, out);
  EXPECT_EQ(out.size(), 0u);
}

TEST(AlignedWordsTest, IsAlignedZeroedAndMovable) {
  AlignedWords a(37);
  ASSERT_EQ(a.size(), 37u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % 64, 0u);
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data()[i], 0u) << i;
  a.data()[36] = 9;
  AlignedWords b(std::move(a));
  EXPECT_EQ(b.size(), 37u);
  EXPECT_EQ(b.data()[36], 9u);
  AlignedWords c(3);
  c = std::move(b);
  EXPECT_EQ(c.size(), 37u);
  EXPECT_EQ(c.data()[36], 9u);
  EXPECT_EQ(AlignedWords().size(), 0u);
  EXPECT_EQ(AlignedWords(0).data(), nullptr);
}

TEST(ParseKernelNameTest, NamesEachKernelAndRejectsAnythingElse) {
  EXPECT_EQ(*ParseKernelName("scalar"), KernelIsa::kScalar);
  EXPECT_EQ(*ParseKernelName("avx2"), KernelIsa::kAvx2);
  EXPECT_EQ(*ParseKernelName("avx512"), KernelIsa::kAvx512);
  EXPECT_THAT(ParseKernelName("AVX2"), StatusIs(absl::StatusCode::kInvalidArgument, "\"AVX2\""));
  EXPECT_THAT(ParseKernelName(""), StatusIs(absl::StatusCode::kInvalidArgument, "scalar"));
  EXPECT_THAT(ParseKernelName("sse"), StatusIs(absl::StatusCode::kInvalidArgument, "sse"));
}

// CpuUpTo(isa): a CPU whose best kernel is `isa`.
CpuSupport CpuUpTo(KernelIsa isa) {
  return CpuSupport{.avx2 = isa != KernelIsa::kScalar, .avx512 = isa == KernelIsa::kAvx512};
}

const CpuSupport kEveryFeature{.avx2 = true, .avx512 = true};

TEST(SelectKernelTest, UnsetOrEmptyOnACpuWithoutVectorKernelsSelectsScalar) {
  EXPECT_EQ((*SelectKernel(nullptr, CpuSupport{}))->isa, KernelIsa::kScalar);
  EXPECT_EQ((*SelectKernel("", CpuSupport{}))->isa, KernelIsa::kScalar);
}

TEST(SelectKernelTest, ScalarCanBeForcedOnAnyCpu) {
  EXPECT_EQ((*SelectKernel("scalar", kEveryFeature))->isa, KernelIsa::kScalar);
  EXPECT_EQ((*SelectKernel("scalar", CpuSupport{}))->name, "scalar");
}

TEST(SelectKernelTest, UnknownNameIsInvalidArgumentNamingTheVariableAndTheChoices) {
  const auto k = SelectKernel("avx1024", CpuSupport{});
  EXPECT_THAT(k, StatusIs(absl::StatusCode::kInvalidArgument, "BLOOMLINK_KERNEL=\"avx1024\""));
  EXPECT_THAT(k, StatusIs(absl::StatusCode::kInvalidArgument, "not a kernel name"));
  EXPECT_THAT(k, StatusIs(absl::StatusCode::kInvalidArgument, "(scalar, avx2, avx512)"));
  EXPECT_THAT(k, StatusIs(absl::StatusCode::kInvalidArgument, ": scalar"));
  EXPECT_THAT(SelectKernel(" avx2", kEveryFeature),
              StatusIs(absl::StatusCode::kInvalidArgument, "BLOOMLINK_KERNEL=\" avx2\""));
}

// X86SelectKernelTest: selecting each x86 kernel this build has (none without the x86 kernels).
class X86SelectKernelTest : public ::testing::TestWithParam<KernelIsa> {};
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(X86SelectKernelTest);

TEST_P(X86SelectKernelTest, UnsetOrEmptySelectsTheBestTheCpuRuns) {
  EXPECT_EQ((*SelectKernel(nullptr, CpuUpTo(GetParam())))->isa, GetParam());
  EXPECT_EQ((*SelectKernel("", CpuUpTo(GetParam())))->isa, GetParam());
  EXPECT_EQ((*SelectKernel(nullptr, kEveryFeature))->isa, KernelIsa::kAvx512);
}

TEST_P(X86SelectKernelTest, ANameForcesThatKernel) {
  const auto k = SelectKernel(IsaName(GetParam()).c_str(), kEveryFeature);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(*k, BuiltKernel(GetParam()));
}

TEST_P(X86SelectKernelTest, AKernelTheCpuCannotRunIsInvalidArgumentNotAFallback) {
  // The best CPU without this kernel's instructions.
  const CpuSupport lacking =
      CpuUpTo(GetParam() == KernelIsa::kAvx512 ? KernelIsa::kAvx2 : KernelIsa::kScalar);
  const std::string name = IsaName(GetParam());
  const auto k = SelectKernel(name.c_str(), lacking);
  EXPECT_THAT(k, StatusIs(absl::StatusCode::kInvalidArgument, "BLOOMLINK_KERNEL=\"" + name + "\""));
  EXPECT_THAT(k, StatusIs(absl::StatusCode::kInvalidArgument, "cannot run"));
  EXPECT_THAT(k, StatusIs(absl::StatusCode::kInvalidArgument,
                          GetParam() == KernelIsa::kAvx512 ? "this CPU supports: scalar, avx2"
                                                           : "this CPU supports: scalar"));
}

TEST_P(X86SelectKernelTest, UnknownNameListsTheKernelsTheCpuRuns) {
  EXPECT_THAT(SelectKernel("avx1024", CpuUpTo(GetParam())),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       GetParam() == KernelIsa::kAvx512 ? "this CPU supports: scalar, avx2, avx512"
                                                        : "this CPU supports: scalar, avx2"));
}

#if defined(__x86_64__) || defined(__i386__)
TEST_P(X86SelectKernelTest, DetectionAgreesWithTheCompilersCpuCheck) {
  // __builtin_cpu_supports also checks that the OS saves the YMM/ZMM state.
  const CpuSupport cpu = match_internal::DetectCpuSupport();
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512vpopcntdq");
  if (GetParam() == KernelIsa::kAvx2) {
    EXPECT_EQ(cpu.avx2, avx2);
  } else {
    EXPECT_EQ(cpu.avx512, avx512);
  }
}
#endif

INSTANTIATE_TEST_SUITE_P(ThisBuild, X86SelectKernelTest, ::testing::ValuesIn(BuiltX86Isas()),
                         ParamName);

// UnbuiltKernelTest: each kernel this build lacks (none in a build with the x86 kernels).
class UnbuiltKernelTest : public ::testing::TestWithParam<KernelIsa> {};
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(UnbuiltKernelTest);

TEST_P(UnbuiltKernelTest, ForcingItIsInvalidArgumentSayingTheBuildLacksItWhateverTheCpu) {
  const std::string name = IsaName(GetParam());
  for (const CpuSupport cpu : {CpuSupport{}, kEveryFeature}) {
    const auto k = SelectKernel(name.c_str(), cpu);
    EXPECT_THAT(k,
                StatusIs(absl::StatusCode::kInvalidArgument, "BLOOMLINK_KERNEL=\"" + name + "\""));
    EXPECT_THAT(k, StatusIs(absl::StatusCode::kInvalidArgument,
                            "names a kernel this build does not have: it was built without the "
                            "x86 kernels (BLOOMLINK_X86_KERNELS=OFF); this build runs: scalar"));
  }
  EXPECT_EQ(KernelFor(GetParam()), nullptr);
  EXPECT_EQ((*SelectKernel(nullptr, kEveryFeature))->isa, KernelIsa::kScalar);
}

INSTANTIATE_TEST_SUITE_P(ThisBuild, UnbuiltKernelTest, ::testing::ValuesIn(UnbuiltIsas()),
                         ParamName);

TEST(KernelsTest, SupportedKernelsListsScalarFirstAndAgreesWithKernelFor) {
  const auto kernels = SupportedKernels();
  ASSERT_FALSE(kernels.empty());
  EXPECT_EQ(kernels.front()->isa, KernelIsa::kScalar);
  const CpuSupport cpu = match_internal::DetectCpuSupport();
  EXPECT_EQ(kernels.size(), 1u + (cpu.avx2 ? 1u : 0u) + (cpu.avx512 ? 1u : 0u));
  for (const KernelTable* k : kernels) {
    EXPECT_EQ(KernelFor(k->isa), k);
    EXPECT_EQ(*ParseKernelName(k->name), k->isa);
    EXPECT_NE(k->and_popcount, nullptr);
    EXPECT_NE(k->field_popcounts, nullptr);
    EXPECT_NE(k->field_level_keys, nullptr);
  }
  EXPECT_EQ(KernelFor(KernelIsa::kAvx2) != nullptr, cpu.avx2);
  EXPECT_EQ(KernelFor(KernelIsa::kAvx512) != nullptr, cpu.avx512);
}

TEST(KernelsTest, KernelsIsTheSelectionForThisProcessesEnvironment) {
  // CI may force a kernel with BLOOMLINK_KERNEL; without it this is the best supported one.
  const char* env = std::getenv("BLOOMLINK_KERNEL");
  const auto expected = SelectKernel(env);
  const auto selected = Kernels();
  // Printed for scripts/test, which checks that a build without the x86 kernels refuses
  // BLOOMLINK_KERNEL=avx2.
  if (env != nullptr) {
    std::cout << "Kernels() with BLOOMLINK_KERNEL=" << env << ": "
              << (selected.ok() ? std::string((*selected)->name) : selected.status().ToString())
              << "\n";
  }
  ASSERT_EQ(selected.ok(), expected.ok()) << selected.status();
  if (selected.ok()) {
    EXPECT_EQ(*selected, *expected);
    if (env == nullptr || *env == '\0') {
      EXPECT_EQ(*selected, SupportedKernels().back());
    }
  }
  EXPECT_EQ(Kernels().ok(), selected.ok());  // chosen once: the same answer again
}

}  // namespace
}  // namespace bloomlink::match
