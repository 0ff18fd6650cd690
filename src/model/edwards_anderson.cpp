#include "model/edwards_anderson.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <random>

#include "core/error.hpp"

namespace vna {

CouplingDistribution parseCouplingDistribution(const std::string& name, const std::string& key) {
  if (name == "pm_j") return CouplingDistribution::kPmJ;
  if (name == "gaussian") return CouplingDistribution::kGaussian;
  if (name == "uniform") return CouplingDistribution::kUniform;
  throw InputError(
      fmt::format("{}: unknown coupling distribution '{}' (expected pm_j, gaussian or uniform)", key, name));
}

std::string couplingDistributionName(CouplingDistribution d) {
  switch (d) {
    case CouplingDistribution::kPmJ:
      return "pm_j";
    case CouplingDistribution::kGaussian:
      return "gaussian";
    case CouplingDistribution::kUniform:
      return "uniform";
  }
  return "?";
}

namespace {

// The 53-bit double of the published generator (numpy's legacy random_sample / genrand_res53).
double res53(std::mt19937& g) {
  const std::uint64_t a = g() >> 5;  // 27 bits
  const std::uint64_t b = g() >> 6;  // 26 bits
  return static_cast<double>((a << 26) + b) * 0x1.0p-53;
}

}  // namespace

std::vector<double> edwardsAndersonBondArray(int lx, int ly, CouplingDistribution dist, std::uint64_t seed) {
  if (lx < 1 || ly < 1)
    throw InputError(fmt::format("edwards_anderson: Lx and Ly must be positive, got {}x{}", lx, ly));
  if (seed > std::numeric_limits<std::uint32_t>::max())
    throw InputError(
        fmt::format("edwards_anderson: seed {} (seed + realization) exceeds 2^32 - 1; MT19937 takes a "
                    "32-bit seed",
                    seed));
  std::mt19937 gen(static_cast<std::mt19937::result_type>(seed));
  std::vector<double> bonds(2 * static_cast<std::size_t>(lx) * ly);
  for (double& J : bonds) {
    switch (dist) {
      case CouplingDistribution::kUniform:
        J = 2.0 * res53(gen) - 1.0;
        break;
      case CouplingDistribution::kPmJ:
        J = res53(gen) >= 0.5 ? 1.0 : -1.0;
        break;
      case CouplingDistribution::kGaussian: {
        const double u1 = res53(gen);
        const double u2 = res53(gen);
        J = std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * M_PI * u2);
        break;
      }
    }
  }
  return bonds;
}

Model edwardsAnderson(int lx, int ly, bool periodic, CouplingDistribution dist, std::uint64_t seed) {
  if (lx < 1 || ly < 1 || lx * ly < 2)
    throw InputError(fmt::format("edwards_anderson: need at least 2 sites, got Lx={} Ly={}", lx, ly));
  if (periodic && ((lx > 1 && lx < 3) || (ly > 1 && ly < 3)))
    throw InputError(
        fmt::format("edwards_anderson: periodic boundaries need Lx, Ly >= 3 (got {}x{}): a wrap of "
                    "length 2 would repeat a bond",
                    lx, ly));
  const std::vector<double> bonds = edwardsAndersonBondArray(lx, ly, dist, seed);
  Model m;
  m.hamiltonian = Hamiltonian(lx * ly);
  m.lattice = Lattice::square(lx, ly);
  for (int x = 0; x < lx; ++x)
    for (int y = 0; y < ly; ++y)
      for (int d = 0; d < 2; ++d) {
        int nx = x + (d == 0), ny = y + (d == 1);
        if (nx == lx || ny == ly) {
          // A length-1 direction has no bonds along it, periodic or not.
          if (!periodic || (d == 0 && lx == 1) || (d == 1 && ly == 1)) continue;
          nx %= lx;
          ny %= ly;
        }
        const double J = bonds[2 * (static_cast<std::size_t>(x) * ly + y) + d];
        m.hamiltonian.addTerm(-J, {x + lx * y, nx + lx * ny});
      }
  const std::string bc = periodic ? "periodic" : "open";
  const std::string dname = couplingDistributionName(dist);
  m.hamiltonian.name = fmt::format("edwards_anderson {}x{} {} {} seed={}", lx, ly, bc, dname, seed);
  m.description = fmt::format("Edwards-Anderson, {}x{} square lattice ({} boundaries), {} couplings{}, mt19937 seed {}",
                              lx, ly, bc, dname, dist == CouplingDistribution::kUniform ? " in [-1,1)" : "", seed);
  return m;
}

}  // namespace vna
