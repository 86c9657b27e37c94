// Linkage quality metrics: truth sets (from pairs or from an entity regex) and pair comparison.
//
// A TruthSet turns ids into small integer codes once, so that Contains is two hash lookups and
// no allocation. From pairs, codes are the ids' positions and the true pairs a set of code
// pairs; from a regex, codes name entity keys and a pair is true when both codes are equal.
#include "bloomlink/eval/metrics.hpp"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "internal/regex.hpp"
#include "internal/strings.hpp"

namespace bloomlink::eval {
namespace {

// IdHash / IdEqual: transparent, so std::string_view looks up std::string keys without a copy.
struct IdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct IdEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
using CodeMap = std::unordered_map<std::string, std::uint32_t, IdHash, IdEqual>;

constexpr std::uint32_t kNoCode = ~std::uint32_t{0};

std::uint32_t Lookup(const CodeMap& map, std::string_view id) {
  auto it = map.find(id);
  return it == map.end() ? kNoCode : it->second;
}

// CodeOf(map, id): id's code, giving a new id the next code.
std::uint32_t CodeOf(CodeMap& map, const std::string& id) {
  return map.try_emplace(id, static_cast<std::uint32_t>(map.size())).first->second;
}

}  // namespace

struct TruthSet::Impl {
  // by_regex: codes are entity keys and a pair is true when the codes are equal; otherwise codes
  // are id numbers and the true pairs are `pairs` ((code a << 32) | code b).
  bool by_regex = false;
  // within: one dataset with itself (deduplication): pairs are unordered and never an id with
  // itself.
  bool within = false;
  CodeMap code_a;
  CodeMap code_b;
  std::unordered_set<std::uint64_t> pairs;
  std::uint64_t size = 0;
};

TruthSet::TruthSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TruthSet::TruthSet(TruthSet&&) noexcept = default;
TruthSet& TruthSet::operator=(TruthSet&&) noexcept = default;
TruthSet::~TruthSet() = default;

TruthSet TruthSet::FromPairs(const std::vector<IdPair>& pairs) {
  auto impl = std::make_unique<Impl>();
  impl->pairs.reserve(pairs.size());
  for (const IdPair& p : pairs) {
    const std::uint64_t a = CodeOf(impl->code_a, p.first);
    const std::uint64_t b = CodeOf(impl->code_b, p.second);
    impl->pairs.insert((a << 32) | b);
  }
  impl->size = impl->pairs.size();
  return TruthSet(std::move(impl));
}

absl::StatusOr<TruthSet> TruthSet::FromRegex(std::string_view pattern,
                                             const std::vector<std::string>& ids_a,
                                             const std::vector<std::string>& ids_b) {
  absl::StatusOr<internal::Regex> re =
      internal::Regex::Compile(pattern, internal::RegexAnchoring::kSearch);
  if (!re.ok()) {
    return absl::InvalidArgumentError(internal::StrCat(
        "truth pattern \"", pattern,
        "\" is not a valid regular expression: ", std::string(re.status().message())));
  }
  if (re->capture_groups() == 0) {
    return absl::InvalidArgumentError(
        internal::StrCat("truth pattern \"", pattern,
                         "\" has no capture group; the first group must capture the entity key"));
  }
  auto impl = std::make_unique<Impl>();
  impl->by_regex = true;
  CodeMap keys;
  // counts[key] = {distinct ids in A, distinct ids in B} with that key.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> counts;
  internal::RegexMatcher matcher;
  auto add = [&](const std::vector<std::string>& ids, CodeMap& codes, bool side_a) -> absl::Status {
    for (const std::string& id : ids) {
      if (codes.contains(std::string_view(id))) continue;  // an id listed twice counts once
      absl::StatusOr<std::optional<std::string_view>> found = matcher.Find(*re, id, 1);
      if (!found.ok()) {
        // A limit: the pattern backtracks too much on this id (ids are pseudonymous, so the
        // message may name one; values are never quoted).
        return absl::Status(
            found.status().code(),
            internal::StrCat("truth pattern \"", pattern, "\" could not be matched against id \"",
                             id, "\": ", std::string(found.status().message())));
      }
      if (!found->has_value()) continue;  // no entity
      // The key is a view into `id`: only a new key is copied.
      const std::string_view text = **found;
      std::uint32_t key = Lookup(keys, text);
      if (key == kNoCode) {
        key = static_cast<std::uint32_t>(counts.size());
        keys.emplace(std::string(text), key);
        counts.emplace_back(0, 0);
      }
      codes.emplace(id, key);
      ++(side_a ? counts[key].first : counts[key].second);
    }
    return absl::OkStatus();
  };
  if (absl::Status added = add(ids_a, impl->code_a, true); !added.ok()) return added;
  if (&ids_a == &ids_b) {
    // One list on both sides (FromRegexWithin): matched once.
    impl->code_b = impl->code_a;
    for (auto& [na, nb] : counts) nb = na;
  } else if (absl::Status added = add(ids_b, impl->code_b, false); !added.ok()) {
    return added;
  }
  for (const auto& [na, nb] : counts) impl->size += na * nb;
  return TruthSet(std::move(impl));
}

TruthSet TruthSet::FromPairsWithin(const std::vector<IdPair>& pairs) {
  std::vector<IdPair> ordered;
  ordered.reserve(pairs.size());
  for (const IdPair& p : pairs) {
    if (p.first == p.second) continue;
    ordered.push_back(p.first < p.second ? p : IdPair{p.second, p.first});
  }
  // One code per id on both sides, so that either order of a pair finds it.
  auto impl = std::make_unique<Impl>();
  impl->within = true;
  for (const IdPair& p : ordered) {
    const std::uint64_t a = CodeOf(impl->code_a, p.first);
    const std::uint64_t b = CodeOf(impl->code_a, p.second);
    impl->pairs.insert((a << 32) | b);
  }
  impl->code_b = impl->code_a;
  impl->size = impl->pairs.size();
  return TruthSet(std::move(impl));
}

absl::StatusOr<TruthSet> TruthSet::FromRegexWithin(std::string_view pattern,
                                                   const std::vector<std::string>& ids) {
  auto truth = FromRegex(pattern, ids, ids);
  if (!truth.ok()) return truth.status();
  Impl& impl = *truth->impl_;
  // FromRegex counted n * n ordered pairs per entity of n ids; within one dataset the true pairs
  // are the n (n - 1) / 2 unordered pairs of distinct ids.
  impl.size = (impl.size - impl.code_a.size()) / 2;
  impl.within = true;
  return truth;
}

bool TruthSet::Contains(std::string_view id_a, std::string_view id_b) const {
  if (impl_->within) {
    if (id_a == id_b) return false;
    if (!impl_->by_regex && id_b < id_a) std::swap(id_a, id_b);
  }
  const std::uint32_t a = Lookup(impl_->code_a, id_a);
  if (a == kNoCode) return false;
  const std::uint32_t b = Lookup(impl_->code_b, id_b);
  if (b == kNoCode) return false;
  if (impl_->by_regex) return a == b;
  return impl_->pairs.contains((std::uint64_t{a} << 32) | b);
}

std::uint64_t TruthSet::size() const { return impl_->size; }

bool TruthSet::within() const { return impl_->within; }

PairMetrics ComparePairs(const std::vector<IdPair>& given, const TruthSet& truth) {
  // Within one dataset a pair is unordered: put each in one order so that repeats are found.
  std::vector<IdPair> unordered;
  if (truth.within()) {
    unordered = given;
    for (IdPair& p : unordered)
      if (p.second < p.first) std::swap(p.first, p.second);
  }
  const std::vector<IdPair>& predicted = truth.within() ? unordered : given;
  // Distinct predictions: sort positions by the pair, then skip repeats.
  std::vector<std::size_t> order(predicted.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t x, std::size_t y) { return predicted[x] < predicted[y]; });
  PairMetrics m;
  m.true_pairs = truth.size();
  for (std::size_t k = 0; k < order.size(); ++k) {
    const IdPair& p = predicted[order[k]];
    if (k > 0 && p == predicted[order[k - 1]]) continue;
    ++m.predicted;
    if (truth.Contains(p.first, p.second)) ++m.true_positives;
  }
  m.false_positives = m.predicted - m.true_positives;
  m.false_negatives = m.true_pairs - m.true_positives;
  m.precision = m.predicted == 0
                    ? 1.0
                    : static_cast<double>(m.true_positives) / static_cast<double>(m.predicted);
  m.recall = m.true_pairs == 0
                 ? 1.0
                 : static_cast<double>(m.true_positives) / static_cast<double>(m.true_pairs);
  m.f1 = m.precision + m.recall == 0 ? 0.0 : 2 * m.precision * m.recall / (m.precision + m.recall);
  return m;
}

double ReductionRatio(std::uint64_t candidates, std::uint64_t na, std::uint64_t nb) {
  if (na == 0 || nb == 0) return 0;
  return 1.0 -
         static_cast<double>(candidates) / (static_cast<double>(na) * static_cast<double>(nb));
}

std::uint64_t PairsWithin(std::uint64_t n) { return n < 2 ? 0 : n * (n - 1) / 2; }

double ReductionRatioWithin(std::uint64_t candidates, std::uint64_t n) {
  const std::uint64_t all = PairsWithin(n);
  if (all == 0) return 0;
  return 1.0 - static_cast<double>(candidates) / static_cast<double>(all);
}

}  // namespace bloomlink::eval
