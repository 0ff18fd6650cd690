#include "campaign/campaign_file.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "campaign/campaign_table.hpp"
#include "campaign/monte_carlo_row.hpp"

namespace vna {

namespace {
template <class T>
void writeCell(hid_t group, const std::string& name, std::int64_t row, T value, const Comm& comm) {
  h5::Handle d = h5::openDataset(group, name);
  if (comm.isRoot())
    h5::writeBlock<T>(d, {static_cast<hsize_t>(row)}, {1}, &value);
  else
    h5::writeBlock<T>(d, {}, {}, nullptr);
}

}  // namespace

void createCampaignLayout(hid_t root, const CampaignSpec& spec, const std::vector<GroundTruthInfo>& truths, const CampaignLayout& lay,
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
  std::vector<double> e0(I, kCampaignNaN), tol(I, kCampaignNaN), listed(I, kCampaignNaN);
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
  const std::vector<double> nans(rows, kCampaignNaN);
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
  const std::vector<double> rep(rows * lay.max_replicas, kCampaignNaN);
  h5::writeDataset<double>(r, "replica_energy", {rows, static_cast<hsize_t>(lay.max_replicas)}, rep.data(),
                           comm.rank());
  h5::writeAttribute(h5::openDataset(r, "replica_energy"), "meaning",
                     "per replica: sa final energy, sqa lowest slice energy, pt best energy of a run, pa final "
                     "energy of a population member, vca/vqa mean sample energy; NaN beyond the method's count");
  h5::Handle t = h5::createGroup(c, "timing");
  h5::writeDataset(t, "row_seconds", nans, comm.rank());
}

void writeCampaignRow(hid_t root, std::int64_t k, int N, const RowResult& r, double seconds, const CampaignLayout& lay,
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
  std::vector<double> rep(lay.max_replicas, kCampaignNaN);
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
}

void markCampaignRowDone(hid_t root, std::int64_t k, const Comm& comm) {
  writeCell(h5::openGroup(root, "campaign/results"), "done", k, std::int64_t(1), comm);
}

}  // namespace vna
