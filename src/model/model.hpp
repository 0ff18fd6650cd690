#pragma once
// A spin model ready to use: Hamiltonian, geometry and whatever is known exactly about it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/hamiltonian.hpp"
#include "model/lattice.hpp"

namespace vna {

// The `model:` section of a config, after validation (see doc/input_reference.md).
struct ModelSpec {
  std::string type = "newman_moore";  // newman_moore | ising_chain | edwards_anderson |
                                      // sherrington_kirkpatrick | wishart_planted | coupling_file
  int L = 4;                          // newman_moore: L×L
  double J = 1.0;                     // newman_moore, ising_chain: coupling
  int N = 0;                          // ising_chain, sherrington_kirkpatrick, wishart_planted
  int Lx = 0, Ly = 0;                 // edwards_anderson
  bool periodic = false;              // edwards_anderson, ising_chain
  std::string couplings = "uniform";  // edwards_anderson: pm_j | gaussian | uniform (uniform[-1,1))
  double alpha = 0.5;                 // wishart_planted: M = alpha N
  double field = 0.0;                 // uniform longitudinal field h (H += -h Σ σ)
  std::uint64_t seed = 1;             // disorder families: realization r uses seed + r
  std::vector<std::string> paths;     // coupling_file: one file per realization
  int index_base = -1;                // coupling_file: 0 or 1; -1 = from the file's header
  std::string format = "auto";        // coupling_file: auto | list | matrix
};

struct Model {
  Hamiltonian hamiltonian;
  Lattice lattice;
  std::string description;                 // human-readable, e.g. "Newman-Moore L=6, J=1"
  std::optional<double> ground_energy;     // exact E0 when known by construction
  std::vector<std::vector<Bit>> ground_states;  // known ground states (planted / all-down NM / file)
  std::optional<std::int64_t> num_ground_states;  // how many there are, when known (NM: 2^k from GF(2))
  std::string ground_truth_origin;         // "closed form", "planted", "file", ...
  std::string source;                      // file path for coupling files, "" otherwise
};

// Number of realizations a spec describes (files listed, else unbounded families answer 1).
int numRealizations(const ModelSpec& spec);

// Builds realization r (0-based) of the family. Deterministic: any rank or process that asks for
// the same (spec, r) gets the same model. Throws InputError for unreadable or malformed inputs.
Model buildModel(const ModelSpec& spec, int realization = 0);

}  // namespace vna
