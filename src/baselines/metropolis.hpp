#pragma once
// The Metropolis test of the fast Monte Carlo kernels, in float, branch-free, one lane per replica.
//
// A move with x = β ΔE (SQA: the change of the action) is accepted when ΔE <= 0 (x <= 0), else when
// U < P with U a uniform 31-bit integer (LaneDraws: its top 8 bits first, the low 23 only when the
// top bits tie with P's) and P = ⌊e^{−x} 2^31⌋. e^{−x} comes from expNeg31 (Cephes' expf: argument
// reduction by ln 2 in two parts, a degree-6 polynomial, the power of two through the exponent bits):
// relative error below 2e-7 on the whole range (tested against std::exp). So a move is accepted with
// probability P / 2^31: e^{−x} to 2e-7 relative and 2^−31 ≈ 4.7e-10 absolute; moves with
// e^{−x} < 2^−31 (x > kMaxExponent31) are rejected, a change of at most 2^−31.
#include <cstdint>

#include "baselines/simd.hpp"

namespace vna {

// e^{−21.5} = 4.6e-10 < 2^−31: beyond it no 31-bit uniform accepts (but u = 0, probability 2^−31).
inline constexpr float kMaxExponent31 = 21.5f;

// e^{−x}·2^31 for 0 <= x <= kMaxExponent31, lane by lane (outside: garbage, masked by the caller).
// n = round(−x log2 e) by the 1.5·2^23 trick (exact for |y| < 2^22, independent of the rounding
// mode), r = −x − n ln 2 with ln 2 in two parts (n·C1 is exact), e^r by Cephes' polynomial on
// [−ln2/2, ln2/2], then × 2^(n + 31) by adding to the exponent bits (n + 31 >= 0 on the range).
inline simd::VF expNeg31(simd::VF x) {
  using simd::VF;
  using simd::VI;
  const VF z = -x;
  const VF n = (z * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const VF r = (z - n * 0.693359375f) - n * -2.12194440e-4f;
  const VF r2 = r * r;
  VF p = simd::splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const VF er = p * r2 + r + 1.0f;
  return reinterpret_cast<VF>(reinterpret_cast<VI>(er) + ((simd::toInt(n) + 31) << 23));
}

// The lanes whose top 8 bits tied with P's (probability 2^−8 each) compare their low 23 bits; out of
// line, so that the common path keeps its values in registers.
template <class Draws>
__attribute__((noinline)) simd::VI resolveTies(simd::VI accept, simd::VI tie, simd::VI P, const Draws& draws,
                                               std::uint64_t t) {
  for (int l = 0; l < simd::kWidth; ++l)
    if (tie[l]) accept[l] = static_cast<std::int32_t>(draws.low(t, l)) < (P[l] & ((1 << (31 - kTopBits)) - 1)) ? -1 : 0;
  return accept;
}

// Lane mask (all ones: accept) of moves with exponent x = β ΔE (SQA: the action change) for attempt
// t of `draws` (a LaneDraws). nonpositive: the lanes whose move does not raise the energy (x <= 0),
// accepted without a draw; x may be NaN there (β = ∞ and ΔE = 0 when T = 0).
template <class Draws>
inline simd::VI metropolisAccept(simd::VI nonpositive, simd::VF x, Draws& draws, std::uint64_t t) {
  using simd::VF;
  using simd::VI;
  const VI in_range = x < kMaxExponent31;
  const VF xc = simd::select(in_range, x, simd::splat(kMaxExponent31));  // NaN too
  const VF xs = simd::select(xc > 0.0f, xc, simd::splat(0.0f));
  // Below 2^31 (the largest float under it), so the conversion never overflows.
  const VF scaled = expNeg31(xs);
  const VI P = simd::toInt(simd::select(scaled < 2147483520.0f, scaled, simd::splat(2147483520.0f)));
  const VI top = P >> (31 - kTopBits);
  const VI B = reinterpret_cast<VI>(draws.top(t));
  const VI accept = nonpositive | (in_range & (B < top));
  const VI tie = in_range & ~nonpositive & (B == top);
  if (__builtin_expect(simd::any(tie), 0)) return resolveTies(accept, tie, P, draws, t);
  return accept;
}

// One lane of expNeg31 (tests, scalar callers).
inline float expNeg31(float x) { return expNeg31(simd::splat(x))[0]; }

}  // namespace vna
