#pragma once
#include "model/model.hpp"

namespace vna {

// Ising chain of n spins, sites 0..n-1:
//   H = −J Σ_i σ_i σ_{i+1} − h Σ_i σ_i      (i+1 taken mod n when periodic)
// J > 0 is ferromagnetic. Periodic chains need n >= 3 (for n = 2 the wrapping bond would repeat
// the only bond). Known ground states are filled in where they follow in closed form: J >= 0 (all
// spins along h, both aligned states when h = 0) and J < 0 with h = 0 on a bipartite chain (Néel).
Model isingChain(int n, double J = 1.0, bool periodic = false, double h = 0.0);

}  // namespace vna
