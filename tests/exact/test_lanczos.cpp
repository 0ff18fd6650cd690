#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.hpp"
#include "core/mpi_comm.hpp"
#include "exact/enumeration.hpp"
#include "exact/lanczos.hpp"
#include "model/newman_moore.hpp"
#include "random_hamiltonian.hpp"

namespace vna {
namespace {

// Dense H_Γ on the full 2^N basis, diagonal from Hamiltonian::energy (independent of the Gray walk).
Eigen::MatrixXd denseMatrix(const Hamiltonian& h, double gamma) {
  const int n = h.numSpins();
  const Eigen::Index dim = Eigen::Index(1) << n;
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(dim, dim);
  std::vector<Bit> bits(n);
  for (Eigen::Index s = 0; s < dim; ++s) {
    for (int i = 0; i < n; ++i) bits[i] = (s >> i) & 1;
    m(s, s) = h.energy(bits);
    for (int i = 0; i < n; ++i) m(s, s ^ (Eigen::Index(1) << i)) = -gamma;
  }
  return m;
}

// Dense eigen-decomposition (Householder tridiagonalisation + QR): eigenvalues to ~1e-14 ‖H‖.
struct Dense {
  Eigen::VectorXd values;
  Eigen::VectorXd ground;
};
Dense denseSpectrum(const Hamiltonian& h, double gamma) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(denseMatrix(h, gamma));
  EXPECT_EQ(solver.info(), Eigen::Success);
  return {solver.eigenvalues(), solver.eigenvectors().col(0)};
}

// Lanczos converges to 1e-12 relative (residual bound); dense to ~1e-14: 1e-10 is comfortable.
constexpr double kTolerance = 1e-10;

void expectMatchesDense(const Hamiltonian& h, const std::vector<double>& gammas, const std::string& what) {
  const TransverseFieldLanczos lanczos(h);
  const std::vector<LanczosResult> curve = lanczos.scan(gammas);
  ASSERT_EQ(curve.size(), gammas.size());
  for (std::size_t k = 0; k < gammas.size(); ++k) {
    const Dense d = denseSpectrum(h, gammas[k]);
    const LanczosResult& r = curve[k];
    const double scale = std::max(1.0, std::fabs(d.values[0]));
    EXPECT_EQ(r.gamma, gammas[k]);
    EXPECT_NEAR(r.ground_energy, d.values[0], kTolerance * scale) << what << " Γ=" << gammas[k];
    EXPECT_NEAR(r.first_excited, d.values[1], kTolerance * scale) << what << " Γ=" << gammas[k];
    EXPECT_NEAR(r.gap, d.values[1] - d.values[0], kTolerance * scale) << what << " Γ=" << gammas[k];
    EXPECT_LT(r.ground_residual, 1e-9 * scale);
  }
}

}  // namespace

// Origin: dense diagonalisation (Eigen SelfAdjointEigenSolver on the 512×512 matrix).
TEST(Lanczos, NewmanMooreL3MatchesDense) {
  expectMatchesDense(newmanMoore(3, 1.0).hamiltonian, {0.25, 0.5, 1.0, 2.0}, "NM L=3");
}

// Origin: dense diagonalisation of the 1024×1024 matrix (random 3-body + 2-body + fields, N = 10);
// Γ < 0 has the spectrum of |Γ| (conjugation by Π σ^z), so it is compared to the dense matrix at −0.7.
TEST(Lanczos, RandomHamiltonianMatchesDense) {
  expectMatchesDense(test::randomHamiltonian(10, 8, 12, 77), {0.3, 1.0, -0.7}, "random N=10");
}

// Origin: dense ground-state eigenvector; the Lanczos vector is reconstructed by replaying the
// recurrence. Its angle to the exact one is ~ residual / gap, so |overlap| = 1 − O(1e-20); 1e-10 is
// limited by the dense eigenvector's own accuracy (~ ε ‖H‖ / gap).
TEST(Lanczos, GroundStateVectorMatchesDenseAndIsPositive) {
  const Hamiltonian h = test::randomHamiltonian(9, 6, 10, 3);
  const TransverseFieldLanczos lanczos(h);
  std::vector<double> psi;
  const LanczosResult r = lanczos.solve(0.8, {}, &psi);
  const Dense d = denseSpectrum(h, 0.8);
  ASSERT_EQ(psi.size(), static_cast<std::size_t>(d.ground.size()));
  double overlap = 0, norm = 0;
  for (std::size_t s = 0; s < psi.size(); ++s) {
    overlap += psi[s] * d.ground[s];
    norm += psi[s] * psi[s];
    EXPECT_GT(psi[s], 0.0);  // Origin: Perron-Frobenius (stoquastic, connected by single flips)
  }
  EXPECT_NEAR(norm, 1.0, 1e-13);
  EXPECT_NEAR(std::fabs(overlap), 1.0, 1e-10);
  EXPECT_LT(r.ground_residual, 1e-10);
}

// Origin: exhaustive enumeration. At Γ = 0 the operator is diagonal: E0 is the classical minimum
// and NM L=3 has 4 degenerate classical ground states, so the gap is exactly 0.
TEST(Lanczos, ZeroFieldIsClassical) {
  const Comm comm;
  for (const Hamiltonian& h : {newmanMoore(3, 1.0).hamiltonian, test::randomHamiltonian(12, 10, 10, 9)}) {
    const EnumerationResult en = enumerateExhaustively(h, {}, comm);
    const LanczosResult r = TransverseFieldLanczos(h).solve(0.0);
    EXPECT_NEAR(r.ground_energy, en.ground_energy, 1e-12 * std::max(1.0, std::fabs(en.ground_energy)));
    if (en.num_ground_states > 1) {
      EXPECT_EQ(r.gap, 0.0);
    } else {
      EXPECT_GT(r.gap, 0.0);
    }
  }
  // Origin: second-order perturbation theory in Γ around the unique classical ground state s0:
  // E0(Γ) = E_cl(s0) − Γ² Σ_i 1/(E_cl(s0 ⊕ e_i) − E_cl(s0)) + O(Γ⁴/ΔE³); with Γ/ΔE_min < 0.03
  // the fourth order is below 1e-3 of the second.
  Hamiltonian h = test::randomHamiltonian(12, 10, 10, 9);  // non-const: flipDelta builds its index
  const EnumerationResult en = enumerateExhaustively(h, {}, comm);
  ASSERT_EQ(en.num_ground_states, 1);
  const double gamma = 1e-3;
  double e2 = 0, min_flip = 1e300;
  std::vector<Bit> s0 = en.ground_states[0];
  for (int i = 0; i < h.numSpins(); ++i) {
    const double d = h.flipDelta(s0.data(), i);
    min_flip = std::min(min_flip, d);
    e2 -= gamma * gamma / d;
  }
  ASSERT_LT(gamma / min_flip, 0.03);
  EXPECT_NEAR(TransverseFieldLanczos(h).solve(gamma).ground_energy, en.ground_energy + e2, 1e-3 * std::fabs(e2));
}

// Origin: Rayleigh-Schrödinger perturbation theory in V = H_cl around −Γ Σ σ^x (ground state |+…+⟩,
// energy −NΓ). First order ⟨+|V|+⟩ = 0 (no constant term); second order: the term c Π_{i∈t} σ^z_i
// flips the |t| spins of t in the x basis at cost 2|t|Γ, so E2 = −Σ_t c_t² / (2|t|Γ) (terms on the
// same site set combined). The remainder is bounded by the third-order size ‖V‖³/(2Γ)² with
// ‖V‖ = max_s |E_cl(s)| (V is diagonal).
TEST(Lanczos, LargeFieldPerturbationTheory) {
  for (const Hamiltonian& h : {newmanMoore(3, 1.0).hamiltonian, test::randomHamiltonian(10, 8, 12, 77)}) {
    const int n = h.numSpins();
    std::map<std::vector<int>, double> combined;
    for (std::size_t t = 0; t < h.numTerms(); ++t)
      combined[std::vector<int>(h.termSitesBegin(t), h.termSitesEnd(t))] += h.termCoeff(t);
    for (int i = 0; i < n; ++i) combined[{i}] += h.fields()[i];
    const TransverseFieldLanczos lanczos(h);
    double v_norm = 0;
    for (double e : lanczos.diagonal()) v_norm = std::max(v_norm, std::fabs(e));
    for (double gamma : {1000.0, 3000.0}) {
      double e2 = 0;
      for (const auto& [sites, c] : combined) e2 -= c * c / (2.0 * sites.size() * gamma);
      const double bound = std::pow(v_norm, 3) / (4 * gamma * gamma);
      ASSERT_LT(bound, 0.2 * std::fabs(e2)) << "the check would not test E2";
      const LanczosResult r = lanczos.solve(gamma);
      EXPECT_NEAR(r.ground_energy, -n * gamma + e2, bound) << h.name << " Γ=" << gamma;
    }
  }
}

// Origin: closed form for independent spins, H = Σ_i (h_i σ^z_i − Γ σ^x_i): each spin has levels
// ±sqrt(h_i² + Γ²), so E0 = −Σ_i sqrt(h_i² + Γ²) and E1 − E0 = 2 min_i sqrt(h_i² + Γ²).
// Also N = 1, where the Krylov space is the whole 2-dimensional space.
TEST(Lanczos, IndependentSpinsClosedForm) {
  for (int n : {1, 5}) {
    Hamiltonian h(n);
    double e0 = 0, gap = 1e300;
    const double gamma = 0.6;
    for (int i = 0; i < n; ++i) {
      const double field = 0.3 + 0.2 * i;
      h.addField(i, field);
      e0 -= std::hypot(field, gamma);
      gap = std::min(gap, 2 * std::hypot(field, gamma));
    }
    const LanczosResult r = TransverseFieldLanczos(h).solve(gamma);
    EXPECT_NEAR(r.ground_energy, e0, 1e-12 * std::max(1.0, std::fabs(e0))) << "N=" << n;
    EXPECT_NEAR(r.gap, gap, 1e-11) << "N=" << n;
  }
}

TEST(Lanczos, RejectsTooManySpins) { EXPECT_THROW(TransverseFieldLanczos(Hamiltonian(26)), InputError); }

}  // namespace vna
