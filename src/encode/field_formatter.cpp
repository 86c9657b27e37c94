#include "encode/field_formatter.hpp"

#include <utf8proc.h>

#include <algorithm>

#include "internal/python_number.hpp"
#include "internal/strings.hpp"
#include "internal/utf8.hpp"
#include "schema/strptime.hpp"

namespace bloomlink::encode_internal {
namespace {

FormatResult Valid() { return {CleanStatus::kValid, {}, true}; }
FormatResult Missing() { return {CleanStatus::kMissing, {}, false}; }
FormatResult Invalid(std::string_view why) { return {CleanStatus::kInvalid, why, false}; }

FormatResult FromOutcome(CleanOutcome outcome) {
  return {outcome.status, outcome.reason, outcome.status == CleanStatus::kValid};
}

bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::size_t CodePoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// CaseHolds(s, upper): Python's s.upper() == s (or lower), code point by code point.
bool CaseHolds(std::string_view s, bool upper) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) return false;
    if ((upper ? utf8proc_toupper(c) : utf8proc_tolower(c)) != c) return false;
    p += n;
    left -= n;
  }
  return true;
}

}  // namespace

absl::StatusOr<FieldFormatter> FieldFormatter::Create(const FieldSpec& spec) {
  FieldFormatter f;
  f.spec_ = &spec;
  f.identifier_type_ = IdentifierTypeOf(spec.kind);
  if (spec.kind == FieldKind::kClkString && !spec.clkhash.pattern.empty()) {
    absl::StatusOr<internal::Regex> pattern =
        internal::Regex::Compile(spec.clkhash.pattern, internal::RegexAnchoring::kFullMatch);
    if (!pattern.ok()) {
      return absl::InvalidArgumentError(internal::StrCat(
          "field ", spec.name, ": invalid pattern: ", std::string(pattern.status().message())));
    }
    f.pattern_ = std::make_shared<const internal::Regex>(std::move(*pattern));
  }
  return f;
}

absl::StatusOr<FormatResult> FieldFormatter::Format(std::string_view raw, std::string* out,
                                                    internal::RegexMatcher& matcher) const {
  if (identifier_type_ != nullptr) return FormatBloomlink(raw, out);
  return FormatClkhash(raw, out, matcher);
}

FormatResult FieldFormatter::FormatBloomlink(std::string_view raw, std::string* out) const {
  std::string_view trimmed = raw;
  while (!trimmed.empty() && IsAsciiSpace(trimmed.front())) trimmed.remove_prefix(1);
  while (!trimmed.empty() && IsAsciiSpace(trimmed.back())) trimmed.remove_suffix(1);
  if (trimmed.empty()) return Missing();
  for (const std::string& m : spec_->missing.values) {
    if (EqualsIgnoringAsciiCase(trimmed, m)) return Missing();
  }
  return FromOutcome(identifier_type_->clean(raw, *spec_, out));
}

absl::StatusOr<FormatResult> FieldFormatter::FormatClkhash(std::string_view raw, std::string* out,
                                                           internal::RegexMatcher& matcher) const {
  const FieldSpec& spec = *spec_;
  if (!spec.missing.values.empty() && raw == spec.missing.values.front()) {
    // clkhash: the sentinel is replaced by replaceWith, or kept as it is without one, and
    // hashed either way (an empty result has no tokens).
    out->assign(spec.missing.replace_with.value_or(spec.missing.values.front()));
    return FormatResult{CleanStatus::kMissing, {}, !out->empty()};
  }
  if (!internal::IsValidUtf8(raw)) return Invalid("invalid UTF-8");
  if (spec.hash.encoding == TextEncoding::kAscii &&
      std::any_of(raw.begin(), raw.end(), [](char c) { return (c & 0x80) != 0; })) {
    return Invalid("not ASCII");
  }
  switch (spec.kind) {
    case FieldKind::kClkString: {
      const ClkhashFormat& f = spec.clkhash;
      if (pattern_) {
        absl::StatusOr<bool> matched = matcher.Matches(*pattern_, raw);
        if (!matched.ok()) {
          // Neither answer would be clkhash's (it has no limit), so the value is not guessed at.
          return absl::Status(
              matched.status().code(),
              internal::StrCat("field ", spec.name, ": pattern \"", pattern_->pattern(),
                               "\": ", std::string(matched.status().message())));
        }
        if (!*matched) return Invalid("does not match the pattern");
      }
      if (f.letter_case == LetterCase::kUpper && !CaseHolds(raw, true)) {
        return Invalid("not upper case");
      }
      if (f.letter_case == LetterCase::kLower && !CaseHolds(raw, false)) {
        return Invalid("not lower case");
      }
      std::size_t len = CodePoints(raw);
      if (static_cast<std::int64_t>(len) < f.min_length) return Invalid("shorter than minLength");
      if (f.max_length && static_cast<std::int64_t>(len) > *f.max_length) {
        return Invalid("longer than maxLength");
      }
      out->assign(raw);
      return raw.empty() ? FormatResult{CleanStatus::kMissing, {}, false} : Valid();
    }
    case FieldKind::kClkInteger: {
      // clkhash hashes str(int(raw)).
      internal::Int128 v = 0;
      if (!internal::ParsePythonInt(raw, v)) return Invalid("not an integer");
      if (spec.clkhash.minimum && v < *spec.clkhash.minimum) return Invalid("below the minimum");
      if (spec.clkhash.maximum && v > *spec.clkhash.maximum) return Invalid("above the maximum");
      out->clear();
      internal::AppendInt128(*out, v);
      return Valid();
    }
    case FieldKind::kClkDate:
      if (!schema_internal::StrptimeToYmd(raw, spec.clkhash.date_format, out)) {
        return Invalid("not a date in the schema's format");
      }
      return Valid();
    case FieldKind::kClkEnum:
      if (std::find(spec.clkhash.enum_values.begin(), spec.clkhash.enum_values.end(), raw) ==
          spec.clkhash.enum_values.end()) {
        return Invalid("not one of the enum values");
      }
      out->assign(raw);
      return Valid();
    default:
      return Invalid("unsupported field kind");
  }
}

}  // namespace bloomlink::encode_internal
