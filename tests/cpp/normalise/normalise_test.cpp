#include "bloomlink/encode/normalise.hpp"

#include <cstdio>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "encode/normalise/text_internal.hpp"
#include "test_support.hpp"

namespace bloomlink::encode {

void PrintTo(CleanStatus status, std::ostream* os) {
  switch (status) {
    case CleanStatus::kValid:
      *os << "kValid";
      return;
    case CleanStatus::kMissing:
      *os << "kMissing";
      return;
    case CleanStatus::kInvalid:
      *os << "kInvalid";
      return;
  }
  *os << "CleanStatus(" << static_cast<int>(status) << ")";
}

namespace {

using enum CleanStatus;
using namespace std::string_view_literals;

// Case: one raw value and what the cleaner must make of it. `expected` is the cleaned value for
// kValid, the exact reason for kInvalid, and empty for kMissing.
struct Case {
  std::string_view input;
  CleanStatus status;
  std::string_view expected;
};

// Printable(s): s with bytes outside printable ASCII escaped, for failure messages.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7F) {
      out.push_back(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      out += buf;
    }
  }
  return out;
}

template <typename Clean>
void RunCases(std::span<const Case> cases, Clean clean) {
  for (const Case& c : cases) {
    SCOPED_TRACE("input \"" + Printable(c.input) + "\"");
    std::string out = "stale contents from the previous value";
    const CleanOutcome r = clean(c.input, &out);
    EXPECT_EQ(r.status, c.status);
    switch (c.status) {
      case kValid:
        EXPECT_EQ(out, c.expected);
        EXPECT_EQ(r.reason, "");
        break;
      case kMissing:
        EXPECT_EQ(out, "");
        EXPECT_EQ(r.reason, "");
        break;
      case kInvalid:
        EXPECT_EQ(r.reason, c.expected);
        EXPECT_EQ(out, "");
        if (c.input.size() >= 3) {
          EXPECT_EQ(r.reason.find(c.input), std::string_view::npos);
        }
        break;
    }
  }
}

constexpr std::string_view kBadUtf8 = "invalid UTF-8";

// ---------------------------------------------------------------------------------------------
// CleanText

constexpr Case kTextCases[] = {
    {"", kMissing, ""},
    {"   ", kMissing, ""},
    {" \t\r\n\v\f ", kMissing, ""},
    {"\u00A0\u00A0", kMissing, ""},
    {"\u2003\u3000", kMissing, ""},
    {"Hello", kValid, "hello"},
    {"  Hello   World  ", kValid, "hello world"},
    {"Hello\tWorld\r\n", kValid, "hello world"},
    {"HELLO\u00A0WORLD", kValid, "hello world"},
    {"a\u2003b\u3000c\u202Fd", kValid, "a b c d"},
    {"a\u2028b", kValid, "a b"},
    {"a\x01"
     "b\x7F"
     "c",
     kValid, "a b c"},
    {"a\0b"sv, kValid, "a b"},
    {"MiXeD CaSe", kValid, "mixed case"},
    {"Smith-Jones", kValid, "smith-jones"},
    {"O'Neil", kValid, "o'neil"},
    {"O\u2019Neil", kValid, "o'neil"},
    {"O\u00B4Neil", kValid, "o'neil"},
    {"O`Neil", kValid, "o'neil"},
    {"O\u02BCNeil", kValid, "o'neil"},
    {"Caf\u00E9", kValid, "cafe"},
    {"Cafe\u0301", kValid, "cafe"},
    {"CAF\u00C9", kValid, "cafe"},
    {"CAFE\u0301", kValid, "cafe"},
    {"Zo\u00EB", kValid, "zoe"},
    {"\u00C5ngstr\u00F6m", kValid, "angstrom"},
    {"Stra\u00DFe", kValid, "strasse"},
    {"\uFB01nn", kValid, "finn"},
    {"\uFF2A\uFF4F\uFF48\uFF4E", kValid, "john"},  // fullwidth
    {"\u2160\u2161", kValid, "iii"},               // roman numerals I, II
    {"\u2460", kValid, "1"},                       // circled digit one
    {"\u0130stanbul", kValid, "istanbul"},
    {"S\u00F8ren \u0141ukasz \u0110or\u0111e", kValid, "soren lukasz dorde"},
    {"\u00C6SOP", kValid, "\u00E6sop"},  // one-to-two letters are kept
    {"\u03A3\u039F\u03A6\u0399\u0391", kValid, "\u03C3\u03BF\u03C6\u03B9\u03B1"},
    {"\uD55C\uAD6D", kValid, "\uD55C\uAD6D"},  // Hangul recomposes
    {"\u0915\u093F\u0936\u094B\u0930", kValid, "\u0915\u093F\u0936\u094B\u0930"},  // Mc kept
    {"\u0645\u064F\u062D\u064E\u0645\u0651\u064E\u062F", kValid,
     "\u0645\u062D\u0645\u062F"},  // Arabic vowel marks removed
    {"Jo\u00A8e", kValid, "joe"},  // standalone diaeresis is an accent
    {"a^b", kValid, "ab"},
    {"Smith\u00ADJones", kValid, "smithjones"},  // soft hyphen
    {"Jo\u200Bhn", kValid, "john"},              // zero-width space
    {"\uFEFFJohn", kValid, "john"},              // byte order mark
    {"\u0301", kMissing, ""},                    // only a combining mark
    {"\xFF", kInvalid, kBadUtf8},
    {"abc\xC3", kInvalid, kBadUtf8},       // truncated sequence
    {"\xC0\xAF", kInvalid, kBadUtf8},      // overlong '/'
    {"\xED\xA0\x80", kInvalid, kBadUtf8},  // surrogate
    {"Caf\xE9", kInvalid, kBadUtf8},       // Latin-1, not UTF-8
};

TEST(CleanTextTest, Table) {
  RunCases(kTextCases, [](std::string_view raw, std::string* out) {
    return CleanText(raw, TextOptions{}, out);
  });
}

constexpr Case kTextDropPunctuationCases[] = {
    {"", kMissing, ""},
    {"...", kMissing, ""},
    {" - ", kMissing, ""},
    {"Smith-Jones", kValid, "smith jones"},
    {"Smith - Jones", kValid, "smith jones"},
    {"Smith\u2013Jones", kValid, "smith jones"},  // en dash
    {"Mary\u2014Jane", kValid, "mary jane"},      // em dash
    {"Smith/Jones", kValid, "smith jones"},
    {"O'Neil", kValid, "oneil"},
    {"O\u2019Neil", kValid, "oneil"},
    {"O\u00B4Neil", kValid, "oneil"},
    {"D'Arcy-Smith", kValid, "darcy smith"},
    {"Smith,John", kValid, "smith john"},
    {"St.John", kValid, "st john"},
    {"\"Jack\"", kValid, "jack"},
    {"\u201CJack\u201D", kValid, "jack"},
    {"\u00ABJean\u00BB", kValid, "jean"},
    {"Smith (n\u00E9e Jones)", kValid, "smith nee jones"},
    {"A&E", kValid, "a e"},
    {"\u00A35", kValid, "5"},
    {"100%", kValid, "100"},
    {"n/a", kValid, "n a"},
    {"Jo^e", kValid, "joe"},
    {"a\uFF3Fb", kValid, "a b"},  // fullwidth low line
    {"\u2122", kValid, "tm"},     // compatibility form first, then punctuation
    {"a\u2044b", kValid, "a b"},  // fraction slash
    {"\xFF-", kInvalid, kBadUtf8},
};

TEST(CleanTextTest, DropPunctuationTable) {
  RunCases(kTextDropPunctuationCases, [](std::string_view raw, std::string* out) {
    return CleanText(raw, TextOptions{.drop_punctuation = true}, out);
  });
}

TEST(CleanTextTest, VeryLongValues) {
  std::string ascii;
  std::string ascii_expected;
  std::string unicode;
  std::string unicode_expected;
  for (int i = 0; i < 5000; ++i) {
    ascii += "Ab\t ";
    ascii_expected += i == 0 ? "ab" : " ab";
    unicode += "\u00C9e\u0301\u00A0";  // > 256 code points once decomposed: the heap path
    unicode_expected += i == 0 ? "ee" : " ee";
  }
  std::string out;
  EXPECT_EQ(CleanText(ascii, TextOptions{}, &out).status, kValid);
  EXPECT_EQ(out, ascii_expected);
  EXPECT_EQ(CleanText(unicode, TextOptions{}, &out).status, kValid);
  EXPECT_EQ(out, unicode_expected);
  unicode += "\xFF";
  EXPECT_EQ(CleanText(unicode, TextOptions{}, &out).reason, kBadUtf8);
  EXPECT_EQ(out, "");
}

// The ASCII fast path and the utf8proc path must agree on every ASCII input.
void ExpectPathsAgree(std::string_view raw) {
  for (bool drop : {false, true}) {
    SCOPED_TRACE("input \"" + Printable(raw) + "\" drop_punctuation=" + (drop ? "1" : "0"));
    const TextOptions options{.drop_punctuation = drop};
    std::string fast = "x";
    std::string slow = "y";
    const CleanOutcome f = normalise_internal::CleanTextAscii(raw, options, &fast);
    const CleanOutcome s = normalise_internal::CleanTextUnicode(raw, options, &slow);
    EXPECT_EQ(f.status, s.status);
    EXPECT_EQ(f.reason, s.reason);
    EXPECT_EQ(fast, slow);
  }
}

TEST(CleanTextTest, AsciiFastPathMatchesUnicodePath) {
  for (int c = 0; c < 128; ++c) {
    const char ch = static_cast<char>(c);
    ExpectPathsAgree(std::string(1, ch));
    ExpectPathsAgree(std::string("Ab") + ch + "Cd");
    ExpectPathsAgree(std::string(" x ") + ch + ch + " y ");
  }
  std::mt19937 rng(12345);
  constexpr std::string_view kAlphabet = "aZ09 \t\n'`^\"-/.,;:()&_~!?#@*+=<>[]{}|\\$%\x01\x7F";
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 24);
  for (int i = 0; i < 5000; ++i) {
    std::string s;
    const int n = length(rng);
    for (int j = 0; j < n; ++j) s.push_back(kAlphabet[pick(rng)]);
    ExpectPathsAgree(s);
  }
  for (const Case& c : kTextCases) {
    bool ascii = true;
    for (char ch : c.input) ascii = ascii && static_cast<unsigned char>(ch) < 0x80;
    if (ascii) ExpectPathsAgree(c.input);
  }
}

// CleanText takes a shortcut for mostly-Latin text; it must agree with the utf8proc path.
TEST(CleanTextTest, LatinPathMatchesUnicodePath) {
  constexpr std::string_view kPieces[] = {
      "a",      "Z",      "0",      " ",      "\t",      "'",      "-",      ".",          "/",
      "^",      "`",      "\x01",   "\u00E9", "e\u0301", "\u00C9", "\u00DF", "\uFB01",     "\u00D8",
      "\u0142", "\u00A0", "\u2019", "\u00B4", "\u00A8",  "\u00AD", "\u200B", "\uFF21",     "\u247D",
      "\u01C4", "\u03A3", "\uD55C", "\u093F", "\u0915",  "\u0301", "\u3000", "\u2013",     "\u00AB",
      "\u2122", "\u0130", "\u01C5", "\u0085", "\u00BD",  "\u1E9E", "\u0149", "\u00C6",     "\u2044",
      "\u00A3", "\u0327", "\u1100", "\u1161", "\u0410",  "\u05D0", "\u05B8", "\U0001F600",
  };
  std::mt19937 rng(2024);
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kPieces) - 1);
  std::uniform_int_distribution<int> length(0, 12);
  for (int i = 0; i < 20000; ++i) {
    std::string raw;
    const int n = length(rng);
    for (int j = 0; j < n; ++j) raw += kPieces[pick(rng)];
    for (bool drop : {false, true}) {
      SCOPED_TRACE("input \"" + Printable(raw) + "\" drop_punctuation=" + (drop ? "1" : "0"));
      const TextOptions options{.drop_punctuation = drop};
      std::string fast = "x";
      std::string slow = "y";
      const CleanOutcome f = CleanText(raw, options, &fast);
      const CleanOutcome s = normalise_internal::CleanTextUnicode(raw, options, &slow);
      ASSERT_EQ(f.status, s.status);
      ASSERT_EQ(f.reason, s.reason);
      ASSERT_EQ(fast, slow);
    }
  }
}

TEST(CleanTextTest, LatinPathGivesUpOnOtherScripts) {
  std::string out;
  EXPECT_EQ(normalise_internal::CleanTextLatin("Jos\u00E9 O\u2019Neil", TextOptions{}, &out),
            normalise_internal::LatinResult::kDone);
  EXPECT_EQ(out, "jose o'neil");
  EXPECT_EQ(normalise_internal::CleanTextLatin("\u03A3ofia", TextOptions{}, &out),
            normalise_internal::LatinResult::kNeedsUnicodePath);
  EXPECT_EQ(normalise_internal::CleanTextLatin("Jos\u00E9\xFF", TextOptions{}, &out),
            normalise_internal::LatinResult::kInvalidUtf8);
  EXPECT_EQ(out, "");
}

TEST(CleanTextTest, DroppingPunctuationIsCleaningThenDropping) {
  for (const Case& c : kTextDropPunctuationCases) {
    if (c.status == kInvalid) continue;
    SCOPED_TRACE("input \"" + Printable(c.input) + "\"");
    std::string plain;
    std::string dropped;
    CleanText(c.input, TextOptions{}, &plain);
    CleanText(c.input, TextOptions{.drop_punctuation = true}, &dropped);
    normalise_internal::DropPunctuationInPlace(&plain);
    EXPECT_EQ(plain, dropped);
  }
}

TEST(CleanTextTest, IsIdempotent) {
  for (const Case& c : kTextCases) {
    if (c.status != kValid) continue;
    SCOPED_TRACE("input \"" + Printable(c.input) + "\"");
    std::string once;
    std::string twice;
    CleanText(c.input, TextOptions{}, &once);
    EXPECT_EQ(CleanText(once, TextOptions{}, &twice).status, kValid);
    EXPECT_EQ(twice, once);
  }
}

// ---------------------------------------------------------------------------------------------
// CleanName

constexpr Case kNameCases[] = {
    {"", kMissing, ""},
    {"   ", kMissing, ""},
    {"\u00A0\t", kMissing, ""},
    {"John", kValid, "john"},
    {"  JOHN   SMITH ", kValid, "john smith"},
    {"Ms\tJane", kValid, "jane"},
    {"O'Neil", kValid, "oneil"},
    {"O\u2019Neil", kValid, "oneil"},
    {"D'Arcy-Smith", kValid, "darcy smith"},
    {"Smith-Jones", kValid, "smith jones"},
    {"MRS SMITH-JONES", kValid, "smith jones"},
    {"Zo\u00EB O\u2019Brien-Smith", kValid, "zoe obrien smith"},
    {"Jos\u00E9", kValid, "jose"},
    {"JOSE\u0301", kValid, "jose"},
    {"\uFB01nn", kValid, "finn"},
    {"\uFF2D\uFF32\u3000\uFF33\uFF2D\uFF29\uFF34\uFF28", kValid, "smith"},  // fullwidth
    // Titles, in several positions.
    {"Dr John Smith", kValid, "john smith"},
    {"Dr. John Smith", kValid, "john smith"},
    {"Dr\u00A0Who", kValid, "who"},
    {"John Smith Dr", kValid, "john smith"},
    {"SMITH, MR JOHN", kValid, "smith john"},
    {"Prof Sir John Smith", kValid, "john smith"},
    {"Rev. Revd Reverend Mister Professor X", kValid, "x"},
    {"Dame Judi Dench", kValid, "judi dench"},
    {"Mrs", kMissing, ""},
    {"Dr.", kMissing, ""},
    {"Ms Mx Miss", kMissing, ""},
    {"Drew", kValid, "drew"},
    {"Misra", kValid, "misra"},
    {"Mrsmith", kValid, "mrsmith"},
    {"Andrew Dr-Smith", kValid, "andrew smith"},         // hyphen splits the title off
    {"Master John Smith", kValid, "master john smith"},  // also a surname: kept
    {"Doctor", kValid, "doctor"},
    {"Lord", kValid, "lord"},
    // Noise.
    {"BABY OF SMITH", kValid, "smith"},
    {"Baby Smith", kValid, "smith"},
    {"Baby Boy Smith", kValid, "smith"},
    {"Baby of", kMissing, ""},
    {"Babyface", kValid, "babyface"},
    {"infant of Jones", kValid, "jones"},
    {"TWIN 1", kMissing, ""},
    {"Twin 1 Smith", kValid, "smith"},
    {"Smith Twin 2", kValid, "smith"},
    {"twin a", kMissing, ""},
    {"TWIN B JONES", kValid, "jones"},
    {"Twin", kMissing, ""},
    {"Twins", kValid, "twins"},
    {"Smith 2", kValid, "smith 2"},
    {"UNKNOWN", kMissing, ""},
    {"Not Known", kMissing, ""},
    {"not  known", kMissing, ""},
    {"Mr Unknown", kMissing, ""},
    {"NK", kMissing, ""},
    {"unk", kMissing, ""},
    {"NONE", kMissing, ""},
    {"null", kMissing, ""},
    {"No Name", kMissing, ""},
    {"anon", kMissing, ""},
    {"Anonymous", kMissing, ""},
    {"Stillborn", kMissing, ""},
    {"Nkemelu", kValid, "nkemelu"},
    {"Knott", kValid, "knott"},
    {"Unknownson", kValid, "unknownson"},
    {"Na", kValid, "na"},
    {"Not", kValid, "not"},
    // "N/A" is noise only while its punctuation is there.
    {"N/A", kMissing, ""},
    {"n/k", kMissing, ""},
    {"(N/A)", kMissing, ""},
    {"N.K.", kMissing, ""},
    {"Smith N/A", kValid, "smith"},
    {"N A Smith", kValid, "n a smith"},
    {"N.A.Smith", kValid, "n a smith"},
    {"-", kMissing, ""},
    {"?", kMissing, ""},
    {"' '", kMissing, ""},
    {"\xC3\x28", kInvalid, kBadUtf8},
    {"Smith\xFF", kInvalid, kBadUtf8},
};

TEST(CleanNameTest, Table) { RunCases(kNameCases, CleanName); }

TEST(CleanNameTest, IsIdempotent) {
  for (const Case& c : kNameCases) {
    if (c.status != kValid) continue;
    SCOPED_TRACE("input \"" + Printable(c.input) + "\"");
    std::string once;
    std::string twice;
    CleanName(c.input, &once);
    EXPECT_EQ(CleanName(once, &twice).status, kValid);
    EXPECT_EQ(twice, once);
  }
}

TEST(CleanNameTest, VeryLongValue) {
  std::string raw;
  std::string expected;
  for (int i = 0; i < 3000; ++i) {
    raw += "Dr O'Neil-Sm\u00EFth baby of ";
    expected += i == 0 ? "oneil smith" : " oneil smith";
  }
  std::string out;
  EXPECT_EQ(CleanName(raw, &out).status, kValid);
  EXPECT_EQ(out, expected);
}

TEST(CleanNameTest, ThreadSafe) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      std::string out;
      for (int i = 0; i < 2000; ++i) {
        for (const Case& c : kNameCases) {
          const CleanOutcome r = CleanName(c.input, &out);
          if (r.status != c.status || (c.status == kValid && out != c.expected)) ++failures[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

// ---------------------------------------------------------------------------------------------
// CleanDate

constexpr std::string_view kUnrecognised = "unrecognised date format";
constexpr std::string_view kTwoDigit = "two-digit year";
constexpr std::string_view kRange = "year out of range";
constexpr std::string_view kImpossible = "impossible date";

constexpr Case kDateCases[] = {
    {"", kMissing, ""},
    {"   ", kMissing, ""},
    {"\u00A0", kMissing, ""},
    // ISO, with and without a time.
    {"1990-01-02", kValid, "19900102"},
    {"1990-1-2", kValid, "19900102"},
    {" 1990-01-02 ", kValid, "19900102"},
    {"1990-01-02T10:20:30", kValid, "19900102"},
    {"1990-01-02t10:20", kValid, "19900102"},
    {"1990-01-02T10:20:30Z", kValid, "19900102"},
    {"1990-01-02T10:20:30.123+01:00", kValid, "19900102"},
    {"1990-01-02T10:20:30,5-0500", kValid, "19900102"},
    {"1990-01-02T00:00:00+01", kValid, "19900102"},
    {"1990-01-02 10:20", kValid, "19900102"},
    {"1990-01-02 00:00:00.000", kValid, "19900102"},
    {"1990-01-02T", kInvalid, kUnrecognised},
    {"1990-01-02 ", kValid, "19900102"},  // trailing blank is trimmed
    {"1990-01-02T25:00", kInvalid, kUnrecognised},
    {"1990-01-02T10:60", kInvalid, kUnrecognised},
    {"1990-01-02T10:20:61", kInvalid, kUnrecognised},
    {"1990-01-02T10", kInvalid, kUnrecognised},
    {"1990-01-02T10:20Q", kInvalid, kUnrecognised},
    {"1990-01-02 garbage", kInvalid, kUnrecognised},
    {"1990-01-02x", kInvalid, kUnrecognised},
    {"1990-001-02", kInvalid, kUnrecognised},
    {"1990-01-002", kInvalid, kUnrecognised},
    {"1990--01", kInvalid, kUnrecognised},
    {"1990-01", kInvalid, kUnrecognised},
    // UK day-first forms.
    {"02/01/1990", kValid, "19900102"},
    {"2/1/1990", kValid, "19900102"},
    {"02-01-1990", kValid, "19900102"},
    {"02.01.1990", kValid, "19900102"},
    {"2.1.1990", kValid, "19900102"},
    {"\u00A002/01/1990\u00A0", kValid, "19900102"},
    {"02/01/1990 00:00", kValid, "19900102"},
    {"02/01/1990 12:30:00 PM", kValid, "19900102"},
    {"02/01/1990 9:05 am", kValid, "19900102"},
    {"02/01/1990 13:00 PM", kInvalid, kUnrecognised},
    {"02/01/1990T00:00", kInvalid, kUnrecognised},
    {"02/01-1990", kInvalid, kUnrecognised},
    {"02/01/19900", kInvalid, kUnrecognised},
    {"02/01/990", kInvalid, kUnrecognised},
    {"002/01/1990", kInvalid, kUnrecognised},
    {"02 / 01 / 1990", kInvalid, kUnrecognised},
    {"12/31/1999", kInvalid, kImpossible},  // month first is not accepted
    {"31/12/1999", kValid, "19991231"},
    // Compact.
    {"19900102", kValid, "19900102"},
    {"1990010", kInvalid, kUnrecognised},
    {"199001021", kInvalid, kUnrecognised},
    {"19901301", kInvalid, kImpossible},
    // Leap years.
    {"29/02/2000", kValid, "20000229"},
    {"29/02/2004", kValid, "20040229"},
    {"2024-02-29", kValid, "20240229"},
    {"20240229", kValid, "20240229"},
    {"29/02/1900", kInvalid, kImpossible},
    {"29/02/2003", kInvalid, kImpossible},
    {"2023-02-29", kInvalid, kImpossible},
    {"30/02/2000", kInvalid, kImpossible},
    // Impossible days and months.
    {"00/01/1990", kInvalid, kImpossible},
    {"32/01/1990", kInvalid, kImpossible},
    {"31/04/1990", kInvalid, kImpossible},
    {"30/04/1990", kValid, "19900430"},
    {"01/13/1990", kInvalid, kImpossible},
    {"01/00/1990", kInvalid, kImpossible},
    {"1990-00-10", kInvalid, kImpossible},
    {"19900100", kInvalid, kImpossible},
    {"00/00/0000", kInvalid, kRange},
    // Two-digit years are never given a century.
    {"01/02/90", kInvalid, kTwoDigit},
    {"1/2/90", kInvalid, kTwoDigit},
    {"01-02-90", kInvalid, kTwoDigit},
    {"01.02.03", kInvalid, kTwoDigit},
    {"01/02/90 00:00", kInvalid, kTwoDigit},
    {"90-01-02", kInvalid, kTwoDigit},
    // Year range (default 1880-2100).
    {"01/01/1880", kValid, "18800101"},
    {"31/12/1879", kInvalid, kRange},
    {"2100-12-31", kValid, "21001231"},
    {"2101-01-01", kInvalid, kRange},
    {"00000000", kInvalid, kRange},
    {"01/02/0990", kInvalid, kRange},
    // Other text.
    {"1990/01/02", kInvalid, kUnrecognised},
    {"2 Jan 1990", kInvalid, kUnrecognised},
    {"Jan 2, 1990", kInvalid, kUnrecognised},
    {"unknown", kInvalid, kUnrecognised},
    {"1990", kInvalid, kUnrecognised},
    {"-01-02", kInvalid, kUnrecognised},
    {"\uFF11\uFF19\uFF19\uFF10\uFF10\uFF11\uFF10\uFF12", kInvalid, kUnrecognised},
};

TEST(CleanDateTest, Table) {
  RunCases(kDateCases, [](std::string_view raw, std::string* out) {
    return CleanDate(raw, DateOptions{}, out);
  });
}

TEST(CleanDateTest, YearRangeIsConfigurable) {
  constexpr Case kCases[] = {
      {"1899-12-31", kInvalid, kRange},   {"1900-01-01", kValid, "19000101"},
      {"31/12/2025", kValid, "20251231"}, {"01/01/2026", kInvalid, kRange},
      {"29/02/2100", kInvalid, kRange},
  };
  RunCases(kCases, [](std::string_view raw, std::string* out) {
    return CleanDate(raw, DateOptions{.min_year = 1900, .max_year = 2025}, out);
  });
}

// ---------------------------------------------------------------------------------------------
// CleanSex

constexpr std::string_view kBadSex = "unrecognised sex code";

constexpr Case kSexCases[] = {
    {"M", kValid, "M"},
    {"m", kValid, "M"},
    {"  m  ", kValid, "M"},
    {"Male", kValid, "M"},
    {"MALE", kValid, "M"},
    {"mAlE", kValid, "M"},
    {"1", kValid, "M"},
    {"F", kValid, "F"},
    {"f", kValid, "F"},
    {"Female", kValid, "F"},
    {"FEMALE", kValid, "F"},
    {"\tfemale\n", kValid, "F"},
    {"\u00A0F\u00A0", kValid, "F"},
    {"2", kValid, "F"},
    {"", kMissing, ""},
    {"   ", kMissing, ""},
    {"U", kMissing, ""},
    {"u", kMissing, ""},
    {"Unknown", kMissing, ""},
    {"UNKNOWN", kMissing, ""},
    {"not known", kMissing, ""},
    {"NOT  KNOWN", kMissing, ""},
    {"Not Specified", kMissing, ""},
    {"0", kMissing, ""},
    {"9", kMissing, ""},
    {"X", kInvalid, kBadSex},
    {"3", kInvalid, kBadSex},
    {"12", kInvalid, kBadSex},
    {"man", kInvalid, kBadSex},
    {"MF", kInvalid, kBadSex},
    {"M.", kInvalid, kBadSex},
    {"notknown", kInvalid, kBadSex},
    {"femalefemalefemale", kInvalid, kBadSex},
    {"\xFF", kInvalid, kBadSex},
};

TEST(CleanSexTest, Table) { RunCases(kSexCases, CleanSex); }

// ---------------------------------------------------------------------------------------------
// CleanPostcode

constexpr std::string_view kPcChars = "invalid characters in postcode";
constexpr std::string_view kPcLength = "wrong postcode length";
constexpr std::string_view kPcPattern = "not a UK postcode pattern";
constexpr std::string_view kPcAmbiguous = "ambiguous O/0 or I/1 in postcode";

constexpr Case kPostcodeCases[] = {
    // The six outward formats, with and without the space, any case.
    {"M1 1AE", kValid, "M11AE"},      // A9
    {"B33 8TH", kValid, "B338TH"},    // A99
    {"CR2 6XH", kValid, "CR26XH"},    // AA9
    {"DN55 1PT", kValid, "DN551PT"},  // AA99
    {"W1A 0AX", kValid, "W1A0AX"},    // A9A
    {"EC1A 1BB", kValid, "EC1A1BB"},  // AA9A
    {"M11AE", kValid, "M11AE"},
    {"B338TH", kValid, "B338TH"},
    {"CR26XH", kValid, "CR26XH"},
    {"DN551PT", kValid, "DN551PT"},
    {"W1A0AX", kValid, "W1A0AX"},
    {"EC1A1BB", kValid, "EC1A1BB"},
    {"sw1a 1aa", kValid, "SW1A1AA"},
    {"  Sw1A   1aA ", kValid, "SW1A1AA"},
    {"SW1A\t1AA", kValid, "SW1A1AA"},
    {"SW1A\u00A01AA", kValid, "SW1A1AA"},
    {"GIR 0AA", kValid, "GIR0AA"},
    {"gir0aa", kValid, "GIR0AA"},
    {"GIR OAA", kValid, "GIR0AA"},
    // Inward code: the position says digit or letter.
    {"SW1A OAA", kValid, "SW1A0AA"},
    {"M1 IAE", kValid, "M11AE"},
    {"M1 1A0", kValid, "M11AO"},
    {"B33 8T1", kValid, "B338TI"},
    // Outward code: the first character is a letter.
    {"0X1 1AA", kValid, "OX11AA"},
    {"1G1 1AA", kValid, "IG11AA"},
    {"0L1 1AA", kValid, "OL11AA"},
    // Later outward characters: repaired when exactly one reading fits.
    {"SWIA 1AA", kValid, "SW1A1AA"},
    {"ECIA 1BB", kValid, "EC1A1BB"},
    {"WIA 1AA", kValid, "W1A1AA"},
    {"MI 1AE", kValid, "M11AE"},
    {"CRO 6XH", kValid, "CR06XH"},
    {"sw1a iaa", kValid, "SW1A1AA"},
    // ... left as they are when already valid, even if another reading would be too.
    {"SO1 1AA", kValid, "SO11AA"},
    {"S01 1AA", kValid, "S011AA"},
    {"W1O 1AA", kValid, "W1O1AA"},
    // ... and invalid when several readings fit or none does.
    {"SOI 1AA", kInvalid, kPcAmbiguous},
    {"BIO 1AA", kInvalid, kPcAmbiguous},
    {"SWAA 1AA", kInvalid, kPcPattern},
    {"9W1 1AA", kInvalid, kPcPattern},
    {"SW1A 1A9", kInvalid, kPcPattern},
    {"SW1A AAA", kInvalid, kPcPattern},
    {"SW1A 11A", kValid, "SW1A1IA"},
    {"SW11A 1AA", kInvalid, kPcLength},
    {"A1 1AA1", kInvalid, kPcPattern},
    // Length and characters.
    {"M1 1A", kInvalid, kPcLength},
    {"1AA", kInvalid, kPcLength},
    {"SW1A1AAA", kInvalid, kPcLength},
    {"SW1A-1AA", kInvalid, kPcChars},
    {"SW1A_1AA", kInvalid, kPcChars},
    {"SW1A 1A\u00C5", kInvalid, kPcChars},
    {"\xFF", kInvalid, kPcChars},
    // Missing.
    {"", kMissing, ""},
    {"   ", kMissing, ""},
    {"\u00A0", kMissing, ""},
    {"ZZ99 3VZ", kMissing, ""},  // NHS pseudo-postcode: no fixed abode
    {"zz99 3wz", kMissing, ""},  // NHS pseudo-postcode: not known
};

TEST(CleanPostcodeTest, Table) { RunCases(kPostcodeCases, CleanPostcode); }

// ---------------------------------------------------------------------------------------------
// CleanNhsNumber

constexpr std::string_view kNhsChars = "non-digit characters in NHS number";
constexpr std::string_view kNhsLength = "NHS number is not ten digits";
constexpr std::string_view kNhsPlaceholder = "placeholder NHS number";
constexpr std::string_view kNhsNoCheck = "no valid check digit";
constexpr std::string_view kNhsCheck = "check digit does not match";

constexpr Case kNhsCases[] = {
    {"943 476 5919", kValid, "9434765919"},
    {"9434765919", kValid, "9434765919"},
    {"943-476-5919", kValid, "9434765919"},
    {"  943 476 5919\t", kValid, "9434765919"},
    {"\u00A0943\u00A0476\u00A05919", kValid, "9434765919"},
    {"943 476 591 9", kValid, "9434765919"},
    {"401 023 2137", kValid, "4010232137"},
    {"4857773457", kValid, "4857773457"},
    {"450 557 7104", kValid, "4505577104"},
    {"987 654 3210", kValid, "9876543210"},  // check value 11 -> 0
    {"1000000001", kValid, "1000000001"},
    {"9434765918", kInvalid, kNhsCheck},
    {"9434765910", kInvalid, kNhsCheck},
    {"4010232138", kInvalid, kNhsCheck},
    {"123 456 7890", kInvalid, kNhsNoCheck},  // check value 10
    {"1234567891", kInvalid, kNhsNoCheck},
    {"943476591", kInvalid, kNhsLength},
    {"94347659190", kInvalid, kNhsLength},
    {"9", kInvalid, kNhsLength},
    {"943476591X", kInvalid, kNhsChars},
    {"abc", kInvalid, kNhsChars},
    {"9434765919.0", kInvalid, kNhsChars},
    {"943/476/5919", kInvalid, kNhsChars},
    {"\uFF19434765919", kInvalid, kNhsChars},  // fullwidth digit
    {"0000000000", kInvalid, kNhsPlaceholder},
    {"1111111111", kInvalid, kNhsPlaceholder},
    {"999 999 9999", kInvalid, kNhsPlaceholder},
    {"", kMissing, ""},
    {"   ", kMissing, ""},
    {" - - ", kMissing, ""},
};

TEST(CleanNhsNumberTest, Table) { RunCases(kNhsCases, CleanNhsNumber); }

TEST(NhsCheckDigitTest, Modulus11) {
  EXPECT_EQ(NhsCheckDigit("943476591"), 9);
  EXPECT_EQ(NhsCheckDigit("401023213"), 7);
  EXPECT_EQ(NhsCheckDigit("987654321"), 0);  // 11 -> 0
  EXPECT_EQ(NhsCheckDigit("100000000"), 1);
  EXPECT_EQ(NhsCheckDigit("123456789"), -1);  // 10: no valid number
  EXPECT_EQ(NhsCheckDigit("98765432"), -1);
  EXPECT_EQ(NhsCheckDigit("9876543210"), -1);
  EXPECT_EQ(NhsCheckDigit("98765432x"), -1);
  EXPECT_EQ(NhsCheckDigit(""), -1);
}

TEST(NhsCheckDigitTest, AgreesWithCleanNhsNumber) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> digit(0, 9);
  std::string out;
  for (int i = 0; i < 2000; ++i) {
    std::string nine;
    for (int j = 0; j < 9; ++j) nine.push_back(static_cast<char>('0' + digit(rng)));
    const int check = NhsCheckDigit(nine);
    for (int last = 0; last < 10; ++last) {
      const std::string number = nine + static_cast<char>('0' + last);
      const CleanOutcome r = CleanNhsNumber(number, &out);
      const bool placeholder = number.find_first_not_of(number[0]) == std::string::npos;
      EXPECT_EQ(r.status == kValid, !placeholder && check == last) << number;
    }
  }
}

}  // namespace
}  // namespace bloomlink::encode
