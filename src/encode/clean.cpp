#include "bloomlink/encode/clean.hpp"

#include "encode/field_formatter.hpp"
#include "internal/regex.hpp"
#include "internal/status_macros.hpp"

namespace bloomlink::encode {

struct ValueCleaner::Impl {
  const FieldSpec* field = nullptr;
  encode_internal::FieldFormatter formatter;
  internal::RegexMatcher matcher;
  TokenList scratch;  // tokens when the caller wants none
};

ValueCleaner::ValueCleaner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ValueCleaner::ValueCleaner(ValueCleaner&&) noexcept = default;
ValueCleaner& ValueCleaner::operator=(ValueCleaner&&) noexcept = default;
ValueCleaner::~ValueCleaner() = default;

ValueCleaner::ValueCleaner(const ValueCleaner& other)
    : impl_(std::make_unique<Impl>(Impl{other.impl_->field, other.impl_->formatter,
                                        internal::RegexMatcher(), TokenList()})) {}

ValueCleaner& ValueCleaner::operator=(const ValueCleaner& other) {
  if (this != &other) *this = ValueCleaner(other);
  return *this;
}

absl::StatusOr<ValueCleaner> ValueCleaner::Create(const FieldSpec& field) {
  if (field.ignored) {
    return absl::InvalidArgumentError("field " + field.name + " is ignored: it has no values");
  }
  BLOOMLINK_ASSIGN_OR_RETURN(encode_internal::FieldFormatter formatter,
                             encode_internal::FieldFormatter::Create(field));
  return ValueCleaner(std::make_unique<Impl>(
      Impl{&field, std::move(formatter), internal::RegexMatcher(), TokenList()}));
}

absl::StatusOr<bool> ValueCleaner::CleanAndTokenise(std::string_view raw, std::string* clean,
                                                    TokenList* tokens) {
  // The Encoder's steps (encoder.cpp, EncodeRecord), without the counting and hashing.
  Impl& impl = *impl_;
  TokenList& out = tokens != nullptr ? *tokens : impl.scratch;
  BLOOMLINK_ASSIGN_OR_RETURN(encode_internal::FormatResult r,
                             impl.formatter.Format(raw, clean, impl.matcher));
  const bool encoded = r.status != CleanStatus::kInvalid && r.encode &&
                       Tokenise(*clean, impl.field->tokens, out) && !out.empty();
  if (!encoded) {
    clean->clear();
    out.clear();
  }
  return encoded;
}

}  // namespace bloomlink::encode
