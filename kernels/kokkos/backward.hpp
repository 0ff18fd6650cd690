#pragma once
// The Kokkos backward pass: the per-set cell data, the reverse sweep and the gradient reduction.
// Internal to the Kokkos backend (kokkos_backend.cpp); see doc/design.md, "The batched engine".
#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>

#include "kokkos/forward.hpp"

namespace vna {
namespace kokkos_backend {
// Internal linkage (this header belongs to kokkos_backend.cpp alone): the functors are then inlined
// into their parallel loops, where their members stay in registers; out of line, every store through
// their output pointers would force reloads of the members.
namespace {

template <class Scalar, class Cell>
struct CellAuxFunctor {
  Kokkos::View<const Scalar**, Kokkos::LayoutRight, MemSpace> params;
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> aux;
  Cell cell;
  KOKKOS_INLINE_FUNCTION void operator()(const int p, const int idx) const {
    aux(p, idx) = cell.auxEntry(&params(p, 0), idx);
  }
};

// Reverse sweep over positions for one work item. Accumulates, per item, the cell's gradient
// accumulators followed by the output layer's per-lane ∂(U_1 − U_0) [d_h][W] and ∂(d_1 − d_0) [W].
// Counts lanes whose kept bits differ from `bits` (misuse check).
template <class Scalar, class Cell, int W>
struct BackwardFunctor {
  Cell cell;
  ItemGeometry g;
  int item_begin = 0;
  std::size_t store_stride = 0, scratch_stride = 0, grad_stride = 0;
  Kokkos::View<const Scalar**, Kokkos::LayoutRight, MemSpace> params, out_aux, cell_aux;
  Kokkos::View<const int*, MemSpace> order;
  Kokkos::View<const int**, Kokkos::LayoutRight, MemSpace> inputs;
  Kokkos::View<const std::uint8_t***, Kokkos::LayoutRight, MemSpace> bits;
  Kokkos::View<const double**, Kokkos::LayoutRight, MemSpace> weights;
  Kokkos::View<const Scalar*, MemSpace> store, probs;
  Kokkos::View<Scalar*, MemSpace> scratch, grads;

  KOKKOS_INLINE_FUNCTION void operator()(const int local, int& mismatches) const {
    const int item = item_begin + local;
    const int p = item / g.n_chunks;
    const int s0 = (item % g.n_chunks) * W;
    const int hidden = cell.hidden();
    const Scalar* acts = &store(static_cast<std::size_t>(item) * store_stride);
    const Scalar* kept_probs = &probs(static_cast<std::size_t>(item) * g.n_sites * W);
    Scalar* ring = &scratch(static_cast<std::size_t>(local) * scratch_stride);
    const std::size_t ring_size = static_cast<std::size_t>(g.slots) * g.rows * W;
    Scalar* cell_scratch = ring + ring_size;
    Scalar* grad = &grads(static_cast<std::size_t>(item) * grad_stride);
    Scalar* grad_u = grad + cell.gradSize();
    Scalar* grad_d = grad_u + hidden * W;
    for (std::size_t e = 0; e < scratch_stride; ++e) ring[e] = Scalar(0);
    for (std::size_t e = 0; e < grad_stride; ++e) grad[e] = Scalar(0);

    const Scalar* theta = &params(p, 0);
    const Scalar* udiff = &out_aux(p, 0);
    const Scalar* caux = &cell_aux(p, 0);
    Scalar lane_weight[W];
    for (int w = 0; w < W; ++w)
      lane_weight[w] = s0 + w < g.num_samples ? static_cast<Scalar>(weights(p, s0 + w)) : Scalar(0);

    for (int k = g.n_sites - 1; k >= 0; --k) {
      const Scalar* state = acts + static_cast<std::size_t>(k) * g.rows * W;
      Scalar* dstate = ring + static_cast<std::size_t>(k % g.slots) * g.rows * W;
      const Scalar* nb[Cell::kMaxInputs];
      Scalar* dnb[Cell::kMaxInputs];
      for (int j = 0; j < Cell::kMaxInputs; ++j) {
        const int q = inputs(k, j);
        nb[j] = q < 0 ? nullptr : acts + static_cast<std::size_t>(q) * g.rows * W;
        dnb[j] = q < 0 ? nullptr : ring + static_cast<std::size_t>(q % g.slots) * g.rows * W;
      }
      const Scalar* b = state + (cell.bitRow() + 1) * W;
      const int site = order(k);
      for (int w = 0; w < W && s0 + w < g.num_samples; ++w)
        if ((bits(p, s0 + w, site) != 0) != (b[w] > Scalar(0.5))) ++mismatches;

      // ∂(w log p(b))/∂δ = w (b − p_up); δ = (U_1 − U_0)·h + (d_1 − d_0).
      Scalar gdelta[W];
      VNA_UNROLL
      for (int w = 0; w < W; ++w) {
        gdelta[w] = lane_weight[w] * (b[w] - kept_probs[k * W + w]);
        grad_d[w] += gdelta[w];
      }
      const Scalar* h = state + cell.outputOffset() * W;
      Scalar* dh = dstate + cell.outputOffset() * W;
      for (int i = 0; i < hidden; ++i) {
        const Scalar ui = udiff[i];
        VNA_UNROLL
        for (int w = 0; w < W; ++w) {
          grad_u[i * W + w] += gdelta[w] * h[i * W + w];
          dh[i * W + w] += ui * gdelta[w];
        }
      }
      cell.backward(theta, caux, state, nb, dstate, dnb, cell_scratch, grad);
      // The slot is reused by position k − slots, whose gradient starts accumulating only now.
      for (int e = 0; e < g.rows * W; ++e) dstate[e] = Scalar(0);
    }
  }
};

// grad(p, j) = Σ over p's work items, in chunk order (deterministic for any thread count).
template <class Scalar, class Cell, int W>
struct GradientReduceFunctor {
  Cell cell;
  int n_chunks = 0, hidden = 0, u_offset = 0, d_offset = 0;
  std::size_t grad_stride = 0;
  Kokkos::View<const Scalar*, MemSpace> grads;
  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> grad;

  KOKKOS_INLINE_FUNCTION void operator()(const int p, const int j) const {
    double sum = 0.0;
    for (int c = 0; c < n_chunks; ++c) {
      const Scalar* acc = &grads(static_cast<std::size_t>(p * n_chunks + c) * grad_stride);
      if (j < cell.numParams()) {
        sum += cell.gradEntry(acc, j);
        continue;
      }
      const Scalar* grad_u = acc + cell.gradSize();
      const Scalar* grad_d = grad_u + hidden * W;
      // U = [U_0; U_1] and d = [d_0, d_1] enter only through U_1 − U_0 and d_1 − d_0.
      const Scalar* lanes;
      double sign;
      if (j < d_offset) {
        const int r = (j - u_offset) / hidden, i = (j - u_offset) % hidden;
        lanes = grad_u + i * W;
        sign = r == 1 ? 1.0 : -1.0;
      } else {
        lanes = grad_d;
        sign = j - d_offset == 1 ? 1.0 : -1.0;
      }
      double part = 0.0;
      for (int w = 0; w < W; ++w) part += lanes[w];
      sum += sign * part;
    }
    grad(p, j) = sum;
  }
};

}  // namespace
}  // namespace kokkos_backend
}  // namespace vna
