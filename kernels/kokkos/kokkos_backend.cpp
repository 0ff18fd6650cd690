// The Kokkos backend of RnnEngine: every cell (kokkos/cell_*.hpp) on any Kokkos execution space, from
// the functors of kokkos/forward.hpp, kokkos/backward.hpp and kokkos/flips.hpp. The front end
// (rnn_engine.cpp) has checked every call's shapes and the kept activations before it gets here, and
// passes no empty batch. See doc/design.md, "The batched engine".
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "engine_checks.hpp"
#include "kokkos/backward.hpp"
#include "kokkos/cell_dilated.hpp"
#include "kokkos/cell_tensorized.hpp"
#include "kokkos/cell_vanilla.hpp"
#include "kokkos/flips.hpp"
#include "kokkos/forward.hpp"
#include "network_tables.hpp"
#include "rnn_engine_impl.hpp"

namespace vna {
namespace kokkos_backend {
namespace {

template <class T>
void ensureCapacity(Kokkos::View<T*, MemSpace>& view, std::size_t size, const char* label) {
  if (view.extent(0) >= size) return;
  view = Kokkos::View<T*, MemSpace>();  // release before allocating the larger one
  view = Kokkos::View<T*, MemSpace>(Kokkos::ViewAllocateWithoutInitializing(label), size);
}

template <class Scalar, class Cell>
class KokkosEngine final : public RnnEngine<Scalar>::Impl {
 public:
  using Base = RnnEngine<Scalar>;
  static constexpr int W = laneCount<Scalar>();

  KokkosEngine(const EngineConfig& config, const ParamLayout& layout)
      : cell_(layout),
        site_cell_(layout.siteLayout()),
        layout_(layout),
        site_map_(siteMap(layout)),
        per_site_(layout.perSite()),
        sites_(layout.sites),
        scratch_bytes_(config.scratch_bytes) {
    const Lattice& lattice = config.lattice;
    n_ = lattice.numSites();
    const std::vector<int> table = Cell::inputTable(lattice, layout.cell);
    const std::string problem = predecessorProblem(table, n_, Cell::kMaxInputs);
    if (!problem.empty()) throw Error("RnnEngine: " + problem);
    const int lookback = maxLookback(table, n_, Cell::kMaxInputs);
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
    u_ = blockRef(layout, "U");
    d_ = blockRef(layout, "d");
  }

  void sample(const ExecSpace& space, const typename Base::ParamsView& params,
              const typename Base::StreamIdsView& stream_ids, const SampleCounters& counters,
              const typename Base::BitsView& bits, const typename Base::LogProbView& logp,
              Activations activations) override {
    const int M = static_cast<int>(bits.extent(1));
    ForwardFunctor<Scalar, Cell, W, true> f;
    f.bits_out = bits;
    f.stream_ids = stream_ids;
    f.key = makeRngKey(counters.seed, RngPurpose::kSampling);
    f.step = counters.step;
    f.first_sample = counters.first_sample;
    runForward(space, params, M, logp, activations, f, "vna::RnnEngine::sample");
  }

  bool samplePlane(const ExecSpace& space, const typename Base::PlaneView& plane,
                   const typename Base::PlaneView& coefficients, const typename Base::StreamIdsView& stream_ids,
                   const SampleCounters& counters, const typename Base::BitsView& bits,
                   const typename Base::LogProbView& logp) override {
    const int P = static_cast<int>(coefficients.extent(1)), M = static_cast<int>(bits.extent(1));
    const int hidden = cell_.hidden();
    ForwardFunctor<Scalar, Cell, W, true, true> f;
    f.cell = site_cell_;
    f.bits_out = bits;
    f.stream_ids = stream_ids;
    f.key = makeRngKey(counters.seed, RngPurpose::kSampling);
    f.step = counters.step;
    f.first_sample = counters.first_sample;
    f.plane.rows = plane;
    f.plane.coeffs = coefficients;
    f.plane.map = site_map_;
    f.plane.hidden = hidden;
    f.plane.u_local = u_.local;
    f.plane.d_local = d_.local;
    f.plane.stride = static_cast<std::size_t>(site_map_.siteSize()) + hidden + 1;
    ItemGeometry g = geometry_;
    g.num_samples = M;
    g.n_chunks = (M + W - 1) / W;
    f.g = g;
    f.keep = false;
    f.per_site = per_site_;
    f.group = g.n_chunks;  // one item per set: each site's parameters expanded once per set
    f.order = order_;
    f.inputs = inputs_;
    f.logp = logp;
    f.store_stride = static_cast<std::size_t>(slots_) * g.rows * W;
    const std::size_t per_item = f.group * f.store_stride + f.plane.stride +
                                 (f.group * W * sizeof(double) + sizeof(Scalar) - 1) / sizeof(Scalar);
    const int wave = waveSize(P, per_item);
    ensureCapacity(ring_, static_cast<std::size_t>(wave) * f.group * f.store_stride, "vna::RnnEngine::rolling_buffer");
    ensureCapacity(plane_buffer_, static_cast<std::size_t>(wave) * f.plane.stride, "vna::RnnEngine::plane_buffer");
    ensureCapacity(lp_buffer_, static_cast<std::size_t>(wave) * f.group * W, "vna::RnnEngine::logp_accumulators");
    f.store = ring_;
    f.plane_buffer = plane_buffer_;
    f.lp_buffer = lp_buffer_;
    for (int begin = 0; begin < P; begin += wave) {
      f.item_begin = begin;
      Kokkos::parallel_for("vna::RnnEngine::samplePlane", Kokkos::RangePolicy<ExecSpace>(space, 0, std::min(wave, P - begin)),
                           f);
    }
    return true;
  }

  void logProb(const ExecSpace& space, const typename Base::ParamsView& params,
               const typename Base::ConstBitsView& bits, const typename Base::LogProbView& logp,
               Activations activations) override {
    const int M = static_cast<int>(bits.extent(1));
    ForwardFunctor<Scalar, Cell, W, false> f;
    f.bits_in = bits;
    runForward(space, params, M, logp, activations, f, "vna::RnnEngine::logProb");
  }

  void gradient(const ExecSpace& space, const typename Base::ParamsView& params,
                const typename Base::ConstBitsView& bits, const typename Base::WeightsView& weights,
                const typename Base::GradView& grad) override {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(bits.extent(1));
    const BackwardMode mode = per_site_ ? BackwardMode::kPerSite : BackwardMode::kShared;
    prepareOutputAux(space, params);

    ItemGeometry g = geometry_;
    g.num_samples = M;
    g.n_chunks = (M + W - 1) / W;
    BackwardFunctor<Scalar, Cell, W> f;
    f.cell = cell_;
    f.g = g;
    f.mode = mode;
    f.group = mode == BackwardMode::kPerSite ? g.n_chunks : 1;
    const int n_items = P * (g.n_chunks / f.group);
    f.store_stride = static_cast<std::size_t>(n_) * g.rows * W;
    f.scratch_stride = static_cast<std::size_t>(slots_) * g.rows * W + cell_.scratchSize();
    f.grad_stride = static_cast<std::size_t>(cell_.gradSize()) + cell_.hidden() * W + W;
    f.position_stride = static_cast<std::size_t>(cell_.positionScratchSize(f.group));
    const std::size_t work_stride = f.group * f.scratch_stride + f.position_stride;
    const int wave = waveSize(n_items, work_stride);
    ensureCapacity(scratch_, static_cast<std::size_t>(wave) * work_stride, "vna::RnnEngine::scratch");
    ensureCapacity(grads_, static_cast<std::size_t>(n_items) * f.grad_stride, "vna::RnnEngine::grad_accumulators");
    f.params = params;
    f.out_aux = out_aux_;
    f.order = order_;
    f.inputs = inputs_;
    f.bits = bits;
    f.weights = weights;
    f.store = store_;
    f.probs = probs_;
    f.scratch = scratch_;
    f.grads = grads_;
    f.map = site_map_;
    f.grad = grad;  // kPerSite writes it position by position
    int mismatches = 0;
    for (int begin = 0; begin < n_items; begin += wave) {
      f.item_begin = begin;
      int wave_mismatches = 0;
      Kokkos::parallel_reduce("vna::RnnEngine::gradient::backward",
                              Kokkos::RangePolicy<ExecSpace>(space, 0, std::min(wave, n_items - begin)), f,
                              wave_mismatches);
      mismatches += wave_mismatches;
    }
    if (mismatches > 0) engine_checks::throwBitsDiffer("RnnEngine::gradient", mismatches);
    if (mode == BackwardMode::kPerSite) return;
    GradientReduceFunctor<Scalar, Cell, W> r;
    r.cell = cell_;
    r.n_chunks = g.n_chunks;
    r.hidden = cell_.hidden();
    r.u_local = u_.local;
    r.d_local = d_.local;
    r.grad_stride = f.grad_stride;
    r.grads = grads_;
    r.grad = grad;
    Kokkos::parallel_for(
        "vna::RnnEngine::gradient::reduce",
        Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>(space, {0, 0}, {P, static_cast<int>(layout_.total)}), r);
  }

  bool hasFlipKernel() const override { return true; }

  bool logProbFlips(const ExecSpace& space, const typename Base::ParamsView& params,
                    const typename Base::ConstBitsView& bits,
                    const typename Base::FlipLogProbView& logp_flip) override {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(bits.extent(1));
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
    b.per_site = per_site_;
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
    if (mismatches > 0) engine_checks::throwBitsDiffer("RnnEngine::logProbFlips", mismatches);
    if (n_ == 1) return true;

    FlipFunctor<Scalar, Cell, W> f;
    f.cell = cell_;
    f.g = g;
    f.per_site = per_site_;
    f.n_pairs = n_pairs;
    f.group = W == 1 ? n_pairs : 1;
    f.store_stride = store_stride;
    f.work_stride = static_cast<std::size_t>(slots_) * g.rows * W;
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
    return sizeof(Scalar) * (store_.extent(0) + probs_.extent(0) + ring_.extent(0) +
                             scratch_.extent(0) + grads_.extent(0) + out_aux_.size() +
                             flip_work_.extent(0) + plane_buffer_.extent(0)) +
           sizeof(double) * (flip_base_.extent(0) + lp_buffer_.extent(0));
  }

 private:
  int waveSize(int n_items, std::size_t scalars_per_item) const {
    const std::size_t fit = scratch_bytes_ / std::max<std::size_t>(1, scalars_per_item * sizeof(Scalar));
    return static_cast<int>(std::clamp<std::size_t>(fit, 1, std::max(1, n_items)));
  }

  void prepareOutputAux(const ExecSpace& space, const typename Base::ParamsView& params) {
    const int P = static_cast<int>(params.extent(0)), h = cell_.hidden(), width = sites_ * (h + 1);
    if (static_cast<int>(out_aux_.extent(0)) < P)
      out_aux_ = Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace>(
          Kokkos::ViewAllocateWithoutInitializing("vna::RnnEngine::output_aux"), P, width);
    Kokkos::parallel_for("vna::RnnEngine::output_aux",
                         Kokkos::MDRangePolicy<ExecSpace, Kokkos::Rank<2>>(space, {0, 0}, {P, width}),
                         OutputAuxFunctor<Scalar>{params, out_aux_, h, u_, d_});
  }

  template <class Functor>
  void runForward(const ExecSpace& space, const typename Base::ParamsView& params, int M,
                  const typename Base::LogProbView& logp, Activations activations, Functor& f, const char* label) {
    const int P = static_cast<int>(params.extent(0));
    const bool keep = activations == Activations::kKeep;
    prepareOutputAux(space, params);
    ItemGeometry g = geometry_;
    g.num_samples = M;
    g.n_chunks = (M + W - 1) / W;
    // Per-site weights: one work item per set, its chunks in turn at every position, so that a site's
    // weights are read from memory once per set rather than once per chunk (the same arithmetic per
    // chunk: the samples do not change).
    f.group = per_site_ ? g.n_chunks : 1;
    const int n_items = P * (g.n_chunks / f.group);
    f.cell = cell_;
    f.g = g;
    f.keep = keep;
    f.per_site = per_site_;
    f.params = params;
    f.out_aux = out_aux_;
    f.order = order_;
    f.inputs = inputs_;
    f.logp = logp;
    // Per wave slot: the rolling buffer (without kept activations).
    const std::size_t ring_stride = keep ? 0 : static_cast<std::size_t>(slots_) * g.rows * W;
    const std::size_t lp_scalars =
        f.group > 1 ? (f.group * W * sizeof(double) + sizeof(Scalar) - 1) / sizeof(Scalar) : 0;
    const int wave = waveSize(n_items, f.group * ring_stride + lp_scalars);
    if (f.group > 1) {
      ensureCapacity(lp_buffer_, static_cast<std::size_t>(wave) * f.group * W, "vna::RnnEngine::logp_accumulators");
      f.lp_buffer = lp_buffer_;
    }
    if (keep) {
      f.store_stride = static_cast<std::size_t>(n_) * g.rows * W;
      const std::size_t chunks = static_cast<std::size_t>(P) * g.n_chunks;  // kept per chunk
      ensureCapacity(store_, chunks * f.store_stride, "vna::RnnEngine::activations");
      ensureCapacity(probs_, chunks * n_ * W, "vna::RnnEngine::probabilities");
      f.store = store_;
      f.probs = probs_;
    } else {
      f.store_stride = ring_stride;
      ensureCapacity(ring_, static_cast<std::size_t>(wave) * f.group * f.store_stride, "vna::RnnEngine::rolling_buffer");
      f.store = ring_;
    }
    for (int begin = 0; begin < n_items; begin += wave) {
      f.item_begin = begin;
      Kokkos::parallel_for(label, Kokkos::RangePolicy<ExecSpace>(space, 0, std::min(wave, n_items - begin)), f);
    }
  }

  Cell cell_;       // reads θ in the engine's layout
  Cell site_cell_;  // reads one site's parameters in the site layout (plane sets)
  ParamLayout layout_;
  SiteMap site_map_;
  bool per_site_ = false;
  int sites_ = 1;
  std::size_t scratch_bytes_;
  int n_ = 0, slots_ = 1;
  BlockRef u_, d_;
  ItemGeometry geometry_;
  Kokkos::View<int*, MemSpace> order_;
  Kokkos::View<int**, Kokkos::LayoutRight, MemSpace> inputs_;
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> out_aux_;
  Kokkos::View<Scalar*, MemSpace> store_, probs_, ring_, scratch_, grads_;
  Kokkos::View<Scalar*, MemSpace> flip_work_;  // logProbFlips' rolling buffers
  Kokkos::View<double*, MemSpace> flip_base_;  // logProbFlips' accumulators after each position
  Kokkos::View<Scalar*, MemSpace> plane_buffer_;  // samplePlane's expanded site parameters
  Kokkos::View<double*, MemSpace> lp_buffer_;     // log p accumulators of multi-chunk items (plane sets, per-site weights)
};


}  // namespace
}  // namespace kokkos_backend

template <class Scalar>
std::unique_ptr<typename RnnEngine<Scalar>::Impl> makeKokkosEngineImpl(const EngineConfig& config,
                                                                       const ParamLayout& layout) {
  using kokkos_backend::KokkosEngine;
  constexpr int W = kokkos_backend::laneCount<Scalar>();
  switch (config.cell) {
    case CellKind::kVanilla1d:
    case CellKind::kVanilla2d:
      return std::make_unique<KokkosEngine<Scalar, VanillaCell<Scalar, W>>>(config, layout);
    case CellKind::kTensorized1d:
    case CellKind::kTensorized2d:
      return std::make_unique<KokkosEngine<Scalar, TensorizedCell<Scalar, W>>>(config, layout);
    case CellKind::kDilated1d:
      return std::make_unique<KokkosEngine<Scalar, DilatedCell<Scalar, W>>>(config, layout);
  }
  throw Error(fmt::format("RnnEngine: cell '{}' has no implementation", cellKindName(config.cell)));
}

std::string kokkosBackendDescription() {
  return fmt::format("kokkos ({})", Kokkos::DefaultExecutionSpace::name());
}

template <class Scalar>
int RnnEngine<Scalar>::lanes() {
  return kokkos_backend::laneCount<Scalar>();
}

template std::unique_ptr<RnnEngine<float>::Impl> makeKokkosEngineImpl<float>(const EngineConfig&, const ParamLayout&);
template std::unique_ptr<RnnEngine<double>::Impl> makeKokkosEngineImpl<double>(const EngineConfig&,
                                                                                const ParamLayout&);
template int RnnEngine<float>::lanes();
template int RnnEngine<double>::lanes();

}  // namespace vna
