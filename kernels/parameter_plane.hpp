#pragma once
// A point of a parameter plane, θ_k = θ* + α_k δ + β_k η, entry by entry, in double, with one order
// of operations on every backend: fma(β, η, fma(α, δ, θ*)), two fused multiply-adds, written out so
// that no compiler chooses (GCC contracts θ* + α δ + β η into exactly these on the host, which the
// CPU results have always been; nvcc would contract nothing across the explicit device intrinsics
// the device path used before, so a GPU's planes differed from the CPU's in the last bit). The network
// service expands a landscape chunk's points from the plane on the device (only the plane and the
// coefficients travel); the parameters in Scalar are this value rounded.
#include <cmath>

#include "kernel_macros.hpp"  // Kokkos qualifiers (or their CUDA meaning in kernels/cuda)

namespace vna {

KOKKOS_FORCEINLINE_FUNCTION double planeEntry(double theta_star, double alpha, double delta, double beta, double eta) {
#if defined(__CUDA_ARCH__)
  return __fma_rn(beta, eta, __fma_rn(alpha, delta, theta_star));
#else
  return std::fma(beta, eta, std::fma(alpha, delta, theta_star));
#endif
}

}  // namespace vna
