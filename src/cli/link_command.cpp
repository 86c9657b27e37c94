// bloomlink link / evaluate: the linkage unit's commands. They read encodings only: no secret,
// no raw identifiers.
#include <cstdio>
#include <optional>

#include "bloomlink/eval/metrics.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/io/pairs_csv.hpp"
#include "bloomlink/link.hpp"
#include "cli/common.hpp"
#include "internal/strings.hpp"

namespace bloomlink::cli {
namespace {

struct TruthArgs {
  std::string truth;
  std::string truth_regex;
};

// LoadTruth: from a two-column CSV, or from a regex over the two datasets' ids.
absl::StatusOr<std::optional<eval::TruthSet>> LoadTruth(const TruthArgs& args,
                                                        const EncodedDataset* a,
                                                        const EncodedDataset* b) {
  if (!args.truth.empty() && !args.truth_regex.empty()) {
    return absl::InvalidArgumentError("give --truth or --truth-regex, not both");
  }
  if (!args.truth.empty()) {
    auto pairs = io::ReadIdPairsCsv(args.truth);
    if (!pairs.ok()) return pairs.status();
    return std::optional<eval::TruthSet>(eval::TruthSet::FromPairs(*pairs));
  }
  if (!args.truth_regex.empty()) {
    if (a == nullptr || b == nullptr) {
      return absl::InvalidArgumentError(
          "--truth-regex needs the two encoded files (--a and --b) to know every record's id");
    }
    auto truth = eval::TruthSet::FromRegex(args.truth_regex, a->ids, b->ids);
    if (!truth.ok()) return truth.status();
    return std::optional<eval::TruthSet>(std::move(*truth));
  }
  return std::optional<eval::TruthSet>();
}

void PrintMetrics(const eval::PairMetrics& m) {
  std::printf(
      "  precision %.4f  recall %.4f  F1 %.4f  (true positives %s, false positives %s, "
      "false negatives %s; %s true pairs)\n",
      m.precision, m.recall, m.f1, Thousands(m.true_positives).c_str(),
      Thousands(m.false_positives).c_str(), Thousands(m.false_negatives).c_str(),
      Thousands(m.true_pairs).c_str());
}

std::vector<eval::IdPair> IdPairs(const EncodedDataset& a, const EncodedDataset& b,
                                  const match::CandidatePairs& pairs) {
  std::vector<eval::IdPair> out;
  out.reserve(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    out.emplace_back(a.ids[pairs.left[i]], b.ids[pairs.right[i]]);
  }
  return out;
}

struct LinkArgs {
  std::string a, b, output;
  double threshold = -1;
  int top_k = 0;
  std::string one_to_one = "greedy";
  int threads = 0;
  bool quiet = false;
  TruthArgs truth;
};

int RunLink(const LinkArgs& args) {
  const double start = NowSeconds();
  auto method = solve::ParseOneToOne(args.one_to_one);
  if (!method.ok()) return Fail(method.status());
  auto a = io::ReadEncodings(args.a);
  if (!a.ok()) return Fail(a.status());
  auto b = io::ReadEncodings(args.b);
  if (!b.ok()) return Fail(b.status());
  auto warnings = link::CheckCompatible(*a, args.a, *b, args.b);
  if (!warnings.ok()) return Fail(warnings.status());
  for (const std::string& w : *warnings) Warn(w);
  auto truth = LoadTruth(args.truth, &*a, &*b);
  if (!truth.ok()) return Fail(truth.status());
  const double loaded = NowSeconds();

  link::LinkOptions options;
  options.candidates.threshold = args.threshold;
  options.candidates.top_k = args.top_k;
  options.candidates.threads = args.threads;
  options.one_to_one = *method;
  Progress progress("comparing");
  if (!args.quiet) {
    options.candidates.progress = [&](std::uint64_t done, std::uint64_t total) {
      progress.Update(done, done, total);
    };
  }
  link::LinkReport report;
  auto pairs = link::Link(*a, *b, options, &report);
  progress.Finish();
  if (!pairs.ok()) return Fail(pairs.status());
  if (absl::Status s = link::WritePairsCsv(*a, *b, *pairs, args.output); !s.ok()) return Fail(s);
  if (args.quiet) return kExitOk;

  const match::CandidateStats& c = report.candidates;
  std::printf("linked %s (%s records) with %s (%s records) in %.2f s\n", args.a.c_str(),
              Thousands(a->size()).c_str(), args.b.c_str(), Thousands(b->size()).c_str(),
              NowSeconds() - start);
  std::printf("  read and checked the encodings in %.2f s\n", loaded - start);
  std::printf(
      "  compared %s pairs, %s ruled out by popcount alone (%.1f%%), in %.2f s "
      "(%s kernel, %d thread%s)\n",
      Thousands(c.comparisons).c_str(), Thousands(c.pruned).c_str(),
      c.pairs > 0 ? 100.0 * static_cast<double>(c.pruned) / static_cast<double>(c.pairs) : 0.0,
      c.seconds, c.kernel.c_str(), c.threads, c.threads == 1 ? "" : "s");
  std::printf(
      "  %s candidate pairs with Dice >= %g%s\n", Thousands(c.candidates).c_str(), args.threshold,
      args.top_k > 0 ? internal::StrCat(" (each record's best ", args.top_k, ")").c_str() : "");
  std::printf("  %s %s after %s one-to-one resolution in %.2f s\n",
              Thousands(report.matches).c_str(),
              *method == solve::OneToOne::kNone ? "pairs kept" : "matches",
              std::string(solve::OneToOneName(*method)).c_str(), report.solve_seconds);
  std::printf("  wrote %s (id_a,id_b,score)\n", args.output.c_str());
  if (truth->has_value()) {
    PrintMetrics(eval::ComparePairs(IdPairs(*a, *b, *pairs), **truth));
  }
  return kExitOk;
}

struct EvaluateArgs {
  std::string pairs, a, b;
  TruthArgs truth;
};

int RunEvaluate(const EvaluateArgs& args) {
  if (args.truth.truth.empty() && args.truth.truth_regex.empty()) {
    return Fail(absl::InvalidArgumentError("give --truth FILE or --truth-regex REGEX"));
  }
  if (args.a.empty() != args.b.empty()) {
    return Fail(absl::InvalidArgumentError("give both --a and --b, or neither"));
  }
  std::optional<EncodedDataset> a, b;
  if (!args.a.empty()) {
    auto ra = io::ReadEncodings(args.a);
    if (!ra.ok()) return Fail(ra.status());
    auto rb = io::ReadEncodings(args.b);
    if (!rb.ok()) return Fail(rb.status());
    a = std::move(*ra);
    b = std::move(*rb);
  }
  auto predicted = io::ReadIdPairsCsv(args.pairs, "id_a", "id_b");
  if (!predicted.ok()) return Fail(predicted.status());
  auto truth = LoadTruth(args.truth, a ? &*a : nullptr, b ? &*b : nullptr);
  if (!truth.ok()) return Fail(truth.status());
  const eval::PairMetrics m = eval::ComparePairs(*predicted, **truth);
  std::printf("%s: %s pairs\n", args.pairs.c_str(), Thousands(m.predicted).c_str());
  PrintMetrics(m);
  if (a) {
    std::printf(
        "  as a candidate set: pair completeness %.4f, reduction ratio %.6f (of %s x %s "
        "pairs)\n",
        eval::PairCompleteness(m), eval::ReductionRatio(m.predicted, a->size(), b->size()),
        Thousands(a->size()).c_str(), Thousands(b->size()).c_str());
  }
  return kExitOk;
}

void AddTruthOptions(CLI::App* cmd, TruthArgs& truth) {
  cmd->add_option("--truth", truth.truth, "CSV whose first two columns are true pairs of ids");
  cmd->add_option("--truth-regex", truth.truth_regex,
                  "regex whose first group names the entity in both files' ids (FEBRL: "
                  "'^rec-(\\d+)-')");
}

}  // namespace

void AddLinkCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<LinkArgs>();
  CLI::App* cmd = app.add_subcommand(
      "link",
      "Find the pairs of records whose encodings match, resolve them one-to-one and write "
      "id_a,id_b,score");
  cmd->add_option("a", args->a, "encodings of dataset A (bloom, clkhash JSON or CSV)")->required();
  cmd->add_option("b", args->b, "encodings of dataset B")->required();
  cmd->add_option("--threshold", args->threshold, "Dice threshold in [0, 1] (inclusive)")
      ->required()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--top-k", args->top_k,
                  "keep only each A record's K best candidates (the threshold is then a floor)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--one-to-one", args->one_to_one, "greedy, optimal, mutual or none")
      ->capture_default_str();
  cmd->add_option("--output", args->output, "pairs CSV (written atomically)")->required();
  cmd->add_option("--threads", args->threads, "threads (0: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_flag("--quiet", args->quiet, "print nothing but errors and warnings");
  AddTruthOptions(cmd, args->truth);
  cmd->callback([args, &exit_code] { exit_code = RunLink(*args); });
}

void AddEvaluateCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EvaluateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate", "Precision, recall and F1 of linked pairs against known true pairs");
  cmd->add_option("--pairs", args->pairs, "pairs CSV written by bloomlink link")->required();
  AddTruthOptions(cmd, args->truth);
  cmd->add_option("--a", args->a, "encodings of A (for --truth-regex and the reduction ratio)");
  cmd->add_option("--b", args->b, "encodings of B");
  cmd->callback([args, &exit_code] { exit_code = RunEvaluate(*args); });
}

}  // namespace bloomlink::cli
