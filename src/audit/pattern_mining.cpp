// The pattern-mining attack (Christen, Ranbaduge, Vatsalan and Schnell 2018; Vidanage et al.
// 2019): recursive partitioning of a sample of filters, guided by the q-gram frequencies of a
// public reference, finds the bit positions of frequent q-grams; names are then re-identified
// from the q-grams each filter is found to hold. docs/security.md defines every rule used here.
#include <omp.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>
#include <tuple>

#include "audit/column_bits.hpp"
#include "audit/internal.hpp"
#include "bloomlink/encode/tokenise.hpp"
#include "internal/popcount.hpp"

namespace bloomlink::audit_internal {
namespace {

// Above this many word operations per column count the columns are split among threads.
constexpr std::size_t kParallelWork = std::size_t{1} << 20;

// CountAll(kernel, bits, query, counts, threads): counts[c] = |query AND column c|.
void CountAll(const match::KernelTable& kernel, const ColumnBits& bits, const std::uint64_t* query,
              std::vector<std::uint32_t>& counts, int threads) {
  const std::size_t groups = bits.groups();
  counts.resize(groups * match::kGroupLanes);
  if (threads <= 1 || groups < 2 || groups * bits.words() * match::kGroupLanes < kParallelWork) {
    ColumnCounts(kernel, bits, query, counts.data());
    return;
  }
  const std::size_t words = bits.words();
  const auto g_count = static_cast<std::int64_t>(groups);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t g = 0; g < g_count; ++g) {
    const auto gg = static_cast<std::size_t>(g);
    kernel.and_popcount(query, 1, words, bits.groups_data() + gg * words * match::kGroupLanes, 1,
                        words, counts.data() + gg * match::kGroupLanes, match::kGroupLanes);
  }
}

struct Node {
  std::vector<std::uint32_t> rows;         // matrix rows, in sample order
  std::vector<std::uint32_t> names;        // reference names consistent with the path
  std::vector<std::uint32_t> conditioned;  // tokens split on, or given up, on the path
  std::vector<std::uint8_t> excluded;      // columns attributed on the path, or explained
  int depth = 0;
};

struct NodeResult {
  std::optional<Attribution> found;
  std::vector<Node> children;
};

bool Contains(const std::vector<std::uint32_t>& sorted, std::uint32_t x) {
  return std::binary_search(sorted.begin(), sorted.end(), x);
}

// Layout: a partition's records in column layout, with each column's fill.
struct Layout {
  ColumnBits bits;
  std::vector<std::uint32_t> fills;
};

// Clique: columns that a set of records all have set, taken for one q-gram's positions.
struct Clique {
  std::vector<std::uint32_t> columns;
  std::uint64_t support = 0;       // records of the partition with every column set
  std::uint64_t root_support = 0;  // the same in the whole sample
  double chance = 0;               // records expected to hold every column by chance
};

// Search: what the search for one q-gram in one partition knows.
struct Search {
  std::uint32_t token = 0;
  double share = 0;                                   // expected share of the partition's records
  const std::vector<std::uint32_t>* names = nullptr;  // reference names consistent here
  const std::vector<std::uint32_t>* conditioned = nullptr;  // tokens not to seek again
  int lookahead = 0;                                        // levels of confirmation still to do
};

class Miner {
 public:
  // root: the whole sample's layout; global_share[t]: token t's share among all the reference's
  // names (weighted by counts).
  // known: cliques already attributed to other fields of the same encodings.
  Miner(const match::KernelTable& kernel, const BitMatrix& m, const MiningReference& ref,
        const PatternMiningSettings& settings, const ColumnBits& root,
        const std::vector<double>& global_share, std::span<const std::vector<std::uint32_t>> known)
      : kernel_(kernel),
        m_(m),
        ref_(ref),
        settings_(settings),
        root_(root),
        global_share_(global_share),
        known_(known) {}

  NodeResult Mine(const Node& node, int threads);
  // Explain(rows, share_limit, threads): the columns of tokens far more frequent than any the
  // reference expects (another field's, in a CLK: a sex, a date's century): per column, from
  // the highest fill down, the share of the token it belongs to is estimated from its partners;
  // above share_limit, its clique is grown and every column of it marked.
  std::vector<std::uint8_t> Explain(std::span<const std::uint32_t> rows, double share_limit,
                                    int threads);

 private:
  Layout MakeLayout(std::span<const std::uint32_t> rows, int threads);
  // KnownElsewhere(columns): whether at least half of the columns are those of one clique
  // already attributed to another field.
  bool KnownElsewhere(const std::vector<std::uint32_t>& columns) const;
  // NextToken(names, conditioned, records): the most frequent token among `names` not in
  // `conditioned` that may be sought in `records` records, and its share; nullopt when none.
  std::optional<std::pair<std::uint32_t, double>> NextToken(
      const std::vector<std::uint32_t>& names, const std::vector<std::uint32_t>& conditioned,
      std::size_t records, std::size_t skip) const;
  // Find(layout, rows, search, excluded, explained): the clique of the search's q-gram, if one
  // is acceptable. Cliques of more frequent tokens are marked in `explained` (and `excluded`).
  std::optional<Clique> Find(const Layout& layout, std::span<const std::uint32_t> rows,
                             const Search& search, std::vector<std::uint8_t>& excluded,
                             std::vector<std::uint8_t>& explained, int threads);
  // Confirmed(layout, rows, search, clique): whether the records with the clique hold the next
  // q-gram the reference expects in them (one level of lookahead), or there is none to seek.
  bool Confirmed(const Layout& layout, std::span<const std::uint32_t> rows, const Search& search,
                 const Clique& clique, const std::vector<std::uint8_t>& excluded, int threads);
  // Grow(layout, seed, joint, target, share, excluded, by_lift): the clique of the token the
  // seed column belongs to; joint[c] is the seed's joint support with column c. by_lift: purify
  // by lift rather than by records kept.
  Clique Grow(const Layout& layout, std::uint32_t seed, const std::vector<std::uint32_t>& joint,
              double target, double share, const std::vector<std::uint8_t>& excluded, bool by_lift,
              int threads);

  const match::KernelTable& kernel_;
  const BitMatrix& m_;
  const MiningReference& ref_;
  const PatternMiningSettings& settings_;
  const ColumnBits& root_;
  const std::vector<double>& global_share_;
  std::span<const std::vector<std::uint32_t>> known_;
  std::vector<std::uint32_t> counts_;
  std::vector<std::uint64_t> mask_, scratch_;
  std::vector<std::uint8_t> in_clique_;
};

bool Miner::KnownElsewhere(const std::vector<std::uint32_t>& columns) const {
  for (const std::vector<std::uint32_t>& clique : known_) {
    std::size_t common = 0;
    for (std::uint32_t c : columns) common += std::binary_search(clique.begin(), clique.end(), c);
    if (2 * common >= columns.size()) return true;
  }
  return false;
}

Layout Miner::MakeLayout(std::span<const std::uint32_t> rows, int threads) {
  Layout layout;
  layout.bits = ColumnBits(m_, rows);
  std::vector<std::uint64_t> all(layout.bits.words());
  layout.bits.AllRecords(all.data());
  CountAll(kernel_, layout.bits, all.data(), counts_, threads);
  layout.fills.assign(counts_.begin(),
                      counts_.begin() + static_cast<std::ptrdiff_t>(layout.bits.columns()));
  return layout;
}

std::optional<std::pair<std::uint32_t, double>> Miner::NextToken(
    const std::vector<std::uint32_t>& names, const std::vector<std::uint32_t>& conditioned,
    std::size_t records, std::size_t skip) const {
  std::vector<std::uint64_t> weight(ref_.tokens.size(), 0);
  std::uint64_t total = 0;
  for (std::uint32_t name : names) {
    total += ref_.counts[name];
    for (std::uint32_t t : ref_.name_tokens[name]) weight[t] += ref_.counts[name];
  }
  if (total == 0) return std::nullopt;
  std::vector<std::uint32_t> candidates;
  for (std::uint32_t t = 0; t < weight.size(); ++t) {
    if (weight[t] == 0 || Contains(conditioned, t)) continue;
    const double f = static_cast<double>(weight[t]) / static_cast<double>(total);
    if (f > settings_.max_share ||
        f * static_cast<double>(records) < static_cast<double>(settings_.min_expected)) {
      continue;
    }
    candidates.push_back(t);
  }
  if (candidates.size() <= skip) return std::nullopt;
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(skip + 1),
                    candidates.end(), [&](std::uint32_t a, std::uint32_t b) {
                      return weight[a] != weight[b] ? weight[a] > weight[b] : a < b;
                    });
  const std::uint32_t t = candidates[skip];
  return std::make_pair(t, static_cast<double>(weight[t]) / static_cast<double>(total));
}

double ImpliedShare(double a, double b, double joint) {
  // Fills a, b and joint support J (as shares) of two columns that share a token of share f and
  // are otherwise independent: J = f + (1 - f) x (a - f) / (1 - f) x (b - f) / (1 - f), so
  // f = (J - ab) / (1 - a - b + J).
  const double denominator = 1 - a - b + joint;
  return denominator <= 0 ? 1 : (joint - a * b) / denominator;
}

Clique Miner::Grow(const Layout& layout, std::uint32_t seed,
                   const std::vector<std::uint32_t>& joint, double target, double share,
                   const std::vector<std::uint8_t>& excluded, bool by_lift, int threads) {
  const ColumnBits& bits = layout.bits;
  const std::vector<std::uint32_t>& fills = layout.fills;
  const std::size_t columns = bits.columns();
  const double n = static_cast<double>(bits.records());
  const double least = target / settings_.support_factor;
  Clique out;
  // The seed's partners: columns whose joint support with it implies a shared token of about
  // the q-gram's share (within the partner factor), significantly (4 standard deviations
  // above independence).
  const double a = static_cast<double>(fills[seed]) / n;
  std::vector<std::pair<double, std::uint32_t>> partners;
  for (std::size_t c = 0; c < columns; ++c) {
    if (c == seed || excluded[c] || static_cast<double>(fills[c]) < least) continue;
    const double b = static_cast<double>(fills[c]) / n;
    const double j = static_cast<double>(joint[c]) / n;
    if ((j - a * b) * std::sqrt(n) < 4 * std::sqrt(a * b * (1 - a * b))) continue;
    const double f = ImpliedShare(a, b, j);
    if (f < share / settings_.partner_factor || f > share * settings_.partner_factor) continue;
    partners.emplace_back(std::abs(std::log(f / share)), static_cast<std::uint32_t>(c));
  }
  std::sort(partners.begin(), partners.end());
  // Purify: AND in, one at a time, the partner that keeps the most of the records holding the
  // clique so far (the joint support stays highest), or with by_lift the one most associated
  // with them (records kept / fill), among those that keep at least half the expected records;
  // until those records are expected to be the q-gram's: the others (records without the
  // q-gram that happen to have every column set) are expected to be fewer than 0.5% of them,
  // each column keeping such a record with its fill outside the q-gram.
  mask_.resize(bits.words());
  bits.CopyColumn(seed, mask_.data());
  std::uint64_t m = fills[seed];
  const auto outside = [&](std::uint32_t c) {
    return std::clamp((static_cast<double>(fills[c]) - target) / std::max(n - target, 1.0), 0.0,
                      1.0);
  };
  double noise = std::max(n - target, 0.0) * outside(seed);
  std::vector<std::uint8_t> used(partners.size(), 0);
  while (noise > 0.005 * target) {
    std::size_t best = partners.size();
    std::uint64_t best_kept = 0;
    for (std::size_t k = 0; k < partners.size(); ++k) {
      if (used[k]) continue;
      const std::uint32_t c = partners[k].second;
      const std::uint64_t kept = internal::PopcountOf(
          [&](std::size_t w) { return mask_[w] & bits.Word(c, w); }, bits.words());
      if (static_cast<double>(kept) < least) {
        used[k] = 1;  // it would only cut more as the clique grows
        continue;
      }
      if (best == partners.size() ||
          (by_lift ? kept * fills[partners[best].second] > best_kept * fills[c]
                   : kept > best_kept)) {
        best = k;
        best_kept = kept;
      }
    }
    if (best == partners.size()) break;
    used[best] = 1;
    bits.AndColumn(partners[best].second, mask_.data());
    m = best_kept;
    noise *= outside(partners[best].second);
  }
  if (m == 0) return out;
  // Closure: every column set in nearly all of the q-gram's records among them, and at least
  // 10% more often there than in the partition (a column set in nearly every record anyway,
  // a frequent token's, tells nothing of the q-gram).
  CountAll(kernel_, bits, mask_.data(), counts_, threads);
  const double floor = settings_.closure_share * std::max(static_cast<double>(m) - noise, 1.0);
  double log_chance = std::log(n);
  for (std::size_t c = 0; c < columns; ++c) {
    if (excluded[c] || static_cast<double>(counts_[c]) < floor ||
        static_cast<double>(counts_[c]) * n < 1.1 * static_cast<double>(m) * fills[c]) {
      continue;
    }
    out.columns.push_back(static_cast<std::uint32_t>(c));
    log_chance += std::log(static_cast<double>(fills[c]) / n);
  }
  out.support = JointSupport(bits, out.columns, nullptr, scratch_);
  out.root_support = JointSupport(root_, out.columns, nullptr, scratch_);
  out.chance = std::exp(log_chance);
  return out;
}

std::optional<Clique> Miner::Find(const Layout& layout, std::span<const std::uint32_t> rows,
                                  const Search& search, std::vector<std::uint8_t>& excluded,
                                  std::vector<std::uint8_t>& explained, int threads) {
  const ColumnBits& bits = layout.bits;
  const std::vector<std::uint32_t>& fills = layout.fills;
  const std::size_t columns = bits.columns();
  const double dn = static_cast<double>(bits.records());
  const double target = search.share * dn;
  const double least = target / settings_.support_factor;
  const double global_target = global_share_[search.token] * static_cast<double>(root_.records());
  // Seeds. A position of the q-gram is set in its records and otherwise about as often as a
  // typical column: take the columns whose fill is nearest that, and among them prefer those
  // with many partners, columns whose joint support with the candidate implies a shared token
  // of about the q-gram's share (ImpliedShare).
  std::vector<std::uint32_t> free_fills;
  for (std::size_t c = 0; c < columns; ++c) {
    if (!excluded[c]) free_fills.push_back(fills[c]);
  }
  if (free_fills.empty()) return std::nullopt;
  std::nth_element(free_fills.begin(),
                   free_fills.begin() + static_cast<std::ptrdiff_t>(free_fills.size() / 2),
                   free_fills.end());
  const double median = free_fills[free_fills.size() / 2];
  const double expected_fill = target + (1 - search.share) * median;
  std::vector<std::pair<double, std::uint32_t>> nearest;
  for (std::size_t c = 0; c < columns; ++c) {
    if (excluded[c] || static_cast<double>(fills[c]) < least) continue;
    nearest.emplace_back(std::abs(static_cast<double>(fills[c]) - expected_fill),
                         static_cast<std::uint32_t>(c));
  }
  std::sort(nearest.begin(), nearest.end());
  if (nearest.size() > static_cast<std::size_t>(settings_.seed_candidates)) {
    nearest.resize(static_cast<std::size_t>(settings_.seed_candidates));
  }
  // (-partners, distance, index into nearest)
  std::vector<std::tuple<int, double, std::uint32_t>> order;
  std::vector<std::vector<std::uint32_t>> joints(nearest.size());
  mask_.resize(bits.words());
  for (std::size_t k = 0; k < nearest.size(); ++k) {
    const std::uint32_t c = nearest[k].second;
    bits.CopyColumn(c, mask_.data());
    CountAll(kernel_, bits, mask_.data(), joints[k], threads);
    const double a = static_cast<double>(fills[c]) / dn;
    int partners = 0;
    for (std::size_t d = 0; d < columns; ++d) {
      if (d == c || excluded[d] || static_cast<double>(fills[d]) < least) continue;
      const double b = static_cast<double>(fills[d]) / dn;
      const double joint = static_cast<double>(joints[k][d]) / dn;
      if ((joint - a * b) * std::sqrt(dn) < 4 * std::sqrt(a * b * (1 - a * b))) continue;
      const double implied = ImpliedShare(a, b, joint);
      if (implied >= search.share / settings_.partner_factor &&
          implied <= search.share * settings_.partner_factor) {
        ++partners;
      }
    }
    order.emplace_back(-partners, nearest[k].first, static_cast<std::uint32_t>(k));
  }
  std::sort(order.begin(), order.end());

  std::optional<Clique> accepted;
  double best_distance = 0;
  std::vector<std::uint8_t> blocked = excluded;
  int seeds = 0;
  for (const auto& [minus_partners, distance, k] : order) {
    const std::uint32_t seed = nearest[k].second;
    if (seeds >= settings_.seeds) break;
    if (blocked[seed] || excluded[seed]) continue;
    ++seeds;
    // Two ways to purify (records kept, lift): each clique they give is a candidate.
    Clique variants[2] = {
        Grow(layout, seed, joints[k], target, search.share, excluded, false, threads),
        Grow(layout, seed, joints[k], target, search.share, excluded, true, threads)};
    const int count = variants[1].columns == variants[0].columns ? 1 : 2;
    blocked[seed] = 1;
    for (int v = 0; v < count; ++v) {
      Clique& clique = variants[v];
      for (std::uint32_t c : clique.columns) blocked[c] = 1;
      const double s = static_cast<double>(clique.support);
      const double rs = static_cast<double>(clique.root_support);
      // Acceptable: at least two positions; within the support factor of the records expected
      // here; within the global factor of the q-gram's expected records in the whole sample (a
      // token that happens to be as frequent here is rarely as frequent everywhere); not mostly
      // the positions of a q-gram already attributed to another field; far more often than
      // chance; and, while lookahead remains, confirmed one level down. Keep the acceptable
      // clique nearest what is expected.
      if (clique.columns.size() >= 2 && KnownElsewhere(clique.columns)) continue;
      if (clique.columns.size() >= 2 && s >= least && s <= target * settings_.support_factor &&
          s >= 10 * clique.chance && rs >= global_target / settings_.global_factor &&
          rs <= global_target * settings_.global_factor) {
        const double d = std::abs(std::log(s / target)) + std::abs(std::log(rs / global_target));
        if ((!accepted || d < best_distance) &&
            (search.lookahead <= 0 || Confirmed(layout, rows, search, clique, excluded, threads))) {
          accepted = std::move(clique);
          best_distance = d;
        }
        continue;
      }
      if (s > target * settings_.support_factor && clique.columns.size() >= 2) {
        // A more frequent token's positions (another field's, in a CLK): set aside for good.
        for (std::uint32_t c : clique.columns) {
          explained[c] = 1;
          excluded[c] = 1;
        }
      }
    }
  }
  return accepted;
}

bool Miner::Confirmed(const Layout& layout, std::span<const std::uint32_t> rows,
                      const Search& search, const Clique& clique,
                      const std::vector<std::uint8_t>& excluded, int threads) {
  // The records with the clique, and the reference names holding the q-gram.
  std::vector<std::uint64_t> with(layout.bits.words());
  JointSupport(layout.bits, clique.columns, nullptr, with);
  std::vector<std::uint32_t> sub;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if ((with[i / 64] >> (i % 64)) & 1) sub.push_back(rows[i]);
  }
  std::vector<std::uint32_t> names;
  for (std::uint32_t name : *search.names) {
    if (Contains(ref_.name_tokens[name], search.token)) names.push_back(name);
  }
  std::vector<std::uint32_t> conditioned = *search.conditioned;
  conditioned.insert(std::upper_bound(conditioned.begin(), conditioned.end(), search.token),
                     search.token);
  const auto next = NextToken(names, conditioned, sub.size(), 0);
  if (!next || sub.size() < settings_.min_partition) return true;  // nothing to check it with
  const Layout child = MakeLayout(sub, threads);
  std::vector<std::uint8_t> child_excluded = excluded, child_explained(excluded.size(), 0);
  for (std::uint32_t c : clique.columns) child_excluded[c] = 1;
  for (std::size_t c = 0; c < child_excluded.size(); ++c) {
    if (child.fills[c] == 0 ||
        static_cast<double>(child.fills[c]) >= 0.97 * static_cast<double>(sub.size())) {
      child_excluded[c] = 1;
    }
  }
  const Search deeper{.token = next->first,
                      .share = next->second,
                      .names = &names,
                      .conditioned = &conditioned,
                      .lookahead = search.lookahead - 1};
  return Find(child, sub, deeper, child_excluded, child_explained, threads).has_value();
}

std::vector<std::uint8_t> Miner::Explain(std::span<const std::uint32_t> rows, double share_limit,
                                         int threads) {
  const Layout layout = MakeLayout(rows, threads);
  const std::size_t columns = layout.bits.columns();
  const double n = static_cast<double>(rows.size());
  std::vector<std::uint8_t> explained(columns, 0), none(columns, 0);
  std::vector<std::uint32_t> order;
  for (std::uint32_t c = 0; c < columns; ++c) {
    if (layout.fills[c] > 0 && static_cast<double>(layout.fills[c]) < 0.97 * n) order.push_back(c);
  }
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return layout.fills[a] > layout.fills[b];
  });
  std::vector<std::uint32_t> joint;
  std::vector<double> implied;
  int tried = 0;
  for (std::uint32_t c : order) {
    if (tried >= 2 * settings_.seeds) break;
    if (explained[c]) continue;
    const double a = static_cast<double>(layout.fills[c]) / n;
    if (a < share_limit) break;  // a token's columns are filled at least as often as it is
    ++tried;
    mask_.resize(layout.bits.words());
    layout.bits.CopyColumn(c, mask_.data());
    CountAll(kernel_, layout.bits, mask_.data(), joint, threads);
    implied.clear();
    for (std::size_t d = 0; d < columns; ++d) {
      if (d == c || layout.fills[d] == 0) continue;
      const double b = static_cast<double>(layout.fills[d]) / n;
      const double j = static_cast<double>(joint[d]) / n;
      if ((j - a * b) * std::sqrt(n) < 4 * std::sqrt(a * b * (1 - a * b))) continue;
      implied.push_back(ImpliedShare(a, b, j));
    }
    if (implied.size() < 2) continue;
    // The token's share: the median of its strongest partners' implied shares.
    std::sort(implied.rbegin(), implied.rend());
    implied.resize(std::min<std::size_t>(implied.size(), 8));
    const double share = implied[implied.size() / 2];
    if (share < share_limit) continue;
    const Clique clique = Grow(layout, c, joint, share * n, share, none, false, threads);
    if (static_cast<double>(clique.support) < share_limit * n || clique.columns.size() < 2)
      continue;
    for (std::uint32_t d : clique.columns) explained[d] = 1;
  }
  return explained;
}

NodeResult Miner::Mine(const Node& node, int threads) {
  NodeResult result;
  const std::size_t n = node.rows.size();
  if (n < settings_.min_partition || node.depth >= settings_.max_depth) return result;
  if (!NextToken(node.names, node.conditioned, n, 0)) return result;

  const Layout layout = MakeLayout(node.rows, threads);
  const std::size_t columns = layout.bits.columns();
  // Columns set in no record, or in nearly all, can tell nothing apart.
  std::vector<std::uint8_t> excluded = node.excluded;
  for (std::size_t c = 0; c < columns; ++c) {
    if (layout.fills[c] == 0 ||
        static_cast<double>(layout.fills[c]) >= 0.97 * static_cast<double>(n)) {
      excluded[c] = 1;
    }
  }
  std::vector<std::uint8_t> explained(columns, 0);  // cliques of more frequent tokens
  std::vector<std::uint32_t> given_up;
  std::optional<Clique> accepted;
  Search search;
  for (int k = 0; k < settings_.qgrams_per_partition && !accepted; ++k) {
    const auto next = NextToken(node.names, node.conditioned, n, static_cast<std::size_t>(k));
    if (!next) break;
    search = Search{.token = next->first,
                    .share = next->second,
                    .names = &node.names,
                    .conditioned = &node.conditioned,
                    .lookahead = node.depth < settings_.lookahead_depth ? 1 : 0};
    accepted = Find(layout, node.rows, search, excluded, explained, threads);
    if (!accepted) given_up.push_back(search.token);
  }
  if (!accepted) return result;

  Attribution found;
  found.token = search.token;
  found.positions = accepted->columns;
  found.partition = n;
  found.expected_share = search.share;
  found.support = accepted->support;
  result.found = found;

  // Split: the records with every position set hold the q-gram, the others do not.
  JointSupport(layout.bits, accepted->columns, nullptr, scratch_);
  Node with, without;
  for (std::size_t i = 0; i < n; ++i) {
    ((scratch_[i / 64] >> (i % 64)) & 1 ? with : without).rows.push_back(node.rows[i]);
  }
  for (std::uint32_t name : node.names) {
    (Contains(ref_.name_tokens[name], search.token) ? with : without).names.push_back(name);
  }
  for (Node* child : {&with, &without}) {
    child->depth = node.depth + 1;
    child->conditioned = node.conditioned;
    child->conditioned.insert(child->conditioned.end(), given_up.begin(), given_up.end());
    child->conditioned.push_back(search.token);
    std::sort(child->conditioned.begin(), child->conditioned.end());
    child->excluded = node.excluded;
    for (std::size_t c = 0; c < columns; ++c) child->excluded[c] |= explained[c];
    for (std::uint32_t c : accepted->columns) child->excluded[c] = 1;
    if (child->rows.size() >= settings_.min_partition && child->depth < settings_.max_depth) {
      result.children.push_back(std::move(*child));
    }
  }
  return result;
}

// ChooseConsistent: the attacker's final positions. Each q-gram attributed somewhere takes the
// positions found in its largest partition; then, over the whole sample, the records holding
// each attributed q-gram (every position set) and each pair of them are counted and compared
// with what the reference expects (its share, and its pairs' shares, of the names). A q-gram
// whose counts disagree most (median over its pairs of |log((observed + 5) / (expected + 5))|
// above log(consistency_factor)) takes its positions from its next largest partition, or is
// dropped when it has none left; until every q-gram agrees.
void ChooseConsistent(const ColumnBits& root, const MiningReference& ref,
                      const PatternMiningSettings& settings,
                      const std::vector<double>& global_share, MiningOutcome& outcome,
                      int threads) {
  // Per token, its attributions from the largest partition down (then in the order found).
  std::vector<std::vector<std::size_t>> options(ref.tokens.size());
  std::vector<std::uint32_t> tokens;  // attributed tokens in the order first found
  for (std::size_t k = 0; k < outcome.attributions.size(); ++k) {
    const std::uint32_t t = outcome.attributions[k].token;
    if (options[t].empty()) tokens.push_back(t);
    options[t].push_back(k);
  }
  for (std::uint32_t t : tokens) {
    std::stable_sort(options[t].begin(), options[t].end(), [&](std::size_t a, std::size_t b) {
      return outcome.attributions[a].partition > outcome.attributions[b].partition;
    });
  }
  const std::size_t na = tokens.size();
  const std::size_t words = root.words();
  const double n = static_cast<double>(root.records());
  // Expected records holding each pair (and, on the diagonal, each token) by the reference.
  std::vector<int> index(ref.tokens.size(), -1);
  for (std::size_t i = 0; i < na; ++i) index[tokens[i]] = static_cast<int>(i);
  std::vector<double> expected(na * na, 0);
  {
    std::uint64_t total = 0;
    std::vector<std::size_t> in_name;
    for (std::size_t k = 0; k < ref.names.size(); ++k) {
      total += ref.counts[k];
      in_name.clear();
      for (std::uint32_t t : ref.name_tokens[k]) {
        if (index[t] >= 0) in_name.push_back(static_cast<std::size_t>(index[t]));
      }
      for (std::size_t a : in_name) {
        for (std::size_t b : in_name) expected[a * na + b] += static_cast<double>(ref.counts[k]);
      }
    }
    for (double& e : expected) e = total == 0 ? 0 : e / static_cast<double>(total) * n;
    for (std::size_t i = 0; i < na; ++i) expected[i * na + i] = global_share[tokens[i]] * n;
  }
  std::vector<std::size_t> choice(na, 0);  // index into options[token]; options.size(): dropped
  std::vector<std::vector<std::uint64_t>> holds(na, std::vector<std::uint64_t>(words));
  std::vector<std::uint64_t> scratch;
  const auto set_holds = [&](std::size_t i) {
    const Attribution& a = outcome.attributions[options[tokens[i]][choice[i]]];
    JointSupport(root, a.positions, nullptr, holds[i]);
  };
  std::vector<double> observed(na * na, 0);
  const auto count_row = [&](std::size_t i) {
    for (std::size_t j = 0; j < na; ++j) {
      if (choice[j] >= options[tokens[j]].size()) continue;
      const double o = static_cast<double>(
          internal::PopcountOf([&](std::size_t w) { return holds[i][w] & holds[j][w]; }, words));
      observed[i * na + j] = observed[j * na + i] = o;
    }
  };
  const auto ni = static_cast<std::int64_t>(na);
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (std::int64_t i = 0; i < ni; ++i) set_holds(static_cast<std::size_t>(i));
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (std::int64_t i = 0; i < ni; ++i) {
    const auto ii = static_cast<std::size_t>(i);
    for (std::size_t j = ii; j < na; ++j) {
      observed[ii * na + j] = static_cast<double>(
          internal::PopcountOf([&](std::size_t w) { return holds[ii][w] & holds[j][w]; }, words));
    }
  }
  for (std::size_t i = 0; i < na; ++i) {
    for (std::size_t j = 0; j < i; ++j) observed[i * na + j] = observed[j * na + i];
  }
  const double limit = std::log(settings.consistency_factor);
  std::vector<double> errors;
  const auto disagreement = [&](std::size_t i) {
    errors.clear();
    for (std::size_t j = 0; j < na; ++j) {
      if (choice[j] >= options[tokens[j]].size()) continue;
      const double o = observed[i * na + j], e = expected[i * na + j];
      if (j != i && std::max(o, e) < static_cast<double>(settings.min_expected)) continue;
      errors.push_back(std::abs(std::log((o + 5) / (e + 5))));
    }
    std::nth_element(errors.begin(),
                     errors.begin() + static_cast<std::ptrdiff_t>(errors.size() / 2), errors.end());
    return errors[errors.size() / 2];
  };
  while (true) {
    std::size_t worst = na;
    double worst_error = limit;
    for (std::size_t i = 0; i < na; ++i) {
      if (choice[i] >= options[tokens[i]].size()) continue;
      const double e = disagreement(i);
      if (e > worst_error) {
        worst = i;
        worst_error = e;
      }
    }
    if (worst == na) break;
    ++choice[worst];
    if (choice[worst] < options[tokens[worst]].size()) {
      set_holds(worst);
      count_row(worst);
    } else {
      ++outcome.dropped;
    }
  }
  std::vector<std::size_t> chosen;
  for (std::size_t i = 0; i < na; ++i) {
    if (choice[i] < options[tokens[i]].size()) chosen.push_back(options[tokens[i]][choice[i]]);
  }
  std::sort(chosen.begin(), chosen.end());
  outcome.chosen = std::move(chosen);
}

}  // namespace

MiningOutcome MineBitPatterns(const match::KernelTable& kernel, const BitMatrix& m,
                              std::span<const std::uint32_t> rows, const MiningReference& ref,
                              const PatternMiningSettings& settings, int threads,
                              std::span<const std::vector<std::uint32_t>> known) {
  MiningOutcome outcome;
  const ColumnBits root(m, rows);
  std::vector<double> global_share(ref.tokens.size(), 0);
  {
    std::vector<std::uint64_t> weight(ref.tokens.size(), 0);
    std::uint64_t total = 0;
    for (std::size_t k = 0; k < ref.names.size(); ++k) {
      total += ref.counts[k];
      for (std::uint32_t t : ref.name_tokens[k]) weight[t] += ref.counts[k];
    }
    for (std::size_t t = 0; t < weight.size() && total > 0; ++t) {
      global_share[t] = static_cast<double>(weight[t]) / static_cast<double>(total);
    }
  }
  std::vector<Node> level(1);
  level[0].rows.assign(rows.begin(), rows.end());
  level[0].names.resize(ref.names.size());
  for (std::uint32_t i = 0; i < level[0].names.size(); ++i) level[0].names[i] = i;
  {
    // Tokens more than twice as frequent as the reference's most frequent q-gram cannot be the
    // attacked field's: their positions are set aside from the start.
    double top = 0;
    for (double share : global_share) top = std::max(top, share);
    Miner miner(kernel, m, ref, settings, root, global_share, known);
    level[0].excluded = miner.Explain(rows, std::min(0.9, 2 * top), threads);
  }
  while (!level.empty()) {
    std::vector<NodeResult> results(level.size());
    const auto count = static_cast<std::int64_t>(level.size());
    if (threads > 1 && level.size() >= 2 * static_cast<std::size_t>(threads)) {
      // Many partitions: one per thread at a time, each mined serially.
#pragma omp parallel num_threads(threads)
      {
        Miner miner(kernel, m, ref, settings, root, global_share, known);
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t i = 0; i < count; ++i) {
          results[static_cast<std::size_t>(i)] = miner.Mine(level[static_cast<std::size_t>(i)], 1);
        }
      }
    } else {
      Miner miner(kernel, m, ref, settings, root, global_share, known);
      for (std::size_t i = 0; i < level.size(); ++i) results[i] = miner.Mine(level[i], threads);
    }
    outcome.partitions += level.size();
    std::vector<Node> next;
    for (NodeResult& r : results) {
      if (r.found) outcome.attributions.push_back(std::move(*r.found));
      for (Node& child : r.children) next.push_back(std::move(child));
    }
    level = std::move(next);
  }
  ChooseConsistent(root, ref, settings, global_share, outcome, threads);
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// Evaluation against the plaintext.

namespace {

// Signature: the attributed q-grams a record is found to hold (present) and to lack (absent).
struct CandidateSet {
  std::uint32_t count = 0;  // capped at max_guesses + 1
  std::vector<std::uint32_t> names;
};

}  // namespace

AttackEvaluation EvaluateAttack(const match::KernelTable& kernel, const BitMatrix& m,
                                std::span<const std::uint32_t> rows, const FieldValues& values,
                                const FieldSpec& field, const MiningReference& ref,
                                const MiningOutcome& outcome, const PatternMiningSettings& settings,
                                int threads) {
  AttackEvaluation ev;
  const std::size_t n = rows.size();
  ev.records = n;
  ev.record_one_to_one.assign(n, 0);
  ev.record_within.assign(n, 0);
  std::vector<const Attribution*> attributed;  // the attacker's final positions per q-gram
  std::vector<int> slot(ref.tokens.size(), -1);
  for (std::size_t k : outcome.chosen) {
    const Attribution& a = outcome.attributions[k];
    slot[a.token] = static_cast<int>(attributed.size());
    attributed.push_back(&a);
  }
  const std::size_t na = attributed.size();
  if (n == 0) return ev;

  ColumnBits bits(m, rows);
  const std::size_t words = bits.words();
  std::vector<std::uint64_t> all(words);
  bits.AllRecords(all.data());

  // The plaintext: which attributed q-grams each record's clean value holds.
  std::vector<std::vector<std::uint64_t>> holds(na, std::vector<std::uint64_t>(words, 0));
  {
    std::vector<std::vector<std::uint32_t>> value_slots(values.distinct.size());
    std::vector<std::uint8_t> done(values.distinct.size(), 0);
    encode::TokenList tokens;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t v = values.value[rows[i]];
      if (v == 0) continue;
      if (!done[v - 1]) {
        done[v - 1] = 1;
        if (encode::Tokenise(values.distinct[v - 1], field.tokens, tokens)) {
          for (std::size_t t = 0; t < tokens.size(); ++t) {
            auto it = ref.token_index.find(Key(tokens[t]));
            if (it != ref.token_index.end() && slot[it->second] >= 0) {
              value_slots[v - 1].push_back(static_cast<std::uint32_t>(slot[it->second]));
            }
          }
        }
      }
      for (std::uint32_t s : value_slots[v - 1]) holds[s][i / 64] |= std::uint64_t{1} << (i % 64);
    }
  }

  // Precision of the positions.
  std::vector<std::uint32_t> with, without;
  std::vector<std::uint64_t> lacks(words);
  for (std::size_t s = 0; s < na; ++s) {
    const Attribution& a = *attributed[s];
    AttributedQgram q;
    q.qgram = ref.tokens[a.token];
    q.positions = a.positions;
    q.partition = a.partition;
    q.expected_share = a.expected_share;
    q.support = a.support;
    const std::uint64_t nq = PopcountWords(holds[s].data(), words);
    for (std::size_t w = 0; w < words; ++w) lacks[w] = all[w] & ~holds[s][w];
    CountAll(kernel, bits, holds[s].data(), with, threads);
    CountAll(kernel, bits, lacks.data(), without, threads);
    for (std::uint32_t p : a.positions) {
      if (nq == 0) continue;
      const double p1 = static_cast<double>(with[p]) / static_cast<double>(nq);
      const double p0 = nq == n ? 0 : static_cast<double>(without[p]) / static_cast<double>(n - nq);
      if (p1 >= 0.9 && p1 - p0 >= 0.3) ++q.correct_positions;
    }
    ev.positions += q.positions.size();
    ev.correct_positions += q.correct_positions;
    ev.qgrams.push_back(std::move(q));
  }

  // What the attack reads in each filter: a q-gram present when all its positions are set,
  // absent when fewer than half are, unknown otherwise. Counted bit-sliced, 64 records at a time.
  const std::size_t sig_words = std::max<std::size_t>(1, (na + 63) / 64);
  std::vector<std::uint64_t> present(n * sig_words, 0), absent(n * sig_words, 0);
  {
    const auto nslots = static_cast<std::int64_t>(na);
    std::vector<std::vector<std::uint64_t>> pres_bits(na), abs_bits(na);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (std::int64_t ss = 0; ss < nslots; ++ss) {
      const auto s = static_cast<std::size_t>(ss);
      const std::vector<std::uint32_t>& pos = attributed[s]->positions;
      const auto size = static_cast<std::uint32_t>(pos.size());
      const std::uint32_t half = (size + 1) / 2;  // absent: fewer than half set
      int planes = 1;
      while ((std::uint32_t{1} << planes) <= size) ++planes;
      std::vector<std::uint64_t>& pb = pres_bits[s];
      std::vector<std::uint64_t>& ab = abs_bits[s];
      pb.assign(words, 0);
      ab.assign(words, 0);
      std::uint64_t plane[33];
      for (std::size_t w = 0; w < words; ++w) {
        std::uint64_t every = all[w];
        for (int b = 0; b < planes; ++b) plane[b] = 0;
        for (std::uint32_t p : pos) {
          const std::uint64_t x = bits.Word(p, w);
          every &= x;
          std::uint64_t carry = x;
          for (int b = 0; b < planes && carry != 0; ++b) {
            const std::uint64_t t = plane[b] & carry;
            plane[b] ^= carry;
            carry = t;
          }
        }
        // count >= half, bit-sliced from the top bit.
        std::uint64_t gt = 0, eq = ~std::uint64_t{0};
        for (int b = planes - 1; b >= 0; --b) {
          const std::uint64_t tb = ((half >> b) & 1u) ? ~std::uint64_t{0} : 0;
          gt |= eq & plane[b] & ~tb;
          eq &= ~(plane[b] ^ tb);
        }
        pb[w] = every;
        ab[w] = all[w] & ~(gt | eq);
      }
    }
    for (std::size_t s = 0; s < na; ++s) {
      for (std::size_t w = 0; w < words; ++w) {
        for (std::uint64_t x = pres_bits[s][w]; x != 0; x &= x - 1) {
          const std::size_t i = w * 64 + static_cast<std::size_t>(std::countr_zero(x));
          present[i * sig_words + s / 64] |= std::uint64_t{1} << (s % 64);
        }
        for (std::uint64_t x = abs_bits[s][w]; x != 0; x &= x - 1) {
          const std::size_t i = w * 64 + static_cast<std::size_t>(std::countr_zero(x));
          absent[i * sig_words + s / 64] |= std::uint64_t{1} << (s % 64);
        }
      }
    }
  }

  // Each reference name's attributed q-grams, and the names holding each.
  const std::size_t names = ref.names.size();
  std::vector<std::uint64_t> name_bits(names * sig_words, 0);
  std::vector<std::vector<std::uint32_t>> postings(na);
  for (std::size_t k = 0; k < names; ++k) {
    for (std::uint32_t t : ref.name_tokens[k]) {
      if (slot[t] < 0) continue;
      const auto s = static_cast<std::size_t>(slot[t]);
      name_bits[k * sig_words + s / 64] |= std::uint64_t{1} << (s % 64);
      postings[s].push_back(static_cast<std::uint32_t>(k));
    }
  }

  // Distinct signatures, numbered in record order.
  absl::flat_hash_map<std::uint64_t, std::vector<std::uint32_t>> by_hash;
  std::vector<std::uint32_t> signature(n);
  std::vector<std::uint32_t> first_record;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t* p = present.data() + i * sig_words;
    const std::uint64_t* b = absent.data() + i * sig_words;
    const std::uint64_t h =
        Hash64(std::string_view(reinterpret_cast<const char*>(p), sig_words * 8),
               Hash64(std::string_view(reinterpret_cast<const char*>(b), sig_words * 8), 7));
    std::vector<std::uint32_t>& bucket = by_hash[h];
    std::uint32_t found = static_cast<std::uint32_t>(first_record.size());
    for (std::uint32_t sig : bucket) {
      const std::size_t j = first_record[sig];
      if (std::equal(p, p + sig_words, present.data() + j * sig_words) &&
          std::equal(b, b + sig_words, absent.data() + j * sig_words)) {
        found = sig;
        break;
      }
    }
    if (found == first_record.size()) {
      bucket.push_back(found);
      first_record.push_back(static_cast<std::uint32_t>(i));
    }
    signature[i] = found;
  }
  // Candidates of each signature: names holding every present q-gram and no absent one.
  const auto cap = static_cast<std::uint32_t>(settings.max_guesses) + 1;
  std::vector<CandidateSet> candidates(first_record.size());
  const auto nsig = static_cast<std::int64_t>(first_record.size());
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads)
  for (std::int64_t g = 0; g < nsig; ++g) {
    const std::size_t i = first_record[static_cast<std::size_t>(g)];
    const std::uint64_t* p = present.data() + i * sig_words;
    const std::uint64_t* b = absent.data() + i * sig_words;
    // The rarest present q-gram's names, or every name when none is present.
    const std::vector<std::uint32_t>* list = nullptr;
    for (std::size_t s = 0; s < na; ++s) {
      if (((p[s / 64] >> (s % 64)) & 1) && (list == nullptr || postings[s].size() < list->size())) {
        list = &postings[s];
      }
    }
    CandidateSet& out = candidates[static_cast<std::size_t>(g)];
    const std::size_t total = list ? list->size() : names;
    for (std::size_t k = 0; k < total && out.count < cap; ++k) {
      const std::uint32_t name = list ? (*list)[k] : static_cast<std::uint32_t>(k);
      const std::uint64_t* nb = name_bits.data() + name * sig_words;
      bool ok = true;
      for (std::size_t w = 0; w < sig_words && ok; ++w) {
        ok = (nb[w] & p[w]) == p[w] && (nb[w] & b[w]) == 0;
      }
      if (!ok) continue;
      ++out.count;
      if (out.count < cap) out.names.push_back(name);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto it = ref.name_index.find(Key(values.Clean(rows[i])));
    if (it == ref.name_index.end()) continue;
    const CandidateSet& c = candidates[signature[i]];
    if (c.count == 0 || c.count >= cap) continue;
    if (std::find(c.names.begin(), c.names.end(), it->second) == c.names.end()) continue;
    ev.record_within[i] = 1;
    ++ev.within_guesses;
    if (c.count == 1) {
      ev.record_one_to_one[i] = 1;
      ++ev.one_to_one;
    }
  }
  return ev;
}

}  // namespace bloomlink::audit_internal
