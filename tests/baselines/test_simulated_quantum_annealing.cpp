// Simulated quantum annealing (path-integral Monte Carlo): the inter-slice coupling against the
// transfer-matrix identity it comes from, the sampled distribution against the exact Trotter
// partition function (dense 2^N transfer matrices, Eigen), the classical limit Γ → 0 against
// enumeration, and the ground state of a random chain (closed form).
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "baselines/simulated_quantum_annealing.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "exact/enumeration.hpp"
#include "exact/random_hamiltonian.hpp"
#include "mc_statistics.hpp"

namespace vna {
namespace {

// ⟨σ|e^{xσ^x}|σ'⟩ is cosh x for σ = σ' and sinh x for σ ≠ σ'; the ratio is e^{2K} with K = J⊥/(PT).
TEST(SimulatedQuantumAnnealing, TrotterCouplingMatchesTheTransferMatrix) {
  for (int P : {2, 20, 100})
    for (double T : {0.01, 0.3, 2.0})
      for (double gamma : {1e-6, 0.01, 0.5, 3.0, 40.0}) {
        const double x = gamma / (P * T);
        if (x > 15) continue;  // coth x = 1 to double precision: nothing left to compare
        const double K = trotterCoupling(gamma, P, T) / (P * T);
        // Origin: closed form coth x = cosh x / sinh x; tolerance: a few ulps of exp/log/tanh.
        EXPECT_NEAR(std::exp(2 * K) / (std::cosh(x) / std::sinh(x)), 1.0, 1e-12)
            << "P=" << P << " T=" << T << " Γ=" << gamma;
      }
  // Origin: closed form −(PT/2) ln tanh(Γ/(PT)) at Γ = PT: −(1/2) ln tanh 1 (PT = 1).
  EXPECT_NEAR(trotterCoupling(1.0, 10, 0.1), -0.5 * std::log(std::tanh(1.0)), 1e-15);
  EXPECT_THROW(trotterCoupling(0.0, 10, 0.1), Error);
}

// ⟨H_cl⟩ of the P-slice Trotter model: Tr(E M^P) / Tr(M^P) with the symmetric transfer matrix
// M = D^{1/2} X D^{1/2}, D = diag e^{−E/(PT)}, X = e^{(Γ/(PT)) Σσ^x} built from cosh and sinh (so the
// reference does not use trotterCoupling).
double trotterEnergy(const Hamiltonian& h, double gamma, int P, double T) {
  const int n = h.numSpins();
  const int dim = 1 << n;
  const double x = gamma / (P * T);
  Eigen::VectorXd e(dim), half(dim);
  std::vector<Bit> bits(n);
  for (int s = 0; s < dim; ++s) {
    for (int i = 0; i < n; ++i) bits[i] = (s >> i) & 1;
    e(s) = h.energy(bits);
  }
  const double e0 = e.minCoeff();
  for (int s = 0; s < dim; ++s) half(s) = std::exp(-(e(s) - e0) / (2 * P * T));
  Eigen::MatrixXd m(dim, dim);
  for (int a = 0; a < dim; ++a)
    for (int b = 0; b < dim; ++b) {
      const int flips = __builtin_popcount(static_cast<unsigned>(a ^ b));
      m(a, b) = half(a) * std::pow(std::sinh(x), flips) * std::pow(std::cosh(x), n - flips) * half(b);
    }
  Eigen::MatrixXd mp = Eigen::MatrixXd::Identity(dim, dim);
  for (int k = 0; k < P; ++k) mp = mp * m;
  return (e.asDiagonal() * mp).trace() / mp.trace();
}

// Every kernel (the model is two-body, so all apply), with and without all-slice moves.
TEST(SimulatedQuantumAnnealing, SamplesTheTrotterDistribution) {
  const Hamiltonian h = test::randomHamiltonian(4, 0, 5, 21);
  const int P = 6, R = 32;
  const double T = 0.4, gamma = 0.7;
  const std::size_t steps = 4000, burn_in = 400;
  const double exact = trotterEnergy(h, gamma, P, T);
  for (McKernel kernel : {McKernel::kReference, McKernel::kSparse, McKernel::kDense, McKernel::kPBody})
  for (bool global : {true, false}) {
    SqaSchedule s;
    s.gammas.assign(steps, gamma);
    s.temperature = T;
    s.slices = P;
    s.global_moves = global;
    McStreamId id;
    id.method = McMethod::kSimulatedQuantumAnnealing;
    id.seed = 5;
    McRunOptions opt;
    opt.kernel = kernel;
    const MonteCarloBatch b = simulatedQuantumAnnealing(h, s, id, 0, R, /*record_steps=*/true, opt);
    EXPECT_EQ(b.kernel, mcKernelName(kernel));
    const test::MeanAndError m = test::replicaAverage(b.step_energy, R, steps, burn_in);
    // Origin: exact Trotter transfer matrix (Eigen); bound: 3 standard errors of R independent replicas.
    EXPECT_NEAR(m.mean, exact, 3.0 * m.error) << mcKernelName(kernel) << " global moves " << global;
    // The test resolves Γ: the exact value at 1.5 Γ lies many error bars away.
    EXPECT_GT(std::abs(trotterEnergy(h, 1.5 * gamma, P, T) - exact), 6.0 * m.error);
  }
}

// Γ → 0: the slices lock together (K → ∞) and the all-slice moves are Metropolis moves of H_cl at T.
// (3-body terms: the reference and pbody kernels.)
TEST(SimulatedQuantumAnnealing, ReducesToClassicalMetropolisAsGammaVanishes) {
  const Comm self(MPI_COMM_SELF);
  const Hamiltonian h = test::randomHamiltonian(8, 2, 12, 4);
  const double T = 0.8;
  const int P = 4, R = 32;
  const std::size_t steps = 3000, burn_in = 300;
  SqaSchedule s;
  s.gammas.assign(steps, 1e-9);
  s.temperature = T;
  s.slices = P;
  McStreamId id;
  id.method = McMethod::kSimulatedQuantumAnnealing;
  const EnumerationResult exact = enumerateExhaustively(h, {T}, self, 1);
  for (McKernel kernel : {McKernel::kReference, McKernel::kPBody}) {
    McRunOptions opt;
    opt.kernel = kernel;
    const MonteCarloBatch b = simulatedQuantumAnnealing(h, s, id, 0, R, true, opt);
    const test::MeanAndError m = test::replicaAverage(b.step_energy, R, steps, burn_in);
    // Origin: exhaustive enumeration of <E>(T); bound: 3 standard errors. The Trotter correction at
    // Γ = 1e-9 is O(Γ^2) and far below the error bar.
    EXPECT_NEAR(m.mean, exact.thermodynamics[0].energy * h.numSpins(), 3.0 * m.error) << mcKernelName(kernel);
  }
}

// An open chain H = −Σ J_i σ_i σ_{i+1} without fields is unfrustrated: E0 = −Σ |J_i| (closed form).
TEST(SimulatedQuantumAnnealing, FindsTheGroundStateOfARandomChain) {
  const int n = 16;
  Hamiltonian h(n);
  RngStream rng(8, RngPurpose::kDisorder, 0);
  double e0 = 0;
  for (int i = 0; i + 1 < n; ++i) {
    const double J = 2 * rng.uniform() - 1;
    h.addTerm(-J, {i, i + 1});
    e0 -= std::abs(J);
  }
  const SqaSchedule s = sqaSchedule(2.0, 1e-6, 300, ScheduleShape::kLinear, /*T=*/0.02, /*P=*/32, 1);
  McStreamId id;
  id.method = McMethod::kSimulatedQuantumAnnealing;
  const MonteCarloBatch b = simulatedQuantumAnnealing(h, s, id, 0, 4);
  // Origin: closed form; tolerance: round-off of a sum of 15 terms.
  EXPECT_NEAR(*std::min_element(b.energy.begin(), b.energy.end()), e0, 1e-12);
  for (int r = 0; r < 4; ++r) EXPECT_DOUBLE_EQ(b.energy[r], h.energy(b.bits.data() + r * n));
  // Origin: replicas × steps × sweeps × N × (P local + 1 global).
  EXPECT_EQ(b.attempts, 4LL * 300 * 1 * n * 33);
}

// Annealing (not equilibrium): the fast kernels' mean final energy agrees with the reference kernel's.
// Origin: the reference kernel on the same schedule; bound: 3 standard errors of the difference of
// two means of R independent replicas.
TEST(SimulatedQuantumAnnealing, AnnealingAgreesWithTheReferenceKernel) {
  const Hamiltonian pbody = test::randomHamiltonian(12, 6, 10, 9), two_body = test::randomHamiltonian(12, 0, 24, 9);
  const SqaSchedule s = sqaSchedule(2.0, 1e-4, 20, ScheduleShape::kLinear, 0.1, 8, 1);
  McStreamId id;
  id.method = McMethod::kSimulatedQuantumAnnealing;
  const int R = 512;
  auto stats = [&](const Hamiltonian& h, McKernel k) {
    McRunOptions opt;
    opt.kernel = k;
    return test::meanAndError(simulatedQuantumAnnealing(h, s, id, 0, R, false, opt).energy);
  };
  for (McKernel k : {McKernel::kSparse, McKernel::kDense, McKernel::kPBody}) {
    const Hamiltonian& h = k == McKernel::kPBody ? pbody : two_body;
    const test::MeanAndError f = stats(h, k), r = stats(h, McKernel::kReference);
    EXPECT_NEAR(f.mean, r.mean, 3 * std::hypot(f.error, r.error)) << mcKernelName(k);
  }
}

// Origin: determinism (exact equality), for every kernel; batch boundaries inside SIMD groups.
TEST(SimulatedQuantumAnnealing, ReplicasDoNotDependOnTheBatch) {
  const Hamiltonian pbody = test::randomHamiltonian(9, 2, 10, 3), two_body = test::randomHamiltonian(9, 0, 14, 3);
  const SqaSchedule s = sqaSchedule(1.5, 1e-3, 40, ScheduleShape::kLinear, 0.1, 8, 2);
  McStreamId id;
  id.method = McMethod::kSimulatedQuantumAnnealing;
  for (McKernel kernel : {McKernel::kReference, McKernel::kSparse, McKernel::kDense, McKernel::kPBody}) {
    const Hamiltonian& h = kernel == McKernel::kSparse || kernel == McKernel::kDense ? two_body : pbody;
    McRunOptions opt;
    opt.kernel = kernel;
    const MonteCarloBatch all = simulatedQuantumAnnealing(h, s, id, 2, 40, true, opt);
    const MonteCarloBatch a = simulatedQuantumAnnealing(h, s, id, 2, 19, true, opt);
    const MonteCarloBatch b = simulatedQuantumAnnealing(h, s, id, 21, 21, true, opt);
    std::vector<Bit> bits = a.bits;
    bits.insert(bits.end(), b.bits.begin(), b.bits.end());
    std::vector<double> steps = a.step_energy;
    steps.insert(steps.end(), b.step_energy.begin(), b.step_energy.end());
    EXPECT_EQ(all.bits, bits) << mcKernelName(kernel);
    EXPECT_EQ(all.step_energy, steps) << mcKernelName(kernel);
    EXPECT_EQ(all.energy[39], b.energy[20]) << mcKernelName(kernel);
  }
}

}  // namespace
}  // namespace vna
