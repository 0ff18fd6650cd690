#include "campaign/campaign_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>

#include "campaign/campaign_file.hpp"
#include "campaign/campaign_rows.hpp"
#include "campaign/monte_carlo_row.hpp"
#include "core/error.hpp"
#include "core/run_loop.hpp"
#include "core/signals.hpp"
#include "exact/enumeration.hpp"
#include "io/h5.hpp"

namespace vna {

namespace {

using Clock = std::chrono::steady_clock;

double exactTolerance(double e0) { return 1e-9 * std::max(1.0, std::abs(e0)); }

// Ground truth: given with the instance, else exhaustive enumeration (deterministic, so a resumed
// run recomputes the same values), else decided by the best energy found (finalize).
std::vector<GroundTruthInfo> groundTruths(const Comm& comm, const CampaignSpec& spec, const Log& log) {
  std::vector<GroundTruthInfo> truths(spec.instances.size());
  for (std::size_t i = 0; i < truths.size(); ++i) {
    const CampaignInstance& inst = spec.instances[i];
    truths[i] = inst.truth;
    const int N = inst.model.hamiltonian.numSpins();
    if (truths[i].energy || N > spec.max_enumeration_spins) continue;
    const auto t0 = Clock::now();
    const EnumerationResult e = enumerateExhaustively(inst.model.hamiltonian, {}, comm, 1);
    truths[i].energy = e.ground_energy;
    truths[i].origin = "exhaustive enumeration";
    truths[i].tolerance = exactTolerance(e.ground_energy);
    truths[i].exact_energy = true;
    log.info("instance {}: E0/N = {:.10f} by exhaustive enumeration of 2^{} states ({:.1f} s)", i, e.ground_energy / N,
             N, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return truths;
}

// The row numbers not done yet, in row order: a fresh file is laid out first.
std::vector<std::int64_t> pendingRows(const CampaignSpec& spec, const std::vector<GroundTruthInfo>& truths,
                                      const CampaignLayout& lay, ResultFile& file, const Comm& comm) {
  const hid_t root = file.root();
  if (!h5::exists(root, "campaign")) createCampaignLayout(root, spec, truths, lay, comm);
  const std::vector<std::int64_t> done = h5::readDataset<std::int64_t>(root, "campaign/results/done");
  // Same config (checked by the command), so the same layout; check the row count anyway.
  if (static_cast<std::int64_t>(done.size()) != spec.numRows())
    throw InputError(fmt::format("{}: holds {} campaign rows but the config describes {}", file.partialPath().string(),
                                 done.size(), spec.numRows()));
  std::vector<std::int64_t> pending;
  for (std::size_t i = 0; i < spec.instances.size(); ++i)
    for (std::size_t mi = 0; mi < spec.methods.size(); ++mi)
      for (std::size_t a = 0; a < spec.steps.size(); ++a) {
        const std::int64_t k = spec.row(i, mi, a);
        if (!done[k]) pending.push_back(k);
      }
  return pending;
}

// Relates every row to the ground truth (the best energy found where none is known) and summarizes.
CampaignTable finalize(hid_t root, const CampaignSpec& spec, std::vector<GroundTruthInfo> truths, const Comm& comm,
                       const Log& log) {
  CampaignTable t = readCampaignTable(root);
  const std::size_t I = spec.instances.size(), rows = t.numRows();
  h5::Handle r = h5::openGroup(root, "campaign/results");
  const std::vector<double> rep = h5::readDataset<double>(r, "replica_energy");
  const std::size_t Rmax = rows ? rep.size() / rows : 0;
  for (std::size_t i = 0; i < I; ++i) {
    if (truths[i].energy) continue;
    double best = INFINITY;
    for (std::size_t k = 0; k < rows; ++k)
      if (t.instance[k] == static_cast<std::int64_t>(i)) best = std::min(best, t.min_energy[k]);
    truths[i].energy = best;
    truths[i].origin = kBestFoundOrigin;
    truths[i].tolerance = exactTolerance(best);
    truths[i].exact_energy = true;
  }
  t.residual.assign(rows, kCampaignNaN);
  t.min_residual.assign(rows, kCampaignNaN);
  t.reached.assign(rows, 0);
  for (std::size_t k = 0; k < rows; ++k) {
    const auto i = static_cast<std::size_t>(t.instance[k]);
    const double e0 = *truths[i].energy, tol = truths[i].tolerance;
    const double N = static_cast<double>(t.num_spins[i]);
    t.residual[k] = (t.mean_energy[k] - e0) / N;
    t.min_residual[k] = (t.min_energy[k] - e0) / N;
    t.reached[k] = t.min_energy[k] <= e0 + tol ? 1 : 0;
    if (t.min_energy[k] < e0 - tol)
      log.info("warning: row {} ({} on instance {}) found E/N = {:.10f} below the ground truth {:.10f} ({})", k,
               t.methods[t.method[k]], i, t.min_energy[k] / N, e0 / N, truths[i].origin);
    // Monte Carlo rows of instances whose reference appeared only now.
    const std::string& name = t.methods[t.method[k]];
    if (!std::isfinite(t.ground_state_fraction[k]) && (name == "sa" || name == "sqa" || name == "pt" || name == "pa")) {
      std::int64_t n = 0, at = 0;
      for (std::size_t p = 0; p < Rmax; ++p) {
        const double e = rep[k * Rmax + p];
        if (!std::isfinite(e)) continue;
        ++n;
        at += e <= e0 + tol;
      }
      if (n) t.ground_state_fraction[k] = static_cast<double>(at) / static_cast<double>(n);
    }
  }
  for (std::size_t i = 0; i < I; ++i) {
    t.ground_energy[i] = *truths[i].energy;
    t.ground_tolerance[i] = truths[i].tolerance;
    t.ground_truth_origin[i] = truths[i].origin;
  }
  h5::Handle in = h5::openGroup(root, "campaign/instances");
  writeWhole(in, "ground_energy", t.ground_energy, comm);
  writeWhole(in, "ground_tolerance", t.ground_tolerance, comm);
  if (h5::exists(in, "ground_truth_origin")) VNA_H5(H5Ldelete(in, "ground_truth_origin", H5P_DEFAULT));
  writeStringDataset(in, "ground_truth_origin", t.ground_truth_origin, comm);
  writeWhole(r, "ground_state_fraction", t.ground_state_fraction, comm);
  writeWhole(r, "residual_energy_per_spin", t.residual, comm);
  writeWhole(r, "min_residual_energy_per_spin", t.min_residual, comm);
  writeWhole(r, "reached_ground_state", t.reached, comm);
  writeSummary(h5::openGroup(root, "campaign"), "summary", summarizeCampaign(t), comm);
  return t;
}

}  // namespace

CampaignTable runCampaign(const Comm& comm, const CampaignSpec& spec, const VariationalRunSettings* variational,
                          ResultFile& file, const Log& log) {
  if (spec.usesVariational() && !variational) throw Error("runCampaign: VCA/VQA rows need variational settings");
  const std::vector<GroundTruthInfo> truths = groundTruths(comm, spec, log);
  CampaignLayout lay;
  for (const auto& inst : spec.instances) lay.max_spins = std::max(lay.max_spins, inst.model.hamiltonian.numSpins());
  for (auto m : spec.methods)
    lay.max_replicas = std::max(lay.max_replicas, spec.replicasOf(m, variational ? variational->anneal.replicas : 0));
  const std::vector<std::int64_t> pending = pendingRows(spec, truths, lay, file, comm);
  const std::int64_t rows = spec.numRows(), already = rows - static_cast<std::int64_t>(pending.size());
  if (already > 0) log.info("resuming: {} of {} rows already done", already, rows);
  log.info("campaign: {} instance(s) x {} method(s) x {} annealing length(s) = {} rows on {} rank(s)",
           spec.instances.size(), spec.methods.size(), spec.steps.size(), rows, comm.size());

  // One row per step; its summary is the progress line (every row, never overwritten).
  const std::size_t M = spec.methods.size(), A = spec.steps.size();
  std::string summary;
  RunLoopSettings ls;
  ls.progress_seconds = 0.0;
  ls.overwrite_progress = false;
  ls.signal_hook = "VNA_CAMPAIGN_SIGNAL_AFTER_ROW";
  RunLoop loop(comm, log, ls);
  const char* in_row_hook = std::getenv("VNA_CAMPAIGN_SIGNAL_IN_ROW");
  const std::int64_t raise_in = in_row_hook ? std::atoll(in_row_hook) : -1;
  const RunLoopResult r = loop.run(
      0, static_cast<std::int64_t>(pending.size()),
      [&](std::int64_t step) {
        const std::int64_t k = pending[step];
        const std::size_t i = k / (M * A), mi = (k / A) % M;
        const CampaignInstance& inst = spec.instances[i];
        const CampaignMethod m = spec.methods[mi];
        const std::int64_t steps = spec.steps[k % A];
        const int N = inst.model.hamiltonian.numSpins();
        const auto t0 = Clock::now();
        // Monte Carlo rows agree on a stop between their annealing steps (collective; the row is
        // abandoned and redone on --resume). The test hook raises SIGTERM at the first poll of row k.
        const auto poll = [&, k, m, i] {
          if (k == raise_in) std::raise(SIGTERM);
          if (comm.max(stopRequested() ? 1.0 : 0.0) > 0)
            throw Interrupted(fmt::format("stopped by a signal in a {} row of instance {} (row {})",
                                          campaignMethodName(m), i, k));
        };
        RowResult row;
        try {
          row = isVariational(m)
                    ? variationalRow(comm, inst, m, steps, k, *variational, truths[i], file, log)
                    : monteCarloRow(comm, spec, inst, m, steps, truths[i], poll, k == raise_in ? 1 : 0);
        } catch (const Interrupted& e) {
          // A stop inside a row (its annealing checkpointed, or its analysis or Monte Carlo replicas abandoned).
          file.flush();
          throw Interrupted(fmt::format("{}; {} of {} rows are done: continue with --resume ({})", e.what(),
                                        already + step, rows, file.partialPath().string()));
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        writeCampaignRow(file.root(), k, N, row, seconds, lay, comm);
        file.flush();
        markCampaignRowDone(file.root(), k, comm);
        file.flush();
        const std::string res =
            truths[i].energy ? fmt::format("  res/N {:.3e}", (row.mean_energy - *truths[i].energy) / N) : std::string();
        summary = fmt::format("instance {} (r={}{}), {}{} A={}: <E>/N {:.6f}  min E/N {:.6f}{}  ({:.2f} s)", i,
                              inst.realization, inst.size ? fmt::format(", size {}", inst.size) : "",
                              campaignMethodName(m), row.kernel.empty() ? "" : fmt::format(" [{}]", row.kernel),
                              steps, row.mean_energy / N, row.min_energy / N, res, seconds);
        return k;
      },
      [&](std::int64_t, bool) {
        file.flush();
        return std::string();
      },
      [&](const Progress& p) { return fmt::format("row {}/{}: {}  ETA {}", already + p.next, rows, summary, p.eta); });
  if (!r.completed)
    throw Interrupted(fmt::format("interrupted after {} of {} rows: continue with --resume ({})", already + r.next, rows,
                                  file.partialPath().string()));
  CampaignTable t = finalize(file.root(), spec, truths, comm, log);
  h5::Handle cg = h5::openGroup(file.root(), "campaign");
  if (h5::hasAttribute(cg, "active_row")) VNA_H5(H5Adelete(cg, "active_row"));
  return t;
}

nlohmann::json campaignJson(const CampaignTable& t, const std::string& output) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  nlohmann::json j;
  j["output"] = output;
  j["num_instances"] = t.numInstances();
  j["num_rows"] = t.numRows();
  j["instances"] = nlohmann::json::array();
  for (std::size_t i = 0; i < t.numInstances(); ++i)
    j["instances"].push_back({{"instance", i},
                              {"realization", t.realization[i]},
                              {"size", t.size[i]},
                              {"N", t.num_spins[i]},
                              {"description", t.description[i]},
                              {"ground_energy", num(t.ground_energy[i])},
                              {"ground_energy_per_spin", num(t.ground_energy[i] / t.num_spins[i])},
                              {"ground_truth_origin", t.ground_truth_origin[i]}});
  j["rows"] = nlohmann::json::array();
  for (std::size_t k = 0; k < t.numRows(); ++k) {
    const auto i = static_cast<std::size_t>(t.instance[k]);
    const double N = static_cast<double>(t.num_spins[i]);
    const bool known = t.ground_truth_origin[i] != kBestFoundOrigin;
    nlohmann::json row = {{"row", k},
                          {"instance", i},
                          {"realization", t.realization[i]},
                          {"method", t.methods[t.method[k]]},
                          {"annealing_steps", t.annealing_steps[k]},
                          {"min_energy_per_spin", num(t.min_energy[k] / N)},
                          {"mean_energy_per_spin", num(t.mean_energy[k] / N)},
                          {"ground_state_fraction", num(t.ground_state_fraction[k])},
                          {"samples", t.samples[k]}};
    if (!t.residual.empty()) {
      row[known ? "residual_energy_per_spin" : "residual_vs_best_found_per_spin"] = num(t.residual[k]);
      row[known ? "min_residual_energy_per_spin" : "min_residual_vs_best_found_per_spin"] = num(t.min_residual[k]);
      row["reached_ground_state"] = t.reached[k] != 0;
    }
    j["rows"].push_back(row);
  }
  j["summary"] = summaryJson(summarizeCampaign(t));
  return j;
}

}  // namespace vna
