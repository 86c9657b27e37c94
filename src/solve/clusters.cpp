// Multi-party clusters (bloomlink/solve/clusters.hpp).
#include "bloomlink/solve/clusters.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <iterator>
#include <numeric>
#include <queue>

#include "absl/container/flat_hash_map.h"
#include "internal/strings.hpp"

namespace bloomlink::solve {
namespace {

using internal::StrCat;

// UniqueMasks(input): per record, the bit of its source among the unique sources (0: none).
absl::StatusOr<std::vector<std::uint64_t>> UniqueMasks(const ClusterInput& input) {
  std::vector<std::uint32_t> unique(input.unique_sources.begin(), input.unique_sources.end());
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  if (unique.size() > 64) {
    return absl::InvalidArgumentError(
        StrCat("clusters: ", unique.size(), " unique sources; at most 64 are supported"));
  }
  std::vector<std::uint64_t> masks(input.records, 0);
  if (input.source.empty()) {
    // One source: unique when it is listed (its only value is 0).
    if (!unique.empty() && unique.front() == 0) std::fill(masks.begin(), masks.end(), 1);
    return masks;
  }
  for (std::uint32_t i = 0; i < input.records; ++i) {
    const auto it = std::lower_bound(unique.begin(), unique.end(), input.source[i]);
    if (it != unique.end() && *it == input.source[i]) {
      masks[i] = std::uint64_t{1} << (it - unique.begin());
    }
  }
  return masks;
}

// Normalised(pairs): each pair once as (a < b), with its highest probability, sorted.
std::vector<LinkedPair> Normalised(std::span<const LinkedPair> pairs) {
  std::vector<LinkedPair> out(pairs.begin(), pairs.end());
  for (LinkedPair& p : out) {
    if (p.a > p.b) std::swap(p.a, p.b);
  }
  std::sort(out.begin(), out.end(), [](const LinkedPair& x, const LinkedPair& y) {
    return x.a < y.a ||
           (x.a == y.a && (x.b < y.b || (x.b == y.b && x.probability > y.probability)));
  });
  out.erase(std::unique(
                out.begin(), out.end(),
                [](const LinkedPair& x, const LinkedPair& y) { return x.a == y.a && x.b == y.b; }),
            out.end());
  return out;
}

struct UnionFind {
  std::vector<std::uint32_t> parent;
  explicit UnionFind(std::uint32_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
  std::uint32_t Find(std::uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
};

// Labels(uf, n): each record's cluster, numbered in the order of the clusters' first records.
std::vector<std::uint32_t> Labels(UnionFind& uf, std::uint32_t n) {
  std::vector<std::uint32_t> label_of_root(n, UINT32_MAX), labels(n);
  std::uint32_t next = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t& label = label_of_root[uf.Find(i)];
    if (label == UINT32_MAX) label = next++;
    labels[i] = label;
  }
  return labels;
}

std::vector<std::uint32_t> Components(std::uint32_t n, std::vector<std::uint64_t> masks,
                                      std::vector<LinkedPair> pairs, double threshold) {
  // The most probable pairs first, so that the unique-source rule keeps the strongest links.
  std::sort(pairs.begin(), pairs.end(), [](const LinkedPair& x, const LinkedPair& y) {
    return x.probability > y.probability ||
           (x.probability == y.probability && (x.a < y.a || (x.a == y.a && x.b < y.b)));
  });
  UnionFind uf(n);
  for (const LinkedPair& p : pairs) {
    if (p.probability < threshold) break;
    const std::uint32_t ra = uf.Find(p.a), rb = uf.Find(p.b);
    if (ra == rb || (masks[ra] & masks[rb]) != 0) continue;
    uf.parent[rb] = ra;
    masks[ra] |= masks[rb];
  }
  return Labels(uf, n);
}

// Candidate: a merge of clusters a < b at average probability `average` (adjusted by the change
// margin: Adjustment), valid while both clusters are at the versions it was made with.
struct Candidate {
  double average;
  std::uint32_t a, b, version_a, version_b;
};
// The heap's order: highest average first; ties by the clusters' indices, so the result does not
// depend on the order of the input.
struct Lower {
  bool operator()(const Candidate& x, const Candidate& y) const {
    if (x.average != y.average) return x.average < y.average;
    if (x.a != y.a) return x.a > y.a;
    return x.b > y.b;
  }
};

// Link: what is known of the pairs between two clusters: their summed probabilities, and how
// many of them join records of two different sources.
struct Link {
  double sum = 0;
  std::uint32_t cross_pairs = 0;
};

// SourceCounts: a cluster's records per source, sorted by source.
using SourceCounts = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

// SameSourcePairs(x, y): the pairs of a record of x and a record of y from one source.
double SameSourcePairs(const SourceCounts& x, const SourceCounts& y) {
  double pairs = 0;
  for (std::size_t i = 0, j = 0; i < x.size() && j < y.size();) {
    if (x[i].first < y[j].first) {
      ++i;
    } else if (y[j].first < x[i].first) {
      ++j;
    } else {
      pairs += static_cast<double>(x[i++].second) * static_cast<double>(y[j++].second);
    }
  }
  return pairs;
}

SourceCounts Merged(const SourceCounts& x, const SourceCounts& y) {
  SourceCounts out;
  std::size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    if (j == y.size() || (i < x.size() && x[i].first < y[j].first)) {
      out.push_back(x[i++]);
    } else if (i == x.size() || y[j].first < x[i].first) {
      out.push_back(y[j++]);
    } else {
      out.push_back({x[i].first, x[i].second + y[j].second});
      ++i;
      ++j;
    }
  }
  return out;
}

// Persons: a cluster's previous persons, sorted, each once.
using Persons = std::vector<std::uint32_t>;

Persons MergedPersons(const Persons& x, const Persons& y) {
  Persons out;
  std::set_union(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(out));
  return out;
}

// Adjustment(x, y, options): what the change margin adds to the average of a merge of clusters
// with previous persons x and y: +margin when they share a person (putting it back together),
// -margin when both hold persons and share none (two existing persons made one), 0 otherwise.
// Merges are made, and ordered, by the adjusted average: so at equal evidence an existing
// person is put back together before its records can be taken into another.
double Adjustment(const Persons& x, const Persons& y, const ClusterOptions& options) {
  if (x.empty() || y.empty()) return 0;
  for (std::size_t i = 0, j = 0; i < x.size() && j < y.size();) {
    if (x[i] == y[j]) return options.change_margin;
    x[i] < y[j] ? ++i : ++j;
  }
  return -options.change_margin;
}

std::vector<std::uint32_t> AverageLink(std::uint32_t n, std::span<const std::uint32_t> source,
                                       std::span<const std::uint32_t> previous,
                                       std::vector<std::uint64_t> masks,
                                       const std::vector<LinkedPair>& pairs,
                                       const ClusterOptions& options) {
  const auto source_of = [&](std::uint32_t i) { return source.empty() ? 0u : source[i]; };
  std::vector<Persons> persons(n);
  for (std::uint32_t i = 0; i < n && !previous.empty(); ++i) {
    if (previous[i] != kNoPrevious) persons[i] = {previous[i]};
  }
  // links[c]: what is known between cluster c and each cluster it has a pair with.
  std::vector<absl::flat_hash_map<std::uint32_t, Link>> links(n);
  std::vector<std::uint32_t> size(n, 1), version(n, 0);
  std::vector<SourceCounts> sources(n);
  for (std::uint32_t i = 0; i < n; ++i) sources[i] = {{source_of(i), 1}};
  std::priority_queue<Candidate, std::vector<Candidate>, Lower> heap;
  for (const LinkedPair& p : pairs) {
    if (p.probability <= 0) continue;
    const Link link{p.probability, source_of(p.a) != source_of(p.b) ? 1u : 0u};
    links[p.a][p.b] = link;
    links[p.b][p.a] = link;
    const double adjusted = p.probability + Adjustment(persons[p.a], persons[p.b], options);
    if (adjusted >= options.threshold) heap.push({adjusted, p.a, p.b, 0, 0});
  }
  UnionFind uf(n);
  // The average over the pairs that count. Two records of one source that were not linked
  // count 0: a source is linked with itself without one-to-one, so the decision saw the pair
  // and did not take it. Two records of two sources that were not linked do not count: sources
  // are linked with each other one-to-one, so a record has one partner there at most and the
  // pair may simply have lost to another (chains across sources are held back by that, and by
  // the unique-source rule).
  const auto average = [&](std::uint32_t x, std::uint32_t y, const Link& link) {
    return link.sum / (SameSourcePairs(sources[x], sources[y]) + link.cross_pairs);
  };
  while (!heap.empty()) {
    const Candidate top = heap.top();
    heap.pop();
    if (top.version_a != version[top.a] || top.version_b != version[top.b]) continue;
    if (uf.parent[top.a] != top.a || uf.parent[top.b] != top.b) continue;  // merged away
    if ((masks[top.a] & masks[top.b]) != 0) continue;  // two records of a unique source
    // Merge the smaller cluster into the larger (ties: into the lower index).
    std::uint32_t keep = top.a, gone = top.b;
    if (size[gone] > size[keep]) std::swap(keep, gone);
    uf.parent[gone] = keep;
    size[keep] += size[gone];
    masks[keep] |= masks[gone];
    sources[keep] = Merged(sources[keep], sources[gone]);
    sources[gone] = {};
    if (!persons[gone].empty()) {
      persons[keep] = MergedPersons(persons[keep], persons[gone]);
      persons[gone] = {};
    }
    ++version[keep];
    links[keep].erase(gone);
    for (const auto& [other, link] : links[gone]) {
      if (other == keep) continue;
      Link& forward = links[keep][other];
      forward.sum += link.sum;
      forward.cross_pairs += link.cross_pairs;
      auto& back = links[other];
      back.erase(gone);
      back[keep] = forward;
    }
    links[gone] = {};
    // The merged cluster's averages with each neighbour changed (its make-up did).
    std::vector<std::pair<std::uint32_t, Link>> neighbours(links[keep].begin(), links[keep].end());
    std::sort(neighbours.begin(), neighbours.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });  // a fixed order
    for (const auto& [other, link] : neighbours) {
      const double avg =
          average(keep, other, link) + Adjustment(persons[keep], persons[other], options);
      if (avg < options.threshold) continue;
      const std::uint32_t x = std::min(keep, other), y = std::max(keep, other);
      heap.push({avg, x, y, version[x], version[y]});
    }
  }
  return Labels(uf, n);
}

}  // namespace

absl::StatusOr<ClusterMethod> ParseClusterMethod(std::string_view name) {
  if (name == "average-link") return ClusterMethod::kAverageLink;
  if (name == "components") return ClusterMethod::kConnectedComponents;
  return absl::InvalidArgumentError(
      StrCat("unknown clustering \"", name, "\": expected average-link or components"));
}

std::string_view ClusterMethodName(ClusterMethod method) {
  return method == ClusterMethod::kAverageLink ? "average-link" : "components";
}

absl::StatusOr<std::vector<std::uint32_t>> ClusterRecords(const ClusterInput& input,
                                                          std::span<const LinkedPair> pairs,
                                                          const ClusterOptions& options) {
  if (!(options.threshold > 0 && options.threshold <= 1)) {
    return absl::InvalidArgumentError(
        StrCat("clusters: the threshold must be in (0, 1], got ", options.threshold));
  }
  if (!(options.change_margin >= 0 && options.change_margin < options.threshold)) {
    return absl::InvalidArgumentError(StrCat("clusters: the change margin must be in [0, ",
                                             options.threshold, "), got ", options.change_margin));
  }
  if (!input.previous.empty() && input.previous.size() != input.records) {
    return absl::InvalidArgumentError(StrCat("clusters: ", input.previous.size(),
                                             " previous persons for ", input.records, " records"));
  }
  if (!input.source.empty() && input.source.size() != input.records) {
    return absl::InvalidArgumentError(
        StrCat("clusters: ", input.source.size(), " sources for ", input.records, " records"));
  }
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const LinkedPair& p = pairs[k];
    if (p.a >= input.records || p.b >= input.records || p.a == p.b) {
      return absl::InvalidArgumentError(StrCat("clusters: pair ", k, " (", p.a, ", ", p.b,
                                               ") is out of range or joins a record with itself (",
                                               input.records, " records)"));
    }
    if (!(p.probability >= 0 && p.probability <= 1)) {
      return absl::InvalidArgumentError(
          StrCat("clusters: pair ", k, " has probability ", p.probability, "; expected [0, 1]"));
    }
  }
  auto masks = UniqueMasks(input);
  if (!masks.ok()) return masks.status();
  std::vector<LinkedPair> normalised = Normalised(pairs);
  if (options.method == ClusterMethod::kConnectedComponents) {
    return Components(input.records, std::move(*masks), std::move(normalised), options.threshold);
  }
  return AverageLink(input.records, input.source, input.previous, std::move(*masks), normalised,
                     options);
}

}  // namespace bloomlink::solve
