#include "bloomlink/encode/encoder.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <optional>

#include "bloomlink/encode/keyed_hash.hpp"
#include "bloomlink/encode/tokenise.hpp"
#include "bloomlink/threads.hpp"
#include "encode/blocking_keyer.hpp"
#include "encode/field_formatter.hpp"
#include "encode/field_hasher.hpp"
#include "encode/harden.hpp"
#include "internal/status_macros.hpp"

namespace bloomlink::encode {
namespace {

// Below this many records a batch is encoded in the calling thread: starting threads would cost
// more than it saves.
constexpr std::size_t kParallelCutoff = 512;

// ThreadCounts: one thread's counts; invalid reasons are static strings, so they are kept as views.
struct ThreadCounts {
  struct Field {
    std::uint64_t valid = 0, missing = 0, invalid = 0;
    std::vector<std::pair<std::string_view, std::uint64_t>> reasons;
  };
  std::vector<Field> fields;
  std::uint64_t records = 0, empty_records = 0;

  void CountInvalid(std::size_t field, std::string_view reason) {
    Field& f = fields[field];
    ++f.invalid;
    for (auto& r : f.reasons) {
      if (r.first == reason) {
        ++r.second;
        return;
      }
    }
    f.reasons.emplace_back(reason, 1);
  }
};

// Workspace: everything one thread needs, allocated once.
struct Workspace {
  std::vector<encode_internal::FieldHasher> hashers;  // one per field (ignored fields: unused)
  std::string value;
  TokenList tokens;
  std::vector<std::uint8_t> scratch;  // the record's hash_bits-long filter before folding/copying
  // Field-level filters, one per field that has one (in schema order): hasher and scratch row.
  std::vector<encode_internal::FieldHasher> filter_hashers;
  std::vector<std::vector<std::uint8_t>> filter_scratch;
  ThreadCounts counts;
  // Blocking: the keyer, and the clean values of the fields the rules and salts read (present[j]
  // says whether clean[j] holds field j's clean value for the current record).
  std::optional<encode_internal::BlockingKeyer> keyer;
  std::vector<std::string> clean;
  std::vector<std::uint8_t> present;
  // Hardening: the salt of the field being encoded, the salted token, the filter after folding
  // and the transforms' scratch; material collects the record's clean values for BLIP's seed.
  std::string salt, salted, material;
  std::vector<std::uint8_t> folded, harden_scratch;
  std::optional<encode_internal::RecordSeeder> seeder;
  // matcher: for the fields' clkhash patterns (one per thread; it serves every field).
  internal::RegexMatcher matcher;
  // failure: this thread's lowest record whose encoding failed in the current batch, and why.
  std::size_t failed_record = 0;
  absl::Status failure;
};

// FoldInto(src, bits, folds, dst, out_bits): XOR-folds `folds` times (first half XOR second half;
// none when folds is 0) and writes the first out_bits bits to dst (clkhash bit order).
void FoldInto(std::uint8_t* src, std::size_t bits, int folds, std::uint8_t* dst,
              std::size_t out_bits) {
  for (int f = 0; f < folds; ++f) {
    std::size_t half = bits / 2;
    if (half % 8 == 0) {
      for (std::size_t i = 0; i < half / 8; ++i) src[i] ^= src[half / 8 + i];
    } else {
      for (std::size_t i = 0; i < half; ++i) {
        std::size_t j = i + half;
        if ((src[j >> 3] >> (7 - (j & 7))) & 1)
          src[i >> 3] ^= static_cast<std::uint8_t>(0x80u >> (i & 7));
      }
    }
    bits = half;
  }
  std::size_t bytes = (out_bits + 7) / 8;
  std::memcpy(dst, src, bytes);
  if (out_bits % 8 != 0) dst[bytes - 1] &= static_cast<std::uint8_t>(0xFF00u >> (out_bits % 8));
}

// InsertTokens(hasher, tokens, bits, filter, ws): every token's bits, k per token or the field's
// count shared out as clkhash does (count / n each, one more for the first count % n tokens). A
// salted field (ws.salt not empty) hashes "salt U+001F token" in place of each token.
void InsertTokens(encode_internal::FieldHasher& hasher, const TokenList& tokens,
                  const BitsSpec& bits, std::uint8_t* filter, Workspace& ws) {
  const std::size_t n = tokens.size();
  auto token = [&](std::size_t t) -> std::string_view {
    if (ws.salt.empty()) return tokens[t];
    ws.salted.assign(ws.salt);
    ws.salted.append(tokens[t]);
    return ws.salted;
  };
  if (bits.per_field) {
    const int k = bits.count / static_cast<int>(n);
    const std::size_t extra = static_cast<std::size_t>(bits.count) % n;
    for (std::size_t t = 0; t < n; ++t) hasher.Insert(token(t), k + (t < extra ? 1 : 0), filter);
  } else {
    for (std::size_t t = 0; t < n; ++t) hasher.Insert(token(t), bits.count, filter);
  }
}

// AppendMaterial(material, status, value): a field's outcome and clean value, length-prefixed,
// to the record's BLIP seed material.
void AppendMaterial(std::string& material, CleanStatus status, std::string_view value) {
  material.push_back(static_cast<char>(status));
  const auto n = static_cast<std::uint32_t>(value.size());
  for (int b = 0; b < 4; ++b) material.push_back(static_cast<char>((n >> (8 * b)) & 0xFF));
  material.append(value);
}

}  // namespace

void EncodeStats::Merge(const EncodeStats& other) {
  records += other.records;
  empty_records += other.empty_records;
  mac_calls += other.mac_calls;
  cache_hits += other.cache_hits;
  if (fields.size() < other.fields.size()) fields.resize(other.fields.size());
  for (std::size_t j = 0; j < other.fields.size(); ++j) {
    FieldStats& a = fields[j];
    const FieldStats& b = other.fields[j];
    a.valid += b.valid;
    a.missing += b.missing;
    a.invalid += b.invalid;
    std::map<std::string, std::uint64_t> reasons(a.invalid_reasons.begin(),
                                                 a.invalid_reasons.end());
    for (const auto& [reason, count] : b.invalid_reasons) reasons[reason] += count;
    a.invalid_reasons.assign(reasons.begin(), reasons.end());
  }
}

struct Encoder::Impl {
  LinkageSchema schema;
  EncoderOptions options;
  int threads = 1;
  Digest key_check{};
  std::uint32_t hash_bits = 0;
  std::vector<encode_internal::FieldHashTemplate> templates;  // one per field (ignored: default)
  std::vector<encode_internal::FieldFormatter> formatters;
  // filter_slot[j]: the index of field j's field-level filter among those the schema asks for,
  // or -1; filter_templates[slot] hashes into it (its own key, its own length).
  std::vector<int> filter_slot;
  std::vector<encode_internal::FieldHashTemplate> filter_templates;
  // blocking_field[j]: whether a blocking rule reads field j. keep_clean[j]: whether a blocking
  // rule or a salt reads it (its clean value is then kept in the workspace).
  std::vector<std::uint8_t> blocking_field, keep_clean;
  // Hardening. order: the fields in the order they are encoded (those that salt others first);
  // salt_of[j]: the index of field j's salt in schema.hardening.salts, or -1.
  std::vector<std::size_t> order;
  std::vector<int> salt_of;
  // clk_hardener: the CLK's transforms after folding, when it has any; filter_folds and
  // filter_hardeners[slot]: each field-level filter's folds and transforms.
  std::optional<encode_internal::FilterHardener> clk_hardener;
  std::vector<encode_internal::FilterHardener> filter_hardeners;
  int filter_folds = 0;
  // needs_seed: whether BLIP is on (records then get a seed from their clean values).
  std::optional<encode_internal::RecordSeeder> seeder;

  // SetUpHardening(secret): the above, from the schema's hardening and its keys.
  absl::Status SetUpHardening(const Secret& secret);
  std::vector<std::unique_ptr<Workspace>> workspaces;

  // EncodeRecord: one record's CLK into `row` and, when filter_rows is not null, its field-level
  // filters into filter_rows[slot]. An error (a pattern that cannot be decided on a value) leaves
  // the row and the thread's counts half done: the batch is abandoned.
  // tokens, when not null, receives the record's blocking tokens (one per rule).
  absl::Status EncodeRecord(Workspace& ws, const std::string_view* values, std::uint8_t* row,
                            std::uint8_t* const* filter_rows, bool& nonempty,
                            std::uint64_t* tokens);
};

Encoder::Encoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Encoder::Encoder(Encoder&&) noexcept = default;
Encoder& Encoder::operator=(Encoder&&) noexcept = default;
Encoder::~Encoder() = default;

const LinkageSchema& Encoder::schema() const { return impl_->schema; }
const Digest& Encoder::key_check() const { return impl_->key_check; }
int Encoder::threads() const { return impl_->threads; }

absl::StatusOr<Encoder> Encoder::Create(const LinkageSchema& schema, const Secret& secret,
                                        EncoderOptions options) {
  BLOOMLINK_RETURN_IF_ERROR(CheckThreads(options.threads));
  auto impl = std::make_unique<Impl>();
  impl->schema = schema;
  impl->options = options;
  impl->threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  impl->hash_bits = schema.filter_bits << schema.xor_folds;
  BLOOMLINK_ASSIGN_OR_RETURN(impl->key_check, KeyCheckValue(secret));
  BLOOMLINK_ASSIGN_OR_RETURN(std::vector<FieldKeys> keys, DeriveFieldKeys(schema, secret));
  const LinkageSchema& s = impl->schema;  // the copy: formatters point into it
  for (std::size_t j = 0; j < s.fields.size(); ++j) {
    const FieldSpec& field = s.fields[j];
    if (field.ignored) {
      impl->templates.emplace_back();
      impl->formatters.emplace_back();
      continue;
    }
    BLOOMLINK_ASSIGN_OR_RETURN(
        encode_internal::FieldHashTemplate t,
        encode_internal::FieldHashTemplate::Create(field, keys[j], impl->hash_bits));
    impl->templates.push_back(std::move(t));
    BLOOMLINK_ASSIGN_OR_RETURN(encode_internal::FieldFormatter f,
                               encode_internal::FieldFormatter::Create(field));
    impl->formatters.push_back(std::move(f));
  }
  for (std::size_t j = 0; j < s.fields.size(); ++j) {
    const FieldSpec& field = s.fields[j];
    if (field.ignored || field.field_filter.bits == 0) {
      impl->filter_slot.push_back(-1);
      continue;
    }
    if (keys[j].keys.size() < 2) {
      return absl::InternalError("field " + field.name + ": no key for its field-level filter");
    }
    FieldSpec filter_spec = field;  // bloomlink hashing into the field filter, under its own key
    filter_spec.hash.scheme = HashScheme::kHmacSha256Double;
    FieldKeys filter_keys;
    filter_keys.keys.push_back(keys[j].keys[1]);
    BLOOMLINK_ASSIGN_OR_RETURN(encode_internal::FieldHashTemplate t,
                               encode_internal::FieldHashTemplate::Create(
                                   filter_spec, filter_keys,
                                   field.field_filter.bits << s.hardening.field_filters.xor_folds));
    impl->filter_slot.push_back(static_cast<int>(impl->filter_templates.size()));
    impl->filter_templates.push_back(std::move(t));
  }
  impl->blocking_field.assign(s.fields.size(), 0);
  impl->keep_clean.assign(s.fields.size(), 0);
  std::optional<encode_internal::BlockingKeyer> keyer;
  if (!s.blocking.empty()) {
    for (const BlockingRule& rule : s.blocking) {
      for (const BlockingPart& part : rule.parts) {
        impl->blocking_field[part.field] = impl->keep_clean[part.field] = 1;
      }
    }
    BLOOMLINK_ASSIGN_OR_RETURN(std::vector<FieldKeys> blocking_keys, DeriveBlockingKeys(s, secret));
    BLOOMLINK_ASSIGN_OR_RETURN(keyer, encode_internal::BlockingKeyer::Create(s, blocking_keys));
  }
  BLOOMLINK_RETURN_IF_ERROR(impl->SetUpHardening(secret));
  for (int t = 0; t < impl->threads; ++t) {
    auto ws = std::make_unique<Workspace>();
    if (keyer) {
      BLOOMLINK_ASSIGN_OR_RETURN(ws->keyer, keyer->Clone());
    }
    ws->clean.resize(s.fields.size());
    ws->present.assign(s.fields.size(), 0);
    if (impl->seeder) {
      BLOOMLINK_ASSIGN_OR_RETURN(ws->seeder, impl->seeder->Clone());
    }
    for (std::size_t j = 0; j < s.fields.size(); ++j) {
      const encode_internal::FieldHashTemplate& tmpl = impl->templates[j];
      if (s.fields[j].ignored) {
        // Keep indices aligned with the schema; an ignored field's hasher is never used.
        BLOOMLINK_ASSIGN_OR_RETURN(encode_internal::FieldHasher h,
                                   encode_internal::FieldHasher::Create(tmpl, false));
        ws->hashers.push_back(std::move(h));
        continue;
      }
      BLOOMLINK_ASSIGN_OR_RETURN(encode_internal::FieldHasher h,
                                 encode_internal::FieldHasher::Create(tmpl, options.token_cache));
      ws->hashers.push_back(std::move(h));
    }
    ws->scratch.assign((impl->hash_bits + 7) / 8, 0);
    for (std::size_t j = 0; j < s.fields.size(); ++j) {
      const int slot = impl->filter_slot[j];
      if (slot < 0) continue;
      BLOOMLINK_ASSIGN_OR_RETURN(
          encode_internal::FieldHasher h,
          encode_internal::FieldHasher::Create(
              impl->filter_templates[static_cast<std::size_t>(slot)], options.token_cache));
      ws->filter_hashers.push_back(std::move(h));
      ws->filter_scratch.emplace_back(
          ((s.fields[j].field_filter.bits << s.hardening.field_filters.xor_folds) + 7) / 8, 0);
    }
    ws->counts.fields.resize(s.fields.size());
    ws->value.reserve(256);
    impl->workspaces.push_back(std::move(ws));
  }
  return Encoder(std::move(impl));
}

absl::Status Encoder::Impl::SetUpHardening(const Secret& secret) {
  const Hardening& h = schema.hardening;
  const std::size_t nfields = schema.fields.size();
  salt_of.assign(nfields, -1);
  for (std::size_t i = 0; i < h.salts.size(); ++i) {
    for (std::size_t f : h.salts[i].fields) salt_of[f] = static_cast<int>(i);
    for (const BlockingPart& part : h.salts[i].with) keep_clean[part.field] = 1;
  }
  // Fields whose clean value salts another are encoded first (a salted field can itself salt
  // another: its clean value, not its tokens, is the salt).
  for (std::size_t j = 0; j < nfields; ++j) {
    if (keep_clean[j] && salt_of[j] < 0) order.push_back(j);
  }
  for (std::size_t j = 0; j < nfields; ++j) {
    if (!(keep_clean[j] && salt_of[j] < 0)) order.push_back(j);
  }
  filter_folds = h.field_filters.xor_folds;
  if (!h.any()) return absl::OkStatus();
  BLOOMLINK_ASSIGN_OR_RETURN(HardeningKeys keys, DeriveHardeningKeys(schema, secret));
  FilterHardening clk_spec = h.clk;
  if (clk_spec.any()) {
    BLOOMLINK_ASSIGN_OR_RETURN(
        clk_hardener,
        encode_internal::FilterHardener::Create(clk_spec, schema.filter_bits, keys.clk.keys.at(0)));
    if (!clk_hardener->active()) clk_hardener.reset();  // folding alone: FoldInto does it
  }
  for (std::size_t j = 0; j < nfields; ++j) {
    if (filter_slot[j] < 0) continue;
    BLOOMLINK_ASSIGN_OR_RETURN(
        encode_internal::FilterHardener f,
        encode_internal::FilterHardener::Create(h.field_filters, schema.fields[j].field_filter.bits,
                                                keys.field_filters.keys.at(j)));
    filter_hardeners.push_back(std::move(f));
  }
  if (h.clk.blip > 0 || h.field_filters.blip > 0) {
    BLOOMLINK_ASSIGN_OR_RETURN(seeder, encode_internal::RecordSeeder::Create(keys.blip.keys.at(0)));
  }
  return absl::OkStatus();
}

absl::Status Encoder::Impl::EncodeRecord(Workspace& ws, const std::string_view* values,
                                         std::uint8_t* row, std::uint8_t* const* filter_rows,
                                         bool& nonempty, std::uint64_t* tokens) {
  // Bits are set in a per-thread scratch filter that stays in L1 cache, then copied (or XOR-folded)
  // into the row once: setting them in the row itself would take a cache miss (and, for a fresh
  // matrix, a page fault) in the middle of the hashing.
  std::uint8_t* filter = ws.scratch.data();
  std::fill(ws.scratch.begin(), ws.scratch.end(), 0);
  if (filter_rows != nullptr) {
    for (auto& scratch : ws.filter_scratch) std::fill(scratch.begin(), scratch.end(), 0);
  }
  nonempty = false;
  ws.material.clear();
  for (const std::size_t j : order) {
    const FieldSpec& field = schema.fields[j];
    if (field.ignored) continue;
    ThreadCounts::Field& counts = ws.counts.fields[j];
    BLOOMLINK_ASSIGN_OR_RETURN(encode_internal::FormatResult r,
                               formatters[j].Format(values[j], &ws.value, ws.matcher));
    if (keep_clean[j]) {
      ws.present[j] = r.status == CleanStatus::kValid;
      if (ws.present[j]) ws.clean[j] = ws.value;
    }
    if (seeder) AppendMaterial(ws.material, r.status, ws.value);
    ws.salt.clear();
    if (salt_of[j] >= 0) {
      // "salt value U+001F": the parts' values joined by U+001E (a missing part adds nothing).
      for (const BlockingPart& part :
           schema.hardening.salts[static_cast<std::size_t>(salt_of[j])].with) {
        if (ws.present[part.field]) {
          encode_internal::BlockingValue(part.transform, ws.clean[part.field], &ws.salt);
        }
        ws.salt.push_back('\x1e');
      }
      ws.salt.push_back('\x1f');
    }
    if (r.status == CleanStatus::kInvalid) {
      ws.counts.CountInvalid(j, r.reason);
      continue;
    }
    if (r.status == CleanStatus::kMissing) ++counts.missing;
    if (!r.encode) continue;
    if (!Tokenise(ws.value, field.tokens, ws.tokens)) {
      // A clkhash sentinel kept as it is (already counted as missing) is not counted twice.
      if (r.status != CleanStatus::kMissing) ws.counts.CountInvalid(j, "not a number");
      continue;
    }
    if (r.status == CleanStatus::kValid) ++counts.valid;
    if (ws.tokens.empty()) continue;
    nonempty = true;
    InsertTokens(ws.hashers[j], ws.tokens, field.bits, filter, ws);
    const int slot = filter_slot[j];
    if (slot >= 0 && filter_rows != nullptr) {
      const auto sl = static_cast<std::size_t>(slot);
      InsertTokens(ws.filter_hashers[sl], ws.tokens, field.field_filter.tokens,
                   ws.filter_scratch[sl].data(), ws);
    }
  }
  const std::uint64_t seed = ws.seeder ? ws.seeder->Seed(ws.material) : 0;
  if (clk_hardener) {
    ws.folded.resize((schema.filter_bits + 7) / 8);
    FoldInto(filter, hash_bits, schema.xor_folds, ws.folded.data(), schema.filter_bits);
    clk_hardener->Apply(ws.folded.data(), row, encode_internal::BlipSeed(seed, 0),
                        ws.harden_scratch);
  } else {
    FoldInto(filter, hash_bits, schema.xor_folds, row, schema.filter_bits);
  }
  if (filter_rows != nullptr) {
    for (std::size_t sl = 0; sl < ws.filter_scratch.size(); ++sl) {
      if (filter_hardeners.empty()) {
        std::memcpy(filter_rows[sl], ws.filter_scratch[sl].data(), ws.filter_scratch[sl].size());
        continue;
      }
      // A field without a value keeps an empty filter, which Fellegi-Sunter reads as missing:
      // balanced or BLIPped, it would look like a value.
      const encode_internal::FilterHardener& h = filter_hardeners[sl];
      const std::vector<std::uint8_t>& scratch = ws.filter_scratch[sl];
      if (std::all_of(scratch.begin(), scratch.end(), [](std::uint8_t b) { return b == 0; })) {
        std::memset(filter_rows[sl], 0, (h.out_bits() + 7) / 8);
        continue;
      }
      const std::uint32_t bits = h.in_bits();
      std::uint8_t* folded = filter_rows[sl];
      if (h.active()) {
        ws.folded.resize((bits + 7) / 8);
        folded = ws.folded.data();
      }
      FoldInto(ws.filter_scratch[sl].data(), std::size_t{bits} << filter_folds, filter_folds,
               folded, bits);
      if (h.active()) {
        h.Apply(folded, filter_rows[sl], encode_internal::BlipSeed(seed, 1 + sl),
                ws.harden_scratch);
      }
    }
  }
  if (tokens != nullptr && ws.keyer) {
    for (std::size_t k = 0; k < ws.keyer->rules(); ++k) {
      tokens[k] = ws.keyer->Token(k, ws.clean, ws.present);
    }
  }
  ++ws.counts.records;
  if (!nonempty) ++ws.counts.empty_records;
  return absl::OkStatus();
}

std::vector<std::size_t> Encoder::field_filter_fields() const {
  std::vector<std::size_t> fields;
  for (std::size_t j = 0; j < impl_->filter_slot.size(); ++j) {
    if (impl_->filter_slot[j] >= 0) fields.push_back(j);
  }
  return fields;
}

absl::Status Encoder::EncodeBatch(std::span<const std::string_view> values, std::size_t rows,
                                  BitMatrix& out, std::size_t first_row, EncodeStats& stats,
                                  std::span<std::uint8_t> nonempty,
                                  std::span<BitMatrix* const> field_filters,
                                  std::size_t* failed_record, std::uint64_t* blocking_tokens) {
  Impl& impl = *impl_;
  const std::size_t rules = impl.schema.blocking.size();
  if (rules == 0) blocking_tokens = nullptr;
  const std::size_t slots = impl.filter_templates.size();
  const bool with_filters = !field_filters.empty() && slots > 0;
  const std::size_t nfields = impl.schema.fields.size();
  const int threads = rows < kParallelCutoff ? 1 : impl.threads;
  const std::string_view* data = values.data();
  std::uint8_t* flags = nonempty.empty() ? nullptr : nonempty.data();
  const std::int64_t n = static_cast<std::int64_t>(rows);
  // The lowest record that failed so far (n: none). A record above it is skipped, as it cannot be
  // the lowest; every record below the final value was encoded, so the failure reported is the
  // batch's first whatever the threads' timing.
  std::atomic<std::int64_t> first_failure{n};
#pragma omp parallel num_threads(threads)
  {
    Workspace& ws = *impl.workspaces[static_cast<std::size_t>(omp_get_thread_num())];
    std::vector<std::uint8_t*> filter_rows(with_filters ? slots : 0);
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < n; ++r) {
      if (r > first_failure.load(std::memory_order_relaxed)) continue;
      const std::size_t row = first_row + static_cast<std::size_t>(r);
      bool any = false;
      for (std::size_t sl = 0; sl < filter_rows.size(); ++sl) {
        filter_rows[sl] = field_filters[sl]->row_bytes(row);
      }
      absl::Status encoded =
          impl.EncodeRecord(ws, data + static_cast<std::size_t>(r) * nfields, out.row_bytes(row),
                            with_filters ? filter_rows.data() : nullptr, any,
                            blocking_tokens == nullptr ? nullptr : blocking_tokens + row * rules);
      if (!encoded.ok()) {
        // Records run in increasing order within a thread: its first failure is its lowest.
        if (ws.failure.ok()) {
          ws.failure = std::move(encoded);
          ws.failed_record = static_cast<std::size_t>(r);
        }
        std::int64_t lowest = first_failure.load(std::memory_order_relaxed);
        while (r < lowest && !first_failure.compare_exchange_weak(lowest, r)) {
        }
        continue;
      }
      out.UpdatePopcount(row);
      for (std::size_t sl = 0; sl < filter_rows.size(); ++sl)
        field_filters[sl]->UpdatePopcount(row);
      if (flags != nullptr) flags[r] = any ? 1 : 0;
    }
  }
  if (first_failure.load() < n) {
    // The batch is abandoned: its counts are dropped, and the first failure reported.
    absl::Status failure;
    for (const auto& ws_ptr : impl.workspaces) {
      Workspace& ws = *ws_ptr;
      if (!ws.failure.ok() && ws.failed_record == static_cast<std::size_t>(first_failure.load())) {
        failure = ws.failure;
        if (failed_record != nullptr) *failed_record = ws.failed_record;
      }
      ws.failure = absl::OkStatus();
      ws.counts.records = ws.counts.empty_records = 0;
      for (ThreadCounts::Field& f : ws.counts.fields) f = ThreadCounts::Field{};
      std::uint64_t dropped = 0;
      for (encode_internal::FieldHasher& h : ws.hashers) h.TakeCounters(&dropped, &dropped);
      for (encode_internal::FieldHasher& h : ws.filter_hashers) h.TakeCounters(&dropped, &dropped);
    }
    return failure;
  }
  // Fold the threads' counts into `stats` (sums: the order does not matter).
  EncodeStats batch;
  batch.fields.resize(nfields);
  for (const auto& ws_ptr : impl.workspaces) {
    Workspace& ws = *ws_ptr;
    batch.records += ws.counts.records;
    batch.empty_records += ws.counts.empty_records;
    ws.counts.records = ws.counts.empty_records = 0;
    for (std::size_t j = 0; j < nfields; ++j) {
      ThreadCounts::Field& f = ws.counts.fields[j];
      FieldStats& b = batch.fields[j];
      b.valid += f.valid;
      b.missing += f.missing;
      b.invalid += f.invalid;
      for (const auto& [reason, count] : f.reasons) {
        auto it = std::find_if(b.invalid_reasons.begin(), b.invalid_reasons.end(),
                               [&reason = reason](const auto& p) { return p.first == reason; });
        if (it == b.invalid_reasons.end()) {
          b.invalid_reasons.emplace_back(std::string(reason), count);
        } else {
          it->second += count;
        }
      }
      f = ThreadCounts::Field{};
      ws.hashers[j].TakeCounters(&batch.mac_calls, &batch.cache_hits);
    }
    for (encode_internal::FieldHasher& h : ws.filter_hashers) {
      h.TakeCounters(&batch.mac_calls, &batch.cache_hits);
    }
  }
  stats.Merge(batch);
  return absl::OkStatus();
}

}  // namespace bloomlink::encode
