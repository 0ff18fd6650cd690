#pragma once
// The VCA / VQA driver: R replicas spread over the MPI ranks (rank k owns a contiguous block),
// batched on each rank through the engine; Adam on flat parameter vectors; trace, snapshots and
// restart checkpoints in the result file. Everything a replica does is a pure function of
// (seeds, replica id, update index), so results do not depend on the number of ranks and a resumed
// run ends with the same datasets as an uninterrupted one.
#include <cstdint>
#include <string>
#include <vector>

#include "anneal/schedule.hpp"
#include "anneal/variational_estimator.hpp"
#include "config/config.hpp"
#include "core/log.hpp"
#include "core/mpi_comm.hpp"
#include "io/result_file.hpp"
#include "model/model.hpp"
#include "param_layout.hpp"

namespace vna {

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
  int replicas = 1;
  std::uint64_t sample_seed = 1, init_seed = 1;
  CellKind cell = CellKind::kVanilla2d;
  int hidden = 40;
  bool double_precision = false;
};

AnnealSettings annealSettingsFromConfig(const Config& config);

// A snapshot request resolved to the update after which θ is stored (-1: before the first update).
struct SnapshotPoint {
  std::string label;
  std::int64_t after_update = -1;
  double temperature = 0.0, gamma = 0.0;
};
std::vector<SnapshotPoint> resolveSnapshots(const AnnealSettings& s, const Config* config);

struct AnnealOutcome {
  bool completed = false;              // false: stopped by a signal after checkpointing
  std::vector<double> final_params;    // [R][n], on every rank
  std::vector<double> final_loss, final_loss_err;  // [R], loss at the last update
  std::size_t num_params = 0;
};

// Runs (or, when the file was resumed, continues) the annealing. Collective.
AnnealOutcome runAnneal(const Comm& comm, const AnnealSettings& settings, const Model& model, ResultFile& file,
                        const Log& log, const Config* config = nullptr);

}  // namespace vna
