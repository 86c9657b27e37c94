// Sha256: incremental SHA-256 over OpenSSL's EVP interface, for the checksums that end the
// native encoded file and the person index.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bloomlink::internal {

class Sha256 {
 public:
  using Digest = std::array<std::uint8_t, 32>;

  Sha256() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
  }
  void Update(const void* data, std::size_t size) {
    if (ok_ && size > 0) ok_ = EVP_DigestUpdate(ctx_.get(), data, size) == 1;
  }
  absl::StatusOr<Digest> Final() {
    Digest digest{};
    unsigned int size = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), digest.data(), &size) != 1 ||
        size != digest.size()) {
      return absl::InternalError("SHA-256 (OpenSSL EVP) failed");
    }
    return digest;
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
  bool ok_ = false;
};

}  // namespace bloomlink::internal
