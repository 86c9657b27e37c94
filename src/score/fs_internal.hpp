// Internal to the score module: checks shared by the model code and the model file parser, and
// ComparePatterns with a given kernel.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bloomlink/match/kernels.hpp"
#include "bloomlink/score/fellegi_sunter.hpp"

namespace bloomlink::score_internal {

// CheckCutpoints(field): OK when field.cutpoints has 1 to kMaxLevels - 1 values, each in (0, 1],
// strictly decreasing; else InvalidArgument "<context>field "name": ..." naming the cut-point.
absl::Status CheckCutpoints(const score::FieldLevels& field, std::string_view context);

// CheckProbabilities(values, levels, what): OK when `values` has `levels` entries, each in (0, 1),
// summing to 1 within kSumTolerance; else InvalidArgument "<what>: ...".
inline constexpr double kSumTolerance = 1e-6;
absl::Status CheckProbabilities(const std::vector<double>& values, std::size_t levels,
                                std::string_view what);

// CheckCompareInputs(a, b, pairs, fields): Compare's checks of its arguments (one filter matrix
// per field on each side, the same lengths, valid cut-points, pairs' indices in range); OK or
// InvalidArgument "Compare: ...".
absl::Status CheckCompareInputs(const std::vector<const BitMatrix*>& a,
                                const std::vector<const BitMatrix*>& b,
                                const match::CandidatePairs& pairs,
                                const std::vector<score::FieldLevels>& fields);

// ComparePatternsWith(kernel, a, b, pairs, fields, threads): score::ComparePatterns with the
// keys computed by `kernel`'s field_level_keys rather than by match::Kernels()' (tests
// run each kernel this CPU has; every kernel gives the same result).
absl::StatusOr<score::PairPatterns> ComparePatternsWith(
    const match::KernelTable& kernel, const std::vector<const BitMatrix*>& a,
    const std::vector<const BitMatrix*>& b, const match::CandidatePairs& pairs,
    const std::vector<score::FieldLevels>& fields, int threads);

}  // namespace bloomlink::score_internal
