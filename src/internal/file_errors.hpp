// Internal: turning an errno from a file operation into an absl::Status that names the path.
#pragma once

#include <cerrno>
#include <cstring>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "internal/strings.hpp"

namespace bloomlink::internal {

// Statuses made by FileError carry the errno under this payload URL, so that callers can tell a
// file system's limit (disk full) from other ResourceExhausted errors (a memory limit).
inline constexpr char kErrnoPayload[] = "bloomlink/errno";

// FileErrorStatus(err, path, what): "<path>: <what>: <strerror>", with the canonical code users
// can act on: NotFound, PermissionDenied, ResourceExhausted (disk full, over a quota or a
// file-size limit, with what to check), InvalidArgument (a folder where a file was expected),
// Internal otherwise. Use FileError, which also attaches the errno.
inline absl::Status FileErrorStatus(int err, std::string_view path, std::string_view what) {
  std::string message = StrCat(path, ": ", what, ": ", std::strerror(err));
  switch (err) {
    case ENOSPC:
      return absl::ResourceExhaustedError(
          StrCat(path, ": ", what, ": the disk is full (", std::strerror(err), ")"));
    case EDQUOT:
      return absl::ResourceExhaustedError(
          StrCat(path, ": ", what, ": over the disk quota (", std::strerror(err), ")"));
    case EFBIG:
      return absl::ResourceExhaustedError(
          StrCat(path, ": ", what, ": the file is larger than allowed (", std::strerror(err),
                 "): check the file system's largest file size and ulimit -f"));
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case EISDIR:
      return absl::InvalidArgumentError(StrCat(path, ": ", what, ": it is a folder, not a file"));
    default:
      return absl::InternalError(message);
  }
}

// FileError(err, path, what) with the errno attached (kErrnoPayload).
inline absl::Status FileError(int err, std::string_view path, std::string_view what) {
  absl::Status status = FileErrorStatus(err, path, what);
  status.SetPayload(kErrnoPayload, absl::Cord(std::to_string(err)));
  return status;
}

}  // namespace bloomlink::internal
