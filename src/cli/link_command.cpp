// bloomlink link / evaluate: the linkage unit's commands. They read encodings only: no secret,
// no raw identifiers.
#include <cmath>
#include <cstdio>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "bloomlink/eval/clusters.hpp"
#include "bloomlink/eval/metrics.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/io/encodings.hpp"
#include "bloomlink/io/pairs_csv.hpp"
#include "bloomlink/link.hpp"
#include "bloomlink/match/blocking.hpp"
#include "bloomlink/memory_limit.hpp"
#include "bloomlink/score/fellegi_sunter.hpp"
#include "cli/common.hpp"
#include "internal/strings.hpp"

namespace bloomlink::cli {
namespace {

struct TruthArgs {
  std::string truth;
  std::string truth_regex;
};

// LoadTruth: from a two-column CSV, or from a regex over the two datasets' ids; `within` for
// deduplication (unordered pairs of two different records of one dataset).
absl::StatusOr<std::optional<eval::TruthSet>> LoadTruth(const TruthArgs& args,
                                                        const EncodedDataset* a,
                                                        const EncodedDataset* b, bool within) {
  if (!args.truth.empty() && !args.truth_regex.empty()) {
    return absl::InvalidArgumentError("give --truth or --truth-regex, not both");
  }
  if (!args.truth.empty()) {
    auto pairs = io::ReadIdPairsCsv(args.truth);
    if (!pairs.ok()) return pairs.status();
    return std::optional<eval::TruthSet>(within ? eval::TruthSet::FromPairsWithin(*pairs)
                                                : eval::TruthSet::FromPairs(*pairs));
  }
  if (!args.truth_regex.empty()) {
    if (a == nullptr || (b == nullptr && !within)) {
      return absl::InvalidArgumentError(
          "--truth-regex needs the encoded files (--a and --b, or --a alone for a "
          "deduplication) to know every record's id");
    }
    auto truth = within ? eval::TruthSet::FromRegexWithin(args.truth_regex, a->ids)
                        : eval::TruthSet::FromRegex(args.truth_regex, a->ids, b->ids);
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
  std::string threshold = "auto";
  int top_k = 0;
  std::string blocking = "exhaustive";
  double lsh_completeness = 0.99;
  std::string one_to_one;  // default: greedy (none with --dedupe)
  int threads = 0;
  bool quiet = false;
  bool dedupe = false;
  std::string method = "auto";
  std::string model, save_model;
  bool explain = false;
  bool u_from_sample = false;
  double decision = 0.5;
  std::string max_memory = "80%";
  TruthArgs truth;
};

int RunLink(const LinkArgs& args) {
  const double start = NowSeconds();
  if (args.b.empty() && !args.dedupe) {
    return Fail(absl::InvalidArgumentError("give two encoded files, or one with --dedupe"));
  }
  if (args.dedupe && !args.b.empty() && args.b != args.a) {
    return Fail(absl::InvalidArgumentError("--dedupe links one file with itself: give one file"));
  }
  link::LinkOptions options;
  if (args.threshold != "auto") {
    double threshold = 0;
    if (!absl::SimpleAtod(args.threshold, &threshold)) {
      return Fail(absl::InvalidArgumentError(
          internal::StrCat("--threshold: expected a Dice threshold in [0, 1] or auto, got \"",
                           args.threshold, "\"")));
    }
    options.candidates.threshold = threshold;
  }
  options.candidates.top_k = args.top_k;
  {
    auto blocking = match::ParseBlocking(args.blocking);
    if (!blocking.ok()) return Fail(blocking.status());
    options.candidates.blocking = *blocking;
    options.candidates.lsh.completeness = args.lsh_completeness;
  }
  options.candidates.threads = args.threads;
  if (!args.one_to_one.empty()) {
    auto one_to_one = solve::ParseOneToOne(args.one_to_one);
    if (!one_to_one.ok()) return Fail(one_to_one.status());
    options.one_to_one = *one_to_one;
  }
  auto method = link::ParseMethod(args.method);
  if (!method.ok()) return Fail(method.status());
  options.method = *method;
  options.deduplicate = args.dedupe;
  options.fs.u_from_sample = args.u_from_sample;
  options.fs.decision = args.decision;
  // A model given stands in as an empty one until the options are checked, so that a model with
  // the wrong method is refused before its file is read.
  if (!args.model.empty()) options.fs.model = score::FsModel{};
  // --save-model and --explain are the command's own: the library checks the rest.
  if (options.method == link::Method::kDice && (!args.save_model.empty() || args.explain)) {
    return Fail(absl::InvalidArgumentError("--save-model and --explain go with method fs"));
  }
  if (absl::Status valid = link::ValidateLinkOptions(options); !valid.ok()) return Fail(valid);
  if (!args.model.empty()) {
    auto model = score::LoadModel(args.model);
    if (!model.ok()) return Fail(model.status());
    options.fs.model = std::move(*model);
  }
  auto max_memory = ParseMemoryLimit(args.max_memory);
  if (!max_memory.ok()) return Fail(max_memory.status());
  options.max_memory = *max_memory;
  // Check that the outputs can be written before the matching, which may take long, rather
  // than after it. The probes' temporary files are removed at once.
  for (const std::string& path : {args.output, args.save_model}) {
    if (path.empty()) continue;
    if (auto probe = io::AtomicFileWriter::Create(path); !probe.ok()) return Fail(probe.status());
  }
  auto files = ReadLinkedFiles(args.a, args.b, args.dedupe);
  if (!files.ok()) return Fail(files.status());
  const EncodedDataset* a = &files->a;
  const EncodedDataset& b = files->b();
  const std::string& path_b = files->path_b;
  auto truth = LoadTruth(args.truth, &*a, &b, args.dedupe);
  if (!truth.ok()) return Fail(truth.status());
  if (link::ResolveMethod(*a, b, options) == link::Method::kDice &&
      (!args.save_model.empty() || args.explain)) {
    return Fail(absl::InvalidArgumentError(
        "--save-model and --explain go with method fs, and the files carry no field-level "
        "filters in common, so the method is dice"));
  }

  const double loaded = NowSeconds();
  Progress progress("comparing");
  if (!args.quiet) {
    options.candidates.progress = [&](std::uint64_t done, std::uint64_t total) {
      progress.Update(done, done, total);
    };
  }
  link::LinkReport report;
  auto result = link::Link(*a, b, options, &report);
  progress.Finish();
  if (!result.ok()) return Fail(result.status());
  for (const std::string& w : report.warnings) Warn(w);
  if (!args.save_model.empty()) {
    if (!result->model) {
      return Fail(absl::FailedPreconditionError(internal::StrCat(
          "no model to save to ", args.save_model, ": there were no candidate pairs")));
    }
    if (absl::Status s = score::SaveModel(*result->model, args.save_model); !s.ok()) return Fail(s);
  }
  const double writing = NowSeconds();
  if (absl::Status s = link::WritePairsCsv(*a, b, *result, args.output, args.explain); !s.ok()) {
    return Fail(s);
  }
  const double write_seconds = NowSeconds() - writing;
  if (args.quiet) return kExitOk;

  const match::CandidateStats& c = report.candidates;
  if (args.dedupe) {
    std::printf("deduplicated %s (%s records) in %.2f s\n", args.a.c_str(),
                Thousands(a->size()).c_str(), NowSeconds() - start);
  } else {
    std::printf("linked %s (%s records) with %s (%s records) in %.2f s\n", args.a.c_str(),
                Thousands(a->size()).c_str(), path_b.c_str(), Thousands(b.size()).c_str(),
                NowSeconds() - start);
  }
  std::printf("  read and checked the encodings in %.2f s\n", loaded - start);
  if (c.blocking_reason.empty()) {
    std::printf(
        "  compared %s pairs, %s ruled out by popcount alone (%.1f%%), in %.2f s "
        "(%s kernel, %d thread%s)\n",
        Thousands(c.comparisons).c_str(), Thousands(c.pruned).c_str(),
        c.pairs > 0 ? 100.0 * static_cast<double>(c.pruned) / static_cast<double>(c.pairs) : 0.0,
        c.seconds, c.kernel.c_str(), c.threads, c.threads == 1 ? "" : "s");
  } else {
    std::printf("  compared %s of the %s pairs (%.2f%%) in %.2f s (%s kernel, %d thread%s)\n",
                Thousands(c.comparisons).c_str(), Thousands(c.pairs).c_str(),
                c.pairs > 0
                    ? 100.0 * static_cast<double>(c.comparisons) / static_cast<double>(c.pairs)
                    : 0.0,
                c.seconds, c.kernel.c_str(), c.threads, c.threads == 1 ? "" : "s");
    std::printf("  blocking: %s\n", c.blocking_reason.c_str());
  }
  const double floor = report.floor ? report.floor->threshold : options.candidates.threshold;
  std::printf(
      "  %s candidate pairs with Dice >= %g%s\n", Thousands(c.candidates).c_str(), floor,
      args.top_k > 0 ? internal::StrCat(" (each record's best ", args.top_k, ")").c_str() : "");
  if (report.floor) std::printf("  candidate floor chosen: %s\n", report.floor->reason.c_str());
  if (report.stream_passes > 0) {
    std::printf(
        "  streamed: %s; the candidates were searched %d times and only the pairs the model "
        "accepts were held\n",
        report.stream_reason.c_str(), report.stream_passes);
  }
  if (options.method == link::Method::kAuto) {
    std::printf("  method %s (auto: %s)\n", std::string(link::MethodName(report.method)).c_str(),
                report.method == link::Method::kFellegiSunter
                    ? "both files carry field-level filters"
                    : "the files carry no field-level filters in common");
  }
  if (report.method == link::Method::kFellegiSunter && result->model) {
    const score::FsModel& m = *result->model;
    std::printf(
        "  Fellegi-Sunter on %zu fields in %.2f s: %s (lambda %.3g%s%s); matches: "
        "probability >= %g\n",
        result->fs_fields.size(), report.score_seconds,
        args.model.empty() ? internal::StrCat("estimated by EM, ", m.iterations,
                                              " iterations over ", Thousands(m.distinct_patterns),
                                              " patterns, u by ", score::UMethodName(m.u_method))
                                 .c_str()
                           : internal::StrCat("model ", args.model).c_str(),
        m.lambda,
        m.space_pairs != m.training_pairs && args.model.empty()
            ? internal::StrCat(": about ",
                               Thousands(static_cast<std::uint64_t>(
                                   std::llround(m.lambda * static_cast<double>(m.space_pairs)))),
                               " matches among all ", Thousands(m.space_pairs), " pairs")
                  .c_str()
            : "",
        m.converged || !args.model.empty() ? "" : ", NOT converged", args.decision);
    if (!args.save_model.empty()) std::printf("  saved the model to %s\n", args.save_model.c_str());
  }
  if (report.dice_decision) {
    std::printf("  decision threshold chosen: Dice >= %g: %s\n", report.dice_decision->threshold,
                report.dice_decision->reason.c_str());
  }
  if (result->estimate) {
    const link::ErrorEstimate& e = *result->estimate;
    std::printf(
        "  estimated without labels: %.1f false matches, %.1f missed (%.1f below the floor); "
        "precision=%.4f recall=%.4f F1=%.4f\n",
        e.false_matches, e.missed_matches, e.missed_below_floor, e.precision, e.recall, e.f1);
  }
  if (result->one_to_one == solve::OneToOne::kNone) {
    std::printf("  %s pairs kept (no one-to-one resolution), put in order in %.2f s\n",
                Thousands(report.matches).c_str(), report.solve_seconds);
  } else {
    std::printf("  %s matches after %s one-to-one resolution in %.2f s\n",
                Thousands(report.matches).c_str(),
                std::string(solve::OneToOneName(result->one_to_one)).c_str(), report.solve_seconds);
  }
  std::printf("  wrote %s in %.2f s\n", args.output.c_str(), write_seconds);
  if (truth->has_value()) {
    PrintMetrics(eval::ComparePairs(IdPairs(*a, b, result->pairs), **truth));
  }
  return kExitOk;
}

struct EvaluateArgs {
  std::string pairs, crosswalk, previous_crosswalk, a, b;
  TruthArgs truth;
};

// RecordKey(r): "source\0record_id", a record's key across crosswalks and truths.
std::string RecordKey(const io::RecordLabel& r) {
  return internal::StrCat(r.source, std::string_view("\0", 1), r.record_id);
}

// CrosswalkAgainstTruth(args, crosswalk): the clustering measures of bloomlink/eval/clusters.hpp
// against --truth (source,record_id,entity).
int CrosswalkAgainstTruth(const EvaluateArgs& args, const std::vector<io::RecordLabel>& crosswalk) {
  auto truth = io::ReadRecordLabels(args.truth.truth, "entity");
  if (!truth.ok()) return Fail(truth.status());
  // Labels as numbers; records of the truth missing from the crosswalk are persons of their own.
  absl::flat_hash_map<std::string, std::uint64_t> person_number, entity_number;
  absl::flat_hash_map<std::string, std::size_t> truth_row;  // "source\0record_id" -> row
  for (std::size_t i = 0; i < truth->size(); ++i) truth_row.emplace(RecordKey((*truth)[i]), i);
  std::vector<std::uint64_t> predicted, expected;
  std::vector<bool> listed(truth->size(), false);
  for (const io::RecordLabel& r : crosswalk) {
    const auto it = truth_row.find(RecordKey(r));
    if (it == truth_row.end()) {
      return Fail(absl::InvalidArgumentError(
          internal::StrCat(args.crosswalk, ": record ", r.record_id, " of source ", r.source,
                           " is not in the truth ", args.truth.truth)));
    }
    listed[it->second] = true;
    predicted.push_back(person_number.emplace(r.label, person_number.size()).first->second);
    expected.push_back(
        entity_number.emplace((*truth)[it->second].label, entity_number.size()).first->second);
  }
  std::uint64_t unlisted = 0;
  for (std::size_t i = 0; i < truth->size(); ++i) {
    if (listed[i]) continue;
    ++unlisted;
    predicted.push_back(person_number.size() + unlisted);  // alone (labels never reused)
    expected.push_back(
        entity_number.emplace((*truth)[i].label, entity_number.size()).first->second);
  }
  auto m = eval::CompareClusters(predicted, expected);
  if (!m.ok()) return Fail(m.status());
  std::printf("%s records, %s persons in the crosswalk, %s entities in the truth",
              Thousands(m->records).c_str(), Thousands(person_number.size()).c_str(),
              Thousands(m->entities).c_str());
  if (unlisted > 0) {
    std::printf(" (%s records of the truth not in the crosswalk, each counted alone)",
                Thousands(unlisted).c_str());
  }
  std::printf("\n");
  const auto line = [](const char* what, const eval::Scores& s) {
    std::printf("  %-24s precision %.4f  recall %.4f  F1 %.4f\n", what, s.precision, s.recall,
                s.f1);
  };
  line("pairwise", m->pairwise);
  line("B-cubed", m->bcubed);
  line("cluster-exact", m->exact);
  line("cluster-exact (groups)", m->exact_groups);
  return kExitOk;
}

// CrosswalkAgainstPrevious(args, crosswalk): how the persons moved since an earlier crosswalk,
// over the records both list: the share whose person_id changed, and the agreement of the two
// clusterings (B-cubed).
int CrosswalkAgainstPrevious(const EvaluateArgs& args,
                             const std::vector<io::RecordLabel>& crosswalk) {
  auto previous = io::ReadRecordLabels(args.previous_crosswalk, "person_id");
  if (!previous.ok()) return Fail(previous.status());
  absl::flat_hash_map<std::string, std::size_t> previous_row;
  for (std::size_t i = 0; i < previous->size(); ++i) {
    previous_row.emplace(RecordKey((*previous)[i]), i);
  }
  // One numbering of the person IDs of both files: the same ID, the same number.
  absl::flat_hash_map<std::string, std::uint64_t> id_number;
  const auto number = [&](const std::string& id) {
    return id_number.emplace(id, id_number.size()).first->second;
  };
  std::vector<std::uint64_t> before, after;
  for (const io::RecordLabel& r : crosswalk) {
    const auto it = previous_row.find(RecordKey(r));
    if (it == previous_row.end()) continue;
    before.push_back(number((*previous)[it->second].label));
    after.push_back(number(r.label));
  }
  const std::uint64_t both = before.size();
  auto churn = eval::IdChurn(before, after);
  if (!churn.ok()) return Fail(churn.status());
  auto m = eval::CompareClusters(after, before);
  if (!m.ok()) return Fail(m.status());
  std::uint64_t changed = 0;
  for (std::size_t i = 0; i < both; ++i) changed += before[i] != after[i];
  std::printf(
      "against the previous crosswalk %s: %s records in both (%s only in the previous one, %s "
      "only in this one)\n",
      args.previous_crosswalk.c_str(), Thousands(both).c_str(),
      Thousands(previous->size() - both).c_str(), Thousands(crosswalk.size() - both).c_str());
  std::printf("  ID churn %.4f  (%s of the %s records in both changed person_id)\n", *churn,
              Thousands(changed).c_str(), Thousands(both).c_str());
  std::printf(
      "  agreement of the two clusterings over the records in both: B-cubed precision %.4f  "
      "recall %.4f  F1 %.4f\n",
      m->bcubed.precision, m->bcubed.recall, m->bcubed.f1);
  return kExitOk;
}

// EvaluateClusters(args): a crosswalk (person_id,source,record_id,...) against a truth
// (source,record_id,entity), against a previous crosswalk, or both.
int EvaluateClusters(const EvaluateArgs& args) {
  if (!args.pairs.empty() || !args.a.empty() || !args.b.empty() ||
      !args.truth.truth_regex.empty() ||
      (args.truth.truth.empty() && args.previous_crosswalk.empty())) {
    return Fail(absl::InvalidArgumentError(
        "--crosswalk is evaluated against --truth FILE (columns source,record_id,entity), "
        "--previous-crosswalk FILE, or both: no --pairs, --a, --b or --truth-regex"));
  }
  auto crosswalk = io::ReadRecordLabels(args.crosswalk, "person_id");
  if (!crosswalk.ok()) return Fail(crosswalk.status());
  if (!args.truth.truth.empty()) {
    if (const int code = CrosswalkAgainstTruth(args, *crosswalk); code != kExitOk) return code;
  }
  if (!args.previous_crosswalk.empty()) return CrosswalkAgainstPrevious(args, *crosswalk);
  return kExitOk;
}

int RunEvaluate(const EvaluateArgs& args) {
  if (!args.crosswalk.empty()) return EvaluateClusters(args);
  if (!args.previous_crosswalk.empty()) {
    return Fail(absl::InvalidArgumentError(
        "--previous-crosswalk goes with --crosswalk FILE (the newer crosswalk)"));
  }
  if (args.pairs.empty()) {
    return Fail(absl::InvalidArgumentError("give --pairs FILE (or --crosswalk FILE)"));
  }
  if (args.truth.truth.empty() && args.truth.truth_regex.empty()) {
    return Fail(absl::InvalidArgumentError("give --truth FILE or --truth-regex REGEX"));
  }
  if (args.a.empty() && !args.b.empty()) {
    return Fail(absl::InvalidArgumentError("give --a with --b (or --a alone for a deduplication)"));
  }
  // --a alone: the pairs deduplicate one dataset.
  const bool within = !args.a.empty() && args.b.empty();
  std::optional<EncodedDataset> a, b;
  if (!args.a.empty()) {
    auto ra = io::ReadEncodings(args.a);
    if (!ra.ok()) return Fail(ra.status());
    a = std::move(*ra);
  }
  if (!args.b.empty()) {
    auto rb = io::ReadEncodings(args.b);
    if (!rb.ok()) return Fail(rb.status());
    b = std::move(*rb);
  }
  auto predicted = io::ReadIdPairsCsv(args.pairs, "id_a", "id_b");
  if (!predicted.ok()) return Fail(predicted.status());
  auto truth = LoadTruth(args.truth, a ? &*a : nullptr, b ? &*b : nullptr, within);
  if (!truth.ok()) return Fail(truth.status());
  const eval::PairMetrics m = eval::ComparePairs(*predicted, **truth);
  std::printf("%s: %s pairs\n", args.pairs.c_str(), Thousands(m.predicted).c_str());
  PrintMetrics(m);
  if (a && within) {
    std::printf(
        "  as a candidate set: pair completeness %.4f, reduction ratio %.6f (of %s pairs of "
        "two different records)\n",
        eval::PairCompleteness(m), eval::ReductionRatioWithin(m.predicted, a->size()),
        Thousands(eval::PairsWithin(a->size())).c_str());
  } else if (a && b) {
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
                  "regex (Python syntax) searched in each id, whose first group names the "
                  "entity in both files' ids (FEBRL: '^rec-(\\d+)-')");
}

}  // namespace

void AddLinkCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<LinkArgs>();
  CLI::App* cmd = app.add_subcommand(
      "link",
      "Find the pairs of records whose encodings match, resolve them one-to-one and write "
      "id_a,id_b,score");
  cmd->add_option("a", args->a, "encodings of dataset A (bloom, clkhash JSON or CSV)")->required();
  cmd->add_option("b", args->b, "encodings of dataset B (not with --dedupe)");
  // Ranges and combinations of options are checked by the library (link::ValidateLinkOptions).
  cmd->add_option("--threshold", args->threshold,
                  "candidate Dice threshold in [0, 1] (inclusive), or auto: chosen from the "
                  "Dice of random pairs (docs/matching.md)")
      ->capture_default_str();
  cmd->add_option("--top-k", args->top_k,
                  "keep only each A record's K best candidates (the threshold is then a floor)");
  cmd->add_option("--blocking", args->blocking,
                  "which pairs to compare: exhaustive (every pair), lsh (Hamming LSH on the CLK "
                  "bits: far fewer comparisons, a predicted share of the candidates found) or keys "
                  "(pairs sharing a keyed blocking token of the schema's blocking rules)")
      ->capture_default_str();
  cmd->add_option("--lsh-completeness", args->lsh_completeness,
                  "lsh: the share of the pairs at the threshold to find, in (0, 1)")
      ->capture_default_str();
  cmd->add_option("--one-to-one", args->one_to_one,
                  "greedy, optimal, mutual or none (default: greedy; none with --dedupe)");
  cmd->add_flag("--dedupe", args->dedupe,
                "find duplicates within one file (pairs of two different records, each once)");
  cmd->add_option("--method", args->method,
                  "dice: resolve by CLK Dice; fs: Fellegi-Sunter on the field-level filters, "
                  "estimated by EM without labels; auto: fs when both files carry field-level "
                  "filters, else dice")
      ->capture_default_str();
  cmd->add_option("--model", args->model, "fs: use this model (JSON) instead of estimating one");
  cmd->add_option("--save-model", args->save_model, "fs: write the model used (JSON)");
  cmd->add_flag("--explain", args->explain, "fs: add each field's weight to the output");
  cmd->add_flag("--u-from-sample", args->u_from_sample,
                "fs: estimate u from a random sample of pairs instead of by EM");
  cmd->add_option("--decision", args->decision,
                  "fs: the match probability a pair needs to be a match")
      ->capture_default_str();
  cmd->add_option("--output", args->output, "pairs CSV (written atomically)")->required();
  cmd->add_option("--threads", args->threads, "threads (0: all cores)");
  cmd->add_option("--max-memory", args->max_memory,
                  "stop at once if the linkage would need more memory than this: a size (16G, "
                  "1500M), a share of physical memory (95%), or 0 for no limit; Fellegi-Sunter "
                  "streams candidates that would not fit (docs/matching.md)")
      ->capture_default_str();
  cmd->add_flag("--quiet", args->quiet, "print nothing but errors and warnings");
  AddTruthOptions(cmd, args->truth);
  cmd->callback([args, &exit_code] { exit_code = RunLink(*args); });
}

void AddEvaluateCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EvaluateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate",
      "Precision, recall and F1 of linked pairs against known true pairs, or of a person "
      "crosswalk's clusters against known entities");
  cmd->add_option("--pairs", args->pairs, "pairs CSV written by bloomlink link");
  cmd->add_option("--crosswalk", args->crosswalk,
                  "instead of --pairs: a crosswalk CSV (columns person_id, source, record_id), "
                  "evaluated against --truth with columns source, record_id, entity: pairwise, "
                  "B-cubed and cluster-exact precision, recall and F1");
  cmd->add_option("--previous-crosswalk", args->previous_crosswalk,
                  "with --crosswalk: an earlier crosswalk of the same index; prints the ID churn "
                  "(the share of the records in both whose person_id changed) and the B-cubed "
                  "agreement of the two clusterings (--truth is then optional)");
  AddTruthOptions(cmd, args->truth);
  cmd->add_option("--a", args->a, "encodings of A (for --truth-regex and the reduction ratio)");
  cmd->add_option("--b", args->b, "encodings of B");
  cmd->callback([args, &exit_code] { exit_code = RunEvaluate(*args); });
}

}  // namespace bloomlink::cli
