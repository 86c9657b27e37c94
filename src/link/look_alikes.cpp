#include "link/look_alikes.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "bloomlink/match/candidates.hpp"
#include "internal/random.hpp"
#include "internal/status_macros.hpp"

namespace bloomlink::link::link_internal {
namespace {

// AddLookAlikes: the look-alikes of a sample of `x`'s records; other_records is the size of the
// other dataset (for the weights).
absl::Status AddLookAlikes(const BitMatrix& x, std::uint64_t other_records, double floor,
                           int threads, std::uint64_t seed, LookAlikes& out) {
  const std::size_t n = x.rows();
  if (n < 2) return absl::OkStatus();
  const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, kLookAlikeRecords));
  // The first k of a partial Fisher-Yates shuffle, in index order.
  std::vector<std::uint32_t> index(n);
  std::iota(index.begin(), index.end(), 0u);
  internal::SplitMix64 rng(seed);
  for (std::size_t i = 0; i < k; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng.Next() % (n - i));
    std::swap(index[i], index[j]);
  }
  index.resize(k);
  std::sort(index.begin(), index.end());
  BitMatrix sample(k, x.bits());
  for (std::size_t i = 0; i < k; ++i) {
    std::memcpy(sample.row_words(i), x.row_words(index[i]), x.words_per_row() * 8);
  }
  sample.UpdatePopcounts();
  match::CandidateOptions options;
  options.threshold = floor;
  options.threads = threads;
  BLOOMLINK_ASSIGN_OR_RETURN(match::CandidatePairs pairs,
                             match::FindCandidates(sample, x, options, nullptr));
  out.records += k;
  // A sampled record's pairs with the n - 1 others of its dataset stand for its pairs with the
  // other dataset's records (x other/(n - 1)), and the k sampled records for all n (x n/k); the
  // two datasets' look-alikes share the estimate (x 1/2).
  const double weight = 0.5 * static_cast<double>(n) * static_cast<double>(other_records) /
                        (static_cast<double>(k) * static_cast<double>(n - 1));
  std::vector<float> best(k, -1.0f);
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const std::uint32_t i = pairs.left[p];
    if (pairs.right[p] == index[i]) continue;  // the record itself
    best[i] = std::max(best[i], pairs.score[p]);
    out.pairs.push_back(pairs.score[p]);
    out.weights.push_back(weight);
  }
  for (const float s : best) {
    if (s >= 0.0f) out.best.push_back(s);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LookAlikes> FindLookAlikes(const EncodedDataset& a, const EncodedDataset& b,
                                          double floor, int threads) {
  LookAlikes out;
  BLOOMLINK_RETURN_IF_ERROR(
      AddLookAlikes(a.clks, b.size(), floor, threads, 0x6C6F6F6B616C696Bull, out));
  BLOOMLINK_RETURN_IF_ERROR(
      AddLookAlikes(b.clks, a.size(), floor, threads, 0x616C696B656C6F6Full, out));
  return out;
}

}  // namespace bloomlink::link::link_internal
