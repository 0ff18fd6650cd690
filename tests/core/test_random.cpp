#include <gtest/gtest.h>

#include <cmath>

#include "core/random.hpp"

namespace vna {

// Origin: Random123's published known-answer test for Philox4x32-10 with zero counter and key
// (kat_vectors in the Random123 distribution: 6627e8d5 e169c58d bc57ac4c 9b00dbd8).
// The sampling uniform lies on the midpoint grid (2j+1)·2^-24: its extremes are exactly 2^-24 and
// 1 − 2^-24 (closed form), so `u < p` never draws an outcome of probability below 2^-24.
TEST(Random, UniformFloatNeverReachesZeroOrOne) {
  EXPECT_EQ(uniformFloat(0u), 0x1.0p-24f);
  EXPECT_EQ(uniformFloat(0xFFFFFFFFu), 1.0f - 0x1.0p-24f);
  EXPECT_EQ(uniformFloat(0x80000000u), 0.5f + 0x1.0p-24f);
}

TEST(Random, PhiloxKnownAnswer) {
  const RngWords w = philox({0u, 0u}, 0u, 0u, 0u, 0u);
  EXPECT_EQ(w.v[0], 0x6627e8d5u);
  EXPECT_EQ(w.v[1], 0xe169c58du);
  EXPECT_EQ(w.v[2], 0xbc57ac4cu);
  EXPECT_EQ(w.v[3], 0x9b00dbd8u);
}

TEST(Random, StreamsArePureFunctionsOfTheirIndices) {
  RngStream a(7, RngPurpose::kDisorder, 3), b(7, RngPurpose::kDisorder, 3), c(7, RngPurpose::kDisorder, 4);
  for (int k = 0; k < 100; ++k) {
    const double x = a.uniform();
    EXPECT_EQ(x, b.uniform());
    EXPECT_NE(x, c.uniform());
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
  }
}

// Fixed seeds, so the outcome is deterministic; a 3-sigma bound fails by chance for 0.3% of seeds.
// Origin: 3-sigma bound on the sample mean of N(0,1) and of U[0,1) (sigma = 1/sqrt(n), 1/sqrt(12 n)).
TEST(Random, MomentsWithinThreeSigma) {
  RngStream s(11, RngPurpose::kMonteCarlo, 0);
  const int n = 200000;
  double mean_u = 0, mean_g = 0, var_g = 0;
  for (int k = 0; k < n; ++k) mean_u += s.uniform();
  RngStream g_stream(11, RngPurpose::kMonteCarlo, 1);
  for (int k = 0; k < n; ++k) {
    const double g = g_stream.normal();
    mean_g += g;
    var_g += g * g;
  }
  mean_u /= n;
  mean_g /= n;
  var_g = var_g / n - mean_g * mean_g;
  EXPECT_NEAR(mean_u, 0.5, 3.0 / std::sqrt(12.0 * n));
  EXPECT_NEAR(mean_g, 0.0, 3.0 / std::sqrt(n));
  EXPECT_NEAR(var_g, 1.0, 3.0 * std::sqrt(2.0 / n));  // var of the sample variance of N(0,1) ~ 2/n
}

}  // namespace vna
