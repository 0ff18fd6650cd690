#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/model.hpp"

namespace vna {

enum class CouplingDistribution { kPmJ, kGaussian, kUniform };

// "pm_j" | "gaussian" | "uniform"; anything else is an InputError naming `key`.
CouplingDistribution parseCouplingDistribution(const std::string& name, const std::string& key = "couplings");
std::string couplingDistributionName(CouplingDistribution d);

// The raw bond array of one Edwards-Anderson realization, exactly as the published 10x10 instances
// were drawn (data/README.md): std::mt19937(seed); a 53-bit double u = ((a>>5)·2^26 + (b>>6)) / 2^53
// from two consecutive outputs a, b; values drawn in row-major order over shape (lx, ly, 2), where
// [x][y][0] is the bond (x,y)–(x+1,y) and [x][y][1] the bond (x,y)–(x,y+1). Element index
// 2·(x·ly + y) + d. Per element:
//   uniform:  J = 2u − 1                                     (uniform in [−1, 1))
//   pm_j:     J = +1 if u >= 0.5 else −1                     (the sign of 2u − 1; one u per bond)
//   gaussian: J = sqrt(−2 ln(1 − u1)) · cos(2π u2)           (Box-Muller on two consecutive u's per
//                                                             bond; the sine partner is discarded)
// seed must fit in 32 bits (MT19937 seeds are 32-bit words); larger seeds are an InputError.
std::vector<double> edwardsAndersonBondArray(int lx, int ly, CouplingDistribution dist, std::uint64_t seed);

// 2D Edwards-Anderson spin glass on the lx × ly square lattice, site id = x + lx·y:
//   H = −Σ_<ij> J_ij σ_i σ_j
// with J from edwardsAndersonBondArray. Open boundaries skip the bonds that leave the lattice (they
// are still drawn, so the stream is the same for both boundary conditions); periodic boundaries wrap
// them and need lx, ly >= 3 in each wrapped direction of length > 1 (a length-2 wrap would repeat a
// bond). seed = 1, 10×10, open, uniform reproduces 10x10_uniform_seed1.txt of the published set.
Model edwardsAnderson(int lx, int ly, bool periodic, CouplingDistribution dist, std::uint64_t seed);

}  // namespace vna
