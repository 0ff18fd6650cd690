#include "baselines/parallel_tempering.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "baselines/classical_chains.hpp"
#include "core/error.hpp"

namespace vna {

namespace {
constexpr std::int64_t kEnergyResyncSteps = 16;
}  // namespace

std::vector<double> ptTemperatures(const PtSchedule& s) {
  if (s.temperatures < 2) throw Error(fmt::format("parallel tempering needs at least 2 temperatures, got {}", s.temperatures));
  if (!(s.T_min > 0) || !(s.T_max >= s.T_min))
    throw Error(fmt::format("parallel tempering needs 0 < T_min <= T_max (got {} and {})", s.T_min, s.T_max));
  std::vector<double> T(s.temperatures);
  for (int m = 0; m < s.temperatures; ++m)
    T[m] = s.T_min * std::pow(s.T_max / s.T_min, static_cast<double>(m) / (s.temperatures - 1));
  return T;
}

PtResult parallelTempering(const Hamiltonian& h, const PtSchedule& schedule, const McStreamId& id,
                           std::int64_t first_run, int count, const McRunOptions& opt) {
  const int N = h.numSpins(), M = schedule.temperatures;
  const std::int64_t A = schedule.steps;
  const std::vector<double> T = ptTemperatures(schedule);
  if (schedule.sweeps_per_step < 1) throw Error("parallelTempering: sweeps_per_step must be >= 1");
  checkMonteCarloBudget("parallelTempering", static_cast<std::size_t>(A),
                        static_cast<std::int64_t>(schedule.sweeps_per_step) * N, first_run * M,
                        static_cast<std::int64_t>(count) * M);
  const McModel model = buildMcModel(h);
  const McKernel kernel = chooseMcKernel(model, opt.kernel, /*multispin_allowed=*/false);
  if (kernel == McKernel::kReference)
    throw Error("parallel tempering runs on the fast kernels (sparse, dense, pbody), not 'reference'");
  PtResult res;
  MonteCarloBatch& out = res.batch;
  out = MonteCarloBatch::allocate(N, first_run, count, 0, false,
                                  static_cast<std::int64_t>(count) * M * A * schedule.sweeps_per_step * N);
  out.kernel = mcKernelName(kernel);
  if (count == 0) {
    opt.pollAlong(A);
    return res;
  }

  const int slots = count * M;
  std::vector<std::uint32_t> ids(slots);
  for (int k = 0; k < slots; ++k) ids[k] = static_cast<std::uint32_t>(first_run * M + k);
  auto chains = ClassicalChains::create(model, kernel, {monteCarloKey(id), id.realization}, ids);
  chains->randomize();
  McStreamId xid = id;
  xid.method = McMethod::kParallelTemperingExchange;
  const RngKey xkey = monteCarloKey(xid);

  // slot_at[g·M + m]: the slot at temperature m in run g; beta per slot.
  std::vector<int> slot_at(slots);
  for (int k = 0; k < slots; ++k) slot_at[k] = k;
  std::vector<float> beta(slots);
  std::vector<double> energy(slots), best(count, INFINITY);
  std::vector<Bit> bits(N);
  auto exactEnergies = [&] {
    for (int k = 0; k < slots; ++k) {
      chains->getBits(k, bits.data());
      energy[k] = h.energy(bits.data());
    }
  };
  // Keeps the lowest configuration of each run; tracked energies carry float rounding, so candidates
  // are confirmed with the exact energy.
  auto recordBest = [&] {
    for (int g = 0; g < count; ++g)
      for (int m = 0; m < M; ++m) {
        const int k = g * M + m;
        if (!(energy[k] < best[g] + 1e-6 * std::max(1.0, std::abs(energy[k])))) continue;
        chains->getBits(k, bits.data());
        const double e = h.energy(bits.data());
        if (e < best[g]) {
          best[g] = e;
          std::copy(bits.begin(), bits.end(), out.bits.begin() + static_cast<std::ptrdiff_t>(g) * N);
        }
      }
  };
  exactEnergies();
  recordBest();
  std::int64_t round = 0;
  for (std::int64_t a = 1; a <= A; ++a) {
    for (int sw = 0; sw < schedule.sweeps_per_step; ++sw, ++round) {
      for (int g = 0; g < count; ++g)
        for (int m = 0; m < M; ++m) beta[slot_at[g * M + m]] = static_cast<float>(1.0 / T[m]);
      chains->sweep(static_cast<std::uint32_t>(a), sw, 1, beta.data(), energy.data());
      for (int g = 0; g < count; ++g)
        for (int m = static_cast<int>(round & 1); m + 1 < M; m += 2) {
          int& lo = slot_at[g * M + m];
          int& hi = slot_at[g * M + m + 1];
          const double x = (1.0 / T[m] - 1.0 / T[m + 1]) * (energy[lo] - energy[hi]);
          const RngWords w = philox(xkey, static_cast<std::uint32_t>(sw * M + m), static_cast<std::uint32_t>(a),
                                    static_cast<std::uint32_t>(first_run + g), id.realization);
          if (x >= 0 || uniformDouble(w.v[0], w.v[1]) < std::exp(x)) std::swap(lo, hi);
        }
      recordBest();
    }
    // The tracked energies drift by float rounding: resynchronize now and then.
    if (a % kEnergyResyncSteps == 0) exactEnergies();
    opt.maybePoll(a, A);
  }
  std::copy(best.begin(), best.end(), out.energy.begin());
  exactEnergies();
  res.final_energy.resize(static_cast<std::size_t>(count) * M);
  for (int k = 0; k < count * M; ++k) res.final_energy[k] = energy[slot_at[k]];
  return res;
}

}  // namespace vna
