#include "model/newman_moore.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "exact/newman_moore_exact.hpp"

namespace vna {

Model newmanMoore(int L, double J) {
  if (L < 2) throw InputError(fmt::format("newman_moore: L must be at least 2, got {}", L));
  Model m;
  const int n = L * L;
  m.hamiltonian = Hamiltonian(n);
  m.lattice = Lattice::square(L, L, "triangular");
  for (int y = 0; y < L; ++y)
    for (int x = 0; x < L; ++x)
      m.hamiltonian.addTerm(0.5 * J, {x + L * y, (x + 1) % L + L * y, x + L * ((y + 1) % L)});
  m.hamiltonian.name = fmt::format("newman_moore L={} J={}", L, J);
  m.description = fmt::format("Newman-Moore, {}x{} triangular lattice (periodic), J={}", L, L, J);
  m.ground_energy = -0.5 * std::abs(J) * n;
  if (J > 0) {
    m.ground_states.push_back(std::vector<Bit>(n, 0));  // all down: every triangle product is -1
    m.ground_truth_origin = "closed form (all spins down)";
  } else {
    m.ground_states.push_back(std::vector<Bit>(n, 1));  // all up: every product is +1
    m.ground_truth_origin = "closed form (all spins up)";
  }
  // 2^k ground states, k = N − rank_GF(2) of the triangle map (doc/physics.md).
  const int k = newmanMooreDegeneracyExponent(L);
  if (k < 62) m.num_ground_states = std::int64_t(1) << k;
  return m;
}

}  // namespace vna
