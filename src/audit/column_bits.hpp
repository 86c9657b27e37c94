// Internal: a set of records' filters in column-major layout, for the pattern-mining attack.
//
// Column c of the layout is a bitset over the records (record i is bit i % 64 of word i / 64),
// so that "how many records have every column of S set" is an AND of |S| columns and a popcount
// over ceil(records / 64) words, and "how many of the records in M have column c set", for
// every c at once, is one call of the match kernels' and_popcount with M as the query and the
// columns as the targets. Columns are stored as the kernels' target groups (8 columns
// word-interleaved: word w of column c is data[((c / 8) * words + w) * 8 + c % 8]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "bloomlink/bitmatrix.hpp"
#include "bloomlink/match/kernels.hpp"

namespace bloomlink::audit_internal {

// Transpose64(a): transposes the 64 x 64 bit matrix a in place: afterwards bit j of a[i] is what
// bit i of a[j] was (bit 0 is the least significant).
void Transpose64(std::uint64_t a[64]) noexcept;

class ColumnBits {
 public:
  ColumnBits() = default;
  // ColumnBits(m, rows): the filters of m's rows `rows` (record i of the layout is row rows[i]),
  // every one of m.bits() columns (column c is bit c of the filter, bloomlink's bit order).
  ColumnBits(const BitMatrix& m, std::span<const std::uint32_t> rows);

  std::size_t records() const { return records_; }
  std::size_t columns() const { return columns_; }
  // words(): 64-bit words per column, ceil(records() / 64).
  std::size_t words() const { return words_; }
  std::size_t groups() const { return (columns_ + match::kGroupLanes - 1) / match::kGroupLanes; }
  const std::uint64_t* groups_data() const { return data_.data(); }

  // Word(c, w): word w of column c.
  std::uint64_t Word(std::size_t c, std::size_t w) const {
    return data_.data()[((c / match::kGroupLanes) * words_ + w) * match::kGroupLanes +
                        c % match::kGroupLanes];
  }
  // CopyColumn(c, out): column c into out[0 .. words()).
  void CopyColumn(std::size_t c, std::uint64_t* out) const;
  // AndColumn(c, inout): inout[w] &= Word(c, w) for every word.
  void AndColumn(std::size_t c, std::uint64_t* inout) const;
  // AllRecords(out): the bitset of every record (the last word's unused bits zero).
  void AllRecords(std::uint64_t* out) const;

 private:
  std::size_t records_ = 0, columns_ = 0, words_ = 0;
  match::AlignedWords data_;
};

// ColumnCounts(kernel, bits, query, counts): counts[c] = |query AND column c| for every column
// (counts holds at least groups() * 8 entries; the padding columns count 0). query has words()
// words and needs no alignment.
void ColumnCounts(const match::KernelTable& kernel, const ColumnBits& bits,
                  const std::uint64_t* query, std::uint32_t* counts) noexcept;

// JointSupport(bits, columns, mask, scratch): the number of records that have every column of
// `columns` set and are in `mask` (all records when mask is null). With no columns, the records
// in the mask. scratch is resized to words().
std::uint64_t JointSupport(const ColumnBits& bits, std::span<const std::uint32_t> columns,
                           const std::uint64_t* mask, std::vector<std::uint64_t>& scratch);

// PopcountWords(words, n): the ones in words[0 .. n).
std::uint64_t PopcountWords(const std::uint64_t* words, std::size_t n) noexcept;

}  // namespace bloomlink::audit_internal
