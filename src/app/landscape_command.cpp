// `vna landscape`: loss landscapes f(α, β) = L(θ* + αδ + βη) around the snapshots θ* of an annealing
// result, into one resumable result file (see src/landscape/landscape.hpp for the computation).
#include <fmt/format.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>

#include "anneal/variational_estimator.hpp"
#include "app/command.hpp"
#include "app/model_from_config.hpp"
#include "config/schema.hpp"
#include "core/error.hpp"
#include "landscape/directions.hpp"
#include "landscape/landscape.hpp"
#include "landscape/roughness.hpp"
#include "landscape/trajectory.hpp"

namespace vna {


namespace {

// Config::fail's message without throwing (for checks that only rank 0 can make).
std::string failureText(const Config& cfg, const std::string& key, const std::string& message) {
  try {
    cfg.fail(key, message);
  } catch (const InputError& e) {
    return e.what();
  }
  return message;
}

// The source path: absolute as given; relative next to the config, else in the current directory.
std::string findSource(const CommandContext& ctx) {
  const Config& cfg = ctx.config;
  std::string given = cfg.getString("landscape.source");
  std::vector<std::string> candidates;
  if (given.empty()) {
    RunOptions as_anneal = ctx.options;
    as_anneal.command = "anneal";
    as_anneal.output.clear();
    candidates.push_back(resultPath(as_anneal, cfg).string());
  } else {
    candidates.push_back(cfg.resolvePath(given).string());
    if (candidates[0] != given) candidates.push_back(given);
  }
  std::string problem, found;
  if (ctx.comm.isRoot()) {
    for (const auto& c : candidates)
      if (found.empty() && std::filesystem::is_regular_file(c)) found = c;
    if (found.empty()) {
      std::string tried;
      for (const auto& c : candidates) tried += (tried.empty() ? "'" : "' or '") + c;
      problem = failureText(cfg, "landscape.source",
                            fmt::format("annealing result {}' not found (run `vna anneal` first)", tried));
    }
  }
  ctx.comm.throwIfAnyInputError(problem);
  ctx.comm.broadcast(found);
  return found;
}

// The landscape config may repeat model/ansatz/anneal keys; they must agree with the source's.
void checkAgreesWithSource(const Config& cfg, const Config& run, const std::string& source) {
  for (const auto& k : configKeys()) {
    const std::string section = k.path.substr(0, k.path.find('.'));
    if (section != "model" && section != "ansatz" && section != "anneal" && section != "replicas") continue;
    if (!cfg.given(k.path)) continue;
    bool same = run.has(k.path);
    if (same) {
      switch (k.kind) {
        case ValueKind::kInt: same = cfg.getInt(k.path) == run.getInt(k.path); break;
        case ValueKind::kReal: same = cfg.getReal(k.path) == run.getReal(k.path); break;
        case ValueKind::kBool: same = cfg.getBool(k.path) == run.getBool(k.path); break;
        case ValueKind::kString:
        case ValueKind::kEnum: same = cfg.getString(k.path) == run.getString(k.path); break;
        case ValueKind::kIntList: same = cfg.getIntList(k.path) == run.getIntList(k.path); break;
        case ValueKind::kRealList: same = cfg.getRealList(k.path) == run.getRealList(k.path); break;
        case ValueKind::kStringList:
        case ValueKind::kStringOrList: same = cfg.getStringList(k.path) == run.getStringList(k.path); break;
      }
    }
    if (!same)
      cfg.fail(k.path, fmt::format("differs from the annealing run in '{}' (the landscape uses the model, network "
                                   "and schedule stored there; drop the key or fix landscape.source)",
                                   source));
  }
}

struct SourceSnapshot {
  std::string label;
  std::int64_t after_update = -1;
  double temperature = 0, gamma = 0;
  std::string mode;
};

std::vector<SourceSnapshot> listSnapshots(hid_t file, const std::string& source) {
  if (!h5::exists(file, "anneal") || !h5::exists(file, "anneal/snapshots"))
    throw InputError(fmt::format("{}: has no /anneal/snapshots: not a `vna anneal` result", source));
  h5::Handle g = h5::openGroup(file, "anneal/snapshots");
  H5G_info_t info;
  VNA_H5(H5Gget_info(g, &info));
  std::vector<SourceSnapshot> out;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) throw Error(fmt::format("{}: cannot read the name of snapshot {}", source, i));
    std::string name(static_cast<std::size_t>(len) + 1, '\0');
    if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
      throw Error(fmt::format("{}: cannot read the name of snapshot {}", source, i));
    name.resize(static_cast<std::size_t>(len));
    h5::Handle sg = h5::openGroup(g, name);
    SourceSnapshot s;
    s.label = name;
    s.after_update = h5::readIntAttribute(sg, "after_update");
    s.temperature = h5::readDoubleAttribute(sg, "temperature");
    s.gamma = h5::readDoubleAttribute(sg, "gamma");
    s.mode = h5::readStringAttribute(sg, "mode");
    out.push_back(s);
  }
  // Chronological: the index of a snapshot (its sampling stream) is its place in the run.
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.after_update < b.after_update; });
  return out;
}

std::vector<double> readReplicaRow(hid_t file, const std::string& dataset, std::int64_t replica,
                                   std::size_t* num_params = nullptr) {
  h5::Handle d = h5::openDataset(file, dataset);
  const auto shape = h5::datasetShape(d);
  if (shape.size() != 2) throw InputError(fmt::format("{}: expected a [R][n] dataset", dataset));
  std::vector<double> row(shape[1]);
  h5::readBlock<double>(d, {static_cast<hsize_t>(replica), 0}, {1, shape[1]}, row.data());
  if (num_params) *num_params = shape[1];
  return row;
}

std::string joinLabels(const std::vector<SourceSnapshot>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x.label;
  return out;
}

}  // namespace

nlohmann::json runLandscapeCommand(const CommandContext& ctx) {
  const Config& cfg = ctx.config;
  const Comm& comm = ctx.comm;

  // ---- the landscape's own keys
  const auto points = cfg.getIntList("landscape.points");
  const bool line = cfg.getBool("landscape.line");
  const auto arange = cfg.getRealList("landscape.alpha");
  const auto brange = cfg.getRealList("landscape.beta");
  if (line && cfg.given("landscape.points") && points[1] != 1)
    cfg.fail("landscape.points", fmt::format("line: true scans along δ only: use [{}, 1]", points[0]));
  if (line && cfg.given("landscape.beta")) cfg.fail("landscape.beta", "not used with line: true (β = 0)");
  if (!(arange[0] < arange[1]) && !(points[0] == 1 && arange[0] == arange[1]))
    cfg.fail("landscape.alpha", fmt::format("needs min < max, got [{}, {}]", arange[0], arange[1]));
  if (!line && !(brange[0] < brange[1]) && !(points[1] == 1 && brange[0] == brange[1]))
    cfg.fail("landscape.beta", fmt::format("needs min < max, got [{}, {}]", brange[0], brange[1]));
  if (cfg.getInt("landscape.samples") == 1)
    cfg.fail("landscape.samples", "needs at least 2 samples (a standard error), or 0 for the annealing Ns");
  LandscapeSettings s;
  s.grid.alpha = gridAxis(arange[0], arange[1], points[0]);
  s.grid.beta = line ? std::vector<double>{0.0} : gridAxis(brange[0], brange[1], points[1]);
  s.seed = static_cast<std::uint64_t>(cfg.getInt("landscape.seed"));
  s.flush_minutes = cfg.getReal("landscape.flush_minutes");
  s.progress_seconds = cfg.getReal("landscape.progress_seconds");
  const DirectionKind kind = parseDirectionKind(cfg.getString("landscape.directions.kind"));
  const DirectionNormalization normalize = parseDirectionNormalization(cfg.getString("landscape.directions.normalize"));
  const bool orthogonal = cfg.getBool("landscape.directions.orthogonalize");
  const auto direction_seed = static_cast<std::uint64_t>(cfg.getInt("landscape.directions.seed"));
  const std::int64_t replica = cfg.getInt("landscape.replica");

  // ---- the source: its config gives the model, the network and the losses
  const std::string source = findSource(ctx);
  h5::Handle src = h5::openFile(source, comm.raw(), false);
  if (!h5::hasAttribute(src, "config"))
    throw InputError(fmt::format("{}: has no stored config: not a vna result file", source));
  const std::string stored = h5::readStringAttribute(src, "config");
  const Config run_cfg = Config::parse(stored, source + ":/config");
  checkAgreesWithSource(cfg, run_cfg, source);
  const Model model = buildModelFromConfig(run_cfg);
  const std::vector<SourceSnapshot> available = listSnapshots(src, source);
  if (available.empty()) throw InputError(fmt::format("{}: /anneal/snapshots is empty", source));
  const std::int64_t replicas = run_cfg.getInt("replicas.count");
  if (replica >= replicas)
    cfg.fail("landscape.replica", fmt::format("{} has {} replica(s) (0..{})", source, replicas, replicas - 1));
  auto findSnapshot = [&](const std::string& key, const std::string& label) -> std::size_t {
    for (std::size_t i = 0; i < available.size(); ++i)
      if (available[i].label == label) return i;
    cfg.fail(key, fmt::format("unknown snapshot '{}' in {} (it has: {})", label, source, joinLabels(available)));
  };
  std::vector<std::size_t> chosen;
  for (const auto& label : cfg.getStringList("landscape.snapshots")) {
    const std::size_t i = findSnapshot("landscape.snapshots", label);
    if (std::find(chosen.begin(), chosen.end(), i) != chosen.end())
      cfg.fail("landscape.snapshots", fmt::format("snapshot '{}' is listed twice", label));
    chosen.push_back(i);
  }
  if (chosen.empty())
    for (std::size_t i = 0; i < available.size(); ++i) chosen.push_back(i);

  s.samples = static_cast<int>(cfg.getInt("landscape.samples"));
  if (s.samples == 0) s.samples = static_cast<int>(run_cfg.getInt("anneal.samples"));
  s.double_precision = run_cfg.getString("ansatz.precision") == "double";
  s.engine.cell = parseCellKind(run_cfg.getString("ansatz.cell"));
  s.engine.hidden = static_cast<int>(run_cfg.getInt("ansatz.hidden"));
  s.engine.lattice = model.lattice;
  const ParamLayout layout = makeParamLayout(s.engine.cell, s.engine.hidden, model.hamiltonian.numSpins());

  // θ of every snapshot of the replica (the trajectory) and the chosen centres.
  std::vector<std::vector<double>> theta(available.size());
  for (std::size_t i = 0; i < available.size(); ++i) {
    std::size_t n = 0;
    theta[i] = readReplicaRow(src, "anneal/snapshots/" + available[i].label + "/params", replica, &n);
    if (n != layout.total)
      throw InputError(fmt::format("{}: snapshot {} has {} parameters but its config's network ({} cell, hidden {}) "
                                   "has {}",
                                   source, available[i].label, n, cellKindName(s.engine.cell), s.engine.hidden,
                                   layout.total));
  }
  Trajectory trajectory;
  trajectory.num_params = layout.total;
  if (h5::exists(src, "anneal/trajectory") && h5::exists(src, "anneal/trajectory/params")) {
    // θ every anneal.trajectory_every updates: [R][K][n].
    h5::Handle d = h5::openDataset(src, "anneal/trajectory/params");
    const auto shape = h5::datasetShape(d);
    if (shape.size() != 3 || shape[2] != layout.total)
      throw InputError(fmt::format("{}: /anneal/trajectory/params is not [R][K][{}]", source, layout.total));
    trajectory.params.resize(shape[1] * shape[2]);
    h5::readBlock<double>(d, {static_cast<hsize_t>(replica), 0, 0}, {1, shape[1], shape[2]}, trajectory.params.data());
    trajectory.after_update = h5::readDataset<std::int64_t>(src, "anneal/trajectory/after_update");
    trajectory.origin = "anneal/trajectory";
    // The run's end, when the thinning missed it (the PCA plane is centred at the last point).
    const std::int64_t last = h5::readIntAttribute(h5::openGroup(src, "anneal"), "num_updates") - 1;
    if (trajectory.after_update.back() != last && h5::exists(src, "anneal/final")) {
      const auto fin = readReplicaRow(src, "anneal/final/params", replica);
      trajectory.params.insert(trajectory.params.end(), fin.begin(), fin.end());
      trajectory.after_update.push_back(last);
      trajectory.origin += " + anneal/final";
    }
  } else {
    for (std::size_t i = 0; i < available.size(); ++i) {
      trajectory.after_update.push_back(available[i].after_update);
      trajectory.params.insert(trajectory.params.end(), theta[i].begin(), theta[i].end());
    }
    trajectory.origin = "anneal/snapshots";
  }
  src.reset();
  const bool have_pca = trajectory.size() >= 3;
  TrajectoryPca pca;
  if (have_pca || kind == DirectionKind::kPca) {
    try {
      pca = trajectoryPca(trajectory);
    } catch (const InputError& e) {
      if (kind == DirectionKind::kPca) cfg.fail("landscape.directions.kind", fmt::format("pca: {} ({})", e.what(), source));
    }
  }

  // ---- directions (raw ones shared by all snapshots; normalized per snapshot)
  std::vector<double> delta0, eta0;
  switch (kind) {
    case DirectionKind::kGaussian:
      delta0 = gaussianDirection(direction_seed, 0, layout.total);
      eta0 = gaussianDirection(direction_seed, 1, layout.total);
      break;
    case DirectionKind::kSnapshots: {
      const auto ab = cfg.getStringList("landscape.directions.snapshots");
      const std::size_t a = findSnapshot("landscape.directions.snapshots", ab[0]);
      const std::size_t b = findSnapshot("landscape.directions.snapshots", ab[1]);
      if (a == b) cfg.fail("landscape.directions.snapshots", "needs two different snapshots");
      delta0.resize(layout.total);
      for (std::size_t i = 0; i < layout.total; ++i) delta0[i] = theta[b][i] - theta[a][i];
      eta0 = gaussianDirection(direction_seed, 1, layout.total);
      break;
    }
    case DirectionKind::kPca:
      delta0.assign(pca.components.begin(), pca.components.begin() + layout.total);
      eta0.assign(pca.components.begin() + layout.total, pca.components.end());
      break;
  }
  std::vector<LandscapeSnapshot> snapshots;
  for (const std::size_t i : chosen) {
    LandscapeSnapshot sn;
    const SourceSnapshot& a = available[i];
    sn.label = a.label;
    sn.index = static_cast<std::uint32_t>(i);
    sn.after_update = a.after_update;
    sn.temperature = a.temperature;
    sn.gamma = a.gamma;
    sn.mode = parseLossMode(a.mode);
    sn.plane.theta_star = theta[i];
    sn.plane.delta = delta0;
    sn.plane.eta = eta0;
    normalizeDirection(sn.plane.delta, sn.plane.theta_star, layout, normalize);
    normalizeDirection(sn.plane.eta, sn.plane.theta_star, layout, normalize);
    if (orthogonal) {
      try {
        orthogonalize(sn.plane.delta, sn.plane.eta);
      } catch (const InputError& e) {
        cfg.fail("landscape.directions.orthogonalize", fmt::format("snapshot {}: {}", a.label, e.what()));
      }
    }
    if (trajectory.size() > 0) {
      try {
        const PlaneProjection proj = projectOntoPlane(trajectory, sn.plane.theta_star, sn.plane.delta, sn.plane.eta);
        sn.trajectory = proj.coords;
        sn.trajectory_residual = proj.residual;
      } catch (const InputError& e) {
        cfg.fail("landscape.directions.kind", fmt::format("snapshot {}: {}", a.label, e.what()));
      }
    }
    snapshots.push_back(std::move(sn));
  }
  const bool quantum = std::any_of(snapshots.begin(), snapshots.end(),
                                   [](const auto& x) { return x.mode != LossMode::kClassical && x.gamma != 0.0; });
  s.chunk_points = landscapeChunkPoints(cfg.getInt("landscape.batch"), s.samples, model.hamiltonian.numSpins(),
                                        s.engine.hidden, quantum, layout.total, s.double_precision ? 8 : 4);
  const std::string backend = selectBackend(cfg);

  // ---- the result file (only now: a bad config leaves no file behind)
  ResultFile file(comm, resultPath(ctx.options, cfg), ctx.options, /*resumable=*/true);
  if (file.resumed() && h5::hasAttribute(file.root(), "config") &&
      h5::readStringAttribute(file.root(), "config") != cfg.resolvedYaml())
    throw InputError(fmt::format("{}: was started with a different configuration; resume with the same config and "
                                 "--set options (or use --force to start over)",
                                 file.partialPath().string()));
  file.writeProvenance(cfg, backend);
  const hid_t root = file.root();
  if (!h5::hasAttribute(root, "source")) {
    h5::writeAttribute(root, "source", source);
    h5::writeAttribute(root, "source_config", stored);
    h5::writeAttribute(root, "directions", directionKindName(kind));
    h5::writeAttribute(root, "normalize", directionNormalizationName(normalize));
    h5::writeAttribute(root, "orthogonalize", static_cast<std::int64_t>(orthogonal));
    h5::writeAttribute(root, "direction_seed", static_cast<std::int64_t>(direction_seed));
    h5::writeAttribute(root, "replica", replica);
    h5::writeAttribute(root, "line", static_cast<std::int64_t>(line));
  }
  if (!h5::exists(root, "model")) writeModelGroup(root, "model", model, comm);
  if (!h5::exists(root, "trajectory") && trajectory.size() > 0) {
    h5::Handle g = h5::createGroup(root, "trajectory");
    h5::writeAttribute(g, "origin", trajectory.origin);
    h5::writeAttribute(g, "replica", replica);
    h5::writeDataset(g, "after_update", trajectory.after_update, comm.rank());
    if (!pca.components.empty()) {
      const hsize_t T = trajectory.size(), n = layout.total;
      h5::writeDataset<double>(g, "pca", {T, 2}, pca.coords.data(), comm.rank());
      h5::writeDataset<double>(g, "pca_components", {2, n}, pca.components.data(), comm.rank());
      h5::writeDataset(g, "pca_explained", pca.explained, comm.rank());
    }
  }
  ctx.log.info("{}: landscapes of {} snapshot(s) of replica {} from {}, {} directions (normalize {}{}), backend {}",
               model.description, snapshots.size(), replica, source, directionKindName(kind),
               directionNormalizationName(normalize), orthogonal ? ", orthogonalized" : "", backend);

  const LandscapeOutcome outcome = runLandscape(comm, s, model.hamiltonian, snapshots, file, ctx.log);
  if (!outcome.completed)
    throw Interrupted(fmt::format("interrupted: the finished points are saved in {}; continue with --resume",
                                  file.partialPath().string()));
  h5::writeAttribute(root, "compute_seconds", outcome.seconds);
  std::vector<LandscapeRoughness> roughness;
  for (const auto& sn : snapshots) roughness.push_back(addRoughness(h5::openGroup(root, "landscape/" + sn.label)));
  file.commit();

  nlohmann::json j;
  j["output"] = file.path().string();
  j["source"] = source;
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
    ctx.log.info("{}: {} points, {} non-finite, loss from {:.6g} to {:.6g}, roughness {:.3g} ± {:.2g} (first "
                 "differences / noise), {:.3g} ± {:.2g} (second)",
                 sum.label, sum.points_done, sum.nonfinite_points, sum.loss_min, sum.loss_max,
                 roughness[k].first.ratio, roughness[k].first.ratio_err, roughness[k].second.ratio,
                 roughness[k].second.ratio_err);
  }
  ctx.log.info("wrote {} ({} points in {:.1f} s)", file.path().string(), outcome.points_computed, outcome.seconds);
  return j;
}

}  // namespace vna
