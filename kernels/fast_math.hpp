#pragma once
// Branch-free exp and log1p that vectorize across the sample lanes of a tile (libm calls do not)
// and compile unchanged for CUDA/HIP device code. Accuracy: a few ulp of Scalar, checked against
// <cmath> in tests/engine/test_fast_math.cpp. Every backend must use these same formulas for the
// engine's output probabilities (see doc/design.md, "Random streams rule").
#include <cstdint>
#include <cstring>

#include "kernel_macros.hpp"  // Kokkos qualifiers (or their CUDA meaning in kernels/cuda)

namespace vna {
namespace fastmath {

template <class Scalar>
struct Constants;

template <>
struct Constants<float> {
  using Bits = std::uint32_t;
  static constexpr int kMantissaBits = 23;
  static constexpr Bits kExponentBias = 127;
  static constexpr float kMinArg = -87.0f;  // keeps 2^n normal (n >= -126)
  static constexpr float kMaxArg = 88.0f;
  static constexpr float kRoundMagic = 12582912.0f;  // 1.5·2^23: x + magic holds round(x) in its low bits
  static constexpr Bits kRoundMagicBits = 0x4B400000u;
  static constexpr float kLn2Hi = 0.693145751953125f;  // Cody-Waite split of ln 2
  static constexpr float kLn2Lo = 1.428606765330187e-06f;
  static constexpr int kExpDegree = 7;   // Taylor remainder (ln2/2)^8/8! < 6e-9 relative
  static constexpr int kAtanhTerms = 5;  // z^{2j+1}/(2j+1), |z| <= 0.1716: next term < 3e-10
};

template <>
struct Constants<double> {
  using Bits = std::uint64_t;
  static constexpr int kMantissaBits = 52;
  static constexpr Bits kExponentBias = 1023;
  static constexpr double kMinArg = -708.0;
  static constexpr double kMaxArg = 709.0;
  static constexpr double kRoundMagic = 6755399441055744.0;  // 1.5·2^52
  static constexpr Bits kRoundMagicBits = 0x4338000000000000ull;
  static constexpr double kLn2Hi = 6.93147180369123816490e-01;
  static constexpr double kLn2Lo = 1.90821492927058770002e-10;
  static constexpr int kExpDegree = 13;   // (ln2/2)^14/14! < 5e-18 relative
  static constexpr int kAtanhTerms = 11;  // next term z^23/23 < 1e-19
};

// 1/j!, the Taylor coefficients of e^r.
template <class Scalar>
KOKKOS_FORCEINLINE_FUNCTION constexpr Scalar inverseFactorial(int j) {
  double f = 1.0;
  for (int i = 2; i <= j; ++i) f *= i;
  return static_cast<Scalar>(1.0 / f);
}

// exp(x) for all x (clamped to the normal range: exp(x < kMinArg) returns exp(kMinArg)).
// Integer work is done on the bits of x·log2(e) + magic, so it vectorizes without a float-to-int
// conversion (AVX2 has none for 64-bit integers).
template <class Scalar>
KOKKOS_FORCEINLINE_FUNCTION Scalar exp(Scalar x) {
  using C = Constants<Scalar>;
  using Bits = typename C::Bits;
  x = x < C::kMinArg ? C::kMinArg : x;
  x = x > C::kMaxArg ? C::kMaxArg : x;
  // x = n ln2 + r, |r| <= ln2/2.
  const Scalar t = x * Scalar(1.4426950408889634) + C::kRoundMagic;
  const Scalar n = t - C::kRoundMagic;
  const Scalar r = (x - n * C::kLn2Hi) - n * C::kLn2Lo;
  // Taylor polynomial Σ_{j<=deg} r^j / j! by Horner.
  Scalar p = inverseFactorial<Scalar>(C::kExpDegree);
  VNA_UNROLL
  for (int j = C::kExpDegree - 1; j >= 0; --j) p = p * r + inverseFactorial<Scalar>(j);
  // bits(t) = bits(magic) + n; shifting n + bias into the exponent field drops the rest.
  Bits tb;
  std::memcpy(&tb, &t, sizeof(Scalar));
  const Bits scale_bits = (tb - C::kRoundMagicBits + C::kExponentBias) << C::kMantissaBits;
  Scalar scale;
  std::memcpy(&scale, &scale_bits, sizeof(Scalar));
  return p * scale;
}

// log(1 + t) for t in [0, 1] (all the engine needs: t = exp(−|δ|)). With x = 1 + t,
// log x = 2 atanh(z), z = (x − 1)/(x + 1) = t/(2 + t); above sqrt(2), x/2 is used and ln 2 added,
// so |z| <= 0.1716. Writing z through t keeps full relative accuracy for tiny t.
template <class Scalar>
KOKKOS_FORCEINLINE_FUNCTION Scalar log1pUnit(Scalar t) {
  using C = Constants<Scalar>;
  const bool upper = t > Scalar(0.41421356237309505);
  const Scalar z = upper ? (t - Scalar(1)) / (t + Scalar(3)) : t / (t + Scalar(2));
  const Scalar z2 = z * z;
  Scalar s = Scalar(1) / Scalar(2 * C::kAtanhTerms - 1);
  VNA_UNROLL
  for (int j = C::kAtanhTerms - 2; j >= 0; --j) s = Scalar(1) / Scalar(2 * j + 1) + z2 * s;
  const Scalar ln2 = upper ? (C::kLn2Hi + C::kLn2Lo) : Scalar(0);
  return ln2 + Scalar(2) * z * s;
}

}  // namespace fastmath
}  // namespace vna
