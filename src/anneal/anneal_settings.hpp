#pragma once
// What a VCA / VQA run is, from the anneal.*, replicas.* and ansatz.* keys of a config
// (annealSettingsFromConfig is the only place that reads the anneal.* and replicas.* keys), and the
// control values (T, Γ) and snapshot points it implies.
#include <cstdint>
#include <string>
#include <vector>

#include "anneal/schedule.hpp"
#include "network/ansatz.hpp"
#include "network/variational_estimator.hpp"

namespace vna {

class Config;

struct AnnealSettings {
  LossMode mode = LossMode::kClassical;
  double T0 = 10.0, gamma0 = 10.0;
  double T_final = 0.0, gamma_final = 0.0;  // where the schedule ends (scheduledValue)
  AnnealPlan plan;
  int samples = 100;
  double learning_rate = 1e-4;
  std::vector<std::string> snapshots;
  std::int64_t checkpoint_every = 1000;
  double checkpoint_minutes = 10.0;
  double progress_seconds = 10.0;
  // θ every trajectory_every updates for trajectory plots (vna landscape); 0: none.
  std::int64_t trajectory_every = 0;
  // false: /anneal/final keeps the losses only (a campaign row with campaign.store_networks: false;
  // its row results come from the parameters in memory).
  bool store_final_params = true;
  int replicas = 1;
  std::uint64_t sample_seed = 1;
  AnsatzSpec ansatz;
};

// Validates the snapshot labels too (an input error naming anneal.snapshots).
AnnealSettings annealSettingsFromConfig(const Config& config);

// The temperature and transverse field at schedule fraction s (1 at the start, 0 at the end).
double controlTemperature(const AnnealSettings& s, double fraction);
double controlGamma(const AnnealSettings& s, double fraction);

// A snapshot request resolved to the update after which θ is stored (-1: before the first update).
struct SnapshotPoint {
  std::string label;
  std::int64_t after_update = -1;
  double temperature = 0.0, gamma = 0.0;
};
// Throws InputError for a label that is neither initial, after_warmup, final nor a number (naming
// anneal.snapshots and its line when `config` is given).
std::vector<SnapshotPoint> resolveSnapshots(const AnnealSettings& s, const Config* config);

}  // namespace vna
