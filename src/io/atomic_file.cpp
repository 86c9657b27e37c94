#include "bloomlink/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
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

// The temporary files being written, for RemoveTemporaryFiles() in a signal handler: fixed slots
// claimed with an atomic state (free, being filled, ready), so the handler reads them without
// allocating or locking.
constexpr std::size_t kSlots = 64;
constexpr std::size_t kSlotPathBytes = 4096;
enum SlotState : int { kFree = 0, kFilling = 1, kReady = 2 };
struct TempSlot {
  std::atomic<int> state{kFree};
  char path[kSlotPathBytes];
};
static_assert(std::atomic<int>::is_always_lock_free);
TempSlot g_temp_slots[kSlots];

int RegisterTemp(const std::string& temp) {
  if (temp.size() >= kSlotPathBytes) return -1;
  for (std::size_t i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (g_temp_slots[i].state.compare_exchange_strong(expected, kFilling)) {
      std::memcpy(g_temp_slots[i].path, temp.c_str(), temp.size() + 1);
      g_temp_slots[i].state.store(kReady, std::memory_order_release);
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace

void RemoveTemporaryFiles() noexcept {
  for (TempSlot& slot : g_temp_slots) {
    if (slot.state.load(std::memory_order_acquire) == kReady) ::unlink(slot.path);
  }
}

void AtomicFileWriter::Unregister() {
  if (slot_ >= 0) g_temp_slots[slot_].state.store(kFree, std::memory_order_release);
  slot_ = -1;
}

absl::StatusOr<AtomicFileWriter> AtomicFileWriter::Create(std::string path) {
  if (path.empty()) return absl::InvalidArgumentError("output path is empty");
  std::filesystem::path p(path);
  std::filesystem::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    if (std::filesystem::exists(dir, ec)) {
      return absl::NotFoundError(
          internal::StrCat(path, ": cannot write: ", dir.string(), " is not a folder"));
    }
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
  slot_ = RegisterTemp(temp_path_);
}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      bytes_written_(other.bytes_written_),
      slot_(std::exchange(other.slot_, -1)) {
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
    slot_ = std::exchange(other.slot_, -1);
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
  Unregister();
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
  // Only now: until the rename, an interrupt must still remove the temporary file.
  temp_path_.clear();
  Unregister();
  return absl::OkStatus();
}

}  // namespace bloomlink::io
