// One-to-one resolution time (SolveOneToOne) on all pairs of two datasets, the shape of
// `bloomlink link --threshold 0` or a loose threshold with --one-to-one none.
//
//   build/bench/bloomlink_bench --benchmark_filter=SolveOneToOne
//
// BM_SolveOneToOne/method:M/records:N: N x N candidate pairs in the order the candidate search
// emits them (by left record, then right), with Dice-like scores 2k / (|a| + |b|) for random
// popcounts around 500 of 1,024 bits, so ties are as common as in real Dice scores. M: 0 none,
// 1 greedy, 3 mutual (kOptimal on a complete bipartite graph is not its use case).
#include <benchmark/benchmark.h>

#include <map>
#include <random>

#include "bloomlink/match/candidate_pairs.hpp"
#include "bloomlink/solve/one_to_one.hpp"

namespace bloomlink {
namespace {

const match::CandidatePairs& AllPairs(std::uint32_t records) {
  static std::map<std::uint32_t, match::CandidatePairs> cache;
  match::CandidatePairs& pairs = cache[records];
  if (pairs.empty()) {
    std::mt19937_64 rng(7);
    std::binomial_distribution<int> popcount(1024, 0.49);
    pairs.reserve(std::size_t{records} * records);
    for (std::uint32_t l = 0; l < records; ++l) {
      for (std::uint32_t r = 0; r < records; ++r) {
        const int a = popcount(rng), b = popcount(rng);
        std::uniform_int_distribution<int> common(0, std::min(a, b));
        pairs.push_back(l, r, 2.0f * static_cast<float>(common(rng)) / static_cast<float>(a + b));
      }
    }
  }
  return pairs;
}

void BM_SolveOneToOne(benchmark::State& state) {
  const auto method = static_cast<solve::OneToOne>(state.range(0));
  const auto records = static_cast<std::uint32_t>(state.range(1));
  const match::CandidatePairs& pairs = AllPairs(records);
  std::size_t kept = 0;
  for (auto _ : state) {
    auto result = solve::SolveOneToOne(pairs, method, records, records);
    if (!result.ok()) {
      state.SkipWithError(std::string(result.status().message()).c_str());
      return;
    }
    kept = result->size();
    benchmark::DoNotOptimize(result->left.data());
  }
  state.counters["pairs_per_s"] = benchmark::Counter(
      static_cast<double>(pairs.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["kept"] = static_cast<double>(kept);
  state.SetLabel(std::string(solve::OneToOneName(method)));
}

BENCHMARK(BM_SolveOneToOne)
    ->ArgNames({"method", "records"})
    ->ArgsProduct({{0, 1, 3}, {1000, 5000}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace bloomlink
