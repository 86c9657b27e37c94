// bloomlink/schema.hpp
//
// LinkageSchema: the contract between the parties of a linkage. Every data holder encodes with
// the same schema and secret; the encoded file carries the schema's fingerprint so the linkage
// unit can refuse to compare encodings made with different schemas.
//
// Two dialects are read:
//  - bloomlink's own versioned JSON schema (docs/schema.md), whose fields name a UK identifier
//    type (name, date, sex, postcode, nhs_number, text) cleaned by the UK pack before tokenising,
//    hashed with HMAC-SHA256 double hashing under per-field HKDF-SHA256 keys;
//  - clkhash v2 and v3 linkage schemas, reproduced bit for bit (values used as they are, clkhash's
//    formats, tokenisers and hash functions), so that bloomlink can stand in for clkhash 0.18.3.
//
//   absl::StatusOr<LinkageSchema> schema = LoadSchema("schema.json");
//   if (!schema.ok()) return schema.status();
//   for (const FieldSpec& f : schema->fields) ...;
//   std::string fp = HexEncode(schema->fingerprint);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/encode/normalise.hpp"
#include "bloomlink/encoded_dataset.hpp"

namespace bloomlink {

enum class SchemaDialect { kBloomlink, kClkhashV2, kClkhashV3 };

// FieldKind: how a raw value becomes the string that is tokenised.
enum class FieldKind {
  // bloomlink types: cleaned by the UK pack (bloomlink/encode/normalise.hpp).
  kText,
  kName,
  kDate,
  kSex,
  kPostcode,
  kNhsNumber,
  // clkhash formats: validated, then used as they are (integers rewritten as str(int(v)), dates
  // parsed with their strptime format and rewritten as %Y%m%d).
  kClkString,
  kClkInteger,
  kClkDate,
  kClkEnum,
};

enum class TokenKind {
  kQgram,            // q-grams over code points, optionally padded with q-1 spaces each side
  kPositionalQgram,  // "<1-based position> <q-gram>" tokens
  kExact,            // the whole value as one token
  kNumeric,          // clkhash numeric neighbourhood tokens
};

struct TokenSpec {
  TokenKind kind = TokenKind::kQgram;
  int q = 2;
  bool padded = true;
  // kNumeric (clkhash): tokens are multiples of distance_interval around the quantised value.
  double threshold_distance = 0;
  int resolution = 0;
  int fractional_precision = 0;
  std::int64_t distance_interval = 0;  // round(threshold_distance * 10^fractional_precision)
};

// HashScheme: how a token becomes bit indices.
enum class HashScheme {
  kHmacSha256Double,  // bloomlink: HMAC-SHA256, enhanced double hashing over the filter length
  kClkhashBlake2b,    // clkhash blakeHash: keyed BLAKE2b-512 with salts "0", "1", ...
  kClkhashDouble,     // clkhash doubleHash: HMAC-SHA1 + HMAC-MD5 double hashing
};

// TextEncoding: how a token's characters become the bytes that are hashed (clkhash's Python
// codecs; bloomlink always uses UTF-8). UTF-16/32 put a byte-order mark before every token.
enum class TextEncoding { kUtf8, kAscii, kUtf16, kUtf32 };

struct HashSpec {
  HashScheme scheme = HashScheme::kHmacSha256Double;
  bool prevent_singularity = false;  // clkhash doubleHash option
  TextEncoding encoding = TextEncoding::kUtf8;
};

// BitsSpec: k bits per token, or `count` bits for the whole field shared out over its tokens
// (the first count % tokens tokens get one more, as clkhash does).
struct BitsSpec {
  bool per_field = false;
  int count = 0;
};

// MissingSpec: raw values that mean "missing". For clkhash schemas there is one sentinel and an
// optional replacement, and a sentinel without replaceWith is hashed as it is (clkhash's rule).
struct MissingSpec {
  std::vector<std::string> values;
  std::optional<std::string> replace_with;
};

// LetterCase: a clkhash string format's "case" rule.
enum class LetterCase { kMixed, kUpper, kLower };

// ClkhashFormat: the validation rules of a clkhash field format. Values that fail validation are
// treated as missing and counted (clkhash would refuse the whole file).
struct ClkhashFormat {
  std::string pattern;  // string: full-match regular expression (empty: none)
  LetterCase letter_case = LetterCase::kMixed;  // string
  std::int64_t min_length = 0;                  // string: in code points
  std::optional<std::int64_t> max_length;
  std::optional<std::int64_t> minimum, maximum;  // integer
  std::string date_format;                       // date: strptime format
  std::vector<std::string> enum_values;          // enum
};

// FieldFilterSpec: a field-level Bloom filter kept beside the CLK, for probabilistic
// (Fellegi-Sunter) scoring field by field (bloomlink schemas only; see docs/security.md for why
// such filters must only go to a trusted linkage unit). bits == 0: none.
struct FieldFilterSpec {
  std::uint32_t bits = 0;
  BitsSpec tokens;  // bits per token, or per field shared out over the tokens
};

struct FieldSpec {
  std::string name;    // the field's identifier (schema-unique)
  std::string column;  // the CSV header column the value comes from
  bool ignored = false;
  FieldKind kind = FieldKind::kText;
  bool drop_punctuation = false;         // kText
  int min_year = 1880, max_year = 2100;  // kDate
  ClkhashFormat clkhash;
  TokenSpec tokens;
  BitsSpec bits;
  HashSpec hash;
  MissingSpec missing;
  FieldFilterSpec field_filter;
};

// KdfSpec: HKDF parameters. bloomlink derives one 32-byte key per field; clkhash derives
// 2 x fields x key_size bytes and gives field j keys 2j and 2j+1.
// HkdfHash: the hash function HKDF runs on.
enum class HkdfHash { kSha256, kSha512 };

struct KdfSpec {
  HkdfHash hash = HkdfHash::kSha256;
  std::string salt;   // raw bytes (empty: none)
  std::string info;   // raw bytes
  int key_size = 64;  // clkhash only
};

// BlockingTransform: the part of a field's clean value (docs/schema.md, Cleaning) that a
// blocking rule uses. Each applies to some field types only (BlockingTransformApplies).
enum class BlockingTransform {
  kValue,     // the whole clean value (any type)
  kSoundex,   // American Soundex of the value's letters, e.g. "R163" (name, text)
  kInitial,   // the first character (name, text)
  kYear,      // YYYY of YYYYMMDD (date)
  kMonth,     // MM of YYYYMMDD (date)
  kDistrict,  // the outward code, e.g. "SW1A" of SW1A1AA (postcode)
  kArea,      // the outward code's letters, e.g. "SW" (postcode)
};

// BlockingPart: one field's contribution to a blocking key. field indexes LinkageSchema::fields.
struct BlockingPart {
  std::size_t field = 0;
  BlockingTransform transform = BlockingTransform::kValue;
};

// BlockingRule: a keyed blocking token per record (bloomlink/blocking_keys.hpp): the HMAC, under
// the rule's own key, of its parts' values; a record with any part missing has no token for the
// rule. Records that share a token are compared (`link --blocking keys`).
struct BlockingRule {
  std::string name;
  std::vector<BlockingPart> parts;
};

// FilterHardening: transforms applied to an encoded filter after hashing, in this order
// (docs/schema.md, Hardening; what each protects against: docs/security.md). Keys are derived from
// the secret (bloomlink/encode/keyed_hash.hpp), so a linkage unit cannot undo them.
struct FilterHardening {
  // xor_folds: the filter is hashed over bits << xor_folds and folded in half that many times
  // (each half XORed onto the other), as clkhash's xorFolds.
  int xor_folds = 0;
  // rule90: bit i becomes bit i-1 XOR bit i+1 (cyclic), Rule 90 of the elementary automata.
  bool rule90 = false;
  // diffusion_taps: when > 0, output bit j is the XOR of this many input positions chosen under a
  // key (Armknecht et al. 2023); the length is unchanged.
  int diffusion_taps = 0;
  // balance: the filter followed by its complement, then permuted under a key: twice as long,
  // and every record has exactly half its bits set.
  bool balance = false;
  // blip: each bit flipped with this probability, by a keyed generator seeded with the record's
  // clean values (a re-encode gives the same flips; equal records get equal flips).
  double blip = 0;

  bool any() const { return xor_folds > 0 || rule90 || diffusion_taps > 0 || balance || blip > 0; }
  // EncodedBits(bits): the encoded length of a filter of `bits` bits (before balancing).
  std::uint32_t EncodedBits(std::uint32_t bits) const { return balance ? 2 * bits : bits; }
};

// SaltSpec: the tokens of `fields` hashed together with the clean value of `with` (its parts'
// values, as a blocking rule reads them), so that equal tokens of records that differ there set
// different bits. A record without a salt value is salted with the empty value.
struct SaltSpec {
  std::vector<std::size_t> fields;  // indices into LinkageSchema::fields
  std::vector<BlockingPart> with;
};

// Hardening: the schema's "hardening" section (bloomlink schemas only; clkhash's xorFolds is
// LinkageSchema::xor_folds). It is part of the fingerprint.
struct Hardening {
  std::vector<SaltSpec> salts;
  FilterHardening clk;            // clk.xor_folds mirrors LinkageSchema::xor_folds
  FilterHardening field_filters;  // every field-level filter
  bool any() const { return !salts.empty() || clk.any() || field_filters.any(); }
};

struct LinkageSchema {
  SchemaDialect dialect = SchemaDialect::kBloomlink;
  int version = 1;  // of the dialect's schema format
  // filter_bits is the length of the encoded filter (clkhash's l); hashing happens over
  // filter_bits << xor_folds bits and is folded down.
  std::uint32_t filter_bits = 1024;
  int xor_folds = 0;
  KdfSpec kdf;
  std::vector<FieldSpec> fields;
  // blocking: the keyed blocking rules (bloomlink schemas only; none by default).
  std::vector<BlockingRule> blocking;
  Hardening hardening;
  // canonical_json is the schema in canonical form (every default filled in, keys sorted, no
  // white space, descriptions dropped); fingerprint is its SHA-256.
  std::string canonical_json;
  Digest fingerprint{};
  // Notes about the schema that a user should see but that do not stop encoding (e.g. a clkhash
  // key that clkhash itself ignores).
  std::vector<std::string> warnings;

  // encoded_bits(): the length of an encoded CLK (filter_bits, doubled by balancing).
  std::uint32_t encoded_bits() const { return hardening.clk.EncodedBits(filter_bits); }
  // field_filter_encoded_bits(field): the length of a field's encoded field-level filter.
  std::uint32_t field_filter_encoded_bits(const FieldSpec& field) const {
    return hardening.field_filters.EncodedBits(field.field_filter.bits);
  }
};

// IdentifierType: a bloomlink field type ("type": "postcode"): its kind, the name schemas give
// it, its default tokens and bits, and its cleaner (bloomlink/encode/normalise.hpp), called with
// the field's options. Adding an identifier type is a FieldKind and an entry of this table.
struct IdentifierType {
  FieldKind kind;
  std::string_view name;
  TokenSpec tokens;
  BitsSpec bits;
  encode::CleanOutcome (*clean)(std::string_view raw, const FieldSpec& field, std::string* out);
};

// IdentifierTypes(): every bloomlink field type, in the order docs/schema.md lists them.
// IdentifierTypeOf(kind): the entry of a bloomlink kind, nullptr for a clkhash kind.
std::span<const IdentifierType> IdentifierTypes();
const IdentifierType* IdentifierTypeOf(FieldKind kind);

// Limits (docs/schema.md); filters are at most kMaxFilterBits (bloomlink/encoded_dataset.hpp).
inline constexpr std::size_t kMaxFields = 256;
inline constexpr std::size_t kMaxBlockingRules = 16;
inline constexpr std::size_t kMaxBlockingParts = 8;

// ParseSchema(json, source) parses and validates a schema of either dialect. Errors are
// InvalidArgument with the source name, the JSON path and what was expected:
//   "schema.json: fields[2].tokens.q: expected an integer 1..5, got \"two\"".
absl::StatusOr<LinkageSchema> ParseSchema(std::string_view json, std::string_view source);
// LoadSchema(path) reads the file and parses it.
absl::StatusOr<LinkageSchema> LoadSchema(const std::string& path);

// StarterOptions: which starter schema StarterSchemaJson gives.
struct StarterOptions {
  // field_filters: a field-level filter on every field (for Fellegi-Sunter), as
  // `bloomlink schema init --fs` writes.
  bool field_filters = false;
};

// StarterSchemaJson(options) is the starter schema for UK health and care data (columns
// nhs_number, given_name, family_name, date_of_birth, sex, postcode), as printed by `bloomlink
// schema init` (`--fs`: with field filters), hardened by default (docs/schema.md, Hardening).
std::string StarterSchemaJson(StarterOptions options = {});

std::string_view FieldKindName(FieldKind kind);
std::string_view TokenKindName(TokenKind kind);
std::string_view HashSchemeName(HashScheme scheme);
std::string_view DialectName(SchemaDialect dialect);
// LetterCaseName: "mixed", "upper", "lower" (clkhash's names). HkdfHashName: "SHA256", "SHA512"
// (clkhash's names, and OpenSSL's digest names).
std::string_view LetterCaseName(LetterCase rule);
std::string_view HkdfHashName(HkdfHash hash);
// BlockingTransformName: "value", "soundex", "initial", "year", "month", "district", "area".
std::string_view BlockingTransformName(BlockingTransform transform);
// BlockingTransformApplies(transform, kind): whether the transform is defined on a field type.
bool BlockingTransformApplies(BlockingTransform transform, FieldKind kind);
// BlockingPartText(schema, part): the part as a schema writes it: "soundex(family_name)", or
// the field's name alone for the whole value.
std::string BlockingPartText(const LinkageSchema& schema, const BlockingPart& part);

// HardeningSummary(schema): the schema's hardening in one line, e.g. "salt given_name,
// family_name with year(date_of_birth); CLK: balanced; field filters: BLIP 0.05", or "none".
std::string HardeningSummary(const LinkageSchema& schema);

}  // namespace bloomlink
