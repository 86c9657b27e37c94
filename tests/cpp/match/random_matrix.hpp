// Random CLK matrices for the candidate-search tests (candidates_test.cpp, lsh_test.cpp,
// keyed_blocking_test.cpp).
#pragma once

#include <cstddef>
#include <random>

#include "bloomlink/bitmatrix.hpp"

namespace bloomlink::match::testing_matrices {

// RandomMatrix(rows, bits, density, rng): each bit set with probability `density`.
inline BitMatrix RandomMatrix(std::size_t rows, std::size_t bits, double density,
                              std::mt19937_64& rng) {
  BitMatrix m(rows, bits);
  std::bernoulli_distribution bit(density);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t i = 0; i < bits; ++i) {
      if (bit(rng)) m.SetBit(r, i);
    }
  }
  m.UpdatePopcounts();
  return m;
}

}  // namespace bloomlink::match::testing_matrices
