// bloomlink/io/atomic_file.hpp
//
// AtomicFileWriter: writes an output file so that it appears complete or not at all. Data goes to a
// temporary file in the destination folder, which Commit() flushes, syncs and renames over the
// destination. If the writer is destroyed without a successful Commit() (an error, an exception),
// the temporary file is removed and any previous file at the destination is left untouched.
//
//   absl::StatusOr<io::AtomicFileWriter> out = io::AtomicFileWriter::Create("linked.csv");
//   if (!out.ok()) return out.status();
//   if (absl::Status s = out->Write("id_a,id_b,score\n"); !s.ok()) return s;
//   return out->Commit();
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bloomlink::io {

// RemoveTemporaryFiles(): removes the temporary files of every writer not yet committed or
// abandoned. Async-signal-safe (no allocation, no locks): for a SIGINT/SIGTERM handler that ends
// the process, so that an interrupted run leaves no partial output behind. Writers whose
// temporary path is longer than 4095 bytes, or beyond the 64th open at once, are not covered.
void RemoveTemporaryFiles() noexcept;

class AtomicFileWriter {
 public:
  // Create(path) opens a temporary file beside `path`. Fails (with the path in the message) when
  // the folder is missing or not writable.
  static absl::StatusOr<AtomicFileWriter> Create(std::string path);

  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  // Write(data) appends bytes (buffered). Errors such as a full disk name the destination path.
  absl::Status Write(std::string_view data);
  absl::Status Write(const void* data, std::size_t size) {
    return Write(std::string_view(static_cast<const char*>(data), size));
  }
  // Commit() makes the file visible at its destination. After Commit() no more writes are allowed.
  absl::Status Commit();
  // Abandon() removes the temporary file now (the destructor does the same).
  void Abandon();

  const std::string& path() const { return path_; }
  std::size_t bytes_written() const { return bytes_written_; }

 private:
  AtomicFileWriter(std::string path, std::string temp_path, int fd);
  absl::Status Flush();
  void Unregister();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  std::string buffer_;
  std::size_t bytes_written_ = 0;
  int slot_ = -1;  // this writer's entry for RemoveTemporaryFiles, or -1
};

}  // namespace bloomlink::io
