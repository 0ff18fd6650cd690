// Landscape roughness (src/landscape/roughness.hpp) on synthetic landscapes whose expected values are
// known in closed form: f = μ + ε with ε_k ~ N(0, s_k²) independent, so
//   E[Σ_r (c_r·f)²] = Σ_r (c_r·μ)² + Σ_r Σ_k c_rk² s_k²   (the noise term is V, the ratio's denominator).
// Pure noise (μ constant) gives ratio 1 for both stencils; a plane μ = aα + bβ gives first differences
// a·hα and b·hβ (exactly) and second differences 0; a parabola μ = cα² gives second differences 2c·hα².
// Tolerances: the function's own Monte Carlo error (3σ), itself checked against the spread over many
// independent noise draws.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "landscape/roughness.hpp"

namespace vna {
namespace {

struct Synthetic {
  std::size_t na = 41, nb = 31;
  std::vector<double> f, s;
  std::vector<std::uint8_t> valid;
  double ha = 0.05, hb = 0.08;  // grid spacings
};

// μ(α, β) on the grid plus Gaussian noise of standard error s(i, j) = 0.5 + 0.4 sin(i + 2j) (uneven, > 0).
template <class Mu>
Synthetic make(Mu mu, unsigned seed, double noise_scale = 1.0) {
  Synthetic g;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  for (std::size_t i = 0; i < g.na; ++i)
    for (std::size_t j = 0; j < g.nb; ++j) {
      const double s = noise_scale * (0.5 + 0.4 * std::sin(static_cast<double>(i + 2 * j)));
      g.s.push_back(s);
      g.f.push_back(mu(i * g.ha, j * g.hb) + s * normal(rng));
      g.valid.push_back(1);
    }
  return g;
}

LandscapeRoughness of(const Synthetic& g) { return landscapeRoughness(g.f, g.s, g.valid, g.na, g.nb); }

// V = Σ_r Σ_k c_rk² s_k² by direct enumeration (first: two terms of weight ±1; second: 1, 4, 1).
std::pair<double, double> noiseTerms(const Synthetic& g) {
  double v1 = 0, v2 = 0;
  auto s2 = [&](std::size_t i, std::size_t j) { return g.s[i * g.nb + j] * g.s[i * g.nb + j]; };
  for (std::size_t i = 0; i < g.na; ++i)
    for (std::size_t j = 0; j < g.nb; ++j) {
      if (i + 1 < g.na) v1 += s2(i, j) + s2(i + 1, j);
      if (j + 1 < g.nb) v1 += s2(i, j) + s2(i, j + 1);
      if (i >= 1 && i + 1 < g.na) v2 += s2(i - 1, j) + 4 * s2(i, j) + s2(i + 1, j);
      if (j >= 1 && j + 1 < g.nb) v2 += s2(i, j - 1) + 4 * s2(i, j) + s2(i, j + 1);
    }
  return {v1, v2};
}

TEST(Roughness, StencilCountsAndNoiseTerm) {
  const Synthetic g = make([](double, double) { return 0.0; }, 1);
  const auto r = of(g);
  EXPECT_EQ(r.first.stencils, static_cast<std::int64_t>((g.na - 1) * g.nb + g.na * (g.nb - 1)));
  EXPECT_EQ(r.second.stencils, static_cast<std::int64_t>((g.na - 2) * g.nb + g.na * (g.nb - 2)));
  const auto [v1, v2] = noiseTerms(g);
  EXPECT_NEAR(r.first.noise, v1, 1e-9 * v1);
  EXPECT_NEAR(r.second.noise, v2, 1e-9 * v2);
}

TEST(Roughness, PureNoiseHasRatioOne) {
  // A constant landscape: every difference is noise, E[ratio] = 1 for both stencils.
  const auto r = of(make([](double, double) { return 3.0; }, 2));
  EXPECT_NEAR(r.first.ratio, 1.0, 3 * r.first.ratio_err);
  EXPECT_NEAR(r.second.ratio, 1.0, 3 * r.second.ratio_err);
  EXPECT_NEAR(r.first.excess, 0.0, 3 * r.first.excess_err);
  // The error is a few percent here (2,500 stencils, uneven noise), not a meaningless bound.
  EXPECT_LT(r.first.ratio_err, 0.1);
  EXPECT_GT(r.first.ratio_err, 0.01);
}

TEST(Roughness, NoiseTermOfTheErrorInClosedForm) {
  // A chain of m + 1 points with s = 1 and a constant (noiseless) f: the error is the noise's alone,
  // Var S = 2 tr((QΣ)²) = Σ_r 2·2² + Σ_{r≠r' adjacent} 2·1² = 8m + 4(m − 1), and V = 2m.
  const std::size_t m = 50;
  const std::vector<double> f(m + 1, 2.0), s(m + 1, 1.0);
  const std::vector<std::uint8_t> v(m + 1, 1);
  const auto r = landscapeRoughness(f, s, v, m + 1, 1);
  EXPECT_DOUBLE_EQ(r.first.noise, 2.0 * m);
  EXPECT_NEAR(r.first.ratio_err, std::sqrt(12.0 * m - 4.0) / (2.0 * m), 1e-12);
  EXPECT_DOUBLE_EQ(r.first.ratio, 0.0);
}

TEST(Roughness, MonteCarloErrorMatchesTheSpreadOverNoiseDraws) {
  // 300 independent noise draws on a curved landscape: the mean ratio is the closed form, and the
  // predicted error agrees with the observed standard deviation (within 15%: the standard deviation of
  // a standard deviation estimated from 300 draws is ~4%, and the error formula is first order).
  auto mu = [](double a, double b) { return 20.0 * std::sin(4 * a) * std::cos(3 * b); };
  const Synthetic clean = make(mu, 0, 0.0);
  double exact_s1 = 0;  // Σ (c·μ)² for first differences, from the noiseless grid
  for (std::size_t i = 0; i < clean.na; ++i)
    for (std::size_t j = 0; j < clean.nb; ++j) {
      const std::size_t k = i * clean.nb + j;
      if (i + 1 < clean.na) exact_s1 += std::pow(clean.f[k + clean.nb] - clean.f[k], 2);
      if (j + 1 < clean.nb) exact_s1 += std::pow(clean.f[k + 1] - clean.f[k], 2);
    }
  const int draws = 300;
  double sum = 0, sum2 = 0, predicted = 0, v1 = 0;
  for (int d = 0; d < draws; ++d) {
    const Synthetic g = make(mu, 100 + d);
    const auto r = of(g);
    sum += r.first.ratio;
    sum2 += r.first.ratio * r.first.ratio;
    predicted += r.first.ratio_err / draws;
    v1 = r.first.noise;
  }
  const double mean = sum / draws, sd = std::sqrt(sum2 / draws - mean * mean);
  const double expected = 1.0 + exact_s1 / v1;
  EXPECT_NEAR(mean, expected, 3 * sd / std::sqrt(draws));
  EXPECT_NEAR(predicted / sd, 1.0, 0.15) << "predicted " << predicted << " observed " << sd;
}

TEST(Roughness, PlaneIsRoughForFirstDifferencesOnly) {
  // μ = aα + bβ: every first difference along α is a·hα, along β b·hβ (exact), second differences 0.
  const double a = 30.0, b = -12.0;
  const Synthetic g = make([&](double x, double y) { return a * x + b * y; }, 3);
  const auto r = of(g);
  const auto [v1, v2] = noiseTerms(g);
  const double s_mu = (g.na - 1) * g.nb * std::pow(a * g.ha, 2) + g.na * (g.nb - 1) * std::pow(b * g.hb, 2);
  EXPECT_NEAR(r.first.ratio, 1.0 + s_mu / v1, 3 * r.first.ratio_err);
  EXPECT_GT(r.first.ratio, 2.0);
  EXPECT_NEAR(r.second.ratio, 1.0, 3 * r.second.ratio_err);
  (void)v2;
}

TEST(Roughness, ParabolaHasConstantSecondDifferences) {
  // μ = cα²: second differences along α are 2c·hα² at every interior point, along β 0.
  const double c = 400.0;
  const Synthetic g = make([&](double x, double) { return c * x * x; }, 4);
  const auto r = of(g);
  const auto [v1, v2] = noiseTerms(g);
  const double s_mu = (g.na - 2) * g.nb * std::pow(2 * c * g.ha * g.ha, 2);
  EXPECT_NEAR(r.second.ratio, 1.0 + s_mu / v2, 3 * r.second.ratio_err);
  EXPECT_NEAR(r.second.excess, s_mu / r.second.stencils, 3 * r.second.excess_err);
  (void)v1;
}

TEST(Roughness, MissingPointsDropTheirStencils) {
  Synthetic g = make([](double, double) { return 0.0; }, 5);
  const auto full = of(g);
  // An interior point belongs to 4 first-difference and 6 second-difference stencils (3 along each axis).
  g.valid[10 * g.nb + 10] = 0;
  auto r = of(g);
  EXPECT_EQ(r.first.stencils, full.first.stencils - 4);
  EXPECT_EQ(r.second.stencils, full.second.stencils - 6);
  // A non-finite value counts as missing too.
  g.valid[10 * g.nb + 10] = 1;
  g.f[10 * g.nb + 10] = NAN;
  r = of(g);
  EXPECT_EQ(r.first.stencils, full.first.stencils - 4);
}

TEST(Roughness, LineScanAndDegenerateGrids) {
  // A 1D scan (Nb = 1) uses the α stencils only.
  Synthetic g = make([](double x, double) { return 5 * x; }, 6);
  std::vector<double> f, s;
  std::vector<std::uint8_t> v;
  for (std::size_t i = 0; i < g.na; ++i) {
    f.push_back(g.f[i * g.nb]);
    s.push_back(g.s[i * g.nb]);
    v.push_back(1);
  }
  const auto r = landscapeRoughness(f, s, v, g.na, 1);
  EXPECT_EQ(r.first.stencils, static_cast<std::int64_t>(g.na - 1));
  EXPECT_EQ(r.second.stencils, static_cast<std::int64_t>(g.na - 2));
  // One point: no stencil, NaN ratios.
  const auto one = landscapeRoughness({1.0}, {0.1}, {1}, 1, 1);
  EXPECT_EQ(one.first.stencils, 0);
  EXPECT_TRUE(std::isnan(one.first.ratio));
  // Noiseless values (every sample identical, loss_err = 0): the ratio is undefined, the excess is not.
  const auto exact = landscapeRoughness({0.0, 1.0, 3.0}, {0.0, 0.0, 0.0}, {1, 1, 1}, 3, 1);
  EXPECT_TRUE(std::isnan(exact.first.ratio));
  EXPECT_DOUBLE_EQ(exact.first.excess, (1.0 + 4.0) / 2);  // differences 1 and 2
  EXPECT_DOUBLE_EQ(exact.second.excess, 1.0);             // 0 − 2·1 + 3
}

}  // namespace
}  // namespace vna
