// Internal: turning an errno from a file operation into an absl::Status that names the path.
#pragma once

#include <cerrno>
#include <cstring>
#include <string_view>

#include "absl/status/status.h"
#include "internal/strings.hpp"

namespace bloomlink::internal {

// FileError(err, path, what): "<path>: <what>: <strerror>", with the canonical code users can
// act on: NotFound, PermissionDenied, ResourceExhausted (disk full), InvalidArgument (a folder
// where a file was expected), Internal otherwise.
inline absl::Status FileError(int err, std::string_view path, std::string_view what) {
  std::string message = StrCat(path, ": ", what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    case EISDIR:
      return absl::InvalidArgumentError(StrCat(path, ": ", what, ": it is a folder, not a file"));
    default:
      return absl::InternalError(message);
  }
}

}  // namespace bloomlink::internal
