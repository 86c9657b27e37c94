// bloomlink's native encoded-file format. docs/file-format.md describes the byte layout; this file
// is its only reader and writer.
//
// Reading is in three passes over what the file says, so that each fault gets the most useful
// message: (1) the layout, section by section, where every declared length is checked against
// the header's counts and the bytes left in the file before anything is allocated or read;
// (2) the checksum, computed while reading, compared at the END section; (3) the contents (ids,
// padding bits, field names), checked only once the checksum has matched, so a flipped byte in
// the data is reported as corruption rather than as a strange id.
#include "bloomlink/io/encoded_file.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <utility>

#include "bloomlink/io/atomic_file.hpp"
#include "bloomlink/io/clk_json.hpp"
#include "internal/little_endian.hpp"
#include "internal/sha256.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"
#include "internal/utf8.hpp"
#include "io/input_file.hpp"

namespace bloomlink::io {
namespace {

using internal::StrCat;

// The preamble: 14 magic bytes, then the format version (u32). The magic starts with a non-ASCII
// byte and contains CR LF, SUB and LF so that text-mode transfers and truncation to 7 bits are
// caught at once (the PNG trick).
constexpr std::array<std::uint8_t, 14> kMagic = {0x89, 'B', 'L', 'O',  'O',  'M',  'L',
                                                 'I',  'N', 'K', '\r', '\n', 0x1a, '\n'};
constexpr std::size_t kPreambleBytes = kMagic.size() + 4;
// Every section starts with a 4-byte tag and a u64 payload length.
constexpr std::size_t kSectionHeaderBytes = 12;
constexpr std::size_t kHeadBytes = 96;
constexpr std::size_t kFieldFilterFixedBytes = 12;
constexpr std::size_t kChecksumBytes = 32;

constexpr std::uint32_t kFlagFingerprint = 1u << 0;
constexpr std::uint32_t kFlagKeyCheck = 1u << 1;
constexpr std::uint32_t kKnownFlags = kFlagFingerprint | kFlagKeyCheck;

using Tag = std::array<char, 4>;
constexpr Tag kTagHead = {'H', 'E', 'A', 'D'};
constexpr Tag kTagIds = {'I', 'D', 'S', ' '};
constexpr Tag kTagClks = {'C', 'L', 'K', 'S'};
constexpr Tag kTagField = {'F', 'F', 'L', 'T'};
constexpr Tag kTagEnd = {'E', 'N', 'D', ' '};
// Keyed blocking tokens: ancillary (lower-case), so a reader that predates them skips them.
constexpr Tag kTagBlocking = {'b', 'k', 'e', 'y'};
// "The ids are keyed pseudonyms": ancillary, a u32 scheme (1: bloomlink/encode/decoys.hpp).
constexpr Tag kTagPseudonymous = {'p', 'i', 'd', 's'};
constexpr std::uint32_t kPseudonymScheme = 1;

constexpr std::size_t kChunkBytes = std::size_t{4} << 20;

using internal::GetU32;
using internal::GetU64;
using internal::PutU32;
using internal::PutU64;
using internal::Sha256;

// ---- messages --------------------------------------------------------------------------------

bool IsAncillary(const Tag& tag) { return tag[0] >= 'a' && tag[0] <= 'z'; }

// TagName(tag) is the tag without trailing spaces, with unprintable bytes escaped.
std::string TagName(const Tag& tag) {
  std::size_t len = 4;
  while (len > 0 && tag[len - 1] == ' ') --len;
  std::string out;
  for (std::size_t i = 0; i < len; ++i) {
    auto c = static_cast<unsigned char>(tag[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string SectionName(const Tag& tag) { return StrCat("section ", TagName(tag)); }

// QuoteForMessage(s) is `s` in double quotes with quotes, backslashes and control characters
// escaped and anything past 80 bytes elided (s is valid UTF-8 when this is called).
std::string QuoteForMessage(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  std::size_t limit = std::min<std::size_t>(s.size(), 80);
  // Do not cut a multi-byte character in half.
  while (limit < s.size() && limit > 0 && (static_cast<unsigned char>(s[limit]) & 0xC0) == 0x80) {
    --limit;
  }
  for (std::size_t i = 0; i < limit; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  if (limit < s.size()) out += StrCat(" (first ", limit, " of ", s.size(), " bytes)");
  return out;
}

// ---- content checks (shared by the reader and ValidateEncodedDataset) ------------------------

absl::Status CheckIds(const std::vector<std::string>& ids, std::string_view prefix) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    if (id.empty()) {
      return absl::InvalidArgumentError(StrCat(prefix, ": record ", i, " has an empty id"));
    }
    if (id.size() > kMaxIdBytes) {
      return absl::InvalidArgumentError(StrCat(prefix, ": the id of record ", i, " is ", id.size(),
                                               " bytes, over the limit of ", kMaxIdBytes));
    }
    if (!internal::IsValidUtf8(id)) {
      return absl::InvalidArgumentError(
          StrCat(prefix, ": the id of record ", i, " is not valid UTF-8"));
    }
    // Ids come from CSV columns, which never hold a NUL (the CSV readers refuse one): a .bloom id
    // with one could not be written to the CSV formats and read back.
    if (id.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          StrCat(prefix, ": the id of record ", i, " contains a NUL byte"));
    }
  }
  // Duplicates: open addressing over record indices (+1; 0 marks an empty slot).
  if (ids.size() < 2) return absl::OkStatus();
  const std::size_t capacity = std::bit_ceil(ids.size() * 2);
  const std::size_t mask = capacity - 1;
  std::vector<std::size_t> slots(capacity, 0);
  std::hash<std::string_view> hash;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    std::string_view id = ids[i];
    std::size_t pos = hash(id) & mask;
    while (slots[pos] != 0) {
      std::size_t j = slots[pos] - 1;
      if (ids[j] == id) {
        return absl::InvalidArgumentError(StrCat(prefix, ": duplicate id ", QuoteForMessage(id),
                                                 " at records ", j, " and ", i,
                                                 " (counting from 0); ids must be unique"));
      }
      pos = (pos + 1) & mask;
    }
    slots[pos] = i + 1;
  }
  return absl::OkStatus();
}

// CheckPadding(m, prefix, what): every bit of every row beyond m.bits() is zero.
absl::Status CheckPadding(const BitMatrix& m, std::string_view prefix, std::string_view what) {
  const std::size_t full = m.bits() / 8;
  const unsigned rem = static_cast<unsigned>(m.bits() % 8);
  const std::size_t used = m.words_per_row() * 8;
  const std::uint8_t partial_mask = rem == 0 ? 0 : static_cast<std::uint8_t>(0xFFu >> rem);
  for (std::size_t r = 0; r < m.rows(); ++r) {
    const std::uint8_t* row = m.row_bytes(r);
    bool bad = rem != 0 && (row[full] & partial_mask) != 0;
    for (std::size_t b = full + (rem != 0 ? 1 : 0); !bad && b < used; ++b) bad = row[b] != 0;
    if (bad) {
      return absl::InvalidArgumentError(StrCat(prefix, ": record ", r, ": ", what,
                                               " has non-zero bits beyond its length of ", m.bits(),
                                               " bits (padding bits must be zero)"));
    }
  }
  return absl::OkStatus();
}

// CheckRuleNames(names, prefix): blocking rule names, as field names are checked.
absl::Status CheckRuleNames(const std::vector<std::string>& names, std::string_view prefix) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (name.empty() || name.size() > kMaxFieldNameBytes || !internal::IsValidUtf8(name)) {
      return absl::InvalidArgumentError(StrCat(prefix, ": the name of blocking rule #", i,
                                               " is empty, over ", kMaxFieldNameBytes,
                                               " bytes or not valid UTF-8"));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (names[j] == name) {
        return absl::InvalidArgumentError(StrCat(prefix, ": blocking rule ", QuoteForMessage(name),
                                                 " is named twice (#", j, " and #", i, ")"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFieldNames(const std::vector<std::string>& names, std::string_view prefix) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (name.empty()) {
      return absl::InvalidArgumentError(
          StrCat(prefix, ": field filters #", i, " have an empty field name"));
    }
    if (name.size() > kMaxFieldNameBytes) {
      return absl::InvalidArgumentError(StrCat(prefix, ": the field name of field filters #", i,
                                               " is ", name.size(), " bytes, over the limit of ",
                                               kMaxFieldNameBytes));
    }
    if (!internal::IsValidUtf8(name)) {
      return absl::InvalidArgumentError(
          StrCat(prefix, ": the field name of field filters #", i, " is not valid UTF-8"));
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (names[j] == name) {
        return absl::InvalidArgumentError(StrCat(prefix, ": field ", QuoteForMessage(name),
                                                 " has field filters twice (#", j, " and #", i,
                                                 ")"));
      }
    }
  }
  return absl::OkStatus();
}

using io_internal::InputFile;

// ---- reader ----------------------------------------------------------------------------------

enum class Mode { kFull, kHeaderVerify, kHeaderOnly };

class Parser {
 public:
  Parser(InputFile& in, Mode mode) : in_(in), mode_(mode), hashing_(mode != Mode::kHeaderOnly) {}

  absl::Status Run();

  EncodedFileHeader header;
  EncodedDataset dataset;

 private:
  enum class Stage { kHead, kIds, kClks, kFields, kEnd, kDone };

  absl::Status Error(std::string_view where, std::string_view what) const {
    return absl::InvalidArgumentError(StrCat(in_.path(), ": ", where, ": ", what));
  }
  absl::Status ReadHashed(void* dst, std::size_t n) {
    BLOOMLINK_RETURN_IF_ERROR(in_.ReadExactly(dst, n));
    if (hashing_) sha_.Update(dst, n);
    return absl::OkStatus();
  }
  absl::Status SkipPayload(std::uint64_t n);
  absl::Status ReadPreamble();
  absl::Status ReadHead(std::uint64_t len);
  absl::Status ReadIds(std::uint64_t len);
  absl::Status ReadClks(std::uint64_t len);
  absl::Status ReadFieldFilters(std::uint64_t len);
  absl::Status ReadEnd(std::uint64_t len);
  absl::Status ReadBlockingKeys(std::uint64_t len);
  absl::Status ReadPseudonymous(std::uint64_t len);
  absl::Status ReadRows(BitMatrix& m);
  absl::Status CheckContents();
  static Tag ExpectedTag(Stage stage);

  InputFile& in_;
  Mode mode_;
  bool hashing_;
  Sha256 sha_;
  Stage stage_ = Stage::kHead;
  std::uint32_t field_sections_ = 0;
  bool blocking_read_ = false;
  bool pseudonymous_read_ = false;
};

Tag Parser::ExpectedTag(Stage stage) {
  switch (stage) {
    case Stage::kHead:
      return kTagHead;
    case Stage::kIds:
      return kTagIds;
    case Stage::kClks:
      return kTagClks;
    case Stage::kFields:
      return kTagField;
    default:
      return kTagEnd;
  }
}

absl::Status Parser::SkipPayload(std::uint64_t n) {
  if (!hashing_) return in_.Skip(n);
  std::vector<std::uint8_t> buffer(
      static_cast<std::size_t>(std::min<std::uint64_t>(n, kChunkBytes)));
  while (n > 0) {
    std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(n, buffer.size()));
    BLOOMLINK_RETURN_IF_ERROR(ReadHashed(buffer.data(), chunk));
    n -= chunk;
  }
  return absl::OkStatus();
}

absl::Status Parser::ReadPreamble() {
  const std::string& path = in_.path();
  if (in_.size() == 0) {
    return absl::InvalidArgumentError(
        StrCat(path, ": not a bloomlink encoded file (the file is empty)"));
  }
  std::array<std::uint8_t, kPreambleBytes> buf{};
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(in_.size(), buf.size()));
  BLOOMLINK_RETURN_IF_ERROR(ReadHashed(buf.data(), n));
  if (std::memcmp(buf.data(), kMagic.data(), std::min(n, kMagic.size())) != 0) {
    return absl::InvalidArgumentError(StrCat(
        path, ": not a bloomlink encoded file (its first bytes are not the bloomlink magic)"));
  }
  if (n < kPreambleBytes) {
    return Error("preamble",
                 StrCat("truncated: the file is ", in_.size(), " bytes, shorter than the ",
                        kPreambleBytes, "-byte preamble (magic and format version)"));
  }
  const std::uint32_t version = GetU32(buf.data() + kMagic.size());
  if (version == 0) return Error("preamble", "format version 0 is not valid");
  if (version > kEncodedFileVersion) {
    return Error("preamble", StrCat("the file was made by a newer bloomlink (format version ",
                                    version, "; this bloomlink reads versions up to ",
                                    kEncodedFileVersion, "); upgrade bloomlink to read it"));
  }
  header.version = version;
  return absl::OkStatus();
}

absl::Status Parser::ReadHead(std::uint64_t len) {
  const std::string where = "section HEAD";
  if (len != kHeadBytes) {
    return Error(where, StrCat("the section is ", len, " bytes; expected ", kHeadBytes));
  }
  std::array<std::uint8_t, kHeadBytes> buf;
  BLOOMLINK_RETURN_IF_ERROR(ReadHashed(buf.data(), buf.size()));
  const std::uint32_t flags = GetU32(buf.data());
  if ((flags & ~kKnownFlags) != 0) {
    return Error(where, StrCat("unknown flag bits are set (flags ", flags,
                               "); they are reserved and must be zero"));
  }
  Digest fingerprint, key_check;
  std::memcpy(fingerprint.data(), buf.data() + 4, 32);
  std::memcpy(key_check.data(), buf.data() + 36, 32);
  const Digest zero{};
  if (flags & kFlagFingerprint) {
    header.schema_fingerprint = fingerprint;
  } else if (fingerprint != zero) {
    return Error(where, "the schema fingerprint is flagged absent but its bytes are not zero");
  }
  if (flags & kFlagKeyCheck) {
    header.key_check = key_check;
  } else if (key_check != zero) {
    return Error(where, "the key check value is flagged absent but its bytes are not zero");
  }
  header.filter_bits = GetU64(buf.data() + 68);
  header.records = GetU64(buf.data() + 76);
  header.records_skipped = GetU64(buf.data() + 84);
  field_sections_ = GetU32(buf.data() + 92);
  if (header.filter_bits == 0) {
    return Error(where, "the filter length is 0 bits; expected at least 1");
  }
  if (header.filter_bits > kMaxFilterBits) {
    return Error(where, StrCat("the filter length is ", header.filter_bits,
                               " bits, over the limit of ", kMaxFilterBits));
  }
  if (field_sections_ > kMaxFieldFilters) {
    return Error(where, StrCat("the file announces ", field_sections_,
                               " field-filter sections, over the limit of ", kMaxFieldFilters));
  }
  if (mode_ == Mode::kFull) {
    dataset.schema_fingerprint = header.schema_fingerprint;
    dataset.key_check = header.key_check;
    dataset.records_skipped = header.records_skipped;
  }
  return absl::OkStatus();
}

absl::Status Parser::ReadIds(std::uint64_t len) {
  const std::string where = "section IDS";
  const std::uint64_t n = header.records;
  if (len / 4 < n) {
    // Checked before anything is allocated for the ids: a corrupt count fails here.
    return Error(where,
                 StrCat("the section is ", len, " bytes, too short for the lengths of the ", n,
                        " ids the header announces (4 bytes each): a corrupt record "
                        "count or section"));
  }
  const std::uint64_t blob_bytes = len - 4 * n;
  if (mode_ != Mode::kFull) return SkipPayload(len);

  // n <= len / 4 and len <= the bytes left in the file (checked before this call), so these
  // allocations are bounded by the file size.
  std::vector<std::uint8_t> lengths(static_cast<std::size_t>(4 * n));
  BLOOMLINK_RETURN_IF_ERROR(ReadHashed(lengths.data(), lengths.size()));
  std::uint64_t total = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint32_t id_len = GetU32(lengths.data() + 4 * i);
    if (id_len > kMaxIdBytes) {
      return Error(where, StrCat("the id of record ", i, " is ", id_len,
                                 " bytes, over the limit of ", kMaxIdBytes));
    }
    total += id_len;
  }
  if (total != blob_bytes) {
    return Error(where, StrCat("the id lengths add up to ", total, " bytes but the section holds ",
                               blob_bytes, " bytes of ids"));
  }
  std::string blob(static_cast<std::size_t>(blob_bytes), '\0');
  BLOOMLINK_RETURN_IF_ERROR(ReadHashed(blob.data(), blob.size()));
  dataset.ids.reserve(static_cast<std::size_t>(n));
  std::size_t offset = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint32_t id_len = GetU32(lengths.data() + 4 * i);
    dataset.ids.emplace_back(blob, offset, id_len);
    offset += id_len;
  }
  return absl::OkStatus();
}

absl::Status Parser::ReadRows(BitMatrix& m) {
  const std::size_t rows = m.rows();
  if (rows == 0) return absl::OkStatus();
  const std::size_t bpf = m.bytes_per_filter();
  if (m.stride_bytes() == bpf) {
    // Rows are contiguous: read straight into the matrix.
    std::uint8_t* dst = m.row_bytes(0);
    std::size_t left = rows * bpf;
    while (left > 0) {
      const std::size_t chunk = std::min(left, kChunkBytes);
      BLOOMLINK_RETURN_IF_ERROR(ReadHashed(dst, chunk));
      dst += chunk;
      left -= chunk;
    }
    return absl::OkStatus();
  }
  const std::size_t rows_per_chunk = std::max<std::size_t>(1, kChunkBytes / bpf);
  std::vector<std::uint8_t> buffer(std::min(rows, rows_per_chunk) * bpf);
  for (std::size_t r = 0; r < rows;) {
    const std::size_t count = std::min(rows - r, rows_per_chunk);
    BLOOMLINK_RETURN_IF_ERROR(ReadHashed(buffer.data(), count * bpf));
    for (std::size_t k = 0; k < count; ++k) {
      std::memcpy(m.row_bytes(r + k), buffer.data() + k * bpf, bpf);
    }
    r += count;
  }
  return absl::OkStatus();
}

absl::Status Parser::ReadClks(std::uint64_t len) {
  const std::uint64_t bpf = (header.filter_bits + 7) / 8;
  const std::uint64_t n = header.records;
  if ((n != 0 && len / n != bpf) || len != n * bpf) {
    return Error("section CLKS", StrCat("the section is ", len, " bytes; expected ", n,
                                        " records × ", bpf, " bytes"));
  }
  if (mode_ != Mode::kFull) return SkipPayload(len);
  dataset.clks = BitMatrix(static_cast<std::size_t>(header.records),
                           static_cast<std::size_t>(header.filter_bits));
  return ReadRows(dataset.clks);
}

absl::Status Parser::ReadFieldFilters(std::uint64_t len) {
  const std::size_t index = header.field_filters.size();
  const std::string where = StrCat("section FFLT (field filters #", index, ")");
  if (len < kFieldFilterFixedBytes) {
    return Error(where, StrCat("the section is ", len, " bytes, shorter than its ",
                               kFieldFilterFixedBytes, "-byte fixed part"));
  }
  std::array<std::uint8_t, kFieldFilterFixedBytes> fixed;
  BLOOMLINK_RETURN_IF_ERROR(ReadHashed(fixed.data(), fixed.size()));
  const std::uint64_t bits = GetU64(fixed.data());
  const std::uint32_t name_len = GetU32(fixed.data() + 8);
  if (name_len > kMaxFieldNameBytes) {
    return Error(where, StrCat("the field name is ", name_len, " bytes, over the limit of ",
                               kMaxFieldNameBytes));
  }
  if (name_len > len - kFieldFilterFixedBytes) {
    return Error(where, StrCat("the field name (", name_len, " bytes) does not fit the section (",
                               len, " bytes)"));
  }
  std::string name(name_len, '\0');
  BLOOMLINK_RETURN_IF_ERROR(ReadHashed(name.data(), name.size()));
  if (bits == 0) return Error(where, "the filter length is 0 bits; expected at least 1");
  if (bits > kMaxFilterBits) {
    return Error(
        where, StrCat("the filter length is ", bits, " bits, over the limit of ", kMaxFilterBits));
  }
  const std::uint64_t bpf = (bits + 7) / 8;
  const std::uint64_t payload = len - kFieldFilterFixedBytes - name_len;
  const std::uint64_t n = header.records;
  if ((n != 0 && payload / n != bpf) || payload != n * bpf) {
    return Error(where, StrCat("the filters take ", payload, " bytes; expected ", n, " records × ",
                               bpf, " bytes"));
  }
  header.field_filters.push_back(FieldFilterInfo{name, bits});
  if (mode_ != Mode::kFull) return SkipPayload(payload);
  FieldFilters ff{std::move(name),
                  BitMatrix(static_cast<std::size_t>(n), static_cast<std::size_t>(bits))};
  BLOOMLINK_RETURN_IF_ERROR(ReadRows(ff.filters));
  dataset.field_filters.push_back(std::move(ff));
  return absl::OkStatus();
}

absl::Status Parser::ReadBlockingKeys(std::uint64_t len) {
  const std::string where = "section bkey (blocking tokens)";
  if (blocking_read_) return Error(where, "the file has this section twice");
  blocking_read_ = true;
  if (len < 4) return Error(where, StrCat("the section is ", len, " bytes, shorter than 4"));
  std::array<std::uint8_t, 4> count_bytes;
  BLOOMLINK_RETURN_IF_ERROR(ReadHashed(count_bytes.data(), count_bytes.size()));
  const std::uint32_t rules = GetU32(count_bytes.data());
  if (rules == 0 || rules > kMaxBlockingRuleCount) {
    return Error(where, StrCat(rules, " blocking rules; expected 1 to ", kMaxBlockingRuleCount));
  }
  std::uint64_t left = len - 4;
  std::vector<std::string> names;
  for (std::uint32_t r = 0; r < rules; ++r) {
    if (left < 4) return Error(where, "truncated: the rule names do not fit the section");
    BLOOMLINK_RETURN_IF_ERROR(ReadHashed(count_bytes.data(), count_bytes.size()));
    const std::uint32_t name_len = GetU32(count_bytes.data());
    left -= 4;
    if (name_len > kMaxFieldNameBytes || name_len > left) {
      return Error(where, StrCat("rule #", r, ": a name of ", name_len,
                                 " bytes does not fit the section or is over the limit of ",
                                 kMaxFieldNameBytes));
    }
    std::string name(name_len, '\0');
    BLOOMLINK_RETURN_IF_ERROR(ReadHashed(name.data(), name.size()));
    left -= name_len;
    names.push_back(std::move(name));
  }
  BLOOMLINK_RETURN_IF_ERROR(CheckRuleNames(names, StrCat(in_.path(), ": ", where)));
  const std::uint64_t n = header.records;
  if ((n != 0 && left / n / 8 != rules) || left != n * rules * 8) {
    return Error(where, StrCat("the tokens take ", left, " bytes; expected ", n, " records × ",
                               rules, " rules × 8 bytes"));
  }
  header.blocking_rules = names;
  if (mode_ != Mode::kFull) return SkipPayload(left);
  BlockingKeys& keys = dataset.blocking_keys;
  keys.rules = std::move(names);
  keys.tokens.resize(static_cast<std::size_t>(n * rules));
  // Read as bytes, then turned into integers (little-endian whatever the host).
  BLOOMLINK_RETURN_IF_ERROR(ReadHashed(keys.tokens.data(), keys.tokens.size() * 8));
  if constexpr (std::endian::native != std::endian::little) {
    for (std::uint64_t& t : keys.tokens) t = GetU64(reinterpret_cast<const std::uint8_t*>(&t));
  }
  return absl::OkStatus();
}

absl::Status Parser::ReadPseudonymous(std::uint64_t len) {
  const std::string where = "section pids (pseudonymous ids)";
  if (pseudonymous_read_) return Error(where, "the file has this section twice");
  pseudonymous_read_ = true;
  if (len != 4) return Error(where, StrCat("the section is ", len, " bytes; expected 4"));
  std::array<std::uint8_t, 4> scheme;
  BLOOMLINK_RETURN_IF_ERROR(ReadHashed(scheme.data(), scheme.size()));
  if (GetU32(scheme.data()) == 0) return Error(where, "pseudonym scheme 0; expected 1 or more");
  header.pseudonymous_ids = true;
  dataset.pseudonymous_ids = true;
  return absl::OkStatus();
}

absl::Status Parser::ReadEnd(std::uint64_t len) {
  const std::string where = "section END";
  if (len != kChecksumBytes) {
    return Error(where, StrCat("the section is ", len, " bytes; expected ", kChecksumBytes,
                               " (a SHA-256 checksum)"));
  }
  std::optional<Digest> computed;
  if (hashing_) {
    BLOOMLINK_ASSIGN_OR_RETURN(computed, sha_.Final());
  }
  BLOOMLINK_RETURN_IF_ERROR(in_.ReadExactly(header.checksum.data(), header.checksum.size()));
  if (in_.remaining() != 0) {
    return Error(where, StrCat(in_.remaining(),
                               " unexpected bytes follow the checksum, which must end the file"));
  }
  if (computed.has_value()) {
    if (*computed != header.checksum) {
      return Error(where,
                   "checksum mismatch: the file is corrupt or was changed after it was written");
    }
    header.checksum_verified = true;
  }
  return absl::OkStatus();
}

absl::Status Parser::CheckContents() {
  std::vector<std::string> names;
  for (const FieldFilterInfo& info : header.field_filters) names.push_back(info.field);
  BLOOMLINK_RETURN_IF_ERROR(CheckFieldNames(names, StrCat(in_.path(), ": section FFLT")));
  if (mode_ != Mode::kFull) return absl::OkStatus();
  BLOOMLINK_RETURN_IF_ERROR(CheckIds(dataset.ids, StrCat(in_.path(), ": section IDS")));
  BLOOMLINK_RETURN_IF_ERROR(
      CheckPadding(dataset.clks, StrCat(in_.path(), ": section CLKS"), "CLK"));
  for (std::size_t i = 0; i < dataset.field_filters.size(); ++i) {
    const FieldFilters& ff = dataset.field_filters[i];
    BLOOMLINK_RETURN_IF_ERROR(
        CheckPadding(ff.filters, StrCat(in_.path(), ": section FFLT (field filters #", i, ")"),
                     StrCat("the filter of field ", QuoteForMessage(ff.field))));
  }
  dataset.clks.UpdatePopcounts();
  for (FieldFilters& ff : dataset.field_filters) ff.filters.UpdatePopcounts();
  return absl::OkStatus();
}

absl::Status Parser::Run() {
  header.file_bytes = in_.size();
  BLOOMLINK_RETURN_IF_ERROR(ReadPreamble());
  while (stage_ != Stage::kDone) {
    const Tag expected = ExpectedTag(stage_);
    if (in_.remaining() < kSectionHeaderBytes) {
      return Error(
          SectionName(expected),
          in_.remaining() == 0
              ? std::string("truncated: the file ends where this section should start")
              : StrCat("truncated: the file ends inside the section's ", kSectionHeaderBytes,
                       "-byte header (", in_.remaining(), " bytes left)"));
    }
    std::array<std::uint8_t, kSectionHeaderBytes> buf;
    BLOOMLINK_RETURN_IF_ERROR(ReadHashed(buf.data(), buf.size()));
    Tag tag;
    std::memcpy(tag.data(), buf.data(), 4);
    const std::uint64_t len = GetU64(buf.data() + 4);
    if (len > in_.remaining()) {
      return Error(SectionName(tag),
                   StrCat("truncated or corrupt: the section declares ", len, " bytes but only ",
                          in_.remaining(), " remain in the file"));
    }
    const bool known =
        tag == kTagHead || tag == kTagIds || tag == kTagClks || tag == kTagField || tag == kTagEnd;
    if (tag == kTagBlocking && stage_ != Stage::kHead) {
      BLOOMLINK_RETURN_IF_ERROR(ReadBlockingKeys(len));
      continue;
    }
    if (tag == kTagPseudonymous && stage_ != Stage::kHead) {
      BLOOMLINK_RETURN_IF_ERROR(ReadPseudonymous(len));
      continue;
    }
    if (!known) {
      if (IsAncillary(tag) && stage_ != Stage::kHead) {
        // An optional section from a newer bloomlink: covered by the checksum, otherwise ignored.
        BLOOMLINK_RETURN_IF_ERROR(SkipPayload(len));
        continue;
      }
      if (stage_ == Stage::kHead) {
        return Error(SectionName(tag), "expected section HEAD first (corrupt file)");
      }
      return Error(SectionName(tag),
                   "this section is required to read the file but is unknown to this bloomlink: "
                   "the file was made by a newer bloomlink (or is corrupt)");
    }
    if (tag != expected) {
      std::string why;
      if (stage_ == Stage::kFields) {
        why = StrCat(" (the header announces ", field_sections_, " field-filter sections; ",
                     header.field_filters.size(), " read so far)");
      } else if (stage_ == Stage::kEnd && tag == kTagField) {
        why = StrCat(" (the header announces ", field_sections_, " field-filter sections)");
      }
      return Error(SectionName(tag),
                   StrCat("section out of place: expected ", SectionName(expected), why));
    }
    switch (stage_) {
      case Stage::kHead:
        BLOOMLINK_RETURN_IF_ERROR(ReadHead(len));
        stage_ = Stage::kIds;
        break;
      case Stage::kIds:
        BLOOMLINK_RETURN_IF_ERROR(ReadIds(len));
        stage_ = Stage::kClks;
        break;
      case Stage::kClks:
        BLOOMLINK_RETURN_IF_ERROR(ReadClks(len));
        stage_ = field_sections_ > 0 ? Stage::kFields : Stage::kEnd;
        break;
      case Stage::kFields:
        BLOOMLINK_RETURN_IF_ERROR(ReadFieldFilters(len));
        if (header.field_filters.size() == field_sections_) stage_ = Stage::kEnd;
        break;
      case Stage::kEnd:
        BLOOMLINK_RETURN_IF_ERROR(ReadEnd(len));
        stage_ = Stage::kDone;
        break;
      case Stage::kDone:
        break;
    }
  }
  return CheckContents();
}

// ---- writer ----------------------------------------------------------------------------------

// BodyWriter<Sink>: the file's bytes before its checksum, in order, to a sink: the file itself
// (FileSink) or the SHA-256 that ends it (HashSink). WriteEncodedFile runs the two on two
// threads over the same dataset, so that hashing does not add to writing.
struct FileSink {
  AtomicFileWriter& out;
  absl::Status Put(const void* data, std::size_t size) { return out.Write(data, size); }
};
struct HashSink {
  Sha256& sha;
  absl::Status Put(const void* data, std::size_t size) {
    sha.Update(data, size);
    return absl::OkStatus();
  }
};

struct CountSink {
  std::uint64_t& bytes;
  absl::Status Put(const void*, std::size_t size) {
    bytes += size;
    return absl::OkStatus();
  }
};
// FunctionSink: the caller's sink, and the checksum of what went to it.
struct FunctionSink {
  const std::function<absl::Status(const void*, std::size_t)>& put;
  Sha256& sha;
  absl::Status Put(const void* data, std::size_t size) {
    sha.Update(data, size);
    return put(data, size);
  }
};

template <typename Sink>
class BodyWriter {
 public:
  explicit BodyWriter(Sink sink) : sink_(sink) {}
  absl::Status Write(const void* data, std::size_t size) { return sink_.Put(data, size); }
  absl::Status Write(std::string_view data) { return Write(data.data(), data.size()); }
  absl::Status SectionHeader(const Tag& tag, std::uint64_t len) {
    std::string buf(tag.data(), tag.size());
    PutU64(buf, len);
    return Write(buf);
  }
  absl::Status WriteRows(const BitMatrix& m) {
    const std::size_t rows = m.rows();
    if (rows == 0) return absl::OkStatus();
    const std::size_t bpf = m.bytes_per_filter();
    if (m.stride_bytes() == bpf) {
      const std::uint8_t* src = m.row_bytes(0);
      std::size_t left = rows * bpf;
      while (left > 0) {
        const std::size_t chunk = std::min(left, kChunkBytes);
        BLOOMLINK_RETURN_IF_ERROR(Write(src, chunk));
        src += chunk;
        left -= chunk;
      }
      return absl::OkStatus();
    }
    const std::size_t rows_per_chunk = std::max<std::size_t>(1, kChunkBytes / bpf);
    std::vector<std::uint8_t> buffer(std::min(rows, rows_per_chunk) * bpf);
    for (std::size_t r = 0; r < rows;) {
      const std::size_t count = std::min(rows - r, rows_per_chunk);
      for (std::size_t k = 0; k < count; ++k) {
        std::memcpy(buffer.data() + k * bpf, m.row_bytes(r + k), bpf);
      }
      BLOOMLINK_RETURN_IF_ERROR(Write(buffer.data(), count * bpf));
      r += count;
    }
    return absl::OkStatus();
  }

 private:
  Sink sink_;
};

template <typename Sink>
absl::Status WriteIds(BodyWriter<Sink>& w, const std::vector<std::string>& ids) {
  std::uint64_t total = 0;
  for (const std::string& id : ids) total += id.size();
  BLOOMLINK_RETURN_IF_ERROR(
      w.SectionHeader(kTagIds, 4 * static_cast<std::uint64_t>(ids.size()) + total));
  std::string buffer;
  buffer.reserve(kChunkBytes + 8);
  for (const std::string& id : ids) {
    PutU32(buffer, static_cast<std::uint32_t>(id.size()));
    if (buffer.size() >= kChunkBytes) {
      BLOOMLINK_RETURN_IF_ERROR(w.Write(buffer));
      buffer.clear();
    }
  }
  for (const std::string& id : ids) {
    if (buffer.size() + id.size() > kChunkBytes && !buffer.empty()) {
      BLOOMLINK_RETURN_IF_ERROR(w.Write(buffer));
      buffer.clear();
    }
    buffer += id;
  }
  if (!buffer.empty()) BLOOMLINK_RETURN_IF_ERROR(w.Write(buffer));
  return absl::OkStatus();
}

// WriteBody(dataset, w): every section up to the end tag (the checksum follows it).
template <typename Sink>
absl::Status WriteBody(const EncodedDataset& dataset, BodyWriter<Sink>& w) {
  std::string preamble(reinterpret_cast<const char*>(kMagic.data()), kMagic.size());
  PutU32(preamble, kEncodedFileVersion);
  BLOOMLINK_RETURN_IF_ERROR(w.Write(preamble));

  std::string head;
  std::uint32_t flags = 0;
  if (dataset.schema_fingerprint) flags |= kFlagFingerprint;
  if (dataset.key_check) flags |= kFlagKeyCheck;
  PutU32(head, flags);
  const Digest zero{};
  const Digest& fingerprint = dataset.schema_fingerprint ? *dataset.schema_fingerprint : zero;
  const Digest& key_check = dataset.key_check ? *dataset.key_check : zero;
  head.append(reinterpret_cast<const char*>(fingerprint.data()), fingerprint.size());
  head.append(reinterpret_cast<const char*>(key_check.data()), key_check.size());
  PutU64(head, dataset.clks.bits());
  PutU64(head, dataset.ids.size());
  PutU64(head, dataset.records_skipped);
  PutU32(head, static_cast<std::uint32_t>(dataset.field_filters.size()));
  BLOOMLINK_RETURN_IF_ERROR(w.SectionHeader(kTagHead, head.size()));
  BLOOMLINK_RETURN_IF_ERROR(w.Write(head));

  BLOOMLINK_RETURN_IF_ERROR(WriteIds(w, dataset.ids));

  const std::uint64_t n = dataset.ids.size();
  BLOOMLINK_RETURN_IF_ERROR(w.SectionHeader(kTagClks, n * dataset.clks.bytes_per_filter()));
  BLOOMLINK_RETURN_IF_ERROR(w.WriteRows(dataset.clks));

  for (const FieldFilters& ff : dataset.field_filters) {
    std::string fixed;
    PutU64(fixed, ff.filters.bits());
    PutU32(fixed, static_cast<std::uint32_t>(ff.field.size()));
    fixed += ff.field;
    BLOOMLINK_RETURN_IF_ERROR(
        w.SectionHeader(kTagField, fixed.size() + n * ff.filters.bytes_per_filter()));
    BLOOMLINK_RETURN_IF_ERROR(w.Write(fixed));
    BLOOMLINK_RETURN_IF_ERROR(w.WriteRows(ff.filters));
  }
  const BlockingKeys& keys = dataset.blocking_keys;
  if (!keys.empty()) {
    std::string fixed;
    PutU32(fixed, static_cast<std::uint32_t>(keys.rules.size()));
    for (const std::string& rule : keys.rules) {
      PutU32(fixed, static_cast<std::uint32_t>(rule.size()));
      fixed += rule;
    }
    BLOOMLINK_RETURN_IF_ERROR(w.SectionHeader(kTagBlocking, fixed.size() + keys.tokens.size() * 8));
    BLOOMLINK_RETURN_IF_ERROR(w.Write(fixed));
    if constexpr (std::endian::native == std::endian::little) {
      BLOOMLINK_RETURN_IF_ERROR(w.Write(keys.tokens.data(), keys.tokens.size() * 8));
    } else {
      std::string buffer;
      for (std::uint64_t t : keys.tokens) PutU64(buffer, t);
      BLOOMLINK_RETURN_IF_ERROR(w.Write(buffer));
    }
  }
  if (dataset.pseudonymous_ids) {
    std::string scheme;
    PutU32(scheme, kPseudonymScheme);
    BLOOMLINK_RETURN_IF_ERROR(w.SectionHeader(kTagPseudonymous, scheme.size()));
    BLOOMLINK_RETURN_IF_ERROR(w.Write(scheme));
  }
  return w.SectionHeader(kTagEnd, kChecksumBytes);
}

// CheckWritable(dataset, name): what writing relies on (ValidateEncodedDataset checks the rest).
absl::Status CheckWritable(const EncodedDataset& dataset, std::string_view name) {
  const std::size_t n = dataset.ids.size();
  if (dataset.clks.rows() != n) {
    return absl::InvalidArgumentError(
        StrCat(name, ": the dataset has ", n, " ids but ", dataset.clks.rows(), " CLKs"));
  }
  for (const FieldFilters& ff : dataset.field_filters) {
    if (ff.filters.rows() != n) {
      return absl::InvalidArgumentError(StrCat(name, ": field ", QuoteForMessage(ff.field), " has ",
                                               ff.filters.rows(), " filters for ", n, " records"));
    }
  }
  if (dataset.clks.bits() == 0) {
    return absl::InvalidArgumentError(
        StrCat(name, ": the filter length is 0 bits; expected at least 1"));
  }
  if (dataset.blocking_keys.tokens.size() != n * dataset.blocking_keys.rules.size()) {
    return absl::InvalidArgumentError(StrCat(name, ": ", dataset.blocking_keys.tokens.size(),
                                             " blocking tokens for ", n, " records and ",
                                             dataset.blocking_keys.rules.size(), " rules"));
  }
  return absl::OkStatus();
}

absl::StatusOr<EncodedFileHeader> ParseFile(const std::string& path, Mode mode,
                                            EncodedDataset* dataset) {
  BLOOMLINK_ASSIGN_OR_RETURN(InputFile in, InputFile::Open(path, {.regular_only = true}));
  Parser parser(in, mode);
  BLOOMLINK_RETURN_IF_ERROR(parser.Run());
  if (dataset != nullptr) *dataset = std::move(parser.dataset);
  return std::move(parser.header);
}

}  // namespace

absl::Status ValidateEncodedDataset(const EncodedDataset& dataset, std::string_view name) {
  const std::size_t n = dataset.ids.size();
  if (dataset.clks.rows() != n) {
    return absl::InvalidArgumentError(
        StrCat(name, ": the dataset has ", n, " ids but ", dataset.clks.rows(), " CLKs"));
  }
  if (dataset.clks.bits() > kMaxFilterBits) {
    return absl::InvalidArgumentError(StrCat(name, ": the filter length is ", dataset.clks.bits(),
                                             " bits, over the limit of ", kMaxFilterBits));
  }
  if (dataset.clks.bits() == 0 && n > 0) {
    return absl::InvalidArgumentError(
        StrCat(name, ": the filter length is 0 bits but the dataset has records"));
  }
  BLOOMLINK_RETURN_IF_ERROR(CheckIds(dataset.ids, name));
  BLOOMLINK_RETURN_IF_ERROR(CheckPadding(dataset.clks, name, "CLK"));
  if (dataset.field_filters.size() > kMaxFieldFilters) {
    return absl::InvalidArgumentError(StrCat(name, ": ", dataset.field_filters.size(),
                                             " field filters, over the limit of ",
                                             kMaxFieldFilters));
  }
  std::vector<std::string> names;
  for (const FieldFilters& ff : dataset.field_filters) names.push_back(ff.field);
  BLOOMLINK_RETURN_IF_ERROR(CheckFieldNames(names, name));
  for (std::size_t i = 0; i < dataset.field_filters.size(); ++i) {
    const FieldFilters& ff = dataset.field_filters[i];
    const std::string what = StrCat("the filter of field ", QuoteForMessage(ff.field));
    if (ff.filters.rows() != n) {
      return absl::InvalidArgumentError(StrCat(name, ": field ", QuoteForMessage(ff.field), " has ",
                                               ff.filters.rows(), " filters for ", n, " records"));
    }
    if (ff.filters.bits() == 0 || ff.filters.bits() > kMaxFilterBits) {
      return absl::InvalidArgumentError(StrCat(name, ": field ", QuoteForMessage(ff.field),
                                               " has a filter length of ", ff.filters.bits(),
                                               " bits; expected 1 to ", kMaxFilterBits));
    }
    BLOOMLINK_RETURN_IF_ERROR(CheckPadding(ff.filters, name, what));
  }
  const BlockingKeys& keys = dataset.blocking_keys;
  if (!keys.empty()) {
    if (keys.rules.size() > kMaxBlockingRuleCount) {
      return absl::InvalidArgumentError(StrCat(name, ": ", keys.rules.size(),
                                               " blocking rules, over the limit of ",
                                               kMaxBlockingRuleCount));
    }
    BLOOMLINK_RETURN_IF_ERROR(CheckRuleNames(keys.rules, name));
    if (keys.tokens.size() != n * keys.rules.size()) {
      return absl::InvalidArgumentError(StrCat(name, ": ", keys.tokens.size(),
                                               " blocking tokens for ", n, " records and ",
                                               keys.rules.size(), " rules"));
    }
  } else if (!keys.tokens.empty()) {
    return absl::InvalidArgumentError(StrCat(name, ": blocking tokens without rule names"));
  }
  return absl::OkStatus();
}

absl::Status WriteEncodedFile(const EncodedDataset& dataset, const std::string& path) {
  // What the writing itself relies on is checked first; the rest (every id, every filter's
  // padding) on a second thread while the file is written, then the same bytes are hashed
  // there: the checksum is ready when the writing is (a 133 MB file: 0.15 s no longer follows
  // it). A dataset that fails the checks leaves no file.
  const std::string name = StrCat(path, ": cannot write");
  BLOOMLINK_RETURN_IF_ERROR(CheckWritable(dataset, name));
  BLOOMLINK_ASSIGN_OR_RETURN(AtomicFileWriter out, AtomicFileWriter::Create(path));
  Sha256 sha;
  absl::Status valid, hashed;
  std::thread checker([&] {
    valid = ValidateEncodedDataset(dataset, name);
    if (!valid.ok()) return;
    BodyWriter<HashSink> h(HashSink{sha});
    hashed = WriteBody(dataset, h);
  });
  BodyWriter<FileSink> w(FileSink{out});
  absl::Status written = WriteBody(dataset, w);
  checker.join();
  BLOOMLINK_RETURN_IF_ERROR(valid);
  BLOOMLINK_RETURN_IF_ERROR(written);
  BLOOMLINK_RETURN_IF_ERROR(hashed);
  BLOOMLINK_ASSIGN_OR_RETURN(Digest checksum, sha.Final());
  BLOOMLINK_RETURN_IF_ERROR(out.Write(checksum.data(), checksum.size()));
  return out.Commit();
}

absl::Status WriteEncodedTo(const EncodedDataset& dataset, std::string_view name,
                            const std::function<absl::Status(const void*, std::size_t)>& put) {
  BLOOMLINK_RETURN_IF_ERROR(CheckWritable(dataset, name));
  BLOOMLINK_RETURN_IF_ERROR(ValidateEncodedDataset(dataset, name));
  Sha256 sha;
  BodyWriter<FunctionSink> w(FunctionSink{put, sha});
  BLOOMLINK_RETURN_IF_ERROR(WriteBody(dataset, w));
  BLOOMLINK_ASSIGN_OR_RETURN(Digest checksum, sha.Final());
  return put(checksum.data(), checksum.size());
}

std::uint64_t EncodedFileBytes(const EncodedDataset& dataset) {
  std::uint64_t bytes = kChecksumBytes;
  BodyWriter<CountSink> w(CountSink{bytes});
  (void)WriteBody(dataset, w);  // counting cannot fail
  return bytes;
}

absl::StatusOr<EncodedDataset> ParseEncodedBytes(std::string bytes, std::string name) {
  InputFile in = InputFile::FromString(std::move(bytes), std::move(name), std::size_t{1} << 20);
  Parser parser(in, Mode::kFull);
  BLOOMLINK_RETURN_IF_ERROR(parser.Run());
  return std::move(parser.dataset);
}

bool LooksLikeEncodedFile(std::string_view head) {
  return !head.empty() && static_cast<std::uint8_t>(head[0]) == kMagic[0];
}

absl::StatusOr<EncodedDataset> ReadEncodedFile(const std::string& path) {
  EncodedDataset dataset;
  BLOOMLINK_RETURN_IF_ERROR(ParseFile(path, Mode::kFull, &dataset).status());
  return dataset;
}

absl::StatusOr<EncodedFileHeader> ReadEncodedFileHeader(const std::string& path,
                                                        bool verify_checksum) {
  return ParseFile(path, verify_checksum ? Mode::kHeaderVerify : Mode::kHeaderOnly, nullptr);
}

}  // namespace bloomlink::io
