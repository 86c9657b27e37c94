// bloomlink schema init | check: the starter schema, and checking a schema before sharing it.
#include <cstdio>

#include "bloomlink/base64.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/schema.hpp"
#include "cli/common.hpp"
#include "internal/strings.hpp"

namespace bloomlink::cli {
namespace {

int RunInit(const std::string& output, bool field_filters) {
  std::string text = StarterSchemaJson({.field_filters = field_filters});
  if (output.empty() || output == "-") {
    std::fputs(text.c_str(), stdout);
    return kExitOk;
  }
  auto writer = io::AtomicFileWriter::Create(output);
  if (!writer.ok()) return Fail(writer.status());
  absl::Status s = writer->Write(text);
  if (s.ok()) s = writer->Commit();
  if (!s.ok()) return Fail(s);
  std::fprintf(stderr, "wrote the starter schema%s to %s\n",
               field_filters ? " (with field-level filters)" : "", output.c_str());
  return kExitOk;
}

std::string DescribeField(const FieldSpec& f) {
  if (f.ignored) return "ignored";
  std::string tokens(TokenKindName(f.tokens.kind));
  if (f.tokens.kind == TokenKind::kQgram || f.tokens.kind == TokenKind::kPositionalQgram) {
    internal::StrAppend(tokens, " q=", f.tokens.q);
  }
  std::string out = internal::StrCat(FieldKindName(f.kind), ", ", tokens, ", ", f.bits.count,
                                     f.bits.per_field ? " bits per field" : " bits per token", ", ",
                                     HashSchemeName(f.hash.scheme));
  if (f.field_filter.bits > 0) {
    internal::StrAppend(out, "; field filter ", f.field_filter.bits, " bits, ",
                        f.field_filter.tokens.count,
                        f.field_filter.tokens.per_field ? " per field" : " per token");
  }
  return out;
}

int RunCheck(const std::string& path) {
  auto schema = LoadSchema(path);
  if (!schema.ok()) return Fail(schema.status());
  for (const std::string& w : schema->warnings) Warn(internal::StrCat(path, ": ", w));
  std::printf("%s: a valid %s schema (version %d), %u-bit filters%s\n", path.c_str(),
              std::string(DialectName(schema->dialect)).c_str(), schema->version,
              schema->filter_bits,
              schema->xor_folds > 0
                  ? internal::StrCat(" (hashed over ", schema->filter_bits << schema->xor_folds,
                                     " bits, ", schema->xor_folds, " XOR folds)")
                        .c_str()
                  : "");
  std::printf("fingerprint %s\n", HexEncode(schema->fingerprint).c_str());
  for (const FieldSpec& f : schema->fields) {
    std::printf("  %-20s column %-20s %s\n", f.name.c_str(), f.column.c_str(),
                DescribeField(f).c_str());
  }
  for (const BlockingRule& rule : schema->blocking) {
    std::string parts;
    for (const BlockingPart& part : rule.parts) {
      internal::StrAppend(parts, parts.empty() ? "" : " + ", BlockingPartText(*schema, part));
    }
    std::printf("  blocking rule %s: %s\n", rule.name.c_str(), parts.c_str());
  }
  std::printf("  hardening: %s\n", HardeningSummary(*schema).c_str());
  return kExitOk;
}

}  // namespace

void AddSchemaCommand(CLI::App& app, int& exit_code) {
  CLI::App* schema = app.add_subcommand("schema", "Create or check a linkage schema");
  schema->require_subcommand(1);
  auto output = std::make_shared<std::string>();
  CLI::App* init = schema->add_subcommand(
      "init", "Print the starter schema for UK health and care data (see docs/schema.md)");
  auto fs = std::make_shared<bool>(false);
  init->add_option("--output", *output, "write it to this file instead of standard output");
  init->add_flag("--fs", *fs,
                 "with a field-level filter on every field, for Fellegi-Sunter linkage "
                 "(docs/security.md says what field filters disclose)");
  init->callback([output, fs, &exit_code] { exit_code = RunInit(*output, *fs); });

  auto path = std::make_shared<std::string>();
  CLI::App* check =
      schema->add_subcommand("check", "Validate a schema and print its fields and fingerprint");
  check->add_option("schema", *path, "schema file (bloomlink or clkhash v2/v3)")->required();
  check->callback([path, &exit_code] { exit_code = RunCheck(*path); });
}

}  // namespace bloomlink::cli
