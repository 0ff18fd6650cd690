#pragma once
#include <cstdint>

#include "model/model.hpp"

namespace vna {

// Sherrington-Kirkpatrick spin glass on n fully connected spins:
//   H = −Σ_{i<j} J_ij σ_i σ_j,   J_ij = g_ij / sqrt(n),  g_ij ~ N(0, 1)
// g_ij drawn from RngStream(seed, RngPurpose::kDisorder, realization).normal() in row-major order
// over i < j: (0,1), (0,2), ..., (0,n−1), (1,2), ... . Lattice: Lattice::chain(n, "complete").
Model sherringtonKirkpatrick(int n, std::uint64_t seed, std::uint64_t realization);

}  // namespace vna
