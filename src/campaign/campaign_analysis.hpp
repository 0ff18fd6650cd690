#pragma once
// `vna analyze` of a campaign result: the residual energy per spin over instances (mean, median,
// quantiles) and the probability of reaching the ground state per method and annealing length,
// printed and stored in the analysis result (/campaign_summary).
#include <nlohmann/json.hpp>
#include <string>

#include "config/config.hpp"
#include "core/log.hpp"
#include "core/mpi_comm.hpp"
#include "io/result_file.hpp"

namespace vna {

// True when `path` is an HDF5 file with a /campaign/results group (collective).
bool isCampaignResultFile(const std::string& path, const Comm& comm);

// Collective. Reads the campaign file `source` (which must be complete), writes the summary into
// the result file of `options`/`config` and returns it as JSON.
nlohmann::json analyzeCampaignResult(const Comm& comm, const Config& config, const RunOptions& options, const Log& log,
                                     const std::string& source);

}  // namespace vna
