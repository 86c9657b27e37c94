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
#include "match/bucket_join.hpp"

namespace bloomlink::match {
namespace {

using internal::StrCat;
using match_internal::Bucket;
using match_internal::Buckets;
using match_internal::Keyed;

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

// KeysOf(m, positions, threads, keys, counts): every record's key in one table, sorted by key
// then record: by counting when the keys have at most kCountingSortBits bits (one pass, no
// comparisons), else by comparison.
void KeysOf(const BitMatrix& m, const std::vector<std::uint32_t>& positions, int threads,
            std::vector<Keyed>& keys, std::vector<std::uint32_t>& counts) {
  keys.resize(m.rows());
  const auto n = static_cast<std::int64_t>(m.rows());
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t r = 0; r < n; ++r) {
    const auto row = static_cast<std::size_t>(r);
    keys[row] = {Key(m.row_bytes(row), positions), static_cast<std::uint32_t>(row)};
  }
  if (positions.size() > kCountingSortBits) {
    std::sort(keys.begin(), keys.end());
    return;
  }
  // Records are visited in order, so equal keys stay in record order.
  counts.assign((std::size_t{1} << positions.size()) + 1, 0);
  for (const Keyed& k : keys) ++counts[k.key + 1];
  for (std::size_t i = 1; i < counts.size(); ++i) counts[i] += counts[i - 1];
  std::vector<Keyed> sorted(keys.size());
  for (const Keyed& k : keys) sorted[counts[k.key]++] = k;
  keys.swap(sorted);
}

// LshSource: the plan's tables, for JoinTables (src/match/bucket_join.hpp).
struct LshSource {
  const BitMatrix& a;
  const BitMatrix& b;
  const LshPlan& plan;
  std::size_t tables() const { return plan.positions.size(); }
  void Keys(std::size_t table, bool side_b, std::vector<Keyed>& out,
            std::vector<std::uint32_t>& scratch) const {
    KeysOf(side_b ? b : a, plan.positions[table], 1, out, scratch);
  }
  bool KeyOf(std::size_t table, bool side_b, std::uint32_t row, std::uint64_t& key) const {
    key = Key((side_b ? b : a).row_bytes(row), plan.positions[table]);
    return true;
  }
};

}  // namespace

std::string_view BlockingName(Blocking blocking) {
  switch (blocking) {
    case Blocking::kExhaustive:
      return "exhaustive";
    case Blocking::kLsh:
      return "lsh";
    case Blocking::kKeys:
      return "keys";
  }
  return "unknown";
}

absl::StatusOr<Blocking> ParseBlocking(std::string_view name) {
  for (Blocking b : {Blocking::kExhaustive, Blocking::kLsh, Blocking::kKeys}) {
    if (name == BlockingName(b)) return b;
  }
  return absl::InvalidArgumentError(
      StrCat("unknown blocking \"", name, "\": expected exhaustive, lsh or keys"));
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
  for (const std::vector<std::uint32_t>& positions : plan.positions) {
    if (positions.size() > static_cast<std::size_t>(kMaxLshBits) ||
        std::any_of(positions.begin(), positions.end(),
                    [&](std::uint32_t p) { return p >= a.bits(); })) {
      return absl::InvalidArgumentError("LSH plan: a table's positions do not fit the filters");
    }
  }
  match_internal::JoinStats join;
  BLOOMLINK_ASSIGN_OR_RETURN(CandidatePairs result,
                             match_internal::JoinTables(a, b, options, LshSource{a, b, plan},
                                                        plan.max_bucket_pairs, join));
  if (stats != nullptr) {
    *stats = LshStats{
        .comparisons = join.comparisons,
        .buckets = join.buckets,
        .largest_bucket_pairs = join.largest_bucket_pairs,
        .capped_buckets = join.capped_buckets,
        .capped_pairs = join.capped_pairs,
        .seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count(),
    };
  }
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
  std::vector<Keyed> ka, kb;
  const auto keep_largest = [&](const LshBlock& block) {
    out.largest.push_back(block);
    std::sort(out.largest.begin(), out.largest.end(), [](const LshBlock& x, const LshBlock& y) {
      return x.pairs > y.pairs || (x.pairs == y.pairs && x.table < y.table);
    });
    if (out.largest.size() > kLargestLshBlocks) out.largest.pop_back();
  };
  for (std::size_t table = 0; table < plan.positions.size(); ++table) {
    KeysOf(a, plan.positions[table], threads, ka, sort_counts);
    if (!same_dataset) KeysOf(b, plan.positions[table], threads, kb, sort_counts);
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
