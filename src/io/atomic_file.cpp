#include "bloomlink/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "internal/file_errors.hpp"
#include "internal/strings.hpp"

namespace bloomlink::io {
namespace {

constexpr std::size_t kBufferSize = 1 << 20;

}  // namespace

absl::StatusOr<AtomicFileWriter> AtomicFileWriter::Create(std::string path) {
  if (path.empty()) return absl::InvalidArgumentError("output path is empty");
  std::filesystem::path p(path);
  std::filesystem::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::NotFoundError(
        internal::StrCat(path, ": cannot write: folder ", dir.string(), " does not exist"));
  }
  if (std::filesystem::is_directory(p, ec)) {
    return absl::InvalidArgumentError(internal::StrCat(path, ": cannot write: it is a folder"));
  }
  std::string temp = (dir / internal::StrCat(".", p.filename().string(), ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return internal::FileError(errno, path, "cannot create a temporary file");
  // mkstemp makes the file 0600; give the output the permissions a plain open() would.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  return AtomicFileWriter(std::move(path), std::move(temp), fd);
}

AtomicFileWriter::AtomicFileWriter(std::string path, std::string temp_path, int fd)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {
  buffer_.reserve(kBufferSize);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      bytes_written_(other.bytes_written_) {
  other.temp_path_.clear();
}

AtomicFileWriter& AtomicFileWriter::operator=(AtomicFileWriter&& other) noexcept {
  if (this != &other) {
    Abandon();
    path_ = std::move(other.path_);
    temp_path_ = std::exchange(other.temp_path_, std::string());
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
    bytes_written_ = other.bytes_written_;
  }
  return *this;
}

AtomicFileWriter::~AtomicFileWriter() { Abandon(); }

void AtomicFileWriter::Abandon() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }
}

absl::Status AtomicFileWriter::Flush() {
  const char* p = buffer_.data();
  std::size_t left = buffer_.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      Abandon();
      return internal::FileError(err, path_, "write failed");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Write(std::string_view data) {
  if (fd_ < 0) return absl::FailedPreconditionError(internal::StrCat(path_, ": writer is closed"));
  bytes_written_ += data.size();
  if (buffer_.size() + data.size() > kBufferSize) {
    absl::Status s = Flush();
    if (!s.ok()) return s;
    if (data.size() >= kBufferSize) {
      buffer_.assign(data);
      return Flush();
    }
  }
  buffer_.append(data);
  return absl::OkStatus();
}

absl::Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return absl::FailedPreconditionError(internal::StrCat(path_, ": writer is closed"));
  absl::Status s = Flush();
  if (!s.ok()) return s;
  if (::fsync(fd_) != 0) {
    int err = errno;
    Abandon();
    return internal::FileError(err, path_, "cannot sync to disk");
  }
  if (::close(fd_) != 0) {
    int err = errno;
    fd_ = -1;
    Abandon();
    return internal::FileError(err, path_, "cannot close");
  }
  fd_ = -1;
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    int err = errno;
    Abandon();
    return internal::FileError(err, path_, "cannot move the finished file into place");
  }
  temp_path_.clear();
  return absl::OkStatus();
}

}  // namespace bloomlink::io
