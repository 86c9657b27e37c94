// bloomlink/match/field_key_spec.hpp
//
// FieldKeySpec: how the field_level_keys kernel (bloomlink/match/kernels.hpp) turns the Dice
// coefficients of a pair's fields into one integer key: a level per field, from the field's
// descending cut-points, each packed at its bit offset. Fellegi-Sunter's comparison
// (score::ComparePatterns) fills it from its fields' cut-points.
//
// This header holds a plain struct and a constant and nothing else, because the kernel files
// include it: they are compiled with ISA flags and may see no inline code
// (src/match/tiling_driver.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace bloomlink::match {

// FieldKeySpec: for rows that hold each record's fields side by side (field f in words
// [field_end[f - 1], field_end[f]), field 0 from word 0), followed at word `popcount_word` by
// the fields' popcounts (nf uint32, field 0 first), the key of a pair is
//   OR over fields f of code(f) << shift[f],
// where code(f) is 0 when either record's field is empty (popcount 0), else 1 + the number of
// cut-points l (l < ncuts) with !(2.0 * c >= cutpoints[l * cut_stride + f] * s), c the
// popcount of the field's intersection and s the sum of its two popcounts, as doubles (the
// products and comparisons C++ makes: exact, and the same in every kernel). A field's cut-points
// are descending; a field with fewer than ncuts is padded with 0.0 (always reached). The caller
// keeps each field's codes below 2^(shift[f + 1] - shift[f]) and the key within 64 bits.
struct FieldKeySpec {
  const std::uint32_t* field_end;
  std::size_t nf;
  std::size_t popcount_word;
  const double* cutpoints;
  std::size_t cut_stride;  // at least nf, a multiple of kCutLanes
  std::size_t ncuts;
  const std::uint8_t* shift;
};

// kCutLanes: FieldKeySpec::cut_stride is a multiple of this (one vector of 8 doubles per 8
// fields), and the padding past nf is 0.0.
inline constexpr std::size_t kCutLanes = 8;

}  // namespace bloomlink::match
