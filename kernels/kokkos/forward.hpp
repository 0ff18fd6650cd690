#pragma once
// The Kokkos forward pass: work-item geometry and the forward functor (sampling and teacher forcing).
// Internal to the Kokkos backend (kokkos_backend.cpp); see doc/design.md, "The batched engine".
#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/random.hpp"
#include "kokkos/tile_gemm.hpp"
#include "sampling_rule.hpp"

namespace vna {
namespace kokkos_backend {
// Internal linkage (this header belongs to kokkos_backend.cpp alone): the functors are then inlined
// into their parallel loops, where their members stay in registers; out of line, every store through
// their output pointers would force reloads of the members.
namespace {

using ExecSpace = Kokkos::DefaultExecutionSpace;
using MemSpace = ExecSpace::memory_space;

// Samples per work item. On the host, a [d_h][W] tile of samples is the vectorized unit; on a GPU
// backend each thread owns one sample (the native CUDA backend is the fast path there).
template <class Scalar>
constexpr int laneCount() {
  return std::is_same<MemSpace, Kokkos::HostSpace>::value ? (sizeof(Scalar) == 4 ? 16 : 8) : 1;
}

// out_aux[p] = [U_1 − U_0 (d_h entries), d_1 − d_0]: what the output layer needs per parameter set.
template <class Scalar>
struct OutputAuxFunctor {
  Kokkos::View<const Scalar**, Kokkos::LayoutRight, MemSpace> params;
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> aux;
  int hidden, u_offset, d_offset;
  KOKKOS_INLINE_FUNCTION void operator()(const int p, const int i) const {
    aux(p, i) = i < hidden ? params(p, u_offset + hidden + i) - params(p, u_offset + i)
                           : params(p, d_offset + 1) - params(p, d_offset);
  }
};

// Geometry shared by the forward and backward kernels. Work item `item` = (p, chunk) with
// p = item / n_chunks; its samples are chunk·W .. chunk·W + W − 1 (lanes past M are computed on
// zeros and never written).
struct ItemGeometry {
  int n_sites = 0;
  int rows = 0;       // Scalars per sample in a position's state tile
  int slots = 0;      // rolling-buffer positions (max look-back + 1)
  int n_chunks = 0;
  int num_samples = 0;
};

template <class Scalar, class Cell, int W, bool kSampling>
struct ForwardFunctor {
  Cell cell;
  ItemGeometry g;
  int item_begin = 0;
  bool keep = false;
  std::size_t store_stride = 0;  // Scalars per work item in `store`
  Kokkos::View<const Scalar**, Kokkos::LayoutRight, MemSpace> params, out_aux;
  Kokkos::View<const int*, MemSpace> order;
  Kokkos::View<const int**, Kokkos::LayoutRight, MemSpace> inputs;
  Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, MemSpace> bits_out;          // sampling
  Kokkos::View<const std::uint8_t***, Kokkos::LayoutRight, MemSpace> bits_in;     // teacher forcing
  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> logp;
  Kokkos::View<const std::uint32_t*, MemSpace> stream_ids;
  RngKey key{0, 0};
  std::uint32_t step = 0, first_sample = 0;
  Kokkos::View<Scalar*, MemSpace> store;  // kept activations (indexed by item) or rolling buffers (by wave slot)
  Kokkos::View<Scalar*, MemSpace> probs;  // kept p_up [item][N][W]
  Kokkos::View<Scalar*, MemSpace> scratch;  // the cell's forward scratch, by wave slot
  std::size_t scratch_stride = 0;

  KOKKOS_INLINE_FUNCTION Scalar* tileOf(Scalar* base, int position) const {
    const int slot = keep ? position : position % g.slots;
    return base + static_cast<std::size_t>(slot) * g.rows * W;
  }

  KOKKOS_INLINE_FUNCTION void operator()(const int local) const {
    const int item = item_begin + local;
    const int p = item / g.n_chunks;
    const int s0 = (item % g.n_chunks) * W;
    Scalar* base = &store(static_cast<std::size_t>(keep ? item : local) * store_stride);
    Scalar* kept_probs = keep ? &probs(static_cast<std::size_t>(item) * g.n_sites * W) : nullptr;
    const Scalar* theta = &params(p, 0);
    const int hidden = cell.hidden();
    const Scalar* udiff = &out_aux(p, 0);
    const Scalar ddiff = udiff[hidden];
    Scalar* cell_scratch = scratch_stride > 0 ? &scratch(static_cast<std::size_t>(local) * scratch_stride) : nullptr;
    const std::uint32_t stream = kSampling ? stream_ids(p) : 0u;
    double lp[W];
    for (int w = 0; w < W; ++w) lp[w] = 0.0;

    for (int k = 0; k < g.n_sites; ++k) {
      Scalar* state = tileOf(base, k);
      const Scalar* nb[Cell::kMaxInputs];
      for (int j = 0; j < Cell::kMaxInputs; ++j) {
        const int q = inputs(k, j);
        nb[j] = q < 0 ? nullptr : tileOf(base, q);
      }
      cell.forward(theta, nb, state, cell_scratch);

      // Output layer: δ = (U_1 − U_0)·h + (d_1 − d_0), vectorized over the lanes.
      const Scalar* h = state + cell.outputOffset() * W;
      Scalar delta[W];
      VNA_UNROLL
      for (int w = 0; w < W; ++w) delta[w] = ddiff;
      tile::gemmRows<Scalar, W>(1, hidden, udiff, hidden, h, W, delta, W);
      Scalar t[W], p_up[W], b[W];
      VNA_UNROLL
      for (int w = 0; w < W; ++w) {
        t[w] = expMinusAbs(delta[w]);
        p_up[w] = probabilityUp(delta[w], t[w]);
      }
      const int site = order(k);
      if constexpr (kSampling) {
        for (int w = 0; w < W; ++w) {
          const float u = samplingUniform(key, static_cast<std::uint32_t>(k),
                                          first_sample + static_cast<std::uint32_t>(s0 + w), stream, step);
          b[w] = drawBit(u, p_up[w]) ? Scalar(1) : Scalar(0);
        }
      } else {
        for (int w = 0; w < W; ++w) {
          const int s = s0 + w;
          b[w] = (s < g.num_samples && bits_in(p, s, site) != 0) ? Scalar(1) : Scalar(0);
        }
      }
      Scalar* onehot = state + cell.bitRow() * W;
      VNA_UNROLL
      for (int w = 0; w < W; ++w) {
        lp[w] += static_cast<double>(logProbabilityOf(delta[w], t[w], b[w]));
        onehot[w] = Scalar(1) - b[w];
        onehot[W + w] = b[w];
      }
      if (keep) {
        VNA_UNROLL
        for (int w = 0; w < W; ++w) kept_probs[k * W + w] = p_up[w];
      }
      if constexpr (kSampling) {
        for (int w = 0; w < W && s0 + w < g.num_samples; ++w)
          bits_out(p, s0 + w, site) = b[w] > Scalar(0.5) ? 1 : 0;
      }
    }
    for (int w = 0; w < W && s0 + w < g.num_samples; ++w) logp(p, s0 + w) = lp[w];
  }
};

}  // namespace
}  // namespace kokkos_backend
}  // namespace vna
