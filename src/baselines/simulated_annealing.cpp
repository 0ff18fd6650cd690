#include "baselines/simulated_annealing.hpp"

#include <fmt/format.h>

#include <Kokkos_Core.hpp>
#include <cmath>

#include "core/error.hpp"
#include "core/signals.hpp"

namespace vna {

SaSchedule saSchedule(double T0, std::int64_t steps, ScheduleShape shape, int sweeps_per_step) {
  AnnealPlan plan;
  plan.annealing = steps;
  plan.shape = shape;
  SaSchedule s;
  s.sweeps_per_step = sweeps_per_step;
  s.temperatures.resize(static_cast<std::size_t>(steps));
  for (std::int64_t a = 1; a <= steps; ++a) s.temperatures[a - 1] = T0 * plan.fractionAtStep(a);
  return s;
}

namespace {

void checkStreamBudget(std::size_t steps, std::int64_t draws_per_step) {
  if (steps >= 0xFFFFFFFFull) throw Error(fmt::format("Monte Carlo schedule of {} steps: at most 2^32 - 2", steps));
  // A stream has 2^32 Philox blocks of 4 draws.
  if (draws_per_step > (std::int64_t(1) << 34))
    throw Error(
        fmt::format("Monte Carlo step needs {} draws from one stream (at most 2^34): use fewer sweeps per "
                    "step and more steps",
                    draws_per_step));
}

}  // namespace

MonteCarloBatch simulatedAnnealing(const Hamiltonian& h_in, const SaSchedule& schedule, const McStreamId& id,
                                   std::int64_t first_replica, int count, bool record_steps) {
  const int N = h_in.numSpins();
  const std::size_t A = schedule.temperatures.size();
  if (schedule.sweeps_per_step < 1) throw Error("simulatedAnnealing: sweeps_per_step must be >= 1");
  if (count < 0 || first_replica < 0 || first_replica + count > 0xFFFFFFFFll)
    throw Error(
        fmt::format("simulatedAnnealing: replicas [{}, {}) out of range", first_replica, first_replica + count));
  checkStreamBudget(A, static_cast<std::int64_t>(schedule.sweeps_per_step) * N);
  // flipDelta builds its site->term index lazily through a const_cast; finalizing a private copy
  // here makes the concurrent calls below read-only.
  Hamiltonian h = h_in;
  h.finalize();
  const RngKey key = monteCarloKey(id);

  MonteCarloBatch out = MonteCarloBatch::allocate(
      N, first_replica, count, A, record_steps,
      static_cast<std::int64_t>(count) * static_cast<std::int64_t>(A) * schedule.sweeps_per_step * N);

  Bit* bits_all = out.bits.data();
  double* energy_all = out.energy.data();
  double* steps_all = record_steps ? out.step_energy.data() : nullptr;
  const double* temps = schedule.temperatures.data();
  const int sweeps = schedule.sweeps_per_step;
  Kokkos::parallel_for("vna::simulatedAnnealing", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, count),
                       [&](const int p) {
                         const auto replica = static_cast<std::uint32_t>(first_replica + p);
                         Bit* s = bits_all + static_cast<std::size_t>(p) * N;
                         McStream init(key, 0, replica, id.realization);
                         for (int i = 0; i < N; ++i) s[i] = init.bit();
                         double e = h.energy(s);
                         for (std::size_t a = 1; a <= A; ++a) {
                           McStream rng(key, static_cast<std::uint32_t>(a), replica, id.realization);
                           const double T = temps[a - 1];
                           const double beta = T > 0 ? 1.0 / T : INFINITY;
                           for (int sweep = 0; sweep < sweeps; ++sweep)
                             for (int i = 0; i < N; ++i) {
                               const double d = h.flipDelta(s, i);
                               // Downhill moves are accepted without a draw; so are rejections of moves whose
                               // exp(−βΔE) is below the 2^−32 resolution of the uniform draw (see
                               // kMaxMetropolisExponent).
                               const double x = beta * d;
                               if (d <= 0.0 || (x < kMaxMetropolisExponent && rng.uniform() < std::exp(-x))) {
                                 s[i] ^= 1;
                                 e += d;
                               }
                             }
                           if (steps_all) steps_all[static_cast<std::size_t>(p) * A + (a - 1)] = e;
                           if (stopRequested()) break;  // a signal: the caller abandons the run (campaign rows)
                         }
                         // The running sum carries round-off; report the exact energy of the final state.
                         energy_all[p] = h.energy(s);
                       });
  Kokkos::fence();
  return out;
}

}  // namespace vna
