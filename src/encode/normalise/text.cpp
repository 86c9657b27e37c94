// CleanText: NFKC, case folding, accent removal and whitespace collapsing.
//
// Three paths give the same output:
//   - CleanTextAscii: pure ASCII input (the common case), one table lookup per byte, no utf8proc.
//   - CleanTextLatin: mostly-Latin input (accented names). ASCII bytes use the same table; each
//     other code point is decomposed on its own with utf8proc_decompose_char into a few stack
//     slots. It gives up when a kept code point is U+0300 or above, where reordering or
//     composition could matter.
//   - CleanTextUnicode: everything else, and the reference. utf8proc decomposes the value (NFKD
//     plus case folding) into a stack buffer of code points, which is filtered (marks, format
//     characters and modifier symbols removed, white space collapsed), recomposed in place and
//     encoded back to UTF-8; only values that decompose to more than kStackCodePoints code points
//     use a temporary heap buffer (freed on return).
#include <utf8proc.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

#include "bloomlink/encode/normalise.hpp"
#include "encode/normalise/text_internal.hpp"

namespace bloomlink::normalise_internal {
namespace {

constexpr std::string_view kInvalidUtf8 = "invalid UTF-8";
constexpr std::string_view kTooLong = "value too long to normalise";

// ASCII action tables: the output byte for each input byte, or one of two codes below. Real
// output bytes are always >= 0x21, so the codes cannot collide with them.
constexpr char kSpaceCode = 0;   // white space (or, when dropping punctuation, a word break)
constexpr char kRemoveCode = 1;  // removed without a trace

using AsciiMap = std::array<char, 128>;

// PlainMap: cleaning without drop_punctuation. Control characters are white space; '`' is an
// apostrophe look-alike; '^' is a standalone accent (Unicode Sk), removed like other accents.
constexpr AsciiMap MakePlainMap() {
  AsciiMap map{};
  for (int c = 0; c < 128; ++c) {
    char out = static_cast<char>(c);
    if (c <= 0x20 || c == 0x7F) {
      out = kSpaceCode;
    } else if (c >= 'A' && c <= 'Z') {
      out = static_cast<char>(c - 'A' + 'a');
    } else if (c == '`') {
      out = '\'';
    } else if (c == '^') {
      out = kRemoveCode;
    }
    map[static_cast<std::size_t>(c)] = out;
  }
  return map;
}

// DropMap: cleaning with drop_punctuation. Every ASCII punctuation or symbol character is Unicode
// category P* or S*: apostrophes and quotation marks are removed ("O'Neil" -> "oneil"), the rest
// become word breaks ("Smith-Jones" -> "smith jones", "Smith,John" -> "smith john").
constexpr AsciiMap MakeDropMap() {
  AsciiMap map = MakePlainMap();
  constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  for (char c : kPunctuation) {
    const bool removed = c == '\'' || c == '"' || c == '`' || c == '^';
    map[static_cast<unsigned char>(c)] = removed ? kRemoveCode : kSpaceCode;
  }
  return map;
}

constexpr AsciiMap kPlainMap = MakePlainMap();
constexpr AsciiMap kDropMap = MakeDropMap();

// IsApostropheLike(cp): characters typed for an apostrophe in names (’ ‘ ‛ ′ ´ ` ʼ ʻ ʽ ʹ and the
// fullwidth forms); they are all cleaned to U+0027 so that "O’Neil" and "O'Neil" agree.
constexpr bool IsApostropheLike(utf8proc_int32_t cp) {
  switch (cp) {
    case 0x0060:
    case 0x00B4:
    case 0x02B9:
    case 0x02BB:
    case 0x02BC:
    case 0x02BD:
    case 0x2018:
    case 0x2019:
    case 0x201B:
    case 0x2032:
    case 0xFF07:
    case 0xFF40:
      return true;
    default:
      return false;
  }
}

// FoldStrokeLetter(cp): the base letter for the lower-case Latin letters that carry a stroke or
// bar rather than a separable accent, so that Unicode decomposition leaves them alone (ø ł đ ð ħ
// ŧ ı). Only one-to-one foldings are made: æ, œ and þ are kept as they are.
constexpr utf8proc_int32_t FoldStrokeLetter(utf8proc_int32_t cp) {
  switch (cp) {
    case 0x00F8:  // ø
      return 'o';
    case 0x0142:  // ł
      return 'l';
    case 0x0111:  // đ
    case 0x00F0:  // ð
      return 'd';
    case 0x0127:  // ħ
      return 'h';
    case 0x0167:  // ŧ
      return 't';
    case 0x0131:  // ı
      return 'i';
    default:
      return cp;
  }
}

// A code point that the filter always removes (ZERO WIDTH SPACE, category Cf). The pre-mapping
// turns modifier symbols into it so that their compatibility decomposition (a space followed by
// a combining mark: "´" -> " \u0301") cannot leave a stray space behind.
constexpr utf8proc_int32_t kRemovedCodePoint = 0x200B;

utf8proc_int32_t PreMap(utf8proc_int32_t cp, void* /*data*/) {
  if (IsApostropheLike(cp)) return '\'';
  if (utf8proc_category(cp) == UTF8PROC_CATEGORY_SK) return kRemovedCodePoint;
  return cp;
}

// CodePointAction: what the filter does with one decomposed code point.
enum class CodePointAction : unsigned char { kKeep, kSpace, kRemove };

// FilterCodePoint(cp): removes combining marks (Mn, Me: accents; spacing marks Mc such as Indic
// vowel signs are kept), format characters (Cf: soft hyphen, zero-width space, BOM) and modifier
// symbols (Sk); white space and control characters are spaces; apostrophe look-alikes become
// U+0027 and stroke letters their base letter (*cp is updated).
CodePointAction FilterCodePoint(utf8proc_int32_t* cp) {
  if (IsApostropheLike(*cp)) *cp = '\'';
  *cp = FoldStrokeLetter(*cp);
  switch (utf8proc_category(*cp)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_SK:
      return CodePointAction::kRemove;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
      return CodePointAction::kSpace;
    default:
      return CodePointAction::kKeep;
  }
}

// FilterDecomposed(buf, n): FilterCodePoint over a decomposed buffer, in place, with white space
// collapsed to single spaces and trimmed. Returns the new length.
std::size_t FilterDecomposed(utf8proc_int32_t* buf, std::size_t n) {
  std::size_t w = 0;
  bool pending_space = false;
  for (std::size_t i = 0; i < n; ++i) {
    utf8proc_int32_t cp = buf[i];
    switch (FilterCodePoint(&cp)) {
      case CodePointAction::kRemove:
        break;
      case CodePointAction::kSpace:
        pending_space = w > 0;
        break;
      case CodePointAction::kKeep:
        if (pending_space) {
          buf[w++] = ' ';
          pending_space = false;
        }
        buf[w++] = cp;
        break;
    }
  }
  return w;
}

enum class PunctuationAction : unsigned char { kKeep, kSpace, kRemove };

PunctuationAction ClassifyPunctuation(utf8proc_category_t category) {
  switch (category) {
    case UTF8PROC_CATEGORY_PI:  // initial quotes
    case UTF8PROC_CATEGORY_PF:  // final quotes (including ’)
    case UTF8PROC_CATEGORY_SK:  // modifier symbols (standalone accents)
      return PunctuationAction::kRemove;
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SO:
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
      return PunctuationAction::kSpace;
    default:
      return PunctuationAction::kKeep;
  }
}

constexpr utf8proc_option_t kDecomposeOptions =
    static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);

// Code points decomposed on the stack before falling back to the heap (1 KiB).
constexpr std::size_t kStackCodePoints = 256;

CleanOutcome Finish(const std::string& out) {
  return out.empty() ? CleanOutcome::Missing() : CleanOutcome::Valid();
}

}  // namespace

CleanOutcome CleanTextAscii(std::string_view raw, const TextOptions& options, std::string* out) {
  const AsciiMap& map = options.drop_punctuation ? kDropMap : kPlainMap;
  out->resize(raw.size());
  char* dst = out->data();
  std::size_t w = 0;
  bool pending_space = false;
  for (char in : raw) {
    const char c = map[static_cast<unsigned char>(in) & 0x7F];
    if (c == kSpaceCode) {
      pending_space = w > 0;
    } else if (c != kRemoveCode) {
      if (pending_space) {
        dst[w++] = ' ';
        pending_space = false;
      }
      dst[w++] = c;
    }
  }
  out->resize(w);
  return Finish(*out);
}

CleanOutcome CleanTextUnicode(std::string_view raw, const TextOptions& options, std::string* out) {
  out->clear();
  const auto* src = reinterpret_cast<const utf8proc_uint8_t*>(raw.data());
  const auto src_len = static_cast<utf8proc_ssize_t>(raw.size());

  std::array<utf8proc_int32_t, kStackCodePoints> stack_buf;
  std::unique_ptr<utf8proc_int32_t[]> heap_buf;
  utf8proc_int32_t* buf = stack_buf.data();
  utf8proc_ssize_t n = utf8proc_decompose_custom(src, src_len, buf, kStackCodePoints,
                                                 kDecomposeOptions, &PreMap, nullptr);
  if (n > static_cast<utf8proc_ssize_t>(kStackCodePoints)) {
    heap_buf.reset(new (std::nothrow) utf8proc_int32_t[static_cast<std::size_t>(n)]);
    if (heap_buf == nullptr) return CleanOutcome::Invalid(kTooLong);
    buf = heap_buf.get();
    const utf8proc_ssize_t capacity = n;
    n = utf8proc_decompose_custom(src, src_len, buf, capacity, kDecomposeOptions, &PreMap, nullptr);
    if (n > capacity) return CleanOutcome::Invalid(kTooLong);  // cannot happen: same input
  }
  if (n < 0) {
    return CleanOutcome::Invalid(n == UTF8PROC_ERROR_INVALIDUTF8 ? kInvalidUtf8 : kTooLong);
  }

  std::size_t len = FilterDecomposed(buf, static_cast<std::size_t>(n));
  // Composition only ever joins a starter with a following code point >= U+0300 (a combining
  // mark, an Indic vowel sign, a Hangul jamo, ...): text below U+0300 is already composed.
  bool may_compose = false;
  for (std::size_t i = 0; i < len && !may_compose; ++i) may_compose = buf[i] >= 0x300;
  if (may_compose) {
    const utf8proc_ssize_t composed =
        utf8proc_normalize_utf32(buf, static_cast<utf8proc_ssize_t>(len), UTF8PROC_COMPOSE);
    if (composed < 0) return CleanOutcome::Invalid(kTooLong);  // not expected from COMPOSE
    len = static_cast<std::size_t>(composed);
  }

  out->resize(len * 4);
  auto* dst = reinterpret_cast<utf8proc_uint8_t*>(out->data());
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < len; ++i) {
    bytes += static_cast<std::size_t>(utf8proc_encode_char(buf[i], dst + bytes));
  }
  out->resize(bytes);
  if (options.drop_punctuation) DropPunctuationInPlace(out);
  return Finish(*out);
}

LatinResult CleanTextLatin(std::string_view raw, const TextOptions& options, std::string* out) {
  // Every output code point below U+0300 means canonical reordering and composition have nothing
  // to do (no code point below U+0300 has a combining class or is the second half of a
  // composition), so each input code point can be decomposed and filtered on its own.
  out->resize(raw.size() + 8);
  std::size_t w = 0;
  bool pending_space = false;
  const auto* src = reinterpret_cast<const utf8proc_uint8_t*>(raw.data());
  const std::size_t n = raw.size();
  std::size_t r = 0;
  while (r < n) {
    if (src[r] < 0x80) {
      const char c = kPlainMap[src[r++]];
      if (c == kSpaceCode) {
        pending_space = w > 0;
      } else if (c != kRemoveCode) {
        if (w + 2 > out->size()) out->resize(2 * out->size());
        if (pending_space) {
          (*out)[w++] = ' ';
          pending_space = false;
        }
        (*out)[w++] = c;
      }
      continue;
    }
    utf8proc_int32_t cp = -1;
    const utf8proc_ssize_t got =
        utf8proc_iterate(src + r, static_cast<utf8proc_ssize_t>(n - r), &cp);
    if (got < 0) {
      out->clear();
      return LatinResult::kInvalidUtf8;
    }
    r += static_cast<std::size_t>(got);
    std::array<utf8proc_int32_t, 8> parts;
    int boundclass = 0;
    const utf8proc_ssize_t count = utf8proc_decompose_char(
        PreMap(cp, nullptr), parts.data(), parts.size(), kDecomposeOptions, &boundclass);
    if (count < 0 || count > static_cast<utf8proc_ssize_t>(parts.size())) {
      return LatinResult::kNeedsUnicodePath;
    }
    for (utf8proc_ssize_t i = 0; i < count; ++i) {
      utf8proc_int32_t part = parts[static_cast<std::size_t>(i)];
      switch (FilterCodePoint(&part)) {
        case CodePointAction::kRemove:
          break;
        case CodePointAction::kSpace:
          pending_space = w > 0;
          break;
        case CodePointAction::kKeep:
          if (part >= 0x300) return LatinResult::kNeedsUnicodePath;
          if (w + 3 > out->size()) out->resize(2 * out->size());
          if (pending_space) {
            (*out)[w++] = ' ';
            pending_space = false;
          }
          w += static_cast<std::size_t>(
              utf8proc_encode_char(part, reinterpret_cast<utf8proc_uint8_t*>(out->data() + w)));
          break;
      }
    }
  }
  out->resize(w);
  if (options.drop_punctuation) DropPunctuationInPlace(out);
  return LatinResult::kDone;
}

void DropPunctuationInPlace(std::string* text) {
  char* d = text->data();
  const std::size_t n = text->size();
  std::size_t r = 0;
  std::size_t w = 0;
  bool pending_space = false;
  while (r < n) {
    const auto byte = static_cast<unsigned char>(d[r]);
    PunctuationAction action = PunctuationAction::kKeep;
    std::size_t len = 1;
    char ascii_out = 0;
    if (byte < 0x80) {
      ascii_out = kDropMap[byte];
      if (ascii_out == kSpaceCode) {
        action = PunctuationAction::kSpace;
      } else if (ascii_out == kRemoveCode) {
        action = PunctuationAction::kRemove;
      }
    } else {
      utf8proc_int32_t cp = -1;
      const utf8proc_ssize_t got =
          utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(d + r),
                           static_cast<utf8proc_ssize_t>(n - r), &cp);
      // Cleaned text is valid UTF-8; a stray byte (never expected) is kept as it is.
      if (got > 0) {
        len = static_cast<std::size_t>(got);
        action = ClassifyPunctuation(utf8proc_category(cp));
      }
    }
    switch (action) {
      case PunctuationAction::kSpace:
        pending_space = w > 0;
        break;
      case PunctuationAction::kRemove:
        break;
      case PunctuationAction::kKeep:
        if (pending_space) {
          d[w++] = ' ';
          pending_space = false;
        }
        if (byte < 0x80) {
          d[w++] = ascii_out;
        } else {
          std::memmove(d + w, d + r, len);
          w += len;
        }
        break;
    }
    r += len;
  }
  text->resize(w);
}

}  // namespace bloomlink::normalise_internal

namespace bloomlink::encode {
namespace {

// IsAscii(s): every byte < 0x80, eight bytes at a time.
bool IsAscii(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  std::size_t i = 0;
  std::uint64_t acc = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, p + i, 8);
    acc |= v;
  }
  unsigned char tail = 0;
  for (; i < n; ++i) tail |= static_cast<unsigned char>(p[i]);
  return (acc & 0x8080808080808080ULL) == 0 && (tail & 0x80) == 0;
}

}  // namespace

CleanOutcome CleanText(std::string_view raw, const TextOptions& options, std::string* out) {
  if (IsAscii(raw)) return normalise_internal::CleanTextAscii(raw, options, out);
  switch (normalise_internal::CleanTextLatin(raw, options, out)) {
    case normalise_internal::LatinResult::kDone:
      return out->empty() ? CleanOutcome::Missing() : CleanOutcome::Valid();
    case normalise_internal::LatinResult::kInvalidUtf8:
      return CleanOutcome::Invalid(normalise_internal::kInvalidUtf8);
    case normalise_internal::LatinResult::kNeedsUnicodePath:
      break;
  }
  return normalise_internal::CleanTextUnicode(raw, options, out);
}

}  // namespace bloomlink::encode
