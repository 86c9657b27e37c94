// Internal: the bucket join behind the blocking candidate sources (LSH, keyed tokens).
//
// A source has tables; in each table every record has a key (LSH: K sampled bits; keyed
// blocking: a rule's token), and records of A and B with the same key form a bucket whose pairs
// are compared with the SIMD kernels by the candidate rule. A pair is kept in the first table
// it shares a key in, so a pair found in several tables is kept once. Whole tables go to
// threads; the result is sorted by (left, right), so it does not depend on the thread count.
//
// Source is a type with:
//   std::size_t tables() const;
//   // Keys(table, side_b, out, scratch): the records' keys in a table (A's, or B's when side_b),
//   // as (key, row) sorted by key then row; records without a key are left out.
//   void Keys(std::size_t table, bool side_b, std::vector<Keyed>& out,
//             std::vector<std::uint32_t>& scratch) const;
//   // KeyOf(table, side_b, row, key): the record's key in a table; false when it has none.
//   bool KeyOf(std::size_t table, bool side_b, std::uint32_t row, std::uint64_t& key) const;
//
// A pair is kept in the first table where it shares a key whose bucket was compared: when a
// bucket is skipped for its size, its pairs may still be found in a later table. The tables
// run in parallel, so which buckets are skipped is known only afterwards; when there are any,
// the join runs a second time knowing them (rare: a key shared by very many records).
#pragma once

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/match/candidate_pairs.hpp"
#include "bloomlink/match/candidates.hpp"
#include "bloomlink/match/kernels.hpp"
#include "internal/popcount.hpp"
#include "internal/strings.hpp"

namespace bloomlink::match::match_internal {

// Keyed: a record's key in one table.
struct Keyed {
  std::uint64_t key;
  std::uint32_t row;
  bool operator<(const Keyed& o) const { return key < o.key || (key == o.key && row < o.row); }
};

// Bucket: records [a_begin, a_end) of A's sorted keys and [b_begin, b_end) of B's share a key.
struct Bucket {
  std::size_t a_begin, a_end, b_begin, b_end;
};

// Buckets(ka, other, same): the runs of equal keys present in both sorted key lists (within one
// dataset, other is ka and a run needs two records or more to hold a pair).
inline std::vector<Bucket> Buckets(const std::vector<Keyed>& ka, const std::vector<Keyed>& other,
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

// BucketPairs: the pairs a bucket holds.
inline std::uint64_t BucketPairs(const Bucket& b, bool same) {
  const std::uint64_t na = b.a_end - b.a_begin, nb = b.b_end - b.b_begin;
  return same ? na * (na - 1) / 2 : na * nb;
}

// Buckets with at most this many pairs are compared pair by pair, without packing them for the
// SIMD kernels (which costs more than it saves on a few pairs).
inline constexpr std::uint64_t kDirectBucketPairs = 16;

// TableBlock: a table's largest bucket.
struct TableBlock {
  std::uint64_t a_records = 0, b_records = 0, pairs = 0;
};

struct JoinStats {
  std::uint64_t comparisons = 0;  // pairs compared, over all tables (with repeats)
  std::uint64_t buckets = 0;      // buckets with at least one pair, over all tables
  std::uint64_t largest_bucket_pairs = 0;
  std::uint64_t capped_buckets = 0;  // skipped for exceeding max_bucket_pairs
  std::uint64_t capped_pairs = 0;    // their pairs, not compared
  std::vector<TableBlock> largest;   // per table, its largest bucket
};

// JoinTables(a, b, options, source, max_bucket_pairs, stats): the candidates (options.threshold,
// same_dataset, threads, kernel, max_candidates, cancelled) among the pairs that share a key in
// one of the source's tables; buckets of more than max_bucket_pairs pairs (0: no limit) are
// skipped and counted. The inputs are checked by the caller (ValidateCandidateInputs).
template <typename Source>
absl::StatusOr<CandidatePairs> JoinTables(const BitMatrix& a, const BitMatrix& b,
                                          const CandidateOptions& options, const Source& source,
                                          std::uint64_t max_bucket_pairs, JoinStats& stats) {
  const KernelTable* kernel = options.kernel;
  if (kernel == nullptr) {
    auto chosen = Kernels();
    if (!chosen.ok()) return chosen.status();
    kernel = *chosen;
  }
  const bool same = options.same_dataset;
  const double t = options.threshold;
  const std::size_t words = a.words_per_row();
  const int threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  // Workspace: one thread's buffers.
  struct Workspace {
    AlignedWords queries, groups;
    std::vector<const std::uint64_t*> target_rows;
    std::vector<std::uint32_t> counts;
    CandidatePairs out;
    std::uint64_t comparisons = 0;
  };
  const std::size_t ntables = source.tables();
  // known_capped[e]: table e's skipped keys, sorted (read during a pass); found_capped: those
  // this pass skips (each table's written by the thread that runs it).
  std::vector<std::vector<std::uint64_t>> known_capped(ntables), found_capped(ntables);
  std::vector<Workspace> workspaces;
  std::atomic<bool> stop, exhausted, cancelled;
  std::atomic<std::uint64_t> found, buckets_total, capped_buckets, capped_pairs;
  const auto tables = static_cast<std::int64_t>(ntables);
  for (int pass = 0;; ++pass) {
    workspaces.clear();
    workspaces.resize(static_cast<std::size_t>(threads));
    for (std::vector<std::uint64_t>& keys : found_capped) keys.clear();
    stats = JoinStats{};
    stats.largest.assign(ntables, TableBlock{});
    // Tables are independent: each thread takes whole tables (keys, buckets, comparisons) on its
    // own, so there is one parallel region instead of several per table (whose barriers, with a
    // serial sort between them, cost a third of the time). Which table keeps a pair depends only
    // on the keys, so the result does not depend on which thread ran which table.
    stop = exhausted = cancelled = false;
    found = buckets_total = capped_buckets = capped_pairs = 0;
#pragma omp parallel num_threads(threads)
    {
      Workspace& ws = workspaces[static_cast<std::size_t>(omp_get_thread_num())];
      std::vector<std::uint32_t> scratch;  // the source's sorting scratch, reused by its tables
      std::vector<Keyed> ka, kb;
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
        source.Keys(table, false, ka, scratch);
        if (!same) source.Keys(table, true, kb, scratch);
        const std::vector<Keyed>& other = same ? ka : kb;
        const std::vector<Bucket> buckets = Buckets(ka, other, same);
        buckets_total.fetch_add(buckets.size(), std::memory_order_relaxed);
        TableBlock& largest = stats.largest[table];  // this table's: written by this thread only
        const std::size_t before = ws.out.size();
        // A table visits the records in an order of its own (by key), so each bucket's rows are
        // far apart in memory: fetch the next buckets' rows and popcounts while this one is
        // compared (on a million records a side, waiting for them was most of the time).
        const auto prefetch = [&](std::size_t index) {
          if (index >= buckets.size()) return;
          const Bucket& next = buckets[index];
          const std::size_t bytes = words * 8;
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
          const std::uint64_t bucket_pairs = BucketPairs(bucket, same);
          if (bucket_pairs > largest.pairs) largest = {nq, same ? nq : nt, bucket_pairs};
          if (max_bucket_pairs > 0 && bucket_pairs > max_bucket_pairs) {
            found_capped[table].push_back(ka[bucket.a_begin].key);
            capped_buckets.fetch_add(1, std::memory_order_relaxed);
            capped_pairs.fetch_add(bucket_pairs, std::memory_order_relaxed);
            continue;
          }
          ws.comparisons += bucket_pairs;
          // emit(left, right, c): keeps a candidate pair in the first table it shares a key in.
          const auto emit = [&](std::uint32_t left, std::uint32_t right, std::uint32_t c) {
            const std::uint32_t sum = a.popcount(left) + b.popcount(right);
            if (!IsCandidate(c, sum, t)) return;
            for (std::size_t e = 0; e < table; ++e) {
              std::uint64_t key_a, key_b;
              if (source.KeyOf(e, false, left, key_a) && source.KeyOf(e, true, right, key_b) &&
                  key_a == key_b &&
                  !std::binary_search(known_capped[e].begin(), known_capped[e].end(), key_a)) {
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
            // Below a bound of 1 nothing is rejected (at threshold 0 even c = 0 is a candidate).
            const double bound = t * static_cast<double>(a.popcount(left) + min_target) / 2.0;
            const std::int64_t below = bound >= 1.0 ? static_cast<std::int64_t>(bound) - 1 : -1;
            const std::uint32_t* counts = ws.counts.data() + q * stride;
            for (std::size_t r = 0; r < nt; ++r) {
              if (static_cast<std::int64_t>(counts[r]) <= below) continue;
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
      return absl::ResourceExhaustedError(internal::StrCat(
          "the candidate search found more than ", options.max_candidates, " candidate pairs"));
    }
    // Skipped buckets this pass did not know of: run again knowing them.
    bool unknown = false;
    for (std::size_t e = 0; e < ntables; ++e) {
      std::sort(found_capped[e].begin(), found_capped[e].end());
      unknown = unknown || found_capped[e] != known_capped[e];
    }
    if (!unknown || pass == 1) break;
    known_capped = found_capped;
  }
  stats.buckets = buckets_total.load();
  stats.capped_buckets = capped_buckets.load();
  stats.capped_pairs = capped_pairs.load();
  for (const TableBlock& block : stats.largest) {
    stats.largest_bucket_pairs = std::max(stats.largest_bucket_pairs, block.pairs);
  }
  // Every pair once (the first table it shares a key in), put in (left, right) order: the same
  // result whatever the thread count.
  std::vector<std::pair<std::uint64_t, float>> all;
  all.reserve(found.load());
  for (Workspace& ws : workspaces) {
    for (std::size_t p = 0; p < ws.out.size(); ++p) {
      all.emplace_back((static_cast<std::uint64_t>(ws.out.left[p]) << 32) | ws.out.right[p],
                       ws.out.score[p]);
    }
    stats.comparisons += ws.comparisons;
    ws.out = CandidatePairs();
  }
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  CandidatePairs result;
  result.reserve(all.size());
  for (const auto& [pair, score] : all) {
    result.push_back(static_cast<std::uint32_t>(pair >> 32),
                     static_cast<std::uint32_t>(pair & 0xFFFFFFFFu), score);
  }
  return result;
}

}  // namespace bloomlink::match::match_internal
