// RnnEngine's CUDA backend: adapts the engine's Kokkos views to cuda::Engine's raw pointers. With
// Debian's Kokkos the views live in host memory and each call copies its inputs to the GPU and its
// outputs back (parameters P × n, configurations P × M × N bytes, log p P × M); with a Kokkos whose
// memory space is the GPU's the device pointers are used directly.
#include <fmt/format.h>

#include <Kokkos_Core.hpp>
#include <type_traits>

#include "core/error.hpp"
#include "cuda/cuda_check.hpp"
#include "cuda/cuda_engine.hpp"
#include "rnn_engine_impl.hpp"

namespace vna {

namespace {

using MemSpace = Kokkos::DefaultExecutionSpace::memory_space;
constexpr bool kHostViews = Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemSpace>::accessible;

cuda::NetworkSpec networkSpec(const EngineConfig& config, const ParamLayout& layout) {
  const Lattice& lattice = config.lattice;
  cuda::NetworkSpec spec;
  spec.n_sites = lattice.numSites();
  spec.hidden = layout.hidden;
  spec.n_params = layout.total;
  const bool two_d = layout.cell == CellKind::kVanilla2d;
  spec.inputs = two_d ? 2 : 1;
  spec.weight_offset[0] = layout.block(two_d ? "Wh" : "W").offset;
  spec.weight_offset[1] = two_d ? layout.block("Wv").offset : 0;
  spec.bias_offset = layout.block("c").offset;
  spec.u_offset = layout.block("U").offset;
  spec.d_offset = layout.block("d").offset;
  spec.order = lattice.order;
  spec.predecessor.assign(static_cast<std::size_t>(spec.n_sites) * 2, -1);
  // The same predecessors as the Kokkos cells (cell_common.hpp, predecessorTable).
  for (int k = 0; k < spec.n_sites; ++k) {
    if (two_d) {
      spec.predecessor[2 * k] = lattice.prev_horizontal.at(k);
      spec.predecessor[2 * k + 1] = lattice.prev_vertical.at(k);
    } else {
      spec.predecessor[2 * k] = k - 1;
    }
  }
  return spec;
}

template <class View>
void requireContiguous(const View& view, const char* what, const char* name) {
  if (view.size() > 0 && !view.span_is_contiguous())
    throw Error(fmt::format("RnnEngine::{} (CUDA backend): {} must be a contiguous view", what, name));
}

template <class Scalar>
class CudaEngineImpl final : public RnnEngine<Scalar>::Impl {
 public:
  using Engine = RnnEngine<Scalar>;

  CudaEngineImpl(const cuda::NetworkSpec& spec, const ParamLayout& layout)
      : engine_(spec), layout_(layout), n_(spec.n_sites) {}

  std::string description() const {
    return fmt::format("cuda ({}, device {})", engine_.deviceName(), engine_.device());
  }

  void sample(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
              const typename Engine::StreamIdsView& stream_ids, const SampleCounters& counters,
              const typename Engine::BitsView& bits, const typename Engine::LogProbView& logp,
              Activations activations) override {
    run(space, params, stream_ids, counters, bits, logp, nullptr, activations, "sample");
  }

  void sampleWithEnergies(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
                          const typename Engine::StreamIdsView& stream_ids, const SampleCounters& counters,
                          const typename Engine::BitsView& bits, const typename Engine::LogProbView& logp,
                          const typename Engine::LogProbView& energies, Activations activations) override {
    run(space, params, stream_ids, counters, bits, logp, &energies, activations, "sampleWithEnergies");
  }

  void logProb(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
               const typename Engine::ConstBitsView& bits, const typename Engine::LogProbView& logp,
               Activations activations) override {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(bits.extent(1));
    checkParams(params, "logProb");
    checkBits(bits.extent(0), bits.extent(2), P, "logProb");
    checkPerSample(logp.extent(0), logp.extent(1), P, M, "logProb", "logp");
    requireContiguous(params, "logProb", "params");
    requireContiguous(bits, "logProb", "bits");
    requireContiguous(logp, "logProb", "logp");
    space.fence();  // the inputs may still be written by earlier Kokkos work
    const bool keep = activations == Activations::kKeep;
    if (kHostViews)
      engine_.logProb(params.data(), P, bits.data(), M, logp.data(), keep);
    else {
      engine_.logProbOnDevice(params.data(), P, bits.data(), M, logp.data(), keep);
      engine_.synchronize();
    }
  }

  void gradient(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
                const typename Engine::ConstBitsView& bits, const typename Engine::WeightsView& weights,
                const typename Engine::GradView& grad) override {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(bits.extent(1));
    checkParams(params, "gradient");
    checkBits(bits.extent(0), bits.extent(2), P, "gradient");
    checkPerSample(weights.extent(0), weights.extent(1), P, M, "gradient", "weights");
    if (static_cast<int>(grad.extent(0)) != P || grad.extent(1) != layout_.total)
      throw Error(fmt::format("RnnEngine::gradient: grad is [{}][{}], expected [{}][{}]", grad.extent(0),
                              grad.extent(1), P, layout_.total));
    requireContiguous(params, "gradient", "params");
    requireContiguous(bits, "gradient", "bits");
    requireContiguous(weights, "gradient", "weights");
    requireContiguous(grad, "gradient", "grad");
    space.fence();
    if (kHostViews)
      engine_.gradient(params.data(), P, bits.data(), M, weights.data(), grad.data());
    else
      engine_.gradientOnDevice(params.data(), P, bits.data(), M, weights.data(), grad.data());
  }

  std::size_t workspaceBytes() const override { return engine_.workspaceBytes(); }

  bool fusedEnergies() const override { return true; }

  void setHamiltonian(const Hamiltonian& hamiltonian) override {
    cuda::HamiltonianSpec h;
    h.num_spins = hamiltonian.numSpins();
    for (std::size_t t = 0; t < hamiltonian.numTerms(); ++t) {
      h.term_coeffs.push_back(hamiltonian.termCoeff(t));
      h.term_sites.insert(h.term_sites.end(), hamiltonian.termSitesBegin(t), hamiltonian.termSitesEnd(t));
      h.term_offsets.push_back(static_cast<int>(h.term_sites.size()));
    }
    for (int i = 0; i < h.num_spins; ++i)
      if (hamiltonian.fields()[i] != 0.0) {
        h.field_sites.push_back(i);
        h.field_values.push_back(hamiltonian.fields()[i]);
      }
    engine_.setHamiltonian(h);
  }

 private:
  void run(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
           const typename Engine::StreamIdsView& stream_ids, const SampleCounters& counters,
           const typename Engine::BitsView& bits, const typename Engine::LogProbView& logp,
           const typename Engine::LogProbView* energies, Activations activations, const char* what) {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(logp.extent(1));
    const bool want_bits = bits.size() > 0 || energies == nullptr;
    checkParams(params, what);
    if (want_bits) checkBits(bits.extent(0), bits.extent(2), P, what);
    if (want_bits && static_cast<int>(bits.extent(1)) != M)
      throw Error(fmt::format("RnnEngine::{}: configurations are [{}][{}][{}], log p [{}][{}]", what, bits.extent(0),
                              bits.extent(1), bits.extent(2), logp.extent(0), logp.extent(1)));
    checkPerSample(logp.extent(0), logp.extent(1), P, M, what, "logp");
    if (static_cast<int>(stream_ids.extent(0)) != P)
      throw Error(fmt::format("RnnEngine::{}: {} stream ids for {} parameter sets", what, stream_ids.extent(0), P));
    requireContiguous(params, what, "params");
    requireContiguous(bits, what, "bits");
    requireContiguous(logp, what, "logp");
    if (energies) requireContiguous(*energies, what, "energies");
    space.fence();
    cuda::Counters c;
    c.seed = counters.seed;
    c.step = counters.step;
    c.first_sample = counters.first_sample;
    const bool keep = activations == Activations::kKeep;
    std::uint8_t* bits_ptr = want_bits ? bits.data() : nullptr;
    double* energies_ptr = energies ? energies->data() : nullptr;
    if (kHostViews) {
      engine_.sample(params.data(), P, stream_ids.data(), c, M, bits_ptr, logp.data(), energies_ptr, keep);
    } else {
      engine_.sampleOnDevice(params.data(), P, stream_ids.data(), c, M, bits_ptr, logp.data(), energies_ptr, keep);
      engine_.synchronize();
    }
  }

  void checkParams(const typename Engine::ParamsView& params, const char* what) const {
    if (params.extent(1) != layout_.total)
      throw Error(fmt::format("RnnEngine::{}: parameter sets have {} entries, the {} d_h={} layout {}", what,
                              params.extent(1), cellKindName(layout_.cell), layout_.hidden, layout_.total));
  }
  void checkBits(std::size_t p, std::size_t n, int P, const char* what) const {
    if (static_cast<int>(p) != P || static_cast<int>(n) != n_)
      throw Error(fmt::format("RnnEngine::{}: configurations are [{}][M][{}], expected [{}][M][{}]", what, p, n, P,
                              n_));
  }
  static void checkPerSample(std::size_t p, std::size_t m, int P, int M, const char* what, const char* name) {
    if (static_cast<int>(p) != P || static_cast<int>(m) != M)
      throw Error(fmt::format("RnnEngine::{}: {} is [{}][{}], expected [{}][{}]", what, name, p, m, P, M));
  }

  cuda::Engine<Scalar> engine_;
  ParamLayout layout_;
  int n_;
};

}  // namespace

template <class Scalar>
std::unique_ptr<typename RnnEngine<Scalar>::Impl> makeCudaEngineImpl(const EngineConfig& config,
                                                                     const ParamLayout& layout,
                                                                     std::string& description, std::string& why_not) {
  if (config.cell != CellKind::kVanilla1d && config.cell != CellKind::kVanilla2d) {
    why_not = fmt::format("the CUDA backend has no {} kernels", cellKindName(config.cell));
    return nullptr;
  }
  if (config.cell == CellKind::kVanilla2d && config.lattice.prev_vertical.size() != config.lattice.order.size()) {
    why_not = "vanilla2d needs the lattice's predecessor tables";
    return nullptr;
  }
  const cuda::NetworkSpec spec = networkSpec(config, layout);
  why_not = cuda::Engine<Scalar>::unsupportedReason(spec);
  if (!why_not.empty()) return nullptr;
  auto impl = std::make_unique<CudaEngineImpl<Scalar>>(spec, layout);
  description = impl->description();
  return impl;
}

template std::unique_ptr<RnnEngine<float>::Impl> makeCudaEngineImpl<float>(const EngineConfig&, const ParamLayout&,
                                                                            std::string&, std::string&);
template std::unique_ptr<RnnEngine<double>::Impl> makeCudaEngineImpl<double>(const EngineConfig&, const ParamLayout&,
                                                                              std::string&, std::string&);

}  // namespace vna
