// Internal: regular expressions in Python's syntax, matched by PCRE2; not part of the public API.
//
// Regex is a compiled pattern: immutable, shared by any number of threads. RegexMatcher is what
// one thread needs to match: PCRE2's match data (reused, so a loop of matches allocates nothing
// after the first), a match context that holds the limits, and the JIT's stack. Nothing here
// throws, prints or aborts: a pattern that does not compile, and a match that would need more
// than the limits allow, are errors (absl::Status), never a wrong answer.
//
//   BLOOMLINK_ASSIGN_OR_RETURN(internal::Regex re,
//       internal::Regex::Compile("rec-(\\d+)", internal::RegexAnchoring::kSearch));
//   internal::RegexMatcher matcher;   // one per thread
//   for (const std::string& id : ids) {
//     BLOOMLINK_ASSIGN_OR_RETURN(std::optional<std::string_view> key, matcher.Find(re, id, 1));
//     ...
//   }
//
// The implementation is src/base/regex.cpp (the base module links PCRE2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// PCRE2's own types, declared here so that pcre2.h (and its PCRE2_CODE_UNIT_WIDTH) stays in
// regex.cpp.
struct pcre2_real_code_8;
struct pcre2_real_match_data_8;
struct pcre2_real_match_context_8;
struct pcre2_real_jit_stack_8;

namespace bloomlink::internal {

// RegexAnchoring: which part of the subject a match must cover.
enum class RegexAnchoring {
  kSearch,     // a match may start and end anywhere (Python's re.search)
  kFullMatch,  // the whole subject, alternatives backtracked until one ends at its end
               // (Python's re.fullmatch)
};

// RegexEngine: how matches run. The interpreter gives the same answers as the JIT, more slowly;
// tests choose it to cover the fallback.
enum class RegexEngine {
  kJitWhenAvailable,  // JIT-compiled code where the platform allows it, else the interpreter
  kInterpreter,
};

// RegexLimits: how much work one match may do before it stops with an error. The defaults let a
// loop with a backtracking point per character run over a 1 MiB value (the CSV reader's field
// limit; "(?:a|b)*" on 1 MiB needs 24 to 32 MiB of JIT stack) and stop an exponentially
// backtracking pattern such as "(a+)+b" within tens of milliseconds (JIT) or a few hundred
// (interpreter).
struct RegexLimits {
  // match_limit: backtracking steps per match (PCRE2's default, made explicit).
  std::uint32_t match_limit = 10'000'000;
  // depth_limit: nesting of backtracking points, for the interpreter (PCRE2's default).
  std::uint32_t depth_limit = 10'000'000;
  // heap_limit_kib: memory for the interpreter's backtracking frames (PCRE2's default is 20 GB).
  std::uint32_t heap_limit_kib = 256 * 1024;
  // jit_stack_bytes: the most stack a JIT-compiled match may use (mapped, not touched, up front).
  std::size_t jit_stack_bytes = std::size_t{64} << 20;
};

// Regex: a compiled pattern. Movable, not copyable; const methods are safe from many threads.
class Regex {
 public:
  // Compile(pattern, anchoring): compiles `pattern`, written in the syntax of Python's `re`
  // module for str patterns, to match UTF-8 text: Unicode classes (\d, \w, \s, \b and case-
  // insensitive matching see all of Unicode, as in Python), `.` and `$` treat only "\n" as a line
  // break, named groups (?P<name>...) and (?P=name). PCRE2 reads Python's syntax as it is except
  // for a few constructs that it reads differently, which Compile rewrites first: \Z (the very
  // end; PCRE2's \z), \v (U+000B; PCRE2's vertical-space class), \uXXXX and \UXXXXXXXX (PCRE2's
  // \x{...}), {,n} (at most n; PCRE2 10.42 reads it literally) and `[` inside a set (literal;
  // PCRE2 would read [:alpha:] as a POSIX class). Checked against CPython 3.11 on about 90
  // patterns and 80 subjects, what is left is: Python's \s also matches U+001C to U+001F;
  // Python's case-insensitive matching also folds U+0130 and U+0131 with i; Python's \B does not
  // match the empty string; Python's \N{name} and the flags (?a), (?u) and (?L) are compile errors
  // here; and PCRE2 accepts some syntax that Python refuses (\h, \p{L}, \z, \Q...\E, (?<name>...)).
  // Matches run JIT-compiled code when `engine` allows it and the platform has a JIT
  // (pcre2_jit_compile succeeds), and PCRE2's interpreter otherwise.
  // InvalidArgument when the pattern does not compile: PCRE2's message and the byte offset in
  // `pattern` where it stopped ("missing closing parenthesis at offset 2"). Parentheses may nest
  // at most 250 deep.
  static absl::StatusOr<Regex> Compile(std::string_view pattern, RegexAnchoring anchoring,
                                       RegexEngine engine = RegexEngine::kJitWhenAvailable);

  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  // pattern(): the pattern as given to Compile.
  const std::string& pattern() const { return pattern_; }
  // capture_groups(): the number of capture groups (named ones included).
  int capture_groups() const { return capture_groups_; }
  // jit(): whether matches run JIT-compiled code.
  bool jit() const { return jit_; }

 private:
  friend class RegexMatcher;
  struct CodeDeleter {
    void operator()(pcre2_real_code_8* code) const;
  };
  Regex() = default;

  std::unique_ptr<pcre2_real_code_8, CodeDeleter> code_;
  std::string pattern_;
  int capture_groups_ = 0;
  bool full_match_ = false;
  bool jit_ = false;
};

// RegexMatcher: one thread's means to match any Regex. Not safe to share between threads (give
// each thread its own); cheap to make, it allocates on its first match only.
class RegexMatcher {
 public:
  explicit RegexMatcher(const RegexLimits& limits = {});
  RegexMatcher(RegexMatcher&&) noexcept;
  RegexMatcher& operator=(RegexMatcher&&) noexcept;
  ~RegexMatcher();

  // Matches(regex, subject): whether `regex` matches `subject` (UTF-8) as its anchoring says.
  // Bytes that are not valid UTF-8 are matched by no part of a pattern.
  // InvalidArgument when the match would need more than the limits allow (the message names the
  // limit; the subject is not quoted): the pattern backtracks too much on this subject.
  // ResourceExhausted when memory for the match cannot be had.
  absl::StatusOr<bool> Matches(const Regex& regex, std::string_view subject);

  // Find(regex, subject, group): the text of capture group `group` (0: the whole match) in the
  // first match of `regex` in `subject`, as a view into `subject`; nullopt when there is no
  // match or the group took no part in it. Errors as for Matches; InvalidArgument also when
  // `group` is not a group of `regex`.
  absl::StatusOr<std::optional<std::string_view>> Find(const Regex& regex, std::string_view subject,
                                                       int group);

 private:
  // Run(regex, subject, groups): pcre2_match with room for `groups` capture groups: 0 for no
  // match, else one more than the highest group set (at least 1).
  absl::StatusOr<int> Run(const Regex& regex, std::string_view subject, int groups);
  absl::Status Prepare(const Regex& regex, int groups);

  struct MatchDataDeleter {
    void operator()(pcre2_real_match_data_8* data) const;
  };
  struct MatchContextDeleter {
    void operator()(pcre2_real_match_context_8* context) const;
  };
  struct JitStackDeleter {
    void operator()(pcre2_real_jit_stack_8* stack) const;
  };

  RegexLimits limits_;
  std::unique_ptr<pcre2_real_match_data_8, MatchDataDeleter> data_;
  int data_groups_ = 0;  // capture groups data_ has room for
  std::unique_ptr<pcre2_real_match_context_8, MatchContextDeleter> context_;
  std::unique_ptr<pcre2_real_jit_stack_8, JitStackDeleter> jit_stack_;
};

}  // namespace bloomlink::internal
