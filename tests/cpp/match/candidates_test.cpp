// FindCandidates against a brute-force reference: every kernel the CPU has, awkward sizes and
// widths, exact-threshold scores, top-k, and the same output for any thread count.
#include "bloomlink/match/candidates.hpp"

#include <algorithm>
#include <bit>
#include <random>
#include <tuple>

#include "random_matrix.hpp"
#include "test_support.hpp"
#include "triples.hpp"

namespace bloomlink::match {
namespace {

using ::absl::StatusCode;
using testing::StatusIs;

using testing_matrices::Sorted;
using testing_matrices::Triple;
using testing_matrices::Triples;

using testing_matrices::RandomMatrix;

// NearCopies(a, rows, flips): rows derived from random rows of `a` with a few bits flipped, so that
// high thresholds have candidates.
BitMatrix NearCopies(const BitMatrix& a, std::size_t rows, std::size_t flips,
                     std::mt19937_64& rng) {
  BitMatrix m(rows, a.bits());
  if (a.rows() == 0) return m;
  for (std::size_t r = 0; r < rows; ++r) {
    std::size_t from = rng() % a.rows();
    std::memcpy(m.row_bytes(r), a.row_bytes(from), a.words_per_row() * 8);
    for (std::size_t f = 0; f < flips; ++f) {
      std::size_t bit = rng() % a.bits();
      m.row_bytes(r)[bit / 8] ^= static_cast<std::uint8_t>(0x80u >> (bit % 8));
    }
  }
  m.UpdatePopcounts();
  return m;
}

std::uint32_t Intersection(const BitMatrix& a, std::size_t i, const BitMatrix& b, std::size_t j) {
  std::uint32_t c = 0;
  for (std::size_t w = 0; w < a.words_per_row(); ++w) {
    c += static_cast<std::uint32_t>(std::popcount(a.row_words(i)[w] & b.row_words(j)[w]));
  }
  return c;
}

// KeepBest(row, top_k): with top_k > 0, one record's k best pairs (ties: the lower right index).
void KeepBest(std::vector<Triple>& row, int top_k) {
  if (top_k == 0) return;
  std::sort(row.begin(), row.end(), [](const Triple& x, const Triple& y) {
    return std::get<2>(x) > std::get<2>(y) ||
           (std::get<2>(x) == std::get<2>(y) && std::get<1>(x) < std::get<1>(y));
  });
  if (row.size() > static_cast<std::size_t>(top_k)) row.resize(static_cast<std::size_t>(top_k));
}

std::vector<Triple> BruteForce(const BitMatrix& a, const BitMatrix& b, double t, int top_k) {
  std::vector<Triple> out;
  for (std::size_t i = 0; i < a.rows(); ++i) {
    std::vector<Triple> row;
    for (std::size_t j = 0; j < b.rows(); ++j) {
      const std::uint32_t c = Intersection(a, i, b, j);
      const std::uint32_t s = a.popcount(i) + b.popcount(j);
      if (s == 0 || !(2.0 * c >= t * static_cast<double>(s))) continue;
      row.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j),
                       static_cast<float>(2.0 * c / s));
    }
    KeepBest(row, top_k);
    out.insert(out.end(), row.begin(), row.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FindCandidatesTest, MatchesBruteForceForEveryKernelSizeAndWidth) {
  std::mt19937_64 rng(7);
  for (const KernelTable* kernel : SupportedKernels()) {
    for (std::size_t bits : {64u, 640u, 1000u, 1024u, 2048u}) {
      for (auto [na, nb] : {std::pair<std::size_t, std::size_t>{0, 5},
                            {5, 0},
                            {1, 1},
                            {7, 7},
                            {70, 130},
                            {300, 1024}}) {
        BitMatrix a = RandomMatrix(na, bits, 0.45, rng);
        BitMatrix b = NearCopies(a, nb / 2, bits / 40, rng);
        BitMatrix noise = RandomMatrix(nb - b.rows(), bits, 0.5, rng);
        // b = near copies of a followed by random rows.
        BitMatrix both(nb, bits);
        for (std::size_t r = 0; r < b.rows(); ++r)
          std::memcpy(both.row_bytes(r), b.row_bytes(r), both.stride_bytes());
        for (std::size_t r = 0; r < noise.rows(); ++r)
          std::memcpy(both.row_bytes(b.rows() + r), noise.row_bytes(r), both.stride_bytes());
        both.UpdatePopcounts();
        for (double t : {0.0, 0.5, 0.8, 0.95, 1.0}) {
          CandidateOptions options{.threshold = t, .threads = 1, .kernel = kernel};
          auto got = FindCandidates(a, both, options);
          ASSERT_TRUE(got.ok()) << got.status();
          ASSERT_EQ(Sorted(Triples(*got)), BruteForce(a, both, t, 0))
              << kernel->name << " bits " << bits << " " << na << "x" << nb << " t " << t;
        }
      }
    }
  }
}

TEST(FindCandidatesTest, ThresholdIsInclusiveAtExactScores) {
  // Four bits each, three shared: Dice = 6/8 = 0.75 exactly; two shared: 0.5.
  BitMatrix a(1, 64), b(2, 64);
  for (int i : {0, 1, 2, 3}) a.SetBit(0, static_cast<std::size_t>(i));
  for (int i : {0, 1, 2, 9}) b.SetBit(0, static_cast<std::size_t>(i));
  for (int i : {0, 1, 8, 9}) b.SetBit(1, static_cast<std::size_t>(i));
  a.UpdatePopcounts();
  b.UpdatePopcounts();
  for (const KernelTable* kernel : SupportedKernels()) {
    auto at = FindCandidates(a, b, {.threshold = 0.75, .kernel = kernel});
    ASSERT_TRUE(at.ok());
    EXPECT_EQ(Triples(*at), (std::vector<Triple>{{0, 0, 0.75f}})) << kernel->name;
    auto half = FindCandidates(a, b, {.threshold = 0.5, .kernel = kernel});
    ASSERT_TRUE(half.ok());
    EXPECT_EQ(Sorted(Triples(*half)), (std::vector<Triple>{{0, 0, 0.75f}, {0, 1, 0.5f}}));
    auto above = FindCandidates(a, b, {.threshold = 0.7500001, .kernel = kernel});
    ASSERT_TRUE(above.ok());
    EXPECT_TRUE(above->empty());
  }
}

TEST(FindCandidatesTest, EmptyFiltersNeverMatchAndFullFiltersDo) {
  BitMatrix a(3, 128), b(2, 128);
  for (std::size_t i = 0; i < 128; ++i) {
    a.SetBit(1, i);
    b.SetBit(1, i);
  }
  a.SetBit(2, 5);
  a.UpdatePopcounts();
  b.UpdatePopcounts();
  auto got = FindCandidates(a, b, {.threshold = 0.0, .threads = 1});
  ASSERT_TRUE(got.ok());
  // Empty-empty (0,0) is never a candidate; with threshold 0 every other pair is.
  EXPECT_EQ(Sorted(Triples(*got)), BruteForce(a, b, 0.0, 0));
  EXPECT_EQ(std::count_if(got->left.begin(), got->left.end(), [](auto l) { return l == 0; }), 1);
  auto full = FindCandidates(a, b, {.threshold = 1.0, .threads = 1});
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(Triples(*full), (std::vector<Triple>{{1, 1, 1.0f}}));
}

TEST(FindCandidatesTest, TopKKeepsEachRecordsBestWithTiesByIndex) {
  std::mt19937_64 rng(11);
  BitMatrix a = RandomMatrix(200, 256, 0.3, rng);
  BitMatrix b = NearCopies(a, 600, 12, rng);
  for (const KernelTable* kernel : SupportedKernels()) {
    for (int k : {1, 2, 5}) {
      for (double floor : {0.0, 0.6, 0.9}) {
        auto got =
            FindCandidates(a, b, {.threshold = floor, .top_k = k, .threads = 2, .kernel = kernel});
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(Sorted(Triples(*got)), BruteForce(a, b, floor, k)) << kernel->name << " k " << k;
      }
    }
  }
  // Ties: identical targets score the same; the lower index wins.
  BitMatrix one(1, 64), same(3, 64);
  for (std::size_t r = 0; r < 3; ++r) same.SetBit(r, 3);
  one.SetBit(0, 3);
  one.UpdatePopcounts();
  same.UpdatePopcounts();
  auto tied = FindCandidates(one, same, {.threshold = 0.5, .top_k = 2});
  ASSERT_TRUE(tied.ok());
  EXPECT_EQ(Triples(*tied), (std::vector<Triple>{{0, 0, 1.0f}, {0, 1, 1.0f}}));
}

TEST(FindCandidatesTest, OutputAndOrderDoNotDependOnThreadCount) {
  std::mt19937_64 rng(3);
  BitMatrix a = RandomMatrix(3000, 1024, 0.5, rng);
  BitMatrix b = NearCopies(a, 3000, 40, rng);
  for (int k : {0, 3}) {
    CandidateStats s1;
    auto one = FindCandidates(a, b, {.threshold = 0.6, .top_k = k, .threads = 1}, &s1);
    ASSERT_TRUE(one.ok());
    ASSERT_GT(one->size(), 1000u);
    for (int threads : {2, 3, 8}) {
      CandidateStats s;
      auto many = FindCandidates(a, b, {.threshold = 0.6, .top_k = k, .threads = threads}, &s);
      ASSERT_TRUE(many.ok());
      EXPECT_EQ(many->left, one->left) << threads;
      EXPECT_EQ(many->right, one->right) << threads;
      EXPECT_EQ(many->score, one->score) << threads;
      EXPECT_EQ(s.comparisons, s1.comparisons);
    }
  }
}

TEST(FindCandidatesTest, StatsAccountForEveryPairAndPruningIsExact) {
  std::mt19937_64 rng(5);
  // Popcounts spread widely so that a high threshold prunes most pairs.
  BitMatrix a(400, 1024), b(400, 1024);
  for (std::size_t r = 0; r < 400; ++r) {
    for (std::size_t i = 0; i < 1024; ++i) {
      if (rng() % 1000 < 50 + r * 2) a.SetBit(r, i);
      if (rng() % 1000 < 50 + r * 2) b.SetBit(r, i);
    }
  }
  a.UpdatePopcounts();
  b.UpdatePopcounts();
  CandidateStats stats;
  auto got = FindCandidates(a, b, {.threshold = 0.9}, &stats);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(stats.pairs, 400u * 400u);
  EXPECT_EQ(stats.comparisons + stats.pruned, stats.pairs);
  EXPECT_GT(stats.pruned, stats.pairs / 2);
  EXPECT_EQ(stats.candidates, got->size());
  EXPECT_EQ(Sorted(Triples(*got)), BruteForce(a, b, 0.9, 0));
  EXPECT_FALSE(stats.kernel.empty());
}

// BruteForceWithin(d, t, top_k): deduplication: each record against every other; with top_k its
// best k others; every pair once as (lower index, higher index).
std::vector<Triple> BruteForceWithin(const BitMatrix& d, double t, int top_k) {
  std::vector<Triple> out;
  for (std::size_t i = 0; i < d.rows(); ++i) {
    std::vector<Triple> row;
    for (std::size_t j = 0; j < d.rows(); ++j) {
      if (i == j || (top_k == 0 && j < i)) continue;
      const std::uint32_t c = Intersection(d, i, d, j);
      const std::uint32_t s = d.popcount(i) + d.popcount(j);
      if (s == 0 || !(2.0 * c >= t * static_cast<double>(s))) continue;
      row.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j),
                       static_cast<float>(2.0 * c / s));
    }
    KeepBest(row, top_k);
    for (auto& [l, r, score] : row) {
      if (l > r) std::swap(l, r);
    }
    out.insert(out.end(), row.begin(), row.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

TEST(FindCandidatesTest, SameDatasetPairsTwoDifferentRecordsOnce) {
  std::mt19937_64 rng(17);
  // 2600 records span two blocks of targets, so that whole blocks are skipped.
  for (std::size_t n : {0u, 1u, 2u, 9u, 200u, 2600u}) {
    // Near copies of a few records (exact duplicates when n is odd), over several tiles.
    BitMatrix base = RandomMatrix(std::max<std::size_t>(n / 3, 1), 512, 0.4, rng);
    BitMatrix d = NearCopies(base, n, n % 2 ? 0 : 6, rng);
    for (double t : {0.0, 0.7, 0.9, 1.0}) {
      for (int k : {0, 2}) {
        if (n > 1000 && t == 0.0) continue;  // millions of pairs: slow to compare, adds nothing
        const std::vector<Triple> expected = BruteForceWithin(d, t, k);
        for (const KernelTable* kernel : SupportedKernels()) {
          for (int threads : {1, 2}) {
            CandidateStats stats;
            auto got = FindCandidates(d, d,
                                      {.threshold = t,
                                       .top_k = k,
                                       .same_dataset = true,
                                       .threads = threads,
                                       .kernel = kernel},
                                      &stats);
            ASSERT_TRUE(got.ok()) << got.status();
            ASSERT_EQ(Sorted(Triples(*got)), expected)
                << kernel->name << " n " << n << " t " << t << " k " << k << " threads " << threads;
            EXPECT_EQ(stats.candidates, got->size());
            if (k == 0) {
              EXPECT_EQ(stats.pairs, n * (n - (n > 0)) / 2);
              // Each unordered pair is computed about once, not twice.
              EXPECT_LE(stats.comparisons, stats.pairs + n * 64) << n;
            }
          }
        }
      }
    }
  }
}

TEST(FindCandidatesTest, StopsAtTheCandidateLimit) {
  std::mt19937_64 rng(8);
  BitMatrix a = RandomMatrix(500, 256, 0.5, rng);
  CandidateStats stats;
  auto all = FindCandidates(a, a, {.threshold = 0.4, .threads = 1}, &stats);
  ASSERT_TRUE(all.ok());
  ASSERT_GT(all->size(), 10000u);
  for (int threads : {1, 2}) {
    EXPECT_THAT(
        FindCandidates(a, a, {.threshold = 0.4, .threads = threads, .max_candidates = 1000}),
        StatusIs(StatusCode::kResourceExhausted, "found more than 1000 candidate pairs"));
  }
  // A limit the search stays within changes nothing.
  auto within =
      FindCandidates(a, a, {.threshold = 0.4, .threads = 1, .max_candidates = all->size()});
  ASSERT_TRUE(within.ok());
  EXPECT_EQ(within->size(), all->size());
}

TEST(FindCandidatesTest, RefusesBadOptions) {
  BitMatrix a(1, 64), b(1, 128);
  EXPECT_THAT(FindCandidates(a, b, {}),
              StatusIs(StatusCode::kInvalidArgument, "filter lengths differ"));
  BitMatrix c(1, 64);
  EXPECT_THAT(FindCandidates(a, c, {.threshold = 1.5}),
              StatusIs(StatusCode::kInvalidArgument, "threshold must be between 0 and 1"));
  EXPECT_THAT(FindCandidates(a, c, {.threshold = -0.1}),
              StatusIs(StatusCode::kInvalidArgument, "threshold"));
  EXPECT_THAT(FindCandidates(a, c, {.top_k = -1}), StatusIs(StatusCode::kInvalidArgument, "top-k"));
}

TEST(FindCandidatesTest, CancellationStopsWithCancelled) {
  std::mt19937_64 rng(9);
  BitMatrix a = RandomMatrix(2000, 256, 0.5, rng);
  BitMatrix b = RandomMatrix(2000, 256, 0.5, rng);
  int polls = 0;
  auto got = FindCandidates(
      a, b, {.threshold = 0.5, .threads = 2, .cancelled = [&] { return ++polls >= 2; }});
  EXPECT_THAT(got, StatusIs(StatusCode::kCancelled, "cancelled"));
}

// Batches(a, b, options, batch_pairs, &sizes): ForEachCandidateBatch's batches, joined.
absl::StatusOr<CandidatePairs> Batches(const BitMatrix& a, const BitMatrix& b,
                                       const CandidateOptions& options, std::uint64_t batch_pairs,
                                       std::vector<std::size_t>* sizes,
                                       CandidateStats* stats = nullptr) {
  CandidatePairs all;
  absl::Status status = ForEachCandidateBatch(
      a, b, options, batch_pairs,
      [&](const CandidatePairs& batch) {
        if (batch.empty()) return absl::InternalError("an empty batch");
        sizes->push_back(batch.size());
        for (std::size_t i = 0; i < batch.size(); ++i) {
          all.push_back(batch.left[i], batch.right[i], batch.score[i]);
        }
        return absl::OkStatus();
      },
      stats);
  if (!status.ok()) return status;
  return all;
}

TEST(ForEachCandidateBatchTest, BatchesJoinToFindCandidatesForAnyThreadCount) {
  std::mt19937_64 rng(5);
  BitMatrix a = RandomMatrix(1000, 512, 0.5, rng);
  BitMatrix b = NearCopies(a, 1200, 30, rng);
  for (bool same : {false, true}) {
    const BitMatrix& right = same ? a : b;
    const CandidateOptions options{.threshold = 0.55, .same_dataset = same, .threads = 1};
    CandidateStats expected_stats;
    auto expected = FindCandidates(a, right, options, &expected_stats);
    ASSERT_TRUE(expected.ok());
    ASSERT_GT(expected->size(), 5000u);
    std::vector<std::size_t> first_sizes;
    for (std::uint64_t batch :
         {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{3000}, std::uint64_t{1} << 30}) {
      for (int threads : {1, 2, 3}) {
        CandidateOptions with = options;
        with.threads = threads;
        std::vector<std::size_t> sizes;
        CandidateStats stats;
        auto got = Batches(a, right, with, batch, &sizes, &stats);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_EQ(got->left, expected->left) << batch << " " << threads;
        EXPECT_EQ(got->right, expected->right) << batch << " " << threads;
        EXPECT_EQ(got->score, expected->score) << batch << " " << threads;
        EXPECT_EQ(stats.candidates, expected->size());
        EXPECT_EQ(stats.comparisons, expected_stats.comparisons);
        EXPECT_EQ(stats.pairs, expected_stats.pairs);
        if (batch == 1u << 30) {
          EXPECT_EQ(sizes.size(), 1u);
        }
        if (batch == 3000) {
          EXPECT_GT(sizes.size(), 2u);
          // A batch stops once it holds batch_pairs, so a few tiles more at most.
          for (std::size_t n : sizes) EXPECT_LT(n, 3000u + 3 * 64 * 1200);
        }
      }
    }
  }
}

TEST(ForEachCandidateBatchTest, StopsOnTheSinksErrorAndRefusesWhatItCannotStream) {
  std::mt19937_64 rng(6);
  BitMatrix a = RandomMatrix(500, 256, 0.5, rng);
  int calls = 0;
  EXPECT_THAT(ForEachCandidateBatch(a, a, {.threshold = 0.4, .threads = 2}, 100,
                                    [&](const CandidatePairs&) {
                                      ++calls;
                                      return absl::DataLossError("the sink gave up");
                                    }),
              StatusIs(StatusCode::kDataLoss, "the sink gave up"));
  EXPECT_EQ(calls, 1);
  const CandidateSink ignore = [](const CandidatePairs&) { return absl::OkStatus(); };
  EXPECT_THAT(ForEachCandidateBatch(a, a, {.threshold = 0.4, .top_k = 2}, 100, ignore),
              StatusIs(StatusCode::kInvalidArgument, "top_k 0"));
  EXPECT_THAT(
      ForEachCandidateBatch(a, a, {.threshold = 0.4, .blocking = Blocking::kLsh}, 100, ignore),
      StatusIs(StatusCode::kInvalidArgument, "exhaustive"));
  EXPECT_THAT(ForEachCandidateBatch(a, a, {.threshold = 0.4, .max_candidates = 1000}, 100, ignore),
              StatusIs(StatusCode::kResourceExhausted, "found more than 1000 candidate pairs"));
  int polls = 0;
  EXPECT_THAT(ForEachCandidateBatch(
                  a, a, {.threshold = 0.4, .threads = 1, .cancelled = [&] { return ++polls >= 2; }},
                  100, ignore),
              StatusIs(StatusCode::kCancelled, "cancelled"));
}

}  // namespace
}  // namespace bloomlink::match
