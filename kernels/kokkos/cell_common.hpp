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
//   forwardScratchSize()            Scalars of per-work-item scratch the forward step needs
//   forward(θ, nb, state, scratch)  fills the non-bit rows of `state` from predecessor tiles nb[j]
//   auxSize(), auxEntry(θ, idx)     per-parameter-set data precomputed for the backward pass
//   scratchSize(), gradSize()       per-work-item scratch and gradient-accumulator sizes (Scalars)
//   backward(θ, aux, state, nb, dstate, dnb, scratch, grad)
//                                   given dstate = ∂L/∂state (complete from later positions and the
//                                   output layer; a multi-layer cell may add to its own lower rows),
//                                   accumulates ∂L/∂nb[j] into dnb[j] and the parameter gradients
//                                   into grad
//   numParams(), gradEntry(grad, j) flat gradient entry j of the cell's blocks from the accumulators
//                                   (the cell's blocks are the first numParams() entries of θ)
#include <Kokkos_Core.hpp>

#include <vector>

#include "activation.hpp"
#include "model/lattice.hpp"
#include "network_tables.hpp"
