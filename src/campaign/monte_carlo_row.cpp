#include "campaign/monte_carlo_row.hpp"

#include <algorithm>
#include <cmath>

#include "baselines/parallel_tempering.hpp"
#include "baselines/population_annealing.hpp"
#include "baselines/simulated_annealing.hpp"
#include "baselines/simulated_quantum_annealing.hpp"
#include "core/error.hpp"

namespace vna {

bool isMonteCarlo(CampaignMethod m) {
  return m == CampaignMethod::kSa || m == CampaignMethod::kSqa || m == CampaignMethod::kPt || m == CampaignMethod::kPa;
}

std::vector<std::string> monteCarloKernels(const CampaignSpec& spec) {
  std::vector<std::string> out;
  for (CampaignMethod m : spec.methods) {
    if (!isMonteCarlo(m)) continue;
    const McKernel requested = m == CampaignMethod::kSa    ? spec.sa.kernel
                               : m == CampaignMethod::kSqa ? spec.sqa.kernel
                               : m == CampaignMethod::kPt  ? spec.pt.kernel
                                                           : spec.pa.kernel;
    std::vector<std::string> names;
    for (const CampaignInstance& inst : spec.instances) {
      const std::string k = mcKernelName(
          chooseMcKernel(buildMcModel(inst.model.hamiltonian), requested, m == CampaignMethod::kSa));
      if (std::find(names.begin(), names.end(), k) == names.end()) names.push_back(k);
    }
    std::string line = std::string(campaignMethodName(m)) + ": ";
    for (std::size_t i = 0; i < names.size(); ++i) line += (i ? ", " : "") + names[i];
    if (m == CampaignMethod::kSa && std::find(names.begin(), names.end(), "multispin") != names.end())
      line += spec.sa.multispin_draws == MultiSpinRandom::kShared ? " (shared draws)" : " (independent draws)";
    out.push_back(line);
  }
  return out;
}

namespace {

// Units (replicas or runs) of the method and the spin-flip attempts one unit makes per step.
struct Units {
  int count = 0;
  double attempts_per_step = 0;
};

Units unitsOf(const CampaignSpec& s, CampaignMethod m, int N) {
  switch (m) {
    case CampaignMethod::kSa:
      return {s.sa.replicas, static_cast<double>(s.sa.sweeps_per_step) * N};
    case CampaignMethod::kSqa:
      return {s.sqa.replicas, static_cast<double>(s.sqa.sweeps_per_step) * N * (s.sqa.slices + 1)};
    case CampaignMethod::kPt:
      return {s.pt.runs, static_cast<double>(s.pt.sweeps_per_step) * N * s.pt.temperatures};
    case CampaignMethod::kPa:
      return {s.pa.runs, static_cast<double>(s.pa.sweeps_per_step) * N * s.pa.population};
    default:
      throw Error("monteCarloRow: not a Monte Carlo method");
  }
}

McStreamId streamOf(const CampaignSpec& s, const CampaignInstance& inst, CampaignMethod m) {
  McStreamId id;
  id.seed = s.seed;
  id.size_tag = static_cast<std::uint32_t>(inst.size);
  id.realization = static_cast<std::uint32_t>(inst.realization);
  id.method = m == CampaignMethod::kSa    ? McMethod::kSimulatedAnnealing
              : m == CampaignMethod::kSqa ? McMethod::kSimulatedQuantumAnnealing
              : m == CampaignMethod::kPt  ? McMethod::kParallelTempering
                                          : McMethod::kPopulationAnnealing;
  return id;
}

MonteCarloBatch runBatch(const CampaignSpec& s, const Hamiltonian& h, CampaignMethod m, std::int64_t A,
                         const McStreamId& id, Range mine, McRunOptions opt) {
  const int count = static_cast<int>(mine.end - mine.begin);
  switch (m) {
    case CampaignMethod::kSa:
      opt.kernel = s.sa.kernel;
      opt.multispin_random = s.sa.multispin_draws;
      return simulatedAnnealing(h, saSchedule(s.sa.T0, A, s.shape, s.sa.sweeps_per_step, s.sa.warmup_sweeps), id,
                                mine.begin, count, false, opt);
    case CampaignMethod::kSqa: {
      const SqaSettings& q = s.sqa;
      opt.kernel = q.kernel;
      return simulatedQuantumAnnealing(
          h, sqaSchedule(q.gamma0, q.gamma_min, A, s.shape, q.temperature, q.slices, q.sweeps_per_step, q.global_moves),
          id, mine.begin, count, false, opt);
    }
    case CampaignMethod::kPt: {
      PtSchedule p;
      p.T_min = s.pt.T_min;
      p.T_max = s.pt.T_max;
      p.temperatures = s.pt.temperatures;
      p.steps = A;
      p.sweeps_per_step = s.pt.sweeps_per_step;
      opt.kernel = s.pt.kernel;
      return parallelTempering(h, p, id, mine.begin, count, opt).batch;
    }
    default: {
      PaSchedule p;
      p.beta_max = s.pa.beta_max;
      p.population = s.pa.population;
      p.steps = A;
      p.sweeps_per_step = s.pa.sweeps_per_step;
      opt.kernel = s.pa.kernel;
      return populationAnnealing(h, p, id, mine.begin, count, opt).batch;
    }
  }
}

}  // namespace

RowResult monteCarloRow(const Comm& comm, const CampaignSpec& spec, const CampaignInstance& inst, CampaignMethod m,
                        std::int64_t A, const GroundTruthInfo& truth, const std::function<void()>& poll,
                        std::int64_t poll_every) {
  const Hamiltonian& h = inst.model.hamiltonian;
  const int N = h.numSpins();
  const Units u = unitsOf(spec, m, N);
  const Range mine = blockRange(u.count, comm.rank(), comm.size());
  McRunOptions opt;
  opt.poll = poll;
  // The same interval on every rank: about 2^25 attempts of the busiest rank (a second or two on the
  // reference kernel or an underfilled SIMD group, milliseconds on full fast groups; one vote costs
  // microseconds), so a stop comes within seconds.
  const double busiest = u.attempts_per_step * static_cast<double>((u.count + comm.size() - 1) / comm.size());
  opt.poll_every = poll_every > 0 ? poll_every
                                  : std::max<std::int64_t>(1, static_cast<std::int64_t>(0x1p25 / std::max(1.0, busiest)));
  const MonteCarloBatch b = runBatch(spec, h, m, A, streamOf(spec, inst, m), mine, opt);

  RowResult r;
  r.kernel = b.kernel;
  r.replica_energy = comm.allGatherV(b.energy);
  const std::vector<Bit> bits = comm.allGatherV(b.bits);
  r.attempts = comm.sum(b.attempts);
  const int R = static_cast<int>(r.replica_energy.size());
  r.samples = R;
  int best = 0, at_gs = 0;
  for (int p = 0; p < R; ++p) {
    const double e = r.replica_energy[p];
    if (e < r.replica_energy[best]) best = p;
    if (truth.energy && e <= *truth.energy + truth.tolerance) ++at_gs;
  }
  r.min_energy = r.best_energy = r.replica_energy[best];
  // Moments of e − min: the mean is exactly the minimum when every replica ends there.
  double sum = 0, sum2 = 0;
  for (double e : r.replica_energy) {
    sum += e - r.min_energy;
    sum2 += (e - r.min_energy) * (e - r.min_energy);
  }
  r.mean_energy = r.min_energy + sum / R;
  r.energy_std = std::sqrt(std::max(0.0, sum2 / R - (sum / R) * (sum / R)));
  r.best_bits.assign(bits.begin() + static_cast<std::ptrdiff_t>(best) * N,
                     bits.begin() + static_cast<std::ptrdiff_t>(best + 1) * N);
  if (truth.energy) r.ground_state_fraction = static_cast<double>(at_gs) / R;
  return r;
}

}  // namespace vna
