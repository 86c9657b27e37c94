#include "bloomlink/bitmatrix.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "internal/huge_pages.hpp"
#include "internal/popcount.hpp"

namespace bloomlink {

void BitMatrix::AlignedFree::operator()(std::uint8_t* p) const { std::free(p - offset); }

std::unique_ptr<std::uint8_t[], BitMatrix::AlignedFree> BitMatrix::Allocate(std::size_t bytes) {
  if (bytes == 0) return std::unique_ptr<std::uint8_t[], AlignedFree>(nullptr, AlignedFree{0});
  // calloc rather than aligned_alloc + memset: for a large block the C library maps fresh pages,
  // which are zero already, so the pages are first touched by the threads that fill the rows
  // instead of all by one memset up front.
  void* raw = std::calloc(bytes + kRowAlignment, 1);
  if (raw == nullptr) throw std::bad_alloc();
  internal::AdviseHugePages(raw, bytes);
  auto address = reinterpret_cast<std::uintptr_t>(raw);
  std::size_t offset = (kRowAlignment - address % kRowAlignment) % kRowAlignment;
  return std::unique_ptr<std::uint8_t[], AlignedFree>(static_cast<std::uint8_t*>(raw) + offset,
                                                      AlignedFree{offset});
}

BitMatrix::BitMatrix(std::size_t rows, std::size_t bits)
    : rows_(rows),
      bits_(bits),
      words_per_row_((bits + 63) / 64),
      stride_bytes_((words_per_row_ * 8 + kRowAlignment - 1) / kRowAlignment * kRowAlignment),
      capacity_rows_(rows),
      data_(Allocate(rows * stride_bytes_)),
      popcounts_(rows, 0) {}

BitMatrix::BitMatrix(const BitMatrix& other)
    : rows_(other.rows_),
      bits_(other.bits_),
      words_per_row_(other.words_per_row_),
      stride_bytes_(other.stride_bytes_),
      capacity_rows_(other.rows_),
      data_(Allocate(other.rows_ * other.stride_bytes_)),
      popcounts_(other.popcounts_) {
  if (rows_ > 0) std::memcpy(data_.get(), other.data_.get(), rows_ * stride_bytes_);
}

BitMatrix& BitMatrix::operator=(const BitMatrix& other) {
  if (this != &other) {
    BitMatrix copy(other);
    *this = std::move(copy);
  }
  return *this;
}

void BitMatrix::UpdatePopcount(std::size_t r) {
  popcounts_[r] = internal::Popcount(row_words(r), words_per_row_);
}

void BitMatrix::UpdatePopcounts() {
  for (std::size_t r = 0; r < rows_; ++r) UpdatePopcount(r);
}

void BitMatrix::Reserve(std::size_t rows) {
  if (rows <= capacity_rows_) return;
  auto data = Allocate(rows * stride_bytes_);
  if (rows_ > 0) std::memcpy(data.get(), data_.get(), rows_ * stride_bytes_);
  data_ = std::move(data);
  capacity_rows_ = rows;
  popcounts_.reserve(rows);
}

void BitMatrix::Resize(std::size_t rows) {
  if (rows > capacity_rows_) {
    Reserve(std::max(rows, capacity_rows_ + capacity_rows_ / 2));
  } else if (rows < rows_) {
    std::memset(data_.get() + rows * stride_bytes_, 0, (rows_ - rows) * stride_bytes_);
  }
  rows_ = rows;
  popcounts_.resize(rows, 0);
}

bool operator==(const BitMatrix& a, const BitMatrix& b) {
  if (a.rows_ != b.rows_ || a.bits_ != b.bits_) return false;
  for (std::size_t r = 0; r < a.rows_; ++r) {
    if (std::memcmp(a.row_bytes(r), b.row_bytes(r), a.words_per_row_ * 8) != 0) return false;
  }
  return true;
}

}  // namespace bloomlink
