#pragma once
// What every cell of the Kokkos backend includes, and the interface a cell implements.
//
// A cell (cell_vanilla.hpp, cell_tensorized.hpp, cell_dilated.hpp) is a small struct, templated on the
// Scalar and the lanes W of a work item, that computes one autoregressive position for W samples at
// once; the engine (kokkos_backend.cpp) owns the sweep over positions, the output layer, sampling, the
// kept activations and the reduction of gradients. A new cell is a new file with the same members and
// a case in makeKokkosEngineImpl (and in makeParamLayout for its parameter blocks).
//
//   kMaxInputs                      predecessor positions a position reads (size of the input table row)
//   inputTable(lattice, cell)       host: N × kMaxInputs predecessor positions (−1 = none), usually
//                                   network_tables.hpp's predecessorTable
//   stateRows(), outputOffset(), bitRow()
//                                   a position's state tile is [stateRows][W] (samples innermost);
//                                   rows [outputOffset, +d_h) feed the output layer, rows bitRow and
//                                   bitRow+1 hold onehot(b) = [1−b, b] (written by the engine)
//   forward(θ, site, nb, state)
//                                   fills the non-bit rows of `state` from predecessor tiles nb[j],
//                                   with the weights of lattice site `site` (any site when shared)
//   scratchSize(), gradSize()       per-work-item scratch and gradient-accumulator sizes (Scalars)
//   positionScratchSize(group)      Scalars per work item shared by its `group` chunks at a position
//   backward(θ, site, state, nb, dstate, dnb, scratch, grad, position, chunk, group)
//                                   given dstate = ∂L/∂state (complete from later positions and the
//                                   output layer; a multi-layer cell may add to its own lower rows),
//                                   accumulates ∂L/∂nb[j] into dnb[j] and the parameter gradients
//                                   into grad, or leaves what it gathers of chunk `chunk` in
//                                   `position` for finishPosition
//   finishPosition(position, chunks, group, grad)
//                                   after the `chunks` chunks of a position: the work a cell runs
//                                   once over all their lanes (tensorized: the weight-gradient
//                                   update); a no-op for the others
//   writeGradient(grad, dst)        dst[b][e] = gradEntry of entry e of the cell's block b, every
//                                   entry at once, each written once (the per-site flush)
//   numParams(), gradEntry(grad, j) entry j of one site's layout (ParamLayout::siteLayout(): the
//                                   cell's blocks are its first numParams() entries) from the
//                                   accumulators; with per-site weights the engine keeps one set of
//                                   accumulators per position, so the cell never sees the site
//
// A cell finds its blocks through BlockRef: θ + offset + site · stride (stride 0 when the weights are
// shared, one site's slice when they are per site), and the block's offset in one site's layout.
#include <Kokkos_Core.hpp>

#include <vector>

#include <cstddef>
#include <string>

#include "activation.hpp"
#include "model/lattice.hpp"
#include "network_tables.hpp"
#include "param_layout.hpp"

namespace vna {

struct BlockRef {
  std::size_t offset = 0;  // site 0's slice in θ
  std::size_t stride = 0;  // between sites' slices (0: shared)
  int local = 0;           // offset in one site's layout
  KOKKOS_INLINE_FUNCTION std::size_t at(int site) const { return offset + static_cast<std::size_t>(site) * stride; }
};

inline BlockRef blockRef(const ParamLayout& layout, const std::string& name) {
  const ParamBlock& b = layout.block(name);
  std::size_t local = 0;
  for (const ParamBlock& e : layout.blocks) {
    if (e.name == name) break;
    local += e.site_size;
  }
  return BlockRef{b.offset, layout.perSite() ? b.site_size : 0, static_cast<int>(local)};
}

}  // namespace vna
