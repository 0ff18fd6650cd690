// Adam's step against the update rule of Kingma & Ba (2015), Algorithm 1, written out here one entry
// at a time, and the gradient norm the step returns against squaredNorm, the in-order sum the trace
// reported before the two were fused. Tolerances: the compiler contracts a · b + c into one fused
// multiply-add (GCC's default) and may fuse a different product here than in adam.cpp, so each entry
// may differ by an ulp per operation (4 per entry and step: 1e-14 relative after 4 steps), the
// reference's norm by an ulp per term (n · 2^-52 relative). The norm against squaredNorm, the same
// expression in the same file as the annealer's former loop, is exact (test_golden checks the traces).
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <vector>

#include "anneal/adam.hpp"

namespace vna {
namespace {

// n not a multiple of the step's block, entries of both signs and of very different magnitudes.
std::vector<double> gradientAt(int step, std::size_t n) {
  std::vector<double> g(n);
  for (std::size_t i = 0; i < n; ++i)
    g[i] = std::sin(0.37 * static_cast<double>(i) + step) * std::pow(10.0, -static_cast<double>(i % 7));
  return g;
}

TEST(Adam, StepFollowsKingmaBaAlgorithmOneAndReturnsTheInOrderNorm) {
  const std::size_t n = 1000 + 7;
  const Adam adam{5e-4};
  std::vector<double> theta(n), ref_theta(n), ref_m(n, 0.0), ref_v(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) theta[i] = ref_theta[i] = std::cos(0.1 * static_cast<double>(i));
  AdamState state;
  for (int t = 1; t <= 4; ++t) {
    const std::vector<double> g = gradientAt(t, n);
    const double norm2 = adam.step(theta, g.data(), state);
    const double c1 = 1.0 - std::pow(adam.beta1, t), c2 = 1.0 - std::pow(adam.beta2, t);
    double ref_norm2 = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      ref_m[i] = adam.beta1 * ref_m[i] + (1.0 - adam.beta1) * g[i];
      ref_v[i] = adam.beta2 * ref_v[i] + (1.0 - adam.beta2) * g[i] * g[i];
      ref_theta[i] -= adam.learning_rate * (ref_m[i] / c1) / (std::sqrt(ref_v[i] / c2) + adam.epsilon);
      ref_norm2 += g[i] * g[i];
    }
    EXPECT_EQ(state.t, t);
    EXPECT_EQ(norm2, squaredNorm(g.data(), n)) << "step " << t;
    EXPECT_NEAR(norm2, ref_norm2, static_cast<double>(n) * 0x1p-52 * ref_norm2) << "step " << t;
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_NEAR(state.m[i], ref_m[i], 1e-14 * std::fabs(ref_m[i])) << "step " << t << ", entry " << i;
      ASSERT_NEAR(state.v[i], ref_v[i], 1e-14 * std::fabs(ref_v[i])) << "step " << t << ", entry " << i;
      ASSERT_NEAR(theta[i], ref_theta[i], 1e-14 * std::fabs(ref_theta[i])) << "step " << t << ", entry " << i;
    }
  }
}

// The first step moves every entry by lr · g / (|g| + ε) (m̂ = g, v̂ = g²): about lr against the
// gradient's sign wherever |g| >> ε (closed form; 1e-12 relative covers the bias corrections' rounding).
TEST(Adam, FirstStepMovesEachEntryByTheLearningRate) {
  const std::size_t n = 37;
  const Adam adam{1e-3};
  std::vector<double> theta(n, 0.5), g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = (i % 2 ? -1.0 : 1.0) * (0.01 + 0.1 * static_cast<double>(i));
  AdamState state;
  adam.step(theta, g.data(), state);
  for (std::size_t i = 0; i < n; ++i) {
    const double expected = 0.5 - 1e-3 * g[i] / (std::fabs(g[i]) + adam.epsilon);
    EXPECT_NEAR(theta[i], expected, 1e-12 * std::fabs(expected)) << "entry " << i;
  }
}

}  // namespace
}  // namespace vna
