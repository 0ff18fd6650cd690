#pragma once
// One row of a campaign (an instance, a method, an annealing length) computed: the Monte Carlo
// baselines (SA, SQA) with replicas in contiguous blocks over the ranks, or VCA / VQA as the
// annealer into the campaign file followed by the analysis of fresh samples. Collective.
#include <cstdint>
#include <limits>
#include <vector>

#include "campaign/campaign_runner.hpp"
#include "campaign/campaign_spec.hpp"
#include "core/log.hpp"
#include "core/mpi_comm.hpp"
#include "io/result_file.hpp"

namespace vna {

inline constexpr double kCampaignNaN = std::numeric_limits<double>::quiet_NaN();

struct RowResult {
  double min_energy = kCampaignNaN, mean_energy = kCampaignNaN, energy_std = kCampaignNaN, ground_state_fraction = kCampaignNaN, best_energy = kCampaignNaN;
  std::int64_t samples = 0, attempts = 0;
  std::vector<Bit> best_bits;          // empty: no configuration kept
  std::vector<double> replica_energy;  // per replica
};

RowResult monteCarloRow(const Comm& comm, const CampaignSpec& spec, const CampaignInstance& inst, CampaignMethod m,
                        std::int64_t A, const GroundTruthInfo& truth);
// Throws Interrupted when a signal stopped the annealer (its checkpoint is in the file).
RowResult variationalRow(const Comm& comm, const CampaignInstance& inst, CampaignMethod m, std::int64_t A,
                         std::int64_t row, const VariationalRunSettings& v, const GroundTruthInfo& truth,
                         ResultFile& file, const Log& log);

}  // namespace vna
