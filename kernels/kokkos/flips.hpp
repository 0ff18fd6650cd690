#pragma once
// VQA's single-flip neighbours on the Kokkos backend: the prefix-sharing logProbFlips functors.
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

// VQA's single-flip neighbours (logProbFlips). A pair is (parameter set, chunk of W samples) of the
// kept activations; flipping autoregressive position k leaves the states of positions <= k unchanged
// (a state depends on earlier bits only), so position k's log-probability accumulator is known from
// the kept states and positions k+1 .. N−1 are recomputed.
//
// Pass 1, per pair: the output layer re-evaluated on the kept states (exactly the forward pass's
// arithmetic) gives base[k] = Σ_{j<k} log p(b_j | ·) + log p(1 − b_k | ·), summed in the forward
// pass's order, so the recomputed sums equal logProb's to the last bit. Counts lanes whose kept bits
// differ from `bits` (misuse check) and writes the result for the last position (nothing follows it).
template <class Scalar, class Cell, int W>
struct FlipBaseFunctor {
  Cell cell;
  ItemGeometry g;
  bool per_site = false;
  std::size_t store_stride = 0;
  Kokkos::View<const Scalar**, Kokkos::LayoutRight, MemSpace> out_aux;
  Kokkos::View<const int*, MemSpace> order;
  Kokkos::View<const std::uint8_t***, Kokkos::LayoutRight, MemSpace> bits;
  Kokkos::View<const Scalar*, MemSpace> store;
  Kokkos::View<double*, MemSpace> base;  // [pair][N][W]
  Kokkos::View<double***, Kokkos::LayoutRight, MemSpace> logp_flip;

  KOKKOS_INLINE_FUNCTION void operator()(const int pair, int& mismatches) const {
    const int p = pair / g.n_chunks;
    const int s0 = (pair % g.n_chunks) * W;
    const int hidden = cell.hidden();
    const Scalar* acts = &store(static_cast<std::size_t>(pair) * store_stride);
    double* out = &base(static_cast<std::size_t>(pair) * g.n_sites * W);
    double lp[W];
    for (int w = 0; w < W; ++w) lp[w] = 0.0;
    for (int k = 0; k < g.n_sites; ++k) {
      const int site = order(k);
      const Scalar* udiff = &out_aux(p, (per_site ? site : 0) * (hidden + 1));
      const Scalar ddiff = udiff[hidden];
      const Scalar* state = acts + static_cast<std::size_t>(k) * g.rows * W;
      Scalar delta[W];
      VNA_UNROLL
      for (int w = 0; w < W; ++w) delta[w] = ddiff;
      tile::gemmRows<Scalar, W>(1, hidden, udiff, hidden, state + cell.outputOffset() * W, W, delta, W);
      const Scalar* b = state + (cell.bitRow() + 1) * W;
      for (int w = 0; w < W && s0 + w < g.num_samples; ++w)
        if ((bits(p, s0 + w, site) != 0) != (b[w] > Scalar(0.5))) ++mismatches;
      VNA_UNROLL
      for (int w = 0; w < W; ++w) {
        const Scalar t = expMinusAbs(delta[w]);
        out[k * W + w] = lp[w] + static_cast<double>(logProbabilityOf(delta[w], t, Scalar(1) - b[w]));
        lp[w] += static_cast<double>(logProbabilityOf(delta[w], t, b[w]));
      }
    }
    const int last = g.n_sites - 1;
    for (int w = 0; w < W && s0 + w < g.num_samples; ++w) logp_flip(p, s0 + w, order(last)) = out[last * W + w];
  }
};

// Pass 2: work item (pair, flip position k < N − 1) recomputes positions k+1 .. N−1 of its W samples
// with position k flipped. Predecessors before k are read from the kept states; position k (its kept
// state with the one-hot swapped) and later ones live in a rolling buffer, as in the forward pass.
// Items are numbered in groups of `group` pairs, flip position outermost within a group (longest
// first): on a GPU (W = 1, group = all pairs) neighbouring threads then run equally long; on the host
// (group = 1) a pair's kept states stay in cache across its flips. The rolling buffer belongs to a
// thread (unique token) when the budget allows it, else to the work item's slot in its wave.
template <class Scalar, class Cell, int W>
struct FlipFunctor {
  Cell cell;
  ItemGeometry g;
  int item_begin = 0, group = 1, n_pairs = 0;
  bool per_thread = false;
  bool per_site = false;
  std::size_t store_stride = 0, work_stride = 0;
  Kokkos::Experimental::UniqueToken<ExecSpace> token;
  Kokkos::View<const Scalar**, Kokkos::LayoutRight, MemSpace> params, out_aux;
  Kokkos::View<const int*, MemSpace> order;
  Kokkos::View<const int**, Kokkos::LayoutRight, MemSpace> inputs;
  Kokkos::View<const Scalar*, MemSpace> store;
  Kokkos::View<const double*, MemSpace> base;
  Kokkos::View<Scalar*, MemSpace> work;
  Kokkos::View<double***, Kokkos::LayoutRight, MemSpace> logp_flip;

  KOKKOS_INLINE_FUNCTION void operator()(const int local) const {
    const int item = item_begin + local;
    const int flips = g.n_sites - 1;
    const int first_pair = (item / (group * flips)) * group;
    const int in_group = n_pairs - first_pair < group ? n_pairs - first_pair : group;
    const int r = item - first_pair * flips;
    const int k = r / in_group;
    const int pair = first_pair + r % in_group;
    const int p = pair / g.n_chunks;
    const int s0 = (pair % g.n_chunks) * W;
    const int hidden = cell.hidden();
    const std::size_t tile_size = static_cast<std::size_t>(g.rows) * W;
    const Scalar* acts = &store(static_cast<std::size_t>(pair) * store_stride);
    const int slot = per_thread ? static_cast<int>(token.acquire()) : local;
    Scalar* ring = &work(static_cast<std::size_t>(slot) * work_stride);
    const Scalar* theta = &params(p, 0);

    {  // Position k: the kept state (it does not depend on b_k) with onehot(1 − b_k).
      const Scalar* kept = acts + static_cast<std::size_t>(k) * tile_size;
      Scalar* state = ring + static_cast<std::size_t>(k % g.slots) * tile_size;
      for (std::size_t e = 0; e < tile_size; ++e) state[e] = kept[e];
      Scalar* onehot = state + cell.bitRow() * W;
      VNA_UNROLL
      for (int w = 0; w < W; ++w) {
        const Scalar zero = onehot[w];
        onehot[w] = onehot[W + w];
        onehot[W + w] = zero;
      }
    }
    double lp[W];
    const double* start = &base((static_cast<std::size_t>(pair) * g.n_sites + k) * W);
    for (int w = 0; w < W; ++w) lp[w] = start[w];

    for (int j = k + 1; j < g.n_sites; ++j) {
      const int site_j = order(j);
      const Scalar* udiff = &out_aux(p, (per_site ? site_j : 0) * (hidden + 1));
      const Scalar ddiff = udiff[hidden];
      Scalar* state = ring + static_cast<std::size_t>(j % g.slots) * tile_size;
      const Scalar* nb[Cell::kMaxInputs];
      for (int jj = 0; jj < Cell::kMaxInputs; ++jj) {
        const int q = inputs(j, jj);
        nb[jj] = q < 0   ? nullptr
                 : q < k ? acts + static_cast<std::size_t>(q) * tile_size
                         : ring + static_cast<std::size_t>(q % g.slots) * tile_size;
      }
      cell.forward(theta, site_j, nb, state);
      Scalar delta[W];
      VNA_UNROLL
      for (int w = 0; w < W; ++w) delta[w] = ddiff;
      tile::gemmRows<Scalar, W>(1, hidden, udiff, hidden, state + cell.outputOffset() * W, W, delta, W);
      // Positions after k keep their bits: the kept one-hot rows.
      const Scalar* kept_onehot = acts + static_cast<std::size_t>(j) * tile_size + cell.bitRow() * W;
      Scalar* onehot = state + cell.bitRow() * W;
      VNA_UNROLL
      for (int w = 0; w < W; ++w) {
        const Scalar b = kept_onehot[W + w];
        lp[w] += static_cast<double>(logProbabilityOf(delta[w], expMinusAbs(delta[w]), b));
        onehot[w] = kept_onehot[w];
        onehot[W + w] = b;
      }
    }
    const int site = order(k);
    for (int w = 0; w < W && s0 + w < g.num_samples; ++w) logp_flip(p, s0 + w, site) = lp[w];
    if (per_thread) token.release(slot);
  }
};

}  // namespace
}  // namespace kokkos_backend
}  // namespace vna
