#include "rnn_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <type_traits>
#include <vector>

#include "cell_dilated.hpp"
#include "cell_tensorized.hpp"
#include "cell_vanilla.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "device_hamiltonian.hpp"
#include "rnn_engine_impl.hpp"
#include "sampling_rule.hpp"

namespace vna {

namespace {

using ExecSpace = Kokkos::DefaultExecutionSpace;
using MemSpace = ExecSpace::memory_space;

// Samples per work item. On the host, a [d_h][W] tile of samples is the vectorized unit; on a GPU
// backend each thread owns one sample (the native CUDA backend is the fast path there).
template <class Scalar>
constexpr int laneCount() {
  return std::is_same<MemSpace, Kokkos::HostSpace>::value ? (sizeof(Scalar) == 4 ? 16 : 8) : 1;
}

template <class T>
void ensureCapacity(Kokkos::View<T*, MemSpace>& view, std::size_t size, const char* label) {
  if (view.extent(0) >= size) return;
  view = Kokkos::View<T*, MemSpace>();  // release before allocating the larger one
  view = Kokkos::View<T*, MemSpace>(Kokkos::ViewAllocateWithoutInitializing(label), size);
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

template <class Scalar, class Cell>
struct CellAuxFunctor {
  Kokkos::View<const Scalar**, Kokkos::LayoutRight, MemSpace> params;
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> aux;
  Cell cell;
  KOKKOS_INLINE_FUNCTION void operator()(const int p, const int idx) const {
    aux(p, idx) = cell.auxEntry(&params(p, 0), idx);
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
    const Scalar* udiff = &out_aux(p, 0);
    const Scalar ddiff = udiff[hidden];
    double lp[W];
    for (int w = 0; w < W; ++w) lp[w] = 0.0;
    for (int k = 0; k < g.n_sites; ++k) {
      const Scalar* state = acts + static_cast<std::size_t>(k) * g.rows * W;
      Scalar delta[W];
      VNA_UNROLL
      for (int w = 0; w < W; ++w) delta[w] = ddiff;
      tile::gemmRows<Scalar, W>(1, hidden, udiff, hidden, state + cell.outputOffset() * W, W, delta, W);
      const Scalar* b = state + (cell.bitRow() + 1) * W;
      const int site = order(k);
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
    Scalar* cell_scratch = ring + static_cast<std::size_t>(g.slots) * tile_size;
    const Scalar* theta = &params(p, 0);
    const Scalar* udiff = &out_aux(p, 0);
    const Scalar ddiff = udiff[hidden];

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
      Scalar* state = ring + static_cast<std::size_t>(j % g.slots) * tile_size;
      const Scalar* nb[Cell::kMaxInputs];
      for (int jj = 0; jj < Cell::kMaxInputs; ++jj) {
        const int q = inputs(j, jj);
        nb[jj] = q < 0   ? nullptr
                 : q < k ? acts + static_cast<std::size_t>(q) * tile_size
                         : ring + static_cast<std::size_t>(q % g.slots) * tile_size;
      }
      cell.forward(theta, nb, state, cell_scratch);
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

namespace {

template <class Scalar, class Cell>
class EngineImpl final : public RnnEngine<Scalar>::Impl {
 public:
  using Base = RnnEngine<Scalar>;
  static constexpr int W = laneCount<Scalar>();

  EngineImpl(const EngineConfig& config, const ParamLayout& layout)
      : cell_(layout), layout_(layout), scratch_bytes_(config.scratch_bytes) {
    const Lattice& lattice = config.lattice;
    n_ = lattice.numSites();
    if (static_cast<int>(lattice.order.size()) != n_ || static_cast<int>(lattice.prev_horizontal.size()) != n_ ||
        static_cast<int>(lattice.prev_vertical.size()) != n_)
      throw InputError(fmt::format("RnnEngine: lattice '{}' has {} sites but an order of length {}", lattice.kind,
                                   n_, lattice.order.size()));
    const std::vector<int> table = Cell::inputTable(lattice, layout.cell);
    int lookback = 0;
    for (int k = 0; k < n_; ++k)
      for (int j = 0; j < Cell::kMaxInputs; ++j) {
        const int q = table[k * Cell::kMaxInputs + j];
        if (q >= k) throw Error(fmt::format("RnnEngine: position {} reads position {} (not a predecessor)", k, q));
        if (q >= 0) lookback = std::max(lookback, k - q);
      }
    slots_ = lookback + 1;
    order_ = Kokkos::View<int*, MemSpace>("vna::RnnEngine::order", n_);
    inputs_ = Kokkos::View<int**, Kokkos::LayoutRight, MemSpace>("vna::RnnEngine::inputs", n_, Cell::kMaxInputs);
    auto order_h = Kokkos::create_mirror_view(order_);
    auto inputs_h = Kokkos::create_mirror_view(inputs_);
    for (int k = 0; k < n_; ++k) {
      order_h(k) = lattice.order[k];
      for (int j = 0; j < Cell::kMaxInputs; ++j) inputs_h(k, j) = table[k * Cell::kMaxInputs + j];
    }
    Kokkos::deep_copy(order_, order_h);
    Kokkos::deep_copy(inputs_, inputs_h);
    geometry_.n_sites = n_;
    geometry_.rows = cell_.stateRows();
    geometry_.slots = slots_;
    u_offset_ = static_cast<int>(layout.block("U").offset);
    d_offset_ = static_cast<int>(layout.block("d").offset);
  }

  void sample(const ExecSpace& space, const typename Base::ParamsView& params,
              const typename Base::StreamIdsView& stream_ids, const SampleCounters& counters,
              const typename Base::BitsView& bits, const typename Base::LogProbView& logp,
              Activations activations) override {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(bits.extent(1));
    checkParams(params, "sample");
    checkBits(bits.extent(0), bits.extent(1), bits.extent(2), P, "sample");
    checkPerSample(logp.extent(0), logp.extent(1), P, M, "sample", "logp");
    if (static_cast<int>(stream_ids.extent(0)) != P)
      throw Error(fmt::format("RnnEngine::sample: {} stream ids for {} parameter sets", stream_ids.extent(0), P));
    ForwardFunctor<Scalar, Cell, W, true> f;
    f.bits_out = bits;
    f.stream_ids = stream_ids;
    f.key = makeRngKey(counters.seed, RngPurpose::kSampling);
    f.step = counters.step;
    f.first_sample = counters.first_sample;
    runForward(space, params, M, logp, activations, f, "vna::RnnEngine::sample");
  }

  void logProb(const ExecSpace& space, const typename Base::ParamsView& params,
               const typename Base::ConstBitsView& bits, const typename Base::LogProbView& logp,
               Activations activations) override {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(bits.extent(1));
    checkParams(params, "logProb");
    checkBits(bits.extent(0), bits.extent(1), bits.extent(2), P, "logProb");
    checkPerSample(logp.extent(0), logp.extent(1), P, M, "logProb", "logp");
    ForwardFunctor<Scalar, Cell, W, false> f;
    f.bits_in = bits;
    runForward(space, params, M, logp, activations, f, "vna::RnnEngine::logProb");
  }

  void gradient(const ExecSpace& space, const typename Base::ParamsView& params,
                const typename Base::ConstBitsView& bits, const typename Base::WeightsView& weights,
                const typename Base::GradView& grad) override {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(bits.extent(1));
    checkParams(params, "gradient");
    checkBits(bits.extent(0), bits.extent(1), bits.extent(2), P, "gradient");
    checkPerSample(weights.extent(0), weights.extent(1), P, M, "gradient", "weights");
    if (static_cast<int>(grad.extent(0)) != P || grad.extent(1) != layout_.total)
      throw Error(fmt::format("RnnEngine::gradient: grad is [{}][{}], expected [{}][{}]", grad.extent(0),
                              grad.extent(1), P, layout_.total));
    if (!kept_valid_ || kept_sets_ != P || kept_samples_ != M)
      throw Error(fmt::format(
          "RnnEngine::gradient: needs the activations of a sample()/logProb() with Activations::kKeep on the same "
          "[{}][{}] batch (kept: {})",
          P, M, kept_valid_ ? fmt::format("[{}][{}]", kept_sets_, kept_samples_) : std::string("none")));
    if (P == 0 || M == 0) {
      Kokkos::deep_copy(space, grad, 0.0);
      return;
    }
    prepareOutputAux(space, params);
    const int aux_size = cell_.auxSize();
    if (static_cast<int>(cell_aux_.extent(0)) < P || static_cast<int>(cell_aux_.extent(1)) != aux_size)
      cell_aux_ = Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace>(
          Kokkos::ViewAllocateWithoutInitializing("vna::RnnEngine::cell_aux"), P, aux_size);
    if (aux_size > 0)
      Kokkos::parallel_for("vna::RnnEngine::gradient::cell_aux",
                           Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>(space, {0, 0}, {P, aux_size}),
                           CellAuxFunctor<Scalar, Cell>{params, cell_aux_, cell_});

    ItemGeometry g = geometry_;
    g.num_samples = M;
    g.n_chunks = (M + W - 1) / W;
    const int n_items = P * g.n_chunks;
    BackwardFunctor<Scalar, Cell, W> f;
    f.cell = cell_;
    f.g = g;
    f.store_stride = static_cast<std::size_t>(n_) * g.rows * W;
    f.scratch_stride = static_cast<std::size_t>(slots_) * g.rows * W + cell_.scratchSize();
    f.grad_stride = static_cast<std::size_t>(cell_.gradSize()) + cell_.hidden() * W + W;
    const int wave = waveSize(n_items, f.scratch_stride);
    ensureCapacity(scratch_, static_cast<std::size_t>(wave) * f.scratch_stride, "vna::RnnEngine::scratch");
    ensureCapacity(grads_, static_cast<std::size_t>(n_items) * f.grad_stride, "vna::RnnEngine::grad_accumulators");
    f.params = params;
    f.out_aux = out_aux_;
    f.cell_aux = cell_aux_;
    f.order = order_;
    f.inputs = inputs_;
    f.bits = bits;
    f.weights = weights;
    f.store = store_;
    f.probs = probs_;
    f.scratch = scratch_;
    f.grads = grads_;
    int mismatches = 0;
    for (int begin = 0; begin < n_items; begin += wave) {
      f.item_begin = begin;
      int wave_mismatches = 0;
      Kokkos::parallel_reduce("vna::RnnEngine::gradient::backward",
                              Kokkos::RangePolicy<ExecSpace>(space, 0, std::min(wave, n_items - begin)), f,
                              wave_mismatches);
      mismatches += wave_mismatches;
    }
    if (mismatches > 0)
      throw Error(fmt::format(
          "RnnEngine::gradient: {} bits differ from those of the kept activations (call sample()/logProb() with "
          "Activations::kKeep on these bits first)",
          mismatches));
    GradientReduceFunctor<Scalar, Cell, W> r;
    r.cell = cell_;
    r.n_chunks = g.n_chunks;
    r.hidden = cell_.hidden();
    r.u_offset = u_offset_;
    r.d_offset = d_offset_;
    r.grad_stride = f.grad_stride;
    r.grads = grads_;
    r.grad = grad;
    Kokkos::parallel_for(
        "vna::RnnEngine::gradient::reduce",
        Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>(space, {0, 0}, {P, static_cast<int>(layout_.total)}), r);
  }

  bool logProbFlips(const ExecSpace& space, const typename Base::ParamsView& params,
                    const typename Base::ConstBitsView& bits,
                    const typename Base::FlipLogProbView& logp_flip) override {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(bits.extent(1));
    if (!kept_valid_ || kept_sets_ != P || kept_samples_ != M)
      throw Error(fmt::format(
          "RnnEngine::logProbFlips: needs the activations of a sample()/logProb() with Activations::kKeep on the "
          "same [{}][{}] batch (kept: {})",
          P, M, kept_valid_ ? fmt::format("[{}][{}]", kept_sets_, kept_samples_) : std::string("none")));
    if (P == 0 || M == 0) return true;
    prepareOutputAux(space, params);
    ItemGeometry g = geometry_;
    g.num_samples = M;
    g.n_chunks = (M + W - 1) / W;
    const int n_pairs = P * g.n_chunks;
    const std::size_t store_stride = static_cast<std::size_t>(n_) * g.rows * W;
    ensureCapacity(flip_base_, static_cast<std::size_t>(n_pairs) * n_ * W, "vna::RnnEngine::flip_base");

    FlipBaseFunctor<Scalar, Cell, W> b;
    b.cell = cell_;
    b.g = g;
    b.store_stride = store_stride;
    b.out_aux = out_aux_;
    b.order = order_;
    b.bits = bits;
    b.store = store_;
    b.base = flip_base_;
    b.logp_flip = logp_flip;
    int mismatches = 0;
    Kokkos::parallel_reduce("vna::RnnEngine::logProbFlips::base", Kokkos::RangePolicy<ExecSpace>(space, 0, n_pairs),
                            b, mismatches);
    if (mismatches > 0)
      throw Error(fmt::format(
          "RnnEngine::logProbFlips: {} bits differ from those of the kept activations (call sample()/logProb() "
          "with Activations::kKeep on these bits first)",
          mismatches));
    if (n_ == 1) return true;

    FlipFunctor<Scalar, Cell, W> f;
    f.cell = cell_;
    f.g = g;
    f.n_pairs = n_pairs;
    f.group = W == 1 ? n_pairs : 1;
    f.store_stride = store_stride;
    f.work_stride = static_cast<std::size_t>(slots_) * g.rows * W + cell_.forwardScratchSize();
    const int n_items = n_pairs * (n_ - 1);
    // A rolling buffer per thread when all threads' buffers fit the budget, else one per work item
    // of a wave.
    const std::size_t threads = static_cast<std::size_t>(f.token.size());
    f.per_thread = threads * f.work_stride * sizeof(Scalar) <= scratch_bytes_;
    const int wave = f.per_thread ? n_items : waveSize(n_items, f.work_stride);
    ensureCapacity(flip_work_, (f.per_thread ? threads : static_cast<std::size_t>(wave)) * f.work_stride,
                   "vna::RnnEngine::flip_work");
    f.params = params;
    f.out_aux = out_aux_;
    f.order = order_;
    f.inputs = inputs_;
    f.store = store_;
    f.base = flip_base_;
    f.work = flip_work_;
    f.logp_flip = logp_flip;
    for (int begin = 0; begin < n_items; begin += wave) {
      f.item_begin = begin;
      Kokkos::parallel_for("vna::RnnEngine::logProbFlips",
                           Kokkos::RangePolicy<ExecSpace>(space, 0, std::min(wave, n_items - begin)), f);
    }
    return true;
  }

  std::size_t workspaceBytes() const override {
    return sizeof(Scalar) * (store_.extent(0) + probs_.extent(0) + ring_.extent(0) + forward_scratch_.extent(0) +
                             scratch_.extent(0) + grads_.extent(0) + out_aux_.size() + cell_aux_.size() +
                             flip_work_.extent(0)) +
           sizeof(double) * flip_base_.extent(0);
  }

 private:
  void checkParams(const typename Base::ParamsView& params, const char* what) const {
    if (params.extent(1) != layout_.total)
      throw Error(fmt::format("RnnEngine::{}: parameter sets have {} entries, the {} d_h={} layout {}", what,
                              params.extent(1), cellKindName(layout_.cell), layout_.hidden, layout_.total));
  }
  void checkBits(std::size_t p, std::size_t m, std::size_t n, int P, const char* what) const {
    if (static_cast<int>(p) != P || static_cast<int>(n) != n_)
      throw Error(fmt::format("RnnEngine::{}: configurations are [{}][{}][{}], expected [{}][M][{}]", what, p, m, n, P,
                              n_));
  }
  static void checkPerSample(std::size_t p, std::size_t m, int P, int M, const char* what, const char* name) {
    if (static_cast<int>(p) != P || static_cast<int>(m) != M)
      throw Error(fmt::format("RnnEngine::{}: {} is [{}][{}], expected [{}][{}]", what, name, p, m, P, M));
  }

  int waveSize(int n_items, std::size_t scalars_per_item) const {
    const std::size_t fit = scratch_bytes_ / std::max<std::size_t>(1, scalars_per_item * sizeof(Scalar));
    return static_cast<int>(std::clamp<std::size_t>(fit, 1, std::max(1, n_items)));
  }

  void prepareOutputAux(const ExecSpace& space, const typename Base::ParamsView& params) {
    const int P = static_cast<int>(params.extent(0)), h = cell_.hidden();
    if (static_cast<int>(out_aux_.extent(0)) < P)
      out_aux_ = Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace>(
          Kokkos::ViewAllocateWithoutInitializing("vna::RnnEngine::output_aux"), P, h + 1);
    Kokkos::parallel_for("vna::RnnEngine::output_aux",
                         Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>(space, {0, 0}, {P, h + 1}),
                         OutputAuxFunctor<Scalar>{params, out_aux_, h, u_offset_, d_offset_});
  }

  template <class Functor>
  void runForward(const ExecSpace& space, const typename Base::ParamsView& params, int M,
                  const typename Base::LogProbView& logp, Activations activations, Functor& f, const char* label) {
    const int P = static_cast<int>(params.extent(0));
    const bool keep = activations == Activations::kKeep;
    if (keep) kept_valid_ = false;  // overwritten below; stays invalid if this call throws
    if (P == 0 || M == 0) {
      if (keep) {
        kept_valid_ = true;
        kept_sets_ = P;
        kept_samples_ = M;
      }
      return;
    }
    prepareOutputAux(space, params);
    ItemGeometry g = geometry_;
    g.num_samples = M;
    g.n_chunks = (M + W - 1) / W;
    const int n_items = P * g.n_chunks;
    f.cell = cell_;
    f.g = g;
    f.keep = keep;
    f.params = params;
    f.out_aux = out_aux_;
    f.order = order_;
    f.inputs = inputs_;
    f.logp = logp;
    // Per wave slot: the rolling buffer (without kept activations) and the cell's forward scratch.
    f.scratch_stride = static_cast<std::size_t>(cell_.forwardScratchSize());
    const std::size_t ring_stride = keep ? 0 : static_cast<std::size_t>(slots_) * g.rows * W;
    const int wave = waveSize(n_items, ring_stride + f.scratch_stride);
    if (f.scratch_stride > 0) {
      ensureCapacity(forward_scratch_, static_cast<std::size_t>(wave) * f.scratch_stride,
                     "vna::RnnEngine::forward_scratch");
      f.scratch = forward_scratch_;
    }
    if (keep) {
      f.store_stride = static_cast<std::size_t>(n_) * g.rows * W;
      ensureCapacity(store_, static_cast<std::size_t>(n_items) * f.store_stride, "vna::RnnEngine::activations");
      ensureCapacity(probs_, static_cast<std::size_t>(n_items) * n_ * W, "vna::RnnEngine::probabilities");
      f.store = store_;
      f.probs = probs_;
    } else {
      f.store_stride = ring_stride;
      ensureCapacity(ring_, static_cast<std::size_t>(wave) * f.store_stride, "vna::RnnEngine::rolling_buffer");
      f.store = ring_;
    }
    for (int begin = 0; begin < n_items; begin += wave) {
      f.item_begin = begin;
      Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(space, 0, std::min(wave, n_items - begin)), f);
    }
    if (keep) {
      kept_valid_ = true;
      kept_sets_ = P;
      kept_samples_ = M;
    }
  }

  Cell cell_;
  ParamLayout layout_;
  std::size_t scratch_bytes_;
  int n_ = 0, slots_ = 1, u_offset_ = 0, d_offset_ = 0;
  ItemGeometry geometry_;
  Kokkos::View<int*, MemSpace> order_;
  Kokkos::View<int**, Kokkos::LayoutRight, MemSpace> inputs_;
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> out_aux_, cell_aux_;
  Kokkos::View<Scalar*, MemSpace> store_, probs_, ring_, forward_scratch_, scratch_, grads_;
  Kokkos::View<Scalar*, MemSpace> flip_work_;  // logProbFlips' rolling buffers and cell scratch
  Kokkos::View<double*, MemSpace> flip_base_;  // logProbFlips' accumulators after each position
  bool kept_valid_ = false;
  int kept_sets_ = 0, kept_samples_ = 0;
};

}  // namespace

template <class Scalar>
RnnEngine<Scalar>::RnnEngine(const EngineConfig& config)
    : config_(config), layout_(makeParamLayout(config.cell, config.hidden, config.lattice.numSites())) {
  if (config.lattice.numSites() <= 0) throw InputError("RnnEngine: the lattice has no sites");
  backend_ = config.backend == Backend::kDefault ? defaultBackend() : config.backend;
  config_.backend = backend_;
  std::string fallback_reason;
  if (backend_ == Backend::kCuda) {
#ifdef VNA_HAVE_CUDA
    impl_ = makeCudaEngineImpl<Scalar>(config_, layout_, backend_description_, fallback_reason);
    if (impl_) return;
    backend_ = Backend::kKokkos;  // this network has no CUDA kernels: the Kokkos path runs it
    config_.backend = backend_;
#else
    throw Error("RnnEngine: the CUDA backend was requested, but this vna was built without it (VNA_ENABLE_CUDA)");
#endif
  }
  constexpr int W = laneCount<Scalar>();
  switch (config.cell) {
    case CellKind::kVanilla1d:
    case CellKind::kVanilla2d:
      impl_ = std::make_unique<EngineImpl<Scalar, VanillaCell<Scalar, W>>>(config_, layout_);
      break;
    case CellKind::kTensorized1d:
    case CellKind::kTensorized2d:
      impl_ = std::make_unique<EngineImpl<Scalar, TensorizedCell<Scalar, W>>>(config_, layout_);
      break;
    case CellKind::kDilated1d:
      impl_ = std::make_unique<EngineImpl<Scalar, DilatedCell<Scalar, W>>>(config_, layout_);
      break;
  }
  if (!impl_) throw Error(fmt::format("RnnEngine: cell '{}' has no implementation", cellKindName(config.cell)));
  backend_description_ = fmt::format("kokkos ({})", ExecSpace::name());
  if (!fallback_reason.empty()) backend_description_ += fmt::format(" [not cuda: {}]", fallback_reason);
}

template <class Scalar>
RnnEngine<Scalar>::~RnnEngine() = default;
template <class Scalar>
RnnEngine<Scalar>::RnnEngine(RnnEngine&&) noexcept = default;
template <class Scalar>
RnnEngine<Scalar>& RnnEngine<Scalar>::operator=(RnnEngine&&) noexcept = default;

template <class Scalar>
int RnnEngine<Scalar>::lanes() {
  return laneCount<Scalar>();
}

template <class Scalar>
void RnnEngine<Scalar>::sample(const execution_space& space, const ParamsView& params,
                               const StreamIdsView& stream_ids, const SampleCounters& counters, const BitsView& bits,
                               const LogProbView& logp, Activations activations) {
  impl_->sample(space, params, stream_ids, counters, bits, logp, activations);
}

template <class Scalar>
void RnnEngine<Scalar>::logProb(const execution_space& space, const ParamsView& params, const ConstBitsView& bits,
                                const LogProbView& logp, Activations activations) {
  impl_->logProb(space, params, bits, logp, activations);
}

template <class Scalar>
void RnnEngine<Scalar>::gradient(const execution_space& space, const ParamsView& params, const ConstBitsView& bits,
                                 const WeightsView& weights, const GradView& grad) {
  impl_->gradient(space, params, bits, weights, grad);
}

template <class Scalar>
void RnnEngine<Scalar>::logProbFlips(const execution_space& space, const ParamsView& params,
                                     const ConstBitsView& bits, const FlipLogProbView& logp_flip) {
  const std::size_t P = params.extent(0), M = bits.extent(1), N = static_cast<std::size_t>(numSites());
  if (params.extent(1) != layout_.total)
    throw Error(fmt::format("RnnEngine::logProbFlips: parameter sets have {} entries, the network {}",
                            params.extent(1), layout_.total));
  if (bits.extent(0) != P || bits.extent(2) != N)
    throw Error(fmt::format("RnnEngine::logProbFlips: configurations are [{}][{}][{}], expected [{}][M][{}]",
                            bits.extent(0), M, bits.extent(2), P, N));
  if (logp_flip.extent(0) != P || logp_flip.extent(1) != M || logp_flip.extent(2) != N)
    throw Error(fmt::format("RnnEngine::logProbFlips: logp_flip is [{}][{}][{}], expected [{}][{}][{}]",
                            logp_flip.extent(0), logp_flip.extent(1), logp_flip.extent(2), P, M, N));
  if (impl_->logProbFlips(space, params, bits, logp_flip)) return;
  if (P == 0 || M == 0) return;
  // Generic path: blocks of B samples' N flipped configurations each, within the scratch budget.
  const std::size_t B = std::clamp<std::size_t>(config_.scratch_bytes / (P * N * N), 1, M);
  using Range2 = Kokkos::MDRangePolicy<execution_space, Kokkos::Rank<2>>;
  BitsView flipped;
  LogProbView logp;
  for (std::size_t s0 = 0; s0 < M; s0 += B) {
    const std::size_t nb = std::min(B, M - s0), rows = nb * N;
    if (flipped.extent(1) != rows) {
      flipped = BitsView();
      flipped = BitsView(Kokkos::view_alloc(Kokkos::WithoutInitializing, "vna::RnnEngine::flipped"), P, rows, N);
      logp = LogProbView(Kokkos::view_alloc(Kokkos::WithoutInitializing, "vna::RnnEngine::flipped_logp"), P, rows);
    }
    const int n = static_cast<int>(N), first = static_cast<int>(s0);
    Kokkos::parallel_for(
        "vna::RnnEngine::logProbFlips::materialize",
        Range2(space, {0, 0}, {static_cast<int>(P), static_cast<int>(rows)}),
        KOKKOS_LAMBDA(const int p, const int r) {
          const int s = first + r / n, i = r % n;
          for (int j = 0; j < n; ++j) flipped(p, r, j) = bits(p, s, j) ^ static_cast<std::uint8_t>(j == i);
        });
    impl_->logProb(space, params, flipped, logp, Activations::kDiscard);
    Kokkos::parallel_for(
        "vna::RnnEngine::logProbFlips::scatter",
        Range2(space, {0, 0}, {static_cast<int>(P), static_cast<int>(rows)}),
        KOKKOS_LAMBDA(const int p, const int r) { logp_flip(p, first + r / n, r % n) = logp(p, r); });
  }
}

template <class Scalar>
std::size_t RnnEngine<Scalar>::workspaceBytes() const {
  return impl_->workspaceBytes() + (energy_ ? energy_->bits.span() : 0);
}

// The generic energy path: the Hamiltonian in the engine's memory space and a configuration buffer
// for calls that do not want the configurations back.
template <class Scalar>
struct RnnEngine<Scalar>::EnergyState {
  DeviceHamiltonian hamiltonian;
  BitsView bits;
};

template <class Scalar>
void RnnEngine<Scalar>::setHamiltonian(const Hamiltonian& hamiltonian) {
  if (hamiltonian.numSpins() != numSites())
    throw Error(fmt::format("RnnEngine::setHamiltonian: the network has {} sites but the Hamiltonian {} spins",
                            numSites(), hamiltonian.numSpins()));
  if (impl_->fusedEnergies()) {
    impl_->setHamiltonian(hamiltonian);
    energy_ = std::make_unique<EnergyState>();  // marks the Hamiltonian as set
    return;
  }
  energy_ = std::make_unique<EnergyState>(EnergyState{DeviceHamiltonian(hamiltonian), BitsView()});
}

template <class Scalar>
void RnnEngine<Scalar>::sampleWithEnergies(const execution_space& space, const ParamsView& params,
                                           const StreamIdsView& stream_ids, const SampleCounters& counters,
                                           const BitsView& bits, const LogProbView& logp,
                                           const LogProbView& energies, Activations activations) {
  if (!energy_) throw Error("RnnEngine::sampleWithEnergies: call setHamiltonian first");
  const std::size_t P = params.extent(0), M = logp.extent(1);
  if (energies.extent(0) != P || energies.extent(1) != M)
    throw Error(fmt::format("RnnEngine::sampleWithEnergies: energies are [{}][{}], expected [{}][{}]",
                            energies.extent(0), energies.extent(1), P, M));
  const bool want_bits = bits.size() > 0;
  if (impl_->fusedEnergies()) {
    impl_->sampleWithEnergies(space, params, stream_ids, counters, bits, logp, energies, activations);
    return;
  }
  BitsView target = bits;
  if (!want_bits) {
    const std::size_t N = static_cast<std::size_t>(numSites());
    if (energy_->bits.extent(0) != P || energy_->bits.extent(1) != M)
      energy_->bits = BitsView(Kokkos::view_alloc(Kokkos::WithoutInitializing, "vna::RnnEngine::energy_bits"), P, M, N);
    target = energy_->bits;
  }
  impl_->sample(space, params, stream_ids, counters, target, logp, activations);
  computeEnergies(space, energy_->hamiltonian, target, energies);
}

template class RnnEngine<float>;
template class RnnEngine<double>;

namespace {
std::atomic<Backend> default_backend{Backend::kKokkos};
}  // namespace

void setDefaultBackend(Backend backend) {
  if (backend == Backend::kCuda && !cudaBackendBuilt())
    throw Error("setDefaultBackend: this vna was built without the CUDA backend (VNA_ENABLE_CUDA)");
  default_backend = backend == Backend::kDefault ? Backend::kKokkos : backend;
}

Backend defaultBackend() { return default_backend.load(); }

std::string backendName(Backend backend) {
  switch (backend) {
    case Backend::kDefault:
      return "default";
    case Backend::kKokkos:
      return "kokkos";
    case Backend::kCuda:
      return "cuda";
  }
  return "?";
}

bool cudaBackendBuilt() {
#ifdef VNA_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

}  // namespace vna
