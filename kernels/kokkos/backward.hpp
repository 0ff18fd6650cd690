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

// U = [U_0; U_1] and d = [d_0, d_1] enter only through U_1 − U_0 and d_1 − d_0: du, dd = their
// gradients from the output layer's per-lane accumulators (∂(U_1 − U_0) [d_h][W], then ∂(d_1 − d_0) [W]).
template <class Scalar, int W>
KOKKOS_INLINE_FUNCTION void writeOutputGradient(const Scalar* grad_u, int hidden, double* du, double* dd) {
  const Scalar* grad_d = grad_u + hidden * W;
  for (int i = 0; i < hidden; ++i) {
    double part = 0.0;
    for (int w = 0; w < W; ++w) part += grad_u[i * W + w];
    du[i] = -part;
    du[hidden + i] = part;
  }
  double part = 0.0;
  for (int w = 0; w < W; ++w) part += grad_d[w];
  dd[0] = -part;
  dd[1] = part;
}

// How the backward pass lays out its work and its gradient accumulators.
//   kShared    shared weights: an item is (set, chunk of W samples) with one set of accumulators over
//              all positions, reduced over chunks afterwards in chunk order (GradientReduceFunctor).
//   kPerSite   per-site weights: a site's blocks are touched at its own position only, so an item is a
//              whole set, its chunks processed in order at each position into one set of accumulators,
//              which is written to the site's slices of grad right after the position and cleared:
//              O(one site) of accumulators per set instead of O(N · one site) per chunk, no reduction,
//              deterministic for any thread count (items are parameter sets).
enum class BackwardMode { kShared, kPerSite };

// Reverse sweep over the positions for one work item, accumulating the cell's gradient accumulators
// followed by the output layer's per-lane ∂(U_1 − U_0) [d_h][W] and ∂(d_1 − d_0) [W]. Counts lanes
// whose kept bits differ from `bits` (misuse check).
template <class Scalar, class Cell, int W>
struct BackwardFunctor {
  Cell cell;
  ItemGeometry g;
  BackwardMode mode = BackwardMode::kShared;
  int item_begin = 0;
  int group = 1;  // chunks per item (kPerSite: all of a set's)
  std::size_t store_stride = 0, scratch_stride = 0, grad_stride = 0;
  std::size_t position_stride = 0;  // the cell's positionScratchSize(group), after the chunks' scratch
  Kokkos::View<const Scalar**, Kokkos::LayoutRight, MemSpace> params, out_aux;
  Kokkos::View<const int*, MemSpace> order;
  Kokkos::View<const int**, Kokkos::LayoutRight, MemSpace> inputs;
  Kokkos::View<const std::uint8_t***, Kokkos::LayoutRight, MemSpace> bits;
  Kokkos::View<const double**, Kokkos::LayoutRight, MemSpace> weights;
  Kokkos::View<const Scalar*, MemSpace> store, probs;
  // ∂state rings and cell scratch, per chunk of an item, by wave slot.
  Kokkos::View<Scalar*, MemSpace> scratch, grads;
  SiteMap map;                                                 // kPerSite
  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> grad;  // kPerSite: written per position

  KOKKOS_INLINE_FUNCTION void operator()(const int local, int& mismatches) const {
    const int item = item_begin + local;
    const ItemChunks chunks = itemChunks(g, item, group);
    const int p = chunks.set, c0 = chunks.first, count = chunks.count;
    const int hidden = cell.hidden();
    const bool per_site = mode == BackwardMode::kPerSite;
    const std::size_t ring_size = static_cast<std::size_t>(g.slots) * g.rows * W;
    Scalar* work = &scratch(static_cast<std::size_t>(local) * (group * scratch_stride + position_stride));
    Scalar* position = work + group * scratch_stride;
    Scalar* acc = &grads(static_cast<std::size_t>(item) * grad_stride);
    for (std::size_t e = 0; e < group * scratch_stride + position_stride; ++e) work[e] = Scalar(0);
    for (std::size_t e = 0; e < grad_stride; ++e) acc[e] = Scalar(0);
    const Scalar* theta = &params(p, 0);

    for (int k = g.n_sites - 1; k >= 0; --k) {
      const int site = order(k);
      const Scalar* udiff = &out_aux(p, (per_site ? site : 0) * (hidden + 1));
      for (int c = 0; c < count; ++c) {
        const int chunk = p * g.n_chunks + c0 + c;
        Scalar* ring = work + static_cast<std::size_t>(c) * scratch_stride;
        step(p, (c0 + c) * W, k, site, &store(static_cast<std::size_t>(chunk) * store_stride),
             &probs(static_cast<std::size_t>(chunk) * g.n_sites * W), ring, ring + ring_size, theta, udiff, acc,
             position, c, mismatches);
      }
      cell.finishPosition(position, count, group, acc);
      if (per_site) {
        flush(p, site, acc);
        for (std::size_t e = 0; e < grad_stride; ++e) acc[e] = Scalar(0);
      }
    }
  }

  // Position k of one chunk of samples s0 .. s0 + W − 1.
  KOKKOS_INLINE_FUNCTION void step(int p, int s0, int k, int site, const Scalar* acts, const Scalar* kept_probs,
                                   Scalar* ring, Scalar* cell_scratch, const Scalar* theta, const Scalar* udiff,
                                   Scalar* grad, Scalar* position, int chunk, int& mismatches) const {
    const int hidden = cell.hidden();
    Scalar* grad_u = grad + cell.gradSize();
    Scalar* grad_d = grad_u + hidden * W;
    Scalar lane_weight[W];
    for (int w = 0; w < W; ++w)
      lane_weight[w] = s0 + w < g.num_samples ? static_cast<Scalar>(weights(p, s0 + w)) : Scalar(0);
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
    cell.backward(theta, site, state, nb, dstate, dnb, cell_scratch, grad, position, chunk, group);
    // The slot is reused by position k − slots, whose gradient starts accumulating only now.
    for (int e = 0; e < g.rows * W; ++e) dstate[e] = Scalar(0);
  }

  // kPerSite: the accumulators of one position become the site's slices of grad(p, ·), every entry
  // written once.
  KOKKOS_INLINE_FUNCTION void flush(int p, int site, const Scalar* acc) const {
    double* dst[SiteMap::kMaxBlocks];
    for (int b = 0; b < map.count; ++b) dst[b] = &grad(p, map.offset[b] + static_cast<std::size_t>(site) * map.stride[b]);
    cell.writeGradient(acc, dst);
    writeOutputGradient<Scalar, W>(acc + cell.gradSize(), cell.hidden(), dst[map.count - 2], dst[map.count - 1]);
  }
};

// Entry j of one site's layout from one work item's accumulators (the cell's blocks from the cell, U and
// d from the output layer's lanes).
template <class Scalar, class Cell, int W>
KOKKOS_INLINE_FUNCTION double accumulatorEntry(const Cell& cell, const Scalar* acc, int j, int hidden, int u_local,
                                               int d_local) {
  if (j < cell.numParams()) return cell.gradEntry(acc, j);
  const Scalar* grad_u = acc + cell.gradSize();
  const Scalar* grad_d = grad_u + hidden * W;
  // U = [U_0; U_1] and d = [d_0, d_1] enter only through U_1 − U_0 and d_1 − d_0.
  const Scalar* lanes;
  double sign;
  if (j < d_local) {
    const int r = (j - u_local) / hidden, i = (j - u_local) % hidden;
    lanes = grad_u + i * W;
    sign = r == 1 ? 1.0 : -1.0;
  } else {
    lanes = grad_d;
    sign = j - d_local == 1 ? 1.0 : -1.0;
  }
  double part = 0.0;
  for (int w = 0; w < W; ++w) part += lanes[w];
  return sign * part;
}

// Shared weights: grad(p, j) = Σ over p's work items, in chunk order (deterministic for any thread
// count).
template <class Scalar, class Cell, int W>
struct GradientReduceFunctor {
  Cell cell;
  int n_chunks = 0, hidden = 0, u_local = 0, d_local = 0;
  std::size_t grad_stride = 0;
  Kokkos::View<const Scalar*, MemSpace> grads;
  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> grad;

  KOKKOS_INLINE_FUNCTION void operator()(const int p, const int j) const {
    double sum = 0.0;
    for (int c = 0; c < n_chunks; ++c) {
      const Scalar* acc = &grads(static_cast<std::size_t>(p * n_chunks + c) * grad_stride);
      sum += accumulatorEntry<Scalar, Cell, W>(cell, acc, j, hidden, u_local, d_local);
    }
    grad(p, j) = sum;
  }
};

}  // namespace
}  // namespace kokkos_backend
}  // namespace vna
