#include "model/wishart_planted.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <cmath>

#include "core/error.hpp"
#include "core/random.hpp"

namespace vna {

Model wishartPlanted(int n, double alpha, std::uint64_t seed, std::uint64_t realization) {
  if (n < 2) throw InputError(fmt::format("wishart_planted: N must be at least 2, got {}", n));
  if (!(alpha * n >= 1.0))
    throw InputError(
        fmt::format("wishart_planted: alpha*N must be at least 1 (M = round(alpha*N) columns), got "
                    "alpha={} N={}",
                    alpha, n));
  const long m_cols = std::lround(alpha * n);
  // Exactness of the integer products below: |B_iμ| < 2n, so |(B Bᵀ)_ij| < 4 M n² must stay below 2^53.
  if (4.0 * static_cast<double>(m_cols) * n * n >= 0x1.0p53)
    throw InputError(fmt::format("wishart_planted: N={} with M={} is too large for exact couplings", n, m_cols));

  RngStream rng(seed, RngPurpose::kDisorder, realization);
  Eigen::MatrixXd z(n, m_cols);
  for (int i = 0; i < n; ++i)
    for (long mu = 0; mu < m_cols; ++mu) z(i, mu) = rng.uniform() >= 0.5 ? 1.0 : -1.0;
  // B = A Z = n Z − 1 (1ᵀ Z): integer entries.
  const Eigen::RowVectorXd col_sums = z.colwise().sum();
  const Eigen::MatrixXd b = static_cast<double>(n) * z - Eigen::VectorXd::Ones(n) * col_sums;
  const Eigen::MatrixXd g = b * b.transpose();
  // J = −W Wᵀ / n = −(B Bᵀ) / (n · n(n−1)).
  const double denom = static_cast<double>(n) * n * (n - 1);

  Model m;
  m.hamiltonian = Hamiltonian(n);
  m.lattice = Lattice::chain(n, "complete");
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) {
      const double J = -g(i, j) / denom;
      m.hamiltonian.addTerm(-J, {i, j});
    }
  m.hamiltonian.name = fmt::format("wishart_planted N={} alpha={} seed={} realization={}", n, alpha, seed, realization);
  m.description = fmt::format("Wishart planted ensemble, N={}, alpha={} (M={}), seed {}, realization {}", n, alpha,
                              m_cols, seed, realization);
  m.ground_states.push_back(std::vector<Bit>(n, 1));
  m.ground_states.push_back(std::vector<Bit>(n, 0));
  m.ground_energy = m.hamiltonian.energy(m.ground_states.front());
  m.ground_truth_origin = "planted";
  return m;
}

}  // namespace vna
