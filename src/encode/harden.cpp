#include "encode/harden.hpp"

#include <cmath>
#include <cstring>

#include "internal/random.hpp"
#include "internal/status_macros.hpp"

namespace bloomlink::encode_internal {
namespace {

__extension__ typedef unsigned __int128 UInt128;

bool GetBit(const std::uint8_t* bits, std::size_t i) { return (bits[i >> 3] >> (7 - (i & 7))) & 1; }

}  // namespace

absl::StatusOr<KeyedStream> KeyedStream::Create(std::string_view key, std::string_view label) {
  KeyedStream stream;
  BLOOMLINK_ASSIGN_OR_RETURN(stream.context_, NewHmacSha256(key));
  stream.label_ = std::string(label);
  return stream;
}

absl::StatusOr<std::uint64_t> KeyedStream::Below(std::uint64_t n) {
  if (used_ == 4) {
    // label || counter (8 bytes, little-endian)
    std::string message = label_;
    for (int b = 0; b < 8; ++b) message.push_back(static_cast<char>((counter_ >> (8 * b)) & 0xFF));
    ++counter_;
    HmacSha256(context_.get(), message, block_);
    used_ = 0;
  }
  std::uint64_t word = 0;
  std::memcpy(&word, block_ + 8 * used_, 8);
  ++used_;
  return static_cast<std::uint64_t>((static_cast<UInt128>(word) * n) >> 64);
}

absl::StatusOr<FilterHardener> FilterHardener::Create(const FilterHardening& spec,
                                                      std::uint32_t bits, std::string_view key) {
  FilterHardener h;
  h.spec_ = spec;
  h.bits_ = bits;
  h.blip_ = spec.blip > 0;
  if (h.blip_) h.log_keep_ = std::log1p(-spec.blip);
  if (spec.diffusion_taps > 0) {
    // Each output bit XORs `taps` distinct input positions, drawn under the key.
    const auto t = static_cast<std::uint32_t>(spec.diffusion_taps);
    if (t > bits) return absl::InvalidArgumentError("diffusion: more taps than filter bits");
    BLOOMLINK_ASSIGN_OR_RETURN(KeyedStream stream, KeyedStream::Create(key, "diffusion"));
    h.taps_.reserve(std::size_t{bits} * t);
    for (std::uint32_t j = 0; j < bits; ++j) {
      const std::size_t first = h.taps_.size();
      while (h.taps_.size() - first < t) {
        BLOOMLINK_ASSIGN_OR_RETURN(std::uint64_t p, stream.Below(bits));
        bool seen = false;
        for (std::size_t k = first; k < h.taps_.size(); ++k) seen = seen || h.taps_[k] == p;
        if (!seen) h.taps_.push_back(static_cast<std::uint32_t>(p));
      }
    }
  }
  if (spec.balance) {
    // A keyed Fisher-Yates shuffle of the 2 x bits positions of [filter, complement].
    const std::uint32_t n = 2 * bits;
    BLOOMLINK_ASSIGN_OR_RETURN(KeyedStream stream, KeyedStream::Create(key, "balance"));
    h.place_.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) h.place_[i] = i;
    for (std::uint32_t i = n - 1; i > 0; --i) {
      BLOOMLINK_ASSIGN_OR_RETURN(std::uint64_t j, stream.Below(std::uint64_t{i} + 1));
      std::swap(h.place_[i], h.place_[j]);
    }
  }
  return h;
}

void FilterHardener::Apply(const std::uint8_t* in, std::uint8_t* out, std::uint64_t blip_seed,
                           std::vector<std::uint8_t>& scratch) const {
  // Work on one byte per bit: the transforms index bits freely, and a filter is at most a few
  // thousand bits, which stay in L1 cache.
  const std::size_t n = bits_;
  scratch.resize(4 * n);
  std::uint8_t* a = scratch.data();
  std::uint8_t* b = a + n;
  for (std::size_t i = 0; i < n; ++i) a[i] = GetBit(in, i);
  if (spec_.rule90) {
    for (std::size_t i = 0; i < n; ++i) b[i] = a[(i + n - 1) % n] ^ a[(i + 1) % n];
    std::swap(a, b);
  }
  if (spec_.diffusion_taps > 0) {
    const auto t = static_cast<std::size_t>(spec_.diffusion_taps);
    for (std::size_t j = 0; j < n; ++j) {
      std::uint8_t x = 0;
      for (std::size_t k = 0; k < t; ++k) x ^= a[taps_[j * t + k]];
      b[j] = x;
    }
    std::swap(a, b);
  }
  const std::size_t out_n = out_bits();
  std::memset(out, 0, (out_n + 7) / 8);
  if (spec_.balance) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t p = a[i] ? place_[i] : place_[n + i];
      out[p >> 3] |= static_cast<std::uint8_t>(0x80u >> (p & 7));
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i]) out[i >> 3] |= static_cast<std::uint8_t>(0x80u >> (i & 7));
    }
  }
  if (blip_) {
    // Flips at gaps drawn from the geometric distribution: as many draws as flips, not bits.
    internal::SplitMix64 rng(blip_seed);
    std::size_t i = 0;
    for (;;) {
      const double u = (static_cast<double>(rng.Next() >> 11) + 0.5) * 0x1.0p-53;
      const double gap = std::floor(std::log(u) / log_keep_);
      if (gap >= static_cast<double>(out_n - i)) break;
      i += static_cast<std::size_t>(gap);
      out[i >> 3] ^= static_cast<std::uint8_t>(0x80u >> (i & 7));
      ++i;
    }
  }
}

absl::StatusOr<RecordSeeder> RecordSeeder::Create(std::string_view key) {
  RecordSeeder s;
  BLOOMLINK_ASSIGN_OR_RETURN(s.context_, NewHmacSha256(key));
  return s;
}

absl::StatusOr<RecordSeeder> RecordSeeder::Clone() const {
  RecordSeeder s;
  BLOOMLINK_ASSIGN_OR_RETURN(s.context_, DupMac(context_));
  return s;
}

std::uint64_t RecordSeeder::Seed(std::string_view material) {
  std::uint8_t mac[32];
  HmacSha256(context_.get(), material, mac);
  std::uint64_t seed = 0;
  std::memcpy(&seed, mac, 8);
  return seed;
}

std::uint64_t BlipSeed(std::uint64_t record_seed, std::size_t filter) {
  return internal::Mix64(record_seed ^ internal::Mix64(internal::kGoldenGamma * (filter + 1)));
}

}  // namespace bloomlink::encode_internal
