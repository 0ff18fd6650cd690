#pragma once
// What one campaign row (instance × method × annealing length) found, before it is written.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/hamiltonian.hpp"

namespace vna {

struct RowResult {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double min_energy = kNaN, mean_energy = kNaN, energy_std = kNaN, ground_state_fraction = kNaN, best_energy = kNaN;
  std::int64_t samples = 0, attempts = 0;
  std::vector<Bit> best_bits;          // empty: no configuration kept
  std::vector<double> replica_energy;  // per replica
  std::string kernel;                  // Monte Carlo rows: the kernel that ran
};

}  // namespace vna
