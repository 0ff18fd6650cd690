#pragma once
// Analysis of annealed networks from fresh exact samples: energies, the fraction of samples at the
// ground energy, which ground states were found (mode collapse among the degenerate Newman-Moore
// ground states) and with which probabilities, the Hamming-distance histogram to a reference ground
// state, and PCA coordinates of stored samples.
//
// Samples are drawn in fixed batches of kAnalysisBatch per replica; batch b of every replica uses
// sampling counters (step = kAnalysisStep, first_sample = b·kAnalysisBatch), and batches are dealt to
// ranks cyclically. Partial sums are combined in batch order, so results do not depend on the number
// of ranks.
#include <hdf5.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "core/log.hpp"
#include "core/mpi_comm.hpp"
#include "model/model.hpp"
#include "network/ansatz.hpp"

namespace vna {

class Config;

inline constexpr std::int64_t kAnalysisBatch = 1000;
inline constexpr std::uint32_t kAnalysisStep = 0xFFFFFFFFu;
inline constexpr std::int64_t kMaxDistinctGroundStates = 4096;

struct AnalysisSettings {
  std::string source;  // vna analyze: the result to analyze ("": the output of this config)
  std::int64_t samples = 100000;
  std::int64_t stored = 1000;
  std::uint64_t seed = 1;  // sampling seed (replicas.seed)
  AnsatzSpec ansatz;
};

// analysis.source, analysis.samples, analysis.stored_samples, replicas.seed and the ansatz.
AnalysisSettings analysisSettingsFromConfig(const Config& config);

struct GroundTruth {
  std::optional<double> energy;           // E0
  std::string origin;                     // closed form, planted, enumeration, ...
  std::optional<std::vector<Bit>> reference;  // for Hamming distances
  std::optional<std::int64_t> degeneracy;     // number of ground states when known
};

// E0 and a reference ground state: from the model when known, else by enumeration when N <= 20.
GroundTruth groundTruthFor(const Model& model, const Comm& comm);

struct ReplicaAnalysis {
  std::int64_t samples = 0;
  double mean_energy = 0, energy_err = 0, min_energy = 0;
  std::int64_t ground_state_count = 0;
  std::vector<std::pair<std::vector<Bit>, std::int64_t>> ground_states;  // distinct, with counts
  bool ground_states_truncated = false;
  std::vector<std::int64_t> hamming_histogram;  // N + 1 entries (empty without reference)
  std::vector<Bit> stored_bits;                 // stored × N
  std::vector<double> stored_energy;
  std::vector<double> pca;                      // stored × 2
  std::vector<double> pca_explained;            // 2
};

// Collective. params: [R][n] for all R replicas, identical on every rank.
std::vector<ReplicaAnalysis> analyzeReplicas(const Comm& comm, const AnalysisSettings& settings, const Model& model,
                                             const GroundTruth& truth, const std::vector<double>& params, int replicas,
                                             const Log& log);

// Collective: /analysis in the result file.
void writeAnalysis(hid_t root, const Comm& comm, const AnalysisSettings& settings, const Model& model,
                   const GroundTruth& truth, const std::vector<ReplicaAnalysis>& results);

nlohmann::json analysisJson(const Model& model, const GroundTruth& truth, const std::vector<ReplicaAnalysis>& results);

// One log line per replica of analysisJson's array (what vna anneal and vna analyze print).
void logAnalysisJson(const Log& log, const nlohmann::json& replicas);

}  // namespace vna
