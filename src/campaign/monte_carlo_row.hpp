#pragma once
// The Monte Carlo rows of a campaign (sa, sqa, pt, pa): the method's replicas (SA/SQA replicas, PT
// runs, PA runs) in contiguous blocks over the ranks, gathered in replica order, summarized into a
// RowResult: minimum and mean over the row's entries, their spread, the fraction at the ground
// energy and the spin-flip attempts of all ranks. The entries are SA's final configurations, SQA's
// lowest-energy slices, PT's best configuration of each run and every member of PA's final
// populations.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "campaign/campaign_spec.hpp"
#include "campaign/row_result.hpp"
#include "core/mpi_comm.hpp"

namespace vna {

bool isMonteCarlo(CampaignMethod m);

// "method: kernel[, kernel]" for each Monte Carlo method of the campaign, the kernels its instances
// run on (mc_model.hpp): a record for the result file.
std::vector<std::string> monteCarloKernels(const CampaignSpec& spec);

// Collective. `poll` is called between annealing steps, at the same steps on every rank (every
// poll_every steps; 0: about every 2^25 attempts of the busiest rank), so it may agree on a stop and throw.
RowResult monteCarloRow(const Comm& comm, const CampaignSpec& spec, const CampaignInstance& inst, CampaignMethod m,
                        std::int64_t A, const GroundTruthInfo& truth, const std::function<void()>& poll,
                        std::int64_t poll_every = 0);

}  // namespace vna
