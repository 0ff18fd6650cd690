#pragma once
// Equilibrium thermodynamics per spin at one temperature, the common result type of the exact
// solvers (Newman-Moore dual code, transfer matrix, exhaustive enumeration).
#include <vector>

namespace vna {

// Units: k_B = 1, energies in the Hamiltonian's units. Per-spin quantities divide by N.
// At T = 0 the fields hold the T → 0 limits: free_energy = energy = E0/N, entropy = ln(g0)/N
// (g0 = ground-state degeneracy), and log_z is NaN (ln Z diverges like −E0/T).
struct Thermodynamics {
  double temperature = 0.0;
  double log_z = 0.0;        // ln Z (total, not per spin)
  double free_energy = 0.0;  // F/N = −T ln Z / N
  double energy = 0.0;       // <E>/N
  double entropy = 0.0;      // S/N = (<E> − F) / (N T)
};

// Thermodynamics of a discrete spectrum: `counts[m]` states at energy `energies[m]` (levels with
// zero count are ignored; at least one count must be positive). Sums are shifted by the lowest
// populated level so nothing overflows, and the entropy is formed as ln Σ g e^{−βΔ} + β<Δ>
// (Δ = E − E0) so it keeps full relative precision at low T. Throws InputError for T < 0.
Thermodynamics thermodynamicsFromLevels(const std::vector<double>& energies, const std::vector<long double>& counts,
                                        int num_spins, double temperature);

}  // namespace vna
