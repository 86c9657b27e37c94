// The structured UK identifier cleaners: dates of birth, sex codes, postcodes and NHS numbers.
// (Free text and names are in text.cpp and name.cpp.) All ASCII, no allocation beyond `out`.
#include "bloomlink/encode/normalise.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "internal/calendar.hpp"

namespace bloomlink::encode {
namespace {

// ---------------------------------------------------------------------------------------------
// Shared helpers

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
char ToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// NbspAt(s, i): s[i..] starts with U+00A0 NO-BREAK SPACE in UTF-8.
bool NbspAt(std::string_view s, std::size_t i) {
  return i + 1 < s.size() && static_cast<unsigned char>(s[i]) == 0xC2 &&
         static_cast<unsigned char>(s[i + 1]) == 0xA0;
}

// TrimBlanks(s): s without leading and trailing ASCII white space and no-break spaces.
std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty()) {
    if (IsAsciiSpace(s.front())) {
      s.remove_prefix(1);
    } else if (NbspAt(s, 0)) {
      s.remove_prefix(2);
    } else {
      break;
    }
  }
  while (!s.empty()) {
    if (IsAsciiSpace(s.back())) {
      s.remove_suffix(1);
    } else if (s.size() >= 2 && NbspAt(s, s.size() - 2)) {
      s.remove_suffix(2);
    } else {
      break;
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Dates

constexpr std::string_view kUnrecognisedDate = "unrecognised date format";
constexpr std::string_view kTwoDigitYear = "two-digit year";
constexpr std::string_view kYearOutOfRange = "year out of range";
constexpr std::string_view kImpossibleDate = "impossible date";

// DigitRun(s, pos, value): the number of digits at s[pos..] (at most 9 are accumulated).
std::size_t DigitRun(std::string_view s, std::size_t pos, int* value) {
  std::size_t n = 0;
  int v = 0;
  while (pos + n < s.size() && IsDigit(s[pos + n])) {
    if (n < 9) v = v * 10 + (s[pos + n] - '0');
    ++n;
  }
  *value = v;
  return n;
}

// FixedDigits(s, pos, count, value): exactly `count` digits at s[pos..].
bool FixedDigits(std::string_view s, std::size_t pos, std::size_t count, int* value) {
  if (pos > s.size() || s.size() - pos < count) return false;
  int v = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (!IsDigit(s[pos + i])) return false;
    v = v * 10 + (s[pos + i] - '0');
  }
  *value = v;
  return true;
}

// IsTimeOfDay(s): a time after a date: H[H]:MM[:SS[.fraction]], then optionally blanks and one
// of Z, +HH[[:]MM], -HH[[:]MM], AM or PM (any case). Ranges are checked (hours 0-23, or 1-12
// with AM/PM; minutes 0-59; seconds 0-60).
bool IsTimeOfDay(std::string_view s) {
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::size_t hour_digits = DigitRun(s, 0, &hour);
  if (hour_digits < 1 || hour_digits > 2) return false;
  std::size_t pos = hour_digits;
  if (pos >= s.size() || s[pos] != ':' || !FixedDigits(s, pos + 1, 2, &minute)) return false;
  pos += 3;
  if (pos < s.size() && s[pos] == ':') {
    if (!FixedDigits(s, pos + 1, 2, &second)) return false;
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      int ignored = 0;
      const std::size_t fraction = DigitRun(s, pos + 1, &ignored);
      if (fraction == 0) return false;
      pos += 1 + fraction;
    }
  }
  if (minute > 59 || second > 60) return false;
  while (pos < s.size() && s[pos] == ' ') ++pos;
  std::string_view suffix = s.substr(pos);
  if (suffix.empty()) return hour <= 23;
  if (suffix.size() == 2 && (ToUpper(suffix[1]) == 'M') &&
      (ToUpper(suffix[0]) == 'A' || ToUpper(suffix[0]) == 'P')) {
    return hour >= 1 && hour <= 12;
  }
  if (hour > 23) return false;
  if (suffix == "Z" || suffix == "z") return true;
  if (suffix[0] != '+' && suffix[0] != '-') return false;
  int offset = 0;
  if (!FixedDigits(suffix, 1, 2, &offset) || offset > 14) return false;
  suffix.remove_prefix(3);
  if (!suffix.empty() && suffix[0] == ':') suffix.remove_prefix(1);
  if (suffix.empty()) return true;
  int offset_minutes = 0;
  return suffix.size() == 2 && FixedDigits(suffix, 0, 2, &offset_minutes) && offset_minutes <= 59;
}

// TrailingTimeOk(rest): nothing, or 'T' / ' ' followed by a time of day.
bool TrailingTimeOk(std::string_view rest) {
  if (rest.empty()) return true;
  if (rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ') return false;
  return IsTimeOfDay(TrimBlanks(rest.substr(1)));
}

CleanOutcome CheckAndWriteDate(int year, int month, int day, const DateOptions& options,
                               std::string* out) {
  if (year < options.min_year || year > options.max_year) {
    return CleanOutcome::Invalid(kYearOutOfRange);
  }
  if (!internal::IsValidDate(year, month, day)) {
    return CleanOutcome::Invalid(kImpossibleDate);
  }
  out->resize(8);
  char* d = out->data();
  d[0] = static_cast<char>('0' + year / 1000);
  d[1] = static_cast<char>('0' + year / 100 % 10);
  d[2] = static_cast<char>('0' + year / 10 % 10);
  d[3] = static_cast<char>('0' + year % 10);
  d[4] = static_cast<char>('0' + month / 10);
  d[5] = static_cast<char>('0' + month % 10);
  d[6] = static_cast<char>('0' + day / 10);
  d[7] = static_cast<char>('0' + day % 10);
  return CleanOutcome::Valid();
}

// ---------------------------------------------------------------------------------------------
// Postcodes

constexpr std::string_view kPostcodeCharacters = "invalid characters in postcode";
constexpr std::string_view kPostcodeLength = "wrong postcode length";
constexpr std::string_view kPostcodePattern = "not a UK postcode pattern";
constexpr std::string_view kPostcodeAmbiguous = "ambiguous O/0 or I/1 in postcode";

// Letter and digit readings of the confusable characters.
char AsDigit(char c) { return c == 'O' ? '0' : c == 'I' ? '1' : c; }
char AsLetter(char c) { return c == '0' ? 'O' : c == '1' ? 'I' : c; }
bool IsConfusable(char c) { return c == 'O' || c == '0' || c == 'I' || c == '1'; }
char Swap(char c) { return IsDigit(c) ? AsLetter(c) : AsDigit(c); }

// IsOutwardCode(o): one of A9, A99, AA9, AA99, A9A, AA9A.
bool IsOutwardCode(std::string_view o) {
  if (o.size() < 2 || o.size() > 4 || !IsUpper(o[0])) return false;
  // After the area letter(s) comes a district digit, then an optional digit or letter.
  const std::size_t area = IsUpper(o[1]) ? 2 : 1;
  if (area >= o.size() || !IsDigit(o[area])) return false;
  const std::size_t rest = o.size() - area - 1;
  if (rest == 0) return true;
  if (rest > 1) return false;
  const char last = o[o.size() - 1];
  return IsDigit(last) || IsUpper(last);
}

// ---------------------------------------------------------------------------------------------
// NHS numbers

constexpr std::string_view kNhsCharacters = "non-digit characters in NHS number";
constexpr std::string_view kNhsLength = "NHS number is not ten digits";
constexpr std::string_view kNhsPlaceholder = "placeholder NHS number";
constexpr std::string_view kNhsNoCheckDigit = "no valid check digit";
constexpr std::string_view kNhsCheckDigit = "check digit does not match";

}  // namespace

// -----------------------------------------------------------------------------------------------

CleanOutcome CleanDate(std::string_view raw, const DateOptions& options, std::string* out) {
  out->clear();
  const std::string_view s = TrimBlanks(raw);
  if (s.empty()) return CleanOutcome::Missing();

  int first = 0;
  const std::size_t first_digits = DigitRun(s, 0, &first);
  if (first_digits == 8 && s.size() == 8) {  // YYYYMMDD
    return CheckAndWriteDate(first / 10000, first / 100 % 100, first % 100, options, out);
  }
  if (first_digits == 0 || first_digits >= s.size())
    return CleanOutcome::Invalid(kUnrecognisedDate);
  const char sep = s[first_digits];
  if (sep != '-' && sep != '/' && sep != '.') return CleanOutcome::Invalid(kUnrecognisedDate);

  int second = 0;
  const std::size_t second_pos = first_digits + 1;
  const std::size_t second_digits = DigitRun(s, second_pos, &second);
  const std::size_t third_pos = second_pos + second_digits + 1;
  if (second_digits < 1 || second_digits > 2 || third_pos > s.size() || s[third_pos - 1] != sep) {
    return CleanOutcome::Invalid(kUnrecognisedDate);
  }
  int third = 0;
  const std::size_t third_digits = DigitRun(s, third_pos, &third);
  const std::string_view rest = s.substr(third_pos + third_digits);

  if (first_digits == 4 && sep == '-') {  // ISO YYYY-MM-DD, optional time
    if (third_digits < 1 || third_digits > 2 || !TrailingTimeOk(rest)) {
      return CleanOutcome::Invalid(kUnrecognisedDate);
    }
    return CheckAndWriteDate(first, second, third, options, out);
  }
  if (first_digits > 2) return CleanOutcome::Invalid(kUnrecognisedDate);
  // DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY, optional time after a space.
  if (third_digits == 2 && (rest.empty() || rest[0] == ' ')) {
    return CleanOutcome::Invalid(kTwoDigitYear);
  }
  if (third_digits != 4 || (!rest.empty() && rest[0] != ' ') || !TrailingTimeOk(rest)) {
    return CleanOutcome::Invalid(kUnrecognisedDate);
  }
  return CheckAndWriteDate(third, second, first, options, out);
}

CleanOutcome CleanSex(std::string_view raw, std::string* out) {
  out->clear();
  const std::string_view s = TrimBlanks(raw);
  if (s.empty()) return CleanOutcome::Missing();
  // Lower case with inner white space collapsed; the longest accepted word is 13 bytes.
  std::array<char, 16> buf{};
  std::size_t n = 0;
  bool pending_space = false;
  for (char c : s) {
    if (IsAsciiSpace(c)) {
      pending_space = true;
      continue;
    }
    if (n + (pending_space ? 2 : 1) > buf.size())
      return CleanOutcome::Invalid("unrecognised sex code");
    if (pending_space) buf[n++] = ' ';
    pending_space = false;
    buf[n++] = ToLower(c);
  }
  const std::string_view v(buf.data(), n);
  if (v == "m" || v == "male" || v == "1") {
    out->push_back('M');
    return CleanOutcome::Valid();
  }
  if (v == "f" || v == "female" || v == "2") {
    out->push_back('F');
    return CleanOutcome::Valid();
  }
  if (v == "u" || v == "unknown" || v == "not known" || v == "0" || v == "9" ||
      v == "not specified") {
    return CleanOutcome::Missing();
  }
  return CleanOutcome::Invalid("unrecognised sex code");
}

CleanOutcome CleanPostcode(std::string_view raw, std::string* out) {
  out->clear();
  // Upper case, blanks removed; only ASCII letters and digits allowed.
  std::array<char, 7> pc{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (IsAsciiSpace(c)) continue;
    if (NbspAt(raw, i)) {
      ++i;
      continue;
    }
    const char u = ToUpper(c);
    if (!IsDigit(u) && !IsUpper(u)) return CleanOutcome::Invalid(kPostcodeCharacters);
    if (n < pc.size()) pc[n] = u;
    ++n;
  }
  if (n == 0) return CleanOutcome::Missing();
  if (n < 5 || n > 7) return CleanOutcome::Invalid(kPostcodeLength);

  // Inward code 9AA: the positions alone say digit or letter, so O/0 and I/1 are repaired.
  char* inward = pc.data() + n - 3;
  inward[0] = AsDigit(inward[0]);
  inward[1] = AsLetter(inward[1]);
  inward[2] = AsLetter(inward[2]);
  if (!IsDigit(inward[0]) || !IsUpper(inward[1]) || !IsUpper(inward[2])) {
    return CleanOutcome::Invalid(kPostcodePattern);
  }
  // Outward code: the first character is always a letter.
  const std::size_t outward_len = n - 3;
  pc[0] = AsLetter(pc[0]);
  const std::string_view outward(pc.data(), outward_len);
  const std::string_view inward_view(inward, 3);
  if (outward == "GIR" && inward_view == "0AA") {  // Girobank, the one non-standard postcode
    out->assign(pc.data(), n);
    return CleanOutcome::Valid();
  }
  if (!IsOutwardCode(outward)) {
    // Try every reading of the confusable characters after the first; repair only when exactly
    // one reading is a valid outward code.
    std::array<std::size_t, 3> positions{};
    std::size_t k = 0;
    for (std::size_t i = 1; i < outward_len; ++i) {
      if (IsConfusable(pc[i])) positions[k++] = i;
    }
    std::array<char, 4> found{};
    int matches = 0;
    for (unsigned mask = 1; mask < (1u << k); ++mask) {
      std::array<char, 4> candidate{};
      for (std::size_t i = 0; i < outward_len; ++i) candidate[i] = pc[i];
      for (std::size_t b = 0; b < k; ++b) {
        if (mask & (1u << b)) candidate[positions[b]] = Swap(candidate[positions[b]]);
      }
      if (IsOutwardCode(std::string_view(candidate.data(), outward_len))) {
        found = candidate;
        ++matches;
      }
    }
    if (matches == 0) return CleanOutcome::Invalid(kPostcodePattern);
    if (matches > 1) return CleanOutcome::Invalid(kPostcodeAmbiguous);
    for (std::size_t i = 0; i < outward_len; ++i) pc[i] = found[i];
  }
  // NHS pseudo-postcodes (ZZ99 3VZ no fixed abode, ZZ99 3WZ not known, ...) carry no location.
  if (outward == "ZZ99") return CleanOutcome::Missing();
  out->assign(pc.data(), n);
  return CleanOutcome::Valid();
}

int NhsCheckDigit(std::string_view first_nine) {
  if (first_nine.size() != 9) return -1;
  int sum = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    const char c = first_nine[i];
    if (!IsDigit(c)) return -1;
    sum += (c - '0') * static_cast<int>(10 - i);
  }
  const int check = 11 - sum % 11;
  if (check == 11) return 0;
  if (check == 10) return -1;
  return check;
}

CleanOutcome CleanNhsNumber(std::string_view raw, std::string* out) {
  out->clear();
  std::array<char, 10> digits{};
  std::size_t n = 0;
  bool other = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (IsAsciiSpace(c) || c == '-') continue;
    if (NbspAt(raw, i)) {
      ++i;
      continue;
    }
    if (!IsDigit(c)) {
      other = true;
      break;
    }
    if (n < digits.size()) digits[n] = c;
    ++n;
  }
  if (other) return CleanOutcome::Invalid(kNhsCharacters);
  if (n == 0) return CleanOutcome::Missing();
  if (n != 10) return CleanOutcome::Invalid(kNhsLength);
  bool all_same = true;
  for (char c : digits) all_same = all_same && c == digits[0];
  if (all_same) return CleanOutcome::Invalid(kNhsPlaceholder);
  const int check = NhsCheckDigit(std::string_view(digits.data(), 9));
  if (check < 0) return CleanOutcome::Invalid(kNhsNoCheckDigit);
  if (check != digits[9] - '0') return CleanOutcome::Invalid(kNhsCheckDigit);
  out->assign(digits.data(), digits.size());
  return CleanOutcome::Valid();
}

}  // namespace bloomlink::encode
