#pragma once
// What an RnnEngine is built from: the cell, the hidden size and the lattice whose autoregressive
// order the network follows.
#include <cstddef>

#include "model/lattice.hpp"
#include "param_layout.hpp"

namespace vna {

struct EngineConfig {
  CellKind cell = CellKind::kVanilla2d;
  int hidden = 40;  // d_h
  Lattice lattice;
  // Upper bound on the rolling-buffer scratch of a forward pass without kept activations; work items
  // beyond it are processed in successive waves (the landscape's huge-P case).
  std::size_t scratch_bytes = std::size_t(256) << 20;
};

}  // namespace vna
