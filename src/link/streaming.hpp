// Constants the streamed Fellegi-Sunter link (link.cpp) and its memory estimate (memory.cpp)
// share.
#pragma once

#include <cstddef>

namespace bloomlink::link::link_internal {

// kStreamBest: per record of A, how many of its most probable unaccepted candidates the
// streamed link keeps for the expected missed matches (8 bytes each). With 8, a record whose
// best candidates were all matched elsewhere (more than half the records of B are matched on
// the synthetic extracts) needed a third search on most runs; with 32, hardly ever.
inline constexpr std::size_t kStreamBest = 32;

}  // namespace bloomlink::link::link_internal
