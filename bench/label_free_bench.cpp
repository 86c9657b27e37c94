// The label-free defaults' own costs (issue 11 targets):
//
//   build/bench/bloomlink_bench --benchmark_filter='LabelFree' --benchmark_min_time=1
//
// BM_LabelFreeEstimate10M: score::EstimateModel over 10,000,000 candidate pairs (8 fields x 8
// levels, simulated from a known model, 0-20% missing) and a background of 200,000 random pairs
// standing for the rest of a 100,000 x 100,000 space: the whole call (pattern counting, then EM
// to convergence). Target: 1 s.
//
// BM_LabelFreeRandomPairs1M: what the random-pair sample adds on 1,000,000 x 1,000,000 inputs:
// the automatic floor (link::ChooseCandidateFloor: 200,000 random pairs of 1024-bit CLKs) plus
// the Fellegi-Sunter background (score::SampleRandomPairs of 200,000 pairs and score::Compare on
// 6 fields of 256-bit field filters). Target: 0.2 s.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bloomlink/encoded_dataset.hpp"
#include "bloomlink/link.hpp"
#include "bloomlink/score/fellegi_sunter.hpp"
#include "simulated_vectors.hpp"

namespace bloomlink {
namespace {

constexpr std::size_t kFields = 8;
constexpr std::size_t kLevels = 8;

// Vectors(n, seed, lambda): n pairs simulated from a fixed model over kFields x kLevels: m falls
// and u rises with the level, each field a little differently; field f misses 2.5 f % of values.
score::ComparisonVectors Vectors(std::size_t n, std::uint64_t seed, double lambda) {
  bench::SimulatedModel model;
  model.lambda = lambda;
  model.cutpoints = {0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35};
  for (std::size_t f = 0; f < kFields; ++f) {
    model.m.emplace_back();
    model.u.emplace_back();
    for (std::size_t l = 0; l < kLevels; ++l) {
      model.m[f].push_back(1.0 / static_cast<double>((l + 1) * (l + 1 + f % 3)));
      model.u[f].push_back(static_cast<double>((l + 1) * (l + 1 + f % 2)));
    }
    model.missing.push_back(0.025 * static_cast<double>(f));
  }
  return bench::SimulateVectors(model, n, seed);
}

void BM_LabelFreeEstimate10M(benchmark::State& state) {
  static const score::ComparisonVectors candidates = Vectors(10000000, 11, 0.01);
  static const score::BackgroundPairs background = [] {
    score::BackgroundPairs b;
    b.vectors = Vectors(200000, 12, 0.0);
    b.weight = (1e10 - 1e7) / 200000.0;
    return b;
  }();
  const score::FsModel start = score::InitialModel(candidates.fields);
  score::EmOptions options{.probability_floor = 1e-12, .m_pseudo_count = 1, .u_pseudo_count = 1};
  // /em:0 stops before the first iteration: the cost of counting the patterns alone.
  if (state.range(0) == 0) options.max_iterations = 0;
  score::FsModel last;
  for (auto _ : state) {
    auto model = score::EstimateModel(candidates, start, options, &background);
    if (!model.ok()) {
      state.SkipWithError(std::string(model.status().message()).c_str());
      return;
    }
    last = *std::move(model);
  }
  state.counters["em_iterations"] = last.iterations;
  state.counters["distinct_patterns"] = static_cast<double>(last.distinct_patterns);
  state.SetLabel(last.converged ? "converged" : "NOT converged");
}
BENCHMARK(BM_LabelFreeEstimate10M)
    ->ArgName("em")
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// RandomDataset(n, seed): n records with random 1024-bit CLKs (density about 0.4) and 6 field
// filters of 256 bits (density about 0.25).
std::unique_ptr<EncodedDataset> RandomDataset(std::size_t n, std::uint64_t seed) {
  auto d = std::make_unique<EncodedDataset>();
  std::mt19937_64 rng(seed);
  d->clks = BitMatrix(n, 1024);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t w = 0; w < d->clks.words_per_row(); ++w) {
      d->clks.row_words(r)[w] = (rng() & rng()) | (rng() & rng() & rng());
    }
  }
  d->clks.UpdatePopcounts();
  for (std::size_t f = 0; f < 6; ++f) {
    FieldFilters ff{.field = "field" + std::to_string(f), .filters = BitMatrix(n, 256)};
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t w = 0; w < ff.filters.words_per_row(); ++w) {
        ff.filters.row_words(r)[w] = rng() & rng();
      }
    }
    ff.filters.UpdatePopcounts();
    d->field_filters.push_back(std::move(ff));
  }
  d->ids.resize(n);
  return d;
}

void BM_LabelFreeRandomPairs1M(benchmark::State& state) {
  constexpr std::size_t kRecords = 1000000;
  static const std::unique_ptr<EncodedDataset> a = RandomDataset(kRecords, 1);
  static const std::unique_ptr<EncodedDataset> b = RandomDataset(kRecords, 2);
  std::vector<const BitMatrix*> fa, fb;
  std::vector<score::FieldLevels> levels;
  for (std::size_t f = 0; f < 6; ++f) {
    fa.push_back(&a->field_filters[f].filters);
    fb.push_back(&b->field_filters[f].filters);
    levels.push_back({.field = a->field_filters[f].field,
                      .cutpoints = {0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35}});
  }
  double floor = 0;
  for (auto _ : state) {
    const link::FloorChoice choice = link::ChooseCandidateFloor(*a, *b, false);
    floor = choice.threshold;
    const match::CandidatePairs sample =
        score::SampleRandomPairs(kRecords, kRecords, 200000, 1, false);
    auto vectors = score::Compare(fa, fb, sample, levels, 1);
    if (!vectors.ok()) {
      state.SkipWithError(std::string(vectors.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(vectors->levels.data());
  }
  state.counters["floor"] = floor;
}
BENCHMARK(BM_LabelFreeRandomPairs1M)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace bloomlink
