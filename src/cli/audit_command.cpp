// bloomlink audit: a data holder attacks its own encodings (docs/cli.md, docs/security.md).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "bloomlink/audit/audit.hpp"
#include "bloomlink/audit/reference.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/schema.hpp"
#include "cli/common.hpp"
#include "internal/strings.hpp"

namespace bloomlink::cli {
namespace {

struct AuditArgs {
  std::string schema_path;
  std::string secret_file;
  std::string input;
  std::string id_column = "id";
  std::vector<std::string> references;
  std::uint64_t sample = audit::kDefaultSample;
  int threads = 0;
  std::string json;
  bool allow_weak_secret = false;
  bool skip_initial_space = false;
  bool quiet = false;
};

// ReferenceArgument(text, schema): FIELD=FILE when the text before the first '=' names a field
// of the schema, else FILE for every name field.
absl::StatusOr<audit::FieldReference> ReferenceArgument(const std::string& text,
                                                        const LinkageSchema& schema) {
  audit::FieldReference ref;
  std::string path = text;
  if (const std::size_t eq = text.find('='); eq != std::string::npos) {
    const std::string field = text.substr(0, eq);
    std::string names;
    for (const FieldSpec& f : schema.fields) {
      if (f.ignored) continue;
      internal::StrAppend(names, names.empty() ? "" : ", ", f.name);
      if (f.name == field) {
        ref.field = field;
        path = text.substr(eq + 1);
      }
    }
    // FIELD=FILE with a field the schema does not have (and no file of that whole name).
    const bool identifier = !field.empty() && field.find_first_not_of(
                                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
                                                  "wxyz0123456789_-.") == std::string::npos;
    std::error_code ec;
    if (ref.field.empty() && identifier && !std::filesystem::exists(text, ec)) {
      return absl::InvalidArgumentError(
          internal::StrCat("--reference ", text, ": the schema has no field ", field,
                           " (its fields: ", names, "); give FIELD=FILE or FILE"));
    }
  }
  if (path.empty()) {
    return absl::InvalidArgumentError(
        internal::StrCat("--reference ", text, ": expected FILE or FIELD=FILE"));
  }
  auto table = audit::ReadReferenceCsv(path);
  if (!table.ok()) return table.status();
  ref.table = *std::move(table);
  return ref;
}

// Width(text): the columns a UTF-8 text takes (its code points: "R²" is two).
std::size_t Width(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

void PrintAuditTable(const std::vector<audit::AuditTableRow>& rows) {
  std::size_t w[4] = {6, 6, 7, 5};
  for (const audit::AuditTableRow& r : rows) {
    w[0] = std::max(w[0], Width(r.attack));
    w[1] = std::max(w[1], Width(r.target));
    w[2] = std::max(w[2], Width(r.measure));
    w[3] = std::max(w[3], Width(r.value));
  }
  const auto pad = [&](const std::string& text, std::size_t width) {
    return text + std::string(width - Width(text) + 2, ' ');
  };
  const auto line = [&](const std::string& a, const std::string& b, const std::string& c,
                        const std::string& d, const std::string& e) {
    std::string out =
        internal::StrCat("  ", pad(a, w[0]), pad(b, w[1]), pad(c, w[2]), pad(d, w[3]), e);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  line("attack", "target", "measure", "value", "verdict");
  std::string previous;
  for (const audit::AuditTableRow& r : rows) {
    if (r.attack != previous && !previous.empty()) std::printf("\n");
    previous = r.attack;
    line(r.attack, r.target, r.measure, r.value, r.verdict);
  }
}

void PrintAuditSummary(const AuditArgs& args, const audit::AuditReport& report) {
  std::printf(
      "audited %s of %s records from %s in %.1f s (%d thread%s): encoded as `bloomlink encode` "
      "would, attacked with the plaintext kept aside; sample %s records\n\n",
      Thousands(report.records_encoded).c_str(), Thousands(report.records_read).c_str(),
      args.input.c_str(), report.timings.total, report.timings.threads,
      report.timings.threads == 1 ? "" : "s", Thousands(report.sample).c_str());
  PrintAuditTable(audit::AuditTable(report));
  std::printf("\n");
  for (const audit::LeakageResult& l : report.leakage) {
    for (const std::string& reason : l.reasons) {
      std::printf("  leakage, %s: %s\n",
                  l.field.empty() ? l.target.c_str() : (l.field + " " + l.target).c_str(),
                  reason.c_str());
    }
  }
  for (const audit::PatternMiningResult& r : report.pattern_mining) {
    if (r.target == "CLK")
      std::printf("  pattern mining, %s: reference %s\n", r.field.c_str(), r.reference.c_str());
  }
  for (const audit::FrequencyAttackResult& f : report.frequency) {
    if (f.scored) {
      std::printf("  frequency, %s: the attacker knows %s\n", f.field.c_str(), f.attacker.c_str());
    }
  }
  std::printf(
      "  graph proxy: a proxy, not an attack: a high R² means an attacker holding plaintext of "
      "overlapping records could match encodings to it by their similarities (graph matching); "
      "salting, decoy records and little overlap mitigate it\n"
      "  verdicts are advice (docs/security.md, The self-attack); the exit code is 0 whatever "
      "they are\n");
}

int RunAudit(const AuditArgs& args) {
  auto schema = LoadSchema(args.schema_path);
  if (!schema.ok()) return Fail(schema.status());
  for (const std::string& w : schema->warnings) Warn(internal::StrCat(args.schema_path, ": ", w));
  if (!args.json.empty()) {
    // Check that the report can be written before the audit, which may take a minute.
    if (auto probe = io::AtomicFileWriter::Create(args.json); !probe.ok()) {
      return Fail(probe.status());
    }
  }
  audit::AuditOptions options;
  options.sample = args.sample;
  options.threads = args.threads;
  for (const std::string& text : args.references) {
    auto ref = ReferenceArgument(text, *schema);
    if (!ref.ok()) return Fail(ref.status());
    options.references.push_back(*std::move(ref));
  }
  auto secret = ReadSecret(args.secret_file, args.allow_weak_secret);
  if (!secret.ok()) return Fail(secret.status());
  for (const std::string& w : secret->warnings()) Warn(w);

  audit::CsvAuditOptions csv;
  csv.id_column = args.id_column;
  csv.csv.skip_initial_space = args.skip_initial_space;
  Progress progress("auditing " + args.input);
  auto report = audit::AuditCsv(args.input, *schema, *secret, options, csv);
  progress.Finish();
  if (!report.ok()) return Fail(report.status());
  for (const std::string& w : report->warnings) Warn(w);
  if (!args.json.empty()) {
    auto out = io::AtomicFileWriter::Create(args.json);
    if (!out.ok()) return Fail(out.status());
    if (absl::Status s = out->Write(audit::AuditReportJson(*report)); !s.ok()) return Fail(s);
    if (absl::Status s = out->Commit(); !s.ok()) return Fail(s);
  }
  if (!args.quiet) PrintAuditSummary(args, *report);
  return kExitOk;
}

}  // namespace

void AddAuditCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* cmd = app.add_subcommand(
      "audit",
      "Attack your own encodings before they leave: encode a CSV extract as `encode` would, then "
      "measure leakage, a pattern-mining attack, a frequency attack on field-level filters and a "
      "graph-matching proxy against the plaintext. Verdicts are advice: the exit code is 0 "
      "unless the audit fails.");
  cmd->add_option("--schema", args->schema_path, "linkage schema (bloomlink or clkhash JSON)")
      ->required();
  cmd->add_option("--secret-file", args->secret_file,
                  "file holding the shared secret (default: $BLOOMLINK_SECRET)");
  cmd->add_option("--input", args->input, "CSV extract with a header row")->required();
  cmd->add_option("--id-column", args->id_column, "column holding record ids")
      ->capture_default_str();
  cmd->add_option("--reference", args->references,
                  "the attacker's frequency list, a CSV with columns value,count: FIELD=FILE for "
                  "one field, FILE for every name field (repeatable; default: the project's "
                  "synthetic name tables)");
  cmd->add_option("--sample", args->sample,
                  "records the pattern-mining attack and the graph proxy use")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 31));
  cmd->add_option("--threads", args->threads, "threads (0: all cores); results do not change")
      ->capture_default_str();
  cmd->add_option("--json", args->json, "write every figure as JSON to FILE (atomically)");
  cmd->add_flag("--allow-weak-secret", args->allow_weak_secret,
                "accept a secret shorter than 16 bytes (compatibility tests only)");
  cmd->add_flag("--skip-initial-space", args->skip_initial_space,
                "ignore spaces after each comma (files such as FEBRL's use \", \")");
  cmd->add_flag("--quiet", args->quiet, "print nothing but errors and warnings");
  cmd->callback([args, &exit_code] { exit_code = RunAudit(*args); });
}

}  // namespace bloomlink::cli
