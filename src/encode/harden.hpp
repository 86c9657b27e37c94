// Internal: the hardening transforms of an encoded filter (bloomlink/schema.hpp, FilterHardening;
// docs/schema.md, Hardening), applied after the filter is hashed and folded.
//
// Each filter (the CLK, every field-level filter) has its own 32-byte key (DeriveHardeningKeys,
// bloomlink/encode/keyed_hash.hpp), from which its balancing permutation and diffusion taps are
// drawn once, when the encoder is made. BLIP's flips are drawn per record from a seed that is the
// keyed MAC of the record's clean values (RecordSeeder), so a re-encode flips the same bits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/schema.hpp"
#include "encode/field_hasher.hpp"

namespace bloomlink::encode_internal {

// KeyedStream: uniform integers from HMAC-SHA256(key, label || counter), for the tables that
// must be secret (a permutation, diffusion taps).
class KeyedStream {
 public:
  static absl::StatusOr<KeyedStream> Create(std::string_view key, std::string_view label);
  // Below(n): uniform in [0, n) (bias under n / 2^64).
  absl::StatusOr<std::uint64_t> Below(std::uint64_t n);

 private:
  KeyedStream() = default;
  MacContext context_;
  std::string label_;
  std::uint64_t counter_ = 0;
  std::uint8_t block_[32] = {};
  int used_ = 4;  // 64-bit words of block_ already handed out
};

// FilterHardener: one filter's transforms after folding (Rule 90, diffusion, balancing, BLIP).
class FilterHardener {
 public:
  // Create(spec, bits, key): bits is the filter's length after folding; key its hardening key.
  static absl::StatusOr<FilterHardener> Create(const FilterHardening& spec, std::uint32_t bits,
                                               std::string_view key);

  // active(): whether Apply does anything (folding alone is done by the caller).
  bool active() const { return spec_.rule90 || spec_.diffusion_taps > 0 || spec_.balance || blip_; }
  std::uint32_t in_bits() const { return bits_; }
  std::uint32_t out_bits() const { return spec_.EncodedBits(bits_); }

  // Apply(in, out, blip_seed, scratch): `in` holds in_bits() bits (clkhash bit order), `out`
  // receives out_bits() bits (bytes past them zero). scratch is the thread's, reused.
  void Apply(const std::uint8_t* in, std::uint8_t* out, std::uint64_t blip_seed,
             std::vector<std::uint8_t>& scratch) const;

 private:
  FilterHardening spec_;
  std::uint32_t bits_ = 0;
  bool blip_ = false;
  double log_keep_ = 0;               // log(1 - blip): BLIP draws the gaps between flips
  std::vector<std::uint32_t> taps_;   // diffusion: output j XORs taps_[j*t .. j*t+t-1]
  std::vector<std::uint32_t> place_;  // balancing: where bit i of [filter, complement] goes
};

// RecordSeeder: one thread's HMAC-SHA256 under the BLIP key, of a record's clean values.
class RecordSeeder {
 public:
  static absl::StatusOr<RecordSeeder> Create(std::string_view key);
  absl::StatusOr<RecordSeeder> Clone() const;
  // Seed(material): the first 8 bytes of the MAC of `material`.
  std::uint64_t Seed(std::string_view material);

 private:
  RecordSeeder() = default;
  MacContext context_;
};

// BlipSeed(record_seed, filter): the seed of one filter's flips (filter 0: the CLK; 1 + slot: a
// field-level filter), so that the filters of a record flip independently.
std::uint64_t BlipSeed(std::uint64_t record_seed, std::size_t filter);

}  // namespace bloomlink::encode_internal
