// Parallel tempering and population annealing: equilibrium at every PT temperature and at PA's final β
// against exhaustive enumeration (3σ over independent runs), PA's free-energy estimator against the
// exact ln Z, ground states of small glasses, and results independent of how runs are batched.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "baselines/parallel_tempering.hpp"
#include "baselines/population_annealing.hpp"
#include "core/error.hpp"
#include "exact/enumeration.hpp"
#include "exact/random_hamiltonian.hpp"
#include "mc_statistics.hpp"
#include "model/edwards_anderson.hpp"
#include "model/sherrington_kirkpatrick.hpp"

namespace vna {
namespace {

using test::meanAndError;
using Stats = test::MeanAndError;

TEST(ParallelTempering, TemperaturesAreGeometric) {
  PtSchedule s;
  s.T_min = 0.5;
  s.T_max = 4.0;
  s.temperatures = 4;
  const std::vector<double> T = ptTemperatures(s);
  // Origin: closed form 0.5 · 8^{m/3}.
  ASSERT_EQ(T.size(), 4u);
  EXPECT_DOUBLE_EQ(T[0], 0.5);
  EXPECT_NEAR(T[1], 1.0, 1e-15);
  EXPECT_NEAR(T[2], 2.0, 1e-15);
  EXPECT_DOUBLE_EQ(T[3], 4.0);
  s.temperatures = 1;
  EXPECT_THROW(ptTemperatures(s), Error);
}

// Each of 400 independent runs ends with one sample per temperature. Origin: exhaustive enumeration
// of <E>(T_m); bound: 3 standard errors over the runs. Exchanges that broke detailed balance would
// shift the low temperatures (the swaps dominate their dynamics here).
TEST(ParallelTempering, EveryTemperatureIsInEquilibrium) {
  const Comm self(MPI_COMM_SELF);
  const Hamiltonian h = test::randomHamiltonian(10, 4, 12, 17);
  PtSchedule s;
  s.T_min = 0.3;
  s.T_max = 2.5;
  s.temperatures = 5;
  s.steps = 150;
  s.sweeps_per_step = 2;
  McStreamId id;
  id.method = McMethod::kParallelTempering;
  id.seed = 6;
  const int runs = 400;
  const PtResult r = parallelTempering(h, s, id, 0, runs);
  const std::vector<double> T = ptTemperatures(s);
  const EnumerationResult exact = enumerateExhaustively(h, T, self, 1);
  for (int m = 0; m < s.temperatures; ++m) {
    std::vector<double> e(runs);
    for (int g = 0; g < runs; ++g) e[g] = r.final_energy[g * s.temperatures + m];
    const Stats st = meanAndError(e);
    EXPECT_NEAR(st.mean, exact.thermodynamics[m].energy * h.numSpins(), 3 * st.error) << "T = " << T[m];
  }
  // Origin: replicas × temperatures × steps × sweeps × N.
  EXPECT_EQ(r.batch.attempts, 400LL * 5 * 150 * 2 * 10);
}

TEST(ParallelTempering, FindsTheGroundStateAndDoesNotDependOnTheBatch) {
  const Comm self(MPI_COMM_SELF);
  const Hamiltonian h = edwardsAnderson(5, 4, false, CouplingDistribution::kGaussian, 9).hamiltonian;
  const EnumerationResult exact = enumerateExhaustively(h, {}, self, 1);
  PtSchedule s;
  s.T_min = 0.2;
  s.T_max = 2.0;
  s.temperatures = 8;
  s.steps = 100;
  McStreamId id;
  id.seed = 2;
  const PtResult all = parallelTempering(h, s, id, 3, 20);
  for (int g = 0; g < 20; ++g) {
    // Origin: exhaustive enumeration (round-off tolerance); every run finds it on 20 spins.
    EXPECT_NEAR(all.batch.energy[g], exact.ground_energy, 1e-9 * std::abs(exact.ground_energy));
    EXPECT_DOUBLE_EQ(all.batch.energy[g], h.energy(all.batch.bits.data() + g * h.numSpins()));
  }
  const PtResult a = parallelTempering(h, s, id, 3, 7), b = parallelTempering(h, s, id, 10, 13);
  std::vector<double> e = a.final_energy;
  e.insert(e.end(), b.final_energy.begin(), b.final_energy.end());
  // Origin: determinism (exact equality).
  EXPECT_EQ(all.final_energy, e);
}

// 24 independent populations of 256. Origin: exhaustive enumeration of <E> and ln Z at β = beta_max;
// bound: 3 standard errors over the runs (the members of one population are correlated).
TEST(PopulationAnnealing, FinalPopulationAndFreeEnergyAreExact) {
  const Comm self(MPI_COMM_SELF);
  const Hamiltonian h = sherringtonKirkpatrick(12, 5, 0).hamiltonian;
  PaSchedule s;
  s.beta_max = 2.0;
  s.population = 256;
  s.steps = 60;
  s.sweeps_per_step = 2;
  McStreamId id;
  id.method = McMethod::kPopulationAnnealing;
  id.seed = 4;
  const int runs = 24;
  const PaResult r = populationAnnealing(h, s, id, 0, runs);
  const EnumerationResult exact = enumerateExhaustively(h, {1.0 / s.beta_max}, self, 1);
  std::vector<double> mean(runs);
  for (int g = 0; g < runs; ++g) {
    double m = 0;
    for (int k = 0; k < s.population; ++k) m += r.batch.energy[g * s.population + k];
    mean[g] = m / s.population;
  }
  const Stats e = meanAndError(mean), z = meanAndError(r.ln_z);
  const int n = h.numSpins();
  EXPECT_NEAR(e.mean, exact.thermodynamics[0].energy * n, 3 * e.error);
  EXPECT_NEAR(z.mean, exact.thermodynamics[0].log_z, 3 * z.error);
  // Origin: population × steps × sweeps × N per run.
  EXPECT_EQ(r.batch.attempts, 24LL * 256 * 60 * 2 * 12);
}

TEST(PopulationAnnealing, FindsTheGroundStateAndDoesNotDependOnTheBatch) {
  const Comm self(MPI_COMM_SELF);
  const Hamiltonian h = edwardsAnderson(5, 4, false, CouplingDistribution::kGaussian, 9).hamiltonian;
  const EnumerationResult exact = enumerateExhaustively(h, {}, self, 1);
  PaSchedule s;
  s.beta_max = 8.0;
  s.population = 100;
  s.steps = 50;
  s.sweeps_per_step = 2;
  McStreamId id;
  id.method = McMethod::kPopulationAnnealing;
  const PaResult all = populationAnnealing(h, s, id, 1, 5);
  for (int g = 0; g < 5; ++g) {
    const double* e = all.batch.energy.data() + g * s.population;
    // Origin: exhaustive enumeration; every population holds the ground state at β = 8 on 20 spins.
    EXPECT_NEAR(*std::min_element(e, e + s.population), exact.ground_energy, 1e-9 * std::abs(exact.ground_energy));
  }
  const PaResult a = populationAnnealing(h, s, id, 1, 2), b = populationAnnealing(h, s, id, 3, 3);
  std::vector<Bit> bits = a.batch.bits;
  bits.insert(bits.end(), b.batch.bits.begin(), b.batch.bits.end());
  // Origin: determinism (exact equality).
  EXPECT_EQ(all.batch.bits, bits);
  EXPECT_EQ(all.ln_z[4], b.ln_z[2]);
}

}  // namespace
}  // namespace vna
