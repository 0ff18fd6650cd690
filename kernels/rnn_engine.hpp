#pragma once
// The batched autoregressive RNN engine: everything expensive in vna (annealing replicas, landscape
// grid points, analysis samples, VQA's flipped configurations) is this engine run over a batch of
// P parameter sets × M samples. See doc/design.md, "The batched engine".
//
// Shapes (all LayoutRight, in the default execution space's memory):
//   params  [P][n_params]  Scalar   one flat parameter vector per set (layout(): named blocks)
//   bits    [P][M][N]      uint8    configurations indexed by SITE (bits[p][s][order[k]] is position k)
//   logp    [P][M]         double   log p(bits) (Scalar arithmetic, accumulated in double)
//   weights [P][M]         double   per-sample weights w of the gradient Σ_s w_s ∇ log p(b_s)
//   grad    [P][n_params]  double
#include <Kokkos_Core.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine_checks.hpp"
#include "engine_config.hpp"
#include "model/hamiltonian.hpp"
#include "param_layout.hpp"

namespace vna {

// Whether a forward pass stores what gradient() needs (hidden states and output probabilities of
// every position: P × M × N × (d_h + 3) Scalars) or keeps only a rolling buffer per work item.
enum class Activations { kDiscard, kKeep };

template <class Scalar>
class RnnEngine {
 public:
  using execution_space = Kokkos::DefaultExecutionSpace;
  using memory_space = execution_space::memory_space;
  using ParamsView = Kokkos::View<const Scalar**, Kokkos::LayoutRight, memory_space>;
  using BitsView = Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, memory_space>;
  using ConstBitsView = Kokkos::View<const std::uint8_t***, Kokkos::LayoutRight, memory_space>;
  using LogProbView = Kokkos::View<double**, Kokkos::LayoutRight, memory_space>;
  using WeightsView = Kokkos::View<const double**, Kokkos::LayoutRight, memory_space>;
  using GradView = Kokkos::View<double**, Kokkos::LayoutRight, memory_space>;
  using StreamIdsView = Kokkos::View<const std::uint32_t*, memory_space>;

  // Throws InputError for a hidden size <= 0 or an empty lattice.
  explicit RnnEngine(const EngineConfig& config);
  ~RnnEngine();
  RnnEngine(RnnEngine&&) noexcept;
  RnnEngine& operator=(RnnEngine&&) noexcept;

  const EngineConfig& config() const { return config_; }
  const ParamLayout& layout() const { return layout_; }
  int numSites() const { return config_.lattice.numSites(); }
  std::size_t numParams() const { return layout_.total; }
  // Samples per work item (W): a work item is (parameter set, chunk of W consecutive samples).
  static int lanes();

  // Exact autoregressive sampling of M = bits.extent(1) configurations per parameter set p, with
  // random stream id stream_ids[p]; fills bits and logp. Sample s of set p is a pure function of
  // (θ_p, seed, stream_ids[p], step, first_sample + s): independent of P, M and the backend's
  // work decomposition.
  void sample(const execution_space& space, const ParamsView& params, const StreamIdsView& stream_ids,
              const SampleCounters& counters, const BitsView& bits, const LogProbView& logp,
              Activations activations = Activations::kDiscard);

  // Teacher-forced log p of the given configurations (M = bits.extent(1) may be anything).
  void logProb(const execution_space& space, const ParamsView& params, const ConstBitsView& bits,
               const LogProbView& logp, Activations activations = Activations::kDiscard);

  // grad[p] = Σ_s weights[p][s] ∇_θ log p_θp(bits[p][s]) by the hand-written backward pass. Uses the
  // activations of the last sample()/logProb() called with Activations::kKeep, which must have been
  // on the same params and bits (bits are checked; a mismatch throws Error).
  void gradient(const execution_space& space, const ParamsView& params, const ConstBitsView& bits,
                const WeightsView& weights, const GradView& grad);

  // logp_flip[p][s][i] = log p_θp(bits[p][s] with the spin at SITE i flipped): the N single-flip
  // neighbours of every configuration (VQA's local energies). Configurations sharing a prefix share
  // hidden states: flipping autoregressive position k leaves the states of positions <= k unchanged,
  // so only positions > k are recomputed, starting from the kept activations (Σ_k (N−1−k) ≈ N²/2
  // cell steps per sample instead of N² for materialized flips, and no Ns·N·N configurations). Uses
  // the activations of the last sample()/logProb() with Activations::kKeep, which must have been on
  // the same params and bits (bits are checked; a mismatch throws Error); they stay valid for
  // gradient(). Results equal logProb() of the flipped configurations up to rounding. Backends
  // without this kernel (the native CUDA one) materialize the flipped configurations in blocks and
  // call their logProb(): same results.
  using FlipLogProbView = Kokkos::View<double***, Kokkos::LayoutRight, memory_space>;
  void logProbFlips(const execution_space& space, const ParamsView& params, const ConstBitsView& bits,
                    const FlipLogProbView& logp_flip);

  // The classical part (terms and fields) of the Hamiltonian whose energies sampleWithEnergies returns.
  void setHamiltonian(const Hamiltonian& hamiltonian);

  // sample() that also fills energies[p][s] = H(configuration) (double; the sums of computeEnergies).
  // The CUDA backend evaluates them inside the sampling kernel. `bits` may be an empty view (extent 0):
  // the configurations are then not returned, and on the CUDA backend they never leave the GPU (the
  // landscape's 40000 × 100 samples). Needs setHamiltonian().
  void sampleWithEnergies(const execution_space& space, const ParamsView& params, const StreamIdsView& stream_ids,
                          const SampleCounters& counters, const BitsView& bits, const LogProbView& logp,
                          const LogProbView& energies, Activations activations = Activations::kDiscard);

  // Bytes held in reusable workspaces (activations, scratch, gradient accumulators).
  std::size_t workspaceBytes() const;

  // The backend that runs this engine (kKokkos or kCuda; never kDefault), and a description for logs
  // and provenance: "kokkos (Serial)", "cuda (NVIDIA H100 80GB HBM3, device 0)", or the Kokkos path
  // with the reason the CUDA backend was not used for this network (backend_registry.hpp).
  Backend backend() const { return backend_; }
  const std::string& backendDescription() const { return backend_description_; }

  class Impl;
  struct EnergyState;

 private:
  template <class Run>
  void forward(Activations activations, std::size_t P, std::size_t M, const ConstBitsView& bits, Run&& run);

  EngineConfig config_;
  ParamLayout layout_;
  Backend backend_ = Backend::kKokkos;
  std::string backend_description_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<EnergyState> energy_;  // setHamiltonian's data for backends without fused energies
  engine_checks::KeptBatch kept_;        // what the last forward pass with Activations::kKeep stored
  BitsView kept_bits_;                   // its configurations, for backends without a flip kernel
};

extern template class RnnEngine<float>;
extern template class RnnEngine<double>;

}  // namespace vna
