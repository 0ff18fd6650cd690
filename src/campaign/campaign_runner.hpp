#pragma once
// `vna campaign`: runs every (instance, method, annealing length) row of a CampaignSpec into the
// /campaign group of one result file, row by row (a row is recorded as done once written, so an
// interrupted campaign resumes at the first row not done), then relates every row to the ground
// truth and summarizes over instances.
//
// Parallelism: every rank takes part in every row. SA/SQA replicas and PT/PA runs are spread over
// the ranks in contiguous blocks (blockRange) and batched on each rank (SIMD lanes and
// Kokkos::parallel_for, monte_carlo_row.hpp); VCA
// and VQA rows are runAnneal (replicas over ranks, batched through the engine) followed by
// analyzeReplicas on fresh samples. Every random number is keyed by logical ids (seed, method,
// instance, replica, step), so the file does not depend on the number of ranks.
#include <nlohmann/json.hpp>

#include "analysis/sample_analysis.hpp"
#include "anneal/annealer.hpp"
#include "campaign/campaign_spec.hpp"
#include "campaign/campaign_table.hpp"
#include "core/log.hpp"
#include "core/mpi_comm.hpp"
#include "io/result_file.hpp"

namespace vna {

// The anneal/analysis settings VCA and VQA rows start from (mode and annealing_steps are set per row).
struct VariationalRunSettings {
  AnnealSettings anneal;  // store_final_params: campaign.store_networks
  AnalysisSettings analysis;
};

// Collective. `variational` may be null when the campaign has no VCA/VQA method. Throws Interrupted
// when a SIGTERM/SIGINT stopped the campaign (the partial file holds every finished row and, inside
// a VCA/VQA row, the annealer's checkpoint; a Monte Carlo row stops between its steps and is rerun).
// Test hooks: VNA_CAMPAIGN_SIGNAL_AFTER_ROW=k raises SIGTERM after row k is written,
// VNA_CAMPAIGN_SIGNAL_IN_ROW=k at the first step of Monte Carlo row k.
CampaignTable runCampaign(const Comm& comm, const CampaignSpec& spec, const VariationalRunSettings* variational,
                          ResultFile& file, const Log& log);

// The JSON of `vna campaign --json`: instances, one entry per row, and the summary.
nlohmann::json campaignJson(const CampaignTable& table, const std::string& output);

}  // namespace vna
