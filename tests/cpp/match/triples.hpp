// Test helper shared by the match tests: candidate pairs as (left, right, score) triples, to
// compare a search's result with a brute-force one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

#include "bloomlink/match/candidate_pairs.hpp"

namespace bloomlink::match::testing_matrices {

using Triple = std::tuple<std::uint32_t, std::uint32_t, float>;

// Triples(pairs): the pairs in their order.
inline std::vector<Triple> Triples(const CandidatePairs& p) {
  std::vector<Triple> out;
  for (std::size_t i = 0; i < p.size(); ++i) out.emplace_back(p.left[i], p.right[i], p.score[i]);
  return out;
}

// Sorted(triples): sorted by left, right, score.
inline std::vector<Triple> Sorted(std::vector<Triple> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace bloomlink::match::testing_matrices
