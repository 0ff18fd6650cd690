#pragma once
// What every vna command receives, and the commands themselves (one file each in src/app).
#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/log.hpp"
#include "core/mpi_comm.hpp"
#include "io/result_file.hpp"

namespace vna {

struct CommandContext {
  const Comm& comm;
  const Config& config;
  const RunOptions& options;
  const Log& log;
};

// Each returns the command's main results (printed with --json).
nlohmann::json runExact(const CommandContext& ctx);
nlohmann::json runAnnealCommand(const CommandContext& ctx);
nlohmann::json runAnalyze(const CommandContext& ctx);
nlohmann::json runCampaignCommand(const CommandContext& ctx);
nlohmann::json runLandscapeCommand(const CommandContext& ctx);
nlohmann::json runInfo(const Comm& comm, const Log& log);

}  // namespace vna
