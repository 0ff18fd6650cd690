#pragma once
// Exact density of states of the Newman-Moore model by a row-to-row transfer matrix: an
// exhaustive count over all 2^N configurations of the periodic L×L lattice, organised by rows so
// that it costs O(2^L/L · L² 2^L · N) instead of O(2^N). Independent of the GF(2) dual-code
// formula (exact/newman_moore_exact.hpp) and used to check it where brute force is impossible.
#include <vector>

#include "exact/thermodynamics.hpp"

namespace vna {

// Largest L accepted: the counts (up to 2^(L²)) must fit in 128 bits. The cost grows like
// 4^L L² N / L (L = 9: 0.15 s, L = 10: 0.8 s, L = 11: about 8 s on one core).
inline constexpr int kMaxTransferMatrixL = 11;

// g[m] = number of configurations with exactly m triangles whose spin product is +1 (the
// unsatisfied triangles for J > 0), m = 0..N; such a configuration has energy (J/2)(2m − N).
// Counts are exact integers internally (128 bit) and returned as long double, which is exact for
// every count below 2^64 (all of them for L <= 8) and within 1 part in 2^64 beyond.
// Σ g = 2^N and g[0] = 2^k.
std::vector<long double> newmanMooreDensityOfStates(int L);

// Per-spin thermodynamics of H = (J/2) Σ σσσ from the density of states above.
Thermodynamics newmanMooreThermodynamicsFromDos(const std::vector<long double>& dos, double J, double temperature);

}  // namespace vna
