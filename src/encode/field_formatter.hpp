// Internal: a raw value becomes the string that is tokenised, per the field's kind.
//
// bloomlink kinds go through the UK cleaners (bloomlink/encode/normalise.hpp) after the
// schema's missing values are recognised. clkhash kinds follow clkhash: a value equal to the
// missing-value sentinel is replaced (or, without replaceWith, kept as it is) and not validated;
// other values are validated against the format and used as they are, integers rewritten as
// str(int(v)) and dates as %Y%m%d. A value that fails validation is treated as missing and counted.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "bloomlink/encode/normalise.hpp"
#include "bloomlink/schema.hpp"

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
  static absl::StatusOr<FieldFormatter> Create(const FieldSpec& spec);
  // Format(raw, out): thread-safe (const); `out` is the caller's reusable buffer.
  FormatResult Format(std::string_view raw, std::string* out) const;

 private:
  FormatResult FormatBloomlink(std::string_view raw, std::string* out) const;
  FormatResult FormatClkhash(std::string_view raw, std::string* out) const;

  const FieldSpec* spec_ = nullptr;
  const IdentifierType* identifier_type_ = nullptr;  // a bloomlink type; nullptr for clkhash
  std::shared_ptr<const std::regex> pattern_;
};

}  // namespace bloomlink::encode_internal
