// Simulated annealing: the schedule, the ground state of small models (exhaustive enumeration), the
// Boltzmann distribution at fixed T (exact thermodynamics by enumeration, 3σ statistical bounds) and
// the independence of results from how replicas are batched.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "baselines/simulated_annealing.hpp"
#include "exact/enumeration.hpp"
#include "exact/random_hamiltonian.hpp"
#include "mc_statistics.hpp"
#include "model/edwards_anderson.hpp"

namespace vna {
namespace {

TEST(SimulatedAnnealing, ScheduleFollowsTheAnnealingShape) {
  const SaSchedule lin = saSchedule(2.0, 4, ScheduleShape::kLinear, 3);
  // Origin: closed form T_a = T0 (1 − a/A).
  ASSERT_EQ(lin.temperatures.size(), 4u);
  EXPECT_DOUBLE_EQ(lin.temperatures[0], 1.5);
  EXPECT_DOUBLE_EQ(lin.temperatures[1], 1.0);
  EXPECT_DOUBLE_EQ(lin.temperatures[3], 0.0);
  EXPECT_EQ(lin.sweeps_per_step, 3);
  const SaSchedule quad = saSchedule(2.0, 4, ScheduleShape::kQuadratic, 1);
  EXPECT_DOUBLE_EQ(quad.temperatures[1], 0.5);  // Origin: T0 (1 − 1/2)^2.
}

TEST(SimulatedAnnealing, FindsTheEnumeratedGroundState) {
  const Comm self(MPI_COMM_SELF);
  // A 2D Edwards-Anderson 4x4 glass and a random model with 3-body terms and fields (p-body flipDelta).
  const Hamiltonian ea = edwardsAnderson(4, 4, false, CouplingDistribution::kGaussian, 7).hamiltonian;
  const Hamiltonian mixed = test::randomHamiltonian(14, 8, 20, 11);
  for (const Hamiltonian* h : {&ea, &mixed}) {
    const EnumerationResult exact = enumerateExhaustively(*h, {}, self, 1);
    McStreamId id;
    id.seed = 3;
    const MonteCarloBatch b = simulatedAnnealing(*h, saSchedule(3.0, 300, ScheduleShape::kLinear, 2), id, 0, 8);
    ASSERT_EQ(b.energy.size(), 8u);
    const double best = *std::min_element(b.energy.begin(), b.energy.end());
    // Origin: exhaustive enumeration; tolerance: enumeration's own ground-state tolerance (round-off).
    EXPECT_NEAR(best, exact.ground_energy, 1e-9 * std::max(1.0, std::abs(exact.ground_energy))) << h->name;
    for (int r = 0; r < b.count; ++r) {
      // Every reported energy is the exact energy of the reported configuration.
      EXPECT_DOUBLE_EQ(b.energy[r], h->energy(b.bits.data() + r * h->numSpins()));
      EXPECT_GE(b.energy[r], exact.ground_energy - 1e-9);
    }
  }
}

// At fixed T the Metropolis chain samples exp(−E/T)/Z: the replica-averaged energy agrees with the
// enumerated <E>(T) within 3 standard errors.
TEST(SimulatedAnnealing, SamplesTheBoltzmannDistributionAtFixedTemperature) {
  const Comm self(MPI_COMM_SELF);
  const Hamiltonian h = test::randomHamiltonian(11, 3, 18, 5);
  const int R = 32;
  const std::size_t steps = 3000, burn_in = 300;
  for (double T : {0.6, 1.5}) {
    const EnumerationResult exact = enumerateExhaustively(h, {T, 1.2 * T}, self, 1);
    const double e_exact = exact.thermodynamics[0].energy * h.numSpins();
    SaSchedule s;
    s.temperatures.assign(steps, T);
    McStreamId id;
    id.seed = 17;
    const MonteCarloBatch b = simulatedAnnealing(h, s, id, 0, R, /*record_steps=*/true);
    const test::MeanAndError m = test::replicaAverage(b.step_energy, R, steps, burn_in);
    // Origin: exhaustive enumeration; bound: 3 standard errors of the mean of R independent replicas.
    EXPECT_NEAR(m.mean, e_exact, 3.0 * m.error) << "T = " << T;
    // The test resolves temperature: <E> at 1.2 T lies many error bars away.
    EXPECT_GT(std::abs(exact.thermodynamics[1].energy * h.numSpins() - e_exact), 6.0 * m.error) << "T = " << T;
    // Origin: the recorded running energy equals the exact energy of the final state (round-off only).
    for (int r = 0; r < R; ++r) EXPECT_NEAR(b.step_energy[r * steps + steps - 1], b.energy[r], 1e-9);
  }
}

TEST(SimulatedAnnealing, ReplicasDoNotDependOnTheBatch) {
  const Hamiltonian h = test::randomHamiltonian(12, 2, 15, 2);
  const SaSchedule s = saSchedule(2.0, 50, ScheduleShape::kCosine, 1);
  McStreamId id;
  id.seed = 9;
  id.realization = 4;
  const MonteCarloBatch all = simulatedAnnealing(h, s, id, 0, 6);
  const MonteCarloBatch a = simulatedAnnealing(h, s, id, 0, 2), b = simulatedAnnealing(h, s, id, 2, 4);
  std::vector<Bit> bits = a.bits;
  bits.insert(bits.end(), b.bits.begin(), b.bits.end());
  std::vector<double> e = a.energy;
  e.insert(e.end(), b.energy.begin(), b.energy.end());
  EXPECT_EQ(all.bits, bits);
  EXPECT_EQ(all.energy, e);
  EXPECT_EQ(all.attempts, 6 * 50 * 12);  // Origin: replicas × steps × sweeps × N.
  // Another realization id draws other streams.
  id.realization = 5;
  EXPECT_NE(simulatedAnnealing(h, s, id, 0, 6).bits, all.bits);
}

}  // namespace
}  // namespace vna
