#include "exact/thermodynamics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace vna {

Thermodynamics thermodynamicsFromLevels(const std::vector<double>& energies, const std::vector<long double>& counts,
                                        int num_spins, double temperature) {
  if (energies.size() != counts.size())
    throw Error(fmt::format("thermodynamicsFromLevels: {} energies but {} counts", energies.size(), counts.size()));
  if (num_spins <= 0) throw Error(fmt::format("thermodynamicsFromLevels: num_spins must be positive, got {}", num_spins));
  if (!(temperature >= 0.0) || !std::isfinite(temperature))
    throw InputError(fmt::format("thermodynamics: temperature must be finite and >= 0, got {}", temperature));
  double e0 = std::numeric_limits<double>::infinity();
  long double g0 = 0;
  for (std::size_t m = 0; m < counts.size(); ++m) {
    if (counts[m] < 0) throw Error("thermodynamicsFromLevels: negative level count");
    if (counts[m] > 0 && energies[m] < e0) e0 = energies[m];
  }
  if (!std::isfinite(e0)) throw Error("thermodynamicsFromLevels: no populated level");
  for (std::size_t m = 0; m < counts.size(); ++m)
    if (counts[m] > 0 && energies[m] == e0) g0 += counts[m];

  Thermodynamics t;
  t.temperature = temperature;
  const double n = num_spins;
  if (temperature == 0.0) {
    t.log_z = std::numeric_limits<double>::quiet_NaN();
    t.free_energy = t.energy = e0 / n;
    t.entropy = static_cast<double>(std::log(g0)) / n;
    return t;
  }
  const long double beta = 1.0L / temperature;
  long double s0 = 0, s1 = 0;  // Σ g e^{−βΔ}, Σ g Δ e^{−βΔ}
  for (std::size_t m = 0; m < counts.size(); ++m) {
    if (counts[m] == 0) continue;
    const long double delta = static_cast<long double>(energies[m]) - e0;
    const long double w = counts[m] * std::exp(-beta * delta);
    s0 += w;
    s1 += delta * w;
  }
  const long double log_s0 = std::log(s0), mean_delta = s1 / s0;
  t.log_z = static_cast<double>(-beta * e0 + log_s0);
  t.energy = static_cast<double>((e0 + mean_delta) / n);
  t.free_energy = static_cast<double>((e0 - log_s0 / beta) / n);
  t.entropy = static_cast<double>((log_s0 + beta * mean_delta) / n);
  return t;
}

}  // namespace vna
