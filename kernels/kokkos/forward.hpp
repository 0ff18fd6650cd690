#pragma once
// The Kokkos forward pass: work-item geometry and the forward functor (sampling and teacher forcing).
// Internal to the Kokkos backend (kokkos_backend.cpp); see doc/design.md, "The batched engine".
#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "core/error.hpp"
#include "core/random.hpp"
#include "kokkos/cell_common.hpp"
#include "kokkos/tile_gemm.hpp"
#include "parameter_plane.hpp"
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

// out_aux[p][site] = [U_1 − U_0 (d_h entries), d_1 − d_0]: what the output layer needs per parameter
// set and site (one "site" when the weights are shared; index e = site · (d_h + 1) + i).
template <class Scalar>
struct OutputAuxFunctor {
  Kokkos::View<const Scalar**, Kokkos::LayoutRight, MemSpace> params;
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> aux;
  int hidden;
  BlockRef u, d;
  KOKKOS_INLINE_FUNCTION void operator()(const int p, const int e) const {
    const int site = e / (hidden + 1), i = e % (hidden + 1);
    const std::size_t uo = u.at(site), dof = d.at(site);
    aux(p, e) = i < hidden ? params(p, uo + hidden + i) - params(p, uo + i) : params(p, dof + 1) - params(p, dof);
  }
};

// Where every block of one site's layout lives in θ: the map from one site's parameters (index j of
// ParamLayout::siteLayout()) to the flat vector, global(site, j). Blocks in layout order.
struct SiteMap {
  static constexpr int kMaxBlocks = 40;  // dilated1d at 16 layers: 34
  int count = 0;
  int local[kMaxBlocks + 1] = {};  // local offsets, local[count] = one site's size
  std::size_t offset[kMaxBlocks] = {}, stride[kMaxBlocks] = {};
  KOKKOS_INLINE_FUNCTION int siteSize() const { return local[count]; }
  KOKKOS_INLINE_FUNCTION int blockOf(int j) const {
    int b = 0;
    while (b + 1 < count && j >= local[b + 1]) ++b;
    return b;
  }
  KOKKOS_INLINE_FUNCTION std::size_t global(int site, int j) const {
    const int b = blockOf(j);
    return offset[b] + static_cast<std::size_t>(site) * stride[b] + (j - local[b]);
  }
};

inline SiteMap siteMap(const ParamLayout& layout) {
  SiteMap m;
  if (layout.blocks.size() > static_cast<std::size_t>(SiteMap::kMaxBlocks))
    throw Error("RnnEngine: more parameter blocks than the site map holds");
  for (const ParamBlock& b : layout.blocks) {
    m.offset[m.count] = b.offset;
    m.stride[m.count] = layout.perSite() ? b.site_size : 0;
    m.local[m.count + 1] = m.local[m.count] + static_cast<int>(b.site_size);
    ++m.count;
  }
  return m;
}

// Parameter sets on a plane, θ_p = θ* + α_p δ + β_p η, expanded where the forward pass reads them: a
// work item (one parameter set) expands one site's parameters into its buffer in the site layout,
// once per position with per-site weights, once per set when they are shared, followed by the output
// layer's [U_1 − U_0, d_1 − d_0] of that site (the arithmetic of OutputAuxFunctor on the rounded
// entries). Entries are parameter_plane.hpp's planeEntry rounded to Scalar: bit for bit the values a
// materialized set holds.
template <class Scalar>
struct PlaneSource {
  Kokkos::View<const double**, Kokkos::LayoutRight, MemSpace> rows;    // [3][n]: θ*, δ, η
  Kokkos::View<const double**, Kokkos::LayoutRight, MemSpace> coeffs;  // [2][P]: α, β
  SiteMap map;
  int hidden = 0, u_local = 0, d_local = 0;
  std::size_t stride = 0;  // Scalars per buffer: one site's parameters, then d_h + 1
  KOKKOS_INLINE_FUNCTION void expand(int p, int site, Scalar* out) const {
    const double a = coeffs(0, p), b = coeffs(1, p);
    for (int blk = 0; blk < map.count; ++blk) {
      const std::size_t g0 = map.offset[blk] + static_cast<std::size_t>(site) * map.stride[blk];
      const int l0 = map.local[blk], len = map.local[blk + 1] - l0;
      for (int e = 0; e < len; ++e)
        out[l0 + e] = static_cast<Scalar>(planeEntry(rows(0, g0 + e), a, rows(1, g0 + e), b, rows(2, g0 + e)));
    }
    Scalar* udiff = out + map.siteSize();
    for (int i = 0; i < hidden; ++i) udiff[i] = out[u_local + hidden + i] - out[u_local + i];
    udiff[hidden] = out[d_local + 1] - out[d_local];
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

// The chunks of work item `item` when items hold `group` consecutive chunks of a set: set p, chunks
// first .. first + count − 1 (the last group of a set may be short). Shared by the forward and backward
// passes, whose items are numbered alike.
struct ItemChunks {
  int set = 0, first = 0, count = 0;
};
KOKKOS_INLINE_FUNCTION ItemChunks itemChunks(const ItemGeometry& g, int item, int group) {
  const int groups = (g.n_chunks + group - 1) / group;
  ItemChunks r;
  r.set = item / groups;
  r.first = (item % groups) * group;
  r.count = g.n_chunks - r.first < group ? g.n_chunks - r.first : group;
  return r;
}

// A work item is (parameter set p, group of `group` consecutive chunks of W samples): explicit sets
// use one chunk per item; plane sets all chunks of a set, so that each site's parameters are expanded
// once per set and position. The arithmetic of a chunk does not depend on the grouping.
template <class Scalar, class Cell, int W, bool kSampling, bool kPlane = false>
struct ForwardFunctor {
  Cell cell;  // explicit sets: θ in the engine's layout; plane sets: the site layout (the buffer)
  ItemGeometry g;
  int item_begin = 0;
  bool keep = false;
  bool per_site = false;
  int group = 1;
  std::size_t store_stride = 0;  // Scalars per chunk in `store`
  Kokkos::View<const Scalar**, Kokkos::LayoutRight, MemSpace> params, out_aux;
  Kokkos::View<const int*, MemSpace> order;
  Kokkos::View<const int**, Kokkos::LayoutRight, MemSpace> inputs;
  Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, MemSpace> bits_out;          // sampling
  Kokkos::View<const std::uint8_t***, Kokkos::LayoutRight, MemSpace> bits_in;     // teacher forcing
  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> logp;
  Kokkos::View<const std::uint32_t*, MemSpace> stream_ids;
  RngKey key{0, 0};
  std::uint32_t step = 0, first_sample = 0;
  Kokkos::View<Scalar*, MemSpace> store;  // kept activations (by chunk) or rolling buffers (by wave slot, chunk)
  Kokkos::View<Scalar*, MemSpace> probs;  // kept p_up [chunk][N][W]
  PlaneSource<Scalar> plane;                   // kPlane
  Kokkos::View<Scalar*, MemSpace> plane_buffer;  // kPlane: plane.stride per wave slot
  Kokkos::View<double*, MemSpace> lp_buffer;     // group > 1: group · W log p accumulators per wave slot

  KOKKOS_INLINE_FUNCTION Scalar* tileOf(Scalar* base, int position) const {
    const int slot = keep ? position : position % g.slots;
    return base + static_cast<std::size_t>(slot) * g.rows * W;
  }

  KOKKOS_INLINE_FUNCTION void operator()(const int local) const {
    const int item = item_begin + local;
    const ItemChunks chunks = itemChunks(g, item, group);
    const int p = chunks.set, c0 = chunks.first, count = chunks.count;
    const int hidden = cell.hidden();
    const std::uint32_t stream = kSampling ? stream_ids(p) : 0u;
    double lp_local[W];
    double* lp = group == 1 ? lp_local : &lp_buffer(static_cast<std::size_t>(local) * group * W);
    for (int w = 0; w < count * W; ++w) lp[w] = 0.0;
    Scalar* site_params = nullptr;
    if constexpr (kPlane) site_params = &plane_buffer(static_cast<std::size_t>(local) * plane.stride);

    for (int k = 0; k < g.n_sites; ++k) {
      const int site = order(k);
      const Scalar* theta;
      const Scalar* udiff;
      int weight_site = site;
      if constexpr (kPlane) {
        if (per_site || k == 0) plane.expand(p, per_site ? site : 0, site_params);
        theta = site_params;
        udiff = site_params + plane.map.siteSize();
        weight_site = 0;
      } else {
        theta = &params(p, 0);
        udiff = &out_aux(p, (per_site ? site : 0) * (hidden + 1));
      }
      const Scalar ddiff = udiff[hidden];
      for (int c = 0; c < count; ++c) {
        const int chunk = p * g.n_chunks + c0 + c, s0 = (c0 + c) * W;
        Scalar* base = &store(static_cast<std::size_t>(keep ? chunk : local * group + c) * store_stride);
        Scalar* state = tileOf(base, k);
        const Scalar* nb[Cell::kMaxInputs];
        for (int j = 0; j < Cell::kMaxInputs; ++j) {
          const int q = inputs(k, j);
          nb[j] = q < 0 ? nullptr : tileOf(base, q);
        }
        cell.forward(theta, weight_site, nb, state);

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
        double* lpc = lp + c * W;
        VNA_UNROLL
        for (int w = 0; w < W; ++w) {
          lpc[w] += static_cast<double>(logProbabilityOf(delta[w], t[w], b[w]));
          onehot[w] = Scalar(1) - b[w];
          onehot[W + w] = b[w];
        }
        if (keep) {
          Scalar* kept_probs = &probs(static_cast<std::size_t>(chunk) * g.n_sites * W);
          VNA_UNROLL
          for (int w = 0; w < W; ++w) kept_probs[k * W + w] = p_up[w];
        }
        if constexpr (kSampling) {
          for (int w = 0; w < W && s0 + w < g.num_samples; ++w)
            bits_out(p, s0 + w, site) = b[w] > Scalar(0.5) ? 1 : 0;
        }
      }
    }
    for (int c = 0; c < count; ++c) {
      const int s0 = (c0 + c) * W;
      for (int w = 0; w < W && s0 + w < g.num_samples; ++w) logp(p, s0 + w) = lp[c * W + w];
    }
  }
};

}  // namespace
}  // namespace kokkos_backend
}  // namespace vna
