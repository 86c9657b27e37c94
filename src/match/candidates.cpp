#include "bloomlink/match/candidates.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <tuple>

#include "bloomlink/match/keyed_blocking.hpp"
#include "bloomlink/match/lsh.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bloomlink/threads.hpp"
#include "internal/huge_pages.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::match {
namespace {

using internal::StrCat;

// FormatShare(x): a share as a percentage with two significant decimals ("4.20%", "0.0031%").
std::string FormatShare(double x) {
  char buf[32];
  const double percent = 100.0 * x;
  std::snprintf(buf, sizeof buf, percent >= 0.1 || percent == 0 ? "%.2f%%" : "%.2g%%", percent);
  return buf;
}

// Tiling: a tile of queries (sorted by popcount, so they share a target slice) is run against
// blocks of target groups small enough to stay in L2 (256 groups of 1024-bit filters = 256 KiB),
// four queries per kernel call.
constexpr std::size_t kQueriesPerTile = 64;
constexpr std::size_t kQueriesPerCall = 4;
constexpr std::size_t kGroupsPerBlock = 256;
// Below this many pairs the work is done in the calling thread.
constexpr std::uint64_t kParallelCutoff = std::uint64_t{1} << 20;

// PopcountOrder: the rows of a matrix sorted by popcount (stable: equal popcounts keep their
// index order), with where each popcount's run starts.
struct PopcountOrder {
  std::vector<std::uint32_t> rows;       // rows[p]: the row at sorted position p
  std::vector<std::uint32_t> popcounts;  // popcounts[p] = popcount of rows[p]
  std::vector<std::size_t> start;  // start[c]: first position with popcount >= c; c <= bits + 1
};

PopcountOrder SortByPopcount(const BitMatrix& m) {
  PopcountOrder order;
  const std::size_t bits = m.bits();
  order.start.assign(bits + 2, 0);
  for (std::size_t r = 0; r < m.rows(); ++r) ++order.start[m.popcount(r) + 1];
  for (std::size_t c = 1; c < order.start.size(); ++c) order.start[c] += order.start[c - 1];
  order.rows.resize(m.rows());
  order.popcounts.resize(m.rows());
  std::vector<std::size_t> next(order.start.begin(), order.start.end() - 1);
  for (std::size_t r = 0; r < m.rows(); ++r) {
    std::size_t p = next[m.popcount(r)]++;
    order.rows[p] = static_cast<std::uint32_t>(r);
    order.popcounts[p] = m.popcount(r);
  }
  return order;
}

// MinCount(s, t): the smallest intersection that qualifies for popcount sum s (may exceed s/2,
// meaning none does).
inline std::uint32_t MinCount(std::uint32_t s, double t) {
  return static_cast<std::uint32_t>(std::ceil(t * static_cast<double>(s) / 2.0));
}

// PopcountBounds: for each query popcount pa, the interval [lo, hi] of target popcounts that can
// reach the threshold at all (|a AND b| <= min(pa, pb)); empty when lo > hi. Both ends grow
// with pa, so a tile of sorted queries needs the targets from lo(first) to hi(last).
struct PopcountBounds {
  std::vector<std::int64_t> lo, hi;
};

PopcountBounds ComputeBounds(std::size_t bits, double t) {
  PopcountBounds b;
  b.lo.resize(bits + 1);
  b.hi.resize(bits + 1);
  const auto max_pb = static_cast<std::int64_t>(bits);
  for (std::int64_t pa = 0; pa <= max_pb; ++pa) {
    auto feasible = [&](std::int64_t pb) {
      return IsCandidate(static_cast<std::uint32_t>(std::min(pa, pb)),
                         static_cast<std::uint32_t>(pa + pb), t);
    };
    if (!feasible(pa)) {
      if (pa == 0 && t <= 0.0) {  // score 0 qualifies: every non-empty target
        b.lo[0] = 1;
        b.hi[0] = max_pb;
      } else {
        b.lo[pa] = 1;
        b.hi[pa] = 0;
      }
      continue;
    }
    // Below pa feasibility grows with pb; above pa it shrinks: binary search both edges.
    std::int64_t lo = 0, hi = pa;
    while (lo < hi) {
      std::int64_t mid = (lo + hi) / 2;
      if (feasible(mid))
        hi = mid;
      else
        lo = mid + 1;
    }
    b.lo[pa] = lo;
    lo = pa;
    hi = max_pb;
    while (lo < hi) {
      std::int64_t mid = (lo + hi + 1) / 2;
      if (feasible(mid))
        lo = mid;
      else
        hi = mid - 1;
    }
    b.hi[pa] = lo;
  }
  return b;
}

// Scored: one candidate of a query, for top-k heaps.
struct Scored {
  float score;
  std::uint32_t right;
};
// Better(x, y): higher score, then lower index.
inline bool Better(const Scored& x, const Scored& y) {
  return x.score > y.score || (x.score == y.score && x.right < y.right);
}

inline float Score(std::uint32_t c, std::uint32_t s) {
  return static_cast<float>(2.0 * static_cast<double>(c) / static_cast<double>(s));
}

// Search: everything the threads share, read-only.
struct Search {
  const BitMatrix* a = nullptr;
  double t = 0;
  const KernelTable* kernel = nullptr;
  std::size_t words = 0, na = 0, nb = 0, ngroups = 0, tiles = 0;
  PopcountOrder ta, tb;  // queries and targets sorted by popcount
  AlignedWords groups;   // targets in sorted order, packed for the kernels
  PopcountBounds bounds;
  // upper: A with itself, threshold mode: each query is compared only with the targets after it
  // in popcount order (the same order on both sides), so each unordered pair is computed once.
  bool upper = false;
  std::uint64_t pairs = 0;  // the pairs to be decided (upper: unordered pairs of two records)
};

// PairChunks: append-only candidate storage in fixed chunks, so that a thread's output grows
// without reallocating and copying (millions of pairs), each chunk advised for huge pages.
class PairChunks {
 public:
  static constexpr std::size_t kChunk = std::size_t{1} << 20;

  std::size_t size() const { return size_; }
  void push_back(std::uint32_t left, std::uint32_t right, float score) {
    const std::size_t at = size_ / kChunk;
    if (at == chunks_.size()) AddChunk();
    CandidatePairs& c = chunks_[at];
    c.left.push_back(left);
    c.right.push_back(right);
    c.score.push_back(score);
    ++size_;
  }
  // CopyTo(begin, end, out, at): copies pairs [begin, end) to out[at...].
  void CopyTo(std::size_t begin, std::size_t end, CandidatePairs& out, std::size_t at) const {
    while (begin < end) {
      const CandidatePairs& c = chunks_[begin / kChunk];
      const std::size_t from = begin % kChunk;
      const std::size_t n = std::min(end - begin, kChunk - from);
      std::copy_n(c.left.data() + from, n, out.left.data() + at);
      std::copy_n(c.right.data() + from, n, out.right.data() + at);
      std::copy_n(c.score.data() + from, n, out.score.data() + at);
      begin += n;
      at += n;
    }
  }
  // clear(): no pairs; the chunks keep their memory for the next ones.
  void clear() {
    for (CandidatePairs& c : chunks_) c.clear();
    size_ = 0;
  }

 private:
  void AddChunk() {
    chunks_.emplace_back();
    CandidatePairs& c = chunks_.back();
    c.reserve(kChunk);
    internal::AdviseHugePages(c.left.data(), kChunk * sizeof(std::uint32_t));
    internal::AdviseHugePages(c.right.data(), kChunk * sizeof(std::uint32_t));
    internal::AdviseHugePages(c.score.data(), kChunk * sizeof(float));
  }
  std::vector<CandidatePairs> chunks_;
  std::size_t size_ = 0;
};

// Workspace: one thread's buffers, allocated once per call.
struct Workspace {
  AlignedWords queries;
  std::vector<std::uint32_t> counts;
  std::uint64_t comparisons = 0;
  std::vector<std::vector<Scored>> heaps;  // top-k: the tile's heaps
  PairChunks out;
  struct Segment {
    std::size_t tile, begin, end;
  };
  std::vector<Segment> segments;  // which tile each part of `out` came from

  explicit Workspace(std::size_t words)
      : queries(kQueriesPerTile * words), counts(kQueriesPerCall * kGroupsPerBlock * kGroupLanes) {}
};

// ForEachAtLeast(counts, n, need, f): f(i) for every i < n with counts[i] >= need, in order.
// Counts are compared 16 at a time with SSE2 (part of the baseline x86-64): most blocks of a
// high-threshold search have no candidate at all.
template <typename F>
inline void ForEachAtLeast(const std::uint32_t* counts, std::size_t n, std::uint32_t need, F&& f) {
  std::size_t i = 0;
#if defined(__SSE2__)
  if (need > 0) {
    // counts <= 65536, so a signed compare against need - 1 is exact.
    const __m128i bar = _mm_set1_epi32(static_cast<int>(need - 1));
    for (; i + 16 <= n; i += 16) {
      const auto* v = reinterpret_cast<const __m128i*>(counts + i);
      const int m0 = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(_mm_loadu_si128(v), bar)));
      const int m1 =
          _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(_mm_loadu_si128(v + 1), bar)));
      const int m2 =
          _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(_mm_loadu_si128(v + 2), bar)));
      const int m3 =
          _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpgt_epi32(_mm_loadu_si128(v + 3), bar)));
      unsigned mask = static_cast<unsigned>(m0 | (m1 << 4) | (m2 << 8) | (m3 << 12));
      while (mask != 0) {
        f(i + static_cast<std::size_t>(__builtin_ctz(mask)));
        mask &= mask - 1;
      }
    }
  }
#endif
  for (; i < n; ++i) {
    if (counts[i] >= need) f(i);
  }
}

// ScanTile(search, ws, tile, visit): computes the tile's intersections block by block and calls
// visit(slot, left, right, c, s) for every qualifying pair, in a fixed order (block, then query,
// then target position). slot is the query's position within the tile.
template <typename Visit>
void ScanTile(const Search& search, Workspace& ws, std::size_t tile, Visit&& visit) {
  const std::size_t words = search.words;
  const std::size_t q_begin = tile * kQueriesPerTile;
  const std::size_t nq = std::min(kQueriesPerTile, search.na - q_begin);
  const PopcountOrder& ta = search.ta;
  const PopcountOrder& tb = search.tb;
  const PopcountBounds& bounds = search.bounds;
  for (std::size_t q = 0; q < nq; ++q) {
    std::memcpy(ws.queries.data() + q * words, search.a->row_words(ta.rows[q_begin + q]),
                words * sizeof(std::uint64_t));
  }
  // The tile's target slice: from the first query's lowest feasible popcount to the last
  // query's highest (both bounds grow with the query popcount).
  const std::int64_t lo = bounds.lo[ta.popcounts[q_begin]];
  const std::int64_t hi = bounds.hi[ta.popcounts[q_begin + nq - 1]];
  if (lo > hi) return;
  const std::size_t p_begin = tb.start[static_cast<std::size_t>(lo)];
  const std::size_t p_end = tb.start[static_cast<std::size_t>(hi) + 1];
  std::size_t g_begin = p_begin / kGroupLanes;
  if (search.upper) g_begin = std::max(g_begin, (q_begin + 1) / kGroupLanes);
  const std::size_t g_end = std::min(search.ngroups, (p_end + kGroupLanes - 1) / kGroupLanes);
  const std::size_t group_words = words * kGroupLanes;
  constexpr std::size_t kStride = kGroupsPerBlock * kGroupLanes;
  for (std::size_t g0 = g_begin; g0 < g_end; g0 += kGroupsPerBlock) {
    const std::size_t gcount = std::min(kGroupsPerBlock, g_end - g0);
    const std::size_t block_begin = g0 * kGroupLanes;
    const std::size_t block_end = std::min(search.nb, (g0 + gcount) * kGroupLanes);
    for (std::size_t q0 = 0; q0 < nq; q0 += kQueriesPerCall) {
      const std::size_t nc = std::min(kQueriesPerCall, nq - q0);
      search.kernel->and_popcount(ws.queries.data() + q0 * words, nc, words,
                                  search.groups.data() + g0 * group_words, gcount, words,
                                  ws.counts.data(), kStride);
      ws.comparisons += nc * (block_end - block_begin);
      for (std::size_t qc = 0; qc < nc; ++qc) {
        const std::size_t qs = q_begin + q0 + qc;  // the query's sorted position
        const std::uint32_t pa = ta.popcounts[qs];
        if (bounds.lo[pa] > bounds.hi[pa]) continue;
        std::size_t from = std::max(block_begin, tb.start[static_cast<std::size_t>(bounds.lo[pa])]);
        if (search.upper) from = std::max(from, qs + 1);
        const std::size_t to =
            std::min(block_end, tb.start[static_cast<std::size_t>(bounds.hi[pa]) + 1]);
        const std::uint32_t* counts = ws.counts.data() + qc * kStride;
        const std::uint32_t left = ta.rows[qs];
        // Targets of equal popcount share the smallest qualifying intersection.
        for (std::size_t p = from; p < to;) {
          const std::uint32_t pb = tb.popcounts[p];
          const std::size_t run_end = std::min(to, tb.start[pb + 1]);
          const std::uint32_t s = pa + pb;
          const std::uint32_t need = MinCount(s, search.t);
          const std::uint32_t* run = counts + (p - block_begin);
          const std::uint32_t* rows = tb.rows.data() + p;
          ForEachAtLeast(run, run_end - p, need,
                         [&](std::size_t i) { visit(q0 + qc, left, rows[i], run[i], s); });
          p = run_end;
        }
      }
    }
  }
}

// BlockedStats(a, b, options, comparisons, candidates, start, stats): the stats every blocking
// source reports alike (its reason, skipped pairs and warnings are its own).
absl::Status BlockedStats(const BitMatrix& a, const BitMatrix& b, const CandidateOptions& options,
                          std::uint64_t comparisons, std::uint64_t candidates,
                          std::chrono::steady_clock::time_point start, CandidateStats& stats) {
  const KernelTable* kernel = options.kernel;
  if (kernel == nullptr) {
    BLOOMLINK_ASSIGN_OR_RETURN(kernel, Kernels());
  }
  stats = CandidateStats{};
  stats.pairs = options.same_dataset
                    ? static_cast<std::uint64_t>(a.rows()) * (a.rows() - (a.rows() > 0)) / 2
                    : static_cast<std::uint64_t>(a.rows()) * b.rows();
  stats.comparisons = comparisons;
  stats.pruned = stats.pairs - std::min(stats.pairs, comparisons);
  stats.candidates = candidates;
  stats.kernel = std::string(kernel->name);
  stats.threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return absl::OkStatus();
}

// PrepareSearch(a, b, options): the exhaustive search's shared state (inputs validated).
absl::StatusOr<Search> PrepareSearch(const BitMatrix& a, const BitMatrix& b,
                                     const CandidateOptions& options) {
  Search search;
  search.upper = options.same_dataset && options.top_k == 0;
  search.kernel = options.kernel;
  if (search.kernel == nullptr) {
    BLOOMLINK_ASSIGN_OR_RETURN(search.kernel, Kernels());
  }
  search.a = &a;
  search.t = options.threshold;
  search.words = a.words_per_row();
  search.na = a.rows();
  search.nb = b.rows();
  search.ngroups = (search.nb + kGroupLanes - 1) / kGroupLanes;
  search.tiles = (search.na + kQueriesPerTile - 1) / kQueriesPerTile;
  search.ta = SortByPopcount(a);
  search.tb = SortByPopcount(b);
  std::vector<const std::uint64_t*> target_rows(search.nb);
  for (std::size_t p = 0; p < search.nb; ++p) target_rows[p] = b.row_words(search.tb.rows[p]);
  PackTargetGroups(target_rows, search.words, search.groups);
  search.bounds = ComputeBounds(a.bits(), options.threshold);
  // The pairs to be decided: with upper, the unordered pairs of two different records.
  search.pairs = search.upper
                     ? static_cast<std::uint64_t>(search.na) * (search.na - (search.na > 0)) / 2
                     : static_cast<std::uint64_t>(search.na) * search.nb;
  return search;
}

// SearchThreads(search, options): the threads the search uses (one below the size cut-off).
int SearchThreads(const Search& search, const CandidateOptions& options) {
  int threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  if (search.pairs < kParallelCutoff || search.tiles < 2) threads = 1;
  return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads),
                                                std::max<std::size_t>(search.tiles, 1)));
}

// ScanThresholdTile(search, ws, tile): appends the tile's candidates (threshold mode) to ws.out,
// within one dataset as (lower index, higher index).
void ScanThresholdTile(const Search& search, Workspace& ws, std::size_t tile) {
  if (search.upper) {
    ScanTile(search, ws, tile,
             [&](std::size_t, std::uint32_t l, std::uint32_t r, std::uint32_t c, std::uint32_t s) {
               ws.out.push_back(std::min(l, r), std::max(l, r), Score(c, s));
             });
  } else {
    ScanTile(search, ws, tile,
             [&](std::size_t, std::uint32_t l, std::uint32_t r, std::uint32_t c, std::uint32_t s) {
               ws.out.push_back(l, r, Score(c, s));
             });
  }
}

}  // namespace

absl::Status ValidateCandidateOptions(const CandidateOptions& options) {
  const double t = options.threshold;
  if (!(t >= 0.0 && t <= 1.0)) {
    return absl::InvalidArgumentError(StrCat("threshold must be between 0 and 1, got ", t));
  }
  if (options.top_k < 0 || options.top_k > kMaxTopK) {
    return absl::InvalidArgumentError(
        StrCat("top-k must be 0 (no limit) to ", kMaxTopK, ", got ", options.top_k));
  }
  if (options.blocking == Blocking::kLsh && options.top_k != 0) {
    return absl::InvalidArgumentError(
        "LSH blocking keeps every candidate it finds: top-k must be 0 (no limit) with it");
  }
  return CheckThreads(options.threads);
}

absl::Status ValidateCandidateInputs(const BitMatrix& a, const BitMatrix& b,
                                     const CandidateOptions& options) {
  BLOOMLINK_RETURN_IF_ERROR(ValidateCandidateOptions(options));
  if (a.bits() != b.bits()) {
    return absl::InvalidArgumentError(
        StrCat("filter lengths differ: ", a.bits(), " and ", b.bits(), " bits"));
  }
  if (a.rows() > 0xFFFFFFFFu || b.rows() > 0xFFFFFFFFu) {
    return absl::InvalidArgumentError("more than 4294967295 records in one dataset");
  }
  if (options.same_dataset && a.rows() != b.rows()) {
    return absl::InvalidArgumentError("same_dataset: the two matrices differ in size");
  }
  return absl::OkStatus();
}

absl::StatusOr<CandidatePairs> FindCandidates(const BitMatrix& a, const BitMatrix& b,
                                              const CandidateOptions& options,
                                              CandidateStats* stats) {
  const auto start_time = std::chrono::steady_clock::now();
  BLOOMLINK_RETURN_IF_ERROR(ValidateCandidateInputs(a, b, options));
  const double t = options.threshold;
  const bool same = options.same_dataset;
  if (options.blocking == Blocking::kKeys) {
    KeyedBlockingStats keyed;
    BLOOMLINK_ASSIGN_OR_RETURN(CandidatePairs result, FindCandidatesByKeys(a, b, options, &keyed));
    if (stats != nullptr) {
      BLOOMLINK_RETURN_IF_ERROR(
          BlockedStats(a, b, options, keyed.comparisons, result.size(), start_time, *stats));
      std::string rules;
      for (const KeyedRuleBlocks& rule : keyed.rules) {
        rules += StrCat(rules.empty() ? "" : ", ", rule.rule);
      }
      stats->blocking_reason =
          StrCat("keyed blocking: pairs sharing a token of ", keyed.rules.size(),
                 keyed.rules.size() == 1 ? " rule (" : " rules (", rules, "), ",
                 internal::Thousands(keyed.comparisons), " comparisons (",
                 FormatShare(static_cast<double>(keyed.comparisons) /
                             static_cast<double>(std::max<std::uint64_t>(stats->pairs, 1))),
                 " of the pairs)");
      stats->skipped_pairs = keyed.capped_pairs;
      stats->blocking_warnings = BlockingWarnings(keyed.rules, keyed.capped_blocks,
                                                  keyed.capped_pairs, options.keys.max_block_pairs);
    }
    return result;
  }
  std::string exhaustive_instead;  // why LSH was planned but not used
  std::optional<LshPlan> plan;
  if (options.blocking == Blocking::kLsh) {
    BLOOMLINK_ASSIGN_OR_RETURN(plan, PlanLsh(a, b, t, same, options.lsh));
    const double all = same ? static_cast<double>(a.rows()) * (a.rows() - (a.rows() > 0)) / 2
                            : static_cast<double>(a.rows()) * static_cast<double>(b.rows());
    if (plan->expected_comparisons >= kLshWorthwhile * all) {
      // Near random pairs' similarity a pair at the threshold agrees on a bit hardly more often
      // than a random pair: the tables would compare more than they save.
      exhaustive_instead =
          StrCat(plan->reason, "; not worth it at this threshold: compared exhaustively instead");
      plan.reset();
    }
  }
  if (plan) {
    LshStats lsh;
    BLOOMLINK_ASSIGN_OR_RETURN(CandidatePairs result,
                               FindCandidatesLsh(a, b, options, *plan, &lsh));
    if (stats != nullptr) {
      BLOOMLINK_RETURN_IF_ERROR(
          BlockedStats(a, b, options, lsh.comparisons, result.size(), start_time, *stats));
      stats->blocking_reason = plan->reason;
      stats->skipped_pairs = lsh.capped_pairs;
      if (lsh.capped_buckets > 0) {
        stats->blocking_reason +=
            StrCat("; ", lsh.capped_buckets, " buckets of more than ", plan->max_bucket_pairs,
                   " pairs skipped (", lsh.capped_pairs, " pairs not compared)");
      }
    }
    return result;
  }
  BLOOMLINK_ASSIGN_OR_RETURN(const Search search, PrepareSearch(a, b, options));
  const std::uint64_t pairs = search.pairs;
  const std::size_t tiles = search.tiles;
  const int threads = SearchThreads(search, options);
  std::vector<Workspace> workspaces;
  workspaces.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) workspaces.emplace_back(search.words);

  std::atomic<bool> stop{false}, exhausted{false};
  std::atomic<std::uint64_t> done{0}, found{0};
  const std::size_t k = static_cast<std::size_t>(options.top_k);

  // One pass: each thread appends its tiles' candidates to its own chunked buffer and notes
  // which tile each run came from; the runs are then copied into the result in tile order, so
  // the result and its order do not depend on the thread count.
#pragma omp parallel num_threads(threads)
  {
    Workspace& ws = workspaces[static_cast<std::size_t>(omp_get_thread_num())];
    if (k > 0) ws.heaps.resize(kQueriesPerTile);
    const bool reporter = omp_get_thread_num() == 0;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t tile_index = 0; tile_index < static_cast<std::int64_t>(tiles); ++tile_index) {
      if (stop.load(std::memory_order_relaxed)) continue;
      const auto tile = static_cast<std::size_t>(tile_index);
      const std::size_t q_begin = tile * kQueriesPerTile;
      const std::size_t nq = std::min(kQueriesPerTile, search.na - q_begin);
      const std::size_t begin = ws.out.size();
      if (k == 0) {
        ScanThresholdTile(search, ws, tile);
      } else {
        for (std::size_t q = 0; q < nq; ++q) ws.heaps[q].clear();
        ScanTile(search, ws, tile,
                 [&](std::size_t slot, std::uint32_t l, std::uint32_t r, std::uint32_t c,
                     std::uint32_t s) {
                   if (same && l == r) return;
                   std::vector<Scored>& heap = ws.heaps[slot];
                   const Scored item{Score(c, s), r};
                   if (heap.size() < k) {
                     heap.push_back(item);
                     std::push_heap(heap.begin(), heap.end(), Better);
                   } else if (Better(item, heap.front())) {
                     std::pop_heap(heap.begin(), heap.end(), Better);
                     heap.back() = item;
                     std::push_heap(heap.begin(), heap.end(), Better);
                   }
                 });
        for (std::size_t q = 0; q < nq; ++q) {
          std::vector<Scored>& heap = ws.heaps[q];
          std::sort(heap.begin(), heap.end(), Better);
          for (const Scored& item : heap) {
            ws.out.push_back(search.ta.rows[q_begin + q], item.right, item.score);
          }
        }
      }
      if (ws.out.size() > begin) ws.segments.push_back({tile, begin, ws.out.size()});
      if (options.max_candidates > 0 &&
          found.fetch_add(ws.out.size() - begin, std::memory_order_relaxed) +
                  (ws.out.size() - begin) >
              options.max_candidates) {
        exhausted.store(true, std::memory_order_relaxed);
        stop.store(true, std::memory_order_relaxed);
      }
      const std::uint64_t finished = done.fetch_add(nq, std::memory_order_relaxed) + nq;
      if (reporter) {
        if (options.progress) options.progress(finished, search.na);
        if (options.cancelled && options.cancelled()) stop.store(true, std::memory_order_relaxed);
      }
    }
  }
  if (exhausted.load()) {
    return absl::ResourceExhaustedError(StrCat("the candidate search found more than ",
                                               options.max_candidates, " candidate pairs"));
  }
  if (stop.load()) return absl::CancelledError("candidate search cancelled");

  struct Part {
    const Workspace* ws;
    Workspace::Segment segment;
    std::size_t at;
  };
  std::vector<Part> parts;
  for (const Workspace& ws : workspaces) {
    for (const Workspace::Segment& seg : ws.segments) parts.push_back({&ws, seg, 0});
  }
  std::sort(parts.begin(), parts.end(),
            [](const Part& x, const Part& y) { return x.segment.tile < y.segment.tile; });
  std::size_t total = 0;
  for (Part& part : parts) {
    part.at = total;
    total += part.segment.end - part.segment.begin;
  }
  CandidatePairs result;
  internal::ResizeFresh(result.left, total);
  internal::ResizeFresh(result.right, total);
  internal::ResizeFresh(result.score, total);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 16)
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(parts.size()); ++i) {
    const Part& part = parts[static_cast<std::size_t>(i)];
    part.ws->out.CopyTo(part.segment.begin, part.segment.end, result, part.at);
  }
  if (same && k > 0) {
    // A record's best k and another's may name the same pair from both ends: keep each pair
    // once, as (lower index, higher index), in (left, right) order.
    std::vector<std::uint32_t> order(result.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (result.left[i] > result.right[i]) std::swap(result.left[i], result.right[i]);
      order[i] = static_cast<std::uint32_t>(i);
    }
    std::sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
      return std::tie(result.left[x], result.right[x]) < std::tie(result.left[y], result.right[y]);
    });
    CandidatePairs unique;
    unique.reserve(order.size());
    for (std::uint32_t i : order) {
      if (!unique.empty() && unique.left.back() == result.left[i] &&
          unique.right.back() == result.right[i]) {
        continue;
      }
      unique.push_back(result.left[i], result.right[i], result.score[i]);
    }
    result = std::move(unique);
  }

  if (stats != nullptr) {
    std::uint64_t comparisons = 0;
    for (const Workspace& ws : workspaces) comparisons += ws.comparisons;
    stats->pairs = pairs;
    stats->comparisons = comparisons;
    stats->pruned = pairs - std::min(pairs, comparisons);
    stats->candidates = result.size();
    stats->kernel = std::string(search.kernel->name);
    stats->threads = threads;
    stats->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
    stats->blocking_reason = exhaustive_instead;
  }
  return result;
}

absl::Status ForEachCandidateBatch(const BitMatrix& a, const BitMatrix& b,
                                   const CandidateOptions& options, std::uint64_t batch_pairs,
                                   const CandidateSink& sink, CandidateStats* stats) {
  const auto start_time = std::chrono::steady_clock::now();
  BLOOMLINK_RETURN_IF_ERROR(ValidateCandidateInputs(a, b, options));
  if (options.top_k != 0 || options.blocking != Blocking::kExhaustive) {
    return absl::InvalidArgumentError(
        "ForEachCandidateBatch: the exhaustive search with every candidate only (top_k 0, "
        "exhaustive blocking)");
  }
  BLOOMLINK_ASSIGN_OR_RETURN(const Search search, PrepareSearch(a, b, options));
  const std::size_t tiles = search.tiles;
  const int threads = SearchThreads(search, options);
  std::vector<Workspace> workspaces;
  workspaces.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) workspaces.emplace_back(search.words);
  batch_pairs = std::max<std::uint64_t>(batch_pairs, 1);

  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> done{0};
  std::uint64_t found = 0;
  double sink_seconds = 0;
  CandidatePairs batch;
  // Waves: the threads take tiles in order while fewer than batch_pairs candidates are buffered,
  // so the tiles a wave searched are consecutive; their candidates are joined in tile order and
  // handed to the sink outside the parallel region (which may use every thread itself). Every
  // batch is thus a run of FindCandidates' result, whatever the thread count.
  for (std::size_t first = 0; first < tiles;) {
    for (Workspace& ws : workspaces) {
      ws.out.clear();
      ws.segments.clear();
    }
    std::atomic<std::size_t> next{first};
    std::atomic<std::uint64_t> buffered{0};
#pragma omp parallel num_threads(threads)
    {
      Workspace& ws = workspaces[static_cast<std::size_t>(omp_get_thread_num())];
      const bool reporter = omp_get_thread_num() == 0;
      while (!stop.load(std::memory_order_relaxed) &&
             buffered.load(std::memory_order_relaxed) < batch_pairs) {
        const std::size_t tile = next.fetch_add(1, std::memory_order_relaxed);
        if (tile >= tiles) break;
        const std::size_t begin = ws.out.size();
        ScanThresholdTile(search, ws, tile);
        if (ws.out.size() > begin) ws.segments.push_back({tile, begin, ws.out.size()});
        buffered.fetch_add(ws.out.size() - begin, std::memory_order_relaxed);
        const std::size_t nq = std::min(kQueriesPerTile, search.na - tile * kQueriesPerTile);
        const std::uint64_t finished = done.fetch_add(nq, std::memory_order_relaxed) + nq;
        if (reporter) {
          if (options.progress) options.progress(finished, search.na);
          if (options.cancelled && options.cancelled()) stop.store(true, std::memory_order_relaxed);
        }
      }
    }
    if (stop.load()) return absl::CancelledError("candidate search cancelled");
    // Every tile claimed was searched: the wave covered [first, last).
    const std::size_t last = std::min(next.load(), tiles);
    std::size_t total = 0;
    for (const Workspace& ws : workspaces) total += ws.out.size();
    if (total > 0) {
      // Each tile is one segment of one workspace: sort the segments by tile.
      std::vector<std::pair<std::size_t, std::pair<const Workspace*, std::size_t>>> parts;
      for (const Workspace& ws : workspaces) {
        for (std::size_t i = 0; i < ws.segments.size(); ++i) {
          parts.push_back({ws.segments[i].tile, {&ws, i}});
        }
      }
      std::sort(parts.begin(), parts.end(),
                [](const auto& x, const auto& y) { return x.first < y.first; });
      batch.left.resize(total);
      batch.right.resize(total);
      batch.score.resize(total);
      std::size_t at = 0;
      for (const auto& [tile, where] : parts) {
        const Workspace::Segment& seg = where.first->segments[where.second];
        where.first->out.CopyTo(seg.begin, seg.end, batch, at);
        at += seg.end - seg.begin;
      }
      found += total;
      if (options.max_candidates > 0 && found > options.max_candidates) {
        return absl::ResourceExhaustedError(StrCat("the candidate search found more than ",
                                                   options.max_candidates, " candidate pairs"));
      }
      const auto sink_start = std::chrono::steady_clock::now();
      BLOOMLINK_RETURN_IF_ERROR(sink(batch));
      sink_seconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - sink_start).count();
    }
    first = last;
  }

  if (stats != nullptr) {
    std::uint64_t comparisons = 0;
    for (const Workspace& ws : workspaces) comparisons += ws.comparisons;
    *stats = CandidateStats{};
    stats->pairs = search.pairs;
    stats->comparisons = comparisons;
    stats->pruned = search.pairs - std::min(search.pairs, comparisons);
    stats->candidates = found;
    stats->kernel = std::string(search.kernel->name);
    stats->threads = threads;
    stats->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count() -
        sink_seconds;
  }
  return absl::OkStatus();
}

}  // namespace bloomlink::match
