#pragma once
#include "model/model.hpp"

namespace vna {

// Newman-Moore model on the L×L triangular lattice with periodic boundaries:
//   H = (J/2) Σ_{x,y} σ(x,y) σ(x+1,y) σ(x,y+1)     (indices mod L, site i = x + L y)
// one downward triangle per site (doc/physics.md draws the convention). Ground energy −N|J|/2;
// for J > 0 the all-down state is a ground state.
Model newmanMoore(int L, double J = 1.0);

}  // namespace vna
