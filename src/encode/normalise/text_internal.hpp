// Internal pieces of the text cleaner, shared by the cleaners in this folder and exposed to the
// tests (which check that the ASCII fast path and the Unicode path agree). Not part of the public
// API.
#pragma once

#include <string>
#include <string_view>

#include "bloomlink/encode/normalise.hpp"

namespace bloomlink::normalise_internal {

using encode::CleanOutcome;
using encode::TextOptions;

// CleanTextAscii(raw, options, out): CleanText for input that is pure ASCII (every byte < 0x80).
// No allocation beyond growing `out`. The caller guarantees the input is ASCII.
CleanOutcome CleanTextAscii(std::string_view raw, const TextOptions& options, std::string* out);

// CleanTextUnicode(raw, options, out): CleanText through utf8proc, for any input. Gives the same
// output as CleanTextAscii on ASCII input (only slower).
CleanOutcome CleanTextUnicode(std::string_view raw, const TextOptions& options, std::string* out);

// LatinResult: how CleanTextLatin fared.
enum class LatinResult : unsigned char {
  kDone,              // *out holds the cleaned text (before the Missing check)
  kInvalidUtf8,       // the input is not valid UTF-8; *out is empty
  kNeedsUnicodePath,  // the output needs reordering or composition: use CleanTextUnicode
};

// CleanTextLatin(raw, options, out): the middle path for text that is mostly ASCII with some
// non-ASCII characters (accented Latin names): ASCII bytes go through the ASCII table and each
// other code point is decomposed on its own, with no buffer of code points. It gives up
// (kNeedsUnicodePath) as soon as a kept code point is U+0300 or above (Greek, Cyrillic, CJK,
// Hangul, Indic scripts ...), where CleanTextUnicode must be used. When it finishes, the output is
// the same as CleanTextUnicode's.
LatinResult CleanTextLatin(std::string_view raw, const TextOptions& options, std::string* out);

// DropPunctuationInPlace(text): applies the drop_punctuation rule to text that is already cleaned
// (valid UTF-8, lower case, whitespace collapsed): apostrophes, quotation marks and modifier
// symbols are removed, other punctuation and symbols become spaces, and whitespace is collapsed
// again. Cleaning with drop_punctuation is the same as cleaning without it and then calling this.
void DropPunctuationInPlace(std::string* text);

}  // namespace bloomlink::normalise_internal
