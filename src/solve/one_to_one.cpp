// One-to-one resolution of candidate pairs: validation, the shared output order, and the four
// methods (none, greedy, optimal, mutual).
//
// Greedy and mutual work on 64-bit edge keys that order edges without branching on floats: a
// non-negative finite float's bit pattern orders like its value, so (score bits << 32) | (~index)
// sorts by score, then by the smaller index, as one unsigned integer. Bit 63 is never set by a
// finite score, so it marks "present" where a key array needs an empty value (0).
#include "bloomlink/solve/one_to_one.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "solve/greedy_loads.hpp"

namespace bloomlink::solve {
namespace {

using match::CandidatePairs;

constexpr std::uint64_t kPresent = std::uint64_t{1} << 63;
constexpr std::uint32_t kNoIndex = std::numeric_limits<std::uint32_t>::max();

// ScoreBits(s): the bit pattern of a validated score, with -0 folded into +0 so that the two
// compare equal as integers, as they do as floats.
inline std::uint32_t ScoreBits(float s) { return std::bit_cast<std::uint32_t>(s + 0.0f); }
inline float BitsScore(std::uint32_t bits) { return std::bit_cast<float>(bits); }

// EdgeKey(bits, other): orders by score (higher first), then by the smaller `other` index, when
// compared as unsigned integers (larger key = preferred).
inline std::uint64_t EdgeKey(std::uint32_t bits, std::uint32_t other) {
  return (std::uint64_t{bits} << 32) | (~other);
}
inline std::uint32_t KeyBits(std::uint64_t key) {
  return static_cast<std::uint32_t>(key >> 32) & 0x7fffffffu;
}
inline std::uint32_t KeyOther(std::uint64_t key) { return ~static_cast<std::uint32_t>(key); }

// Extent: one past the largest left and right index among the candidates; arrays indexed by
// record are sized by these, not by the caller's counts.
struct Extent {
  std::size_t left = 0;
  std::size_t right = 0;
};

absl::StatusOr<Extent> Validate(const CandidatePairs& c, std::size_t left_count,
                                std::size_t right_count) {
  if (c.left.size() != c.right.size() || c.left.size() != c.score.size()) {
    return absl::InvalidArgumentError(
        internal::StrCat("candidate pairs: the arrays differ in length (left ", c.left.size(),
                         ", right ", c.right.size(), ", score ", c.score.size(), ")"));
  }
  const std::size_t n = c.left.size();
  if (n > kNoIndex) {
    // Positions and per-record counts are 32-bit.
    return absl::InvalidArgumentError(internal::StrCat(
        "candidate pairs: ", n, " pairs is more than the limit of 2^32 - 1 (4294967295)"));
  }
  const std::uint32_t* left = c.left.data();
  const std::uint32_t* right = c.right.data();
  const float* score = c.score.data();
  std::uint32_t max_left = 0;
  std::uint32_t max_right = 0;
  bool bad = false;
  // A branch-light pass first; the slow pass below runs only to name the first bad pair.
  for (std::size_t i = 0; i < n; ++i) {
    max_left = std::max(max_left, left[i]);
    max_right = std::max(max_right, right[i]);
    // Finite and >= 0: NaN fails the comparison, infinity fails the bound.
    bad |= !(score[i] >= 0.0f && score[i] <= std::numeric_limits<float>::max());
  }
  bad |= n > 0 && (max_left >= left_count || max_right >= right_count);
  if (bad) {
    for (std::size_t i = 0; i < n; ++i) {
      if (left[i] >= left_count) {
        return absl::InvalidArgumentError(
            internal::StrCat("candidate pair ", i, ": left index ", left[i],
                             " is not below the left record count ", left_count));
      }
      if (right[i] >= right_count) {
        return absl::InvalidArgumentError(
            internal::StrCat("candidate pair ", i, ": right index ", right[i],
                             " is not below the right record count ", right_count));
      }
      const float s = score[i];
      if (std::isnan(s)) {
        return absl::InvalidArgumentError(
            internal::StrCat("candidate pair ", i, ": score is NaN (expected finite and >= 0)"));
      }
      if (std::isinf(s)) {
        return absl::InvalidArgumentError(internal::StrCat(
            "candidate pair ", i, ": score is infinite (expected finite and >= 0)"));
      }
      if (s < 0.0f) {
        return absl::InvalidArgumentError(
            internal::StrCat("candidate pair ", i, ": score ", s, " is negative"));
      }
    }
  }
  Extent e;
  if (n > 0) {
    e.left = std::size_t{max_left} + 1;
    e.right = std::size_t{max_right} + 1;
  }
  return e;
}

// Match: one output pair before ordering.
struct Match {
  std::uint32_t bits;
  std::uint32_t left;
  std::uint32_t right;
};

// OrderedPairs(matches): the output order (score descending, then left, then right ascending).
// Used for the methods whose output has at most one pair per record.
CandidatePairs OrderedPairs(std::vector<Match>& matches) {
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    if (a.bits != b.bits) return a.bits > b.bits;
    if (a.left != b.left) return a.left < b.left;
    return a.right < b.right;
  });
  CandidatePairs out;
  out.reserve(matches.size());
  for (const Match& m : matches) out.push_back(m.left, m.right, BitsScore(m.bits));
  return out;
}

// ---------------------------------------------------------------------------------------------
// kGreedy: left-proposing deferred acceptance. Left l proposes to its candidates best first
// (score, then smaller right index); right r holds the best proposal it has received by (score,
// then smaller left index) and releases the one it held. Both orders are restrictions of one
// strict total order on edges (score desc, left asc, right asc), so the stable matching is unique
// and equals the greedy matching: the best edge left in the graph is always each end's first
// remaining choice. Repeated pairs need no special handling: a lower-scored copy of a pair is
// always rejected, because the pair's better copy was proposed first and lost to something
// better still.
//
// Most lefts propose only a few times, so their preference lists are loaded lazily instead of
// grouping every candidate by left first (15 million candidates would need 120 MB of fresh
// scratch memory, and first-touching that much memory can cost more than the whole matching).
// A load is one pass over the input that keeps, for each left that needs more, its best `quota`
// candidates below its frontier (the worst candidate it has loaded so far): accepted keys go to
// a buffer a quarter larger than the quota, which nth_element cuts back to the best `quota`
// whenever it fills (amortised O(1) per key). The kept keys become a max-heap that is popped on
// demand. The first load takes up to first_quota candidates for every left; a left that runs out
// while it has more candidates waits until no left is free, then the waiting lefts are loaded
// together, each with quota_growth times its last quota, or its share of a per-load budget of
// n / 16 keys when that is larger (so a short tail of waiting lefts is loaded in full). After
// max_partial_loads loads, one last load takes every remaining candidate of every left (into a
// reserve for lefts still holding a list), which bounds the number of passes however the
// proposals cascade.
class LazyGreedy {
 public:
  LazyGreedy(const CandidatePairs& c, const Extent& extent,
             const solve_internal::GreedyLoadOptions& o)
      : c_(c),
        options_(o),
        nl_(extent.left),
        remaining_(extent.left, 0),
        quota_(extent.left, 0),
        frontier_(extent.left, kPresent),
        list_(extent.left),
        reserve_(extent.left),
        held_(extent.right, 0) {}

  CandidatePairs Run();
  int loads() const { return loads_; }

 private:
  // List: a max-heap of a left's loaded candidates not yet proposed to.
  struct List {
    std::uint64_t* begin = nullptr;
    std::uint64_t* end = nullptr;
    bool empty() const { return begin == end; }
  };
  // Slot: where a left's keys go during one load. Keys are accepted when below the frontier and
  // (with kPresent set) above `floor`.
  struct Slot {
    std::uint64_t floor = 0;
    std::size_t start = 0;
    std::uint32_t size = 0;
    std::uint32_t cap = 0;
  };
  // Load(lefts, all): one pass over the input loading the next chunk of each of `lefts` (every
  // remaining candidate when `all`); lefts with a non-empty list get the chunk as reserve.
  void Load(const std::vector<std::uint32_t>& lefts, bool all);
  // Propose(l): l proposes down its list until a right holds it; returns the left released by
  // that right (kNoIndex when none) or l itself when its list ran out.
  std::uint32_t Propose(std::uint32_t l);

  const CandidatePairs& c_;
  const solve_internal::GreedyLoadOptions options_;
  const std::size_t nl_;
  std::vector<std::uint32_t> remaining_;  // candidates below the frontier (an upper bound)
  std::vector<std::uint32_t> quota_;      // keys kept by the last load
  std::vector<std::uint64_t> frontier_;   // loaded candidates are those with key >= frontier
  std::vector<List> list_;
  std::vector<List> reserve_;
  std::vector<std::uint64_t> held_;  // kPresent | EdgeKey(score bits, left), 0 when free
  std::vector<std::unique_ptr<std::uint64_t[]>> chunks_;  // storage of every load
  std::vector<Slot> slots_;
  std::vector<std::uint8_t> loading_;  // 1 for the lefts of the current load (a small, hot array)
  int loads_ = 0;
};

void LazyGreedy::Load(const std::vector<std::uint32_t>& lefts, bool all) {
  slots_.assign(nl_, Slot{});
  loading_.assign(nl_, 0);
  const std::uint64_t budget_share =
      lefts.empty() ? 0 : (c_.size() / options_.budget_divisor + lefts.size() - 1) / lefts.size();
  std::size_t total = 0;
  for (std::uint32_t l : lefts) {
    std::uint64_t want = remaining_[l];
    if (!all) {
      want = quota_[l] == 0 ? options_.first_quota
                            : std::max<std::uint64_t>(
                                  std::uint64_t{quota_[l]} * options_.quota_growth, budget_share);
    }
    const auto quota = static_cast<std::uint32_t>(std::min<std::uint64_t>(want, remaining_[l]));
    quota_[l] = quota;
    Slot& slot = slots_[l];
    slot.start = total;
    // Room for the quota plus a quarter (at least 8) of slack: each cut-back then drops at least
    // a fifth of the buffer, so its cost stays proportional to the keys accepted.
    slot.cap = static_cast<std::uint32_t>(std::min<std::uint64_t>(
        std::uint64_t{quota} + std::max<std::uint64_t>(quota / 4, 8), remaining_[l]));
    total += slot.cap;
    loading_[l] = slot.cap > 0;
  }
  chunks_.emplace_back(new std::uint64_t[std::max<std::size_t>(total, 1)]);
  std::uint64_t* const chunk = chunks_.back().get();
  const std::size_t n = c_.size();
  const std::uint32_t* left = c_.left.data();
  const std::uint32_t* right = c_.right.data();
  const float* score = c_.score.data();
  const std::uint64_t* frontier = frontier_.data();
  const std::uint32_t* quota = quota_.data();
  Slot* slots = slots_.data();
  const std::uint8_t* loading = loading_.data();
  const auto better = std::greater<std::uint64_t>();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t l = left[i];
    if (!loading[l]) continue;
    Slot& slot = slots[l];
    const std::uint64_t key = EdgeKey(ScoreBits(score[i]), right[i]);
    if (key >= frontier[l] || (key | kPresent) <= slot.floor) continue;
    std::uint64_t* buffer = chunk + slot.start;
    buffer[slot.size++] = key;
    if (slot.size == slot.cap && slot.cap > quota[l]) {
      // Keep the best `quota` keys; later keys must beat the worst of them.
      std::nth_element(buffer, buffer + quota[l] - 1, buffer + slot.size, better);
      slot.size = quota[l];
      slot.floor = kPresent | buffer[quota[l] - 1];
    }
  }
  for (std::uint32_t l : lefts) {
    const Slot& slot = slots[l];
    std::uint64_t* buffer = chunk + slot.start;
    std::uint32_t size = slot.size;
    if (size > quota[l]) {
      std::nth_element(buffer, buffer + quota[l] - 1, buffer + size, better);
      size = quota[l];
    }
    // A short load means nothing is left below the frontier (the count can include exact
    // copies of loaded pairs, which are never loaded twice).
    remaining_[l] = all || size < quota[l] ? 0 : remaining_[l] - size;
    if (size > 0) frontier_[l] = *std::min_element(buffer, buffer + size);
    std::make_heap(buffer, buffer + size);
    List& target = list_[l].empty() ? list_[l] : reserve_[l];
    target = {buffer, buffer + size};
  }
  ++loads_;
}

std::uint32_t LazyGreedy::Propose(std::uint32_t l) {
  List& list = list_[l];
  while (!list.empty()) {
    std::pop_heap(list.begin, list.end);
    const std::uint64_t key = *--list.end;
    const std::uint32_t r = KeyOther(key);
    const std::uint64_t proposal = kPresent | EdgeKey(KeyBits(key), l);
    const std::uint64_t current = held_[r];
    if (proposal > current) {
      held_[r] = proposal;
      return current == 0 ? kNoIndex : KeyOther(current);
    }
  }
  return l;
}

CandidatePairs LazyGreedy::Run() {
  std::vector<std::uint32_t> free_lefts;
  std::vector<std::uint32_t> waiting;  // free lefts that ran out of loaded candidates
  for (std::size_t i = 0; i < c_.size(); ++i) ++remaining_[c_.left[i]];
  for (std::size_t l = nl_; l-- > 0;) {
    if (remaining_[l] > 0) waiting.push_back(static_cast<std::uint32_t>(l));
  }
  std::vector<std::uint32_t> to_load;
  bool all_loaded = false;
  while (!waiting.empty()) {
    all_loaded = loads_ >= options_.max_partial_loads;
    to_load.clear();
    if (all_loaded) {
      // The last load: every remaining candidate of every left, matched or not.
      for (std::size_t l = 0; l < nl_; ++l) {
        if (remaining_[l] > 0) to_load.push_back(static_cast<std::uint32_t>(l));
      }
    } else {
      to_load = waiting;
    }
    Load(to_load, all_loaded);
    // Only the waiting lefts are free; the others are held and keep their chunk in reserve.
    for (std::uint32_t l : waiting) {
      if (!list_[l].empty()) free_lefts.push_back(l);
    }
    waiting.clear();
    while (!free_lefts.empty()) {
      std::uint32_t l = free_lefts.back();
      free_lefts.pop_back();
      while (l != kNoIndex) {
        const std::uint32_t released = Propose(l);
        if (released != l) {
          l = released;  // the released left proposes next
          continue;
        }
        if (!reserve_[l].empty()) {
          list_[l] = reserve_[l];
          reserve_[l] = {};
          continue;
        }
        if (remaining_[l] > 0 && !all_loaded) waiting.push_back(l);
        break;
      }
    }
  }
  std::vector<Match> matches;
  for (std::size_t r = 0; r < held_.size(); ++r) {
    if (held_[r] != 0) {
      matches.push_back({KeyBits(held_[r]), KeyOther(held_[r]), static_cast<std::uint32_t>(r)});
    }
  }
  return OrderedPairs(matches);
}

// ---------------------------------------------------------------------------------------------
// kMutual: one pass keeps each record's best candidate (score, then the smaller index of the
// other side); a pair survives when it is best for both ends.
CandidatePairs SolveMutual(const CandidatePairs& c, const Extent& extent) {
  std::vector<std::uint64_t> best_of_left(extent.left, 0);
  std::vector<std::uint64_t> best_of_right(extent.right, 0);
  const std::size_t n = c.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t l = c.left[i];
    const std::uint32_t r = c.right[i];
    const std::uint32_t bits = ScoreBits(c.score[i]);
    best_of_left[l] = std::max(best_of_left[l], kPresent | EdgeKey(bits, r));
    best_of_right[r] = std::max(best_of_right[r], kPresent | EdgeKey(bits, l));
  }
  std::vector<Match> matches;
  for (std::size_t l = 0; l < extent.left; ++l) {
    const std::uint64_t key = best_of_left[l];
    if (key == 0) continue;
    const std::uint32_t r = KeyOther(key);
    if (KeyOther(best_of_right[r]) == l) {
      matches.push_back({KeyBits(key), static_cast<std::uint32_t>(l), r});
    }
  }
  return OrderedPairs(matches);
}

// DistinctByLeft: the candidates grouped by left index, each group sorted by right index with
// repeated pairs removed (keeping the highest score): left l's pairs are
// right[offset[l], offset[l + 1]) with scores bits[...].
struct DistinctByLeft {
  std::vector<std::size_t> offset;
  std::vector<std::uint32_t> right;
  std::vector<std::uint32_t> bits;
};

DistinctByLeft GroupDistinct(const CandidatePairs& c, const Extent& extent) {
  // Counting sort by left, each pair keyed (right, ~score bits) so that sorting a group puts the
  // copies of a pair together, best first.
  const std::size_t n = c.size();
  const std::uint32_t* left = c.left.data();
  const std::uint32_t* right = c.right.data();
  const float* score = c.score.data();
  std::vector<std::size_t> start(extent.left + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++start[left[i] + 1];
  for (std::size_t l = 0; l < extent.left; ++l) start[l + 1] += start[l];
  std::unique_ptr<std::uint64_t[]> keys(new std::uint64_t[n]);  // every slot is written below
  {
    std::vector<std::size_t> next(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < n; ++i) {
      keys[next[left[i]]++] = (std::uint64_t{right[i]} << 32) | ~ScoreBits(score[i]);
    }
  }
  DistinctByLeft d;
  d.offset.assign(extent.left + 1, 0);
  d.right.reserve(n);
  d.bits.reserve(n);
  for (std::size_t l = 0; l < extent.left; ++l) {
    std::uint64_t* begin = keys.get() + start[l];
    std::uint64_t* end = keys.get() + start[l + 1];
    std::sort(begin, end);
    for (std::uint64_t* k = begin; k != end; ++k) {
      const auto r = static_cast<std::uint32_t>(*k >> 32);
      if (k != begin && r == static_cast<std::uint32_t>(k[-1] >> 32)) continue;  // a copy
      d.right.push_back(r);
      d.bits.push_back(~static_cast<std::uint32_t>(*k));
    }
    d.offset[l + 1] = d.right.size();
  }
  return d;
}

// ---------------------------------------------------------------------------------------------
// kNone: least-significant-first stable counting sorts, ping-ponging between the output arrays
// and one scratch set: by right, by left (copies of a pair are now adjacent and are merged, the
// best score kept), then by the low and high 16 bits of the inverted score bits. The result is
// ordered by (score desc, left asc, right asc) without a comparison sort.
struct ConstColumns {
  const std::uint32_t* left;
  const std::uint32_t* right;
  const float* score;
};
struct Columns {
  std::uint32_t* left;
  std::uint32_t* right;
  float* score;
  operator ConstColumns() const { return {left, right, score}; }
};

// ScatterBy(from, to, n, buckets, bucket_of): a stable counting sort of n pairs by bucket_of(i).
template <typename BucketOf>
void ScatterBy(const ConstColumns& from, const Columns& to, std::size_t n, std::size_t buckets,
               std::vector<std::size_t>& count, BucketOf bucket_of) {
  count.assign(buckets + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++count[bucket_of(i) + 1];
  for (std::size_t b = 0; b < buckets; ++b) count[b + 1] += count[b];
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t j = count[bucket_of(i)]++;
    to.left[j] = from.left[i];
    to.right[j] = from.right[i];
    to.score[j] = from.score[i];
  }
}

CandidatePairs SolveNone(const CandidatePairs& c, const Extent& extent) {
  const std::size_t n = c.size();
  CandidatePairs out;
  out.left.resize(n);
  out.right.resize(n);
  out.score.resize(n);
  std::unique_ptr<std::uint32_t[]> scratch_left(new std::uint32_t[n]);
  std::unique_ptr<std::uint32_t[]> scratch_right(new std::uint32_t[n]);
  std::unique_ptr<float[]> scratch_score(new float[n]);
  const ConstColumns input{c.left.data(), c.right.data(), c.score.data()};
  const Columns scratch{scratch_left.get(), scratch_right.get(), scratch_score.get()};
  const Columns result{out.left.data(), out.right.data(), out.score.data()};
  std::vector<std::size_t> count;
  ScatterBy(input, scratch, n, extent.right, count, [&](std::size_t i) { return input.right[i]; });
  ScatterBy(scratch, result, n, extent.left, count, [&](std::size_t i) { return scratch.left[i]; });
  // Merge copies of a pair (adjacent now), keeping the best score; fold -0 into +0.
  std::size_t m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float s = BitsScore(ScoreBits(result.score[i]));
    if (m > 0 && result.left[m - 1] == result.left[i] && result.right[m - 1] == result.right[i]) {
      result.score[m - 1] = std::max(result.score[m - 1], s);
      continue;
    }
    result.left[m] = result.left[i];
    result.right[m] = result.right[i];
    result.score[m] = s;
    ++m;
  }
  ScatterBy(result, scratch, m, 65536, count,
            [&](std::size_t i) { return ~ScoreBits(result.score[i]) & 0xffffu; });
  ScatterBy(scratch, result, m, 65536, count,
            [&](std::size_t i) { return ~ScoreBits(scratch.score[i]) >> 16; });
  out.left.resize(m);
  out.right.resize(m);
  out.score.resize(m);
  return out;
}

// ---------------------------------------------------------------------------------------------
// kOptimal: maximum-weight matching on each connected component of the candidate graph.

// Weights are integers so that sums are exact: llround(score * 2^30) when every score is at most
// 1 (Dice), otherwise llround(score * 2^(30 - e)) with the largest score below 2^e, so that no
// weight exceeds 2^30 and no sum along a path can overflow.
struct Weights {
  double scale = 0;
  std::int64_t operator()(std::uint32_t bits) const {
    return std::llround(static_cast<double>(BitsScore(bits)) * scale);
  }
};

Weights ChooseWeights(const std::vector<std::uint32_t>& bits) {
  std::uint32_t max_bits = 0;
  for (std::uint32_t b : bits) max_bits = std::max(max_bits, b);
  const double max_score = BitsScore(max_bits);
  int exponent = 0;  // max_score < 2^exponent
  if (max_score > 1.0) std::frexp(max_score, &exponent);
  return Weights{std::ldexp(1.0, 30 - exponent)};
}

// UnionFind over record nodes: lefts are [0, L), rights are [L, L + R).
class UnionFind {
 public:
  explicit UnionFind(std::size_t n) : parent_(n) {
    for (std::size_t i = 0; i < n; ++i) parent_[i] = static_cast<std::uint32_t>(i);
  }
  std::uint32_t Find(std::uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void Union(std::uint32_t a, std::uint32_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);  // the root is the smallest node
  }

 private:
  std::vector<std::uint32_t> parent_;
};

// ComponentSolver: maximum-weight matching of one component by successive shortest augmenting
// paths, one left at a time (the Jonker-Volgenant form of the Hungarian method, on sparse
// edges). Costs are -weight; each left also has a private "unmatched" column of cost 0, so every
// left is assigned and the minimum-cost assignment is the maximum-weight matching. Adding left
// l0 runs Dijkstra from l0 over reduced costs (column potentials v keep them non-negative) until
// it settles a free column; the path to it is flipped and the potentials of the settled columns
// move by their distance minus the path's. l0's own unmatched column is always free, so a search
// never goes further than the gain l0 can bring, and stays local in sparse graphs. All
// arithmetic is on integers, so totals are exact and the result is deterministic.
class ComponentSolver {
 public:
  // Solve(nl, nr, edge_offset, edge_right, edge_weight): lefts 0..nl-1 with edges
  // [edge_offset[l], edge_offset[l + 1]) to local rights edge_right[e] of weight
  // edge_weight[e] > 0. Afterwards match_edge()[l] is l's matched edge or kNoEdge.
  void Solve(std::uint32_t nl, std::uint32_t nr, const std::vector<std::uint32_t>& edge_offset,
             const std::vector<std::uint32_t>& edge_right,
             const std::vector<std::int64_t>& edge_weight);
  const std::vector<std::uint32_t>& match_edge() const { return left_edge_; }
  static constexpr std::uint32_t kNoEdge = kNoIndex;

 private:
  static constexpr std::int64_t kInf = std::numeric_limits<std::int64_t>::max();  // compared only
  static constexpr std::uint32_t kAssignedBit = 0x80000000u;  // in heap entries; columns < 2^31
  // Columns: rights 0..nr-1, then the unmatched column of each left (nr + l).
  std::vector<std::int64_t> v_;             // column potentials
  std::vector<std::int64_t> dist_;          // kInf outside the current search
  std::vector<std::uint32_t> pred_;         // the left a column was reached from
  std::vector<std::uint32_t> pred_edge_;    // and by which edge (kNoEdge: the unmatched column)
  std::vector<std::uint32_t> column_left_;  // the left assigned to a column, kNoIndex when free
  std::vector<std::uint32_t> left_column_;  // the column assigned to a left
  std::vector<std::uint32_t> left_edge_;    // the matched edge of a left, kNoEdge when none
  std::vector<std::uint8_t> settled_;
  std::vector<std::uint32_t> touched_;  // columns reached in the current search
  std::vector<std::uint32_t> settled_list_;
  std::vector<std::pair<std::int64_t, std::uint32_t>> heap_;
};

void ComponentSolver::Solve(std::uint32_t nl, std::uint32_t nr,
                            const std::vector<std::uint32_t>& edge_offset,
                            const std::vector<std::uint32_t>& edge_right,
                            const std::vector<std::int64_t>& edge_weight) {
  const std::size_t columns = std::size_t{nl} + nr;
  v_.assign(columns, 0);
  dist_.assign(columns, kInf);
  pred_.resize(columns);
  pred_edge_.resize(columns);
  column_left_.assign(columns, kNoIndex);
  left_column_.assign(nl, kNoIndex);
  left_edge_.assign(nl, kNoEdge);
  settled_.assign(columns, 0);
  const auto heap_greater = std::greater<std::pair<std::int64_t, std::uint32_t>>();

  // Cost of an assignment through edge e (kNoEdge: a left's own unmatched column).
  auto cost = [&](std::uint32_t e) -> std::int64_t { return e == kNoEdge ? 0 : -edge_weight[e]; };
  for (std::uint32_t l0 = 0; l0 < nl; ++l0) {
    touched_.clear();
    settled_list_.clear();
    heap_.clear();
    auto relax = [&](std::uint32_t column, std::int64_t d, std::uint32_t from, std::uint32_t e) {
      if (settled_[column] || d >= dist_[column]) return;
      if (dist_[column] == kInf) touched_.push_back(column);
      dist_[column] = d;
      pred_[column] = from;
      pred_edge_[column] = e;
      // Among equal distances, free columns first: the search can stop sooner on ties.
      heap_.emplace_back(d, column | (column_left_[column] == kNoIndex ? 0 : kAssignedBit));
      std::push_heap(heap_.begin(), heap_.end(), heap_greater);
    };
    // Edges out of a left, in distances relative to reaching that left at `base`:
    // base + cost - v[column] - (its current cost - v[its column]) for an assigned left.
    auto expand = [&](std::uint32_t l, std::int64_t base) {
      for (std::uint32_t e = edge_offset[l]; e < edge_offset[l + 1]; ++e) {
        const std::uint32_t column = edge_right[e];
        relax(column, base + cost(e) - v_[column], l, e);
      }
      relax(nr + l, base - v_[nr + l], l, kNoEdge);
    };
    expand(l0, 0);
    std::uint32_t target = kNoIndex;
    std::int64_t target_dist = 0;
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), heap_greater);
      const std::int64_t d = heap_.back().first;
      const std::uint32_t column = heap_.back().second & ~kAssignedBit;
      heap_.pop_back();
      if (settled_[column] || d != dist_[column]) continue;
      settled_[column] = 1;
      settled_list_.push_back(column);
      const std::uint32_t owner = column_left_[column];
      if (owner == kNoIndex) {
        target = column;
        target_dist = d;
        break;
      }
      // Continue through the left that holds this column: its assignment edge is tight, so
      // leaving it costs -(cost - v[column]).
      expand(owner, d - (cost(left_edge_[owner]) - v_[column]));
    }
    // The unmatched column of l0 is always free, so a target is always found.
    for (std::uint32_t column : settled_list_) v_[column] += dist_[column] - target_dist;
    // Flip the path back to l0.
    std::uint32_t column = target;
    while (true) {
      const std::uint32_t l = pred_[column];
      const std::uint32_t previous = left_column_[l];
      column_left_[column] = l;
      left_column_[l] = column;
      left_edge_[l] = pred_edge_[column];
      if (l == l0) break;
      column = previous;
    }
    for (std::uint32_t c : touched_) {
      dist_[c] = kInf;
      settled_[c] = 0;
    }
  }
}

absl::StatusOr<CandidatePairs> SolveOptimal(const CandidatePairs& c, const Extent& extent) {
  DistinctByLeft d = GroupDistinct(c, extent);
  const Weights weight = ChooseWeights(d.bits);
  const std::size_t nleft = extent.left;
  const std::size_t nright = extent.right;
  if (nleft + nright >= (std::size_t{1} << 31)) {
    return absl::InvalidArgumentError(
        "optimal one-to-one: at most 2^31 - 1 records among the candidates");
  }
  // Pairs of weight 0 add nothing to a matching's total, so they are left out of the graph (and
  // never matched).
  std::vector<std::int64_t> weights(d.bits.size());
  for (std::size_t e = 0; e < d.bits.size(); ++e) weights[e] = weight(d.bits[e]);
  // Components: union-find over records; lefts are grouped by their component's root in
  // ascending order, and components are solved in the order of their roots.
  UnionFind uf(nleft + nright);
  for (std::size_t l = 0; l < nleft; ++l) {
    for (std::size_t e = d.offset[l]; e < d.offset[l + 1]; ++e) {
      if (weights[e] > 0) {
        uf.Union(static_cast<std::uint32_t>(l), static_cast<std::uint32_t>(nleft + d.right[e]));
      }
    }
  }
  std::vector<std::uint32_t> root_of_left(nleft, kNoIndex);
  std::vector<std::uint32_t> bucket(nleft + 1, 0);  // roots are lefts (the smallest node)
  for (std::size_t l = 0; l < nleft; ++l) {
    bool any = false;
    for (std::size_t e = d.offset[l]; e < d.offset[l + 1] && !any; ++e) any = weights[e] > 0;
    if (!any) continue;
    root_of_left[l] = uf.Find(static_cast<std::uint32_t>(l));
    ++bucket[root_of_left[l] + 1];
  }
  for (std::size_t i = 0; i < nleft; ++i) bucket[i + 1] += bucket[i];
  std::vector<std::uint32_t> lefts_by_root(bucket.back());
  {
    std::vector<std::uint32_t> next(bucket.begin(), bucket.end() - 1);
    for (std::size_t l = 0; l < nleft; ++l) {
      if (root_of_left[l] != kNoIndex) {
        lefts_by_root[next[root_of_left[l]]++] = static_cast<std::uint32_t>(l);
      }
    }
  }

  std::vector<Match> matches;
  ComponentSolver solver;
  std::vector<std::uint32_t> local_of_right(nright, kNoIndex);
  std::vector<std::uint32_t> global_right;
  std::vector<std::uint32_t> edge_offset, edge_right, edge_bits;
  std::vector<std::int64_t> edge_weight;
  for (std::size_t root = 0; root < nleft; ++root) {
    const std::uint32_t first = bucket[root];
    const std::uint32_t last = bucket[root + 1];
    if (first == last) continue;
    const std::uint32_t nl = last - first;
    // Local indices: lefts ascending, rights in order of first sight.
    global_right.clear();
    edge_offset.assign(1, 0);
    edge_right.clear();
    edge_bits.clear();
    edge_weight.clear();
    for (std::uint32_t i = first; i < last; ++i) {
      const std::uint32_t l = lefts_by_root[i];
      for (std::size_t e = d.offset[l]; e < d.offset[l + 1]; ++e) {
        if (weights[e] <= 0) continue;
        const std::uint32_t r = d.right[e];
        if (local_of_right[r] == kNoIndex) {
          local_of_right[r] = static_cast<std::uint32_t>(global_right.size());
          global_right.push_back(r);
        }
        edge_right.push_back(local_of_right[r]);
        edge_bits.push_back(d.bits[e]);
        edge_weight.push_back(weights[e]);
      }
      edge_offset.push_back(static_cast<std::uint32_t>(edge_right.size()));
    }
    const auto nr = static_cast<std::uint32_t>(global_right.size());
    for (std::uint32_t r : global_right) local_of_right[r] = kNoIndex;
    if (nl == 1 || nr == 1) {
      // A star (a single pair included): the heaviest edge alone; ties by the output order.
      std::uint32_t best = 0;
      std::uint32_t best_left = 0;
      for (std::uint32_t i = 0; i < nl; ++i) {
        for (std::uint32_t e = edge_offset[i]; e < edge_offset[i + 1]; ++e) {
          // Edges are visited with lefts ascending and, per left, rights ascending, so strict
          // comparisons keep the smallest indices among equals.
          const bool heavier =
              edge_weight[e] > edge_weight[best] ||
              (edge_weight[e] == edge_weight[best] && edge_bits[e] > edge_bits[best]);
          if (heavier) {
            best = e;
            best_left = i;
          }
        }
      }
      matches.push_back(
          {edge_bits[best], lefts_by_root[first + best_left], global_right[edge_right[best]]});
      continue;
    }
    solver.Solve(nl, nr, edge_offset, edge_right, edge_weight);
    for (std::uint32_t i = 0; i < nl; ++i) {
      const std::uint32_t e = solver.match_edge()[i];
      if (e != ComponentSolver::kNoEdge) {
        matches.push_back({edge_bits[e], lefts_by_root[first + i], global_right[edge_right[e]]});
      }
    }
  }
  return OrderedPairs(matches);
}

}  // namespace

}  // namespace bloomlink::solve

// The greedy solver with its load schedule exposed (greedy_loads.hpp), for the tests.
namespace bloomlink::solve_internal {

absl::StatusOr<GreedyResult> SolveGreedyWithOptions(const match::CandidatePairs& candidates,
                                                    std::size_t left_count, std::size_t right_count,
                                                    const GreedyLoadOptions& options) {
  if (options.first_quota == 0 || options.quota_growth == 0 || options.budget_divisor == 0) {
    return absl::InvalidArgumentError("greedy load options: quotas must be positive");
  }
  BLOOMLINK_ASSIGN_OR_RETURN(const solve::Extent extent,
                             solve::Validate(candidates, left_count, right_count));
  solve::LazyGreedy solver(candidates, extent, options);
  GreedyResult result;
  result.pairs = solver.Run();
  result.loads = solver.loads();
  return result;
}

}  // namespace bloomlink::solve_internal

namespace bloomlink::solve {

absl::StatusOr<OneToOne> ParseOneToOne(std::string_view name) {
  for (OneToOne m : {OneToOne::kNone, OneToOne::kGreedy, OneToOne::kOptimal, OneToOne::kMutual}) {
    if (name == OneToOneName(m)) return m;
  }
  return absl::InvalidArgumentError(internal::StrCat(
      "unknown one-to-one method \"", name, "\" (expected none, greedy, optimal or mutual)"));
}

std::string_view OneToOneName(OneToOne method) {
  switch (method) {
    case OneToOne::kNone:
      return "none";
    case OneToOne::kGreedy:
      return "greedy";
    case OneToOne::kOptimal:
      return "optimal";
    case OneToOne::kMutual:
      return "mutual";
  }
  return "unknown";
}

absl::StatusOr<match::CandidatePairs> SolveOneToOne(const match::CandidatePairs& candidates,
                                                    OneToOne method, std::size_t left_count,
                                                    std::size_t right_count) {
  BLOOMLINK_ASSIGN_OR_RETURN(const Extent extent, Validate(candidates, left_count, right_count));
  switch (method) {
    case OneToOne::kNone:
      return SolveNone(candidates, extent);
    case OneToOne::kGreedy:
      return LazyGreedy(candidates, extent, solve_internal::GreedyLoadOptions{}).Run();
    case OneToOne::kOptimal:
      return SolveOptimal(candidates, extent);
    case OneToOne::kMutual:
      return SolveMutual(candidates, extent);
  }
  return absl::InvalidArgumentError(
      internal::StrCat("unknown one-to-one method ", static_cast<int>(method)));
}

absl::StatusOr<match::CandidatePairs> SolveOneToOneWithin(const match::CandidatePairs& candidates,
                                                          OneToOne method, std::size_t count) {
  BLOOMLINK_ASSIGN_OR_RETURN(const Extent extent, Validate(candidates, count, count));
  if (method == OneToOne::kOptimal) {
    return absl::InvalidArgumentError(
        "one-to-one optimal pairs the records of two datasets; within one dataset "
        "(deduplication) use greedy, mutual or none");
  }
  // Unordered pairs in one order; repeats removed by SolveNone (keeping the highest score).
  CandidatePairs ordered;
  ordered.reserve(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const std::uint32_t l = candidates.left[i], r = candidates.right[i];
    if (l == r) {
      return absl::InvalidArgumentError(internal::StrCat("candidate pair ", i, ": record ", l,
                                                         " is paired with itself (deduplication)"));
    }
    ordered.push_back(std::min(l, r), std::max(l, r), candidates.score[i]);
  }
  const std::size_t span = std::max(extent.left, extent.right);
  CandidatePairs distinct = SolveNone(ordered, Extent{span, span});
  if (method == OneToOne::kNone) return distinct;
  std::vector<Match> kept;
  if (method == OneToOne::kGreedy) {
    // SolveNone's order is the greedy order: score descending, then left, then right.
    std::vector<bool> used(span, false);
    for (std::size_t i = 0; i < distinct.size(); ++i) {
      const std::uint32_t l = distinct.left[i], r = distinct.right[i];
      if (used[l] || used[r]) continue;
      used[l] = used[r] = true;
      kept.push_back({ScoreBits(distinct.score[i]), l, r});
    }
  } else {
    // kMutual: each record's best partner (highest score, then smallest index).
    std::vector<std::uint64_t> best(span, 0);
    std::vector<std::uint32_t> partner(span, kNoIndex);
    auto offer = [&](std::uint32_t record, std::uint32_t other, std::uint32_t bits) {
      const std::uint64_t key = EdgeKey(bits, other);
      if (partner[record] == kNoIndex || key > best[record]) {
        best[record] = key;
        partner[record] = other;
      }
    };
    for (std::size_t i = 0; i < distinct.size(); ++i) {
      const std::uint32_t bits = ScoreBits(distinct.score[i]);
      offer(distinct.left[i], distinct.right[i], bits);
      offer(distinct.right[i], distinct.left[i], bits);
    }
    for (std::size_t i = 0; i < distinct.size(); ++i) {
      const std::uint32_t l = distinct.left[i], r = distinct.right[i];
      if (partner[l] == r && partner[r] == l) kept.push_back({ScoreBits(distinct.score[i]), l, r});
    }
  }
  return OrderedPairs(kept);
}

}  // namespace bloomlink::solve
