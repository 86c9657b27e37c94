// The PCRE2 wrapper (internal/regex.hpp). Expected answers are Python's (re.fullmatch and
// re.search on str, CPython 3.11), noted beside the cases where PCRE2 alone would answer
// differently.
#include "internal/regex.hpp"

#include <thread>

#include "test_support.hpp"

namespace bloomlink::internal {
namespace {

using ::absl::StatusCode;
using testing::StatusIs;

constexpr RegexEngine kEngines[] = {RegexEngine::kJitWhenAvailable, RegexEngine::kInterpreter};

std::string EngineName(RegexEngine engine) {
  return engine == RegexEngine::kInterpreter ? "interpreter" : "jit";
}

// FullMatch(pattern, subject, engine): re.fullmatch(pattern, subject) is not None.
bool FullMatch(std::string_view pattern, std::string_view subject,
               RegexEngine engine = RegexEngine::kJitWhenAvailable) {
  absl::StatusOr<Regex> re = Regex::Compile(pattern, RegexAnchoring::kFullMatch, engine);
  EXPECT_TRUE(re.ok()) << pattern << ": " << re.status();
  if (!re.ok()) return false;
  RegexMatcher matcher;
  absl::StatusOr<bool> matched = matcher.Matches(*re, subject);
  EXPECT_TRUE(matched.ok()) << pattern << ": " << matched.status();
  return matched.ok() && *matched;
}

// Search(pattern, subject, group): re.search(pattern, subject).group(group), or nullopt.
std::optional<std::string> Search(std::string_view pattern, std::string_view subject, int group,
                                  RegexEngine engine = RegexEngine::kJitWhenAvailable) {
  absl::StatusOr<Regex> re = Regex::Compile(pattern, RegexAnchoring::kSearch, engine);
  EXPECT_TRUE(re.ok()) << pattern << ": " << re.status();
  if (!re.ok()) return std::nullopt;
  RegexMatcher matcher;
  auto found = matcher.Find(*re, subject, group);
  EXPECT_TRUE(found.ok()) << pattern << ": " << found.status();
  if (!found.ok() || !found->has_value()) return std::nullopt;
  return std::string(**found);
}

TEST(RegexTest, UsesTheJitWhereThePlatformHasOne) {
  // The build machines are x86-64, where PCRE2 has a JIT; elsewhere the interpreter answers.
  EXPECT_TRUE(Regex::Compile("a+", RegexAnchoring::kSearch)->jit());
  EXPECT_FALSE(Regex::Compile("a+", RegexAnchoring::kSearch, RegexEngine::kInterpreter)->jit());
}

TEST(RegexTest, FullMatchCoversTheWholeSubject) {
  for (RegexEngine engine : kEngines) {
    SCOPED_TRACE(EngineName(engine));
    EXPECT_TRUE(FullMatch("[0-9]{4}", "2913", engine));
    EXPECT_FALSE(FullMatch("[0-9]{4}", "29134", engine));
    EXPECT_FALSE(FullMatch("[0-9]{4}", "x2913", engine));
    EXPECT_FALSE(FullMatch("[0-9]{4}", "291", engine));
    // An alternative that matches a prefix is backtracked until one reaches the end.
    EXPECT_TRUE(FullMatch("a|ab", "ab", engine));
    EXPECT_TRUE(FullMatch("(?:a|ab)(?:c|bcd)", "abcd", engine));
    // $ may match before a final "\n", but the match must still end at the end.
    EXPECT_FALSE(FullMatch("abc$", "abc\n", engine));
    EXPECT_TRUE(FullMatch("abc\n", "abc\n", engine));
    EXPECT_TRUE(FullMatch("", "", engine));
    EXPECT_TRUE(FullMatch("a*", std::string_view(), engine));  // no data at all
    EXPECT_FALSE(FullMatch("a", std::string_view(), engine));
    // Only "\n" is a line break: . matches "\r".
    EXPECT_TRUE(FullMatch("a.b", "a\rb", engine));
    EXPECT_FALSE(FullMatch("a.b", "a\nb", engine));
    EXPECT_TRUE(FullMatch("(?s)a.b", "a\nb", engine));
  }
}

TEST(RegexTest, ReadsPythonSyntax) {
  for (RegexEngine engine : kEngines) {
    SCOPED_TRACE(EngineName(engine));
    EXPECT_TRUE(FullMatch("(?P<first>[a-z]+) (?P=first)", "ann ann", engine));
    EXPECT_FALSE(FullMatch("(?P<first>[a-z]+) (?P=first)", "ann bob", engine));
    EXPECT_TRUE(FullMatch("(?i)o'neil", "O'NEIL", engine));
    EXPECT_TRUE(FullMatch("(?x) [a-z]+  # a word\n [0-9]*", "abc12", engine));
    EXPECT_TRUE(FullMatch("(?:ab)++c", "ababc", engine));  // Python 3.11: possessive
    // Rewritten: PCRE2 alone reads these differently.
    EXPECT_TRUE(FullMatch("a\\Z", "a", engine));                // \Z: the very end ...
    EXPECT_EQ(Search("a\\Z", "a\n", 0, engine), std::nullopt);  // ... not before a final "\n"
    EXPECT_TRUE(FullMatch("a\\v", "a\v", engine));              // \v: U+000B only
    EXPECT_FALSE(FullMatch("a\\v", "a\n", engine));
    EXPECT_TRUE(FullMatch("caf\\u00e9", "caf\xc3\xa9", engine));  // \uXXXX
    EXPECT_TRUE(FullMatch("\\U0001F600", "\xf0\x9f\x98\x80", engine));
    EXPECT_TRUE(FullMatch("[\\u00e0-\\u00ff]+", "\xc3\xa0\xc3\xa9", engine));
    EXPECT_TRUE(FullMatch("a{,2}", "aa", engine));  // {,n}: at most n
    EXPECT_FALSE(FullMatch("a{,2}", "aaa", engine));
    EXPECT_FALSE(FullMatch("a{,2}", "a{,2}", engine));
    EXPECT_TRUE(FullMatch("a{,}", "aaaa", engine));
    EXPECT_TRUE(FullMatch("[{,2}]+", "{,2}", engine));  // inside a set: members
    EXPECT_FALSE(FullMatch("[{,2}]+", "{0,2}", engine));
    EXPECT_TRUE(FullMatch("a{,x}", "a{,x}", engine));  // not a quantifier: literal in both
    EXPECT_TRUE(FullMatch("[[:a]]", ":]", engine));    // no POSIX classes: [ is a member
    EXPECT_FALSE(FullMatch("[[:alpha:]]", "b", engine));
    EXPECT_TRUE(FullMatch("[]a]+", "]a", engine));  // ] first in a set is a member
    EXPECT_TRUE(FullMatch("[^]a]", "b", engine));
    EXPECT_TRUE(FullMatch("[\\]{,2}]+", "]{,", engine));
    EXPECT_TRUE(FullMatch("\\[{,2}", "[[", engine));  // an escaped [ opens no set
    EXPECT_TRUE(FullMatch("\\\\Z", "\\Z", engine));   // an escaped backslash, then Z
  }
}

TEST(RegexTest, MatchesUnicodeAsPythonDoes) {
  for (RegexEngine engine : kEngines) {
    SCOPED_TRACE(EngineName(engine));
    EXPECT_TRUE(FullMatch("\\w+", "h\xc3\xa9llo", engine));
    EXPECT_TRUE(FullMatch("\\d+", "\xd9\xa3\xd9\xa4", engine));  // Arabic-Indic 3 4
    EXPECT_TRUE(FullMatch("\\s", "\xc2\xa0", engine));           // no-break space
    EXPECT_TRUE(FullMatch("(?i)\xc3\xa9", "\xc3\x89", engine));  // é É
    EXPECT_TRUE(FullMatch(".", "\xe2\x82\xac", engine));         // one character, three bytes
    EXPECT_TRUE(FullMatch("\\bcaf\xc3\xa9\\b", "caf\xc3\xa9", engine));
    // Bytes that are not UTF-8 are matched by nothing, and are no error.
    EXPECT_FALSE(FullMatch("abc", "ab\xff", engine));
    EXPECT_FALSE(FullMatch(".*", "a\xc3", engine));
    const std::string invalid_first = std::string("\xff") + "aa";  // not "\xffaa": hex digits
    EXPECT_FALSE(FullMatch("a*", invalid_first, engine));
    EXPECT_EQ(Search("([a-z]+)", std::string("\xff\xfe") + "abc", 1, engine), "abc");
  }
}

TEST(RegexTest, LongSubjects) {
  const std::string letters(200000, 'a');
  for (RegexEngine engine : kEngines) {
    SCOPED_TRACE(EngineName(engine));
    EXPECT_TRUE(FullMatch("[a-z]*", letters, engine));
    EXPECT_FALSE(FullMatch("[a-z]*", letters + "A", engine));
    // A backtracking point per character, the case that overflowed std::regex's stack (shorter
    // for the interpreter, which copies a frame per point: seconds under the sanitizers).
    const std::string& alternating =
        engine == RegexEngine::kInterpreter ? letters.substr(0, 20000) : letters;
    EXPECT_TRUE(FullMatch("(?:a|b)*", alternating, engine));
    EXPECT_FALSE(FullMatch("(?:a|b)*", alternating + "c", engine));
    EXPECT_EQ(Search("x(a+)", "x" + letters, 1, engine)->size(), letters.size());
  }
  // The JIT's stack holds a backtracking point per character of a 1 MiB value (the CSV reader's
  // field limit).
  EXPECT_TRUE(FullMatch("(?:a|b)*", std::string(std::size_t{1} << 20, 'b')));
}

TEST(RegexTest, CompileErrorsGivePcre2sMessageAndTheOffsetInThePattern) {
  EXPECT_THAT(Regex::Compile("[0-9", RegexAnchoring::kFullMatch),
              StatusIs(StatusCode::kInvalidArgument,
                       "missing terminating ] for character class at offset 4"));
  EXPECT_THAT(Regex::Compile("((", RegexAnchoring::kSearch),
              StatusIs(StatusCode::kInvalidArgument, "missing closing parenthesis at offset 2"));
  EXPECT_THAT(Regex::Compile("a**", RegexAnchoring::kSearch),
              StatusIs(StatusCode::kInvalidArgument, "at offset 2"));
  // Offsets are the user's, also after a rewrite that lengthened the pattern.
  EXPECT_THAT(Regex::Compile("\\u00e9\\v)", RegexAnchoring::kSearch),
              StatusIs(StatusCode::kInvalidArgument, "unmatched closing parenthesis at offset 8"));
  EXPECT_THAT(Regex::Compile("(?P<a>x)(?P<a>y)", RegexAnchoring::kSearch),
              StatusIs(StatusCode::kInvalidArgument, "two named subpatterns have the same name"));
  EXPECT_THAT(Regex::Compile("\\C", RegexAnchoring::kSearch),
              StatusIs(StatusCode::kInvalidArgument, "using \\C is disabled"));
  EXPECT_THAT(Regex::Compile("a\\", RegexAnchoring::kSearch),
              StatusIs(StatusCode::kInvalidArgument, "\\ at end of pattern at offset 2"));
  // Parentheses nest at most 250 deep.
  EXPECT_TRUE(
      Regex::Compile(std::string(250, '(') + std::string(250, ')'), RegexAnchoring::kFullMatch)
          .ok());
  EXPECT_THAT(
      Regex::Compile(std::string(20000, '(') + std::string(20000, ')'), RegexAnchoring::kFullMatch),
      StatusIs(StatusCode::kInvalidArgument, "parentheses are too deeply nested"));
}

TEST(RegexTest, FindGivesTheGroupOfTheFirstMatch) {
  for (RegexEngine engine : kEngines) {
    SCOPED_TRACE(EngineName(engine));
    EXPECT_EQ(Search("^rec-(\\d+)-", "rec-12-dup-0", 1, engine), "12");
    EXPECT_EQ(Search("rec-(?P<e>\\d+)", "x-rec-7-rec-8", 1, engine), "7");
    EXPECT_EQ(Search("rec-(\\d+)", "x-rec-7-rec-8", 0, engine), "rec-7");
    EXPECT_EQ(Search("^rec-(\\d+)-", "x-rec-12-", 1, engine), std::nullopt);  // no match
    EXPECT_EQ(Search("(a)|(b)", "b", 1, engine), std::nullopt);  // group 1 took no part
    EXPECT_EQ(Search("(a)|(b)", "b", 2, engine), "b");
    EXPECT_EQ(Search("(a)?b", "b", 1, engine), std::nullopt);
    EXPECT_EQ(Search("()b", "b", 1, engine), "");  // took part, matched nothing
  }
  auto re = Regex::Compile("(a)(b)", RegexAnchoring::kSearch);
  RegexMatcher matcher;
  EXPECT_THAT(matcher.Find(*re, "ab", 3), StatusIs(StatusCode::kInvalidArgument,
                                                   "no capture group 3 in the pattern (it has 2)"));
  EXPECT_THAT(matcher.Find(*re, "ab", -1), StatusIs(StatusCode::kInvalidArgument, "no capture"));
}

TEST(RegexTest, OneMatcherServesRegexesWithAnyNumberOfGroups) {
  auto one = Regex::Compile("(x)", RegexAnchoring::kSearch);
  auto five = Regex::Compile("(a)(b)(c)(d)(e)", RegexAnchoring::kSearch);
  auto full = Regex::Compile("[a-e]+", RegexAnchoring::kFullMatch, RegexEngine::kInterpreter);
  RegexMatcher matcher;
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(**matcher.Find(*one, "-x-", 1), "x");
    EXPECT_EQ(**matcher.Find(*five, "abcde", 5), "e");
    EXPECT_EQ(**matcher.Find(*five, "abcde", 1), "a");
    EXPECT_TRUE(*matcher.Matches(*full, "abcde"));
    EXPECT_FALSE(*matcher.Matches(*full, "abcdef"));
  }
}

TEST(RegexTest, AMatchOverALimitIsAnErrorNotAnAnswer) {
  // Nested repetition backtracks exponentially when the match fails at the end.
  const std::string subject = std::string(40, 'a') + "!";
  for (RegexEngine engine : kEngines) {
    SCOPED_TRACE(EngineName(engine));
    auto re = Regex::Compile("(a+)+", RegexAnchoring::kFullMatch, engine);
    RegexMatcher matcher;
    EXPECT_THAT(matcher.Matches(*re, subject),
                StatusIs(StatusCode::kInvalidArgument,
                         "matching stopped at the limit of 10000000 backtracking steps: the "
                         "pattern backtracks too much on this text"));
    // The matcher is still usable afterwards.
    EXPECT_TRUE(*matcher.Matches(*re, "aaaa"));
    // A search too (with a "b" in the subject, or PCRE2 sees at once that there is no match).
    auto search = Regex::Compile("(a+)+b", RegexAnchoring::kSearch, engine);
    EXPECT_THAT(matcher.Find(*search, subject + "b", 1),
                StatusIs(StatusCode::kInvalidArgument, "backtracking steps"));
  }
  // Each limit is the caller's to set, and names itself.
  auto alternation = Regex::Compile("(?:a|b)*", RegexAnchoring::kFullMatch);
  RegexMatcher small_jit_stack({.jit_stack_bytes = 64 * 1024});
  EXPECT_THAT(small_jit_stack.Matches(*alternation, std::string(100000, 'a')),
              StatusIs(StatusCode::kInvalidArgument,
                       "matching stopped at the limit of 65536 bytes of JIT stack"));
  auto interpreted =
      Regex::Compile("(?:a|b)*", RegexAnchoring::kFullMatch, RegexEngine::kInterpreter);
  RegexMatcher small_heap({.heap_limit_kib = 1024});
  EXPECT_THAT(small_heap.Matches(*interpreted, std::string(100000, 'a')),
              StatusIs(StatusCode::kInvalidArgument,
                       "matching stopped at the limit of 1024 KiB of backtracking memory"));
  RegexMatcher shallow({.depth_limit = 100});
  EXPECT_THAT(shallow.Matches(*interpreted, std::string(1000, 'a')),
              StatusIs(StatusCode::kInvalidArgument,
                       "matching stopped at the limit of 100 nested backtracking points"));
  RegexMatcher few_steps({.match_limit = 100});
  EXPECT_THAT(few_steps.Matches(*interpreted, std::string(1000, 'a')),
              StatusIs(StatusCode::kInvalidArgument, "the limit of 100 backtracking steps"));
}

TEST(RegexTest, ThreadsShareARegexWithAMatcherEach) {
  auto re = Regex::Compile("(?P<word>[a-z]+)-(\\d+)", RegexAnchoring::kSearch);
  ASSERT_TRUE(re.ok());
  std::vector<int> found(2, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      RegexMatcher matcher;
      for (int i = 0; i < 2000; ++i) {
        const std::string id = "X-" + std::to_string(i * 2 + t) + " rec-" + std::to_string(i);
        auto key = matcher.Find(*re, id, 2);
        if (key.ok() && key->has_value() && **key == std::to_string(i)) ++found[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(found, (std::vector<int>{2000, 2000}));
}

}  // namespace
}  // namespace bloomlink::internal
