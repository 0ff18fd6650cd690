#include "campaign/campaign_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <limits>

#include "campaign/monte_carlo_row.hpp"
#include "campaign/row_result.hpp"
#include "core/error.hpp"
#include "core/signals.hpp"
#include "exact/enumeration.hpp"
#include "io/h5.hpp"

namespace vna {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double exactTolerance(double e0) { return 1e-9 * std::max(1.0, std::abs(e0)); }

// ---- VCA / VQA rows: the annealer into the campaign file, then fresh samples.
RowResult variationalRow(const Comm& comm, const CampaignInstance& inst, CampaignMethod m, std::int64_t A,
                         std::int64_t row, const VariationalRunSettings& v, const GroundTruthInfo& truth,
                         ResultFile& file, const Log& log) {
  const hid_t root = file.root();
  h5::Handle cg = h5::openGroup(root, "campaign");
  // A checkpoint left by an interrupted run belongs to the row recorded in active_row; anything else
  // at /anneal or /checkpoint is a leftover of an unfinished row.
  const bool own_checkpoint = h5::exists(root, "checkpoint") && h5::hasAttribute(cg, "active_row") &&
                              h5::readIntAttribute(cg, "active_row") == row;
  if (!own_checkpoint)
    for (const char* g : {"anneal", "checkpoint"})
      if (h5::exists(root, g)) VNA_H5(H5Ldelete(root, g, H5P_DEFAULT));
  h5::writeAttribute(cg, "active_row", row);

  AnnealSettings s = v.anneal;
  s.mode = m == CampaignMethod::kVca ? LossMode::kClassical : LossMode::kQuantum;
  s.plan.annealing = A;
  s.snapshots.clear();
  if (s.plan.numUpdates() > 0xFFFFFFF0LL)
    throw Error(fmt::format("campaign row {}: {} annealing steps give more than 2^32 updates", row, A));
  const AnnealOutcome o = runAnneal(comm, s, inst.model, file, log, nullptr);
  if (!o.completed)
    throw Interrupted(
        fmt::format("interrupted in row {} ({} of instance {}): checkpoint saved in {}; continue with "
                    "--resume",
                    row, campaignMethodName(m), inst.index, file.partialPath().string()));
  // Keep the annealing trace of the row.
  h5::Handle runs = h5::openOrCreateGroup(cg, "anneal");
  const std::string dst = fmt::format("row_{}", row);
  if (h5::exists(runs, dst)) VNA_H5(H5Ldelete(runs, dst.c_str(), H5P_DEFAULT));
  VNA_H5(H5Lmove(root, "anneal", runs, dst.c_str(), H5P_DEFAULT, H5P_DEFAULT));

  GroundTruth gt;
  // Samples are counted at E0 with the analysis' round-off tolerance: only for exact ground energies.
  if (truth.energy && truth.exact_energy) {
    gt.energy = truth.energy;
    gt.origin = truth.origin;
  }
  const auto res = analyzeReplicas(comm, v.analysis, inst.model, gt, o.final_params, s.replicas, log);
  RowResult r;
  const int N = inst.model.hamiltonian.numSpins();
  double sum = 0, sum2 = 0, best_stored = INFINITY;
  std::int64_t gs = 0;
  r.min_energy = INFINITY;
  for (const auto& a : res) {
    const double n = static_cast<double>(a.samples);
    r.samples += a.samples;
    sum += a.mean_energy * n;
    // energy_err = sqrt(var / (n − 1)): recover Σ e² of the replica.
    sum2 += n * (a.energy_err * a.energy_err * (n - 1) / n + a.mean_energy * a.mean_energy);
    r.min_energy = std::min(r.min_energy, a.min_energy);
    gs += a.ground_state_count;
    r.replica_energy.push_back(a.mean_energy);
    if (r.best_bits.empty() && !a.ground_states.empty()) {
      r.best_bits = a.ground_states.front().first;
      r.best_energy = inst.model.hamiltonian.energy(r.best_bits);
    }
  }
  // Without a ground state among the samples, the lowest of the stored samples.
  if (r.best_bits.empty())
    for (const auto& a : res)
      for (std::size_t k = 0; k < a.stored_energy.size(); ++k)
        if (a.stored_energy[k] < best_stored) {
          best_stored = a.stored_energy[k];
          r.best_bits.assign(a.stored_bits.begin() + static_cast<std::ptrdiff_t>(k) * N,
                             a.stored_bits.begin() + static_cast<std::ptrdiff_t>(k + 1) * N);
          r.best_energy = inst.model.hamiltonian.energy(r.best_bits);
        }
  const double n = static_cast<double>(r.samples);
  r.mean_energy = sum / n;
  r.energy_std = std::sqrt(std::max(0.0, sum2 / n - r.mean_energy * r.mean_energy));
  if (gt.energy) r.ground_state_fraction = static_cast<double>(gs) / n;
  return r;
}

// ---- file layout
struct Layout {
  int max_spins = 0, max_replicas = 0;
};

template <class T>
void writeWhole(hid_t loc, const std::string& name, const std::vector<T>& v, const Comm& comm) {
  if (h5::exists(loc, name)) VNA_H5(H5Ldelete(loc, name.c_str(), H5P_DEFAULT));
  h5::writeDataset(loc, name, v, comm.rank());
}

void createLayout(hid_t root, const CampaignSpec& spec, const std::vector<GroundTruthInfo>& truths, const Layout& lay,
                  const Comm& comm) {
  h5::Handle c = h5::createGroup(root, "campaign");
  std::vector<std::string> names;
  for (auto m : spec.methods) names.push_back(campaignMethodName(m));
  h5::writeAttribute(c, "methods", names);
  h5::writeAttribute(c, "num_instances", static_cast<std::int64_t>(spec.instances.size()));
  h5::writeAttribute(c, "num_rows", spec.numRows());
  h5::writeAttribute(c, "row_order",
                     "row = (instance * num_methods + method) * num_annealing_steps + annealing_steps_index");
  h5::writeAttribute(c, "energy_convention",
                     "energies are totals of the model's Hamiltonian (see /campaign/instances and the config); "
                     "*_per_spin divide by the instance's N");
  h5::writeAttribute(c, "residual_definition",
                     "residual_energy_per_spin = (mean_energy - E0) / N, min_residual_energy_per_spin = (min_energy "
                     "- E0) / N, E0 = /campaign/instances/ground_energy");
  h5::writeAttribute(c, "rows_per_method",
                     "vca/vqa: mean/min over replicas.count networks x analysis.samples fresh samples; sa: final "
                     "configuration of sa.replicas runs; sqa: lowest-energy Trotter slice of sqa.replicas runs; pt: "
                     "lowest energy met by each of pt.runs runs; pa: every member of the final populations of "
                     "pa.runs runs");
  h5::writeDataset(c, "annealing_steps", spec.steps, comm.rank());
  if (const auto kernels = monteCarloKernels(spec); !kernels.empty())
    h5::writeAttribute(c, "monte_carlo_kernels", kernels);

  const std::size_t I = spec.instances.size();
  h5::Handle in = h5::createGroup(c, "instances");
  std::vector<std::int64_t> real(I), size(I), nspins(I);
  std::vector<double> e0(I, kNaN), tol(I, kNaN), listed(I, kNaN);
  std::vector<std::string> origin(I), desc(I), source(I);
  for (std::size_t i = 0; i < I; ++i) {
    const auto& inst = spec.instances[i];
    real[i] = inst.realization;
    size[i] = inst.size;
    nspins[i] = inst.model.hamiltonian.numSpins();
    if (truths[i].energy) e0[i] = *truths[i].energy, tol[i] = truths[i].tolerance;
    origin[i] = truths[i].origin;
    desc[i] = inst.model.description;
    source[i] = inst.model.source;
    if (inst.listed_energy) listed[i] = *inst.listed_energy;
  }
  h5::writeDataset(in, "realization", real, comm.rank());
  h5::writeDataset(in, "size", size, comm.rank());
  h5::writeDataset(in, "num_spins", nspins, comm.rank());
  h5::writeDataset(in, "ground_energy", e0, comm.rank());
  h5::writeDataset(in, "ground_tolerance", tol, comm.rank());
  h5::writeDataset(in, "listed_ground_energy", listed, comm.rank());
  writeStringDataset(in, "ground_truth_origin", origin, comm);
  writeStringDataset(in, "description", desc, comm);
  writeStringDataset(in, "source", source, comm);

  const std::size_t rows = static_cast<std::size_t>(spec.numRows());
  h5::Handle r = h5::createGroup(c, "results");
  std::vector<std::int64_t> ci(rows), cm(rows), cs(rows);
  for (std::size_t i = 0; i < I; ++i)
    for (std::size_t m = 0; m < spec.methods.size(); ++m)
      for (std::size_t a = 0; a < spec.steps.size(); ++a) {
        const auto k = static_cast<std::size_t>(spec.row(i, m, a));
        ci[k] = static_cast<std::int64_t>(i);
        cm[k] = static_cast<std::int64_t>(m);
        cs[k] = spec.steps[a];
      }
  h5::writeDataset(r, "instance", ci, comm.rank());
  h5::writeDataset(r, "method", cm, comm.rank());
  h5::writeDataset(r, "annealing_steps", cs, comm.rank());
  const std::vector<std::int64_t> zeros(rows, 0);
  for (const char* name : {"done", "samples", "attempts"}) h5::writeDataset(r, name, zeros, comm.rank());
  const std::vector<double> nans(rows, kNaN);
  for (const char* name : {"min_energy", "mean_energy", "energy_std", "ground_state_fraction", "best_energy",
                           "min_energy_per_spin", "mean_energy_per_spin"})
    h5::writeDataset(r, name, nans, comm.rank());
  const std::vector<std::uint8_t> pad(rows * lay.max_spins, kNoSpin);
  h5::writeDataset<std::uint8_t>(r, "best_configuration", {rows, static_cast<hsize_t>(lay.max_spins)}, pad.data(),
                                 comm.rank());
  h5::writeAttribute(h5::openDataset(r, "best_configuration"), "meaning",
                     fmt::format("lowest-energy configuration of the row (bits, 1 = spin up), entries beyond the "
                                 "instance's N are {}",
                                 int(kNoSpin)));
  const std::vector<double> rep(rows * lay.max_replicas, kNaN);
  h5::writeDataset<double>(r, "replica_energy", {rows, static_cast<hsize_t>(lay.max_replicas)}, rep.data(),
                           comm.rank());
  h5::writeAttribute(h5::openDataset(r, "replica_energy"), "meaning",
                     "per replica: sa final energy, sqa lowest slice energy, pt best energy of a run, pa final "
                     "energy of a population member, vca/vqa mean sample energy; NaN beyond the method's count");
  h5::Handle t = h5::createGroup(c, "timing");
  h5::writeDataset(t, "row_seconds", nans, comm.rank());
}

template <class T>
void writeCell(hid_t group, const std::string& name, std::int64_t row, T value, const Comm& comm) {
  h5::Handle d = h5::openDataset(group, name);
  if (comm.isRoot())
    h5::writeBlock<T>(d, {static_cast<hsize_t>(row)}, {1}, &value);
  else
    h5::writeBlock<T>(d, {}, {}, nullptr);
}

void writeRow(hid_t root, std::int64_t k, int N, const RowResult& r, double seconds, const Layout& lay,
              const Comm& comm) {
  h5::Handle g = h5::openGroup(root, "campaign/results");
  writeCell(g, "min_energy", k, r.min_energy, comm);
  writeCell(g, "mean_energy", k, r.mean_energy, comm);
  writeCell(g, "energy_std", k, r.energy_std, comm);
  writeCell(g, "ground_state_fraction", k, r.ground_state_fraction, comm);
  writeCell(g, "best_energy", k, r.best_energy, comm);
  writeCell(g, "min_energy_per_spin", k, r.min_energy / N, comm);
  writeCell(g, "mean_energy_per_spin", k, r.mean_energy / N, comm);
  writeCell(g, "samples", k, r.samples, comm);
  writeCell(g, "attempts", k, r.attempts, comm);
  std::vector<std::uint8_t> bits(lay.max_spins, kNoSpin);
  std::copy(r.best_bits.begin(), r.best_bits.end(), bits.begin());
  std::vector<double> rep(lay.max_replicas, kNaN);
  std::copy(r.replica_energy.begin(), r.replica_energy.end(), rep.begin());
  const auto row = static_cast<hsize_t>(k);
  {
    h5::Handle d = h5::openDataset(g, "best_configuration");
    if (comm.isRoot())
      h5::writeBlock<std::uint8_t>(d, {row, 0}, {1, bits.size()}, bits.data());
    else
      h5::writeBlock<std::uint8_t>(d, {}, {}, nullptr);
  }
  {
    h5::Handle d = h5::openDataset(g, "replica_energy");
    if (comm.isRoot())
      h5::writeBlock<double>(d, {row, 0}, {1, rep.size()}, rep.data());
    else
      h5::writeBlock<double>(d, {}, {}, nullptr);
  }
  writeCell(h5::openGroup(root, "campaign/timing"), "row_seconds", k, seconds, comm);
  // Last: the row counts as done only once everything above is in the file.
  writeCell(g, "done", k, std::int64_t(1), comm);
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
  t.residual.assign(rows, kNaN);
  t.min_residual.assign(rows, kNaN);
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
  const hid_t root = file.root();
  const std::size_t I = spec.instances.size();

  // Ground truth: given with the instance, else exhaustive enumeration (deterministic, so a resumed
  // run recomputes the same values), else decided by the best energy found (finalize).
  std::vector<GroundTruthInfo> truths(I);
  for (std::size_t i = 0; i < I; ++i) {
    const CampaignInstance& inst = spec.instances[i];
    truths[i] = inst.truth;
    const int N = inst.model.hamiltonian.numSpins();
    if (!truths[i].energy && N <= spec.max_enumeration_spins) {
      const auto t0 = Clock::now();
      const EnumerationResult e = enumerateExhaustively(inst.model.hamiltonian, {}, comm, 1);
      truths[i].energy = e.ground_energy;
      truths[i].origin = "exhaustive enumeration";
      truths[i].tolerance = exactTolerance(e.ground_energy);
      truths[i].exact_energy = true;
      log.info("instance {}: E0/N = {:.10f} by exhaustive enumeration of 2^{} states ({:.1f} s)", i,
               e.ground_energy / N, N, std::chrono::duration<double>(Clock::now() - t0).count());
    }
  }

  Layout lay;
  for (const auto& inst : spec.instances) lay.max_spins = std::max(lay.max_spins, inst.model.hamiltonian.numSpins());
  for (auto m : spec.methods)
    lay.max_replicas = std::max(lay.max_replicas, spec.replicasOf(m, variational ? variational->anneal.replicas : 0));
  if (!h5::exists(root, "campaign")) {
    createLayout(root, spec, truths, lay, comm);
  } else {
    // Same config (checked by the command), so the same layout; check the row count anyway.
    const auto done = h5::readDataset<std::int64_t>(root, "campaign/results/done");
    if (static_cast<std::int64_t>(done.size()) != spec.numRows())
      throw InputError(fmt::format("{}: holds {} campaign rows but the config describes {}",
                                   file.partialPath().string(), done.size(), spec.numRows()));
  }
  std::vector<std::int64_t> done = h5::readDataset<std::int64_t>(root, "campaign/results/done");
  const std::int64_t rows = spec.numRows();
  const std::int64_t already = std::count(done.begin(), done.end(), 1);
  if (already > 0) log.info("resuming: {} of {} rows already done", already, rows);
  log.info("campaign: {} instance(s) x {} method(s) x {} annealing length(s) = {} rows on {} rank(s)", I,
           spec.methods.size(), spec.steps.size(), rows, comm.size());

  installSignalHandlers();
  const char* hook = std::getenv("VNA_CAMPAIGN_SIGNAL_AFTER_ROW");
  const std::int64_t raise_after = hook ? std::atoll(hook) : -1;
  const char* in_row_hook = std::getenv("VNA_CAMPAIGN_SIGNAL_IN_ROW");
  const std::int64_t raise_in = in_row_hook ? std::atoll(in_row_hook) : -1;
  std::int64_t finished = already;
  for (std::size_t i = 0; i < I; ++i)
    for (std::size_t mi = 0; mi < spec.methods.size(); ++mi)
      for (std::size_t a = 0; a < spec.steps.size(); ++a) {
        const std::int64_t k = spec.row(i, mi, a);
        if (done[k]) continue;
        // Signals reach ranks at different times: agree on stopping between rows.
        const SignalFlags sig = takeSignalFlags();
        if (comm.max(sig.stop ? 1.0 : 0.0) > 0) {
          file.flush();
          throw Interrupted(fmt::format("interrupted after {} of {} rows: continue with --resume ({})", finished, rows,
                                        file.partialPath().string()));
        }
        const CampaignInstance& inst = spec.instances[i];
        const CampaignMethod m = spec.methods[mi];
        const std::int64_t A = spec.steps[a];
        const int N = inst.model.hamiltonian.numSpins();
        const auto t0 = Clock::now();
        // Monte Carlo rows agree on a stop between steps (collective; the row is lost and rerun on --resume).
        auto poll = [&, k] {
          if (k == raise_in) std::raise(SIGTERM);
          if (comm.max(takeSignalFlags().stop ? 1.0 : 0.0) > 0) {
            file.flush();
            throw Interrupted(fmt::format("interrupted in row {} after {} of {} rows: continue with --resume ({})", k,
                                          finished, rows, file.partialPath().string()));
          }
        };
        const RowResult r = isVariational(m) ? variationalRow(comm, inst, m, A, k, *variational, truths[i], file, log)
                                             : monteCarloRow(comm, spec, inst, m, A, truths[i], poll, k == raise_in ? 1 : 0);
        const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        writeRow(root, k, N, r, seconds, lay, comm);
        file.flush();
        done[k] = 1;
        ++finished;
        const std::string res =
            truths[i].energy ? fmt::format("  res/N {:.3e}", (r.mean_energy - *truths[i].energy) / N) : std::string();
        log.info("row {}/{}: instance {} (r={}{}), {}{} A={}: <E>/N {:.6f}  min E/N {:.6f}{}  ({:.2f} s)", finished,
                 rows, i, inst.realization, inst.size ? fmt::format(", size {}", inst.size) : "", campaignMethodName(m),
                 r.kernel.empty() ? "" : fmt::format(" [{}]", r.kernel), A, r.mean_energy / N, r.min_energy / N, res,
                 seconds);
        if (k == raise_after) std::raise(SIGTERM);
      }
  CampaignTable t = finalize(root, spec, truths, comm, log);
  h5::Handle cg = h5::openGroup(root, "campaign");
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
