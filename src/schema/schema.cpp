#include "bloomlink/schema.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "bloomlink/base64.hpp"
#include "internal/regex.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "schema/json_path.hpp"
#include "schema/strptime.hpp"

namespace bloomlink {
namespace {

using internal::StrCat;
using schema_internal::ChoiceOf;
using schema_internal::Json;
using schema_internal::JsonObject;

constexpr std::int64_t kIntMax = std::numeric_limits<std::int64_t>::max();
// An explicit limit on a clkhash pattern, far above any hand-written one (docs/schema.md, Limits).
// A shorter pattern can still be refused: PCRE2's compiled form is limited to 64 KiB (a literal
// character takes two bytes of it, a set 33).
constexpr std::size_t kMaxPatternBytes = 16384;

// ---------------------------------------------------------------------------------------------
// bloomlink's own dialect.

TokenSpec Tokens(TokenKind kind, int q = 2) {
  TokenSpec t;
  t.kind = kind;
  t.q = q;
  return t;
}

// The identifier types, with their default tokens and bits (the starter schema spells them out;
// docs/schema.md explains them) and their cleaners.
const IdentifierType kIdentifierTypes[] = {
    {FieldKind::kText,
     "text",
     Tokens(TokenKind::kQgram, 2),
     {true, 200},
     [](std::string_view raw, const FieldSpec& f, std::string* out) {
       return encode::CleanText(raw, {.drop_punctuation = f.drop_punctuation}, out);
     }},
    {FieldKind::kName,
     "name",
     Tokens(TokenKind::kQgram, 2),
     {true, 200},
     [](std::string_view raw, const FieldSpec&, std::string* out) {
       return encode::CleanName(raw, out);
     }},
    {FieldKind::kDate,
     "date",
     Tokens(TokenKind::kPositionalQgram, 1),
     {true, 160},
     [](std::string_view raw, const FieldSpec& f, std::string* out) {
       return encode::CleanDate(raw, {.min_year = f.min_year, .max_year = f.max_year}, out);
     }},
    {FieldKind::kSex,
     "sex",
     Tokens(TokenKind::kExact),
     {false, 20},
     [](std::string_view raw, const FieldSpec&, std::string* out) {
       return encode::CleanSex(raw, out);
     }},
    {FieldKind::kPostcode,
     "postcode",
     Tokens(TokenKind::kQgram, 2),
     {true, 120},
     [](std::string_view raw, const FieldSpec&, std::string* out) {
       return encode::CleanPostcode(raw, out);
     }},
    {FieldKind::kNhsNumber,
     "nhs_number",
     Tokens(TokenKind::kExact),
     {false, 80},
     [](std::string_view raw, const FieldSpec&, std::string* out) {
       return encode::CleanNhsNumber(raw, out);
     }},
};

// MissingValues(values): the form bloomlink compares raw values with (blanks trimmed, ASCII lower
// case), sorted and without repeats, so that lists meaning the same share a fingerprint.
std::vector<std::string> MissingValues(std::vector<std::string> values) {
  for (std::string& v : values) {
    std::size_t b = v.find_first_not_of(" \t\r\n\v\f");
    std::size_t e = v.find_last_not_of(" \t\r\n\v\f");
    v = b == std::string::npos ? std::string() : v.substr(b, e - b + 1);
    for (char& c : v) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

bool ValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<FieldSpec> ParseBloomlinkField(const JsonObject& f, std::uint32_t filter_bits,
                                              const std::vector<std::string>& default_missing) {
  BLOOMLINK_RETURN_IF_ERROR(f.Only({"name", "column", "type", "options", "tokens", "bits",
                                    "field_filter", "missing_values", "description"}));
  FieldSpec spec;
  BLOOMLINK_ASSIGN_OR_RETURN(spec.name, f.String("name"));
  if (!ValidFieldName(spec.name)) {
    return f.Error("name", "a name of 1..64 letters, digits, '_', '-' or '.'");
  }
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<std::string> column, f.OptionalString("column"));
  spec.column = column.value_or(spec.name);
  if (spec.column.empty()) return f.Error("column", "a non-empty column name");
  std::vector<std::string_view> type_names;
  for (const IdentifierType& t : kIdentifierTypes) type_names.push_back(t.name);
  BLOOMLINK_ASSIGN_OR_RETURN(std::string type, f.Choice("type", type_names));
  const IdentifierType* defaults = nullptr;
  for (const IdentifierType& t : kIdentifierTypes) {
    if (t.name == type) defaults = &t;
  }
  spec.kind = defaults->kind;
  spec.tokens = defaults->tokens;
  spec.bits = defaults->bits;
  spec.hash.scheme = HashScheme::kHmacSha256Double;

  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> options, f.OptionalObject("options"));
  if (options) {
    if (spec.kind == FieldKind::kText) {
      BLOOMLINK_RETURN_IF_ERROR(options->Only({"drop_punctuation"}));
      BLOOMLINK_ASSIGN_OR_RETURN(std::optional<bool> drop,
                                 options->OptionalBool("drop_punctuation"));
      spec.drop_punctuation = drop.value_or(false);
    } else if (spec.kind == FieldKind::kDate) {
      BLOOMLINK_RETURN_IF_ERROR(options->Only({"min_year", "max_year"}));
      BLOOMLINK_ASSIGN_OR_RETURN(auto min_year, options->OptionalInteger("min_year", 1, 9999));
      BLOOMLINK_ASSIGN_OR_RETURN(auto max_year, options->OptionalInteger("max_year", 1, 9999));
      spec.min_year = static_cast<int>(min_year.value_or(spec.min_year));
      spec.max_year = static_cast<int>(max_year.value_or(spec.max_year));
      if (spec.min_year > spec.max_year) {
        return options->Error("max_year", StrCat("a year >= min_year (", spec.min_year, ")"));
      }
    } else {
      BLOOMLINK_RETURN_IF_ERROR(options->Only({}));
    }
  }

  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> tokens, f.OptionalObject("tokens"));
  if (tokens) {
    BLOOMLINK_RETURN_IF_ERROR(tokens->Only({"kind", "q", "padded"}));
    BLOOMLINK_ASSIGN_OR_RETURN(std::string kind,
                               tokens->Choice("kind", {"qgram", "positional_qgram", "exact"}));
    spec.tokens = TokenSpec{};
    if (kind == "exact") {
      spec.tokens.kind = TokenKind::kExact;
      if (tokens->Has("q") || tokens->Has("padded")) {
        return tokens->Error(tokens->Has("q") ? "q" : "padded",
                             "no q or padded with kind \"exact\"");
      }
    } else {
      spec.tokens.kind = kind == "qgram" ? TokenKind::kQgram : TokenKind::kPositionalQgram;
      BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t q, tokens->Integer("q", 1, 5));
      spec.tokens.q = static_cast<int>(q);
      BLOOMLINK_ASSIGN_OR_RETURN(std::optional<bool> padded, tokens->OptionalBool("padded"));
      spec.tokens.padded = padded.value_or(true);
    }
  }

  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> bits, f.OptionalObject("bits"));
  if (bits) {
    BLOOMLINK_RETURN_IF_ERROR(bits->Only({"per_token", "per_field"}));
    if (bits->Has("per_token") == bits->Has("per_field")) {
      return absl::InvalidArgumentError(
          StrCat(bits->path(), ": expected exactly one of \"per_token\" or \"per_field\""));
    }
    if (bits->Has("per_token")) {
      BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t k, bits->Integer("per_token", 1, 256));
      spec.bits = BitsSpec{false, static_cast<int>(k)};
    } else {
      BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t n, bits->Integer("per_field", 1, filter_bits));
      spec.bits = BitsSpec{true, static_cast<int>(n)};
    }
  }

  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> field_filter,
                             f.OptionalObject("field_filter"));
  if (field_filter) {
    BLOOMLINK_RETURN_IF_ERROR(field_filter->Only({"bits", "per_token", "per_field"}));
    BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t ff_bits,
                               field_filter->Integer("bits", 64, kMaxFilterBits));
    if (ff_bits % 64 != 0) {
      return field_filter->Error("bits", StrCat("a multiple of 64 from 64 to ", kMaxFilterBits));
    }
    spec.field_filter.bits = static_cast<std::uint32_t>(ff_bits);
    if (field_filter->Has("per_token") == field_filter->Has("per_field")) {
      return absl::InvalidArgumentError(
          StrCat(field_filter->path(), ": expected exactly one of \"per_token\" or \"per_field\""));
    }
    if (field_filter->Has("per_token")) {
      BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t k, field_filter->Integer("per_token", 1, 256));
      spec.field_filter.tokens = BitsSpec{false, static_cast<int>(k)};
    } else {
      BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t n, field_filter->Integer("per_field", 1, ff_bits));
      spec.field_filter.tokens = BitsSpec{true, static_cast<int>(n)};
    }
  }

  if (f.Has("missing_values")) {
    BLOOMLINK_ASSIGN_OR_RETURN(std::vector<std::string> values, f.StringArray("missing_values"));
    spec.missing.values = MissingValues(std::move(values));
  } else {
    spec.missing.values = default_missing;
  }
  return spec;
}

constexpr BlockingTransform kBlockingTransforms[] = {
    BlockingTransform::kValue, BlockingTransform::kSoundex, BlockingTransform::kInitial,
    BlockingTransform::kYear,  BlockingTransform::kMonth,   BlockingTransform::kDistrict,
    BlockingTransform::kArea,
};

// ParseBlockingPart(text, schema, where): "field" or "transform(field)".
absl::StatusOr<BlockingPart> ParseBlockingPart(std::string_view text, const LinkageSchema& schema,
                                               std::string_view where) {
  BlockingPart part;
  std::string_view field = text;
  const std::size_t open = text.find('(');
  if (open != std::string_view::npos) {
    if (text.back() != ')') {
      return absl::InvalidArgumentError(
          StrCat(where, ": expected \"field\" or \"transform(field)\", got \"", text, "\""));
    }
    const std::string_view name = text.substr(0, open);
    field = text.substr(open + 1, text.size() - open - 2);
    bool known = false;
    std::string names;
    for (BlockingTransform t : kBlockingTransforms) {
      if (t == BlockingTransform::kValue) continue;
      names += StrCat(names.empty() ? "" : ", ", BlockingTransformName(t));
      if (BlockingTransformName(t) == name) {
        part.transform = t;
        known = true;
      }
    }
    if (!known) {
      return absl::InvalidArgumentError(
          StrCat(where, ": unknown transform \"", name, "\" (expected one of: ", names, ")"));
    }
  }
  const auto it = std::find_if(schema.fields.begin(), schema.fields.end(),
                               [&](const FieldSpec& f) { return f.name == field; });
  if (it == schema.fields.end()) {
    return absl::InvalidArgumentError(
        StrCat(where, ": \"", field, "\" is not a field of this schema"));
  }
  if (it->ignored) {
    return absl::InvalidArgumentError(StrCat(where, ": field \"", field, "\" is ignored"));
  }
  if (!BlockingTransformApplies(part.transform, it->kind)) {
    return absl::InvalidArgumentError(StrCat(where, ": ", BlockingTransformName(part.transform),
                                             " does not apply to field \"", field, "\" (type ",
                                             FieldKindName(it->kind), ")"));
  }
  part.field = static_cast<std::size_t>(it - schema.fields.begin());
  return part;
}

// ParseBlockingParts(object, key, example, schema, source): an array of 1..kMaxBlockingParts
// parts (ParseBlockingPart), as blocking rules' "on" and salts' "with" give them.
absl::StatusOr<std::vector<BlockingPart>> ParseBlockingParts(const JsonObject& object,
                                                             std::string_view key,
                                                             std::string_view example,
                                                             const LinkageSchema& schema,
                                                             std::string_view source) {
  BLOOMLINK_ASSIGN_OR_RETURN(std::vector<std::string> texts, object.StringArray(key));
  if (texts.empty() || texts.size() > kMaxBlockingParts) {
    return object.Error(key,
                        StrCat("an array of 1..", kMaxBlockingParts, " parts such as ", example));
  }
  std::vector<BlockingPart> parts;
  for (std::size_t k = 0; k < texts.size(); ++k) {
    BLOOMLINK_ASSIGN_OR_RETURN(
        BlockingPart part,
        ParseBlockingPart(texts[k], schema, StrCat(source, ": ", object.PathOf(key), "[", k, "]")));
    parts.push_back(part);
  }
  return parts;
}

// ParseBlocking: the schema's "blocking" rules, once its fields are known.
absl::Status ParseBlocking(const JsonObject& top, std::string_view source, LinkageSchema& schema) {
  const Json* rules = top.Find("blocking");
  if (rules == nullptr) return absl::OkStatus();
  if (!rules->is_array() || rules->empty() || rules->size() > kMaxBlockingRules) {
    return top.Error("blocking", StrCat("an array of 1..", kMaxBlockingRules, " blocking rules"));
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < rules->size(); ++i) {
    BLOOMLINK_ASSIGN_OR_RETURN(JsonObject r,
                               JsonObject::Open((*rules)[i], StrCat("blocking[", i, "]"), source));
    BLOOMLINK_RETURN_IF_ERROR(r.Only({"name", "on", "description"}));
    BlockingRule rule;
    BLOOMLINK_ASSIGN_OR_RETURN(rule.name, r.String("name"));
    if (!ValidFieldName(rule.name)) {
      return r.Error("name", "a name of 1..64 letters, digits, '_', '-' or '.'");
    }
    if (!names.insert(rule.name).second) {
      return r.Error("name", "a name not used by another blocking rule");
    }
    BLOOMLINK_ASSIGN_OR_RETURN(
        rule.parts,
        ParseBlockingParts(r, "on", "\"family_name\" or \"soundex(family_name)\"", schema, source));
    schema.blocking.push_back(std::move(rule));
  }
  return absl::OkStatus();
}

// kMaxXorFolds, kMaxDiffusionTaps: limits of the hardening section (docs/schema.md).
constexpr std::int64_t kMaxXorFolds = 4;
constexpr std::int64_t kMaxDiffusionTaps = 64;

// ParseFilterHardening: "clk" or "field_filters" of the hardening section; bits lists the
// (unfolded) lengths of the filters it applies to, to check the limits.
absl::StatusOr<FilterHardening> ParseFilterHardening(const JsonObject& h,
                                                     std::span<const std::uint32_t> bits) {
  BLOOMLINK_RETURN_IF_ERROR(
      h.Only({"xor_folds", "rule90", "diffusion_taps", "balance", "blip", "description"}));
  FilterHardening out;
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<std::int64_t> folds,
                             h.OptionalInteger("xor_folds", 0, kMaxXorFolds));
  out.xor_folds = static_cast<int>(folds.value_or(0));
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<bool> rule90, h.OptionalBool("rule90"));
  out.rule90 = rule90.value_or(false);
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<std::int64_t> taps,
                             h.OptionalInteger("diffusion_taps", 0, kMaxDiffusionTaps));
  out.diffusion_taps = static_cast<int>(taps.value_or(0));
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<bool> balance, h.OptionalBool("balance"));
  out.balance = balance.value_or(false);
  if (h.Has("blip")) {
    BLOOMLINK_ASSIGN_OR_RETURN(out.blip, h.Number("blip"));
    if (!(out.blip >= 0 && out.blip < 0.5)) {
      return h.Error("blip", "a flip probability from 0 to below 0.5");
    }
  }
  for (std::uint32_t b : bits) {
    if ((std::uint64_t{b} << out.xor_folds) > kMaxFilterBits) {
      return h.Error("xor_folds", StrCat("at most ", kMaxFilterBits,
                                         " bits hashed (the filter's bits x 2^xor_folds)"));
    }
    if (out.balance && 2 * std::uint64_t{b} > kMaxFilterBits) {
      return h.Error("balance", StrCat("filters of at most ", kMaxFilterBits / 2,
                                       " bits (balancing doubles them)"));
    }
  }
  return out;
}

// ParseHardening: the schema's "hardening" section, once its fields are known.
absl::Status ParseHardening(const JsonObject& top, std::string_view source, LinkageSchema& schema) {
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> h, top.OptionalObject("hardening"));
  if (!h) return absl::OkStatus();
  BLOOMLINK_RETURN_IF_ERROR(h->Only({"salt", "clk", "field_filters", "description"}));
  if (const Json* salts = h->Find("salt")) {
    if (!salts->is_array() || salts->empty() || salts->size() > schema.fields.size()) {
      return h->Error("salt",
                      "an array of salts such as {\"fields\": [\"given_name\"], "
                      "\"with\": [\"year(date_of_birth)\"]}");
    }
    std::vector<std::uint8_t> salted(schema.fields.size(), 0);
    for (std::size_t i = 0; i < salts->size(); ++i) {
      BLOOMLINK_ASSIGN_OR_RETURN(
          JsonObject e,
          JsonObject::Open((*salts)[i], StrCat(h->PathOf("salt"), "[", i, "]"), source));
      BLOOMLINK_RETURN_IF_ERROR(e.Only({"fields", "with", "description"}));
      SaltSpec salt;
      BLOOMLINK_ASSIGN_OR_RETURN(
          salt.with, ParseBlockingParts(e, "with", "\"year(date_of_birth)\"", schema, source));
      BLOOMLINK_ASSIGN_OR_RETURN(std::vector<std::string> fields, e.StringArray("fields"));
      if (fields.empty()) return e.Error("fields", "an array of field names");
      for (const std::string& name : fields) {
        const auto it = std::find_if(schema.fields.begin(), schema.fields.end(),
                                     [&](const FieldSpec& f) { return f.name == name; });
        if (it == schema.fields.end() || it->ignored) {
          return e.Error("fields", StrCat("fields of this schema (\"", name, "\" is not one)"));
        }
        const auto j = static_cast<std::size_t>(it - schema.fields.begin());
        if (salted[j])
          return e.Error("fields", StrCat("each field in one salt (\"", name, "\" is in two)"));
        for (const BlockingPart& part : salt.with) {
          if (part.field == j) {
            return e.Error("fields", StrCat("fields other than those of \"with\" (\"", name,
                                            "\" cannot be salted with its own value)"));
          }
        }
        salted[j] = 1;
        salt.fields.push_back(j);
      }
      schema.hardening.salts.push_back(std::move(salt));
    }
    // A salt is a clean value, read before the salted fields are encoded: a field that salts
    // another is not salted itself (which keeps the order of encoding simple and acyclic).
    for (const SaltSpec& salt : schema.hardening.salts) {
      for (const BlockingPart& part : salt.with) {
        if (salted[part.field]) {
          return h->Error("salt", StrCat("salts whose \"with\" fields are not salted (\"",
                                         schema.fields[part.field].name, "\" is both)"));
        }
      }
    }
  }
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> clk, h->OptionalObject("clk"));
  if (clk) {
    const std::uint32_t bits[] = {schema.filter_bits};
    BLOOMLINK_ASSIGN_OR_RETURN(schema.hardening.clk, ParseFilterHardening(*clk, bits));
    schema.xor_folds = schema.hardening.clk.xor_folds;
  }
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> ff, h->OptionalObject("field_filters"));
  if (ff) {
    std::vector<std::uint32_t> bits;
    for (const FieldSpec& f : schema.fields) {
      if (!f.ignored && f.field_filter.bits > 0) bits.push_back(f.field_filter.bits);
    }
    if (bits.empty()) {
      return h->Error("field_filters", "no section: no field of this schema has a field_filter");
    }
    BLOOMLINK_ASSIGN_OR_RETURN(schema.hardening.field_filters, ParseFilterHardening(*ff, bits));
  }
  return absl::OkStatus();
}

absl::Status ParseBloomlink(const JsonObject& top, std::string_view source, LinkageSchema& schema) {
  BLOOMLINK_RETURN_IF_ERROR(top.Only({"bloomlink_schema", "description", "filter", "hashing",
                                      "missing_values", "fields", "blocking", "hardening"}));
  BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t version, top.Integer("bloomlink_schema", 1, kIntMax));
  if (version > 1) {
    return absl::InvalidArgumentError(StrCat(source, ": bloomlink_schema: version ", version,
                                             " was made by a newer bloomlink; this one reads "
                                             "version 1"));
  }
  schema.dialect = SchemaDialect::kBloomlink;
  schema.version = 1;

  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> filter, top.OptionalObject("filter"));
  if (filter) {
    BLOOMLINK_RETURN_IF_ERROR(filter->Only({"bits"}));
    BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t bits, filter->Integer("bits", 64, kMaxFilterBits));
    if (bits % 64 != 0) {
      return filter->Error("bits", StrCat("a multiple of 64 from 64 to ", kMaxFilterBits));
    }
    schema.filter_bits = static_cast<std::uint32_t>(bits);
  }

  schema.kdf = KdfSpec{};
  schema.kdf.salt = "bloomlink/schema/v1";
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> hashing, top.OptionalObject("hashing"));
  if (hashing) {
    BLOOMLINK_RETURN_IF_ERROR(hashing->Only({"algorithm", "salt"}));
    if (hashing->Has("algorithm")) {
      BLOOMLINK_RETURN_IF_ERROR(hashing->Choice("algorithm", {"hmac-sha256"}).status());
    }
    BLOOMLINK_ASSIGN_OR_RETURN(std::optional<std::string> salt, hashing->OptionalString("salt"));
    if (salt) {
      auto raw = Base64Decode(*salt);
      if (!raw.ok() || raw->empty()) return hashing->Error("salt", "non-empty base64 text");
      schema.kdf.salt = *raw;
    }
  }

  std::vector<std::string> default_missing = MissingValues({"NULL", "N/A"});
  if (top.Has("missing_values")) {
    BLOOMLINK_ASSIGN_OR_RETURN(default_missing, top.StringArray("missing_values"));
    default_missing = MissingValues(std::move(default_missing));
  }

  const Json* fields = top.Find("fields");
  if (fields == nullptr) return top.Missing("fields", "an array of field objects");
  if (!fields->is_array() || fields->empty() || fields->size() > kMaxFields) {
    return top.Error("fields", StrCat("an array of 1..", kMaxFields, " field objects"));
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < fields->size(); ++i) {
    BLOOMLINK_ASSIGN_OR_RETURN(JsonObject f,
                               JsonObject::Open((*fields)[i], StrCat("fields[", i, "]"), source));
    auto field = ParseBloomlinkField(f, schema.filter_bits, default_missing);
    if (!field.ok()) {
      // Field errors carry the JSON path; prefix the source like every other error.
      std::string message(field.status().message());
      if (message.rfind(std::string(source) + ":", 0) != 0) message = StrCat(source, ": ", message);
      return absl::InvalidArgumentError(message);
    }
    if (!names.insert(field->name).second) {
      return f.Error("name", "a name not used by another field");
    }
    schema.fields.push_back(std::move(*field));
  }
  BLOOMLINK_RETURN_IF_ERROR(ParseBlocking(top, source, schema));
  return ParseHardening(top, source, schema);
}

// ---------------------------------------------------------------------------------------------
// clkhash v2 / v3.

absl::StatusOr<TextEncoding> ParseEncoding(const JsonObject& format) {
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<std::string> name, format.OptionalString("encoding"));
  if (!name) return TextEncoding::kUtf8;
  std::string n;
  for (char c : *name) n.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(c)));
  if (n == "utf-8" || n == "utf8") return TextEncoding::kUtf8;
  if (n == "ascii" || n == "us-ascii") return TextEncoding::kAscii;
  if (n == "utf-16" || n == "utf16") return TextEncoding::kUtf16;
  if (n == "utf-32" || n == "utf32") return TextEncoding::kUtf32;
  return format.Error("encoding", "one of \"utf-8\", \"ascii\", \"utf-16\", \"utf-32\"");
}

absl::Status ParseClkhashFormat(const JsonObject& format, FieldSpec& spec) {
  BLOOMLINK_ASSIGN_OR_RETURN(std::string type,
                             format.Choice("type", {"string", "integer", "date", "enum"}));
  if (type == "string") {
    BLOOMLINK_RETURN_IF_ERROR(format.Only(
        {"type", "encoding", "case", "minLength", "maxLength", "pattern", "description"}));
    spec.kind = FieldKind::kClkString;
    BLOOMLINK_ASSIGN_OR_RETURN(spec.hash.encoding, ParseEncoding(format));
    if (format.Has("case")) {
      BLOOMLINK_ASSIGN_OR_RETURN(
          spec.clkhash.letter_case,
          ChoiceOf(format, "case", {LetterCase::kUpper, LetterCase::kLower, LetterCase::kMixed},
                   LetterCaseName));
    }
    BLOOMLINK_ASSIGN_OR_RETURN(auto min_length, format.OptionalInteger("minLength", 0, kIntMax));
    spec.clkhash.min_length = min_length.value_or(0);
    BLOOMLINK_ASSIGN_OR_RETURN(spec.clkhash.max_length,
                               format.OptionalInteger("maxLength", 1, kIntMax));
    BLOOMLINK_ASSIGN_OR_RETURN(std::optional<std::string> pattern,
                               format.OptionalString("pattern"));
    if (pattern) {
      if (format.Has("case") || format.Has("minLength") || format.Has("maxLength")) {
        return format.Error("pattern", "no pattern together with case, minLength or maxLength");
      }
      if (pattern->size() > kMaxPatternBytes) {
        return format.Error("pattern",
                            StrCat("a regular expression of at most ", kMaxPatternBytes, " bytes"));
      }
      // Compiled as the encoder compiles it (internal/regex.hpp: Python's syntax, matched against
      // the whole value), so that a schema that parses can be encoded with.
      absl::StatusOr<internal::Regex> compiled =
          internal::Regex::Compile(*pattern, internal::RegexAnchoring::kFullMatch);
      if (!compiled.ok()) {
        return format.Error("pattern", StrCat("a valid regular expression (",
                                              std::string(compiled.status().message()), ")"));
      }
      spec.clkhash.pattern = *pattern;
    }
  } else if (type == "integer") {
    BLOOMLINK_RETURN_IF_ERROR(format.Only({"type", "minimum", "maximum", "description"}));
    spec.kind = FieldKind::kClkInteger;
    BLOOMLINK_ASSIGN_OR_RETURN(
        spec.clkhash.minimum,
        format.OptionalInteger("minimum", std::numeric_limits<std::int64_t>::min(), kIntMax));
    BLOOMLINK_ASSIGN_OR_RETURN(
        spec.clkhash.maximum,
        format.OptionalInteger("maximum", std::numeric_limits<std::int64_t>::min(), kIntMax));
  } else if (type == "date") {
    BLOOMLINK_RETURN_IF_ERROR(format.Only({"type", "format", "description"}));
    spec.kind = FieldKind::kClkDate;
    BLOOMLINK_ASSIGN_OR_RETURN(spec.clkhash.date_format, format.String("format"));
    absl::Status supported = schema_internal::CheckStrptimeFormat(spec.clkhash.date_format);
    if (!supported.ok()) return format.Error("format", std::string(supported.message()));
  } else {
    BLOOMLINK_RETURN_IF_ERROR(format.Only({"type", "values", "description"}));
    spec.kind = FieldKind::kClkEnum;
    BLOOMLINK_ASSIGN_OR_RETURN(spec.clkhash.enum_values, format.StringArray("values"));
  }
  return absl::OkStatus();
}

absl::Status ParseClkhashHash(const JsonObject& hashing, FieldSpec& spec) {
  spec.hash.scheme = HashScheme::kClkhashBlake2b;
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> hash, hashing.OptionalObject("hash"));
  if (!hash) return absl::OkStatus();
  BLOOMLINK_RETURN_IF_ERROR(hash->Only({"type", "prevent_singularity"}));
  BLOOMLINK_ASSIGN_OR_RETURN(std::string type, hash->Choice("type", {"blakeHash", "doubleHash"}));
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<bool> prevent,
                             hash->OptionalBool("prevent_singularity"));
  if (type == "doubleHash") {
    spec.hash.scheme = HashScheme::kClkhashDouble;
    spec.hash.prevent_singularity = prevent.value_or(false);
  } else if (prevent) {
    return hash->Error("prevent_singularity", "no prevent_singularity with blakeHash");
  }
  return absl::OkStatus();
}

absl::Status ParseClkhashMissing(const JsonObject& hashing, FieldSpec& spec) {
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> missing,
                             hashing.OptionalObject("missingValue"));
  if (!missing) return absl::OkStatus();
  BLOOMLINK_RETURN_IF_ERROR(missing->Only({"sentinel", "replaceWith"}));
  BLOOMLINK_ASSIGN_OR_RETURN(std::string sentinel, missing->String("sentinel"));
  spec.missing.values = {sentinel};
  BLOOMLINK_ASSIGN_OR_RETURN(spec.missing.replace_with, missing->OptionalString("replaceWith"));
  return absl::OkStatus();
}

absl::Status ParseClkhashStrategy(const JsonObject& strategy, std::string_view per_token_key,
                                  std::string_view per_field_key, FieldSpec& spec) {
  BLOOMLINK_RETURN_IF_ERROR(strategy.Only({per_token_key, per_field_key}));
  if (strategy.Has(per_token_key) == strategy.Has(per_field_key)) {
    return strategy.Invalid(
        StrCat("expected exactly one of \"", per_token_key, "\" or \"", per_field_key, "\""));
  }
  if (strategy.Has(per_token_key)) {
    BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t k, strategy.Integer(per_token_key, 1, kMaxFilterBits));
    spec.bits = BitsSpec{false, static_cast<int>(k)};
  } else {
    BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t n, strategy.Integer(per_field_key, 1, kMaxFilterBits));
    spec.bits = BitsSpec{true, static_cast<int>(n)};
  }
  return absl::OkStatus();
}

absl::Status ParseClkhashHashingV3(const JsonObject& hashing, FieldSpec& spec) {
  BLOOMLINK_RETURN_IF_ERROR(hashing.Only({"comparison", "strategy", "hash", "missingValue"}));
  BLOOMLINK_ASSIGN_OR_RETURN(JsonObject comparison, hashing.Object("comparison"));
  BLOOMLINK_ASSIGN_OR_RETURN(std::string type,
                             comparison.Choice("type", {"ngram", "exact", "numeric"}));
  if (type == "ngram") {
    BLOOMLINK_RETURN_IF_ERROR(comparison.Only({"type", "n", "positional"}));
    BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t n, comparison.Integer("n", 0, 64));
    BLOOMLINK_ASSIGN_OR_RETURN(std::optional<bool> positional,
                               comparison.OptionalBool("positional"));
    spec.tokens.kind = positional.value_or(false) ? TokenKind::kPositionalQgram : TokenKind::kQgram;
    spec.tokens.q = static_cast<int>(n);
    spec.tokens.padded = true;  // clkhash pads with n-1 spaces (none for n <= 1)
  } else if (type == "exact") {
    BLOOMLINK_RETURN_IF_ERROR(comparison.Only({"type"}));
    spec.tokens.kind = TokenKind::kExact;
  } else {
    BLOOMLINK_RETURN_IF_ERROR(
        comparison.Only({"type", "thresholdDistance", "resolution", "fractional_precision"}));
    spec.tokens.kind = TokenKind::kNumeric;
    BLOOMLINK_ASSIGN_OR_RETURN(spec.tokens.threshold_distance,
                               comparison.Number("thresholdDistance"));
    if (!(spec.tokens.threshold_distance > 0) || !std::isfinite(spec.tokens.threshold_distance)) {
      return comparison.Error("thresholdDistance", "a positive number");
    }
    BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t resolution,
                               comparison.Integer("resolution", 1, 1 << 16));
    spec.tokens.resolution = static_cast<int>(resolution);
    BLOOMLINK_ASSIGN_OR_RETURN(auto precision,
                               comparison.OptionalInteger("fractional_precision", 0, 15));
    spec.tokens.fractional_precision = static_cast<int>(precision.value_or(0));
    // clkhash: int(round(threshold_distance * pow(10, fractional_precision))), round half even.
    double scaled =
        spec.tokens.threshold_distance * std::pow(10.0, spec.tokens.fractional_precision);
    if (!(scaled < 9.0e15)) return comparison.Error("thresholdDistance", "a smaller number");
    spec.tokens.distance_interval = static_cast<std::int64_t>(std::nearbyint(scaled));
    if (spec.tokens.distance_interval == 0) {
      return comparison.Error("thresholdDistance",
                              "a distance that is not zero at this fractional_precision");
    }
  }
  BLOOMLINK_ASSIGN_OR_RETURN(JsonObject strategy, hashing.Object("strategy"));
  BLOOMLINK_RETURN_IF_ERROR(ParseClkhashStrategy(strategy, "bitsPerToken", "bitsPerFeature", spec));
  BLOOMLINK_RETURN_IF_ERROR(ParseClkhashHash(hashing, spec));
  return ParseClkhashMissing(hashing, spec);
}

absl::Status ParseClkhashHashingV2(const JsonObject& hashing, FieldSpec& spec) {
  BLOOMLINK_RETURN_IF_ERROR(
      hashing.Only({"ngram", "positional", "strategy", "hash", "missingValue", "weight"}));
  BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t n, hashing.Integer("ngram", 0, 2));
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<bool> positional, hashing.OptionalBool("positional"));
  spec.tokens.kind = positional.value_or(false) ? TokenKind::kPositionalQgram : TokenKind::kQgram;
  spec.tokens.q = static_cast<int>(n);
  BLOOMLINK_ASSIGN_OR_RETURN(std::optional<JsonObject> strategy,
                             hashing.OptionalObject("strategy"));
  if (strategy && (strategy->Has("k") || strategy->Has("numBits"))) {
    BLOOMLINK_RETURN_IF_ERROR(ParseClkhashStrategy(*strategy, "k", "numBits", spec));
  } else {
    if (strategy) BLOOMLINK_RETURN_IF_ERROR(strategy->Only({"k", "numBits"}));
    spec.bits = BitsSpec{true, 200};  // clkhash's default for v2 schemas
  }
  if (hashing.Has("weight")) {
    return hashing.Error("weight",
                         "no \"weight\" (a version 1 key; convert the schema with clkhash)");
  }
  BLOOMLINK_RETURN_IF_ERROR(ParseClkhashHash(hashing, spec));
  return ParseClkhashMissing(hashing, spec);
}

absl::Status ParseClkhash(const JsonObject& top, std::string_view source, LinkageSchema& schema) {
  BLOOMLINK_RETURN_IF_ERROR(top.Only({"version", "clkConfig", "features", "$schema", "id"}));
  BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t version, top.Integer("version", 1, kIntMax));
  if (version == 1) {
    return top.Error("version",
                     "a clkhash schema of version 2 or 3 (convert version 1 schemas "
                     "with clkhash first)");
  }
  if (version > 3) return top.Error("version", "a clkhash schema of version 2 or 3");
  schema.dialect = version == 2 ? SchemaDialect::kClkhashV2 : SchemaDialect::kClkhashV3;
  schema.version = static_cast<int>(version);

  BLOOMLINK_ASSIGN_OR_RETURN(JsonObject config, top.Object("clkConfig"));
  BLOOMLINK_RETURN_IF_ERROR(config.Only({"l", "kdf", "xor_folds", "xorFolds", "k", "hash"}));
  BLOOMLINK_ASSIGN_OR_RETURN(std::int64_t l, config.Integer("l", 1, kMaxFilterBits));
  schema.filter_bits = static_cast<std::uint32_t>(l);
  if (config.Has("k") || config.Has("hash")) {
    return config.Error(config.Has("k") ? "k" : "hash",
                        "no clkConfig-level k or hash (a version 1 layout; convert with clkhash)");
  }
  // clkhash 0.18.3 reads "xor_folds"; the documented "xorFolds" is silently ignored by it, so
  // bloomlink ignores it too (bit-compatibility) but says so.
  BLOOMLINK_ASSIGN_OR_RETURN(auto folds, config.OptionalInteger("xor_folds", 0, 8));
  schema.xor_folds = static_cast<int>(folds.value_or(0));
  if (config.Has("xorFolds")) {
    schema.warnings.push_back(
        StrCat(config.PathOf("xorFolds"),
               " is ignored, as clkhash 0.18.3 ignores it (clkhash reads \"xor_folds\")"));
  }
  if ((std::uint64_t{schema.filter_bits} << schema.xor_folds) > kMaxFilterBits) {
    return config.Error("xor_folds", "fewer folds: l x 2^xor_folds is over the filter limit");
  }

  BLOOMLINK_ASSIGN_OR_RETURN(JsonObject kdf, config.Object("kdf"));
  BLOOMLINK_RETURN_IF_ERROR(kdf.Only({"type", "hash", "salt", "info", "keySize"}));
  BLOOMLINK_RETURN_IF_ERROR(kdf.Choice("type", {"HKDF"}).status());
  if (kdf.Has("hash")) {
    BLOOMLINK_ASSIGN_OR_RETURN(
        schema.kdf.hash,
        ChoiceOf(kdf, "hash", {HkdfHash::kSha256, HkdfHash::kSha512}, HkdfHashName));
  }
  for (std::string_view key : {"salt", "info"}) {
    BLOOMLINK_ASSIGN_OR_RETURN(std::optional<std::string> text, kdf.OptionalString(key));
    if (!text) continue;
    auto raw = Base64Decode(*text);
    if (!raw.ok()) return kdf.Error(key, "base64 text");
    (key == "salt" ? schema.kdf.salt : schema.kdf.info) = *raw;
  }
  BLOOMLINK_ASSIGN_OR_RETURN(auto key_size, kdf.OptionalInteger("keySize", 1, 1024));
  schema.kdf.key_size = static_cast<int>(key_size.value_or(64));

  const Json* features = top.Find("features");
  if (features == nullptr) return top.Missing("features", "an array of features");
  if (!features->is_array() || features->empty() || features->size() > kMaxFields) {
    return top.Error("features", StrCat("an array of 1..", kMaxFields, " features"));
  }
  // HKDF can produce at most 255 digest blocks.
  std::size_t digest_len = schema.kdf.hash == HkdfHash::kSha512 ? 64 : 32;
  if (2 * features->size() * static_cast<std::size_t>(schema.kdf.key_size) > 255 * digest_len) {
    return kdf.Error("keySize", "a smaller key size: HKDF cannot produce keys for every feature");
  }
  bool uses_blake = false;
  for (std::size_t i = 0; i < features->size(); ++i) {
    BLOOMLINK_ASSIGN_OR_RETURN(
        JsonObject f, JsonObject::Open((*features)[i], StrCat("features[", i, "]"), source));
    FieldSpec spec;
    BLOOMLINK_ASSIGN_OR_RETURN(spec.name, f.String("identifier"));
    spec.column = spec.name;
    BLOOMLINK_ASSIGN_OR_RETURN(std::optional<bool> ignored, f.OptionalBool("ignored"));
    if (ignored.value_or(false)) {
      BLOOMLINK_RETURN_IF_ERROR(f.Only({"identifier", "ignored", "description"}));
      spec.ignored = true;
    } else {
      BLOOMLINK_RETURN_IF_ERROR(
          f.Only({"identifier", "ignored", "description", "format", "hashing"}));
      BLOOMLINK_ASSIGN_OR_RETURN(JsonObject format, f.Object("format"));
      BLOOMLINK_RETURN_IF_ERROR(ParseClkhashFormat(format, spec));
      BLOOMLINK_ASSIGN_OR_RETURN(JsonObject hashing, f.Object("hashing"));
      if (version == 2) {
        BLOOMLINK_RETURN_IF_ERROR(ParseClkhashHashingV2(hashing, spec));
      } else {
        BLOOMLINK_RETURN_IF_ERROR(ParseClkhashHashingV3(hashing, spec));
      }
      uses_blake = uses_blake || spec.hash.scheme == HashScheme::kClkhashBlake2b;
    }
    schema.fields.push_back(std::move(spec));
  }
  std::uint64_t hash_bits = std::uint64_t{schema.filter_bits} << schema.xor_folds;
  if (uses_blake && (hash_bits & (hash_bits - 1)) != 0) {
    return config.Error("l", "a power of two (l x 2^xor_folds must be one for blakeHash)");
  }
  if (uses_blake && schema.kdf.key_size > 64) {
    return kdf.Error("keySize", "at most 64 with blakeHash (BLAKE2b's longest key)");
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Canonical form and fingerprint.

Json CanonicalField(const FieldSpec& f) {
  Json j;
  j["name"] = f.name;
  j["column"] = f.column;
  j["ignored"] = f.ignored;
  if (f.ignored) return j;
  j["kind"] = std::string(FieldKindName(f.kind));
  if (f.kind == FieldKind::kText) j["drop_punctuation"] = f.drop_punctuation;
  if (f.kind == FieldKind::kDate) {
    j["min_year"] = f.min_year;
    j["max_year"] = f.max_year;
  }
  if (f.kind == FieldKind::kClkString) {
    j["pattern"] = f.clkhash.pattern;
    j["case"] = std::string(LetterCaseName(f.clkhash.letter_case));
    j["min_length"] = f.clkhash.min_length;
    j["max_length"] = f.clkhash.max_length ? Json(*f.clkhash.max_length) : Json();
  }
  if (f.kind == FieldKind::kClkInteger) {
    j["minimum"] = f.clkhash.minimum ? Json(*f.clkhash.minimum) : Json();
    j["maximum"] = f.clkhash.maximum ? Json(*f.clkhash.maximum) : Json();
  }
  if (f.kind == FieldKind::kClkDate) j["date_format"] = f.clkhash.date_format;
  if (f.kind == FieldKind::kClkEnum) j["values"] = f.clkhash.enum_values;
  Json tokens;
  tokens["kind"] = std::string(TokenKindName(f.tokens.kind));
  if (f.tokens.kind == TokenKind::kQgram || f.tokens.kind == TokenKind::kPositionalQgram) {
    tokens["q"] = f.tokens.q;
    tokens["padded"] = f.tokens.padded;
  }
  if (f.tokens.kind == TokenKind::kNumeric) {
    tokens["distance_interval"] = f.tokens.distance_interval;
    tokens["resolution"] = f.tokens.resolution;
    tokens["fractional_precision"] = f.tokens.fractional_precision;
  }
  j["tokens"] = tokens;
  j["bits"] = {{f.bits.per_field ? "per_field" : "per_token", f.bits.count}};
  j["hash"] = {{"scheme", std::string(HashSchemeName(f.hash.scheme))},
               {"prevent_singularity", f.hash.prevent_singularity},
               {"encoding", static_cast<int>(f.hash.encoding)}};
  j["missing_values"] = f.missing.values;
  j["replace_with"] = f.missing.replace_with ? Json(*f.missing.replace_with) : Json();
  if (f.field_filter.bits > 0) {
    j["field_filter"] = {
        {"bits", f.field_filter.bits},
        {f.field_filter.tokens.per_field ? "per_field" : "per_token", f.field_filter.tokens.count}};
  }
  return j;
}

void Canonicalise(LinkageSchema& schema) {
  Json j;
  j["dialect"] = std::string(DialectName(schema.dialect));
  j["version"] = schema.version;
  j["filter_bits"] = schema.filter_bits;
  j["xor_folds"] = schema.xor_folds;
  j["kdf"] = {{"digest", std::string(HkdfHashName(schema.kdf.hash))},
              {"salt", Base64Encode(schema.kdf.salt)},
              {"info", Base64Encode(schema.kdf.info)},
              {"key_size", schema.kdf.key_size}};
  Json fields = Json::array();
  for (const FieldSpec& f : schema.fields) fields.push_back(CanonicalField(f));
  j["fields"] = fields;
  // Only when there are rules, so that schemas without them keep the fingerprints they had.
  if (!schema.blocking.empty()) {
    Json rules = Json::array();
    for (const BlockingRule& rule : schema.blocking) {
      Json on = Json::array();
      for (const BlockingPart& part : rule.parts) on.push_back(BlockingPartText(schema, part));
      rules.push_back({{"name", rule.name}, {"on", on}});
    }
    j["blocking"] = rules;
  }
  // Likewise only when the schema is hardened.
  if (schema.hardening.any()) {
    const Hardening& h = schema.hardening;
    Json salts = Json::array();
    for (const SaltSpec& salt : h.salts) {
      Json salted = Json::array(), with = Json::array();
      for (std::size_t f : salt.fields) salted.push_back(schema.fields[f].name);
      for (const BlockingPart& part : salt.with) with.push_back(BlockingPartText(schema, part));
      salts.push_back({{"fields", salted}, {"with", with}});
    }
    auto filter = [](const FilterHardening& f) {
      return Json{{"xor_folds", f.xor_folds},
                  {"rule90", f.rule90},
                  {"diffusion_taps", f.diffusion_taps},
                  {"balance", f.balance},
                  {"blip", f.blip}};
    };
    j["hardening"] = {{"salt", salts}, {"clk", filter(h.clk)}};
    if (h.field_filters.any()) j["hardening"]["field_filters"] = filter(h.field_filters);
  }
  // nlohmann::json objects keep keys sorted; dump() without indent has no white space.
  schema.canonical_json = j.dump();
  unsigned int len = 0;
  EVP_Digest(schema.canonical_json.data(), schema.canonical_json.size(), schema.fingerprint.data(),
             &len, EVP_sha256(), nullptr);
}

}  // namespace

std::span<const IdentifierType> IdentifierTypes() { return kIdentifierTypes; }

const IdentifierType* IdentifierTypeOf(FieldKind kind) {
  for (const IdentifierType& t : kIdentifierTypes) {
    if (t.kind == kind) return &t;
  }
  return nullptr;
}

std::string_view FieldKindName(FieldKind kind) {
  if (const IdentifierType* type = IdentifierTypeOf(kind)) return type->name;
  switch (kind) {
    case FieldKind::kClkString:
      return "clkhash_string";
    case FieldKind::kClkInteger:
      return "clkhash_integer";
    case FieldKind::kClkDate:
      return "clkhash_date";
    case FieldKind::kClkEnum:
      return "clkhash_enum";
    default:  // the identifier types, above
      break;
  }
  return "?";
}

std::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kQgram:
      return "qgram";
    case TokenKind::kPositionalQgram:
      return "positional_qgram";
    case TokenKind::kExact:
      return "exact";
    case TokenKind::kNumeric:
      return "numeric";
  }
  return "?";
}

std::string_view HashSchemeName(HashScheme scheme) {
  switch (scheme) {
    case HashScheme::kHmacSha256Double:
      return "hmac-sha256";
    case HashScheme::kClkhashBlake2b:
      return "clkhash-blake2b";
    case HashScheme::kClkhashDouble:
      return "clkhash-double";
  }
  return "?";
}

std::string_view DialectName(SchemaDialect dialect) {
  switch (dialect) {
    case SchemaDialect::kBloomlink:
      return "bloomlink";
    case SchemaDialect::kClkhashV2:
      return "clkhash-v2";
    case SchemaDialect::kClkhashV3:
      return "clkhash-v3";
  }
  return "?";
}

std::string_view LetterCaseName(LetterCase rule) {
  switch (rule) {
    case LetterCase::kMixed:
      return "mixed";
    case LetterCase::kUpper:
      return "upper";
    case LetterCase::kLower:
      return "lower";
  }
  return "?";
}

std::string_view HkdfHashName(HkdfHash hash) {
  switch (hash) {
    case HkdfHash::kSha256:
      return "SHA256";
    case HkdfHash::kSha512:
      return "SHA512";
  }
  return "?";
}

std::string_view BlockingTransformName(BlockingTransform transform) {
  switch (transform) {
    case BlockingTransform::kValue:
      return "value";
    case BlockingTransform::kSoundex:
      return "soundex";
    case BlockingTransform::kInitial:
      return "initial";
    case BlockingTransform::kYear:
      return "year";
    case BlockingTransform::kMonth:
      return "month";
    case BlockingTransform::kDistrict:
      return "district";
    case BlockingTransform::kArea:
      return "area";
  }
  return "?";
}

bool BlockingTransformApplies(BlockingTransform transform, FieldKind kind) {
  switch (transform) {
    case BlockingTransform::kValue:
      return IdentifierTypeOf(kind) != nullptr;
    case BlockingTransform::kSoundex:
    case BlockingTransform::kInitial:
      return kind == FieldKind::kName || kind == FieldKind::kText;
    case BlockingTransform::kYear:
    case BlockingTransform::kMonth:
      return kind == FieldKind::kDate;
    case BlockingTransform::kDistrict:
    case BlockingTransform::kArea:
      return kind == FieldKind::kPostcode;
  }
  return false;
}

std::string BlockingPartText(const LinkageSchema& schema, const BlockingPart& part) {
  const std::string& field = schema.fields.at(part.field).name;
  if (part.transform == BlockingTransform::kValue) return field;
  return StrCat(BlockingTransformName(part.transform), "(", field, ")");
}

absl::StatusOr<LinkageSchema> ParseSchema(std::string_view json, std::string_view source) {
  BLOOMLINK_ASSIGN_OR_RETURN(Json doc, schema_internal::ParseJson(json, source));
  BLOOMLINK_ASSIGN_OR_RETURN(JsonObject top, JsonObject::Open(doc, "", source));
  LinkageSchema schema;
  if (top.Has("bloomlink_schema")) {
    BLOOMLINK_RETURN_IF_ERROR(ParseBloomlink(top, source, schema));
  } else if (top.Has("version") || top.Has("clkConfig") || top.Has("features")) {
    BLOOMLINK_RETURN_IF_ERROR(ParseClkhash(top, source, schema));
  } else {
    return absl::InvalidArgumentError(
        StrCat(source,
               ": not a linkage schema: expected a top-level \"bloomlink_schema\" key "
               "(bloomlink) or \"version\", \"clkConfig\" and \"features\" (clkhash)"));
  }
  Canonicalise(schema);
  return schema;
}

absl::StatusOr<LinkageSchema> LoadSchema(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    // ifstream opens a folder and then reads nothing, which would pass for an empty schema.
    return absl::InvalidArgumentError(
        StrCat(path, ": cannot read the schema file: it is a folder"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(StrCat(path, ": cannot open the schema file"));
  }
  // Read at most the limit (and one chunk more), so that /dev/zero or a huge file cannot exhaust
  // memory before the size is checked.
  constexpr std::size_t kMaxSchemaBytes = std::size_t{16} << 20;
  std::string text;
  std::vector<char> chunk(std::size_t{1} << 16);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxSchemaBytes) {
      return absl::InvalidArgumentError(StrCat(path, ": schema file is over 16 MiB"));
    }
  }
  if (in.bad()) return absl::InternalError(StrCat(path, ": cannot read the schema file"));
  return ParseSchema(text, path);
}

std::string StarterSchemaJson(StarterOptions options) {
  // The hardening is what `bloomlink audit` showed to pass its pattern-mining and frequency
  // attacks on 1,000,000 synthetic records at the smallest cost in linkage quality
  // (bench/RESULTS.md, Issue 14): keyed diffusion with 2 taps breaks the fixed bit positions of
  // q-grams, and BLIP makes equal values in field-level filters differ between records.
  if (!options.field_filters) {
    return R"({
  "bloomlink_schema": 1,
  "description": "Starter schema for UK health and care person records. See docs/schema.md for why each choice was made.",
  "filter": {"bits": 1024},
  "hashing": {"algorithm": "hmac-sha256"},
  "missing_values": ["NULL", "N/A"],
  "fields": [
    {"name": "nhs_number", "type": "nhs_number",
     "tokens": {"kind": "exact"}, "bits": {"per_token": 80}},
    {"name": "given_name", "type": "name",
     "tokens": {"kind": "qgram", "q": 2}, "bits": {"per_field": 200}},
    {"name": "family_name", "type": "name",
     "tokens": {"kind": "qgram", "q": 2}, "bits": {"per_field": 200}},
    {"name": "date_of_birth", "type": "date",
     "tokens": {"kind": "positional_qgram", "q": 1}, "bits": {"per_field": 160}},
    {"name": "sex", "type": "sex",
     "tokens": {"kind": "exact"}, "bits": {"per_token": 20}},
    {"name": "postcode", "type": "postcode",
     "tokens": {"kind": "qgram", "q": 2}, "bits": {"per_field": 120}}
  ],
  "hardening": {"clk": {"diffusion_taps": 2}}
}
)";
  }
  return R"({
  "bloomlink_schema": 1,
  "description": "Starter schema for UK health and care person records, with a field-level filter on every field for Fellegi-Sunter linkage (link --method fs; what field filters disclose: docs/security.md). See docs/schema.md for why each choice was made.",
  "filter": {"bits": 1024},
  "hashing": {"algorithm": "hmac-sha256"},
  "missing_values": ["NULL", "N/A"],
  "fields": [
    {"name": "nhs_number", "type": "nhs_number",
     "tokens": {"kind": "exact"}, "bits": {"per_token": 80},
     "field_filter": {"bits": 128, "per_token": 8}},
    {"name": "given_name", "type": "name",
     "tokens": {"kind": "qgram", "q": 2}, "bits": {"per_field": 200},
     "field_filter": {"bits": 256, "per_token": 8}},
    {"name": "family_name", "type": "name",
     "tokens": {"kind": "qgram", "q": 2}, "bits": {"per_field": 200},
     "field_filter": {"bits": 256, "per_token": 8}},
    {"name": "date_of_birth", "type": "date",
     "tokens": {"kind": "positional_qgram", "q": 1}, "bits": {"per_field": 160},
     "field_filter": {"bits": 128, "per_token": 8}},
    {"name": "sex", "type": "sex",
     "tokens": {"kind": "exact"}, "bits": {"per_token": 20},
     "field_filter": {"bits": 64, "per_token": 8}},
    {"name": "postcode", "type": "postcode",
     "tokens": {"kind": "qgram", "q": 2}, "bits": {"per_field": 120},
     "field_filter": {"bits": 256, "per_token": 8}}
  ],
  "hardening": {
    "clk": {"diffusion_taps": 2},
    "field_filters": {"diffusion_taps": 2, "blip": 0.02}
  }
}
)";
}

namespace {

std::string DescribeFilterHardening(const FilterHardening& f) {
  std::vector<std::string> parts;
  if (f.xor_folds > 0)
    parts.push_back(StrCat(f.xor_folds, " XOR fold", f.xor_folds > 1 ? "s" : ""));
  if (f.rule90) parts.push_back("Rule 90");
  if (f.diffusion_taps > 0) parts.push_back(StrCat("diffusion (", f.diffusion_taps, " taps)"));
  if (f.balance) parts.push_back("balanced");
  if (f.blip > 0) parts.push_back(StrCat("BLIP ", f.blip));
  std::string out;
  for (const std::string& p : parts) out += StrCat(out.empty() ? "" : ", ", p);
  return out;
}

}  // namespace

std::string HardeningSummary(const LinkageSchema& schema) {
  const Hardening& h = schema.hardening;
  std::vector<std::string> parts;
  for (const SaltSpec& salt : h.salts) {
    std::string fields, with;
    for (std::size_t f : salt.fields)
      fields += StrCat(fields.empty() ? "" : ", ", schema.fields[f].name);
    for (const BlockingPart& part : salt.with) {
      with += StrCat(with.empty() ? "" : " + ", BlockingPartText(schema, part));
    }
    parts.push_back(StrCat("salt ", fields, " with ", with));
  }
  if (std::string clk = DescribeFilterHardening(h.clk); !clk.empty()) {
    parts.push_back(StrCat("CLK: ", clk));
  } else if (schema.xor_folds > 0) {
    parts.push_back(
        StrCat("CLK: ", schema.xor_folds, " XOR fold", schema.xor_folds > 1 ? "s" : ""));
  }
  if (std::string ff = DescribeFilterHardening(h.field_filters); !ff.empty()) {
    parts.push_back(StrCat("field filters: ", ff));
  }
  if (parts.empty()) return "none";
  std::string out;
  for (const std::string& p : parts) out += StrCat(out.empty() ? "" : "; ", p);
  return out;
}

}  // namespace bloomlink
