#include "campaign/campaign_rows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "analysis/sample_analysis.hpp"
#include "core/error.hpp"
#include "io/h5.hpp"

namespace vna {

double pooledEnergyStd(const std::vector<ReplicaAnalysis>& replicas) {
  double n = 0, sum = 0, sum2 = 0;
  for (const auto& a : replicas) {
    const double k = static_cast<double>(a.samples);
    n += k;
    sum += a.mean_energy * k;
    // energy_err = sqrt(var / (k − 1)) with var = Σ e² / k − mean²: recover Σ e² of the replica.
    sum2 += k * (a.energy_err * a.energy_err * (k - 1) + a.mean_energy * a.mean_energy);
  }
  if (n == 0) return kCampaignNaN;
  const double mean = sum / n;
  return std::sqrt(std::max(0.0, sum2 / n - mean * mean));
}

// VCA / VQA rows: the annealer into the campaign file, then fresh samples.
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
  s.trajectory_every = 0;
  if (s.plan.numUpdates() > 0xFFFFFFF0LL)
    throw Error(fmt::format("campaign row {}: {} annealing steps give more than 2^32 updates", row, A));
  const AnnealOutcome o = runAnneal(comm, s, inst.model, file, log);
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
  double sum = 0, best_stored = INFINITY;
  std::int64_t gs = 0;
  r.min_energy = INFINITY;
  for (const auto& a : res) {
    const double n = static_cast<double>(a.samples);
    r.samples += a.samples;
    sum += a.mean_energy * n;
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
  r.energy_std = pooledEnergyStd(res);
  if (gt.energy) r.ground_state_fraction = static_cast<double>(gs) / n;
  return r;
}

}  // namespace vna
