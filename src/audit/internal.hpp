// Internal: the audit's stages and the data they share (src/audit/*.cpp). audit.cpp runs them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bloomlink/audit/audit.hpp"
#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/encode/clean.hpp"
#include "bloomlink/encode/encode_csv.hpp"
#include "bloomlink/encoded_dataset.hpp"
#include "bloomlink/match/kernels.hpp"
#include "bloomlink/schema.hpp"

namespace bloomlink::audit_internal {

using audit::AttributedQgram;
using audit::CsvAuditOptions;
using audit::FrequencyAttackResult;
using audit::GraphProxyResult;
using audit::LeakageResult;
using audit::PatternMiningSettings;
using audit::Verdict;

// FieldValues: one field's clean values for every encoded record, interned: value[row] is 0 when
// the field is missing (or invalid, or gives no token) in that record, else 1 + the index of its
// clean value in `distinct`. length[i]: code points of distinct[i].
struct FieldValues {
  std::vector<std::uint32_t> value;
  std::vector<std::string> distinct;
  std::vector<std::uint32_t> length;
  std::uint32_t Length(std::size_t row) const {
    return value[row] == 0 ? 0 : length[value[row] - 1];
  }
  std::string_view Clean(std::size_t row) const {
    return value[row] == 0 ? std::string_view() : std::string_view(distinct[value[row] - 1]);
  }
};

// Plaintext: the encodings and, beside them, each record's clean values (one FieldValues per
// schema field; an ignored field's is empty).
struct Plaintext {
  EncodedDataset dataset;
  encode::EncodeReport report;
  std::vector<FieldValues> fields;
};

// Key(s): a view for looking up flat_hash_map<std::string, ...> without making a string (this
// Abseil's string_view is its own type, not std::string_view).
inline absl::string_view Key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// ValueInterner: builds a FieldValues batch by batch.
class ValueInterner {
 public:
  // Add(clean, present): the id of a value (0 when not present).
  std::uint32_t Add(std::string_view clean, bool present);
  FieldValues Finish(std::vector<std::uint32_t> value);

 private:
  absl::flat_hash_map<std::string, std::uint32_t> index_;
  std::vector<std::string> distinct_;
};

// RowCleaner: cleans records' raw values batch by batch, in parallel, into interned values; its
// buffers are reused from batch to batch.
class RowCleaner {
 public:
  // Create(schema, threads): a cleaner per field (ignored fields: none) and thread.
  static absl::StatusOr<RowCleaner> Create(const LinkageSchema& schema, int threads);
  // Clean(values, rows, out_values, where): cleans the raw values of records `rows` (indices
  // into the row-major `values`, schema fields per record) and appends each field's value ids
  // to out_values[field]. where(i) names record rows[i] in errors.
  absl::Status Clean(std::span<const std::string_view> values, std::span<const std::size_t> rows,
                     std::vector<std::vector<std::uint32_t>>& out_values,
                     const std::function<std::string(std::size_t)>& where);
  // Finish(): the interned values of every field.
  std::vector<FieldValues> Finish(std::vector<std::vector<std::uint32_t>> values);

 private:
  const LinkageSchema* schema_ = nullptr;
  int threads_ = 1;
  std::vector<std::vector<std::optional<encode::ValueCleaner>>> cleaners_;  // [thread][field]
  std::vector<ValueInterner> interners_;                                    // [field]
  std::vector<std::string> clean_;
  std::vector<std::uint8_t> present_;
};

// PlaintextFromRecords / PlaintextFromCsv: encode (EncodeRecords / EncodeCsv) and clean.
absl::StatusOr<Plaintext> PlaintextFromRecords(std::span<const std::string_view> ids,
                                               std::span<const std::string_view> values,
                                               encode::Encoder& encoder, std::string_view source,
                                               const std::function<bool()>& cancelled,
                                               double* encode_seconds);
absl::StatusOr<Plaintext> PlaintextFromCsv(const std::string& path, encode::Encoder& encoder,
                                           const CsvAuditOptions& csv,
                                           const std::function<bool()>& cancelled,
                                           double* encode_seconds);

// ChooseSample(ids, n, seed): the n rows whose hash of the id under `seed` is smallest, in the
// order of that hash (a pseudo-random order: any prefix is a random sample too).
std::vector<std::uint32_t> ChooseSample(std::span<const std::string> ids, std::uint64_t n,
                                        std::uint64_t seed);

// Hash64(bytes, seed): a fixed 64-bit hash (the same on every machine and run).
std::uint64_t Hash64(std::string_view bytes, std::uint64_t seed);

// MeasureLeakage(m, rows, lengths, threads): the leakage figures of rows `rows` of m (all rows
// when rows is empty and all_rows is true); lengths[i] is the length for rows[i]. The verdict
// and reasons are filled in.
LeakageResult MeasureLeakage(const BitMatrix& m, std::span<const std::uint32_t> rows,
                             std::span<const std::uint32_t> lengths, int threads);

// MiningReference: a reference table cleaned by the attacked field's cleaner: distinct clean
// values with their counts and their distinct tokens (ids into `tokens`).
struct MiningReference {
  std::string source;
  std::vector<std::string> names;
  std::vector<std::uint64_t> counts;
  std::vector<std::vector<std::uint32_t>> name_tokens;  // sorted, distinct
  std::vector<std::string> tokens;
  absl::flat_hash_map<std::string, std::uint32_t> name_index, token_index;
  std::uint64_t dropped = 0;  // reference values missing or invalid once cleaned
};
absl::StatusOr<MiningReference> CleanReference(const audit::ReferenceTable& table,
                                               const FieldSpec& field);

// Attribution: the positions the attack found for a token, where.
struct Attribution {
  std::uint32_t token = 0;
  std::vector<std::uint32_t> positions;
  std::uint64_t partition = 0;
  double expected_share = 0;
  std::uint64_t support = 0;
};
struct MiningOutcome {
  std::vector<Attribution> attributions;  // in the order found (breadth first)
  std::uint64_t partitions = 0;
  // chosen: the attacker's final positions, one attribution per q-gram (indices into
  // attributions, in the order found), those consistent with the reference's pairwise shares.
  std::vector<std::size_t> chosen;
  std::uint64_t dropped = 0;  // q-grams attributed but found inconsistent
};

// MineBitPatterns(kernel, m, rows, ref, settings, threads, known): the recursive-partitioning
// attack on rows `rows` of m (the sample, in sample order). known: the positions (sorted) of
// q-grams already attributed to other fields of the same encodings (a CLK's fields attacked one
// after another): a clique that is mostly one of them is another field's.
MiningOutcome MineBitPatterns(const match::KernelTable& kernel, const BitMatrix& m,
                              std::span<const std::uint32_t> rows, const MiningReference& ref,
                              const PatternMiningSettings& settings, int threads,
                              std::span<const std::vector<std::uint32_t>> known = {});

// AttackEvaluation: the attack's figures against the plaintext.
struct AttackEvaluation {
  std::vector<AttributedQgram> qgrams;
  std::uint64_t positions = 0, correct_positions = 0;
  std::uint64_t records = 0, one_to_one = 0, within_guesses = 0;
  std::vector<std::uint8_t> record_one_to_one, record_within;  // per evaluated record
};
// EvaluateAttack(kernel, m, rows, values, ref, outcome, field, settings, threads): rows are the
// sample records with the field present; values their clean values (FieldValues of the field).
AttackEvaluation EvaluateAttack(const match::KernelTable& kernel, const BitMatrix& m,
                                std::span<const std::uint32_t> rows, const FieldValues& values,
                                const FieldSpec& field, const MiningReference& ref,
                                const MiningOutcome& outcome, const PatternMiningSettings& settings,
                                int threads);

// FrequencyAttack(filters, values, attacker_values, attacker): the rank-alignment attack on one
// field's field-level filters over every encoded record. attacker_values: (clean value, count)
// of what the attacker knows.
FrequencyAttackResult FrequencyAttack(
    const BitMatrix& filters, const FieldValues& values,
    std::vector<std::pair<std::string, std::uint64_t>> attacker_values, std::string attacker,
    std::size_t ranks);

// GraphProxy(clks, sample, plaintext, schema, pairs, seed, threads).
GraphProxyResult GraphProxy(const BitMatrix& clks, std::span<const std::uint32_t> sample,
                            const std::vector<FieldValues>& fields, const LinkageSchema& schema,
                            std::uint64_t pairs, std::uint64_t seed, int threads);

}  // namespace bloomlink::audit_internal
