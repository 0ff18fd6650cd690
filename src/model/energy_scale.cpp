#include "model/energy_scale.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"

namespace vna {

double energyScale(const Hamiltonian& h) {
  double s = 0.0;
  for (std::size_t t = 0; t < h.numTerms(); ++t) s += std::abs(h.termCoeff(t));
  for (double f : h.fields()) s += std::abs(f);
  return s + std::abs(h.transverseField()) * h.numSpins();
}

void checkEnergyScale(const Hamiltonian& h, const std::string& what) {
  const double s = energyScale(h);
  if (!(s <= kMaxEnergyScale))
    throw InputError(fmt::format(
        "{}: the couplings and fields are too large: |H| can reach sum|J| + sum|h| = {:.3g}, above the {:.0e} vna "
        "allows (energies, variances and gradients would overflow); rescale the model",
        what, s, kMaxEnergyScale));
}

}  // namespace vna
