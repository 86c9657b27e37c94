// The frequency attack on field-level filters: filters ranked by how many records share them,
// aligned rank for rank with the attacker's values ranked by frequency.
#include <algorithm>
#include <cstring>

#include "audit/internal.hpp"
#include "internal/strings.hpp"

namespace bloomlink::audit_internal {

FrequencyAttackResult FrequencyAttack(
    const BitMatrix& filters, const FieldValues& values,
    std::vector<std::pair<std::string, std::uint64_t>> attacker_values, std::string attacker,
    std::size_t ranks) {
  FrequencyAttackResult out;
  out.attacker = std::move(attacker);
  const std::size_t rows = filters.rows();
  std::vector<std::uint32_t> present;
  std::vector<std::uint8_t> seen(values.distinct.size(), 0);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::uint32_t v = values.value[r];
    if (v == 0) continue;
    present.push_back(static_cast<std::uint32_t>(r));
    if (!seen[v - 1]) {
      seen[v - 1] = 1;
      ++out.distinct_values;
    }
  }
  out.records = present.size();

  // Classes of equal filters, numbered in order of first appearance.
  const std::size_t bytes = filters.bytes_per_filter();
  absl::flat_hash_map<std::uint64_t, std::uint32_t> by_hash;
  absl::flat_hash_map<std::string, std::uint32_t> collided;
  std::vector<std::uint32_t> first_row, size, cls(present.size());
  for (std::size_t i = 0; i < present.size(); ++i) {
    const std::uint8_t* row = filters.row_bytes(present[i]);
    const std::string_view bytes_view(reinterpret_cast<const char*>(row), bytes);
    auto [it, inserted] =
        by_hash.try_emplace(Hash64(bytes_view, 0xF2E9), static_cast<std::uint32_t>(size.size()));
    std::uint32_t c = it->second;
    if (inserted) {
      first_row.push_back(present[i]);
      size.push_back(0);
    } else if (std::memcmp(filters.row_bytes(first_row[c]), row, bytes) != 0) {
      auto [it2, inserted2] =
          collided.try_emplace(std::string(bytes_view), static_cast<std::uint32_t>(size.size()));
      c = it2->second;
      if (inserted2) {
        first_row.push_back(present[i]);
        size.push_back(0);
      }
    }
    ++size[c];
    cls[i] = c;
  }
  out.distinct_filters = size.size();
  if (out.distinct_values < audit::kFewValues) {
    out.scored = false;
    out.verdict = Verdict::kNotScored;
    out.note = "not scored: few values (anyone can guess them)";
    return out;
  }

  // Ranks: classes by size (then first appearance); the attacker's values by count (then value).
  std::vector<std::uint32_t> by_rank(size.size());
  for (std::uint32_t c = 0; c < by_rank.size(); ++c) by_rank[c] = c;
  std::stable_sort(by_rank.begin(), by_rank.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return size[a] > size[b]; });
  {
    // Merge repeated values (a reference may list a value under several raw spellings).
    std::sort(attacker_values.begin(), attacker_values.end());
    std::vector<std::pair<std::string, std::uint64_t>> merged;
    for (auto& [v, n] : attacker_values) {
      if (!merged.empty() && merged.back().first == v) {
        merged.back().second += n;
      } else {
        merged.emplace_back(std::move(v), n);
      }
    }
    attacker_values = std::move(merged);
    std::stable_sort(attacker_values.begin(), attacker_values.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
  }
  const std::size_t k = std::min({ranks, by_rank.size(), attacker_values.size()});
  out.aligned_ranks = k;
  // aligned[c]: the value id the attacker gives class c (0: none, or a value not in the extract).
  absl::flat_hash_map<std::string, std::uint32_t> rank_of;  // the aligned values, k at most
  for (std::size_t i = 0; i < k; ++i) rank_of.emplace(attacker_values[i].first, i);
  std::vector<std::uint32_t> aligned(size.size(), 0);
  for (std::uint32_t v = 0; v < values.distinct.size(); ++v) {
    if (!seen[v]) continue;
    const auto it = rank_of.find(values.distinct[v]);
    if (it != rank_of.end()) aligned[by_rank[it->second]] = v + 1;
  }
  for (std::size_t i = 0; i < present.size(); ++i) {
    const std::uint32_t a = aligned[cls[i]];
    if (a != 0 && a == values.value[present[i]]) ++out.reidentified;
  }
  out.share = out.records == 0
                  ? 0
                  : static_cast<double>(out.reidentified) / static_cast<double>(out.records);
  out.verdict = out.share > 0.001 ? Verdict::kWarn : Verdict::kPass;
  return out;
}

}  // namespace bloomlink::audit_internal
