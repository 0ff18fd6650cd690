#pragma once
// The largest |energy| any configuration of a Hamiltonian can have, and the bound vna enforces on it.
//
// |H(σ)| <= Σ_t |J_t| + Σ_i |h_i| (+ N|Γ| for the transverse part). vna requires this energy scale to be
// at most kMaxEnergyScale = 1e30: energies, their squares (variances, in double up to 1e308) and the
// REINFORCE gradients of float networks (sums of Ns weights of the size of an energy times ∇ log p,
// float up to 3.4e38) then stay finite. A larger scale (model.J: 1e308, a coupling of 1e35 in a file)
// is an input error instead of NaN losses or spurious ground states.
#include <string>

#include "model/hamiltonian.hpp"

namespace vna {

inline constexpr double kMaxEnergyScale = 1e30;

double energyScale(const Hamiltonian& h);

// Throws InputError("<what>: ...") when energyScale(h) > kMaxEnergyScale (or is not finite).
void checkEnergyScale(const Hamiltonian& h, const std::string& what);

}  // namespace vna
