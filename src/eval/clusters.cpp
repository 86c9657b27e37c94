#include "bloomlink/eval/clusters.hpp"

#include "absl/container/flat_hash_map.h"
#include "internal/strings.hpp"

namespace bloomlink::eval {
namespace {

Scores Of(double precision, double recall) {
  Scores s;
  s.precision = precision;
  s.recall = recall;
  s.f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
  return s;
}

double Share(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 1.0 : static_cast<double>(part) / static_cast<double>(whole);
}

std::uint64_t PairsOf(std::uint64_t n) { return n * (n - (n > 0)) / 2; }

}  // namespace

absl::StatusOr<ClusterMetrics> CompareClusters(std::span<const std::uint64_t> predicted,
                                               std::span<const std::uint64_t> truth) {
  if (predicted.size() != truth.size()) {
    return absl::InvalidArgumentError(
        internal::StrCat("cluster comparison: ", predicted.size(), " predicted labels for ",
                         truth.size(), " true ones; expected one of each per record"));
  }
  ClusterMetrics m;
  m.records = predicted.size();
  // Sizes of clusters, entities and their intersections (the contingency table's cells).
  absl::flat_hash_map<std::uint64_t, std::uint64_t> cluster_size, entity_size;
  struct PairHash {
    std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& p) const {
      return absl::HashOf(p.first, p.second);
    }
  };
  absl::flat_hash_map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t, PairHash> cells;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    ++cluster_size[predicted[i]];
    ++entity_size[truth[i]];
    ++cells[{predicted[i], truth[i]}];
  }
  m.clusters = cluster_size.size();
  m.entities = entity_size.size();
  for (const auto& [label, n] : cluster_size) {
    m.predicted_pairs += PairsOf(n);
    m.groups += n >= 2;
  }
  for (const auto& [label, n] : entity_size) {
    m.true_pairs += PairsOf(n);
    m.entity_groups += n >= 2;
  }
  double precision_sum = 0, recall_sum = 0;
  for (const auto& [key, n] : cells) {
    m.correct_pairs += PairsOf(n);
    const std::uint64_t c = cluster_size.at(key.first), e = entity_size.at(key.second);
    // Each of the cell's n records has precision n / c and recall n / e.
    precision_sum += static_cast<double>(n) * static_cast<double>(n) / static_cast<double>(c);
    recall_sum += static_cast<double>(n) * static_cast<double>(n) / static_cast<double>(e);
    if (n == c && n == e) {
      ++m.exact_clusters;
      m.exact_group_clusters += n >= 2;
    }
  }
  m.pairwise = Of(Share(m.correct_pairs, m.predicted_pairs), Share(m.correct_pairs, m.true_pairs));
  m.bcubed = m.records == 0 ? Scores{}
                            : Of(precision_sum / static_cast<double>(m.records),
                                 recall_sum / static_cast<double>(m.records));
  m.exact = Of(Share(m.exact_clusters, m.clusters), Share(m.exact_clusters, m.entities));
  m.exact_groups =
      Of(Share(m.exact_group_clusters, m.groups), Share(m.exact_group_clusters, m.entity_groups));
  return m;
}

absl::StatusOr<double> IdChurn(std::span<const std::uint64_t> before,
                               std::span<const std::uint64_t> after) {
  if (before.size() != after.size()) {
    return absl::InvalidArgumentError(internal::StrCat("ID churn: ", before.size(),
                                                       " labels before and ", after.size(),
                                                       " after; expected one of each per record"));
  }
  std::uint64_t changed = 0;
  for (std::size_t i = 0; i < before.size(); ++i) changed += before[i] != after[i];
  return before.empty() ? 0.0 : static_cast<double>(changed) / static_cast<double>(before.size());
}

}  // namespace bloomlink::eval
