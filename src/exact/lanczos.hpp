#pragma once
// Matrix-free Lanczos for the transverse-field Hamiltonian H_Γ = H_cl − Γ Σ_i σ^x_i in the σ^z
// basis (N <= 25): ground energy E0(Γ) and the first excited level E1(Γ).
//
// Basis state s ∈ [0, 2^N) has bit i = b_i (bit 1 = up); H_cl is diagonal (computed once with a
// Gray-code walk) and −Γ σ^x_i couples s and s ^ (1 << i). Each rank computes the whole problem
// (no MPI distribution: it is meant for reference values at N <= 25).
#include <cstdint>
#include <functional>
#include <vector>

#include "model/hamiltonian.hpp"

namespace vna {

inline constexpr int kMaxLanczosSpins = 25;

struct LanczosOptions {
  // Stop when the residual estimate β_m |y_m| of the lowest Ritz pair is below
  // tolerance · max(1, |θ|); the eigenvalue error is at most that residual.
  double tolerance = 1e-12;
  int max_iterations = 5000;  // per Lanczos run; exceeding it throws vna::Error
  bool compute_gap = true;    // second, deflated run for E1
  std::uint64_t seed = 1;     // start vector: 1 + 0.1 (u_s − 1/2), u_s uniform from Philox(seed, s)
  // Called after every Lanczos step with the run ("ground energy", "ground state", "gap"), the step
  // and the latest residual estimate (NaN before the first check): progress lines, and a way to stop
  // (it may throw, e.g. vna::Interrupted on a signal).
  std::function<void(const char* run, int step, double residual)> on_step;
};

struct LanczosResult {
  double gamma = 0.0;
  double ground_energy = 0.0;    // E0(Γ)
  double first_excited = 0.0;    // E1(Γ) (equal to E0 when the ground level is degenerate); NaN without gap
  double gap = 0.0;              // E1 − E0; NaN without gap
  double ground_residual = 0.0;  // ‖H ψ0 − E0 ψ0‖ of the reconstructed, normalised ground state
  int iterations = 0;            // Lanczos steps of the ground-state run
  int gap_iterations = 0;        // Lanczos steps of the deflated run
};

class TransverseFieldLanczos {
 public:
  // Builds the diagonal of H_cl for all 2^N states (the Hamiltonian's own transverse field is
  // ignored: Γ is passed to solve()). Throws InputError for N > kMaxLanczosSpins.
  explicit TransverseFieldLanczos(const Hamiltonian& h);

  int numSpins() const { return n_; }
  std::int64_t dimension() const { return static_cast<std::int64_t>(diagonal_.size()); }
  const std::vector<double>& diagonal() const { return diagonal_; }

  // y = H_Γ x (both of length dimension()).
  void apply(double gamma, const std::vector<double>& x, std::vector<double>& y) const;

  // E0 and (optionally) E1 at transverse field Γ. Γ < 0 has the same spectrum as |Γ| (conjugation
  // by Π σ^z); Γ = 0 is read off the diagonal exactly. If `ground_state` is given it receives the
  // normalised ground state (2^N amplitudes; positive for Γ > 0 by Perron-Frobenius).
  LanczosResult solve(double gamma, const LanczosOptions& options = {},
                      std::vector<double>* ground_state = nullptr) const;

  // solve() for each Γ in turn (the diagonal is shared): the E0(Γ) and gap curves.
  std::vector<LanczosResult> scan(const std::vector<double>& gammas, const LanczosOptions& options = {}) const;

 private:
  int n_ = 0;
  std::vector<double> diagonal_;
};

}  // namespace vna
