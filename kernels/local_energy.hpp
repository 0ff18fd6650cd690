#pragma once
// The off-diagonal part of VQA's local energy, shared by every backend: for Ψ = √p,
//   E_loc(σ) = H(σ) − Γ Σ_i Ψ(σ^i)/Ψ(σ) = H(σ) − Γ Σ_i exp((log p(σ^i) − log p(σ)) / 2),
// summed over the flipped sites i = 0 .. N−1 in this order, in double, on the device that holds the
// N flipped log-probabilities of the sample (they never travel to the host).
#include <cmath>

#include "kernel_macros.hpp"  // Kokkos qualifiers (or their CUDA meaning in kernels/cuda)

namespace vna {

// Σ_i exp((logp_flip[i] − logp) / 2) over n contiguous flipped log-probabilities.
KOKKOS_INLINE_FUNCTION double flipRatioSum(const double* logp_flip, double logp, int n) {
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += std::exp(0.5 * (logp_flip[i] - logp));
  return sum;
}

}  // namespace vna
