// Comparison vectors simulated from a known Fellegi–Sunter model, for the benchmarks of EM
// (fs_bench.cpp, label_free_bench.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bloomlink/score/fellegi_sunter.hpp"

namespace bloomlink::bench {

// SimulatedModel: per field, m and u over its levels (need not sum to 1: they are weights) and
// the share of missing values; lambda the share of matches; cutpoints shared by every field
// (levels = cutpoints + 1 = m[f].size()).
struct SimulatedModel {
  std::vector<std::vector<double>> m, u;
  std::vector<double> missing;
  double lambda = 0.1;
  std::vector<double> cutpoints;
};

// SimulateVectors(model, n, seed): n pairs, each a match with probability lambda, its levels
// drawn from m or u field by field and then set missing with the field's share. Fields are
// named field0, field1, ...; the same arguments give the same vectors.
inline score::ComparisonVectors SimulateVectors(const SimulatedModel& model, std::size_t n,
                                                std::uint64_t seed) {
  const std::size_t nf = model.m.size();
  std::mt19937_64 rng(seed);
  score::ComparisonVectors out;
  for (std::size_t f = 0; f < nf; ++f) {
    out.fields.push_back({.field = "field" + std::to_string(f), .cutpoints = model.cutpoints});
  }
  std::vector<std::discrete_distribution<int>> dm, du;
  for (std::size_t f = 0; f < nf; ++f) {
    dm.emplace_back(model.m[f].begin(), model.m[f].end());
    du.emplace_back(model.u[f].begin(), model.u[f].end());
  }
  std::bernoulli_distribution is_match(model.lambda);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  out.levels.resize(n * nf);
  for (std::size_t p = 0; p < n; ++p) {
    const bool match = is_match(rng);
    for (std::size_t f = 0; f < nf; ++f) {
      const int level = match ? dm[f](rng) : du[f](rng);
      out.levels[p * nf + f] =
          unit(rng) < model.missing[f] ? score::kMissingLevel : static_cast<std::uint8_t>(level);
    }
  }
  return out;
}

}  // namespace bloomlink::bench
