#include "bloomlink/link.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>

#include "bloomlink/base64.hpp"
#include "bloomlink/io/atomic_file.hpp"
#include "internal/status_macros.hpp"
#include "internal/strings.hpp"

namespace bloomlink::link {
namespace {

using internal::StrCat;

std::string Short(const Digest& d) { return HexEncode(d).substr(0, 16); }

// Ranks(ids): ranks[i] is id i's position in byte order, so pairs can be sorted by id with
// integer comparisons.
std::vector<std::uint32_t> Ranks(const std::vector<std::string>& ids) {
  std::vector<std::uint32_t> order(ids.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t x, std::uint32_t y) { return ids[x] < ids[y]; });
  std::vector<std::uint32_t> ranks(ids.size());
  for (std::size_t r = 0; r < order.size(); ++r) ranks[order[r]] = static_cast<std::uint32_t>(r);
  return ranks;
}

// AppendCsvField(out, text): RFC 4180 quoting when needed.
void AppendCsvField(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(text);
    return;
  }
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

absl::StatusOr<std::vector<std::string>> CheckCompatible(const EncodedDataset& a,
                                                         std::string_view name_a,
                                                         const EncodedDataset& b,
                                                         std::string_view name_b) {
  if (a.size() == 0) return absl::InvalidArgumentError(StrCat(name_a, ": has no records"));
  if (b.size() == 0) return absl::InvalidArgumentError(StrCat(name_b, ": has no records"));
  if (a.clks.bits() != b.clks.bits()) {
    return absl::FailedPreconditionError(
        StrCat("cannot link ", name_a, " (", a.clks.bits(), "-bit filters) with ", name_b, " (",
               b.clks.bits(), "-bit filters): both must be encoded with the same schema"));
  }
  std::vector<std::string> warnings;
  if (a.schema_fingerprint && b.schema_fingerprint) {
    if (*a.schema_fingerprint != *b.schema_fingerprint) {
      return absl::FailedPreconditionError(
          StrCat("cannot link ", name_a, " with ", name_b,
                 ": they were encoded with different schemas "
                 "(fingerprints ",
                 Short(*a.schema_fingerprint), "... and ", Short(*b.schema_fingerprint),
                 "...); every organisation must encode with the same schema file"));
    }
  } else {
    warnings.push_back(StrCat(a.schema_fingerprint ? name_b : name_a,
                              " does not record its schema fingerprint (clkhash JSON or CSV): "
                              "cannot check that both were encoded with the same schema"));
  }
  if (a.key_check && b.key_check) {
    if (*a.key_check != *b.key_check) {
      return absl::FailedPreconditionError(StrCat("cannot link ", name_a, " with ", name_b,
                                                  ": they were encoded with different secrets "
                                                  "(key check values ",
                                                  Short(*a.key_check), "... and ",
                                                  Short(*b.key_check),
                                                  "...); the data holders must share one secret"));
    }
  } else {
    warnings.push_back(StrCat(a.key_check ? name_b : name_a,
                              " does not record a key check value (clkhash JSON or CSV): "
                              "cannot check that both were encoded with the same secret"));
  }
  return warnings;
}

absl::StatusOr<match::CandidatePairs> Link(const EncodedDataset& a, const EncodedDataset& b,
                                           const LinkOptions& options, LinkReport* report) {
  LinkReport local;
  LinkReport& rep = report ? *report : local;
  BLOOMLINK_ASSIGN_OR_RETURN(
      match::CandidatePairs candidates,
      match::FindCandidates(a.clks, b.clks, options.candidates, &rep.candidates));
  const auto start = std::chrono::steady_clock::now();
  BLOOMLINK_ASSIGN_OR_RETURN(
      match::CandidatePairs matches,
      solve::SolveOneToOne(candidates, options.one_to_one, a.size(), b.size()));
  rep.solve_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rep.matches = matches.size();
  return matches;
}

absl::Status WritePairsCsv(const EncodedDataset& a, const EncodedDataset& b,
                           const match::CandidatePairs& pairs, const std::string& path) {
  const std::vector<std::uint32_t> rank_a = Ranks(a.ids), rank_b = Ranks(b.ids);
  std::vector<std::uint32_t> order(pairs.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
    if (pairs.score[x] != pairs.score[y]) return pairs.score[x] > pairs.score[y];
    if (pairs.left[x] != pairs.left[y]) return rank_a[pairs.left[x]] < rank_a[pairs.left[y]];
    return rank_b[pairs.right[x]] < rank_b[pairs.right[y]];
  });
  BLOOMLINK_ASSIGN_OR_RETURN(io::AtomicFileWriter out, io::AtomicFileWriter::Create(path));
  std::string line;
  BLOOMLINK_RETURN_IF_ERROR(out.Write("id_a,id_b,score\n"));
  char score[32];
  for (std::uint32_t i : order) {
    line.clear();
    AppendCsvField(line, a.ids[pairs.left[i]]);
    line.push_back(',');
    AppendCsvField(line, b.ids[pairs.right[i]]);
    std::snprintf(score, sizeof score, ",%.6f\n", static_cast<double>(pairs.score[i]));
    line.append(score);
    BLOOMLINK_RETURN_IF_ERROR(out.Write(line));
  }
  return out.Commit();
}

}  // namespace bloomlink::link
