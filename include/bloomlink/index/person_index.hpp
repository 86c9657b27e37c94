// bloomlink/index/person_index.hpp
//
// PersonIndex: the pseudonymous person index. Every record of every source (an organisation's
// extract) belongs to one person, and every person has a stable, random, opaque ID. The index
// keeps each source's encodings, the linked pairs between records, the persons and their IDs,
// and a history of every update, so that:
//  - BuildIndex makes it from N sources at once (every pair of sources linked with the
//    label-free decision, sources that may repeat a person deduplicated, the records clustered
//    by average linkage, bloomlink/solve/clusters.hpp);
//  - AddSource adds a new source, or a refreshed extract of one already held (the same record id
//    is the same record, updated; an id that is gone is retired). Only the new extract is
//    linked, against each source held, and only the persons its pairs touch are clustered
//    again; their IDs carry over by record overlap (bloomlink/index/stable_ids.hpp), with
//    merges and splits of existing persons needing stronger evidence than attaching a record
//    (IndexSettings::change_margin), and the decisions between records whose encodings did not
//    change standing as they were (IndexUpdate::pairs_carried, pairs_not_taken).
// The file format (people.index) is in docs/file-format.md, section 8.
//
//   absl::StatusOr<index::PersonIndex> people = index::BuildIndex(std::move(sources), {});
//   absl::StatusOr<index::IndexUpdate> update = index::AddSource(*people, std::move(refresh));
//   index::WriteIndexFile(*people, "people.index");
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bloomlink/encoded_dataset.hpp"
#include "bloomlink/index/stable_ids.hpp"
#include "bloomlink/link.hpp"
#include "bloomlink/solve/clusters.hpp"

namespace bloomlink::index {

// IndexSettings: how the index links and clusters; kept in the index, so that every update
// links as the build did.
struct IndexSettings {
  link::Method method = link::Method::kAuto;
  match::Blocking blocking = match::Blocking::kExhaustive;
  // cluster_threshold: average linkage's merge threshold (0.3: measured on every labelled set,
  // bench/RESULTS.md, issue 13).
  double cluster_threshold = 0.3;
  // change_margin: on an update, joining two existing persons needs cluster_threshold +
  // change_margin, putting one back together cluster_threshold - change_margin, and at equal
  // evidence the latter goes first (solve::ClusterOptions::change_margin).
  double change_margin = 0.2;
};

// NewSource: an extract to index; `name` names the source (an organisation's extract).
struct NewSource {
  std::string name;
  EncodedDataset data;
  // unique: the source holds each person at most once (it is not deduplicated, and a person
  // never holds two of its records). For a refreshed source, unset keeps what the index says.
  std::optional<bool> unique;
};

struct IndexedSource {
  std::string name;
  bool unique = false;
  EncodedDataset data;
  std::uint64_t added = 0;      // the generation that added it
  std::uint64_t refreshed = 0;  // the generation of its current extract
};

struct Person {
  std::string id;             // "P" and 24 hex digits (NewPersonId)
  std::uint64_t created = 0;  // the generation that made the ID
};

// IndexUpdate: what one build or add did.
struct IndexUpdate {
  std::uint64_t generation = 0;      // 1 for the build, then one more per add
  std::int64_t time = 0;             // Unix seconds (UTC)
  std::string action;                // "build" or "add"
  std::vector<std::string> sources;  // the sources built or added
  std::uint64_t records_added = 0, records_updated = 0, records_unchanged = 0, records_retired = 0;
  std::uint64_t persons_new = 0, persons_merged = 0, persons_split = 0, persons_retired = 0;
  std::uint64_t persons = 0;              // persons after the update
  std::uint64_t records_reclustered = 0;  // records whose persons were clustered again
  std::uint64_t pairs_linked = 0;         // pairs the update's links accepted
  // A refresh keeps the decisions between records whose encodings did not change (AddSource):
  // pairs_carried counts old pairs its links no longer accepted but kept, pairs_not_taken new
  // pairs of two such records, not linked before, that were not taken.
  std::uint64_t pairs_carried = 0, pairs_not_taken = 0;
  double seconds = 0;
  // events: the merges, splits and retirements (new persons are only counted).
  std::vector<IdEvent> events;
  std::vector<std::string> warnings;
};

// kIndexUpdateCounts: each count of an IndexUpdate with the name the index file, `index history
// --json` and Python give it: one list, so that a count added to IndexUpdate is added here once.
inline constexpr std::pair<std::string_view, std::uint64_t IndexUpdate::*> kIndexUpdateCounts[] = {
    {"records_added", &IndexUpdate::records_added},
    {"records_updated", &IndexUpdate::records_updated},
    {"records_unchanged", &IndexUpdate::records_unchanged},
    {"records_retired", &IndexUpdate::records_retired},
    {"persons_new", &IndexUpdate::persons_new},
    {"persons_merged", &IndexUpdate::persons_merged},
    {"persons_split", &IndexUpdate::persons_split},
    {"persons_retired", &IndexUpdate::persons_retired},
    {"persons", &IndexUpdate::persons},
    {"records_reclustered", &IndexUpdate::records_reclustered},
    {"pairs_linked", &IndexUpdate::pairs_linked},
    {"pairs_carried", &IndexUpdate::pairs_carried},
    {"pairs_not_taken", &IndexUpdate::pairs_not_taken},
};

struct PersonIndex {
  IndexSettings settings;
  std::optional<Digest> schema_fingerprint, key_check;
  std::vector<IndexedSource> sources;
  // Per record (sources in order, each source's rows in order): its person (an index into
  // persons) and its confidence, the mean probability of its linked pairs within its person (1
  // for a record alone).
  std::vector<std::uint32_t> person;
  std::vector<float> confidence;
  std::vector<Person> persons;
  // pairs: every linked pair, in record numbers as above.
  std::vector<solve::LinkedPair> pairs;
  // history: every update, oldest first; generation() is the last one's.
  std::vector<IndexUpdate> history;

  std::uint64_t generation() const { return history.empty() ? 0 : history.back().generation; }
  std::uint64_t records() const { return person.size(); }
  // FirstRecord(k): the record number of source k's first record.
  std::uint64_t FirstRecord(std::size_t k) const;
  // FindSource(name): the source's position, or -1.
  int FindSource(std::string_view name) const;
};

// RunOptions: how an update runs (not kept in the index).
struct RunOptions {
  int threads = 0;               // 0: all cores
  std::uint64_t max_memory = 0;  // bytes each link may use (0: no limit)
  std::int64_t time = 0;         // the update's time in Unix seconds (0: now)
  // new_id: makes fresh person IDs (empty: PersonIdGenerator; tests pass a deterministic one).
  std::function<std::string()> new_id = nullptr;
};

// BuildIndex(sources, settings, run): InvalidArgument for no sources, an empty or repeated name,
// an empty source or more than 64 unique sources; sources of different schemas or secrets are
// refused (naming both); the links' errors.
absl::StatusOr<PersonIndex> BuildIndex(std::vector<NewSource> sources,
                                       const IndexSettings& settings, const RunOptions& run = {});

// AddSource(index, source, run): adds a new source, or replaces a source's extract with a
// refreshed one (same name). On an error the index is unchanged. The returned update is also
// appended to index.history.
absl::StatusOr<IndexUpdate> AddSource(PersonIndex& index, NewSource source,
                                      const RunOptions& run = {});

// ---- files ----------------------------------------------------------------------------------

// WriteIndexFile(index, path): atomically (a crash or interrupt leaves any previous file whole).
absl::Status WriteIndexFile(const PersonIndex& index, const std::string& path);
// ReadIndexFile(path): checks the layout, every length against the file size, the checksum and
// every embedded source (InvalidArgument naming the file and what is wrong: a truncated or
// altered file, a newer format).
absl::StatusOr<PersonIndex> ReadIndexFile(const std::string& path);

// IndexLock: an exclusive lock on an index for an update (a lock file beside it, `PATH.lock`,
// held with flock: released when the process ends, however it ends). A second writer gets
// FailedPrecondition saying that another process is updating the index.
class IndexLock {
 public:
  static absl::StatusOr<IndexLock> Acquire(const std::string& index_path);
  IndexLock(IndexLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  IndexLock& operator=(IndexLock&&) = delete;
  IndexLock(const IndexLock&) = delete;
  ~IndexLock();

 private:
  explicit IndexLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// ---- reading the index ----------------------------------------------------------------------

struct CrosswalkRow {
  std::string_view person_id, source, record_id;
  float confidence = 0;
};
// Crosswalk(index): one row per record, sources in order, each source's records in order.
std::vector<CrosswalkRow> Crosswalk(const PersonIndex& index);

// DisclosureControl: counts of 1 to suppress_below - 1 are shown as "*", others rounded to the
// nearest round_to (0 stays 0). Off: exact counts.
struct DisclosureControl {
  bool enabled = true;
  std::uint64_t suppress_below = 8;
  std::uint64_t round_to = 5;
};
// ShowCount(n, control): the count as it may be handed on.
std::string ShowCount(std::uint64_t n, const DisclosureControl& control);

// OverlapStats: persons per combination of sources. `combination` is a bit set of sources
// (bit k: source k); `persons` counts the persons found in exactly those sources, `at_least`
// the persons found in (at least) all of them.
struct SourceCombination {
  std::uint64_t sources = 0;
  std::uint64_t persons = 0;
  std::uint64_t at_least = 0;
};
struct OverlapStats {
  std::vector<std::string> source_names;
  std::vector<std::uint64_t> records, persons_per_source;
  std::uint64_t persons = 0, records_total = 0;
  // pairwise[i * n + j]: persons in both source i and source j (i != j); the diagonal, persons
  // in source i.
  std::vector<std::uint64_t> pairwise;
  // combinations: every combination that holds a person, by decreasing count.
  std::vector<SourceCombination> combinations;
  // cluster_sizes[s]: persons with s records (s from 1).
  std::vector<std::uint64_t> cluster_sizes;
};
// ComputeOverlap(index): InvalidArgument for more than 64 sources (the combinations are bit sets).
absl::StatusOr<OverlapStats> ComputeOverlap(const PersonIndex& index);

}  // namespace bloomlink::index
