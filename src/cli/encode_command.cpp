// bloomlink encode: a data holder turns a CSV extract into encodings.
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "bloomlink/base64.hpp"
#include "bloomlink/encode/decoys.hpp"
#include "bloomlink/encode/encode_csv.hpp"
#include "bloomlink/encode/encoder.hpp"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/io/encodings.hpp"
#include "bloomlink/schema.hpp"
#include "cli/common.hpp"
#include "internal/strings.hpp"

namespace bloomlink::cli {
namespace {

struct EncodeArgs {
  std::string schema_path;
  std::string secret_file;
  std::string input;
  std::string output;
  std::string id_column = "id";
  std::string output_format;
  int threads = 0;
  double decoys = 0;
  bool pseudonymous_ids = false;
  bool allow_weak_secret = false;
  bool skip_initial_space = false;
  bool quiet = false;
};

void PrintSummary(const EncodeArgs& args, const LinkageSchema& schema,
                  const encode::EncodeReport& report, const EncodedDataset& data,
                  io::EncodingFormat format, int threads, double seconds) {
  std::printf(
      "encoded %s of %s records from %s into %s (%s, %u-bit CLKs) in %.2f s "
      "(%s records/s, %d thread%s)\n",
      Thousands(report.records_encoded).c_str(), Thousands(report.records_read).c_str(),
      args.input.c_str(), args.output.c_str(), std::string(io::EncodingFormatName(format)).c_str(),
      static_cast<unsigned>(data.clks.bits()), seconds,
      Thousands(static_cast<std::uint64_t>(static_cast<double>(report.records_read) /
                                           std::max(seconds, 1e-9)))
          .c_str(),
      threads, threads == 1 ? "" : "s");
  if (report.records_skipped > 0) {
    std::printf("  skipped %s record%s with no usable identifier (not in the output)\n",
                Thousands(report.records_skipped).c_str(), report.records_skipped == 1 ? "" : "s");
  }
  if (report.blank_lines > 0) {
    std::printf("  ignored %s blank line%s\n", Thousands(report.blank_lines).c_str(),
                report.blank_lines == 1 ? "" : "s");
  }
  std::size_t width = 5;
  for (const FieldSpec& f : schema.fields) width = std::max(width, f.name.size());
  std::printf("  %-*s %12s %12s %12s\n", static_cast<int>(width), "field", "encoded", "missing",
              "invalid");
  for (std::size_t j = 0; j < schema.fields.size(); ++j) {
    const FieldSpec& f = schema.fields[j];
    if (f.ignored) continue;
    const encode::FieldStats& s = report.stats.fields[j];
    std::string reasons;
    for (const auto& [reason, count] : s.invalid_reasons) {
      internal::StrAppend(reasons, reasons.empty() ? "  (" : ", ", reason, ": ", Thousands(count));
    }
    if (!reasons.empty()) reasons += ")";
    std::printf("  %-*s %12s %12s %12s%s\n", static_cast<int>(width), f.name.c_str(),
                Thousands(s.valid).c_str(), Thousands(s.missing).c_str(),
                Thousands(s.invalid).c_str(), reasons.c_str());
  }
  std::printf("  invalid values were encoded as missing; schema fingerprint %s, key check %s\n",
              HexEncode(schema.fingerprint).substr(0, 16).c_str(),
              HexEncode(*data.key_check).substr(0, 16).c_str());
  PrintBlockingRules(data.blocking_keys, "  ");
  if (schema.hardening.any()) std::printf("  hardening: %s\n", HardeningSummary(schema).c_str());
  if (data.pseudonymous_ids) {
    if (args.decoys > 0) {
      std::printf(
          "  added %s decoy record%s (%g of the records encoded), which only holders of the "
          "secret can tell apart (this count is for you: it is in no file)\n",
          Thousands(report.decoys).c_str(), report.decoys == 1 ? "" : "s", args.decoys);
    }
    std::printf(
        "  ids are keyed pseudonyms, records in pseudonym order: keep %s to map the results back "
        "(bloomlink reveal)\n",
        args.input.c_str());
  }
}

int RunEncode(const EncodeArgs& args) {
  const double start = NowSeconds();
  auto schema = LoadSchema(args.schema_path);
  if (!schema.ok()) return Fail(schema.status());
  for (const std::string& w : schema->warnings) Warn(internal::StrCat(args.schema_path, ": ", w));

  io::EncodingFormat format = io::EncodingFormat::kBloom;
  if (!args.output_format.empty()) {
    auto f = io::ParseEncodingFormat(args.output_format);
    if (!f.ok()) return Fail(f.status());
    format = *f;
  } else if (auto f = io::EncodingFormatForPath(args.output); f.ok()) {
    format = *f;
  }
  if (format != io::EncodingFormat::kBloom) {
    for (const FieldSpec& f : schema->fields) {
      if (f.field_filter.bits > 0) {
        Warn(
            internal::StrCat("the schema asks for field-level filters, which only the bloom "
                             "format carries: ",
                             args.output, " will have the CLKs alone"));
        break;
      }
    }
  }
  if (absl::Status valid = encode::CheckDecoyFraction(args.decoys); !valid.ok()) {
    return Fail(absl::InvalidArgumentError(internal::StrCat("--", std::string(valid.message()))));
  }
  if ((args.decoys > 0 || args.pseudonymous_ids) && format == io::EncodingFormat::kClkhashJson) {
    return Fail(absl::InvalidArgumentError(
        "--decoys and --pseudonymous-ids need ids in the output, and clkhash JSON has none (its "
        "records are numbered by position): write bloom or csv"));
  }
  // Check that the output can be written before the encoding, which may take minutes, rather
  // than after it. The probe's temporary file is removed at once.
  if (auto probe = io::AtomicFileWriter::Create(args.output); !probe.ok()) {
    return Fail(probe.status());
  }
  auto secret = ReadSecret(args.secret_file, args.allow_weak_secret);
  if (!secret.ok()) return Fail(secret.status());
  for (const std::string& w : secret->warnings()) Warn(w);

  auto encoder = encode::Encoder::Create(*schema, *secret, {.threads = args.threads});
  if (!encoder.ok()) return Fail(encoder.status());
  std::optional<encode::IdKeys> id_keys;
  if (args.decoys > 0 || args.pseudonymous_ids) {
    auto keys = encode::IdKeys::Create(*schema, *secret);
    if (!keys.ok()) return Fail(keys.status());
    id_keys = std::move(*keys);
  }

  encode::CsvEncodeOptions options;
  options.privacy = {.keys = id_keys ? &*id_keys : nullptr,
                     .decoys = args.decoys,
                     .pseudonymous_ids = args.pseudonymous_ids};
  options.id_column = args.id_column;
  options.csv.skip_initial_space = args.skip_initial_space;
  Progress progress("encoding " + args.input);
  if (!args.quiet) {
    options.progress = [&](std::uint64_t records, std::uint64_t done, std::uint64_t total) {
      progress.Update(records, done, total);
    };
  }
  encode::EncodeReport report;
  auto data = encode::EncodeCsv(args.input, *encoder, options, &report);
  progress.Finish();
  if (!data.ok()) return Fail(data.status());
  for (const std::string& w : report.warnings) Warn(w);
  absl::Status written = io::WriteEncodings(*data, args.output, format);
  if (!written.ok()) return Fail(written);
  if (!args.quiet) {
    PrintSummary(args, *schema, report, *data, format, encoder->threads(), NowSeconds() - start);
  }
  return kExitOk;
}

}  // namespace

void AddEncodeCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EncodeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "encode",
      "Encode a CSV extract into keyed Bloom-filter encodings (CLKs). The secret comes from "
      "--secret-file or the BLOOMLINK_SECRET environment variable, never from an argument.");
  cmd->add_option("--schema", args->schema_path, "linkage schema (bloomlink or clkhash JSON)")
      ->required();
  cmd->add_option("--secret-file", args->secret_file,
                  "file holding the shared secret (default: $BLOOMLINK_SECRET)");
  cmd->add_option("--input", args->input, "CSV extract with a header row")->required();
  cmd->add_option("--output", args->output, "encoded output file (written atomically)")->required();
  cmd->add_option("--id-column", args->id_column, "column holding record ids")
      ->capture_default_str();
  cmd->add_option("--output-format", args->output_format,
                  "bloom, clkhash-json or csv (default: from the output's extension, else bloom)");
  cmd->add_option("--threads", args->threads, "encoding threads (0: all cores)")
      ->capture_default_str();
  cmd->add_option("--decoys", args->decoys,
                  "add decoy records, round(F x records encoded) of them, F in [0, 1] (0.25 is "
                  "a good start): fake records only holders of the secret recognise; implies "
                  "--pseudonymous-ids (docs/security.md)")
      ->capture_default_str();
  cmd->add_flag("--pseudonymous-ids", args->pseudonymous_ids,
                "write keyed pseudonyms instead of the ids, in pseudonym order (bloomlink reveal "
                "maps the results back)");
  cmd->add_flag("--allow-weak-secret", args->allow_weak_secret,
                "accept a secret shorter than 16 bytes (compatibility tests only)");
  cmd->add_flag("--skip-initial-space", args->skip_initial_space,
                "ignore spaces after each comma (files such as FEBRL's use \", \")");
  cmd->add_flag("--quiet", args->quiet, "print nothing but errors and warnings");
  cmd->callback([args, &exit_code] { exit_code = RunEncode(*args); });
}

}  // namespace bloomlink::cli
