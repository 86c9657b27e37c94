// bloomlink/encode/normalise.hpp
//
// Identifier cleaning for UK health and care data (the "UK pack"). Each cleaner is a small pure
// function: raw value in, canonical value out, plus whether the value was usable. A value that is
// present but unusable (an NHS number with a wrong check digit, 31/02/1990) is kInvalid: the
// encoder treats it as missing and counts it with the reason, so nothing is silently dropped and
// nothing invalid is encoded as if it were valid.
//
// Cleaners write into a caller-owned std::string (cleared first) so the hot loop reuses buffers;
// *out is empty unless the status is kValid. All cleaners are pure and thread-safe, never throw
// on bad input and never allocate beyond growing *out (CleanText may use a temporary buffer for
// values that decompose to more than 256 code points).
//
//   std::string out;
//   CleanOutcome r = CleanNhsNumber("943 476 5919", &out);   // r.status == kValid, out ==
//   "9434765919" r = CleanPostcode("sw1a 1aa", &out);                      // kValid, out ==
//   "SW1A1AA" r = CleanDate("31/02/1990", DateOptions{}, &out);         // kInvalid, reason
//   "impossible date"
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
  static constexpr CleanOutcome Invalid(std::string_view why) {
    return {CleanStatus::kInvalid, why};
  }
};

// TextOptions: how CleanText treats one free-text value. Unicode NFKC, case folding (to lower
// case), accent removal and whitespace collapsing (runs of white space become one space, leading
// and trailing space removed) are always applied.
struct TextOptions {
  // drop_punctuation removes punctuation and symbols (Unicode categories P* and S*): apostrophes
  // and quotation marks (', ", Pi, Pf) disappear ("O'Neil" -> "oneil"); every other punctuation
  // or symbol character (hyphens, dashes, slashes, commas, full stops, brackets, &, £ ...)
  // becomes a word break, so that "Smith-Jones", "Smith Jones" and "Smith,Jones" clean alike and
  // "St.John" is "st john". Applied after NFKC: "™" is "tm", not removed.
  bool drop_punctuation = false;
};

// CleanText(raw, options, out): the generic text cleaner. Invalid UTF-8 is kInvalid ("invalid
// UTF-8"); a value that is empty after cleaning is kMissing. In detail:
//   - NFKC and full case folding: "ﬁ" -> "fi", fullwidth "Ｊ" -> "j", "Straße" -> "strasse",
//     "①" -> "1".
//   - Accents: non-spacing and enclosing combining marks (Mn, Me) are removed, so "Café" and
//     "Cafe" + U+0301 are both "cafe"; spacing marks (Mc, e.g. Indic vowel signs) are kept.
//     Latin letters with a stroke, which Unicode does not decompose, are folded to their base
//     letter: ø ł đ ð ħ ŧ ı -> o l d d h t i (æ œ þ are kept).
//   - Standalone accents (modifier symbols, Sk: ^ ¨ ¸ ...) are removed with the accents.
//   - Apostrophe look-alikes (’ ‘ ‛ ′ ´ ` ʼ ʻ ʽ ʹ) become ', so "O’Neil" and "O'Neil" agree.
//   - Format characters (Cf: soft hyphen, zero-width space, byte order mark) are removed.
//   - White space (Unicode Z*, including no-break spaces) and control characters (Cc, including
//     tab, newline and NUL) separate words.
// Pure ASCII and mostly-Latin values take fast paths that avoid utf8proc's buffers; they give
// exactly the output of the full path.
CleanOutcome CleanText(std::string_view raw, const TextOptions& options, std::string* out);

// CleanName(raw, out): a person's given or family name. Text cleaning with punctuation dropped
// (apostrophes removed: "O'Neil" -> "oneil"; hyphens become spaces), then titles (MR, MRS, MISS,
// MS, MX, DR, PROF, REV, SIR, DAME, ...) and noise tokens ("BABY OF", "TWIN 1", "UNKNOWN", "NOT
// KNOWN", ...) removed as whole words. Nothing left is kMissing.
//   - Titles go wherever they stand ("Dr John Smith", "SMITH, MR JOHN" -> "smith john"), but only
//     as whole words ("Drew" stays). Words that are also surnames (Master, Lord, Lady, Major,
//     Doctor) are not treated as titles.
//   - Noise phrases win over their first word ("baby of" before "baby"); "baby", "twin" and
//     "triplet" alone are noise too, as are "null", "none", "nk", "unk", "anon", "stillborn".
//   - "N/A", "N/K", "N.A.", "N.K." (also in brackets or quotes) are noise only while their
//     punctuation is present: they are removed before punctuation is dropped, so "N A Smith"
//     keeps its initials. "Na" is a surname and is kept.
// The full tables are in src/encode/normalise/name.cpp.
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
//   - The day-first forms may also be followed by " " and a time (spreadsheet exports write
//     "02/01/1990 00:00"). A time is H[H]:MM[:SS[.fff]] with an optional Z, +HH[:MM], -HH[:MM],
//     AM or PM, and must be a real time of day; the time is checked and then ignored.
//   - Surrounding blanks (including no-break spaces) are ignored; blank is kMissing.
//   - Reasons: "unrecognised date format", "two-digit year" (DD/MM/YY: a century is never
//     guessed), "year out of range" (checked first), "impossible date" (day 0, month 13, 29/02 of
//     a non-leap year; 1900 is not a leap year, 2000 is). Month-first dates such as 12/31/1999
//     are therefore "impossible date"; YYYY/MM/DD is not accepted.
CleanOutcome CleanDate(std::string_view raw, const DateOptions& options, std::string* out);

// CleanSex(raw, out): "M" or "F". Accepts M/F/U, MALE/FEMALE/UNKNOWN and the NHS data dictionary
// codes 1 (male), 2 (female), 0 (not known), 9 (not specified), any case, surrounding blanks
// ignored. U/0/9/"not known"/"not specified" are kMissing; anything else is kInvalid
// ("unrecognised sex code").
CleanOutcome CleanSex(std::string_view raw, std::string* out);

// CleanPostcode(raw, out): a UK postcode in upper case without spaces ("SW1A1AA"). Validated
// against the UK pattern (outward code A9, A99, AA9, AA99, A9A, AA9A; inward code 9AA; plus GIR
// 0AA). O/0 and I/1 confusions are repaired where the position makes it unambiguous (inward code
// "0AA" position needs a digit; area letters need letters). Anything else is kInvalid.
// The rule, after upper-casing and removing blanks (5 to 7 letters and digits remain):
//   1. Inward code (last three): the first must be a digit (O -> 0, I -> 1), the other two
//      letters (0 -> O, 1 -> I).
//   2. Outward code: the first character must be a letter (0 -> O, 1 -> I).
//   3. "GIR 0AA" is accepted as it is.
//   4. If the outward code then fits a pattern it is kept as it is, even when another reading
//      would fit too ("SO1" stays, not "S01"). Otherwise every reading of its other O/0/I/1
//      characters is tried: exactly one fitting reading is a repair ("SWIA" -> "SW1A", "CRO" ->
//      "CR0"); several is kInvalid ("ambiguous O/0 or I/1 in postcode"); none is kInvalid.
// Only the pattern is checked, not the letters Royal Mail leaves unused in some positions, so a
// repaired inward "1A0" reads "1AO". NHS pseudo-postcodes (outward code ZZ99: no fixed abode, not
// known, ...) carry no location and are kMissing. Reasons: "invalid characters in postcode",
// "wrong postcode length", "not a UK postcode pattern", "ambiguous O/0 or I/1 in postcode".
CleanOutcome CleanPostcode(std::string_view raw, std::string* out);

// CleanNhsNumber(raw, out): ten digits after removing spaces and dashes, with the Modulus 11
// check digit validated. A wrong check digit, a check value of 10, the wrong length, other
// characters or a placeholder of ten identical digits are kInvalid. Blank (white space and
// dashes only) is kMissing. Reasons: "non-digit characters in NHS number", "NHS number is not ten
// digits", "placeholder NHS number" (all ten digits the same: 0000000000 and 1111111111 pass the
// Modulus 11 check), "no valid check digit", "check digit does not match".
CleanOutcome CleanNhsNumber(std::string_view raw, std::string* out);

// NhsCheckDigit(first_nine): the Modulus 11 check digit for nine ASCII digits, or -1 when the
// number cannot have a valid check digit (check value 10) or the input is not nine digits.
int NhsCheckDigit(std::string_view first_nine);

}  // namespace bloomlink::encode
