// tile::GemmTerms' selected terms (the tensorized cell's per-lane choice of weights) against the
// masked pair of products they replace.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kokkos/tile_gemm.hpp"

namespace vna {
namespace {

template <class Scalar>
std::vector<Scalar> randomVector(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<Scalar> v(n);
  for (Scalar& x : v) x = static_cast<Scalar>(u(rng));
  return v;
}

// C = bias (or C0) + A_0 (1 − s) ⊙ B + A_1 s ⊙ B + A_2 B as masked products, and with A_0 / A_1 as one
// selected term. Origin of the exact comparison: per column the selected term performs the masked
// pair's FMAs in their order less the half whose B entry is an exact zero, and adding ±0 to a nonzero
// accumulator changes no bit (the random data keep every accumulator away from 0).
template <class Scalar, int W, bool kTransA>
void checkSelected(int M, int K, bool with_bias) {
  std::mt19937 rng(12345 + M * 7 + K);
  const int lda = K + 3;  // a leading dimension beyond the row, as in the tensorized cell
  const std::size_t a_size = static_cast<std::size_t>(kTransA ? K * lda + M : M * lda);
  const auto a0 = randomVector<Scalar>(a_size, rng), a1 = randomVector<Scalar>(a_size, rng),
             a2 = randomVector<Scalar>(a_size, rng);
  const auto b = randomVector<Scalar>(static_cast<std::size_t>(K) * W, rng);
  const auto bias = randomVector<Scalar>(static_cast<std::size_t>(M), rng);
  const auto c0 = randomVector<Scalar>(static_cast<std::size_t>(M) * W, rng);
  std::vector<Scalar> sel(W), b0(b.size()), b1(b.size());
  for (int w = 0; w < W; ++w) sel[w] = static_cast<Scalar>(rng() % 2);
  for (int t = 0; t < K; ++t)
    for (int w = 0; w < W; ++w) {
      b0[t * W + w] = (Scalar(1) - sel[w]) * b[t * W + w];
      b1[t * W + w] = sel[w] * b[t * W + w];
    }
  tile::GemmTerms<Scalar> masked(K, a0.data(), lda, b0.data(), W), selected;
  masked.add(a1.data(), b1.data());
  masked.add(a2.data(), b.data());
  selected.K = K;
  selected.lda = lda;
  selected.ldb = W;
  selected.addSelected(a0.data(), a1.data(), sel.data(), b.data());
  selected.add(a2.data(), b.data());
  if (with_bias) masked.bias = selected.bias = bias.data();
  std::vector<Scalar> expected = c0, got = c0;
  tile::gemmRows<Scalar, W, kTransA>(M, masked, expected.data(), W);
  tile::gemmRows<Scalar, W, kTransA>(M, selected, got.data(), W);
  for (std::size_t e = 0; e < got.size(); ++e) ASSERT_EQ(got[e], expected[e]) << "entry " << e;
}

TEST(TileGemm, SelectedTermEqualsMaskedPairFloat) {
  for (const int M : {1, 10, 13, 40})
    for (const int K : {1, 10, 40}) {
      checkSelected<float, 16, false>(M, K, true);
      checkSelected<float, 16, true>(M, K, false);
    }
}

TEST(TileGemm, SelectedTermEqualsMaskedPairDouble) {
  for (const int M : {1, 7, 40})
    for (const int K : {3, 40}) {
      checkSelected<double, 8, false>(M, K, true);
      checkSelected<double, 8, true>(M, K, false);
    }
}

}  // namespace
}  // namespace vna
