// `vna anneal`: VCA / VQA / regularized annealing of R replicas, then the analysis of the final
// networks, into one resumable result file.
#include <fmt/format.h>

#include "analysis/sample_analysis.hpp"
#include "anneal/annealer.hpp"
#include "app/command.hpp"
#include "app/model_from_config.hpp"
#include "app/resource_check.hpp"
#include "core/error.hpp"
#include "network/backend_selection.hpp"

namespace vna {

nlohmann::json runAnnealCommand(const CommandContext& ctx) {
  const Config& cfg = ctx.config;
  checkModelFits(ctx.comm, cfg, ctx.log, "vna anneal");
  const Model model = buildModelFromConfig(cfg);
  const AnnealSettings settings = annealSettingsFromConfig(cfg);
  checkAnsatzFitsModel(cfg, settings.ansatz, model);
  const std::string backend = selectBackend(cfg, &settings.ansatz);
  checkAnnealResources(ctx.comm, cfg, model, resultPath(ctx.options, cfg).string(), ctx.log);

  ResultFile file(ctx.comm, resultPath(ctx.options, cfg), ctx.options, /*resumable=*/true, modelInputFiles(cfg));
  file.checkResumedConfig(cfg);
  file.writeProvenance(cfg, backend);
  if (!h5::exists(file.root(), "model")) writeModelGroup(file.root(), "model", model, ctx.comm);
  ctx.log.info("{}: {} annealing of {} replica(s) on {} rank(s), {} updates, backend {}", model.description,
               lossModeName(settings.mode), settings.replicas, ctx.comm.size(), settings.plan.numUpdates(), backend);

  const AnnealOutcome outcome = runAnneal(ctx.comm, settings, model, file, ctx.log);
  if (!outcome.completed)
    throw Interrupted(fmt::format("interrupted: checkpoint saved in {}; continue with --resume",
                                  file.partialPath().string()));

  // The annealing is saved before the analysis: a stop or a failure there loses only the analysis,
  // which --resume repeats.
  file.flush();
  const AnalysisSettings as = analysisSettingsFromConfig(cfg);
  const GroundTruth truth = groundTruthFor(model, ctx.comm);
  ctx.log.info("analysis: {} fresh samples per replica", as.samples);
  std::vector<ReplicaAnalysis> results;
  try {
    results = analyzeReplicas(ctx.comm, as, model, truth, outcome.final_params, settings.replicas, ctx.log);
  } catch (const Interrupted& e) {
    throw Interrupted(fmt::format("interrupted: {}; the finished annealing is saved in {}: --resume runs the analysis",
                                  e.what(), file.partialPath().string()));
  }
  writeAnalysis(file.root(), ctx.comm, as, model, truth, results);
  file.commit();

  nlohmann::json j;
  j["N"] = model.hamiltonian.numSpins();
  j["ground_energy"] = truth.energy ? nlohmann::json(*truth.energy) : nlohmann::json();
  j["output"] = file.path().string();
  j["replicas"] = analysisJson(model, truth, results);
  for (std::size_t r = 0; r < results.size(); ++r) {
    j["replicas"][r]["final_loss"] = outcome.final_loss[r];
    j["replicas"][r]["final_loss_err"] = outcome.final_loss_err[r];
  }
  logAnalysisJson(ctx.log, j["replicas"]);
  ctx.log.info("wrote {}", file.path().string());
  return j;
}

}  // namespace vna
