// Name, nickname and postcode tables for the synthetic data generator; internal to the synth
// module. All lists were written for this project. Within each list, entries are ordered from
// more to less common (the generator gives them Zipf-like weights by rank); the orders are
// plausible, not measured.
#pragma once

#include <span>
#include <string_view>

namespace bloomlink::synth_internal {

// Communities of the UK population that the generator draws names from.
enum Community : int {
  kGeneral = 0,    // English, Scottish, Welsh, Irish
  kSouthAsian,     // Pakistani, Indian, Bangladeshi, Sikh
  kAfrican,        // West African and Somali
  kCaribbean,      // names also drawn from the general lists
  kEastEuropean,   // Polish, Romanian, Ukrainian, Hungarian...
  kEastAsian,      // Chinese, Vietnamese, Korean, Japanese
  kMiddleEastern,  // Turkish, Kurdish, Arab, Iranian
  kNumCommunities,
};

struct CommunityNames {
  std::span<const std::string_view> female, male, surnames;
  int weight;               // share of the population, per thousand
  int own_given_percent;    // % of given names from the community's own lists (else general)
  int own_surname_percent;  // % of surnames from the community's own list (else general)
};

// Communities()[c]: the lists for community c. kGeneral's given-name lists are empty: see
// GeneralGiven.
std::span<const CommunityNames> Communities();

// GeneralGiven(female, era): general given names for persons born in an era: 0 before 1950,
// 1 1950-1979, 2 1980-2004, 3 from 2005.
std::span<const std::string_view> GeneralGiven(bool female, int era);
// CelticGiven(female): Scottish, Welsh and Irish given names.
std::span<const std::string_view> CelticGiven(bool female);
// GeneralSurnames(): English, Scottish, Welsh and Irish surnames.
std::span<const std::string_view> GeneralSurnames();
// SurnamePrefixes() x SurnameSuffixes(): English place-name surnames ("Ash" + "worth"), the long
// tail of rarer surnames.
std::span<const std::string_view> SurnamePrefixes();
std::span<const std::string_view> SurnameSuffixes();

// Nicknames(): formal given name -> '|'-separated informal forms.
struct Nickname {
  std::string_view name;
  std::string_view forms;
};
std::span<const Nickname> Nicknames();
// SpellingGroups(): '|'-separated spellings of one given name (any may replace any other).
std::span<const std::string_view> SpellingGroups();

// PostcodeAreas(): UK postcode areas with the highest district number the generator uses and a
// weight (roughly the area's population, in tens of thousands).
struct PostcodeArea {
  std::string_view area;
  int max_district;
  int weight;
};
std::span<const PostcodeArea> PostcodeAreas();

}  // namespace bloomlink::synth_internal
