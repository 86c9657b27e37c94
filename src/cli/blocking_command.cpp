// bloomlink blocking report: what each candidate source would compare on two encoded files (or
// one, with --dedupe), and what LSH would miss, measured against the exhaustive search on a
// sample: the role of Splink's blocking charts, on encodings.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/numbers.h"
#include "bloomlink/link.hpp"
#include "bloomlink/match/candidates.hpp"
#include "bloomlink/match/keyed_blocking.hpp"
#include "bloomlink/match/lsh.hpp"
#include "bloomlink/threads.hpp"
#include "cli/common.hpp"
#include "internal/strings.hpp"

namespace bloomlink::cli {
namespace {

struct BlockingArgs {
  std::string a, b;
  bool dedupe = false;
  std::string threshold = "auto";
  double lsh_completeness = 0.99;
  std::size_t sample = 2000;
  int threads = 0;
};

std::string Fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// Wilson95(k, n): the 95% Wilson score interval of a proportion k / n.
std::pair<double, double> Wilson95(double k, double n) {
  if (n <= 0) return {0.0, 1.0};
  const double z = 1.959964, p = k / n, z2n = z * z / n;
  const double centre = (p + z2n / 2) / (1 + z2n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n);
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

int RunBlockingReport(const BlockingArgs& args) {
  if (args.sample == 0) {
    return Fail(absl::InvalidArgumentError("--sample: expected at least 1 record"));
  }
  if (absl::Status s = ::bloomlink::CheckThreads(args.threads); !s.ok()) return Fail(s);
  auto files = ReadLinkedFiles(args.a, args.b, args.dedupe);
  if (!files.ok()) return Fail(files.status());
  const EncodedDataset* a = &files->a;
  const EncodedDataset& b = files->b();
  const std::string& path_b = files->path_b;

  double threshold = 0;
  std::string why;
  if (args.threshold == "auto") {
    const link::FloorChoice floor = link::ChooseCandidateFloor(*a, b, args.dedupe);
    threshold = floor.threshold;
    why = internal::StrCat("chosen as `bloomlink link` would: ", floor.reason);
  } else if (!absl::SimpleAtod(args.threshold, &threshold) || !(threshold > 0 && threshold <= 1)) {
    return Fail(absl::InvalidArgumentError(internal::StrCat(
        "--threshold: expected a Dice threshold in (0, 1] or auto, got \"", args.threshold, "\"")));
  } else {
    why = "given";
  }
  const std::uint64_t na = a->size(), nb = b.size();
  const std::uint64_t pairs = args.dedupe ? na * (na - (na > 0)) / 2 : na * nb;
  if (args.dedupe) {
    std::printf("blocking report for %s (%s records, deduplication): %s pairs\n", args.a.c_str(),
                Thousands(na).c_str(), Thousands(pairs).c_str());
  } else {
    std::printf("blocking report for %s (%s records) x %s (%s records): %s pairs\n", args.a.c_str(),
                Thousands(na).c_str(), path_b.c_str(), Thousands(nb).c_str(),
                Thousands(pairs).c_str());
  }
  std::printf("  candidate threshold Dice >= %g (%s)\n", threshold, why.c_str());

  // The exhaustive candidates of a sample of A's records: the reference for pair completeness.
  const std::size_t k = std::min<std::size_t>(args.sample, na);
  BitMatrix sample(k, a->clks.bits());
  std::vector<std::uint32_t> rows(k);
  for (std::size_t i = 0; i < k; ++i) {
    rows[i] = static_cast<std::uint32_t>(i * na / k);
    std::memcpy(sample.row_words(i), a->clks.row_words(rows[i]), a->clks.words_per_row() * 8);
  }
  sample.UpdatePopcounts();
  match::CandidateOptions exhaustive;
  exhaustive.threshold = threshold;
  exhaustive.threads = args.threads;
  match::CandidateStats sample_stats;
  auto reference = match::FindCandidates(sample, b.clks, exhaustive, &sample_stats);
  if (!reference.ok()) return Fail(reference.status());
  std::uint64_t reference_pairs = 0;
  for (std::size_t p = 0; p < reference->size(); ++p) {
    if (!(args.dedupe && reference->right[p] == rows[reference->left[p]])) ++reference_pairs;
  }
  const double scale = static_cast<double>(na) / static_cast<double>(k);
  const double compared_share =
      static_cast<double>(sample_stats.comparisons) / static_cast<double>(sample_stats.pairs);
  std::printf(
      "  exhaustive: compares every pair its popcount bounds allow (%.1f%% of them on the "
      "sample), finds every candidate: about %s candidate pairs (%s among the %s sampled "
      "records of A)\n",
      100.0 * compared_share,
      Thousands(static_cast<std::uint64_t>(std::llround(static_cast<double>(reference_pairs) *
                                                        scale / (args.dedupe ? 2.0 : 1.0))))
          .c_str(),
      Thousands(reference_pairs).c_str(), Thousands(k).c_str());

  // The reduction ratio of `comparisons` among all the pairs, as the report says it.
  const auto reduction_of = [&](std::uint64_t comparisons) {
    const double share =
        pairs > 0 ? static_cast<double>(comparisons) / static_cast<double>(pairs) : 0.0;
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.4f", 1.0 - share);
    return share < 1.0 ? internal::StrCat("reduction ratio ", ratio)
                       : std::string("more than all of them: no reduction");
  };
  // The share of the sample's exhaustive candidates that a source compares (collides(from, to)).
  const auto completeness = [&](const auto& collides) {
    std::uint64_t found = 0;
    for (std::size_t p = 0; p < reference->size(); ++p) {
      const std::uint32_t from = rows[reference->left[p]], to = reference->right[p];
      if (args.dedupe && to == from) continue;
      if (collides(from, to)) ++found;
    }
    const auto [lo, hi] =
        Wilson95(static_cast<double>(found), static_cast<double>(reference_pairs));
    return internal::StrCat("pair completeness against the exhaustive candidates of the sample: ",
                            Fixed(reference_pairs > 0 ? static_cast<double>(found) /
                                                            static_cast<double>(reference_pairs)
                                                      : 1.0),
                            " (", Thousands(found), " of ", Thousands(reference_pairs),
                            "; 95% interval ", Fixed(lo), "-", Fixed(hi), ")");
  };

  const BlockingKeys& keys_a = a->blocking_keys;
  const BlockingKeys& keys_b = b.blocking_keys;
  if (absl::Status usable = match::CheckBlockingKeys(&keys_a, na, &keys_b, nb); !usable.ok()) {
    std::printf("  keys: not possible: %s\n", std::string(usable.message()).c_str());
  } else {
    auto rules = match::CountKeyedBlocks(keys_a, keys_b, args.dedupe);
    if (!rules.ok()) return Fail(rules.status());
    std::uint64_t comparisons = 0;
    for (const match::KeyedRuleBlocks& rule : *rules) comparisons += rule.pairs;
    std::printf(
        "  keys: %zu keyed blocking rule%s would compare %s pairs (%s%% of all pairs, "
        "pairs shared by several rules counted in each; %s)\n",
        rules->size(), rules->size() == 1 ? "" : "s", Thousands(comparisons).c_str(),
        Fixed(100.0 * static_cast<double>(comparisons) /
              static_cast<double>(std::max<std::uint64_t>(pairs, 1)))
            .c_str(),
        reduction_of(comparisons).c_str());
    const std::uint64_t cap = match::KeyOptions{}.max_block_pairs;
    for (const match::KeyedRuleBlocks& rule : *rules) {
      std::printf(
          "    rule %s: tokens on %s and %s records, %s shared tokens, %s pairs; the "
          "largest block %s x %s records = %s pairs%s\n",
          rule.rule.c_str(), Thousands(rule.a_with_token).c_str(),
          Thousands(rule.b_with_token).c_str(), Thousands(rule.blocks).c_str(),
          Thousands(rule.pairs).c_str(), Thousands(rule.largest_a).c_str(),
          Thousands(rule.largest_b).c_str(), Thousands(rule.largest_pairs).c_str(),
          rule.largest_pairs > cap ? " (over the cap: skipped)" : "");
    }
    for (const std::string& warning : match::BlockingWarnings(*rules, 0, 0, cap)) {
      std::printf("    warning: %s\n", warning.c_str());
    }
    std::printf("    %s\n", completeness([&](std::uint32_t from, std::uint32_t to) {
                              return match::KeysShared(keys_a, from, keys_b, to);
                            }).c_str());
  }

  match::LshOptions lsh;
  lsh.completeness = args.lsh_completeness;
  auto plan = match::PlanLsh(a->clks, b.clks, threshold, args.dedupe, lsh);
  if (!plan.ok()) {
    std::printf("  lsh: not possible: %s\n", std::string(plan.status().message()).c_str());
    return kExitOk;
  }
  auto blocks = match::CountLshBlocks(a->clks, b.clks, args.dedupe, *plan, args.threads);
  if (!blocks.ok()) return Fail(blocks.status());
  const double share =
      pairs > 0 ? static_cast<double>(blocks->comparisons) / static_cast<double>(pairs) : 0.0;
  std::printf("  lsh: %s\n", plan->reason.c_str());
  std::printf("    would compare %s pairs in %s buckets (%.2f%% of all pairs, %s)%s\n",
              Thousands(blocks->comparisons).c_str(), Thousands(blocks->buckets).c_str(),
              100.0 * share, reduction_of(blocks->comparisons).c_str(),
              share >= match::kLshWorthwhile
                  ? "; at 10% or more --blocking lsh compares exhaustively instead"
                  : "");
  for (const match::LshBlock& block : blocks->largest) {
    std::printf("    a large block: table %u, %s x %s records = %s pairs%s\n", block.table + 1,
                Thousands(block.a_records).c_str(), Thousands(block.b_records).c_str(),
                Thousands(block.pairs).c_str(),
                lsh.max_bucket_pairs > 0 && block.pairs > lsh.max_bucket_pairs
                    ? " (over the cap: skipped)"
                    : "");
  }
  std::printf("    %s; predicted at the threshold %.4f\n",
              completeness([&](std::uint32_t from, std::uint32_t to) {
                return match::LshCollides(a->clks.row_bytes(from), b.clks.row_bytes(to), *plan);
              }).c_str(),
              plan->predicted_completeness);
  return kExitOk;
}

}  // namespace

void AddBlockingCommand(CLI::App& app, int& exit_code) {
  CLI::App* blocking = app.add_subcommand("blocking",
                                          "Compare candidate sources (exhaustive, keyed blocking, "
                                          "LSH) on encoded files before linking");
  blocking->require_subcommand(1);
  auto args = std::make_shared<BlockingArgs>();
  CLI::App* report = blocking->add_subcommand(
      "report",
      "Print the comparisons each candidate source would make, the largest blocks, the "
      "reduction ratio and the pair completeness of keyed blocking and LSH measured on a sample");
  report->add_option("a", args->a, "encodings of dataset A")->required();
  report->add_option("b", args->b, "encodings of dataset B (not with --dedupe)");
  report->add_flag("--dedupe", args->dedupe, "report on one file linked with itself");
  report
      ->add_option("--threshold", args->threshold,
                   "candidate Dice threshold in (0, 1], or auto: as bloomlink link chooses it")
      ->capture_default_str();
  report
      ->add_option("--lsh-completeness", args->lsh_completeness,
                   "the share of the pairs at the threshold LSH should find, in (0, 1)")
      ->capture_default_str();
  report
      ->add_option("--sample", args->sample,
                   "records of A whose exhaustive candidates measure LSH's completeness")
      ->capture_default_str();
  report->add_option("--threads", args->threads, "threads (0: all cores)");
  report->callback([args, &exit_code] { exit_code = RunBlockingReport(*args); });
}

}  // namespace bloomlink::cli
