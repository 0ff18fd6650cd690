#pragma once
// A Hamiltonian's classical part as sparse rows (network_tables.hpp) in the Kokkos memory space, and
// the batched energy kernel (the sum of energy_rule.hpp).
#include <Kokkos_Core.hpp>

#include <cstdint>

#include "energy_rule.hpp"
#include "model/hamiltonian.hpp"

namespace vna {

struct DeviceHamiltonian {
  using execution_space = Kokkos::DefaultExecutionSpace;
  using memory_space = execution_space::memory_space;

  int num_spins = 0;
  Kokkos::View<int*, memory_space> term_offsets;   // [terms + 1]
  Kokkos::View<int*, memory_space> term_sites;     // [Σ orders]
  Kokkos::View<double*, memory_space> term_coeffs; // [terms]
  Kokkos::View<int*, memory_space> field_sites;    // sites with a nonzero field
  Kokkos::View<double*, memory_space> field_values;

  DeviceHamiltonian() = default;
  explicit DeviceHamiltonian(const Hamiltonian& hamiltonian);
  HamiltonianPointers pointers() const;
};

using EnergyBitsView =
    Kokkos::View<const std::uint8_t***, Kokkos::LayoutRight, DeviceHamiltonian::memory_space>;
using EnergyView = Kokkos::View<double**, Kokkos::LayoutRight, DeviceHamiltonian::memory_space>;

// energies[p][s] = H(bits[p][s]) (classical part: terms and fields), in double.
void computeEnergies(const DeviceHamiltonian::execution_space& space, const DeviceHamiltonian& hamiltonian,
                     const EnergyBitsView& bits, const EnergyView& energies);

}  // namespace vna
