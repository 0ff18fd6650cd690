#pragma once
// Geometry of a model: site coordinates (for plots) and the autoregressive order with each
// position's RNN neighbours. For 2D lattices the order is the snake (boustrophedon) path:
// row y = 0 left to right, row 1 right to left, ...; site index i = x + Lx * y.
#include <array>
#include <string>
#include <vector>

namespace vna {

struct Lattice {
  int dim = 1;         // 1 (chain or fully connected: order 0..N-1) or 2
  int lx = 0, ly = 1;  // lx * ly = number of sites
  std::string kind;    // "chain", "square", "triangular", "complete"
  std::vector<std::array<double, 2>> coords;  // for plotting
  // order[k] = site visited at autoregressive position k.
  std::vector<int> order;
  // For position k of a 2D snake: position (not site) of the horizontal predecessor in the same row
  // and of the vertical predecessor in the row above; -1 outside the lattice (RNN gets zeros).
  std::vector<int> prev_horizontal, prev_vertical;

  int numSites() const { return lx * ly; }
  static Lattice chain(int n, std::string kind = "chain");
  static Lattice square(int lx, int ly, std::string kind = "square");
};

}  // namespace vna
