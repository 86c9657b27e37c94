// bloomlink/match/candidate_pairs.hpp
//
// CandidatePairs: pairs of records (left index into dataset A, right index into dataset B) with
// their similarity score, stored as three parallel arrays so that millions of pairs cost memory,
// not allocations, and can be handed to numpy without copies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bloomlink::match {

struct CandidatePairs {
  std::vector<std::uint32_t> left;
  std::vector<std::uint32_t> right;
  std::vector<float> score;

  std::size_t size() const { return left.size(); }
  bool empty() const { return left.empty(); }
  void reserve(std::size_t n) {
    left.reserve(n);
    right.reserve(n);
    score.reserve(n);
  }
  void push_back(std::uint32_t l, std::uint32_t r, float s) {
    left.push_back(l);
    right.push_back(r);
    score.push_back(s);
  }
  void clear() {
    left.clear();
    right.clear();
    score.clear();
  }
};

}  // namespace bloomlink::match
