#pragma once
// Fixed-width SIMD values for the Monte Carlo kernels, one replica per lane, as GCC/Clang vector
// extensions: kWidth lanes of float fill one register of the target (16 with AVX-512, 8 with AVX2,
// 4 otherwise: SSE, NEON, or scalar code). Every operation is the IEEE operation of each lane and
// lanes never mix, so results do not depend on the width (a 16-lane value on an AVX2-only target,
// by contrast, compiles to memory round trips: 10× slower, measured).
#include <cstdint>
#include <cstring>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace vna::simd {

#ifndef VNA_SIMD_WIDTH
#if defined(__AVX512F__)
#define VNA_SIMD_WIDTH 16
#elif defined(__AVX2__)
#define VNA_SIMD_WIDTH 8
#else
#define VNA_SIMD_WIDTH 4
#endif
#endif
inline constexpr int kWidth = VNA_SIMD_WIDTH;

typedef float VF __attribute__((vector_size(4 * kWidth)));
typedef std::int32_t VI __attribute__((vector_size(4 * kWidth)));
typedef std::uint32_t VU __attribute__((vector_size(4 * kWidth)));

template <class V, class T>
inline V load(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class V, class T>
inline void store(T* p, V v) {
  std::memcpy(p, &v, sizeof v);
}
inline VF splat(float x) { return VF{} + x; }
inline VI splat(std::int32_t x) { return VI{} + x; }
// Lane by lane m ? a : b, for masks m of all ones or zeros (comparison results).
inline VF select(VI m, VF a, VF b) { return reinterpret_cast<VF>((reinterpret_cast<VI>(a) & m) | (reinterpret_cast<VI>(b) & ~m)); }
inline VI toInt(VF x) { return __builtin_convertvector(x, VI); }  // truncation toward zero
inline VF toFloat(VI x) { return __builtin_convertvector(x, VF); }
// Bit l = lane l of a comparison result; any lane set. Intrinsics where available (a portable
// reduction compiles to 16 lane extractions).
inline std::uint32_t laneMask(VI m) {
#if defined(__AVX512F__) && VNA_SIMD_WIDTH == 16
  return _mm512_cmplt_epi32_mask(reinterpret_cast<__m512i>(m), _mm512_setzero_si512());
#elif defined(__AVX2__) && VNA_SIMD_WIDTH == 16
  const __m256i* h = reinterpret_cast<const __m256i*>(&m);
  return static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(h[0]))) |
         static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(h[1]))) << 8;
#elif defined(__AVX2__) && VNA_SIMD_WIDTH == 8
  return static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(reinterpret_cast<__m256i>(m))));
#else
  std::uint32_t out = 0;
  for (int l = 0; l < kWidth; ++l) out |= static_cast<std::uint32_t>(m[l] & 1) << l;
  return out;
#endif
}
inline bool any(VI m) {
#if defined(__AVX512F__) && VNA_SIMD_WIDTH == 16
  return _mm512_test_epi32_mask(reinterpret_cast<__m512i>(m), reinterpret_cast<__m512i>(m)) != 0;
#elif defined(__AVX2__) && VNA_SIMD_WIDTH == 16
  const __m256i* h = reinterpret_cast<const __m256i*>(&m);
  const __m256i o = _mm256_or_si256(h[0], h[1]);
  return !_mm256_testz_si256(o, o);
#elif defined(__AVX2__) && VNA_SIMD_WIDTH == 8
  const __m256i o = reinterpret_cast<__m256i>(m);
  return !_mm256_testz_si256(o, o);
#else
  return laneMask(m) != 0;
#endif
}

}  // namespace vna::simd
