#include "landscape/landscape_plane.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "config/config.hpp"
#include "core/error.hpp"

namespace vna {

namespace {

std::size_t findSnapshot(const LandscapeSource& s, const Config& cfg, const std::string& key, const std::string& label) {
  for (std::size_t i = 0; i < s.snapshots.size(); ++i)
    if (s.snapshots[i].label == label) return i;
  std::string labels;
  for (const auto& x : s.snapshots) labels += (labels.empty() ? "" : ", ") + x.label;
  cfg.fail(key, fmt::format("unknown snapshot '{}' in {} (it has: {})", label, s.path, labels));
}

std::vector<std::size_t> chosenSnapshots(const LandscapeRequest& r, const LandscapeSource& s, const Config& cfg) {
  std::vector<std::size_t> chosen;
  for (const auto& label : r.snapshots) {
    const std::size_t i = findSnapshot(s, cfg, "landscape.snapshots", label);
    if (std::find(chosen.begin(), chosen.end(), i) != chosen.end())
      cfg.fail("landscape.snapshots", fmt::format("snapshot '{}' is listed twice", label));
    chosen.push_back(i);
  }
  if (chosen.empty())
    for (std::size_t i = 0; i < s.snapshots.size(); ++i) chosen.push_back(i);
  return chosen;
}

// The raw directions, shared by all snapshots (normalized per snapshot).
void rawDirections(const LandscapeRequest& r, const LandscapeSource& s, const TrajectoryPca& pca, std::size_t n,
                   const Config& cfg, std::vector<double>& delta, std::vector<double>& eta) {
  switch (r.kind) {
    case DirectionKind::kGaussian:
      delta = gaussianDirection(r.direction_seed, 0, n);
      eta = gaussianDirection(r.direction_seed, 1, n);
      break;
    case DirectionKind::kSnapshots: {
      const std::size_t a = findSnapshot(s, cfg, "landscape.directions.snapshots", r.direction_snapshots[0]);
      const std::size_t b = findSnapshot(s, cfg, "landscape.directions.snapshots", r.direction_snapshots[1]);
      if (a == b) cfg.fail("landscape.directions.snapshots", "needs two different snapshots");
      delta.resize(n);
      for (std::size_t i = 0; i < n; ++i) delta[i] = s.snapshots[b].theta[i] - s.snapshots[a].theta[i];
      eta = gaussianDirection(r.direction_seed, 1, n);
      break;
    }
    case DirectionKind::kPca:
      delta.assign(pca.components.begin(), pca.components.begin() + n);
      eta.assign(pca.components.begin() + n, pca.components.end());
      break;
  }
}

LandscapeSnapshot planeOf(const LandscapeRequest& r, const LandscapeSource& s, std::size_t i, const ParamLayout& layout,
                          const std::vector<double>& delta, const std::vector<double>& eta, const Config& cfg) {
  const SourceSnapshot& a = s.snapshots[i];
  LandscapeSnapshot sn;
  sn.label = a.label;
  sn.index = static_cast<std::uint32_t>(i);
  sn.after_update = a.after_update;
  sn.temperature = a.temperature;
  sn.gamma = a.gamma;
  sn.mode = parseLossMode(a.mode);
  sn.plane.theta_star = a.theta;
  sn.plane.delta = delta;
  sn.plane.eta = eta;
  normalizeDirection(sn.plane.delta, sn.plane.theta_star, layout, r.normalize);
  normalizeDirection(sn.plane.eta, sn.plane.theta_star, layout, r.normalize);
  if (r.orthogonalize) {
    try {
      orthogonalize(sn.plane.delta, sn.plane.eta);
    } catch (const InputError& e) {
      cfg.fail("landscape.directions.orthogonalize", fmt::format("snapshot {}: {}", a.label, e.what()));
    }
  }
  if (s.trajectory.size() > 0) {
    try {
      const PlaneProjection proj = projectOntoPlane(s.trajectory, sn.plane.theta_star, sn.plane.delta, sn.plane.eta);
      sn.trajectory = proj.coords;
      sn.trajectory_residual = proj.residual;
    } catch (const InputError& e) {
      cfg.fail("landscape.directions.kind", fmt::format("snapshot {}: {}", a.label, e.what()));
    }
  }
  return sn;
}

}  // namespace

LandscapePlanes landscapePlanes(const LandscapeRequest& r, const LandscapeSource& s, const ParamLayout& layout,
                                const Config& cfg) {
  const std::vector<std::size_t> chosen = chosenSnapshots(r, s, cfg);
  LandscapePlanes out;
  if (s.trajectory.size() >= 3 || r.kind == DirectionKind::kPca) {
    try {
      out.pca = trajectoryPca(s.trajectory);
    } catch (const InputError& e) {
      if (r.kind == DirectionKind::kPca)
        cfg.fail("landscape.directions.kind", fmt::format("pca: {} ({})", e.what(), s.path));
    }
  }
  std::vector<double> delta, eta;
  rawDirections(r, s, out.pca, layout.total, cfg, delta, eta);
  for (const std::size_t i : chosen) out.snapshots.push_back(planeOf(r, s, i, layout, delta, eta, cfg));
  return out;
}

}  // namespace vna
