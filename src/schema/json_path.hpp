// Internal: reading a JSON document with errors that name the source, the JSON path and what was
// expected ("schema.json: fields[2].tokens.q: expected an integer 1..5, got \"two\"").
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bloomlink::schema_internal {

using Json = nlohmann::json;

// Describe(value) is a short rendering of a JSON value for error messages.
std::string Describe(const Json& value);

// JsonObject: an object at a JSON path, with typed accessors that produce path-named errors.
class JsonObject {
 public:
  JsonObject(const Json& value, std::string path, std::string_view source)
      : value_(value), path_(std::move(path)), source_(source) {}

  // Open(value, path, source) checks that `value` is an object.
  static absl::StatusOr<JsonObject> Open(const Json& value, std::string path,
                                         std::string_view source);

  const std::string& path() const { return path_; }
  bool Has(std::string_view key) const { return value_.contains(std::string(key)); }
  const Json* Find(std::string_view key) const;

  // Only(keys) refuses keys outside `keys`.
  absl::Status Only(std::initializer_list<std::string_view> keys) const;

  std::string PathOf(std::string_view key) const;
  absl::Status Error(std::string_view key, std::string_view expected) const;
  absl::Status Missing(std::string_view key, std::string_view expected) const;
  // Invalid(message): an error about this object itself ("source: path: message").
  absl::Status Invalid(std::string_view message) const;

  absl::StatusOr<std::string> String(std::string_view key) const;  // required
  absl::StatusOr<std::optional<std::string>> OptionalString(std::string_view key) const;
  absl::StatusOr<std::int64_t> Integer(std::string_view key, std::int64_t min,
                                       std::int64_t max) const;
  absl::StatusOr<std::optional<std::int64_t>> OptionalInteger(std::string_view key,
                                                              std::int64_t min,
                                                              std::int64_t max) const;
  absl::StatusOr<double> Number(std::string_view key) const;
  absl::StatusOr<std::optional<bool>> OptionalBool(std::string_view key) const;
  absl::StatusOr<JsonObject> Object(std::string_view key) const;  // required
  absl::StatusOr<std::optional<JsonObject>> OptionalObject(std::string_view key) const;
  absl::StatusOr<std::vector<std::string>> StringArray(std::string_view key) const;
  // Choice(key, choices): a required string that must be one of `choices`.
  absl::StatusOr<std::string> Choice(std::string_view key,
                                     std::initializer_list<std::string_view> choices) const;
  absl::StatusOr<std::string> Choice(std::string_view key,
                                     std::span<const std::string_view> choices) const;

 private:
  const Json& value_;
  std::string path_;
  std::string_view source_;
};

// ChoiceOf(object, key, values, name_of): a required string that names one of `values`
// (name_of gives each value's name), as that value; the error lists the names.
template <typename Enum>
absl::StatusOr<Enum> ChoiceOf(const JsonObject& object, std::string_view key,
                              std::initializer_list<Enum> values,
                              std::string_view (*name_of)(Enum)) {
  std::vector<std::string_view> names;
  for (Enum v : values) names.push_back(name_of(v));
  absl::StatusOr<std::string> name = object.Choice(key, names);
  if (!name.ok()) return name.status();
  for (Enum v : values) {
    if (name_of(v) == *name) return v;
  }
  return absl::InternalError("ChoiceOf: a choice without a value");
}

// ParseJson(text, source) parses a document, naming the line and column of a syntax error.
absl::StatusOr<Json> ParseJson(std::string_view text, std::string_view source);

}  // namespace bloomlink::schema_internal
