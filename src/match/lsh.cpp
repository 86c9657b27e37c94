// Hamming LSH on CLK bits (bloomlink/match/lsh.hpp).
#include "bloomlink/match/lsh.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "internal/popcount.hpp"
#include "internal/random.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::match {
namespace {

using internal::StrCat;

// Positions set in fewer than kMinFrequency or more than kMaxFrequency of the records are not
// sampled: they agree for nearly every pair.
constexpr double kMinFrequency = 0.05;
constexpr double kMaxFrequency = 0.95;
// Records of each dataset whose bits plan the tables.
constexpr std::size_t kPlanRecords = 10000;
// The work of keying and grouping one record in one table, in pair comparisons within buckets
// (for choosing K): about 60 ns against 1.5 ns on 100,000 x 100,000 synth extracts (16 gave
// K 14 and 137 tables at Dice 0.8, 1.82 s; 150 gave K 10 and 51 tables, 2.39 s; 40: K 12 and 84
// tables, 1.54 s).
constexpr double kKeyCost = 40.0;
// Keys of at most this many bits are sorted by counting (2^bits counters).
constexpr std::size_t kCountingSortBits = 22;
// Buckets with at most this many pairs are compared pair by pair, without packing them for the
// SIMD kernels (which costs more than it saves on a few pairs).
constexpr std::uint64_t kDirectBucketPairs = 16;

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// SampleRows(n, most): up to `most` row indices spread evenly over [0, n).
std::vector<std::size_t> SampleRows(std::size_t n, std::size_t most) {
  std::vector<std::size_t> rows;
  const std::size_t k = std::min(n, most);
  rows.reserve(k);
  for (std::size_t i = 0; i < k; ++i) rows.push_back(i * n / k);
  return rows;
}

// Key(row, positions): the record's bits at `positions`, bit i of the key from positions[i].
inline std::uint64_t Key(const std::uint8_t* row, const std::vector<std::uint32_t>& positions) {
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const std::uint32_t p = positions[i];
    key |= static_cast<std::uint64_t>((row[p >> 3] >> (7 - (p & 7))) & 1u) << i;
  }
  return key;
}

// Keyed: a record's key in one table, sorted by key then record.
struct Keyed {
  std::uint64_t key;
  std::uint32_t row;
  bool operator<(const Keyed& o) const { return key < o.key || (key == o.key && row < o.row); }
};

// KeysOf(m, positions, threads): every record's key in one table, sorted by key then record:
// by counting when the keys have at most kCountingSortBits bits (one pass, no comparisons),
// else by comparison.
std::vector<Keyed> KeysOf(const BitMatrix& m, const std::vector<std::uint32_t>& positions,
                          int threads, std::vector<std::uint32_t>& counts) {
  std::vector<Keyed> keys(m.rows());
  const auto n = static_cast<std::int64_t>(m.rows());
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t r = 0; r < n; ++r) {
    const auto row = static_cast<std::size_t>(r);
    keys[row] = {Key(m.row_bytes(row), positions), static_cast<std::uint32_t>(row)};
  }
  if (positions.size() > kCountingSortBits) {
    std::sort(keys.begin(), keys.end());
    return keys;
  }
  // Records are visited in order, so equal keys stay in record order.
  counts.assign((std::size_t{1} << positions.size()) + 1, 0);
  for (const Keyed& k : keys) ++counts[k.key + 1];
  for (std::size_t i = 1; i < counts.size(); ++i) counts[i] += counts[i - 1];
  std::vector<Keyed> sorted(keys.size());
  for (const Keyed& k : keys) sorted[counts[k.key]++] = k;
  return sorted;
}

// Bucket: records [a_begin, a_end) of A's sorted keys and [b_begin, b_end) of B's share a key.
struct Bucket {
  std::size_t a_begin, a_end, b_begin, b_end;
};

// Buckets(ka, other, same): the runs of equal keys present in both sorted key lists (within one
// dataset, other is ka and a run needs two records or more to hold a pair).
std::vector<Bucket> Buckets(const std::vector<Keyed>& ka, const std::vector<Keyed>& other,
                            bool same) {
  std::vector<Bucket> buckets;
  std::size_t i = 0, j = 0;
  while (i < ka.size() && j < other.size()) {
    if (ka[i].key < other[j].key) {
      ++i;
    } else if (other[j].key < ka[i].key) {
      ++j;
    } else {
      std::size_t i_end = i, j_end = j;
      while (i_end < ka.size() && ka[i_end].key == ka[i].key) ++i_end;
      while (j_end < other.size() && other[j_end].key == other[j].key) ++j_end;
      if (!same || i_end - i >= 2) buckets.push_back({i, i_end, j, j_end});
      i = i_end;
      j = j_end;
    }
  }
  return buckets;
}

// Workspace: one thread's buffers.
struct Workspace {
  AlignedWords queries, groups;
  std::vector<const std::uint64_t*> target_rows;
  std::vector<std::uint32_t> counts;
  CandidatePairs out;
  std::uint64_t comparisons = 0;
};

}  // namespace

std::string_view BlockingName(Blocking blocking) {
  switch (blocking) {
    case Blocking::kExhaustive:
      return "exhaustive";
    case Blocking::kLsh:
      return "lsh";
  }
  return "unknown";
}

absl::StatusOr<Blocking> ParseBlocking(std::string_view name) {
  for (Blocking b : {Blocking::kExhaustive, Blocking::kLsh}) {
    if (name == BlockingName(b)) return b;
  }
  return absl::InvalidArgumentError(
      StrCat("unknown blocking \"", name, "\": expected exhaustive or lsh"));
}

absl::StatusOr<LshPlan> PlanLsh(const BitMatrix& a, const BitMatrix& b, double threshold,
                                bool same_dataset, const LshOptions& options) {
  if (!(threshold > 0.0 && threshold <= 1.0)) {
    return absl::InvalidArgumentError(StrCat("LSH needs a threshold in (0, 1], got ", threshold));
  }
  if (!(options.completeness > 0.0 && options.completeness < 1.0)) {
    return absl::InvalidArgumentError(
        StrCat("LSH completeness must be in (0, 1), got ", options.completeness));
  }
  if (options.bits < 0 || options.bits > kMaxLshBits) {
    return absl::InvalidArgumentError(StrCat("LSH bits per key must be 0 (from the data) to ",
                                             kMaxLshBits, ", got ", options.bits));
  }
  if (options.tables < 0 || options.tables > kMaxLshTables) {
    return absl::InvalidArgumentError(StrCat("LSH tables must be 0 (from the data) to ",
                                             kMaxLshTables, ", got ", options.tables));
  }
  if (a.bits() != b.bits()) {
    return absl::InvalidArgumentError(
        StrCat("filter lengths differ: ", a.bits(), " and ", b.bits(), " bits"));
  }
  const std::size_t bits = a.bits();
  // Each position's frequency in a sample of each dataset.
  const auto frequencies = [&](const BitMatrix& m, const std::vector<std::size_t>& rows) {
    std::vector<double> f(bits, 0.0);
    for (std::size_t r : rows) {
      const std::uint8_t* row = m.row_bytes(r);
      for (std::size_t p = 0; p < bits; ++p) f[p] += (row[p >> 3] >> (7 - (p & 7))) & 1u;
    }
    for (double& x : f) x = rows.empty() ? 0.0 : x / static_cast<double>(rows.size());
    return f;
  };
  const std::vector<std::size_t> rows_a = SampleRows(a.rows(), kPlanRecords);
  const std::vector<std::size_t> rows_b =
      same_dataset ? rows_a : SampleRows(b.rows(), kPlanRecords);
  const std::vector<double> fa = frequencies(a, rows_a);
  const std::vector<double> fb = same_dataset ? fa : frequencies(b, rows_b);
  LshPlan plan;
  std::vector<std::uint32_t> informative;
  std::vector<std::uint64_t> mask(a.words_per_row(), 0);
  double q = 0.0;
  for (std::size_t p = 0; p < bits; ++p) {
    if (std::min(fa[p], fb[p]) >= kMinFrequency && std::max(fa[p], fb[p]) <= kMaxFrequency) {
      informative.push_back(static_cast<std::uint32_t>(p));
      // The words hold the bits most significant first within each byte (BitMatrix's layout).
      mask[p >> 6] |= std::uint64_t{1} << ((p & 56) + (7 - (p & 7)));
      q += fa[p] * fb[p] + (1.0 - fa[p]) * (1.0 - fb[p]);
    }
  }
  const std::size_t m = informative.size();
  plan.informative_positions = m;
  if (m == 0) {
    return absl::InvalidArgumentError(
        "LSH: no bit position is set in between 5% and 95% of the records, so no position "
        "tells records apart; compare exhaustively");
  }
  q /= static_cast<double>(m);
  // p: a pair at the threshold whose two records each have the 90th percentile of popcounts on
  // the informative positions, x, disagrees on 2 x (1 - threshold) of the m positions.
  std::vector<std::uint32_t> popcounts;
  const auto add_popcounts = [&](const BitMatrix& mat, const std::vector<std::size_t>& rows) {
    for (std::size_t r : rows) {
      popcounts.push_back(internal::AndPopcount(mat.row_words(r), mask.data(), mask.size()));
    }
  };
  add_popcounts(a, rows_a);
  if (!same_dataset) add_popcounts(b, rows_b);
  std::sort(popcounts.begin(), popcounts.end());
  const double x90 = popcounts.empty() ? 0.0 : popcounts[popcounts.size() * 9 / 10];
  double p = 1.0 - 2.0 * (1.0 - threshold) * x90 / static_cast<double>(m);
  p = std::clamp(p, std::min(q + 1e-3, 0.999), 0.999999);
  plan.agreement_at_threshold = p;
  plan.agreement_random = q;
  const double pairs =
      same_dataset ? static_cast<double>(a.rows()) * (static_cast<double>(a.rows()) - 1.0) / 2.0
                   : static_cast<double>(a.rows()) * static_cast<double>(b.rows());
  const double records = static_cast<double>(a.rows() + (same_dataset ? 0 : b.rows()));
  const auto tables_for = [&](int k) {
    const double hit = std::pow(p, k);
    const double l = std::log(1.0 - options.completeness) / std::log1p(-hit);
    return static_cast<int>(std::ceil(l - 1e-9));
  };
  int k = options.bits;
  if (k == 0) {
    double best = std::numeric_limits<double>::infinity();
    const int most = static_cast<int>(std::min<std::size_t>(kMaxLshBits, m));
    for (int kk = 1; kk <= most; ++kk) {
      const int l = options.tables > 0 ? options.tables : tables_for(kk);
      if (l > kMaxLshTables) break;
      const double cost = l * (records * kKeyCost + pairs * std::pow(q, kk));
      if (cost < best) {
        best = cost;
        k = kk;
      }
    }
    if (k == 0) k = 1;
  }
  if (static_cast<std::size_t>(k) > m) {
    return absl::InvalidArgumentError(
        StrCat("LSH: ", k, " bits per key, but only ", m, " bit positions are informative"));
  }
  const int l = options.tables > 0 ? options.tables : std::min(tables_for(k), kMaxLshTables);
  plan.bits = k;
  plan.tables = l;
  plan.max_bucket_pairs = options.max_bucket_pairs;
  for (int t = 0; t < l; ++t) {
    internal::SplitMix64 rng(options.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(t));
    std::vector<std::uint32_t> pool = informative;
    for (int i = 0; i < k; ++i) {
      const std::size_t j =
          static_cast<std::size_t>(i) + static_cast<std::size_t>(rng.Next() % (m - i));
      std::swap(pool[static_cast<std::size_t>(i)], pool[j]);
    }
    pool.resize(static_cast<std::size_t>(k));
    std::sort(pool.begin(), pool.end());
    plan.positions.push_back(std::move(pool));
  }
  plan.predicted_completeness = 1.0 - std::pow(1.0 - std::pow(p, k), l);
  plan.expected_comparisons = l * pairs * std::pow(q, k);
  plan.reason = StrCat(
      "LSH: ", l, " tables of ", k, " bits from ", m,
      " informative positions; a pair at the threshold agrees on a position with p = ", Fixed(p, 3),
      ", a random pair with q = ", Fixed(q, 3), ": predicted completeness ",
      Fixed(plan.predicted_completeness, 4), " at the threshold, about ",
      internal::Thousands(static_cast<unsigned long long>(plan.expected_comparisons)),
      " comparisons (", Fixed(100.0 * plan.expected_comparisons / std::max(pairs, 1.0), 2),
      "% of the pairs)");
  return plan;
}

absl::StatusOr<CandidatePairs> FindCandidatesLsh(const BitMatrix& a, const BitMatrix& b,
                                                 const CandidateOptions& options,
                                                 const LshPlan& plan, LshStats* stats) {
  const auto start_time = std::chrono::steady_clock::now();
  BLOOMLINK_RETURN_IF_ERROR(ValidateCandidateInputs(a, b, options));
  if (options.top_k != 0) {
    return absl::InvalidArgumentError("LSH blocking keeps every candidate: top-k must be 0");
  }
  const bool same = options.same_dataset;
  for (const std::vector<std::uint32_t>& positions : plan.positions) {
    if (positions.size() > static_cast<std::size_t>(kMaxLshBits) ||
        std::any_of(positions.begin(), positions.end(),
                    [&](std::uint32_t p) { return p >= a.bits(); })) {
      return absl::InvalidArgumentError("LSH plan: a table's positions do not fit the filters");
    }
  }
  const KernelTable* kernel = options.kernel;
  if (kernel == nullptr) {
    BLOOMLINK_ASSIGN_OR_RETURN(kernel, Kernels());
  }
  const double t = options.threshold;
  const std::size_t words = a.words_per_row();
  const int threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  std::vector<Workspace> workspaces(static_cast<std::size_t>(threads));
  LshStats local;
  // Tables are independent: each thread takes whole tables (keys, buckets, comparisons) on its
  // own, so there is one parallel region instead of several per table (whose barriers, with a
  // serial sort between them, cost a third of the time). Which table keeps a pair depends only
  // on the keys, so the result does not depend on which thread ran which table.
  std::atomic<bool> stop{false}, exhausted{false}, cancelled{false};
  std::atomic<std::uint64_t> found{0}, buckets_total{0}, capped_buckets{0}, capped_pairs{0},
      largest{0};
  const auto tables = static_cast<std::int64_t>(plan.positions.size());
#pragma omp parallel num_threads(threads)
  {
    Workspace& ws = workspaces[static_cast<std::size_t>(omp_get_thread_num())];
    std::vector<std::uint32_t> sort_counts;  // KeysOf's counters, reused by this thread's tables
    const bool poller = omp_get_thread_num() == 0;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t table_index = 0; table_index < tables; ++table_index) {
      if (stop.load(std::memory_order_relaxed)) continue;
      if (poller && options.cancelled && options.cancelled()) {
        cancelled.store(true);
        stop.store(true);
        continue;
      }
      const auto table = static_cast<std::size_t>(table_index);
      const std::vector<std::uint32_t>& positions = plan.positions[table];
      const std::vector<Keyed> ka = KeysOf(a, positions, 1, sort_counts);
      const std::vector<Keyed> kb =
          same ? std::vector<Keyed>() : KeysOf(b, positions, 1, sort_counts);
      const std::vector<Keyed>& other = same ? ka : kb;
      const std::vector<Bucket> buckets = Buckets(ka, other, same);
      buckets_total.fetch_add(buckets.size(), std::memory_order_relaxed);
      const std::size_t before = ws.out.size();
      // A table visits the records in an order of its own (by key), so each bucket's rows are
      // far apart in memory: fetch the next buckets' rows and popcounts while this one is
      // compared (on a million records a side, waiting for them was most of the time).
      const auto prefetch = [&](std::size_t index) {
        if (index >= buckets.size()) return;
        const Bucket& next = buckets[index];
        const std::size_t bytes = a.words_per_row() * 8;
        for (std::size_t i = next.a_begin; i < next.a_end; ++i) {
          const std::uint8_t* row = a.row_bytes(ka[i].row);
          for (std::size_t at = 0; at < bytes; at += 64) __builtin_prefetch(row + at);
          __builtin_prefetch(a.popcounts().data() + ka[i].row);
        }
        if (same) return;
        for (std::size_t j = next.b_begin; j < next.b_end; ++j) {
          const std::uint8_t* row = b.row_bytes(other[j].row);
          for (std::size_t at = 0; at < bytes; at += 64) __builtin_prefetch(row + at);
          __builtin_prefetch(b.popcounts().data() + other[j].row);
        }
      };
      constexpr std::size_t kPrefetchBuckets = 2;
      for (std::size_t i = 0; i < std::min(kPrefetchBuckets, buckets.size()); ++i) prefetch(i);
      for (std::size_t bucket_index = 0; bucket_index < buckets.size(); ++bucket_index) {
        prefetch(bucket_index + kPrefetchBuckets);
        const Bucket& bucket = buckets[bucket_index];
        const std::size_t nq = bucket.a_end - bucket.a_begin;
        const std::size_t nt = bucket.b_end - bucket.b_begin;
        const std::uint64_t bucket_pairs = same ? static_cast<std::uint64_t>(nq) * (nq - 1) / 2
                                                : static_cast<std::uint64_t>(nq) * nt;
        std::uint64_t seen = largest.load(std::memory_order_relaxed);
        while (bucket_pairs > seen &&
               !largest.compare_exchange_weak(seen, bucket_pairs, std::memory_order_relaxed)) {
        }
        if (plan.max_bucket_pairs > 0 && bucket_pairs > plan.max_bucket_pairs) {
          capped_buckets.fetch_add(1, std::memory_order_relaxed);
          capped_pairs.fetch_add(bucket_pairs, std::memory_order_relaxed);
          continue;
        }
        ws.comparisons += bucket_pairs;
        // emit(left, right, c): keeps a candidate pair in the first table it collides in.
        const auto emit = [&](std::uint32_t left, std::uint32_t right, std::uint32_t c) {
          const std::uint32_t sum = a.popcount(left) + b.popcount(right);
          if (!IsCandidate(c, sum, t)) return;
          for (std::size_t e = 0; e < table; ++e) {
            if (Key(a.row_bytes(left), plan.positions[e]) ==
                Key(b.row_bytes(right), plan.positions[e])) {
              return;
            }
          }
          ws.out.push_back(
              left, right,
              static_cast<float>(2.0 * static_cast<double>(c) / static_cast<double>(sum)));
        };
        if (bucket_pairs <= kDirectBucketPairs) {
          for (std::size_t q = 0; q < nq; ++q) {
            const std::uint32_t left = ka[bucket.a_begin + q].row;
            for (std::size_t r = 0; r < nt; ++r) {
              const std::uint32_t right = other[bucket.b_begin + r].row;
              if (same && left >= right) continue;
              emit(left, right,
                   internal::AndPopcount(a.row_words(left), b.row_words(right), words));
            }
          }
          continue;
        }
        // Most pairs in a bucket are far below the threshold: an integer bound per query
        // (from the bucket's smallest target popcount) rejects them before the exact test.
        std::uint32_t min_target = std::numeric_limits<std::uint32_t>::max();
        for (std::size_t r = 0; r < nt; ++r) {
          min_target = std::min(min_target, b.popcount(other[bucket.b_begin + r].row));
        }
        // Queries: the bucket's records of A, copied together; targets: its records of B,
        // packed for the kernel.
        if (ws.queries.size() < nq * words) ws.queries = AlignedWords(nq * words);
        for (std::size_t q = 0; q < nq; ++q) {
          const std::uint64_t* row = a.row_words(ka[bucket.a_begin + q].row);
          std::copy(row, row + words, ws.queries.data() + q * words);
        }
        ws.target_rows.resize(nt);
        for (std::size_t r = 0; r < nt; ++r) {
          ws.target_rows[r] = b.row_words(other[bucket.b_begin + r].row);
        }
        PackTargetGroups(ws.target_rows, words, ws.groups);
        const std::size_t ngroups = (nt + kGroupLanes - 1) / kGroupLanes;
        const std::size_t stride = ngroups * kGroupLanes;
        ws.counts.resize(nq * stride);
        kernel->and_popcount(ws.queries.data(), nq, words, ws.groups.data(), ngroups, words,
                             ws.counts.data(), stride);
        for (std::size_t q = 0; q < nq; ++q) {
          const std::uint32_t left = ka[bucket.a_begin + q].row;
          // A candidate needs 2c >= t (|a| + |b|) >= t (|a| + min_target): c at most `below`
          // (one under that bound, rounded down, so rounding cannot reject a candidate) fails.
          const double bound = t * static_cast<double>(a.popcount(left) + min_target) / 2.0;
          const auto below = bound >= 1.0 ? static_cast<std::uint32_t>(bound) - 1 : 0u;
          const std::uint32_t* counts = ws.counts.data() + q * stride;
          for (std::size_t r = 0; r < nt; ++r) {
            if (counts[r] <= below) continue;
            const std::uint32_t right = other[bucket.b_begin + r].row;
            if (same && left >= right) continue;  // each unordered pair once, never with itself
            emit(left, right, counts[r]);
          }
        }
      }
      const std::uint64_t total =
          found.fetch_add(ws.out.size() - before, std::memory_order_relaxed) + ws.out.size() -
          before;
      if (options.max_candidates > 0 && total > options.max_candidates) {
        exhausted.store(true);
        stop.store(true);
      }
    }
  }
  if (cancelled.load()) return absl::CancelledError("candidate search cancelled");
  if (exhausted.load()) {
    return absl::ResourceExhaustedError(StrCat("the candidate search found more than ",
                                               options.max_candidates, " candidate pairs"));
  }
  local.buckets = buckets_total.load();
  local.capped_buckets = capped_buckets.load();
  local.capped_pairs = capped_pairs.load();
  local.largest_bucket_pairs = largest.load();
  // Every pair once (the first table it collides in), put in (left, right) order: the same
  // result whatever the thread count.
  std::vector<std::pair<std::uint64_t, float>> all;
  all.reserve(found.load());
  for (Workspace& ws : workspaces) {
    for (std::size_t p = 0; p < ws.out.size(); ++p) {
      all.emplace_back((static_cast<std::uint64_t>(ws.out.left[p]) << 32) | ws.out.right[p],
                       ws.out.score[p]);
    }
    local.comparisons += ws.comparisons;
    ws.out = CandidatePairs();
  }
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  CandidatePairs result;
  result.reserve(all.size());
  for (const auto& [pair, score] : all) {
    result.push_back(static_cast<std::uint32_t>(pair >> 32),
                     static_cast<std::uint32_t>(pair & 0xFFFFFFFFu), score);
  }
  local.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  if (stats != nullptr) *stats = local;
  return result;
}

absl::StatusOr<LshBlocks> CountLshBlocks(const BitMatrix& a, const BitMatrix& b, bool same_dataset,
                                         const LshPlan& plan, int threads) {
  if (a.bits() != b.bits()) {
    return absl::InvalidArgumentError(
        StrCat("filter lengths differ: ", a.bits(), " and ", b.bits(), " bits"));
  }
  for (const std::vector<std::uint32_t>& positions : plan.positions) {
    if (std::any_of(positions.begin(), positions.end(),
                    [&](std::uint32_t p) { return p >= a.bits(); })) {
      return absl::InvalidArgumentError("LSH plan: a table's positions do not fit the filters");
    }
  }
  if (threads <= 0) threads = omp_get_num_procs();
  LshBlocks out;
  std::vector<std::uint32_t> sort_counts;
  const auto keep_largest = [&](const LshBlock& block) {
    out.largest.push_back(block);
    std::sort(out.largest.begin(), out.largest.end(), [](const LshBlock& x, const LshBlock& y) {
      return x.pairs > y.pairs || (x.pairs == y.pairs && x.table < y.table);
    });
    if (out.largest.size() > kLargestLshBlocks) out.largest.pop_back();
  };
  for (std::size_t table = 0; table < plan.positions.size(); ++table) {
    const std::vector<Keyed> ka = KeysOf(a, plan.positions[table], threads, sort_counts);
    const std::vector<Keyed> kb = same_dataset
                                      ? std::vector<Keyed>()
                                      : KeysOf(b, plan.positions[table], threads, sort_counts);
    const std::vector<Keyed>& other = same_dataset ? ka : kb;
    for (const Bucket& bucket : Buckets(ka, other, same_dataset)) {
      const std::uint64_t na = bucket.a_end - bucket.a_begin, nb = bucket.b_end - bucket.b_begin;
      const std::uint64_t pairs = same_dataset ? na * (na - 1) / 2 : na * nb;
      out.comparisons += pairs;
      ++out.buckets;
      if (out.largest.size() < kLargestLshBlocks || pairs > out.largest.back().pairs) {
        keep_largest({static_cast<std::uint32_t>(table), na, same_dataset ? na : nb, pairs});
      }
    }
  }
  return out;
}

bool LshCollides(const std::uint8_t* a_row, const std::uint8_t* b_row, const LshPlan& plan) {
  for (const std::vector<std::uint32_t>& positions : plan.positions) {
    if (Key(a_row, positions) == Key(b_row, positions)) return true;
  }
  return false;
}

}  // namespace bloomlink::match
