// bloomlink/encoded_dataset.hpp
//
// EncodedDataset: what a data holder hands to the linkage unit. Record ids, one CLK (record-level
// Bloom filter) per record, optional field-level filters, and the provenance that lets the
// linkage unit refuse to compare encodings made with different schemas or secrets without
// learning either: the schema fingerprint and the key check value.
//
// Nothing in here is secret-bearing beyond the filters themselves: the key check value is a MAC of
// a fixed label under a key derived from the secret (see docs/security.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/blocking_keys.hpp"

namespace bloomlink {

// kMaxFilterBits: the longest filter (CLK or field-level filter, 2^16 bits = 8 KiB) that a
// schema may ask for and that the readers accept; one limit for both, so that every file a
// schema can produce can be read, and nothing larger is ever allocated for.
inline constexpr std::uint32_t kMaxFilterBits = 1u << 16;

// Digest: a SHA-256 sized value (schema fingerprint, key check value).
using Digest = std::array<std::uint8_t, 32>;

// FieldFilters: one field's Bloom filters for every record (row i = record i), for field-level
// comparison. Reserved by the file format; produced when the schema asks for them.
struct FieldFilters {
  std::string field;
  BitMatrix filters;
};

struct EncodedDataset {
  // ids[i] is record i's identifier, unique within the dataset.
  std::vector<std::string> ids;
  // clks row i is record i's CLK; clks.bits() is the filter length.
  BitMatrix clks;
  std::vector<FieldFilters> field_filters;
  // blocking_keys: the schema's keyed blocking tokens, when it declares blocking rules.
  BlockingKeys blocking_keys;
  // Absent when the encodings came from outside bloomlink (clkhash JSON, CSV of base64).
  std::optional<Digest> schema_fingerprint;
  std::optional<Digest> key_check;
  // records_skipped counts input records that were not encoded (reported, never silent).
  std::uint64_t records_skipped = 0;
  // pseudonymous_ids: the ids are keyed pseudonyms (bloomlink/encode/decoys.hpp), which only the
  // data holders can map back; says nothing about decoys.
  bool pseudonymous_ids = false;

  std::size_t size() const { return ids.size(); }
};

}  // namespace bloomlink
