#include "device_hamiltonian.hpp"

#include <fmt/format.h>

#include <vector>

#include "core/error.hpp"

namespace vna {

namespace {

template <class T>
Kokkos::View<T*, DeviceHamiltonian::memory_space> toDevice(const std::string& label, const std::vector<T>& host) {
  Kokkos::View<T*, DeviceHamiltonian::memory_space> view(label, host.size());
  auto mirror = Kokkos::create_mirror_view(view);
  for (std::size_t i = 0; i < host.size(); ++i) mirror(i) = host[i];
  Kokkos::deep_copy(view, mirror);
  return view;
}

struct EnergyFunctor {
  int n, num_samples;
  Kokkos::View<const int*, DeviceHamiltonian::memory_space> offsets, sites, field_sites;
  Kokkos::View<const double*, DeviceHamiltonian::memory_space> coeffs, field_values;
  EnergyBitsView bits;
  EnergyView energies;

  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t idx) const {
    const int p = static_cast<int>(idx / num_samples), s = static_cast<int>(idx % num_samples);
    const std::uint8_t* b = &bits(p, s, 0);
    double e = 0.0;
    const int terms = static_cast<int>(coeffs.extent(0));
    for (int t = 0; t < terms; ++t) {
      int parity = 0;  // number of down spins (bit 0) in the term, mod 2
      for (int q = offsets(t); q < offsets(t + 1); ++q) parity ^= b[sites(q)] ^ 1;
      e += parity ? -coeffs(t) : coeffs(t);
    }
    const int nf = static_cast<int>(field_values.extent(0));
    for (int f = 0; f < nf; ++f) e += b[field_sites(f)] ? field_values(f) : -field_values(f);
    energies(p, s) = e;
  }
};

}  // namespace

DeviceHamiltonian::DeviceHamiltonian(const Hamiltonian& hamiltonian) : num_spins(hamiltonian.numSpins()) {
  std::vector<int> offsets{0}, sites, fsites;
  std::vector<double> coeffs, fvalues;
  for (std::size_t t = 0; t < hamiltonian.numTerms(); ++t) {
    coeffs.push_back(hamiltonian.termCoeff(t));
    sites.insert(sites.end(), hamiltonian.termSitesBegin(t), hamiltonian.termSitesEnd(t));
    offsets.push_back(static_cast<int>(sites.size()));
  }
  for (int i = 0; i < num_spins; ++i)
    if (hamiltonian.fields()[i] != 0.0) {
      fsites.push_back(i);
      fvalues.push_back(hamiltonian.fields()[i]);
    }
  term_offsets = toDevice("vna::DeviceHamiltonian::term_offsets", offsets);
  term_sites = toDevice("vna::DeviceHamiltonian::term_sites", sites);
  term_coeffs = toDevice("vna::DeviceHamiltonian::term_coeffs", coeffs);
  field_sites = toDevice("vna::DeviceHamiltonian::field_sites", fsites);
  field_values = toDevice("vna::DeviceHamiltonian::field_values", fvalues);
}

void computeEnergies(const DeviceHamiltonian::execution_space& space, const DeviceHamiltonian& hamiltonian,
                     const EnergyBitsView& bits, const EnergyView& energies) {
  const auto P = bits.extent(0), M = bits.extent(1);
  if (static_cast<int>(bits.extent(2)) != hamiltonian.num_spins)
    throw Error(fmt::format("computeEnergies: configurations have {} sites, the Hamiltonian {}", bits.extent(2),
                            hamiltonian.num_spins));
  if (energies.extent(0) != P || energies.extent(1) != M)
    throw Error(fmt::format("computeEnergies: energies are [{}][{}], configurations [{}][{}]", energies.extent(0),
                            energies.extent(1), P, M));
  if (P == 0 || M == 0) return;
  EnergyFunctor f{hamiltonian.num_spins, static_cast<int>(M), hamiltonian.term_offsets, hamiltonian.term_sites,
                  hamiltonian.field_sites, hamiltonian.term_coeffs, hamiltonian.field_values, bits, energies};
  Kokkos::parallel_for("vna::computeEnergies",
                       Kokkos::RangePolicy<DeviceHamiltonian::execution_space, Kokkos::IndexType<std::int64_t>>(
                           space, 0, static_cast<std::int64_t>(P * M)),
                       f);
}

}  // namespace vna
