// The person index: build and update (bloomlink/index/person_index.hpp). The file format is in
// index_file.cpp, the statistics in index_stats.cpp.
#include "bloomlink/index/person_index.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "bloomlink/index/person_clusters.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::index {
namespace {

using internal::StrCat;

constexpr std::uint32_t kGone = 0xFFFFFFFFu;

std::int64_t NowOr(std::int64_t time) {
  if (time != 0) return time;
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

link::LinkOptions LinkOptionsOf(const IndexSettings& settings, const RunOptions& run) {
  link::LinkOptions options;
  options.method = settings.method;
  options.candidates.blocking = settings.blocking;
  options.candidates.threads = run.threads;
  options.max_memory = run.max_memory;
  return options;
}

absl::Status CheckSettings(const IndexSettings& settings) {
  if (!(settings.cluster_threshold > 0 && settings.cluster_threshold <= 1)) {
    return absl::InvalidArgumentError(StrCat(
        "person index: the cluster threshold must be in (0, 1], got ", settings.cluster_threshold));
  }
  if (!(settings.change_margin >= 0 && settings.change_margin < settings.cluster_threshold)) {
    return absl::InvalidArgumentError(
        StrCat("person index: the change margin must be in [0, the cluster threshold ",
               settings.cluster_threshold, "), got ", settings.change_margin));
  }
  return absl::OkStatus();
}

absl::Status CheckNewSource(const NewSource& source) {
  if (source.name.empty()) {
    return absl::InvalidArgumentError("person index: a source needs a name");
  }
  if (source.data.size() == 0) {
    return absl::InvalidArgumentError(
        StrCat("person index: source ", source.name, " has no records"));
  }
  return absl::OkStatus();
}

// DiceWarning: why a person index wants field-level filters.
constexpr std::string_view kDiceWarning =
    "the sources carry no field-level filters in common, so they were linked by CLK Dice, "
    "where every accepted pair counts as a match with probability 1: the clustering cannot weigh "
    "how strong a link is, and one wrong pair of a new record can join two persons. For a "
    "person index, encode with field-level filters (examples/schemas/starter_index.json), so "
    "that sources are linked by Fellegi-Sunter";

// Relabel(labels): labels renumbered 0, 1, ... in the order of each label's first record.
std::uint32_t Relabel(std::vector<std::uint32_t>& labels) {
  absl::flat_hash_map<std::uint32_t, std::uint32_t> renumber;
  for (std::uint32_t& l : labels) {
    l = renumber.try_emplace(l, static_cast<std::uint32_t>(renumber.size())).first->second;
  }
  return static_cast<std::uint32_t>(renumber.size());
}

// SameEncoding(a, i, b, j): records a[i] and b[j] have the same CLK, field filters and blocking
// tokens (an unchanged record of a refreshed extract).
bool SameEncoding(const EncodedDataset& a, std::size_t i, const EncodedDataset& b, std::size_t j) {
  const auto same_rows = [](const BitMatrix& x, std::size_t r, const BitMatrix& y, std::size_t s) {
    return x.bits() == y.bits() &&
           std::equal(x.row_bytes(r), x.row_bytes(r) + x.bytes_per_filter(), y.row_bytes(s));
  };
  if (!same_rows(a.clks, i, b.clks, j)) return false;
  if (a.field_filters.size() != b.field_filters.size()) return false;
  for (std::size_t f = 0; f < a.field_filters.size(); ++f) {
    if (!same_rows(a.field_filters[f].filters, i, b.field_filters[f].filters, j)) return false;
  }
  const BlockingKeys& ka = a.blocking_keys;
  const BlockingKeys& kb = b.blocking_keys;
  if (ka.rules != kb.rules) return false;
  const std::size_t r = ka.rules.size();
  return std::equal(ka.tokens.begin() + i * r, ka.tokens.begin() + (i + 1) * r,
                    kb.tokens.begin() + j * r);
}

struct UnionFind {
  std::vector<std::uint32_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0u); }
  std::uint32_t Find(std::uint32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
  void Join(std::uint32_t a, std::uint32_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

// Assign(index, previous, cluster, before, run, update): the persons of the clusters (their IDs
// carried over from `before`), and each record's person and confidence.
absl::Status Assign(PersonIndex& index, std::span<const std::uint32_t> previous,
                    std::vector<std::uint32_t> cluster, const std::vector<Person>& before,
                    const RunOptions& run, IndexUpdate& update) {
  Relabel(cluster);
  std::vector<PreviousPerson> old(before.size());
  for (std::size_t p = 0; p < before.size(); ++p) old[p] = {before[p].id, before[p].created};
  const std::function<std::string()> new_id = run.new_id ? run.new_id : PersonIdGenerator();
  BLOOMLINK_ASSIGN_OR_RETURN(IdAssignment ids, CarryIds(old, previous, cluster, new_id));
  absl::flat_hash_map<std::string_view, std::uint64_t> created;
  for (const Person& p : before) created.emplace(p.id, p.created);
  std::vector<Person> persons(ids.person_of_cluster.size());
  for (std::size_t c = 0; c < persons.size(); ++c) {
    persons[c].id = ids.person_of_cluster[c];
    persons[c].created = ids.created[c] ? update.generation : created.at(persons[c].id);
  }
  index.confidence = RecordConfidence(cluster, index.pairs);
  index.person = std::move(cluster);
  index.persons = std::move(persons);
  update.persons_new = ids.new_persons;
  update.persons_merged = ids.merges;
  update.persons_split = ids.splits;
  update.persons_retired = ids.retired;
  update.persons = index.persons.size();
  for (IdEvent& e : ids.events) {
    if (e.kind != IdEvent::Kind::kNew) update.events.push_back(std::move(e));
  }
  return absl::OkStatus();
}

// Renumbering: how an add maps the index's records to the records after it. Every source keeps
// its place; source k (the one added or refreshed) takes its new rows.
struct Renumbering {
  std::size_t k = 0;
  bool refresh = false;
  // first_old[j], first_new[j]: source j's first record before and after (one more entry: the
  // end).
  std::vector<std::uint64_t> first_old, first_new;
  // new_of_old[r]: old record r's number after the add (kGone: retired).
  std::vector<std::uint32_t> new_of_old;
  // unchanged[r]: new record r's encodings are what they were (false for source k's added and
  // updated records, and every record of a new source).
  std::vector<bool> unchanged;

  bool InK(std::uint64_t old_record) const {
    return old_record >= first_old[k] && old_record < first_old[k + 1];
  }
  std::uint32_t SourceOf(std::uint32_t new_record) const {
    return static_cast<std::uint32_t>(
        std::upper_bound(first_new.begin(), first_new.end(), new_record) - first_new.begin() - 1);
  }
};

// Evidence(old, linked, r, deduplicated_before, update): the pairs after an add. Every old pair
// of two other sources is kept, renumbered, and source k's new pairs (`linked`) are added.
// Between two records whose encodings did not change (a refresh), the decision made before
// stands: their score is what it was, and a pair won or lost only because the decision
// threshold was estimated again on the refreshed extract is not evidence; taking it would merge
// or split persons on borderline pairs from one month to the next. So an old pair of two
// unchanged records that the new links no longer accept is carried over, and a new pair of two
// unchanged records that were not linked before is not taken; except where one to one makes
// them compete with a change: a record with a new partner in the other's source (for an old
// pair), or a record that had a partner there before (for a new pair: that partner was retired
// or changed, or the pairs were resolved differently around a change). deduplicated_before:
// source k was refreshed and was not unique before (else its pairs within are all new).
std::vector<solve::LinkedPair> Evidence(const std::vector<solve::LinkedPair>& old,
                                        const std::vector<solve::LinkedPair>& linked,
                                        const Renumbering& r, bool deduplicated_before,
                                        IndexUpdate& update) {
  std::vector<solve::LinkedPair> pairs;
  pairs.reserve(old.size() + linked.size());
  const std::vector<bool>& unchanged = r.unchanged;
  const auto pair_key = [](std::uint32_t a, std::uint32_t b) {
    return std::uint64_t{std::min(a, b)} << 32 | std::max(a, b);
  };
  const auto partner_key = [&](std::uint32_t record, std::uint32_t other) {
    return std::uint64_t{record} << 32 | r.SourceOf(other);
  };
  // (record, record) and (record, source) keys of source k's pairs, after and before.
  absl::flat_hash_set<std::uint64_t> new_pairs, new_partners, old_pairs, old_partners;
  for (const solve::LinkedPair& p : linked) {
    new_pairs.insert(pair_key(p.a, p.b));
    new_partners.insert(partner_key(p.a, p.b));
    new_partners.insert(partner_key(p.b, p.a));
  }
  for (const solve::LinkedPair& p : old) {
    const std::uint32_t a = r.new_of_old[p.a], b = r.new_of_old[p.b];
    if (!r.InK(p.a) && !r.InK(p.b)) {
      pairs.push_back({a, b, p.probability});
      continue;
    }
    if (a == kGone || b == kGone) continue;
    old_pairs.insert(pair_key(a, b));
    old_partners.insert(partner_key(a, b));
    old_partners.insert(partner_key(b, a));
    if (!unchanged[a] || !unchanged[b] || new_pairs.contains(pair_key(a, b))) continue;
    if (r.SourceOf(a) != r.SourceOf(b) &&
        (new_partners.contains(partner_key(a, b)) || new_partners.contains(partner_key(b, a)))) {
      continue;
    }
    pairs.push_back({a, b, p.probability});
    ++update.pairs_carried;
  }
  for (const solve::LinkedPair& p : linked) {
    const bool within = r.SourceOf(p.a) == r.SourceOf(p.b);
    if (r.refresh && unchanged[p.a] && unchanged[p.b] && !old_pairs.contains(pair_key(p.a, p.b)) &&
        (within ? deduplicated_before
                : !old_partners.contains(partner_key(p.a, p.b)) &&
                      !old_partners.contains(partner_key(p.b, p.a)))) {
      ++update.pairs_not_taken;
      continue;
    }
    pairs.push_back(p);
  }
  return pairs;
}

// Recluster(index, rn, previous, pairs, unique_sources, update): every record's cluster after an
// add (labels: the untouched records' old persons, then new clusters numbered after them). What
// is clustered again is what the new evidence can reach: records are joined by the pairs and by
// having been one person, and every group that holds a record of source k, or a record of a
// person that held one, is clustered again (average linkage never joins records its pairs do
// not connect, so the other persons would come out as they are).
absl::StatusOr<std::vector<std::uint32_t>> Recluster(const PersonIndex& index,
                                                     const Renumbering& rn,
                                                     const std::vector<std::uint32_t>& previous,
                                                     const std::vector<solve::LinkedPair>& pairs,
                                                     std::span<const std::uint32_t> unique_sources,
                                                     IndexUpdate& update) {
  const std::vector<std::uint64_t>& first_old = rn.first_old;
  const std::vector<std::uint64_t>& first_new = rn.first_new;
  const std::size_t k = rn.k;
  const std::uint64_t records = first_new.back();
  std::vector<bool> touched_person(index.persons.size(), false);
  for (std::uint64_t r = first_old[k]; r < first_old[k + 1]; ++r) {
    touched_person[index.person[r]] = true;
  }
  UnionFind groups(records);
  std::vector<std::uint32_t> first_of_person(index.persons.size(), kGone);
  for (std::uint32_t r = 0; r < records; ++r) {
    if (previous[r] == kNoPerson) continue;
    std::uint32_t& f = first_of_person[previous[r]];
    if (f == kGone) {
      f = r;
    } else {
      groups.Join(f, r);
    }
  }
  for (const solve::LinkedPair& p : pairs) groups.Join(p.a, p.b);
  std::vector<bool> touched_group(records, false);
  for (std::uint64_t r = first_new[k]; r < first_new[k + 1]; ++r) {
    touched_group[groups.Find(static_cast<std::uint32_t>(r))] = true;
  }
  for (std::uint32_t r = 0; r < records; ++r) {
    if (previous[r] != kNoPerson && touched_person[previous[r]]) {
      touched_group[groups.Find(r)] = true;
    }
  }
  std::vector<std::uint32_t> local(records, kGone), members;
  for (std::uint32_t r = 0; r < records; ++r) {
    if (touched_group[groups.Find(r)]) {
      local[r] = static_cast<std::uint32_t>(members.size());
      members.push_back(r);
    }
  }
  update.records_reclustered = members.size();
  std::vector<std::uint32_t> sub_source(members.size()), sub_previous(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    sub_source[i] = rn.SourceOf(members[i]);
    sub_previous[i] = previous[members[i]] == kNoPerson ? solve::kNoPrevious : previous[members[i]];
  }
  std::vector<solve::LinkedPair> sub_pairs;
  for (const solve::LinkedPair& p : pairs) {
    if (local[p.a] != kGone) sub_pairs.push_back({local[p.a], local[p.b], p.probability});
  }
  solve::ClusterInput input{.records = static_cast<std::uint32_t>(members.size()),
                            .source = sub_source,
                            .unique_sources = unique_sources,
                            .previous = sub_previous};
  BLOOMLINK_ASSIGN_OR_RETURN(
      std::vector<std::uint32_t> sub_cluster,
      solve::ClusterRecords(input, sub_pairs,
                            {.method = solve::ClusterMethod::kAverageLink,
                             .threshold = index.settings.cluster_threshold,
                             .change_margin = index.settings.change_margin}));
  // Every record's cluster: the untouched keep their persons, the others take their new
  // clusters (numbered after every old person).
  const std::uint32_t offset = static_cast<std::uint32_t>(index.persons.size());
  std::vector<std::uint32_t> cluster(records);
  for (std::uint32_t r = 0; r < records; ++r) {
    cluster[r] = local[r] == kGone ? previous[r] : offset + sub_cluster[local[r]];
  }
  return cluster;
}

}  // namespace

std::uint64_t PersonIndex::FirstRecord(std::size_t k) const {
  std::uint64_t first = 0;
  for (std::size_t j = 0; j < k; ++j) first += sources[j].data.size();
  return first;
}

int PersonIndex::FindSource(std::string_view name) const {
  for (std::size_t k = 0; k < sources.size(); ++k) {
    if (sources[k].name == name) return static_cast<int>(k);
  }
  return -1;
}

absl::StatusOr<PersonIndex> BuildIndex(std::vector<NewSource> sources,
                                       const IndexSettings& settings, const RunOptions& run) {
  const double start = Seconds();
  BLOOMLINK_RETURN_IF_ERROR(CheckSettings(settings));
  for (const NewSource& s : sources) BLOOMLINK_RETURN_IF_ERROR(CheckNewSource(s));
  std::vector<IndexSource> views;
  for (const NewSource& s : sources) views.push_back({s.name, &s.data, s.unique.value_or(false)});
  IndexOptions options;
  options.link = LinkOptionsOf(settings, run);
  options.cluster = {.method = solve::ClusterMethod::kAverageLink,
                     .threshold = settings.cluster_threshold};
  BLOOMLINK_ASSIGN_OR_RETURN(PersonClusters clusters, ClusterSources(views, options));

  PersonIndex index;
  index.settings = settings;
  IndexUpdate update;
  update.generation = 1;
  update.time = NowOr(run.time);
  update.action = "build";
  for (NewSource& s : sources) {
    update.sources.push_back(s.name);
    update.records_added += s.data.size();
    if (!index.schema_fingerprint) index.schema_fingerprint = s.data.schema_fingerprint;
    if (!index.key_check) index.key_check = s.data.key_check;
    index.sources.push_back({.name = s.name,
                             .unique = s.unique.value_or(false),
                             .data = std::move(s.data),
                             .added = 1,
                             .refreshed = 1});
  }
  index.pairs = std::move(clusters.pairs);
  update.pairs_linked = index.pairs.size();
  update.records_reclustered = update.records_added;
  update.warnings = std::move(clusters.warnings);
  if (clusters.dice_links > 0) update.warnings.emplace_back(kDiceWarning);
  const std::vector<std::uint32_t> previous(clusters.cluster.size(), kNoPerson);
  BLOOMLINK_RETURN_IF_ERROR(Assign(index, previous, std::move(clusters.cluster), {}, run, update));
  update.seconds = Seconds() - start;
  index.history.push_back(std::move(update));
  return index;
}

absl::StatusOr<IndexUpdate> AddSource(PersonIndex& index, NewSource source, const RunOptions& run) {
  const double start = Seconds();
  BLOOMLINK_RETURN_IF_ERROR(CheckNewSource(source));
  BLOOMLINK_RETURN_IF_ERROR(CheckSettings(index.settings));
  if (index.sources.empty()) {
    return absl::FailedPreconditionError("person index: the index has no sources; build it first");
  }
  IndexUpdate update;
  update.generation = index.generation() + 1;
  update.time = NowOr(run.time);
  update.action = "add";
  update.sources = {source.name};
  // The same schema and secret as the index (its first source stands for it).
  BLOOMLINK_ASSIGN_OR_RETURN(
      update.warnings,
      link::CheckCompatible(index.sources[0].data,
                            StrCat("the index (source ", index.sources[0].name, ")"), source.data,
                            source.name));

  const int found = index.FindSource(source.name);
  const std::size_t k = found >= 0 ? static_cast<std::size_t>(found) : index.sources.size();
  const bool refresh = found >= 0;
  const bool unique = source.unique.value_or(refresh ? index.sources[k].unique : false);
  if (unique) {
    std::size_t unique_sources = 1;
    for (std::size_t j = 0; j < index.sources.size(); ++j) {
      if (j != k && index.sources[j].unique) ++unique_sources;
    }
    if (unique_sources > 64) {
      return absl::InvalidArgumentError("person index: more than 64 unique sources");
    }
  }
  const std::size_t n_sources = index.sources.size() + (refresh ? 0 : 1);
  // Record numbers before and after: every source keeps its place; source k's rows change.
  Renumbering renumbering;
  renumbering.k = k;
  renumbering.refresh = refresh;
  std::vector<std::uint64_t>& first_old = renumbering.first_old;
  std::vector<std::uint64_t>& first_new = renumbering.first_new;
  first_old.assign(n_sources + 1, 0);
  first_new.assign(n_sources + 1, 0);
  for (std::size_t j = 0; j < n_sources; ++j) {
    const std::size_t old_size =
        j < index.sources.size() && !(j == k && !refresh) ? index.sources[j].data.size() : 0;
    const std::size_t new_size = j == k ? source.data.size() : index.sources[j].data.size();
    first_old[j + 1] = first_old[j] + old_size;
    first_new[j + 1] = first_new[j] + new_size;
  }
  const std::uint64_t records = first_new[n_sources];
  if (records > 0xFFFFFFF0u) {
    return absl::InvalidArgumentError("person index: more than 4,294,967,280 records");
  }
  std::vector<std::uint32_t>& new_of_old = renumbering.new_of_old;
  new_of_old.assign(index.records(), kGone);
  for (std::size_t j = 0; j < n_sources; ++j) {
    if (j == k) continue;
    const std::uint64_t n = first_new[j + 1] - first_new[j];
    for (std::uint64_t r = 0; r < n; ++r) {
      new_of_old[first_old[j] + r] = static_cast<std::uint32_t>(first_new[j] + r);
    }
  }
  // Source k's records, matched by id: updated, unchanged, added; the rest retired.
  std::vector<std::uint32_t> previous(records, kNoPerson);
  std::vector<bool>& unchanged = renumbering.unchanged;
  unchanged.assign(records, true);
  if (refresh) {
    const EncodedDataset& old = index.sources[k].data;
    absl::flat_hash_map<std::string_view, std::uint32_t> old_row;
    old_row.reserve(old.size());
    for (std::uint32_t r = 0; r < old.size(); ++r) old_row.emplace(old.ids[r], r);
    for (std::uint32_t r = 0; r < source.data.size(); ++r) {
      const auto it = old_row.find(source.data.ids[r]);
      if (it == old_row.end()) {
        ++update.records_added;
        unchanged[first_new[k] + r] = false;
        continue;
      }
      const std::uint32_t o = it->second;
      new_of_old[first_old[k] + o] = static_cast<std::uint32_t>(first_new[k] + r);
      if (SameEncoding(old, o, source.data, r)) {
        ++update.records_unchanged;
      } else {
        ++update.records_updated;
        unchanged[first_new[k] + r] = false;
      }
    }
    update.records_retired = old.size() - update.records_unchanged - update.records_updated;
  } else {
    update.records_added = source.data.size();
    std::fill(unchanged.begin() + static_cast<std::ptrdiff_t>(first_new[k]), unchanged.end(),
              false);
  }
  for (std::uint64_t r = 0; r < index.records(); ++r) {
    if (new_of_old[r] != kGone) previous[new_of_old[r]] = index.person[r];
  }

  // The new evidence: the new extract linked with every other source, and with itself unless
  // it is unique. Each link is the one a build would make (the lower source on the left).
  std::vector<IndexSource> views(n_sources);
  for (std::size_t j = 0; j < n_sources; ++j) {
    if (j == k) {
      views[j] = {source.name, &source.data, unique};
    } else {
      views[j] = {index.sources[j].name, &index.sources[j].data, index.sources[j].unique};
    }
  }
  PersonClusters linked;
  const link::LinkOptions link_options = LinkOptionsOf(index.settings, run);
  for (std::size_t j = 0; j < n_sources; ++j) {
    if (j == k && unique) continue;
    const std::size_t x = std::min(j, k), y = std::max(j, k);
    BLOOMLINK_RETURN_IF_ERROR(AppendSourcePairs(views[x], static_cast<std::uint32_t>(first_new[x]),
                                                views[y], static_cast<std::uint32_t>(first_new[y]),
                                                link_options, &linked));
  }
  update.pairs_linked = linked.pairs.size();
  for (std::string& w : linked.warnings) update.warnings.push_back(std::move(w));
  if (linked.dice_links > 0) update.warnings.emplace_back(kDiceWarning);
  // The evidence, and what it changes.
  std::vector<solve::LinkedPair> pairs =
      Evidence(index.pairs, linked.pairs, renumbering, refresh && !index.sources[k].unique, update);
  std::vector<std::uint32_t> unique_sources;
  for (std::uint32_t j = 0; j < n_sources; ++j) {
    if (views[j].unique) unique_sources.push_back(j);
  }
  BLOOMLINK_ASSIGN_OR_RETURN(
      std::vector<std::uint32_t> cluster,
      Recluster(index, renumbering, previous, pairs, unique_sources, update));

  // Commit: from here on nothing fails but the ID assignment, which runs on copies.
  PersonIndex next;
  next.settings = index.settings;
  next.schema_fingerprint = index.schema_fingerprint;
  next.key_check = index.key_check;
  next.pairs = std::move(pairs);
  next.history = index.history;
  BLOOMLINK_RETURN_IF_ERROR(Assign(next, previous, std::move(cluster), index.persons, run, update));
  next.sources = std::move(index.sources);
  const std::uint64_t generation = update.generation;
  if (refresh) {
    next.sources[k].data = std::move(source.data);
    next.sources[k].unique = unique;
    next.sources[k].refreshed = generation;
  } else {
    next.sources.push_back({.name = source.name,
                            .unique = unique,
                            .data = std::move(source.data),
                            .added = generation,
                            .refreshed = generation});
  }
  update.seconds = Seconds() - start;
  next.history.push_back(update);
  index = std::move(next);
  return update;
}

}  // namespace bloomlink::index
