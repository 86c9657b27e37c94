#include "encode/field_hasher.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <cstring>

#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::encode_internal {
namespace {

using internal::StrCat;

std::uint64_t Load64Le(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // x86-64 is little-endian
}

// BigEndianMod(bytes, m): the bytes read as one big-endian integer, modulo m (m < 2^32).
std::uint32_t BigEndianMod(const std::uint8_t* bytes, std::size_t n, std::uint32_t m) {
  std::uint64_t r = 0;
  for (std::size_t i = 0; i < n; ++i) r = ((r << 8) | bytes[i]) % m;
  return static_cast<std::uint32_t>(r);
}

absl::StatusOr<std::shared_ptr<EVP_MAC_CTX>> NewMac(const char* algorithm, const char* digest,
                                                    std::string_view key,
                                                    std::string_view salt = {}) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, algorithm, nullptr);
  if (mac == nullptr) return absl::InternalError(StrCat("OpenSSL has no ", algorithm));
  std::shared_ptr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(mac), EVP_MAC_CTX_free);
  EVP_MAC_free(mac);
  if (!ctx) return absl::InternalError(StrCat("OpenSSL: cannot create a ", algorithm, " context"));
  OSSL_PARAM params[3];
  int n = 0;
  std::string digest_name = digest ? digest : "";
  std::size_t size = 64;
  if (digest != nullptr) {
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name.data(), 0);
  } else {
    // BLAKE2b: 64-byte output; Python's blake2b pads a short salt with zeros, so does OpenSSL.
    params[n++] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_SALT,
                                                    const_cast<char*>(salt.data()), salt.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    return absl::InternalError(StrCat("OpenSSL: cannot key ", algorithm));
  }
  return ctx;
}

}  // namespace

absl::StatusOr<MacContext> NewHmacSha256(std::string_view key) {
  BLOOMLINK_ASSIGN_OR_RETURN(std::shared_ptr<EVP_MAC_CTX> shared, NewMac("HMAC", "SHA256", key));
  MacContext ctx(EVP_MAC_CTX_dup(shared.get()));
  if (!ctx) return absl::InternalError("OpenSSL: cannot copy a MAC context");
  return ctx;
}

absl::StatusOr<MacContext> DupMac(const MacContext& ctx) {
  MacContext dup(EVP_MAC_CTX_dup(ctx.get()));
  if (!dup) return absl::InternalError("OpenSSL: cannot copy a MAC context");
  return dup;
}

void HmacSha256(EVP_MAC_CTX* ctx, std::string_view data, std::uint8_t out[32]) {
  std::size_t len = 0;
  // A NULL key re-initialises with the key already set up.
  EVP_MAC_init(ctx, nullptr, 0, nullptr);
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  EVP_MAC_final(ctx, out, &len, 32);
}

namespace {

void AppendUtf16Le(std::string& out, char32_t c) {
  auto unit = [&](std::uint16_t u) {
    out.push_back(static_cast<char>(u & 0xFF));
    out.push_back(static_cast<char>(u >> 8));
  };
  if (c < 0x10000) {
    unit(static_cast<std::uint16_t>(c));
  } else {
    c -= 0x10000;
    unit(static_cast<std::uint16_t>(0xD800 + (c >> 10)));
    unit(static_cast<std::uint16_t>(0xDC00 + (c & 0x3FF)));
  }
}

// DecodeUtf8(s, i): the code point at byte i (the input is valid UTF-8), advancing i.
char32_t DecodeUtf8(std::string_view s, std::size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    ++i;
    return c;
  }
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  char32_t cp = c & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

TokenCache::TokenCache(std::size_t value_bytes, std::size_t capacity)
    : entry_bytes_(32 + value_bytes), value_bytes_(value_bytes), mask_(capacity - 1) {
  slots_.assign(capacity * entry_bytes_, 0);
  for (std::size_t i = 0; i < capacity; ++i) slots_[i * entry_bytes_] = kEmptySlot;
}

TokenCache::~TokenCache() { OPENSSL_cleanse(slots_.data(), slots_.size()); }

void TokenCache::Insert(const Key& key, const std::uint8_t* value) {
  if (!key.cacheable) return;
  if (count_ + 1 > (mask_ + 1) / 2) {
    for (std::size_t i = 0; i <= mask_; ++i) slots_[i * entry_bytes_] = kEmptySlot;
    count_ = 0;
  }
  std::size_t slot = key.hash & mask_;
  while (slots_[slot * entry_bytes_] != kEmptySlot) slot = (slot + 1) & mask_;
  std::uint8_t* e = slots_.data() + slot * entry_bytes_;
  std::memcpy(e, key.bytes, 32);
  std::memcpy(e + 32, value, value_bytes_);
  ++count_;
}

// ---------------------------------------------------------------------------------------------

absl::StatusOr<FieldHashTemplate> FieldHashTemplate::Create(const FieldSpec& spec,
                                                            const FieldKeys& keys,
                                                            std::uint32_t hash_bits) {
  FieldHashTemplate t;
  t.scheme_ = spec.hash.scheme;
  t.prevent_singularity_ = spec.hash.prevent_singularity;
  t.encoding_ = spec.hash.encoding;
  t.hash_bits_ = hash_bits;
  switch (spec.hash.scheme) {
    case HashScheme::kHmacSha256Double: {
      auto ctx = NewMac("HMAC", "SHA256", keys.keys.at(0));
      if (!ctx.ok()) return ctx.status();
      t.contexts_.push_back(*ctx);
      break;
    }
    case HashScheme::kClkhashDouble: {
      auto sha1 = NewMac("HMAC", "SHA1", keys.keys.at(0));
      if (!sha1.ok()) return sha1.status();
      auto md5 = NewMac("HMAC", "MD5", keys.keys.at(1));
      if (!md5.ok()) return md5.status();
      t.contexts_.push_back(*sha1);
      t.contexts_.push_back(*md5);
      break;
    }
    case HashScheme::kClkhashBlake2b: {
      if (keys.keys.at(0).size() > 64) {
        return absl::InvalidArgumentError(
            StrCat("field ", spec.name, ": blakeHash needs keySize <= 64 (BLAKE2b's key limit)"));
      }
      // The most bits one token can get: bitsPerToken, or bitsPerFeature for a one-token value.
      int max_k = spec.bits.count;
      int macs = (max_k + 31) / 32;
      for (int i = 0; i < macs; ++i) {
        std::string salt = std::to_string(i);
        if (salt.size() > 16) return absl::InvalidArgumentError("too many bits per token");
        auto ctx = NewMac("BLAKE2BMAC", nullptr, keys.keys.at(0), salt);
        if (!ctx.ok()) return ctx.status();
        t.contexts_.push_back(*ctx);
      }
      break;
    }
  }
  return t;
}

absl::StatusOr<FieldHasher> FieldHasher::Create(const FieldHashTemplate& tmpl, bool use_cache) {
  FieldHasher h;
  h.scheme_ = tmpl.scheme_;
  h.prevent_singularity_ = tmpl.prevent_singularity_;
  h.encoding_ = tmpl.encoding_;
  h.hash_bits_ = tmpl.hash_bits_;
  for (const auto& ctx : tmpl.contexts_) {
    MacContext copy(EVP_MAC_CTX_dup(ctx.get()));
    if (!copy) return absl::InternalError("OpenSSL: cannot copy a MAC context");
    h.contexts_.push_back(std::move(copy));
  }
  if (use_cache) {
    std::size_t value_bytes = h.scheme_ == HashScheme::kClkhashBlake2b ? 64 : 8;
    h.cache_ = std::make_unique<TokenCache>(value_bytes,
                                            h.scheme_ == HashScheme::kClkhashBlake2b ? 4096 : 8192);
  }
  h.scratch_.reserve(256);
  h.salted_.reserve(64);
  h.singular_.reserve(256);
  return h;
}

std::string_view FieldHasher::EncodeToken(std::string_view token) {
  if (encoding_ == TextEncoding::kUtf8 || encoding_ == TextEncoding::kAscii) return token;
  scratch_.clear();
  if (encoding_ == TextEncoding::kUtf16) {
    scratch_.append("\xFF\xFE", 2);  // Python's utf-16 codec: a BOM before every string
    for (std::size_t i = 0; i < token.size();) AppendUtf16Le(scratch_, DecodeUtf8(token, i));
  } else {
    scratch_.append("\xFF\xFE\x00\x00", 4);
    for (std::size_t i = 0; i < token.size();) {
      char32_t c = DecodeUtf8(token, i);
      for (int b = 0; b < 4; ++b) scratch_.push_back(static_cast<char>((c >> (8 * b)) & 0xFF));
    }
  }
  return scratch_;
}

void FieldHasher::MacInto(std::size_t context, std::string_view data, std::uint8_t* out) {
  EVP_MAC_CTX* ctx = contexts_[context].get();
  std::size_t out_len = 0;
  // A NULL key re-initialises with the key (and, for BLAKE2b, salt) already set up.
  EVP_MAC_init(ctx, nullptr, 0, nullptr);
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  EVP_MAC_final(ctx, out, &out_len, 64);
  ++mac_calls_;
}

void FieldHasher::Insert(std::string_view token, int k, std::uint8_t* filter) {
  std::string_view bytes = EncodeToken(token);
  switch (scheme_) {
    case HashScheme::kHmacSha256Double:
      InsertDouble(bytes, k, filter);
      return;
    case HashScheme::kClkhashDouble:
      InsertClkhashDouble(bytes, k, filter);
      return;
    case HashScheme::kClkhashBlake2b:
      InsertBlake(bytes, k, filter);
      return;
  }
}

template <typename Compute>
void FieldHasher::CachedPair(std::string_view bytes, Compute compute, std::uint32_t out[2]) {
  if (!cache_) {
    compute(bytes, out);
    return;
  }
  TokenCache::Key key;
  TokenCache::MakeKey(bytes, &key);
  const std::uint8_t* cached = key.cacheable ? cache_->Find(key) : nullptr;
  if (cached != nullptr) {
    std::memcpy(out, cached, 8);
    ++cache_->hits;
    return;
  }
  compute(bytes, out);
  cache_->Insert(key, reinterpret_cast<const std::uint8_t*>(out));
  ++cache_->misses;
}

// bloomlink: HMAC-SHA256, h1 and h2 from its first 16 bytes, enhanced double hashing
// (x += y; y += i, both mod L), which avoids the short cycles of plain double hashing.
void FieldHasher::InsertDouble(std::string_view bytes, int k, std::uint8_t* filter) {
  const std::uint32_t m = hash_bits_;
  std::uint32_t hv[2];
  CachedPair(
      bytes,
      [&](std::string_view token, std::uint32_t* v) {
        std::uint8_t mac[64];
        MacInto(0, token, mac);
        v[0] = static_cast<std::uint32_t>(Load64Le(mac) % m);
        v[1] = static_cast<std::uint32_t>(Load64Le(mac + 8) % m);
        OPENSSL_cleanse(mac, sizeof mac);
      },
      hv);
  std::uint32_t x = hv[0], y = hv[1];
  if ((m & (m - 1)) == 0) {
    // A power-of-two length (1024, 2048): the reductions are masks.
    const std::uint32_t mask = m - 1;
    for (int i = 0; i < k; ++i) {
      SetFilterBit(filter, x);
      x = (x + y) & mask;
      y = (y + static_cast<std::uint32_t>(i) + 1) & mask;
    }
    return;
  }
  // Both stay below m, so each step needs a compare, never a division.
  for (int i = 0; i < k; ++i) {
    SetFilterBit(filter, x);
    x += y;
    if (x >= m) x -= m;
    std::uint32_t increment = static_cast<std::uint32_t>(i + 1);
    if (increment >= m) increment %= m;  // only when k > m
    y += increment;
    if (y >= m) y -= m;
  }
}

// clkhash doubleHash: g_i = (HMAC-SHA1 mod L + i * HMAC-MD5 mod L) mod L, both digests read as
// big-endian integers; with prevent_singularity a zero step is re-drawn from token + chr(i).
void FieldHasher::InsertClkhashDouble(std::string_view bytes, int k, std::uint8_t* filter) {
  const std::uint32_t m = hash_bits_;
  std::uint32_t hv[2];
  CachedPair(
      bytes,
      [&](std::string_view token, std::uint32_t* v) {
        std::uint8_t mac[64];
        MacInto(0, token, mac);
        v[0] = BigEndianMod(mac, 20, m);
        MacInto(1, token, mac);
        v[1] = BigEndianMod(mac, 16, m);
        if (prevent_singularity_) {
          for (std::uint32_t i = 0; v[1] == 0; ++i) {
            singular_.assign(token);
            // chr(i).encode(): the UTF-8 form of code point i.
            if (i < 0x80) {
              singular_.push_back(static_cast<char>(i));
            } else if (i < 0x800) {
              singular_.push_back(static_cast<char>(0xC0 | (i >> 6)));
              singular_.push_back(static_cast<char>(0x80 | (i & 0x3F)));
            } else {
              singular_.push_back(static_cast<char>(0xE0 | (i >> 12)));
              singular_.push_back(static_cast<char>(0x80 | ((i >> 6) & 0x3F)));
              singular_.push_back(static_cast<char>(0x80 | (i & 0x3F)));
            }
            MacInto(1, singular_, mac);
            v[1] = BigEndianMod(mac, 16, m);
          }
        }
        OPENSSL_cleanse(mac, sizeof mac);
      },
      hv);
  // (h1 + i * h2) mod m, stepped: both below m, so a compare replaces the division.
  std::uint32_t x = hv[0];
  for (int i = 0; i < k; ++i) {
    SetFilterBit(filter, x);
    x += hv[1];
    if (x >= m) x -= m;
  }
}

// clkhash blakeHash: BLAKE2b-512 keyed with the field key, salt str(i) for the i-th 32 indices;
// the digest is 32 little-endian uint16 values, each taken mod L (L a power of two).
void FieldHasher::InsertBlake(std::string_view bytes, int k, std::uint8_t* filter) {
  const std::uint32_t mask = hash_bits_ - 1;
  int macs = (k + 31) / 32;
  for (int i = 0; i < macs; ++i) {
    std::uint8_t digest[64];
    const std::uint8_t* d = nullptr;
    TokenCache::Key key;
    key.cacheable = false;
    if (cache_) {
      salted_.assign(bytes);
      salted_.push_back(static_cast<char>(i));
      TokenCache::MakeKey(salted_, &key);
      if (key.cacheable) d = cache_->Find(key);
    }
    if (d != nullptr) {
      ++cache_->hits;
    } else {
      MacInto(static_cast<std::size_t>(i), bytes, digest);
      d = digest;
      if (key.cacheable) {
        cache_->Insert(key, digest);
        ++cache_->misses;
      }
    }
    int n = std::min(32, k - 32 * i);
    for (int j = 0; j < n; ++j) {
      std::uint32_t v =
          static_cast<std::uint32_t>(d[2 * j]) | (static_cast<std::uint32_t>(d[2 * j + 1]) << 8);
      SetFilterBit(filter, v & mask);
    }
    OPENSSL_cleanse(digest, sizeof digest);
  }
}

}  // namespace bloomlink::encode_internal
