// InputFile: the one way io/ reads its inputs (CSV, clkhash JSON, id,clk CSV, .bloom). It opens
// a file with the library's errors (NotFound, PermissionDenied, a folder named as such), reads it
// in large chunks into a buffer that parsers scan in place, and reads bulk payloads straight into
// the caller's memory. It also serves a string in slices (CsvReader::FromString and tests, which
// make the slices tiny so that every parser meets its input split at every byte).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bloomlink::io_internal {

class InputFile {
 public:
  struct Options {
    // regular_only: refuse anything but a regular file (readers that check declared lengths
    // against the size need it known).
    bool regular_only = false;
    // chunk_bytes: the size of each read (of each slice of a string); at least 1.
    std::size_t chunk_bytes = std::size_t{1} << 20;
  };

  // Open(path, options): NotFound / PermissionDenied when the file cannot be opened,
  // InvalidArgument for a folder (or, with regular_only, a pipe or device).
  static absl::StatusOr<InputFile> Open(std::string path, Options options);
  static absl::StatusOr<InputFile> Open(std::string path) { return Open(std::move(path), {}); }
  // FromString(data, name, chunk_bytes): reads `data`; `name` stands for the file in messages.
  static InputFile FromString(std::string data, std::string name, std::size_t chunk_bytes);

  InputFile(InputFile&&) noexcept;
  InputFile& operator=(InputFile&&) = delete;
  ~InputFile();

  const std::string& path() const { return path_; }
  // size(): the size of a regular file or string; 0 when unknown (a pipe).
  std::uint64_t size() const { return size_; }
  // offset(): bytes consumed so far; remaining(): size() - offset() (for a known size).
  std::uint64_t offset() const { return base_ + pos_; }
  std::uint64_t remaining() const { return size_ - offset(); }

  // buffered(): the bytes read but not yet consumed; Consume(n) consumes n of them.
  std::string_view buffered() const { return std::string_view(data_ + pos_, len_ - pos_); }
  void Consume(std::size_t n) { pos_ += n; }
  // Fill(at_least): reads until at least `at_least` bytes are buffered or the input ends; false
  // when nothing is buffered after it (the end, or a read error: see status()).
  bool Fill(std::size_t at_least = 1) { return len_ - pos_ >= at_least || FillSlow(at_least); }
  // Peek(): the next byte, or -1 at the end (or after a read error); Get() also consumes it.
  int Peek() {
    if (pos_ < len_ || FillSlow(1)) return static_cast<unsigned char>(data_[pos_]);
    return -1;
  }
  int Get() {
    const int c = Peek();
    if (c >= 0) ++pos_;
    return c;
  }

  // ReadExactly(dst, n): the next n bytes, from the buffer and then straight from the file.
  // InvalidArgument when the input ends first ("ended early"), Internal on a read error.
  absl::Status ReadExactly(void* dst, std::size_t n);
  // Skip(n): consumes n bytes without reading them where it can (a seek); as ReadExactly when the
  // input ends first.
  absl::Status Skip(std::uint64_t n);

  // status(): the read error that ended Fill or Peek, if any (sticky).
  const absl::Status& status() const { return status_; }

 private:
  InputFile(std::string path, Options options);
  bool FillSlow(std::size_t at_least);
  absl::Status ReadError();

  std::string path_;
  Options options_;
  int fd_ = -1;
  std::string text_;                // the string served (FromString)
  std::unique_ptr<char[]> buffer_;  // the chunk buffer (files)
  std::size_t capacity_ = 0;
  const char* data_ = nullptr;  // buffered bytes: [data_ + pos_, data_ + len_)
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
  std::uint64_t base_ = 0;  // offset of data_[0]
  std::uint64_t size_ = 0;
  bool eof_ = false;
  absl::Status status_;
};

}  // namespace bloomlink::io_internal
