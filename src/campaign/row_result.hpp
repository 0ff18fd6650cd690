#pragma once
// What one campaign row (instance × method × annealing length) found, before it is written.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/hamiltonian.hpp"

namespace vna {

// Cells of the campaign file that hold no value (yet).
inline constexpr double kCampaignNaN = std::numeric_limits<double>::quiet_NaN();

struct RowResult {
  double min_energy = kCampaignNaN, mean_energy = kCampaignNaN, energy_std = kCampaignNaN,
         ground_state_fraction = kCampaignNaN, best_energy = kCampaignNaN;
  std::int64_t samples = 0, attempts = 0;
  std::vector<Bit> best_bits;          // empty: no configuration kept
  std::vector<double> replica_energy;  // per replica
  std::string kernel;                  // Monte Carlo rows: the kernel that ran
};

}  // namespace vna
