// bloomlink/encode/keyed_hash.hpp
//
// Key derivation (HKDF through OpenSSL 3's EVP_KDF) and the key check value.
//
// bloomlink schemas: field j's key is HKDF-SHA256(secret, salt = the schema's salt,
// info = "bloomlink/v1/field/" + fingerprint hex + "/" + field name), 32 bytes, used with
// HMAC-SHA256. Keys therefore differ between schemas and between fields. A field with a
// field-level filter gets a second key (info "bloomlink/v1/field-filter/..." ) for that filter.
// clkhash schemas: HKDF(secret, salt, info) of 2 x fields x keySize bytes, field j gets keys
// 2j and 2j+1 (clkhash's layout, ignored fields included).
//
// The key check value is HMAC-SHA256(HKDF-SHA256(secret, salt "bloomlink/key-check/v1"),
// "bloomlink key check value v1"): equal for equal secrets, useless for recovering the secret
// (as long as the secret is not guessable; see docs/security.md).
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/encode/secret.hpp"
#include "bloomlink/encoded_dataset.hpp"
#include "bloomlink/schema.hpp"

namespace bloomlink::encode {

// FieldKeys: the keys of one field (one for bloomlink's HMAC-SHA256, two for clkhash), wiped
// from memory when destroyed.
struct FieldKeys {
  std::vector<std::string> keys;
  FieldKeys() = default;
  FieldKeys(const FieldKeys&) = default;
  FieldKeys(FieldKeys&&) = default;
  FieldKeys& operator=(const FieldKeys&) = default;
  FieldKeys& operator=(FieldKeys&&) = default;
  ~FieldKeys();
};

// DeriveFieldKeys(schema, secret): one FieldKeys per schema field (ignored fields included).
absl::StatusOr<std::vector<FieldKeys>> DeriveFieldKeys(const LinkageSchema& schema,
                                                       const Secret& secret);

// DeriveBlockingKeys(schema, secret): one key per blocking rule of a bloomlink schema,
// HKDF-SHA256(secret, salt = the schema's salt, info = "bloomlink/v1/blocking/" + fingerprint hex
// + "/" + rule name), 32 bytes, for HMAC-SHA256 (bloomlink/blocking_keys.hpp).
absl::StatusOr<std::vector<FieldKeys>> DeriveBlockingKeys(const LinkageSchema& schema,
                                                          const Secret& secret);

// HardeningKeys: the keys of a schema's hardening (bloomlink/schema.hpp, Hardening), each
// HKDF-SHA256(secret, salt = the schema's salt, info = "bloomlink/v1/harden/" + fingerprint hex
// + "/" + what), 32 bytes: what is "clk", "field-filter/" + field name, or "blip" (the key of the
// per-record seeds of BLIP's flips). Wiped from memory when destroyed.
struct HardeningKeys {
  FieldKeys clk;            // one key
  FieldKeys blip;           // one key
  FieldKeys field_filters;  // one per schema field ("" for a field without a filter)
};

// DeriveHardeningKeys(schema, secret): the keys of a bloomlink schema's hardening.
absl::StatusOr<HardeningKeys> DeriveHardeningKeys(const LinkageSchema& schema,
                                                  const Secret& secret);

// KeyCheckValue(secret): see the file comment.
absl::StatusOr<Digest> KeyCheckValue(const Secret& secret);

// Hkdf(hash, secret, salt, info, length): HKDF (RFC 5869) extract-and-expand.
absl::StatusOr<std::string> Hkdf(HkdfHash hash, std::span<const std::uint8_t> secret,
                                 std::string_view salt, std::string_view info, std::size_t length);

}  // namespace bloomlink::encode
