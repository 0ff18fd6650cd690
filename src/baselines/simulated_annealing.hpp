#pragma once
// Simulated annealing (Kirkpatrick, Gelatt, Vecchi 1983): single-spin-flip Metropolis on the
// classical part of a Hamiltonian while the temperature falls. Annealing step a = 1..A runs
// `sweeps_per_step` sweeps (a sweep visits the sites 0..N-1 in order, one Metropolis test each:
// accept with min(1, exp(-ΔE/T))) at T_a = T0 · s(a/A), with s the annealing schedule shape of
// schedule.hpp (the same shape VCA uses), so T_A = 0 (a greedy quench). Replicas start from uniformly
// random configurations (the T = ∞ equilibrium).
//
// The kernel (McRunOptions::kernel, mc_model.hpp) is chosen by the model's structure unless named:
// reference (flipDelta in double, the random words drawn only when a move needs one, McStream),
// sparse / dense / pbody (ClassicalChains: float, SIMD lanes, a fixed word per attempt, LaneDraws)
// or multispin (±J, 64 replicas per word). They sample the same Metropolis chain (up to the float
// rounding of the couplings and the acceptance accuracy of metropolis.hpp) with different random
// words, so they agree in distribution, not replica by replica (tests/baselines).
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
  // Sweeps at warmup_temperature before step 1 (piqmc's SA equilibrates at T0 first). They draw
  // from the stream of step kWarmupStep.
  std::int64_t warmup_sweeps = 0;
  double warmup_temperature = 1.0;
};

inline constexpr std::uint32_t kWarmupStep = 0x7FFFFFFFu;

// T_a = T0 · s(a/A) for a = 1..A with s of `shape`; warm-up at T0.
SaSchedule saSchedule(double T0, std::int64_t steps, ScheduleShape shape, int sweeps_per_step,
                      std::int64_t warmup_sweeps = 0);

// Anneals replicas first_replica .. first_replica+count-1 (global ids: they key the random streams;
// a replica's result does not depend on the batch it runs in). Replicas run in parallel on the host
// execution space. record_steps fills MonteCarloBatch::step_energy. Throws Error for a schedule
// longer than 2^31 - 2 steps, a step of more than 2^32 attempts of one replica, or a
// named kernel that does not apply.
MonteCarloBatch simulatedAnnealing(const Hamiltonian& h, const SaSchedule& schedule, const McStreamId& id,
                                   std::int64_t first_replica, int count, bool record_steps = false,
                                   const McRunOptions& options = {});

}  // namespace vna
