#include "landscape/landscape_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "io/h5.hpp"
#include "io/source_file.hpp"
#include "landscape/landscape_request.hpp"

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

}  // namespace

std::string findLandscapeSource(const Comm& comm, const Config& cfg, const RunOptions& options,
                                const std::string& given) {
  std::vector<std::string> candidates;
  if (given.empty()) {
    RunOptions as_anneal = options;
    as_anneal.command = "anneal";
    as_anneal.output.clear();
    candidates.push_back(resultPath(as_anneal, cfg).string());
  } else {
    candidates.push_back(cfg.resolvePath(given).string());
    if (candidates[0] != given) candidates.push_back(given);
  }
  std::string problem, found;
  if (comm.isRoot()) {
    for (const auto& c : candidates)
      if (found.empty() && std::filesystem::is_regular_file(c)) found = c;
    if (found.empty()) {
      std::string tried;
      for (const auto& c : candidates) tried += (tried.empty() ? "'" : "' or '") + c;
      problem = failureText(cfg, "landscape.source",
                            fmt::format("annealing result {}' not found (run `vna anneal` first)", tried));
    }
  }
  comm.throwIfAnyInputError(problem);
  comm.broadcast(found);
  return found;
}

LandscapeSource openLandscapeSource(const Comm& comm, const std::string& path, const Config& config) {
  // A wrong file (an exact result, a partial file, not HDF5) is an input error before any collective open.
  const SourceFile file = checkSourceFile(comm, path, "landscape.source", {{"anneal", {"anneal/snapshots"}}});
  h5::Handle src = h5::openFile(path, comm.raw(), false);
  const std::string stored = file.config;
  LandscapeSource s{path, stored, Config::parse(stored, path + ":/config", {}, file.config_dir), {}, {}};
  checkAgreesWithSource(config, s.config, path);
  s.snapshots = listSnapshots(src, path);
  if (s.snapshots.empty()) throw InputError(fmt::format("{}: /anneal/snapshots is empty", path));
  return s;
}

void readSourceParameters(const Comm& comm, LandscapeSource& s, std::int64_t replica, std::int64_t replicas,
                          const ParamLayout& layout, const Config& config) {
  if (replica >= replicas)
    config.fail("landscape.replica", fmt::format("{} has {} replica(s) (0..{})", s.path, replicas, replicas - 1));
  h5::Handle src = h5::openFile(s.path, comm.raw(), false);
  for (SourceSnapshot& snap : s.snapshots) {
    std::size_t n = 0;
    snap.theta = readReplicaRow(src, "anneal/snapshots/" + snap.label + "/params", replica, &n);
    if (n != layout.total)
      throw InputError(fmt::format("{}: snapshot {} has {} parameters but its config's network ({} cell, hidden {}) "
                                   "has {}",
                                   s.path, snap.label, n, cellKindName(layout.cell), layout.hidden, layout.total));
  }
  Trajectory& t = s.trajectory;
  t.num_params = layout.total;
  if (!h5::exists(src, "anneal/trajectory") || !h5::exists(src, "anneal/trajectory/params")) {
    for (const SourceSnapshot& snap : s.snapshots) {
      t.after_update.push_back(snap.after_update);
      t.params.insert(t.params.end(), snap.theta.begin(), snap.theta.end());
    }
    t.origin = "anneal/snapshots";
    return;
  }
  // θ every anneal.trajectory_every updates: [R][K][n].
  h5::Handle d = h5::openDataset(src, "anneal/trajectory/params");
  const auto shape = h5::datasetShape(d);
  if (shape.size() != 3 || shape[2] != layout.total)
    throw InputError(fmt::format("{}: /anneal/trajectory/params is not [R][K][{}]", s.path, layout.total));
  t.params.resize(shape[1] * shape[2]);
  h5::readBlock<double>(d, {static_cast<hsize_t>(replica), 0, 0}, {1, shape[1], shape[2]}, t.params.data());
  t.after_update = h5::readDataset<std::int64_t>(src, "anneal/trajectory/after_update");
  t.origin = "anneal/trajectory";
  // The run's end, when the thinning missed it (the PCA plane is centred at the last point).
  const std::int64_t last = h5::readIntAttribute(h5::openGroup(src, "anneal"), "num_updates") - 1;
  if (t.after_update.back() != last && h5::exists(src, "anneal/final")) {
    const auto fin = readReplicaRow(src, "anneal/final/params", replica);
    t.params.insert(t.params.end(), fin.begin(), fin.end());
    t.after_update.push_back(last);
    t.origin += " + anneal/final";
  }
}

}  // namespace vna
