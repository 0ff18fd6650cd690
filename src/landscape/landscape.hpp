#pragma once
// Loss landscapes f(α, β) = L(θ* + αδ + βη) around annealing snapshots θ* (Algorithm 2 of
// Bhattacharya et al.), evaluated many grid points at a time through the batched engine.
//
// Determinism: point (i, j) of the snapshot with index s in its source draws its Ns samples from the
// sampling stream (seed, stream = i·Nb + j, step = kLandscapeStepBase + s, first sample 0), so its
// values depend only on (seed, snapshot, point): not on the chunking, the rank count or a resume.
// Work division: the grid is cut into chunks (grid.hpp); the chunks still to do, over all snapshots,
// are dealt to the ranks cyclically in rounds; after each round every rank writes its chunk as
// hyperslabs of /landscape/<label>/* (collective, no gathering).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "core/mpi_comm.hpp"
#include "io/result_file.hpp"
#include "landscape/grid.hpp"
#include "model/model.hpp"
#include "network/network.hpp"
#include "network/variational_estimator.hpp"

namespace vna {

// Landscape sampling steps sit far above any annealing update index (the annealer allows < 2^32 − 16
// updates; analysis uses 2^32 − 1), so their streams never coincide with training samples.
inline constexpr std::uint32_t kLandscapeStepBase = 0xF0000000u;

struct LandscapeSampling {
  std::uint64_t seed = 1;
  std::uint32_t snapshot_index = 0;
  int samples = 100;
  LossMode mode = LossMode::kClassical;
  double temperature = 0.0, gamma = 0.0;
};

// The loss statistics at θ* + α_k δ + β_k η for k = 0..K−1, all K points in one network call; point k
// samples from stream point_ids[k] at step kLandscapeStepBase + snapshot_index. Non-finite values are
// returned and flagged, never thrown.
LossStats evaluatePlanePoints(VariationalEstimator& estimator, const ParameterPlane& plane,
                              const std::vector<double>& alpha, const std::vector<double>& beta,
                              const std::vector<std::uint32_t>& point_ids, const LandscapeSampling& sampling);

// One snapshot's landscape request.
struct LandscapeSnapshot {
  std::string label;
  std::uint32_t index = 0;          // position among the source's snapshots (sampling stream)
  std::int64_t after_update = -1;   // from the source
  double temperature = 0.0, gamma = 0.0;
  LossMode mode = LossMode::kClassical;
  ParameterPlane plane;
  std::vector<double> trajectory;           // [T][2] trajectory in this plane (empty: none)
  std::vector<double> trajectory_residual;  // [T]
};

struct LandscapeSettings {
  LandscapeGrid grid;
  std::uint64_t seed = 1;
  int samples = 100;
  std::int64_t chunk_points = 200;  // points per engine call (see landscapeChunkPoints)
  double flush_minutes = 5.0;
  double progress_seconds = 10.0;
  AnsatzSpec ansatz;
};

// Points per chunk: `requested`, lowered so that what one engine call holds per point (its parameters,
// Ns configurations with log p and energies; for VQA also the activations kept for the single-flip
// log-probabilities, Ns·N·(d_h + 3) Scalars, and those Ns·N log p) stays under `memory_bytes`.
std::int64_t landscapeChunkPoints(std::int64_t requested, int samples, int num_spins, int hidden, bool quantum,
                                  std::size_t num_params, std::size_t scalar_bytes,
                                  std::size_t memory_bytes = std::size_t(512) << 20);

struct LandscapeSummary {
  std::string label;
  std::int64_t points = 0, points_done = 0, nonfinite_points = 0;
  double loss_min = 0.0, loss_max = 0.0;  // over the finite points done (NaN when there are none)
};

struct LandscapeOutcome {
  bool completed = false;  // false: stopped by a signal after flushing the points done
  std::int64_t points_computed = 0;  // in this run, all ranks
  double seconds = 0.0;
  std::vector<LandscapeSummary> snapshots;
};

// Collective. Fresh file: creates /landscape and /landscape/<label>/ for every snapshot; resumed
// file: checks them (same grid, same θ*, same directions) and evaluates only the points not done.
// Flushes the file every flush_minutes and on SIGUSR1; stops after flushing on SIGTERM/SIGINT.
LandscapeOutcome runLandscape(const Comm& comm, const LandscapeSettings& settings, const Model& model,
                              const std::vector<LandscapeSnapshot>& snapshots, ResultFile& file, const Log& log);

}  // namespace vna
