#include "landscape/landscape_file.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace vna {

namespace {

std::string lossDescription(LossMode mode) {
  switch (mode) {
    case LossMode::kClassical: return "variational free energy F = <H> + T <log p> at the snapshot's T";
    case LossMode::kQuantum: return "variational energy <E_loc> of H - Gamma sum sigma^x at the snapshot's Gamma";
    case LossMode::kRegularized: return "<E_loc> + T <log p> at the snapshot's T and Gamma";
  }
  return "?";
}

void createLayout(const Comm& comm, hid_t root, const LandscapeSettings& s,
                  const std::vector<LandscapeSnapshot>& snapshots) {
  const hsize_t na = s.grid.alpha.size(), nb = s.grid.beta.size();
  h5::Handle top = h5::createGroup(root, "landscape");
  h5::writeAttribute(top, "points", std::vector<std::int64_t>{static_cast<std::int64_t>(na), static_cast<std::int64_t>(nb)});
  h5::writeAttribute(top, "samples", static_cast<std::int64_t>(s.samples));
  h5::writeAttribute(top, "seed", static_cast<std::int64_t>(s.seed));
  h5::writeAttribute(top, "chunk_points", s.chunk_points);
  h5::writeAttribute(top, "sampling_step_base", static_cast<std::int64_t>(kLandscapeStepBase));
  std::vector<std::string> labels;
  for (const auto& sn : snapshots) labels.push_back(sn.label);
  h5::writeAttribute(top, "snapshots", labels);
  for (const auto& sn : snapshots) {
    h5::Handle g = h5::createGroup(top, sn.label);
    h5::writeAttribute(g, "label", sn.label);
    h5::writeAttribute(g, "snapshot_index", static_cast<std::int64_t>(sn.index));
    h5::writeAttribute(g, "after_update", sn.after_update);
    h5::writeAttribute(g, "temperature", sn.temperature);
    h5::writeAttribute(g, "gamma", sn.gamma);
    h5::writeAttribute(g, "mode", lossModeName(sn.mode));
    h5::writeAttribute(g, "loss", lossDescription(sn.mode));
    h5::writeDataset(g, "alpha", s.grid.alpha, comm.rank());
    h5::writeDataset(g, "beta", s.grid.beta, comm.rank());
    h5::writeDataset(g, "theta_star", sn.plane.theta_star, comm.rank());
    h5::writeDataset(g, "delta", sn.plane.delta, comm.rank());
    h5::writeDataset(g, "eta", sn.plane.eta, comm.rank());
    if (!sn.trajectory.empty()) {
      const hsize_t T = sn.trajectory.size() / 2;
      h5::writeDataset<double>(g, "trajectory", {T, 2}, sn.trajectory.data(), comm.rank());
      h5::writeDataset(g, "trajectory_residual", sn.trajectory_residual, comm.rank());
    }
    for (const char* name : kLandscapeValues) h5::createDataset<double>(g, name, {na, nb});
    for (const char* name : kLandscapeFlags) h5::createDataset<std::uint8_t>(g, name, {na, nb});
  }
  // Written last: a partial file without it was interrupted while being laid out.
  h5::writeAttribute(top, "layout_complete", std::int64_t(1));
}

// A resumed file must describe the same computation.
void checkLayout(hid_t root, const std::string& partial, const LandscapeSettings& s,
                 const std::vector<LandscapeSnapshot>& snapshots) {
  h5::Handle top = h5::openGroup(root, "landscape");
  auto refuse = [&](const std::string& what) {
    throw InputError(fmt::format("{}: {} differs from this run (was the source re-annealed?): start over with --force",
                                 partial, what));
  };
  for (const auto& sn : snapshots) {
    if (!h5::exists(top, sn.label)) refuse(fmt::format("the snapshot list ({} is missing)", sn.label));
    h5::Handle g = h5::openGroup(top, sn.label);
    if (h5::readDataset<double>(g, "alpha") != s.grid.alpha || h5::readDataset<double>(g, "beta") != s.grid.beta)
      refuse(fmt::format("the grid of {}", sn.label));
    if (h5::readDataset<double>(g, "theta_star") != sn.plane.theta_star) refuse(fmt::format("θ* of {}", sn.label));
    if (h5::readDataset<double>(g, "delta") != sn.plane.delta || h5::readDataset<double>(g, "eta") != sn.plane.eta)
      refuse(fmt::format("the directions of {}", sn.label));
  }
}

}  // namespace

LandscapeFile::LandscapeFile(const Comm& comm, ResultFile& file, const LandscapeSettings& s,
                             const std::vector<LandscapeSnapshot>& snapshots)
    : file_(file) {
  const hid_t root = file.root();
  // Fresh, resumed, or a partial file interrupted while being laid out.
  if (file.resumed() && h5::exists(root, "landscape") &&
      !h5::hasAttribute(h5::openGroup(root, "landscape"), "layout_complete"))
    VNA_H5(H5Ldelete(root, "landscape", H5P_DEFAULT));
  if (!file.resumed() || !h5::exists(root, "landscape"))
    createLayout(comm, root, s, snapshots);
  else
    checkLayout(root, file.partialPath().string(), s, snapshots);
  h5::Handle top = h5::openGroup(root, "landscape");
  for (const auto& sn : snapshots) {
    h5::Handle g = h5::openGroup(top, sn.label);
    dsets_.emplace_back();
    for (const char* name : kLandscapeValues) dsets_.back().push_back(h5::openDataset(g, name));
    for (const char* name : kLandscapeFlags) dsets_.back().push_back(h5::openDataset(g, name));
    labels_.push_back(sn.label);
  }
}

LandscapeFile::Done LandscapeFile::done(std::size_t si) const {
  Done d;
  if (!file_.resumed()) return d;
  h5::Handle g = h5::openGroup(h5::openGroup(file_.root(), "landscape"), labels_[si]);
  d.done = h5::readDataset<std::uint8_t>(g, "done");
  d.nonfinite = h5::readDataset<std::uint8_t>(g, "nonfinite");
  d.loss = h5::readDataset<double>(g, "loss");
  return d;
}

void LandscapeFile::writeChunk(std::size_t si, bool mine, const GridChunk& ch,
                               const std::vector<double> (&values)[kNumLandscapeValues],
                               const std::vector<std::uint8_t> (&flags)[kNumLandscapeFlags]) {
  const std::vector<hsize_t> off = {static_cast<hsize_t>(ch.i0), static_cast<hsize_t>(ch.j0)};
  const std::vector<hsize_t> cnt = {static_cast<hsize_t>(ch.ni), static_cast<hsize_t>(ch.nj)};
  const std::vector<hsize_t> none;
  // Values first, the done mask last: a point marked done always has its values.
  for (int q = 0; q < kNumLandscapeValues; ++q)
    h5::writeBlock<double>(dsets_[si][q], mine ? off : none, mine ? cnt : none, mine ? values[q].data() : nullptr);
  for (int q = kNumLandscapeFlags - 1; q >= 0; --q)
    h5::writeBlock<std::uint8_t>(dsets_[si][kNumLandscapeValues + q], mine ? off : none, mine ? cnt : none,
                                 mine ? flags[q].data() : nullptr);
}

void writeLandscapeDescription(const Comm& comm, ResultFile& file, const LandscapeRequest& r,
                               const std::string& source, const std::string& source_config,
                               const Trajectory& trajectory, const TrajectoryPca& pca) {
  const hid_t root = file.root();
  if (!h5::hasAttribute(root, "source")) {
    h5::writeAttribute(root, "source", source);
    h5::writeAttribute(root, "source_config", source_config);
    h5::writeAttribute(root, "directions", directionKindName(r.kind));
    h5::writeAttribute(root, "normalize", directionNormalizationName(r.normalize));
    h5::writeAttribute(root, "orthogonalize", static_cast<std::int64_t>(r.orthogonalize));
    h5::writeAttribute(root, "direction_seed", static_cast<std::int64_t>(r.direction_seed));
    h5::writeAttribute(root, "replica", r.replica);
    h5::writeAttribute(root, "line", static_cast<std::int64_t>(r.line));
  }
  if (h5::exists(root, "trajectory") || trajectory.size() == 0) return;
  h5::Handle g = h5::createGroup(root, "trajectory");
  h5::writeAttribute(g, "origin", trajectory.origin);
  h5::writeAttribute(g, "replica", r.replica);
  h5::writeDataset(g, "after_update", trajectory.after_update, comm.rank());
  if (!pca.components.empty()) {
    const hsize_t T = trajectory.size(), n = trajectory.num_params;
    h5::writeDataset<double>(g, "pca", {T, 2}, pca.coords.data(), comm.rank());
    h5::writeDataset<double>(g, "pca_components", {2, n}, pca.components.data(), comm.rank());
    h5::writeDataset(g, "pca_explained", pca.explained, comm.rank());
  }
}

}  // namespace vna
