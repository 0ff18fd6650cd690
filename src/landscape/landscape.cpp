#include "landscape/landscape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/run_loop.hpp"
#include "landscape/landscape_file.hpp"

namespace vna {

// ---------------------------------------------------------------- evaluation

LossStats evaluatePlanePoints(VariationalEstimator& estimator, const ParameterPlane& plane,
                              const std::vector<double>& alpha, const std::vector<double>& beta,
                              const std::vector<std::uint32_t>& point_ids, const LandscapeSampling& sampling) {
  if (beta.size() != alpha.size() || point_ids.size() != alpha.size() || alpha.empty())
    throw Error(fmt::format("evaluatePlanePoints: {} α, {} β and {} stream ids (need the same number > 0)", alpha.size(),
                            beta.size(), point_ids.size()));
  SampleCounters counters;
  counters.seed = sampling.seed;
  counters.step = kLandscapeStepBase + sampling.snapshot_index;
  counters.first_sample = 0;
  return estimator.evaluate(ParameterSets::onPlane(plane, alpha, beta), point_ids, counters, sampling.samples,
                            sampling.mode, sampling.temperature, sampling.gamma, nullptr);
}

std::int64_t landscapeChunkPoints(std::int64_t requested, int samples, int num_spins, int hidden, bool quantum,
                                  std::size_t num_params, std::size_t scalar_bytes, std::size_t memory_bytes) {
  // Per point: its parameters (host double + device Scalar), Ns configurations (bytes) with log p,
  // energy and weight (doubles); for VQA the kept activations and the Ns·N flipped log p.
  const double ns = samples, n = num_spins;
  double per_point = static_cast<double>(num_params) * (8.0 + static_cast<double>(scalar_bytes)) + ns * (n + 24.0);
  if (quantum) per_point += ns * n * (8.0 + (hidden + 3.0) * static_cast<double>(scalar_bytes));
  const auto fit = static_cast<std::int64_t>(static_cast<double>(memory_bytes) / per_point);
  return std::max<std::int64_t>(1, std::min(requested, fit));
}

// ---------------------------------------------------------------- driver

namespace {

using Clock = std::chrono::steady_clock;

struct WorkItem {
  std::size_t snapshot;
  std::size_t chunk;
  std::int64_t global_chunk;  // snapshot · chunks + chunk (the VNA_SIGNAL_AFTER_CHUNK counter)
};

struct LocalStats {
  double min = std::numeric_limits<double>::infinity(), max = -std::numeric_limits<double>::infinity();
  std::int64_t done = 0, nonfinite = 0;
  void add(double loss, bool finite) {
    ++done;
    if (!finite || !std::isfinite(loss)) {
      ++nonfinite;
      return;
    }
    min = std::min(min, loss);
    max = std::max(max, loss);
  }
};

// The chunks still to compute, snapshot by snapshot; chunks a resumed file has done count in the
// statistics (on rank 0; the extremes on every rank).
std::vector<WorkItem> pendingWork(const Comm& comm, const LandscapeFile& file, const std::vector<GridChunk>& chunks,
                                  std::size_t S, std::int64_t nb, std::vector<LocalStats>& stats) {
  std::vector<WorkItem> work;
  for (std::size_t si = 0; si < S; ++si) {
    const LandscapeFile::Done d = file.done(si);
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      const GridChunk& ch = chunks[c];
      bool all_done = !d.done.empty();
      for (std::int64_t i = ch.i0; i < ch.i0 + ch.ni && all_done; ++i)
        for (std::int64_t j = ch.j0; j < ch.j0 + ch.nj; ++j) all_done = all_done && d.done[i * nb + j];
      if (!all_done) {
        work.push_back({si, c, static_cast<std::int64_t>(si * chunks.size() + c)});
        continue;
      }
      for (std::int64_t i = ch.i0; i < ch.i0 + ch.ni; ++i)
        for (std::int64_t j = ch.j0; j < ch.j0 + ch.nj; ++j) {
          const double loss = d.loss[i * nb + j];
          const bool finite = !d.nonfinite[i * nb + j];
          if (comm.isRoot()) {
            stats[si].add(loss, finite);
          } else if (finite && std::isfinite(loss)) {
            stats[si].min = std::min(stats[si].min, loss);
            stats[si].max = std::max(stats[si].max, loss);
          }
        }
    }
  }
  return work;
}

// One rank's chunk: its grid points through the network, as values and flags in file order.
class ChunkEvaluator {
 public:
  ChunkEvaluator(const LandscapeSettings& s, const Model& model)
      : s_(s), network_(s.ansatz, model.lattice, model.hamiltonian), estimator_(network_) {}
  std::size_t numParams() const { return network_.numParams(); }

  void evaluate(const GridChunk& ch, const LandscapeSnapshot& sn, LocalStats& stats) {
    const std::int64_t nb = static_cast<std::int64_t>(s_.grid.beta.size());
    alpha_.clear(), beta_.clear(), ids_.clear();
    for (std::int64_t i = ch.i0; i < ch.i0 + ch.ni; ++i)
      for (std::int64_t j = ch.j0; j < ch.j0 + ch.nj; ++j) {
        alpha_.push_back(s_.grid.alpha[i]);
        beta_.push_back(s_.grid.beta[j]);
        ids_.push_back(static_cast<std::uint32_t>(i * nb + j));
      }
    LandscapeSampling sampling;
    sampling.seed = s_.seed;
    sampling.snapshot_index = sn.index;
    sampling.samples = s_.samples;
    sampling.mode = sn.mode;
    sampling.temperature = sn.temperature;
    sampling.gamma = sn.gamma;
    LossStats st = evaluatePlanePoints(estimator_, sn.plane, alpha_, beta_, ids_, sampling);
    values[0] = std::move(st.loss);
    values[1] = std::move(st.loss_err);
    values[2] = std::move(st.energy);
    values[3] = std::move(st.entropy);
    values[4] = std::move(st.min_energy);
    flags[0].assign(alpha_.size(), 1);
    flags[1].resize(alpha_.size());
    for (std::size_t p = 0; p < alpha_.size(); ++p) {
      flags[1][p] = st.finite[p] ? 0 : 1;
      stats.add(values[0][p], st.finite[p]);
    }
  }

  std::vector<double> values[kNumLandscapeValues];
  std::vector<std::uint8_t> flags[kNumLandscapeFlags];

 private:
  const LandscapeSettings& s_;
  Network network_;
  VariationalEstimator estimator_;
  std::vector<double> alpha_, beta_;
  std::vector<std::uint32_t> ids_;
};

}  // namespace

LandscapeOutcome runLandscape(const Comm& comm, const LandscapeSettings& s, const Model& model,
                              const std::vector<LandscapeSnapshot>& snapshots, ResultFile& file, const Log& log) {
  const auto t_start = Clock::now();
  const std::int64_t na = static_cast<std::int64_t>(s.grid.alpha.size());
  const std::int64_t nb = static_cast<std::int64_t>(s.grid.beta.size());
  const std::int64_t points = na * nb;
  if (points < 1) throw Error("runLandscape: empty grid");
  if (points > 0xFFFFFFFFLL) throw InputError("landscape.points: more than 2^32 points per snapshot");
  LandscapeFile out(comm, file, s, snapshots);
  const std::vector<GridChunk> chunks = gridChunks(na, nb, s.chunk_points);
  const std::size_t S = snapshots.size();
  std::vector<LocalStats> stats(S);
  const std::vector<WorkItem> work = pendingWork(comm, out, chunks, S, nb, stats);
  const std::int64_t W = static_cast<std::int64_t>(work.size());
  const int P = comm.size();
  std::vector<std::int64_t> points_before(W + 1, 0);  // points in work[0..k)
  for (std::int64_t k = 0; k < W; ++k) points_before[k + 1] = points_before[k] + chunks[work[k].chunk].size();
  log.info("landscape: {} snapshot(s) × {}×{} points, Ns = {}, {} chunks of <= {} points; {} point(s) to compute on "
           "{} rank(s)",
           S, na, nb, s.samples, chunks.size() * S, s.chunk_points, points_before[W], P);
  ChunkEvaluator evaluator(s, model);
  for (const auto& sn : snapshots)
    if (sn.plane.theta_star.size() != evaluator.numParams())
      throw InputError(fmt::format("snapshot {}: θ* has {} parameters but the network of the source config has {}",
                                   sn.label, sn.plane.theta_star.size(), evaluator.numParams()));

  // Round r: rank k computes work[r·P + k]; every rank takes part in the writes of each snapshot touched.
  std::int64_t computed_local = 0;
  const auto doneAfter = [&](std::int64_t rounds) { return points_before[std::min(W, rounds * P)]; };
  RunLoopSettings ls;
  ls.flush_minutes = s.flush_minutes;
  ls.progress_seconds = s.progress_seconds;
  ls.signal_hook = "VNA_SIGNAL_AFTER_CHUNK";
  RunLoop loop(comm, log, ls);
  const RunLoopResult r = loop.run(
      0, (W + P - 1) / P,
      [&](std::int64_t round) {
        const std::int64_t k = round * P + comm.rank(), first = round * P, last = std::min(W, first + P);
        const WorkItem* item = k < W ? &work[k] : nullptr;
        const GridChunk ch = item ? chunks[item->chunk] : GridChunk{};
        if (item) {
          evaluator.evaluate(ch, snapshots[item->snapshot], stats[item->snapshot]);
          computed_local += ch.size();
        }
        for (std::size_t si = work[first].snapshot; si <= work[last - 1].snapshot; ++si)
          out.writeChunk(si, item && item->snapshot == si, ch, evaluator.values, evaluator.flags);
        return item ? item->global_chunk : std::int64_t(-1);
      },
      [&](std::int64_t next, bool requested) {
        file.flush();
        return requested ? fmt::format("flushed {} of {} points", doneAfter(next), points_before[W]) : std::string();
      },
      [&](const Progress& p) {
        const double done = static_cast<double>(doneAfter(p.next));
        return fmt::format("landscape {} / {} points ({:.0f}%)  {:.2f} ms/point on {} rank(s)  ETA {}", doneAfter(p.next),
                           points_before[W], 100.0 * done / std::max<double>(1.0, points_before[W]),
                           1e3 * p.elapsed / std::max(1.0, done) * P, P, p.eta);
      });

  LandscapeOutcome outcome;
  outcome.completed = r.completed;
  outcome.points_computed = comm.sum(computed_local);
  outcome.seconds = comm.max(std::chrono::duration<double>(Clock::now() - t_start).count());
  for (std::size_t si = 0; si < S; ++si) {
    LandscapeSummary sum;
    sum.label = snapshots[si].label;
    sum.points = points;
    sum.points_done = comm.sum(stats[si].done);
    sum.nonfinite_points = comm.sum(stats[si].nonfinite);
    const double lo = comm.min(stats[si].min), hi = comm.max(stats[si].max);
    sum.loss_min = std::isfinite(lo) ? lo : NAN;
    sum.loss_max = std::isfinite(hi) ? hi : NAN;
    outcome.snapshots.push_back(sum);
  }
  if (!r.completed)
    log.info("stopped by a signal: {} point(s) computed in this run; continue with --resume", outcome.points_computed);
  return outcome;
}

}  // namespace vna
