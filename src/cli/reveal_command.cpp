// bloomlink reveal: a data holder maps the pseudonyms in a linkage's output back to its own record
// ids and leaves out every row that names a decoy. It needs the secret, like encode.
#include <cstdio>
#include <cstdlib>

#include "bloomlink/encode/decoys.hpp"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/schema.hpp"
#include "bloomlink/threads.hpp"
#include "cli/common.hpp"
#include "internal/strings.hpp"

namespace bloomlink::cli {
namespace {

struct RevealArgs {
  std::string schema_path;
  std::string secret_file;
  std::vector<std::string> inputs;
  std::string id_column = "id";
  std::string pairs, crosswalk;
  std::string output;
  int threads = 0;
  bool allow_weak_secret = false;
  bool skip_initial_space = false;
  bool quiet = false;
};

int RunReveal(const RevealArgs& args) {
  const double start = NowSeconds();
  if (args.pairs.empty() == args.crosswalk.empty()) {
    return Fail(absl::InvalidArgumentError(
        "give --pairs FILE (from bloomlink link) or --crosswalk FILE (from bloomlink index "
        "export), one of them"));
  }
  if (absl::Status valid = CheckThreads(args.threads); !valid.ok()) return Fail(valid);
  const std::string& input = args.pairs.empty() ? args.crosswalk : args.pairs;
  const encode::RevealTable table =
      args.pairs.empty() ? encode::RevealTable::kCrosswalk : encode::RevealTable::kPairs;
  auto schema = LoadSchema(args.schema_path);
  if (!schema.ok()) return Fail(schema.status());
  if (auto probe = io::AtomicFileWriter::Create(args.output); !probe.ok()) {
    return Fail(probe.status());
  }
  auto secret = ReadSecret(args.secret_file, args.allow_weak_secret);
  if (!secret.ok()) return Fail(secret.status());
  for (const std::string& w : secret->warnings()) Warn(w);
  auto keys = encode::IdKeys::Create(*schema, *secret);
  if (!keys.ok()) return Fail(keys.status());

  encode::IdRevealer revealer(*keys);
  io::CsvOptions csv;
  csv.skip_initial_space = args.skip_initial_space;
  for (const std::string& extract : args.inputs) {
    if (absl::Status added = revealer.AddExtract(extract, args.id_column, csv, args.threads);
        !added.ok()) {
      return Fail(added);
    }
  }
  auto report = encode::RevealCsv(revealer, input, table, args.output);
  if (!report.ok()) return Fail(report.status());
  for (const std::string& w : report->warnings) Warn(w);
  if (args.quiet) return kExitOk;
  const encode::RevealReport& r = *report;
  std::printf(
      "revealed %s into %s in %.2f s: %s rows read, %s left out as they name a decoy, %s "
      "written\n",
      input.c_str(), args.output.c_str(), NowSeconds() - start, Thousands(r.rows_read).c_str(),
      Thousands(r.rows_dropped).c_str(), Thousands(r.rows_read - r.rows_dropped).c_str());
  std::printf(
      "  ids in the rows written: %s revealed (records of the extracts given), %s left as they "
      "were (not recognised: other holders' records)\n",
      Thousands(r.ids_revealed).c_str(), Thousands(r.ids_left).c_str());
  std::printf("  the extracts given hold %s ids\n", Thousands(revealer.ids()).c_str());
  return kExitOk;
}

}  // namespace

void AddRevealCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RevealArgs>();
  CLI::App* cmd = app.add_subcommand(
      "reveal",
      "A data holder's view of a linkage's output: map the pseudonyms of its records back to "
      "their ids and leave out every row that names a decoy. The secret comes from --secret-file "
      "or the BLOOMLINK_SECRET environment variable, never from an argument.");
  cmd->add_option("--schema", args->schema_path,
                  "the linkage schema the extracts were encoded "
                  "with")
      ->required();
  cmd->add_option("--secret-file", args->secret_file,
                  "file holding the shared secret (default: $BLOOMLINK_SECRET)");
  cmd->add_option("--input", args->inputs,
                  "a CSV extract as it was encoded (repeat for several); its ids are revealed")
      ->required();
  cmd->add_option("--id-column", args->id_column, "column holding the extracts' record ids")
      ->capture_default_str();
  cmd->add_option("--pairs", args->pairs, "pairs CSV written by bloomlink link (id_a, id_b, ...)");
  cmd->add_option("--crosswalk", args->crosswalk,
                  "crosswalk CSV written by bloomlink index export (person_id, source, "
                  "record_id, ...)");
  cmd->add_option("--output", args->output, "the revealed CSV (written atomically)")->required();
  cmd->add_option("--threads", args->threads, "threads for the pseudonyms (0: all cores)")
      ->capture_default_str();
  cmd->add_flag("--allow-weak-secret", args->allow_weak_secret,
                "accept a secret shorter than 16 bytes (compatibility tests only)");
  cmd->add_flag("--skip-initial-space", args->skip_initial_space,
                "ignore spaces after each comma in the extracts (FEBRL)");
  cmd->add_flag("--quiet", args->quiet, "print nothing but errors and warnings");
  cmd->callback([args, &exit_code] { exit_code = RunReveal(*args); });
}

}  // namespace bloomlink::cli
