// Benchmarks of the Monte Carlo baselines on one core: `taskset -c 0 ./bench_baselines`.
// attempts_per_ns counts single-spin (SQA also all-slice) Metropolis attempts per nanosecond of CPU
// time (one thread; CPU time keeps the numbers meaningful on a shared machine).
//
// BM_Sa/<workload>/<kernel>/<replicas>: simulated annealing, 100 steps of 5 sweeps (the piqmc
// baselines' sweeps per step), T linear from T0 to 0 (T0 = 1, SK 2: their values), the whole call
// (set-up, initial states and the exact final energies included), on the four workloads of
// doc/performance.md:
//   0 EA 40×40 open, uniform couplings   1 EA 40×40 open, ±J   2 SK N = 100   3 Newman-Moore L = 16
// kernels: 0 reference, 1 sparse, 2 dense, 3 pbody, 4 multispin (independent), 5 multispin (shared);
// "before" is the reference kernel (the general flipDelta path all runs used before issue 12).
// The pieces of an attempt are measured on their own: flipDelta, Philox draws (scalar and in lanes)
// and exp (std::exp and the kernels' expNeg31).
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "baselines/lane_random.hpp"
#include "baselines/metropolis.hpp"
#include "baselines/monte_carlo_stream.hpp"
#include "baselines/simulated_annealing.hpp"
#include "baselines/simulated_quantum_annealing.hpp"
#include "model/edwards_anderson.hpp"
#include "model/newman_moore.hpp"
#include "model/sherrington_kirkpatrick.hpp"

namespace vna {
namespace {

const Hamiltonian& workload(int w) {
  static const Hamiltonian hs[4] = {edwardsAnderson(40, 40, false, CouplingDistribution::kUniform, 1).hamiltonian,
                                    edwardsAnderson(40, 40, false, CouplingDistribution::kPmJ, 1).hamiltonian,
                                    sherringtonKirkpatrick(100, 1, 0).hamiltonian, newmanMoore(16, 1.0).hamiltonian};
  return hs[w];
}

void BM_Sa(benchmark::State& state) {
  const int w = static_cast<int>(state.range(0)), k = static_cast<int>(state.range(1));
  const int replicas = static_cast<int>(state.range(2));
  const Hamiltonian& h = workload(w);
  const SaSchedule s = saSchedule(w == 2 ? 2.0 : 1.0, 100, ScheduleShape::kLinear, 5);
  McRunOptions opt;
  const McKernel kernels[] = {McKernel::kReference, McKernel::kSparse, McKernel::kDense,
                              McKernel::kPBody,     McKernel::kMultiSpin, McKernel::kMultiSpin};
  opt.kernel = kernels[k];
  opt.multispin_random = k == 5 ? MultiSpinRandom::kShared : MultiSpinRandom::kIndependent;
  McStreamId id;
  std::int64_t attempts = 0;
  std::uint32_t rep = 0;
  for (auto _ : state) {
    const MonteCarloBatch b = simulatedAnnealing(h, s, id, rep, replicas, false, opt);
    rep += replicas;
    attempts += b.attempts;
    benchmark::DoNotOptimize(b.energy.data());
  }
  state.counters["attempts_per_ns"] = benchmark::Counter(1e-9 * attempts, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Sa)
    ->ArgNames({"workload", "kernel", "replicas"})
    ->Args({0, 0, 16})
    ->Args({0, 1, 16})
    ->Args({0, 1, 64})
    ->Args({0, 2, 16})
    ->Args({0, 3, 16})
    ->Args({1, 0, 16})
    ->Args({1, 1, 16})
    ->Args({1, 4, 64})
    ->Args({1, 4, 512})
    ->Args({1, 5, 64})
    ->Args({1, 5, 512})
    ->Args({2, 0, 16})
    ->Args({2, 1, 16})
    ->Args({2, 2, 16})
    ->Args({2, 2, 64})
    ->Args({3, 0, 16})
    ->Args({3, 3, 16})
    ->Args({3, 3, 64})
    ->Unit(benchmark::kMillisecond);

// SQA, 10 steps of 1 sweep, Γ 2 → 0 at P T = 1: EA 40×40 uniform with P = 20 (piqmc's EA setting) and
// SK N = 100 with P = 100 (piqmc's SK setting); kernel 0 reference, 1 auto.
void BM_Sqa(benchmark::State& state) {
  const int w = static_cast<int>(state.range(0));
  const int P = w == 2 ? 100 : 20;
  const Hamiltonian& h = workload(w);
  const SqaSchedule s = sqaSchedule(2.0, 1e-6, 10, ScheduleShape::kLinear, 1.0 / P, P, 1);
  McRunOptions opt;
  opt.kernel = state.range(1) == 0 ? McKernel::kReference : McKernel::kAuto;
  McStreamId id;
  id.method = McMethod::kSimulatedQuantumAnnealing;
  std::int64_t attempts = 0;
  std::uint32_t rep = 0;
  const int replicas = static_cast<int>(state.range(2));
  for (auto _ : state) {
    const MonteCarloBatch b = simulatedQuantumAnnealing(h, s, id, rep, replicas, false, opt);
    rep += replicas;
    attempts += b.attempts;
    benchmark::DoNotOptimize(b.energy.data());
  }
  state.counters["attempts_per_ns"] = benchmark::Counter(1e-9 * attempts, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Sqa)
    ->ArgNames({"workload", "kernel", "replicas"})
    ->Args({0, 0, 1})
    ->Args({0, 1, 16})
    ->Args({2, 0, 1})
    ->Args({2, 1, 16})
    ->Unit(benchmark::kMillisecond);

void BM_FlipDelta(benchmark::State& state) {
  const Hamiltonian& h = workload(0);
  const int n = h.numSpins();
  std::vector<Bit> s(n);
  McStream rng(monteCarloKey({}), 0, 0, 0);
  for (auto& b : s) b = rng.bit();
  double acc = 0;
  for (auto _ : state)
    for (int i = 0; i < n; ++i) acc += h.flipDelta(s.data(), i);
  benchmark::DoNotOptimize(acc);
  state.counters["calls_per_ns"] = benchmark::Counter(1e-9 * n * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FlipDelta);

void BM_PhiloxUniform(benchmark::State& state) {
  McStream rng(monteCarloKey({}), 0, 0, 0);
  double acc = 0;
  for (auto _ : state)
    for (int i = 0; i < 1024; ++i) acc += rng.uniform();
  benchmark::DoNotOptimize(acc);
  state.counters["draws_per_ns"] = benchmark::Counter(1e-9 * 1024 * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PhiloxUniform);

// Philox4x32-10 in simd::kWidth lanes: 4 kWidth words per call, all of them used.
void BM_PhiloxLanes(benchmark::State& state) {
  constexpr int W = simd::kWidth;
  alignas(64) std::uint32_t ids[W];
  for (int l = 0; l < W; ++l) ids[l] = l;
  PhiloxLanes<W> out;
  simd::VU acc = {};
  std::uint32_t c = 0;
  for (auto _ : state) {
    philoxLanes<W>(monteCarloKey({}), c++, 1, ids, 0, out);
    for (int j = 0; j < 4; ++j) acc ^= simd::load<simd::VU>(out.w[j]);
  }
  benchmark::DoNotOptimize(acc);
  state.counters["words_per_ns"] = benchmark::Counter(1e-9 * 4 * W * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PhiloxLanes);

void BM_Exp(benchmark::State& state) {
  std::vector<double> x(1024);
  for (int i = 0; i < 1024; ++i) x[i] = -0.01 * i;
  double acc = 0;
  for (auto _ : state)
    for (double v : x) acc += std::exp(v);
  benchmark::DoNotOptimize(acc);
  state.counters["calls_per_ns"] = benchmark::Counter(1e-9 * 1024 * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Exp);

// The kernels' e^{−x}·2^31, simd::kWidth lanes per call.
void BM_ExpNeg31(benchmark::State& state) {
  constexpr int W = simd::kWidth;
  alignas(64) float x[1024], y[1024];
  for (int i = 0; i < 1024; ++i) x[i] = 0.02f * i;
  for (auto _ : state) {
    for (int i = 0; i < 1024; i += W) simd::store(y + i, expNeg31(simd::load<simd::VF>(x + i)));
    benchmark::DoNotOptimize(y);
  }
  state.counters["calls_per_ns"] = benchmark::Counter(1e-9 * 1024 * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ExpNeg31);

}  // namespace
}  // namespace vna
