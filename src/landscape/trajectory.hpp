#pragma once
// The optimization trajectory θ_0, θ_1, ... of an annealing replica, for overlay on its landscapes:
// its least-squares coordinates in a landscape plane θ* + αδ + βη, and its own PCA plane (Li et al.,
// "Visualizing the loss landscape of neural nets": principal axes of θ_t − θ_final).
#include <cstdint>
#include <string>
#include <vector>

namespace vna {

struct Trajectory {
  std::vector<std::int64_t> after_update;  // [T] θ_t is the network after this update (-1: initial)
  std::vector<double> params;              // [T][n]
  std::size_t num_params = 0;
  std::string origin;                      // the source datasets, e.g. "anneal/snapshots"
  std::size_t size() const { return after_update.size(); }
  const double* point(std::size_t t) const { return params.data() + t * num_params; }
};

struct PlaneProjection {
  std::vector<double> coords;    // [T][2]: (α_t, β_t) minimizing ‖θ_t − θ* − α δ − β η‖
  std::vector<double> residual;  // [T]: that minimal distance (how far θ_t is from the plane)
};

// Throws InputError when δ and η are (numerically) parallel.
PlaneProjection projectOntoPlane(const Trajectory& trajectory, const std::vector<double>& theta_star,
                                 const std::vector<double>& delta, const std::vector<double>& eta);

struct TrajectoryPca {
  std::vector<double> components;  // [2][n], orthonormal
  std::vector<double> coords;      // [T][2]: (θ_t − θ_final) · component
  std::vector<double> explained;   // [2]: share of Σ_t ‖θ_t − θ_final‖² along each component
  std::vector<double> center;      // [n]: θ_final (the last point), the origin of the plane
};

// The first two principal axes of {θ_t − θ_final} (Gram-matrix eigenvectors, Eigen). Each axis has
// the sign that puts θ_0 at a coordinate <= 0. Throws InputError when the trajectory spans fewer than
// two directions (fewer than 3 distinct points).
TrajectoryPca trajectoryPca(const Trajectory& trajectory);

}  // namespace vna
