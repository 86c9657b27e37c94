// bloomlink/encode/normalise.hpp
//
// Identifier cleaning for UK health and care data (the "UK pack"). Each cleaner is a small pure
// function: raw value in, canonical value out, plus whether the value was usable. A value that is
// present but unusable (an NHS number with a wrong check digit, 31/02/1990) is kInvalid: the
// encoder treats it as missing and counts it with the reason, so nothing is silently dropped and
// nothing invalid is encoded as if it were valid.
//
// Cleaners write into a caller-owned std::string (cleared first) so the hot loop reuses buffers.
//
//   std::string out;
//   CleanOutcome r = CleanNhsNumber("943 476 5919", &out);   // r.status == kValid, out == "9434765919"
//   r = CleanPostcode("sw1a 1aa", &out);                      // kValid, out == "SW1A1AA"
//   r = CleanDate("31/02/1990", DateOptions{}, &out);         // kInvalid, reason "impossible date"
#pragma once

#include <string>
#include <string_view>

namespace bloomlink::encode {

// CleanStatus: what a cleaner made of one raw value.
enum class CleanStatus : unsigned char {
  kValid,    // *out holds the canonical form
  kMissing,  // empty, blank or an explicit "not known" code: missing, not an error
  kInvalid,  // present but unusable: treated as missing and counted under `reason`
};

// CleanOutcome: the status and, for kInvalid, a short static reason ("check digit does not
// match"); reason is empty otherwise. The reason never contains the value itself (values are
// personal data and must not reach logs).
struct CleanOutcome {
  CleanStatus status;
  std::string_view reason;

  static constexpr CleanOutcome Valid() { return {CleanStatus::kValid, {}}; }
  static constexpr CleanOutcome Missing() { return {CleanStatus::kMissing, {}}; }
  static constexpr CleanOutcome Invalid(std::string_view why) { return {CleanStatus::kInvalid, why}; }
};

// TextOptions: how CleanText treats one free-text value. Unicode NFKC, case folding (to lower
// case), accent removal and whitespace collapsing (runs of white space become one space, leading
// and trailing space removed) are always applied.
struct TextOptions {
  // drop_punctuation removes punctuation and symbols (Unicode categories P* and S*); hyphens and
  // slashes become spaces so that "Smith-Jones" and "Smith Jones" clean alike.
  bool drop_punctuation = false;
};

// CleanText(raw, options, out): the generic text cleaner. Invalid UTF-8 is kInvalid; a value that
// is empty after cleaning is kMissing.
CleanOutcome CleanText(std::string_view raw, const TextOptions& options, std::string* out);

// CleanName(raw, out): a person's given or family name. Text cleaning with punctuation dropped
// (apostrophes removed: "O'Neil" -> "oneil"; hyphens become spaces), then titles (MR, MRS, MISS,
// MS, MX, DR, PROF, REV, SIR, DAME, ...) and noise tokens ("BABY OF", "TWIN 1", "UNKNOWN", "NOT
// KNOWN", ...) removed as whole words. Nothing left is kMissing.
CleanOutcome CleanName(std::string_view raw, std::string* out);

// DateOptions: the accepted range of years; dates outside it are kInvalid ("year out of range").
struct DateOptions {
  int min_year = 1880;
  int max_year = 2100;
};

// CleanDate(raw, options, out): a date of birth to "YYYYMMDD". Accepts ISO YYYY-MM-DD (optionally
// followed by a time "T..."/" ..."), DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY and YYYYMMDD, day and
// month with one or two digits in the separated forms; always day before month (UK order).
// Impossible dates (30/02) and unparseable text are kInvalid.
CleanOutcome CleanDate(std::string_view raw, const DateOptions& options, std::string* out);

// CleanSex(raw, out): "M" or "F". Accepts M/F/U, MALE/FEMALE/UNKNOWN and the NHS data dictionary
// codes 1 (male), 2 (female), 0 (not known), 9 (not specified), any case, surrounding blanks
// ignored. U/0/9/"not known" are kMissing; anything else is kInvalid.
CleanOutcome CleanSex(std::string_view raw, std::string* out);

// CleanPostcode(raw, out): a UK postcode in upper case without spaces ("SW1A1AA"). Validated
// against the UK pattern (outward code A9, A99, AA9, AA99, A9A, AA9A; inward code 9AA; plus GIR
// 0AA). O/0 and I/1 confusions are repaired where the position makes it unambiguous (inward code
// "0AA" position needs a digit; area letters need letters). Anything else is kInvalid.
CleanOutcome CleanPostcode(std::string_view raw, std::string* out);

// CleanNhsNumber(raw, out): ten digits after removing spaces and dashes, with the Modulus 11
// check digit validated. A wrong check digit, a check value of 10, the wrong length, other
// characters or a placeholder of ten identical digits are kInvalid.
CleanOutcome CleanNhsNumber(std::string_view raw, std::string* out);

// NhsCheckDigit(first_nine): the Modulus 11 check digit for nine ASCII digits, or -1 when the
// number cannot have a valid check digit (check value 10) or the input is not nine digits.
int NhsCheckDigit(std::string_view first_nine);

}  // namespace bloomlink::encode
