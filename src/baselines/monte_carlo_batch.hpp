#pragma once
// What a batch of Monte Carlo annealing replicas (SA or SQA) returns, replica by replica.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/hamiltonian.hpp"

namespace vna {

struct MonteCarloBatch {
  int num_spins = 0;
  std::int64_t first_replica = 0;  // global id of the first replica of the batch
  int count = 0;                   // replicas in the batch
  std::vector<Bit> bits;           // [count][N]: SA the final configuration, SQA the lowest-energy slice
  std::vector<double> energy;      // [count]: Hamiltonian::energy of `bits` (classical, exact)
  // [count][steps], only when asked for: SA the energy after each annealing step; SQA the classical
  // energy averaged over the P slices after each step (the estimator of <H_cl> of the Trotter model).
  std::vector<double> step_energy;
  std::int64_t attempts = 0;  // single-spin (and, SQA, all-slice) flip attempts of the batch

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
