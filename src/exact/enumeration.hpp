#pragma once
// Exhaustive enumeration of the 2^N configurations of any classical Hamiltonian (N <= 30), split
// over MPI ranks: ground energy, ground states and exact thermodynamics at chosen temperatures.
// The transverse field is ignored (the classical, diagonal part only).
#include <cstdint>
#include <vector>

#include "core/mpi_comm.hpp"
#include "exact/thermodynamics.hpp"
#include "model/hamiltonian.hpp"

namespace vna {

inline constexpr int kMaxEnumerationSpins = 30;

struct EnumerationResult {
  int num_spins = 0;
  std::int64_t num_states = 0;       // 2^N
  double ground_energy = 0.0;        // E0 (total, exact Hamiltonian::energy of a ground state)
  double degeneracy_tolerance = 0.0; // states with E <= E0 + 1e-9 max(1, |E0|) count as ground states
  std::int64_t num_ground_states = 0;            // all of them, counted
  std::vector<std::vector<Bit>> ground_states;   // the first `max_stored_ground_states` of them
                                                 // by increasing state index (bit i of index = b_i)
  std::vector<Thermodynamics> thermodynamics;    // one per requested temperature, same order
};

// Collective over `comm`; every rank gets the same result. The 2^N states are cut into
// 2^min(N,12) blocks by their top bits (a fixed decomposition, whatever the number of ranks);
// each rank walks a contiguous range of blocks (blockRange) in Gray-code order with
// Hamiltonian::flipDelta. Per block it keeps Σ e^{−β(E−E_ref)} and Σ (E−E_ref) e^{−β(E−E_ref)}
// with E_ref the block's running minimum (updated per batch of 1024 states, the sums rescaled when
// it drops, so exp never overflows). The block sums are gathered and combined in block order on
// every rank, and ground states are tracked by exact energy, so the result is bitwise identical
// for any number of ranks. Temperatures must be >= 0 (T = 0 gives the limits, see
// Thermodynamics). Cost: 2^N (flipDelta + one exp per temperature), e.g. N = 25 with 5
// temperatures about 3 s on one core. Throws InputError for N > kMaxEnumerationSpins or T < 0.
EnumerationResult enumerateExhaustively(const Hamiltonian& h, const std::vector<double>& temperatures,
                                        const Comm& comm, std::int64_t max_stored_ground_states = 1024);

}  // namespace vna
