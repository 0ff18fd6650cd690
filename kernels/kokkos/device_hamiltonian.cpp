#include "device_hamiltonian.hpp"

#include <fmt/format.h>

#include <vector>

#include "core/error.hpp"
#include "energy_rule.hpp"
#include "network_tables.hpp"

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
  int num_samples;
  HamiltonianPointers rows;
  EnergyBitsView bits;
  EnergyView energies;

  KOKKOS_INLINE_FUNCTION void operator()(const std::int64_t idx) const {
    const int p = static_cast<int>(idx / num_samples), s = static_cast<int>(idx % num_samples);
    const std::uint8_t* b = &bits(p, s, 0);
    energies(p, s) = configurationEnergy(rows, [b](int i) { return b[i]; });
  }
};

}  // namespace

DeviceHamiltonian::DeviceHamiltonian(const Hamiltonian& hamiltonian) : num_spins(hamiltonian.numSpins()) {
  const HamiltonianRows rows = hamiltonianRows(hamiltonian);
  term_offsets = toDevice("vna::DeviceHamiltonian::term_offsets", rows.term_offsets);
  term_sites = toDevice("vna::DeviceHamiltonian::term_sites", rows.term_sites);
  term_coeffs = toDevice("vna::DeviceHamiltonian::term_coeffs", rows.term_coeffs);
  field_sites = toDevice("vna::DeviceHamiltonian::field_sites", rows.field_sites);
  field_values = toDevice("vna::DeviceHamiltonian::field_values", rows.field_values);
}

HamiltonianPointers DeviceHamiltonian::pointers() const {
  HamiltonianPointers h;
  h.n_terms = static_cast<int>(term_coeffs.extent(0));
  h.n_fields = static_cast<int>(field_values.extent(0));
  h.term_offsets = term_offsets.data();
  h.term_sites = term_sites.data();
  h.term_coeffs = term_coeffs.data();
  h.field_sites = field_sites.data();
  h.field_values = field_values.data();
  return h;
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
  EnergyFunctor f{static_cast<int>(M), hamiltonian.pointers(), bits, energies};
  Kokkos::parallel_for("vna::computeEnergies",
                       Kokkos::RangePolicy<DeviceHamiltonian::execution_space, Kokkos::IndexType<std::int64_t>>(
                           space, 0, static_cast<std::int64_t>(P * M)),
                       f);
}

}  // namespace vna
