#include "bloomlink/synth/synth.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "bloomlink/encode/normalise.hpp"
#include "test_support.hpp"

namespace bloomlink::synth {
namespace {

using ::bloomlink::testing::ReadFile;
using ::bloomlink::testing::StatusIs;
using ::bloomlink::testing::TempDir;

constexpr std::string_view kHeader =
    "id,nhs_number,given_name,family_name,date_of_birth,sex,postcode";
enum Field { kId, kNhs, kGiven, kFamily, kDob, kSex, kPostcode };
using Row = std::array<std::string, 7>;

// ---------------------------------------------------------------------------------------------
// Helpers written independently of the generator.

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return fields;
}

// ParseExtract(text): the rows of an extract, checking that it is well-formed CSV without quoting
// (every field free of quotes, commas and line breaks; every line with 7 fields).
std::vector<Row> ParseExtract(const std::string& text) {
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('"'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  std::vector<std::string> lines = Lines(text);
  EXPECT_FALSE(lines.empty());
  std::vector<Row> rows;
  if (lines.empty()) return rows;
  EXPECT_EQ(lines[0], kHeader);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields = Split(lines[i]);
    EXPECT_EQ(fields.size(), 7u) << "line " << i + 1 << ": " << lines[i];
    if (fields.size() != 7) continue;
    Row row;
    std::move(fields.begin(), fields.end(), row.begin());
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::pair<std::string, std::string>> ParseTruth(const std::string& text) {
  std::vector<std::string> lines = Lines(text);
  EXPECT_FALSE(lines.empty());
  std::vector<std::pair<std::string, std::string>> pairs;
  if (lines.empty()) return pairs;
  EXPECT_EQ(lines[0], "id_a,id_b");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> fields = Split(lines[i]);
    EXPECT_EQ(fields.size(), 2u) << lines[i];
    if (fields.size() == 2) pairs.emplace_back(fields[0], fields[1]);
  }
  return pairs;
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// ValidNhs(s): ten digits (spaces allowed) passing the Modulus 11 check.
bool ValidNhs(std::string_view s) {
  std::string digits;
  for (char c : s) {
    if (c != ' ') digits.push_back(c);
  }
  if (digits.size() != 10 || !AllDigits(digits)) return false;
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (digits[static_cast<std::size_t>(i)] - '0') * (10 - i);
  int check = 11 - sum % 11;
  if (check == 11) check = 0;
  return check != 10 && check == digits[9] - '0';
}

struct Ymd {
  int y = 0, m = 0, d = 0;
  auto operator<=>(const Ymd&) const = default;
};

bool ValidYmd(const Ymd& date) {
  if (date.m < 1 || date.m > 12 || date.d < 1) return false;
  const bool leap = (date.y % 4 == 0 && date.y % 100 != 0) || date.y % 400 == 0;
  const int days[12] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return date.d <= days[date.m - 1];
}

int Number(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// ParseIso("YYYY-MM-DD") and ParseUk("DD/MM/YYYY"): the date, or y == 0 when malformed.
Ymd ParseIso(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !AllDigits(s.substr(0, 4)) ||
      !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2))) {
    return {};
  }
  Ymd date{Number(s.substr(0, 4)), Number(s.substr(5, 2)), Number(s.substr(8, 2))};
  return ValidYmd(date) ? date : Ymd{};
}

Ymd ParseUk(std::string_view s) {
  if (s.size() != 10 || s[2] != '/' || s[5] != '/' || !AllDigits(s.substr(0, 2)) ||
      !AllDigits(s.substr(3, 2)) || !AllDigits(s.substr(6, 4))) {
    return {};
  }
  Ymd date{Number(s.substr(6, 4)), Number(s.substr(3, 2)), Number(s.substr(0, 2))};
  return ValidYmd(date) ? date : Ymd{};
}

bool IsUpperLetter(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ValidPostcode(outward, inward): the UK patterns A9, A99, AA9, AA99, A9A, AA9A + 9AA, with the
// inward letters from the set used in postcodes.
bool ValidPostcode(std::string_view outward, std::string_view inward) {
  constexpr std::string_view kInward = "ABDEFGHJLNPQRSTUWXYZ";
  if (inward.size() != 3 || !IsDigit(inward[0]) || kInward.find(inward[1]) == std::string::npos ||
      kInward.find(inward[2]) == std::string::npos) {
    return false;
  }
  std::string shape;
  for (char c : outward) shape.push_back(IsUpperLetter(c) ? 'A' : IsDigit(c) ? '9' : '?');
  return shape == "A9" || shape == "A99" || shape == "AA9" || shape == "AA99" || shape == "A9A" ||
         shape == "AA9A";
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool ValidUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// CleanName(s): a rough test-local name cleaner: accents removed (for the letters the name lists
// use), upper case, letters only.
std::string CleanName(std::string_view s) {
  static const std::pair<std::string_view, char> kAccented[] = {
      {"ą", 'a'}, {"č", 'c'}, {"ę", 'e'}, {"ğ", 'g'}, {"ń", 'n'}, {"ś", 's'}, {"Ş", 'S'},
      {"ş", 's'}, {"ź", 'z'}, {"ż", 'z'}, {"Ș", 'S'}, {"Ç", 'C'}, {"Ö", 'O'}, {"á", 'a'},
      {"é", 'e'}, {"ë", 'e'}, {"í", 'i'}, {"ó", 'o'}, {"ü", 'u'}};
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    bool replaced = false;
    for (const auto& [from, to] : kAccented) {
      if (s.substr(i).starts_with(from)) {
        out.push_back(to);
        i += from.size();
        replaced = true;
        break;
      }
    }
    if (replaced) continue;
    if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')) out.push_back(s[i]);
    ++i;
  }
  return Upper(out);
}

std::string CleanDigits(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ') out.push_back(c);
  }
  return Upper(out);
}

std::string CleanSex(std::string_view s) {
  if (s == "M" || s == "1") return "M";
  if (s == "F" || s == "2") return "F";
  return "";
}

std::string CleanDob(std::string_view s) {
  Ymd date = s.size() == 10 && s[4] == '-' ? ParseIso(s) : ParseUk(s);
  if (date.y == 0) return "";
  return std::to_string(date.y * 10000 + date.m * 100 + date.d);
}

// Fnv1a(text): a 64-bit FNV-1a hash (to pin the generator's output).
std::uint64_t Fnv1a(std::string_view text, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Generated: the three files of one run, parsed.
struct Generated {
  std::string trust_text, council_text, truth_text;
  std::vector<Row> trust, council;
  std::vector<std::pair<std::string, std::string>> truth;
  SynthSummary summary;
  std::unordered_map<std::string, std::size_t> trust_index, council_index;  // id -> row
};

Generated Generate(const SynthOptions& options) {
  TempDir dir;
  absl::StatusOr<SynthSummary> summary = WriteSynthExtracts(options, dir.file("out"));
  EXPECT_TRUE(summary.ok()) << summary.status();
  Generated g;
  if (!summary.ok()) return g;
  g.summary = *summary;
  g.trust_text = ReadFile(summary->trust_path);
  g.council_text = ReadFile(summary->council_path);
  g.truth_text = ReadFile(summary->truth_path);
  g.trust = ParseExtract(g.trust_text);
  g.council = ParseExtract(g.council_text);
  g.truth = ParseTruth(g.truth_text);
  for (std::size_t i = 0; i < g.trust.size(); ++i) g.trust_index[g.trust[i][kId]] = i;
  for (std::size_t i = 0; i < g.council.size(); ++i) g.council_index[g.council[i][kId]] = i;
  return g;
}

SynthOptions Options(std::uint64_t records, std::uint64_t seed = 7, double overlap = 0.6,
                     double corruption = 1.0) {
  SynthOptions options;
  options.records = records;
  options.seed = seed;
  options.overlap = overlap;
  options.corruption = corruption;
  return options;
}

// A run shared by several tests.
const Generated& Standard() {
  static const Generated* g = new Generated(Generate(Options(20000)));
  return *g;
}

// ---------------------------------------------------------------------------------------------

TEST(SynthTest, TestModulus11MatchesKnownNumbers) {
  EXPECT_TRUE(ValidNhs("9434765919"));
  EXPECT_TRUE(ValidNhs("943 476 5919"));
  EXPECT_TRUE(ValidNhs("4010232137"));
  EXPECT_FALSE(ValidNhs("9434765918"));
  EXPECT_FALSE(ValidNhs("9434765991"));
  EXPECT_FALSE(ValidNhs("943476591"));
}

TEST(SynthTest, SameOptionsSameBytes) {
  Generated a = Generate(Options(3000, 11));
  Generated b = Generate(Options(3000, 11));
  EXPECT_EQ(a.trust_text, b.trust_text);
  EXPECT_EQ(a.council_text, b.council_text);
  EXPECT_EQ(a.truth_text, b.truth_text);
}

TEST(SynthTest, DifferentSeedDifferentBytes) {
  Generated a = Generate(Options(3000, 11));
  Generated b = Generate(Options(3000, 12));
  EXPECT_NE(a.trust_text, b.trust_text);
  EXPECT_NE(a.council_text, b.council_text);
  EXPECT_NE(a.truth_text, b.truth_text);
}

// The output is pinned: it must not change with the compiler, standard library or machine. If
// the generator is changed on purpose, update the hash (and say so in the change).
TEST(SynthTest, OutputIsPinned) {
  Generated g = Generate(Options(1000, 2024));
  const std::uint64_t h = Fnv1a(g.truth_text, Fnv1a(g.council_text, Fnv1a(g.trust_text)));
  EXPECT_EQ(h, 0x469db501449c385fULL) << std::hex << "0x" << h;
}

TEST(SynthTest, CountsMatchOptions) {
  const Generated& g = Standard();
  EXPECT_EQ(g.trust.size(), 20000u);
  EXPECT_EQ(g.council.size(), 20000u);
  EXPECT_EQ(g.truth.size(), 12000u);
  EXPECT_EQ(g.summary.trust_records, 20000u);
  EXPECT_EQ(g.summary.council_records, 20000u);
  EXPECT_EQ(g.summary.true_matches, 12000u);
}

TEST(SynthTest, OverlapExtremes) {
  Generated none = Generate(Options(500, 3, 0.0));
  EXPECT_EQ(none.truth_text, "id_a,id_b\n");
  EXPECT_EQ(none.summary.true_matches, 0u);
  Generated all = Generate(Options(500, 3, 1.0));
  EXPECT_EQ(all.truth.size(), 500u);
  Generated some = Generate(Options(777, 3, 0.25));
  EXPECT_EQ(some.truth.size(), 194u);  // round(0.25 * 777)
  Generated one = Generate(Options(1, 3, 1.0));
  EXPECT_EQ(one.trust.size(), 1u);
  EXPECT_EQ(one.council.size(), 1u);
  EXPECT_EQ(one.truth.size(), 1u);
}

TEST(SynthTest, IdsAreUniqueAndTruthIdsExist) {
  const Generated& g = Standard();
  EXPECT_EQ(g.trust_index.size(), g.trust.size());
  EXPECT_EQ(g.council_index.size(), g.council.size());
  for (std::size_t i = 0; i < g.trust.size(); ++i) {
    const std::string& id = g.trust[i][kId];
    ASSERT_EQ(id.size(), 8u) << id;
    EXPECT_EQ(id[0], 'T');
    EXPECT_TRUE(AllDigits(id.substr(1))) << id;
  }
  for (const Row& row : g.council) {
    const std::string& id = row[kId];
    ASSERT_EQ(id.size(), 9u) << id;
    EXPECT_EQ(id[0], 'C');
    EXPECT_EQ(id.substr(1).find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  }
  std::set<std::string> a, b;
  for (const auto& [id_a, id_b] : g.truth) {
    EXPECT_TRUE(g.trust_index.contains(id_a)) << id_a;
    EXPECT_TRUE(g.council_index.contains(id_b)) << id_b;
    a.insert(id_a);
    b.insert(id_b);
  }
  EXPECT_EQ(a.size(), g.truth.size());
  EXPECT_EQ(b.size(), g.truth.size());
}

// Row order must not reveal the pairing: the rows of true pairs are uncorrelated.
TEST(SynthTest, RowOrderDoesNotRevealPairs) {
  const Generated& g = Standard();
  double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  std::size_t trust_in_first_half = 0;
  for (const auto& [id_a, id_b] : g.truth) {
    const double x = static_cast<double>(g.trust_index.at(id_a));
    const double y = static_cast<double>(g.council_index.at(id_b));
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
    if (x < 10000) ++trust_in_first_half;
  }
  const double r = (n * sxy - sx * sy) / std::sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
  EXPECT_LT(std::abs(r), 0.05);
  // Shared persons are spread over the whole trust extract.
  EXPECT_NEAR(static_cast<double>(trust_in_first_half) / n, 0.5, 0.03);
}

TEST(SynthTest, NhsNumbersAreValidUnlessDeliberatelyMistyped) {
  const Generated& g = Standard();
  std::size_t trust_missing = 0, council_missing = 0, council_invalid = 0;
  std::unordered_set<std::string> seen;
  for (const Row& row : g.trust) {
    if (row[kNhs].empty()) {
      ++trust_missing;
      continue;
    }
    EXPECT_EQ(row[kNhs].size(), 10u);
    EXPECT_TRUE(ValidNhs(row[kNhs])) << row[kNhs];
    EXPECT_TRUE(seen.insert(row[kNhs]).second) << "duplicate " << row[kNhs];
    EXPECT_NE(row[kNhs], std::string(10, row[kNhs][0]));
  }
  for (const Row& row : g.council) {
    if (row[kNhs].empty()) {
      ++council_missing;
      continue;
    }
    const std::string& s = row[kNhs];
    EXPECT_TRUE((s.size() == 10 && AllDigits(s)) ||
                (s.size() == 12 && s[3] == ' ' && s[7] == ' ' && AllDigits(s.substr(0, 3)) &&
                 AllDigits(s.substr(4, 3)) && AllDigits(s.substr(8, 4))))
        << s;
    if (!ValidNhs(s)) ++council_invalid;
  }
  // Mistyped numbers are rare and only in the council's extract.
  EXPECT_GT(council_invalid, 20u);
  EXPECT_LT(council_invalid, 200u);
  // The council is missing NHS numbers much more often than the trust.
  EXPECT_NEAR(static_cast<double>(council_missing) / 20000, 0.12, 0.02);
  EXPECT_LT(static_cast<double>(trust_missing) / 20000, 0.02);
  EXPECT_LT(trust_missing * 4, council_missing);
}

TEST(SynthTest, DatesParseInTheirFormats) {
  const Generated& g = Standard();
  const Ymd reference = ParseIso(kSynthReferenceDate);
  ASSERT_NE(reference.y, 0);
  const Ymd oldest{reference.y - 101, reference.m, reference.d};
  std::size_t missing = 0;
  std::set<int> years;
  for (const Row& row : g.trust) {
    if (row[kDob].empty()) {
      ++missing;
      continue;
    }
    Ymd date = ParseIso(row[kDob]);
    ASSERT_NE(date.y, 0) << row[kDob];
    EXPECT_LE(date, reference) << row[kDob];
    EXPECT_GT(date, oldest) << row[kDob];
    years.insert(date.y);
  }
  for (const Row& row : g.council) {
    if (row[kDob].empty()) {
      ++missing;
      continue;
    }
    Ymd date = ParseUk(row[kDob]);
    ASSERT_NE(date.y, 0) << row[kDob];
    EXPECT_LE(date, reference) << row[kDob];
  }
  EXPECT_LT(missing, 200u);
  EXPECT_GE(years.size(), 95u);  // ages 0 to 100
  EXPECT_TRUE(years.contains(reference.y));
}

TEST(SynthTest, SexCodes) {
  const Generated& g = Standard();
  std::map<std::string, std::size_t> trust, council;
  for (const Row& row : g.trust) ++trust[row[kSex]];
  for (const Row& row : g.council) ++council[row[kSex]];
  for (const auto& [code, count] : trust) {
    EXPECT_TRUE(code == "M" || code == "F" || code == "U") << code;
  }
  for (const auto& [code, count] : council) {
    EXPECT_TRUE(code == "1" || code == "2" || code == "0" || code == "9") << code;
  }
  EXPECT_NEAR(static_cast<double>(trust["U"]) / 20000, 0.01, 0.005);
  EXPECT_NEAR(static_cast<double>(trust["F"]) / 20000, 0.495, 0.02);
  EXPECT_GT(council["0"], 0u);
  EXPECT_GT(council["9"], 0u);
}

TEST(SynthTest, PostcodesFollowTheUkPattern) {
  const Generated& g = Standard();
  std::set<std::string> areas;
  for (const Row& row : g.trust) {
    const std::string& pc = row[kPostcode];
    if (pc.empty()) continue;
    ASSERT_GE(pc.size(), 5u) << pc;
    EXPECT_TRUE(ValidPostcode(std::string_view(pc).substr(0, pc.size() - 3),
                              std::string_view(pc).substr(pc.size() - 3)))
        << pc;
    areas.insert(pc.substr(0, pc.find_first_of("0123456789")));
  }
  for (const Row& row : g.council) {
    const std::string pc = Upper(row[kPostcode]);
    if (pc.empty()) continue;
    const std::size_t space = pc.find(' ');
    ASSERT_NE(space, std::string::npos) << pc;
    EXPECT_EQ(space, pc.size() - 4) << pc;
    EXPECT_TRUE(ValidPostcode(std::string_view(pc).substr(0, space),
                              std::string_view(pc).substr(space + 1)))
        << pc;
  }
  EXPECT_GT(areas.size(), 100u);
  EXPECT_TRUE(areas.contains("LS"));
  EXPECT_TRUE(areas.contains("BT"));
}

TEST(SynthTest, NamesAndEncodings) {
  const Generated& g = Standard();
  // The trust writes ASCII capitals; the council mixed case, accents included.
  for (char c : g.trust_text) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  EXPECT_TRUE(ValidUtf8(g.council_text));
  std::size_t council_lower = 0, trust_lower = 0;
  for (const Row& row : g.trust) {
    for (char c : row[kGiven] + row[kFamily]) trust_lower += (c >= 'a' && c <= 'z');
  }
  for (const Row& row : g.council) {
    for (char c : row[kGiven] + row[kFamily]) council_lower += (c >= 'a' && c <= 'z');
  }
  EXPECT_EQ(trust_lower, 0u);
  EXPECT_GT(council_lower, 50000u);
  EXPECT_NE(g.council_text.find("O'"), std::string::npos);
  EXPECT_NE(g.council_text.find('-'), std::string::npos);
}

// Common names are common: different people share names, and birth years.
TEST(SynthTest, NameFrequenciesArePlausible) {
  const Generated& g = Standard();
  std::map<std::string, std::size_t> surnames;
  std::map<std::string, std::size_t> name_year;
  std::set<std::string> given;
  for (const Row& row : g.trust) {
    if (row[kFamily].empty() || row[kGiven].empty() || row[kDob].empty()) continue;
    ++surnames[row[kFamily]];
    given.insert(row[kGiven]);
    ++name_year[row[kGiven] + " " + row[kFamily] + " " + row[kDob].substr(0, 4)];
  }
  std::size_t top = 0;
  for (const auto& [name, count] : surnames) top = std::max(top, count);
  EXPECT_GT(top, 20000u / 200);  // the commonest surname is > 0.5%
  EXPECT_LT(top, 20000u / 15);   // ... and < 7%
  EXPECT_GT(surnames.size(), 1000u);
  EXPECT_GT(given.size(), 500u);
  std::size_t coincidences = 0;
  for (const auto& [key, count] : name_year) coincidences += count > 1;
  EXPECT_GT(coincidences, 5u);
  EXPECT_GT(surnames["SMITH"], surnames["HOLLIS"]);
}

// Rates at which a true pair disagrees after cleaning, at the default corruption.
TEST(SynthTest, TruePairsDisagreeRealistically) {
  const Generated& g = Standard();
  std::array<std::size_t, 7> differ{};
  std::size_t nickname_like = 0;
  for (const auto& [id_a, id_b] : g.truth) {
    const Row& t = g.trust[g.trust_index.at(id_a)];
    const Row& c = g.council[g.council_index.at(id_b)];
    differ[kNhs] += CleanDigits(t[kNhs]) != CleanDigits(c[kNhs]);
    differ[kGiven] += CleanName(t[kGiven]) != CleanName(c[kGiven]);
    differ[kFamily] += CleanName(t[kFamily]) != CleanName(c[kFamily]);
    differ[kDob] += CleanDob(t[kDob]) != CleanDob(c[kDob]);
    differ[kSex] += CleanSex(t[kSex]) != CleanSex(c[kSex]);
    differ[kPostcode] += CleanDigits(t[kPostcode]) != CleanDigits(c[kPostcode]);
    nickname_like += (CleanName(t[kGiven]) == "WILLIAM" && CleanName(c[kGiven]) == "BILL") ||
                     (CleanName(t[kGiven]) == "MARGARET" && CleanName(c[kGiven]) == "PEGGY");
  }
  const double n = static_cast<double>(g.truth.size());
  auto rate = [&](Field f) { return static_cast<double>(differ[f]) / n; };
  EXPECT_GT(rate(kNhs), 0.08);  // mostly missing in the council's extract
  EXPECT_LT(rate(kNhs), 0.18);
  EXPECT_GT(rate(kGiven), 0.03);
  EXPECT_LT(rate(kGiven), 0.12);
  EXPECT_GT(rate(kFamily), 0.02);
  EXPECT_LT(rate(kFamily), 0.09);
  EXPECT_GT(rate(kDob), 0.007);
  EXPECT_LT(rate(kDob), 0.035);
  EXPECT_GT(rate(kSex), 0.003);
  EXPECT_LT(rate(kSex), 0.03);
  EXPECT_GT(rate(kPostcode), 0.07);
  EXPECT_LT(rate(kPostcode), 0.135);
  EXPECT_GT(nickname_like, 0u);
}

// At corruption 0 the extracts differ only in format: every true pair agrees after cleaning,
// nothing is missing and every NHS number is valid.
TEST(SynthTest, NoCorruptionMeansIdenticalAfterCleaning) {
  Generated g = Generate(Options(5000, 99, 0.8, 0.0));
  ASSERT_EQ(g.truth.size(), 4000u);
  for (const auto& [id_a, id_b] : g.truth) {
    const Row& t = g.trust[g.trust_index.at(id_a)];
    const Row& c = g.council[g.council_index.at(id_b)];
    EXPECT_EQ(CleanDigits(t[kNhs]), CleanDigits(c[kNhs])) << id_a;
    EXPECT_EQ(CleanName(t[kGiven]), CleanName(c[kGiven])) << t[kGiven] << " vs " << c[kGiven];
    EXPECT_EQ(CleanName(t[kFamily]), CleanName(c[kFamily])) << t[kFamily] << " vs " << c[kFamily];
    EXPECT_EQ(CleanDob(t[kDob]), CleanDob(c[kDob])) << id_a;
    EXPECT_EQ(CleanSex(t[kSex]), CleanSex(c[kSex])) << id_a;
    EXPECT_EQ(CleanDigits(t[kPostcode]), CleanDigits(c[kPostcode])) << id_a;
  }
  for (const std::vector<Row>* rows : {&g.trust, &g.council}) {
    for (const Row& row : *rows) {
      EXPECT_TRUE(ValidNhs(row[kNhs])) << row[kNhs];
      for (Field f : {kGiven, kFamily, kDob, kPostcode}) EXPECT_FALSE(row[f].empty()) << row[kId];
    }
  }
}

// The project's cleaners reconcile the two extracts' formats: at corruption 0 every true pair
// cleans to the same values, and every value is valid (sex codes "U", "0" and "9" are missing).
// At the default corruption only the council's NHS numbers are ever invalid.
encode::CleanOutcome CleanField(Field field, const std::string& raw, std::string* out) {
  switch (field) {
    case kNhs:
      return encode::CleanNhsNumber(raw, out);
    case kGiven:
    case kFamily:
      return encode::CleanName(raw, out);
    case kDob:
      return encode::CleanDate(raw, encode::DateOptions{}, out);
    case kSex:
      return encode::CleanSex(raw, out);
    case kPostcode:
      return encode::CleanPostcode(raw, out);
    default:
      return encode::CleanOutcome::Valid();
  }
}

constexpr Field kCleanedFields[] = {kNhs, kGiven, kFamily, kDob, kSex, kPostcode};

TEST(SynthTest, CleanersReconcileTheFormats) {
  Generated g = Generate(Options(3000, 42, 0.7, 0.0));
  std::string a, b;
  for (const auto& [id_a, id_b] : g.truth) {
    const Row& t = g.trust[g.trust_index.at(id_a)];
    const Row& c = g.council[g.council_index.at(id_b)];
    for (Field f : kCleanedFields) {
      const encode::CleanOutcome ra = CleanField(f, t[f], &a);
      const encode::CleanOutcome rb = CleanField(f, c[f], &b);
      const auto expected =
          f == kSex && a.empty() ? encode::CleanStatus::kMissing : encode::CleanStatus::kValid;
      EXPECT_EQ(ra.status, expected) << t[f] << " " << ra.reason;
      EXPECT_EQ(rb.status, ra.status) << c[f] << " " << rb.reason;
      EXPECT_EQ(a, b) << t[f] << " vs " << c[f];
    }
  }
}

TEST(SynthTest, OnlyMistypedNhsNumbersAreInvalid) {
  const Generated& g = Standard();
  std::string out;
  std::map<std::pair<int, Field>, std::size_t> invalid;
  for (int side = 0; side < 2; ++side) {
    for (const Row& row : side == 0 ? g.trust : g.council) {
      for (Field f : kCleanedFields) {
        if (CleanField(f, row[f], &out).status == encode::CleanStatus::kInvalid) {
          ++invalid[{side, f}];
        }
      }
    }
  }
  for (const auto& [key, count] : invalid) {
    EXPECT_TRUE(key.first == 1 && key.second == kNhs)
        << (key.first == 0 ? "trust" : "council") << " field " << key.second << ": " << count
        << " invalid";
  }
  EXPECT_GT((invalid[{1, kNhs}]), 20u);
}

TEST(SynthTest, GeneratorMatchesFilesRowByRow) {
  const SynthOptions options = Options(2000, 5);
  Generated g = Generate(options);
  absl::StatusOr<SynthGenerator> generator = SynthGenerator::Create(options);
  ASSERT_TRUE(generator.ok()) << generator.status();
  EXPECT_EQ(generator->trust_records(), 2000u);
  EXPECT_EQ(generator->council_records(), 2000u);
  EXPECT_EQ(generator->true_matches(), 1200u);
  EXPECT_EQ(generator->options().seed, 5u);
  SynthRecord record;
  std::string match;
  std::size_t matches = 0;
  // Rows in reverse order: any row can be produced on its own.
  for (std::size_t i = g.trust.size(); i-- > 0;) {
    generator->TrustRecord(i, &record, &match);
    const Row& row = g.trust[i];
    EXPECT_EQ(record.id, row[kId]);
    EXPECT_EQ(record.nhs_number, row[kNhs]);
    EXPECT_EQ(record.given_name, row[kGiven]);
    EXPECT_EQ(record.family_name, row[kFamily]);
    EXPECT_EQ(record.date_of_birth, row[kDob]);
    EXPECT_EQ(record.sex, row[kSex]);
    EXPECT_EQ(record.postcode, row[kPostcode]);
    if (!match.empty()) {
      ++matches;
      EXPECT_TRUE(g.council_index.contains(match));
    }
  }
  EXPECT_EQ(matches, 1200u);
  for (std::size_t i = g.council.size(); i-- > 0;) {
    generator->CouncilRecord(i, &record);
    EXPECT_EQ(record.id, g.council[i][kId]);
    EXPECT_EQ(record.given_name, g.council[i][kGiven]);
    EXPECT_EQ(record.postcode, g.council[i][kPostcode]);
  }
}

TEST(SynthTest, CreatesMissingFolders) {
  TempDir dir;
  const std::string out = dir.file("a/b/c");
  absl::StatusOr<SynthSummary> summary = WriteSynthExtracts(Options(10), out);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_TRUE(std::filesystem::is_regular_file(out + "/trust.csv"));
  EXPECT_TRUE(std::filesystem::is_regular_file(out + "/council.csv"));
  EXPECT_TRUE(std::filesystem::is_regular_file(out + "/truth.csv"));
  EXPECT_EQ(summary->trust_path, (std::filesystem::path(out) / "trust.csv").string());
  // Overwriting leaves no temporary files behind.
  ASSERT_TRUE(WriteSynthExtracts(Options(10, 8), out).ok());
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 3u);
}

TEST(SynthDedupTest, PersonsWithSeveralRecordsAndEveryPairInTheTruth) {
  TempDir dir;
  SynthOptions options = Options(2000, 7);
  options.records_per_person = RecordsPerPerson{.min = 3, .max = 20};
  absl::StatusOr<SynthDedupSummary> summary = WriteSynthDedup(options, dir.file("d"));
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->records, 2000u);
  // 3 to 20 records each, 11.5 on average: about 174 persons.
  EXPECT_GT(summary->persons, 140u);
  EXPECT_LT(summary->persons, 220u);
  const std::vector<std::string> rows = Lines(ReadFile(summary->records_path));
  ASSERT_EQ(rows.size(), 2001u);
  EXPECT_EQ(rows[0], "id,nhs_number,given_name,family_name,date_of_birth,sex,postcode");
  EXPECT_EQ(rows[1].substr(0, 9), "R0000001,");
  const std::vector<std::string> truth = Lines(ReadFile(summary->truth_path));
  ASSERT_EQ(truth.size(), summary->true_pairs + 1);
  EXPECT_EQ(truth[0], "id_a,id_b");
  // Group the records by the truth's pairs (union-find): every group is a clique of 3 to 20
  // (the last person may have fewer), and the groups are the persons.
  std::map<std::string, std::string> parent;
  std::function<std::string(const std::string&)> find = [&](const std::string& x) {
    auto it = parent.find(x);
    if (it == parent.end() || it->second == x) return x;
    return it->second = find(it->second);
  };
  std::set<std::pair<std::string, std::string>> pairs;
  for (std::size_t i = 1; i < truth.size(); ++i) {
    const std::size_t comma = truth[i].find(',');
    const std::string a = truth[i].substr(0, comma), b = truth[i].substr(comma + 1);
    ASSERT_LT(a, b) << "id_a is the earlier row";
    ASSERT_TRUE(pairs.emplace(a, b).second) << "each pair once";
    parent.emplace(a, a);
    parent.emplace(b, b);
    parent[find(a)] = find(b);
  }
  std::map<std::string, std::size_t> sizes;
  for (const auto& [id, p] : parent) ++sizes[find(id)];
  std::size_t in_groups = 0, small = 0;
  for (const auto& entry : sizes) {
    // (Named, not a structured binding: clang cannot capture those in a lambda.)
    const std::string& root = entry.first;
    const std::size_t n = entry.second;
    EXPECT_LE(n, 20u);
    small += n < 3 ? 1 : 0;
    in_groups += n;
    EXPECT_EQ(n * (n - 1) / 2, static_cast<std::size_t>(std::count_if(
                                   pairs.begin(), pairs.end(),
                                   [&](const auto& pr) { return find(pr.first) == root; })));
  }
  EXPECT_LE(small, 1u);
  EXPECT_GE(in_groups, 1998u);  // only a last person of 1 record has no pair
  EXPECT_EQ(sizes.size() + (2000 - in_groups), summary->persons);
  // Same options, same bytes; the generator gives the same rows.
  TempDir again;
  ASSERT_TRUE(WriteSynthDedup(options, again.file("d")).ok());
  EXPECT_EQ(ReadFile(again.file("d/records.csv")), ReadFile(summary->records_path));
  EXPECT_EQ(ReadFile(again.file("d/truth.csv")), ReadFile(summary->truth_path));
  absl::StatusOr<SynthGenerator> gen = SynthGenerator::Create(options);
  ASSERT_TRUE(gen.ok());
  EXPECT_EQ(gen->persons(), summary->persons);
  SynthRecord record;
  gen->DedupRecord(4, &record);
  EXPECT_EQ(rows[5].substr(0, record.id.size()), record.id);
}

TEST(SynthDedupTest, RejectsBadRanges) {
  TempDir dir;
  SynthOptions options = Options(100);
  EXPECT_THAT(WriteSynthDedup(options, dir.file("d")),
              StatusIs(absl::StatusCode::kInvalidArgument, "records per person"));
  for (const RecordsPerPerson bad :
       {RecordsPerPerson{.min = 0, .max = 3}, RecordsPerPerson{.min = 5, .max = 4},
        RecordsPerPerson{.min = 1, .max = kMaxRecordsPerPerson + 1}}) {
    options.records_per_person = bad;
    EXPECT_THAT(WriteSynthDedup(options, dir.file("d")),
                StatusIs(absl::StatusCode::kInvalidArgument, "records per person"));
  }
  options.records_per_person = RecordsPerPerson{};
  options.exact_share = 0.5;
  EXPECT_THAT(ValidateSynthOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, "exact_share"));
}

TEST(SynthTest, RejectsBadOptions) {
  TempDir dir;
  const std::string out = dir.file("out");
  EXPECT_THAT(WriteSynthExtracts(Options(0), out),
              StatusIs(absl::StatusCode::kInvalidArgument, "records"));
  EXPECT_THAT(WriteSynthExtracts(Options(kMaxSynthRecords + 1), out),
              StatusIs(absl::StatusCode::kInvalidArgument, "records"));
  for (double overlap : {-0.1, 1.01, std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_THAT(WriteSynthExtracts(Options(10, 1, overlap), out),
                StatusIs(absl::StatusCode::kInvalidArgument, "overlap"));
  }
  for (double corruption :
       {-1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    EXPECT_THAT(WriteSynthExtracts(Options(10, 1, 0.5, corruption), out),
                StatusIs(absl::StatusCode::kInvalidArgument, "corruption"));
  }
  EXPECT_THAT(SynthGenerator::Create(Options(0)),
              StatusIs(absl::StatusCode::kInvalidArgument, "records"));
  EXPECT_THAT(ValidateSynthOptions(Options(10, 1, 1.0, 3.0)), StatusIs(absl::StatusCode::kOk, ""));
  EXPECT_FALSE(std::filesystem::exists(out)) << "nothing written for bad options";
}

TEST(SynthTest, ErrorsNameThePath) {
  TempDir dir;
  const std::string file = dir.file("plain-file");
  testing::WriteFile(file, "x");
  EXPECT_THAT(WriteSynthExtracts(Options(10), file),
              StatusIs(absl::StatusCode::kInvalidArgument, file));
  EXPECT_THAT(WriteSynthExtracts(Options(10), file + "/below"),
              StatusIs(absl::StatusCode::kInvalidArgument, file));
  EXPECT_THAT(WriteSynthExtracts(Options(10), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "folder"));
  // A folder in place of an output file.
  const std::string out = dir.file("out");
  std::filesystem::create_directories(out + "/council.csv");
  EXPECT_THAT(WriteSynthExtracts(Options(10), out),
              StatusIs(absl::StatusCode::kInvalidArgument, out + "/council.csv"));
  EXPECT_FALSE(std::filesystem::exists(out + "/trust.csv")) << "no partial output";
}

// ---------------------------------------------------------------------------------------------
// The quality knobs: exact_share, field_corruption, missing.

constexpr Field kFieldColumn[kSynthFieldCount] = {kNhs, kGiven, kFamily, kDob, kSex, kPostcode};

// Clean(field, value): the value as the test compares it (empty when missing).
std::string Clean(Field f, const std::string& value) {
  switch (f) {
    case kNhs:
    case kPostcode:
      return CleanDigits(value);
    case kGiven:
    case kFamily:
      return CleanName(value);
    case kDob:
      return CleanDob(value);
    case kSex:
      return CleanSex(value);
    default:
      return value;
  }
}

// PairStats: per field, the true pairs whose values are both present and disagree after
// cleaning; and the pairs that agree on every field.
struct PairStats {
  std::array<std::size_t, kSynthFieldCount> differ{};
  std::size_t identical = 0;
  std::size_t pairs = 0;
  std::map<std::size_t, std::size_t> by_count;  // number of differing fields -> pairs
};

PairStats Compare(const Generated& g) {
  PairStats stats;
  for (const auto& [id_a, id_b] : g.truth) {
    const Row& t = g.trust[g.trust_index.at(id_a)];
    const Row& c = g.council[g.council_index.at(id_b)];
    std::size_t n = 0;
    bool same = true;
    for (std::size_t f = 0; f < kSynthFieldCount; ++f) {
      const std::string a = Clean(kFieldColumn[f], t[kFieldColumn[f]]);
      const std::string b = Clean(kFieldColumn[f], c[kFieldColumn[f]]);
      same = same && a == b;
      if (!a.empty() && !b.empty() && a != b) {
        ++stats.differ[f];
        ++n;
      }
    }
    stats.identical += same;
    ++stats.by_count[n];
    ++stats.pairs;
  }
  return stats;
}

SynthOptions Knobs(std::uint64_t records, double overlap, double corruption,
                   std::optional<double> exact_share, std::optional<double> missing) {
  SynthOptions options = Options(records, 31, overlap, corruption);
  options.exact_share = exact_share;
  options.missing = missing;
  return options;
}

std::optional<double>& Rate(SynthOptions& options, SynthField field) {
  return options.field_corruption[static_cast<std::size_t>(field)];
}

TEST(SynthKnobsTest, FieldNamesRoundTrip) {
  for (std::size_t f = 0; f < kSynthFieldCount; ++f) {
    const auto field = static_cast<SynthField>(f);
    absl::StatusOr<SynthField> parsed = ParseSynthField(SynthFieldName(field));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, field);
  }
  EXPECT_EQ(SynthFieldName(SynthField::kDateOfBirth), "date_of_birth");
  EXPECT_THAT(ParseSynthField("dob"),
              StatusIs(absl::StatusCode::kInvalidArgument, "unknown field \"dob\""));
  EXPECT_THAT(ParseSynthField("id"), StatusIs(absl::StatusCode::kInvalidArgument, "postcode"));
}

// The built-in mechanisms corrupt each field about as often as kSynthDefaultFieldCorruption
// says (the rates exact_share uses for fields without a rate of their own).
TEST(SynthKnobsTest, DefaultFieldRatesDescribeTheBuiltInRates) {
  const Generated& g = Standard();
  const PairStats stats = Compare(g);
  for (std::size_t f = 0; f < kSynthFieldCount; ++f) {
    const double rate = static_cast<double>(stats.differ[f]) / static_cast<double>(stats.pairs);
    const double expected = kSynthDefaultFieldCorruption[f];
    EXPECT_NEAR(rate, expected, 0.25 * expected + 0.002)
        << SynthFieldName(static_cast<SynthField>(f));
  }
}

TEST(SynthKnobsTest, ExactShareIsExact) {
  // 3,000 true pairs, two thirds exact; the rest corrupted at the built-in relative rates.
  Generated g = Generate(Knobs(6000, 0.5, 1.0, 2.0 / 3, 0.0));
  ASSERT_EQ(g.truth.size(), 3000u);
  const PairStats stats = Compare(g);
  // Every corrupted pair has a disagreeing field, but for the rare one whose only corrupted
  // field is the sex of a person whose sex is not known.
  EXPECT_GE(stats.identical, 2000u);
  EXPECT_LE(stats.identical, 2000u + 10);
  EXPECT_EQ(stats.by_count.at(0), stats.identical);
  // Nothing is missing.
  for (const std::vector<Row>* rows : {&g.trust, &g.council}) {
    for (const Row& row : *rows) {
      for (Field f : {kNhs, kGiven, kFamily, kDob, kPostcode}) EXPECT_FALSE(row[f].empty());
    }
  }
  // Postcodes and given names are corrupted most often, as in the built-in rates.
  const auto differ = [&](SynthField f) { return stats.differ[static_cast<std::size_t>(f)]; };
  EXPECT_GT(differ(SynthField::kPostcode), differ(SynthField::kFamilyName));
  EXPECT_GT(differ(SynthField::kGivenName), differ(SynthField::kDateOfBirth));
  EXPECT_GT(differ(SynthField::kDateOfBirth), 0u);
}

TEST(SynthKnobsTest, ExactShareExtremes) {
  Generated all = Generate(Knobs(2000, 0.5, 1.0, 1.0, 0.0));
  EXPECT_EQ(Compare(all).identical, 1000u);
  // exact_share 1 needs nothing to corrupt.
  Generated clean = Generate(Knobs(2000, 0.5, 0.0, 1.0, 0.0));
  EXPECT_EQ(Compare(clean).identical, 1000u);
  SynthOptions none = Knobs(2000, 0.5, 0.0, 0.0, 0.0);
  Rate(none, SynthField::kPostcode) = 1.0;
  const PairStats stats = Compare(Generate(none));
  EXPECT_EQ(stats.identical, 0u);
  EXPECT_EQ(stats.differ[static_cast<std::size_t>(SynthField::kPostcode)], 1000u);
}

// A dominant field: half the true pairs exact, the other half with only the date of birth
// wrong.
TEST(SynthKnobsTest, DominantField) {
  SynthOptions options = Knobs(4000, 0.5, 0.0, 0.5, 0.0);
  Rate(options, SynthField::kDateOfBirth) = 1.0;
  const PairStats stats = Compare(Generate(options));
  EXPECT_EQ(stats.identical, 1000u);
  EXPECT_EQ(stats.differ[static_cast<std::size_t>(SynthField::kDateOfBirth)], 1000u);
  EXPECT_EQ(stats.by_count.at(1), 1000u);
  EXPECT_EQ(stats.by_count.size(), 2u);
}

// "Voter-style": the corrupted pairs have one or two corrupted names, each name corrupted with
// probability 0.3 given that at least one is: both with probability 0.09 / 0.51.
TEST(SynthKnobsTest, CorruptedPairsHaveAtLeastOneCorruptedField) {
  SynthOptions options = Knobs(8000, 0.5, 0.0, 0.0, 0.0);
  Rate(options, SynthField::kGivenName) = 0.3;
  Rate(options, SynthField::kFamilyName) = 0.3;
  const PairStats stats = Compare(Generate(options));
  EXPECT_EQ(stats.identical, 0u);
  EXPECT_EQ(stats.by_count.count(0), 0u);
  EXPECT_EQ(stats.by_count.at(1) + stats.by_count.at(2), 4000u);
  EXPECT_NEAR(static_cast<double>(stats.by_count.at(2)) / 4000, 0.09 / 0.51, 0.02);
  for (SynthField f : {SynthField::kNhsNumber, SynthField::kDateOfBirth, SynthField::kSex,
                       SynthField::kPostcode}) {
    EXPECT_EQ(stats.differ[static_cast<std::size_t>(f)], 0u) << SynthFieldName(f);
  }
}

// Without exact_share, a field's rate replaces its built-in rates and the other fields keep
// theirs.
TEST(SynthKnobsTest, FieldCorruptionWithoutExactShare) {
  SynthOptions options = Knobs(8000, 0.5, 0.0, std::nullopt, 0.0);
  Rate(options, SynthField::kDateOfBirth) = 0.4;
  PairStats stats = Compare(Generate(options));
  EXPECT_NEAR(
      static_cast<double>(stats.differ[static_cast<std::size_t>(SynthField::kDateOfBirth)]) / 4000,
      0.4, 0.03);
  EXPECT_EQ(stats.by_count.size(), 2u);  // corruption 0: no other field disagrees

  options.corruption = 1.0;
  Rate(options, SynthField::kPostcode) = 0.0;
  stats = Compare(Generate(options));
  EXPECT_EQ(stats.differ[static_cast<std::size_t>(SynthField::kPostcode)], 0u);
  EXPECT_GT(stats.differ[static_cast<std::size_t>(SynthField::kGivenName)], 100u);
}

TEST(SynthKnobsTest, MissingIsPerValueInBothExtracts) {
  Generated g = Generate(Knobs(10000, 0.6, 1.0, std::nullopt, 0.2));
  for (const std::vector<Row>* rows : {&g.trust, &g.council}) {
    for (Field f : {kNhs, kGiven, kFamily, kDob, kPostcode}) {
      std::size_t empty = 0;
      for (const Row& row : *rows) empty += row[f].empty();
      EXPECT_NEAR(static_cast<double>(empty) / 10000, 0.2, 0.02) << f;
    }
    std::size_t unknown_sex = 0;
    for (const Row& row : *rows) unknown_sex += CleanSex(row[kSex]).empty();
    EXPECT_NEAR(static_cast<double>(unknown_sex) / 10000, 0.2 + 0.8 * 0.01, 0.02);
  }
  // missing 0: every value present (sex not known only for the persons whose sex is not known).
  Generated none = Generate(Knobs(3000, 0.6, 1.0, std::nullopt, 0.0));
  for (const std::vector<Row>* rows : {&none.trust, &none.council}) {
    for (const Row& row : *rows) {
      for (Field f : {kNhs, kGiven, kFamily, kDob, kPostcode}) EXPECT_FALSE(row[f].empty());
    }
  }
}

TEST(SynthKnobsTest, NoOverlapWithKnobs) {
  SynthOptions options = Knobs(500, 0.0, 1.0, 0.5, 0.1);
  Rate(options, SynthField::kDateOfBirth) = 0.9;
  Generated g = Generate(options);
  EXPECT_EQ(g.truth_text, "id_a,id_b\n");
  EXPECT_EQ(g.summary.true_matches, 0u);
  EXPECT_EQ(g.trust.size(), 500u);
  EXPECT_EQ(g.council.size(), 500u);
}

TEST(SynthKnobsTest, SameKnobsSameBytes) {
  SynthOptions options = Knobs(3000, 0.3, 1.0, 2.0 / 3, 0.05);
  Rate(options, SynthField::kGivenName) = 0.2;
  Generated a = Generate(options), b = Generate(options);
  EXPECT_EQ(a.trust_text, b.trust_text);
  EXPECT_EQ(a.council_text, b.council_text);
  EXPECT_EQ(a.truth_text, b.truth_text);
  // The knobs change only what they are about: the persons and the truth stay the same.
  Generated plain = Generate(Options(3000, 31, 0.3));
  EXPECT_NE(a.council_text, plain.council_text);
  EXPECT_EQ(a.truth_text, plain.truth_text);
  // The generator produces the same rows as the files.
  absl::StatusOr<SynthGenerator> generator = SynthGenerator::Create(options);
  ASSERT_TRUE(generator.ok()) << generator.status();
  SynthRecord record;
  for (std::size_t i = 0; i < a.council.size(); i += 7) {
    generator->CouncilRecord(i, &record);
    EXPECT_EQ(record.family_name, a.council[i][kFamily]);
    EXPECT_EQ(record.date_of_birth, a.council[i][kDob]);
  }
}

TEST(SynthKnobsTest, RejectsBadKnobs) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double bad : {-0.1, 1.5, nan}) {
    EXPECT_THAT(
        ValidateSynthOptions(Knobs(10, 0.5, 1.0, bad, std::nullopt)),
        StatusIs(absl::StatusCode::kInvalidArgument, "exact_share must be between 0 and 1"));
    EXPECT_THAT(ValidateSynthOptions(Knobs(10, 0.5, 1.0, std::nullopt, bad)),
                StatusIs(absl::StatusCode::kInvalidArgument, "missing must be between 0 and 1"));
    SynthOptions options = Options(10);
    Rate(options, SynthField::kPostcode) = bad;
    EXPECT_THAT(ValidateSynthOptions(options),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         "field_corruption of postcode must be between 0 and 1"));
  }
  // Nothing to corrupt the corrupted pairs with.
  EXPECT_THAT(ValidateSynthOptions(Knobs(10, 0.5, 0.0, 0.5, std::nullopt)),
              StatusIs(absl::StatusCode::kInvalidArgument, "exact_share 0.5"));
  SynthOptions zero = Knobs(10, 0.5, 1.0, 0.5, std::nullopt);
  for (auto& rate : zero.field_corruption) rate = 0.0;
  EXPECT_THAT(ValidateSynthOptions(zero),
              StatusIs(absl::StatusCode::kInvalidArgument, "every field's corruption rate is 0"));
  Rate(zero, SynthField::kSex) = 0.1;
  EXPECT_THAT(ValidateSynthOptions(zero), StatusIs(absl::StatusCode::kOk, ""));
  EXPECT_THAT(ValidateSynthOptions(Knobs(10, 0.5, 0.0, 1.0, 0.0)),
              StatusIs(absl::StatusCode::kOk, ""));
  TempDir dir;
  EXPECT_THAT(WriteSynthExtracts(Knobs(10, 0.5, 1.0, 2.0, std::nullopt), dir.file("out")),
              StatusIs(absl::StatusCode::kInvalidArgument, "exact_share"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("out")));
}

}  // namespace
}  // namespace bloomlink::synth

namespace bloomlink::synth {
namespace {

TEST(SynthSourcesTest, ExtractsOfOnePopulationWithTheirTruth) {
  TempDir dir;
  SynthOptions options;
  options.records = 3000;
  options.seed = 11;
  options.sources = 4;
  absl::StatusOr<SynthSourcesSummary> summary = WriteSynthSources(options, dir.file("s"));
  ASSERT_TRUE(summary.ok()) << summary.status();
  ASSERT_EQ(summary->names, (std::vector<std::string>{"trust", "council", "community", "gp"}));
  // source -> id -> entity, from the truth; every record of every extract in it once.
  std::map<std::string, std::map<std::string, std::string>> entity_of;
  const std::vector<std::string> truth = Lines(ReadFile(summary->truth_path));
  ASSERT_FALSE(truth.empty());
  EXPECT_EQ(truth[0], "source,record_id,entity");
  for (std::size_t i = 1; i < truth.size(); ++i) {
    const std::vector<std::string> f = Split(truth[i]);
    ASSERT_EQ(f.size(), 3u) << truth[i];
    ASSERT_TRUE(entity_of[f[0]].emplace(f[1], f[2]).second) << "once: " << truth[i];
  }
  std::map<std::string, std::set<std::string>> sources_of;  // entity -> sources
  for (std::size_t s = 0; s < summary->names.size(); ++s) {
    SCOPED_TRACE(summary->names[s]);
    EXPECT_EQ(summary->paths[s], dir.file("s/" + summary->names[s] + ".csv"));
    const std::vector<Row> rows = ParseExtract(ReadFile(summary->paths[s]));
    ASSERT_EQ(rows.size(), summary->records[s]);
    ASSERT_EQ(entity_of[summary->names[s]].size(), rows.size());
    // Each person is in a source with its share (0.7, 0.5, 0.35, 0.6 of 3,000).
    const double persons_expected = SynthSourceShare(static_cast<std::uint32_t>(s)) * 3000;
    std::map<std::string, int> records_of;
    for (const Row& row : rows) {
      ASSERT_TRUE(entity_of[summary->names[s]].contains(row[0])) << row[0];
      const std::string& entity = entity_of[summary->names[s]][row[0]];
      ++records_of[entity];
      sources_of[entity].insert(summary->names[s]);
    }
    EXPECT_NEAR(static_cast<double>(records_of.size()), persons_expected,
                4 * std::sqrt(persons_expected));
    int repeated = 0;
    for (const auto& [entity, n] : records_of) repeated += n > 1;
    if (s % 2 == 0) {
      EXPECT_EQ(repeated, 0) << "the trust and every second source hold a person once";
    } else {
      EXPECT_GT(repeated, 0) << "some persons recorded twice";
      EXPECT_LT(repeated, static_cast<int>(records_of.size()) / 10);
    }
  }
  std::uint64_t several = 0;
  for (const auto& [entity, sources] : sources_of) several += sources.size() >= 2;
  EXPECT_EQ(several, summary->persons_in_several);
  EXPECT_GT(several, 1000u);
  // Same options, same bytes.
  TempDir again;
  ASSERT_TRUE(WriteSynthSources(options, again.file("s")).ok());
  for (const std::string name : {"trust", "gp", "truth"}) {
    EXPECT_EQ(ReadFile(again.file("s/" + name + ".csv")), ReadFile(dir.file("s/" + name + ".csv")));
  }
}

TEST(SynthSourcesTest, RejectsBadCounts) {
  TempDir dir;
  SynthOptions options;
  options.records = 10;
  EXPECT_THAT(WriteSynthSources(options, dir.file("s")),
              StatusIs(absl::StatusCode::kInvalidArgument, "number of sources"));
  for (std::uint32_t bad : {0u, 1u, kMaxSynthSources + 1}) {
    options.sources = bad;
    EXPECT_THAT(WriteSynthSources(options, dir.file("s")),
                StatusIs(absl::StatusCode::kInvalidArgument, "sources must be from 2 to 16"));
  }
  options.sources = 3;
  options.records_per_person = RecordsPerPerson{};
  EXPECT_THAT(ValidateSynthOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument, "several sources"));
  EXPECT_EQ(SynthSourceName(8), "source9");
}

}  // namespace
}  // namespace bloomlink::synth
