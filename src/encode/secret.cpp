#include "bloomlink/encode/secret.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "internal/strings.hpp"

namespace bloomlink::encode {

using internal::StrCat;

absl::StatusOr<Secret> Secret::FromBytes(std::string_view bytes, std::string_view what,
                                         SecretOptions options) {
  if (bytes.size() >= 2 && bytes.substr(bytes.size() - 2) == "\r\n") {
    bytes.remove_suffix(2);
  } else if (!bytes.empty() && bytes.back() == '\n') {
    bytes.remove_suffix(1);
  }
  if (bytes.empty()) {
    return absl::InvalidArgumentError(StrCat(what, ": the secret is empty"));
  }
  if (bytes.size() > kMaxSecretBytes) {
    return absl::InvalidArgumentError(
        StrCat(what, ": the secret is longer than ", kMaxSecretBytes, " bytes"));
  }
  if (bytes.size() < kMinSecretBytes && !options.allow_weak) {
    return absl::InvalidArgumentError(
        StrCat(what, ": the secret is ", bytes.size(), " bytes; at least ", kMinSecretBytes,
               " are needed (use a long random secret shared only between the data holders, or "
               "an explicit weak-secret override for compatibility tests)"));
  }
  Secret secret;
  // Keep the bytes on the heap (never in the small-string buffer) so that moves hand over the
  // buffer instead of copying it, and Wipe() reaches the only copy.
  secret.bytes_.reserve(std::max<std::size_t>(64, bytes.size()));
  secret.bytes_.assign(bytes.data(), bytes.size());
  return secret;
}

absl::StatusOr<Secret> Secret::FromFile(const std::string& path, SecretOptions options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string message = StrCat(path, ": cannot read the secret file: ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(message);
    return absl::InvalidArgumentError(message);
  }
  struct stat st {};
  std::vector<std::string> warnings;
  if (::fstat(fd, &st) == 0) {
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return absl::InvalidArgumentError(StrCat(path, ": the secret file is not a regular file"));
    }
    if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
      warnings.push_back(StrCat(path,
                                ": the secret file is readable by other users; restrict it "
                                "with chmod 600"));
    }
  }
  std::string data;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      OPENSSL_cleanse(buf, sizeof buf);
      OPENSSL_cleanse(data.data(), data.size());
      return absl::InvalidArgumentError(
          StrCat(path, ": cannot read the secret file: ", std::strerror(err)));
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > kMaxSecretBytes + 2) break;
  }
  ::close(fd);
  OPENSSL_cleanse(buf, sizeof buf);
  auto secret = FromBytes(data, path, options);
  OPENSSL_cleanse(data.data(), data.size());
  if (secret.ok()) secret->warnings_ = std::move(warnings);
  return secret;
}

absl::StatusOr<Secret> Secret::FromEnvironment(const char* name, SecretOptions options) {
  const char* value = std::getenv(name);
  if (value == nullptr) {
    return absl::NotFoundError(StrCat("environment variable ", name, " is not set"));
  }
  return FromBytes(value, StrCat("environment variable ", name), options);
}

Secret::Secret(Secret&& other) noexcept
    : bytes_(std::move(other.bytes_)), warnings_(std::move(other.warnings_)) {
  other.Wipe();
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    warnings_ = std::move(other.warnings_);
    other.Wipe();
  }
  return *this;
}

Secret::~Secret() { Wipe(); }

void Secret::Wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

}  // namespace bloomlink::encode
