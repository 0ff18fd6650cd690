#pragma once
// Parallel tempering (replica exchange; Swendsen & Wang, PRL 57, 2607 (1986); Hukushima & Nemoto,
// J. Phys. Soc. Jpn. 65, 1604 (1996); as a ground-state solver for spin glasses e.g. Mandrà, Zhu, Wang,
// Perdomo-Ortiz, Katzgraber, PRA 94, 022337 (2016)).
//
// One PT run holds M replicas at the fixed temperatures T_0 < ... < T_{M−1}, geometric between T_min
// and T_max (T_m = T_min (T_max/T_min)^{m/(M−1)}). Step a = 1..A runs `sweeps_per_step` rounds of:
// one Metropolis sweep of every replica at its temperature (ClassicalChains), then exchange attempts
// between neighbouring temperatures, (0,1), (2,3), ... after even rounds and (1,2), (3,4), ... after
// odd ones (counted over the whole run), each accepted with min(1, exp((β_m − β_{m+1})(E_m − E_{m+1}))).
// Exchanges swap temperatures, not configurations: a configuration keeps its slot, so its random
// numbers (keyed by run·M + slot) follow it. The result of a run is the lowest energy it met (checked
// after every round over all M replicas) and that configuration; replicas start uniformly random.
// Work: runs × M × A × sweeps_per_step × N spin-flip attempts.
//
// Streams: Metropolis words of slot m of run g: LaneDraws of replica id g·M + m, method
// kParallelTempering; exchange r of step a: uniform from Philox(kParallelTemperingExchange key;
// r·M + m, a, g, realization).
#include <cstdint>
#include <vector>

#include "baselines/monte_carlo_batch.hpp"
#include "baselines/monte_carlo_stream.hpp"

namespace vna {

struct PtSchedule {
  double T_min = 0.1, T_max = 2.0;
  int temperatures = 16;  // M >= 2
  std::int64_t steps = 100;
  int sweeps_per_step = 1;
};

std::vector<double> ptTemperatures(const PtSchedule& s);

struct PtResult {
  MonteCarloBatch batch;            // [count]: each run's best configuration and its exact energy
  std::vector<double> final_energy;  // [count][M]: exact energy of the replica at T_m at the end
};

// Runs first_run .. first_run + count − 1 (global ids); attempts counts every replica. Throws Error
// for M < 2, T_min <= 0, T_max < T_min, the reference kernel, or stream budgets exceeded.
PtResult parallelTempering(const Hamiltonian& h, const PtSchedule& schedule, const McStreamId& id,
                           std::int64_t first_run, int count, const McRunOptions& options = {});

}  // namespace vna
