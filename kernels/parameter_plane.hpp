#pragma once
// A point of a parameter plane, θ_k = θ* + α_k δ + β_k η, entry by entry, in double, with one order
// of operations on every backend ((θ* + α δ) + β η, rounded after each operation: in CUDA device code
// explicitly, so that nvcc contracts nothing into fused multiply-adds). The network service expands
// a landscape chunk's points from the plane on the device (only the plane and the coefficients
// travel); the parameters in Scalar are this value rounded.
#include "kernel_macros.hpp"  // Kokkos qualifiers (or their CUDA meaning in kernels/cuda)

namespace vna {

KOKKOS_FORCEINLINE_FUNCTION double planeEntry(double theta_star, double alpha, double delta, double beta, double eta) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(__dadd_rn(theta_star, __dmul_rn(alpha, delta)), __dmul_rn(beta, eta));
#else
  return theta_star + alpha * delta + beta * eta;
#endif
}

}  // namespace vna
