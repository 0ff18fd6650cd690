// Benchmarks of the Monte Carlo baselines on one core: `taskset -c 0 ./bench_baselines`.
// attempts_per_ns counts single-spin (SQA also all-slice) Metropolis attempts per nanosecond of CPU
// time (one thread; CPU time keeps the numbers meaningful on a shared machine). The pieces of one SA
// attempt are measured on their own: Hamiltonian::flipDelta on the 2D Edwards-Anderson lattice, a
// Philox4x32-10 draw, and exp().
#include <benchmark/benchmark.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "baselines/monte_carlo_stream.hpp"
#include "baselines/simulated_annealing.hpp"
#include "baselines/simulated_quantum_annealing.hpp"
#include "model/edwards_anderson.hpp"

namespace vna {
namespace {

const Hamiltonian& ea(int L) {
  static std::vector<std::pair<int, Hamiltonian>> cache;
  for (auto& [l, h] : cache)
    if (l == L) return h;
  cache.emplace_back(L, edwardsAnderson(L, L, false, CouplingDistribution::kUniform, 1).hamiltonian);
  return cache.back().second;
}

// SA on one replica of EA L×L at a fixed temperature T = arg/100 (arg 0: the annealing schedule
// T0 = 1 → 0 of the campaigns).
void BM_SimulatedAnnealing(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0));
  const double T = state.range(1) / 100.0;
  const Hamiltonian& h = ea(L);
  const std::int64_t steps = 20;
  SaSchedule s =
      T > 0 ? SaSchedule{std::vector<double>(steps, T), 1} : saSchedule(1.0, steps, ScheduleShape::kLinear, 1);
  McStreamId id;
  std::int64_t attempts = 0;
  std::uint32_t rep = 0;
  for (auto _ : state) {
    const MonteCarloBatch b = simulatedAnnealing(h, s, id, rep++, 1);
    attempts += b.attempts;
    benchmark::DoNotOptimize(b.energy.data());
  }
  state.counters["attempts_per_ns"] = benchmark::Counter(1e-9 * attempts, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulatedAnnealing)
    ->Args({40, 300})
    ->Args({40, 100})
    ->Args({40, 30})
    ->Args({40, 0})
    ->Unit(benchmark::kMillisecond);

// SQA on one replica of EA L×L, P = 20 slices, PT = 1, Γ annealed 2 → 0.
void BM_SimulatedQuantumAnnealing(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0));
  const Hamiltonian& h = ea(L);
  const SqaSchedule s = sqaSchedule(2.0, 1e-6, 10, ScheduleShape::kLinear, 0.05, 20, 1);
  McStreamId id;
  id.method = McMethod::kSimulatedQuantumAnnealing;
  std::int64_t attempts = 0;
  std::uint32_t rep = 0;
  for (auto _ : state) {
    const MonteCarloBatch b = simulatedQuantumAnnealing(h, s, id, rep++, 1);
    attempts += b.attempts;
    benchmark::DoNotOptimize(b.energy.data());
  }
  state.counters["attempts_per_ns"] = benchmark::Counter(1e-9 * attempts, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulatedQuantumAnnealing)->Arg(10)->Arg(40)->Unit(benchmark::kMillisecond);

void BM_FlipDelta(benchmark::State& state) {
  Hamiltonian h = ea(40);
  h.finalize();
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

}  // namespace
}  // namespace vna
