#include "bloomlink/threads.hpp"

#include "internal/strings.hpp"

namespace bloomlink {

absl::Status CheckThreads(int threads) {
  if (threads >= 0 && threads <= kMaxThreads) return absl::OkStatus();
  return absl::InvalidArgumentError(
      internal::StrCat("threads must be 0 (every core) to ", kMaxThreads, ", got ", threads));
}

}  // namespace bloomlink
