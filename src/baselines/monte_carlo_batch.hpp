#pragma once
// What a batch of Monte Carlo annealing replicas (SA or SQA) returns, replica by replica.
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
};

}  // namespace vna
