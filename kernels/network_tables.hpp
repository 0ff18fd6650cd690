#pragma once
// What every backend derives on the host from a network's lattice and from a Hamiltonian, written
// once: the predecessor table of the autoregressive positions (which earlier positions each position
// reads) and the Hamiltonian's classical part as sparse rows (CSR). Plain C++: the CUDA kernels
// (compiled by nvcc without Kokkos) include it too.
#include <string>
#include <vector>

#include "model/hamiltonian.hpp"
#include "model/lattice.hpp"
#include "param_layout.hpp"

namespace vna {

// table[k * width + j] = the position read by input j at position k (−1: none), for `cell`:
//   vanilla1d, tensorized1d  input 0 = k − 1 (the previous position of the autoregressive order)
//   vanilla2d, tensorized2d  input 0 = the horizontal, input 1 = the vertical predecessor (Lattice)
//   dilated1d                input l − 1 = k − 2^(l−1) for layers l = 1 .. dilatedLayers(N)
// Throws InputError when the cell needs more inputs than `width`.
std::vector<int> predecessorTable(const Lattice& lattice, CellKind cell, int width);

// Empty when every entry of `table` reads an earlier position; otherwise what is wrong.
std::string predecessorProblem(const std::vector<int>& table, int num_sites, int width);
// The largest k − q over the table's entries (0 without any): how far back a position reads.
int maxLookback(const std::vector<int>& table, int num_sites, int width);

// Throws InputError when the lattice's order or predecessor tables do not have one entry per site.
void checkLatticeTables(const Lattice& lattice);

// The classical part of a Hamiltonian (p-body terms and fields) as CSR rows; the fields with h_i = 0
// are left out. Every backend evaluates energies from these arrays (energy_rule.hpp).
struct HamiltonianRows {
  int num_spins = 0;
  std::vector<int> term_offsets{0}, term_sites;  // [terms + 1], [Σ orders]
  std::vector<double> term_coeffs;               // [terms]
  std::vector<int> field_sites;                  // sites with a nonzero field
  std::vector<double> field_values;
};
HamiltonianRows hamiltonianRows(const Hamiltonian& hamiltonian);

}  // namespace vna
