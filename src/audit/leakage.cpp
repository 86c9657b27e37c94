// Leakage of the encodings alone: equal encodings, bit columns far from the mean fill, and the
// popcount's correlation with the values' length.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "audit/internal.hpp"
#include "internal/strings.hpp"

namespace bloomlink::audit_internal {
namespace {

using internal::StrCat;

constexpr std::size_t kChunk = 65536;

// kSpread[b]: eight byte-wide counters, counter k is 1 when the filter bit at offset k of byte b
// is set (bit 7 - k: bloomlink's bit order counts from the top of each byte).
constexpr std::array<std::uint64_t, 256> MakeSpread() {
  std::array<std::uint64_t, 256> t{};
  for (unsigned b = 0; b < 256; ++b) {
    std::uint64_t v = 0;
    for (unsigned k = 0; k < 8; ++k)
      v |= static_cast<std::uint64_t>((b >> (7 - k)) & 1u) << (8 * k);
    t[b] = v;
  }
  return t;
}
constexpr std::array<std::uint64_t, 256> kSpread = MakeSpread();

// CountColumns(m, rows, begin, end, counts): adds each column's ones over rows[begin, end).
void CountColumns(const BitMatrix& m, std::span<const std::uint32_t> rows, std::size_t begin,
                  std::size_t end, std::vector<std::uint64_t>& counts,
                  std::vector<std::uint64_t>& lanes) {
  const std::size_t bytes = m.bytes_per_filter();
  lanes.assign(bytes, 0);
  const auto flush = [&] {
    for (std::size_t b = 0; b < bytes; ++b) {
      const std::uint64_t v = lanes[b];
      for (std::size_t k = 0; k < 8; ++k) counts[b * 8 + k] += (v >> (8 * k)) & 0xFF;
      lanes[b] = 0;
    }
  };
  std::size_t pending = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const std::uint8_t* row = m.row_bytes(rows[i]);
    for (std::size_t b = 0; b < bytes; ++b) lanes[b] += kSpread[row[b]];
    if (++pending == 255) {
      flush();
      pending = 0;
    }
  }
  flush();
}

double Pearson(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = x.size();
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx <= 0 || syy <= 0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace

LeakageResult MeasureLeakage(const BitMatrix& m, std::span<const std::uint32_t> rows,
                             std::span<const std::uint32_t> lengths, int threads) {
  LeakageResult out;
  const std::size_t n = rows.size();
  out.bits = static_cast<std::uint32_t>(m.bits());
  out.records = n;
  if (n == 0) {
    out.popcount_length_correlation = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  const std::size_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks == 1) threads = 1;

  // Column fill: integer counts per chunk, summed (the same whatever the threads).
  const std::size_t columns = m.bytes_per_filter() * 8;
  std::vector<std::uint64_t> counts(columns, 0);
  std::vector<std::uint64_t> hashes(n);
  const auto nchunks = static_cast<std::int64_t>(chunks);
#pragma omp parallel num_threads(threads)
  {
    std::vector<std::uint64_t> mine(columns, 0), lanes;
#pragma omp for schedule(static)
    for (std::int64_t c = 0; c < nchunks; ++c) {
      const std::size_t begin = static_cast<std::size_t>(c) * kChunk;
      const std::size_t end = std::min(n, begin + kChunk);
      CountColumns(m, rows, begin, end, mine, lanes);
      for (std::size_t i = begin; i < end; ++i) {
        hashes[i] = Hash64(std::string_view(reinterpret_cast<const char*>(m.row_bytes(rows[i])),
                                            m.bytes_per_filter()),
                           0x1EA4);
      }
    }
#pragma omp critical
    for (std::size_t c = 0; c < columns; ++c) counts[c] += mine[c];
  }

  // Classes of equal encodings: by hash, checked byte for byte against the class's first row.
  absl::flat_hash_map<std::uint64_t, std::uint32_t> by_hash;
  absl::flat_hash_map<std::string, std::uint32_t> collided;
  std::vector<std::uint32_t> first_row, size;
  by_hash.reserve(n);
  const std::size_t bytes = m.bytes_per_filter();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t* row = m.row_bytes(rows[i]);
    auto [it, inserted] = by_hash.try_emplace(hashes[i], static_cast<std::uint32_t>(size.size()));
    std::uint32_t cls = it->second;
    if (inserted) {
      first_row.push_back(rows[i]);
      size.push_back(0);
    } else if (std::memcmp(m.row_bytes(first_row[cls]), row, bytes) != 0) {
      auto [it2, inserted2] =
          collided.try_emplace(std::string(reinterpret_cast<const char*>(row), bytes),
                               static_cast<std::uint32_t>(size.size()));
      cls = it2->second;
      if (inserted2) {
        first_row.push_back(rows[i]);
        size.push_back(0);
      }
    }
    ++size[cls];
  }
  for (std::uint32_t s : size) {
    if (s >= 2) out.duplicated += s;
    out.largest_class = std::max<std::uint64_t>(out.largest_class, s);
  }
  const double dn = static_cast<double>(n);
  out.duplicate_share = static_cast<double>(out.duplicated) / dn;
  out.largest_class_share = static_cast<double>(out.largest_class) / dn;

  // Fill: columns beyond m.bits() (padding of a clkhash length) are not columns.
  double total = 0;
  for (std::size_t c = 0; c < m.bits(); ++c) total += static_cast<double>(counts[c]) / dn;
  out.mean_fill = total / static_cast<double>(m.bits());
  const double sd = std::sqrt(out.mean_fill * (1 - out.mean_fill) / dn);
  const double far = std::max(0.25, 5 * sd);
  for (std::size_t c = 0; c < m.bits(); ++c) {
    const double fill = static_cast<double>(counts[c]) / dn;
    if (std::abs(fill - out.mean_fill) > far) {
      out.far_columns.push_back(static_cast<std::uint32_t>(c));
      out.far_column_fill.push_back(fill);
    }
  }

  std::vector<double> pop(n), len(n);
  for (std::size_t i = 0; i < n; ++i) {
    pop[i] = m.popcount(rows[i]);
    len[i] = lengths[i];
  }
  out.popcount_length_correlation = Pearson(pop, len);

  if (out.duplicate_share > 0.01) {
    out.verdict = Verdict::kWarn;
    out.reasons.push_back(StrCat(internal::Thousands(out.duplicated),
                                 " records share their encoding with another record (over 1%)"));
  }
  if (!out.far_columns.empty()) {
    out.verdict = Verdict::kWarn;
    std::string which;
    for (std::size_t k = 0; k < out.far_columns.size() && k < 8; ++k) {
      internal::StrAppend(which, k == 0 ? "" : ", ", out.far_columns[k]);
    }
    if (out.far_columns.size() > 8) which += ", ...";
    out.reasons.push_back(
        StrCat(out.far_columns.size(), " bit column", out.far_columns.size() == 1 ? " is" : "s are",
               " far from the mean fill (", which, "; the JSON lists them with their fill)"));
  }
  return out;
}

}  // namespace bloomlink::audit_internal
