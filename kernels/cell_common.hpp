#pragma once
// Pieces shared by the cells: the predecessor table of the one-step cells and the ELU activation.
#include <Kokkos_Core.hpp>

#include <vector>

#include "fast_math.hpp"
#include "model/lattice.hpp"

namespace vna {

// table[k * max_inputs + j] = position read by input j at position k (−1 = none).
inline std::vector<int> predecessorTable(const Lattice& lattice, bool two_dimensional, int max_inputs) {
  const int n = lattice.numSites();
  std::vector<int> table(static_cast<std::size_t>(n) * max_inputs, -1);
  for (int k = 0; k < n; ++k) {
    if (two_dimensional) {
      table[k * max_inputs + 0] = lattice.prev_horizontal[k];
      table[k * max_inputs + 1] = lattice.prev_vertical[k];
    } else {
      table[k * max_inputs + 0] = k - 1;  // the previous position of the autoregressive order
    }
  }
  return table;
}

// ELU(x) = x for x > 0, e^x − 1 otherwise, in place over n contiguous values.
template <class Scalar>
KOKKOS_INLINE_FUNCTION void eluInPlace(Scalar* x, int n) {
  for (int e = 0; e < n; ++e) {
    const Scalar v = x[e];
    const Scalar em1 = fastmath::exp(v < Scalar(0) ? v : Scalar(0)) - Scalar(1);
    x[e] = v > Scalar(0) ? v : em1;
  }
}

// ELU'(x) from the output y = ELU(x): 1 for y > 0, e^x = y + 1 otherwise.
template <class Scalar>
KOKKOS_FORCEINLINE_FUNCTION Scalar eluDerivativeFromOutput(Scalar y) {
  return y > Scalar(0) ? Scalar(1) : y + Scalar(1);
}

}  // namespace vna
