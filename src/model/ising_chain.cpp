#include "model/ising_chain.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace vna {

Model isingChain(int n, double J, bool periodic, double h) {
  if (n < 2) throw InputError(fmt::format("ising_chain: N must be at least 2, got {}", n));
  if (periodic && n < 3)
    throw InputError(
        fmt::format("ising_chain: a periodic chain needs N >= 3, got {} (the wrapping bond would "
                    "repeat the only bond)",
                    n));
  Model m;
  m.hamiltonian = Hamiltonian(n);
  m.lattice = Lattice::chain(n);
  const int bonds = periodic ? n : n - 1;
  for (int i = 0; i < bonds; ++i) m.hamiltonian.addTerm(-J, {i, (i + 1) % n});
  if (h != 0.0)
    for (int i = 0; i < n; ++i) m.hamiltonian.addField(i, -h);
  m.hamiltonian.name = fmt::format("ising_chain N={} J={} h={}{}", n, J, h, periodic ? " periodic" : "");
  m.description = fmt::format("Ising chain, N={}, J={}, h={}, {} boundaries", n, J, h, periodic ? "periodic" : "open");

  // Ground truth in closed form: with J >= 0 every bond and every field term is minimized at once by
  // the aligned state(s) along h; with J < 0 and h = 0 the Néel states minimize every bond when the
  // chain is bipartite (open, or periodic with even N).
  if (J >= 0.0) {
    if (h >= 0.0) m.ground_states.push_back(std::vector<Bit>(n, 1));
    if (h <= 0.0) m.ground_states.push_back(std::vector<Bit>(n, 0));
    m.ground_truth_origin = "closed form (aligned spins)";
  } else if (h == 0.0 && (!periodic || n % 2 == 0)) {
    std::vector<Bit> neel(n);
    for (int i = 0; i < n; ++i) neel[i] = static_cast<Bit>(i % 2);
    m.ground_states.push_back(neel);
    for (auto& b : neel) b ^= 1;
    m.ground_states.push_back(neel);
    m.ground_truth_origin = "closed form (Néel states)";
  }
  if (!m.ground_states.empty()) m.ground_energy = m.hamiltonian.energy(m.ground_states.front());
  return m;
}

}  // namespace vna
