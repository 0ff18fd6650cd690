#pragma once
// The results of a campaign as columns (one entry per instance, one per row), read from or written to
// the /campaign group of a result file, and the per-(method, annealing length) summary over
// instances: residual energy per spin (mean, median, quantiles) and the probability of reaching the
// ground state.
#include <hdf5.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/mpi_comm.hpp"

namespace vna {

// ground_truth_origin of instances whose reference is the lowest energy any row found.
inline constexpr const char* kBestFoundOrigin = "best found by the campaign (not exact)";

// Padding of /campaign/results/best_configuration beyond an instance's N (and of rows without one).
inline constexpr std::uint8_t kNoSpin = 255;

struct CampaignTable {
  std::vector<std::string> methods;  // method names, indexed by the method column
  std::vector<std::int64_t> steps;   // annealing lengths of the campaign
  // Instances.
  std::vector<std::int64_t> realization, size, num_spins;
  std::vector<double> ground_energy, ground_tolerance;  // NaN: not known
  std::vector<std::string> ground_truth_origin, description;
  // Rows (instance-major, then method, then annealing length).
  std::vector<std::int64_t> instance, method, annealing_steps, done, samples, attempts;
  std::vector<double> min_energy, mean_energy, energy_std, ground_state_fraction, best_energy;
  // Relative to the ground truth; filled once every row is done.
  std::vector<double> residual, min_residual;  // per spin: (mean − E0)/N, (min − E0)/N
  std::vector<std::int64_t> reached;           // min_energy <= E0 + tolerance

  std::size_t numRows() const { return instance.size(); }
  std::size_t numInstances() const { return num_spins.size(); }
};

// Quantile of sorted values with linear interpolation between order statistics (numpy's default,
// Hyndman & Fan type 7): h = (n − 1) p, q = x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]). NaN when empty.
double quantileSorted(const std::vector<double>& sorted, double p);

struct CampaignSummaryRow {
  std::string method;
  std::int64_t annealing_steps = 0;
  std::int64_t instances = 0;                                                         // rows with a residual
  double mean = 0, median = 0, q10 = 0, q25 = 0, q75 = 0, q90 = 0, min = 0, max = 0;  // residual/N
  double ground_state_probability = 0;    // fraction of instances whose best energy reached E0
  double mean_ground_state_fraction = 0;  // mean over instances of the per-row fraction (NaN if unknown)
};

// One summary row per (method, annealing length), in the campaign's order.
std::vector<CampaignSummaryRow> summarizeCampaign(const CampaignTable& t);
std::string summaryText(const std::vector<CampaignSummaryRow>& rows);
nlohmann::json summaryJson(const std::vector<CampaignSummaryRow>& rows);
// Collective: <loc>/<group> with one dataset per column (replaced when present).
void writeSummary(hid_t loc, const std::string& group, const std::vector<CampaignSummaryRow>& rows, const Comm& comm);

// Every rank reads the /campaign group of an open file.
CampaignTable readCampaignTable(hid_t file);
bool isCampaignResult(hid_t file);

// Fixed-length string datasets (written by rank 0 inside a collective write, as h5::writeDataset).
void writeStringDataset(hid_t loc, const std::string& name, const std::vector<std::string>& values, const Comm& comm);
std::vector<std::string> readStringDataset(hid_t loc, const std::string& name);

}  // namespace vna
