#pragma once
// What a batch of Monte Carlo annealing replicas (SA or SQA) returns, replica by replica, and the
// options every Monte Carlo driver takes.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "baselines/mc_model.hpp"
#include "model/hamiltonian.hpp"

namespace vna {

// How the multi-spin kernel draws its acceptance decisions (multispin.hpp).
enum class MultiSpinRandom { kIndependent, kShared };

struct McRunOptions {
  McKernel kernel = McKernel::kAuto;
  MultiSpinRandom multispin_random = MultiSpinRandom::kIndependent;
  // Called after every poll_every-th annealing step (never after the last; 0: never), at the same
  // steps on every rank, so it may be collective; it may throw (e.g. Interrupted) to abandon the run.
  std::function<void()> poll;
  std::int64_t poll_every = 0;

  void maybePoll(std::int64_t step, std::int64_t steps) const {
    if (poll && poll_every > 0 && step % poll_every == 0 && step < steps) poll();
  }
  // The polls of a run of `steps` steps, for a rank with no replicas of its own.
  void pollAlong(std::int64_t steps) const {
    for (std::int64_t a = 1; poll && poll_every > 0 && a < steps; ++a) maybePoll(a, steps);
  }
};

// Throws Error for replica ids beyond 2^32, more than 2^31 − 2 steps, or a step of more than 2^32
// attempts of one replica.
void checkMonteCarloBudget(const char* who, std::size_t steps, std::int64_t draws_per_step, std::int64_t first_replica,
                           std::int64_t count);

struct MonteCarloBatch {
  int num_spins = 0;
  std::int64_t first_replica = 0;  // global id of the first replica of the batch
  int count = 0;                   // replicas in the batch
  std::vector<Bit> bits;           // [count][N]: SA the final configuration, SQA the lowest-energy slice
  std::vector<double> energy;      // [count]: Hamiltonian::energy of `bits` (classical, exact)
  // [count][steps], only when asked for: SA the energy after each annealing step; SQA the classical
  // energy averaged over the P slices after each step (the estimator of <H_cl> of the Trotter model).
  std::vector<double> step_energy;
  std::int64_t attempts = 0;  // single-spin (and, SQA, all-slice) flip attempts of the batch, warm-up included
  std::string kernel;         // the kernel that ran (mcKernelName)

  // An empty batch of `count` replicas of N spins and `steps` annealing steps, zero-filled.
  static MonteCarloBatch allocate(int N, std::int64_t first_replica, int count, std::size_t steps, bool record_steps,
                                  std::int64_t attempts) {
    MonteCarloBatch out;
    out.num_spins = N;
    out.first_replica = first_replica;
    out.count = count;
    out.bits.assign(static_cast<std::size_t>(count) * N, 0);
    out.energy.assign(count, 0.0);
    if (record_steps) out.step_energy.assign(static_cast<std::size_t>(count) * steps, 0.0);
    out.attempts = attempts;
    return out;
  }
};

}  // namespace vna
