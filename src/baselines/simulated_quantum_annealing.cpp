#include "baselines/simulated_quantum_annealing.hpp"

#include <fmt/format.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <numeric>

#include "baselines/quantum_chains.hpp"
#include "core/error.hpp"

namespace vna {

double trotterCoupling(double gamma, int slices, double temperature) {
  if (!(gamma > 0) || !(temperature > 0) || slices < 1)
    throw Error(fmt::format("trotterCoupling: needs Γ > 0, T > 0, P >= 1 (got Γ = {}, T = {}, P = {})", gamma,
                            temperature, slices));
  const double pt = slices * temperature;
  const double x = gamma / pt;
  // ln tanh x = ln(1 − e^{−2x}) − ln(1 + e^{−2x}), accurate for small and large x alike.
  const double q = std::exp(-2.0 * x);
  const double ln_tanh = std::log(-std::expm1(-2.0 * x)) - std::log1p(q);
  return -0.5 * pt * ln_tanh;
}

SqaSchedule sqaSchedule(double gamma0, double gamma_min, std::int64_t steps, ScheduleShape shape, double temperature,
                        int slices, int sweeps_per_step, bool global_moves) {
  AnnealPlan plan;
  plan.annealing = steps;
  plan.shape = shape;
  SqaSchedule s;
  s.temperature = temperature;
  s.slices = slices;
  s.sweeps_per_step = sweeps_per_step;
  s.global_moves = global_moves;
  s.gammas.resize(static_cast<std::size_t>(steps));
  for (std::int64_t a = 1; a <= steps; ++a) s.gammas[a - 1] = std::max(gamma0 * plan.fractionAtStep(a), gamma_min);
  return s;
}

namespace {

// The general path: Hamiltonian::flipDelta in double, words drawn only when a move needs one.
void referenceQuantumAnnealing(const Hamiltonian& h, const SqaSchedule& schedule, const std::vector<double>& K,
                               const McStreamId& id, std::vector<Bit>& worlds, MonteCarloBatch& out,
                               const McRunOptions& opt) {
  const int N = h.numSpins(), P = schedule.slices;
  const std::size_t A = schedule.gammas.size();
  const double beta_p = 1.0 / (P * schedule.temperature);
  const RngKey key = monteCarloKey(id);
  const int sweeps = schedule.sweeps_per_step;
  const bool global = schedule.global_moves;
  for (std::size_t a = 1; a <= A; ++a) {
    const double k2 = 2.0 * K[a - 1];
    Kokkos::parallel_for(
        "vna::simulatedQuantumAnnealing", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, out.count),
        [&](const int p) {
          Bit* world = worlds.data() + static_cast<std::size_t>(p) * P * N;  // slice k at k·N
          McStream rng(key, static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(out.first_replica + p),
                       id.realization);
          for (int sweep = 0; sweep < sweeps; ++sweep) {
            for (int k = 0; k < P; ++k) {
              Bit* s = world + static_cast<std::size_t>(k) * N;
              const Bit* prev = world + static_cast<std::size_t>((k + P - 1) % P) * N;
              const Bit* next = world + static_cast<std::size_t>((k + 1) % P) * N;
              for (int i = 0; i < N; ++i) {
                const int nb = spinOf(prev[i]) + spinOf(next[i]);
                const double x = beta_p * h.flipDelta(s, i) + k2 * spinOf(s[i]) * nb;
                if (x <= 0.0 || (x < kMaxMetropolisExponent && rng.uniform() < std::exp(-x))) s[i] ^= 1;
              }
            }
            if (global)
              for (int i = 0; i < N; ++i) {
                double d = 0.0;
                for (int k = 0; k < P; ++k) d += h.flipDelta(world + static_cast<std::size_t>(k) * N, i);
                const double x = beta_p * d;
                if (x <= 0.0 || (x < kMaxMetropolisExponent && rng.uniform() < std::exp(-x)))
                  for (int k = 0; k < P; ++k) world[static_cast<std::size_t>(k) * N + i] ^= 1;
              }
          }
        });
    Kokkos::fence();
    if (!out.step_energy.empty())
      for (int p = 0; p < out.count; ++p) {
        double sum = 0.0;
        for (int k = 0; k < P; ++k) sum += h.energy(worlds.data() + (static_cast<std::size_t>(p) * P + k) * N);
        out.step_energy[static_cast<std::size_t>(p) * A + (a - 1)] = sum / P;
      }
    opt.maybePoll(static_cast<std::int64_t>(a), static_cast<std::int64_t>(A));
  }
}

// sparse, dense, pbody: QuantumChains.
void chainQuantumAnnealing(const McModel& model, McKernel kernel, const Hamiltonian& h, const SqaSchedule& schedule,
                           const std::vector<double>& K, const McStreamId& id, std::vector<Bit>& worlds,
                           MonteCarloBatch& out, const McRunOptions& opt) {
  const int N = h.numSpins(), P = schedule.slices;
  const std::size_t A = schedule.gammas.size();
  std::vector<std::uint32_t> ids(out.count);
  std::iota(ids.begin(), ids.end(), static_cast<std::uint32_t>(out.first_replica));
  auto chains = QuantumChains::create(model, kernel, {monteCarloKey(id), id.realization}, std::move(ids), P);
  chains->randomize();
  const float beta_p = static_cast<float>(1.0 / (P * schedule.temperature));
  auto fetch = [&] {
    for (int p = 0; p < out.count; ++p)
      for (int k = 0; k < P; ++k) chains->getSlice(p, k, worlds.data() + (static_cast<std::size_t>(p) * P + k) * N);
  };
  for (std::size_t a = 1; a <= A; ++a) {
    chains->sweep(static_cast<std::uint32_t>(a), schedule.sweeps_per_step, beta_p, static_cast<float>(K[a - 1]),
                  schedule.global_moves);
    if (!out.step_energy.empty()) {
      fetch();
      for (int p = 0; p < out.count; ++p) {
        double sum = 0.0;
        for (int k = 0; k < P; ++k) sum += h.energy(worlds.data() + (static_cast<std::size_t>(p) * P + k) * N);
        out.step_energy[static_cast<std::size_t>(p) * A + (a - 1)] = sum / P;
      }
    }
    opt.maybePoll(static_cast<std::int64_t>(a), static_cast<std::int64_t>(A));
  }
  fetch();
}

}  // namespace

MonteCarloBatch simulatedQuantumAnnealing(const Hamiltonian& h, const SqaSchedule& schedule, const McStreamId& id,
                                          std::int64_t first_replica, int count, bool record_steps,
                                          const McRunOptions& options) {
  const int N = h.numSpins();
  const int P = schedule.slices;
  const std::size_t A = schedule.gammas.size();
  if (P < 2) throw Error(fmt::format("simulatedQuantumAnnealing: needs at least 2 Trotter slices, got {}", P));
  if (!(schedule.temperature > 0)) throw Error("simulatedQuantumAnnealing: the temperature must be > 0");
  if (schedule.sweeps_per_step < 1) throw Error("simulatedQuantumAnnealing: sweeps_per_step must be >= 1");
  checkMonteCarloBudget("simulatedQuantumAnnealing", A,
                        static_cast<std::int64_t>(schedule.sweeps_per_step) * N * (P + 1), first_replica, count);
  // K_a = J⊥(Γ_a) / (P T) per step; every Γ must be positive (checked by trotterCoupling).
  std::vector<double> K(A);
  for (std::size_t a = 0; a < A; ++a)
    K[a] = trotterCoupling(schedule.gammas[a], P, schedule.temperature) / (P * schedule.temperature);
  const McModel model = buildMcModel(h);
  const McKernel kernel = chooseMcKernel(model, options.kernel, /*multispin_allowed=*/false);

  MonteCarloBatch out = MonteCarloBatch::allocate(
      N, first_replica, count, A, record_steps,
      static_cast<std::int64_t>(count) * static_cast<std::int64_t>(A) * schedule.sweeps_per_step * N *
          (P + (schedule.global_moves ? 1 : 0)));
  out.kernel = mcKernelName(kernel);
  if (count == 0) {
    options.pollAlong(static_cast<std::int64_t>(A));
    return out;
  }
  std::vector<Bit> worlds(static_cast<std::size_t>(count) * P * N);
  if (kernel == McKernel::kReference) {
    std::vector<std::uint32_t> ids(count);
    std::iota(ids.begin(), ids.end(), static_cast<std::uint32_t>(first_replica));
    initialBits({monteCarloKey(id), id.realization}, ids.data(), count, P * N, worlds.data());
    referenceQuantumAnnealing(h, schedule, K, id, worlds, out, options);
  } else {
    chainQuantumAnnealing(model, kernel, h, schedule, K, id, worlds, out, options);
  }
  // The lowest-energy slice (the first one on ties), its energy exact.
  for (int p = 0; p < count; ++p) {
    int best = 0;
    double best_e = INFINITY;
    for (int k = 0; k < P; ++k) {
      const double e = h.energy(worlds.data() + (static_cast<std::size_t>(p) * P + k) * N);
      if (e < best_e) best_e = e, best = k;
    }
    const Bit* b = worlds.data() + (static_cast<std::size_t>(p) * P + best) * N;
    std::copy(b, b + N, out.bits.begin() + static_cast<std::ptrdiff_t>(p) * N);
    out.energy[p] = best_e;
  }
  return out;
}

}  // namespace vna
