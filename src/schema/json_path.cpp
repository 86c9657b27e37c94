#include "schema/json_path.hpp"

#include <cmath>
#include <limits>

#include "internal/strings.hpp"

namespace bloomlink::schema_internal {

using internal::StrCat;

std::string Describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      if (value.empty()) return "an empty array";
      return StrCat("an array of ", value.size(), value.size() == 1 ? " item" : " items");
    case Json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    default: {
      std::string text = value.dump();
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return text;
    }
  }
}

absl::StatusOr<JsonObject> JsonObject::Open(const Json& value, std::string path,
                                            std::string_view source) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError(StrCat(source, ": ", path.empty() ? "(top level)" : path,
                                             ": expected an object, got ", Describe(value)));
  }
  return JsonObject(value, std::move(path), source);
}

const Json* JsonObject::Find(std::string_view key) const {
  auto it = value_.find(std::string(key));
  return it == value_.end() ? nullptr : &*it;
}

std::string JsonObject::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : StrCat(path_, ".", key);
}

absl::Status JsonObject::Error(std::string_view key, std::string_view expected) const {
  const Json* v = Find(key);
  return absl::InvalidArgumentError(StrCat(source_, ": ", PathOf(key), ": expected ", expected,
                                           ", got ", v ? Describe(*v) : "nothing"));
}

absl::Status JsonObject::Missing(std::string_view key, std::string_view expected) const {
  return absl::InvalidArgumentError(
      StrCat(source_, ": ", PathOf(key), ": missing; expected ", expected));
}

absl::Status JsonObject::Invalid(std::string_view message) const {
  return absl::InvalidArgumentError(StrCat(source_, ": ", path_, ": ", message));
}

absl::Status JsonObject::Only(std::initializer_list<std::string_view> keys) const {
  for (auto it = value_.begin(); it != value_.end(); ++it) {
    bool known = false;
    for (std::string_view k : keys) known = known || it.key() == k;
    if (!known) {
      if (keys.size() == 0) {
        return absl::InvalidArgumentError(
            StrCat(source_, ": ", PathOf(it.key()), ": unknown key (nothing is allowed here)"));
      }
      std::string list;
      for (std::string_view k : keys) internal::StrAppend(list, list.empty() ? "" : ", ", k);
      return absl::InvalidArgumentError(
          StrCat(source_, ": ", PathOf(it.key()), ": unknown key (expected one of: ", list, ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> JsonObject::String(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return Missing(key, "a string");
  if (!v->is_string()) return Error(key, "a string");
  return v->get<std::string>();
}

absl::StatusOr<std::optional<std::string>> JsonObject::OptionalString(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) return Error(key, "a string");
  return std::optional<std::string>(v->get<std::string>());
}

absl::StatusOr<std::optional<std::int64_t>> JsonObject::OptionalInteger(std::string_view key,
                                                                        std::int64_t min,
                                                                        std::int64_t max) const {
  const Json* v = Find(key);
  if (v == nullptr) return std::optional<std::int64_t>();
  std::string expected = max == std::numeric_limits<std::int64_t>::max()
                             ? StrCat("an integer >= ", min)
                             : StrCat("an integer ", min, "..", max);
  std::int64_t value;
  if (v->is_number_unsigned()) {
    std::uint64_t u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Error(key, expected);
    }
    value = static_cast<std::int64_t>(u);
  } else if (v->is_number_integer()) {
    value = v->get<std::int64_t>();
  } else if (v->is_number_float()) {
    // JSON has one number type; accept 3.0 as 3 (Python's json gives a float for it, and clkhash
    // schemas written by hand sometimes have it).
    double d = v->get<double>();
    // Range first: converting a double outside the int64 range is undefined behaviour.
    if (!(d >= -0x1p63 && d < 0x1p63) || d != std::trunc(d)) return Error(key, expected);
    value = static_cast<std::int64_t>(d);
  } else {
    return Error(key, expected);
  }
  if (value < min || value > max) return Error(key, expected);
  return std::optional<std::int64_t>(value);
}

absl::StatusOr<std::int64_t> JsonObject::Integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) const {
  auto v = OptionalInteger(key, min, max);
  if (!v.ok()) return v.status();
  if (!v->has_value()) {
    return Missing(key, StrCat("an integer ", min, "..", max));
  }
  return **v;
}

absl::StatusOr<double> JsonObject::Number(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return Missing(key, "a number");
  if (!v->is_number()) return Error(key, "a number");
  return v->get<double>();
}

absl::StatusOr<std::optional<bool>> JsonObject::OptionalBool(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return std::optional<bool>();
  if (!v->is_boolean()) return Error(key, "true or false");
  return std::optional<bool>(v->get<bool>());
}

absl::StatusOr<JsonObject> JsonObject::Object(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return Missing(key, "an object");
  return JsonObject::Open(*v, PathOf(key), source_);
}

absl::StatusOr<std::optional<JsonObject>> JsonObject::OptionalObject(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return std::optional<JsonObject>();
  auto o = JsonObject::Open(*v, PathOf(key), source_);
  if (!o.ok()) return o.status();
  return std::optional<JsonObject>(*o);
}

absl::StatusOr<std::vector<std::string>> JsonObject::StringArray(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return Missing(key, "an array of strings");
  if (!v->is_array()) return Error(key, "an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const Json& item = (*v)[i];
    if (!item.is_string()) {
      return absl::InvalidArgumentError(
          StrCat(source_, ": ", PathOf(key), "[", i, "]: expected a string, got ", Describe(item)));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::string> JsonObject::Choice(
    std::string_view key, std::initializer_list<std::string_view> choices) const {
  return Choice(key, std::span<const std::string_view>(choices.begin(), choices.size()));
}

absl::StatusOr<std::string> JsonObject::Choice(std::string_view key,
                                               std::span<const std::string_view> choices) const {
  std::string expected = "one of";
  bool first = true;
  for (std::string_view c : choices) {
    internal::StrAppend(expected, first ? " \"" : ", \"", c, "\"");
    first = false;
  }
  const Json* v = Find(key);
  if (v == nullptr) return Missing(key, expected);
  if (!v->is_string()) return Error(key, expected);
  std::string s = v->get<std::string>();
  for (std::string_view c : choices) {
    if (s == c) return s;
  }
  return Error(key, expected);
}

absl::StatusOr<Json> ParseJson(std::string_view text, std::string_view source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // Turn the byte offset into a line and column.
    std::size_t line = 1, column = 1;
    std::size_t end = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return absl::InvalidArgumentError(
        StrCat(source, ":", line, ":", column, ": not valid JSON (", e.what(), ")"));
  } catch (const Json::exception& e) {
    // A number too large for a double (1e400) is an out_of_range exception, not a parse_error,
    // and carries no position.
    return absl::InvalidArgumentError(StrCat(source, ": not valid JSON (", e.what(), ")"));
  }
}

}  // namespace bloomlink::schema_internal
