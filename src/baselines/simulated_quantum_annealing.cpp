#include "baselines/simulated_quantum_annealing.hpp"

#include <fmt/format.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/signals.hpp"

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

MonteCarloBatch simulatedQuantumAnnealing(const Hamiltonian& h_in, const SqaSchedule& schedule, const McStreamId& id,
                                          std::int64_t first_replica, int count, bool record_steps) {
  const int N = h_in.numSpins();
  const int P = schedule.slices;
  const std::size_t A = schedule.gammas.size();
  if (P < 2) throw Error(fmt::format("simulatedQuantumAnnealing: needs at least 2 Trotter slices, got {}", P));
  if (!(schedule.temperature > 0)) throw Error("simulatedQuantumAnnealing: the temperature must be > 0");
  if (schedule.sweeps_per_step < 1) throw Error("simulatedQuantumAnnealing: sweeps_per_step must be >= 1");
  if (count < 0 || first_replica < 0 || first_replica + count > 0xFFFFFFFFll)
    throw Error(
        fmt::format("simulatedQuantumAnnealing: replicas [{}, {}) out of range", first_replica, first_replica + count));
  if (A >= 0xFFFFFFFFull) throw Error(fmt::format("Monte Carlo schedule of {} steps: at most 2^32 - 2", A));
  const std::int64_t draws = static_cast<std::int64_t>(schedule.sweeps_per_step) * N * (P + 1);
  if (draws > (std::int64_t(1) << 34))
    throw Error(
        fmt::format("Monte Carlo step needs {} draws from one stream (at most 2^34): use fewer sweeps per "
                    "step and more steps",
                    draws));
  // K_a = J⊥(Γ_a) / (P T) per step; every Γ must be positive (checked by trotterCoupling).
  std::vector<double> K(A);
  for (std::size_t a = 0; a < A; ++a)
    K[a] = trotterCoupling(schedule.gammas[a], P, schedule.temperature) / (P * schedule.temperature);
  const double beta_p = 1.0 / (P * schedule.temperature);

  // A finalized private copy: flipDelta is then read-only in the parallel region.
  Hamiltonian h = h_in;
  h.finalize();
  const RngKey key = monteCarloKey(id);

  MonteCarloBatch out = MonteCarloBatch::allocate(
      N, first_replica, count, A, record_steps,
      static_cast<std::int64_t>(count) * static_cast<std::int64_t>(A) * schedule.sweeps_per_step * N *
          (P + (schedule.global_moves ? 1 : 0)));

  Bit* bits_all = out.bits.data();
  double* energy_all = out.energy.data();
  double* steps_all = record_steps ? out.step_energy.data() : nullptr;
  const int sweeps = schedule.sweeps_per_step;
  const bool global = schedule.global_moves;
  Kokkos::parallel_for("vna::simulatedQuantumAnnealing",
                       Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, count), [&](const int p) {
                         const auto replica = static_cast<std::uint32_t>(first_replica + p);
                         std::vector<Bit> world(static_cast<std::size_t>(P) * N);  // slice k at k·N
                         McStream init(key, 0, replica, id.realization);
                         for (auto& b : world) b = init.bit();
                         for (std::size_t a = 1; a <= A; ++a) {
                           McStream rng(key, static_cast<std::uint32_t>(a), replica, id.realization);
                           const double k2 = 2.0 * K[a - 1];
                           for (int sweep = 0; sweep < sweeps; ++sweep) {
                             for (int k = 0; k < P; ++k) {
                               Bit* s = world.data() + static_cast<std::size_t>(k) * N;
                               const Bit* prev = world.data() + static_cast<std::size_t>((k + P - 1) % P) * N;
                               const Bit* next = world.data() + static_cast<std::size_t>((k + 1) % P) * N;
                               for (int i = 0; i < N; ++i) {
                                 const int nb = spinOf(prev[i]) + spinOf(next[i]);
                                 const double x = beta_p * h.flipDelta(s, i) + k2 * spinOf(s[i]) * nb;
                                 if (x <= 0.0 || (x < kMaxMetropolisExponent && rng.uniform() < std::exp(-x)))
                                   s[i] ^= 1;
                               }
                             }
                             if (global)
                               for (int i = 0; i < N; ++i) {
                                 double d = 0.0;
                                 for (int k = 0; k < P; ++k)
                                   d += h.flipDelta(world.data() + static_cast<std::size_t>(k) * N, i);
                                 const double x = beta_p * d;
                                 if (x <= 0.0 || (x < kMaxMetropolisExponent && rng.uniform() < std::exp(-x)))
                                   for (int k = 0; k < P; ++k) world[static_cast<std::size_t>(k) * N + i] ^= 1;
                               }
                           }
                           if (steps_all) {
                             double sum = 0.0;
                             for (int k = 0; k < P; ++k)
                               sum += h.energy(world.data() + static_cast<std::size_t>(k) * N);
                             steps_all[static_cast<std::size_t>(p) * A + (a - 1)] = sum / P;
                           }
                           if (stopRequested()) break;  // a signal: the caller abandons the run (campaign rows)
                         }
                         // The lowest-energy slice (the first one on ties).
                         int best = 0;
                         double best_e = INFINITY;
                         for (int k = 0; k < P; ++k) {
                           const double e = h.energy(world.data() + static_cast<std::size_t>(k) * N);
                           if (e < best_e) best_e = e, best = k;
                         }
                         std::copy(world.begin() + static_cast<std::ptrdiff_t>(best) * N,
                                   world.begin() + static_cast<std::ptrdiff_t>(best + 1) * N,
                                   bits_all + static_cast<std::size_t>(p) * N);
                         energy_all[p] = best_e;
                       });
  Kokkos::fence();
  return out;
}

}  // namespace vna
