// bloomlink index build | add | export | stats | history: the person index
// (bloomlink/index/person_index.hpp) on the command line. The linkage unit's commands: they read
// encodings only, no secret and no identifiers. `build` and `add` hold the index's lock while
// they work and write the index once, atomically, at the end, so that a failure anywhere leaves
// the previous index as it was; the other commands only read it.
#include <time.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "bloomlink/index/person_index.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/io/csv.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "bloomlink/io/encodings.hpp"
#include "bloomlink/link.hpp"
#include "bloomlink/match/blocking.hpp"
#include "bloomlink/memory_limit.hpp"
#include "cli/common.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "internal/utf8.hpp"
#include "nlohmann/json.hpp"

namespace bloomlink::cli {
namespace {
// The commands are compiled in unity batches with other commands (src/cli/CMakeLists.txt): the
// names of this file live in their own namespace.
namespace index_cli {

using internal::StrCat;
using Json = nlohmann::ordered_json;

// ---- arguments shared by build and add ------------------------------------------------------

struct SourceArg {
  std::string name, path;
};

// The longest source name the index file holds (index_file.cpp).
constexpr std::size_t kMaxSourceName = 1024;

absl::Status CheckSourceName(const std::string& name, const std::string& arg) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        StrCat(arg, ": the source has no name; give one as NAME=FILE"));
  }
  if (name.size() > kMaxSourceName || !internal::IsValidUtf8(name) ||
      std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return absl::InvalidArgumentError(
        StrCat(arg, ": a source name is UTF-8 text of 1 to ", kMaxSourceName,
               " bytes without control characters; give one as NAME=FILE"));
  }
  return absl::OkStatus();
}

// ParseSources(args): [NAME=]FILE each; the name is the file's stem unless given. NAME= is
// recognised when the text before the first '=' holds no '/' (a file whose name holds '=' can be
// given as ./a=b.bloom). InvalidArgument for a bad or repeated name.
absl::StatusOr<std::vector<SourceArg>> ParseSources(const std::vector<std::string>& args) {
  std::vector<SourceArg> out;
  for (const std::string& arg : args) {
    SourceArg s;
    const std::size_t eq = arg.find('=');
    if (eq != std::string::npos && eq > 0 && arg.find('/') > eq) {
      s.name = arg.substr(0, eq);
      s.path = arg.substr(eq + 1);
      if (s.path.empty()) {
        return absl::InvalidArgumentError(StrCat(arg, ": no file after NAME="));
      }
    } else {
      s.path = arg;
      s.name = std::filesystem::path(arg).stem().string();
    }
    BLOOMLINK_RETURN_IF_ERROR(CheckSourceName(s.name, arg));
    for (const SourceArg& other : out) {
      if (other.name == s.name) {
        return absl::InvalidArgumentError(
            StrCat("source ", s.name, " is given twice (", other.path, " and ", s.path,
                   "); each source once per command (NAME=FILE names a source)"));
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

absl::Status CheckUniqueNames(const std::vector<std::string>& unique,
                              const std::vector<SourceArg>& sources) {
  for (const std::string& name : unique) {
    const bool known = std::any_of(sources.begin(), sources.end(),
                                   [&](const SourceArg& s) { return s.name == name; });
    if (!known) {
      std::string names;
      for (const SourceArg& s : sources) {
        if (!names.empty()) names += ", ";
        names += s.name;
      }
      return absl::InvalidArgumentError(
          StrCat("--unique-source ", name,
                 ": no source of that name is given (the sources: ", names, ")"));
    }
  }
  return absl::OkStatus();
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// ReadSource(path): a native .bloom file (the index keeps each source's encodings with their
// schema fingerprint and key check, which the other formats do not carry).
absl::StatusOr<EncodedDataset> ReadSource(const std::string& path) {
  BLOOMLINK_ASSIGN_OR_RETURN(const io::EncodingFormat format, io::DetectEncodingFormat(path));
  if (format != io::EncodingFormat::kBloom) {
    return absl::InvalidArgumentError(
        StrCat(path,
               ": the person index takes bloomlink's own .bloom files (bloomlink encode "
               "--output-format bloom), which carry the schema fingerprint and key check; this is ",
               io::EncodingFormatName(format)));
  }
  return io::ReadEncodedFile(path);
}

struct RunArgs {
  int threads = 0;
  std::string max_memory = "80%";
};

absl::StatusOr<index::RunOptions> RunOptionsOf(const RunArgs& args) {
  index::RunOptions run;
  if (args.threads < 0) {
    return absl::InvalidArgumentError(
        StrCat("--threads: expected 0 (all cores) or more, got ", args.threads));
  }
  run.threads = args.threads;
  BLOOMLINK_ASSIGN_OR_RETURN(run.max_memory, ParseMemoryLimit(args.max_memory));
  return run;
}

void AddRunOptions(CLI::App* cmd, RunArgs& args) {
  cmd->add_option("--threads", args.threads, "threads (0: all cores)");
  cmd->add_option("--max-memory", args.max_memory,
                  "stop at once if a link would need more memory than this: a size (16G, "
                  "1500M), a share of physical memory (95%), or 0 for no limit")
      ->capture_default_str();
}

// UtcTime(t): "2026-12-03 14:02:30 UTC".
std::string UtcTime(std::int64_t t) {
  const time_t seconds = static_cast<time_t>(t);
  struct tm parts = {};
  if (gmtime_r(&seconds, &parts) == nullptr) return StrCat(t, " (Unix time)");
  char buf[40];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &parts) == 0) return StrCat(t);
  return buf;
}

// IsoTime(t): "2026-12-03T14:02:30Z", for JSON.
std::string IsoTime(std::int64_t t) {
  const time_t seconds = static_cast<time_t>(t);
  struct tm parts = {};
  if (gmtime_r(&seconds, &parts) == nullptr) return StrCat(t);
  char buf[40];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts) == 0) return StrCat(t);
  return buf;
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out.append(separator);
    out += p;
  }
  return out;
}

// WithContext(status, context): the status with "context: " before its message, same code.
absl::Status WithContext(const absl::Status& status, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += std::string(status.message());
  return absl::Status(status.code(), message);
}

// ProbeOutput(path): an output that cannot be written fails now, before long work (the probe's
// temporary file is removed at once).
absl::Status ProbeOutput(const std::string& path) {
  return io::AtomicFileWriter::Create(path).status();
}

// WriteJson(json, destination): "-" for stdout, else a file written atomically.
absl::Status WriteJson(const Json& json, const std::string& destination) {
  const std::string text = json.dump(2) + "\n";
  if (destination == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return absl::OkStatus();
  }
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter out, io::AtomicFileWriter::Create(destination));
  BLOOMLINK_RETURN_IF_ERROR(out.Write(text));
  return out.Commit();
}

// SameFile(a, b): both name one existing file.
bool SameFile(const std::string& a, const std::string& b) {
  std::error_code error;
  return std::filesystem::equivalent(a, b, error) && !error;
}

// ---- build ----------------------------------------------------------------------------------

struct BuildArgs {
  std::string output;
  std::vector<std::string> files, unique;
  std::string method = "auto", blocking = "exhaustive";
  double cluster_threshold = 0.3, change_margin = 0.2;
  RunArgs run;
  bool force = false, quiet = false;
};

absl::StatusOr<index::IndexSettings> SettingsOf(const BuildArgs& args) {
  index::IndexSettings settings;
  BLOOMLINK_ASSIGN_OR_RETURN(settings.method, link::ParseMethod(args.method));
  BLOOMLINK_ASSIGN_OR_RETURN(settings.blocking, match::ParseBlocking(args.blocking));
  if (!(args.cluster_threshold > 0 && args.cluster_threshold <= 1)) {
    return absl::InvalidArgumentError(
        StrCat("--cluster-threshold: expected a value in (0, 1], got ", args.cluster_threshold));
  }
  if (!(args.change_margin >= 0 && args.change_margin < args.cluster_threshold)) {
    return absl::InvalidArgumentError(
        StrCat("--change-margin: expected a value in [0, the cluster threshold ",
               args.cluster_threshold, "), got ", args.change_margin));
  }
  settings.cluster_threshold = args.cluster_threshold;
  settings.change_margin = args.change_margin;
  return settings;
}

// MethodChosen(sources, settings): the method the links use, as the summary says it.
std::string MethodChosen(const std::vector<index::NewSource>& sources,
                         const index::IndexSettings& settings) {
  const std::string name(link::MethodName(settings.method));
  if (settings.method != link::Method::kAuto) return name;
  link::LinkOptions options;
  options.method = settings.method;
  std::set<link::Method> chosen;
  for (std::size_t x = 0; x < sources.size(); ++x) {
    for (std::size_t y = x; y < sources.size(); ++y) {
      chosen.insert(link::ResolveMethod(sources[x].data, sources[y].data, options));
    }
  }
  if (chosen.size() != 1) return "auto (fs where both files carry field-level filters, else dice)";
  return *chosen.begin() == link::Method::kFellegiSunter
             ? "auto: fs (the files carry field-level filters)"
             : "auto: dice (the files carry no field-level filters in common)";
}

// RefuseExistingOutput(args): AlreadyExists for an existing output without --force.
absl::Status RefuseExistingOutput(const BuildArgs& args) {
  std::error_code error;
  if (args.force || !std::filesystem::exists(args.output, error)) return absl::OkStatus();
  return absl::AlreadyExistsError(
      StrCat(args.output,
             ": already exists; an index holds its history and its person IDs, so it is not "
             "replaced by accident: update it with `bloomlink index add`, or give --force to "
             "build a new one in its place"));
}

absl::Status RunBuild(const BuildArgs& args) {
  const double start = NowSeconds();
  BLOOMLINK_ASSIGN_OR_RETURN(const index::IndexSettings settings, SettingsOf(args));
  BLOOMLINK_ASSIGN_OR_RETURN(const index::RunOptions run, RunOptionsOf(args.run));
  BLOOMLINK_ASSIGN_OR_RETURN(const std::vector<SourceArg> sources, ParseSources(args.files));
  BLOOMLINK_RETURN_IF_ERROR(CheckUniqueNames(args.unique, sources));

  // Refusals that need no work come first, and the lock is taken only once the inputs are
  // known to be good (a lock file stays beside the index it guards).
  BLOOMLINK_RETURN_IF_ERROR(RefuseExistingOutput(args));
  for (const SourceArg& s : sources) {
    if (SameFile(s.path, args.output)) {
      return absl::InvalidArgumentError(
          StrCat(args.output, ": the output is also an input (source ", s.name, ")"));
    }
  }
  BLOOMLINK_RETURN_IF_ERROR(ProbeOutput(args.output));

  // Every file read and checked against the first before any linking.
  std::vector<index::NewSource> input;
  std::set<std::string> warned;
  for (const SourceArg& s : sources) {
    index::NewSource source;
    source.name = s.name;
    BLOOMLINK_ASSIGN_OR_RETURN(source.data, ReadSource(s.path));
    if (!input.empty()) {
      BLOOMLINK_ASSIGN_OR_RETURN(
          const std::vector<std::string> warnings,
          link::CheckCompatible(input[0].data, sources[0].path, source.data, s.path));
      for (const std::string& w : warnings) {
        if (warned.insert(w).second) Warn(w);
      }
    }
    if (Contains(args.unique, s.name)) source.unique = true;
    input.push_back(std::move(source));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(const index::IndexLock lock, index::IndexLock::Acquire(args.output));
  // Again under the lock: another build may have written the index meanwhile.
  BLOOMLINK_RETURN_IF_ERROR(RefuseExistingOutput(args));
  const std::string method = MethodChosen(input, settings);
  const double loaded = NowSeconds();
  BLOOMLINK_ASSIGN_OR_RETURN(index::PersonIndex people,
                             index::BuildIndex(std::move(input), settings, run));
  const index::IndexUpdate& update = people.history.back();
  for (const std::string& w : update.warnings) {
    if (warned.insert(w).second) Warn(w);
  }
  const double writing = NowSeconds();
  BLOOMLINK_RETURN_IF_ERROR(index::WriteIndexFile(people, args.output));
  if (args.quiet) return absl::OkStatus();

  std::printf("built %s from %zu sources in %.2f s: %s records, %s persons, %s pairs linked\n",
              args.output.c_str(), people.sources.size(), NowSeconds() - start,
              Thousands(people.records()).c_str(), Thousands(people.persons.size()).c_str(),
              Thousands(update.pairs_linked).c_str());
  std::size_t width = 0;
  for (const index::IndexedSource& s : people.sources) width = std::max(width, s.name.size());
  for (std::size_t k = 0; k < people.sources.size(); ++k) {
    const index::IndexedSource& s = people.sources[k];
    std::printf("  %-*s %10s records  %s%s\n", static_cast<int>(width), s.name.c_str(),
                Thousands(s.data.size()).c_str(), sources[k].path.c_str(),
                s.unique ? "  (unique: each person at most once)" : "");
  }
  std::printf("  method %s\n  blocking %s; average linkage at %g, change margin %g\n",
              method.c_str(), std::string(match::BlockingName(settings.blocking)).c_str(),
              settings.cluster_threshold, settings.change_margin);
  std::printf("  read the encodings in %.2f s, linked and clustered in %.2f s, wrote in %.2f s\n",
              loaded - start, update.seconds, NowSeconds() - writing);
  if (!update.warnings.empty()) {
    std::printf("  %zu warning%s (above)\n", update.warnings.size(),
                update.warnings.size() == 1 ? "" : "s");
  }
  return absl::OkStatus();
}

// ---- add ------------------------------------------------------------------------------------

struct AddArgs {
  std::string index;
  std::vector<std::string> files, unique;
  RunArgs run;
  bool quiet = false;
};

struct AddReport {
  SourceArg source;
  bool refresh = false;
  bool unique = false;
  index::IndexUpdate update;
};

void PrintAddReport(const AddReport& r) {
  const index::IndexUpdate& u = r.update;
  std::printf("  %s (%s): %s, generation %llu, %.2f s%s\n", r.source.name.c_str(),
              r.source.path.c_str(), r.refresh ? "refresh of the source held" : "new source",
              static_cast<unsigned long long>(u.generation), u.seconds,
              r.unique ? " (unique: each person at most once)" : "");
  std::printf("    records: %s added, %s updated, %s unchanged, %s retired; %s re-clustered\n",
              Thousands(u.records_added).c_str(), Thousands(u.records_updated).c_str(),
              Thousands(u.records_unchanged).c_str(), Thousands(u.records_retired).c_str(),
              Thousands(u.records_reclustered).c_str());
  std::printf(
      "    persons: %s new, %s merged, %s split, %s retired (%s persons after); %s pairs linked, "
      "%s carried over, %s not taken (unchanged records)\n",
      Thousands(u.persons_new).c_str(), Thousands(u.persons_merged).c_str(),
      Thousands(u.persons_split).c_str(), Thousands(u.persons_retired).c_str(),
      Thousands(u.persons).c_str(), Thousands(u.pairs_linked).c_str(),
      Thousands(u.pairs_carried).c_str(), Thousands(u.pairs_not_taken).c_str());
  if (!u.warnings.empty()) {
    std::printf("    %zu warning%s (above)\n", u.warnings.size(),
                u.warnings.size() == 1 ? "" : "s");
  }
}

absl::Status RunAdd(const AddArgs& args) {
  const double start = NowSeconds();
  BLOOMLINK_ASSIGN_OR_RETURN(const index::RunOptions run, RunOptionsOf(args.run));
  BLOOMLINK_ASSIGN_OR_RETURN(const std::vector<SourceArg> sources, ParseSources(args.files));
  BLOOMLINK_RETURN_IF_ERROR(CheckUniqueNames(args.unique, sources));
  for (const SourceArg& s : sources) {
    if (SameFile(s.path, args.index)) {
      return absl::InvalidArgumentError(
          StrCat(s.path, ": this is the index itself; give the sources' .bloom files"));
    }
  }

  // A missing index is refused before its lock file would be made beside it.
  if (std::error_code error; !std::filesystem::exists(args.index, error)) {
    return absl::NotFoundError(
        StrCat(args.index, ": no such index (make one with `bloomlink index build --output ",
               args.index, " ...`)"));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(const index::IndexLock lock, index::IndexLock::Acquire(args.index));
  BLOOMLINK_ASSIGN_OR_RETURN(index::PersonIndex people, index::ReadIndexFile(args.index));
  BLOOMLINK_RETURN_IF_ERROR(ProbeOutput(args.index));
  const std::uint64_t generation_before = people.generation();

  // Every file read and checked against the index before any linking.
  const std::string held = StrCat(args.index, " (source ", people.sources[0].name, ")");
  std::vector<EncodedDataset> data;
  std::set<std::string> warned;
  for (const SourceArg& s : sources) {
    BLOOMLINK_ASSIGN_OR_RETURN(EncodedDataset d, ReadSource(s.path));
    BLOOMLINK_ASSIGN_OR_RETURN(const std::vector<std::string> warnings,
                               link::CheckCompatible(people.sources[0].data, held, d, s.path));
    for (const std::string& w : warnings) {
      if (warned.insert(w).second) Warn(w);
    }
    data.push_back(std::move(d));
  }

  // Each in order, in memory; the file is written once at the end.
  std::vector<AddReport> reports;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    AddReport report;
    report.source = sources[i];
    report.refresh = people.FindSource(sources[i].name) >= 0;
    index::NewSource source;
    source.name = sources[i].name;
    source.data = std::move(data[i]);
    if (Contains(args.unique, sources[i].name)) source.unique = true;
    absl::StatusOr<index::IndexUpdate> update = index::AddSource(people, std::move(source), run);
    if (!update.ok()) {
      return WithContext(update.status(),
                         StrCat(args.index, ": adding ", sources[i].path, " (source ",
                                sources[i].name, ") failed; the index is unchanged"));
    }
    for (const std::string& w : update->warnings) {
      if (warned.insert(w).second) Warn(w);
    }
    report.unique =
        people.sources[static_cast<std::size_t>(people.FindSource(sources[i].name))].unique;
    report.update = *std::move(update);
    reports.push_back(std::move(report));
  }
  const double writing = NowSeconds();
  BLOOMLINK_RETURN_IF_ERROR(index::WriteIndexFile(people, args.index));
  if (args.quiet) return absl::OkStatus();

  std::printf(
      "updated %s from generation %llu to %llu in %.2f s: %zu sources, %s records, %s persons\n",
      args.index.c_str(), static_cast<unsigned long long>(generation_before),
      static_cast<unsigned long long>(people.generation()), NowSeconds() - start,
      people.sources.size(), Thousands(people.records()).c_str(),
      Thousands(people.persons.size()).c_str());
  for (const AddReport& r : reports) PrintAddReport(r);
  std::printf("  wrote %s in %.2f s\n", args.index.c_str(), NowSeconds() - writing);
  return absl::OkStatus();
}

// ---- export ---------------------------------------------------------------------------------

struct ExportArgs {
  std::string index, output;
  // source: only this source's rows (what an organisation receives back: its own record ids).
  std::string source;
  bool quiet = false;
};

absl::Status RunExport(const ExportArgs& args) {
  const double start = NowSeconds();
  if (SameFile(args.output, args.index)) {
    return absl::InvalidArgumentError(
        StrCat(args.output, ": the output would replace the index itself; give another file"));
  }
  BLOOMLINK_RETURN_IF_ERROR(ProbeOutput(args.output));
  BLOOMLINK_ASSIGN_OR_RETURN(const index::PersonIndex people, index::ReadIndexFile(args.index));
  if (!args.source.empty() && people.FindSource(args.source) < 0) {
    return absl::InvalidArgumentError(
        StrCat(args.index, ": --source: the index has no source named ", args.source));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter out, io::AtomicFileWriter::Create(args.output));
  std::string buf = "person_id,source,record_id,confidence\n";
  std::vector<index::CrosswalkRow> rows = index::Crosswalk(people);
  if (!args.source.empty()) {
    std::erase_if(rows, [&](const index::CrosswalkRow& row) { return row.source != args.source; });
  }
  for (const index::CrosswalkRow& row : rows) {
    io::AppendCsvField(buf, row.person_id);
    buf.push_back(',');
    io::AppendCsvField(buf, row.source);
    buf.push_back(',');
    io::AppendCsvField(buf, row.record_id);
    char confidence[32];
    const int n = std::snprintf(confidence, sizeof confidence, ",%.4f\n",
                                static_cast<double>(row.confidence));
    buf.append(confidence, static_cast<std::size_t>(n));
    if (buf.size() >= (std::size_t{1} << 20)) {
      BLOOMLINK_RETURN_IF_ERROR(out.Write(buf));
      buf.clear();
    }
  }
  BLOOMLINK_RETURN_IF_ERROR(out.Write(buf));
  BLOOMLINK_RETURN_IF_ERROR(out.Commit());
  if (args.quiet) return absl::OkStatus();
  std::printf("wrote %s rows (%s persons, %zu sources, generation %llu of %s) to %s in %.2f s\n",
              Thousands(rows.size()).c_str(), Thousands(people.persons.size()).c_str(),
              people.sources.size(), static_cast<unsigned long long>(people.generation()),
              args.index.c_str(), args.output.c_str(), NowSeconds() - start);
  return absl::OkStatus();
}

// ---- stats ----------------------------------------------------------------------------------

struct StatsArgs {
  std::string index, json;
  std::uint64_t suppress_below = 8, round_to = 5;
  bool exact = false, quiet = false;
};

// Up to this many sources every combination is listed; beyond, those that hold a person.
constexpr std::size_t kListEveryCombinationUpTo = 8;

std::string ControlRule(const index::DisclosureControl& control) {
  if (!control.enabled) {
    return "none (--exact): these counts are exact; do not hand them on without checking them "
           "for disclosure";
  }
  std::string rule;
  if (control.suppress_below > 1) {
    rule = StrCat("counts of 1 to ", Thousands(control.suppress_below - 1), " are shown as *");
  } else {
    rule = "no count is suppressed";
  }
  if (control.round_to > 1) {
    rule += StrCat(", other counts are rounded to the nearest ", Thousands(control.round_to));
  } else {
    rule += ", other counts are not rounded";
  }
  rule += " (0 stays 0)";
  return rule;
}

// JsonCount(n, control): the count as ShowCount shows it: a number, or "*" when suppressed.
Json JsonCount(std::uint64_t n, const index::DisclosureControl& control) {
  const std::string shown = index::ShowCount(n, control);
  if (shown == "*") return "*";
  std::uint64_t value = 0;
  for (char c : shown) {
    if (c >= '0' && c <= '9') value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

std::string CombinationName(std::uint64_t mask, const std::vector<std::string>& names,
                            std::string_view separator) {
  std::vector<std::string> parts;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (mask >> k & 1) parts.push_back(names[k]);
  }
  return Join(parts, separator);
}

// Combinations(stats): what is listed: with few sources every combination (in order of size,
// then of the sources), with many those that hold a person.
std::vector<index::SourceCombination> Combinations(const index::OverlapStats& stats) {
  const std::size_t n = stats.source_names.size();
  if (n > kListEveryCombinationUpTo) return stats.combinations;
  std::vector<index::SourceCombination> out;
  for (std::uint64_t mask = 1; mask < (std::uint64_t{1} << n); ++mask) {
    index::SourceCombination c{.sources = mask, .persons = 0, .at_least = 0};
    for (const index::SourceCombination& held : stats.combinations) {
      if (held.sources == mask) c.persons = held.persons;
      if ((held.sources & mask) == mask) c.at_least += held.persons;
    }
    out.push_back(c);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const index::SourceCombination& a, const index::SourceCombination& b) {
                     return std::popcount(a.sources) < std::popcount(b.sources);
                   });
  return out;
}

absl::Status RunStats(const StatsArgs& args) {
  const index::DisclosureControl control{
      .enabled = !args.exact, .suppress_below = args.suppress_below, .round_to = args.round_to};
  if (!args.json.empty() && args.json != "-") {
    if (SameFile(args.json, args.index)) {
      return absl::InvalidArgumentError(
          StrCat(args.json, ": the output would replace the index itself; give another file"));
    }
    BLOOMLINK_RETURN_IF_ERROR(ProbeOutput(args.json));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(const index::PersonIndex people, index::ReadIndexFile(args.index));
  BLOOMLINK_ASSIGN_OR_RETURN(const index::OverlapStats stats, index::ComputeOverlap(people));
  const std::size_t n = stats.source_names.size();
  const auto show = [&](std::uint64_t count) { return index::ShowCount(count, control); };
  const std::vector<index::SourceCombination> combinations = Combinations(stats);

  if (!args.json.empty()) {
    Json json;
    json["index"] = args.index;
    json["generation"] = people.generation();
    json["updated"] = IsoTime(people.history.back().time);
    json["disclosure_control"] = {{"applied", control.enabled},
                                  {"suppress_below", control.suppress_below},
                                  {"round_to", control.round_to},
                                  {"rule", ControlRule(control)}};
    json["persons"] = JsonCount(stats.persons, control);
    json["records"] = JsonCount(stats.records_total, control);
    Json sources = Json::array();
    for (std::size_t k = 0; k < n; ++k) {
      sources.push_back({{"name", stats.source_names[k]},
                         {"unique", people.sources[k].unique},
                         {"records", JsonCount(stats.records[k], control)},
                         {"persons", JsonCount(stats.persons_per_source[k], control)}});
    }
    json["sources"] = sources;
    Json matrix = Json::array();
    for (std::size_t i = 0; i < n; ++i) {
      Json row = Json::array();
      for (std::size_t j = 0; j < n; ++j)
        row.push_back(JsonCount(stats.pairwise[i * n + j], control));
      matrix.push_back(row);
    }
    json["overlap"] = {{"sources", stats.source_names}, {"persons", matrix}};
    Json combos = Json::array();
    for (const index::SourceCombination& c : combinations) {
      std::vector<std::string> names;
      for (std::size_t k = 0; k < n; ++k) {
        if (c.sources >> k & 1) names.push_back(stats.source_names[k]);
      }
      combos.push_back({{"sources", names},
                        {"persons_exactly", JsonCount(c.persons, control)},
                        {"persons_at_least", JsonCount(c.at_least, control)}});
    }
    json["combinations"] = combos;
    Json sizes = Json::array();
    for (std::size_t s = 0; s < stats.cluster_sizes.size(); ++s) {
      if (stats.cluster_sizes[s] == 0) continue;
      sizes.push_back(
          {{"records", s + 1}, {"persons", JsonCount(stats.cluster_sizes[s], control)}});
    }
    json["cluster_sizes"] = sizes;
    BLOOMLINK_RETURN_IF_ERROR(WriteJson(json, args.json));
  }
  if (args.quiet || args.json == "-") return absl::OkStatus();

  std::printf("%s: %zu sources, generation %llu (last updated %s)\n", args.index.c_str(), n,
              static_cast<unsigned long long>(people.generation()),
              UtcTime(people.history.back().time).c_str());
  std::printf("disclosure control: %s\n\n", ControlRule(control).c_str());
  std::printf("persons %s, records %s\n\n", show(stats.persons).c_str(),
              show(stats.records_total).c_str());

  std::size_t width = 6;
  for (const std::string& name : stats.source_names) width = std::max(width, name.size());
  const int w = static_cast<int>(width);
  std::printf("per source\n  %-*s  %10s  %10s\n", w, "", "records", "persons");
  for (std::size_t k = 0; k < n; ++k) {
    std::printf("  %-*s  %10s  %10s\n", w, stats.source_names[k].c_str(),
                show(stats.records[k]).c_str(), show(stats.persons_per_source[k]).c_str());
  }

  std::printf("\noverlap: persons in both sources (the diagonal: persons in the source)\n  %-*s", w,
              "");
  std::vector<int> column(n);
  for (std::size_t j = 0; j < n; ++j) {
    column[j] = static_cast<int>(std::max<std::size_t>(stats.source_names[j].size(), 8));
    std::printf("  %*s", column[j], stats.source_names[j].c_str());
  }
  std::printf("\n");
  for (std::size_t i = 0; i < n; ++i) {
    std::printf("  %-*s", w, stats.source_names[i].c_str());
    for (std::size_t j = 0; j < n; ++j) {
      std::printf("  %*s", column[j], show(stats.pairwise[i * n + j]).c_str());
    }
    std::printf("\n");
  }

  std::printf("\ncombinations: persons in exactly these sources, and in at least these sources%s\n",
              n > kListEveryCombinationUpTo ? " (those that hold a person)" : "");
  std::vector<std::string> labels;
  std::size_t label_width = 0;
  for (const index::SourceCombination& c : combinations) {
    labels.push_back(CombinationName(c.sources, stats.source_names, " + "));
    label_width = std::max(label_width, labels.back().size());
  }
  std::printf("  %-*s  %10s  %10s\n", static_cast<int>(label_width), "", "exactly", "at least");
  for (std::size_t i = 0; i < combinations.size(); ++i) {
    std::printf("  %-*s  %10s  %10s\n", static_cast<int>(label_width), labels[i].c_str(),
                show(combinations[i].persons).c_str(), show(combinations[i].at_least).c_str());
  }

  std::printf("\ncluster sizes: persons with each number of records\n  %7s  %10s\n", "records",
              "persons");
  for (std::size_t s = 0; s < stats.cluster_sizes.size(); ++s) {
    if (stats.cluster_sizes[s] == 0) continue;
    std::printf("  %7s  %10s\n", Thousands(s + 1).c_str(), show(stats.cluster_sizes[s]).c_str());
  }
  return absl::OkStatus();
}

// ---- history --------------------------------------------------------------------------------

struct HistoryArgs {
  std::string index, json;
  bool quiet = false;
};

// WasNew(people, update, name): the add made the source (else it refreshed it). Sources are
// never removed, so the source's `added` generation tells.
bool WasNew(const index::PersonIndex& people, const index::IndexUpdate& update,
            const std::string& name) {
  const int k = people.FindSource(name);
  return k < 0 || people.sources[static_cast<std::size_t>(k)].added == update.generation;
}

// CreatedOf: each current person's ID and the generation that made it.
using CreatedOf = absl::flat_hash_map<std::string_view, std::uint64_t>;

CreatedOf CreatedGenerations(const index::PersonIndex& people) {
  CreatedOf out;
  for (const index::Person& p : people.persons) out.emplace(p.id, p.created);
  return out;
}

// PartIsNew(id, created_of, generation): whether a part of a split at `generation` was a fresh
// ID (true) or an existing person's that took the records (false); unknown (nullopt) for an ID
// the index no longer holds.
std::optional<bool> PartIsNew(const std::string& id, const CreatedOf& created_of,
                              std::uint64_t generation) {
  const auto it = created_of.find(id);
  if (it == created_of.end()) return std::nullopt;
  return it->second == generation;
}

std::string DescribeEvent(const index::IdEvent& e, const CreatedOf& created_of,
                          std::uint64_t generation) {
  switch (e.kind) {
    case index::IdEvent::Kind::kMerged:
      return StrCat("merged: ", e.id, " kept; superseded ", Join(e.others, ", "));
    case index::IdEvent::Kind::kSplit: {
      std::vector<std::string> fresh, existing, unknown;
      for (const std::string& part : e.others) {
        const std::optional<bool> is_new = PartIsNew(part, created_of, generation);
        (!is_new ? unknown : *is_new ? fresh : existing).push_back(part);
      }
      std::string text = StrCat("split: ", e.id, " split");
      if (!fresh.empty()) internal::StrAppend(text, "; new parts ", Join(fresh, ", "));
      if (!existing.empty()) {
        internal::StrAppend(text, "; records moved to existing ", Join(existing, ", "));
      }
      if (!unknown.empty()) {
        internal::StrAppend(text, "; parts ", Join(unknown, ", "), " (no longer in the index)");
      }
      return text;
    }
    case index::IdEvent::Kind::kRetired:
      return StrCat("retired: ", e.id);
    case index::IdEvent::Kind::kNew:
      return StrCat("new: ", e.id);
  }
  return "?";
}

absl::Status RunHistory(const HistoryArgs& args) {
  if (!args.json.empty() && args.json != "-") {
    if (SameFile(args.json, args.index)) {
      return absl::InvalidArgumentError(
          StrCat(args.json, ": the output would replace the index itself; give another file"));
    }
    BLOOMLINK_RETURN_IF_ERROR(ProbeOutput(args.json));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(const index::PersonIndex people, index::ReadIndexFile(args.index));
  const CreatedOf created_of = CreatedGenerations(people);
  if (!args.json.empty()) {
    Json updates = Json::array();
    for (const index::IndexUpdate& u : people.history) {
      Json sources = Json::array();
      for (const std::string& name : u.sources) {
        sources.push_back({{"name", name},
                           {"change", u.action == "build"       ? "build"
                                      : WasNew(people, u, name) ? "new"
                                                                : "refresh"}});
      }
      Json events = Json::array();
      for (const index::IdEvent& e : u.events) {
        Json event = {{"kind", std::string(index::IdEventKindName(e.kind))},
                      {"id", e.id},
                      {"others", e.others}};
        if (e.kind == index::IdEvent::Kind::kSplit) {
          Json parts = Json::array();
          for (const std::string& part : e.others) {
            const std::optional<bool> is_new = PartIsNew(part, created_of, u.generation);
            parts.push_back({{"id", part}, {"new", is_new ? Json(*is_new) : Json(nullptr)}});
          }
          event["parts"] = parts;
        }
        events.push_back(event);
      }
      Json update = {{"generation", u.generation},
                     {"time", IsoTime(u.time)},
                     {"action", u.action},
                     {"sources", sources}};
      for (const auto& [name, count] : index::kIndexUpdateCounts) {
        update[std::string(name)] = u.*count;
      }
      update["seconds"] = u.seconds;
      update["events"] = events;
      update["warnings"] = u.warnings;
      updates.push_back(std::move(update));
    }
    const Json json = {
        {"index", args.index}, {"generation", people.generation()}, {"updates", updates}};
    BLOOMLINK_RETURN_IF_ERROR(WriteJson(json, args.json));
  }
  if (args.quiet || args.json == "-") return absl::OkStatus();

  std::printf("%s: generation %llu, %zu sources, %s records, %s persons\n", args.index.c_str(),
              static_cast<unsigned long long>(people.generation()), people.sources.size(),
              Thousands(people.records()).c_str(), Thousands(people.persons.size()).c_str());
  for (const index::IndexUpdate& u : people.history) {
    std::vector<std::string> names;
    for (const std::string& name : u.sources) {
      names.push_back(u.action == "build"
                          ? name
                          : StrCat(name, WasNew(people, u, name) ? " (new source)" : " (refresh)"));
    }
    std::printf("\ngeneration %llu, %s: %s of %s\n", static_cast<unsigned long long>(u.generation),
                UtcTime(u.time).c_str(), u.action.c_str(), Join(names, ", ").c_str());
    std::printf("  records: %s added, %s updated, %s unchanged, %s retired; %s clustered again\n",
                Thousands(u.records_added).c_str(), Thousands(u.records_updated).c_str(),
                Thousands(u.records_unchanged).c_str(), Thousands(u.records_retired).c_str(),
                Thousands(u.records_reclustered).c_str());
    std::printf(
        "  persons: %s after (%s new, %s merged, %s split, %s retired); %s pairs linked; "
        "%.2f s\n",
        Thousands(u.persons).c_str(), Thousands(u.persons_new).c_str(),
        Thousands(u.persons_merged).c_str(), Thousands(u.persons_split).c_str(),
        Thousands(u.persons_retired).c_str(), Thousands(u.pairs_linked).c_str(), u.seconds);
    for (const index::IdEvent& e : u.events) {
      std::printf("  %s\n", DescribeEvent(e, created_of, u.generation).c_str());
    }
    for (const std::string& w : u.warnings) std::printf("  warning: %s\n", w.c_str());
  }
  return absl::OkStatus();
}

// Runs a subcommand: its status to the exit code, the message on stderr.
template <typename Args>
void Bind(CLI::App* cmd, std::shared_ptr<Args> args, absl::Status (*run)(const Args&),
          int& exit_code) {
  cmd->callback([args, run, &exit_code] {
    const absl::Status status = run(*args);
    exit_code = status.ok() ? kExitOk : Fail(status);
  });
}

// --unique-source NAME: one name per occurrence (a vector option would otherwise take the files
// that follow it as names too).
void AddUniqueSourceOption(CLI::App* cmd, std::vector<std::string>& unique) {
  cmd->add_option("--unique-source", unique,
                  "a source that holds each person at most once, not deduplicated (repeatable: "
                  "--unique-source A --unique-source B)")
      ->expected(1)
      ->allow_extra_args(false)
      ->take_all();
}

void AddBuildSettings(CLI::App* cmd, BuildArgs& args) {
  cmd->add_option("--method", args.method,
                  "how pairs of records are decided: auto (Fellegi-Sunter when the files carry "
                  "field-level filters, else Dice), dice or fs")
      ->capture_default_str();
  cmd->add_option("--blocking", args.blocking,
                  "which pairs each link compares: exhaustive, lsh or keys (as for link)")
      ->capture_default_str();
  cmd->add_option("--cluster-threshold", args.cluster_threshold,
                  "average linkage's merge threshold, in (0, 1]")
      ->capture_default_str();
  cmd->add_option("--change-margin", args.change_margin,
                  "on later adds, joining two existing persons needs the threshold plus this, "
                  "splitting one the threshold minus this; in [0, the cluster threshold)")
      ->capture_default_str();
}

}  // namespace index_cli
}  // namespace

void AddIndexCommand(CLI::App& app, int& exit_code) {
  using namespace index_cli;
  CLI::App* index_cmd = app.add_subcommand(
      "index",
      "The person index: persons across sources with stable pseudonymous IDs (build, add, "
      "export, stats, history)");
  index_cmd->require_subcommand(1);

  {
    auto args = std::make_shared<BuildArgs>();
    CLI::App* cmd = index_cmd->add_subcommand(
        "build", "Build a person index from encoded extracts, one source per file");
    cmd->add_option("files", args->files,
                    "[NAME=]FILE.bloom: each file one source, named by its file stem unless "
                    "NAME= is given")
        ->required();
    cmd->add_option("--output", args->output, "the index file to write (atomically)")->required();
    AddUniqueSourceOption(cmd, args->unique);
    AddBuildSettings(cmd, *args);
    AddRunOptions(cmd, args->run);
    cmd->add_flag("--force", args->force, "replace an existing index (its history is lost)");
    cmd->add_flag("--quiet", args->quiet, "print nothing but errors and warnings");
    Bind(cmd, args, &RunBuild, exit_code);
  }
  {
    auto args = std::make_shared<AddArgs>();
    CLI::App* cmd = index_cmd->add_subcommand(
        "add",
        "Add new sources, or refreshed extracts of sources held (same name), to a person index");
    cmd->add_option("index", args->index, "the index file (updated atomically)")->required();
    cmd->add_option("files", args->files,
                    "[NAME=]FILE.bloom: a new source, or a refreshed extract of the source of "
                    "that name; added in order")
        ->required();
    AddUniqueSourceOption(cmd, args->unique);
    AddRunOptions(cmd, args->run);
    cmd->add_flag("--quiet", args->quiet, "print nothing but errors and warnings");
    Bind(cmd, args, &RunAdd, exit_code);
  }
  {
    auto args = std::make_shared<ExportArgs>();
    CLI::App* cmd = index_cmd->add_subcommand(
        "export", "Write the crosswalk: person_id,source,record_id,confidence, one row per record");
    cmd->add_option("index", args->index, "the index file")->required();
    cmd->add_option("--output", args->output, "the crosswalk CSV (written atomically)")->required();
    cmd->add_option("--source", args->source,
                    "only this source's rows (to return to an organisation its own record ids "
                    "with their person IDs)");
    cmd->add_flag("--quiet", args->quiet, "print nothing but errors");
    Bind(cmd, args, &RunExport, exit_code);
  }
  {
    auto args = std::make_shared<StatsArgs>();
    CLI::App* cmd = index_cmd->add_subcommand(
        "stats",
        "Persons and records per source, overlaps, combinations of sources and cluster sizes, "
        "with disclosure control");
    cmd->add_option("index", args->index, "the index file")->required();
    cmd->add_option("--suppress-below", args->suppress_below,
                    "counts from 1 to N - 1 are shown as *")
        ->capture_default_str();
    cmd->add_option("--round-to", args->round_to,
                    "other counts are rounded to the nearest N (0 or 1: not rounded)")
        ->capture_default_str();
    cmd->add_flag("--exact", args->exact,
                  "no disclosure control: exact counts, not to be handed on without checking");
    cmd->add_option("--json", args->json,
                    "also write the figures as JSON to FILE (atomically), or to stdout with -");
    cmd->add_flag("--quiet", args->quiet, "print nothing but errors");
    Bind(cmd, args, &RunStats, exit_code);
  }
  {
    auto args = std::make_shared<HistoryArgs>();
    CLI::App* cmd = index_cmd->add_subcommand(
        "history",
        "Every update of the index: what changed, and the merges, splits and retirements");
    cmd->add_option("index", args->index, "the index file")->required();
    cmd->add_option("--json", args->json,
                    "also write the history as JSON to FILE (atomically), or to stdout with -");
    cmd->add_flag("--quiet", args->quiet, "print nothing but errors");
    Bind(cmd, args, &RunHistory, exit_code);
  }
}

}  // namespace bloomlink::cli
