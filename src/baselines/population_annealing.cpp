#include "baselines/population_annealing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "baselines/classical_chains.hpp"
#include "core/error.hpp"

namespace vna {

namespace {
constexpr std::int64_t kEnergyResyncSteps = 16;
}  // namespace

PaResult populationAnnealing(const Hamiltonian& h, const PaSchedule& schedule, const McStreamId& id,
                             std::int64_t first_run, int count, const McRunOptions& opt) {
  const int N = h.numSpins(), R = schedule.population;
  const std::int64_t A = schedule.steps;
  if (R < 1) throw Error(fmt::format("populationAnnealing: the population must be >= 1, got {}", R));
  if (!(schedule.beta_max > 0) || !std::isfinite(schedule.beta_max))
    throw Error(fmt::format("populationAnnealing: beta_max must be finite and > 0, got {}", schedule.beta_max));
  if (schedule.sweeps_per_step < 1) throw Error("populationAnnealing: sweeps_per_step must be >= 1");
  checkMonteCarloBudget("populationAnnealing", static_cast<std::size_t>(A),
                        static_cast<std::int64_t>(schedule.sweeps_per_step) * N, first_run * R,
                        static_cast<std::int64_t>(count) * R);
  const McModel model = buildMcModel(h);
  const McKernel kernel = chooseMcKernel(model, opt.kernel, /*multispin_allowed=*/false);
  if (kernel == McKernel::kReference)
    throw Error("population annealing runs on the fast kernels (sparse, dense, pbody), not 'reference'");
  const int slots = count * R;
  PaResult res;
  res.batch = MonteCarloBatch::allocate(N, first_run * R, slots, 0, false,
                                        static_cast<std::int64_t>(slots) * A * schedule.sweeps_per_step * N);
  res.batch.kernel = mcKernelName(kernel);
  res.ln_z.assign(count, N * std::log(2.0));
  if (count == 0) {
    opt.pollAlong(A);
    return res;
  }

  std::vector<std::uint32_t> ids(slots);
  for (int k = 0; k < slots; ++k) ids[k] = static_cast<std::uint32_t>(first_run * R + k);
  auto chains = ClassicalChains::create(model, kernel, {monteCarloKey(id), id.realization}, ids);
  chains->randomize();
  McStreamId rid = id;
  rid.method = McMethod::kPopulationAnnealingResampling;
  const RngKey rkey = monteCarloKey(rid);

  std::vector<double> energy(slots), w(R);
  std::vector<int> ancestor(slots);
  std::vector<float> beta(slots);
  std::vector<Bit>& bits = res.batch.bits;
  auto exactEnergies = [&] {
    for (int k = 0; k < slots; ++k) {
      chains->getBits(k, &bits[static_cast<std::size_t>(k) * N]);
      energy[k] = h.energy(&bits[static_cast<std::size_t>(k) * N]);
    }
  };
  // Energies are tracked through the sweeps (float ΔE summed in double) and recomputed exactly every
  // kEnergyResyncSteps steps; their rounding (~1e-6 relative) changes the weights by as much.
  exactEnergies();
  double beta_prev = 0.0;
  std::vector<double> old_energy(slots);
  for (std::int64_t a = 1; a <= A; ++a) {
    const double beta_a = schedule.beta_max * static_cast<double>(a) / static_cast<double>(A);
    if (a % kEnergyResyncSteps == 0) exactEnergies();
    for (int g = 0; g < count; ++g) {
      const double* e = &energy[static_cast<std::size_t>(g) * R];
      const double emin = *std::min_element(e, e + R);
      double sum = 0;
      for (int j = 0; j < R; ++j) sum += w[j] = std::exp(-(beta_a - beta_prev) * (e[j] - emin));
      res.ln_z[g] += std::log(sum / R) - (beta_a - beta_prev) * emin;
      const RngWords rw = philox(rkey, static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(first_run + g), 0,
                                 id.realization);
      const double u = uniformDouble(rw.v[0], rw.v[1]);
      double cum = w[0] / sum;
      int j = 0;
      for (int k = 0; k < R; ++k) {
        const double target = (k + u) / R;
        while (cum <= target && j + 1 < R) cum += w[++j] / sum;
        ancestor[static_cast<std::size_t>(g) * R + k] = g * R + j;
      }
    }
    chains->permute(ancestor);
    old_energy = energy;
    for (int k = 0; k < slots; ++k) energy[k] = old_energy[ancestor[k]];
    std::fill(beta.begin(), beta.end(), static_cast<float>(beta_a));
    chains->sweep(static_cast<std::uint32_t>(a), 0, schedule.sweeps_per_step, beta.data(), energy.data());
    beta_prev = beta_a;
    opt.maybePoll(a, A);
  }
  exactEnergies();
  std::copy(energy.begin(), energy.end(), res.batch.energy.begin());
  return res;
}

}  // namespace vna
