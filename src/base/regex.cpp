// internal/regex.hpp: Python-syntax regular expressions on PCRE2 (8-bit code units, UTF-8).
#include "internal/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <vector>

#include "internal/strings.hpp"

namespace bloomlink::internal {
namespace {

// The parenthesis nesting PCRE2 allows by default, made explicit: its compiler recurses once per
// level, and 250 levels is far beyond what a hand-written pattern needs.
constexpr std::uint32_t kParensNestLimit = 250;
// The JIT stack's first size; it grows on demand up to RegexLimits::jit_stack_bytes.
constexpr std::size_t kJitStackStartBytes = 32 * 1024;

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool AllHex(std::string_view s, std::size_t from, std::size_t count) {
  if (from + count > s.size()) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(from),
                     s.begin() + static_cast<std::ptrdiff_t>(from + count), IsHex);
}

// PcreSyntax: a Python pattern rewritten where PCRE2 would read it differently, and for each
// byte of the rewrite the offset in the original of the byte it came from (to report PCRE2's
// error offsets in the user's pattern).
struct PcreSyntax {
  std::string text;
  std::vector<std::size_t> origin;

  void Append(std::string_view s, std::size_t from) {
    text.append(s);
    origin.insert(origin.end(), s.size(), from);
  }
};

// ToPcreSyntax(python): see Regex::Compile for the constructs rewritten. Only escapes and sets
// need tracking: an escaped character is never a set's bracket or a brace, and inside a set
// neither Python nor PCRE2 has quantifiers.
PcreSyntax ToPcreSyntax(std::string_view python) {
  PcreSyntax out;
  out.text.reserve(python.size() + 8);
  out.origin.reserve(python.size() + 8);
  bool in_set = false;
  std::size_t set_body = 0;  // offset of a set's first member: a ']' there is a member
  std::size_t i = 0;
  const std::size_t n = python.size();
  while (i < n) {
    const char c = python[i];
    if (c == '\\' && i + 1 < n) {
      const char e = python[i + 1];
      if (e == 'Z') {
        out.Append("\\z", i);  // Python's \Z is the very end; PCRE2's also allows a final "\n"
        i += 2;
      } else if (e == 'v') {
        out.Append("\\x0b", i);  // Python's \v is one character; PCRE2's a class of seven
        i += 2;
      } else if ((e == 'u' && AllHex(python, i + 2, 4)) || (e == 'U' && AllHex(python, i + 2, 8))) {
        const std::size_t digits = e == 'u' ? 4 : 8;
        out.Append("\\x{", i);
        out.Append(python.substr(i + 2, digits), i + 2);
        out.Append("}", i + 1 + digits);
        i += 2 + digits;
      } else {
        out.Append(python.substr(i, 2), i);
        i += 2;
      }
      continue;
    }
    if (in_set) {
      if (c == ']' && i != set_body) {
        in_set = false;
        out.Append("]", i);
      } else if (c == '[') {
        out.Append("\\[", i);  // a member in Python; PCRE2 would open [:alpha:] and the like
      } else {
        out.Append(python.substr(i, 1), i);
      }
      ++i;
      continue;
    }
    if (c == '[') {
      in_set = true;
      out.Append("[", i);
      ++i;
      if (i < n && python[i] == '^') {
        out.Append("^", i);
        ++i;
      }
      set_body = i;
      continue;
    }
    if (c == '{' && i + 1 < n && python[i + 1] == ',') {
      std::size_t j = i + 2;
      while (j < n && python[j] >= '0' && python[j] <= '9') ++j;
      if (j < n && python[j] == '}') {
        out.Append("{0", i);  // Python's {,n} is {0,n} (and {,} is {0,}); PCRE2 10.42 reads text
        ++i;                  // the comma, digits and brace follow unchanged
        continue;
      }
    }
    out.Append(python.substr(i, 1), i);
    ++i;
  }
  return out;
}

std::string Pcre2Message(int code) {
  PCRE2_UCHAR buffer[256];
  const int n = pcre2_get_error_message(code, buffer, sizeof buffer);
  if (n < 0) return StrCat("PCRE2 error ", code);
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
}

// MatchError(rc, limits): the status of a pcre2_match failure other than "no match". A limit is
// the pattern's fault (it backtracks too much on this subject), so the caller can name the
// pattern and the record and the user can simplify the pattern.
absl::Status MatchError(int rc, const RegexLimits& limits) {
  switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
      return absl::InvalidArgumentError(
          StrCat("matching stopped at the limit of ", limits.match_limit,
                 " backtracking steps: the pattern backtracks too much on this text"));
    case PCRE2_ERROR_DEPTHLIMIT:
      return absl::InvalidArgumentError(
          StrCat("matching stopped at the limit of ", limits.depth_limit,
                 " nested backtracking points: the pattern backtracks too much on this text"));
    case PCRE2_ERROR_HEAPLIMIT:
      return absl::InvalidArgumentError(
          StrCat("matching stopped at the limit of ", limits.heap_limit_kib,
                 " KiB of backtracking memory: the pattern backtracks too much on this text"));
    case PCRE2_ERROR_JIT_STACKLIMIT:
      return absl::InvalidArgumentError(
          StrCat("matching stopped at the limit of ", limits.jit_stack_bytes,
                 " bytes of JIT stack: the pattern backtracks too much on this text"));
    case PCRE2_ERROR_NOMEMORY:
      return absl::ResourceExhaustedError("out of memory while matching a regular expression");
    default:
      return absl::InternalError(StrCat("PCRE2 match failed: ", Pcre2Message(rc)));
  }
}

}  // namespace

void Regex::CodeDeleter::operator()(pcre2_real_code_8* code) const { pcre2_code_free(code); }

Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

absl::StatusOr<Regex> Regex::Compile(std::string_view pattern, RegexAnchoring anchoring,
                                     RegexEngine engine) {
  const PcreSyntax syntax = ToPcreSyntax(pattern);
  std::unique_ptr<pcre2_compile_context, void (*)(pcre2_compile_context*)> context(
      pcre2_compile_context_create(nullptr), pcre2_compile_context_free);
  if (!context) return absl::ResourceExhaustedError("out of memory compiling a regular expression");
  // Python's line break is "\n" alone, whatever PCRE2 was built with.
  pcre2_set_newline(context.get(), PCRE2_NEWLINE_LF);
  pcre2_set_parens_nest_limit(context.get(), kParensNestLimit);
  // UTF + UCP: Python's str patterns; invalid UTF-8 in a subject is matched by nothing rather
  // than an error, so ids and values need no separate check. \C would split a character.
  std::uint32_t options = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
  // Anchoring is compiled in: the JIT does not take PCRE2_ANCHORED or PCRE2_ENDANCHORED at match
  // time. PCRE2_ENDANCHORED backtracks into the pattern until a match ends at the end, as
  // re.fullmatch does (unlike a check of where the first match ended).
  if (anchoring == RegexAnchoring::kFullMatch) options |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(syntax.text.data()),
                                   syntax.text.size(), options, &error, &offset, context.get());
  if (code == nullptr) {
    const std::size_t at = offset < syntax.origin.size() ? syntax.origin[offset] : pattern.size();
    return absl::InvalidArgumentError(StrCat(Pcre2Message(error), " at offset ", at));
  }
  Regex regex;
  regex.code_.reset(code);
  regex.pattern_ = std::string(pattern);
  std::uint32_t groups = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
  regex.capture_groups_ = static_cast<int>(groups);
  regex.full_match_ = anchoring == RegexAnchoring::kFullMatch;
  // Without a JIT (an unsupported CPU, or a system that refuses executable memory) the
  // interpreter gives the same answers, more slowly.
  regex.jit_ =
      engine == RegexEngine::kJitWhenAvailable && pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return regex;
}

void RegexMatcher::MatchDataDeleter::operator()(pcre2_real_match_data_8* data) const {
  pcre2_match_data_free(data);
}
void RegexMatcher::MatchContextDeleter::operator()(pcre2_real_match_context_8* context) const {
  pcre2_match_context_free(context);
}
void RegexMatcher::JitStackDeleter::operator()(pcre2_real_jit_stack_8* stack) const {
  pcre2_jit_stack_free(stack);
}

RegexMatcher::RegexMatcher(const RegexLimits& limits) : limits_(limits) {}
RegexMatcher::RegexMatcher(RegexMatcher&&) noexcept = default;
RegexMatcher& RegexMatcher::operator=(RegexMatcher&&) noexcept = default;
RegexMatcher::~RegexMatcher() = default;

absl::Status RegexMatcher::Prepare(const Regex& regex, int groups) {
  if (!context_) {
    context_.reset(pcre2_match_context_create(nullptr));
    if (!context_) return absl::ResourceExhaustedError("out of memory setting up regex matching");
    pcre2_set_match_limit(context_.get(), limits_.match_limit);
    pcre2_set_depth_limit(context_.get(), limits_.depth_limit);
    pcre2_set_heap_limit(context_.get(), limits_.heap_limit_kib);
  }
  if (regex.jit_ && !jit_stack_) {
    // Without its own stack the JIT would use 32 KiB of the thread's: a few thousand
    // backtracking points, too few for long values.
    const std::size_t max = std::max(limits_.jit_stack_bytes, kJitStackStartBytes);
    jit_stack_.reset(pcre2_jit_stack_create(kJitStackStartBytes, max, nullptr));
    if (!jit_stack_) return absl::ResourceExhaustedError("out of memory for the regex JIT stack");
    pcre2_jit_stack_assign(context_.get(), nullptr, jit_stack_.get());
  }
  if (!data_ || data_groups_ < groups) {
    // Kept between matches: the interpreter keeps its backtracking frames here too, so only the
    // first matches (and a regex with more groups) allocate.
    data_.reset(pcre2_match_data_create(static_cast<std::uint32_t>(groups) + 1, nullptr));
    if (!data_) return absl::ResourceExhaustedError("out of memory for regex match data");
    data_groups_ = groups;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> RegexMatcher::Run(const Regex& regex, std::string_view subject, int groups) {
  if (absl::Status ready = Prepare(regex, groups); !ready.ok()) return ready;
  // PCRE2 10.42 refuses a null subject even when it is empty.
  static constexpr char kEmpty[] = "";
  const char* text = subject.data() != nullptr ? subject.data() : kEmpty;
  const int rc = pcre2_match(regex.code_.get(), reinterpret_cast<PCRE2_SPTR>(text), subject.size(),
                             0, 0, data_.get(), context_.get());
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc < 0) return MatchError(rc, limits_);
  // 0: a match with more groups set than data_ has room for (only Matches asks for fewer).
  return rc == 0 ? data_groups_ + 1 : rc;
}

absl::StatusOr<bool> RegexMatcher::Matches(const Regex& regex, std::string_view subject) {
  absl::StatusOr<int> set = Run(regex, subject, 0);
  if (!set.ok()) return set.status();
  if (*set == 0) return false;
  // PCRE2's interpreter matches a subject with invalid UTF-8 piece by piece and lets a piece's
  // end satisfy PCRE2_ENDANCHORED ("a\xc3" fully matches ".*"). No match can cover bytes that
  // nothing matches, so a full match must also start and end at the subject's ends.
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data_.get());
  return !regex.full_match_ || (ovector[0] == 0 && ovector[1] == subject.size());
}

absl::StatusOr<std::optional<std::string_view>> RegexMatcher::Find(const Regex& regex,
                                                                   std::string_view subject,
                                                                   int group) {
  if (group < 0 || group > regex.capture_groups_) {
    return absl::InvalidArgumentError(
        StrCat("no capture group ", group, " in the pattern (it has ", regex.capture_groups_, ")"));
  }
  absl::StatusOr<int> set = Run(regex, subject, group);
  if (!set.ok()) return set.status();
  if (*set <= group) return std::nullopt;  // no match, or the group is past the last one set
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data_.get());
  const PCRE2_SIZE begin = ovector[2 * group];
  const PCRE2_SIZE end = ovector[2 * group + 1];
  if (begin == PCRE2_UNSET) return std::nullopt;
  return subject.substr(begin, end - begin);
}

}  // namespace bloomlink::internal
