#include "io/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "internal/file_errors.hpp"
#include "internal/strings.hpp"

namespace bloomlink::io_internal {

using internal::StrCat;

InputFile::InputFile(std::string path, Options options)
    : path_(std::move(path)), options_(options) {
  options_.chunk_bytes = std::max<std::size_t>(1, options_.chunk_bytes);
}

InputFile::InputFile(InputFile&& other) noexcept
    : path_(std::move(other.path_)),
      options_(other.options_),
      fd_(std::exchange(other.fd_, -1)),
      text_(std::move(other.text_)),
      buffer_(std::move(other.buffer_)),
      capacity_(other.capacity_),
      pos_(other.pos_),
      len_(other.len_),
      base_(other.base_),
      size_(other.size_),
      eof_(other.eof_),
      status_(std::move(other.status_)) {
  // A string's bytes may move with it (short strings live inside the object).
  data_ = buffer_ ? buffer_.get() : text_.data();
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<InputFile> InputFile::Open(std::string path, Options options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return internal::FileError(errno, path, "cannot open");
  InputFile in(std::move(path), options);
  in.fd_ = fd;
  struct stat st;
  if (::fstat(fd, &st) != 0) return internal::FileError(errno, in.path_, "cannot open");
  if (S_ISDIR(st.st_mode)) return internal::FileError(EISDIR, in.path_, "cannot open");
  std::size_t capacity = in.options_.chunk_bytes;
  if (S_ISREG(st.st_mode)) {
    in.size_ = static_cast<std::uint64_t>(st.st_size);
    // A small file needs no large buffer; reading on past the size still works if it grew.
    capacity = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, in.size_ + 1));
#if defined(POSIX_FADV_SEQUENTIAL)
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  } else if (options.regular_only) {
    return absl::InvalidArgumentError(
        StrCat(in.path_, ": cannot open: not a regular file (its size must be known)"));
  }
  in.buffer_ = std::make_unique_for_overwrite<char[]>(capacity);
  in.capacity_ = capacity;
  in.data_ = in.buffer_.get();
  return in;
}

InputFile InputFile::FromString(std::string data, std::string name, std::size_t chunk_bytes) {
  InputFile in(std::move(name), {.chunk_bytes = chunk_bytes});
  in.text_ = std::move(data);
  in.size_ = in.text_.size();
  in.data_ = in.text_.data();
  return in;
}

absl::Status InputFile::ReadError() {
  return absl::InternalError(
      StrCat(path_, ": read failed at byte ", base_ + len_, ": ", std::strerror(errno)));
}

bool InputFile::FillSlow(std::size_t at_least) {
  if (fd_ < 0) {
    if (buffer_ == nullptr) {  // a string: widen the window by a slice (or to at_least)
      len_ = static_cast<std::size_t>(std::min<std::uint64_t>(
          text_.size(), pos_ + std::max(at_least, len_ - pos_ + options_.chunk_bytes)));
    }
    return len_ > pos_;
  }
  // Keep what is not consumed at the front, and make room for at_least bytes.
  const std::size_t kept = len_ - pos_;
  if (at_least > capacity_) {
    auto bigger = std::make_unique_for_overwrite<char[]>(at_least);
    if (kept > 0) std::memcpy(bigger.get(), data_ + pos_, kept);
    buffer_ = std::move(bigger);
    capacity_ = at_least;
    data_ = buffer_.get();
  } else if (pos_ > 0) {
    std::memmove(buffer_.get(), data_ + pos_, kept);
  }
  base_ += pos_;
  pos_ = 0;
  len_ = kept;
  while (!eof_ && status_.ok() && len_ < at_least) {
    const ssize_t got = ::read(fd_, buffer_.get() + len_, capacity_ - len_);
    if (got < 0) {
      if (errno == EINTR) continue;
      status_ = ReadError();
    } else if (got == 0) {
      eof_ = true;
    } else {
      len_ += static_cast<std::size_t>(got);
    }
  }
  return len_ > 0;
}

absl::Status InputFile::ReadExactly(void* dst, std::size_t n) {
  auto* out = static_cast<char*>(dst);
  const std::size_t from_buffer = std::min(n, len_ - pos_);
  // memcpy's pointers must not be null even for zero bytes (the buffer may not exist yet).
  if (from_buffer > 0) std::memcpy(out, data_ + pos_, from_buffer);
  pos_ += from_buffer;
  out += from_buffer;
  n -= from_buffer;
  auto ended_early = [&] {
    return absl::InvalidArgumentError(StrCat(path_, ": the file ended early at byte ", offset(),
                                             " (was it changed while being read?)"));
  };
  if (n == 0) return absl::OkStatus();
  if (fd_ < 0) {  // a string: what is left is in text_
    if (text_.size() - pos_ < n) return ended_early();
    std::memcpy(out, text_.data() + pos_, n);
    pos_ += n;
    len_ = std::max(len_, pos_);
    return absl::OkStatus();
  }
  // The buffer is used up: read the rest straight into dst.
  base_ += len_;
  pos_ = len_ = 0;
  while (n > 0) {
    const ssize_t got = ::read(fd_, out, n);
    if (got < 0) {
      if (errno == EINTR) continue;
      return ReadError();
    }
    if (got == 0) return ended_early();
    out += got;
    n -= static_cast<std::size_t>(got);
    base_ += static_cast<std::uint64_t>(got);
  }
  return absl::OkStatus();
}

absl::Status InputFile::Skip(std::uint64_t n) {
  const std::size_t from_buffer = static_cast<std::size_t>(std::min<std::uint64_t>(n, len_ - pos_));
  pos_ += from_buffer;
  n -= from_buffer;
  if (n == 0) return absl::OkStatus();
  if (fd_ >= 0 && size_ > 0 && n <= remaining()) {
    // A regular file: seek past the rest (the buffer is used up, so the descriptor stands at
    // offset()).
    base_ += len_;
    pos_ = len_ = 0;
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) {
      return absl::InternalError(StrCat(path_, ": seek failed: ", std::strerror(errno)));
    }
    base_ += n;
    return absl::OkStatus();
  }
  char scratch[4096];
  while (n > 0) {
    const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof scratch));
    if (absl::Status s = ReadExactly(scratch, step); !s.ok()) return s;
    n -= step;
  }
  return absl::OkStatus();
}

}  // namespace bloomlink::io_internal
