// RnnEngine's CUDA backend: adapts the engine's Kokkos views to cuda::Engine's raw pointers. With
// Debian's Kokkos the views live in host memory and each call copies its inputs to the GPU and its
// outputs back (parameters P × n, configurations P × M × N bytes, log p P × M); with a Kokkos whose
// memory space is the GPU's the device pointers are used directly. The front end (rnn_engine.cpp) has
// checked every call; what is left here is CUDA's own requirement of contiguous views.
#include <fmt/format.h>

#include <Kokkos_Core.hpp>

#include "backend_registry.hpp"
#include "core/error.hpp"
#include "cuda/cuda_backend.hpp"
#include "network_tables.hpp"
#include "rnn_engine_impl.hpp"

namespace vna {

namespace {

using MemSpace = Kokkos::DefaultExecutionSpace::memory_space;
constexpr bool kHostViews = Kokkos::SpaceAccessibility<Kokkos::HostSpace, MemSpace>::accessible;

template <class... Views>
void requireContiguous(const char* what, const Views&... views) {
  const bool contiguous = ((views.size() == 0 || views.span_is_contiguous()) && ...);
  if (!contiguous) throw Error(fmt::format("RnnEngine::{} (CUDA backend): every view must be contiguous", what));
}

template <class Scalar>
class CudaEngineImpl final : public RnnEngine<Scalar>::Impl {
 public:
  using Engine = RnnEngine<Scalar>;

  explicit CudaEngineImpl(const cuda::NetworkSpec& spec) : engine_(spec) {}

  std::string description() const {
    return fmt::format("cuda ({}, device {})", engine_.deviceName(), engine_.device());
  }

  void sample(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
              const typename Engine::StreamIdsView& stream_ids, const SampleCounters& counters,
              const typename Engine::BitsView& bits, const typename Engine::LogProbView& logp,
              Activations activations) override {
    run(space, params, stream_ids, counters, bits.data(), logp, nullptr, activations, "sample");
  }

  void sampleWithEnergies(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
                          const typename Engine::StreamIdsView& stream_ids, const SampleCounters& counters,
                          const typename Engine::BitsView& bits, const typename Engine::LogProbView& logp,
                          const typename Engine::LogProbView& energies, Activations activations) override {
    requireContiguous("sampleWithEnergies", bits, energies);
    run(space, params, stream_ids, counters, bits.size() > 0 ? bits.data() : nullptr, logp, energies.data(),
        activations, "sampleWithEnergies");
  }

  void logProb(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
               const typename Engine::ConstBitsView& bits, const typename Engine::LogProbView& logp,
               Activations activations) override {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(bits.extent(1));
    requireContiguous("logProb", params, bits, logp);
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
    requireContiguous("gradient", params, bits, weights, grad);
    space.fence();
    if (kHostViews)
      engine_.gradient(params.data(), P, bits.data(), M, weights.data(), grad.data());
    else
      engine_.gradientOnDevice(params.data(), P, bits.data(), M, weights.data(), grad.data());
  }

  std::size_t workspaceBytes() const override { return engine_.workspaceBytes(); }

  bool fusedEnergies() const override { return true; }

  void setHamiltonian(const Hamiltonian& hamiltonian) override { engine_.setHamiltonian(hamiltonianRows(hamiltonian)); }

 private:
  void run(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
           const typename Engine::StreamIdsView& stream_ids, const SampleCounters& counters, std::uint8_t* bits,
           const typename Engine::LogProbView& logp, double* energies, Activations activations, const char* what) {
    const int P = static_cast<int>(params.extent(0)), M = static_cast<int>(logp.extent(1));
    requireContiguous(what, params, stream_ids, logp);
    space.fence();
    const cuda::Counters c{counters.seed, counters.step, counters.first_sample};
    const bool keep = activations == Activations::kKeep;
    if (kHostViews) {
      engine_.sample(params.data(), P, stream_ids.data(), c, M, bits, logp.data(), energies, keep);
    } else {
      engine_.sampleOnDevice(params.data(), P, stream_ids.data(), c, M, bits, logp.data(), energies, keep);
      engine_.synchronize();
    }
  }

  cuda::Engine<Scalar> engine_;
};

}  // namespace

cuda::NetworkSpec cuda::networkSpecOf(const Lattice& lattice, const ParamLayout& layout) {
  NetworkSpec spec;
  spec.n_sites = lattice.numSites();
  spec.hidden = layout.hidden;
  spec.n_params = layout.total;
  const CellKind cell = layout.cell;
  spec.tensorized = cell == CellKind::kTensorized1d || cell == CellKind::kTensorized2d;
  const bool two_d = cell == CellKind::kVanilla2d || cell == CellKind::kTensorized2d;
  spec.inputs = two_d ? 2 : 1;
  spec.u_offset = layout.block("U").offset;
  spec.d_offset = layout.block("d").offset;
  if (layout.perSite()) {
    spec.u_site = layout.block("U").site_size;
    spec.d_site = layout.block("d").site_size;
  }
  spec.order = lattice.order;
  if (cell == CellKind::kDilated1d) {
    // Layer l's look-back k − 2^(l−1) is the kernels' own; the table is the chain's (layer 1).
    while (layout.hasBlock(fmt::format("W{}", spec.layers + 1))) ++spec.layers;
    for (int l = 1; l <= spec.layers; ++l) {
      const ParamBlock& w = layout.block(fmt::format("W{}", l));
      const ParamBlock& c = layout.block(fmt::format("c{}", l));
      spec.layer_weight.push_back(w.offset);
      spec.layer_bias.push_back(c.offset);
      spec.layer_weight_site.push_back(layout.perSite() ? w.site_size : 0);
      spec.layer_bias_site.push_back(layout.perSite() ? c.site_size : 0);
    }
    spec.predecessor = predecessorTable(lattice, CellKind::kVanilla1d, 2);
    return spec;
  }
  // The weight blocks read per input: W_j (vanilla) or the one tensor T (tensorized).
  std::vector<const char*> weights;
  if (spec.tensorized)
    weights = {"T"};
  else if (two_d)
    weights = {"Wh", "Wv"};
  else
    weights = {"W"};
  for (std::size_t j = 0; j < weights.size(); ++j) {
    spec.weight_offset[j] = layout.block(weights[j]).offset;
    if (layout.perSite()) spec.weight_site[j] = layout.block(weights[j]).site_size;
  }
  spec.bias_offset = layout.block("c").offset;
  if (layout.perSite()) spec.bias_site = layout.block("c").site_size;
  spec.predecessor = predecessorTable(lattice, cell, 2);
  return spec;
}

template <class Scalar>
std::unique_ptr<typename RnnEngine<Scalar>::Impl> makeCudaEngineImpl(const EngineConfig& config,
                                                                     const ParamLayout& layout,
                                                                     std::string& description, std::string& why_not) {
  const cuda::NetworkSpec spec = cuda::networkSpecOf(config.lattice, layout);
  why_not = cuda::Engine<Scalar>::unsupportedReason(spec);
  if (!why_not.empty()) return nullptr;
  auto impl = std::make_unique<CudaEngineImpl<Scalar>>(spec);
  description = impl->description();
  return impl;
}

template std::unique_ptr<RnnEngine<float>::Impl> makeCudaEngineImpl<float>(const EngineConfig&, const ParamLayout&,
                                                                            std::string&, std::string&);
template std::unique_ptr<RnnEngine<double>::Impl> makeCudaEngineImpl<double>(const EngineConfig&, const ParamLayout&,
                                                                              std::string&, std::string&);

}  // namespace vna
