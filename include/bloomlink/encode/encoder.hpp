// bloomlink/encode/encoder.hpp
//
// Encoder: turns records into CLKs (cryptographic long-term keys: one Bloom filter per record
// with every field's tokens hashed in under the field's key). Built once from a schema and the
// secret: keys are derived and keyed MAC contexts set up here, never per record or token.
// EncodeBatch encodes many records in parallel (OpenMP over records, each thread with its own
// MAC contexts and token cache); the output does not depend on the thread count.
//
//   absl::StatusOr<encode::Encoder> encoder = encode::Encoder::Create(schema, secret);
//   if (!encoder.ok()) return encoder.status();
//   BitMatrix clks(rows, schema.encoded_bits());
//   encode::EncodeStats stats;
//   absl::Status done = encoder->EncodeBatch(values, rows, clks, 0, stats);  // rows x fields
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/encoded_dataset.hpp"
#include "bloomlink/schema.hpp"

namespace bloomlink::encode {

struct EncoderOptions {
  // threads: 0 uses every core; 1 encodes in the calling thread; at most kMaxThreads
  // (bloomlink/threads.hpp).
  int threads = 0;
  // token_cache remembers the keyed hash of recent tokens per field and thread. It never changes
  // the output; turning it off shows the cost of hashing every token (bench/).
  bool token_cache = true;
};

// FieldStats: what became of one field's values.
struct FieldStats {
  std::uint64_t valid = 0;    // encoded
  std::uint64_t missing = 0;  // empty or a missing-value marker
  std::uint64_t invalid = 0;  // present but unusable: treated as missing
  // invalid_reasons: (reason, count), sorted by reason.
  std::vector<std::pair<std::string, std::uint64_t>> invalid_reasons;
};

struct EncodeStats {
  std::uint64_t records = 0;
  std::uint64_t empty_records = 0;  // records without a single token
  std::vector<FieldStats> fields;   // one per schema field (ignored fields stay zero)
  std::uint64_t mac_calls = 0;      // keyed hash computations
  std::uint64_t cache_hits = 0;     // tokens whose hash came from the token cache
  void Merge(const EncodeStats& other);
};

class Encoder {
 public:
  // Create(schema, secret, options): derives the field keys, sets up the keyed MAC contexts and
  // the key check value. The schema is copied. InvalidArgument for a thread count out of range.
  static absl::StatusOr<Encoder> Create(const LinkageSchema& schema, const Secret& secret,
                                        EncoderOptions options = {});
  Encoder(Encoder&&) noexcept;
  Encoder& operator=(Encoder&&) noexcept;
  ~Encoder();

  const LinkageSchema& schema() const;
  // key_check(): the key check value of the secret (bloomlink/encode/keyed_hash.hpp).
  const Digest& key_check() const;
  int threads() const;

  // EncodeBatch(values, rows, out, first_row, stats, nonempty): `values` holds rows x
  // schema().fields.size() raw values, row-major (values of ignored fields are not read). Record
  // r's CLK is written to out row first_row + r, which must exist and be zero; out.bits() must
  // equal schema().encoded_bits() (filter_bits, doubled by balancing; a field-level filter's
  // matrix schema().field_filter_encoded_bits(field)). The schema's hardening is applied.
  // Popcounts of those rows are updated. nonempty[r], when given,
  // says whether record r had at least one token. Counts are added to `stats`.
  // field_filters, when not empty, holds one matrix per field with a field-level filter (in the
  // order of field_filter_fields()); record r's filters go to their row first_row + r.
  // blocking_tokens, when not null and the schema has blocking rules, receives record r's token
  // for rule k at blocking_tokens[(first_row + r) * rules + k] (bloomlink/blocking_keys.hpp).
  // A value that fails its field's format is no error (it is counted as invalid). The one error
  // is InvalidArgument when a clkhash pattern cannot be decided on a value because matching it
  // needs more than the regex limits allow (docs/schema.md, Limits): the message names the field
  // and the pattern, never the value, and *failed_record (when not null) is set to r, the first
  // such record of the batch whatever the thread count. The batch's rows are then unspecified and
  // `stats` is left as it was.
  // Not to be called by two threads at once (it parallelises internally).
  absl::Status EncodeBatch(std::span<const std::string_view> values, std::size_t rows,
                           BitMatrix& out, std::size_t first_row, EncodeStats& stats,
                           std::span<std::uint8_t> nonempty = {},
                           std::span<BitMatrix* const> field_filters = {},
                           std::size_t* failed_record = nullptr,
                           std::uint64_t* blocking_tokens = nullptr);

  // field_filter_fields(): the schema indices of the fields with a field-level filter.
  std::vector<std::size_t> field_filter_fields() const;

 private:
  struct Impl;
  explicit Encoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bloomlink::encode
