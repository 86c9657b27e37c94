// bloomlink synth: synthetic UK-style extracts for demos, tests and benchmarks.
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

#include "bloomlink/synth/synth.hpp"
#include "cli/common.hpp"
#include "internal/status_macros.hpp"

namespace bloomlink::cli {
namespace {

struct SynthArgs {
  synth::SynthOptions options;
  std::string output;
  // The optional knobs, as given (used when their option was given).
  double exact_share = 0, missing = 0;
  bool exact_share_given = false, missing_given = false;
  std::string field_corruption;
  std::string records_per_person;  // "3-20": one file to deduplicate
  std::uint32_t sources = 0;       // N >= 2: N extracts of one population
};

// ParseRecordsPerPerson("3-20" or "5", options): sets options.records_per_person (the range is
// checked by synth::ValidateSynthOptions).
absl::Status ParseRecordsPerPerson(std::string_view spec, synth::SynthOptions& options) {
  const auto number = [](std::string_view text, std::uint32_t& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size();
  };
  const std::size_t dash = spec.find('-');
  synth::RecordsPerPerson per;
  const bool ok = dash == std::string_view::npos ? number(spec, per.min) && number(spec, per.max)
                                                 : number(spec.substr(0, dash), per.min) &&
                                                       number(spec.substr(dash + 1), per.max);
  if (!ok) {
    return absl::InvalidArgumentError(internal::StrCat(
        "--records-per-person: expected MIN-MAX or N (such as 3-20), got \"", spec, "\""));
  }
  options.records_per_person = per;
  return absl::OkStatus();
}

// ParseFieldCorruption("date_of_birth=0.5,postcode=0.3", options): sets the fields' rates
// (their range is checked by synth::ValidateSynthOptions).
absl::Status ParseFieldCorruption(std::string_view spec, synth::SynthOptions& options) {
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        internal::StrCat("--field-corruption: ", why,
                         " (expected field=rate pairs separated by commas, such as "
                         "date_of_birth=0.5,postcode=0.3), got \"",
                         spec, "\""));
  };
  std::string_view rest = spec;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return bad("a pair without \"=\"");
    BLOOMLINK_ASSIGN_OR_RETURN(synth::SynthField field, synth::ParseSynthField(item.substr(0, eq)));
    const std::string_view number = item.substr(eq + 1);
    double rate = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), rate);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size()) {
      return bad(
          internal::StrCat("the rate of ", synth::SynthFieldName(field), " is not a number"));
    }
    auto& slot = options.field_corruption[static_cast<std::size_t>(field)];
    if (slot.has_value()) {
      return bad(internal::StrCat(synth::SynthFieldName(field), " is given twice"));
    }
    slot = rate;
    if (comma == std::string_view::npos) return absl::OkStatus();
    rest.remove_prefix(comma + 1);
  }
}

int RunSynth(const SynthArgs& given) {
  const double start = NowSeconds();
  SynthArgs args = given;
  if (args.exact_share_given) args.options.exact_share = args.exact_share;
  if (args.missing_given) args.options.missing = args.missing;
  if (!args.field_corruption.empty()) {
    if (absl::Status status = ParseFieldCorruption(args.field_corruption, args.options);
        !status.ok()) {
      return Fail(status);
    }
  }
  if (!args.records_per_person.empty()) {
    if (absl::Status status = ParseRecordsPerPerson(args.records_per_person, args.options);
        !status.ok()) {
      return Fail(status);
    }
    auto dedup = synth::WriteSynthDedup(args.options, args.output);
    if (!dedup.ok()) return Fail(dedup.status());
    std::printf(
        "wrote %s records of %s persons to %s and %s true pairs to %s in %.2f s (seed %llu)\n",
        Thousands(dedup->records).c_str(), Thousands(dedup->persons).c_str(),
        dedup->records_path.c_str(), Thousands(dedup->true_pairs).c_str(),
        dedup->truth_path.c_str(), NowSeconds() - start,
        static_cast<unsigned long long>(args.options.seed));
    return kExitOk;
  }
  if (args.sources > 0) {
    args.options.sources = args.sources;
    auto several = synth::WriteSynthSources(args.options, args.output);
    if (!several.ok()) return Fail(several.status());
    std::uint64_t total = 0;
    for (std::uint64_t r : several->records) total += r;
    std::printf("wrote %s records of %s persons in %zu extracts to %s in %.2f s (seed %llu):\n",
                Thousands(total).c_str(), Thousands(several->persons).c_str(),
                several->paths.size(), args.output.c_str(), NowSeconds() - start,
                static_cast<unsigned long long>(args.options.seed));
    for (std::size_t s = 0; s < several->paths.size(); ++s) {
      std::printf("  %-14s %12s records  %s\n", several->names[s].c_str(),
                  Thousands(several->records[s]).c_str(), several->paths[s].c_str());
    }
    std::printf("  %s persons are in two extracts or more; truth (source,record_id,entity): %s\n",
                Thousands(several->persons_in_several).c_str(), several->truth_path.c_str());
    return kExitOk;
  }
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
      "known true matches (truth.csv), with --records-per-person one file to deduplicate "
      "(records.csv, truth.csv), or with --sources N extracts of one population. No real "
      "persons.");
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
  CLI::Option* exact_share =
      cmd->add_option("--exact-share", args->exact_share,
                      "share of true pairs identical after cleaning (but for missing values); the "
                      "others get at least one corrupted field (default: each field corrupted "
                      "independently)");
  cmd->add_option("--field-corruption", args->field_corruption,
                  "how often a field is corrupted (in the pairs --exact-share leaves corrupted), "
                  "replacing its built-in rates: field=rate,... over nhs_number, given_name, "
                  "family_name, date_of_birth, sex, postcode");
  CLI::Option* missing =
      cmd->add_option("--missing", args->missing,
                      "share of the values of every field left empty, in both extracts (default: "
                      "built-in rates per field, times --corruption)");
  cmd->add_option("--records-per-person", args->records_per_person,
                  "MIN-MAX (such as 3-20): write one file to deduplicate instead "
                  "(records.csv, --records rows of persons with MIN to MAX records each, and "
                  "truth.csv with every pair of records of one person)");
  cmd->add_option("--sources", args->sources,
                  "N (2 to 16): write N extracts of one population of --records persons instead "
                  "(trust.csv, council.csv, community.csv, gp.csv, ...: each person in each with "
                  "a share of its own, some recorded twice in every second source after the "
                  "trust) and truth.csv with columns source,record_id,entity");
  cmd->add_option("--output", args->output, "output folder (created if missing)")->required();
  cmd->callback([args, exact_share, missing, &exit_code] {
    args->exact_share_given = exact_share->count() > 0;
    args->missing_given = missing->count() > 0;
    exit_code = RunSynth(*args);
  });
}

}  // namespace bloomlink::cli
