#include "bloomlink/encode/decoys.hpp"

#include <omp.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>

#include "absl/hash/hash.h"
#include "bloomlink/base64.hpp"
#include "bloomlink/encode/keyed_hash.hpp"
#include "bloomlink/threads.hpp"
#include "encode/decoy_maker.hpp"
#include "encode/field_hasher.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::encode {

using internal::StrCat;

// ---- keys --------------------------------------------------------------------------------------

namespace {

using MacPtr = encode_internal::MacContext;

constexpr std::size_t kMacBytes = 32;
using MacOut = std::array<std::uint8_t, kMacBytes>;

// Mac: one thread's HMAC-SHA256 under one key (a duplicate of a keyed template).
class Mac {
 public:
  explicit Mac(const EVP_MAC_CTX* tmpl) : ctx_(EVP_MAC_CTX_dup(tmpl)) {}
  bool ok() const { return ctx_ != nullptr; }
  // Run(parts, out): the MAC of the parts' concatenation.
  MacOut Run(std::initializer_list<std::string_view> parts) {
    MacOut out{};
    std::size_t len = 0;
    // A NULL key re-initialises with the key already set up.
    EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr);
    for (std::string_view p : parts) {
      EVP_MAC_update(ctx_.get(), reinterpret_cast<const unsigned char*>(p.data()), p.size());
    }
    EVP_MAC_final(ctx_.get(), out.data(), &len, out.size());
    return out;
  }

 private:
  MacPtr ctx_;
};

absl::StatusOr<MacPtr> KeyedTemplate(const std::string& key) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return absl::InternalError("OpenSSL has no HMAC");
  MacPtr ctx(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (ctx == nullptr || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()),
                                     key.size(), params) != 1) {
    return absl::InternalError("OpenSSL: cannot set up HMAC-SHA256");
  }
  return ctx;
}

std::string_view Bytes(const void* p, std::size_t n) {
  return std::string_view(static_cast<const char*>(p), n);
}

std::array<char, 8> Le64(std::uint64_t v) {
  std::array<char, 8> out;
  for (int b = 0; b < 8; ++b) out[b] = static_cast<char>((v >> (8 * b)) & 0xFF);
  return out;
}

std::array<char, 4> Le32(std::uint32_t v) {
  std::array<char, 4> out;
  for (int b = 0; b < 4; ++b) out[b] = static_cast<char>((v >> (8 * b)) & 0xFF);
  return out;
}

std::uint32_t GetLe32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}

// ---- base32 (RFC 4648 alphabet, lower case, no padding) ----------------------------------------

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";

std::string Base32(const std::uint8_t (&bytes)[16]) {
  std::string out;
  out.reserve(kPseudonymChars);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  out.push_back(kBase32[(buffer << (5 - bits)) & 31]);  // the last 3 bits, then two zero bits
  return out;
}

int Base32Value(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// FromBase32(text, out): false unless text is 26 base32 characters whose last two bits are zero.
bool FromBase32(std::string_view text, std::uint8_t (&out)[16]) {
  if (text.size() != kPseudonymChars) return false;
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t n = 0;
  for (char c : text) {
    const int v = Base32Value(c);
    if (v < 0) return false;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      if (n < 16) out[n++] = static_cast<std::uint8_t>((buffer >> (bits - 8)) & 0xFF);
      bits -= 8;
    }
  }
  return n == 16 && bits == 2 && (buffer & 3) == 0;
}

}  // namespace

struct IdKeys::Impl {
  MacPtr pseudonym, tag, decoy, point;

  // PseudonymBytes(mac, id, out): a real record's 16 bytes.
  static void RealBytes(Mac& mac, std::string_view id, std::uint8_t (&out)[16]) {
    const MacOut m = mac.Run({id});
    std::memcpy(out, m.data(), 16);
  }
  static void DecoyBytes(Mac& decoy_mac, Mac& tag_mac, std::uint64_t number,
                         std::string_view anchor, std::uint8_t (&out)[16]) {
    const auto i = Le64(number);
    const MacOut r = decoy_mac.Run({"decoy", Bytes(i.data(), i.size()), anchor});
    std::memcpy(out, r.data(), 8);
    const MacOut t = tag_mac.Run({Bytes(out, 8)});
    std::memcpy(out + 8, t.data(), 8);
  }
};

IdKeys::IdKeys(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IdKeys::IdKeys(IdKeys&&) noexcept = default;
IdKeys& IdKeys::operator=(IdKeys&&) noexcept = default;
IdKeys::~IdKeys() = default;

absl::StatusOr<IdKeys> IdKeys::Create(const LinkageSchema& schema, const Secret& secret) {
  auto impl = std::make_unique<Impl>();
  const std::string fingerprint = HexEncode(schema.fingerprint);
  const auto derive = [&](std::string_view purpose) -> absl::StatusOr<MacPtr> {
    BLOOMLINK_ASSIGN_OR_RETURN(std::string key,
                               Hkdf(HkdfHash::kSha256, secret.bytes(), schema.kdf.salt,
                                    StrCat("bloomlink/v1/ids/", purpose, "/", fingerprint), 32));
    absl::StatusOr<MacPtr> ctx = KeyedTemplate(key);
    OPENSSL_cleanse(key.data(), key.size());
    return ctx;
  };
  BLOOMLINK_ASSIGN_OR_RETURN(impl->pseudonym, derive("pseudonym"));
  BLOOMLINK_ASSIGN_OR_RETURN(impl->tag, derive("decoy-tag"));
  BLOOMLINK_ASSIGN_OR_RETURN(impl->decoy, derive("decoy"));
  BLOOMLINK_ASSIGN_OR_RETURN(impl->point, derive("decoy-point"));
  return IdKeys(std::move(impl));
}

std::string IdKeys::Pseudonym(std::string_view id) const {
  Mac mac(impl_->pseudonym.get());
  std::uint8_t bytes[16];
  Impl::RealBytes(mac, id, bytes);
  return Base32(bytes);
}

std::vector<std::string> IdKeys::Pseudonyms(std::span<const std::string> ids, int threads) const {
  std::vector<std::string> out(ids.size());
  const auto n = static_cast<std::int64_t>(ids.size());
  const int t = n < 4096 ? 1 : (threads > 0 ? threads : omp_get_num_procs());
#pragma omp parallel num_threads(t)
  {
    Mac mac(impl_->pseudonym.get());
    std::uint8_t bytes[16];
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < n; ++r) {
      Impl::RealBytes(mac, ids[static_cast<std::size_t>(r)], bytes);
      out[static_cast<std::size_t>(r)] = Base32(bytes);
    }
  }
  return out;
}

std::string IdKeys::DecoyPseudonym(std::uint64_t decoy, std::string_view anchor) const {
  Mac decoy_mac(impl_->decoy.get()), tag_mac(impl_->tag.get());
  std::uint8_t bytes[16];
  Impl::DecoyBytes(decoy_mac, tag_mac, decoy, anchor, bytes);
  return Base32(bytes);
}

bool IdKeys::IsDecoy(std::string_view id) const {
  std::uint8_t bytes[16];
  if (!FromBase32(id, bytes)) return false;
  Mac tag_mac(impl_->tag.get());
  const MacOut t = tag_mac.Run({Bytes(bytes, 8)});
  return CRYPTO_memcmp(t.data(), bytes + 8, 8) == 0;
}

bool IsPseudonymShaped(std::string_view id) {
  std::uint8_t bytes[16];
  return FromBase32(id, bytes);
}

absl::Status CheckDecoyFraction(double fraction) {
  if (!(fraction >= 0 && fraction <= 1)) {
    return absl::InvalidArgumentError(StrCat(
        "decoys: expected a fraction of the records encoded between 0 and 1, got ", fraction));
  }
  return absl::OkStatus();
}

absl::Status CheckPrivacyOptions(const PrivacyOptions& options) {
  BLOOMLINK_RETURN_IF_ERROR(CheckDecoyFraction(options.decoys));
  if (options.active() && options.keys == nullptr) {
    return absl::InvalidArgumentError(
        "decoys and pseudonymous ids need the keys derived from the secret (PrivacyOptions::keys)");
  }
  return absl::OkStatus();
}

std::uint64_t DecoyCount(double fraction, std::uint64_t records) {
  if (!(fraction > 0)) return 0;
  return static_cast<std::uint64_t>(std::llround(fraction * static_cast<double>(records)));
}

}  // namespace bloomlink::encode

namespace bloomlink::encode_internal {

using encode::IdKeys;
using internal::StrCat;

namespace {

// kPointsPerMac: 32-bit points from one HMAC-SHA256.
constexpr std::size_t kPointsPerMac = encode::kMacBytes / 4;

// Points(mac, prefix, count, out): `count` 32-bit points from HMAC(prefix || u32 block), one MAC
// per 8 points.
void Points(encode::Mac& mac, std::string_view prefix, std::string_view suffix, std::size_t count,
            std::uint32_t* out) {
  for (std::size_t block = 0; block * kPointsPerMac < count; ++block) {
    const auto b = encode::Le32(static_cast<std::uint32_t>(block));
    const encode::MacOut m = mac.Run({prefix, encode::Bytes(b.data(), b.size()), suffix});
    for (std::size_t k = 0; k < kPointsPerMac && block * kPointsPerMac + k < count; ++k) {
      out[block * kPointsPerMac + k] = encode::GetLe32(m.data() + 4 * k);
    }
  }
}

int Threads(int threads, std::size_t work) {
  if (work < 4096) return 1;
  return threads > 0 ? threads : omp_get_num_procs();
}

}  // namespace

bool DecodePseudonym(std::string_view text, std::uint8_t (&bytes)[16]) {
  return encode::FromBase32(text, bytes);
}

DecoyPlan PlanDecoys(const IdKeys& keys, std::span<const std::string> ids, std::uint64_t decoys,
                     std::size_t fields, int threads) {
  DecoyPlan plan;
  plan.fields = fields;
  const std::size_t n = ids.size();
  const auto d = static_cast<std::size_t>(decoys);
  if (d == 0 || n == 0) return plan;
  // Every record's points and every decoy's targets: fields + 1 each (the last for the anchor).
  const std::size_t p = fields + 1;
  std::vector<std::uint32_t> points(n * p), targets(d * p);
  const IdKeys::Impl& impl = keys.impl();
#pragma omp parallel num_threads(Threads(threads, n))
  {
    encode::Mac mac(impl.point.get());
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < static_cast<std::int64_t>(n); ++r) {
      const auto row = static_cast<std::size_t>(r);
      Points(mac, {}, ids[row], p, points.data() + row * p);
    }
  }
#pragma omp parallel num_threads(Threads(threads, d))
  {
    encode::Mac mac(impl.decoy.get());
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(d); ++i) {
      const auto le = encode::Le64(static_cast<std::uint64_t>(i));
      Points(mac, "target", encode::Bytes(le.data(), le.size()), p,
             targets.data() + static_cast<std::size_t>(i) * p);
    }
  }
  // Per point: each decoy's successor, the record whose point is the first at or after the
  // target (cyclically; equal points: the smaller id). A record is the successor of the targets
  // just before it: walking back from the nearest target at or below its point, it improves each
  // one until the first it does not improve (that one has a record between it and this one,
  // which is then nearer to every earlier target too).
  std::vector<std::uint32_t> best(d * p);
  constexpr std::uint64_t kNone = ~std::uint64_t{0};
#pragma omp parallel for num_threads(Threads(threads, n* p / 8)) schedule(dynamic, 1)
  for (std::int64_t k = 0; k < static_cast<std::int64_t>(p); ++k) {
    const auto j = static_cast<std::size_t>(k);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> sorted(d);  // (target, decoy)
    for (std::size_t i = 0; i < d; ++i) {
      sorted[i] = {targets[i * p + j], static_cast<std::uint32_t>(i)};
    }
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::uint64_t> distance(d, kNone);
    std::vector<std::uint32_t> record(d, 0);
    for (std::size_t r = 0; r < n; ++r) {
      const std::uint32_t u = points[r * p + j];
      auto it = std::upper_bound(sorted.begin(), sorted.end(),
                                 std::pair<std::uint32_t, std::uint32_t>{u, ~0u});
      std::size_t at =
          it == sorted.begin() ? d - 1 : static_cast<std::size_t>(it - sorted.begin()) - 1;
      for (std::size_t steps = 0; steps < d; ++steps) {
        const auto [t, i] = sorted[at];
        const std::uint64_t dist = static_cast<std::uint32_t>(u - t);  // forward, mod 2^32
        const bool better = dist < distance[i] || (dist == distance[i] && ids[r] < ids[record[i]]);
        if (!better) break;
        distance[i] = dist;
        record[i] = static_cast<std::uint32_t>(r);
        at = at == 0 ? d - 1 : at - 1;
      }
    }
    for (std::size_t i = 0; i < d; ++i) best[i * p + j] = record[i];
  }
  plan.source.resize(d * fields);
  plan.anchor.resize(d);
  for (std::size_t i = 0; i < d; ++i) {
    std::copy_n(best.begin() + static_cast<std::ptrdiff_t>(i * p), fields,
                plan.source.begin() + static_cast<std::ptrdiff_t>(i * fields));
    plan.anchor[i] = best[i * p + fields];
  }
  return plan;
}

absl::StatusOr<DecoyMaker> DecoyMaker::Create(const encode::PrivacyOptions& options,
                                              const LinkageSchema& schema,
                                              std::span<const std::string> ids, int threads) {
  BLOOMLINK_RETURN_IF_ERROR(encode::CheckPrivacyOptions(options));
  DecoyMaker maker;
  maker.keys_ = options.keys;
  maker.threads_ = threads;
  maker.fields_ = schema.fields.size();
  const std::uint64_t decoys = encode::DecoyCount(options.decoys, ids.size());
  if (ids.size() + decoys > 0x7FFFFFFFu) {
    return absl::ResourceExhaustedError(
        StrCat(ids.size(), " records and ", decoys,
               " decoys are more than the 2147483647 records one dataset holds"));
  }
  maker.plan_ = PlanDecoys(*options.keys, ids, decoys, maker.fields_, threads);
  maker.values_.resize(maker.plan_.decoys() * maker.fields_);
  for (std::size_t i = 0; i < maker.plan_.decoys(); ++i) {
    for (std::size_t j = 0; j < maker.fields_; ++j) {
      if (schema.fields[j].ignored) continue;
      const std::uint32_t r = maker.plan_.source[i * maker.fields_ + j];
      maker.wanted_[ids[r]].slots.push_back(static_cast<std::uint32_t>(i * maker.fields_ + j));
    }
  }
  return maker;
}

namespace {

// Gather(m, order): a matrix of m's rows in `order`.
BitMatrix Gather(const BitMatrix& m, const BitMatrix& extra, std::span<const std::uint32_t> order) {
  BitMatrix out(order.size(), m.bits());
  const std::size_t real = m.rows();
  for (std::size_t r = 0; r < order.size(); ++r) {
    const std::uint32_t from = order[r];
    const std::uint8_t* src = from < real ? m.row_bytes(from) : extra.row_bytes(from - real);
    std::memcpy(out.row_bytes(r), src, m.stride_bytes());
  }
  out.UpdatePopcounts();
  return out;
}

// UniqueShares(n_real, is_decoy, key): among the records with a value (key(r) != 0), the share of
// real records and of decoys whose key no other record has; -1 when there are none.
template <typename Key>
std::pair<double, double> UniqueShares(std::size_t rows, const std::vector<std::uint8_t>& is_decoy,
                                       Key key) {
  absl::flat_hash_map<std::uint64_t, std::uint32_t> count;
  for (std::size_t r = 0; r < rows; ++r) {
    if (const std::uint64_t k = key(r); k != 0) ++count[k];
  }
  std::uint64_t real = 0, real_unique = 0, decoys = 0, decoys_unique = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const std::uint64_t k = key(r);
    if (k == 0) continue;
    const bool unique = count[k] == 1;
    if (is_decoy[r]) {
      ++decoys;
      decoys_unique += unique;
    } else {
      ++real;
      real_unique += unique;
    }
  }
  const auto share = [](std::uint64_t a, std::uint64_t b) {
    return b == 0 ? -1.0 : static_cast<double>(a) / static_cast<double>(b);
  };
  return {share(real_unique, real), share(decoys_unique, decoys)};
}

std::string Percent(double share) {
  return StrCat(static_cast<int>(std::lround(100 * share)), "%");
}

// kTellApart: a difference in the share of unique values between real records and decoys from
// which a field-level filter or blocking rule is said to tell decoys apart.
constexpr double kTellApart = 0.1;

}  // namespace

absl::Status DecoyMaker::Finish(EncodedDataset& data, encode::Encoder& encoder,
                                encode::EncodeReport& report, std::string_view source) {
  const LinkageSchema& schema = encoder.schema();
  const std::size_t n = data.ids.size();
  const std::size_t d = plan_.decoys();
  if (seen_ != wanted_.size()) {
    for (const auto& [id, wanted] : wanted_) {
      if (!wanted.seen) {
        return absl::FailedPreconditionError(
            StrCat(source, ": record \"", id,
                   "\" was encoded but is missing when the extract is read again for the decoys' "
                   "values: the extract changed while it was encoded; encode it again"));
      }
    }
  }
  // The decoys' encodings, as the real records': CLKs, field-level filters, blocking tokens.
  BitMatrix clks(d, schema.filter_bits);
  std::vector<FieldFilters> filters;
  std::vector<BitMatrix*> filter_ptrs;
  for (const FieldFilters& f : data.field_filters) {
    filters.push_back(FieldFilters{f.field, BitMatrix(d, f.filters.bits())});
  }
  for (FieldFilters& f : filters) filter_ptrs.push_back(&f.filters);
  const std::size_t rules = data.blocking_keys.rules.size();
  std::vector<std::uint64_t> tokens(d * rules);
  std::vector<std::uint8_t> nonempty(d, 1);
  encode::EncodeStats stats;
  stats.fields.resize(schema.fields.size());
  std::vector<std::string_view> views(values_.begin(), values_.end());
  constexpr std::size_t kBatch = 32768;
  for (std::size_t first = 0; first < d; first += kBatch) {
    const std::size_t rows = std::min(kBatch, d - first);
    std::size_t failed = 0;
    absl::Status encoded = encoder.EncodeBatch(
        std::span<const std::string_view>(views).subspan(first * fields_, rows * fields_), rows,
        clks, first, stats, std::span<std::uint8_t>(nonempty).subspan(first, rows), filter_ptrs,
        &failed, rules > 0 ? tokens.data() : nullptr);
    if (!encoded.ok()) {
      return absl::Status(encoded.code(), StrCat(source, ": decoy ", first + failed + 1, ": ",
                                                 std::string(encoded.message())));
    }
  }
  values_.clear();
  values_.shrink_to_fit();
  // A decoy without a single token would be the only empty encoding in the file (real records
  // without one are skipped): leave it out, as a real record would be.
  const bool skip_empty = schema.dialect == SchemaDialect::kBloomlink;
  std::vector<std::uint32_t> kept;
  for (std::size_t i = 0; i < d; ++i) {
    if (!skip_empty || nonempty[i]) kept.push_back(static_cast<std::uint32_t>(i));
  }

  // Every record's pseudonym, then the order of the pseudonyms.
  std::vector<std::string> names = keys_->Pseudonyms(data.ids, threads_);
  names.resize(n + kept.size());
  {
    const IdKeys::Impl& impl = keys_->impl();
#pragma omp parallel num_threads(Threads(threads_, kept.size()))
    {
      encode::Mac decoy_mac(impl.decoy.get()), tag_mac(impl.tag.get());
      std::uint8_t bytes[16];
#pragma omp for schedule(static)
      for (std::int64_t k = 0; k < static_cast<std::int64_t>(kept.size()); ++k) {
        const std::uint32_t i = kept[static_cast<std::size_t>(k)];
        IdKeys::Impl::DecoyBytes(decoy_mac, tag_mac, i, data.ids[plan_.anchor[i]], bytes);
        names[n + static_cast<std::size_t>(k)] = encode::Base32(bytes);
      }
    }
  }
  std::vector<std::uint32_t> order(names.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return names[a] < names[b]; });
  for (std::size_t r = 1; r < order.size(); ++r) {
    if (names[order[r]] == names[order[r - 1]]) {
      return absl::InternalError(StrCat(source, ": two records have the same pseudonym"));
    }
  }
  // Rows of the decoys kept, after the real ones: index n + k is decoy kept[k].
  std::vector<std::uint32_t> rows(order.size());
  for (std::size_t r = 0; r < order.size(); ++r) {
    rows[r] = order[r] < n ? order[r] : static_cast<std::uint32_t>(n + kept[order[r] - n]);
  }
  std::vector<std::uint8_t> is_decoy(order.size());
  for (std::size_t r = 0; r < order.size(); ++r) is_decoy[r] = order[r] >= n;

  data.clks = Gather(data.clks, clks, rows);
  for (std::size_t f = 0; f < data.field_filters.size(); ++f) {
    data.field_filters[f].filters = Gather(data.field_filters[f].filters, filters[f].filters, rows);
  }
  if (rules > 0) {
    std::vector<std::uint64_t> sorted(rows.size() * rules);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const std::uint64_t* src = rows[r] < n ? data.blocking_keys.tokens.data() + rows[r] * rules
                                             : tokens.data() + (rows[r] - n) * rules;
      std::copy_n(src, rules, sorted.begin() + static_cast<std::ptrdiff_t>(r * rules));
    }
    data.blocking_keys.tokens = std::move(sorted);
  }
  std::vector<std::string> ids(order.size());
  for (std::size_t r = 0; r < order.size(); ++r) ids[r] = std::move(names[order[r]]);
  data.ids = std::move(ids);
  data.pseudonymous_ids = true;
  report.decoys = kept.size();

  // A decoy copies each value from a real record, so a field-level filter or blocking token of a
  // field whose values are nearly unique (an NHS number) is shared by the decoy and its source:
  // the linkage unit could tell decoys apart as the records whose values are never unique.
  if (!kept.empty()) {
    const std::size_t rows_all = data.ids.size();
    const auto warn = [&](std::string what, std::pair<double, double> shares) {
      const auto [real, decoy] = shares;
      if (real < 0 || decoy < 0 || real - decoy < kTellApart) return;
      report.warnings.push_back(StrCat(
          "decoys: ", what, " tell decoys apart: ", Percent(real),
          " of the real records have one that no other record in the file shares, but only ",
          Percent(decoy),
          " of the decoys (a decoy copies each field's value from a real record); the linkage "
          "unit could pick out decoys by it. Leave it out of the schema when encoding with "
          "decoys (docs/security.md)"));
    };
    for (const FieldFilters& f : data.field_filters) {
      const BitMatrix& m = f.filters;
      warn(StrCat("the field-level filters of field ", f.field),
           UniqueShares(rows_all, is_decoy, [&](std::size_t r) -> std::uint64_t {
             if (m.popcount(r) == 0) return 0;  // a missing value
             return absl::HashOf(encode::Bytes(m.row_bytes(r), m.bytes_per_filter())) | 1;
           }));
    }
    for (std::size_t k = 0; k < rules; ++k) {
      warn(StrCat("the blocking tokens of rule ", data.blocking_keys.rules[k]),
           UniqueShares(rows_all, is_decoy,
                        [&](std::size_t r) { return data.blocking_keys.token(r, k); }));
    }
  }
  return absl::OkStatus();
}

}  // namespace bloomlink::encode_internal
