// bloomlink/solve/clusters.hpp
//
// Multi-party clusters: from linked pairs of records (across any number of sources, within and
// between them) to a partition of the records into persons.
//
//  - kConnectedComponents: records joined by any pair are one person. Simple, and it chains:
//    A ~ B and B ~ C make A = C however unlike A and C are, and one false pair merges two
//    persons with all their records.
//  - kAverageLink: agglomerative clustering by average linkage. Two clusters merge when the
//    average match probability over the pairs of their records that count reaches the
//    threshold; the most similar clusters merge first. Two records of one source that were not
//    linked count 0 (a source is deduplicated without one-to-one: the decision saw the pair and
//    did not take it), so within a source a group is held together by the evidence of most of
//    its pairs, not by a chain: {A, B} and C of one source, with B ~ C at 0.9 and A, C
//    unlinked, average 0.45 and stay apart at 0.5. Two records of different sources that were
//    not linked do not count (two sources are linked one-to-one: a record has one partner there
//    at most, and a pair may have lost to another); chains across sources are held back by
//    that and by the unique-source rule. Measured on every labelled set (bench/RESULTS.md,
//    issue 13), it holds where connected components chain within a source.
//
// With either method a cluster never holds two records of a unique source (one that holds each
// person at most once): a merge that would is not made (average link), or the pair that would
// make it is not followed (connected components, pairs taken by decreasing probability).
// The result depends only on the set of pairs, not on their order.
//
//   solve::ClusterInput input{.records = n, .source = sources, .unique_sources = {0}};
//   absl::StatusOr<std::vector<std::uint32_t>> labels = solve::ClusterRecords(input, pairs, {});
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace bloomlink::solve {

enum class ClusterMethod { kConnectedComponents, kAverageLink };

// ParseClusterMethod("average-link" | "components"); InvalidArgument listing the names otherwise.
absl::StatusOr<ClusterMethod> ParseClusterMethod(std::string_view name);
std::string_view ClusterMethodName(ClusterMethod method);

// LinkedPair: two records (indices into the records being clustered) and the probability that
// they are one person, in [0, 1].
struct LinkedPair {
  std::uint32_t a = 0, b = 0;
  float probability = 0;
};

struct ClusterInput {
  std::uint32_t records = 0;
  // source[i]: record i's source (any small integers; empty: all one source).
  std::span<const std::uint32_t> source;
  // unique_sources: sources that hold each person at most once (at most 64 distinct values).
  std::span<const std::uint32_t> unique_sources;
  // previous[i]: the person record i belonged to before this clustering (any small integers;
  // kNoPrevious for a record that is new; empty: none, a first clustering). With
  // ClusterOptions::change_margin it makes the clusters resist change (average link only).
  std::span<const std::uint32_t> previous;
};

inline constexpr std::uint32_t kNoPrevious = 0xFFFFFFFFu;

struct ClusterOptions {
  ClusterMethod method = ClusterMethod::kAverageLink;
  // threshold: the average probability at which two clusters merge (average link), or the
  // probability a pair needs to join its records (connected components), in (0, 1].
  double threshold = 0.5;
  // change_margin (average link with ClusterInput::previous): a merge of two clusters that
  // share a previous person (putting an existing person back together) counts its average plus
  // change_margin; a merge of two clusters that both hold previous persons and share none (two
  // existing persons become one), its average minus change_margin; a merge with a cluster of new
  // records only, its average. Merges are made when the adjusted average reaches the threshold,
  // highest first. So merging or splitting existing persons takes stronger evidence than
  // attaching a new record, and at equal evidence an existing person is put back together
  // before its records can be taken into another: borderline pairs and ties do not flip persons
  // between updates. In [0, threshold).
  double change_margin = 0;
};

// ClusterRecords(input, pairs, options): labels[i] is record i's cluster, numbered 0, 1, ... in
// the order of each cluster's first record. InvalidArgument for a record index out of range, a
// pair of a record with itself, a probability outside [0, 1], a source list of the wrong length,
// more than 64 unique sources, a threshold outside (0, 1], a change margin outside
// [0, threshold) or a previous list of the wrong length.
absl::StatusOr<std::vector<std::uint32_t>> ClusterRecords(const ClusterInput& input,
                                                          std::span<const LinkedPair> pairs,
                                                          const ClusterOptions& options);

}  // namespace bloomlink::solve
