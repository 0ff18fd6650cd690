// `vna exact`: ground energy, degeneracy and ground states, exact thermodynamics and the Lanczos
// ground energy in a transverse field, for the configured model.
//   Newman-Moore: degeneracy from the GF(2) rank, f/e/s from the dual-code weight distribution (any L).
//   Any model with N <= exact.max_enumeration_spins (or enumerate: always, N <= 30): enumeration.
//   exact.gammas: matrix-free Lanczos, N <= 25.
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "app/command.hpp"
#include "app/model_from_config.hpp"
#include "app/resource_check.hpp"
#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "core/signals.hpp"
#include "exact/enumeration.hpp"
#include "exact/lanczos.hpp"
#include "exact/newman_moore_exact.hpp"

namespace vna {

namespace {

struct ExactResults {
  int n = 0;
  std::optional<double> ground_energy;
  std::optional<std::int64_t> degeneracy;
  std::string degeneracy_method, thermo_method;
  std::vector<std::vector<Bit>> ground_states;
  std::vector<Thermodynamics> thermo;
  std::vector<LanczosResult> lanczos;
};

nlohmann::json toJson(const ExactResults& r) {
  nlohmann::json j;
  j["N"] = r.n;
  j["ground_energy"] = r.ground_energy ? nlohmann::json(*r.ground_energy) : nlohmann::json();
  j["ground_energy_per_spin"] = r.ground_energy ? nlohmann::json(*r.ground_energy / r.n) : nlohmann::json();
  j["degeneracy"] = r.degeneracy ? nlohmann::json(*r.degeneracy) : nlohmann::json();
  j["degeneracy_method"] = r.degeneracy_method;
  j["temperatures"] = nlohmann::json::array();
  for (const auto& t : r.thermo)
    j["temperatures"].push_back({{"T", t.temperature},
                                 {"free_energy_per_spin", t.free_energy},
                                 {"energy_per_spin", t.energy},
                                 {"entropy_per_spin", t.entropy}});
  j["thermodynamics_method"] = r.thermo_method;
  j["gammas"] = nlohmann::json::array();
  for (const auto& l : r.lanczos)
    j["gammas"].push_back({{"gamma", l.gamma}, {"e0_per_spin", l.ground_energy / r.n}, {"gap", l.gap}});
  return j;
}

void writeResults(const ResultFile& file, const ExactResults& r, const Comm& comm) {
  h5::Handle g = h5::createGroup(file.root(), "exact");
  const int rank = comm.rank();
  if (r.ground_energy) {
    h5::writeAttribute(g, "ground_energy", *r.ground_energy);
    h5::writeAttribute(g, "ground_energy_per_spin", *r.ground_energy / r.n);
  }
  if (r.degeneracy) {
    h5::writeAttribute(g, "degeneracy", *r.degeneracy);
    h5::writeAttribute(g, "degeneracy_method", r.degeneracy_method);
  }
  if (!r.ground_states.empty()) {
    std::vector<std::uint8_t> flat;
    for (const auto& s : r.ground_states) flat.insert(flat.end(), s.begin(), s.end());
    h5::writeDataset<std::uint8_t>(g, "ground_states", {r.ground_states.size(), static_cast<hsize_t>(r.n)},
                                   flat.data(), rank);
  }
  if (!r.thermo.empty()) {
    h5::Handle t = h5::createGroup(g, "thermo");
    h5::writeAttribute(t, "method", r.thermo_method);
    std::vector<double> T, f, e, s;
    for (const auto& x : r.thermo) {
      T.push_back(x.temperature);
      f.push_back(x.free_energy);
      e.push_back(x.energy);
      s.push_back(x.entropy);
    }
    h5::writeDataset(t, "temperature", T, rank);
    h5::writeDataset(t, "free_energy_per_spin", f, rank);
    h5::writeDataset(t, "energy_per_spin", e, rank);
    h5::writeDataset(t, "entropy_per_spin", s, rank);
  }
  if (!r.lanczos.empty()) {
    h5::Handle l = h5::createGroup(g, "lanczos");
    h5::writeAttribute(l, "method", "matrix-free Lanczos, residual < 1e-12 relative");
    std::vector<double> gamma, e0, e0n, gap;
    for (const auto& x : r.lanczos) {
      gamma.push_back(x.gamma);
      e0.push_back(x.ground_energy);
      e0n.push_back(x.ground_energy / r.n);
      gap.push_back(x.gap);
    }
    h5::writeDataset(l, "gamma", gamma, rank);
    h5::writeDataset(l, "ground_energy", e0, rank);
    h5::writeDataset(l, "e0_per_spin", e0n, rank);
    h5::writeDataset(l, "gap", gap, rank);
  }
}

void printResults(const Log& log, const Model& model, const ExactResults& r) {
  log.info("{}  (N = {})", model.description, r.n);
  if (r.ground_energy) log.info("  ground energy     E0 = {:.10g}   E0/N = {:.10g}", *r.ground_energy, *r.ground_energy / r.n);
  if (r.degeneracy) log.info("  ground states     {}   ({})", *r.degeneracy, r.degeneracy_method);
  if (!r.thermo.empty()) {
    log.info("  thermodynamics per spin ({}):", r.thermo_method);
    log.info("  {:>10} {:>18} {:>18} {:>18}", "T", "f = F/N", "e = E/N", "s = S/N");
    for (const auto& t : r.thermo)
      log.info("  {:>10.5g} {:>18.12f} {:>18.12f} {:>18.12f}", t.temperature, t.free_energy, t.energy, t.entropy);
  }
  if (!r.lanczos.empty()) {
    log.info("  transverse field (Lanczos):");
    log.info("  {:>10} {:>18} {:>18}", "Gamma", "E0/N", "gap");
    for (const auto& l : r.lanczos) log.info("  {:>10.5g} {:>18.12f} {:>18.10g}", l.gamma, l.ground_energy / r.n, l.gap);
  }
}

// E0(Γ) and the gap for each Γ, with a progress line every 10 s; stops (Interrupted) on a signal.
std::vector<double> lanczosScan(const Hamiltonian& h, const std::vector<double>& gammas, const Log& log) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  auto last = t0;
  const TransverseFieldLanczos lanczos(h);
  std::vector<double> packed;
  for (double g : gammas) {
    LanczosOptions o;
    o.on_step = [&](const char* run, int step, double residual) {
      if (stopRequested()) throw Interrupted("stopped by a signal");
      const auto now = Clock::now();
      if (std::chrono::duration<double>(now - last).count() < 10.0) return;
      last = now;
      log.info("  Lanczos Gamma = {}: {} run, step {}{}, {:.0f} s", g, run, step,
               std::isfinite(residual) ? fmt::format(" (residual {:.1e})", residual) : "",
               std::chrono::duration<double>(now - t0).count());
    };
    const LanczosResult l = lanczos.solve(g, o);
    packed.insert(packed.end(), {l.gamma, l.ground_energy, l.gap});
    if (std::chrono::duration<double>(Clock::now() - t0).count() > 10.0)
      log.info("  Lanczos Gamma = {}: E0/N = {:.12f} ({} + {} steps, {:.0f} s so far)", g, l.ground_energy / h.numSpins(),
               l.iterations, l.gap_iterations, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return packed;
}

}  // namespace

nlohmann::json runExact(const CommandContext& ctx) {
  const Config& cfg = ctx.config;
  checkModelFits(ctx.comm, cfg, ctx.log, "vna exact");
  const Model model = buildModelFromConfig(cfg);
  ExactResults r;
  r.n = model.hamiltonian.numSpins();

  const auto temperatures = cfg.getRealList("exact.temperatures");
  const auto gammas = cfg.getRealList("exact.gammas");
  const std::string enumerate = cfg.getString("exact.enumerate");
  const auto max_states = cfg.getInt("exact.max_ground_states");
  if (!gammas.empty() && r.n > kMaxLanczosSpins)
    cfg.fail("exact.gammas", fmt::format("Lanczos needs N <= {}, the model has N = {}", kMaxLanczosSpins, r.n));
  if (enumerate == "always" && r.n > kMaxEnumerationSpins)
    cfg.fail("exact.enumerate",
             fmt::format("exhaustive enumeration needs N <= {}, the model has N = {}", kMaxEnumerationSpins, r.n));
  const bool do_enumerate =
      enumerate == "always" || (enumerate == "auto" && r.n <= cfg.getInt("exact.max_enumeration_spins"));
  const bool newman_moore = cfg.getString("model.type") == "newman_moore" && cfg.getReal("model.field") == 0.0;

  checkExactResources(ctx.comm, cfg, model, !gammas.empty(), resultPath(ctx.options, cfg).string(), ctx.log);
  // Open the result before the long computation so that a bad path fails at once.
  ResultFile file(ctx.comm, resultPath(ctx.options, cfg), ctx.options, /*resumable=*/false, modelInputFiles(cfg));
  file.writeProvenance(cfg, "host (exact solvers)");
  writeModelGroup(file.root(), "model", model, ctx.comm);

  if (newman_moore) {
    const int L = static_cast<int>(cfg.getInt("model.L"));
    const double J = cfg.getReal("model.J");
    const NewmanMooreExact nm(L, J);
    r.ground_energy = -0.5 * std::abs(J) * r.n;
    r.degeneracy = std::int64_t(1) << nm.degeneracyExponent();
    r.degeneracy_method = fmt::format("GF(2): N - rank(triangle map) = {}", nm.degeneracyExponent());
    if (*r.degeneracy <= max_states) r.ground_states = newmanMooreGroundStates(L, J, max_states);
    for (double T : temperatures) r.thermo.push_back(nm.thermodynamics(T));
    r.thermo_method = fmt::format("dual-code weight distribution (2^{} words)", nm.degeneracyExponent());
  }
  if (do_enumerate) {
    ctx.log.info("enumerating all 2^{} states on {} rank(s)", r.n, ctx.comm.size());
    EnumerationResult e;
    try {
      e = enumerateExhaustively(model.hamiltonian, temperatures, ctx.comm, max_states);
    } catch (const Interrupted& stop) {
      throw Interrupted(fmt::format("interrupted: {}; nothing was written (`vna exact` has no checkpoints): run it "
                                    "again",
                                    stop.what()));
    }
    if (!newman_moore) {
      r.ground_energy = e.ground_energy;
      r.degeneracy = e.num_ground_states;
      r.degeneracy_method = "exhaustive enumeration";
      r.ground_states = e.ground_states;
      r.thermo = e.thermodynamics;
      r.thermo_method = "exhaustive enumeration";
    } else if (e.num_ground_states != *r.degeneracy || std::abs(e.ground_energy - *r.ground_energy) > 1e-9 * r.n) {
      throw Error(fmt::format("internal check failed: enumeration gives E0 = {} with {} ground states, GF(2) gives {} with {}",
                              e.ground_energy, e.num_ground_states, *r.ground_energy, *r.degeneracy));
    }
  } else if (!newman_moore && model.ground_energy) {
    r.ground_energy = model.ground_energy;
    r.degeneracy_method = model.ground_truth_origin;
    r.ground_states = model.ground_states;
  }
  if (!newman_moore && !do_enumerate && !temperatures.empty() && cfg.given("exact.temperatures"))
    ctx.log.info("note: N = {} is too large to enumerate; exact thermodynamics are available for Newman-Moore "
                 "(any L) or N <= {}", r.n, kMaxEnumerationSpins);

  if (!gammas.empty()) {
    // Rank 0 solves (memory 2^N doubles per vector), then shares the numbers.
    std::vector<double> packed;
    int stopped = 0;
    ctx.log.info("Lanczos: 2^{} states, about {} on rank 0, {} value(s) of Gamma", r.n,
                 formatBytes(8.0 * std::ldexp(8.0, r.n)), gammas.size());
    if (ctx.comm.isRoot()) {
      try {
        packed = lanczosScan(model.hamiltonian, gammas, ctx.log);
      } catch (const Interrupted&) {
        stopped = 1;  // the other ranks wait in the broadcast: tell them
      }
    }
    ctx.comm.broadcastValue(stopped);
    if (stopped)
      throw Interrupted("interrupted by a signal in the Lanczos iteration; nothing was written (`vna exact` has no "
                        "checkpoints): run it again");
    ctx.comm.broadcast(packed);
    for (std::size_t k = 0; k + 2 < packed.size(); k += 3) {
      LanczosResult l;
      l.gamma = packed[k];
      l.ground_energy = packed[k + 1];
      l.gap = packed[k + 2];
      r.lanczos.push_back(l);
    }
  }

  writeResults(file, r, ctx.comm);
  file.commit();
  printResults(ctx.log, model, r);
  ctx.log.info("wrote {}", file.path().string());
  return toJson(r);
}

}  // namespace vna
