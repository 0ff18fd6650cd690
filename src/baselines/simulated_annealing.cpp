#include "baselines/simulated_annealing.hpp"

#include <fmt/format.h>

#include <Kokkos_Core.hpp>
#include <cmath>
#include <limits>
#include <numeric>

#include "baselines/classical_chains.hpp"
#include "baselines/multispin.hpp"
#include "core/error.hpp"

namespace vna {

SaSchedule saSchedule(double T0, std::int64_t steps, ScheduleShape shape, int sweeps_per_step,
                      std::int64_t warmup_sweeps) {
  AnnealPlan plan;
  plan.annealing = steps;
  plan.shape = shape;
  SaSchedule s;
  s.sweeps_per_step = sweeps_per_step;
  s.warmup_sweeps = warmup_sweeps;
  s.warmup_temperature = T0;
  s.temperatures.resize(static_cast<std::size_t>(steps));
  for (std::int64_t a = 1; a <= steps; ++a) s.temperatures[a - 1] = T0 * plan.fractionAtStep(a);
  return s;
}

void checkMonteCarloBudget(const char* who, std::size_t steps, std::int64_t draws_per_step, std::int64_t first_replica,
                           std::int64_t count) {
  if (count < 0 || first_replica < 0 || first_replica + count > 0xFFFFFFFFll)
    throw Error(fmt::format("{}: replicas [{}, {}) out of range", who, first_replica, first_replica + count));
  // Step ids below 2^31 − 1: kWarmupStep and the top bit (LaneDraws' second stream) are taken.
  if (steps >= 0x7FFFFFFFull) throw Error(fmt::format("Monte Carlo schedule of {} steps: at most 2^31 - 2", steps));
  // Attempts of a step are numbered by 32-bit counters (LaneDraws' second stream counts attempts, the
  // others blocks of them).
  if (draws_per_step > (std::int64_t(1) << 32))
    throw Error(
        fmt::format("Monte Carlo step needs {} attempts from one stream (at most 2^32): use fewer sweeps per "
                    "step and more steps",
                    draws_per_step));
}

namespace {

float warmupBeta(const SaSchedule& s) {
  return s.warmup_temperature > 0 ? static_cast<float>(1.0 / s.warmup_temperature) : INFINITY;
}

// The general path: Hamiltonian::flipDelta in double, words drawn only when a move needs one.
void referenceAnnealing(const Hamiltonian& h, const SaSchedule& schedule, const McStreamId& id, MonteCarloBatch& out,
                        const McRunOptions& opt) {
  const int N = h.numSpins();
  const std::size_t A = schedule.temperatures.size();
  const RngKey key = monteCarloKey(id);
  const std::int64_t sweeps = schedule.sweeps_per_step;
  std::vector<double> e(out.count);
  std::vector<std::uint32_t> ids(out.count);
  std::iota(ids.begin(), ids.end(), static_cast<std::uint32_t>(out.first_replica));
  initialBits({key, id.realization}, ids.data(), out.count, N, out.bits.data());
  for (int p = 0; p < out.count; ++p) e[p] = h.energy(&out.bits[p * N]);
  // Step a (0: the warm-up) at temperature T with `count` sweeps.
  auto run = [&](std::size_t a, double T, std::int64_t count) {
    const double beta = T > 0 ? 1.0 / T : INFINITY;
    const std::uint32_t step = a == 0 ? kWarmupStep : static_cast<std::uint32_t>(a);
    Kokkos::parallel_for(
        "vna::simulatedAnnealing", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, out.count),
        [&](const int p) {
          Bit* s = out.bits.data() + static_cast<std::size_t>(p) * N;
          McStream rng(key, step, static_cast<std::uint32_t>(out.first_replica + p), id.realization);
          for (std::int64_t sweep = 0; sweep < count; ++sweep)
            for (int i = 0; i < N; ++i) {
              const double d = h.flipDelta(s, i);
              // Downhill moves are accepted without a draw; so are rejections of moves whose
              // exp(−βΔE) is below the 2^−32 resolution of the uniform draw (kMaxMetropolisExponent).
              const double x = beta * d;
              if (d <= 0.0 || (x < kMaxMetropolisExponent && rng.uniform() < std::exp(-x))) {
                s[i] ^= 1;
                e[p] += d;
              }
            }
          if (a > 0 && !out.step_energy.empty()) out.step_energy[static_cast<std::size_t>(p) * A + (a - 1)] = e[p];
        });
    Kokkos::fence();
  };
  if (schedule.warmup_sweeps > 0) run(0, schedule.warmup_temperature, schedule.warmup_sweeps);
  for (std::size_t a = 1; a <= A; ++a) {
    run(a, schedule.temperatures[a - 1], sweeps);
    opt.maybePoll(static_cast<std::int64_t>(a), static_cast<std::int64_t>(A));
  }
}

// sparse, dense, pbody: ClassicalChains at one β per step.
void chainAnnealing(const McModel& model, McKernel kernel, const Hamiltonian& h, const SaSchedule& schedule,
                    const McStreamId& id, MonteCarloBatch& out, const McRunOptions& opt) {
  const int N = h.numSpins();
  const std::size_t A = schedule.temperatures.size();
  std::vector<std::uint32_t> ids(out.count);
  std::iota(ids.begin(), ids.end(), static_cast<std::uint32_t>(out.first_replica));
  auto chains = ClassicalChains::create(model, kernel, {monteCarloKey(id), id.realization}, std::move(ids));
  chains->randomize();
  std::vector<float> beta(out.count);
  if (schedule.warmup_sweeps > 0) {
    std::fill(beta.begin(), beta.end(), warmupBeta(schedule));
    chains->sweep(kWarmupStep, 0, static_cast<int>(schedule.warmup_sweeps), beta.data(), nullptr);
  }
  for (std::size_t a = 1; a <= A; ++a) {
    const double T = schedule.temperatures[a - 1];
    std::fill(beta.begin(), beta.end(), T > 0 ? static_cast<float>(1.0 / T) : INFINITY);
    chains->sweep(static_cast<std::uint32_t>(a), 0, schedule.sweeps_per_step, beta.data(), nullptr);
    if (!out.step_energy.empty())
      for (int p = 0; p < out.count; ++p) {
        chains->getBits(p, &out.bits[p * N]);
        out.step_energy[static_cast<std::size_t>(p) * A + (a - 1)] = h.energy(&out.bits[p * N]);
      }
    opt.maybePoll(static_cast<std::int64_t>(a), static_cast<std::int64_t>(A));
  }
  for (int p = 0; p < out.count; ++p) chains->getBits(p, &out.bits[p * N]);
}

}  // namespace

MonteCarloBatch simulatedAnnealing(const Hamiltonian& h, const SaSchedule& schedule, const McStreamId& id,
                                   std::int64_t first_replica, int count, bool record_steps,
                                   const McRunOptions& options) {
  const int N = h.numSpins();
  const std::size_t A = schedule.temperatures.size();
  if (schedule.sweeps_per_step < 1) throw Error("simulatedAnnealing: sweeps_per_step must be >= 1");
  checkMonteCarloBudget("simulatedAnnealing", A, static_cast<std::int64_t>(schedule.sweeps_per_step) * N, first_replica,
                        count);
  if (schedule.warmup_sweeps < 0 || schedule.warmup_sweeps > std::numeric_limits<int>::max() ||
      static_cast<double>(schedule.warmup_sweeps) * N > 0x1p32)
    throw Error(fmt::format("simulatedAnnealing: {} warm-up sweeps of {} spins exceed one stream (2^32 attempts)",
                            schedule.warmup_sweeps, N));
  const McModel model = buildMcModel(h);
  const McKernel kernel = chooseMcKernel(model, options.kernel, /*multispin_allowed=*/true);
  if (kernel == McKernel::kMultiSpin) {
    checkMultiSpinBudget(N, schedule.sweeps_per_step, options.multispin_random);
    checkMultiSpinBudget(N, static_cast<int>(std::min<std::int64_t>(schedule.warmup_sweeps, 1 << 30)),
                         options.multispin_random);
  }
  MonteCarloBatch out = MonteCarloBatch::allocate(
      N, first_replica, count, A, record_steps,
      static_cast<std::int64_t>(count) * (static_cast<std::int64_t>(A) * schedule.sweeps_per_step + schedule.warmup_sweeps) *
          N);
  out.kernel = mcKernelName(kernel);
  if (count == 0) {
    options.pollAlong(static_cast<std::int64_t>(A));
    return out;
  }
  if (kernel == McKernel::kReference)
    referenceAnnealing(h, schedule, id, out, options);
  else if (kernel == McKernel::kMultiSpin)
    multiSpinAnnealing(model, h, schedule, id, out, options);
  else
    chainAnnealing(model, kernel, h, schedule, id, out, options);
  // Running sums carry round-off (and the fast kernels float couplings): report exact energies.
  for (int p = 0; p < count; ++p) out.energy[p] = h.energy(&out.bits[static_cast<std::size_t>(p) * N]);
  return out;
}

}  // namespace vna
