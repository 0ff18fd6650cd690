// RnnEngine's front end: the one place that checks every call (engine_checks.hpp) and keeps the
// bookkeeping of the kept activations, the generic paths for backends without a fused energy or a
// prefix-sharing flip kernel, and the dispatch to the backend chosen by backend_registry.cpp.
#include "rnn_engine.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "kokkos/device_hamiltonian.hpp"
#include "network_tables.hpp"
#include "rnn_engine_impl.hpp"

namespace vna {

template <class Scalar>
RnnEngine<Scalar>::RnnEngine(const EngineConfig& config)
    : config_(config), layout_(makeParamLayout(config.cell, config.hidden, config.lattice.numSites())) {
  checkLatticeTables(config.lattice);
  BackendChoice<Impl> choice = makeEngineImpl<Scalar>(config_, layout_);
  impl_ = std::move(choice.impl);
  backend_ = choice.backend;
  backend_description_ = std::move(choice.description);
  config_.backend = backend_;
}

template <class Scalar>
RnnEngine<Scalar>::~RnnEngine() = default;
template <class Scalar>
RnnEngine<Scalar>::RnnEngine(RnnEngine&&) noexcept = default;
template <class Scalar>
RnnEngine<Scalar>& RnnEngine<Scalar>::operator=(RnnEngine&&) noexcept = default;

// A forward pass over [P][M]: the kept activations are invalid while it runs (a backend that throws
// leaves none) and describe this batch afterwards; empty batches compute nothing. For backends without
// a flip kernel the batch's configurations `bits` (after the pass; empty when not returned) are kept
// too.
template <class Scalar>
template <class Run>
void RnnEngine<Scalar>::forward(Activations activations, std::size_t P, std::size_t M, const ConstBitsView& bits,
                                Run&& run) {
  const bool keep = activations == Activations::kKeep;
  if (keep) kept_.valid = false;
  if (P > 0 && M > 0) run();
  if (!keep) return;
  kept_ = engine_checks::KeptBatch{true, P, M};
  if (impl_->hasFlipKernel()) return;
  kept_bits_ = BitsView();
  if (bits.size() == 0) return;
  kept_bits_ = BitsView(Kokkos::view_alloc(Kokkos::WithoutInitializing, "vna::RnnEngine::kept_bits"), bits.extent(0),
                        bits.extent(1), bits.extent(2));
  Kokkos::deep_copy(kept_bits_, bits);
}

template <class Scalar>
void RnnEngine<Scalar>::sample(const execution_space& space, const ParamsView& params,
                               const StreamIdsView& stream_ids, const SampleCounters& counters, const BitsView& bits,
                               const LogProbView& logp, Activations activations) {
  const char* what = "RnnEngine::sample";
  const std::size_t P = params.extent(0), M = bits.extent(1), N = numSites();
  engine_checks::params(what, params.extent(1), layout_);
  engine_checks::bits(what, bits.extent(0), M, bits.extent(2), P, N);
  engine_checks::perSample(what, "logp", logp.extent(0), logp.extent(1), P, M);
  engine_checks::streamIds(what, stream_ids.extent(0), P);
  forward(activations, P, M, bits, [&] { impl_->sample(space, params, stream_ids, counters, bits, logp, activations); });
}

template <class Scalar>
void RnnEngine<Scalar>::logProb(const execution_space& space, const ParamsView& params, const ConstBitsView& bits,
                                const LogProbView& logp, Activations activations) {
  const char* what = "RnnEngine::logProb";
  const std::size_t P = params.extent(0), M = bits.extent(1), N = numSites();
  engine_checks::params(what, params.extent(1), layout_);
  engine_checks::bits(what, bits.extent(0), M, bits.extent(2), P, N);
  engine_checks::perSample(what, "logp", logp.extent(0), logp.extent(1), P, M);
  forward(activations, P, M, bits, [&] { impl_->logProb(space, params, bits, logp, activations); });
}

template <class Scalar>
void RnnEngine<Scalar>::gradient(const execution_space& space, const ParamsView& params, const ConstBitsView& bits,
                                 const WeightsView& weights, const GradView& grad) {
  const char* what = "RnnEngine::gradient";
  const std::size_t P = params.extent(0), M = bits.extent(1), N = numSites();
  engine_checks::params(what, params.extent(1), layout_);
  engine_checks::bits(what, bits.extent(0), M, bits.extent(2), P, N);
  engine_checks::perSample(what, "weights", weights.extent(0), weights.extent(1), P, M);
  engine_checks::perSet(what, "grad", grad.extent(0), grad.extent(1), P, layout_.total);
  engine_checks::kept(what, kept_, P, M);
  if (P == 0 || M == 0) {
    Kokkos::deep_copy(space, grad, 0.0);
    return;
  }
  impl_->gradient(space, params, bits, weights, grad);
}

template <class Scalar>
void RnnEngine<Scalar>::logProbFlips(const execution_space& space, const ParamsView& params,
                                     const ConstBitsView& bits, const FlipLogProbView& logp_flip) {
  const char* what = "RnnEngine::logProbFlips";
  const std::size_t P = params.extent(0), M = bits.extent(1), N = numSites();
  engine_checks::params(what, params.extent(1), layout_);
  engine_checks::bits(what, bits.extent(0), M, bits.extent(2), P, N);
  engine_checks::flipShape(what, logp_flip.extent(0), logp_flip.extent(1), logp_flip.extent(2), P, M, N);
  engine_checks::kept(what, kept_, P, M);
  if (P == 0 || M == 0) return;
  if (impl_->logProbFlips(space, params, bits, logp_flip)) return;
  // Generic path: the bits must be those of the kept batch (as the flip kernels check) ...
  long long differ = static_cast<long long>(P * M * N);
  if (kept_bits_.size() == bits.size()) {
    const auto kept = kept_bits_;
    differ = 0;
    Kokkos::parallel_reduce(
        "vna::RnnEngine::logProbFlips::check",
        Kokkos::RangePolicy<execution_space, Kokkos::IndexType<std::int64_t>>(space, 0,
                                                                              static_cast<std::int64_t>(bits.size())),
        KOKKOS_LAMBDA(const std::int64_t e, long long& count) { count += kept.data()[e] != bits.data()[e]; }, differ);
  }
  if (differ > 0) engine_checks::throwBitsDiffer(what, differ);
  // ... then blocks of B samples' N flipped configurations each, within the scratch budget.
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
  const char* what = "RnnEngine::sampleWithEnergies";
  if (!energy_) throw Error(fmt::format("{}: call setHamiltonian first", what));
  const std::size_t P = params.extent(0), M = logp.extent(1), N = numSites();
  engine_checks::params(what, params.extent(1), layout_);
  engine_checks::perSample(what, "logp", logp.extent(0), M, P, M);
  engine_checks::perSample(what, "energies", energies.extent(0), energies.extent(1), P, M);
  engine_checks::streamIds(what, stream_ids.extent(0), P);
  const bool want_bits = bits.size() > 0;
  if (want_bits) engine_checks::bits(what, bits.extent(0), bits.extent(1), bits.extent(2), P, N, static_cast<long>(M));
  forward(activations, P, M, bits, [&] {
    if (impl_->fusedEnergies()) {
      impl_->sampleWithEnergies(space, params, stream_ids, counters, bits, logp, energies, activations);
      return;
    }
    BitsView target = bits;
    if (!want_bits) {
      if (energy_->bits.extent(0) != P || energy_->bits.extent(1) != M)
        energy_->bits =
            BitsView(Kokkos::view_alloc(Kokkos::WithoutInitializing, "vna::RnnEngine::energy_bits"), P, M, N);
      target = energy_->bits;
    }
    impl_->sample(space, params, stream_ids, counters, target, logp, activations);
    computeEnergies(space, energy_->hamiltonian, target, energies);
  });
}

template class RnnEngine<float>;
template class RnnEngine<double>;

}  // namespace vna
