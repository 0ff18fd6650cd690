// Benchmarks of the batched RNN engine (Kokkos backend). Run on one core for the numbers of
// doc/design.md: `taskset -c 0 ./bench_engine`. FLOP counts are the useful multiply-adds of the
// network (2 per multiply-add; idle lanes of a partial work item and the one-hot rows not counted
// separately: [h; onehot] is a (d_h+2)-vector).
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "anneal/adam.hpp"
#include "kokkos/device_hamiltonian.hpp"
#include "model/edwards_anderson.hpp"
#include "model/newman_moore.hpp"
#include "model/sherrington_kirkpatrick.hpp"
#include "network/network.hpp"
#include "network/variational_estimator.hpp"
#include "rnn_engine.hpp"

namespace vna {
namespace {

using Space = Kokkos::DefaultExecutionSpace;
using MemSpace = Space::memory_space;

// FLOPs of one forward pass over one sample: Σ_k (inputs present at k) · 2 d_h (d_h + 2), the ELU
// and the output layer's 2 d_h; the backward pass costs twice the matrix part (∂h and ∂W).
struct FlopCount {
  double forward = 0, backward = 0;
};

// FLOPs of position k for one sample. Tensorized cells: only the products of the ACTIVE one-hot
// slot count as useful (one d_h × K matrix per present predecessor, K = predecessors · d_h); the
// kernel evaluates both slots masked.
FlopCount flopsAt(const EngineConfig& config, int k) {
  const Lattice& g = config.lattice;
  const double h = config.hidden, in = h + 2;
  const bool two_d = config.cell == CellKind::kVanilla2d || config.cell == CellKind::kTensorized2d;
  const bool tensorized = config.cell == CellKind::kTensorized1d || config.cell == CellKind::kTensorized2d;
  const double inner = tensorized ? (two_d ? 2 : 1) * h : in;
  if (config.cell == CellKind::kDilated1d) {
    const int layers = dilatedLayers(g.numSites());
    double matrix = k >= 1 ? 2 * h * in : 0.0;  // layer 1
    for (int l = 2; l <= layers; ++l) matrix += 2 * h * h * ((k >= (1 << (l - 1))) + 1);
    return {matrix + 2 * h, 2 * matrix + 4 * h};
  }
  const int present = two_d ? (g.prev_horizontal[k] >= 0) + (g.prev_vertical[k] >= 0) : (k > 0);
  return {present * 2 * h * inner + 2 * h, present * (2 * h * inner + 2 * h * inner) + 4 * h};
}

FlopCount flopsPerSample(const EngineConfig& config) {
  FlopCount f;
  for (int k = 0; k < config.lattice.numSites(); ++k) {
    const FlopCount at = flopsAt(config, k);
    f.forward += at.forward;
    f.backward += at.backward;
  }
  return f;
}

// Forward FLOPs of logProbFlips per sample: flipping position k recomputes positions k+1 .. N−1, so
// position j is recomputed j times (the later, costlier positions most often).
double flipFlopsPerSample(const EngineConfig& config) {
  double f = 0;
  for (int j = 1; j < config.lattice.numSites(); ++j) f += j * flopsAt(config, j).forward;
  return f;
}

template <class Scalar>
struct Setup {
  EngineConfig config;
  RnnEngine<Scalar> engine;
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> params;
  Kokkos::View<std::uint32_t*, MemSpace> streams;
  Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, MemSpace> bits;
  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> logp, weights, energies, grad;

  Setup(int L, int P, int M, CellKind cell = CellKind::kVanilla2d)
      : config{cell, 40, Lattice::square(L, L)},
        engine(config),
        params("bench::params", P, engine.numParams()),
        streams("bench::streams", P),
        bits("bench::bits", P, M, L * L),
        logp("bench::logp", P, M),
        weights("bench::weights", P, M),
        energies("bench::energies", P, M),
        grad("bench::grad", P, engine.numParams()) {
    auto ph = Kokkos::create_mirror_view(params);
    auto sh = Kokkos::create_mirror_view(streams);
    for (int p = 0; p < P; ++p) {
      const auto theta = initParameters(engine.layout(), 1, p);
      for (std::size_t j = 0; j < theta.size(); ++j) ph(p, j) = static_cast<Scalar>(theta[j]);
      sh(p) = p;
    }
    Kokkos::deep_copy(params, ph);
    Kokkos::deep_copy(streams, sh);
    Kokkos::deep_copy(weights, 0.01);
  }
};

void setFlops(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops_per_iteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

template <class Scalar, CellKind kCell = CellKind::kVanilla2d>
void BM_Sample(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0)), P = static_cast<int>(state.range(1)), Ns = 100;
  Setup<Scalar> s(L, P, Ns, kCell);
  std::uint32_t step = 0;
  for (auto _ : state) {
    s.engine.sample(Space(), s.params, s.streams, SampleCounters{1, step++, 0}, s.bits, s.logp);
    Kokkos::fence();
  }
  setFlops(state, flopsPerSample(s.config).forward * P * Ns);
}

// One VCA step for P = 1: sample with activations, energies, the gradient (weights fixed here;
// the driver's O(Ns) weight computation is negligible).
template <class Scalar, CellKind kCell = CellKind::kVanilla2d>
void BM_VcaStep(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0)), P = 1, Ns = 100;
  Setup<Scalar> s(L, P, Ns, kCell);
  const DeviceHamiltonian ham(newmanMoore(L, 1.0).hamiltonian);
  std::uint32_t step = 0;
  for (auto _ : state) {
    s.engine.sample(Space(), s.params, s.streams, SampleCounters{1, step++, 0}, s.bits, s.logp, Activations::kKeep);
    computeEnergies(Space(), ham, s.bits, s.energies);
    s.engine.gradient(Space(), s.params, s.bits, s.weights, s.grad);
    Kokkos::fence();
  }
  const FlopCount f = flopsPerSample(s.config);
  setFlops(state, (f.forward + f.backward) * P * Ns);
}

template <class Scalar>
void BM_Gradient(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0)), P = 1, Ns = 100;
  Setup<Scalar> s(L, P, Ns);
  s.engine.sample(Space(), s.params, s.streams, SampleCounters{1, 0, 0}, s.bits, s.logp, Activations::kKeep);
  for (auto _ : state) {
    s.engine.gradient(Space(), s.params, s.bits, s.weights, s.grad);
    Kokkos::fence();
  }
  setFlops(state, flopsPerSample(s.config).backward * P * Ns);
}

// VQA's local-energy evaluations: M = Ns · N configurations (each sample with one spin flipped).
template <class Scalar>
void BM_LogProb(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0)), P = 1, M = 100 * L * L;
  Setup<Scalar> s(L, P, M);
  for (auto _ : state) {
    s.engine.logProb(Space(), s.params, s.bits, s.logp);
    Kokkos::fence();
  }
  setFlops(state, flopsPerSample(s.config).forward * P * M);
}

// VQA's single-flip neighbours by logProbFlips on the kept activations of Ns = 100 samples: the
// same outputs as BM_LogProb's M = Ns·N teacher-forced configurations. FLOPs: the suffix after each
// flipped position (about (N − 1)/2 forward passes per sample).
template <class Scalar>
void BM_LogProbFlips(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0)), P = 1, Ns = 100, N = L * L;
  Setup<Scalar> s(L, P, Ns);
  Kokkos::View<double***, Kokkos::LayoutRight, MemSpace> logp_flip("bench::logp_flip", P, Ns, N);
  s.engine.sample(Space(), s.params, s.streams, SampleCounters{1, 0, 0}, s.bits, s.logp, Activations::kKeep);
  for (auto _ : state) {
    s.engine.logProbFlips(Space(), s.params, s.bits, logp_flip);
    Kokkos::fence();
  }
  setFlops(state, flipFlopsPerSample(s.config) * P * Ns);
}

// One VQA step at P = 1 on the engine (Newman-Moore, d_h = 40): sample, energies, log p of the Ns·N
// single-flip neighbours, gradient. range(1) = 0: the materialized path (flipped configurations
// written out and teacher-forced: Ns·N·N positions, then a logProb with kept activations for the
// gradient); 1: logProbFlips on the activations kept by sample (Σ_k (N−1−k) positions per sample).
// FLOPs: the useful forward work of the method plus the backward pass.
template <class Scalar>
void BM_VqaStep(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0)), P = 1, Ns = 100, N = L * L;
  const bool shared_prefix = state.range(1) != 0;
  Setup<Scalar> s(L, P, Ns);
  const DeviceHamiltonian ham(newmanMoore(L, 1.0).hamiltonian);
  Kokkos::View<double***, Kokkos::LayoutRight, MemSpace> logp_flip("bench::logp_flip", P, Ns, N);
  Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, MemSpace> flipped("bench::flipped", P, Ns * N, N);
  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> flipped_logp("bench::flipped_logp", P, Ns * N);
  std::uint32_t step = 0;
  for (auto _ : state) {
    const SampleCounters counters{1, step++, 0};
    if (shared_prefix) {
      s.engine.sample(Space(), s.params, s.streams, counters, s.bits, s.logp, Activations::kKeep);
      s.engine.logProbFlips(Space(), s.params, s.bits, logp_flip);
    } else {
      s.engine.sample(Space(), s.params, s.streams, counters, s.bits, s.logp);
      auto bits = s.bits;
      Kokkos::parallel_for(
          "bench::flip", Kokkos::MDRangePolicy<Space, Kokkos::Rank<3>>({0, 0, 0}, {P, Ns, N}),
          KOKKOS_LAMBDA(int p, int q, int i) {
            for (int j = 0; j < N; ++j) flipped(p, q * N + i, j) = bits(p, q, j) ^ static_cast<std::uint8_t>(j == i);
          });
      s.engine.logProb(Space(), s.params, flipped, flipped_logp);
      s.engine.logProb(Space(), s.params, s.bits, s.logp, Activations::kKeep);
    }
    computeEnergies(Space(), ham, s.bits, s.energies);
    s.engine.gradient(Space(), s.params, s.bits, s.weights, s.grad);
    Kokkos::fence();
  }
  const FlopCount f = flopsPerSample(s.config);
  // Forward work of the flips: N full passes and the logProb with kept activations (materialized), or
  // the suffixes after each position.
  const double flips = shared_prefix ? flipFlopsPerSample(s.config) : f.forward * N + f.forward;
  setFlops(state, (f.forward + flips + f.backward) * P * Ns);
}

// A whole optimization step through the network service (VariationalEstimator::evaluate: sampling
// with fused energies, local losses, statistics, gradient): what the annealer pays per update.
// range(0) = L, range(1) = P, range(2) = 0 for VCA (classical, T = 1), 1 for VQA (quantum, Γ = 1).
// Counters: the bytes the service moves per update between host and device memory (staging copies
// on this host backend).
template <class Scalar>
void BM_EstimatorStep(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0)), P = static_cast<int>(state.range(1)), Ns = 100;
  const bool quantum = state.range(2) != 0;
  const Model model = newmanMoore(L, 1.0);
  AnsatzSpec ansatz;
  ansatz.precision = sizeof(Scalar) == 8 ? Precision::kDouble : Precision::kFloat;
  Network network(ansatz, model.lattice, model.hamiltonian);
  std::vector<double> flat, grad;
  std::vector<std::uint32_t> ids;
  for (int p = 0; p < P; ++p) {
    for (double x : initParameters(network.layout(), 1, p)) flat.push_back(x);
    ids.push_back(static_cast<std::uint32_t>(p));
  }
  VariationalEstimator estimator(network);
  const ParameterSets sets = ParameterSets::explicitSets(flat, network.numParams());
  std::uint32_t step = 0;
  Transfers before{};
  for (auto _ : state) {
    if (step == 1) before = network.transfers();
    const LossStats st = estimator.evaluate(sets, ids, SampleCounters{1, step++, 0}, Ns,
                                            quantum ? LossMode::kQuantum : LossMode::kClassical, 1.0, 1.0, &grad);
    benchmark::DoNotOptimize(st.loss.data());
  }
  const Transfers after = network.transfers();
  const double updates = std::max(1.0, static_cast<double>(step) - 1);
  state.counters["bytes_up"] = static_cast<double>(after.to_device - before.to_device) / updates;
  state.counters["bytes_down"] = static_cast<double>(after.to_host - before.to_host) / updates;
}

// One VCA update of the variational neural annealing paper's spin-glass networks as the annealer does it:
// the network service (VariationalEstimator::evaluate: sampling with energies, losses, gradient) and the
// Adam step on the flat parameters (double; 1.3 million of them per site-resolved 10×10 network) with the
// trace's gradient norm it returns (adam_ms counts both), on the published
// 2D Edwards-Anderson 10×10 instance (seed 1) or SK N = 100: d_h = 40, Ns = 50, one replica.
// range(0): 0 = tensorized2d on EA 10×10, 1 = vanilla2d on EA 10×10, 2 = dilated1d on SK N = 100;
// range(1): 1 = per-site weights, 0 = shared. FLOPs: flopsPerSample (useful work) × Ns.
template <class Scalar>
void BM_SpinGlassVcaStep(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0)), Ns = 50;
  const Model model = which == 2 ? sherringtonKirkpatrick(100, 1, 0)
                                 : edwardsAnderson(10, 10, false, CouplingDistribution::kUniform, 1);
  AnsatzSpec ansatz;
  ansatz.cell = which == 0 ? CellKind::kTensorized2d : which == 1 ? CellKind::kVanilla2d : CellKind::kDilated1d;
  ansatz.precision = sizeof(Scalar) == 8 ? Precision::kDouble : Precision::kFloat;
  ansatz.sharing = state.range(1) != 0 ? WeightSharing::kPerSite : WeightSharing::kShared;
  Network network(ansatz, model.lattice, model.hamiltonian);
  std::vector<double> flat = initParameters(network.layout(), 1, 0);
  std::vector<double> grad;
  VariationalEstimator estimator(network);
  const ParameterSets sets = ParameterSets::explicitSets(flat, network.numParams());
  Adam adam;
  adam.learning_rate = 5e-4;
  AdamState adam_state;
  double adam_seconds = 0.0;
  std::uint32_t step = 0;
  for (auto _ : state) {
    const LossStats st = estimator.evaluate(sets, {0}, SampleCounters{1, step++, 0}, Ns, LossMode::kClassical, 1.0,
                                            0.0, &grad);
    benchmark::DoNotOptimize(st.loss.data());
    const auto t0 = std::chrono::steady_clock::now();
    adam.step(flat, grad.data(), adam_state);
    adam_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  state.counters["adam_ms"] = 1e3 * adam_seconds / static_cast<double>(state.iterations());
  const EngineConfig config{ansatz.cell, ansatz.hidden, model.lattice};
  const FlopCount f = flopsPerSample(config);
  setFlops(state, (f.forward + f.backward) * Ns);
  state.counters["params"] = static_cast<double>(network.numParams());
  state.counters["workspace_MB"] = static_cast<double>(network.workspaceBytes()) / 1e6;
}

BENCHMARK_TEMPLATE(BM_SpinGlassVcaStep, float)
    ->ArgsProduct({{0, 1, 2}, {0, 1}})
    ->ArgNames({"net", "per_site"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_TEMPLATE(BM_SpinGlassVcaStep, double)->Args({0, 1})->ArgNames({"net", "per_site"})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_TEMPLATE(BM_Sample, float)->Args({16, 1})->Args({16, 100})->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Sample, double)->Args({16, 1})->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_VcaStep, float)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_VcaStep, double)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Gradient, float)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_LogProb, float)->Arg(5)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_LogProbFlips, float)->Arg(5)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Sample, float, CellKind::kTensorized2d)->Args({16, 1})->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_VcaStep, float, CellKind::kTensorized2d)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Sample, float, CellKind::kDilated1d)->Args({16, 1})->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_VcaStep, float, CellKind::kDilated1d)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_VqaStep, float)->Args({5, 0})->Args({5, 1})->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_EstimatorStep, float)
    ->Args({16, 1, 0})
    ->Args({16, 100, 0})
    ->Args({5, 1, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace vna
