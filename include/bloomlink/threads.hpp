// bloomlink/threads.hpp
//
// The thread count every parallel stage takes (encoding, candidate search, scoring): 0 means
// one thread per core, otherwise at most kMaxThreads. Results never depend on it.
#pragma once

#include "absl/status/status.h"

namespace bloomlink {

// kMaxThreads: the largest thread count accepted (a guard against typos such as 80000).
inline constexpr int kMaxThreads = 1024;

// CheckThreads(threads): InvalidArgument unless 0 <= threads <= kMaxThreads.
absl::Status CheckThreads(int threads);

}  // namespace bloomlink
