// The person index file (people.index), its lock (bloomlink/index/person_index.hpp). The layout
// is documented in docs/file-format.md, section 8; keep the two in step.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "bloomlink/index/person_index.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/io/encoded_file.hpp"
#include "internal/file_errors.hpp"
#include "internal/little_endian.hpp"
#include "internal/sha256.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "internal/utf8.hpp"
#include "io/input_file.hpp"
#include "nlohmann/json.hpp"

namespace bloomlink::index {
namespace {

using internal::StrCat;
using Tag = std::array<char, 4>;

// The preamble: 14 magic bytes (the .bloom trick: a non-ASCII first byte, CR LF, SUB, LF), then
// the format version (u32).
constexpr std::array<std::uint8_t, 14> kMagic = {0x89, 'B', 'L', 'O',  'O',  'M',  'I',
                                                 'N',  'D', 'X', '\r', '\n', 0x1a, '\n'};
constexpr std::uint32_t kIndexFileVersion = 1;
constexpr Tag kTagHead = {'H', 'E', 'A', 'D'};
constexpr Tag kTagMeta = {'M', 'E', 'T', 'A'};
constexpr Tag kTagSource = {'S', 'R', 'C', ' '};
constexpr Tag kTagRecords = {'R', 'E', 'C', 'S'};
constexpr Tag kTagPersons = {'P', 'R', 'S', 'N'};
constexpr Tag kTagPairs = {'P', 'A', 'I', 'R'};
constexpr Tag kTagEnd = {'E', 'N', 'D', ' '};
constexpr std::uint64_t kHeadBytes = 4 + 32 + 32 + 4 + 8 + 8 + 8;
constexpr std::uint32_t kFlagFingerprint = 1, kFlagKeyCheck = 2, kFlagUnique = 1;
constexpr std::size_t kPersonIdBytes = 25;  // "P" and 24 hex digits
constexpr std::uint64_t kPersonBytes = 8 + kPersonIdBytes;
constexpr std::uint64_t kRecordBytes = 8, kPairBytes = 12;
constexpr std::uint32_t kMaxSources = 4096;
constexpr std::uint64_t kMaxMetaBytes = std::uint64_t{1} << 30;

using internal::GetU32;
using internal::GetU64;
using internal::PutU32;
using internal::PutU64;
void PutF32(std::string& out, float v) { PutU32(out, std::bit_cast<std::uint32_t>(v)); }

// Meta(index): the settings and the history, as JSON (small, and readable with any tool).
std::string Meta(const PersonIndex& index) {
  nlohmann::ordered_json settings = {
      {"method", std::string(link::MethodName(index.settings.method))},
      {"blocking", std::string(match::BlockingName(index.settings.blocking))},
      {"cluster", "average-link"},
      {"cluster_threshold", index.settings.cluster_threshold},
      {"change_margin", index.settings.change_margin}};
  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  for (const IndexUpdate& u : index.history) {
    nlohmann::ordered_json events = nlohmann::ordered_json::array();
    for (const IdEvent& e : u.events) {
      events.push_back(
          {{"kind", std::string(IdEventKindName(e.kind))}, {"id", e.id}, {"others", e.others}});
    }
    nlohmann::ordered_json entry = {{"generation", u.generation},
                                    {"time", u.time},
                                    {"action", u.action},
                                    {"sources", u.sources}};
    for (const auto& [name, count] : kIndexUpdateCounts) entry[std::string(name)] = u.*count;
    entry["seconds"] = u.seconds;
    entry["events"] = events;
    entry["warnings"] = u.warnings;
    history.push_back(std::move(entry));
  }
  return nlohmann::ordered_json{{"settings", settings}, {"history", history}}.dump();
}

absl::Status ParseMeta(std::string_view text, PersonIndex& index) {
  const nlohmann::json meta = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (meta.is_discarded() || !meta.is_object()) {
    return absl::InvalidArgumentError("section META is not valid JSON");
  }
  try {
    const nlohmann::json& s = meta.at("settings");
    BLOOMLINK_ASSIGN_OR_RETURN(index.settings.method,
                               link::ParseMethod(s.at("method").get<std::string>()));
    BLOOMLINK_ASSIGN_OR_RETURN(index.settings.blocking,
                               match::ParseBlocking(s.at("blocking").get<std::string>()));
    index.settings.cluster_threshold = s.at("cluster_threshold").get<double>();
    index.settings.change_margin = s.at("change_margin").get<double>();
    if (!(index.settings.cluster_threshold > 0 && index.settings.cluster_threshold <= 1 &&
          index.settings.change_margin >= 0 &&
          index.settings.change_margin < index.settings.cluster_threshold)) {
      return absl::InvalidArgumentError("section META: the cluster settings are out of range");
    }
    std::uint64_t generation = 0;
    for (const nlohmann::json& h : meta.at("history")) {
      IndexUpdate u;
      u.generation = h.at("generation").get<std::uint64_t>();
      if (u.generation != generation + 1) {
        return absl::InvalidArgumentError(
            "section META: the history's generations are not 1, 2, ...");
      }
      generation = u.generation;
      u.time = h.at("time").get<std::int64_t>();
      u.action = h.at("action").get<std::string>();
      u.sources = h.at("sources").get<std::vector<std::string>>();
      for (const auto& [name, count] : kIndexUpdateCounts) {
        u.*count = h.at(std::string(name)).get<std::uint64_t>();
      }
      u.seconds = h.at("seconds").get<double>();
      for (const nlohmann::json& e : h.at("events")) {
        IdEvent event;
        BLOOMLINK_ASSIGN_OR_RETURN(event.kind, ParseIdEventKind(e.at("kind").get<std::string>()));
        event.id = e.at("id").get<std::string>();
        event.others = e.at("others").get<std::vector<std::string>>();
        u.events.push_back(std::move(event));
      }
      u.warnings = h.at("warnings").get<std::vector<std::string>>();
      index.history.push_back(std::move(u));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(StrCat("section META: ", e.what()));
  }
  if (index.history.empty()) return absl::InvalidArgumentError("section META: no history");
  return absl::OkStatus();
}

// TagName(tag): the tag as messages show it (without its padding space).
std::string_view TagName(const Tag& tag) {
  std::string_view name(tag.data(), tag.size());
  return name.substr(0, name.find_last_not_of(' ') + 1);
}

// Writer: the index's bytes to the file and to the checksum that ends it.
class Writer {
 public:
  explicit Writer(io::AtomicFileWriter& out) : out_(out) {}
  absl::Status Put(const void* data, std::size_t size) {
    sha_.Update(data, size);
    return out_.Write(data, size);
  }
  absl::Status Put(std::string_view s) { return Put(s.data(), s.size()); }
  absl::Status Section(const Tag& tag, std::uint64_t len) {
    std::string buf(tag.data(), tag.size());
    PutU64(buf, len);
    return Put(buf);
  }
  absl::Status Finish() {
    BLOOMLINK_ASSIGN_OR_RETURN(internal::Sha256::Digest digest, sha_.Final());
    BLOOMLINK_RETURN_IF_ERROR(out_.Write(digest.data(), digest.size()));
    return out_.Commit();
  }

 private:
  io::AtomicFileWriter& out_;
  internal::Sha256 sha_;
};

// Reader: the index file in order, hashed as it is read.
class Reader {
 public:
  explicit Reader(io_internal::InputFile& in) : in_(in) {}
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(StrCat(in_.path(), ": ", what));
  }
  absl::Status Read(void* dst, std::size_t n, bool hash = true) {
    BLOOMLINK_RETURN_IF_ERROR(in_.ReadExactly(dst, n));
    if (hash) sha_.Update(dst, n);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> ReadString(std::uint64_t n) {
    std::string s(n, '\0');
    BLOOMLINK_RETURN_IF_ERROR(Read(s.data(), n));
    return s;
  }
  // Section(expected): the next section's length, checked against what is left of the file.
  absl::StatusOr<std::uint64_t> Section(const Tag& expected) {
    if (in_.remaining() < 12) {
      return Error(
          StrCat("the file ends before section ", TagName(expected), " (it is truncated)"));
    }
    char buf[12];
    BLOOMLINK_RETURN_IF_ERROR(Read(buf, 12));
    if (std::memcmp(buf, expected.data(), 4) != 0) {
      return Error(StrCat("expected section ", TagName(expected), " at byte ", in_.offset() - 12,
                          "; the file is damaged"));
    }
    const std::uint64_t len = GetU64(buf + 4);
    if (len > in_.remaining()) {
      return Error(StrCat("section ", TagName(expected), " is ", len, " bytes but only ",
                          in_.remaining(), " are left in the file (it is truncated)"));
    }
    return len;
  }
  absl::StatusOr<internal::Sha256::Digest> Checksum() { return sha_.Final(); }
  io_internal::InputFile& in() { return in_; }

 private:
  io_internal::InputFile& in_;
  internal::Sha256 sha_;
};

bool IsPersonId(std::string_view id) {
  if (id.size() != kPersonIdBytes || id[0] != 'P') return false;
  return std::all_of(id.begin() + 1, id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

absl::Status WriteIndexFile(const PersonIndex& index, const std::string& path) {
  const std::uint64_t records = index.records();
  if (index.confidence.size() != records || index.sources.empty()) {
    return absl::InvalidArgumentError(StrCat(path, ": cannot write: the index is incomplete"));
  }
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter out, io::AtomicFileWriter::Create(path));
  Writer w(out);
  std::string buf(reinterpret_cast<const char*>(kMagic.data()), kMagic.size());
  PutU32(buf, kIndexFileVersion);
  BLOOMLINK_RETURN_IF_ERROR(w.Put(buf));

  buf.clear();
  const Digest zero{};
  PutU32(buf,
         (index.schema_fingerprint ? kFlagFingerprint : 0) | (index.key_check ? kFlagKeyCheck : 0));
  for (const std::optional<Digest>& d : {index.schema_fingerprint, index.key_check}) {
    const Digest& v = d ? *d : zero;
    buf.append(reinterpret_cast<const char*>(v.data()), v.size());
  }
  PutU32(buf, static_cast<std::uint32_t>(index.sources.size()));
  PutU64(buf, records);
  PutU64(buf, index.persons.size());
  PutU64(buf, index.pairs.size());
  BLOOMLINK_RETURN_IF_ERROR(w.Section(kTagHead, buf.size()));
  BLOOMLINK_RETURN_IF_ERROR(w.Put(buf));

  const std::string meta = Meta(index);
  BLOOMLINK_RETURN_IF_ERROR(w.Section(kTagMeta, meta.size()));
  BLOOMLINK_RETURN_IF_ERROR(w.Put(meta));

  const auto put = [&w](const void* data, std::size_t size) { return w.Put(data, size); };
  for (const IndexedSource& s : index.sources) {
    buf.clear();
    PutU32(buf, static_cast<std::uint32_t>(s.name.size()));
    buf += s.name;
    PutU32(buf, s.unique ? kFlagUnique : 0);
    PutU64(buf, s.added);
    PutU64(buf, s.refreshed);
    BLOOMLINK_RETURN_IF_ERROR(w.Section(kTagSource, buf.size() + io::EncodedFileBytes(s.data)));
    BLOOMLINK_RETURN_IF_ERROR(w.Put(buf));
    BLOOMLINK_RETURN_IF_ERROR(
        io::WriteEncodedTo(s.data, StrCat(path, ": cannot write source ", s.name), put));
  }

  // Fixed-size rows, written in chunks.
  const auto rows = [&](const Tag& tag, std::uint64_t count, std::uint64_t row_bytes,
                        const auto& row) -> absl::Status {
    BLOOMLINK_RETURN_IF_ERROR(w.Section(tag, count * row_bytes));
    std::string chunk;
    for (std::uint64_t i = 0; i < count; ++i) {
      row(chunk, i);
      if (chunk.size() >= (std::size_t{1} << 20)) {
        BLOOMLINK_RETURN_IF_ERROR(w.Put(chunk));
        chunk.clear();
      }
    }
    return w.Put(chunk);
  };
  BLOOMLINK_RETURN_IF_ERROR(rows(kTagRecords, records, kRecordBytes, [&](std::string& c, auto i) {
    PutU32(c, index.person[i]);
    PutF32(c, index.confidence[i]);
  }));
  BLOOMLINK_RETURN_IF_ERROR(
      rows(kTagPersons, index.persons.size(), kPersonBytes, [&](std::string& c, auto i) {
        PutU64(c, index.persons[i].created);
        c += index.persons[i].id;
        c.resize(c.size() + kPersonIdBytes - index.persons[i].id.size(), '\0');
      }));
  BLOOMLINK_RETURN_IF_ERROR(
      rows(kTagPairs, index.pairs.size(), kPairBytes, [&](std::string& c, auto i) {
        PutU32(c, index.pairs[i].a);
        PutU32(c, index.pairs[i].b);
        PutF32(c, index.pairs[i].probability);
      }));
  BLOOMLINK_RETURN_IF_ERROR(w.Section(kTagEnd, 32));
  return w.Finish();
}

absl::StatusOr<PersonIndex> ReadIndexFile(const std::string& path) {
  BLOOMLINK_ASSIGN_OR_RETURN(io_internal::InputFile in,
                             io_internal::InputFile::Open(path, {.regular_only = true}));
  Reader r(in);
  std::array<char, kMagic.size() + 4> preamble{};
  if (in.size() < preamble.size()) return r.Error("not a bloomlink person index (too short)");
  BLOOMLINK_RETURN_IF_ERROR(r.Read(preamble.data(), preamble.size()));
  if (std::memcmp(preamble.data(), kMagic.data(), kMagic.size()) != 0) {
    return r.Error("not a bloomlink person index (make one with `bloomlink index build`)");
  }
  const std::uint32_t version = GetU32(preamble.data() + kMagic.size());
  if (version == 0 || version > kIndexFileVersion) {
    return r.Error(StrCat("index format version ", version,
                          " was made by a newer bloomlink (this one reads up to ",
                          kIndexFileVersion, ")"));
  }

  PersonIndex index;
  BLOOMLINK_ASSIGN_OR_RETURN(std::uint64_t len, r.Section(kTagHead));
  if (len != kHeadBytes)
    return r.Error(StrCat("section HEAD is ", len, " bytes; expected ", kHeadBytes));
  BLOOMLINK_ASSIGN_OR_RETURN(std::string head, r.ReadString(len));
  const std::uint32_t flags = GetU32(head.data());
  if ((flags & ~(kFlagFingerprint | kFlagKeyCheck)) != 0)
    return r.Error("section HEAD: unknown flags");
  Digest digest;
  std::memcpy(digest.data(), head.data() + 4, 32);
  if (flags & kFlagFingerprint) index.schema_fingerprint = digest;
  std::memcpy(digest.data(), head.data() + 36, 32);
  if (flags & kFlagKeyCheck) index.key_check = digest;
  const std::uint32_t sources = GetU32(head.data() + 68);
  const std::uint64_t records = GetU64(head.data() + 72);
  const std::uint64_t persons = GetU64(head.data() + 80);
  const std::uint64_t pairs = GetU64(head.data() + 88);
  if (sources == 0 || sources > kMaxSources) {
    return r.Error(StrCat("section HEAD: ", sources, " sources; expected 1 to ", kMaxSources));
  }
  // Every count against the file's size before anything is allocated for it.
  if (records > in.remaining() / kRecordBytes || persons > in.remaining() / kPersonBytes ||
      pairs > in.remaining() / kPairBytes || persons > records || records > 0xFFFFFFF0u) {
    return r.Error("section HEAD: the counts do not fit the file (it is truncated or damaged)");
  }

  BLOOMLINK_ASSIGN_OR_RETURN(len, r.Section(kTagMeta));
  if (len > kMaxMetaBytes) return r.Error("section META is over 1 GiB");
  BLOOMLINK_ASSIGN_OR_RETURN(std::string meta, r.ReadString(len));
  if (absl::Status s = ParseMeta(meta, index); !s.ok()) return r.Error(std::string(s.message()));

  std::set<std::string> names;
  std::uint64_t total = 0;
  for (std::uint32_t k = 0; k < sources; ++k) {
    BLOOMLINK_ASSIGN_OR_RETURN(len, r.Section(kTagSource));
    char fixed[4];
    if (len < 4 + 4 + 16) return r.Error(StrCat("source #", k, ": section SRC is too short"));
    BLOOMLINK_RETURN_IF_ERROR(r.Read(fixed, 4));
    const std::uint32_t name_len = GetU32(fixed);
    if (name_len == 0 || name_len > 1024 || name_len > len - 24) {
      return r.Error(StrCat("source #", k, ": the name's length ", name_len, " is out of range"));
    }
    IndexedSource s;
    BLOOMLINK_ASSIGN_OR_RETURN(s.name, r.ReadString(name_len));
    if (!internal::IsValidUtf8(s.name) || !names.insert(s.name).second) {
      return r.Error(StrCat("source #", k, ": its name is not valid UTF-8 or is repeated"));
    }
    char rest[20];
    BLOOMLINK_RETURN_IF_ERROR(r.Read(rest, 20));
    const std::uint32_t source_flags = GetU32(rest);
    if ((source_flags & ~kFlagUnique) != 0) {
      return r.Error(StrCat("source ", s.name, ": unknown flags"));
    }
    s.unique = (source_flags & kFlagUnique) != 0;
    s.added = GetU64(rest + 4);
    s.refreshed = GetU64(rest + 12);
    BLOOMLINK_ASSIGN_OR_RETURN(std::string bloom, r.ReadString(len - 24 - name_len));
    BLOOMLINK_ASSIGN_OR_RETURN(
        s.data, io::ParseEncodedBytes(std::move(bloom), StrCat(path, ": source ", s.name)));
    if (s.data.schema_fingerprint != index.schema_fingerprint ||
        s.data.key_check != index.key_check) {
      return r.Error(
          StrCat("source ", s.name, " was encoded with another schema or secret than the index"));
    }
    if (s.added == 0 || s.refreshed < s.added || s.refreshed > index.generation()) {
      return r.Error(StrCat("source ", s.name, ": its generations do not fit the history"));
    }
    total += s.data.size();
    index.sources.push_back(std::move(s));
  }
  if (total != records) {
    return r.Error(StrCat("the sources hold ", total, " records but section HEAD says ", records));
  }

  const auto rows = [&](const Tag& tag, std::uint64_t count, std::uint64_t row_bytes,
                        const auto& row) -> absl::Status {
    BLOOMLINK_ASSIGN_OR_RETURN(std::uint64_t n, r.Section(tag));
    if (n != count * row_bytes) {
      return r.Error(
          StrCat("section ", TagName(tag), " is ", n, " bytes; expected ", count * row_bytes));
    }
    std::string chunk;
    const std::uint64_t per_chunk =
        std::max<std::uint64_t>(1, (std::uint64_t{1} << 20) / row_bytes);
    for (std::uint64_t i = 0; i < count;) {
      const std::uint64_t take = std::min(per_chunk, count - i);
      chunk.resize(take * row_bytes);
      BLOOMLINK_RETURN_IF_ERROR(r.Read(chunk.data(), chunk.size()));
      for (std::uint64_t j = 0; j < take; ++j, ++i) {
        BLOOMLINK_RETURN_IF_ERROR(row(chunk.data() + j * row_bytes, i));
      }
    }
    return absl::OkStatus();
  };
  index.person.resize(records);
  index.confidence.resize(records);
  BLOOMLINK_RETURN_IF_ERROR(rows(kTagRecords, records, kRecordBytes, [&](const char* p, auto i) {
    index.person[i] = GetU32(p);
    index.confidence[i] = std::bit_cast<float>(GetU32(p + 4));
    if (index.person[i] >= persons || !(index.confidence[i] >= 0 && index.confidence[i] <= 1)) {
      return r.Error(StrCat("record ", i, ": its person or confidence is out of range"));
    }
    return absl::OkStatus();
  }));
  index.persons.resize(persons);
  absl::flat_hash_set<std::string_view> ids;
  BLOOMLINK_RETURN_IF_ERROR(rows(kTagPersons, persons, kPersonBytes, [&](const char* p, auto i) {
    Person& person = index.persons[i];
    person.created = GetU64(p);
    person.id.assign(p + 8, kPersonIdBytes);
    if (!IsPersonId(person.id) || person.created == 0 || person.created > index.generation()) {
      return r.Error(StrCat("person ", i, ": its ID or generation is not valid"));
    }
    return absl::OkStatus();
  }));
  for (const Person& p : index.persons) {
    if (!ids.insert(p.id).second) return r.Error(StrCat("person ", p.id, " is listed twice"));
  }
  std::vector<bool> used(persons, false);
  for (std::uint32_t p : index.person) used[p] = true;
  if (std::find(used.begin(), used.end(), false) != used.end()) {
    return r.Error("a person holds no records");
  }
  index.pairs.resize(pairs);
  BLOOMLINK_RETURN_IF_ERROR(rows(kTagPairs, pairs, kPairBytes, [&](const char* p, auto i) {
    solve::LinkedPair& pair = index.pairs[i];
    pair = {GetU32(p), GetU32(p + 4), std::bit_cast<float>(GetU32(p + 8))};
    if (pair.a >= records || pair.b >= records || pair.a == pair.b ||
        !(pair.probability >= 0 && pair.probability <= 1)) {
      return r.Error(StrCat("pair ", i, " is out of range"));
    }
    return absl::OkStatus();
  }));
  BLOOMLINK_ASSIGN_OR_RETURN(len, r.Section(kTagEnd));
  if (len != 32) return r.Error("section END is not 32 bytes");
  BLOOMLINK_ASSIGN_OR_RETURN(internal::Sha256::Digest computed, r.Checksum());
  internal::Sha256::Digest stored;
  BLOOMLINK_RETURN_IF_ERROR(r.Read(stored.data(), stored.size(), /*hash=*/false));
  if (in.remaining() != 0) return r.Error("bytes follow section END");
  if (stored != computed) {
    return r.Error(
        "the checksum does not match: the file was damaged or altered after it was written");
  }
  return index;
}

absl::StatusOr<IndexLock> IndexLock::Acquire(const std::string& index_path) {
  const std::string lock_path = StrCat(index_path, ".lock");
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return internal::FileError(errno, lock_path, "cannot open the index's lock file");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          StrCat(index_path, ": another process is updating this index (", lock_path,
                 " is locked); run again when it has finished"));
    }
    return internal::FileError(error, lock_path, "cannot lock the index");
  }
  return IndexLock(fd);
}

IndexLock::~IndexLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace bloomlink::index
