#include "model/lattice.hpp"

#include <cmath>

namespace vna {

Lattice Lattice::chain(int n, std::string kind) {
  Lattice g;
  g.dim = 1;
  g.lx = n;
  g.ly = 1;
  g.kind = std::move(kind);
  g.coords.resize(n);
  g.order.resize(n);
  g.prev_horizontal.resize(n);
  g.prev_vertical.assign(n, -1);
  for (int i = 0; i < n; ++i) {
    g.coords[i] = {static_cast<double>(i), 0.0};
    g.order[i] = i;
    g.prev_horizontal[i] = i - 1;
  }
  return g;
}

Lattice Lattice::square(int lx, int ly, std::string kind) {
  Lattice g;
  g.dim = 2;
  g.lx = lx;
  g.ly = ly;
  g.kind = std::move(kind);
  const int n = lx * ly;
  g.coords.resize(n);
  g.order.resize(n);
  g.prev_horizontal.assign(n, -1);
  g.prev_vertical.assign(n, -1);
  const bool triangular = g.kind == "triangular";
  for (int y = 0; y < ly; ++y)
    for (int x = 0; x < lx; ++x) {
      const int i = x + lx * y;
      // Triangular: row y is shifted right by y/2 and drawn downwards (see doc/physics.md).
      g.coords[i] = triangular ? std::array<double, 2>{x + 0.5 * y, -std::sqrt(3.0) / 2.0 * y}
                               : std::array<double, 2>{static_cast<double>(x), -static_cast<double>(y)};
    }
  // Snake order: position k = column-in-path c + lx * y.
  for (int y = 0; y < ly; ++y)
    for (int c = 0; c < lx; ++c) {
      const int k = c + lx * y;
      const int x = (y % 2 == 0) ? c : lx - 1 - c;
      g.order[k] = x + lx * y;
      g.prev_horizontal[k] = c > 0 ? k - 1 : -1;
      if (y > 0) {
        // Same column x in the row above, which was traversed in the opposite direction.
        const int c_up = ((y - 1) % 2 == 0) ? x : lx - 1 - x;
        g.prev_vertical[k] = c_up + lx * (y - 1);
      }
    }
  return g;
}

}  // namespace vna
