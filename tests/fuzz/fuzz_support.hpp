// Shared helpers for the libFuzzer targets in tests/fuzz (see README.md there).
//
// The targets call the public API the CLI calls. Readers that only take a path get the input
// through MemFile: an anonymous in-memory file (memfd) opened by its /proc/self/fd path, so no
// file is written per input and the reader sees a regular file of the right size, as it would
// on disk. Round trips that write files go to ScratchDir, a per-process folder under $TMPDIR.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "absl/status/status.h"
#include "bloomlink/encoded_dataset.hpp"

namespace bloomlink::fuzz {

// FUZZ_CHECK(cond, what): an invariant; when it fails, print it and abort so that libFuzzer
// saves the input as a crash.
#define FUZZ_CHECK(cond, what)                                                             \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: invariant failed: %s: %s\n", __FILE__, __LINE__, #cond, \
                   std::string(what).c_str());                                             \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)

// Fail(what): a setup failure of the harness itself (not of the code under test).
[[noreturn]] inline void Fail(std::string_view what) {
  std::fprintf(stderr, "fuzz harness: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

// ExpectInvalidArgument(status, what): bad input must be reported as InvalidArgument (the CLI's
// exit code 2), never as an internal error or anything else.
inline void ExpectInvalidArgument(const absl::Status& status, std::string_view what) {
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument,
             std::string(what) + ": " + status.ToString());
}

// MemFile: `data` in an anonymous in-memory file; path() opens it like any file.
class MemFile {
 public:
  MemFile(const std::uint8_t* data, std::size_t size) {
    fd_ = ::memfd_create("bloomlink-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) Fail("memfd_create failed");
    std::size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) Fail("write to memfd failed");
      done += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// ScratchDir(): a folder for round-trip files, made once per process under $TMPDIR (scripts/fuzz
// points it into build-fuzz) and removed at exit.
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path dir = [] {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::filesystem::path d = base / ("bloomlink-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d, ec);
    if (ec) Fail("cannot create " + d.string());
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(ScratchDir(), ignored);
    });
    return d;
  }();
  return dir;
}

// SameMatrix(a, b): same shape, same bits, same cached popcounts.
inline bool SameMatrix(const BitMatrix& a, const BitMatrix& b) {
  if (a.rows() != b.rows() || a.bits() != b.bits() || !(a == b)) return false;
  for (std::size_t r = 0; r < a.rows(); ++r) {
    if (a.popcount(r) != b.popcount(r)) return false;
  }
  return true;
}

// CheckSameDataset(a, b, what): every part of two datasets is equal (aborts otherwise).
inline void CheckSameDataset(const EncodedDataset& a, const EncodedDataset& b,
                             std::string_view what) {
  const std::string w(what);
  FUZZ_CHECK(a.ids == b.ids, w + ": ids differ");
  FUZZ_CHECK(SameMatrix(a.clks, b.clks), w + ": CLKs differ");
  FUZZ_CHECK(a.schema_fingerprint == b.schema_fingerprint, w + ": schema fingerprints differ");
  FUZZ_CHECK(a.key_check == b.key_check, w + ": key check values differ");
  FUZZ_CHECK(a.records_skipped == b.records_skipped, w + ": records_skipped differ");
  FUZZ_CHECK(a.field_filters.size() == b.field_filters.size(), w + ": field filter counts differ");
  for (std::size_t i = 0; i < a.field_filters.size(); ++i) {
    FUZZ_CHECK(a.field_filters[i].field == b.field_filters[i].field, w + ": field names differ");
    FUZZ_CHECK(SameMatrix(a.field_filters[i].filters, b.field_filters[i].filters),
               w + ": field filters differ");
  }
}

// ReadWholeFile(path): the bytes of a file ("" when it cannot be read).
inline std::string ReadWholeFile(const std::string& path) {
  std::string out;
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

}  // namespace bloomlink::fuzz
