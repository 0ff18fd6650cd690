// The pieces of `vna landscape`: grid and chunks, directions, trajectory projections and PCA, and the
// batched evaluator checked against exhaustive enumeration of the variational losses.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <set>

#include "core/error.hpp"
#include "engine/engine_test_utils.hpp"
#include "landscape/directions.hpp"
#include "landscape/grid.hpp"
#include "landscape/landscape.hpp"
#include "landscape/trajectory.hpp"
#include "model/newman_moore.hpp"

namespace vna {
namespace {

TEST(LandscapeGrid, AxisEndpointsAndCentre) {
  const auto a = gridAxis(-1.0, 1.0, 5);
  ASSERT_EQ(a.size(), 5u);
  // Closed form: -1 + 2k/4.
  EXPECT_EQ(a.front(), -1.0);
  EXPECT_EQ(a.back(), 1.0);
  EXPECT_EQ(a[2], 0.0);
  EXPECT_DOUBLE_EQ(a[1], -0.5);
  EXPECT_EQ(gridAxis(-1.0, 3.0, 1), std::vector<double>{1.0});  // midpoint of [-1, 3]
}

// Every point exactly once, in row-major order, every chunk a rectangle of at most max points.
void checkCover(std::int64_t na, std::int64_t nb, std::int64_t max_points) {
  const auto chunks = gridChunks(na, nb, max_points);
  std::vector<std::int64_t> order;
  for (const auto& c : chunks) {
    EXPECT_LE(c.size(), max_points);
    EXPECT_GE(c.size(), 1);
    EXPECT_TRUE(c.nj == nb || c.ni == 1) << "a chunk is whole rows or a piece of one row";
    for (std::int64_t i = c.i0; i < c.i0 + c.ni; ++i)
      for (std::int64_t j = c.j0; j < c.j0 + c.nj; ++j) order.push_back(i * nb + j);
  }
  std::vector<std::int64_t> expected(na * nb);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(order, expected) << na << "x" << nb << " by " << max_points;
}

TEST(LandscapeGrid, ChunksCoverTheGridOnceInOrder) {
  checkCover(200, 200, 200);  // one row per chunk
  checkCover(200, 200, 64);   // rows cut into 4 segments of 50
  checkCover(7, 3, 10);       // 3 rows per chunk, a last partial one
  checkCover(5, 1, 2);        // 1D scan
  checkCover(1, 1, 1);
  EXPECT_EQ(gridChunks(200, 200, 64).size(), 800u);  // 4 balanced segments of 50 per row
}

TEST(LandscapeDirections, GaussianIsStandardNormalAndReproducible) {
  const std::size_t n = 200000;
  const auto d = gaussianDirection(7, 0, n);
  EXPECT_EQ(d, gaussianDirection(7, 0, n));
  EXPECT_NE(d, gaussianDirection(7, 1, n));
  EXPECT_NE(d, gaussianDirection(8, 0, n));
  double mean = 0, var = 0;
  for (double x : d) mean += x;
  mean /= n;
  for (double x : d) var += (x - mean) * (x - mean);
  var /= n - 1;
  // 3-sigma bounds for N(0,1): sd(mean) = 1/sqrt(n), sd(sample variance) = sqrt(2/(n-1)).
  EXPECT_LT(std::abs(mean), 3.0 / std::sqrt(double(n)));
  EXPECT_LT(std::abs(var - 1.0), 3.0 * std::sqrt(2.0 / (n - 1)));
}

double blockNorm(const std::vector<double>& v, const ParamBlock& b) {
  double s = 0;
  for (std::size_t i = b.offset; i < b.offset + b.size; ++i) s += v[i] * v[i];
  return std::sqrt(s);
}

TEST(LandscapeDirections, BlockAndGlobalNormalization) {
  const ParamLayout layout = makeParamLayout(CellKind::kVanilla2d, 6);
  const auto theta = initParameters(layout, 3, 0);
  auto d = gaussianDirection(1, 0, layout.total);
  auto g = d;
  normalizeDirection(d, theta, layout, DirectionNormalization::kBlock);
  // Definition of the block normalization: ‖d_b‖ = ‖θ*_b‖ for every named block (to rounding).
  for (const auto& b : layout.blocks) EXPECT_NEAR(blockNorm(d, b), blockNorm(theta, b), 1e-12 * blockNorm(theta, b));
  normalizeDirection(g, theta, layout, DirectionNormalization::kGlobal);
  EXPECT_NEAR(std::sqrt(dot(g, g)), std::sqrt(dot(theta, theta)), 1e-12 * std::sqrt(dot(theta, theta)));
  auto none = gaussianDirection(1, 0, layout.total);
  normalizeDirection(none, theta, layout, DirectionNormalization::kNone);
  EXPECT_EQ(none, gaussianDirection(1, 0, layout.total));
}

TEST(LandscapeDirections, OrthogonalizeKeepsThePlaneAndTheNorm) {
  const std::size_t n = 1000;
  const auto delta = gaussianDirection(2, 0, n);
  auto eta = gaussianDirection(2, 1, n);
  for (std::size_t i = 0; i < n; ++i) eta[i] += 0.5 * delta[i];  // far from orthogonal
  const auto eta0 = eta;
  orthogonalize(delta, eta);
  const double scale = std::sqrt(dot(delta, delta) * dot(eta, eta));
  EXPECT_LT(std::abs(dot(delta, eta)), 1e-12 * scale);          // Gram-Schmidt, to rounding
  EXPECT_NEAR(dot(eta, eta), dot(eta0, eta0), 1e-10 * dot(eta0, eta0));  // norm kept
  // Same plane: the new η has no component outside span{δ, η0} (projection residual ~ rounding).
  Trajectory t;
  t.num_params = n;
  t.after_update = {0};
  t.params = eta;
  const auto proj = projectOntoPlane(t, std::vector<double>(n, 0.0), delta, eta0);
  EXPECT_LT(proj.residual[0], 1e-10 * std::sqrt(dot(eta, eta)));
  auto parallel = delta;
  for (double& x : parallel) x *= -2.0;
  EXPECT_THROW(orthogonalize(delta, parallel), InputError);
}

TEST(LandscapeTrajectory, ProjectionRecoversPlaneCoordinates) {
  const std::size_t n = 500;
  const auto theta = gaussianDirection(5, 0, n), delta = gaussianDirection(5, 1, n), eta = gaussianDirection(5, 2, n);
  auto noise = gaussianDirection(5, 3, n);
  // Make the noise orthogonal to the plane so that the residual is its norm (closed form).
  {
    auto a = delta, b = eta;
    orthogonalize(a, b);
    for (const auto* e : {&a, &b}) {
      const double c = dot(noise, *e) / dot(*e, *e);
      for (std::size_t i = 0; i < n; ++i) noise[i] -= c * (*e)[i];
    }
  }
  const double coords[3][2] = {{0.0, 0.0}, {0.3, -1.2}, {-2.0, 0.7}};
  Trajectory t;
  t.num_params = n;
  for (int k = 0; k < 3; ++k) {
    t.after_update.push_back(k);
    for (std::size_t i = 0; i < n; ++i)
      t.params.push_back(theta[i] + coords[k][0] * delta[i] + coords[k][1] * eta[i] + (k == 2 ? noise[i] : 0.0));
  }
  const auto p = projectOntoPlane(t, theta, delta, eta);
  // Origin: the points were built at these coordinates (noise ⟂ plane), so least squares recovers them
  // exactly; 1e-10 is double rounding over n-term dot products of O(1) vectors.
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(p.coords[2 * k], coords[k][0], 1e-10);
    EXPECT_NEAR(p.coords[2 * k + 1], coords[k][1], 1e-10);
  }
  EXPECT_NEAR(p.residual[0], 0.0, 1e-10);
  EXPECT_NEAR(p.residual[2], std::sqrt(dot(noise, noise)), 1e-10);
  EXPECT_THROW(projectOntoPlane(t, theta, delta, delta), InputError);
}

TEST(LandscapeTrajectory, PcaFindsThePlaneOfAPlanarPath) {
  // θ_t = c + x_t u + y_t v with orthonormal u, v: the PCA plane is span{u, v}, all variance in it.
  const std::size_t n = 300;
  auto u = gaussianDirection(9, 0, n), v = gaussianDirection(9, 1, n);
  orthogonalize(u, v);
  const double nu = std::sqrt(dot(u, u)), nv = std::sqrt(dot(v, v));
  for (std::size_t i = 0; i < n; ++i) u[i] /= nu, v[i] /= nv;
  const auto c = gaussianDirection(9, 2, n);
  const double xs[] = {-5, -3, -2, -1, 0}, ys[] = {1, -1, 0.5, 0.2, 0};
  Trajectory t;
  t.num_params = n;
  for (int k = 0; k < 5; ++k) {
    t.after_update.push_back(k);
    for (std::size_t i = 0; i < n; ++i) t.params.push_back(c[i] + xs[k] * u[i] + ys[k] * v[i]);
  }
  const TrajectoryPca pca = trajectoryPca(t);
  EXPECT_NEAR(pca.explained[0] + pca.explained[1], 1.0, 1e-12);  // planar path: nothing left over
  EXPECT_GE(pca.explained[0], pca.explained[1]);
  for (int k = 0; k < 2; ++k) {
    std::vector<double> comp(pca.components.begin() + k * n, pca.components.begin() + (k + 1) * n);
    EXPECT_NEAR(dot(comp, comp), 1.0, 1e-12);  // orthonormal
    // Inside span{u, v}: (comp·u)² + (comp·v)² = 1.
    EXPECT_NEAR(dot(comp, u) * dot(comp, u) + dot(comp, v) * dot(comp, v), 1.0, 1e-10);
  }
  for (int k = 0; k < 5; ++k) {
    // In-plane distances to the last point are preserved by an orthonormal basis of the plane.
    const double dx = pca.coords[2 * k], dy = pca.coords[2 * k + 1];
    EXPECT_NEAR(dx * dx + dy * dy, xs[k] * xs[k] + ys[k] * ys[k], 1e-9);
  }
  EXPECT_LE(pca.coords[0], 0.0);  // sign convention: θ_0 at a coordinate <= 0
  EXPECT_LE(pca.coords[1], 0.0);
  EXPECT_EQ(pca.coords[8], 0.0);  // the last point is the origin
  t.after_update.resize(2);
  t.params.resize(2 * n);
  EXPECT_THROW(trajectoryPca(t), InputError);
}

// ---------------------------------------------------------------- evaluator vs enumeration

struct ExactLosses {
  double free_energy = 0;  // Σ p (H + T log p)
  double quantum = 0;      // Σ p E_loc,  E_loc = H − Γ Σ_i sqrt(p(σ^i)/p(σ))
};

// Exhaustive enumeration over the 2^N configurations of the network with parameters theta.
ExactLosses enumerate(const Model& model, const EngineConfig& ec, const std::vector<double>& theta, double T,
                      double gamma) {
  RnnEngine<double> engine(ec);
  const int N = model.hamiltonian.numSpins();
  const int count = 1 << N;
  auto bits = test::allConfigurations(1, N);
  test::DoubleView logp("test::logp", 1, count);
  engine.logProb(test::Space(), test::makeParams<double>({theta}), bits, logp);
  const auto lp = test::toHost(logp);
  ExactLosses out;
  std::vector<Bit> b(N);
  for (int c = 0; c < count; ++c) {
    for (int i = 0; i < N; ++i) b[i] = static_cast<Bit>((c >> i) & 1);
    const double p = std::exp(lp(0, c)), h = model.hamiltonian.energy(b);
    double off = 0;
    for (int i = 0; i < N; ++i) off += std::exp(0.5 * (lp(0, c ^ (1 << i)) - lp(0, c)));
    out.free_energy += p * (h + T * lp(0, c));
    out.quantum += p * (h - gamma * off);
  }
  return out;
}

struct Fixture {
  Model model = newmanMoore(3);
  EngineConfig ec;
  ParameterPlane plane;
  Fixture() {
    ec.cell = CellKind::kVanilla2d;
    ec.hidden = 8;
    ec.lattice = model.lattice;
    const ParamLayout layout = makeParamLayout(ec.cell, ec.hidden, 9);
    plane.theta_star = initParameters(layout, 4, 0);
    for (double& x : plane.theta_star) x *= 3.0;  // far from uniform: a sharper test
    plane.delta = gaussianDirection(1, 0, layout.total);
    plane.eta = gaussianDirection(1, 1, layout.total);
    normalizeDirection(plane.delta, plane.theta_star, layout, DirectionNormalization::kBlock);
    normalizeDirection(plane.eta, plane.theta_star, layout, DirectionNormalization::kBlock);
  }
  Network network(Precision precision) const {
    AnsatzSpec a;
    a.cell = ec.cell;
    a.hidden = ec.hidden;
    a.precision = precision;
    return Network(a, model.lattice, model.hamiltonian);
  }
};

// A landscape chunk's values, as the driver evaluates them.
struct Evaluator {
  Network network;
  VariationalEstimator estimator{network};
  explicit Evaluator(Network n) : network(std::move(n)) {}
  LossStats evaluate(const ParameterPlane& plane, const std::vector<double>& alpha, const std::vector<double>& beta,
                     const std::vector<std::uint32_t>& ids, const LandscapeSampling& s) {
    return evaluatePlanePoints(estimator, plane, alpha, beta, ids, s);
  }
};

TEST(LandscapeEvaluator, MonteCarloLossesAgreeWithEnumeration) {
  Fixture f;
  Evaluator ev(f.network(Precision::kDouble));
  const std::vector<double> alpha = {0.0, 0.5, -0.7, 0.2}, beta = {0.0, -0.3, 0.6, 0.9};
  const std::vector<std::uint32_t> ids = {0, 1, 2, 3};
  for (const LossMode mode : {LossMode::kClassical, LossMode::kQuantum}) {
    LandscapeSampling s;
    s.seed = 11;
    s.samples = 4000;
    s.mode = mode;
    s.temperature = mode == LossMode::kClassical ? 1.3 : 0.0;
    s.gamma = mode == LossMode::kQuantum ? 0.8 : 0.0;
    const LossStats st = ev.evaluate(f.plane, alpha, beta, ids, s);
    double lo = INFINITY, hi = -INFINITY, max_err = 0;
    for (std::size_t k = 0; k < alpha.size(); ++k) {
      std::vector<double> theta(f.plane.theta_star.size());
      for (std::size_t i = 0; i < theta.size(); ++i)
        theta[i] = f.plane.theta_star[i] + alpha[k] * f.plane.delta[i] + beta[k] * f.plane.eta[i];
      const ExactLosses ex = enumerate(f.model, f.ec, theta, s.temperature, s.gamma);
      const double exact = mode == LossMode::kClassical ? ex.free_energy : ex.quantum;
      ASSERT_TRUE(st.finite[k]);
      // 3-sigma statistical bound on a Monte Carlo mean of 4000 exact samples (fixed seed).
      EXPECT_LT(std::abs(st.loss[k] - exact), 3.0 * st.loss_err[k])
          << lossModeName(mode) << " point " << k << ": MC " << st.loss[k] << " ± " << st.loss_err[k] << ", exact "
          << exact;
      lo = std::min(lo, exact), hi = std::max(hi, exact), max_err = std::max(max_err, st.loss_err[k]);
    }
    // The points are told apart: the test would catch a wrong θ (a landscape that is not flat at this scale).
    EXPECT_GT(hi - lo, 10 * max_err) << lossModeName(mode);
  }
}

TEST(LandscapeEvaluator, PointValuesDoNotDependOnTheBatch) {
  // The property behind rank-count independence: a point's values are a function of
  // (seed, snapshot, point id, θ) only, whatever else is in the engine call.
  Fixture f;
  Evaluator ev(f.network(Precision::kFloat));
  LandscapeSampling s;
  s.seed = 3;
  s.snapshot_index = 2;
  s.samples = 50;
  s.temperature = 0.7;
  const LossStats all = ev.evaluate(f.plane, {0.1, -0.4, 0.9}, {0.2, 0.3, -0.5}, {7, 8, 9}, s);
  const LossStats one = ev.evaluate(f.plane, {-0.4}, {0.3}, {8}, s);
  const LossStats swapped = ev.evaluate(f.plane, {0.9, -0.4}, {-0.5, 0.3}, {9, 8}, s);
  EXPECT_EQ(one.loss[0], all.loss[1]);  // bitwise: same samples, same arithmetic
  EXPECT_EQ(one.loss_err[0], all.loss_err[1]);
  EXPECT_EQ(swapped.loss[1], all.loss[1]);
  EXPECT_EQ(swapped.energy[0], all.energy[2]);
  // Another snapshot index is another stream.
  s.snapshot_index = 3;
  EXPECT_NE(ev.evaluate(f.plane, {-0.4}, {0.3}, {8}, s).loss[0], all.loss[1]);
}

TEST(LandscapeEvaluator, OverflowingNetworksAreFlaggedNotFatal) {
  Fixture f;
  Evaluator ev(f.network(Precision::kFloat));
  LandscapeSampling s;
  s.samples = 20;
  s.temperature = 1.0;
  const LossStats st = ev.evaluate(f.plane, {0.0, 1e30, -1e30}, {0.0, 1e30, 0.0}, {0, 1, 2}, s);
  EXPECT_TRUE(st.finite[0]);
  EXPECT_FALSE(st.finite[1]);  // float parameters of 1e30: the hidden states overflow
  EXPECT_FALSE(st.finite[2]);
}

TEST(LandscapeEvaluator, ChunkSizeIsBoundedByMemory) {
  EXPECT_EQ(landscapeChunkPoints(200, 100, 25, 40, false, 3482, 4), 200);
  // VQA at N = 256, d_h = 40, float: the kept activations are Ns·N·43·4 bytes = 4.4 MB per point,
  // so 512 MiB holds about 115 points.
  const auto q = landscapeChunkPoints(400, 100, 256, 40, true, 3482, 4);
  EXPECT_LT(q, 400);
  EXPECT_GE(q, 100);
  EXPECT_LE(q * 100.0 * 256 * 43 * 4, 512.0 * (1 << 20));
  EXPECT_EQ(landscapeChunkPoints(10, 1000000, 10000, 40, true, 3482, 8), 1);
}

}  // namespace
}  // namespace vna
