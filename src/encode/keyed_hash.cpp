#include "bloomlink/encode/keyed_hash.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "bloomlink/base64.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::encode {
namespace {

using internal::StrCat;

constexpr std::string_view kKeyCheckSalt = "bloomlink/key-check/v1";
constexpr std::string_view kKeyCheckLabel = "bloomlink key check value v1";

}  // namespace

FieldKeys::~FieldKeys() {
  for (std::string& k : keys) OPENSSL_cleanse(k.data(), k.size());
}

absl::StatusOr<std::string> Hkdf(HkdfHash hash, std::span<const std::uint8_t> secret,
                                 std::string_view salt, std::string_view info, std::size_t length) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return absl::InternalError("OpenSSL has no HKDF");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return absl::InternalError("OpenSSL: cannot create an HKDF context");
  std::string digest_name(HkdfHashName(hash));
  OSSL_PARAM params[5];
  int n = 0;
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name.data(), 0);
  params[n++] = OSSL_PARAM_construct_octet_string(
      OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(secret.data()), secret.size());
  // An absent salt is HKDF's default (a block of zeros); OpenSSL's empty salt is the same.
  if (!salt.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                    const_cast<char*>(salt.data()), salt.size());
  }
  if (!info.empty()) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                    const_cast<char*>(info.data()), info.size());
  }
  params[n] = OSSL_PARAM_construct_end();
  std::string out(length, '\0');
  int ok = EVP_KDF_derive(ctx, reinterpret_cast<unsigned char*>(out.data()), length, params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return absl::InternalError(
        StrCat("OpenSSL HKDF-", digest_name, " failed for ", length, " bytes"));
  }
  return out;
}

absl::StatusOr<std::vector<FieldKeys>> DeriveFieldKeys(const LinkageSchema& schema,
                                                       const Secret& secret) {
  std::vector<FieldKeys> result(schema.fields.size());
  if (schema.dialect == SchemaDialect::kBloomlink) {
    std::string fingerprint = HexEncode(schema.fingerprint);
    for (std::size_t j = 0; j < schema.fields.size(); ++j) {
      auto key = Hkdf(HkdfHash::kSha256, secret.bytes(), schema.kdf.salt,
                      StrCat("bloomlink/v1/field/", fingerprint, "/", schema.fields[j].name), 32);
      if (!key.ok()) return key.status();
      result[j].keys.push_back(std::move(*key));
      if (schema.fields[j].field_filter.bits > 0) {
        // The field-level filter has its own key: its bits are unrelated to the CLK's.
        auto filter_key =
            Hkdf(HkdfHash::kSha256, secret.bytes(), schema.kdf.salt,
                 StrCat("bloomlink/v1/field-filter/", fingerprint, "/", schema.fields[j].name), 32);
        if (!filter_key.ok()) return filter_key.status();
        result[j].keys.push_back(std::move(*filter_key));
      }
    }
    return result;
  }
  const std::size_t key_size = static_cast<std::size_t>(schema.kdf.key_size);
  auto all = Hkdf(schema.kdf.hash, secret.bytes(), schema.kdf.salt, schema.kdf.info,
                  2 * schema.fields.size() * key_size);
  if (!all.ok()) return all.status();
  for (std::size_t j = 0; j < schema.fields.size(); ++j) {
    result[j].keys.push_back(all->substr(2 * j * key_size, key_size));
    result[j].keys.push_back(all->substr((2 * j + 1) * key_size, key_size));
  }
  OPENSSL_cleanse(all->data(), all->size());
  return result;
}

absl::StatusOr<std::vector<FieldKeys>> DeriveBlockingKeys(const LinkageSchema& schema,
                                                          const Secret& secret) {
  std::vector<FieldKeys> result(schema.blocking.size());
  const std::string fingerprint = HexEncode(schema.fingerprint);
  for (std::size_t r = 0; r < schema.blocking.size(); ++r) {
    auto key =
        Hkdf(HkdfHash::kSha256, secret.bytes(), schema.kdf.salt,
             StrCat("bloomlink/v1/blocking/", fingerprint, "/", schema.blocking[r].name), 32);
    if (!key.ok()) return key.status();
    result[r].keys.push_back(std::move(*key));
  }
  return result;
}

absl::StatusOr<HardeningKeys> DeriveHardeningKeys(const LinkageSchema& schema,
                                                  const Secret& secret) {
  const std::string fingerprint = HexEncode(schema.fingerprint);
  auto derive = [&](std::string_view what) {
    return Hkdf(HkdfHash::kSha256, secret.bytes(), schema.kdf.salt,
                StrCat("bloomlink/v1/harden/", fingerprint, "/", what), 32);
  };
  HardeningKeys keys;
  BLOOMLINK_ASSIGN_OR_RETURN(std::string clk, derive("clk"));
  keys.clk.keys.push_back(std::move(clk));
  BLOOMLINK_ASSIGN_OR_RETURN(std::string blip, derive("blip"));
  keys.blip.keys.push_back(std::move(blip));
  for (const FieldSpec& field : schema.fields) {
    std::string key;
    if (!field.ignored && field.field_filter.bits > 0) {
      BLOOMLINK_ASSIGN_OR_RETURN(key, derive(StrCat("field-filter/", field.name)));
    }
    keys.field_filters.keys.push_back(std::move(key));
  }
  return keys;
}

absl::StatusOr<Digest> KeyCheckValue(const Secret& secret) {
  auto key = Hkdf(HkdfHash::kSha256, secret.bytes(), kKeyCheckSalt, {}, 32);
  if (!key.ok()) return key.status();
  Digest out{};
  std::size_t out_len = 0;
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                         OSSL_PARAM_construct_end()};
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);
  bool ok = ctx != nullptr &&
            EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key->data()), key->size(),
                         params) == 1 &&
            EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(kKeyCheckLabel.data()),
                           kKeyCheckLabel.size()) == 1 &&
            EVP_MAC_final(ctx, out.data(), &out_len, out.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  OPENSSL_cleanse(key->data(), key->size());
  if (!ok || out_len != out.size()) return absl::InternalError("OpenSSL HMAC-SHA256 failed");
  return out;
}

}  // namespace bloomlink::encode
