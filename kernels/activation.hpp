#pragma once
// The cells' activation, shared by every backend: ELU(x) = x for x > 0, e^x − 1 otherwise, and its
// derivative from the output. The exponential is fastmath::exp (a few ulp, vectorizable), except in
// CUDA device code in float, where the hardware __expf (also a few ulp) is much cheaper.
#include <type_traits>

#include "fast_math.hpp"
#include "kernel_macros.hpp"  // Kokkos qualifiers (or their CUDA meaning in kernels/cuda)

namespace vna {

template <class Scalar>
KOKKOS_FORCEINLINE_FUNCTION Scalar elu(Scalar x) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same<Scalar, float>::value) return x > 0.0f ? x : __expf(fminf(x, 0.0f)) - 1.0f;
#endif
  const Scalar em1 = fastmath::exp(x < Scalar(0) ? x : Scalar(0)) - Scalar(1);
  return x > Scalar(0) ? x : em1;
}

// ELU'(x) from the output y = ELU(x): 1 for y > 0, e^x = y + 1 otherwise.
template <class Scalar>
KOKKOS_FORCEINLINE_FUNCTION Scalar eluDerivativeFromOutput(Scalar y) {
  return y > Scalar(0) ? Scalar(1) : y + Scalar(1);
}

// ELU in place over n contiguous values (a tile of the Kokkos cells).
template <class Scalar>
KOKKOS_INLINE_FUNCTION void eluInPlace(Scalar* x, int n) {
  for (int e = 0; e < n; ++e) x[e] = elu(x[e]);
}

}  // namespace vna
