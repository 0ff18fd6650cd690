// `vna landscape`: loss landscapes f(α, β) = L(θ* + αδ + βη) around the snapshots θ* of an annealing
// result, into one resumable result file. The request (landscape_request), the source
// (landscape_source), the planes (landscape_plane), the file (landscape_file) and the computation
// (landscape.hpp) live in src/landscape; this file puts them in order.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "anneal/anneal_settings.hpp"
#include "app/command.hpp"
#include "app/model_from_config.hpp"
#include "app/resource_check.hpp"
#include "core/error.hpp"
#include "landscape/landscape.hpp"
#include "landscape/landscape_file.hpp"
#include "landscape/landscape_plane.hpp"
#include "landscape/landscape_request.hpp"
#include "landscape/landscape_source.hpp"
#include "landscape/roughness.hpp"
#include "network/backend_selection.hpp"

namespace vna {

namespace {

LandscapeSettings settingsOf(const LandscapeRequest& r, const AnnealSettings& run, const Model& model,
                             const ParamLayout& layout, const std::vector<LandscapeSnapshot>& snapshots) {
  LandscapeSettings s;
  s.grid = r.grid;
  s.seed = r.seed;
  s.samples = r.samples > 0 ? r.samples : run.samples;
  s.flush_minutes = r.flush_minutes;
  s.progress_seconds = r.progress_seconds;
  s.ansatz = run.ansatz;
  const bool quantum = std::any_of(snapshots.begin(), snapshots.end(),
                                   [](const auto& x) { return x.mode != LossMode::kClassical && x.gamma != 0.0; });
  s.chunk_points = landscapeChunkPoints(r.batch, s.samples, model.hamiltonian.numSpins(), run.ansatz.hidden, quantum,
                                        layout.total, scalarBytes(run.ansatz.precision));
  return s;
}

nlohmann::json resultJson(const ResultFile& file, const LandscapeSource& source, const Model& model,
                          const LandscapeSettings& s, const std::vector<LandscapeSnapshot>& snapshots,
                          const LandscapeOutcome& outcome, const std::vector<LandscapeRoughness>& roughness,
                          const Log& log) {
  nlohmann::json j;
  j["output"] = file.path().string();
  j["source"] = source.path;
  j["N"] = model.hamiltonian.numSpins();
  j["points"] = {static_cast<std::int64_t>(s.grid.alpha.size()), static_cast<std::int64_t>(s.grid.beta.size())};
  j["samples"] = s.samples;
  j["points_computed"] = outcome.points_computed;
  j["seconds"] = outcome.seconds;
  j["snapshots"] = nlohmann::json::array();
  for (std::size_t k = 0; k < snapshots.size(); ++k) {
    const auto& sum = outcome.snapshots[k];
    nlohmann::json e;
    e["label"] = sum.label;
    e["mode"] = lossModeName(snapshots[k].mode);
    e["temperature"] = snapshots[k].temperature;
    e["gamma"] = snapshots[k].gamma;
    e["points"] = sum.points;
    e["points_done"] = sum.points_done;
    e["nonfinite_points"] = sum.nonfinite_points;
    e["loss_min"] = std::isfinite(sum.loss_min) ? nlohmann::json(sum.loss_min) : nlohmann::json();
    e["loss_max"] = std::isfinite(sum.loss_max) ? nlohmann::json(sum.loss_max) : nlohmann::json();
    e["roughness"] = roughnessJson(roughness[k]);
    j["snapshots"].push_back(e);
    log.info("{}: {} points, {} non-finite, loss from {:.6g} to {:.6g}, roughness {:.3g} ± {:.2g} (first "
             "differences / noise), {:.3g} ± {:.2g} (second)",
             sum.label, sum.points_done, sum.nonfinite_points, sum.loss_min, sum.loss_max, roughness[k].first.ratio,
             roughness[k].first.ratio_err, roughness[k].second.ratio, roughness[k].second.ratio_err);
  }
  log.info("wrote {} ({} points in {:.1f} s)", file.path().string(), outcome.points_computed, outcome.seconds);
  return j;
}

}  // namespace

nlohmann::json runLandscapeCommand(const CommandContext& ctx) {
  const Config& cfg = ctx.config;
  const Comm& comm = ctx.comm;
  const LandscapeRequest request = landscapeRequestFromConfig(cfg);

  // The source: its config gives the model, the network and the losses.
  LandscapeSource source =
      openLandscapeSource(comm, findLandscapeSource(comm, cfg, ctx.options, request.source), cfg);
  checkModelFits(comm, source.config, ctx.log, "vna landscape");
  const Model model = buildModelFromConfig(source.config);
  const AnnealSettings run = annealSettingsFromConfig(source.config);
  const ParamLayout layout = ansatzLayout(run.ansatz, model.hamiltonian.numSpins());
  readSourceParameters(comm, source, request.replica, run.replicas, layout, cfg);
  const LandscapePlanes planes = landscapePlanes(request, source, layout, cfg);
  const LandscapeSettings s = settingsOf(request, run, model, layout, planes.snapshots);
  const std::string backend = selectBackend(cfg, &s.ansatz);
  {
    LandscapeWork w;
    w.engine.cell = s.ansatz.cell;
    w.engine.hidden = s.ansatz.hidden;
    w.engine.num_spins = model.hamiltonian.numSpins();
    w.engine.double_precision = scalarBytes(s.ansatz.precision) == 8;
    w.engine.sharing = s.ansatz.sharing;
    w.engine.plane = true;
    w.engine.sets = static_cast<double>(s.chunk_points);
    w.engine.samples = s.samples;
    w.engine.keep = w.engine.flips = std::any_of(planes.snapshots.begin(), planes.snapshots.end(), [](const auto& x) {
      return x.mode != LossMode::kClassical && x.gamma != 0.0;
    });
    w.snapshots = static_cast<double>(planes.snapshots.size());
    w.na = static_cast<double>(s.grid.alpha.size());
    w.nb = static_cast<double>(s.grid.beta.size());
    w.num_params = static_cast<double>(layout.total);
    w.trajectory = static_cast<double>(source.trajectory.size());
    checkLandscapeResources(comm, cfg, model, w, resultPath(ctx.options, cfg).string(), ctx.log);
  }

  // The result file (only now: a bad config leaves no file behind).
  std::vector<InputFile> inputs = modelInputFiles(source.config);
  inputs.push_back({source.path, "the landscape.source"});
  ResultFile file(comm, resultPath(ctx.options, cfg), ctx.options, /*resumable=*/true, inputs);
  file.checkResumedConfig(cfg);
  file.writeProvenance(cfg, backend);
  if (!h5::exists(file.root(), "model")) writeModelGroup(file.root(), "model", model, comm);
  writeLandscapeDescription(comm, file, request, source.path, source.stored_config, layout, source.trajectory,
                            planes.pca);
  ctx.log.info("{}: landscapes of {} snapshot(s) of replica {} from {}, {} directions (normalize {}{}), backend {}",
               model.description, planes.snapshots.size(), request.replica, source.path,
               directionKindName(request.kind), directionNormalizationName(request.normalize),
               request.orthogonalize ? ", orthogonalized" : "", backend);

  const LandscapeOutcome outcome = runLandscape(comm, s, model, planes.snapshots, file, ctx.log);
  if (!outcome.completed)
    throw Interrupted(fmt::format("interrupted: the finished points are saved in {}; continue with --resume",
                                  file.partialPath().string()));
  h5::writeAttribute(file.root(), "compute_seconds", outcome.seconds);
  std::vector<LandscapeRoughness> roughness;
  for (const auto& sn : planes.snapshots)
    roughness.push_back(addRoughness(h5::openGroup(file.root(), "landscape/" + sn.label)));
  file.commit();
  return resultJson(file, source, model, s, planes.snapshots, outcome, roughness, ctx.log);
}

}  // namespace vna
