// Internal: a raw value becomes the string that is tokenised, per the field's kind.
//
// bloomlink kinds go through the UK cleaners (bloomlink/encode/normalise.hpp) after the
// schema's missing values are recognised. clkhash kinds follow clkhash: a value equal to the
// missing-value sentinel is replaced (or, without replaceWith, kept as it is) and not validated;
// other values are validated against the format and used as they are, integers rewritten as
// str(int(v)) and dates as %Y%m%d. A value that fails validation is treated as missing and counted.
// A string's clkhash pattern must match the whole value, as clkhash's re.fullmatch-equivalent
// check does (internal/regex.hpp: Python's syntax, on PCRE2).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "bloomlink/encode/normalise.hpp"
#include "bloomlink/schema.hpp"
#include "internal/regex.hpp"

namespace bloomlink::encode_internal {

using encode::CleanOutcome;
using encode::CleanStatus;

struct FormatResult {
  CleanStatus status;
  std::string_view reason;  // static text, for kInvalid
  bool encode;              // whether *out is to be tokenised
};

class FieldFormatter {
 public:
  // Create(spec): compiles the field's clkhash pattern, if it has one (InvalidArgument naming the
  // field when it does not compile). `spec` must outlive the formatter.
  static absl::StatusOr<FieldFormatter> Create(const FieldSpec& spec);
  // Format(raw, out, matcher): thread-safe (const) when each thread passes its own `matcher`;
  // `out` is the caller's reusable buffer. An error only when the field's pattern cannot be
  // decided on `raw` within the regex limits: InvalidArgument naming the field and the pattern
  // (never the value).
  absl::StatusOr<FormatResult> Format(std::string_view raw, std::string* out,
                                      internal::RegexMatcher& matcher) const;

 private:
  FormatResult FormatBloomlink(std::string_view raw, std::string* out) const;
  absl::StatusOr<FormatResult> FormatClkhash(std::string_view raw, std::string* out,
                                             internal::RegexMatcher& matcher) const;

  const FieldSpec* spec_ = nullptr;
  const IdentifierType* identifier_type_ = nullptr;  // a bloomlink type; nullptr for clkhash
  // Shared by copies of the formatter: compiled code is read-only, and matched from any thread.
  std::shared_ptr<const internal::Regex> pattern_;
};

}  // namespace bloomlink::encode_internal
