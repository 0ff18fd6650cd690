// The network service (src/network): its local energies against sums done by hand from explicitly
// flipped configurations, plane points against the same parameters given explicitly, what each call
// moves between host and device, and the contract of its calls.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "backend_registry.hpp"
#include "core/error.hpp"
#include "engine/engine_test_utils.hpp"
#include "model/newman_moore.hpp"
#include "network/network.hpp"
#include "network/variational_estimator.hpp"
#include "parameter_plane.hpp"

namespace vna {
namespace {

// The network service on each backend: the process default is what a Network picks up.
class NetworkTest : public test::BackendTest {
 protected:
  void SetUp() override {
    test::BackendTest::SetUp();
    setDefaultBackend(backend());
  }
  void TearDown() override {
    setDefaultBackend(Backend::kKokkos);
    test::BackendTest::TearDown();
  }
};

AnsatzSpec ansatzOf(CellKind cell, int hidden, Precision precision) {
  AnsatzSpec a;
  a.cell = cell;
  a.hidden = hidden;
  a.precision = precision;
  return a;
}

std::vector<double> initialFlat(const ParamLayout& layout, int P, std::uint64_t seed, double scale) {
  std::vector<double> flat;
  for (int p = 0; p < P; ++p)
    for (double x : initParameters(layout, seed, p)) flat.push_back(scale * x);
  return flat;
}

template <class Scalar>
constexpr Precision precisionOf() {
  return sizeof(Scalar) == 8 ? Precision::kDouble : Precision::kFloat;
}

// The estimator in the quantum and regularized modes against the local energies assembled by hand
// from the network's own samples: E_loc(σ) = H(σ) − Γ Σ_i exp((log p(σ^i) − log p(σ))/2), with
// log p(σ^i) from RnnEngine::logProb on the explicitly flipped configurations (origin: the definition,
// computed two ways). Tolerance: in double 1e-12 relative to Σ_s |ℓ_s| (rounding of sums of Ns·N
// terms); in float the flipped log p may differ by 1e-5 relative (EngineFlips.FloatMatchesExplicitFlips),
// i.e. by ~1e-4 absolute for |log p| <= 16 sites · O(1), which moves each exp(Δ/2) by 1e-4 relative:
// 1e-4 relative to Σ_s |ℓ_s| bounds it.
template <class Scalar>
void checkEstimator(double rel_tol) {  // on the default backend
  const Model model = newmanMoore(4);
  for (LossMode mode : {LossMode::kQuantum, LossMode::kRegularized}) {
    for (CellKind cell : {CellKind::kVanilla2d, CellKind::kDilated1d}) {
      Network network(ansatzOf(cell, 8, precisionOf<Scalar>()), model.lattice, model.hamiltonian);
      const int P = 2, Ns = 13, N = network.numSites();
      const std::size_t n = network.numParams();
      const std::vector<double> flat = initialFlat(network.layout(), P, 63, 2.0);
      VariationalEstimator est(network);
      const double T = 0.7, gamma = 1.3;
      std::vector<double> grad;
      const LossStats st = est.evaluate(ParameterSets::explicitSets(flat, n), {7, 8}, SampleCounters{5, 1, 0}, Ns, mode,
                                        T, gamma, &grad);
      const std::vector<Bit> configurations = network.configurations();
      const std::vector<double> logp = network.logProb(), energy = network.energies();
      // Reference log p of every flipped configuration, by teacher forcing.
      RnnEngine<Scalar> engine(EngineConfig{cell, 8, model.lattice, std::size_t(256) << 20, Backend::kKokkos});
      std::vector<std::vector<double>> sets;
      for (int p = 0; p < P; ++p) sets.emplace_back(flat.begin() + p * n, flat.begin() + (p + 1) * n);
      test::BitsView flipped("flipped", P, static_cast<std::size_t>(Ns) * N, N);
      for (int p = 0; p < P; ++p)
        for (int s = 0; s < Ns; ++s)
          for (int i = 0; i < N; ++i)
            for (int j = 0; j < N; ++j)
              flipped(p, s * N + i, j) = configurations[(p * Ns + s) * N + j] ^ static_cast<std::uint8_t>(i == j);
      test::DoubleView ref("ref", P, static_cast<std::size_t>(Ns) * N);
      engine.logProb(test::Space(), test::makeParams<Scalar>(sets), flipped, ref);
      const double t_eff = mode == LossMode::kQuantum ? 0.0 : T;
      for (int p = 0; p < P; ++p) {
        double sum = 0.0, scale = 0.0;
        for (int s = 0; s < Ns; ++s) {
          const double lp = logp[p * Ns + s];
          double off = 0.0;
          for (int i = 0; i < N; ++i) off += std::exp(0.5 * (ref(p, s * N + i) - lp));
          const double local = energy[p * Ns + s] - gamma * off + t_eff * lp;
          sum += local;
          scale += std::abs(local);
        }
        EXPECT_NEAR(st.loss[p], sum / Ns, rel_tol * scale / Ns) << lossModeName(mode) << " " << cellKindName(cell);
        EXPECT_TRUE(st.finite[p]);
      }
      // The gradient was computed from the same samples: nonzero and finite.
      double norm = 0.0;
      for (double g : grad) norm += g * g;
      EXPECT_TRUE(std::isfinite(norm));
      EXPECT_GT(norm, 0.0);
    }
  }
}

TEST_P(NetworkTest, EstimatorLocalEnergiesMatchExplicitFlips) {
  checkEstimator<double>(1e-12);
  checkEstimator<float>(1e-4);
}

// Plane points are the explicit sets θ* + α δ + β η (parameter_plane.hpp's arithmetic), so both give
// the same samples, log p, energies and flip-ratio sums bit for bit, in float as in double (origin: the
// same parameters in Scalar — each entry formed in double in one order and rounded once, whether the
// host expands it or the kernel where it reads it; for VQA's flips the points are materialized in
// waves). Every cell, shared and per site.
TEST_P(NetworkTest, PlanePointsEqualExplicitSets) {
  const Model model = newmanMoore(3);
  for (CellKind cell : {CellKind::kVanilla1d, CellKind::kVanilla2d, CellKind::kTensorized1d, CellKind::kTensorized2d,
                        CellKind::kDilated1d})
    for (WeightSharing sharing : {WeightSharing::kShared, WeightSharing::kPerSite})
      for (Precision precision : {Precision::kFloat, Precision::kDouble}) {
        AnsatzSpec ansatz = ansatzOf(cell, 6, precision);
        ansatz.sharing = sharing;
        Network network(ansatz, model.lattice, model.hamiltonian);
        const std::string what = cellKindName(cell) + " " + weightSharingName(sharing) + " " + precisionName(precision);
        const std::size_t n = network.numParams();
        ParameterPlane plane;
        plane.theta_star = initParameters(network.layout(), 3, 0);
        plane.delta = initParameters(network.layout(), 3, 1);
        plane.eta = initParameters(network.layout(), 3, 2);
        const std::vector<double> alpha = {0.0, 0.3, -1.7}, beta = {0.5, -0.25, 2.0};
        std::vector<double> flat;
        for (std::size_t k = 0; k < alpha.size(); ++k)
          for (std::size_t i = 0; i < n; ++i)
            flat.push_back(planeEntry(plane.theta_star[i], alpha[k], plane.delta[i], beta[k], plane.eta[i]));
        const std::vector<std::uint32_t> ids = {4, 5, 6};
        for (bool flips : {false, true}) {
          SampleNeeds needs;
          needs.configurations = true;
          needs.flip_ratios = flips;
          network.sample(ParameterSets::onPlane(plane, alpha, beta), ids, SampleCounters{9, 2, 0}, 40, needs);
          const auto lp_plane = network.logProb(), e_plane = network.energies();
          const auto bits_plane = network.configurations();
          const auto sums_plane = flips ? network.flipRatioSums() : std::vector<double>();
          network.sample(ParameterSets::explicitSets(flat, n), ids, SampleCounters{9, 2, 0}, 40, needs);
          EXPECT_EQ(network.logProb(), lp_plane) << what;
          EXPECT_EQ(network.energies(), e_plane) << what;
          EXPECT_EQ(network.configurations(), bits_plane) << what;
          if (flips) {
            EXPECT_EQ(network.flipRatioSums(), sums_plane) << what;
          }
        }
      }
}

// What a VCA update and a landscape chunk move between host and device (origin: the sizes of the
// arrays each call stages; on this host backend they are the staging copies): an update moves θ and
// the per-sample weights up, log p, energies and the gradient down; a landscape chunk moves the plane
// once, then only its coefficients (and stream ids), and its per-sample scalars down.
TEST_P(NetworkTest, TransfersArePerSampleScalarsAndParameters) {
  const Model model = newmanMoore(4);
  Network network(ansatzOf(CellKind::kVanilla2d, 8, Precision::kFloat), model.lattice, model.hamiltonian);
  const std::size_t n = network.numParams(), P = 3, Ns = 20;
  const std::vector<double> flat = initialFlat(network.layout(), P, 1, 1.0);
  const std::vector<std::uint32_t> ids = {0, 1, 2};
  VariationalEstimator est(network);
  std::vector<double> grad;
  const Transfers start = network.transfers();  // construction's own uploads (tables, Hamiltonian) aside
  est.evaluate(ParameterSets::explicitSets(flat, n), ids, SampleCounters{1, 0, 0}, Ns, LossMode::kClassical, 1.0, 0.0,
               &grad);
  const Transfers first = network.transfers();
  est.evaluate(ParameterSets::explicitSets(flat, n), ids, SampleCounters{1, 1, 0}, Ns, LossMode::kClassical, 1.0, 0.0,
               &grad);
  const Transfers second = network.transfers();
  EXPECT_EQ(first.to_device - start.to_device,
            P * n * sizeof(float) + P * sizeof(std::uint32_t) + P * Ns * sizeof(double));
  EXPECT_EQ(first.to_host - start.to_host, 2 * P * Ns * sizeof(double) + P * n * sizeof(double));
  EXPECT_EQ(second.to_device - first.to_device, P * n * sizeof(float) + P * Ns * sizeof(double));  // ids cached
  EXPECT_EQ(second.to_host - first.to_host, 2 * P * Ns * sizeof(double) + P * n * sizeof(double));

  ParameterPlane plane{initParameters(network.layout(), 2, 0), initParameters(network.layout(), 2, 1),
                       initParameters(network.layout(), 2, 2)};
  const std::vector<double> alpha = {0.1, 0.2, 0.3, 0.4}, beta = {0.0, 0.0, 1.0, 1.0};
  const std::size_t K = alpha.size();
  for (std::uint32_t chunk = 0; chunk < 2; ++chunk) {
    const Transfers before = network.transfers();
    const std::vector<std::uint32_t> points = {4 * chunk, 4 * chunk + 1, 4 * chunk + 2, 4 * chunk + 3};
    est.evaluate(ParameterSets::onPlane(plane, alpha, beta), points, SampleCounters{2, 0, 0}, Ns, LossMode::kQuantum,
                 0.0, 1.0, nullptr);
    const Transfers after = network.transfers();
    const std::size_t plane_bytes = chunk == 0 ? 3 * n * sizeof(double) : 0;
    EXPECT_EQ(after.to_device - before.to_device, plane_bytes + 2 * K * sizeof(double) + K * sizeof(std::uint32_t));
    EXPECT_EQ(after.to_host - before.to_host, 3 * K * Ns * sizeof(double));  // log p, energies, flip-ratio sums
  }
}

TEST_P(NetworkTest, CallsCheckTheirArguments) {
  const Model model = newmanMoore(3);
  Network network(ansatzOf(CellKind::kVanilla2d, 4, Precision::kFloat), model.lattice, model.hamiltonian);
  const std::size_t n = network.numParams();
  const std::vector<double> flat = initialFlat(network.layout(), 2, 1, 1.0);
  std::vector<double> grad;
  EXPECT_THROW(network.sample(ParameterSets::explicitSets(flat, n), {0}, SampleCounters{}, 5, SampleNeeds{}), Error);
  network.sample(ParameterSets::explicitSets(flat, n), {0, 1}, SampleCounters{}, 5, SampleNeeds{});
  EXPECT_THROW(network.gradient(std::vector<double>(10, 0.0), grad), Error);  // no SampleNeeds::gradient
  EXPECT_THROW(network.configurations(), Error);
  EXPECT_THROW(network.flipRatioSums(), Error);
  SampleNeeds needs;
  needs.gradient = true;
  network.sample(ParameterSets::explicitSets(flat, n), {0, 1}, SampleCounters{}, 5, needs);
  EXPECT_THROW(network.gradient(std::vector<double>(9, 0.0), grad), Error);  // [2][5] weights expected
  network.gradient(std::vector<double>(10, 0.0), grad);
  EXPECT_EQ(grad, std::vector<double>(2 * n, 0.0));  // zero weights: a zero gradient
  EXPECT_THROW(ParameterSets::explicitSets(std::vector<double>(n + 1, 0.0), n), Error);
  EXPECT_THROW(Network(ansatzOf(CellKind::kVanilla2d, 4, Precision::kFloat), model.lattice, newmanMoore(4).hamiltonian),
               Error);
}

// The loss estimates of VCA (with gradient) and VQA (local energies from the flip ratios) agree with
// the Kokkos backend's.
TEST_P(NetworkTest, VariationalEstimatesAgreeWithKokkos) {
  const int P = 2, Ns = 100;
  Model model = newmanMoore(5, 1.0);
  for (LossMode mode : {LossMode::kClassical, LossMode::kQuantum}) {
    Network tested(AnsatzSpec{}, model.lattice, model.hamiltonian);
    setDefaultBackend(Backend::kKokkos);
    Network reference(AnsatzSpec{}, model.lattice, model.hamiltonian);
    setDefaultBackend(backend());
    VariationalEstimator et(tested), er(reference);
    const std::vector<double> flat = initialFlat(tested.layout(), P, 2, 1.0);
    const std::vector<std::uint32_t> ids = {0, 1};
    const ParameterSets sets = ParameterSets::explicitSets(flat, tested.numParams());
    std::vector<double> gt, gr;
    const LossStats st = et.evaluate(sets, ids, SampleCounters{3, 1, 0}, Ns, mode, 1.5, 1.0, &gt);
    const LossStats sr = er.evaluate(sets, ids, SampleCounters{3, 1, 0}, Ns, mode, 1.5, 1.0, &gr);
    for (int p = 0; p < P; ++p) {
      // Origin: the same samples up to a rare float flip (EngineAgreement) and log p to 1e-5
      // relative; the losses are means of O(N) terms, so 1e-4 of |loss| + 1e-4 covers them (a flipped
      // draw moves one of Ns samples: then the difference is within the loss's standard error).
      const double tol = std::max(1e-4 * (std::abs(sr.loss[p]) + 1.0), sr.loss_err[p]);
      EXPECT_NEAR(st.loss[p], sr.loss[p], tol) << lossModeName(mode);
      EXPECT_NEAR(st.energy[p], sr.energy[p], std::max(1e-9, sr.loss_err[p])) << lossModeName(mode);
    }
  }
}

VNA_TEST_ON_EVERY_BACKEND(NetworkTest);

}  // namespace
}  // namespace vna
