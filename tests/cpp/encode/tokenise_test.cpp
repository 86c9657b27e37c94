// Unit tests of the tokenisers: q-grams over code points, positional q-grams, exact tokens and
// clkhash's numeric neighbourhood tokens.
#include "bloomlink/encode/tokenise.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_support.hpp"

namespace bloomlink::encode {
namespace {

using Tokens = std::vector<std::string>;

TokenSpec Qgram(int q, bool padded = true) {
  TokenSpec spec;
  spec.kind = TokenKind::kQgram;
  spec.q = q;
  spec.padded = padded;
  return spec;
}

TokenSpec Positional(int q, bool padded = true) {
  TokenSpec spec = Qgram(q, padded);
  spec.kind = TokenKind::kPositionalQgram;
  return spec;
}

TokenSpec Exact() {
  TokenSpec spec;
  spec.kind = TokenKind::kExact;
  return spec;
}

TokenSpec Numeric(std::int64_t interval, int resolution, int precision = 0) {
  TokenSpec spec;
  spec.kind = TokenKind::kNumeric;
  spec.distance_interval = interval;
  spec.resolution = resolution;
  spec.fractional_precision = precision;
  return spec;
}

Tokens ToVector(const TokenList& list) {
  Tokens out;
  for (std::size_t i = 0; i < list.size(); ++i) out.emplace_back(list[i]);
  return out;
}

// TokensOf(value, spec): the tokens, or nullopt when Tokenise refuses the value.
std::optional<Tokens> TokensOf(std::string_view value, const TokenSpec& spec) {
  TokenList list;
  if (!Tokenise(value, spec, list)) {
    EXPECT_TRUE(list.empty());
    return std::nullopt;
  }
  return ToVector(list);
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool StartsOnACodePoint(std::string_view s) {
  return s.empty() || (static_cast<unsigned char>(s.front()) & 0xC0) != 0x80;
}

TEST(TokeniseTest, PaddedAndUnpaddedQgrams) {
  EXPECT_EQ(TokensOf("ann", Qgram(2)), (Tokens{" a", "an", "nn", "n "}));
  EXPECT_EQ(TokensOf("ann", Qgram(2, false)), (Tokens{"an", "nn"}));
  EXPECT_EQ(TokensOf("ann", Qgram(1)), (Tokens{"a", "n", "n"}));  // q = 1 has no padding
  EXPECT_EQ(TokensOf("ann", Qgram(3)), (Tokens{"  a", " an", "ann", "nn ", "n  "}));
  EXPECT_EQ(TokensOf("ann", Qgram(3, false)), (Tokens{"ann"}));
  // Duplicates are kept.
  EXPECT_EQ(TokensOf("aaa", Qgram(2, false)), (Tokens{"aa", "aa"}));
  // Spaces inside the value are characters like any other.
  EXPECT_EQ(TokensOf("a b", Qgram(2)), (Tokens{" a", "a ", " b", "b "}));
}

TEST(TokeniseTest, QgramsNeverSplitACodePoint) {
  // é is two bytes, 東 three, 😀 four.
  EXPECT_EQ(TokensOf("café", Qgram(2)), (Tokens{" c", "ca", "af", "fé", "é "}));
  EXPECT_EQ(TokensOf("é", Qgram(2)), (Tokens{" é", "é "}));
  EXPECT_EQ(TokensOf("東京都", Qgram(2)), (Tokens{" 東", "東京", "京都", "都 "}));
  EXPECT_EQ(TokensOf("東京都", Qgram(1)), (Tokens{"東", "京", "都"}));
  EXPECT_EQ(TokensOf("a😀b", Qgram(2, false)), (Tokens{"a😀", "😀b"}));
  EXPECT_EQ(TokensOf("😀😀", Qgram(3)), (Tokens{"  😀", " 😀😀", "😀😀 ", "😀  "}));
  // A combining accent is a code point of its own (clkhash does not normalise).
  EXPECT_EQ(TokensOf("e\xCC\x81", Qgram(1)), (Tokens{"e", "\xCC\x81"}));

  const std::string mixed = "Zoë 東京 😀x ñ";
  for (int q = 1; q <= 5; ++q) {
    for (bool padded : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "q=" << q << " padded=" << padded);
      auto tokens = TokensOf(mixed, Qgram(q, padded));
      ASSERT_TRUE(tokens.has_value());
      const std::size_t chars = CodePoints(mixed) + (padded && q > 1 ? 2 * (q - 1) : 0);
      EXPECT_EQ(tokens->size(), chars - static_cast<std::size_t>(q) + 1);
      for (const std::string& t : *tokens) {
        EXPECT_EQ(CodePoints(t), static_cast<std::size_t>(q)) << t;
        EXPECT_TRUE(StartsOnACodePoint(t)) << t;
      }
    }
  }
}

TEST(TokeniseTest, QLargerThanTheValue) {
  EXPECT_EQ(TokensOf("ab", Qgram(3, false)), Tokens{});
  EXPECT_EQ(TokensOf("ab", Qgram(3)), (Tokens{"  a", " ab", "ab ", "b  "}));
  EXPECT_EQ(TokensOf("a", Qgram(5)), (Tokens{"    a", "   a ", "  a  ", " a   ", "a    "}));
  EXPECT_EQ(TokensOf("a", Qgram(2, false)), Tokens{});
  EXPECT_EQ(TokensOf("a", Positional(2, false)), Tokens{});
}

TEST(TokeniseTest, PositionalQgrams) {
  EXPECT_EQ(TokensOf("ann", Positional(2)), (Tokens{"1  a", "2 an", "3 nn", "4 n "}));
  EXPECT_EQ(TokensOf("19850704", Positional(1)),
            (Tokens{"1 1", "2 9", "3 8", "4 5", "5 0", "6 7", "7 0", "8 4"}));
  EXPECT_EQ(TokensOf("東京", Positional(1)), (Tokens{"1 東", "2 京"}));
  auto long_value = TokensOf("abcdefghijkl", Positional(1));
  ASSERT_TRUE(long_value.has_value());
  ASSERT_EQ(long_value->size(), 12u);
  EXPECT_EQ((*long_value)[9], "10 j");
  EXPECT_EQ((*long_value)[11], "12 l");
  // The same character in another place is another token.
  auto a = TokensOf("12", Positional(1));
  auto b = TokensOf("21", Positional(1));
  EXPECT_EQ(a, (Tokens{"1 1", "2 2"}));
  EXPECT_EQ(b, (Tokens{"1 2", "2 1"}));
}

TEST(TokeniseTest, ClkhashZeroGrams) {
  // clkhash: n = 0 gives len + 1 empty tokens.
  EXPECT_EQ(TokensOf("abc", Qgram(0)), (Tokens{"", "", "", ""}));
  EXPECT_EQ(TokensOf("東京", Positional(0)), (Tokens{"1 ", "2 ", "3 "}));
}

TEST(TokeniseTest, EmptyValueHasNoTokens) {
  for (const TokenSpec& spec : {Qgram(2), Qgram(2, false), Qgram(1), Qgram(0), Positional(1),
                                Positional(3), Exact(), Numeric(5, 3)}) {
    TokenList list;
    ASSERT_TRUE(Tokenise("x", Exact(), list));
    ASSERT_EQ(list.size(), 1u);
    EXPECT_TRUE(Tokenise("", spec, list));
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(list.size(), 0u);
  }
}

TEST(TokeniseTest, ExactIsTheWholeValue) {
  EXPECT_EQ(TokensOf("9434765919", Exact()), (Tokens{"9434765919"}));
  EXPECT_EQ(TokensOf(" Seán O'Neil ", Exact()), (Tokens{" Seán O'Neil "}));
  EXPECT_EQ(TokensOf("東", Exact()), (Tokens{"東"}));
}

struct NumericCase {
  std::string value;
  std::int64_t interval;
  int resolution;
  int precision;
  std::optional<Tokens> expected;  // nullopt: refused
};

TEST(TokeniseTest, ClkhashNumericTokens) {
  // Expected values come from clkhash 0.18.3's NumericComparison.tokenize, run under CPython.
  const NumericCase cases[] = {
      {"42", 5, 1, 0, Tokens{"80", "85", "90"}},
      {"-42", 5, 1, 0, Tokens{"-90", "-85", "-80"}},
      {"0", 5, 1, 0, Tokens{"-5", "0", "5"}},
      {"7", 4, 1, 0, Tokens{"12", "16", "20"}},
      {"-7", 4, 1, 0, Tokens{"-16", "-12", "-8"}},
      // A residue of exactly half the interval rounds up, for both signs (floor modulo).
      {"1", 4, 1, 0, Tokens{"0", "4", "8"}},
      {"-1", 4, 1, 0, Tokens{"-4", "0", "4"}},
      {"-3", 3, 1, 0, Tokens{"-9", "-6", "-3"}},
      {"7", 1, 2, 0, Tokens{"26", "27", "28", "29", "30"}},
      {"3", 2, 1, 0, Tokens{"4", "6", "8"}},
      // Integers are scaled by 10^fractional_precision exactly.
      {"12", 1000, 1, 3, Tokens{"23000", "24000", "25000"}},
      // Floats with a precision: scaled, then rounded half to even.
      {"2.25", 1, 1, 1, Tokens{"43", "44", "45"}},   // 22.5 -> 22
      {"2.35", 1, 1, 1, Tokens{"47", "48", "49"}},   // 23.5 -> 24
      {"0.125", 1, 1, 2, Tokens{"23", "24", "25"}},  // 12.5 -> 12
      {"0.375", 1, 1, 2, Tokens{"75", "76", "77"}},  // 37.5 -> 38
      {"-0.125", 1, 1, 2, Tokens{"-25", "-24", "-23"}},
      {"2.675", 1, 1, 2, Tokens{"535", "536", "537"}},  // 267.49999... in binary -> 267
      {"65.5", 25, 2, 1, Tokens{"2575", "2600", "2625", "2650", "2675"}},
      // Floats without a precision are truncated (Python's int(float)).
      {"1.5", 1, 1, 0, Tokens{"1", "2", "3"}},
      {"-1.5", 1, 1, 0, Tokens{"-3", "-2", "-1"}},
      {"2.99", 1, 1, 0, Tokens{"3", "4", "5"}},
      {"1.5e1", 1, 1, 0, Tokens{"29", "30", "31"}},
      {"1e3", 10, 1, 0, Tokens{"1990", "2000", "2010"}},
      {".5", 10, 1, 1, Tokens{"0", "10", "20"}},
      {"5.", 10, 1, 1, Tokens{"90", "100", "110"}},
      // Python's syntax: surrounding white space, a sign, single underscores between digits.
      {" 12 ", 10, 1, 0, Tokens{"10", "20", "30"}},
      {"\t12\n", 10, 1, 0, Tokens{"10", "20", "30"}},
      {"+12", 10, 1, 0, Tokens{"10", "20", "30"}},
      {"1_000", 10, 1, 0, Tokens{"1990", "2000", "2010"}},
      {"1_0.5", 10, 1, 1, Tokens{"200", "210", "220"}},
      {"1_0.5e1", 1, 1, 0, Tokens{"209", "210", "211"}},
      {"\x0b"
       "5\x0c",
       1, 1, 0, Tokens{"9", "10", "11"}},  // \v and \f are white space
      {"1e1_0", 1, 1, 0, Tokens{"19999999999", "20000000000", "20000000001"}},
      {"+.5", 100, 1, 1, Tokens{"-100", "0", "100"}},
      {"0_7", 1, 1, 0, Tokens{"13", "14", "15"}},
      {"007", 1, 1, 0, Tokens{"13", "14", "15"}},
      {"1E2", 1, 1, 0, Tokens{"199", "200", "201"}},
      // Beyond 64 bits, as Python's ints are.
      {"12345678901234567890", 1, 1, 0,
       Tokens{"24691357802469135779", "24691357802469135780", "24691357802469135781"}},
      {"1e20", 1, 1, 0,
       Tokens{"199999999999999999999", "200000000000000000000", "200000000000000000001"}},
      // Refused: not a number Python accepts, or not finite.
      {"inf", 1, 1, 0, std::nullopt},
      {"-inf", 1, 1, 0, std::nullopt},
      {"Infinity", 1, 1, 0, std::nullopt},
      {"nan", 1, 1, 0, std::nullopt},
      {"NaN", 1, 1, 1, std::nullopt},
      {"abc", 1, 1, 0, std::nullopt},
      {"12a", 1, 1, 0, std::nullopt},
      {"1 2", 1, 1, 0, std::nullopt},
      {"1__0", 1, 1, 0, std::nullopt},
      {"_1", 1, 1, 0, std::nullopt},
      {"1_", 1, 1, 0, std::nullopt},
      {"1_.5", 1, 1, 1, std::nullopt},
      {"1._5", 1, 1, 1, std::nullopt},
      {"0x10", 1, 1, 0, std::nullopt},
      {"1e", 1, 1, 0, std::nullopt},
      {"e5", 1, 1, 0, std::nullopt},
      {".", 1, 1, 0, std::nullopt},
      {"-", 1, 1, 0, std::nullopt},
      {"+-1", 1, 1, 0, std::nullopt},
      {" ", 1, 1, 0, std::nullopt},
      {"1e400", 1, 1, 0, std::nullopt},
      // \x1c-\x1f are white space to str.isspace() but not to int() and float().
      {"5\x1c", 1, 1, 0, std::nullopt},
      {"\x1f"
       "5",
       1, 1, 0, std::nullopt},
      {"2.5\x1e", 1, 1, 1, std::nullopt},
      // Non-ASCII digits and spaces, which Python accepts, are refused (docs/schema.md).
      {"\xd9\xa3", 1, 1, 0, std::nullopt},
      {"5\xc2\xa0", 1, 1, 0, std::nullopt},
      // Out of bloomlink's range (Python would go on with big integers): refused, never wrapped.
      {"1" + std::string(40, '0'), 1, 1, 0, std::nullopt},
      {"1" + std::string(38, '0'), 1, 1, 0, std::nullopt},  // fits, but not once doubled
      {"1e31", 1, 1, 0, std::nullopt},
      {"1" + std::string(30, '0'), 1, 1, 10, std::nullopt},  // overflows when scaled
  };
  for (const NumericCase& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "\"" << c.value << "\" interval " << c.interval << " resolution "
                 << c.resolution << " precision " << c.precision);
    EXPECT_EQ(TokensOf(c.value, Numeric(c.interval, c.resolution, c.precision)), c.expected);
  }
}

TEST(TokeniseTest, NumericTokenCountIsTwiceTheResolutionPlusOne) {
  for (int resolution : {1, 2, 5, 17}) {
    auto tokens = TokensOf("123", Numeric(7, resolution));
    ASSERT_TRUE(tokens.has_value());
    EXPECT_EQ(tokens->size(), static_cast<std::size_t>(2 * resolution + 1));
  }
}

TEST(TokeniseTest, OneListReusedAcrossCalls) {
  TokenList list;
  ASSERT_TRUE(Tokenise("a much longer value with many grams", Qgram(2), list));
  EXPECT_EQ(list.size(), 36u);
  ASSERT_TRUE(Tokenise("ab", Qgram(2), list));
  EXPECT_EQ(ToVector(list), (Tokens{" a", "ab", "b "}));
  ASSERT_TRUE(Tokenise("東京", Positional(2), list));
  EXPECT_EQ(ToVector(list), (Tokens{"1  東", "2 東京", "3 京 "}));
  ASSERT_TRUE(Tokenise("42", Numeric(5, 1), list));
  EXPECT_EQ(ToVector(list), (Tokens{"80", "85", "90"}));
  // A refused number leaves the list empty, not holding the previous tokens.
  EXPECT_FALSE(Tokenise("forty-two", Numeric(5, 1), list));
  EXPECT_TRUE(list.empty());
  ASSERT_TRUE(Tokenise("exact value", Exact(), list));
  EXPECT_EQ(ToVector(list), (Tokens{"exact value"}));
  ASSERT_TRUE(Tokenise("ann", Qgram(2, false), list));
  EXPECT_EQ(ToVector(list), (Tokens{"an", "nn"}));

  // Alternating long and short values gives what a fresh list gives.
  const std::string values[] = {"Christopher", "Al", "", "Bartholomew-Smythe", "Jo", "東京都庁"};
  for (int round = 0; round < 3; ++round) {
    for (const std::string& v : values) {
      for (const TokenSpec& spec : {Qgram(2), Positional(1), Qgram(3, false), Exact()}) {
        ASSERT_TRUE(Tokenise(v, spec, list));
        EXPECT_EQ(ToVector(list), TokensOf(v, spec)) << v;
      }
    }
  }
}

}  // namespace
}  // namespace bloomlink::encode
