// Fellegi–Sunter scoring: EM over a million candidate pairs, and the comparison vectors themselves.
//
//   build/bench/bloomlink_bench --benchmark_filter='EstimateModel|Compare' --benchmark_min_time=2
//
// BM_EstimateModel: score::EstimateModel on the comparison vectors of 1,000,000 candidate pairs
// simulated from a known model (8 fields x 4 levels, 0-20% missing per field, lambda 0.1), from
// InitialModel: the whole call is timed (counting the distinct patterns, then EM until it
// converges at the default tolerance). Target: under 1 s. /all_iterations:1 sets the tolerance
// to 0, so that EM runs all 500 iterations (EmOptions::max_iterations): the worst case.
//
// BM_Compare/threads:T: score::Compare on 1,000,000 pairs x 8 fields of 256-bit field filters
// (100,000 records on each side, density about 0.23, 5% empty; 10 pairs per record of A in order of
// A with random partners in B, as a candidate search emits them). field_comparisons_per_s counts
// pairs x fields.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/score/fellegi_sunter.hpp"
#include "simulated_vectors.hpp"

namespace bloomlink {
namespace {

constexpr std::size_t kPairs = 1000000;
constexpr std::size_t kFields = 8;

const score::ComparisonVectors& SimulatedVectors() {
  // The same draws, in the same order, as before the simulation moved to simulated_vectors.hpp:
  // the vectors, and so the figures in bench/RESULTS.md, are unchanged.
  static const score::ComparisonVectors cv =
      bench::SimulateVectors({.m = {{0.88, 0.06, 0.03, 0.03},
                                    {0.80, 0.10, 0.06, 0.04},
                                    {0.92, 0.04, 0.02, 0.02},
                                    {0.70, 0.15, 0.10, 0.05},
                                    {0.85, 0.08, 0.04, 0.03},
                                    {0.75, 0.12, 0.08, 0.05},
                                    {0.95, 0.02, 0.02, 0.01},
                                    {0.65, 0.20, 0.10, 0.05}},
                              .u = {{0.05, 0.10, 0.25, 0.60},
                                    {0.10, 0.15, 0.25, 0.50},
                                    {0.02, 0.05, 0.13, 0.80},
                                    {0.20, 0.20, 0.30, 0.30},
                                    {0.08, 0.12, 0.30, 0.50},
                                    {0.15, 0.15, 0.30, 0.40},
                                    {0.01, 0.02, 0.07, 0.90},
                                    {0.25, 0.25, 0.25, 0.25}},
                              .missing = {0.0, 0.05, 0.10, 0.02, 0.15, 0.20, 0.01, 0.08},
                              .lambda = 0.1,
                              .cutpoints = {0.95, 0.85, 0.70}},
                             kPairs, 2024);
  return cv;
}

void BM_EstimateModel(benchmark::State& state) {
  const score::ComparisonVectors& cv = SimulatedVectors();
  const score::FsModel start = score::InitialModel(cv.fields);
  score::EmOptions options;
  if (state.range(0) != 0) options.tolerance = 0.0;  // never converges: all max_iterations
  score::FsModel last;
  for (auto _ : state) {
    auto model = score::EstimateModel(cv, start, options);
    if (!model.ok()) {
      state.SkipWithError(std::string(model.status().message()).c_str());
      return;
    }
    last = *std::move(model);
  }
  state.counters["pairs_per_s"] =
      benchmark::Counter(static_cast<double>(kPairs) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.counters["em_iterations"] = last.iterations;
  state.counters["distinct_patterns"] = static_cast<double>(last.distinct_patterns);
  state.counters["lambda"] = last.lambda;
  state.SetLabel(last.converged ? "converged" : "NOT converged");
}
BENCHMARK(BM_EstimateModel)
    ->ArgName("all_iterations")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

struct CompareData {
  std::vector<BitMatrix> a, b;
  match::CandidatePairs pairs;
  std::vector<score::FieldLevels> fields;
};

const CompareData& FieldFilters() {
  static const std::unique_ptr<CompareData> data = [] {
    auto d = std::make_unique<CompareData>();
    constexpr std::size_t kRecords = 100000;
    constexpr std::size_t kBits = 256;
    std::mt19937_64 rng(7);
    const auto fill = [&](BitMatrix& m) {
      for (std::size_t r = 0; r < m.rows(); ++r) {
        if (rng() % 20 == 0) continue;  // 5% empty: a missing value
        for (std::size_t w = 0; w < m.words_per_row(); ++w) {
          // density 0.25 x 15/16
          m.row_words(r)[w] = rng() & rng() & (rng() | rng() | rng() | rng());
        }
      }
      m.UpdatePopcounts();
    };
    for (std::size_t f = 0; f < kFields; ++f) {
      d->a.emplace_back(kRecords, kBits);
      d->b.emplace_back(kRecords, kBits);
      fill(d->a.back());
      fill(d->b.back());
      std::string name = "field";
      name += std::to_string(f);
      d->fields.push_back({.field = name, .cutpoints = {0.95, 0.85, 0.70}});
    }
    d->pairs.reserve(kPairs);
    for (std::size_t p = 0; p < kPairs; ++p) {
      d->pairs.push_back(static_cast<std::uint32_t>(p / (kPairs / kRecords)),
                         static_cast<std::uint32_t>(rng() % kRecords), 0.9f);
    }
    return d;
  }();
  return *data;
}

void BM_Compare(benchmark::State& state) {
  const CompareData& d = FieldFilters();
  std::vector<const BitMatrix*> a, b;
  for (std::size_t f = 0; f < kFields; ++f) {
    a.push_back(&d.a[f]);
    b.push_back(&d.b[f]);
  }
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto cv = score::Compare(a, b, d.pairs, d.fields, threads);
    if (!cv.ok()) {
      state.SkipWithError(std::string(cv.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(cv->levels.data());
  }
  state.counters["field_comparisons_per_s"] = benchmark::Counter(
      static_cast<double>(kPairs * kFields) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Compare)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The whole Fellegi-Sunter stage over 10,000,000 candidate pairs x 8 fields of 256-bit field
// filters (100,000 records a side; every record of A has 100 candidates in order of A, one of
// them its match: B's record i is A's record i with about 10% of each field's bits moved, so
// the patterns are those of matches and non-matches), from the filters to the accepted pairs:
// levels, pattern counts, EM, scores and the decision (probability >= 0.5).
//   BM_FsStage/streaming:0  the stage as it was: Compare (a byte per pair and field), EM over the
//                           comparison vectors, Score (8 bytes per pair), decision;
//   BM_FsStage/streaming:1  ComparePatterns (record-major filters, levels straight into pattern
//                           keys, 4 bytes per pair), EM over the counts, Score per pattern,
//                           decision by each pair's pattern.
// candidates_per_s counts pairs through the whole stage; both must accept the same pairs.
constexpr std::size_t kStagePairs = 10000000;
constexpr std::size_t kStageRecords = 100000;

const CompareData& StageData() {
  static const std::unique_ptr<CompareData> data = [] {
    auto d = std::make_unique<CompareData>();
    constexpr std::size_t kBits = 256;
    std::mt19937_64 rng(11);
    for (std::size_t f = 0; f < kFields; ++f) {
      d->a.emplace_back(kStageRecords, kBits);
      d->b.emplace_back(kStageRecords, kBits);
      BitMatrix& a = d->a.back();
      BitMatrix& b = d->b.back();
      for (std::size_t r = 0; r < kStageRecords; ++r) {
        const bool missing = rng() % 20 == 0;
        for (std::size_t w = 0; w < a.words_per_row(); ++w) {
          if (missing) continue;
          // About 24 bits per field, like a name's bigrams at 8 bits per token.
          const std::uint64_t x = rng() & rng() & rng() & (rng() | rng());
          std::uint64_t noise = 0;
          for (int k = 0; k < 2; ++k) noise |= std::uint64_t{1} << (rng() % 64);
          a.row_words(r)[w] = x;
          b.row_words(r)[w] = rng() % 3 == 0 ? (x ^ noise) : x;
        }
      }
      a.UpdatePopcounts();
      b.UpdatePopcounts();
      std::string name = "field";
      name += std::to_string(f);
      d->fields.push_back({.field = name, .cutpoints = {0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35}});
    }
    const std::size_t per = kStagePairs / kStageRecords;
    d->pairs.reserve(kStagePairs);
    for (std::size_t i = 0; i < kStageRecords; ++i) {
      const std::size_t match_at = rng() % per;
      for (std::size_t k = 0; k < per; ++k) {
        const std::size_t j = k == match_at ? i : rng() % kStageRecords;
        d->pairs.push_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j), 0.7f);
      }
    }
    return d;
  }();
  return *data;
}

void BM_FsStage(benchmark::State& state) {
  const CompareData& d = StageData();
  std::vector<const BitMatrix*> a, b;
  for (std::size_t f = 0; f < kFields; ++f) {
    a.push_back(&d.a[f]);
    b.push_back(&d.b[f]);
  }
  const bool streaming = state.range(0) != 0;
  const int threads = static_cast<int>(state.range(1));
  score::EmOptions em{.m_pseudo_count = 1, .u_pseudo_count = 1};
  em.threads = threads;
  std::size_t accepted = 0, patterns = 0;
  for (auto _ : state) {
    accepted = 0;
    if (streaming) {
      auto pp = score::ComparePatterns(a, b, d.pairs, d.fields, threads);
      if (!pp.ok()) {
        state.SkipWithError(std::string(pp.status().message()).c_str());
        return;
      }
      auto model = score::EstimateModel(pp->counts, score::InitialModel(d.fields), em);
      if (!model.ok()) {
        state.SkipWithError(std::string(model.status().message()).c_str());
        return;
      }
      const score::PairScores s = score::Score(*model, pp->counts.patterns, false);
      std::vector<char> accept(s.probability.size());
      for (std::size_t k = 0; k < accept.size(); ++k) accept[k] = s.probability[k] >= 0.5f;
      for (std::uint32_t k : pp->pattern) accepted += static_cast<std::size_t>(accept[k]);
      patterns = pp->counts.size();
    } else {
      auto cv = score::Compare(a, b, d.pairs, d.fields, threads);
      if (!cv.ok()) {
        state.SkipWithError(std::string(cv.status().message()).c_str());
        return;
      }
      auto model = score::EstimateModel(*cv, score::InitialModel(d.fields), em);
      if (!model.ok()) {
        state.SkipWithError(std::string(model.status().message()).c_str());
        return;
      }
      const score::PairScores s = score::Score(*model, *cv, false);
      for (float p : s.probability) accepted += p >= 0.5f ? 1 : 0;
      patterns = model->distinct_patterns;
    }
  }
  state.counters["candidates_per_s"] =
      benchmark::Counter(static_cast<double>(kStagePairs) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.counters["accepted"] = static_cast<double>(accepted);
  state.counters["patterns"] = static_cast<double>(patterns);
}
BENCHMARK(BM_FsStage)
    ->ArgNames({"streaming", "threads"})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Args({0, 2})
    ->Args({1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_ComparePatterns(benchmark::State& state) {
  const CompareData& d = FieldFilters();
  std::vector<const BitMatrix*> a, b;
  for (std::size_t f = 0; f < kFields; ++f) {
    a.push_back(&d.a[f]);
    b.push_back(&d.b[f]);
  }
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto pp = score::ComparePatterns(a, b, d.pairs, d.fields, threads);
    if (!pp.ok()) {
      state.SkipWithError(std::string(pp.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(pp->pattern.data());
  }
  state.counters["field_comparisons_per_s"] = benchmark::Counter(
      static_cast<double>(kPairs * kFields) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ComparePatterns)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace bloomlink
