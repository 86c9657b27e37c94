// bloomlink/encode/clean.hpp
//
// ValueCleaner: a field's clean value and plaintext tokens for a raw value, exactly as the Encoder
// makes them before hashing (the field's cleaner or clkhash format, then its tokeniser). For the
// data holder's own checks of its encodings (bloomlink/audit/audit.hpp), which need the
// plaintext beside each encoding; encoding itself does not use it.
//
//   absl::StatusOr<encode::ValueCleaner> cleaner = encode::ValueCleaner::Create(schema.fields[1]);
//   if (!cleaner.ok()) return cleaner.status();
//   std::string clean;
//   encode::TokenList tokens;
//   absl::StatusOr<bool> encoded = cleaner->CleanAndTokenise("Dr Seán O'Neil", &clean, &tokens);
//   // *encoded == true, clean == "sean oneil", tokens: " s", "se", ...
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "bloomlink/encode/tokenise.hpp"
#include "bloomlink/schema.hpp"

namespace bloomlink::encode {

class ValueCleaner {
 public:
  // Create(field): compiles the field's clkhash pattern, if any (InvalidArgument naming the field
  // when it does not compile). `field` must outlive the cleaner; an ignored field is refused.
  static absl::StatusOr<ValueCleaner> Create(const FieldSpec& field);
  ValueCleaner(ValueCleaner&&) noexcept;
  ValueCleaner& operator=(ValueCleaner&&) noexcept;
  // A copy shares the compiled pattern and has its own matcher: one copy per thread.
  ValueCleaner(const ValueCleaner& other);
  ValueCleaner& operator=(const ValueCleaner& other);
  ~ValueCleaner();

  // CleanAndTokenise(raw, clean, tokens): true when the Encoder would hash the value into the
  // filter (it is valid and has at least one token); *clean then holds the value as tokenised
  // and *tokens (when not null) its tokens. False for a missing or invalid value, or one without
  // tokens: *clean and *tokens are then empty. The one error is the Encoder's: a clkhash pattern
  // that cannot be decided on the value within the regex limits (InvalidArgument naming the
  // field and the pattern, never the value). Not thread-safe: copy the cleaner per thread.
  absl::StatusOr<bool> CleanAndTokenise(std::string_view raw, std::string* clean,
                                        TokenList* tokens);

 private:
  struct Impl;
  explicit ValueCleaner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bloomlink::encode
