// `vna campaign`: every method on every instance at every annealing length, into one resumable result
// file (src/campaign). Everything that can be wrong with the input is checked before the file exists.
#include <fmt/format.h>

#include <memory>

#include "analysis/sample_analysis.hpp"
#include "app/command.hpp"
#include "app/model_from_config.hpp"
#include "app/resource_check.hpp"
#include "campaign/campaign_runner.hpp"
#include "core/error.hpp"
#include "network/backend_selection.hpp"

namespace vna {


nlohmann::json runCampaignCommand(const CommandContext& ctx) {
  const Config& cfg = ctx.config;
  checkCampaignModels(ctx.comm, cfg, modelSpecFromConfig(cfg), ctx.log);
  const CampaignSpec spec = campaignSpecFromConfig(cfg, modelSpecFromConfig(cfg));
  std::unique_ptr<VariationalRunSettings> variational;
  if (spec.usesVariational()) {
    variational = std::make_unique<VariationalRunSettings>();
    variational->anneal = annealSettingsFromConfig(cfg);
    variational->anneal.store_final_params = cfg.getBool("campaign.store_networks");
    for (const auto& inst : spec.instances) checkAnsatzFitsModel(cfg, variational->anneal.ansatz, inst.model);
    variational->analysis = analysisSettingsFromConfig(cfg);
    for (std::int64_t A : spec.steps) {
      const AnnealPlan& p = variational->anneal.plan;
      if (p.warmup + A * p.train > 0xFFFFFFF0LL)
        cfg.fail("campaign.annealing_steps",
                 fmt::format("{} annealing steps of {} updates (plus warmup) exceed 2^32 updates", A, p.train));
    }
  }
  const std::string backend = selectBackend(cfg, variational ? &variational->anneal.ansatz : nullptr);
  int max_spins = 0;
  for (const auto& inst : spec.instances) max_spins = std::max(max_spins, inst.model.hamiltonian.numSpins());
  checkCampaignResources(ctx.comm, cfg, max_spins, static_cast<double>(spec.instances.size()),
                         static_cast<double>(spec.numRows()), spec.usesVariational(),
                         resultPath(ctx.options, cfg).string(), ctx.log);

  std::vector<InputFile> inputs;
  for (const auto& [path, what] : spec.input_files) inputs.push_back({path, what});
  ResultFile file(ctx.comm, resultPath(ctx.options, cfg), ctx.options, /*resumable=*/true, inputs);
  file.checkResumedConfig(cfg);
  file.writeProvenance(cfg, backend);
  const CampaignTable table = runCampaign(ctx.comm, spec, variational.get(), file, ctx.log);
  file.commit();
  ctx.log.info("residual energy per spin over instances:\n{}", summaryText(summarizeCampaign(table)));
  ctx.log.info("wrote {} (plot: tools/plot_residual.py {})", file.path().string(), file.path().string());
  return campaignJson(table, file.path().string());
}

}  // namespace vna
