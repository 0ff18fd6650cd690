#pragma once
// The classical energy of one configuration from the Hamiltonian's sparse rows (HamiltonianRows),
// shared by every backend: terms first, then fields, each in row order, in double, so that all
// backends return the same energies for the same configuration.
//   H(b) = Σ_t c_t Π_{i∈t} σ_i + Σ_i h_i σ_i,  σ_i = 2 b_i − 1:  a term is −c_t when an odd number of
//   its spins is down, +c_t otherwise.
#include "kernel_macros.hpp"  // Kokkos qualifiers (or their CUDA meaning in kernels/cuda)

namespace vna {

// Raw pointers to HamiltonianRows' arrays in the memory the kernel reads.
struct HamiltonianPointers {
  int n_terms = 0, n_fields = 0;
  const int* term_offsets = nullptr;
  const int* term_sites = nullptr;
  const double* term_coeffs = nullptr;
  const int* field_sites = nullptr;
  const double* field_values = nullptr;
};

// bit(i) returns b_i (0 or 1) of the configuration.
template <class BitAt>
KOKKOS_INLINE_FUNCTION double configurationEnergy(const HamiltonianPointers& h, const BitAt& bit) {
  double e = 0.0;
  for (int t = 0; t < h.n_terms; ++t) {
    unsigned parity = 0;  // down spins (bit 0) in the term, mod 2
    for (int q = h.term_offsets[t]; q < h.term_offsets[t + 1]; ++q) parity ^= static_cast<unsigned>(bit(h.term_sites[q])) ^ 1u;
    e += parity ? -h.term_coeffs[t] : h.term_coeffs[t];
  }
  for (int f = 0; f < h.n_fields; ++f) e += bit(h.field_sites[f]) ? h.field_values[f] : -h.field_values[f];
  return e;
}

}  // namespace vna
