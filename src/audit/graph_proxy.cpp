// The graph-matching exposure proxy: on sampled pairs of records, how well the Dice similarity of
// their CLKs follows the Dice similarity of their plaintext token sets.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "audit/internal.hpp"
#include "bloomlink/encode/tokenise.hpp"
#include "internal/popcount.hpp"
#include "internal/random.hpp"

namespace bloomlink::audit_internal {
namespace {

// TokenSets: each sample record's plaintext tokens, tagged with their field, as sorted distinct
// 64-bit hashes; made on first use.
class TokenSets {
 public:
  TokenSets(std::span<const std::uint32_t> sample, const std::vector<FieldValues>& fields,
            const LinkageSchema& schema)
      : sample_(sample),
        fields_(fields),
        schema_(schema),
        sets_(sample.size()),
        value_tokens_(fields.size()) {
    for (std::size_t j = 0; j < fields.size(); ++j) {
      value_tokens_[j].resize(fields[j].distinct.size());
      field_seed_.push_back(Hash64(schema.fields[j].name, 0x7A6));
    }
  }

  const std::vector<std::uint64_t>& Get(std::size_t i) {
    if (sets_[i]) return *sets_[i];
    std::vector<std::uint64_t> set;
    const std::uint32_t row = sample_[i];
    for (std::size_t j = 0; j < fields_.size(); ++j) {
      if (schema_.fields[j].ignored) continue;
      const std::uint32_t v = fields_[j].value[row];
      if (v == 0) continue;
      std::optional<std::vector<std::uint64_t>>& cached = value_tokens_[j][v - 1];
      if (!cached) {
        cached.emplace();
        if (encode::Tokenise(fields_[j].distinct[v - 1], schema_.fields[j].tokens, tokens_)) {
          for (std::size_t t = 0; t < tokens_.size(); ++t) {
            cached->push_back(Hash64(tokens_[t], field_seed_[j]));
          }
        }
      }
      set.insert(set.end(), cached->begin(), cached->end());
    }
    std::sort(set.begin(), set.end());
    set.erase(std::unique(set.begin(), set.end()), set.end());
    sets_[i] = std::move(set);
    return *sets_[i];
  }

 private:
  std::span<const std::uint32_t> sample_;
  const std::vector<FieldValues>& fields_;
  const LinkageSchema& schema_;
  std::vector<std::optional<std::vector<std::uint64_t>>> sets_;
  std::vector<std::vector<std::optional<std::vector<std::uint64_t>>>> value_tokens_;
  std::vector<std::uint64_t> field_seed_;
  encode::TokenList tokens_;
};

double SetDice(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  if (a.empty() && b.empty()) return 0;
  std::size_t i = 0, j = 0, common = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      ++common;
      ++i;
      ++j;
    }
  }
  return 2.0 * static_cast<double>(common) / static_cast<double>(a.size() + b.size());
}

}  // namespace

GraphProxyResult GraphProxy(const BitMatrix& clks, std::span<const std::uint32_t> sample,
                            const std::vector<FieldValues>& fields, const LinkageSchema& schema,
                            std::uint64_t pairs, std::uint64_t seed, int threads) {
  GraphProxyResult out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.slope = out.intercept = out.r2 = out.mae = nan;
  out.verdict = Verdict::kNotScored;
  const std::size_t n = sample.size();
  if (n < 2 || pairs == 0) return out;
  internal::SplitMix64 rng(seed ^ 0x9A9E5);
  const auto pick = [&](std::size_t bound) { return static_cast<std::size_t>(rng.Next() % bound); };
  TokenSets sets(sample, fields, schema);

  // Groups of sample records sharing a field's value: members[j] sorted by value, and for each
  // sample record its group's [begin, end) in it.
  std::vector<std::size_t> value_fields;
  std::vector<std::vector<std::uint32_t>> members(fields.size());
  std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> group(fields.size());
  for (std::size_t j = 0; j < fields.size(); ++j) {
    if (schema.fields[j].ignored) continue;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> keyed;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t v = fields[j].value[sample[i]];
      if (v != 0) keyed.emplace_back(v, static_cast<std::uint32_t>(i));
    }
    std::sort(keyed.begin(), keyed.end());
    group[j].assign(n, {0, 0});
    bool shared = false;
    for (std::size_t a = 0; a < keyed.size();) {
      std::size_t b = a;
      while (b < keyed.size() && keyed[b].first == keyed[a].first) ++b;
      for (std::size_t k = a; k < b; ++k) {
        group[j][keyed[k].second] = {static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(b)};
      }
      shared |= b - a >= 2;
      a = b;
    }
    for (const auto& [v, i] : keyed) members[j].push_back(i);
    if (shared) value_fields.push_back(j);
  }

  // Half random pairs; half pairs sharing a field's value (the fields in turn), alternately a
  // random such pair and the most similar in plaintext of 8 such pairs.
  const std::uint64_t random_pairs = pairs - pairs / 2;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> chosen;
  chosen.reserve(pairs);
  for (std::uint64_t k = 0; k < random_pairs; ++k) {
    const std::size_t i = pick(n);
    std::size_t j = pick(n - 1);
    if (j >= i) ++j;
    chosen.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
  }
  out.random_pairs = random_pairs;
  for (std::uint64_t k = 0; k < pairs / 2 && !value_fields.empty(); ++k) {
    std::optional<std::pair<std::uint32_t, std::uint32_t>> pair;
    for (int attempt = 0; attempt < 16 && !pair; ++attempt) {
      const std::size_t i = pick(n);
      for (std::size_t f = 0; f < value_fields.size() && !pair; ++f) {
        const std::size_t j = value_fields[(k + f) % value_fields.size()];
        const std::uint32_t begin = group[j][i].first, end = group[j][i].second;
        if (end - begin < 2) continue;
        const auto other = [&] {
          std::size_t m;
          do {
            m = members[j][begin + pick(end - begin)];
          } while (m == i);
          return m;
        };
        std::size_t best = other();
        if (k % 2 == 1) {
          double best_dice = SetDice(sets.Get(i), sets.Get(best));
          for (int t = 1; t < 8; ++t) {
            const std::size_t c = other();
            const double d = SetDice(sets.Get(i), sets.Get(c));
            if (d > best_dice) {
              best = c;
              best_dice = d;
            }
          }
        }
        pair.emplace(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(best));
      }
    }
    if (!pair) break;
    chosen.push_back(*pair);
    ++out.similar_pairs;
  }
  out.pairs = chosen.size();

  std::vector<double> x(chosen.size()), y(chosen.size());
  for (std::size_t p = 0; p < chosen.size(); ++p) {
    sets.Get(chosen[p].first);
    sets.Get(chosen[p].second);
  }
  const auto count = static_cast<std::int64_t>(chosen.size());
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t pp = 0; pp < count; ++pp) {
    const auto p = static_cast<std::size_t>(pp);
    const std::uint32_t a = sample[chosen[p].first], b = sample[chosen[p].second];
    x[p] = SetDice(sets.Get(chosen[p].first), sets.Get(chosen[p].second));
    const std::uint32_t both =
        internal::AndPopcount(clks.row_words(a), clks.row_words(b), clks.words_per_row());
    const std::uint32_t total = clks.popcount(a) + clks.popcount(b);
    y[p] = total == 0 ? 0 : 2.0 * both / total;
  }
  if (chosen.size() < 3) return out;
  double mx = 0, my = 0;
  for (std::size_t p = 0; p < x.size(); ++p) {
    mx += x[p];
    my += y[p];
  }
  mx /= static_cast<double>(x.size());
  my /= static_cast<double>(x.size());
  double sxx = 0, syy = 0, sxy = 0;
  for (std::size_t p = 0; p < x.size(); ++p) {
    sxx += (x[p] - mx) * (x[p] - mx);
    syy += (y[p] - my) * (y[p] - my);
    sxy += (x[p] - mx) * (y[p] - my);
  }
  if (sxx <= 0 || syy <= 0) return out;
  out.slope = sxy / sxx;
  out.intercept = my - out.slope * mx;
  out.r2 = sxy * sxy / (sxx * syy);
  double abs_error = 0;
  for (std::size_t p = 0; p < x.size(); ++p) {
    abs_error += std::abs(y[p] - (out.intercept + out.slope * x[p]));
  }
  out.mae = abs_error / static_cast<double>(x.size());
  out.verdict = out.r2 >= 0.9 ? Verdict::kWarn : Verdict::kPass;
  return out;
}

}  // namespace bloomlink::audit_internal
