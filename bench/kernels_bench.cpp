// AND-popcount kernel throughput: comparisons (query x target pairs) per second on one thread.
//
//   build/bench/bloomlink_bench --benchmark_filter='AndPopcount|Reference' --benchmark_min_time=1
//
// BM_AndPopcount/kernel:K/bits:B/targets:N runs 64 queries against N targets of B bits (random
// filters, each with its own density in [0.4, 0.6]) blocked the way the candidate driver blocks
// them: the targets in blocks of 256 groups (2,048 targets: 256 KiB at 1024 bits, 512 KiB at
// 2048, within L2), and each block against the 64 queries four per kernel call, one counts buffer
// reused. Only the kernel is timed (no Dice threshold, no pair output). 4,096 targets (0.5 or 1
// MiB) stay in cache; 500,000 (64 or 128 MiB, more than the L3) come from memory on every pass,
// once per block. K: 0 scalar, 1 avx2, 2 avx512 (an error where the build or the CPU lacks it).
//
// BM_ReferenceChain is a fixed chain of 1,000 dependent multiply-xor-shift steps: a yardstick of
// the VM's speed during the same run (it varies with other tenants).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bloomlink/match/kernels.hpp"

namespace bloomlink {
namespace {

using match::AlignedWords;
using match::kGroupLanes;

constexpr std::size_t kQueries = 64;          // queries per tile (as the candidate driver)
constexpr std::size_t kQueriesPerCall = 4;    // queries per kernel call
constexpr std::size_t kGroupsPerBlock = 256;  // target groups per kernel call

// RandomFilter(rng, out, words): bits set with a density drawn from [0.4, 0.6] for the filter.
void RandomFilter(std::mt19937_64& rng, std::uint64_t* out, std::size_t words) {
  std::uniform_real_distribution<double> density(0.4, 0.6);
  // Bits set with probability p / 256: the binary digits of p, least significant first, OR in
  // a fresh random word for a 1 and AND for a 0.
  const auto p = static_cast<unsigned>(density(rng) * 256 + 0.5);
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t x = 0;
    for (unsigned i = 0; i < 8; ++i) x = ((p >> i) & 1) != 0 ? (x | rng()) : (x & rng());
    out[w] = x;
  }
}

struct Workload {
  std::size_t words = 0;
  std::size_t targets = 0;
  std::size_t ngroups = 0;
  AlignedWords queries;  // kQueries rows of `words`
  AlignedWords groups;   // targets packed with PackTargetGroups
};

const Workload& GetWorkload(std::size_t bits, std::size_t targets) {
  static std::map<std::pair<std::size_t, std::size_t>, std::unique_ptr<Workload>> cache;
  auto& slot = cache[{bits, targets}];
  if (slot == nullptr) {
    auto w = std::make_unique<Workload>();
    w->words = bits / 64;
    w->targets = targets;
    w->ngroups = (targets + kGroupLanes - 1) / kGroupLanes;
    std::mt19937_64 rng(bits * 1000003 + targets);
    w->queries = AlignedWords(kQueries * w->words);
    for (std::size_t q = 0; q < kQueries; ++q) {
      RandomFilter(rng, w->queries.data() + q * w->words, w->words);
    }
    AlignedWords rows(targets * w->words);
    std::vector<const std::uint64_t*> pointers(targets);
    for (std::size_t t = 0; t < targets; ++t) {
      pointers[t] = rows.data() + t * w->words;
      RandomFilter(rng, rows.data() + t * w->words, w->words);
    }
    match::PackTargetGroups(pointers, w->words, w->groups);
    slot = std::move(w);
  }
  return *slot;
}

void BM_AndPopcount(benchmark::State& state) {
  const auto isa = static_cast<match::KernelIsa>(state.range(0));
  const match::KernelTable* kernel = match::KernelFor(isa);
  if (kernel == nullptr) {
    state.SkipWithError("this build or this CPU cannot run this kernel");
    return;
  }
  const Workload& w = GetWorkload(static_cast<std::size_t>(state.range(1)),
                                  static_cast<std::size_t>(state.range(2)));
  const std::size_t group_words = w.words * kGroupLanes;
  const std::size_t counts_stride = kGroupsPerBlock * kGroupLanes;
  std::vector<std::uint32_t> counts(kQueriesPerCall * counts_stride);
  for (auto _ : state) {
    for (std::size_t g0 = 0; g0 < w.ngroups; g0 += kGroupsPerBlock) {
      const std::size_t gcount = std::min(kGroupsPerBlock, w.ngroups - g0);
      for (std::size_t q0 = 0; q0 < kQueries; q0 += kQueriesPerCall) {
        kernel->and_popcount(w.queries.data() + q0 * w.words, kQueriesPerCall, w.words,
                             w.groups.data() + g0 * group_words, gcount, w.words, counts.data(),
                             counts_stride);
        benchmark::DoNotOptimize(counts.data());
        benchmark::ClobberMemory();
      }
    }
  }
  const double comparisons = static_cast<double>(state.iterations()) *
                             static_cast<double>(kQueries) * static_cast<double>(w.targets);
  state.counters["comparisons_per_s"] =
      benchmark::Counter(comparisons, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(kernel->name));
}

// BM_ReferenceChain: 1,000 dependent multiply-xor-shift steps.
void BM_ReferenceChain(benchmark::State& state) {
  std::uint64_t x = 1;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) {
      x = x * 0x9e3779b97f4a7c15u + 1;
      x ^= x >> 29;
    }
    benchmark::DoNotOptimize(x);
  }
}

void KernelArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"kernel", "bits", "targets"});
  for (int isa : {2, 1, 0}) {
    for (int bits : {1024, 2048}) {
      for (int targets : {4096, 500000}) b->Args({isa, bits, targets});
    }
  }
}

BENCHMARK(BM_ReferenceChain);
BENCHMARK(BM_AndPopcount)->Apply(KernelArgs)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace bloomlink
