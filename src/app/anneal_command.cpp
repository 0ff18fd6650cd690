// `vna anneal`: VCA / VQA / regularized annealing of R replicas, then the analysis of the final
// networks, into one resumable result file.
#include <fmt/format.h>

#include <Kokkos_Core.hpp>

#include "analysis/sample_analysis.hpp"
#include "anneal/annealer.hpp"
#include "app/command.hpp"
#include "app/model_from_config.hpp"
#include "app/resource_check.hpp"
#include "core/error.hpp"
#include "engine_config.hpp"
#ifdef VNA_HAVE_CUDA
#include "cuda/cuda_device.hpp"
#endif

namespace vna {

AnalysisSettings analysisSettingsFromConfig(const Config& c) {
  AnalysisSettings a;
  a.samples = c.getInt("analysis.samples");
  a.stored = c.getInt("analysis.stored_samples");
  a.seed = static_cast<std::uint64_t>(c.getInt("replicas.seed"));
  a.cell = parseCellKind(c.getString("ansatz.cell"));
  a.hidden = static_cast<int>(c.getInt("ansatz.hidden"));
  a.double_precision = c.getString("ansatz.precision") == "double";
  return a;
}

// backend.device: cpu (the Kokkos kernels), cuda (the native CUDA kernels; an input error where this
// build has none or a rank sees no GPU) or auto (cuda when every rank sees a GPU). Sets the engine's
// process-wide default backend and returns the provenance string (identical on every rank). Collective.
std::string selectBackend(const Config& c) {
  const std::string device = c.getString("backend.device");
#ifdef VNA_HAVE_CUDA
  if (device != "cpu") {
    const Comm world;
    std::string why;
    const int visible = cuda::deviceCount(&why);
    // Every rank must reach the same choice: the GPU backend only where every rank sees a device.
    const bool everywhere = world.min(static_cast<double>(visible)) > 0;
    if (device == "cuda" && !everywhere)
      c.fail("backend.device", world.max(static_cast<double>(visible)) > 0
                                   ? std::string("cuda: some MPI ranks see no CUDA device; use cpu or auto")
                                   : fmt::format("cuda: no usable CUDA device ({}); use cpu or auto", why));
    if (everywhere) {
      const cuda::DeviceChoice choice = cuda::selectDeviceForRank(world.raw());
      setDefaultBackend(Backend::kCuda);
      std::string name = choice.device.name;
      world.broadcast(name);
      const std::string cell = c.has("ansatz.cell") ? c.getString("ansatz.cell") : std::string();
      const bool native = cell.empty() || cell == "vanilla1d" || cell == "vanilla2d";
      return fmt::format("cuda ({}; rank r uses node-local device r mod devices{})", name,
                         native ? "" : fmt::format("; the {} cell has no CUDA kernels and runs on kokkos", cell));
    }
  }
#else
  if (device == "cuda")
    c.fail("backend.device", "cuda: this vna was built without the CUDA backend (see `vna info`); use cpu or auto");
#endif
  setDefaultBackend(Backend::kKokkos);
  return fmt::format("kokkos ({})", Kokkos::DefaultExecutionSpace::name());
}

void checkAnsatzFitsModel(const Config& c, const Model& model) {
  const std::string cell = c.getString("ansatz.cell");
  if ((cell == "vanilla2d" || cell == "tensorized2d") && model.lattice.dim != 2)
    c.fail("ansatz.cell",
           fmt::format("{} needs a 2D lattice, but {} is laid out as a {} of {} sites: use vanilla1d, tensorized1d "
                       "or dilated1d",
                       cell, model.description, model.lattice.kind, model.hamiltonian.numSpins()));
}

nlohmann::json runAnnealCommand(const CommandContext& ctx) {
  const Config& cfg = ctx.config;
  checkModelFits(ctx.comm, cfg, ctx.log, "vna anneal");
  const Model model = buildModelFromConfig(cfg);
  checkAnsatzFitsModel(cfg, model);
  const AnnealSettings settings = annealSettingsFromConfig(cfg);
  resolveSnapshots(settings, &cfg);  // validates the labels before any work
  const std::string backend = selectBackend(cfg);
  checkAnnealResources(ctx.comm, cfg, model, resultPath(ctx.options, cfg).string(), ctx.log);

  ResultFile file(ctx.comm, resultPath(ctx.options, cfg), ctx.options, /*resumable=*/true, modelInputFiles(cfg));
  file.writeProvenance(cfg, backend);
  if (!h5::exists(file.root(), "model")) writeModelGroup(file.root(), "model", model, ctx.comm);
  ctx.log.info("{}: {} annealing of {} replica(s) on {} rank(s), {} updates, backend {}", model.description,
               cfg.getString("anneal.mode"), settings.replicas, ctx.comm.size(), settings.plan.numUpdates(), backend);

  const AnnealOutcome outcome = runAnneal(ctx.comm, settings, model, file, ctx.log, &cfg);
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
  for (const auto& rep : j["replicas"])
    ctx.log.info("replica {}: <E>/N = {:.6f}, min E/N = {:.6f}, ground-state fraction {}, distinct ground states {}",
                 rep["replica"].get<int>(), rep["mean_energy_per_spin"].get<double>(),
                 rep["min_energy_per_spin"].get<double>(), rep["ground_state_fraction"].dump(),
                 rep["distinct_ground_states"].dump());
  ctx.log.info("wrote {}", file.path().string());
  return j;
}

}  // namespace vna
