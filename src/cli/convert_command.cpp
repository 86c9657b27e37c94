// bloomlink convert: import and export encodings between bloomlink's format, clkhash's JSON and
// CSV (id, base64). Needs no secret: it moves filters, it does not make them.
#include <cstdio>

#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/io/encodings.hpp"
#include "cli/common.hpp"

namespace bloomlink::cli {
namespace {

struct ConvertArgs {
  std::string input;
  std::string output;
  std::string output_format;
};

int RunConvert(const ConvertArgs& args) {
  auto in_format = io::DetectEncodingFormat(args.input);
  if (!in_format.ok()) return Fail(in_format.status());
  auto format = args.output_format.empty() ? io::EncodingFormatForPath(args.output)
                                           : io::ParseEncodingFormat(args.output_format);
  if (!format.ok()) return Fail(format.status());
  auto data = io::ReadEncodings(args.input);
  if (!data.ok()) return Fail(data.status());
  if (absl::Status s = io::WriteEncodings(*data, args.output, *format); !s.ok()) return Fail(s);
  std::printf("converted %s records from %s (%s) to %s (%s)\n", Thousands(data->size()).c_str(),
              args.input.c_str(), std::string(io::EncodingFormatName(*in_format)).c_str(),
              args.output.c_str(), std::string(io::EncodingFormatName(*format)).c_str());
  if (*format != io::EncodingFormat::kBloom &&
      (data->schema_fingerprint || data->key_check || !data->field_filters.empty())) {
    Warn(
        "the output format does not carry the schema fingerprint, key check value or field "
        "filters: the linkage unit will not be able to check them");
  }
  if (*format != io::EncodingFormat::kBloom && !data->blocking_keys.empty()) {
    Warn(
        "the output format does not carry keyed blocking tokens: link --blocking keys will not "
        "work on it");
  }
  if (*format == io::EncodingFormat::kBloom && !data->schema_fingerprint) {
    Warn("the input carries no schema fingerprint or key check value, so neither does the output");
  }
  return kExitOk;
}

}  // namespace

void AddConvertCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert encodings between bloom, clkhash-json and csv (id,clk base64)");
  cmd->add_option("input", args->input, "encoded file (format detected from its content)")
      ->required();
  cmd->add_option("output", args->output, "output file (written atomically)")->required();
  cmd->add_option("--output-format", args->output_format,
                  "bloom, clkhash-json or csv (default: from the output's extension)");
  cmd->callback([args, &exit_code] { exit_code = RunConvert(*args); });
}

}  // namespace bloomlink::cli
