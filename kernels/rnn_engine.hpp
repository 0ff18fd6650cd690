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

#include "engine_config.hpp"
#include "param_layout.hpp"

namespace vna {

// Whether a forward pass stores what gradient() needs (hidden states and output probabilities of
// every position: P × M × N × (d_h + 3) Scalars) or keeps only a rolling buffer per work item.
enum class Activations { kDiscard, kKeep };

// Counters of the sampling random stream besides (position, sample, stream id): see sampling_rule.hpp.
struct SampleCounters {
  std::uint64_t seed = 0;
  std::uint32_t step = 0;          // annealing step (or any per-call counter)
  std::uint32_t first_sample = 0;  // sample s of this call uses counter first_sample + s
};

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

  // Bytes held in reusable workspaces (activations, scratch, gradient accumulators).
  std::size_t workspaceBytes() const;

  class Impl;

 private:
  EngineConfig config_;
  ParamLayout layout_;
  std::unique_ptr<Impl> impl_;
};

extern template class RnnEngine<float>;
extern template class RnnEngine<double>;

}  // namespace vna
