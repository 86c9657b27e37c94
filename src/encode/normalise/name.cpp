// CleanName: text cleaning, then titles and "not a real name" noise removed as whole words.
//
// The order matters:
//   1. CleanText without dropping punctuation (NFKC, lower case, accents, white space).
//   2. Noise words written with punctuation ("n/a", "n.k.") are removed while the punctuation
//      still tells them apart from initials ("N A Smith" is a real name).
//   3. Punctuation is dropped (apostrophes removed, other punctuation becomes a word break).
//   4. Noise phrases ("baby of", "twin 1") and titles ("mr", "dr") are removed as whole words,
//      the longest match first, wherever they appear.
// Every step works in place in the caller's buffer: no allocation for a reused buffer.
#include <array>
#include <cstring>
#include <string>
#include <string_view>

#include "bloomlink/encode/normalise.hpp"
#include "encode/normalise/text_internal.hpp"

namespace bloomlink::encode {
namespace {

// kPunctuatedNoise: placeholders for "not available" / "not known" that are only recognisable
// before punctuation is dropped. Matched against a whole word with any surrounding brackets or
// quotes ignored, so "(N/A)" is noise too.
constexpr std::string_view kPunctuatedNoise[] = {
    "n/a", "n.a.", "n.a", "n/k", "n.k.", "n.k",
};

// kNoisePhrases: words and phrases that mark a placeholder rather than a name, matched as whole
// words after punctuation is dropped. Multi-word phrases win over their first word ("baby of"
// before "baby"). "baby" and "twin" alone are included because registrations of newborns use
// them ("BABY SMITH", "TWIN SMITH"); "na" is not ("Na" is a surname).
// clang-format off
constexpr std::string_view kNoisePhrases[] = {
    // Newborns not yet named.
    "baby of", "baby boy", "baby girl", "baby", "infant of", "stillborn", "still born",
    "twin 1", "twin 2", "twin a", "twin b", "twin i", "twin ii", "twin one", "twin two", "twin",
    "triplet 1", "triplet 2", "triplet 3", "triplet a", "triplet b", "triplet c", "triplet",
    // Not known / not given.
    "unknown", "not known", "not stated", "not given", "not recorded", "nk", "unk", "none",
    "null", "no name", "noname", "unnamed", "anon", "anonymous",
};
// clang-format on

// kTitles: honorifics removed wherever they appear as a whole word ("Dr John Smith", "Smith Mrs").
// Words that are also common surnames (Master, Lord, Lady, Major, Doctor) are deliberately not
// listed: removing them would erase real names.
constexpr std::string_view kTitles[] = {
    "mr",   "mrs",       "miss", "ms",   "mx",       "mister", "dr",
    "prof", "professor", "rev",  "revd", "reverend", "sir",    "dame",
};

// WordEnd(text, pos): the end of the word starting at pos (cleaned text has single spaces).
std::size_t WordEnd(std::string_view text, std::size_t pos) {
  while (pos < text.size() && text[pos] != ' ') ++pos;
  return pos;
}

// HasSlashOrDot(text): whether any word could be a punctuated noise word.
bool HasSlashOrDot(std::string_view text) {
  bool found = false;
  for (char c : text) found |= (c == '/') | (c == '.');
  return found;
}

// MatchesAt(text, pos, phrase): phrase occurs at pos and ends at a word boundary.
bool MatchesAt(std::string_view text, std::size_t pos, std::string_view phrase) {
  if (text.size() - pos < phrase.size()) return false;
  if (text.compare(pos, phrase.size(), phrase) != 0) return false;
  const std::size_t end = pos + phrase.size();
  return end == text.size() || text[end] == ' ';
}

// RemoveWords(text, match): drops the whole-word spans that match(text, pos) reports (as a
// length in bytes, 0 for none) at the start of each word, and keeps the other words, single
// spaced. Works in place: the write position never passes the read position.
template <typename Match>
void RemoveWords(std::string* text, Match match) {
  char* d = text->data();
  const std::string_view view(d, text->size());
  const std::size_t n = view.size();
  std::size_t r = 0;
  std::size_t w = 0;
  while (r < n) {
    const std::size_t skip = match(view, r);
    const std::size_t end = skip > 0 ? r + skip : WordEnd(view, r);
    if (skip == 0) {
      if (w > 0) d[w++] = ' ';
      std::memmove(d + w, d + r, end - r);
      w += end - r;
    }
    r = end < n ? end + 1 : n;
  }
  text->resize(w);
}

std::size_t MatchPunctuatedNoise(std::string_view text, std::size_t pos) {
  const std::size_t end = WordEnd(text, pos);
  std::string_view core = text.substr(pos, end - pos);
  constexpr std::string_view kWrappers = "()[]{}<>\"'";
  while (!core.empty() && kWrappers.find(core.front()) != std::string_view::npos) {
    core.remove_prefix(1);
  }
  while (!core.empty() && kWrappers.find(core.back()) != std::string_view::npos) {
    core.remove_suffix(1);
  }
  for (std::string_view noise : kPunctuatedNoise) {
    if (core == noise) return end - pos;
  }
  return 0;
}

// kRemovable: the noise phrases and titles, indexed by their first letter so that each word of a
// name is compared with only the few entries that could match it.
template <std::size_t A, std::size_t B>
constexpr std::array<std::string_view, A + B> Concat(const std::string_view (&a)[A],
                                                     const std::string_view (&b)[B]) {
  std::array<std::string_view, A + B> all{};
  for (std::size_t i = 0; i < A; ++i) all[i] = a[i];
  for (std::size_t i = 0; i < B; ++i) all[A + i] = b[i];
  return all;
}
constexpr auto kRemovable = Concat(kNoisePhrases, kTitles);

constexpr std::size_t kBucketCapacity = 24;
struct Buckets {
  std::array<std::array<unsigned char, kBucketCapacity>, 26> entries{};
  std::array<std::size_t, 26> size{};
};

constexpr Buckets MakeBuckets() {
  Buckets b;
  for (std::size_t i = 0; i < kRemovable.size(); ++i) {
    const auto letter = static_cast<std::size_t>(kRemovable[i][0] - 'a');
    if (b.size[letter] < kBucketCapacity) {
      b.entries[letter][b.size[letter]] = static_cast<unsigned char>(i);
    }
    ++b.size[letter];
  }
  return b;
}
constexpr Buckets kBuckets = MakeBuckets();

constexpr bool TablesFit() {
  for (std::string_view entry : kRemovable) {
    if (entry.empty() || entry[0] < 'a' || entry[0] > 'z') return false;
  }
  for (std::size_t n : kBuckets.size) {
    if (n > kBucketCapacity) return false;
  }
  return kRemovable.size() < 256;
}
static_assert(TablesFit(), "noise/title entries must start with a-z and fit the buckets");

// MatchNoiseOrTitle(text, pos): the length of the longest noise phrase or title at pos.
std::size_t MatchNoiseOrTitle(std::string_view text, std::size_t pos) {
  const char first = text[pos];
  if (first < 'a' || first > 'z') return 0;
  const auto letter = static_cast<std::size_t>(first - 'a');
  std::size_t best = 0;
  for (std::size_t i = 0; i < kBuckets.size[letter]; ++i) {
    const std::string_view entry = kRemovable[kBuckets.entries[letter][i]];
    if (entry.size() > best && MatchesAt(text, pos, entry)) best = entry.size();
  }
  return best;
}

}  // namespace

CleanOutcome CleanName(std::string_view raw, std::string* out) {
  const CleanOutcome text = CleanText(raw, TextOptions{.drop_punctuation = false}, out);
  if (text.status != CleanStatus::kValid) return text;
  if (HasSlashOrDot(*out)) RemoveWords(out, &MatchPunctuatedNoise);
  normalise_internal::DropPunctuationInPlace(out);
  RemoveWords(out, &MatchNoiseOrTitle);
  return out->empty() ? CleanOutcome::Missing() : CleanOutcome::Valid();
}

}  // namespace bloomlink::encode
