// bloomlink/link.hpp
//
// Linking two encoded datasets: the linkage unit's whole job from files to matches. Checks that
// the encodings can be compared (same filter length, schema fingerprint and key check value),
// finds candidate pairs (bloomlink/match/candidates.hpp), resolves them one-to-one
// (bloomlink/solve/one_to_one.hpp), and writes the pairs with the records' ids.
//
//   link::LinkReport report;
//   BLOOMLINK_ASSIGN_OR_RETURN(match::CandidatePairs pairs,
//                              link::Link(a, b, {.candidates = {.threshold = 0.8}}, &report));
//   BLOOMLINK_RETURN_IF_ERROR(link::WritePairsCsv(a, b, pairs, "pairs.csv"));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bloomlink/encoded_dataset.hpp"
#include "bloomlink/match/candidate_pairs.hpp"
#include "bloomlink/match/candidates.hpp"
#include "bloomlink/solve/one_to_one.hpp"

namespace bloomlink::link {

// CheckCompatible(a, name_a, b, name_b): FailedPrecondition when the two encodings cannot be
// compared: different filter lengths, schema fingerprints or key check values (different
// schemas or secrets). When either file does not record a fingerprint or key check value
// (clkhash JSON, CSV), that check cannot be made: the returned warnings say so. InvalidArgument
// when a dataset has no records.
absl::StatusOr<std::vector<std::string>> CheckCompatible(const EncodedDataset& a,
                                                         std::string_view name_a,
                                                         const EncodedDataset& b,
                                                         std::string_view name_b);

struct LinkOptions {
  match::CandidateOptions candidates;
  solve::OneToOne one_to_one = solve::OneToOne::kGreedy;
};

struct LinkReport {
  match::CandidateStats candidates;
  std::uint64_t matches = 0;
  double solve_seconds = 0;
};

// Link(a, b, options, report): candidates then one-to-one resolution; pairs index a's and b's
// records and are ordered by score (highest first), then index in A, then index in B.
absl::StatusOr<match::CandidatePairs> Link(const EncodedDataset& a, const EncodedDataset& b,
                                           const LinkOptions& options,
                                           LinkReport* report = nullptr);

// WritePairsCsv(a, b, pairs, path): CSV with header id_a,id_b,score (A's id first), sorted by
// score descending, then id_a, then id_b (byte order); scores with 6 decimals. Written atomically.
absl::Status WritePairsCsv(const EncodedDataset& a, const EncodedDataset& b,
                           const match::CandidatePairs& pairs, const std::string& path);

}  // namespace bloomlink::link
