#pragma once
#include <cstdint>

#include "model/model.hpp"

namespace vna {

// Wishart planted ensemble (Hamze et al., PRE 101, 052102 (2020)) on n fully connected spins:
//   M = round(alpha·n) columns z_μ ∈ {±1}^n   (z_iμ = +1 if u >= 0.5 else −1, u drawn from
//       RngStream(seed, RngPurpose::kDisorder, realization).uniform() in row-major order over (i, μ))
//   W = A Z / sqrt(n(n−1)),  A = n·I − 1 1ᵀ      (columns of W are orthogonal to 1 = (1,...,1))
//   J = −W Wᵀ / n with the diagonal zeroed
//   H = −(1/2) sᵀ J s = −Σ_{i<j} J_ij s_i s_j
// Since Wᵀ1 = 0 and W Wᵀ is positive semidefinite, s = ±1 are ground states (planted).
// B = A Z and B Bᵀ are integer matrices computed exactly in double precision, and J_ij is one
// correctly rounded division of (B Bᵀ)_ij, so the couplings are bit-identical on every machine.
// Requires n >= 2 and alpha·n >= 1. Model::ground_states = {all up, all down}, ground_energy = the
// Hamiltonian's energy of the all-up state, ground_truth_origin = "planted".
Model wishartPlanted(int n, double alpha, std::uint64_t seed, std::uint64_t realization);

}  // namespace vna
