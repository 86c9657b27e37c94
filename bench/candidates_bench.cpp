// Candidate search throughput (FindCandidates: kernels + Dice threshold + output), one thread and
// all threads, in comparisons per second.
//
//   build/bench/bloomlink_bench --benchmark_filter=FindCandidates --benchmark_min_time=2
//
// BM_FindCandidates/kernel:K/bits:B/targets:N/threads:T: 4,096 query filters against N target
// filters of B bits, all random with density 0.5 (popcounts within a few percent of B/2, so the
// popcount pruning rules out almost nothing and the search is effectively exhaustive), threshold
// 0.95 (random pairs score about 0.5: few candidates, so this times the comparisons, not the
// output). comparisons_per_s counts the pairs whose intersection was computed. 4,096 targets fit
// in cache; 200,000 (25 or 50 MiB) do not. K: 0 scalar, 1 avx2, 2 avx512.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>

#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/match/candidates.hpp"

namespace bloomlink {
namespace {

const BitMatrix& RandomFilters(std::size_t rows, std::size_t bits, std::uint64_t seed) {
  static std::map<std::tuple<std::size_t, std::size_t, std::uint64_t>, std::unique_ptr<BitMatrix>>
      cache;
  auto& slot = cache[{rows, bits, seed}];
  if (!slot) {
    slot = std::make_unique<BitMatrix>(rows, bits);
    std::mt19937_64 rng(seed);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t w = 0; w < slot->words_per_row(); ++w) slot->row_words(r)[w] = rng();
    }
    slot->UpdatePopcounts();
  }
  return *slot;
}

void BM_FindCandidates(benchmark::State& state) {
  const auto isa = static_cast<match::KernelIsa>(state.range(0));
  const match::KernelTable* kernel = match::KernelFor(isa);
  if (kernel == nullptr) {
    state.SkipWithError("kernel not supported on this CPU");
    return;
  }
  const auto bits = static_cast<std::size_t>(state.range(1));
  const auto targets = static_cast<std::size_t>(state.range(2));
  const int threads = static_cast<int>(state.range(3));
  const BitMatrix& a = RandomFilters(4096, bits, 1);
  const BitMatrix& b = RandomFilters(targets, bits, 2);
  match::CandidateOptions options{.threshold = 0.95, .threads = threads, .kernel = kernel};
  std::uint64_t comparisons = 0, candidates = 0;
  for (auto _ : state) {
    match::CandidateStats stats;
    auto pairs = match::FindCandidates(a, b, options, &stats);
    if (!pairs.ok()) {
      state.SkipWithError(std::string(pairs.status().message()).c_str());
      return;
    }
    comparisons += stats.comparisons;
    candidates += stats.candidates;
    benchmark::DoNotOptimize(pairs->left.data());
  }
  state.counters["comparisons_per_s"] =
      benchmark::Counter(static_cast<double>(comparisons), benchmark::Counter::kIsRate);
  state.counters["pruned_share"] =
      1.0 - static_cast<double>(comparisons) /
                (static_cast<double>(state.iterations()) * 4096.0 * static_cast<double>(targets));
  state.counters["candidates"] = static_cast<double>(candidates) / static_cast<double>(state.iterations());
  state.SetLabel(std::string(kernel->name));
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"kernel", "bits", "targets", "threads"});
  for (int isa : {2, 1, 0}) {
    for (int bits : {1024, 2048}) {
      for (int targets : {4096, 200000}) {
        if (isa == 0 && targets > 4096) continue;  // the scalar reference is slow; in cache only
        for (int threads : {1, 2}) b->Args({isa, bits, targets, threads});
      }
    }
  }
}

BENCHMARK(BM_FindCandidates)->Apply(Args)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace bloomlink
