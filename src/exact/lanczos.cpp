#include "exact/lanczos.hpp"

#include <fmt/format.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/random.hpp"
#include "exact/gray_walk.hpp"

namespace vna {

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// y -= c x
void axpy(double c, const std::vector<double>& x, std::vector<double>& y) {
  for (std::size_t i = 0; i < y.size(); ++i) y[i] -= c * x[i];
}

void scale(double c, std::vector<double>& x) {
  for (double& v : x) v *= c;
}

struct Ritz {
  double theta = 0.0;         // lowest eigenvalue of T_m
  Eigen::VectorXd y;          // its eigenvector
  double residual = 0.0;      // β_m |y_{m−1}|: ‖H x − θ x‖ of the Ritz vector x = V y
};

Ritz lowestRitz(const std::vector<double>& alpha, const std::vector<double>& beta, std::size_t m) {
  Eigen::VectorXd diag(m), sub(m > 1 ? m - 1 : 0);
  for (std::size_t j = 0; j < m; ++j) diag[j] = alpha[j];
  for (std::size_t j = 0; j + 1 < m; ++j) sub[j] = beta[j];
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver;
  solver.computeFromTridiagonal(diag, sub, Eigen::ComputeEigenvectors);
  if (solver.info() != Eigen::Success) throw Error("Lanczos: tridiagonal eigensolver did not converge");
  Ritz r;
  r.theta = solver.eigenvalues()[0];  // ascending
  r.y = solver.eigenvectors().col(0);
  r.residual = std::fabs(beta[m - 1] * r.y[m - 1]);
  return r;
}

// One Lanczos run from the normalised v0. With `deflate`, every new vector is projected
// orthogonal to it (the spectrum of H restricted to deflate⊥). With `replay` (a finished run's
// coefficients in alpha/beta), the same recurrence is executed again, bitwise identically, to
// accumulate the Ritz vector Σ y_j v_j into *replay_out instead of storing the Krylov basis.
struct LanczosRun {
  std::vector<double> alpha, beta;  // T_m: diagonal and β_j = ‖w_j‖ (beta[m−1] = residual norm)
  Ritz ritz;
  int steps = 0;
};

LanczosRun lanczos(const char* name, const TransverseFieldLanczos& op, double gamma, const std::vector<double>& v0,
                   const std::vector<double>* deflate, const LanczosOptions& options,
                   const LanczosRun* replay = nullptr, std::vector<double>* replay_out = nullptr) {
  const std::size_t dim = v0.size();
  const std::size_t max_steps = std::min<std::size_t>(static_cast<std::size_t>(options.max_iterations), dim);
  LanczosRun run;
  std::vector<double> v = v0, v_prev(dim, 0.0), w(dim);
  if (replay_out) replay_out->assign(dim, 0.0);
  double beta_prev = 0.0;
  double norm_estimate = 0.0;  // max |α| + 2 max β, a bound on ‖T‖ used for breakdown detection
  std::size_t next_check = 8;
  double residual = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t j = 0;; ++j) {
    if (options.on_step && j > 0) options.on_step(name, static_cast<int>(j), residual);
    if (replay_out) axpy(-replay->ritz.y[static_cast<Eigen::Index>(j)], v, *replay_out);
    if (replay && j + 1 == static_cast<std::size_t>(replay->steps)) break;
    op.apply(gamma, v, w);
    const double alpha = replay ? replay->alpha[j] : dot(v, w);
    axpy(alpha, v, w);
    if (j > 0) axpy(beta_prev, v_prev, w);
    if (deflate) axpy(dot(*deflate, w), *deflate, w);
    const double beta = replay ? replay->beta[j] : std::sqrt(dot(w, w));
    if (!replay) {
      run.alpha.push_back(alpha);
      run.beta.push_back(beta);
      norm_estimate = std::max(norm_estimate, std::fabs(alpha) + 2.0 * beta);
      const std::size_t m = j + 1;
      // An invariant subspace (β ≈ 0) or the full space ends the recurrence exactly.
      const bool breakdown = beta <= 1e-14 * norm_estimate || m == dim;
      if (breakdown || m == next_check || m == max_steps) {
        run.ritz = lowestRitz(run.alpha, run.beta, m);
        if (breakdown) run.ritz.residual = 0.0;
        residual = run.ritz.residual;
        run.steps = static_cast<int>(m);
        if (run.ritz.residual <= options.tolerance * std::max(1.0, std::fabs(run.ritz.theta))) return run;
        if (m == max_steps)
          throw Error(fmt::format(
              "Lanczos (Γ={}): no convergence in {} steps (residual {:.3e}, tolerance {:.1e} relative)", gamma, m,
              run.ritz.residual, options.tolerance));
        // Eigenvectors of T_m cost O(m²)-O(m³): check on a geometric schedule (≤ 10% extra steps).
        next_check = std::max(m + 4, m + m / 10);
        next_check = std::min(next_check, max_steps);
      }
    }
    std::swap(v_prev, v);
    v.swap(w);
    scale(1.0 / beta, v);
    beta_prev = beta;
  }
  return run;
}

std::vector<double> startVector(std::int64_t dim, std::uint64_t seed) {
  const RngKey key = makeRngKey(seed, RngPurpose::kAnalysis);
  std::vector<double> v(dim);
  for (std::int64_t s = 0; s < dim; ++s) {
    const RngWords r = philox(key, static_cast<std::uint32_t>(s), static_cast<std::uint32_t>(s >> 32), 0x4c414e43u, 0u);
    v[s] = 1.0 + 0.1 * (uniformDouble(r.v[0], r.v[1]) - 0.5);
  }
  scale(1.0 / std::sqrt(dot(v, v)), v);
  return v;
}

}  // namespace

TransverseFieldLanczos::TransverseFieldLanczos(const Hamiltonian& h) : n_(h.numSpins()) {
  if (n_ < 1 || n_ > kMaxLanczosSpins)
    throw InputError(fmt::format("Lanczos: N = {} is outside [1, {}]", n_, kMaxLanczosSpins));
  diagonal_.resize(std::size_t(1) << n_);
  std::vector<Bit> bits;
  grayWalkBlock(h, 0, n_, bits, [&](std::uint64_t index, double e, const Bit*) { diagonal_[index] = e; });
}

void TransverseFieldLanczos::apply(double gamma, const std::vector<double>& x, std::vector<double>& y) const {
  const std::size_t dim = diagonal_.size();
  if (x.size() != dim) throw Error(fmt::format("Lanczos apply: vector of length {}, expected {}", x.size(), dim));
  y.resize(dim);
  // σ^x_i pairs s (bit i clear) with s + 2^i. The flips of the low bits stay inside cache-sized
  // tiles of 2^kTileBits states and are applied tile by tile (one pass over memory for all of
  // them); each higher bit is one streaming pass over contiguous half-blocks.
  constexpr int kTileBits = 13;  // 2 × 64 KiB of x and y per tile
  const int tile_bits = std::min(n_, kTileBits);
  const std::size_t tile = std::size_t(1) << tile_bits;
  for (std::size_t t0 = 0; t0 < dim; t0 += tile) {
    double* yt = y.data() + t0;
    const double* xt = x.data() + t0;
    const double* dt = diagonal_.data() + t0;
    for (std::size_t s = 0; s < tile; ++s) yt[s] = dt[s] * xt[s];
    if (gamma == 0.0) continue;
    for (int i = 0; i < tile_bits; ++i) {
      const std::size_t half = std::size_t(1) << i;
      for (std::size_t a = 0; a < tile; a += 2 * half)
        for (std::size_t s = a; s < a + half; ++s) {
          yt[s] -= gamma * xt[s + half];
          yt[s + half] -= gamma * xt[s];
        }
    }
  }
  if (gamma == 0.0) return;
  for (int i = tile_bits; i < n_; ++i) {
    const std::size_t half = std::size_t(1) << i;
    for (std::size_t a = 0; a < dim; a += 2 * half)
      for (std::size_t s = a; s < a + half; ++s) {
        y[s] -= gamma * x[s + half];
        y[s + half] -= gamma * x[s];
      }
  }
}

LanczosResult TransverseFieldLanczos::solve(double gamma, const LanczosOptions& options,
                                            std::vector<double>* ground_state) const {
  if (!std::isfinite(gamma)) throw InputError(fmt::format("Lanczos: Γ must be finite, got {}", gamma));
  if (!(options.tolerance > 0.0) || options.max_iterations < 1)
    throw InputError(fmt::format("Lanczos: need tolerance > 0 and max_iterations >= 1 (got {}, {})",
                                 options.tolerance, options.max_iterations));
  LanczosResult result;
  result.gamma = gamma;
  result.first_excited = result.gap = std::numeric_limits<double>::quiet_NaN();
  const std::size_t dim = diagonal_.size();

  if (gamma == 0.0) {
    // Diagonal: the spectrum is the list of classical energies (E1 = E0 if degenerate).
    std::size_t i0 = 0;
    for (std::size_t s = 1; s < dim; ++s)
      if (diagonal_[s] < diagonal_[i0]) i0 = s;
    result.ground_energy = diagonal_[i0];
    if (options.compute_gap && dim > 1) {
      double e1 = std::numeric_limits<double>::infinity();
      for (std::size_t s = 0; s < dim; ++s)
        if (s != i0) e1 = std::min(e1, diagonal_[s]);
      result.first_excited = e1;
      result.gap = e1 - result.ground_energy;
    }
    if (ground_state) {
      ground_state->assign(dim, 0.0);
      (*ground_state)[i0] = 1.0;
    }
    return result;
  }

  // H(−Γ) = U H(Γ) U with U = Π σ^z: same spectrum; work at |Γ| where the ground state is positive.
  const double g = std::fabs(gamma);
  const std::vector<double> v0 = startVector(static_cast<std::int64_t>(dim), options.seed);
  const LanczosRun run = lanczos("ground energy", *this, g, v0, nullptr, options);
  result.ground_energy = run.ritz.theta;
  result.iterations = run.steps;

  std::vector<double> psi;
  lanczos("ground state", *this, g, v0, nullptr, options, &run, &psi);
  double total = 0.0;
  for (double a : psi) total += a;
  scale((total < 0 ? -1.0 : 1.0) / std::sqrt(dot(psi, psi)), psi);  // sign: positive for Γ > 0
  std::vector<double> h_psi;
  apply(g, psi, h_psi);
  axpy(result.ground_energy, psi, h_psi);
  result.ground_residual = std::sqrt(dot(h_psi, h_psi));

  if (options.compute_gap && dim > 1) {
    std::vector<double> u0 = v0;
    axpy(dot(psi, u0), psi, u0);
    scale(1.0 / std::sqrt(dot(u0, u0)), u0);
    const LanczosRun excited = lanczos("gap", *this, g, u0, &psi, options);
    result.first_excited = excited.ritz.theta;
    result.gap = result.first_excited - result.ground_energy;
    result.gap_iterations = excited.steps;
  }
  if (ground_state) {
    if (gamma < 0)
      for (std::size_t s = 0; s < dim; ++s)
        if ((n_ - __builtin_popcountll(s)) & 1) psi[s] = -psi[s];  // U = Π σ^z: −1 per down spin
    *ground_state = std::move(psi);
  }
  return result;
}

std::vector<LanczosResult> TransverseFieldLanczos::scan(const std::vector<double>& gammas,
                                                        const LanczosOptions& options) const {
  std::vector<LanczosResult> out;
  out.reserve(gammas.size());
  for (double g : gammas) out.push_back(solve(g, options));
  return out;
}

}  // namespace vna
