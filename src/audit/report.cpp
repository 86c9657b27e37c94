// The audit report as a table for people and as JSON for machines.
#include <cmath>
#include <cstdio>

#include "bloomlink/audit/audit.hpp"
#include "internal/strings.hpp"
#include "nlohmann/json.hpp"

namespace bloomlink::audit {
namespace {

using internal::StrCat;
using internal::Thousands;
using Json = nlohmann::ordered_json;

std::string Percent(double share) {
  if (std::isnan(share)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, share >= 0.1 || share == 0 ? "%.1f%%" : "%.2f%%", 100 * share);
  return buf;
}

std::string Fixed(double value, int digits) {
  if (std::isnan(value)) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

std::string Of(std::uint64_t part, std::uint64_t whole) {
  return StrCat(Thousands(part), " of ", Thousands(whole));
}

std::string Name(Verdict v) { return std::string(VerdictName(v)); }

Json Number(double v) {
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return v;
}

std::string Target(const std::string& target, const std::string& field) {
  return field.empty() ? target : StrCat(field, " (", target, ")");
}

}  // namespace

std::vector<AuditTableRow> AuditTable(const AuditReport& report) {
  std::vector<AuditTableRow> rows;
  const auto add = [&](std::string attack, std::string target, std::string measure,
                       std::string value, std::string verdict = "") {
    rows.push_back({std::move(attack), std::move(target), std::move(measure), std::move(value),
                    std::move(verdict)});
  };
  for (const LeakageResult& l : report.leakage) {
    const std::string target = Target(l.target, l.field);
    add("leakage", target, "records sharing their encoding",
        StrCat(Percent(l.duplicate_share), " (", Thousands(l.duplicated), ")"),
        l.duplicate_share > 0.01 ? "WARN" : "PASS");
    add("leakage", target, "largest class of equal encodings",
        StrCat(Percent(l.largest_class_share), " (", Thousands(l.largest_class), ")"));
    add("leakage", target, "columns far from the mean fill",
        StrCat(l.far_columns.size(), " of ", l.bits, " (mean fill ", Fixed(l.mean_fill, 3), ")"),
        l.far_columns.empty() ? "PASS" : "WARN");
    add("leakage", target, "popcount ~ length (Pearson r)",
        Fixed(l.popcount_length_correlation, 3));
  }
  for (const PatternMiningResult& r : report.pattern_mining) {
    const std::string target = Target(r.target, r.field);
    add("pattern mining", target, "q-grams attributed", Thousands(r.qgrams.size()));
    add("pattern mining", target, "position precision",
        r.positions == 0 ? "n/a (none attributed)"
                         : StrCat(Percent(r.position_precision), " (",
                                  Of(r.correct_positions, r.positions), ")"),
        r.position_precision > 0.5 ? "WARN" : "PASS");
    add("pattern mining", target, "re-identified one-to-one",
        StrCat(Percent(r.one_to_one_share), " (", Of(r.one_to_one, r.records), ")"),
        r.one_to_one_share > 0.001 ? "WARN" : "PASS");
    add("pattern mining", target,
        StrCat("re-identified within ", report.mining.max_guesses, " guesses"),
        StrCat(Percent(r.within_guesses_share), " (", Of(r.within_guesses, r.records), ")"));
  }
  for (const NameReidentification& n : report.names) {
    std::string fields;
    for (const std::string& f : n.fields)
      internal::StrAppend(fields, fields.empty() ? "" : " or ", f);
    const std::string target = StrCat(fields, " (", n.target, ")");
    add("pattern mining", target, "re-identified one-to-one",
        StrCat(Percent(n.one_to_one_share), " (", Of(n.one_to_one, n.records), ")"));
    add("pattern mining", target,
        StrCat("re-identified within ", report.mining.max_guesses, " guesses"),
        StrCat(Percent(n.within_guesses_share), " (", Of(n.within_guesses, n.records), ")"));
  }
  for (const FrequencyAttackResult& f : report.frequency) {
    const std::string target = Target("field filter", f.field);
    if (!f.scored) {
      add("frequency", target, "re-identified", f.note, Name(f.verdict));
      continue;
    }
    add("frequency", target, "re-identified",
        StrCat(Percent(f.share), " (", Of(f.reidentified, f.records), ")"), Name(f.verdict));
  }
  const GraphProxyResult& g = report.graph;
  add("graph proxy", "CLK", "R² of CLK Dice on plaintext Dice", Fixed(g.r2, 3), Name(g.verdict));
  add("graph proxy", "CLK", "mean absolute error of the line", Fixed(g.mae, 3));
  add("verdict", "leakage", "", "", Name(report.leakage_verdict));
  add("verdict", "pattern mining", "", "", Name(report.pattern_mining_verdict));
  add("verdict", "frequency", "", "", Name(report.frequency_verdict));
  add("verdict", "graph proxy", "", "", Name(report.graph.verdict));
  return rows;
}

std::string AuditReportJson(const AuditReport& report) {
  Json j;
  j["bloomlink_audit"] = 1;
  j["source"] = report.source;
  j["schema_fingerprint"] = report.schema_fingerprint;
  j["records"] = {{"read", report.records_read},
                  {"encoded", report.records_encoded},
                  {"skipped", report.records_skipped}};
  const PatternMiningSettings& m = report.mining;
  j["settings"] = {{"sample_requested", report.sample_requested},
                   {"sample", report.sample},
                   {"seed", report.seed},
                   {"graph_pairs_requested", report.graph_pairs_requested},
                   {"frequency_ranks", kFrequencyRanks},
                   {"few_values", kFewValues},
                   {"pattern_mining",
                    {{"max_depth", m.max_depth},
                     {"min_partition", m.min_partition},
                     {"min_expected", m.min_expected},
                     {"max_share", m.max_share},
                     {"seed_candidates", m.seed_candidates},
                     {"seeds", m.seeds},
                     {"qgrams_per_partition", m.qgrams_per_partition},
                     {"lookahead_depth", m.lookahead_depth},
                     {"support_factor", m.support_factor},
                     {"global_factor", m.global_factor},
                     {"partner_factor", m.partner_factor},
                     {"closure_share", m.closure_share},
                     {"consistency_factor", m.consistency_factor},
                     {"max_guesses", m.max_guesses}}}};
  j["verdicts"] = {{"leakage", Name(report.leakage_verdict)},
                   {"pattern_mining", Name(report.pattern_mining_verdict)},
                   {"frequency", Name(report.frequency_verdict)},
                   {"graph_proxy", Name(report.graph.verdict)}};
  Json leakage = Json::array();
  for (const LeakageResult& l : report.leakage) {
    Json far = Json::array();
    for (std::size_t k = 0; k < l.far_columns.size(); ++k) {
      far.push_back({{"column", l.far_columns[k]}, {"fill", Number(l.far_column_fill[k])}});
    }
    leakage.push_back({{"target", l.target},
                       {"field", l.field.empty() ? Json(nullptr) : Json(l.field)},
                       {"bits", l.bits},
                       {"records", l.records},
                       {"duplicated", l.duplicated},
                       {"duplicate_share", Number(l.duplicate_share)},
                       {"largest_class", l.largest_class},
                       {"largest_class_share", Number(l.largest_class_share)},
                       {"mean_fill", Number(l.mean_fill)},
                       {"far_columns", far},
                       {"popcount_length_correlation", Number(l.popcount_length_correlation)},
                       {"verdict", Name(l.verdict)},
                       {"reasons", l.reasons}});
  }
  j["leakage"] = leakage;
  Json mining = Json::array();
  for (const PatternMiningResult& r : report.pattern_mining) {
    Json qgrams = Json::array();
    for (const AttributedQgram& q : r.qgrams) {
      qgrams.push_back({{"qgram", q.qgram},
                        {"positions", q.positions},
                        {"correct_positions", q.correct_positions},
                        {"partition", q.partition},
                        {"expected_share", Number(q.expected_share)},
                        {"support", q.support}});
    }
    mining.push_back({{"field", r.field},
                      {"target", r.target},
                      {"reference", r.reference},
                      {"reference_values", r.reference_values},
                      {"records", r.records},
                      {"partitions", r.partitions},
                      {"qgrams_attributed", r.qgrams.size()},
                      {"positions", r.positions},
                      {"correct_positions", r.correct_positions},
                      {"position_precision", Number(r.position_precision)},
                      {"one_to_one", r.one_to_one},
                      {"one_to_one_share", Number(r.one_to_one_share)},
                      {"within_guesses", r.within_guesses},
                      {"within_guesses_share", Number(r.within_guesses_share)},
                      {"qgrams", qgrams}});
  }
  Json names = Json::array();
  for (const NameReidentification& n : report.names) {
    names.push_back({{"target", n.target},
                     {"fields", n.fields},
                     {"records", n.records},
                     {"one_to_one", n.one_to_one},
                     {"one_to_one_share", Number(n.one_to_one_share)},
                     {"within_guesses", n.within_guesses},
                     {"within_guesses_share", Number(n.within_guesses_share)}});
  }
  j["pattern_mining"] = {{"results", mining}, {"names", names}};
  Json frequency = Json::array();
  for (const FrequencyAttackResult& f : report.frequency) {
    frequency.push_back({{"field", f.field},
                         {"scored", f.scored},
                         {"note", f.note},
                         {"attacker", f.attacker},
                         {"records", f.records},
                         {"distinct_values", f.distinct_values},
                         {"distinct_filters", f.distinct_filters},
                         {"aligned_ranks", f.aligned_ranks},
                         {"reidentified", f.reidentified},
                         {"share", Number(f.share)},
                         {"verdict", Name(f.verdict)}});
  }
  j["frequency"] = frequency;
  const GraphProxyResult& g = report.graph;
  j["graph_proxy"] = {{"pairs", g.pairs},
                      {"random_pairs", g.random_pairs},
                      {"similar_pairs", g.similar_pairs},
                      {"slope", Number(g.slope)},
                      {"intercept", Number(g.intercept)},
                      {"r2", Number(g.r2)},
                      {"mae", Number(g.mae)},
                      {"verdict", Name(g.verdict)}};
  j["warnings"] = report.warnings;
  const AuditTimings& t = report.timings;
  j["timings"] = {{"threads", t.threads},
                  {"encode_seconds", t.encode},
                  {"clean_seconds", t.clean},
                  {"leakage_seconds", t.leakage},
                  {"pattern_mining_seconds", t.pattern_mining},
                  {"frequency_seconds", t.frequency},
                  {"graph_seconds", t.graph},
                  {"total_seconds", t.total}};
  return j.dump(2) + "\n";
}

}  // namespace bloomlink::audit
