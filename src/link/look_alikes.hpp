// Look-alikes: pairs of records within one dataset, which the label-free Dice decision of a link
// of two datasets takes as its non-matches (score::DiceScores::look_alikes). An organisation's
// extract rarely holds a person twice, so a record's look-alikes in its own dataset are records
// of other people, as alike as its non-matches in the other dataset are.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/encoded_dataset.hpp"

namespace bloomlink::link::link_internal {

// kLookAlikeRecords: records sampled from each dataset (all of a smaller one).
inline constexpr std::uint64_t kLookAlikeRecords = 2000;

struct LookAlikes {
  // best: each sampled record's best look-alike at or above the floor.
  std::vector<float> best;
  // pairs: every pair of a sampled record with another record of its dataset at or above the
  // floor; weights: how many pairs of A x B each stands for.
  std::vector<float> pairs;
  std::vector<double> weights;
  std::uint64_t records = 0;  // records sampled, from both datasets
};

// FindLookAlikes(a, b, floor, threads): up to kLookAlikeRecords records of each of a
// and b, chosen by a fixed sequence (the same on every run), compared with every other record of
// their own dataset by the candidate search (its kernels and threads): deterministic whatever
// the thread count. Errors are the candidate search's.
absl::StatusOr<LookAlikes> FindLookAlikes(const EncodedDataset& a, const EncodedDataset& b,
                                          double floor, int threads);

}  // namespace bloomlink::link::link_internal
