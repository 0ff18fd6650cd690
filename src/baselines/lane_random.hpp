#pragma once
// Philox4x32-10 for W counters at once, one per SIMD lane, bitwise equal to vna::philox (Random123)
// for every lane (tests/baselines). With AVX-512 or AVX2 the rounds run in intrinsics, 16 or 8 lanes
// per register (vpmuludq on the even and the odd lanes; compilers turn the portable loop into 64-bit
// vpmullq multiplies, 3× slower); elsewhere the portable lane loop below runs. About 2 cycles per
// 32-bit word on the development machine (tools/bench: BM_PhiloxLanes).
//
// LaneDraws hands out the random numbers of the fast Monte Carlo kernels. A Metropolis test needs a
// 31-bit uniform integer U (metropolis.hpp); it is split into its top 16 bits B and its low 15 bits R:
//   B of attempt t of annealing step a of replica r: half-word t mod 8 of Philox(key; t/8, a, r,
//       realization) (word (t mod 8)/2, low half first);
//   R: the top 15 bits of word 0 of Philox(key; t, a + 2^31, r, realization).
// The test compares B with the top 16 bits of its threshold first and needs R only when they are
// equal (probability 2^−16), so an attempt costs half a Philox word. (8-bit B would halve that again,
// but then one group in 16 meets a tie at T ~ 1, and the mispredicted branch costs more than the
// saved draws: doc/performance.md.)
// Every number is fixed per (replica, step, attempt), whether or not the attempt needs it, so a
// replica's trajectory is a pure function of its logical ids and never of the lane, the group or the
// rank that runs it.
#include <cstdint>

#include "baselines/simd.hpp"
#include "core/random.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace vna {

template <int W>
struct PhiloxLanes {
  alignas(64) std::uint32_t w[4][W];
};

namespace detail {

// Random123's constants (philox.h): multipliers and Weyl key increments.
inline constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
inline constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

template <int W>
inline void philoxPortable(RngKey key, std::uint32_t c0, std::uint32_t c1, const std::uint32_t* c2, std::uint32_t c3,
                           PhiloxLanes<W>& out) {
  for (int l = 0; l < W; ++l) {
    std::uint32_t x0 = c0, x1 = c1, x2 = c2[l], x3 = c3, k0 = key.k0, k1 = key.k1;
    for (int round = 0; round < 10; ++round) {
      const std::uint64_t p0 = static_cast<std::uint64_t>(kPhiloxM0) * x0;
      const std::uint64_t p1 = static_cast<std::uint64_t>(kPhiloxM1) * x2;
      x0 = static_cast<std::uint32_t>(p1 >> 32) ^ x1 ^ k0;
      x1 = static_cast<std::uint32_t>(p1);
      x2 = static_cast<std::uint32_t>(p0 >> 32) ^ x3 ^ k1;
      x3 = static_cast<std::uint32_t>(p0);
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    out.w[0][l] = x0;
    out.w[1][l] = x1;
    out.w[2][l] = x2;
    out.w[3][l] = x3;
  }
}

#if defined(__AVX512F__)
// The zero-masked forms with all lanes set are the plain operations; GCC 12 warns about the
// "undefined" source operand of the unmasked ones (a false positive, GCC bug 105593).
inline void mulhilo16(__m512i a, __m512i m, __m512i& hi, __m512i& lo) {
  constexpr __mmask8 all = 0xFF;
  const __m512i even = _mm512_maskz_mul_epu32(all, a, m);
  const __m512i odd = _mm512_maskz_mul_epu32(all, _mm512_maskz_srli_epi64(all, a, 32), m);
  lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_maskz_slli_epi64(all, odd, 32));
  hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_maskz_srli_epi64(all, even, 32), odd);
}

inline void philox16(RngKey key, std::uint32_t c0, std::uint32_t c1, const std::uint32_t* c2, std::uint32_t c3,
                     std::uint32_t* w0, std::uint32_t* w1, std::uint32_t* w2, std::uint32_t* w3) {
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kPhiloxM0));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(kPhiloxM1));
  __m512i x0 = _mm512_set1_epi32(static_cast<int>(c0)), x1 = _mm512_set1_epi32(static_cast<int>(c1));
  __m512i x2 = _mm512_loadu_si512(c2);
  __m512i x3 = _mm512_set1_epi32(static_cast<int>(c3));
  std::uint32_t k0 = key.k0, k1 = key.k1;
  for (int round = 0; round < 10; ++round) {
    __m512i hi0, lo0, hi1, lo1;
    mulhilo16(x0, m0, hi0, lo0);
    mulhilo16(x2, m1, hi1, lo1);
    // 0x96: a ^ b ^ c
    x0 = _mm512_ternarylogic_epi32(hi1, x1, _mm512_set1_epi32(static_cast<int>(k0)), 0x96);
    x1 = lo1;
    x2 = _mm512_ternarylogic_epi32(hi0, x3, _mm512_set1_epi32(static_cast<int>(k1)), 0x96);
    x3 = lo0;
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  _mm512_storeu_si512(w0, x0);
  _mm512_storeu_si512(w1, x1);
  _mm512_storeu_si512(w2, x2);
  _mm512_storeu_si512(w3, x3);
}
#endif

#if defined(__AVX2__)
// 8 lanes: hi and lo words of m · a per 32-bit lane.
inline void mulhilo8(__m256i a, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i even = _mm256_mul_epu32(a, m);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
  lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
}

inline void philox8(RngKey key, std::uint32_t c0, std::uint32_t c1, const std::uint32_t* c2, std::uint32_t c3,
                    std::uint32_t* w0, std::uint32_t* w1, std::uint32_t* w2, std::uint32_t* w3) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kPhiloxM0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kPhiloxM1));
  __m256i x0 = _mm256_set1_epi32(static_cast<int>(c0)), x1 = _mm256_set1_epi32(static_cast<int>(c1));
  __m256i x2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c2));
  __m256i x3 = _mm256_set1_epi32(static_cast<int>(c3));
  std::uint32_t k0 = key.k0, k1 = key.k1;
  for (int round = 0; round < 10; ++round) {
    __m256i hi0, lo0, hi1, lo1;
    mulhilo8(x0, m0, hi0, lo0);
    mulhilo8(x2, m1, hi1, lo1);
    x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32(static_cast<int>(k0)));
    x1 = lo1;
    x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32(static_cast<int>(k1)));
    x3 = lo0;
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(w0), x0);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(w1), x1);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(w2), x2);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(w3), x3);
}
#endif

}  // namespace detail

template <int W>
inline void philoxLanes(RngKey key, std::uint32_t c0, std::uint32_t c1, const std::uint32_t* c2, std::uint32_t c3,
                        PhiloxLanes<W>& out) {
#if defined(__AVX512F__)
  if constexpr (W % 16 == 0) {
    for (int l = 0; l < W; l += 16)
      detail::philox16(key, c0, c1, c2 + l, c3, out.w[0] + l, out.w[1] + l, out.w[2] + l, out.w[3] + l);
    return;
  }
#endif
#if defined(__AVX2__)
  if constexpr (W % 8 == 0) {
    for (int l = 0; l < W; l += 8)
      detail::philox8(key, c0, c1, c2 + l, c3, out.w[0] + l, out.w[1] + l, out.w[2] + l, out.w[3] + l);
    return;
  }
#endif
  detail::philoxPortable<W>(key, c0, c1, c2, c3, out);
}

// The random numbers of attempts t = 0, 1, 2, ... of one annealing step for the simd::kWidth
// replicas of a group (lane l = replica ids[l]); see the file comment. Attempts must be asked for in
// increasing order within a step; a new block is computed when t crosses into it.
inline constexpr int kTopBits = 16;

class LaneDraws {
 public:
  static constexpr int W = simd::kWidth;
  LaneDraws(RngKey key, std::uint32_t step, const std::uint32_t* ids, std::uint32_t realization)
      : key_(key), step_(step), realization_(realization) {
    for (int l = 0; l < W; ++l) ids_[l] = ids[l];
  }
  // B (0 .. 2^kTopBits − 1) of attempt t in every lane.
  simd::VU top(std::uint64_t t) {
    constexpr int per_word = 32 / kTopBits, per_block = 4 * per_word;
    const std::uint64_t b = t / per_block;
    if (b != block_) {
      philoxLanes<W>(key_, static_cast<std::uint32_t>(b), step_, ids_, realization_, words_);
      block_ = b;
    }
    const int k = static_cast<int>(t % per_block);
    return (simd::load<simd::VU>(words_.w[k / per_word]) >> static_cast<std::uint32_t>(kTopBits * (k % per_word))) &
           ((1u << kTopBits) - 1);
  }
  // R (0 .. 2^(31 − kTopBits) − 1) of attempt t in one lane.
  std::uint32_t low(std::uint64_t t, int lane) const {
    return philox(key_, static_cast<std::uint32_t>(t), step_ | 0x80000000u, ids_[lane], realization_).v[0] >>
           (1 + kTopBits);
  }

 private:
  RngKey key_;
  std::uint32_t step_, realization_;
  alignas(64) std::uint32_t ids_[W];
  std::uint64_t block_ = ~std::uint64_t(0);
  PhiloxLanes<W> words_;
};

}  // namespace vna
