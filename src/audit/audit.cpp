// bloomlink audit: runs the attacks on the data holder's own encodings and gives verdicts.
#include "bloomlink/audit/audit.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "audit/internal.hpp"
#include "bloomlink/base64.hpp"
#include "bloomlink/encode/encoder.hpp"
#include "bloomlink/threads.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::audit {
namespace {

using audit_internal::FieldValues;
using audit_internal::MiningReference;
using audit_internal::Plaintext;
using internal::StrCat;

double Now() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

double Share(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0 : static_cast<double>(part) / static_cast<double>(whole);
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// NameTableFor(field): which synthetic table stands in for a name field without a reference,
// from its name and column: given names, family names, or both together.
enum class NameTable { kGiven, kFamily, kBoth };
NameTable NameTableFor(const FieldSpec& field) {
  const std::string text = Lower(field.name + " " + field.column);
  for (const char* word : {"given", "first", "fore", "christian"}) {
    if (text.find(word) != std::string::npos) return NameTable::kGiven;
  }
  for (const char* word : {"family", "sur", "last"}) {
    if (text.find(word) != std::string::npos) return NameTable::kFamily;
  }
  return NameTable::kBoth;
}

absl::Status CheckOptions(const LinkageSchema& schema, const AuditOptions& options) {
  BLOOMLINK_RETURN_IF_ERROR(CheckThreads(options.threads));
  if (options.sample == 0) {
    return absl::InvalidArgumentError("sample: expected at least 1 record");
  }
  const PatternMiningSettings& s = options.mining;
  if (s.max_depth < 0 || s.max_depth > 64 || s.seeds < 1 || s.seed_candidates < 1 ||
      s.qgrams_per_partition < 1 || s.support_factor < 1 || s.global_factor < 1 ||
      s.partner_factor < 1 || s.closure_share <= 0 || s.consistency_factor < 1 ||
      s.closure_share > 1 || s.max_guesses < 1 || s.max_share <= 0 || s.max_share > 1) {
    return absl::InvalidArgumentError("pattern-mining settings out of range");
  }
  bool every = false;
  std::vector<std::string> seen;
  for (const FieldReference& r : options.references) {
    if (r.field.empty()) {
      if (every) {
        return absl::InvalidArgumentError(
            "reference: two references for every name field; give at most one file without a "
            "field (FIELD=FILE for the others)");
      }
      every = true;
      continue;
    }
    const auto f = std::find_if(schema.fields.begin(), schema.fields.end(),
                                [&](const FieldSpec& x) { return x.name == r.field; });
    if (f == schema.fields.end() || f->ignored) {
      std::string names;
      for (const FieldSpec& x : schema.fields) {
        if (!x.ignored) internal::StrAppend(names, names.empty() ? "" : ", ", x.name);
      }
      return absl::InvalidArgumentError(StrCat(
          "reference for ", r.field, ": the schema has no such field (its fields: ", names, ")"));
    }
    if (std::find(seen.begin(), seen.end(), r.field) != seen.end()) {
      return absl::InvalidArgumentError(StrCat("reference: two references for field ", r.field));
    }
    seen.push_back(r.field);
  }
  return absl::OkStatus();
}

// Runner: the stages after encoding, on the plaintext and encodings.
class Runner {
 public:
  Runner(const LinkageSchema& schema, const AuditOptions& options, int threads,
         const match::KernelTable& kernel, Plaintext plain, AuditReport& report)
      : schema_(schema),
        options_(options),
        threads_(threads),
        kernel_(kernel),
        plain_(std::move(plain)),
        report_(report) {}

  absl::Status Run();

 private:
  absl::Status Cancelled() const {
    if (options_.cancelled && options_.cancelled()) {
      return absl::CancelledError(StrCat(report_.source, ": audit cancelled"));
    }
    return absl::OkStatus();
  }
  const FieldValues& Values(std::size_t j) const { return plain_.fields[j]; }
  std::size_t FieldIndex(std::string_view name) const {
    for (std::size_t j = 0; j < schema_.fields.size(); ++j) {
      if (schema_.fields[j].name == name) return j;
    }
    return schema_.fields.size();
  }
  const BitMatrix* FieldFilter(std::size_t j) const {
    for (const FieldFilters& f : plain_.dataset.field_filters) {
      if (f.field == schema_.fields[j].name) return &f.filters;
    }
    return nullptr;
  }
  // UserReference(j): the reference the caller gave for field j (its own, else the one for
  // every name field when j is a name field), or null.
  const ReferenceTable* UserReference(std::size_t j) const;
  absl::StatusOr<const ReferenceTable*> ReferenceFor(std::size_t j);

  void Leakage();
  absl::Status PatternMining();
  absl::Status Frequency();
  void Verdicts();

  const LinkageSchema& schema_;
  const AuditOptions& options_;
  const int threads_;
  const match::KernelTable& kernel_;
  Plaintext plain_;
  AuditReport& report_;
  std::vector<std::uint32_t> sample_;
  std::optional<SyntheticNames> synthetic_;
  std::optional<ReferenceTable> synthetic_both_;
};

const ReferenceTable* Runner::UserReference(std::size_t j) const {
  const FieldSpec& field = schema_.fields[j];
  for (const FieldReference& r : options_.references) {
    if (r.field == field.name) return &r.table;
  }
  if (field.kind == FieldKind::kName) {
    for (const FieldReference& r : options_.references) {
      if (r.field.empty()) return &r.table;
    }
  }
  return nullptr;
}

absl::StatusOr<const ReferenceTable*> Runner::ReferenceFor(std::size_t j) {
  if (const ReferenceTable* user = UserReference(j)) return user;
  if (!synthetic_) {
    BLOOMLINK_ASSIGN_OR_RETURN(synthetic_, SyntheticNameReferences());
  }
  switch (NameTableFor(schema_.fields[j])) {
    case NameTable::kGiven:
      return &synthetic_->given;
    case NameTable::kFamily:
      return &synthetic_->family;
    case NameTable::kBoth:
      break;
  }
  if (!synthetic_both_) {
    synthetic_both_ = ReferenceTable{
        StrCat("given and family names of the ",
               synthetic_->given.source.substr(synthetic_->given.source.find("synthetic"))),
        synthetic_->given.values};
    synthetic_both_->values.insert(synthetic_both_->values.end(), synthetic_->family.values.begin(),
                                   synthetic_->family.values.end());
  }
  return &*synthetic_both_;
}

void Runner::Leakage() {
  const std::size_t n = plain_.dataset.size();
  std::vector<std::uint32_t> rows(n), lengths(n, 0);
  for (std::size_t i = 0; i < n; ++i) rows[i] = static_cast<std::uint32_t>(i);
  for (std::size_t j = 0; j < schema_.fields.size(); ++j) {
    if (schema_.fields[j].ignored) continue;
    for (std::size_t i = 0; i < n; ++i) lengths[i] += Values(j).Length(i);
  }
  LeakageResult clk = audit_internal::MeasureLeakage(plain_.dataset.clks, rows, lengths, threads_);
  clk.target = "CLK";
  report_.leakage.push_back(std::move(clk));
  for (std::size_t j = 0; j < schema_.fields.size(); ++j) {
    const BitMatrix* filters = FieldFilter(j);
    if (filters == nullptr) continue;
    rows.clear();
    lengths.clear();
    for (std::size_t i = 0; i < n; ++i) {
      if (Values(j).value[i] == 0) continue;
      rows.push_back(static_cast<std::uint32_t>(i));
      lengths.push_back(Values(j).Length(i));
    }
    LeakageResult ff = audit_internal::MeasureLeakage(*filters, rows, lengths, threads_);
    ff.target = "field filter";
    ff.field = schema_.fields[j].name;
    report_.leakage.push_back(std::move(ff));
  }
}

absl::Status Runner::PatternMining() {
  // Attacked: every name field, and every field given a reference of its own.
  std::vector<std::size_t> attacked;
  for (std::size_t j = 0; j < schema_.fields.size(); ++j) {
    const FieldSpec& f = schema_.fields[j];
    if (f.ignored) continue;
    bool own = false;
    for (const FieldReference& r : options_.references) own |= r.field == f.name;
    if (f.kind == FieldKind::kName || own) attacked.push_back(j);
  }
  // Per kind of encoding, per sample position: whether some name field was re-identified.
  struct Combined {
    std::string target;
    std::vector<std::string> fields;
    std::vector<std::uint8_t> any_present, one, within;
  };
  Combined combined[2] = {{"CLK", {}, {}, {}, {}}, {"field filter", {}, {}, {}, {}}};
  for (Combined& c : combined) {
    c.any_present.assign(sample_.size(), 0);
    c.one.assign(sample_.size(), 0);
    c.within.assign(sample_.size(), 0);
  }
  std::vector<std::vector<std::uint32_t>> clk_known;  // positions attributed in the CLK so far
  for (std::size_t j : attacked) {
    const FieldSpec& field = schema_.fields[j];
    BLOOMLINK_ASSIGN_OR_RETURN(const ReferenceTable* table, ReferenceFor(j));
    if (UserReference(j) == nullptr) {
      report_.warnings.push_back(StrCat(
          "field ", field.name,
          ": attacked with the project's synthetic name tables; a real "
          "attacker would use published name frequencies (ONS): give --reference with them"));
    }
    BLOOMLINK_ASSIGN_OR_RETURN(MiningReference ref, audit_internal::CleanReference(*table, field));
    if (ref.names.empty()) {
      report_.warnings.push_back(StrCat("field ", field.name, ": the reference ", table->source,
                                        " has no value that is valid for the field: not attacked"));
      continue;
    }
    // The sample records with the field present (whose names the attack tries to find).
    std::vector<std::uint32_t> present_rows, present_at;
    for (std::size_t s = 0; s < sample_.size(); ++s) {
      if (Values(j).value[sample_[s]] == 0) continue;
      present_rows.push_back(sample_[s]);
      present_at.push_back(static_cast<std::uint32_t>(s));
    }
    const BitMatrix* filters = FieldFilter(j);
    for (int kind = 0; kind < 2; ++kind) {
      const BitMatrix* m = kind == 0 ? &plain_.dataset.clks : filters;
      if (m == nullptr) continue;
      // The CLK attacker cannot tell which records lack the field; a field filter's attacker
      // can (it is empty), and mines the others.
      const std::span<const std::uint32_t> mined =
          kind == 0 ? std::span<const std::uint32_t>(sample_) : present_rows;
      const audit_internal::MiningOutcome outcome = audit_internal::MineBitPatterns(
          kernel_, *m, mined, ref, options_.mining, threads_,
          kind == 0 ? std::span<const std::vector<std::uint32_t>>(clk_known)
                    : std::span<const std::vector<std::uint32_t>>());
      if (kind == 0) {
        // The CLK's fields are attacked one after another: the next sets these aside.
        for (std::size_t k : outcome.chosen) {
          std::vector<std::uint32_t> positions = outcome.attributions[k].positions;
          std::sort(positions.begin(), positions.end());
          clk_known.push_back(std::move(positions));
        }
      }
      audit_internal::AttackEvaluation ev = audit_internal::EvaluateAttack(
          kernel_, *m, present_rows, Values(j), field, ref, outcome, options_.mining, threads_);
      PatternMiningResult r;
      r.field = field.name;
      r.target = kind == 0 ? "CLK" : "field filter";
      r.reference = ref.source;
      r.reference_values = ref.names.size();
      r.records = ev.records;
      r.partitions = outcome.partitions;
      r.qgrams = std::move(ev.qgrams);
      r.positions = ev.positions;
      r.correct_positions = ev.correct_positions;
      r.position_precision = ev.positions == 0 ? std::numeric_limits<double>::quiet_NaN()
                                               : Share(ev.correct_positions, ev.positions);
      r.one_to_one = ev.one_to_one;
      r.within_guesses = ev.within_guesses;
      r.one_to_one_share = Share(ev.one_to_one, ev.records);
      r.within_guesses_share = Share(ev.within_guesses, ev.records);
      report_.pattern_mining.push_back(std::move(r));
      if (field.kind == FieldKind::kName) {
        Combined& c = combined[kind];
        c.fields.push_back(field.name);
        for (std::size_t i = 0; i < present_at.size(); ++i) {
          c.any_present[present_at[i]] = 1;
          c.one[present_at[i]] |= ev.record_one_to_one[i];
          c.within[present_at[i]] |= ev.record_within[i];
        }
      }
      BLOOMLINK_RETURN_IF_ERROR(Cancelled());
    }
  }
  for (const Combined& c : combined) {
    if (c.fields.size() < 2) continue;
    NameReidentification names;
    names.target = c.target;
    names.fields = c.fields;
    for (std::size_t s = 0; s < sample_.size(); ++s) {
      names.records += c.any_present[s];
      names.one_to_one += c.one[s];
      names.within_guesses += c.within[s];
    }
    names.one_to_one_share = Share(names.one_to_one, names.records);
    names.within_guesses_share = Share(names.within_guesses, names.records);
    report_.names.push_back(std::move(names));
  }
  return absl::OkStatus();
}

absl::Status Runner::Frequency() {
  for (std::size_t j = 0; j < schema_.fields.size(); ++j) {
    const BitMatrix* filters = FieldFilter(j);
    if (filters == nullptr) continue;
    const FieldValues& values = Values(j);
    std::vector<std::pair<std::string, std::uint64_t>> known;
    std::string attacker;
    if (const ReferenceTable* table = UserReference(j)) {
      BLOOMLINK_ASSIGN_OR_RETURN(MiningReference ref,
                                 audit_internal::CleanReference(*table, schema_.fields[j]));
      for (std::size_t k = 0; k < ref.names.size(); ++k) {
        known.emplace_back(ref.names[k], ref.counts[k]);
      }
      attacker = StrCat("reference ", table->source);
    } else {
      std::vector<std::uint64_t> counts(values.distinct.size(), 0);
      for (std::uint32_t v : values.value) {
        if (v != 0) ++counts[v - 1];
      }
      for (std::size_t k = 0; k < counts.size(); ++k)
        known.emplace_back(values.distinct[k], counts[k]);
      attacker = "the extract's own frequencies (the strongest attacker: the true distribution)";
    }
    FrequencyAttackResult r = audit_internal::FrequencyAttack(*filters, values, std::move(known),
                                                              std::move(attacker), kFrequencyRanks);
    r.field = schema_.fields[j].name;
    report_.frequency.push_back(std::move(r));
    BLOOMLINK_RETURN_IF_ERROR(Cancelled());
  }
  return absl::OkStatus();
}

void Runner::Verdicts() {
  report_.leakage_verdict = Verdict::kPass;
  for (const LeakageResult& l : report_.leakage) {
    if (l.verdict == Verdict::kWarn) report_.leakage_verdict = Verdict::kWarn;
  }
  report_.pattern_mining_verdict =
      report_.pattern_mining.empty() ? Verdict::kNotScored : Verdict::kPass;
  for (const PatternMiningResult& r : report_.pattern_mining) {
    if (r.one_to_one_share > 0.001 || r.position_precision > 0.5) {
      report_.pattern_mining_verdict = Verdict::kWarn;
    }
  }
  report_.frequency_verdict = Verdict::kNotScored;
  for (const FrequencyAttackResult& r : report_.frequency) {
    if (!r.scored) continue;
    if (report_.frequency_verdict == Verdict::kNotScored)
      report_.frequency_verdict = Verdict::kPass;
    if (r.verdict == Verdict::kWarn) report_.frequency_verdict = Verdict::kWarn;
  }
}

absl::Status Runner::Run() {
  report_.records_read = plain_.report.records_read;
  report_.records_encoded = plain_.report.records_encoded;
  report_.records_skipped = plain_.report.records_skipped;
  sample_ = audit_internal::ChooseSample(plain_.dataset.ids, options_.sample, options_.seed);
  report_.sample = sample_.size();

  double t = Now();
  Leakage();
  report_.timings.leakage = Now() - t;
  BLOOMLINK_RETURN_IF_ERROR(Cancelled());

  t = Now();
  BLOOMLINK_RETURN_IF_ERROR(PatternMining());
  report_.timings.pattern_mining = Now() - t;

  t = Now();
  BLOOMLINK_RETURN_IF_ERROR(Frequency());
  report_.timings.frequency = Now() - t;

  t = Now();
  report_.graph = audit_internal::GraphProxy(plain_.dataset.clks, sample_, plain_.fields, schema_,
                                             options_.graph_pairs, options_.seed, threads_);
  report_.timings.graph = Now() - t;
  Verdicts();
  return absl::OkStatus();
}

template <typename MakePlaintext>
absl::StatusOr<AuditReport> Audit(const LinkageSchema& schema, const encode::Secret& secret,
                                  const AuditOptions& options, std::string_view source,
                                  MakePlaintext make_plaintext) {
  const double start = Now();
  BLOOMLINK_RETURN_IF_ERROR(CheckOptions(schema, options));
  BLOOMLINK_ASSIGN_OR_RETURN(const match::KernelTable* kernel, match::Kernels());
  const int threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  BLOOMLINK_ASSIGN_OR_RETURN(encode::Encoder encoder,
                             encode::Encoder::Create(schema, secret, {.threads = threads}));
  AuditReport report;
  report.source = std::string(source);
  report.schema_fingerprint = HexEncode(schema.fingerprint);
  report.sample_requested = options.sample;
  report.seed = options.seed;
  report.graph_pairs_requested = options.graph_pairs;
  report.mining = options.mining;
  report.timings.threads = threads;
  double encode_seconds = 0;
  const double clean_start = Now();
  BLOOMLINK_ASSIGN_OR_RETURN(Plaintext plain, make_plaintext(encoder, &encode_seconds));
  report.timings.encode = encode_seconds;
  report.timings.clean = Now() - clean_start - encode_seconds;
  Runner runner(schema, options, threads, *kernel, std::move(plain), report);
  BLOOMLINK_RETURN_IF_ERROR(runner.Run());
  report.timings.total = Now() - start;
  return report;
}

}  // namespace

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kWarn:
      return "WARN";
    case Verdict::kNotScored:
      break;
  }
  return "not scored";
}

absl::StatusOr<AuditReport> RunAudit(std::span<const std::string_view> ids,
                                     std::span<const std::string_view> values,
                                     const LinkageSchema& schema, const encode::Secret& secret,
                                     const AuditOptions& options, std::string_view source) {
  return Audit(schema, secret, options, source,
               [&](encode::Encoder& encoder, double* encode_seconds) {
                 return audit_internal::PlaintextFromRecords(ids, values, encoder, source,
                                                             options.cancelled, encode_seconds);
               });
}

absl::StatusOr<AuditReport> AuditCsv(const std::string& path, const LinkageSchema& schema,
                                     const encode::Secret& secret, const AuditOptions& options,
                                     const CsvAuditOptions& csv) {
  return Audit(schema, secret, options, path,
               [&](encode::Encoder& encoder, double* encode_seconds) {
                 return audit_internal::PlaintextFromCsv(path, encoder, csv, options.cancelled,
                                                         encode_seconds);
               });
}

}  // namespace bloomlink::audit
