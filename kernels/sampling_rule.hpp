#pragma once
// The rule that turns the network's output into a sampled bit and its log-probability. It is the
// contract between backends: any backend that evaluates δ identically draws identical bits.
//
//   δ = z_1 − z_0 = (U_1 − U_0)·h_k + (d_1 − d_0)          (in Scalar)
//   t = exp(−|δ|),  p_up = δ >= 0 ? 1/(1 + t) : t/(1 + t)  (in Scalar, fastmath::exp)
//   u = uniformFloat(philox(makeRngKey(seed, kSampling), k, s, stream, step).v[0])   (float midpoint grid, never 0)
//   b = 1  iff  u < (float) p_up
//   log p(b) = −( max(y, 0) + log1p(t) ),  y = (b == 1 ? −δ : δ)    (= −softplus(y), in Scalar)
// k is the autoregressive position, s the sample index, stream the replica / grid-point id and step
// the annealing step.
#include "kernel_macros.hpp"  // Kokkos qualifiers (or their CUDA meaning in kernels/cuda)

#include <cstdint>

#include "core/random.hpp"
#include "fast_math.hpp"

namespace vna {

KOKKOS_FORCEINLINE_FUNCTION float samplingUniform(RngKey key, std::uint32_t position, std::uint32_t sample,
                                                  std::uint32_t stream, std::uint32_t step) {
  return uniformFloat(philox(key, position, sample, stream, step).v[0]);
}

// t = exp(−|δ|), shared by the probability and the log-probability.
template <class Scalar>
KOKKOS_FORCEINLINE_FUNCTION Scalar expMinusAbs(Scalar delta) {
  return fastmath::exp(delta < Scalar(0) ? delta : -delta);
}

template <class Scalar>
KOKKOS_FORCEINLINE_FUNCTION Scalar probabilityUp(Scalar delta, Scalar t) {
  const Scalar inv = Scalar(1) / (Scalar(1) + t);
  return delta >= Scalar(0) ? inv : t * inv;
}

template <class Scalar>
KOKKOS_FORCEINLINE_FUNCTION bool drawBit(float u, Scalar p_up) {
  return u < static_cast<float>(p_up);
}

// log p(b) with b ∈ {0, 1} given as a Scalar.
template <class Scalar>
KOKKOS_FORCEINLINE_FUNCTION Scalar logProbabilityOf(Scalar delta, Scalar t, Scalar b) {
  const Scalar y = b > Scalar(0.5) ? -delta : delta;
  return -((y > Scalar(0) ? y : Scalar(0)) + fastmath::log1pUnit(t));
}

}  // namespace vna
