#pragma once
// A campaign: every instance of a model family (sizes × disorder realizations, or a list of coupling
// files) annealed by every method (VCA, VQA, SA, SQA, PT, PA) at every annealing length. This is the
// validated `campaign`, `sa`, `sqa`, `pt` and `pa` part of a config with the instances built and the
// ground truth that is given with them (model, planted state, ground-state or energy files) attached.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "anneal/schedule.hpp"
#include "baselines/monte_carlo_batch.hpp"
#include "config/config.hpp"
#include "model/model.hpp"

namespace vna {

enum class CampaignMethod { kVca, kVqa, kSa, kSqa, kPt, kPa };
const char* campaignMethodName(CampaignMethod m);
bool isVariational(CampaignMethod m);

struct SaSettings {
  double T0 = 1.0;
  int sweeps_per_step = 1;
  int replicas = 10;
  std::int64_t warmup_sweeps = 0;
  McKernel kernel = McKernel::kAuto;
  MultiSpinRandom multispin_draws = MultiSpinRandom::kIndependent;
};

struct SqaSettings {
  double gamma0 = 2.0, gamma_min = 1e-6;
  double temperature = 0.05;  // T (the Trotter model is sampled at T with couplings / P)
  int slices = 20;            // P
  int sweeps_per_step = 1;
  int replicas = 10;
  bool global_moves = true;
  McKernel kernel = McKernel::kAuto;
};

struct PtSettings {
  double T_min = 0.1, T_max = 2.0;
  int temperatures = 16;
  int sweeps_per_step = 1;
  int runs = 10;
  McKernel kernel = McKernel::kAuto;
};

struct PaSettings {
  double beta_max = 5.0;
  int population = 1000;
  int sweeps_per_step = 1;
  int runs = 1;
  McKernel kernel = McKernel::kAuto;
};

// Where an instance's ground energy comes from (the ground_truth_origin of the result file).
struct GroundTruthInfo {
  std::optional<double> energy;  // E0 (total)
  std::string origin;            // "" = not known yet (enumeration or best found decide later)
  double tolerance = 0.0;        // E <= E0 + tolerance counts as reaching the ground state
  bool exact_energy = false;     // E0 is exact to round-off (not a listed value of limited precision)
};

struct CampaignInstance {
  int index = 0;        // position in the campaign (instance-major row order)
  int size = 0;         // the campaign.sizes entry, 0 when the model section's size is used
  int realization = 0;  // disorder realization r (model.seed + r; coupling_file: the r-th file)
  Model model;
  GroundTruthInfo truth;
  std::optional<double> listed_energy;  // campaign.ground_energies value (total), kept for the record
};

struct CampaignSpec {
  std::vector<CampaignMethod> methods;
  std::vector<std::int64_t> steps;               // annealing lengths A
  ScheduleShape shape = ScheduleShape::kLinear;  // anneal.schedule, shared by all methods
  SaSettings sa;
  SqaSettings sqa;
  PtSettings pt;
  PaSettings pa;
  std::uint64_t seed = 1;  // campaign.seed: SA / SQA / PT / PA streams
  int max_enumeration_spins = 24;
  std::vector<CampaignInstance> instances;
  // Every file the campaign reads, with what it is ("a ground-state file (campaign.ground_states)"):
  // no output may overwrite them.
  std::vector<std::pair<std::string, std::string>> input_files;

  bool usesVariational() const;
  std::int64_t numRows() const { return static_cast<std::int64_t>(instances.size() * methods.size() * steps.size()); }
  // Row order: instance-major, then method, then annealing length.
  std::int64_t row(std::size_t instance, std::size_t method, std::size_t step) const {
    return static_cast<std::int64_t>((instance * methods.size() + method) * steps.size() + step);
  }
  // The entries of a row's replica_energy: SA/SQA replicas, PT runs, PA runs × population, VCA/VQA networks.
  int replicasOf(CampaignMethod m, int variational_replicas) const;
};

// True when the config sets any campaign key (then `vna analyze` looks for a campaign result).
bool isCampaignConfig(const Config& config);

// Reads the campaign, sa, sqa, pt and pa sections, builds every instance from `base` (the model section) and
// attaches the ground truth given with it. Every problem is an InputError naming the key or file;
// nothing expensive happens here (exhaustive enumeration comes later, in runCampaign).
CampaignSpec campaignSpecFromConfig(const Config& config, const ModelSpec& base);

// Numbers of a ground-energy list file: lines whose first token is not a number are headers and
// skipped; numbers are separated by commas and/or blanks. Malformed numbers are InputErrors
// ("path:line: ...").
std::vector<double> readNumberList(const std::string& path);

}  // namespace vna
