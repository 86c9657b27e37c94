// Synthetic trust and council extracts (see bloomlink/synth/synth.hpp).
//
// The population is a sequence of persons p = 0, 1, 2, ...: persons [0, shared) are in both
// extracts, [shared, records) only in the trust's, [records, 2 * records - shared) only in the
// council's. Everything about a person is a pure function of (seed, p): its true identity comes
// from one random stream, the way the trust records it from a second and the way the council
// records it from a third. Keyed permutations put the persons in a different order in each
// extract and give council ids and NHS numbers that are unique without any table, so any row can
// be produced on its own in constant memory.
//
// Randomness is splitmix64 with our own mapping to ranges and integer-only weights, so the output
// is the same with any compiler, standard library and machine.

#include "bloomlink/synth/synth.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bloomlink/io/atomic_file.hpp"
#include "internal/calendar.hpp"
#include "internal/random.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "synth/tables.hpp"

namespace bloomlink::synth {
namespace {

// ---------------------------------------------------------------------------------------------
// Random numbers.

using internal::Mix64;

// Hash(key, x): a keyed 64-bit hash of x.
constexpr std::uint64_t Hash(std::uint64_t key, std::uint64_t x) {
  return Mix64(key ^ Mix64(x + internal::kGoldenGamma));
}

// Probability: p scaled to 2^53, compared with 53 random bits.
struct Probability {
  std::uint64_t threshold = 0;
};
constexpr std::uint64_t kProbabilityOne = std::uint64_t{1} << 53;

Probability MakeProbability(double p) {
  if (!(p > 0)) return {0};
  if (p >= 1) return {kProbabilityOne};
  return {static_cast<std::uint64_t>(p * static_cast<double>(kProbabilityOne))};
}

// Rng: splitmix64, with the ranges and choices synthetic records are drawn with.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : bits_(seed) {}
  std::uint64_t Next() { return bits_.Next(); }
  // Below(n): a number in [0, n) for n >= 1 (multiply-shift of 32 random bits).
  std::uint32_t Below(std::uint32_t n) {
    return static_cast<std::uint32_t>(((Next() >> 32) * n) >> 32);
  }
  bool Chance(Probability p) { return (Next() >> 11) < p.threshold; }
  template <typename T>
  const T& Pick(std::span<const T> items) {
    return items[Below(static_cast<std::uint32_t>(items.size()))];
  }

 private:
  internal::SplitMix64 bits_;
};

// Permutation: a keyed bijection of [0, n): a Feistel network on the smallest power of two
// >= n (alternating halves, so the bit count may be odd), cycle-walking back into [0, n).
class Permutation {
 public:
  Permutation() = default;
  Permutation(std::uint64_t key, std::uint64_t n) : n_(n) {
    int bits = 2;
    while (bits < 64 && (std::uint64_t{1} << bits) < n) ++bits;
    left_bits_ = bits / 2;
    right_bits_ = bits - left_bits_;
    left_mask_ = (std::uint64_t{1} << left_bits_) - 1;
    right_mask_ = (std::uint64_t{1} << right_bits_) - 1;
    for (std::size_t i = 0; i < keys_.size(); ++i) keys_[i] = Hash(key, i);
  }
  std::uint64_t operator()(std::uint64_t x) const {
    do {
      x = Round(x);
    } while (x >= n_);
    return x;
  }

 private:
  std::uint64_t Round(std::uint64_t x) const {
    std::uint64_t l = x >> right_bits_;
    std::uint64_t r = x & right_mask_;
    for (std::size_t i = 0; i < keys_.size(); i += 2) {
      l = (l ^ Mix64(r ^ keys_[i])) & left_mask_;
      r = (r ^ Mix64(l ^ keys_[i + 1])) & right_mask_;
    }
    return (l << right_bits_) | r;
  }

  std::uint64_t n_ = 1;
  int left_bits_ = 1, right_bits_ = 1;
  std::uint64_t left_mask_ = 1, right_mask_ = 1;
  std::array<std::uint64_t, 4> keys_{};
};

// WeightedIndex: samples an index with probability proportional to integer weights (the first
// index whose cumulative weight exceeds a uniform draw, found through a guide table indexed by
// the draw's top bits, so sampling takes about one comparison).
class WeightedIndex {
 public:
  WeightedIndex() = default;
  explicit WeightedIndex(std::span<const std::uint32_t> weights) {
    std::uint64_t total = 0;
    cumulative_.reserve(weights.size());
    for (std::uint32_t w : weights) {
      total += w;
      cumulative_.push_back(static_cast<std::uint32_t>(total));
    }
    total_ = static_cast<std::uint32_t>(total);
    std::size_t index = 0;
    for (std::uint64_t bucket = 0; bucket < kGuideSize; ++bucket) {
      // The smallest draw in this bucket, as Sample computes it.
      const std::uint64_t x = bucket << (32 - kGuideBits);
      const std::uint64_t r = (x * total_) >> 32;
      while (cumulative_[index] <= r) ++index;
      guide_[bucket] = static_cast<std::uint32_t>(index);
    }
  }
  // Zipf(n, offset): weight of rank k proportional to 1 / (k + offset).
  static WeightedIndex Zipf(std::size_t n, std::uint32_t offset) {
    std::vector<std::uint32_t> weights(n);
    for (std::size_t k = 0; k < n; ++k) {
      weights[k] = 1'000'000 / (static_cast<std::uint32_t>(k) + offset);
    }
    return WeightedIndex(weights);
  }
  std::size_t Sample(Rng& rng) const {
    const std::uint64_t x = rng.Next() >> 32;
    const std::uint64_t r = (x * total_) >> 32;
    std::size_t index = guide_[x >> (32 - kGuideBits)];
    while (cumulative_[index] <= r) ++index;
    return index;
  }

 private:
  static constexpr int kGuideBits = 10;
  static constexpr std::size_t kGuideSize = std::size_t{1} << kGuideBits;
  std::vector<std::uint32_t> cumulative_;
  std::uint32_t total_ = 0;
  std::array<std::uint32_t, kGuideSize> guide_{};
};

// NameList: a name list with Zipf weights by rank.
struct NameList {
  std::span<const std::string_view> names;
  WeightedIndex index;

  NameList() = default;
  NameList(std::span<const std::string_view> n, std::uint32_t offset)
      : names(n), index(WeightedIndex::Zipf(n.size(), offset)) {}
  std::string_view Sample(Rng& rng) const { return names[index.Sample(rng)]; }
};

// ---------------------------------------------------------------------------------------------
// Dates (proleptic Gregorian calendar, days since 1970-01-01).

struct Date {
  int y = 0, m = 0, d = 0;
};

constexpr std::int64_t DaysFromCivil(Date date) {
  return internal::DaysSinceEpoch(internal::YearMonthDay(date.y, date.m, date.d));
}

constexpr Date CivilFromDays(std::int64_t days) {
  const std::chrono::year_month_day ymd = internal::DateOfDays(days);
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

constexpr int ParseDigits(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

constexpr Date kReference = {ParseDigits(kSynthReferenceDate.substr(0, 4)),
                             ParseDigits(kSynthReferenceDate.substr(5, 2)),
                             ParseDigits(kSynthReferenceDate.substr(8, 2))};
constexpr std::int64_t kReferenceDays = DaysFromCivil(kReference);
static_assert(CivilFromDays(kReferenceDays).y == 2024 && CivilFromDays(kReferenceDays).d == 31);
static_assert(kReference.m == 3 && kReference.d == 31,
              "age bands assume the reference day exists in every year");

bool IsValidDate(Date date) {
  return internal::IsValidDate(date.y, date.m, date.d) && DaysFromCivil(date) <= kReferenceDays &&
         date.y >= kReference.y - 110;
}

// Ages by five-year band (the last band is the single year 100): relative weights per year of
// age, roughly the shape of the UK population.
constexpr std::uint32_t kAgeWeightPerYear[21] = {58, 62, 62, 58, 63, 67, 70, 68, 64, 64, 70,
                                                 68, 59, 52, 50, 40, 26, 16, 7,  2,  1};

// ---------------------------------------------------------------------------------------------
// NHS numbers.

// NHS numbers come from 3 * 10^7 eight-digit heads (40000000-49999999, 60000000-79999999, ranges
// issued in England and Wales), each with 8 slots for the ninth digit: every head has at least
// 9 ninth digits with a valid check digit, and at most one of them makes a number of ten
// identical digits (which cleaners reject as a placeholder).
constexpr std::uint64_t kNhsHeads = 30'000'000;
constexpr std::uint64_t kNhsSlotsPerHead = 8;

// ---------------------------------------------------------------------------------------------
// Postcodes.

constexpr std::string_view kInwardLetters = "ABDEFGHJLNPQRSTUWXYZ";

struct Postcode {
  int area = 0;
  int outward_len = 0;
  std::array<char, 4> outward{};
  std::array<char, 3> inward{};
};

void AppendPostcode(std::string& out, const Postcode& pc, bool space, bool lower) {
  auto put = [&](char c) {
    out.push_back(lower && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  };
  for (int i = 0; i < pc.outward_len; ++i) put(pc.outward[static_cast<std::size_t>(i)]);
  if (space) out.push_back(' ');
  for (char c : pc.inward) put(c);
}

// ---------------------------------------------------------------------------------------------
// Text helpers.

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
char ToUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// FoldLatin(cp): the ASCII letter that a Latin letter with a diacritic (U+00C0-U+017F, U+0218-
// U+021B) loses its diacritic to, or 0 when it has none (letters such as ł or ß that do not
// decompose are not folded).
char FoldLatin(char32_t cp) {
  constexpr std::string_view kLatin1 =  // U+00C0 - U+00FF
      "AAAAAA?CEEEEIIII?NOOOOO??UUUUY??aaaaaa?ceeeeiiii?nooooo??uuuuy?y";
  constexpr std::string_view kExtendedA =  // U+0100 - U+017F
      "AaAaAaCc"
      "CcCcCcDd"
      "??EeEeEe"
      "EeEeGgGg"
      "GgGgHh??"
      "IiIiIiIi"
      "I???JjKk"
      "?LlLlLl?"
      "???NnNnN"
      "n???OoOo"
      "Oo??RrRr"
      "RrSsSsSs"
      "SsTtTt??"
      "UuUuUuUu"
      "UuUuWwYy"
      "YZzZzZz?";
  static_assert(kLatin1.size() == 0x40 && kExtendedA.size() == 0x80);
  char c = '?';
  if (cp >= 0xC0 && cp <= 0xFF) {
    c = kLatin1[cp - 0xC0];
  } else if (cp >= 0x100 && cp <= 0x17F) {
    c = kExtendedA[cp - 0x100];
  } else if (cp >= 0x218 && cp <= 0x21B) {
    c = "SsTt"[cp - 0x218];
  }
  return c == '?' ? 0 : c;
}

enum class Style { kAsIs, kFolded, kUpper, kLower };

// AppendStyled(out, s, style): s as written (kAsIs), with diacritics removed (kFolded), or
// additionally in upper or lower case.
void AppendStyled(std::string& out, std::string_view s, Style style) {
  if (style == Style::kAsIs) {
    out.append(s);
    return;
  }
  auto put = [&](char c) {
    if (style == Style::kUpper) c = ToUpper(c);
    if (style == Style::kLower) c = ToLower(c);
    out.push_back(c);
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
      const char32_t cp = (char32_t{c} & 0x1F) << 6 | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
      if (char folded = FoldLatin(cp); folded != 0) {
        put(folded);
      } else {
        out.append(s.substr(i, 2));
      }
      ++i;
    } else {
      put(s[i]);
    }
  }
}

constexpr std::string_view kKeyboardNeighbours[26] = {
    "qwsz",   "vghn",  "xdfv", "serfcx", "wsdr", "drtgvc", "ftyhbv", "gyujnb", "ujko",
    "huikmn", "jiolm", "kop",  "njk",    "bhjm", "iklp",   "ol",     "wa",     "edft",
    "awedxz", "rfgy",  "yhji", "cfgb",   "qase", "zsdc",   "tghu",   "asx"};

char Neighbour(char c, Rng& rng) {
  const char lower = ToLower(c);
  std::string_view keys = kKeyboardNeighbours[lower - 'a'];
  const char n = keys[rng.Below(static_cast<std::uint32_t>(keys.size()))];
  return IsUpper(c) ? ToUpper(n) : n;
}

// Typo(s, rng): one keying error in a name (substitution by a neighbouring key, insertion,
// deletion or transposition of adjacent letters), on ASCII letters only. The case pattern of the
// name is kept.
void Typo(std::string& s, Rng& rng) {
  std::array<std::size_t, 48> pos{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size() && n < pos.size(); ++i) {
    if (IsAsciiLetter(s[i])) pos[n++] = i;
  }
  if (n == 0) return;
  const std::uint32_t op = rng.Below(4);
  const std::size_t k = rng.Below(static_cast<std::uint32_t>(n));
  const std::size_t i = pos[k];
  if (op == 1) {  // insertion: a doubled letter or a neighbouring key, after position i
    const char c = rng.Below(2) == 0 ? s[i] : Neighbour(s[i], rng);
    s.insert(i + 1, 1, ToLower(c));
    return;
  }
  if (op == 2 && n >= 3) {  // deletion
    const bool was_upper = IsUpper(s[i]);
    s.erase(i, 1);
    if (was_upper && i < s.size()) s[i] = ToUpper(s[i]);
    return;
  }
  if (op == 3) {  // transposition of two adjacent, different letters
    for (std::size_t t = 0; t + 1 < n; ++t) {
      const std::size_t a = pos[(k + t) % (n - 1)];
      const std::size_t b = a + 1;
      if (b < s.size() && IsAsciiLetter(s[b]) && ToLower(s[a]) != ToLower(s[b])) {
        const char ca = s[a], cb = s[b];
        s[a] = IsUpper(ca) ? ToUpper(cb) : ToLower(cb);
        s[b] = IsUpper(cb) ? ToUpper(ca) : ToLower(ca);
        return;
      }
    }
  }
  s[i] = Neighbour(s[i], rng);  // substitution (and the fallback of the others)
}

// AppendPadded(out, value, width): value in decimal, zero-padded to at least `width` digits.
void AppendPadded(std::string& out, std::uint64_t value, int width) {
  char buf[24];
  char* end = buf + sizeof buf;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (end - p < width) *--p = '0';
  out.append(p, end);
}

// ---------------------------------------------------------------------------------------------
// Disagreement rates at corruption 1.0 (each is multiplied by SynthOptions::corruption).

struct Rates {
  // The trust's records.
  Probability trust_nhs_missing, trust_given_missing, trust_family_missing, trust_dob_missing,
      trust_postcode_missing, trust_sex_missing, twin_label, baby_of;
  // The council's records.
  Probability nhs_missing, nhs_mistyped, given_nickname, given_typo, given_missing, married_name,
      family_typo, family_missing, dob_swap, dob_day_typo, dob_year_typo, dob_missing, sex_flip,
      sex_missing, postcode_moved, postcode_typo, postcode_missing;

  // Rates(c, missing): the built-in rates times c; with `missing`, every missing-value rate is
  // that instead (trust_sex_missing is used only then).
  Rates(double c, std::optional<double> missing) {
    auto p = [c](double base) { return MakeProbability(base * c); };
    trust_nhs_missing = p(0.010);
    trust_given_missing = p(0.002);
    trust_family_missing = p(0.001);
    trust_dob_missing = p(0.001);
    trust_postcode_missing = p(0.005);
    twin_label = p(0.15);  // of twins: "TWIN 1 OLIVIA"
    baby_of = p(0.05);     // of infants: "BABY OF <mother>" instead of the given name
    nhs_missing = p(0.12);
    nhs_mistyped = p(0.005);   // one digit changed or two transposed: fails the check digit
    given_nickname = p(0.10);  // of names with informal forms or other spellings
    given_typo = p(0.02);
    given_missing = p(0.005);
    married_name = p(0.06);  // of women aged 20 or more
    family_typo = p(0.02);
    family_missing = p(0.003);
    dob_swap = p(0.015);  // of dates whose day is 12 or less
    dob_day_typo = p(0.005);
    dob_year_typo = p(0.003);
    dob_missing = p(0.003);
    sex_flip = p(0.002);
    sex_missing = p(0.005);
    postcode_moved = p(0.08);
    postcode_typo = p(0.005);
    postcode_missing = p(0.01);
    if (missing.has_value()) {
      const Probability m = MakeProbability(*missing);
      for (Probability* rate :
           {&trust_nhs_missing, &trust_given_missing, &trust_family_missing, &trust_dob_missing,
            &trust_postcode_missing, &trust_sex_missing, &nhs_missing, &given_missing,
            &family_missing, &dob_missing, &sex_missing, &postcode_missing}) {
        *rate = m;
      }
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Corruption plans (the exact_share and field_corruption knobs).

// Corrupt: what happens to one field of a council record. kBuiltIn: the built-in mechanisms,
// each at its own rate (the default); kNo: no corruption; kYes: one corruption that makes the
// field disagree after cleaning, where it can.
enum class Corrupt : std::uint8_t { kBuiltIn, kNo, kYes };
using Plan = std::array<Corrupt, kSynthFieldCount>;

constexpr std::size_t Index(SynthField field) { return static_cast<std::size_t>(field); }

constexpr Probability kNever{0};

// Rate(plan, field, builtin): a built-in mechanism's rate, or never when the plan decides the
// field. The draw is made either way, so the random stream of the rest of the record does not
// depend on the plan.
Probability Rate(const Plan& plan, SynthField field, Probability builtin) {
  return plan[Index(field)] == Corrupt::kBuiltIn ? builtin : kNever;
}

bool Forced(const Plan& plan, SynthField field) { return plan[Index(field)] == Corrupt::kYes; }

// FieldRate(options, f): how often field f is corrupted when a plan decides it.
double FieldRate(const SynthOptions& options, std::size_t f) {
  if (options.field_corruption[f].has_value()) return *options.field_corruption[f];
  return std::min(1.0, kSynthDefaultFieldCorruption[f] * options.corruption);
}

constexpr std::string_view kFieldNames[kSynthFieldCount] = {
    "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode"};

// ---------------------------------------------------------------------------------------------
// Persons.

struct Person {
  int sex = 0;  // 0 female, 1 male, 2 not known
  bool female_names = false;
  int community = 0;
  std::string_view given;
  std::string family;  // base form (masculine for gendered surnames)
  bool gendered_surname = false;
  Date dob;
  int age = 0;
  Postcode postcode;
  std::uint64_t nhs = 0;
  int twin = 0;  // 1 or 2 for a twin

  // FamilyName(out): the family name as the person uses it.
  void FamilyName(std::string& out) const;
};

// Feminine(name): the feminine form of a Slavic surname (-ski -> -ska, -ov -> -ova, ...).
void Feminine(std::string& name) {
  std::string_view s = name;
  if (s.ends_with("ski") || s.ends_with("cki")) {
    name.back() = 'a';
  } else if (s.ends_with("ov") || s.ends_with("ev")) {
    name.push_back('a');
  }
}

void Person::FamilyName(std::string& out) const {
  out = family;
  if (gendered_surname && female_names) Feminine(out);
}

int Era(int year) { return year < 1950 ? 0 : year < 1980 ? 1 : year < 2005 ? 2 : 3; }

class Engine {
 public:
  explicit Engine(const SynthOptions& options);

  const SynthOptions& options() const { return options_; }
  std::uint64_t shared() const { return shared_; }

  void TrustRecord(std::uint64_t row, SynthRecord* record, std::string* match_id) const;
  void CouncilRecord(std::uint64_t row, SynthRecord* record) const;

  // Deduplication mode (records_per_person set): persons_ persons, person q's records at slots
  // [person_first_[q], person_first_[q + 1]) of a keyed permutation of the rows.
  std::uint64_t persons() const { return persons_; }
  // DedupRecord(row, record): row `row` of the one file; returns its person.
  std::uint64_t DedupRecord(std::uint64_t row, SynthRecord* record) const;
  // DedupSlot(row): the row's place in its person's block of slots.
  std::uint64_t DedupSlot(std::uint64_t row) const { return dedup_rows_(row); }
  const std::vector<std::uint64_t>& person_first() const { return person_first_; }
  int id_width() const { return trust_id_width_; }

  // Several sources (sources set): Copies(s, q): how many records person q has in source s
  // (0 when absent); SourceRecord(s, q, copy, record): the fields of one (all but the id).
  std::uint32_t Copies(std::uint32_t s, std::uint64_t q) const;
  void SourceRecord(std::uint32_t s, std::uint64_t q, std::uint32_t copy, SynthRecord* r) const;
  std::uint64_t SourceOrder(std::uint32_t s, std::uint64_t q, std::uint32_t copy) const {
    return Hash(Hash(key_sources_, s + 1000), q * 4 + copy);
  }

 private:
  // The fields of a record as the trust / the council write them (all but the id).
  void TrustFields(const Person& person, Rng& rng, const Plan& plan, SynthRecord* r) const;
  void CouncilFields(const Person& person, Rng& rng, const Plan& plan, SynthRecord* r) const;
  Plan PlanFor(std::uint64_t p) const;
  bool Marry(const Person& person, Rng& rng, std::string& name) const;
  void CorruptGiven(std::string& name, Rng& rng) const;
  void CorruptFamily(const Person& person, std::string& name, Rng& rng) const;
  Postcode MovePostcode(const Postcode& pc, Rng& rng) const;
  void CorruptPostcode(Postcode& pc, Rng& rng) const;
  void MakePerson(std::uint64_t p, Person* out) const;
  void Draw(std::uint64_t p, const Person* leader, bool twins, Person* out) const;
  std::string_view SampleGiven(Rng& rng, int community, bool female, int era) const;
  void SampleSurname(Rng& rng, int community, bool female, std::string* out, bool* gendered) const;
  void SampleGeneralSurname(Rng& rng, std::string* out) const;
  Postcode SamplePostcode(Rng& rng, int area) const;
  std::uint64_t NhsNumber(std::uint64_t p) const;
  void AppendCouncilId(std::string& out, std::uint64_t p) const;

  SynthOptions options_;
  std::uint64_t shared_ = 0;
  int trust_id_width_ = 7;
  std::uint64_t key_person_ = 0, key_family_ = 0, key_trust_ = 0, key_council_ = 0;
  // The corruption plan: made per person only when a knob asks for one (plans_).
  bool plans_ = false;
  std::uint64_t key_plan_ = 0;
  std::uint64_t exact_pairs_ = 0;  // persons [0, exact_pairs_) of the shared ones are exact
  Probability exact_rate_;         // ... and this share of the others
  // field_rate_[f]: field f's rate; first_rate_[f]: its rate when no field before it was
  // corrupted, given that at least one of f and the fields after it is (exact_share only).
  std::array<Probability, kSynthFieldCount> field_rate_{}, first_rate_{};
  Permutation trust_rows_, council_rows_, council_ids_, nhs_slots_;
  Rates rates_;
  WeightedIndex communities_, areas_, age_bands_;
  std::array<std::int64_t, std::size(kAgeWeightPerYear)> band_first_day_{};
  std::array<std::uint32_t, std::size(kAgeWeightPerYear)> band_days_{};
  NameList general_given_[2][4];  // [female][era]
  NameList celtic_given_[2];
  NameList general_surnames_;
  NameList community_given_[synth_internal::kNumCommunities][2];
  NameList community_surnames_[synth_internal::kNumCommunities];
  std::unordered_map<std::string_view, std::vector<std::string_view>> variants_;
  std::uint64_t persons_ = 0;
  std::vector<std::uint64_t> person_first_;  // persons_ + 1 entries
  Permutation dedup_rows_;
  std::uint64_t key_dedup_ = 0;
  std::uint64_t key_sources_ = 0;
};

Engine::Engine(const SynthOptions& options)
    : options_(options), rates_(options.corruption, options.missing) {
  const std::uint64_t n = options.records;
  shared_ = static_cast<std::uint64_t>(std::floor(options.overlap * static_cast<double>(n) + 0.5));
  if (shared_ > n) shared_ = n;
  for (std::uint64_t limit = 10'000'000; limit <= n; limit *= 10) ++trust_id_width_;

  const std::uint64_t seed = options.seed;
  key_person_ = Hash(seed, 1);
  key_family_ = Hash(seed, 2);
  key_trust_ = Hash(seed, 3);
  key_council_ = Hash(seed, 4);
  trust_rows_ = Permutation(Hash(seed, 5), n);
  council_rows_ = Permutation(Hash(seed, 6), n);
  council_ids_ = Permutation(Hash(seed, 7), std::uint64_t{1} << 32);
  nhs_slots_ = Permutation(Hash(seed, 8), kNhsHeads * kNhsSlotsPerHead);
  key_plan_ = Hash(seed, 9);
  key_sources_ = Hash(seed, 12);
  if (options.records_per_person.has_value()) {
    // Persons' sizes drawn one by one until the rows are used up; the last takes what is left.
    const RecordsPerPerson& per = *options.records_per_person;
    key_dedup_ = Hash(seed, 10);
    dedup_rows_ = Permutation(Hash(seed, 11), n);
    person_first_.push_back(0);
    for (std::uint64_t q = 0; person_first_.back() < n; ++q) {
      Rng size(Hash(key_dedup_, q));
      const std::uint64_t k = per.min + size.Below(per.max - per.min + 1);
      person_first_.push_back(std::min(n, person_first_.back() + k));
    }
    persons_ = person_first_.size() - 1;
  }

  plans_ = options.exact_share.has_value();
  for (const auto& rate : options.field_corruption) plans_ = plans_ || rate.has_value();
  if (options.exact_share.has_value()) {
    exact_pairs_ = static_cast<std::uint64_t>(
        std::floor(*options.exact_share * static_cast<double>(shared_) + 0.5));
    if (exact_pairs_ > shared_) exact_pairs_ = shared_;
    exact_rate_ = MakeProbability(*options.exact_share);
  }
  // P(f is the first corrupted field | none before f, at least one from f on) =
  // q_f / (1 - prod_{j >= f} (1 - q_j)), with the product as exp(sum log1p(-q_j)) so that tiny
  // rates keep their precision.
  double log_none_from = 0;  // log prod_{j >= f} (1 - q_j)
  for (std::size_t f = kSynthFieldCount; f-- > 0;) {
    const double q = FieldRate(options, f);
    field_rate_[f] = MakeProbability(q);
    log_none_from += std::log1p(-q);
    const double some_from = -std::expm1(log_none_from);
    first_rate_[f] = some_from > 0 ? MakeProbability(q / some_from) : kNever;
  }

  std::vector<std::uint32_t> weights;
  for (const auto& c : synth_internal::Communities())
    weights.push_back(static_cast<std::uint32_t>(c.weight));
  communities_ = WeightedIndex(weights);
  weights.clear();
  for (const auto& a : synth_internal::PostcodeAreas())
    weights.push_back(static_cast<std::uint32_t>(a.weight));
  areas_ = WeightedIndex(weights);
  weights.clear();
  for (std::size_t band = 0; band < std::size(kAgeWeightPerYear); ++band) {
    weights.push_back(kAgeWeightPerYear[band] * (band + 1 < std::size(kAgeWeightPerYear) ? 5 : 1));
  }
  age_bands_ = WeightedIndex(weights);
  // Band b holds ages [5b, 5b + 5) (the last band, age 100 only): births from the day after the
  // reference date 5b + 5 years earlier to the reference date 5b years earlier.
  for (std::size_t band = 0; band < std::size(kAgeWeightPerYear); ++band) {
    const int youngest = static_cast<int>(band) * 5;
    const int oldest = band + 1 < std::size(kAgeWeightPerYear) ? youngest + 5 : youngest + 1;
    const std::int64_t last = DaysFromCivil({kReference.y - youngest, kReference.m, kReference.d});
    band_first_day_[band] = DaysFromCivil({kReference.y - oldest, kReference.m, kReference.d}) + 1;
    band_days_[band] = static_cast<std::uint32_t>(last - band_first_day_[band] + 1);
  }

  for (int female = 0; female < 2; ++female) {
    for (int era = 0; era < 4; ++era) {
      general_given_[female][era] = NameList(synth_internal::GeneralGiven(female == 1, era), 5);
    }
    celtic_given_[female] = NameList(synth_internal::CelticGiven(female == 1), 5);
  }
  general_surnames_ = NameList(synth_internal::GeneralSurnames(), 10);
  for (int c = 0; c < synth_internal::kNumCommunities; ++c) {
    const auto& names = synth_internal::Communities()[static_cast<std::size_t>(c)];
    if (!names.female.empty()) community_given_[c][1] = NameList(names.female, 5);
    if (!names.male.empty()) community_given_[c][0] = NameList(names.male, 5);
    community_surnames_[c] = NameList(names.surnames, 6);
  }

  // Informal forms and other spellings of each given name.
  auto split = [](std::string_view forms, auto&& each) {
    while (!forms.empty()) {
      const std::size_t bar = forms.find('|');
      each(forms.substr(0, bar));
      forms = bar == std::string_view::npos ? std::string_view() : forms.substr(bar + 1);
    }
  };
  for (const auto& nick : synth_internal::Nicknames()) {
    split(nick.forms, [&](std::string_view form) { variants_[nick.name].push_back(form); });
  }
  for (std::string_view group : synth_internal::SpellingGroups()) {
    split(group, [&](std::string_view a) {
      split(group, [&](std::string_view b) {
        if (a != b) variants_[a].push_back(b);
      });
    });
  }
}

std::string_view Engine::SampleGiven(Rng& rng, int community, bool female, int era) const {
  const auto& names = synth_internal::Communities()[static_cast<std::size_t>(community)];
  if (community == synth_internal::kGeneral ||
      rng.Below(100) >= static_cast<std::uint32_t>(names.own_given_percent)) {
    if (community == synth_internal::kGeneral && rng.Below(100) < 8) {
      return celtic_given_[female].Sample(rng);
    }
    const std::uint32_t u = rng.Below(100);  // some names from a neighbouring generation
    if (u < 10 && era > 0) --era;
    if (u >= 90 && era < 3) ++era;
    return general_given_[female][era].Sample(rng);
  }
  return community_given_[community][female].Sample(rng);
}

void Engine::SampleGeneralSurname(Rng& rng, std::string* out) const {
  const std::uint32_t u = rng.Below(100);
  if (u < 25) {  // the long tail: place-name surnames
    out->assign(rng.Pick(synth_internal::SurnamePrefixes()));
    out->append(rng.Pick(synth_internal::SurnameSuffixes()));
  } else if (u < 26) {  // double-barrelled
    out->assign(general_surnames_.Sample(rng));
    std::string_view second = general_surnames_.Sample(rng);
    if (second != *out) {
      out->push_back('-');
      out->append(second);
    }
  } else {
    out->assign(general_surnames_.Sample(rng));
  }
}

void Engine::SampleSurname(Rng& rng, int community, bool female, std::string* out,
                           bool* gendered) const {
  *gendered = false;
  const auto& names = synth_internal::Communities()[static_cast<std::size_t>(community)];
  if (community != synth_internal::kGeneral &&
      rng.Below(100) < static_cast<std::uint32_t>(names.own_surname_percent)) {
    if (community == synth_internal::kSouthAsian) {
      const std::uint32_t u = rng.Below(1000);
      std::string_view special;
      if (female) {
        special = u < 120 ? "Begum" : u < 180 ? "Kaur" : u < 200 ? "Bibi" : "";
      } else if (u < 70) {
        special = "Singh";
      }
      if (!special.empty()) {
        out->assign(special);
        return;
      }
    }
    out->assign(community_surnames_[community].Sample(rng));
    *gendered = community == synth_internal::kEastEuropean;
    return;
  }
  SampleGeneralSurname(rng, out);
}

Postcode Engine::SamplePostcode(Rng& rng, int area) const {
  const auto& a = synth_internal::PostcodeAreas()[static_cast<std::size_t>(area)];
  Postcode pc;
  pc.area = area;
  auto put = [&](char c) { pc.outward[static_cast<std::size_t>(pc.outward_len++)] = c; };
  for (char c : a.area) put(c);
  std::string_view suffixes;  // central London districts end in a letter
  int district = 0;
  if (a.area == "EC") {
    district = 1 + static_cast<int>(rng.Below(4));
    suffixes = "ABMNPRVWY";
  } else if (a.area == "WC") {
    district = 1 + static_cast<int>(rng.Below(2));
    suffixes = "ABEHNRVX";
  } else {
    district = 1 + static_cast<int>(rng.Below(static_cast<std::uint32_t>(a.max_district)));
    if (district == 1 && a.area == "SW") suffixes = "AEHPVWXY";
    if (district == 1 && a.area == "W") suffixes = "ABCDFGHJKSTUW";
  }
  if (district >= 10) put(static_cast<char>('0' + district / 10));
  put(static_cast<char>('0' + district % 10));
  if (!suffixes.empty()) put(suffixes[rng.Below(static_cast<std::uint32_t>(suffixes.size()))]);
  pc.inward[0] = static_cast<char>('0' + rng.Below(10));
  pc.inward[1] = kInwardLetters[rng.Below(static_cast<std::uint32_t>(kInwardLetters.size()))];
  pc.inward[2] = kInwardLetters[rng.Below(static_cast<std::uint32_t>(kInwardLetters.size()))];
  return pc;
}

std::uint64_t Engine::NhsNumber(std::uint64_t p) const {
  const std::uint64_t slot = nhs_slots_(p);
  const std::uint64_t head_index = slot / kNhsSlotsPerHead;
  std::uint64_t k = slot % kNhsSlotsPerHead;
  const std::uint64_t head =
      head_index < 10'000'000 ? 40'000'000 + head_index : 60'000'000 + (head_index - 10'000'000);
  // Weights 10 down to 3 for the head's eight digits, 2 for the ninth.
  int head_sum = 0;
  std::uint64_t rest = head;
  for (int weight = 3; weight <= 10; ++weight, rest /= 10) {
    head_sum += static_cast<int>(rest % 10) * weight;
  }
  const bool repdigit_head = head % 11'111'111 == 0;
  for (int digit = 0; digit < 10; ++digit) {
    int check = 11 - (head_sum + 2 * digit) % 11;
    if (check == 11) check = 0;
    if (check == 10) continue;
    if (repdigit_head && static_cast<std::uint64_t>(digit) == head % 10 && check == digit) {
      continue;
    }
    if (k-- == 0) {
      return (head * 10 + static_cast<std::uint64_t>(digit)) * 10 +
             static_cast<std::uint64_t>(check);
    }
  }
  return 0;  // unreachable: every head has at least kNhsSlotsPerHead usable ninth digits
}

void Engine::AppendCouncilId(std::string& out, std::uint64_t p) const {
  const std::uint64_t id = council_ids_(p);
  out.push_back('C');
  for (int shift = 28; shift >= 0; shift -= 4)
    out.push_back("0123456789abcdef"[(id >> shift) & 15]);
}

void Engine::MakePerson(std::uint64_t p, Person* out) const {
  // Persons 2j and 2j+1 are sometimes one household (same surname and address) or twins (also
  // the same date of birth).
  Rng family(Hash(key_family_, p / 2));
  const std::uint32_t kind = family.Below(1000);
  const bool twins = kind < 4;
  if ((p & 1) == 1 && kind < 20) {
    Person leader;
    Draw(p - 1, nullptr, twins, &leader);
    Draw(p, &leader, twins, out);
  } else {
    Draw(p, nullptr, twins, out);
  }
}

void Engine::Draw(std::uint64_t p, const Person* leader, bool twins, Person* out) const {
  Rng rng(Hash(key_person_, p));
  const std::uint32_t s = rng.Below(1000);
  out->sex = s < 10 ? 2 : s < 505 ? 0 : 1;
  out->female_names = out->sex == 0 || (out->sex == 2 && rng.Below(2) == 0);
  out->community =
      leader != nullptr ? leader->community : static_cast<int>(communities_.Sample(rng));
  out->twin = twins ? 1 + static_cast<int>(p & 1) : 0;

  if (leader != nullptr && twins) {
    out->dob = leader->dob;
  } else {
    const std::size_t band = age_bands_.Sample(rng);
    out->dob = CivilFromDays(band_first_day_[band] + rng.Below(band_days_[band]));
  }
  out->age =
      kReference.y - out->dob.y -
      (out->dob.m > kReference.m || (out->dob.m == kReference.m && out->dob.d > kReference.d) ? 1
                                                                                              : 0);

  const int era = Era(out->dob.y);
  out->given = SampleGiven(rng, out->community, out->female_names, era);
  if (leader != nullptr && twins) {
    for (int attempt = 0; attempt < 4 && out->given == leader->given; ++attempt) {
      out->given = SampleGiven(rng, out->community, out->female_names, era);
    }
  }
  if (leader != nullptr) {
    out->family = leader->family;
    out->gendered_surname = leader->gendered_surname;
    out->postcode = leader->postcode;
  } else {
    SampleSurname(rng, out->community, out->female_names, &out->family, &out->gendered_surname);
    out->postcode = SamplePostcode(rng, static_cast<int>(areas_.Sample(rng)));
  }
  out->nhs = NhsNumber(p);
}

Plan Engine::PlanFor(std::uint64_t p) const {
  Plan plan;
  plan.fill(Corrupt::kBuiltIn);
  if (!plans_) return plan;
  Rng rng(Hash(key_plan_, p));
  if (!options_.exact_share.has_value()) {
    for (std::size_t f = 0; f < kSynthFieldCount; ++f) {
      if (options_.field_corruption[f].has_value()) {
        plan[f] = rng.Chance(field_rate_[f]) ? Corrupt::kYes : Corrupt::kNo;
      }
    }
    return plan;
  }
  plan.fill(Corrupt::kNo);
  // The shared persons' order is random, so the first exact_pairs_ of them are an unbiased
  // choice, and their number is exact.
  const bool exact = p < shared_ ? p < exact_pairs_ : rng.Chance(exact_rate_);
  if (exact) return plan;
  bool any = false;
  for (std::size_t f = 0; f < kSynthFieldCount; ++f) {
    if (rng.Chance(any ? field_rate_[f] : first_rate_[f])) {
      plan[f] = Corrupt::kYes;
      any = true;
    }
  }
  return plan;
}

void Engine::TrustRecord(std::uint64_t row, SynthRecord* r, std::string* match_id) const {
  const std::uint64_t p = trust_rows_(row);
  Person person;
  MakePerson(p, &person);
  Rng rng(Hash(key_trust_, p));
  const Plan plan = PlanFor(p);

  r->id.assign("T");
  AppendPadded(r->id, row + 1, trust_id_width_);
  TrustFields(person, rng, plan, r);

  if (match_id != nullptr) {
    match_id->clear();
    if (p < shared_) AppendCouncilId(*match_id, p);
  }
}

void Engine::TrustFields(const Person& person, Rng& rng, const Plan& plan, SynthRecord* r) const {
  r->nhs_number.clear();
  if (!rng.Chance(rates_.trust_nhs_missing)) AppendPadded(r->nhs_number, person.nhs, 10);

  r->given_name.clear();
  const bool given_missing = rng.Chance(rates_.trust_given_missing);
  if (person.age == 0 && rng.Chance(Rate(plan, SynthField::kGivenName, rates_.baby_of))) {
    r->given_name.append("BABY OF ");
    AppendStyled(r->given_name, general_given_[1][2].Sample(rng), Style::kUpper);
  } else if (!given_missing) {
    if (person.twin != 0 && rng.Chance(Rate(plan, SynthField::kGivenName, rates_.twin_label))) {
      r->given_name.append(person.twin == 1 ? "TWIN 1 " : "TWIN 2 ");
    }
    AppendStyled(r->given_name, person.given, Style::kUpper);
  }

  r->family_name.clear();
  if (!rng.Chance(rates_.trust_family_missing)) {
    std::string family;
    person.FamilyName(family);
    AppendStyled(r->family_name, family, Style::kUpper);
  }

  r->date_of_birth.clear();
  if (!rng.Chance(rates_.trust_dob_missing)) {
    AppendPadded(r->date_of_birth, static_cast<std::uint64_t>(person.dob.y), 4);
    r->date_of_birth.push_back('-');
    AppendPadded(r->date_of_birth, static_cast<std::uint64_t>(person.dob.m), 2);
    r->date_of_birth.push_back('-');
    AppendPadded(r->date_of_birth, static_cast<std::uint64_t>(person.dob.d), 2);
  }

  const bool sex_missing = options_.missing.has_value() && rng.Chance(rates_.trust_sex_missing);
  r->sex.assign(person.sex == 0 && !sex_missing   ? "F"
                : person.sex == 1 && !sex_missing ? "M"
                                                  : "U");

  r->postcode.clear();
  if (!rng.Chance(rates_.trust_postcode_missing)) {
    AppendPostcode(r->postcode, person.postcode, /*space=*/false, /*lower=*/false);
  }
}

// Marry(person, rng, name): a married name in place of (or hyphenated after) `name`, as the
// council records it for some women; false when the new surname is the old one (name unchanged).
bool Engine::Marry(const Person& person, Rng& rng, std::string& name) const {
  std::string married;
  bool gendered = false;
  if (person.community == synth_internal::kGeneral || rng.Below(100) < 30) {
    SampleGeneralSurname(rng, &married);
  } else {
    SampleSurname(rng, person.community, true, &married, &gendered);
    if (gendered) Feminine(married);
  }
  if (married == name) return false;
  if (rng.Below(4) == 0) {
    name.push_back('-');
    name.append(married);
  } else {
    name = std::move(married);
  }
  return true;
}

// NameKey(s): a name as cleaning compares it, roughly: ASCII letters in upper case, accents
// removed, everything else dropped.
std::string NameKey(std::string_view s) {
  std::string styled, key;
  AppendStyled(styled, s, Style::kUpper);
  for (char c : styled) {
    if (IsUpper(c)) key.push_back(c);
  }
  return key;
}

// The forced corruptions (Corrupt::kYes) choose among a field's built-in mechanisms in about the
// proportions of their built-in rates, and fall back to a typo when the chosen one would leave
// the cleaned value unchanged.
void Engine::CorruptGiven(std::string& name, Rng& rng) const {
  if (auto it = variants_.find(name); it != variants_.end() && rng.Below(6) != 0) {
    const std::string_view variant = rng.Pick(std::span<const std::string_view>(it->second));
    if (NameKey(variant) != NameKey(name)) {
      name.assign(variant);
      return;
    }
  }
  Typo(name, rng);
}

void Engine::CorruptFamily(const Person& person, std::string& name, Rng& rng) const {
  if (person.sex == 0 && person.age >= 20 && rng.Below(4) != 0) {
    const std::string before = name;
    if (Marry(person, rng, name) && NameKey(name) != NameKey(before)) return;
    name = before;
  }
  Typo(name, rng);
}

// CorruptDate(dob, rng): a different valid date: day and month swapped, or a day or year
// mistyped (weights 15 : 5 : 3, the built-in rates').
Date CorruptDate(Date dob, Rng& rng) {
  constexpr int kDelta[4] = {-1, 1, -10, 10};
  for (int attempt = 0; attempt < 32; ++attempt) {
    const std::uint32_t kind = rng.Below(23);
    Date changed = dob;
    if (kind < 15) {
      if (dob.d > 12 || dob.d == dob.m) continue;
      changed = {dob.y, dob.d, dob.m};
    } else if (kind < 20) {
      changed.d += kDelta[rng.Below(4)];
    } else {
      changed.y += kDelta[rng.Below(4)];
    }
    if (IsValidDate(changed)) return changed;
  }
  // Every date has a valid neighbour day (no date is both the first of a month and the
  // reference date).
  const Date next{dob.y, dob.m, dob.d + 1};
  return IsValidDate(next) ? next : Date{dob.y, dob.m, dob.d - 1};
}

bool SamePostcode(const Postcode& a, const Postcode& b) {
  return a.outward_len == b.outward_len && a.outward == b.outward && a.inward == b.inward;
}

// PostcodeTypo(pc, rng): one character of the inward code mistyped.
void PostcodeTypo(Postcode& pc, Rng& rng) {
  const std::uint32_t at = rng.Below(3);
  if (at == 0) {
    char d = static_cast<char>('0' + rng.Below(9));
    if (d >= pc.inward[0]) ++d;
    pc.inward[0] = d;
  } else {
    const std::size_t old = kInwardLetters.find(pc.inward[at]);
    const std::uint32_t shift =
        1 + rng.Below(static_cast<std::uint32_t>(kInwardLetters.size() - 1));
    pc.inward[at] = kInwardLetters[(old + shift) % kInwardLetters.size()];
  }
}

// MovePostcode(pc, rng): a new address, three times in four in the same postcode area.
Postcode Engine::MovePostcode(const Postcode& pc, Rng& rng) const {
  const int area = rng.Below(4) != 0 ? pc.area : static_cast<int>(areas_.Sample(rng));
  return SamplePostcode(rng, area);
}

void Engine::CorruptPostcode(Postcode& pc, Rng& rng) const {
  if (rng.Below(17) != 0) {
    const Postcode moved = MovePostcode(pc, rng);
    if (!SamePostcode(moved, pc)) {
      pc = moved;
      return;
    }
  }
  PostcodeTypo(pc, rng);
}

void Engine::CouncilRecord(std::uint64_t row, SynthRecord* r) const {
  const std::uint64_t u = council_rows_(row);
  const std::uint64_t p = u < shared_ ? u : options_.records + (u - shared_);
  Person person;
  MakePerson(p, &person);
  Rng rng(Hash(key_council_, p));
  const Plan plan = PlanFor(p);

  r->id.clear();
  AppendCouncilId(r->id, p);
  CouncilFields(person, rng, plan, r);
}

void Engine::CouncilFields(const Person& person, Rng& rng, const Plan& plan, SynthRecord* r) const {
  // NHS number: often missing; rarely mistyped (which the check digit catches); written with
  // spaces by some staff.
  r->nhs_number.clear();
  if (!rng.Chance(rates_.nhs_missing)) {
    std::string digits;
    AppendPadded(digits, person.nhs, 10);
    if (rng.Chance(Rate(plan, SynthField::kNhsNumber, rates_.nhs_mistyped)) ||
        Forced(plan, SynthField::kNhsNumber)) {
      const std::uint32_t i = rng.Below(9);
      if (rng.Below(10) < 3 && digits[i] != digits[i + 1]) {
        std::swap(digits[i], digits[i + 1]);
      } else {
        const std::uint32_t j = rng.Below(10);
        char d = static_cast<char>('0' + rng.Below(9));
        if (d >= digits[j]) ++d;
        digits[j] = d;
      }
    }
    if (rng.Below(100) < 60) {
      r->nhs_number.append(digits, 0, 3)
          .append(" ")
          .append(digits, 3, 3)
          .append(" ")
          .append(digits, 6, 4);
    } else {
      r->nhs_number.append(digits);
    }
  }

  // Names: mostly as the person writes them; some staff type in capitals or lower case, or
  // leave out accents, hyphens and apostrophes (differences that cleaning removes).
  const std::uint32_t case_roll = rng.Below(100);
  Style style = case_roll < 3 ? Style::kUpper : case_roll < 5 ? Style::kLower : Style::kAsIs;
  if (style == Style::kAsIs && rng.Below(100) < 30) style = Style::kFolded;

  std::string name(person.given);
  if (rng.Chance(Rate(plan, SynthField::kGivenName, rates_.given_nickname))) {
    if (auto it = variants_.find(person.given); it != variants_.end()) {
      name.assign(rng.Pick(std::span<const std::string_view>(it->second)));
    }
  }
  if (rng.Chance(Rate(plan, SynthField::kGivenName, rates_.given_typo))) Typo(name, rng);
  if (Forced(plan, SynthField::kGivenName)) CorruptGiven(name, rng);
  r->given_name.clear();
  if (!rng.Chance(rates_.given_missing)) AppendStyled(r->given_name, name, style);

  person.FamilyName(name);
  if (person.sex == 0 && person.age >= 20 &&
      rng.Chance(Rate(plan, SynthField::kFamilyName, rates_.married_name))) {
    Marry(person, rng, name);
  }
  if (rng.Chance(Rate(plan, SynthField::kFamilyName, rates_.family_typo))) Typo(name, rng);
  if (Forced(plan, SynthField::kFamilyName)) CorruptFamily(person, name, rng);
  if (rng.Below(100) < 40) std::replace(name.begin(), name.end(), '-', ' ');
  if (rng.Below(100) < 20) std::erase(name, '\'');
  r->family_name.clear();
  if (!rng.Chance(rates_.family_missing)) AppendStyled(r->family_name, name, style);

  // Date of birth, DD/MM/YYYY: day and month swapped, a mistyped day or year.
  Date dob = person.dob;
  if (rng.Chance(Rate(plan, SynthField::kDateOfBirth, rates_.dob_swap)) && dob.d <= 12 &&
      dob.d != dob.m) {
    const Date swapped{dob.y, dob.d, dob.m};
    if (IsValidDate(swapped)) dob = swapped;
  }
  if (rng.Chance(Rate(plan, SynthField::kDateOfBirth, rates_.dob_day_typo))) {
    constexpr int kDelta[4] = {-1, 1, -10, 10};
    Date typo{dob.y, dob.m, dob.d + kDelta[rng.Below(4)]};
    if (IsValidDate(typo)) dob = typo;
  }
  if (rng.Chance(Rate(plan, SynthField::kDateOfBirth, rates_.dob_year_typo))) {
    constexpr int kDelta[4] = {-1, 1, -10, 10};
    Date typo{dob.y + kDelta[rng.Below(4)], dob.m, dob.d};
    if (IsValidDate(typo)) dob = typo;
  }
  if (Forced(plan, SynthField::kDateOfBirth)) dob = CorruptDate(dob, rng);
  r->date_of_birth.clear();
  if (!rng.Chance(rates_.dob_missing)) {
    AppendPadded(r->date_of_birth, static_cast<std::uint64_t>(dob.d), 2);
    r->date_of_birth.push_back('/');
    AppendPadded(r->date_of_birth, static_cast<std::uint64_t>(dob.m), 2);
    r->date_of_birth.push_back('/');
    AppendPadded(r->date_of_birth, static_cast<std::uint64_t>(dob.y), 4);
  }

  // Sex, NHS data dictionary codes: 1 male, 2 female, 0 not known, 9 not specified.
  int sex = person.sex;
  if (sex != 2 && (rng.Chance(Rate(plan, SynthField::kSex, rates_.sex_flip)) ||
                   Forced(plan, SynthField::kSex))) {
    sex = 1 - sex;
  }
  if (rng.Chance(rates_.sex_missing)) sex = 2;
  r->sex.assign(sex == 0 ? "2" : sex == 1 ? "1" : rng.Below(2) == 0 ? "0" : "9");

  // Postcode: moved house (mostly nearby), mistyped inward code, missing.
  Postcode pc = person.postcode;
  if (rng.Chance(Rate(plan, SynthField::kPostcode, rates_.postcode_moved))) {
    pc = MovePostcode(pc, rng);
  }
  if (rng.Chance(Rate(plan, SynthField::kPostcode, rates_.postcode_typo))) PostcodeTypo(pc, rng);
  if (Forced(plan, SynthField::kPostcode)) CorruptPostcode(pc, rng);
  r->postcode.clear();
  const bool lower = rng.Below(100) < 2;
  if (!rng.Chance(rates_.postcode_missing)) {
    AppendPostcode(r->postcode, pc, /*space=*/true, lower);
  }
}

std::uint64_t Engine::DedupRecord(std::uint64_t row, SynthRecord* r) const {
  const std::uint64_t slot = dedup_rows_(row);
  const auto it = std::upper_bound(person_first_.begin(), person_first_.end(), slot);
  const auto q = static_cast<std::uint64_t>(it - person_first_.begin()) - 1;
  const std::uint64_t copy = slot - person_first_[q];
  Person person;
  MakePerson(q, &person);
  // Each record has a random stream of its own: a quarter are written as the trust writes
  // (missing values only), the others as the council does (with its corruptions).
  Rng rng(Hash(Hash(key_dedup_, q), copy + 1));
  const Plan plan = PlanFor(Hash(q, copy));
  r->id.assign("R");
  AppendPadded(r->id, row + 1, trust_id_width_);
  if (rng.Below(4) == 0) {
    TrustFields(person, rng, plan, r);
  } else {
    CouncilFields(person, rng, plan, r);
  }
  return q;
}

std::uint32_t Engine::Copies(std::uint32_t s, std::uint64_t q) const {
  Rng rng(Hash(Hash(key_sources_, s), q));
  if (rng.Below(1000000) >= static_cast<std::uint32_t>(SynthSourceShare(s) * 1000000)) return 0;
  if (s % 2 == 0) return 1;  // the trust and every second source: each person at most once
  const std::uint32_t u = rng.Below(1000);
  return u < 10 ? 3 : u < 50 ? 2 : 1;  // 4% twice, 1% three times
}

void Engine::SourceRecord(std::uint32_t s, std::uint64_t q, std::uint32_t copy,
                          SynthRecord* r) const {
  Person person;
  MakePerson(q, &person);
  Rng rng(Hash(Hash(key_sources_, s + 100), q * 4 + copy));
  const Plan plan = PlanFor(Hash(Hash(q, s), copy));
  if (s == 0) {
    TrustFields(person, rng, plan, r);
  } else {
    CouncilFields(person, rng, plan, r);
  }
}

void AppendCsvRow(std::string& out, const SynthRecord& r) {
  out.append(r.id).push_back(',');
  out.append(r.nhs_number).push_back(',');
  out.append(r.given_name).push_back(',');
  out.append(r.family_name).push_back(',');
  out.append(r.date_of_birth).push_back(',');
  out.append(r.sex).push_back(',');
  out.append(r.postcode).push_back('\n');
}

constexpr std::string_view kExtractHeader =
    "id,nhs_number,given_name,family_name,date_of_birth,sex,postcode\n";
constexpr std::size_t kChunk = 1 << 16;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public API.

absl::Status ValidateSynthOptions(const SynthOptions& options) {
  if (options.records == 0) {
    return absl::InvalidArgumentError("synth: records must be at least 1");
  }
  if (options.records > kMaxSynthRecords) {
    return absl::InvalidArgumentError(internal::StrCat(
        "synth: records must be at most ", kMaxSynthRecords, ", got ", options.records));
  }
  if (!(options.overlap >= 0.0 && options.overlap <= 1.0)) {
    return absl::InvalidArgumentError(
        internal::StrCat("synth: overlap must be between 0 and 1, got ", options.overlap));
  }
  if (!(options.corruption >= 0.0) || std::isinf(options.corruption)) {
    return absl::InvalidArgumentError(internal::StrCat(
        "synth: corruption must be a finite number >= 0, got ", options.corruption));
  }
  auto share = [](const std::optional<double>& value, std::string_view what) {
    if (!value.has_value() || (*value >= 0.0 && *value <= 1.0)) return absl::OkStatus();
    return absl::InvalidArgumentError(
        internal::StrCat("synth: ", what, " must be between 0 and 1, got ", *value));
  };
  BLOOMLINK_RETURN_IF_ERROR(share(options.exact_share, "exact_share"));
  BLOOMLINK_RETURN_IF_ERROR(share(options.missing, "missing"));
  bool any_rate = false;
  for (std::size_t f = 0; f < kSynthFieldCount; ++f) {
    BLOOMLINK_RETURN_IF_ERROR(share(options.field_corruption[f],
                                    internal::StrCat("field_corruption of ", kFieldNames[f])));
    any_rate = any_rate || FieldRate(options, f) > 0;
  }
  if (options.records_per_person.has_value()) {
    const RecordsPerPerson& per = *options.records_per_person;
    if (per.min < 1 || per.max < per.min || per.max > kMaxRecordsPerPerson) {
      return absl::InvalidArgumentError(internal::StrCat(
          "synth: records per person must be from min to max with 1 <= min <= max <= ",
          kMaxRecordsPerPerson, ", got ", per.min, " to ", per.max));
    }
    if (options.exact_share.has_value()) {
      return absl::InvalidArgumentError(
          "synth: exact_share applies to the true pairs of two extracts, not to records per "
          "person (one file to deduplicate)");
    }
  }
  if (options.sources.has_value()) {
    if (*options.sources < 2 || *options.sources > kMaxSynthSources) {
      return absl::InvalidArgumentError(internal::StrCat(
          "synth: sources must be from 2 to ", kMaxSynthSources, ", got ", *options.sources));
    }
    if (options.records_per_person.has_value() || options.exact_share.has_value()) {
      return absl::InvalidArgumentError(
          "synth: several sources cannot be combined with records per person or exact_share");
    }
  }
  if (options.exact_share.has_value() && *options.exact_share < 1.0 && !any_rate) {
    return absl::InvalidArgumentError(internal::StrCat(
        "synth: exact_share ", *options.exact_share,
        " leaves true pairs to corrupt, but every field's corruption rate is 0: set corruption "
        "above 0 or a field_corruption rate above 0"));
  }
  return absl::OkStatus();
}

std::string SynthSourceName(std::uint32_t s) {
  static constexpr std::string_view kNames[] = {
      "trust", "council", "community", "gp", "hospice", "mental_health", "ambulance", "care_home"};
  if (s < std::size(kNames)) return std::string(kNames[s]);
  return internal::StrCat("source", s + 1);
}

double SynthSourceShare(std::uint32_t s) {
  static constexpr double kShares[] = {0.7, 0.5, 0.35, 0.6, 0.3, 0.4, 0.45, 0.55};
  return kShares[s % std::size(kShares)];
}

std::string_view SynthFieldName(SynthField field) {
  const auto f = static_cast<std::size_t>(field);
  return f < kSynthFieldCount ? kFieldNames[f] : std::string_view("unknown");
}

absl::StatusOr<SynthField> ParseSynthField(std::string_view name) {
  for (std::size_t f = 0; f < kSynthFieldCount; ++f) {
    if (kFieldNames[f] == name) return static_cast<SynthField>(f);
  }
  return absl::InvalidArgumentError(internal::StrCat(
      "synth: unknown field \"", name,
      "\": expected nhs_number, given_name, family_name, date_of_birth, sex or postcode"));
}

struct SynthGenerator::State : Engine {
  using Engine::Engine;
};

SynthGenerator::SynthGenerator(std::shared_ptr<const State> state) : state_(std::move(state)) {}

absl::StatusOr<SynthGenerator> SynthGenerator::Create(const SynthOptions& options) {
  BLOOMLINK_RETURN_IF_ERROR(ValidateSynthOptions(options));
  return SynthGenerator(std::make_shared<const State>(options));
}

const SynthOptions& SynthGenerator::options() const { return state_->options(); }
std::uint64_t SynthGenerator::trust_records() const { return state_->options().records; }
std::uint64_t SynthGenerator::council_records() const { return state_->options().records; }
std::uint64_t SynthGenerator::true_matches() const { return state_->shared(); }

void SynthGenerator::TrustRecord(std::uint64_t row, SynthRecord* record,
                                 std::string* match_id) const {
  state_->TrustRecord(row, record, match_id);
}

void SynthGenerator::CouncilRecord(std::uint64_t row, SynthRecord* record) const {
  state_->CouncilRecord(row, record);
}

std::uint64_t SynthGenerator::persons() const { return state_->persons(); }

std::uint64_t SynthGenerator::DedupRecord(std::uint64_t row, SynthRecord* record) const {
  return state_->DedupRecord(row, record);
}

namespace {

absl::Status CreateFolder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec, ec_is_dir;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir, ec_is_dir)) {
    if (!ec) ec = std::make_error_code(std::errc::not_a_directory);
    std::string message =
        internal::StrCat(dir, ": cannot create the output folder: ", ec.message());
    if (ec == std::errc::permission_denied || ec == std::errc::read_only_file_system) {
      return absl::PermissionDeniedError(std::move(message));
    }
    if (ec == std::errc::not_a_directory || ec == std::errc::file_exists) {
      return absl::InvalidArgumentError(std::move(message));
    }
    return absl::InternalError(std::move(message));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SynthSummary> WriteSynthExtracts(const SynthOptions& options,
                                                const std::string& dir) {
  BLOOMLINK_ASSIGN_OR_RETURN(SynthGenerator generator, SynthGenerator::Create(options));
  if (dir.empty()) return absl::InvalidArgumentError("synth: the output folder name is empty");

  namespace fs = std::filesystem;
  BLOOMLINK_RETURN_IF_ERROR(CreateFolder(dir));

  SynthSummary summary;
  summary.trust_path = (fs::path(dir) / "trust.csv").string();
  summary.council_path = (fs::path(dir) / "council.csv").string();
  summary.truth_path = (fs::path(dir) / "truth.csv").string();
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter trust,
                             io::AtomicFileWriter::Create(summary.trust_path));
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter council,
                             io::AtomicFileWriter::Create(summary.council_path));
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter truth,
                             io::AtomicFileWriter::Create(summary.truth_path));

  SynthRecord record;
  std::string match;
  std::string chunk, truth_chunk;
  chunk.reserve(kChunk + 1024);
  truth_chunk.reserve(kChunk + 1024);

  chunk.append(kExtractHeader);
  truth_chunk.append("id_a,id_b\n");
  for (std::uint64_t row = 0; row < generator.trust_records(); ++row) {
    generator.TrustRecord(row, &record, &match);
    AppendCsvRow(chunk, record);
    if (!match.empty()) {
      truth_chunk.append(record.id).push_back(',');
      truth_chunk.append(match).push_back('\n');
      ++summary.true_matches;
    }
    if (chunk.size() >= kChunk) {
      BLOOMLINK_RETURN_IF_ERROR(trust.Write(chunk));
      chunk.clear();
    }
    if (truth_chunk.size() >= kChunk) {
      BLOOMLINK_RETURN_IF_ERROR(truth.Write(truth_chunk));
      truth_chunk.clear();
    }
  }
  BLOOMLINK_RETURN_IF_ERROR(trust.Write(chunk));
  BLOOMLINK_RETURN_IF_ERROR(truth.Write(truth_chunk));
  summary.trust_records = generator.trust_records();

  chunk.assign(kExtractHeader);
  for (std::uint64_t row = 0; row < generator.council_records(); ++row) {
    generator.CouncilRecord(row, &record);
    AppendCsvRow(chunk, record);
    if (chunk.size() >= kChunk) {
      BLOOMLINK_RETURN_IF_ERROR(council.Write(chunk));
      chunk.clear();
    }
  }
  BLOOMLINK_RETURN_IF_ERROR(council.Write(chunk));
  summary.council_records = generator.council_records();

  if (summary.true_matches != generator.true_matches()) {
    return absl::InternalError(internal::StrCat(summary.truth_path, ": wrote ",
                                                summary.true_matches, " true matches, expected ",
                                                generator.true_matches()));
  }
  BLOOMLINK_RETURN_IF_ERROR(trust.Commit());
  BLOOMLINK_RETURN_IF_ERROR(council.Commit());
  BLOOMLINK_RETURN_IF_ERROR(truth.Commit());
  return summary;
}

absl::StatusOr<SynthDedupSummary> WriteSynthDedup(const SynthOptions& options,
                                                  const std::string& dir) {
  if (!options.records_per_person.has_value()) {
    return absl::InvalidArgumentError(
        "synth: one file to deduplicate needs records per person (records_per_person)");
  }
  BLOOMLINK_RETURN_IF_ERROR(ValidateSynthOptions(options));
  if (dir.empty()) return absl::InvalidArgumentError("synth: the output folder name is empty");
  namespace fs = std::filesystem;
  BLOOMLINK_RETURN_IF_ERROR(CreateFolder(dir));
  SynthDedupSummary summary;
  summary.records_path = (fs::path(dir) / "records.csv").string();
  summary.truth_path = (fs::path(dir) / "truth.csv").string();
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter records,
                             io::AtomicFileWriter::Create(summary.records_path));
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter truth,
                             io::AtomicFileWriter::Create(summary.truth_path));
  const Engine engine(options);
  const std::uint64_t n = options.records;
  // row_of_slot: each person's rows, by the slots that DedupRecord places them in.
  std::vector<std::uint64_t> row_of_slot(n);
  SynthRecord record;
  std::string chunk;
  chunk.reserve(kChunk + 1024);
  chunk.append(kExtractHeader);
  for (std::uint64_t row = 0; row < n; ++row) {
    engine.DedupRecord(row, &record);
    row_of_slot[engine.DedupSlot(row)] = row;
    AppendCsvRow(chunk, record);
    if (chunk.size() >= kChunk) {
      BLOOMLINK_RETURN_IF_ERROR(records.Write(chunk));
      chunk.clear();
    }
  }
  BLOOMLINK_RETURN_IF_ERROR(records.Write(chunk));
  chunk.assign("id_a,id_b\n");
  const std::vector<std::uint64_t>& first = engine.person_first();
  std::vector<std::uint64_t> rows;
  const auto append_id = [&](std::uint64_t row) {
    chunk.push_back('R');
    AppendPadded(chunk, row + 1, engine.id_width());
  };
  for (std::uint64_t q = 0; q < engine.persons(); ++q) {
    rows.assign(row_of_slot.begin() + static_cast<std::ptrdiff_t>(first[q]),
                row_of_slot.begin() + static_cast<std::ptrdiff_t>(first[q + 1]));
    std::sort(rows.begin(), rows.end());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (std::size_t j = i + 1; j < rows.size(); ++j) {
        append_id(rows[i]);
        chunk.push_back(',');
        append_id(rows[j]);
        chunk.push_back('\n');
        ++summary.true_pairs;
      }
      if (chunk.size() >= kChunk) {
        BLOOMLINK_RETURN_IF_ERROR(truth.Write(chunk));
        chunk.clear();
      }
    }
  }
  BLOOMLINK_RETURN_IF_ERROR(truth.Write(chunk));
  summary.records = n;
  summary.persons = engine.persons();
  BLOOMLINK_RETURN_IF_ERROR(records.Commit());
  BLOOMLINK_RETURN_IF_ERROR(truth.Commit());
  return summary;
}

absl::StatusOr<SynthSourcesSummary> WriteSynthSources(const SynthOptions& options,
                                                      const std::string& dir) {
  if (!options.sources.has_value()) {
    return absl::InvalidArgumentError("synth: several extracts need a number of sources");
  }
  BLOOMLINK_RETURN_IF_ERROR(ValidateSynthOptions(options));
  if (dir.empty()) return absl::InvalidArgumentError("synth: the output folder name is empty");
  namespace fs = std::filesystem;
  BLOOMLINK_RETURN_IF_ERROR(CreateFolder(dir));
  const Engine engine(options);
  const std::uint32_t nsources = *options.sources;
  const std::uint64_t n = options.records;
  SynthSourcesSummary summary;
  summary.persons = n;
  summary.truth_path = (fs::path(dir) / "truth.csv").string();
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter truth,
                             io::AtomicFileWriter::Create(summary.truth_path));
  std::vector<io::AtomicFileWriter> files;
  for (std::uint32_t s = 0; s < nsources; ++s) {
    summary.names.push_back(SynthSourceName(s));
    summary.paths.push_back((fs::path(dir) / (summary.names.back() + ".csv")).string());
    BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter file,
                               io::AtomicFileWriter::Create(summary.paths.back()));
    files.push_back(std::move(file));
  }
  std::vector<std::uint32_t> sources_of(n, 0);  // how many sources hold each person
  // Ids: a letter per source and the record's place in a random order of the source's records.
  static constexpr std::string_view kLetters = "TCMGHPAK";
  std::string chunk, truth_chunk;
  truth_chunk.assign("source,record_id,entity\n");
  SynthRecord record;
  struct Entry {
    std::uint64_t order, person;
    std::uint32_t copy;
  };
  std::vector<Entry> entries;
  for (std::uint32_t s = 0; s < nsources; ++s) {
    entries.clear();
    for (std::uint64_t q = 0; q < n; ++q) {
      const std::uint32_t copies = engine.Copies(s, q);
      if (copies > 0) ++sources_of[q];
      for (std::uint32_t c = 0; c < copies; ++c) {
        entries.push_back({engine.SourceOrder(s, q, c), q, c});
      }
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
      return x.order < y.order || (x.order == y.order && x.person < y.person) ||
             (x.order == y.order && x.person == y.person && x.copy < y.copy);
    });
    const std::string prefix =
        s < kLetters.size() ? std::string(1, kLetters[s]) : internal::StrCat("S", s + 1, "-");
    chunk.assign(kExtractHeader);
    for (std::size_t row = 0; row < entries.size(); ++row) {
      engine.SourceRecord(s, entries[row].person, entries[row].copy, &record);
      record.id.assign(prefix);
      AppendPadded(record.id, row + 1, engine.id_width());
      AppendCsvRow(chunk, record);
      truth_chunk.append(summary.names[s]).push_back(',');
      truth_chunk.append(record.id).append(",P");
      AppendPadded(truth_chunk, entries[row].person + 1, engine.id_width());
      truth_chunk.push_back('\n');
      if (chunk.size() >= kChunk) {
        BLOOMLINK_RETURN_IF_ERROR(files[s].Write(chunk));
        chunk.clear();
      }
      if (truth_chunk.size() >= kChunk) {
        BLOOMLINK_RETURN_IF_ERROR(truth.Write(truth_chunk));
        truth_chunk.clear();
      }
    }
    BLOOMLINK_RETURN_IF_ERROR(files[s].Write(chunk));
    summary.records.push_back(entries.size());
  }
  BLOOMLINK_RETURN_IF_ERROR(truth.Write(truth_chunk));
  for (std::uint32_t count : sources_of) summary.persons_in_several += count >= 2;
  for (io::AtomicFileWriter& file : files) BLOOMLINK_RETURN_IF_ERROR(file.Commit());
  BLOOMLINK_RETURN_IF_ERROR(truth.Commit());
  return summary;
}

}  // namespace bloomlink::synth
