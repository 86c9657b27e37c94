#include "bloomlink/solve/one_to_one.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "solve/greedy_loads.hpp"
#include "test_support.hpp"

namespace bloomlink::solve {
namespace {

using ::bloomlink::testing::StatusIs;
using match::CandidatePairs;

// Triple: one pair as plain values, for comparisons with readable failure output.
using Triple = std::tuple<std::uint32_t, std::uint32_t, float>;

std::vector<Triple> Triples(const CandidatePairs& c) {
  std::vector<Triple> out;
  for (std::size_t i = 0; i < c.size(); ++i) out.emplace_back(c.left[i], c.right[i], c.score[i]);
  return out;
}

CandidatePairs Pairs(const std::vector<Triple>& triples) {
  CandidatePairs c;
  for (const auto& [l, r, s] : triples) c.push_back(l, r, s);
  return c;
}

// OutputOrder(a, b): score descending, then left, then right ascending.
bool OutputOrder(const Triple& a, const Triple& b) {
  if (std::get<2>(a) != std::get<2>(b)) return std::get<2>(a) > std::get<2>(b);
  if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) < std::get<0>(b);
  return std::get<1>(a) < std::get<1>(b);
}

// Distinct(c): repeated pairs once with their highest score, in the output order.
std::vector<Triple> Distinct(const CandidatePairs& c) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, float> best;
  for (std::size_t i = 0; i < c.size(); ++i) {
    auto [it, inserted] = best.try_emplace({c.left[i], c.right[i]}, c.score[i]);
    if (!inserted) it->second = std::max(it->second, c.score[i]);
  }
  std::vector<Triple> out;
  for (const auto& [lr, s] : best) out.emplace_back(lr.first, lr.second, s);
  std::sort(out.begin(), out.end(), OutputOrder);
  return out;
}

// NaiveGreedy: sort every distinct pair by the output order and take it when both ends are free.
std::vector<Triple> NaiveGreedy(const CandidatePairs& c, std::size_t nl, std::size_t nr) {
  std::vector<bool> left_used(nl), right_used(nr);
  std::vector<Triple> out;
  for (const Triple& t : Distinct(c)) {
    const auto [l, r, s] = t;
    if (left_used[l] || right_used[r]) continue;
    left_used[l] = right_used[r] = true;
    out.push_back(t);
  }
  return out;
}

// NaiveMutual: each record's best candidate by (score, then smaller index), kept when mutual.
std::vector<Triple> NaiveMutual(const CandidatePairs& c, std::size_t nl, std::size_t nr) {
  const std::vector<Triple> d = Distinct(c);
  // d is in output order, so the first pair seen for a record is its best.
  std::vector<int> best_left(nl, -1), best_right(nr, -1);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const auto [l, r, s] = d[i];
    if (best_left[l] < 0) best_left[l] = static_cast<int>(i);
    if (best_right[r] < 0) best_right[r] = static_cast<int>(i);
  }
  std::vector<Triple> out;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const auto [l, r, s] = d[i];
    if (best_left[l] == static_cast<int>(i) && best_right[r] == static_cast<int>(i)) {
      out.push_back(d[i]);
    }
  }
  return out;
}

std::int64_t Weight(float s) { return std::llround(static_cast<double>(s) * 1073741824.0); }

std::int64_t TotalWeight(const std::vector<Triple>& pairs) {
  std::int64_t total = 0;
  for (const auto& [l, r, s] : pairs) total += Weight(s);
  return total;
}

// BruteForceBest: the largest total weight of any matching, by enumerating all of them.
std::int64_t BruteForceBest(const std::vector<Triple>& distinct, std::size_t nl, std::size_t nr) {
  std::vector<std::vector<std::pair<std::uint32_t, std::int64_t>>> adj(nl);
  for (const auto& [l, r, s] : distinct) adj[l].emplace_back(r, Weight(s));
  std::vector<bool> used(nr);
  std::function<std::int64_t(std::size_t)> go = [&](std::size_t l) -> std::int64_t {
    if (l == nl) return 0;
    std::int64_t best = go(l + 1);  // l unmatched
    for (const auto& [r, w] : adj[l]) {
      if (used[r]) continue;
      used[r] = true;
      best = std::max(best, w + go(l + 1));
      used[r] = false;
    }
    return best;
  };
  return go(0);
}

// HungarianBest: the largest total weight of a matching, by the O(n^3) assignment algorithm on
// the square matrix padded with weight 0 (an independent check for components too big to
// enumerate).
std::int64_t HungarianBest(const std::vector<Triple>& distinct, std::size_t nl, std::size_t nr) {
  const std::size_t n = std::max(nl, nr);
  // cost[i][j] = -weight, 1-based with row/column 0 as the virtual start.
  std::vector<std::vector<std::int64_t>> cost(n + 1, std::vector<std::int64_t>(n + 1, 0));
  for (const auto& [l, r, s] : distinct) cost[l + 1][r + 1] = -Weight(s);
  const std::int64_t inf = std::numeric_limits<std::int64_t>::max() / 4;
  std::vector<std::int64_t> u(n + 1), v(n + 1);
  std::vector<std::size_t> row_of_col(n + 1), way(n + 1);
  for (std::size_t i = 1; i <= n; ++i) {
    row_of_col[0] = i;
    std::size_t col = 0;
    std::vector<std::int64_t> slack(n + 1, inf);
    std::vector<bool> visited(n + 1, false);
    do {
      visited[col] = true;
      const std::size_t row = row_of_col[col];
      std::int64_t delta = inf;
      std::size_t next = 0;
      for (std::size_t j = 1; j <= n; ++j) {
        if (visited[j]) continue;
        const std::int64_t reduced = cost[row][j] - u[row] - v[j];
        if (reduced < slack[j]) {
          slack[j] = reduced;
          way[j] = col;
        }
        if (slack[j] < delta) {
          delta = slack[j];
          next = j;
        }
      }
      for (std::size_t j = 0; j <= n; ++j) {
        if (visited[j]) {
          u[row_of_col[j]] += delta;
          v[j] -= delta;
        } else {
          slack[j] -= delta;
        }
      }
      col = next;
    } while (row_of_col[col] != 0);
    do {
      const std::size_t prev = way[col];
      row_of_col[col] = row_of_col[prev];
      col = prev;
    } while (col != 0);
  }
  std::int64_t total = 0;
  for (std::size_t j = 1; j <= n; ++j) total -= cost[row_of_col[j]][j];
  return total;
}

// ExpectValidMatching: ordered, one pair per record, every pair a candidate with its best score.
void ExpectValidMatching(const std::vector<Triple>& got, const CandidatePairs& c) {
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end(), OutputOrder));
  std::map<std::pair<std::uint32_t, std::uint32_t>, float> best;
  for (const Triple& t : Distinct(c)) best[{std::get<0>(t), std::get<1>(t)}] = std::get<2>(t);
  std::map<std::uint32_t, int> left_uses, right_uses;
  for (const auto& [l, r, s] : got) {
    auto it = best.find({l, r});
    ASSERT_NE(it, best.end()) << "(" << l << ", " << r << ") is not a candidate";
    EXPECT_EQ(it->second, s);
    EXPECT_EQ(++left_uses[l], 1) << "left " << l << " matched twice";
    EXPECT_EQ(++right_uses[r], 1) << "right " << r << " matched twice";
  }
}

// RandomCandidates: `n` pairs over nl x nr records; scores drawn from `levels` distinct values in
// [0.7, 1] (few levels = many ties), with some pairs repeated under other scores.
CandidatePairs RandomCandidates(std::mt19937_64& rng, std::size_t nl, std::size_t nr, std::size_t n,
                                int levels) {
  std::uniform_int_distribution<std::uint32_t> left(0, static_cast<std::uint32_t>(nl - 1));
  std::uniform_int_distribution<std::uint32_t> right(0, static_cast<std::uint32_t>(nr - 1));
  std::uniform_int_distribution<int> level(0, levels - 1);
  CandidatePairs c;
  for (std::size_t i = 0; i < n; ++i) {
    const float s = 0.7f + 0.3f * static_cast<float>(level(rng)) / static_cast<float>(levels);
    c.push_back(left(rng), right(rng), s);
  }
  return c;
}

CandidatePairs Shuffled(const CandidatePairs& c, std::mt19937_64& rng) {
  std::vector<Triple> t = Triples(c);
  std::shuffle(t.begin(), t.end(), rng);
  return Pairs(t);
}

std::vector<Triple> Solve(const CandidatePairs& c, OneToOne method, std::size_t nl,
                          std::size_t nr) {
  absl::StatusOr<CandidatePairs> result = SolveOneToOne(c, method, nl, nr);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return {};
  return Triples(*result);
}

constexpr OneToOne kAllMethods[] = {OneToOne::kNone, OneToOne::kGreedy, OneToOne::kOptimal,
                                    OneToOne::kMutual};

TEST(OneToOneNameTest, ParsesEveryNameBack) {
  for (OneToOne m : kAllMethods) {
    absl::StatusOr<OneToOne> parsed = ParseOneToOne(OneToOneName(m));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(OneToOneName(OneToOne::kGreedy), "greedy");
  EXPECT_EQ(OneToOneName(OneToOne::kOptimal), "optimal");
  EXPECT_EQ(OneToOneName(OneToOne::kMutual), "mutual");
  EXPECT_EQ(OneToOneName(OneToOne::kNone), "none");
}

TEST(OneToOneNameTest, UnknownNameListsTheChoices) {
  EXPECT_THAT(ParseOneToOne("hungarian"),
              StatusIs(absl::StatusCode::kInvalidArgument, "none, greedy, optimal or mutual"));
  EXPECT_THAT(ParseOneToOne("Greedy"), StatusIs(absl::StatusCode::kInvalidArgument, "\"Greedy\""));
  EXPECT_THAT(ParseOneToOne(""), StatusIs(absl::StatusCode::kInvalidArgument, "unknown"));
}

TEST(OneToOneValidationTest, RejectsBadInputNamingThePair) {
  for (OneToOne m : kAllMethods) {
    SCOPED_TRACE(OneToOneName(m));
    CandidatePairs c = Pairs({{0, 0, 0.9f}, {1, 1, 0.8f}, {2, 1, 0.7f}});
    EXPECT_TRUE(SolveOneToOne(c, m, 3, 2).ok());
    EXPECT_THAT(SolveOneToOne(c, m, 2, 2),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "candidate pair 2: left index 2 is not below the left record count 2"));
    EXPECT_THAT(SolveOneToOne(c, m, 3, 1),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "candidate pair 1: right index 1 is not below the right record count 1"));
    CandidatePairs bad = c;
    bad.score[1] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_THAT(SolveOneToOne(bad, m, 3, 2),
                StatusIs(absl::StatusCode::kInvalidArgument, "candidate pair 1: score is NaN"));
    bad.score[1] = std::numeric_limits<float>::infinity();
    EXPECT_THAT(SolveOneToOne(bad, m, 3, 2), StatusIs(absl::StatusCode::kInvalidArgument,
                                                      "candidate pair 1: score is infinite"));
    bad.score[1] = -0.25f;
    EXPECT_THAT(SolveOneToOne(bad, m, 3, 2), StatusIs(absl::StatusCode::kInvalidArgument,
                                                      "candidate pair 1: score -0.25 is negative"));
    bad = c;
    bad.right.pop_back();
    EXPECT_THAT(SolveOneToOne(bad, m, 3, 2),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "arrays differ in length (left 3, right 2, score 3)"));
    // Any index is out of range when there are no records.
    EXPECT_THAT(SolveOneToOne(c, m, 0, 0),
                StatusIs(absl::StatusCode::kInvalidArgument, "candidate pair 0: left index 0"));
  }
}

TEST(OneToOneTest, EmptyInputGivesEmptyOutput) {
  for (OneToOne m : kAllMethods) {
    EXPECT_TRUE(Solve(CandidatePairs{}, m, 0, 0).empty());
    EXPECT_TRUE(Solve(CandidatePairs{}, m, 10, 10).empty());
  }
}

TEST(OneToOneTest, ZeroAndNegativeZeroScoresAreAccepted) {
  CandidatePairs c = Pairs({{0, 0, -0.0f}, {1, 1, 0.0f}, {1, 0, 0.5f}});
  EXPECT_EQ(Solve(c, OneToOne::kNone, 2, 2),
            (std::vector<Triple>{{1, 0, 0.5f}, {0, 0, 0.0f}, {1, 1, 0.0f}}));
  EXPECT_EQ(Solve(c, OneToOne::kGreedy, 2, 2), (std::vector<Triple>{{1, 0, 0.5f}}));
  // Weight-0 pairs add nothing, so the optimal matching leaves them out.
  EXPECT_EQ(Solve(c, OneToOne::kOptimal, 2, 2), (std::vector<Triple>{{1, 0, 0.5f}}));
  EXPECT_EQ(Solve(c, OneToOne::kMutual, 2, 2), (std::vector<Triple>{{1, 0, 0.5f}}));
}

TEST(OneToOneTest, NoneKeepsEveryDistinctPairInOrder) {
  CandidatePairs c =
      Pairs({{2, 0, 0.8f}, {0, 1, 0.9f}, {1, 1, 0.8f}, {2, 0, 0.95f}, {0, 0, 0.8f}, {0, 1, 0.5f}});
  EXPECT_EQ(Solve(c, OneToOne::kNone, 3, 2),
            (std::vector<Triple>{{2, 0, 0.95f}, {0, 1, 0.9f}, {0, 0, 0.8f}, {1, 1, 0.8f}}));
}

TEST(OneToOneTest, GreedyHandExample) {
  // The best pair (0, 0) blocks (0, 1) and (1, 0); then (1, 1) is free; (2, 1) loses to it.
  CandidatePairs c =
      Pairs({{0, 1, 0.85f}, {1, 0, 0.9f}, {0, 0, 0.95f}, {1, 1, 0.8f}, {2, 1, 0.8f}, {2, 2, 0.1f}});
  EXPECT_EQ(Solve(c, OneToOne::kGreedy, 3, 3),
            (std::vector<Triple>{{0, 0, 0.95f}, {1, 1, 0.8f}, {2, 2, 0.1f}}));
}

TEST(OneToOneTest, GreedyBreaksTiesByLeftThenRight) {
  CandidatePairs c = Pairs({{1, 0, 0.9f}, {0, 1, 0.9f}, {0, 0, 0.9f}, {1, 1, 0.9f}});
  EXPECT_EQ(Solve(c, OneToOne::kGreedy, 2, 2), (std::vector<Triple>{{0, 0, 0.9f}, {1, 1, 0.9f}}));
  // Left 0's candidates tie: it takes the smaller right, leaving right 2 for left 1.
  c = Pairs({{0, 2, 0.9f}, {0, 1, 0.9f}, {1, 1, 0.5f}, {1, 2, 0.4f}});
  EXPECT_EQ(Solve(c, OneToOne::kGreedy, 2, 3), (std::vector<Triple>{{0, 1, 0.9f}, {1, 2, 0.4f}}));
}

TEST(OneToOneTest, RepeatedPairsCountOnceWithTheirBestScore) {
  CandidatePairs c = Pairs({{0, 0, 0.7f}, {0, 0, 0.99f}, {1, 0, 0.9f}, {0, 0, 0.8f}});
  for (OneToOne m : {OneToOne::kGreedy, OneToOne::kOptimal, OneToOne::kMutual}) {
    EXPECT_EQ(Solve(c, m, 2, 1), (std::vector<Triple>{{0, 0, 0.99f}})) << OneToOneName(m);
  }
  EXPECT_EQ(Solve(c, OneToOne::kNone, 2, 1), (std::vector<Triple>{{0, 0, 0.99f}, {1, 0, 0.9f}}));
}

TEST(OneToOneTest, OptimalBeatsGreedyOnAPath) {
  // Greedy takes (0, 0) = 0.9 and strands both others; optimal takes 0.8 + 0.8.
  CandidatePairs c = Pairs({{0, 0, 0.9f}, {0, 1, 0.8f}, {1, 0, 0.8f}});
  EXPECT_EQ(Solve(c, OneToOne::kGreedy, 2, 2), (std::vector<Triple>{{0, 0, 0.9f}}));
  EXPECT_EQ(Solve(c, OneToOne::kOptimal, 2, 2), (std::vector<Triple>{{0, 1, 0.8f}, {1, 0, 0.8f}}));
}

TEST(OneToOneTest, OptimalPrefersWeightOverCardinality) {
  // Two pairs (0.3 + 0.3) weigh less than the one pair 0.9.
  CandidatePairs c = Pairs({{0, 0, 0.9f}, {0, 1, 0.3f}, {1, 0, 0.3f}});
  EXPECT_EQ(Solve(c, OneToOne::kOptimal, 2, 2), (std::vector<Triple>{{0, 0, 0.9f}}));
}

TEST(OneToOneTest, OptimalStarsTakeTheBestEdgeWithSmallestIndexOnTies) {
  // Around one left, and around one right; plus an isolated pair.
  CandidatePairs c = Pairs({{0, 5, 0.8f},
                            {0, 3, 0.9f},
                            {0, 4, 0.9f},
                            {7, 9, 0.6f},
                            {4, 9, 0.6f},
                            {6, 9, 0.5f},
                            {9, 0, 0.2f}});
  EXPECT_EQ(Solve(c, OneToOne::kOptimal, 10, 10),
            (std::vector<Triple>{{0, 3, 0.9f}, {4, 9, 0.6f}, {9, 0, 0.2f}}));
}

TEST(OneToOneTest, MutualHandExample) {
  // 0 and 0 choose each other; left 1's best is right 0 (taken by a better left): no pair;
  // right 1's best is left 1 but left 1 prefers right 0. Left 2 / right 2 tie-break by index.
  CandidatePairs c =
      Pairs({{0, 0, 0.95f}, {1, 0, 0.9f}, {1, 1, 0.8f}, {2, 2, 0.7f}, {2, 3, 0.7f}, {3, 2, 0.7f}});
  EXPECT_EQ(Solve(c, OneToOne::kMutual, 4, 4), (std::vector<Triple>{{0, 0, 0.95f}, {2, 2, 0.7f}}));
}

TEST(OneToOneTest, OutputDoesNotDependOnInputOrder) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    const CandidatePairs c = RandomCandidates(rng, 30, 25, 200, 4);
    for (OneToOne m : kAllMethods) {
      EXPECT_EQ(Solve(c, m, 30, 25), Solve(Shuffled(c, rng), m, 30, 25)) << OneToOneName(m);
    }
  }
}

TEST(OneToOneTest, GreedyEqualsSortBasedGreedyOnRandomCandidates) {
  std::mt19937_64 rng(1);
  int checked = 0;
  for (int round = 0; round < 600; ++round) {
    const std::size_t nl = 1 + rng() % 40;
    const std::size_t nr = 1 + rng() % 40;
    const std::size_t n = rng() % (3 * nl * nr / 2 + 2);
    const int levels = std::array<int, 4>{1, 2, 5, 1000}[rng() % 4];
    const CandidatePairs c = RandomCandidates(rng, nl, nr, n, levels);
    ASSERT_EQ(Solve(c, OneToOne::kGreedy, nl, nr), NaiveGreedy(c, nl, nr))
        << "round " << round << " nl " << nl << " nr " << nr << " n " << n;
    ++checked;
  }
  // A larger instance, dense enough that records propose and get released many times.
  const CandidatePairs big = RandomCandidates(rng, 700, 500, 120000, 30);
  EXPECT_EQ(Solve(big, OneToOne::kGreedy, 700, 500), NaiveGreedy(big, 700, 500));
  EXPECT_EQ(checked, 600);
}

TEST(OneToOneTest, GreedyEqualsSortBasedGreedyWhateverTheLoadingSchedule) {
  // Tiny quotas and few partial loads force lefts to run out of loaded candidates, wait, be
  // loaded again, and finally take everything at once (into a reserve while still matched).
  const solve_internal::GreedyLoadOptions schedules[] = {{1, 1, 0, 1u << 30},   {1, 1, 1, 1u << 30},
                                                         {1, 2, 2, 1u << 30},   {1, 2, 3, 1u << 30},
                                                         {2, 3, 100, 1u << 30}, {1, 2, 4, 4}};
  std::mt19937_64 rng(11);
  int final_loads = 0, several_loads = 0;
  for (int round = 0; round < 400; ++round) {
    const std::size_t nl = 1 + rng() % 30;
    const std::size_t nr = 1 + rng() % 30;
    const std::size_t n = rng() % (2 * nl * nr + 2);
    const int levels = std::array<int, 4>{1, 2, 5, 1000}[rng() % 4];
    const CandidatePairs c = RandomCandidates(rng, nl, nr, n, levels);
    const std::vector<Triple> expected = NaiveGreedy(c, nl, nr);
    for (const solve_internal::GreedyLoadOptions& options : schedules) {
      absl::StatusOr<solve_internal::GreedyResult> got =
          solve_internal::SolveGreedyWithOptions(c, nl, nr, options);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(Triples(got->pairs), expected)
          << "round " << round << " first quota " << options.first_quota << " growth "
          << options.quota_growth << " partial loads " << options.max_partial_loads;
      final_loads += got->loads == options.max_partial_loads + 1;
      several_loads += got->loads > 2;
    }
  }
  // The schedules did reach the paths they are meant to exercise.
  EXPECT_GT(final_loads, 200);
  EXPECT_GT(several_loads, 200);
}

TEST(OneToOneTest, GreedyLoadOptionsMustBePositive) {
  EXPECT_THAT(solve_internal::SolveGreedyWithOptions(CandidatePairs{}, 1, 1, {0, 4, 16, 16}),
              StatusIs(absl::StatusCode::kInvalidArgument, "must be positive"));
}

TEST(OneToOneTest, NoneEqualsSortedDistinctPairs) {
  std::mt19937_64 rng(2);
  for (int round = 0; round < 200; ++round) {
    const std::size_t nl = 1 + rng() % 30;
    const std::size_t nr = 1 + rng() % 30;
    const CandidatePairs c = RandomCandidates(rng, nl, nr, rng() % 600, 1 + rng() % 8);
    ASSERT_EQ(Solve(c, OneToOne::kNone, nl, nr), Distinct(c)) << "round " << round;
  }
  // Enough pairs and distinct scores for every radix digit to matter.
  CandidatePairs big;
  std::uniform_real_distribution<float> score(0.0f, 1.0f);
  for (int i = 0; i < 200000; ++i) big.push_back(rng() % 900, rng() % 800, score(rng));
  EXPECT_EQ(Solve(big, OneToOne::kNone, 900, 800), Distinct(big));
}

TEST(OneToOneTest, MutualEqualsNaiveMutual) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 300; ++round) {
    const std::size_t nl = 1 + rng() % 30;
    const std::size_t nr = 1 + rng() % 30;
    const CandidatePairs c = RandomCandidates(rng, nl, nr, rng() % 500, 1 + rng() % 6);
    ASSERT_EQ(Solve(c, OneToOne::kMutual, nl, nr), NaiveMutual(c, nl, nr)) << "round " << round;
  }
}

TEST(OneToOneTest, OptimalMatchesBruteForceOnSmallGraphs) {
  std::mt19937_64 rng(4);
  int beat_greedy = 0;
  for (int round = 0; round < 1500; ++round) {
    const std::size_t nl = 1 + rng() % 7;
    const std::size_t nr = 1 + rng() % 7;
    const std::size_t n = rng() % (nl * nr + 4);
    CandidatePairs c;
    const int levels = std::array<int, 3>{2, 4, 1 << 20}[rng() % 3];
    for (std::size_t i = 0; i < n; ++i) {
      // Scores in [0, 1], exactly 1 and 0 included, coarse levels for many tied totals.
      const float s = static_cast<float>(rng() % (levels + 1)) / static_cast<float>(levels);
      c.push_back(static_cast<std::uint32_t>(rng() % nl), static_cast<std::uint32_t>(rng() % nr),
                  s);
    }
    const std::vector<Triple> got = Solve(c, OneToOne::kOptimal, nl, nr);
    SCOPED_TRACE(::testing::Message() << "round " << round);
    ExpectValidMatching(got, c);
    const std::int64_t total = TotalWeight(got);
    ASSERT_EQ(total, BruteForceBest(Distinct(c), nl, nr));
    const std::int64_t greedy = TotalWeight(Solve(c, OneToOne::kGreedy, nl, nr));
    ASSERT_GE(total, greedy);
    beat_greedy += total > greedy;
    for (const auto& [l, r, s] : got) EXPECT_GT(Weight(s), 0);
    // Deterministic whatever the input order.
    ASSERT_EQ(Solve(Shuffled(c, rng), OneToOne::kOptimal, nl, nr), got);
  }
  EXPECT_GT(beat_greedy, 50);  // the tests include cases where greedy is not optimal
}

TEST(OneToOneTest, OptimalMatchesTheAssignmentAlgorithmOnLargerComponents) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 40; ++round) {
    const std::size_t nl = 20 + rng() % 60;
    const std::size_t nr = 20 + rng() % 60;
    // From very sparse (many components, paths, stars) to dense (one big component).
    const std::size_t n = (nl + nr) * (1 + rng() % 12) / 2;
    const int levels = std::array<int, 3>{3, 20, 1 << 22}[rng() % 3];
    const CandidatePairs c = RandomCandidates(rng, nl, nr, n, levels);
    const std::vector<Triple> got = Solve(c, OneToOne::kOptimal, nl, nr);
    SCOPED_TRACE(::testing::Message() << "round " << round << " nl " << nl << " nr " << nr);
    ExpectValidMatching(got, c);
    ASSERT_EQ(TotalWeight(got), HungarianBest(Distinct(c), nl, nr));
    ASSERT_GE(TotalWeight(got), TotalWeight(Solve(c, OneToOne::kGreedy, nl, nr)));
  }
}

TEST(OneToOneTest, OptimalOnACompleteGraphOfEqualScoresMatchesEveryone) {
  CandidatePairs c;
  for (std::uint32_t l = 0; l < 12; ++l) {
    for (std::uint32_t r = 0; r < 9; ++r) c.push_back(l, r, 0.75f);
  }
  const std::vector<Triple> got = Solve(c, OneToOne::kOptimal, 12, 9);
  ExpectValidMatching(got, c);
  EXPECT_EQ(got.size(), 9u);
}

TEST(OneToOneTest, ScoresAboveOneAreRescaledNotOverflowed) {
  // The contract allows any finite non-negative score (e.g. match weights, not Dice).
  CandidatePairs c = Pairs({{0, 0, 4.0f}, {0, 1, 3.0f}, {1, 0, 3.0f}, {2, 2, 1.0f}});
  EXPECT_EQ(Solve(c, OneToOne::kOptimal, 3, 3),
            (std::vector<Triple>{{0, 1, 3.0f}, {1, 0, 3.0f}, {2, 2, 1.0f}}));
  c = Pairs({{0, 0, 3.0e38f}, {0, 1, 2.0e38f}, {1, 0, 2.0e38f}});
  EXPECT_EQ(Solve(c, OneToOne::kOptimal, 2, 2),
            (std::vector<Triple>{{0, 1, 2.0e38f}, {1, 0, 2.0e38f}}));
}

// Within one dataset (deduplication): pairs are unordered, each record in at most one kept pair.
std::vector<Triple> SolveWithin(const CandidatePairs& c, OneToOne method, std::size_t n) {
  auto r = SolveOneToOneWithin(c, method, n);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? Triples(*r) : std::vector<Triple>{};
}

TEST(OneToOneWithinTest, NoneOrdersEachPairAndDropsRepeats) {
  CandidatePairs c = Pairs({{2, 0, 0.8f}, {0, 2, 0.9f}, {1, 3, 0.7f}, {3, 1, 0.7f}});
  EXPECT_EQ(SolveWithin(c, OneToOne::kNone, 4), (std::vector<Triple>{{0, 2, 0.9f}, {1, 3, 0.7f}}));
}

TEST(OneToOneWithinTest, GreedyUsesEachRecordOnceOnEitherSide) {
  // Record 1 is the right of the best pair and the left of the next: only the best is kept.
  // Bipartite greedy would keep both (1 as a right, then 1 as a left).
  CandidatePairs c = Pairs({{0, 1, 0.95f}, {1, 2, 0.9f}, {2, 3, 0.85f}, {0, 3, 0.5f}});
  EXPECT_EQ(SolveWithin(c, OneToOne::kGreedy, 4),
            (std::vector<Triple>{{0, 1, 0.95f}, {2, 3, 0.85f}}));
  auto bipartite = SolveOneToOne(c, OneToOne::kGreedy, 4, 4);
  ASSERT_TRUE(bipartite.ok());
  EXPECT_EQ(bipartite->size(), 3u);
  // Ties: by left, then right.
  c = Pairs({{1, 2, 0.9f}, {0, 2, 0.9f}, {0, 1, 0.9f}});
  EXPECT_EQ(SolveWithin(c, OneToOne::kGreedy, 3), (std::vector<Triple>{{0, 1, 0.9f}}));
}

TEST(OneToOneWithinTest, MutualKeepsPairsOfEachOthersBest) {
  // 0's best is 1 and 1's best is 0; 2's best is 1 (not mutual); 3 and 4 pick each other.
  CandidatePairs c = Pairs({{0, 1, 0.9f}, {1, 2, 0.8f}, {3, 4, 0.6f}, {2, 3, 0.5f}, {0, 2, 0.7f}});
  EXPECT_EQ(SolveWithin(c, OneToOne::kMutual, 5),
            (std::vector<Triple>{{0, 1, 0.9f}, {3, 4, 0.6f}}));
}

TEST(OneToOneWithinTest, RandomInputsKeepEveryRecordOnceAndMatchABruteForceGreedy) {
  std::mt19937_64 rng(77);
  for (int trial = 0; trial < 50; ++trial) {
    const std::uint32_t n = 2 + static_cast<std::uint32_t>(rng() % 40);
    CandidatePairs c;
    const std::size_t m = rng() % 200;
    for (std::size_t i = 0; i < m; ++i) {
      const std::uint32_t l = static_cast<std::uint32_t>(rng() % n);
      std::uint32_t r = static_cast<std::uint32_t>(rng() % n);
      if (r == l) r = (r + 1) % n;
      c.push_back(l, r, static_cast<float>(rng() % 16) / 16.0f);
    }
    for (OneToOne method : {OneToOne::kGreedy, OneToOne::kMutual}) {
      std::vector<Triple> kept = SolveWithin(c, method, n);
      std::vector<int> uses(n, 0);
      for (const auto& [l, r, s] : kept) {
        EXPECT_LT(l, r);
        ++uses[l];
        ++uses[r];
      }
      for (int u : uses) EXPECT_LE(u, 1);
      EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end(), OutputOrder));
    }
    // Brute-force greedy: distinct unordered pairs (best score each) in output order, taken
    // while both records are free.
    std::map<std::pair<std::uint32_t, std::uint32_t>, float> best;
    for (std::size_t i = 0; i < c.size(); ++i) {
      const auto key = std::minmax(c.left[i], c.right[i]);
      auto [it, fresh] = best.emplace(key, c.score[i]);
      if (!fresh) it->second = std::max(it->second, c.score[i]);
    }
    std::vector<Triple> all;
    for (const auto& [key, s] : best) all.emplace_back(key.first, key.second, s);
    std::sort(all.begin(), all.end(), OutputOrder);
    std::vector<bool> used(n, false);
    std::vector<Triple> expected;
    for (const auto& [l, r, s] : all) {
      if (used[l] || used[r]) continue;
      used[l] = used[r] = true;
      expected.emplace_back(l, r, s);
    }
    EXPECT_EQ(SolveWithin(c, OneToOne::kGreedy, n), expected) << "trial " << trial;
  }
}

TEST(OneToOneWithinTest, RefusesSelfPairsAndOptimal) {
  EXPECT_THAT(SolveOneToOneWithin(Pairs({{0, 1, 0.9f}, {2, 2, 0.8f}}), OneToOne::kGreedy, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "candidate pair 1: record 2 is paired with itself"));
  EXPECT_THAT(SolveOneToOneWithin(Pairs({{0, 1, 0.9f}}), OneToOne::kOptimal, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, "use greedy, mutual or none"));
  EXPECT_THAT(SolveOneToOneWithin(Pairs({{0, 3, 0.9f}}), OneToOne::kNone, 3),
              StatusIs(absl::StatusCode::kInvalidArgument, "not below"));
}

}  // namespace
}  // namespace bloomlink::solve
