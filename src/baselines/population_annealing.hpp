#pragma once
// Population annealing (Hukushima & Iba, AIP Conf. Proc. 690, 200 (2003); Machta, PRE 82, 026704
// (2010); for spin-glass ground states Wang, Machta, Katzgraber, PRE 92, 013303 (2015)).
//
// A run anneals a population of R replicas in β from 0 (uniformly random replicas) to beta_max
// linearly, β_a = beta_max a/A (as Wang et al.). Step a resamples the population to β_a — replica j
// gets weight w_j = exp(−(β_a − β_{a−1}) E_j) — and then runs `sweeps_per_step` Metropolis sweeps of
// every replica at β_a (ClassicalChains). Resampling is systematic (one uniform u per step: copy k of
// the new population descends from the replica whose cumulative normalized weight first exceeds
// (k + u)/R): R stays fixed and the variance is low (Wang et al. use nearest-integer resampling,
// which lets R fluctuate). The result is the final population (energies exact, configurations) and
// the free-energy estimator ln Z(beta_max) = N ln 2 + Σ_a ln(Σ_j w_j / R).
// Work: runs × R × A × sweeps_per_step × N spin-flip attempts.
//
// Streams: Metropolis words of member k of run g: LaneDraws of replica id g·R + k (a copy continues
// with the words of the slot it lands in), method kPopulationAnnealing; the resampling uniform of step
// a of run g: Philox(kPopulationAnnealingResampling key; a, g, 0, realization).
#include <cstdint>
#include <vector>

#include "baselines/monte_carlo_batch.hpp"
#include "baselines/monte_carlo_stream.hpp"

namespace vna {

struct PaSchedule {
  double beta_max = 5.0;
  int population = 1000;  // R >= 1
  std::int64_t steps = 100;
  int sweeps_per_step = 1;
};

struct PaResult {
  MonteCarloBatch batch;      // [count·R]: the final population of each run, run-major
  std::vector<double> ln_z;   // [count]: the free-energy estimate ln Z(beta_max) of each run
};

// Runs first_run .. first_run + count − 1 (global ids).
PaResult populationAnnealing(const Hamiltonian& h, const PaSchedule& schedule, const McStreamId& id,
                             std::int64_t first_run, int count, const McRunOptions& options = {});

}  // namespace vna
