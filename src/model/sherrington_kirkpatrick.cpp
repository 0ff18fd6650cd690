#include "model/sherrington_kirkpatrick.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "core/random.hpp"

namespace vna {

Model sherringtonKirkpatrick(int n, std::uint64_t seed, std::uint64_t realization) {
  if (n < 2) throw InputError(fmt::format("sherrington_kirkpatrick: N must be at least 2, got {}", n));
  Model m;
  m.hamiltonian = Hamiltonian(n);
  m.lattice = Lattice::chain(n, "complete");
  RngStream rng(seed, RngPurpose::kDisorder, realization);
  const double inv_sqrt_n = 1.0 / std::sqrt(static_cast<double>(n));
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) m.hamiltonian.addTerm(-rng.normal() * inv_sqrt_n, {i, j});
  m.hamiltonian.name = fmt::format("sherrington_kirkpatrick N={} seed={} realization={}", n, seed, realization);
  m.description = fmt::format("Sherrington-Kirkpatrick, N={}, J_ij ~ N(0,1)/sqrt(N), seed {}, realization {}", n, seed,
                              realization);
  return m;
}

}  // namespace vna
