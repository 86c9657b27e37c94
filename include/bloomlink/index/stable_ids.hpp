// bloomlink/index/stable_ids.hpp
//
// Stable person IDs: when the person index is clustered again (a refreshed extract, a new
// source), each new cluster takes an ID from the clusters its records were in before, so that
// the same person keeps the same ID from month to month:
//  - an old ID goes to the new cluster that holds most of its surviving records (its "home"; a
//    split leaves the ID with the largest part, ties to the part with the lowest record);
//  - a new cluster that is home to several old IDs (a merge) keeps the oldest, and the others
//    are superseded by it;
//  - a new cluster that is home to none gets a fresh ID (a new person, or a part split off);
//  - an old ID none of whose records survive is retired.
// IDs are random opaque tokens from a cryptographically secure generator (NewPersonId), never
// derived from identifiers or encodings, and never reused.
//
//   std::vector<index::PreviousPerson> before = ...;     // the old IDs, with when each was made
//   index::IdAssignment ids = *index::CarryIds(before, previous_person, clusters, NewPersonId);
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace bloomlink::index {

// kNoPerson: a record that had no person before (it is new).
inline constexpr std::uint32_t kNoPerson = 0xFFFFFFFFu;

// NewPersonId(): a fresh ID, "P" and 24 lower-case hex digits of 12 random bytes (OpenSSL's
// CSPRNG): about 2^96 possible IDs, so two never collide in practice.
std::string NewPersonId();
// PersonIdGenerator(): a generator of IDs as NewPersonId makes them, drawing the random bytes of
// 1,024 IDs at a time (for the many IDs of a build); not thread-safe.
std::function<std::string()> PersonIdGenerator();

// PreviousPerson: an ID of the index before the update, and when it was made (any increasing
// counter: the lower, the older).
struct PreviousPerson {
  std::string id;
  std::uint64_t created = 0;
};

// IdEvent: what happened to the persons.
struct IdEvent {
  enum class Kind { kNew, kMerged, kSplit, kRetired };
  Kind kind = Kind::kNew;
  std::string id;  // the new ID; the surviving one; the split one; the retired one
  // others: kMerged: the superseded IDs; kSplit: the IDs of the persons that now hold the
  // other parts: fresh IDs for parts that became persons of their own, or existing persons
  // that took some of its records.
  std::vector<std::string> others;
};

// IdEventKindName: "new", "merged", "split", "retired" (as the index file, the CLI and Python
// spell them); ParseIdEventKind: the reverse, InvalidArgument for anything else.
std::string_view IdEventKindName(IdEvent::Kind kind);
absl::StatusOr<IdEvent::Kind> ParseIdEventKind(std::string_view name);

struct IdAssignment {
  // person_of_cluster[c]: the ID of new cluster c.
  std::vector<std::string> person_of_cluster;
  // created[c]: true when cluster c's ID is fresh.
  std::vector<bool> created;
  // Events, in a fixed order: merges and splits by ID, then new persons and retirements.
  std::vector<IdEvent> events;
  std::uint64_t new_persons = 0, merges = 0, splits = 0, retired = 0;
};

// CarryIds(before, previous_person, cluster, new_id): previous_person[i] is record i's index
// into `before` (kNoPerson for a record new in this update), cluster[i] its new cluster (labels
// 0..k-1). Records of the old index that are gone are simply not listed. new_id makes fresh IDs
// (NewPersonId, or a deterministic one in tests). InvalidArgument when the two spans differ in
// length, a previous index is out of range, or the new labels are not 0..k-1 without gaps.
absl::StatusOr<IdAssignment> CarryIds(std::span<const PreviousPerson> before,
                                      std::span<const std::uint32_t> previous_person,
                                      std::span<const std::uint32_t> cluster,
                                      const std::function<std::string()>& new_id);

}  // namespace bloomlink::index
