// Stable person IDs (bloomlink/index/stable_ids.hpp).
#include "bloomlink/index/stable_ids.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>

#include "internal/strings.hpp"

namespace bloomlink::index {

namespace {

// IdFromBytes(bytes): "P" and the 12 bytes in hex.
std::string IdFromBytes(const unsigned char* bytes) {
  std::string id = "P";
  for (int i = 0; i < 12; ++i) {
    const unsigned char b = bytes[i];
    id.push_back("0123456789abcdef"[b >> 4]);
    id.push_back("0123456789abcdef"[b & 15]);
  }
  return id;
}

void RandomBytes(unsigned char* out, int n) {
  if (RAND_bytes(out, n) != 1) {
    // OpenSSL's generator does not fail once seeded; if it ever does, no ID is better than a
    // guessable one.
    std::abort();
  }
}

}  // namespace

std::string_view IdEventKindName(IdEvent::Kind kind) {
  switch (kind) {
    case IdEvent::Kind::kNew:
      return "new";
    case IdEvent::Kind::kMerged:
      return "merged";
    case IdEvent::Kind::kSplit:
      return "split";
    case IdEvent::Kind::kRetired:
      return "retired";
  }
  return "?";
}

absl::StatusOr<IdEvent::Kind> ParseIdEventKind(std::string_view name) {
  for (IdEvent::Kind kind : {IdEvent::Kind::kNew, IdEvent::Kind::kMerged, IdEvent::Kind::kSplit,
                             IdEvent::Kind::kRetired}) {
    if (name == IdEventKindName(kind)) return kind;
  }
  return absl::InvalidArgumentError(internal::StrCat("unknown person event \"", name,
                                                     "\": expected new, merged, split or retired"));
}

std::string NewPersonId() {
  unsigned char bytes[12];
  RandomBytes(bytes, sizeof bytes);
  return IdFromBytes(bytes);
}

std::function<std::string()> PersonIdGenerator() {
  // One draw from the generator per 1,024 IDs: each RAND_bytes call has a fixed cost (a fork
  // check among others) that dominated a build of a million persons.
  struct Buffer {
    std::array<unsigned char, 12 * 1024> bytes;
    std::size_t used = 12 * 1024;
  };
  auto buffer = std::make_shared<Buffer>();
  return [buffer] {
    if (buffer->used == buffer->bytes.size()) {
      RandomBytes(buffer->bytes.data(), static_cast<int>(buffer->bytes.size()));
      buffer->used = 0;
    }
    std::string id = IdFromBytes(buffer->bytes.data() + buffer->used);
    std::fill_n(buffer->bytes.data() + buffer->used, 12, 0);  // drawn once, then forgotten
    buffer->used += 12;
    return id;
  };
}

absl::StatusOr<IdAssignment> CarryIds(std::span<const PreviousPerson> before,
                                      std::span<const std::uint32_t> previous_person,
                                      std::span<const std::uint32_t> cluster,
                                      const std::function<std::string()>& new_id) {
  if (previous_person.size() != cluster.size()) {
    return absl::InvalidArgumentError(
        internal::StrCat("person IDs: ", previous_person.size(), " previous persons for ",
                         cluster.size(), " clustered records; expected one of each per record"));
  }
  std::uint32_t clusters = 0;
  for (std::uint32_t c : cluster) clusters = std::max(clusters, c + 1);
  std::vector<bool> seen(clusters, false);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    seen[cluster[i]] = true;
    if (previous_person[i] != kNoPerson && previous_person[i] >= before.size()) {
      return absl::InvalidArgumentError(
          internal::StrCat("person IDs: record ", i, " names previous person ", previous_person[i],
                           " of ", before.size()));
    }
  }
  if (std::find(seen.begin(), seen.end(), false) != seen.end()) {
    return absl::InvalidArgumentError("person IDs: cluster labels must be 0..k-1 without gaps");
  }
  // overlap[(old, cluster)]: the old person's surviving records in each new cluster; the lowest
  // record of each cell breaks ties between equal parts.
  struct Cell {
    std::uint64_t records = 0;
    std::size_t first = 0;
  };
  std::map<std::pair<std::uint32_t, std::uint32_t>, Cell> overlap;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (previous_person[i] == kNoPerson) continue;
    Cell& cell = overlap[{previous_person[i], cluster[i]}];
    if (cell.records++ == 0) cell.first = i;
  }
  // home[old]: the new cluster holding most of its records (kNoPerson: none survive).
  std::vector<std::uint32_t> home(before.size(), kNoPerson);
  std::vector<Cell> best(before.size());
  std::vector<std::vector<std::uint32_t>> parts(before.size());  // the clusters it spread over
  for (const auto& [key, cell] : overlap) {
    const auto [old, c] = key;
    parts[old].push_back(c);
    Cell& b = best[old];
    if (home[old] == kNoPerson || cell.records > b.records ||
        (cell.records == b.records && cell.first < b.first)) {
      home[old] = c;
      b = cell;
    }
  }
  // The old IDs each new cluster is home to, oldest first.
  std::vector<std::vector<std::uint32_t>> homed(clusters);
  for (std::uint32_t old = 0; old < before.size(); ++old) {
    if (home[old] != kNoPerson) homed[home[old]].push_back(old);
  }
  IdAssignment out;
  out.person_of_cluster.resize(clusters);
  out.created.assign(clusters, false);
  std::vector<IdEvent> merges, splits, news, retired;
  for (std::uint32_t c = 0; c < clusters; ++c) {
    std::vector<std::uint32_t>& ids = homed[c];
    std::sort(ids.begin(), ids.end(), [&](std::uint32_t x, std::uint32_t y) {
      return before[x].created < before[y].created ||
             (before[x].created == before[y].created && before[x].id < before[y].id);
    });
    if (ids.empty()) {
      out.person_of_cluster[c] = new_id();
      out.created[c] = true;
      continue;
    }
    out.person_of_cluster[c] = before[ids.front()].id;
    if (ids.size() > 1) {
      IdEvent merge{IdEvent::Kind::kMerged, before[ids.front()].id, {}};
      for (std::size_t k = 1; k < ids.size(); ++k) merge.others.push_back(before[ids[k]].id);
      merges.push_back(std::move(merge));
    }
  }
  for (std::uint32_t old = 0; old < before.size(); ++old) {
    if (home[old] == kNoPerson) {
      retired.push_back({IdEvent::Kind::kRetired, before[old].id, {}});
      continue;
    }
    if (parts[old].size() < 2) continue;
    IdEvent split{IdEvent::Kind::kSplit, before[old].id, {}};
    for (std::uint32_t c : parts[old]) {
      if (c != home[old]) split.others.push_back(out.person_of_cluster[c]);
    }
    splits.push_back(std::move(split));
  }
  // A fresh cluster with no previous records is a new person; one made of records split off an
  // old person is reported by the split.
  std::vector<bool> has_old_records(clusters, false);
  for (const auto& [key, cell] : overlap) has_old_records[key.second] = true;
  for (std::uint32_t c = 0; c < clusters; ++c) {
    if (out.created[c] && !has_old_records[c]) {
      news.push_back({IdEvent::Kind::kNew, out.person_of_cluster[c], {}});
    }
  }
  const auto by_id = [](const IdEvent& x, const IdEvent& y) { return x.id < y.id; };
  std::sort(merges.begin(), merges.end(), by_id);
  std::sort(splits.begin(), splits.end(), by_id);
  out.merges = merges.size();
  out.splits = splits.size();
  out.new_persons = news.size();
  out.retired = retired.size();
  for (auto* list : {&merges, &splits, &news, &retired}) {
    for (IdEvent& e : *list) out.events.push_back(std::move(e));
  }
  return out;
}

}  // namespace bloomlink::index
