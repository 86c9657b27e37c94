// The automatic candidate floor: the loosest CLK Dice threshold whose candidates stay within a
// budget per record, read off the Dice of a random sample of pairs. Random pairs are nearly all
// non-matches, so the floor excludes random look-alikes beyond the budget, while every pair more
// alike than that, corrupted matches included, is kept for the scoring stage.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "bloomlink/eval/metrics.hpp"
#include "bloomlink/link.hpp"
#include "internal/popcount.hpp"
#include "internal/random.hpp"
#include "internal/strings.hpp"

namespace bloomlink::link {
namespace {

using internal::StrCat;

constexpr std::uint64_t kFloorSamplePairs = 200000;

// FormatDice(0.62) = "0.62".
std::string FormatDice(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", d);
  return buf;
}

}  // namespace

FloorChoice ChooseCandidateFloor(const EncodedDataset& a, const EncodedDataset& b,
                                 bool deduplicate) {
  FloorChoice choice;
  const std::uint64_t na = a.size(), nb = deduplicate ? a.size() : b.size();
  const std::uint64_t space = deduplicate ? eval::PairsWithin(na) : na * nb;
  choice.budget = kCandidatesPerRecord * (deduplicate ? na : na + nb);
  if (space == 0) return choice;
  const std::uint64_t samples = std::min(kFloorSamplePairs, space);
  const std::size_t words = a.clks.words_per_row();
  // A fixed sequence, so the floor is the same on every run.
  internal::SplitMix64 rng(0x666C6F6F72736565ull);
  std::vector<double> dice;
  dice.reserve(samples);
  double sum = 0.0;
  for (std::uint64_t s = 0; s < samples; ++s) {
    const std::uint64_t i = rng.Next() % na;
    std::uint64_t j = rng.Next() % nb;
    if (deduplicate && i == j) j = (j + 1) % nb;
    const std::uint32_t c = internal::AndPopcount(a.clks.row_words(i), b.clks.row_words(j), words);
    const std::uint32_t total = a.clks.popcount(i) + b.clks.popcount(j);
    const double d = total == 0 ? 0.0 : 2.0 * c / total;
    dice.push_back(d);
    sum += d;
  }
  choice.random_dice.assign(dice.begin(), dice.end());
  choice.sampled_pairs = samples;
  choice.random_mean = sum / static_cast<double>(samples);
  if (choice.budget >= space) {
    choice.threshold = 0.0;
    choice.expected_candidates = static_cast<double>(space);
    choice.reason = StrCat("every pair is a candidate (", internal::Thousands(space),
                           " pairs, within the budget of ", kCandidatesPerRecord, " per record)");
    return choice;
  }
  // The sample's Dice at the budget's share of all pairs, rounded up to a hundredth, so that
  // the candidates stay within the budget.
  const double share = static_cast<double>(choice.budget) / static_cast<double>(space);
  const auto rank = static_cast<std::size_t>(share * static_cast<double>(samples));
  std::nth_element(dice.begin(), dice.begin() + static_cast<std::ptrdiff_t>(rank), dice.end(),
                   std::greater<>());
  double floor = std::ceil(dice[rank] * 100.0 - 1e-9) / 100.0;
  if (floor <= dice[rank]) floor += 0.01;  // strictly above the sampled value at the budget
  choice.threshold = std::min(floor, 1.0);
  std::uint64_t above = 0;
  for (double d : dice) above += d >= choice.threshold ? 1 : 0;
  choice.expected_candidates =
      static_cast<double>(above) / static_cast<double>(samples) * static_cast<double>(space);
  choice.reason =
      StrCat("random pairs have mean Dice ", FormatDice(choice.random_mean),
             "; at Dice >= ", FormatDice(choice.threshold), " about ",
             internal::Thousands(static_cast<std::uint64_t>(choice.expected_candidates)),
             " pairs are candidates (budget ", kCandidatesPerRecord, " per record, from ",
             internal::Thousands(samples), " random pairs)");
  if (choice.random_mean > kFullClkMeanDice || choice.threshold > kFullClkFloor) {
    choice.warning = StrCat(
        "the CLKs are too full for similarity to separate records well: random pairs have mean "
        "Dice ",
        FormatDice(choice.random_mean), " and the candidate floor had to be ",
        FormatDice(choice.threshold),
        ", so matches with corrupted fields may be lost below it. Encode again with fewer bits "
        "per field (the schema's \"bits\": \"per_field\" or \"per_token\") or a longer filter "
        "(\"filter\": \"bits\"), so that a CLK has at most about half its bits set");
  }
  return choice;
}

}  // namespace bloomlink::link
