// Internal: adding decoy records to an encoded dataset and pseudonymising its ids
// (bloomlink/encode/decoys.hpp; the rules are in docs/security.md).
//
// Decoy i takes each field's raw value from a real record chosen by consistent hashing: each real
// record r has a keyed point u_j(r) per field j (from its id), decoy i a keyed target t_ij (from
// i); the value comes from the record whose point is the first at or after the target, going
// round the circle of 32-bit points. A refreshed extract moves a decoy's value only where the
// record chosen for it changed, or a record was added or removed between the target and it. The
// decoy's pseudonym comes from i and the id of its anchor record (chosen the same way from one
// more target), so that it stays as long as the anchor does, and two holders' decoys i differ.
//
// Use: Create (after the real records are encoded, with their ids), then Offer every input record
// again (its raw values; only those the decoys need are copied) when needs_values(), then Finish.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "bloomlink/encode/decoys.hpp"
#include "bloomlink/encode/encode_csv.hpp"
#include "bloomlink/encode/encoder.hpp"
#include "bloomlink/encoded_dataset.hpp"

namespace bloomlink::encode_internal {

// DecodePseudonym(text, bytes): the 16 bytes of a pseudonym; false when `text` is not one
// (IsPseudonymShaped).
bool DecodePseudonym(std::string_view text, std::uint8_t (&bytes)[16]);

// DecoyPlan: which real record gives each decoy its field values and its anchor.
struct DecoyPlan {
  std::size_t fields = 0;
  // source[i * fields + j]: the record (index into the dataset's ids) whose field j decoy i takes.
  std::vector<std::uint32_t> source;
  // anchor[i]: the record whose id decoy i's pseudonym is made with.
  std::vector<std::uint32_t> anchor;
  std::size_t decoys() const { return anchor.size(); }
};

// PlanDecoys(keys, ids, decoys, fields, threads): the plan of `decoys` decoys over the real
// records with these ids (unique, at least one when decoys > 0).
DecoyPlan PlanDecoys(const encode::IdKeys& keys, std::span<const std::string> ids,
                     std::uint64_t decoys, std::size_t fields, int threads);

class DecoyMaker {
 public:
  // Create(options, schema, ids, threads): plans the decoys over the real records' ids (which
  // must stay unchanged until Finish). InvalidArgument when the options are bad, or the records
  // and decoys would be more than one dataset holds.
  static absl::StatusOr<DecoyMaker> Create(const encode::PrivacyOptions& options,
                                           const LinkageSchema& schema,
                                           std::span<const std::string> ids, int threads);

  // needs_values(): whether the decoys need values from the records (Offer).
  bool needs_values() const { return !wanted_.empty(); }

  // Offer(id, value): one input record; value(j) is its raw value of schema field j (called only
  // when the decoys need one of its values).
  template <typename ValueOf>
  void Offer(std::string_view id, ValueOf value) {
    auto it = wanted_.find(id);
    if (it == wanted_.end() || it->second.seen) return;
    it->second.seen = true;
    ++seen_;
    for (std::uint32_t slot : it->second.slots) values_[slot] = std::string(value(slot % fields_));
  }

  // Finish(data, encoder, report, source): encodes the decoys, gives every record its pseudonym
  // and puts the records in pseudonym order. report.decoys and report.warnings are set. `source`
  // names the extract in messages (a record the decoys needed that the second reading lacked).
  absl::Status Finish(EncodedDataset& data, encode::Encoder& encoder, encode::EncodeReport& report,
                      std::string_view source);

 private:
  struct Wanted {
    std::vector<std::uint32_t> slots;  // i * fields + j
    bool seen = false;
  };
  DecoyMaker() = default;

  const encode::IdKeys* keys_ = nullptr;
  int threads_ = 1;
  std::size_t fields_ = 0;
  DecoyPlan plan_;
  std::vector<std::string> values_;  // decoys x fields raw values
  absl::flat_hash_map<std::string_view, Wanted> wanted_;
  std::size_t seen_ = 0;
};

}  // namespace bloomlink::encode_internal
