// bloomlink/eval/clusters.hpp
//
// Clustering quality against known truth (the person index's measures): every record has a
// predicted cluster (a person ID) and a true entity, and the two partitions of the records are
// compared three ways:
//  - pairwise: the pairs of records placed together, against the pairs of one entity;
//  - B-cubed: per record, the share of its cluster that is its entity (precision) and of its
//    entity that is its cluster (recall), averaged over the records;
//  - cluster-exact: a cluster counts when it is exactly an entity's records; over every cluster,
//    and over groups (clusters and entities of two records or more, the linked records: a
//    record alone is trivially "exact" and would flatter the measure).
// The same comparison of two predicted partitions measures their agreement (an incremental
// against a one-shot build: B-cubed F1 between them), and IdChurn the share of records whose
// cluster label changed between two runs.
//
//   std::vector<std::uint64_t> predicted = ..., truth = ...;   // one label per record
//   eval::ClusterMetrics m = *eval::CompareClusters(predicted, truth);
//   m.bcubed.f1, m.pairwise.precision, m.exact_groups.recall
#pragma once

#include <cstdint>
#include <span>

#include "absl/status/statusor.h"

namespace bloomlink::eval {

// Scores: precision, recall and their harmonic mean (precision or recall is 1 when there is
// nothing to count; F1 is 0 when both are 0).
struct Scores {
  double precision = 1, recall = 1, f1 = 1;
};

struct ClusterMetrics {
  std::uint64_t records = 0;
  std::uint64_t clusters = 0, entities = 0;  // predicted clusters, true entities
  // Pairs of records: together in a cluster, of one entity, both.
  std::uint64_t predicted_pairs = 0, true_pairs = 0, correct_pairs = 0;
  Scores pairwise, bcubed;
  // exact: over all clusters and entities; exact_groups: over those of two records or more.
  std::uint64_t exact_clusters = 0, exact_group_clusters = 0;
  std::uint64_t groups = 0, entity_groups = 0;  // clusters, entities of two records or more
  Scores exact, exact_groups;
};

// CompareClusters(predicted, truth): predicted[i] and truth[i] label record i (any values: equal
// labels, same cluster). InvalidArgument when the two have different lengths.
absl::StatusOr<ClusterMetrics> CompareClusters(std::span<const std::uint64_t> predicted,
                                               std::span<const std::uint64_t> truth);

// IdChurn(before, after): the share of records whose label differs (0 for no records);
// InvalidArgument for different lengths.
absl::StatusOr<double> IdChurn(std::span<const std::uint64_t> before,
                               std::span<const std::uint64_t> after);

}  // namespace bloomlink::eval
