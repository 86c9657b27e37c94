// bloomlink/encode/decoys.hpp
//
// Pseudonymous record ids and decoy records: a data holder's defence against graph-matching
// attacks on its encodings (docs/security.md, "Decoy records and pseudonymous ids").
//
// With pseudonymous ids every id in an encoded file is a keyed pseudonym, 16 bytes written as 26
// lower-case base32 characters: a real record's is HMAC-SHA256(k_id, id)[0:16]. Decoys are
// plausible fake records added by the holder; a decoy's pseudonym is r || HMAC-SHA256(k_tag,
// r)[0:8], so that whoever holds the secret recognises it by its tag, and nobody else can tell it
// from a real record's. Keys come from the shared secret (HKDF-SHA256, the schema's salt, info
// "bloomlink/v1/ids/<purpose>/" + the schema fingerprint in hex), so every holder of the secret
// recognises every holder's decoys, and a record keeps its pseudonym across refreshed extracts
// encoded with the same schema and secret (the person index matches records by id).
//
// Encoding with decoys (EncodeCsv and EncodeRecords take PrivacyOptions):
//
//   absl::StatusOr<encode::IdKeys> keys = encode::IdKeys::Create(schema, secret);
//   encode::CsvEncodeOptions options;
//   options.privacy = {.keys = &*keys, .decoys = 0.25, .pseudonymous_ids = true};
//   auto data = encode::EncodeCsv("trust.csv", encoder, options, &report);  // report.decoys
//
// Revealing a linkage's results, the holder's side again:
//
//   encode::IdRevealer revealer(*keys);
//   absl::Status added = revealer.AddExtract("trust.csv", "id", {});
//   auto report = encode::RevealCsv(revealer, "pairs.csv", encode::RevealTable::kPairs,
//                                   "pairs-revealed.csv");
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/io/csv.hpp"
#include "bloomlink/schema.hpp"

namespace bloomlink::encode {

// kPseudonymChars: the length of a pseudonym (16 bytes in base32 without padding).
inline constexpr std::size_t kPseudonymChars = 26;

// IdKeys: the keys of pseudonyms and decoys, derived from the secret and the schema. Its
// methods may be called from several threads at once. Keys are wiped when it is destroyed.
class IdKeys {
 public:
  // Create(schema, secret): derives the keys (Internal only when OpenSSL fails).
  static absl::StatusOr<IdKeys> Create(const LinkageSchema& schema, const Secret& secret);
  IdKeys(IdKeys&&) noexcept;
  IdKeys& operator=(IdKeys&&) noexcept;
  ~IdKeys();

  // Pseudonym(id): a real record's pseudonym.
  std::string Pseudonym(std::string_view id) const;
  // Pseudonyms(ids, threads): Pseudonym of each id, computed by `threads` threads (0: every
  // core); the same result for any number.
  std::vector<std::string> Pseudonyms(std::span<const std::string> ids, int threads) const;
  // DecoyPseudonym(decoy, anchor): decoy number `decoy`'s pseudonym when its anchor record (the
  // real record it takes its id from, docs/security.md) has id `anchor`.
  std::string DecoyPseudonym(std::uint64_t decoy, std::string_view anchor) const;
  // IsDecoy(id): whether `id` is a decoy's pseudonym under these keys. Anything else (a real
  // record's pseudonym, another secret's decoy, any text that is not a pseudonym) gives false,
  // except with probability 2^-64 for a pseudonym.
  bool IsDecoy(std::string_view id) const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit IdKeys(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// PrivacyOptions: what EncodeCsv and EncodeRecords do to the ids and records they encode.
struct PrivacyOptions {
  // keys: required when decoys or pseudonymous ids are asked for; must outlive the encoding.
  const IdKeys* keys = nullptr;
  // decoys: how many decoy records to add, as a fraction of the records encoded, in [0, 1]:
  // round(decoys x records encoded). More than 0 implies pseudonymous ids.
  double decoys = 0;
  // pseudonymous_ids: every id is a keyed pseudonym, and records are written in pseudonym order.
  bool pseudonymous_ids = false;

  // active(): whether the ids are pseudonymised (decoys or not).
  bool active() const { return decoys > 0 || pseudonymous_ids; }
};

// CheckDecoyFraction(fraction): InvalidArgument ("decoys: expected ...") unless 0 <= fraction <= 1.
absl::Status CheckDecoyFraction(double fraction);
// CheckPrivacyOptions(options): CheckDecoyFraction, and InvalidArgument when keys are missing
// where they are needed.
absl::Status CheckPrivacyOptions(const PrivacyOptions& options);

// DecoyCount(fraction, records): round(fraction x records), halves away from zero.
std::uint64_t DecoyCount(double fraction, std::uint64_t records);

// IsPseudonymShaped(id): whether `id` is 26 base32 characters that decode to 16 bytes (the
// form of every pseudonym, real or decoy).
bool IsPseudonymShaped(std::string_view id);

// IdRevealer: the holder's map from pseudonyms back to its own record ids, with the decoy check.
// It holds the pseudonym of every id added (16 bytes and the id each).
class IdRevealer {
 public:
  // IdRevealer(keys): `keys` must outlive the revealer.
  explicit IdRevealer(const IdKeys& keys) : keys_(&keys) {}

  // AddIds(ids, threads): makes these real ids recognisable.
  void AddIds(std::span<const std::string> ids, int threads = 0);
  // AddExtract(path, id_column, csv, threads): AddIds of every id in the CSV extract's
  // `id_column` (the extract as it was encoded); errors name the file and line (an empty id).
  absl::Status AddExtract(const std::string& path, const std::string& id_column,
                          const io::CsvOptions& csv = {}, int threads = 0);
  // ids(): how many distinct ids were added.
  std::size_t ids() const { return ids_.size(); }

  enum class Kind { kRevealed, kDecoy, kUnknown };
  // Find(id, real): kRevealed (and *real, when not null, set to the real id) for the pseudonym
  // of an id added; kDecoy for any decoy of these keys; kUnknown for anything else (another
  // holder's pseudonym or id).
  Kind Find(std::string_view id, std::string_view* real = nullptr) const;

 private:
  struct Key {
    std::uint64_t hi, lo;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.hi, k.lo);
    }
  };
  const IdKeys* keys_;
  absl::flat_hash_map<Key, std::string> ids_;
};

// RevealReport: what RevealCsv (or RevealRows) did.
struct RevealReport {
  std::uint64_t rows_read = 0;
  std::uint64_t rows_dropped = 0;  // rows naming a decoy
  std::uint64_t ids_revealed = 0;  // id cells of kept rows replaced by the real id
  std::uint64_t ids_left = 0;      // id cells of kept rows left as they were (not recognised)
  std::uint64_t decoy_ids = 0;     // id cells naming a decoy (in the dropped rows)
  std::uint64_t pseudonyms = 0;    // id cells of the input in the form of a pseudonym
  // warnings: e.g. that no pseudonym was recognised (the wrong secret, schema or extract).
  std::vector<std::string> warnings;
};

// RevealRow(revealer, ids, out, report): one row's id cells. Returns false (and counts the row as
// dropped) when any of them is a decoy; otherwise sets out[k] to the real id of ids[k], or to
// ids[k] itself when it is not recognised. Counts go to `report`.
bool RevealRow(const IdRevealer& revealer, std::span<const std::string_view> ids,
               std::vector<std::string_view>& out, RevealReport& report);

// FinishRevealReport(report, source): adds the warnings that the counts call for (`source`
// names the table in them).
void FinishRevealReport(RevealReport& report, std::string_view source);

// RevealTable: the linkage outputs RevealCsv reads.
enum class RevealTable {
  kPairs,      // `bloomlink link` pairs: ids in columns id_a and id_b, other columns kept
  kCrosswalk,  // `bloomlink index export`: ids in column record_id, other columns kept
};

// RevealCsv(revealer, input, table, output): writes `input` to `output` (atomically) with every
// recognised pseudonym replaced by its real id and every row naming a decoy left out; other
// values and columns as they were (fields quoted where CSV needs it, LF line endings).
// InvalidArgument naming the file and line for a missing column or an empty id.
absl::StatusOr<RevealReport> RevealCsv(const IdRevealer& revealer, const std::string& input,
                                       RevealTable table, const std::string& output);

}  // namespace bloomlink::encode
