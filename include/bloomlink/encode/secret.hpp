// bloomlink/encode/secret.hpp
//
// Secret: the key material the data holders share with each other and never with the linkage
// unit. It is read from a file or the BLOOMLINK_SECRET environment variable, never from a command
// line argument; it is wiped from memory when destroyed and has no way to be printed.
//
//   absl::StatusOr<encode::Secret> secret =
//       encode::Secret::FromFile("project.key", {.allow_weak = false});
//   if (!secret.ok()) return secret.status();
//   for (const std::string& w : secret->warnings()) std::cerr << "warning: " << w << "\n";
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace bloomlink::encode {

struct SecretOptions {
  // allow_weak accepts secrets shorter than kMinSecretBytes (for compatibility tests only).
  bool allow_weak = false;
};

class Secret {
 public:
  static constexpr std::size_t kMinSecretBytes = 16;
  static constexpr std::size_t kMaxSecretBytes = 4096;

  // FromFile(path): the file's bytes, without one trailing "\n" or "\r\n" (so that a secret
  // written by `echo` equals one written without a newline). Errors: unreadable file, empty
  // secret, secret under 16 bytes unless allow_weak. Warns when the file is readable by others.
  static absl::StatusOr<Secret> FromFile(const std::string& path, SecretOptions options = {});
  // FromEnvironment(name): the variable's value, same rules. NotFound when it is not set.
  static absl::StatusOr<Secret> FromEnvironment(const char* name, SecretOptions options = {});
  // FromBytes(bytes, what): `what` names the source in errors ("BLOOMLINK_SECRET", a path).
  static absl::StatusOr<Secret> FromBytes(std::string_view bytes, std::string_view what,
                                          SecretOptions options = {});

  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret();

  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(bytes_.data()), bytes_.size()};
  }
  std::size_t size() const { return bytes_.size(); }
  // warnings(): things the user should know (a world-readable secret file) that do not stop work.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Secret() = default;
  void Wipe();
  std::string bytes_;
  std::vector<std::string> warnings_;
};

}  // namespace bloomlink::encode
