#pragma once
// Simulated annealing (Kirkpatrick, Gelatt, Vecchi 1983): single-spin-flip Metropolis on the
// classical part of a Hamiltonian while the temperature falls. Annealing step a = 1..A runs
// `sweeps_per_step` sweeps (a sweep visits the sites 0..N-1 in order, one Metropolis test each:
// accept with min(1, exp(-ΔE/T)), ΔE from Hamiltonian::flipDelta) at T_a = T0 · s(a/A), with s the
// annealing schedule shape of schedule.hpp (the same shape VCA uses), so T_A = 0 (a greedy quench).
// Replicas start from uniformly random configurations (the T = ∞ equilibrium).
#include <cstdint>
#include <vector>

#include "anneal/schedule.hpp"
#include "baselines/monte_carlo_batch.hpp"
#include "baselines/monte_carlo_stream.hpp"
#include "model/hamiltonian.hpp"

namespace vna {

struct SaSchedule {
  std::vector<double> temperatures;  // T of annealing steps 1..A (index a-1); any T >= 0
  int sweeps_per_step = 1;
};

// T_a = T0 · s(a/A) for a = 1..A with s of `shape`.
SaSchedule saSchedule(double T0, std::int64_t steps, ScheduleShape shape, int sweeps_per_step);

// Anneals replicas first_replica .. first_replica+count-1 (global ids: they key the random streams).
// Replicas run in parallel on the host execution space (Kokkos::parallel_for over replicas); the
// Hamiltonian is copied and finalized first, so the replicas share a read-only flipDelta.
// record_steps fills MonteCarloBatch::step_energy. Throws Error for a schedule longer than 2^32 - 1
// steps or a step that would need more than 2^34 draws from one stream.
MonteCarloBatch simulatedAnnealing(const Hamiltonian& h, const SaSchedule& schedule, const McStreamId& id,
                                   std::int64_t first_replica, int count, bool record_steps = false);

}  // namespace vna
