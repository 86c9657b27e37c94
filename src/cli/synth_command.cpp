// bloomlink synth: synthetic UK-style extracts for demos, tests and benchmarks.
#include <cstdio>

#include "bloomlink/synth/synth.hpp"
#include "cli/common.hpp"

namespace bloomlink::cli {
namespace {

struct SynthArgs {
  synth::SynthOptions options;
  std::string output;
};

int RunSynth(const SynthArgs& args) {
  const double start = NowSeconds();
  auto summary = synth::WriteSynthExtracts(args.options, args.output);
  if (!summary.ok()) return Fail(summary.status());
  std::printf(
      "wrote %s trust records to %s, %s council records to %s and %s true matches to %s "
      "in %.2f s (seed %llu)\n",
      Thousands(summary->trust_records).c_str(), summary->trust_path.c_str(),
      Thousands(summary->council_records).c_str(), summary->council_path.c_str(),
      Thousands(summary->true_matches).c_str(), summary->truth_path.c_str(), NowSeconds() - start,
      static_cast<unsigned long long>(args.options.seed));
  return kExitOk;
}

}  // namespace

void AddSynthCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SynthArgs>();
  CLI::App* cmd = app.add_subcommand(
      "synth",
      "Write synthetic UK-style extracts of a trust and a council (trust.csv, council.csv) with "
      "known true matches (truth.csv). No real persons.");
  cmd->add_option("--records", args->options.records, "persons in the trust extract")
      ->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "random seed (same seed, same files)")
      ->capture_default_str();
  cmd->add_option("--overlap", args->options.overlap,
                  "fraction of the council's persons who are also in the trust's extract")
      ->capture_default_str();
  cmd->add_option("--corruption", args->options.corruption,
                  "how often shared persons' records disagree (0: never, 1: realistic)")
      ->capture_default_str();
  cmd->add_option("--output", args->output, "output folder (created if missing)")->required();
  cmd->callback([args, &exit_code] { exit_code = RunSynth(*args); });
}

}  // namespace bloomlink::cli
