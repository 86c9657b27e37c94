// Reading the person index: the crosswalk and the overlap between sources
// (bloomlink/index/person_index.hpp).
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "bloomlink/index/person_index.hpp"
#include "internal/strings.hpp"

namespace bloomlink::index {

using internal::StrCat;

std::vector<CrosswalkRow> Crosswalk(const PersonIndex& index) {
  std::vector<CrosswalkRow> rows;
  rows.reserve(index.records());
  std::size_t r = 0;
  for (const IndexedSource& s : index.sources) {
    for (const std::string& id : s.data.ids) {
      rows.push_back({index.persons[index.person[r]].id, s.name, id, index.confidence[r]});
      ++r;
    }
  }
  return rows;
}

std::string ShowCount(std::uint64_t n, const DisclosureControl& control) {
  if (!control.enabled || n == 0) return internal::Thousands(n);
  if (n < control.suppress_below) return "*";
  if (control.round_to <= 1) return internal::Thousands(n);
  const std::uint64_t rounded = (n + control.round_to / 2) / control.round_to * control.round_to;
  return internal::Thousands(rounded);
}

absl::StatusOr<OverlapStats> ComputeOverlap(const PersonIndex& index) {
  const std::size_t n = index.sources.size();
  if (n > 64) {
    return absl::InvalidArgumentError(
        StrCat("person index: overlap counts cover at most 64 sources; the index has ", n));
  }
  OverlapStats out;
  out.persons = index.persons.size();
  out.records_total = index.records();
  // Each person's sources (a bit set) and size.
  std::vector<std::uint64_t> mask(index.persons.size(), 0);
  std::vector<std::uint32_t> size(index.persons.size(), 0);
  std::size_t r = 0;
  for (std::size_t k = 0; k < n; ++k) {
    out.source_names.push_back(index.sources[k].name);
    out.records.push_back(index.sources[k].data.size());
    for (std::size_t i = 0; i < index.sources[k].data.size(); ++i, ++r) {
      mask[index.person[r]] |= std::uint64_t{1} << k;
      ++size[index.person[r]];
    }
  }
  out.persons_per_source.assign(n, 0);
  out.pairwise.assign(n * n, 0);
  absl::flat_hash_map<std::uint64_t, std::uint64_t> exactly;
  for (std::size_t p = 0; p < mask.size(); ++p) {
    ++exactly[mask[p]];
    if (out.cluster_sizes.size() <= size[p]) out.cluster_sizes.resize(size[p] + 1, 0);
    ++out.cluster_sizes[size[p]];
  }
  if (!out.cluster_sizes.empty()) out.cluster_sizes.erase(out.cluster_sizes.begin());
  for (const auto& [m, count] : exactly) {
    for (std::size_t i = 0; i < n; ++i) {
      if (!(m >> i & 1)) continue;
      out.persons_per_source[i] += count;
      for (std::size_t j = 0; j < n; ++j) {
        if (m >> j & 1) out.pairwise[i * n + j] += count;
      }
    }
  }
  // at_least sums over every combination that includes this one: quadratic in the number of
  // combinations, which is small in practice (at most 2^sources, and at most the persons).
  for (const auto& [m, count] : exactly) {
    SourceCombination c{.sources = m, .persons = count, .at_least = 0};
    for (const auto& [other, other_count] : exactly) {
      if ((other & m) == m) c.at_least += other_count;
    }
    out.combinations.push_back(c);
  }
  std::sort(out.combinations.begin(), out.combinations.end(),
            [](const SourceCombination& x, const SourceCombination& y) {
              return x.persons > y.persons || (x.persons == y.persons && x.sources < y.sources);
            });
  return out;
}

}  // namespace bloomlink::index
