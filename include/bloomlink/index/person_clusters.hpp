// bloomlink/index/person_clusters.hpp
//
// The persons of several sources: every pair of sources linked, every source that may hold a
// person twice deduplicated (link::Link with the label-free defaults, or the options given), and
// the linked records clustered into persons (solve::ClusterRecords: average linkage at 0.3 by
// default, the choice measured on every labelled set in bench/RESULTS.md, issue 13), with the
// unique sources holding a person at most once. The person index (issue 13) builds on it.
//
//   std::vector<index::IndexSource> sources = {{"trust", &trust, true}, {"council", &council}};
//   absl::StatusOr<index::PersonClusters> persons = index::ClusterSources(sources, {});
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/encoded_dataset.hpp"
#include "bloomlink/link.hpp"
#include "bloomlink/solve/clusters.hpp"

namespace bloomlink::index {

struct IndexSource {
  std::string name;  // unique among the sources
  const EncodedDataset* data = nullptr;
  bool unique = false;  // holds each person at most once (not deduplicated)
};

struct IndexOptions {
  // link: the options of every link (deduplicate is set for each source's own link).
  link::LinkOptions link = {};
  solve::ClusterOptions cluster = {.method = solve::ClusterMethod::kAverageLink, .threshold = 0.3};
};

struct PersonClusters {
  // Per record, sources in order and each source's records in order: its source, its row in
  // that source, its cluster (0..clusters-1) and its confidence: the mean match probability of
  // its linked pairs within its cluster (1 for a record alone).
  std::vector<std::uint32_t> source, row, cluster;
  std::vector<float> confidence;
  std::uint32_t clusters = 0;
  // pairs: every linked pair, in record numbers (with Dice, a pair's probability is 1: the
  // decision accepted it).
  std::vector<solve::LinkedPair> pairs;
  // Warnings of the links, each prefixed with the sources it concerns.
  std::vector<std::string> warnings;
  // dice_links: the links that ran CLK Dice (no field-level filters in common), whose accepted
  // pairs all have probability 1.
  std::uint32_t dice_links = 0;
};

// ClusterSources(sources, options): InvalidArgument for no sources, a missing dataset, an empty
// or repeated name or more than 64 unique sources; the links' errors (files of different
// schemas or secrets are refused, naming both sources).
absl::StatusOr<PersonClusters> ClusterSources(std::span<const IndexSource> sources,
                                              const IndexOptions& options);

// AppendSourcePairs(x, first_x, y, first_y, options, out): links source x with source y (the
// same source when &x == &y: a deduplication) and appends the accepted pairs to out->pairs in
// record numbers (first_x, first_y: the record numbers of their first records), and the link's
// warnings to out->warnings, prefixed with the sources' names.
absl::Status AppendSourcePairs(const IndexSource& x, std::uint32_t first_x, const IndexSource& y,
                               std::uint32_t first_y, const link::LinkOptions& options,
                               PersonClusters* out);

// RecordConfidence(cluster, pairs): per record, the mean probability of its pairs within its
// cluster (1 for a record without any).
std::vector<float> RecordConfidence(std::span<const std::uint32_t> cluster,
                                    std::span<const solve::LinkedPair> pairs);

}  // namespace bloomlink::index
