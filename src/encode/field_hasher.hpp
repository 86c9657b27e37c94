// Internal: turning a field's tokens into filter bits with its keyed hash.
//
// A FieldHashTemplate is made once per field from the field's keys: OpenSSL MAC contexts keyed
// once (HMAC pads and BLAKE2b parameters are set up here, not per token). Each encoding thread
// gets its own FieldHasher from the template (EVP_MAC_CTX_dup), with its own token cache: the
// keyed hash of a token is a pure function of the token, so remembering recent ones changes
// nothing in the output and saves most MAC calls on real data (names and dates repeat).
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/encode/keyed_hash.hpp"
#include "bloomlink/schema.hpp"

namespace bloomlink::encode_internal {

using encode::FieldKeys;

// MacContext: an owned EVP_MAC_CTX.
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacContext = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

// NewHmacSha256(key): an HMAC-SHA256 context keyed once; DupMac(ctx) a copy for another thread.
absl::StatusOr<MacContext> NewHmacSha256(std::string_view key);
absl::StatusOr<MacContext> DupMac(const MacContext& ctx);
// HmacSha256(ctx, data, out): the 32-byte MAC of `data` under the context's key.
void HmacSha256(EVP_MAC_CTX* ctx, std::string_view data, std::uint8_t out[32]);

// TokenCache: a fixed-capacity open-addressing map from short byte strings to a fixed-size value.
// Tokens longer than kMaxKey bytes are not cached. When it fills up it is cleared: hits are an
// optimisation only. Memory is wiped when the cache is destroyed.
class TokenCache {
 public:
  static constexpr std::size_t kMaxKey = 31;

  // Key: a token as the cache stores it, [length, bytes, zero padding] in 32 bytes, so that a
  // slot compares with two vector loads instead of a memcmp call.
  struct Key {
    alignas(16) std::uint8_t bytes[32];
    std::uint64_t hash;
    bool cacheable;
  };
  static void MakeKey(std::string_view token, Key* key) {
    key->cacheable = token.size() <= kMaxKey;
    if (!key->cacheable) return;
    std::memset(key->bytes, 0, sizeof key->bytes);
    key->bytes[0] = static_cast<std::uint8_t>(token.size());
    std::memcpy(key->bytes + 1, token.data(), token.size());
    // A small multiplicative hash over the padded key; quality only affects speed.
    std::uint64_t a, b, c, d;
    std::memcpy(&a, key->bytes, 8);
    std::memcpy(&b, key->bytes + 8, 8);
    std::memcpy(&c, key->bytes + 16, 8);
    std::memcpy(&d, key->bytes + 24, 8);
    std::uint64_t h = (a ^ 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 29) ^ b) * 0x94D049BB133111EBull;
    h = (h ^ (h >> 31) ^ c ^ (d << 7)) * 0xBF58476D1CE4E5B9ull;
    key->hash = h ^ (h >> 32);
  }

  TokenCache(std::size_t value_bytes, std::size_t capacity);
  ~TokenCache();
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  // Find(key) returns the cached value or nullptr.
  const std::uint8_t* Find(const Key& key) const {
    for (std::size_t slot = key.hash & mask_;; slot = (slot + 1) & mask_) {
      const std::uint8_t* e = slots_.data() + slot * entry_bytes_;
      if (e[0] == kEmptySlot) return nullptr;
      if (std::memcmp(e, key.bytes, 32) == 0) return e + 32;
    }
  }
  // Insert(key, value) stores a copy of the value's bytes.
  void Insert(const Key& key, const std::uint8_t* value);

  std::uint64_t hits = 0, misses = 0;

 private:
  static constexpr std::uint8_t kEmptySlot = 0xFF;
  std::size_t entry_bytes_;
  std::size_t value_bytes_;
  std::size_t mask_;
  std::size_t count_ = 0;
  std::vector<std::uint8_t> slots_;  // per slot: Key::bytes (length 0xFF = empty), then the value
};

// FieldHashTemplate: per-field keyed MAC contexts, shared read-only by the threads.
class FieldHashTemplate {
 public:
  // Create(spec, keys, hash_bits): hash_bits is the length the indices range over (clkhash: l
  // times 2^xor_folds).
  static absl::StatusOr<FieldHashTemplate> Create(const FieldSpec& spec, const FieldKeys& keys,
                                                  std::uint32_t hash_bits);

  HashScheme scheme() const { return scheme_; }

 private:
  friend class FieldHasher;
  HashScheme scheme_ = HashScheme::kHmacSha256Double;
  bool prevent_singularity_ = false;
  TextEncoding encoding_ = TextEncoding::kUtf8;
  std::uint32_t hash_bits_ = 0;
  // kHmacSha256Double: [HMAC-SHA256]; kClkhashDouble: [HMAC-SHA1, HMAC-MD5];
  // kClkhashBlake2b: one BLAKE2b context per salt "0", "1", ... up to the most any token needs.
  std::vector<std::shared_ptr<EVP_MAC_CTX>> contexts_;
};

// FieldHasher: one thread's hasher for one field.
class FieldHasher {
 public:
  // FieldHasher(tmpl, use_cache): duplicates the template's contexts.
  static absl::StatusOr<FieldHasher> Create(const FieldHashTemplate& tmpl, bool use_cache);

  // Insert(token, k, filter) sets the k bits of `token` (UTF-8) in `filter`, a byte array of
  // hash_bits bits in clkhash bit order.
  void Insert(std::string_view token, int k, std::uint8_t* filter);

  // TakeCounters(macs, hits) adds the MAC calls and cache hits since the last call.
  void TakeCounters(std::uint64_t* macs, std::uint64_t* hits) {
    *macs += mac_calls_;
    mac_calls_ = 0;
    if (cache_) {
      *hits += cache_->hits;
      cache_->hits = cache_->misses = 0;
    }
  }

 private:
  FieldHasher() = default;
  std::string_view EncodeToken(std::string_view token);
  void MacInto(std::size_t context, std::string_view data, std::uint8_t* out);
  // CachedPair(bytes, compute, out): the two 32-bit hash values of a token, from the cache or
  // from compute(bytes, out) (then cached).
  template <typename Compute>
  void CachedPair(std::string_view bytes, Compute compute, std::uint32_t out[2]);
  void InsertDouble(std::string_view bytes, int k, std::uint8_t* filter);
  void InsertClkhashDouble(std::string_view bytes, int k, std::uint8_t* filter);
  void InsertBlake(std::string_view bytes, int k, std::uint8_t* filter);

  HashScheme scheme_ = HashScheme::kHmacSha256Double;
  bool prevent_singularity_ = false;
  TextEncoding encoding_ = TextEncoding::kUtf8;
  std::uint32_t hash_bits_ = 0;
  std::vector<MacContext> contexts_;
  std::unique_ptr<TokenCache> cache_;
  std::string scratch_;   // token re-encoded (UTF-16/32)
  std::string salted_;    // token + salt index (BLAKE2b cache key)
  std::string singular_;  // token + chr(i) for prevent_singularity
  std::uint64_t mac_calls_ = 0;
};

inline void SetFilterBit(std::uint8_t* filter, std::uint32_t bit) {
  filter[bit >> 3] |= static_cast<std::uint8_t>(0x80u >> (bit & 7));
}

}  // namespace bloomlink::encode_internal
