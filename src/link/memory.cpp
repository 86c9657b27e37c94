// Link()'s memory estimate and limit: checked before the work starts, so that a job too big for
// the machine stops at once with a message saying what to change, not after an hour in swap.
#include <algorithm>

#include "bloomlink/eval/metrics.hpp"
#include "bloomlink/link.hpp"
#include "bloomlink/match/candidates.hpp"
#include "bloomlink/match/keyed_blocking.hpp"
#include "bloomlink/memory_limit.hpp"
#include "internal/popcount.hpp"
#include "internal/random.hpp"
#include "internal/strings.hpp"
#include "link/streaming.hpp"

namespace bloomlink::link {
namespace {

constexpr std::uint64_t kSamplePairs = 200000;
// Streaming: candidates per batch (at most, and at least under a tight limit) and their bytes.
constexpr std::uint64_t kStreamBatchPairs = std::uint64_t{1} << 22;
constexpr std::uint64_t kMinStreamBatchPairs = std::uint64_t{1} << 12;
constexpr std::uint64_t kBytesPerBatchPair = 32;

std::uint64_t DatasetBytes(const EncodedDataset& d) {
  std::uint64_t bytes = d.clks.rows() * d.clks.stride_bytes();
  for (const std::string& id : d.ids) bytes += sizeof(std::string) + id.capacity();
  for (const FieldFilters& f : d.field_filters)
    bytes += f.filters.rows() * f.filters.stride_bytes();
  bytes += d.blocking_keys.tokens.size() * sizeof(std::uint64_t);
  return bytes;
}

}  // namespace

MemoryEstimate EstimateMemory(const EncodedDataset& a, const EncodedDataset& b,
                              const LinkOptions& options) {
  MemoryEstimate e;
  e.datasets = DatasetBytes(a) + (options.deduplicate ? 0 : DatasetBytes(b));
  const std::uint64_t na = a.size(), nb = b.size();
  // Targets packed for the kernels, and both sides' popcount orders.
  e.search = nb * b.clks.words_per_row() * 8 + (na + nb) * 8;
  const std::uint64_t all_pairs = options.deduplicate ? eval::PairsWithin(na) : na * nb;
  // Per candidate at the peak: 12 bytes in the search's buffers and 12 in the result. With Dice,
  // the solver's working copy of every candidate (12). With Fellegi-Sunter, each candidate's
  // pattern (4 bytes; ComparePatterns keeps no levels or scores per candidate): only the
  // accepted pairs are copied on, and those are assumed few beside the candidates. Its
  // record-major copy of the field filters is fixed, counted with the search.
  if (options.method == Method::kFellegiSunter) {
    e.bytes_per_candidate = 28;
    std::uint64_t words = 0;
    for (const FieldFilters& f : a.field_filters) words += f.filters.words_per_row();
    const std::uint64_t row_bytes = ((words + (a.field_filters.size() + 1) / 2 + 7) / 8) * 64;
    e.search += row_bytes * (na + (options.deduplicate ? 0 : nb));
  } else {
    e.bytes_per_candidate = 36;
  }
  if (options.method == Method::kFellegiSunter && options.candidates.top_k == 0 &&
      options.candidates.blocking == match::Blocking::kExhaustive) {
    // Streamed: per candidate of a batch, the search's buffer and the joined batch (12 bytes
    // each) and its pattern index (4, or 8 with keys over 32 bits, and a copy), counted as 32;
    // a quarter of what the limit leaves, at most kStreamBatchPairs. Per record of A, its best
    // unaccepted candidates (kStreamBest x 8 bytes, and 5), its best probability and whether it
    // is matched (4 + 1); per record of B, whether it is matched. Per accepted pair:
    // the pair (12), its Dice and pattern (8), its place in the index (about 24), the solver's
    // copy and heaps (about 24), the pair kept (12) with its probability, weight and
    // contributions (8 + 4 per field).
    e.bytes_per_accepted = 96 + 4 * a.field_filters.size();
    std::uint64_t batch = kStreamBatchPairs;
    const std::uint64_t fixed = e.datasets + e.search;
    if (options.max_memory > fixed) {
      batch = std::clamp<std::uint64_t>((options.max_memory - fixed) / 4 / kBytesPerBatchPair,
                                        kMinStreamBatchPairs, kStreamBatchPairs);
    } else if (options.max_memory > 0) {
      batch = kMinStreamBatchPairs;
    }
    e.stream_batch_pairs = batch;
    e.stream_buffers =
        batch * kBytesPerBatchPair + na * (link_internal::kStreamBest * 8 + 5 + 4 + 1) + nb;
  }
  if (all_pairs == 0) return e;
  // The share of random pairs that reach the threshold.
  const std::uint64_t samples = std::min(kSamplePairs, all_pairs);
  const std::size_t words = a.clks.words_per_row();
  const double t = options.candidates.threshold;
  // A fixed sequence, so the estimate is the same on every run.
  internal::SplitMix64 rng(0x626C6F6F6D6C696Eull);
  std::uint64_t hits = 0;
  for (std::uint64_t s = 0; s < samples; ++s) {
    const std::uint64_t i = rng.Next() % na;
    std::uint64_t j = rng.Next() % nb;
    if (options.deduplicate && i == j) j = (j + 1) % nb;
    const std::uint64_t* x = a.clks.row_words(i);
    const std::uint64_t* y = b.clks.row_words(j);
    const std::uint32_t c = internal::AndPopcount(x, y, words);
    if (match::IsCandidate(c, a.clks.popcount(i) + b.clks.popcount(j), t)) ++hits;
  }
  e.sampled_pairs = samples;
  e.expected_candidates = static_cast<std::uint64_t>(
      static_cast<double>(hits) / static_cast<double>(samples) * static_cast<double>(all_pairs));
  if (options.candidates.top_k > 0) {
    e.expected_candidates =
        std::min(e.expected_candidates, na * static_cast<std::uint64_t>(options.candidates.top_k));
  }
  if (options.candidates.blocking == match::Blocking::kKeys) {
    // Keyed blocking compares only the pairs sharing a token, whose share above the threshold
    // is far higher than random pairs': estimated on a sample of those pairs instead (each
    // rule's sorted tokens, 16 bytes a record, count with the search).
    auto sample = match::SampleKeyedPairs(a.blocking_keys, b.blocking_keys, options.deduplicate,
                                          kSamplePairs, 0x6B657965642D626Cull);
    if (sample.ok()) {
      std::uint64_t above = 0;
      for (std::size_t s = 0; s < sample->left.size(); ++s) {
        const std::uint32_t i = sample->left[s], j = sample->right[s];
        const std::uint32_t c =
            internal::AndPopcount(a.clks.row_words(i), b.clks.row_words(j), a.clks.words_per_row());
        if (match::IsCandidate(c, a.clks.popcount(i) + b.clks.popcount(j), t)) ++above;
      }
      e.sampled_pairs = sample->left.size();
      e.expected_candidates =
          sample->left.empty()
              ? 0
              : static_cast<std::uint64_t>(static_cast<double>(above) /
                                           static_cast<double>(sample->left.size()) *
                                           static_cast<double>(sample->compared));
      e.search += 16 * (na + (options.deduplicate ? 0 : nb));
    }
  }
  return e;
}

}  // namespace bloomlink::link
