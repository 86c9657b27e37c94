// Internal: SplitMix64 (Steele, Lea and Flood), the library's one source of reproducible
// pseudo-random numbers: the same seed gives the same sequence on every machine, so sampled
// estimates and synthetic data never depend on the platform or the run.
#pragma once

#include <cstdint>

namespace bloomlink::internal {

// kGoldenGamma: SplitMix64's increment, 2^64 / the golden ratio.
inline constexpr std::uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ULL;

// Mix64(z): SplitMix64's finaliser, a bijective 64-bit mix (also a good hash of an integer).
constexpr std::uint64_t Mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// SplitMix64: the generator; Next() advances the state by kGoldenGamma and mixes it.
class SplitMix64 {
 public:
  explicit constexpr SplitMix64(std::uint64_t seed) : state_(seed) {}
  constexpr std::uint64_t Next() {
    state_ += kGoldenGamma;
    return Mix64(state_);
  }

 private:
  std::uint64_t state_;
};

}  // namespace bloomlink::internal
