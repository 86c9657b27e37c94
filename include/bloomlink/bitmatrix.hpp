// bloomlink/bitmatrix.hpp
//
// BitMatrix: n rows of fixed-width bit vectors (Bloom filters), each row 64-byte aligned, with a
// cached popcount per row. Row i is record i's filter.
//
// Bit order is clkhash's: bit j of a filter is bit (7 - j % 8) of byte j / 8, so a row's bytes are
// exactly the serialised filter and base64 export/import is a copy. Popcount and AND do not care
// about bit order.
//
//   bloomlink::BitMatrix m(/*rows=*/2, /*bits=*/1024);
//   m.SetBit(0, 17);
//   m.UpdatePopcounts();
//   assert(m.popcount(0) == 1);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace bloomlink {

class BitMatrix {
 public:
  // Row storage is aligned to (and padded to a multiple of) kRowAlignment bytes.
  static constexpr std::size_t kRowAlignment = 64;

  BitMatrix() = default;
  // BitMatrix(rows, bits) makes an all-zero matrix; `bits` is the logical filter length (any
  // positive value; clkhash allows e.g. 1000). Rows are padded with zero bits to whole 64-bit
  // words and then to the row alignment.
  BitMatrix(std::size_t rows, std::size_t bits);

  BitMatrix(BitMatrix&&) noexcept = default;
  BitMatrix& operator=(BitMatrix&&) noexcept = default;
  BitMatrix(const BitMatrix& other);
  BitMatrix& operator=(const BitMatrix& other);

  std::size_t rows() const { return rows_; }
  // bits() is the logical filter length; bytes_per_filter() = ceil(bits / 8) is its serialised
  // size.
  std::size_t bits() const { return bits_; }
  std::size_t bytes_per_filter() const { return (bits_ + 7) / 8; }
  std::size_t words_per_row() const { return words_per_row_; }
  // stride_bytes() is the distance between consecutive rows (a multiple of kRowAlignment).
  std::size_t stride_bytes() const { return stride_bytes_; }

  std::uint8_t* row_bytes(std::size_t r) { return data_.get() + r * stride_bytes_; }
  const std::uint8_t* row_bytes(std::size_t r) const { return data_.get() + r * stride_bytes_; }
  std::uint64_t* row_words(std::size_t r) { return reinterpret_cast<std::uint64_t*>(row_bytes(r)); }
  const std::uint64_t* row_words(std::size_t r) const {
    return reinterpret_cast<const std::uint64_t*>(row_bytes(r));
  }

  void SetBit(std::size_t r, std::size_t bit) {
    row_bytes(r)[bit >> 3] |= static_cast<std::uint8_t>(0x80u >> (bit & 7));
  }
  bool GetBit(std::size_t r, std::size_t bit) const {
    return (row_bytes(r)[bit >> 3] >> (7 - (bit & 7))) & 1u;
  }

  // popcount(r) is the cached number of ones in row r, valid after UpdatePopcounts().
  std::uint32_t popcount(std::size_t r) const { return popcounts_[r]; }
  std::span<const std::uint32_t> popcounts() const { return popcounts_; }
  // UpdatePopcount(r) / UpdatePopcounts() recompute the cache from the row contents.
  void UpdatePopcount(std::size_t r);
  void UpdatePopcounts();

  // Resize(rows) keeps the first min(rows, this->rows()) rows; new rows are zero. Growing past
  // the capacity reallocates (geometrically, so appending batch after batch stays linear).
  void Resize(std::size_t rows);
  // Reserve(rows) makes room for `rows` rows without changing rows(), so that a caller who can
  // estimate the final size avoids the copies (and the transient double memory) of growing.
  void Reserve(std::size_t rows);
  std::size_t capacity() const { return capacity_rows_; }

  friend bool operator==(const BitMatrix& a, const BitMatrix& b);

 private:
  // AlignedFree frees a block from Allocate: `offset` bytes before the aligned pointer.
  struct AlignedFree {
    std::size_t offset;
    void operator()(std::uint8_t* p) const;
  };
  static std::unique_ptr<std::uint8_t[], AlignedFree> Allocate(std::size_t bytes);

  std::size_t rows_ = 0;
  std::size_t bits_ = 0;
  std::size_t words_per_row_ = 0;
  std::size_t stride_bytes_ = 0;
  std::size_t capacity_rows_ = 0;
  std::unique_ptr<std::uint8_t[], AlignedFree> data_;
  std::vector<std::uint32_t> popcounts_;
};

}  // namespace bloomlink
