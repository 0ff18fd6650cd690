#include "landscape/landscape.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <limits>

#include "core/error.hpp"
#include "core/signals.hpp"
#include "io/h5.hpp"

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

constexpr const char* kValueNames[] = {"loss", "loss_err", "energy", "entropy", "min_energy"};
constexpr int kNumValues = 5;
constexpr const char* kFlagNames[] = {"done", "nonfinite"};
constexpr int kNumFlags = 2;

std::string lossDescription(LossMode mode) {
  switch (mode) {
    case LossMode::kClassical: return "variational free energy F = <H> + T <log p> at the snapshot's T";
    case LossMode::kQuantum: return "variational energy <E_loc> of H - Gamma sum sigma^x at the snapshot's Gamma";
    case LossMode::kRegularized: return "<E_loc> + T <log p> at the snapshot's T and Gamma";
  }
  return "?";
}

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s / 60) % 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

void createLayout(const Comm& comm, hid_t root, const LandscapeSettings& s,
                  const std::vector<LandscapeSnapshot>& snapshots) {
  const hsize_t na = s.grid.alpha.size(), nb = s.grid.beta.size();
  h5::Handle top = h5::createGroup(root, "landscape");
  h5::writeAttribute(top, "points", std::vector<std::int64_t>{static_cast<std::int64_t>(na), static_cast<std::int64_t>(nb)});
  h5::writeAttribute(top, "samples", static_cast<std::int64_t>(s.samples));
  h5::writeAttribute(top, "seed", static_cast<std::int64_t>(s.seed));
  h5::writeAttribute(top, "chunk_points", s.chunk_points);
  h5::writeAttribute(top, "sampling_step_base", static_cast<std::int64_t>(kLandscapeStepBase));
  std::vector<std::string> labels;
  for (const auto& sn : snapshots) labels.push_back(sn.label);
  h5::writeAttribute(top, "snapshots", labels);
  for (const auto& sn : snapshots) {
    h5::Handle g = h5::createGroup(top, sn.label);
    h5::writeAttribute(g, "label", sn.label);
    h5::writeAttribute(g, "snapshot_index", static_cast<std::int64_t>(sn.index));
    h5::writeAttribute(g, "after_update", sn.after_update);
    h5::writeAttribute(g, "temperature", sn.temperature);
    h5::writeAttribute(g, "gamma", sn.gamma);
    h5::writeAttribute(g, "mode", lossModeName(sn.mode));
    h5::writeAttribute(g, "loss", lossDescription(sn.mode));
    h5::writeDataset(g, "alpha", s.grid.alpha, comm.rank());
    h5::writeDataset(g, "beta", s.grid.beta, comm.rank());
    h5::writeDataset(g, "theta_star", sn.plane.theta_star, comm.rank());
    h5::writeDataset(g, "delta", sn.plane.delta, comm.rank());
    h5::writeDataset(g, "eta", sn.plane.eta, comm.rank());
    if (!sn.trajectory.empty()) {
      const hsize_t T = sn.trajectory.size() / 2;
      h5::writeDataset<double>(g, "trajectory", {T, 2}, sn.trajectory.data(), comm.rank());
      h5::writeDataset(g, "trajectory_residual", sn.trajectory_residual, comm.rank());
    }
    for (const char* name : kValueNames) h5::createDataset<double>(g, name, {na, nb});
    for (const char* name : kFlagNames) h5::createDataset<std::uint8_t>(g, name, {na, nb});
  }
  // Written last: a partial file without it was interrupted while being laid out.
  h5::writeAttribute(top, "layout_complete", std::int64_t(1));
}

// A resumed file must describe the same computation.
void checkLayout(hid_t root, const std::string& partial, const LandscapeSettings& s,
                 const std::vector<LandscapeSnapshot>& snapshots) {
  h5::Handle top = h5::openGroup(root, "landscape");
  auto refuse = [&](const std::string& what) {
    throw InputError(fmt::format("{}: {} differs from this run (was the source re-annealed?): start over with --force",
                                 partial, what));
  };
  for (const auto& sn : snapshots) {
    if (!h5::exists(top, sn.label)) refuse(fmt::format("the snapshot list ({} is missing)", sn.label));
    h5::Handle g = h5::openGroup(top, sn.label);
    if (h5::readDataset<double>(g, "alpha") != s.grid.alpha || h5::readDataset<double>(g, "beta") != s.grid.beta)
      refuse(fmt::format("the grid of {}", sn.label));
    if (h5::readDataset<double>(g, "theta_star") != sn.plane.theta_star) refuse(fmt::format("θ* of {}", sn.label));
    if (h5::readDataset<double>(g, "delta") != sn.plane.delta || h5::readDataset<double>(g, "eta") != sn.plane.eta)
      refuse(fmt::format("the directions of {}", sn.label));
  }
}

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

}  // namespace

LandscapeOutcome runLandscape(const Comm& comm, const LandscapeSettings& s, const Model& model,
                              const std::vector<LandscapeSnapshot>& snapshots, ResultFile& file, const Log& log) {
  const auto t_start = Clock::now();
  const std::int64_t na = static_cast<std::int64_t>(s.grid.alpha.size());
  const std::int64_t nb = static_cast<std::int64_t>(s.grid.beta.size());
  const std::int64_t points = na * nb;
  if (points < 1) throw Error("runLandscape: empty grid");
  if (points > 0xFFFFFFFFLL) throw InputError("landscape.points: more than 2^32 points per snapshot");
  const hid_t root = file.root();

  // Layout: fresh, resumed, or a partial file interrupted while being laid out.
  if (file.resumed() && h5::exists(root, "landscape") &&
      !h5::hasAttribute(h5::openGroup(root, "landscape"), "layout_complete"))
    VNA_H5(H5Ldelete(root, "landscape", H5P_DEFAULT));
  if (!file.resumed() || !h5::exists(root, "landscape"))
    createLayout(comm, root, s, snapshots);
  else
    checkLayout(root, file.partialPath().string(), s, snapshots);

  const std::vector<GridChunk> chunks = gridChunks(na, nb, s.chunk_points);
  const std::size_t S = snapshots.size();
  h5::Handle top = h5::openGroup(root, "landscape");
  std::vector<std::vector<h5::Handle>> dsets(S);
  std::vector<LocalStats> stats(S);
  std::vector<WorkItem> work;
  for (std::size_t si = 0; si < S; ++si) {
    h5::Handle g = h5::openGroup(top, snapshots[si].label);
    for (const char* name : kValueNames) dsets[si].push_back(h5::openDataset(g, name));
    for (const char* name : kFlagNames) dsets[si].push_back(h5::openDataset(g, name));
    std::vector<std::uint8_t> done(points, 0), nonfinite;
    std::vector<double> loss;
    if (file.resumed()) {
      done = h5::readDataset<std::uint8_t>(g, "done");
      nonfinite = h5::readDataset<std::uint8_t>(g, "nonfinite");
      loss = h5::readDataset<double>(g, "loss");
    }
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      const GridChunk& ch = chunks[c];
      bool all_done = true;
      for (std::int64_t i = ch.i0; i < ch.i0 + ch.ni; ++i)
        for (std::int64_t j = ch.j0; j < ch.j0 + ch.nj; ++j) all_done = all_done && done[i * nb + j];
      if (all_done) {
        // Counted once (rank 0); the extremes are the same on every rank.
        for (std::int64_t i = ch.i0; i < ch.i0 + ch.ni; ++i)
          for (std::int64_t j = ch.j0; j < ch.j0 + ch.nj; ++j) {
            LocalStats& st = stats[si];
            if (comm.isRoot()) {
              st.add(loss[i * nb + j], !nonfinite[i * nb + j]);
            } else if (!nonfinite[i * nb + j] && std::isfinite(loss[i * nb + j])) {
              st.min = std::min(st.min, loss[i * nb + j]);
              st.max = std::max(st.max, loss[i * nb + j]);
            }
          }
      } else {
        work.push_back({si, c, static_cast<std::int64_t>(si * chunks.size() + c)});
      }
    }
  }
  const std::int64_t W = static_cast<std::int64_t>(work.size());
  const int P = comm.size();
  const std::int64_t rounds = (W + P - 1) / P;
  std::vector<std::int64_t> points_before(W + 1, 0);  // points in work[0..k)
  for (std::int64_t k = 0; k < W; ++k) points_before[k + 1] = points_before[k] + chunks[work[k].chunk].size();
  log.info("landscape: {} snapshot(s) × {}×{} points, Ns = {}, {} chunks of <= {} points; {} point(s) to compute on "
           "{} rank(s)",
           S, na, nb, s.samples, chunks.size() * S, s.chunk_points, points_before[W], P);

  Network network(s.ansatz, model.lattice, model.hamiltonian);
  VariationalEstimator estimator(network);
  for (const auto& sn : snapshots)
    if (sn.plane.theta_star.size() != network.numParams())
      throw InputError(fmt::format("snapshot {}: θ* has {} parameters but the network of the source config has {}",
                                   sn.label, sn.plane.theta_star.size(), network.numParams()));

  installSignalHandlers();
  // Test hook: raise SIGTERM after the rank computing this chunk (snapshot · chunks + chunk) is done with it.
  const char* signal_after = std::getenv("VNA_SIGNAL_AFTER_CHUNK");
  const std::int64_t raise_after = signal_after ? std::atoll(signal_after) : -1;
  auto t_last_flush = Clock::now(), t_last_progress = Clock::now();
  const bool tty = log.enabled() && isatty(fileno(log.stream()));
  bool stopped = false;
  std::int64_t computed_local = 0;
  std::vector<double> alpha, beta;
  std::vector<std::uint32_t> ids;
  std::vector<double> values[kNumValues];
  std::vector<std::uint8_t> flags[kNumFlags];

  for (std::int64_t r = 0; r < rounds; ++r) {
    const std::int64_t k = r * P + comm.rank();
    const WorkItem* item = k < W ? &work[k] : nullptr;
    GridChunk ch;
    if (item) {
      ch = chunks[item->chunk];
      const LandscapeSnapshot& sn = snapshots[item->snapshot];
      alpha.clear(), beta.clear(), ids.clear();
      for (std::int64_t i = ch.i0; i < ch.i0 + ch.ni; ++i)
        for (std::int64_t j = ch.j0; j < ch.j0 + ch.nj; ++j) {
          alpha.push_back(s.grid.alpha[i]);
          beta.push_back(s.grid.beta[j]);
          ids.push_back(static_cast<std::uint32_t>(i * nb + j));
        }
      LandscapeSampling sampling;
      sampling.seed = s.seed;
      sampling.snapshot_index = sn.index;
      sampling.samples = s.samples;
      sampling.mode = sn.mode;
      sampling.temperature = sn.temperature;
      sampling.gamma = sn.gamma;
      LossStats st = evaluatePlanePoints(estimator, sn.plane, alpha, beta, ids, sampling);
      values[0] = std::move(st.loss);
      values[1] = std::move(st.loss_err);
      values[2] = std::move(st.energy);
      values[3] = std::move(st.entropy);
      values[4] = std::move(st.min_energy);
      flags[0].assign(alpha.size(), 1);
      flags[1].resize(alpha.size());
      for (std::size_t p = 0; p < alpha.size(); ++p) {
        flags[1][p] = st.finite[p] ? 0 : 1;
        stats[item->snapshot].add(values[0][p], st.finite[p]);
      }
      computed_local += static_cast<std::int64_t>(alpha.size());
    }
    // Every rank takes part in the collective writes of each snapshot touched in this round.
    const std::int64_t first = r * P, last = std::min(W, first + P);
    for (std::size_t si = work[first].snapshot; si <= work[last - 1].snapshot; ++si) {
      const bool mine = item && item->snapshot == si;
      const std::vector<hsize_t> off = {static_cast<hsize_t>(ch.i0), static_cast<hsize_t>(ch.j0)};
      const std::vector<hsize_t> cnt = {static_cast<hsize_t>(ch.ni), static_cast<hsize_t>(ch.nj)};
      // Values first, the done mask last: a point marked done always has its values.
      for (int q = 0; q < kNumValues; ++q)
        h5::writeBlock<double>(dsets[si][q], mine ? off : std::vector<hsize_t>{},
                               mine ? cnt : std::vector<hsize_t>{}, mine ? values[q].data() : nullptr);
      for (int q = kNumFlags - 1; q >= 0; --q)
        h5::writeBlock<std::uint8_t>(dsets[si][kNumValues + q], mine ? off : std::vector<hsize_t>{},
                                     mine ? cnt : std::vector<hsize_t>{}, mine ? flags[q].data() : nullptr);
    }
    if (item && item->global_chunk == raise_after) std::raise(SIGTERM);

    // Agree on flushes and stops (signals reach ranks at different times).
    const auto now = Clock::now();
    const SignalFlags sig = takeSignalFlags();
    std::vector<double> votes = {sig.stop ? 1.0 : 0.0, sig.checkpoint ? 1.0 : 0.0,
                                 std::chrono::duration<double>(now - t_last_flush).count() > 60.0 * s.flush_minutes ? 1.0 : 0.0};
    comm.sumInPlace(votes);
    const bool last_round = r + 1 == rounds;
    if (!last_round && (votes[0] > 0 || votes[1] > 0 || votes[2] > 0)) {
      file.flush();
      t_last_flush = Clock::now();
      if (votes[1] > 0) log.info("{}flushed {} of {} points", tty ? "\n" : "", points_before[last], points_before[W]);
    }
    if (!last_round && votes[0] > 0) {
      stopped = true;
      break;
    }
    if (log.enabled() && (std::chrono::duration<double>(now - t_last_progress).count() > s.progress_seconds || last_round)) {
      t_last_progress = now;
      const double elapsed = std::chrono::duration<double>(now - t_start).count();
      const double done_points = static_cast<double>(points_before[last]);
      const double per = elapsed / std::max(1.0, done_points);
      const std::string line = fmt::format(
          "landscape {} / {} points ({:.0f}%)  {:.2f} ms/point on {} rank(s)  ETA {}", points_before[last],
          points_before[W], 100.0 * done_points / std::max<double>(1.0, points_before[W]), 1e3 * per * P, P,
          formatDuration(per * static_cast<double>(points_before[W] - points_before[last])));
      if (tty)
        fmt::print(log.stream(), "\r{:<100}{}", line, last_round ? "\n" : "");
      else
        log.info("{}", line);
      std::fflush(log.stream());
    }
  }

  LandscapeOutcome out;
  out.completed = !stopped;
  out.points_computed = comm.sum(computed_local);
  out.seconds = comm.max(std::chrono::duration<double>(Clock::now() - t_start).count());
  for (std::size_t si = 0; si < S; ++si) {
    LandscapeSummary sum;
    sum.label = snapshots[si].label;
    sum.points = points;
    sum.points_done = comm.sum(stats[si].done);
    sum.nonfinite_points = comm.sum(stats[si].nonfinite);
    const double lo = comm.min(stats[si].min), hi = comm.max(stats[si].max);
    sum.loss_min = std::isfinite(lo) ? lo : NAN;
    sum.loss_max = std::isfinite(hi) ? hi : NAN;
    out.snapshots.push_back(sum);
  }
  if (stopped) log.info("stopped by a signal: {} point(s) computed in this run; continue with --resume", out.points_computed);
  return out;
}

}  // namespace vna
