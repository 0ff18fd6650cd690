#include "landscape/trajectory.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <cmath>

#include "core/error.hpp"

namespace vna {

PlaneProjection projectOntoPlane(const Trajectory& tr, const std::vector<double>& theta_star,
                                 const std::vector<double>& delta, const std::vector<double>& eta) {
  const std::size_t n = tr.num_params;
  if (theta_star.size() != n || delta.size() != n || eta.size() != n)
    throw Error("projectOntoPlane: sizes of the trajectory, θ* and the directions differ");
  Eigen::Map<const Eigen::VectorXd> d(delta.data(), n), e(eta.data(), n), t0(theta_star.data(), n);
  Eigen::Matrix2d gram;
  gram << d.squaredNorm(), d.dot(e), d.dot(e), e.squaredNorm();
  // |cos(δ, η)| = 1 within rounding: no plane.
  if (!(gram.determinant() > 1e-12 * gram(0, 0) * gram(1, 1)))
    throw InputError("landscape: the directions δ and η are parallel (or zero); the plane is undefined");
  const Eigen::LDLT<Eigen::Matrix2d> solver(gram);
  PlaneProjection out;
  out.coords.resize(2 * tr.size());
  out.residual.resize(tr.size());
  for (std::size_t t = 0; t < tr.size(); ++t) {
    const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(tr.point(t), n) - t0;
    const Eigen::Vector2d c = solver.solve(Eigen::Vector2d(d.dot(x), e.dot(x)));
    out.coords[2 * t] = c(0);
    out.coords[2 * t + 1] = c(1);
    out.residual[t] = (x - c(0) * d - c(1) * e).norm();
  }
  return out;
}

TrajectoryPca trajectoryPca(const Trajectory& tr) {
  const std::size_t T = tr.size(), n = tr.num_params;
  if (T < 3) throw InputError(fmt::format("the trajectory has {} point(s); its PCA plane needs at least 3", T));
  Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> all(tr.params.data(), T, n);
  const Eigen::RowVectorXd last = all.row(T - 1);
  const Eigen::MatrixXd X = all.rowwise() - last;  // [T][n]
  // T is small (snapshots or a thinned trajectory) and n large: diagonalize the T × T Gram matrix.
  const Eigen::MatrixXd G = X * X.transpose();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(G);
  if (eig.info() != Eigen::Success) throw Error("trajectoryPca: eigen decomposition failed");
  const double total = G.trace();
  TrajectoryPca out;
  out.components.resize(2 * n);
  out.coords.resize(2 * T);
  out.explained.resize(2);
  out.center.assign(last.data(), last.data() + n);
  for (int k = 0; k < 2; ++k) {
    const Eigen::Index col = static_cast<Eigen::Index>(T) - 1 - k;  // eigenvalues ascend
    const double lambda = eig.eigenvalues()(col);
    // A second axis below rounding noise of the first means all points lie on a line.
    if (!(total > 0) || !(lambda > 1e-12 * total))
      throw InputError("the trajectory spans fewer than two directions: its PCA plane is undefined");
    Eigen::VectorXd v = eig.eigenvectors().col(col);
    if (v(0) > 0) v = -v;  // θ_0 at a coordinate <= 0
    const Eigen::VectorXd u = X.transpose() * v / std::sqrt(lambda);
    for (std::size_t i = 0; i < n; ++i) out.components[k * n + i] = u(i);
    const Eigen::VectorXd c = X * u;
    for (std::size_t t = 0; t < T; ++t) out.coords[2 * t + k] = c(t);
    out.explained[k] = lambda / total;
  }
  return out;
}

}  // namespace vna
