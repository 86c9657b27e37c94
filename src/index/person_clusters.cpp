// The persons of several sources (bloomlink/index/person_clusters.hpp).
#include "bloomlink/index/person_clusters.hpp"

#include <set>

#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::index {

using internal::StrCat;

absl::Status AppendSourcePairs(const IndexSource& x, std::uint32_t first_x, const IndexSource& y,
                               std::uint32_t first_y, const link::LinkOptions& options,
                               PersonClusters* out) {
  link::LinkOptions lo = options;
  lo.deduplicate = &x == &y;
  // Fellegi-Sunter behind blocking: u from the random sample, not by EM. The candidates are
  // then the pairs sharing a block, a small and skewed part of the space, and EM over all pairs
  // can settle on a "match" class of common agreement among non-matches: a synth council's
  // deduplication with keyed blocking accepted 1,855 pairs, 715 true, where u from the sample
  // gives 723, 714 true (bench/RESULTS.md, issue 13). The sample's levels are the non-matches'
  // (nearly every pair is one), which is what u is.
  if (lo.candidates.blocking != match::Blocking::kExhaustive && !lo.fs.model &&
      link::ResolveMethod(*x.data, *y.data, lo) == link::Method::kFellegiSunter) {
    lo.fs.u_from_sample = true;
  }
  link::LinkReport report;
  BLOOMLINK_ASSIGN_OR_RETURN(link::Linkage linkage, link::Link(*x.data, *y.data, lo, &report));
  if (report.method == link::Method::kDice) ++out->dice_links;
  const std::string where = lo.deduplicate ? x.name : StrCat(x.name, " x ", y.name);
  for (const std::string& w : report.warnings) out->warnings.push_back(StrCat(where, ": ", w));
  for (std::size_t p = 0; p < linkage.pairs.size(); ++p) {
    const float probability = linkage.probability.empty() ? 1.0f : linkage.probability[p];
    out->pairs.push_back(
        {first_x + linkage.pairs.left[p], first_y + linkage.pairs.right[p], probability});
  }
  return absl::OkStatus();
}

std::vector<float> RecordConfidence(std::span<const std::uint32_t> cluster,
                                    std::span<const solve::LinkedPair> pairs) {
  std::vector<double> sum(cluster.size(), 0.0);
  std::vector<std::uint32_t> count(cluster.size(), 0);
  for (const solve::LinkedPair& p : pairs) {
    if (cluster[p.a] != cluster[p.b]) continue;
    for (std::uint32_t r : {p.a, p.b}) {
      sum[r] += p.probability;
      ++count[r];
    }
  }
  std::vector<float> confidence(cluster.size());
  for (std::size_t r = 0; r < cluster.size(); ++r) {
    confidence[r] = count[r] == 0 ? 1.0f : static_cast<float>(sum[r] / count[r]);
  }
  return confidence;
}

absl::StatusOr<PersonClusters> ClusterSources(std::span<const IndexSource> sources,
                                              const IndexOptions& options) {
  if (sources.empty()) return absl::InvalidArgumentError("person index: no sources");
  std::set<std::string> names;
  for (const IndexSource& s : sources) {
    if (s.name.empty() || s.data == nullptr) {
      return absl::InvalidArgumentError("person index: every source needs a name and its data");
    }
    if (!names.insert(s.name).second) {
      return absl::InvalidArgumentError(
          StrCat("person index: two sources are named ", s.name, "; names must be unique"));
    }
  }
  PersonClusters out;
  std::vector<std::uint32_t> first(sources.size() + 1, 0);
  std::vector<std::uint32_t> unique;
  for (std::uint32_t k = 0; k < sources.size(); ++k) {
    const std::size_t n = sources[k].data->size();
    if (first[k] + n > 0xFFFFFFF0u) {
      return absl::InvalidArgumentError("person index: more than 4,294,967,280 records");
    }
    first[k + 1] = first[k] + static_cast<std::uint32_t>(n);
    for (std::uint32_t r = 0; r < n; ++r) {
      out.source.push_back(k);
      out.row.push_back(r);
    }
    if (sources[k].unique) unique.push_back(k);
    // Every source against the first: the same schema and secret (one check per source).
    if (k > 0) {
      BLOOMLINK_ASSIGN_OR_RETURN(std::vector<std::string> warnings,
                                 link::CheckCompatible(*sources[0].data, sources[0].name,
                                                       *sources[k].data, sources[k].name));
      for (std::string& w : warnings) out.warnings.push_back(std::move(w));
    }
  }
  // One link per pair of sources, and one deduplication per source that may repeat a person.
  const auto add_link = [&](std::uint32_t x, std::uint32_t y) {
    return AppendSourcePairs(sources[x], first[x], sources[y], first[y], options.link, &out);
  };
  for (std::uint32_t x = 0; x < sources.size(); ++x) {
    if (!sources[x].unique) BLOOMLINK_RETURN_IF_ERROR(add_link(x, x));
    for (std::uint32_t y = x + 1; y < sources.size(); ++y) {
      BLOOMLINK_RETURN_IF_ERROR(add_link(x, y));
    }
  }
  solve::ClusterInput input;
  input.records = first.back();
  input.source = out.source;
  input.unique_sources = unique;
  BLOOMLINK_ASSIGN_OR_RETURN(out.cluster, solve::ClusterRecords(input, out.pairs, options.cluster));
  for (std::uint32_t c : out.cluster) out.clusters = std::max(out.clusters, c + 1);
  out.confidence = RecordConfidence(out.cluster, out.pairs);
  return out;
}

}  // namespace bloomlink::index
