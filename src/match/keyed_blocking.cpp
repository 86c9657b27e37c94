// Keyed blocking (bloomlink/match/keyed_blocking.hpp).
#include "bloomlink/match/keyed_blocking.hpp"

#include <algorithm>
#include <chrono>

#include "internal/random.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "match/bucket_join.hpp"

namespace bloomlink::match {
namespace {

using internal::StrCat;
using internal::Thousands;
using match_internal::Keyed;

// TokensOf(keys, rule, out): the records with a token for the rule, sorted by token then record.
void TokensOf(const BlockingKeys& keys, std::size_t rule, std::vector<Keyed>& out) {
  out.clear();
  const std::size_t n = keys.records();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t token = keys.token(i, rule);
    if (token != kNoBlockingToken) out.push_back({token, static_cast<std::uint32_t>(i)});
  }
  std::sort(out.begin(), out.end());
}

// TokenSource: the rules as tables, for JoinTables (src/match/bucket_join.hpp).
struct TokenSource {
  const BlockingKeys& a;
  const BlockingKeys& b;
  std::size_t tables() const { return a.rules.size(); }
  void Keys(std::size_t rule, bool side_b, std::vector<Keyed>& out,
            std::vector<std::uint32_t>& /*scratch*/) const {
    TokensOf(side_b ? b : a, rule, out);
  }
  bool KeyOf(std::size_t rule, bool side_b, std::uint32_t row, std::uint64_t& key) const {
    key = (side_b ? b : a).token(row, rule);
    return key != kNoBlockingToken;
  }
};

std::uint64_t WithToken(const BlockingKeys& keys, std::size_t rule) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < keys.records(); ++i) n += keys.token(i, rule) != kNoBlockingToken;
  return n;
}

}  // namespace

absl::Status CheckBlockingKeys(const BlockingKeys* a, std::size_t rows_a, const BlockingKeys* b,
                               std::size_t rows_b) {
  if (a == nullptr || b == nullptr || a->empty() || b->empty()) {
    return absl::FailedPreconditionError(
        "keyed blocking needs blocking tokens in both datasets: declare \"blocking\" rules in the "
        "schema (docs/schema.md), and every data holder encodes again with it");
  }
  if (a->rules != b->rules) {
    const auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const std::string& r : v) s += StrCat(s.empty() ? "" : ", ", r);
      return s;
    };
    return absl::FailedPreconditionError(
        StrCat("keyed blocking: the datasets' blocking rules differ (", join(a->rules), " and ",
               join(b->rules), "): they were encoded with different schemas"));
  }
  for (const auto& [keys, rows] : {std::pair{a, rows_a}, std::pair{b, rows_b}}) {
    if (keys->tokens.size() != rows * keys->rules.size()) {
      return absl::InvalidArgumentError(StrCat("keyed blocking: ", keys->tokens.size(),
                                               " tokens for ", rows, " records and ",
                                               keys->rules.size(), " rules"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CandidatePairs> FindCandidatesByKeys(const BitMatrix& a, const BitMatrix& b,
                                                    const CandidateOptions& options,
                                                    KeyedBlockingStats* stats) {
  const auto start_time = std::chrono::steady_clock::now();
  BLOOMLINK_RETURN_IF_ERROR(ValidateCandidateInputs(a, b, options));
  if (options.top_k != 0) {
    return absl::InvalidArgumentError("keyed blocking keeps every candidate: top-k must be 0");
  }
  const BlockingKeys* keys_b =
      options.same_dataset && options.keys.b == nullptr ? options.keys.a : options.keys.b;
  BLOOMLINK_RETURN_IF_ERROR(CheckBlockingKeys(options.keys.a, a.rows(), keys_b, b.rows()));
  match_internal::JoinStats join;
  BLOOMLINK_ASSIGN_OR_RETURN(
      CandidatePairs result,
      match_internal::JoinTables(a, b, options, TokenSource{*options.keys.a, *keys_b},
                                 options.keys.max_block_pairs, join));
  if (stats != nullptr) {
    *stats = KeyedBlockingStats{};
    stats->comparisons = join.comparisons;
    stats->capped_blocks = join.capped_buckets;
    stats->capped_pairs = join.capped_pairs;
    for (std::size_t r = 0; r < options.keys.a->rules.size(); ++r) {
      KeyedRuleBlocks rule;
      rule.rule = options.keys.a->rules[r];
      rule.a_with_token = WithToken(*options.keys.a, r);
      rule.b_with_token = options.same_dataset ? rule.a_with_token : WithToken(*keys_b, r);
      rule.largest_a = join.largest[r].a_records;
      rule.largest_b = join.largest[r].b_records;
      rule.largest_pairs = join.largest[r].pairs;
      stats->rules.push_back(std::move(rule));
    }
    stats->seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  }
  return result;
}

absl::StatusOr<std::vector<KeyedRuleBlocks>> CountKeyedBlocks(const BlockingKeys& a,
                                                              const BlockingKeys& b,
                                                              bool same_dataset) {
  BLOOMLINK_RETURN_IF_ERROR(CheckBlockingKeys(&a, a.records(), &b, b.records()));
  std::vector<KeyedRuleBlocks> out;
  std::vector<Keyed> ka, kb;
  for (std::size_t r = 0; r < a.rules.size(); ++r) {
    KeyedRuleBlocks rule;
    rule.rule = a.rules[r];
    TokensOf(a, r, ka);
    if (!same_dataset) TokensOf(b, r, kb);
    const std::vector<Keyed>& other = same_dataset ? ka : kb;
    rule.a_with_token = ka.size();
    rule.b_with_token = other.size();
    for (const match_internal::Bucket& block : match_internal::Buckets(ka, other, same_dataset)) {
      const std::uint64_t pairs = match_internal::BucketPairs(block, same_dataset);
      ++rule.blocks;
      rule.pairs += pairs;
      if (pairs > rule.largest_pairs) {
        rule.largest_pairs = pairs;
        rule.largest_a = block.a_end - block.a_begin;
        rule.largest_b = same_dataset ? rule.largest_a : block.b_end - block.b_begin;
      }
    }
    out.push_back(std::move(rule));
  }
  return out;
}

absl::StatusOr<KeyedPairSample> SampleKeyedPairs(const BlockingKeys& a, const BlockingKeys& b,
                                                 bool same_dataset, std::size_t n,
                                                 std::uint64_t seed) {
  BLOOMLINK_ASSIGN_OR_RETURN(const std::vector<KeyedRuleBlocks> rules,
                             CountKeyedBlocks(a, b, same_dataset));
  KeyedPairSample sample;
  for (const KeyedRuleBlocks& rule : rules) sample.compared += rule.pairs;
  if (sample.compared == 0 || n == 0) return sample;
  // Sorted positions in [0, compared): each rule's blocks are visited once, in order.
  internal::SplitMix64 rng(seed);
  std::vector<std::uint64_t> at(std::min<std::uint64_t>(n, sample.compared));
  for (std::uint64_t& x : at) x = rng.Next() % sample.compared;
  std::sort(at.begin(), at.end());
  std::size_t next = 0;
  std::uint64_t rule_start = 0;  // the pairs of the rules before this one
  std::vector<Keyed> ka, kb;
  for (std::size_t r = 0; r < rules.size() && next < at.size(); ++r) {
    const std::uint64_t rule_end = rule_start + rules[r].pairs;
    if (at[next] < rule_end) {
      TokensOf(a, r, ka);
      if (!same_dataset) TokensOf(b, r, kb);
      const std::vector<Keyed>& other = same_dataset ? ka : kb;
      std::uint64_t block_start = rule_start;
      for (const match_internal::Bucket& block : match_internal::Buckets(ka, other, same_dataset)) {
        const std::uint64_t block_end =
            block_start + match_internal::BucketPairs(block, same_dataset);
        const std::uint64_t na = block.a_end - block.a_begin, nb = block.b_end - block.b_begin;
        for (; next < at.size() && at[next] < block_end; ++next) {
          std::uint64_t k = at[next] - block_start;
          std::uint64_t i, j;
          if (same_dataset) {
            // The k-th pair (i < j) of the block, row by row: row i holds na - 1 - i pairs.
            i = 0;
            while (k >= na - 1 - i) k -= na - 1 - i++;
            j = i + 1 + k;
          } else {
            i = k / nb;
            j = k % nb;
          }
          sample.left.push_back(ka[block.a_begin + i].row);
          sample.right.push_back(other[block.b_begin + j].row);
        }
        block_start = block_end;
        if (next == at.size() || at[next] >= rule_end) break;
      }
    }
    rule_start = rule_end;
  }
  return sample;
}

bool KeysShared(const BlockingKeys& a, std::size_t left, const BlockingKeys& b, std::size_t right) {
  for (std::size_t r = 0; r < a.rules.size(); ++r) {
    const std::uint64_t t = a.token(left, r);
    if (t != kNoBlockingToken && t == b.token(right, r)) return true;
  }
  return false;
}

std::vector<std::string> BlockingWarnings(const std::vector<KeyedRuleBlocks>& rules,
                                          std::uint64_t capped_blocks, std::uint64_t capped_pairs,
                                          std::uint64_t max_block_pairs) {
  std::vector<std::string> warnings;
  for (const KeyedRuleBlocks& rule : rules) {
    if (rule.largest_pairs <= kLargeBlockPairs) continue;
    warnings.push_back(StrCat(
        "blocking rule ", rule.rule, ": one token is shared by ", Thousands(rule.largest_a),
        " records of the first dataset and ", Thousands(rule.largest_b), " of the second (",
        Thousands(rule.largest_pairs),
        " pairs to compare): a value that common (often a placeholder) blocks poorly; give the "
        "rule more parts"));
  }
  if (capped_blocks > 0) {
    warnings.push_back(StrCat(Thousands(capped_blocks), " blocks of more than ",
                              Thousands(max_block_pairs), " pairs were not compared (",
                              Thousands(capped_pairs),
                              " pairs): matches among them are missed unless another rule "
                              "brings them together"));
  }
  return warnings;
}

}  // namespace bloomlink::match
