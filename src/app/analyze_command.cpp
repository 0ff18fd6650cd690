// `vna analyze`: fresh samples from the final networks of an annealing result (split over ranks).
#include <fmt/format.h>

#include "analysis/sample_analysis.hpp"
#include "app/command.hpp"
#include "app/model_from_config.hpp"
#include "app/resource_check.hpp"
#include "campaign/campaign_analysis.hpp"
#include "campaign/campaign_spec.hpp"
#include "core/error.hpp"
#include "io/source_file.hpp"
#include "network/backend_selection.hpp"

namespace vna {

nlohmann::json runAnalyze(const CommandContext& ctx) {
  const Config& cfg = ctx.config;
  const AnalysisSettings requested = analysisSettingsFromConfig(cfg);
  std::string source = requested.source;
  if (source.empty()) {
    RunOptions as_anneal = ctx.options;
    as_anneal.command = isCampaignConfig(cfg) ? "campaign" : "anneal";  // the result this config makes
    as_anneal.output.clear();
    source = resultPath(as_anneal, cfg).string();
  } else {
    source = cfg.resolvePath(source).string();
  }
  std::string problem;
  if (ctx.comm.isRoot() && !std::filesystem::exists(source))
    problem = fmt::format("analysis.source: annealing result '{}' not found (run `vna anneal` first)", source);
  ctx.comm.throwIfAnyInputError(problem);
  const SourceFile src = checkSourceFile(ctx.comm, source, "analysis.source",
                                         {{"anneal", {"anneal/final/params"}}, {"campaign", {"campaign/results/done"}}});
  // A campaign result: residual energies over instances (src/campaign).
  if (src.command == "campaign") return analyzeCampaignResult(ctx.comm, cfg, ctx.options, ctx.log, source);

  // The network and the model are those of the annealing run, from the config stored in its file.
  std::vector<double> params;
  std::int64_t replicas = 0;
  {
    h5::Handle f = h5::openFile(source, ctx.comm.raw(), false);
    std::vector<hsize_t> dims;
    params = h5::readDataset<double>(f, "anneal/final/params", &dims);
    replicas = static_cast<std::int64_t>(dims.at(0));
  }
  const Config run_cfg = Config::parseStored(src.config, source + ":/config", src.config_dir);
  checkModelFits(ctx.comm, run_cfg, ctx.log, "vna analyze");
  const Model model = buildModelFromConfig(run_cfg);
  AnalysisSettings as = analysisSettingsFromConfig(run_cfg);
  as.samples = requested.samples;
  as.stored = requested.stored;

  const std::string backend = selectBackend(cfg, &as.ansatz);
  checkAnalyzeResources(ctx.comm, cfg, run_cfg, model, static_cast<int>(replicas), resultPath(ctx.options, cfg).string(),
                        ctx.log);
  std::vector<InputFile> inputs = modelInputFiles(run_cfg);
  inputs.push_back({source, "the analysis.source"});
  ResultFile file(ctx.comm, resultPath(ctx.options, cfg), ctx.options, /*resumable=*/false, inputs);
  file.writeProvenance(cfg, backend);
  h5::writeAttribute(file.root(), "source", source);
  writeModelGroup(file.root(), "model", model, ctx.comm);
  const GroundTruth truth = groundTruthFor(model, ctx.comm);
  ctx.log.info("{}: analyzing {} replica(s) of {} with {} samples each on {} rank(s)", model.description, replicas,
               source, as.samples, ctx.comm.size());
  std::vector<ReplicaAnalysis> results;
  try {
    results = analyzeReplicas(ctx.comm, as, model, truth, params, static_cast<int>(replicas), ctx.log);
  } catch (const Interrupted& e) {
    throw Interrupted(fmt::format("interrupted: {}; nothing was written (`vna analyze` has no checkpoints): run it "
                                  "again", e.what()));
  }
  writeAnalysis(file.root(), ctx.comm, as, model, truth, results);
  file.commit();
  nlohmann::json j;
  j["N"] = model.hamiltonian.numSpins();
  j["source"] = source;
  j["ground_energy"] = truth.energy ? nlohmann::json(*truth.energy) : nlohmann::json();
  j["replicas"] = analysisJson(model, truth, results);
  logAnalysisJson(ctx.log, j["replicas"]);
  ctx.log.info("wrote {}", file.path().string());
  return j;
}

}  // namespace vna
