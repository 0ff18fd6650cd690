#include "anneal/annealer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>

#include "anneal/adam.hpp"
#include "core/error.hpp"
#include "core/signals.hpp"
#include "io/h5.hpp"
#include "rnn_engine.hpp"

namespace vna {

AnnealSettings annealSettingsFromConfig(const Config& c) {
  AnnealSettings s;
  s.mode = parseLossMode(c.getString("anneal.mode"));
  s.T0 = c.getReal("anneal.T0");
  s.gamma0 = c.getReal("anneal.gamma0");
  s.T_final = c.getReal("anneal.T_final");
  s.gamma_final = c.getReal("anneal.gamma_final");
  if (s.T_final > s.T0) c.fail("anneal.T_final", fmt::format("must not exceed anneal.T0 = {}", s.T0));
  if (s.gamma_final > s.gamma0) c.fail("anneal.gamma_final", fmt::format("must not exceed anneal.gamma0 = {}", s.gamma0));
  s.plan.warmup = c.getInt("anneal.warmup_steps");
  s.plan.annealing = c.getInt("anneal.annealing_steps");
  s.plan.train = c.getInt("anneal.train_steps");
  s.plan.shape = parseScheduleShape(c.getString("anneal.schedule"));
  s.samples = static_cast<int>(c.getInt("anneal.samples"));
  s.learning_rate = c.getReal("anneal.learning_rate");
  s.snapshots = c.getStringList("anneal.snapshots");
  s.checkpoint_every = c.getInt("anneal.checkpoint_every");
  s.checkpoint_minutes = c.getReal("anneal.checkpoint_minutes");
  s.progress_seconds = c.getReal("anneal.progress_seconds");
  s.replicas = static_cast<int>(c.getInt("replicas.count"));
  s.sample_seed = static_cast<std::uint64_t>(c.getInt("replicas.seed"));
  s.init_seed = static_cast<std::uint64_t>(c.getInt("ansatz.seed"));
  s.cell = parseCellKind(c.getString("ansatz.cell"));
  s.hidden = static_cast<int>(c.getInt("ansatz.hidden"));
  s.double_precision = c.getString("ansatz.precision") == "double";
  if (s.plan.numUpdates() == 0) c.fail("anneal.annealing_steps", "warmup_steps and annealing_steps are both 0: nothing to do");
  if (s.plan.numUpdates() > 0xFFFFFFF0LL) c.fail("anneal.annealing_steps", "more than 2^32 updates");
  return s;
}

namespace {

double controlTemperature(const AnnealSettings& s, double fraction) {
  return s.mode == LossMode::kQuantum ? 0.0 : scheduledValue(s.T0, s.T_final, fraction);
}
double controlGamma(const AnnealSettings& s, double fraction) {
  return s.mode == LossMode::kClassical ? 0.0 : scheduledValue(s.gamma0, s.gamma_final, fraction);
}

}  // namespace

std::vector<SnapshotPoint> resolveSnapshots(const AnnealSettings& s, const Config* config) {
  std::vector<SnapshotPoint> out;
  const AnnealPlan& plan = s.plan;
  auto add = [&](const std::string& label, std::int64_t after) {
    for (const auto& p : out)
      if (p.label == label) return;
    SnapshotPoint p;
    p.label = label;
    p.after_update = after;
    const double f = after < 0 ? 1.0 : plan.fraction(after);
    p.temperature = controlTemperature(s, f);
    p.gamma = controlGamma(s, f);
    out.push_back(p);
  };
  for (const auto& label : s.snapshots) {
    if (label == "initial") {
      add(label, -1);
    } else if (label == "after_warmup") {
      add(label, plan.warmup - 1);
    } else if (label == "final") {
      add(label, plan.numUpdates() - 1);
    } else {
      char* end = nullptr;
      const double x = std::strtod(label.c_str(), &end);
      if (end == label.c_str() || *end != '\0' || !(x >= 0)) {
        const std::string msg = fmt::format(
            "snapshot '{}' is neither initial, after_warmup, final nor a non-negative number", label);
        if (config) config->fail("anneal.snapshots", msg);
        throw InputError("anneal.snapshots: " + msg);
      }
      // The first annealing step whose control value is at or below x.
      const bool by_gamma = s.mode == LossMode::kQuantum;
      const double x0 = by_gamma ? s.gamma0 : s.T0, x_end = by_gamma ? s.gamma_final : s.T_final;
      std::int64_t a = 1;
      while (a < plan.annealing && scheduledValue(x0, x_end, plan.fractionAtStep(a)) > x) ++a;
      if (plan.annealing == 0) a = 0;
      add(fmt::format("{}={}", s.mode == LossMode::kQuantum ? "gamma" : "T", label), plan.lastUpdateOfStep(a));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.after_update < b.after_update; });
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s / 60) % 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

// Trace quantities recorded per replica and update.
constexpr const char* kTraceNames[] = {"loss", "loss_err", "energy", "entropy", "grad_norm", "min_energy"};
constexpr int kNumTrace = 6;

template <class Scalar>
AnnealOutcome anneal(const Comm& comm, const AnnealSettings& s, const Model& model, ResultFile& file, const Log& log,
                     const Config* config) {
  using Engine = RnnEngine<Scalar>;
  const int R = s.replicas;
  const Range mine = blockRange(R, comm.rank(), comm.size());
  const int P = static_cast<int>(mine.end - mine.begin);
  const int N = model.hamiltonian.numSpins();
  EngineConfig ec;
  ec.cell = s.cell;
  ec.hidden = s.hidden;
  ec.lattice = model.lattice;
  Engine engine(ec);
  const std::size_t n = engine.numParams();
  const std::int64_t U = s.plan.numUpdates();
  const hid_t root = file.root();
  const auto snapshots = resolveSnapshots(s, config);
  // θ every trajectory_every updates, for trajectory plots (vna landscape): row k is θ after update
  // k·trajectory_every − 1 (row 0: the initial θ).
  const std::int64_t trajectory_every =
      config && config->has("anneal.trajectory_every") ? config->getInt("anneal.trajectory_every") : 0;

  // Fresh run: create the layout; resumed: read the checkpoint.
  std::vector<std::vector<double>> theta(P);
  std::vector<AdamState> adam(P);
  std::int64_t next_update = 0;
  const auto rows = [&](std::size_t width) {
    return std::pair<std::vector<hsize_t>, std::vector<hsize_t>>{{static_cast<hsize_t>(mine.begin), 0},
                                                                  {static_cast<hsize_t>(P), width}};
  };
  if (!file.resumed() || !h5::exists(root, "checkpoint")) {
    if (file.resumed()) {
      // A partial file without a checkpoint: start over inside it.
      for (const char* g : {"anneal", "checkpoint"})
        if (h5::exists(root, g)) VNA_H5(H5Ldelete(root, g, H5P_DEFAULT));
    }
    h5::Handle g = h5::createGroup(root, "anneal");
    h5::writeAttribute(g, "mode", lossModeName(s.mode));
    h5::writeAttribute(g, "T0", s.T0);
    h5::writeAttribute(g, "gamma0", s.gamma0);
    h5::writeAttribute(g, "T_final", s.T_final);
    h5::writeAttribute(g, "gamma_final", s.gamma_final);
    h5::writeAttribute(g, "warmup_steps", s.plan.warmup);
    h5::writeAttribute(g, "annealing_steps", s.plan.annealing);
    h5::writeAttribute(g, "train_steps", s.plan.train);
    h5::writeAttribute(g, "num_updates", U);
    h5::writeAttribute(g, "samples", static_cast<std::int64_t>(s.samples));
    h5::writeAttribute(g, "learning_rate", s.learning_rate);
    h5::writeAttribute(g, "replicas", static_cast<std::int64_t>(R));
    h5::writeAttribute(g, "cell", cellKindName(s.cell));
    h5::writeAttribute(g, "hidden", static_cast<std::int64_t>(s.hidden));
    h5::writeAttribute(g, "precision", std::string(s.double_precision ? "double" : "float"));
    h5::writeAttribute(g, "num_params", static_cast<std::int64_t>(n));
    std::vector<std::string> block_names;
    std::vector<std::int64_t> block_offsets, block_sizes;
    for (const auto& b : engine.layout().blocks) {
      block_names.push_back(b.name);
      block_offsets.push_back(static_cast<std::int64_t>(b.offset));
      block_sizes.push_back(static_cast<std::int64_t>(b.size));
    }
    h5::writeAttribute(g, "param_block_names", block_names);
    h5::writeAttribute(g, "param_block_offsets", block_offsets);
    h5::writeAttribute(g, "param_block_sizes", block_sizes);
    h5::Handle tr = h5::createGroup(g, "trace");
    std::vector<double> temps(U), gammas(U);
    std::vector<std::int64_t> steps(U);
    for (std::int64_t u = 0; u < U; ++u) {
      temps[u] = controlTemperature(s, s.plan.fraction(u));
      gammas[u] = controlGamma(s, s.plan.fraction(u));
      steps[u] = s.plan.stepOf(u);
    }
    h5::writeDataset(tr, "temperature", temps, comm.rank());
    h5::writeDataset(tr, "gamma", gammas, comm.rank());
    h5::writeDataset(tr, "annealing_step", steps, comm.rank());
    const hsize_t chunk_u = static_cast<hsize_t>(std::min<std::int64_t>(U, 4096));
    for (const char* name : kTraceNames)
      h5::createDataset<double>(tr, name, {static_cast<hsize_t>(R), static_cast<hsize_t>(U)}, {1, chunk_u});
    h5::Handle timing = h5::createGroup(g, "timing");
    h5::createDataset<double>(timing, "update_seconds", {static_cast<hsize_t>(U)});
    h5::createGroup(g, "snapshots");
    if (trajectory_every > 0) {
      h5::Handle tj = h5::createGroup(g, "trajectory");
      const std::int64_t K = U / trajectory_every + 1;
      std::vector<std::int64_t> after(K);
      for (std::int64_t k = 0; k < K; ++k) after[k] = k * trajectory_every - 1;
      h5::writeAttribute(tj, "every", trajectory_every);
      h5::writeDataset(tj, "after_update", after, comm.rank());
      h5::createDataset<double>(tj, "params", {static_cast<hsize_t>(R), static_cast<hsize_t>(K), n}, {1, 1, n});
    }
    h5::Handle ck = h5::createGroup(root, "checkpoint");
    for (const char* name : {"params", "adam_m", "adam_v"})
      h5::createDataset<double>(ck, name, {static_cast<hsize_t>(R), n});
    h5::writeAttribute(ck, "next_update", std::int64_t(0));
    for (int p = 0; p < P; ++p) theta[p] = initParameters(engine.layout(), s.init_seed, mine.begin + p);
  } else {
    h5::Handle ck = h5::openGroup(root, "checkpoint");
    next_update = h5::readIntAttribute(ck, "next_update");
    const std::int64_t adam_t = h5::readIntAttribute(ck, "adam_t");
    const auto shape = h5::datasetShape(h5::openDataset(ck, "params"));
    if (shape.size() != 2 || shape[0] != static_cast<hsize_t>(R) || shape[1] != n)
      throw InputError(fmt::format("{}: the checkpoint holds {}x{} parameters but the config asks for {}x{}: "
                                   "resume with the config of the interrupted run",
                                   file.partialPath().string(), shape.empty() ? 0 : shape[0],
                                   shape.size() > 1 ? shape[1] : 0, R, n));
    std::vector<double> buf(static_cast<std::size_t>(P) * n);
    const auto [off, cnt] = rows(n);
    auto readRows = [&](const char* name, auto setter) {
      h5::Handle d = h5::openDataset(ck, name);
      if (P > 0) h5::readBlock<double>(d, off, cnt, buf.data());
      for (int p = 0; p < P; ++p) setter(p, std::vector<double>(buf.begin() + p * n, buf.begin() + (p + 1) * n));
    };
    readRows("params", [&](int p, std::vector<double> v) { theta[p] = std::move(v); });
    readRows("adam_m", [&](int p, std::vector<double> v) { adam[p].m = std::move(v); });
    readRows("adam_v", [&](int p, std::vector<double> v) { adam[p].v = std::move(v); });
    for (auto& a : adam) a.t = adam_t;
    log.info("resuming from the checkpoint at update {} of {}", next_update, U);
  }

  h5::Handle anneal_group = h5::openGroup(root, "anneal");
  h5::Handle trace_group = h5::openGroup(anneal_group, "trace");
  h5::Handle snapshot_group = h5::openGroup(anneal_group, "snapshots");

  // Device buffers.
  Kokkos::View<Scalar**, Kokkos::LayoutRight, typename Engine::memory_space> params("vna::anneal::params", P, n);
  auto h_params = Kokkos::create_mirror_view(params);
  Kokkos::View<std::uint32_t*, typename Engine::memory_space> ids("vna::anneal::stream_ids", P);
  auto h_ids = Kokkos::create_mirror_view(ids);
  for (int p = 0; p < P; ++p) h_ids(p) = static_cast<std::uint32_t>(mine.begin + p);
  Kokkos::deep_copy(ids, h_ids);
  typename Engine::GradView grad("vna::anneal::grad", P, n);
  auto h_grad = Kokkos::create_mirror_view(grad);
  auto uploadParams = [&] {
    for (int p = 0; p < P; ++p)
      for (std::size_t i = 0; i < n; ++i) h_params(p, i) = static_cast<Scalar>(theta[p][i]);
    Kokkos::deep_copy(params, h_params);
  };
  VariationalEstimator<Scalar> estimator(engine, model.hamiltonian);
  const Adam optimizer{s.learning_rate};

  // Collective writers.
  auto writeRows = [&](hid_t loc, const std::string& name, const std::vector<std::vector<double>>& data) {
    std::vector<double> flat;
    for (const auto& v : data) flat.insert(flat.end(), v.begin(), v.end());
    h5::Handle d = h5::openDataset(loc, name);
    const auto [off, cnt] = rows(n);
    if (P > 0)
      h5::writeBlock<double>(d, off, cnt, flat.data());
    else
      h5::writeBlock<double>(d, {}, {}, nullptr);
  };
  auto writeSnapshot = [&](const SnapshotPoint& sp) {
    if (h5::exists(snapshot_group, sp.label)) VNA_H5(H5Ldelete(snapshot_group, sp.label.c_str(), H5P_DEFAULT));
    h5::Handle g = h5::createGroup(snapshot_group, sp.label);
    h5::writeAttribute(g, "label", sp.label);
    h5::writeAttribute(g, "after_update", sp.after_update);
    h5::writeAttribute(g, "temperature", sp.temperature);
    h5::writeAttribute(g, "gamma", sp.gamma);
    h5::writeAttribute(g, "mode", lossModeName(s.mode));
    h5::createDataset<double>(g, "params", {static_cast<hsize_t>(R), n});
    writeRows(g, "params", theta);
  };

  auto writeTrajectory = [&](std::int64_t k) {
    h5::Handle d = h5::openDataset(anneal_group, "trajectory/params");
    std::vector<double> flat;
    for (const auto& v : theta) flat.insert(flat.end(), v.begin(), v.end());
    if (P > 0)
      h5::writeBlock<double>(d, {static_cast<hsize_t>(mine.begin), static_cast<hsize_t>(k), 0},
                             {static_cast<hsize_t>(P), 1, n}, flat.data());
    else
      h5::writeBlock<double>(d, {}, {}, nullptr);
  };

  // Trace buffered since the last flush: [quantity][local replica][update].
  std::int64_t flushed = next_update;
  std::vector<std::vector<double>> trace(kNumTrace);
  std::vector<double> update_seconds;
  auto flushTrace = [&](std::int64_t upto) {
    const std::int64_t K = upto - flushed;
    for (int q = 0; q < kNumTrace; ++q) {
      h5::Handle d = h5::openDataset(trace_group, kTraceNames[q]);
      // Buffer is [update][replica]; the file wants [replica][update].
      std::vector<double> block(static_cast<std::size_t>(P) * K);
      for (std::int64_t k = 0; k < K; ++k)
        for (int p = 0; p < P; ++p) block[p * K + k] = trace[q][k * P + p];
      if (P > 0 && K > 0)
        h5::writeBlock<double>(d, {static_cast<hsize_t>(mine.begin), static_cast<hsize_t>(flushed)},
                               {static_cast<hsize_t>(P), static_cast<hsize_t>(K)}, block.data());
      else
        h5::writeBlock<double>(d, {}, {}, nullptr);
      trace[q].clear();
    }
    h5::Handle t = h5::openDataset(h5::openGroup(anneal_group, "timing"), "update_seconds");
    if (comm.isRoot() && K > 0)
      h5::writeBlock<double>(t, {static_cast<hsize_t>(flushed)}, {static_cast<hsize_t>(K)}, update_seconds.data());
    else
      h5::writeBlock<double>(t, {}, {}, nullptr);
    update_seconds.clear();
    flushed = upto;
  };
  auto checkpoint = [&](std::int64_t next) {
    flushTrace(next);
    h5::Handle ck = h5::openGroup(root, "checkpoint");
    writeRows(ck, "params", theta);
    std::vector<std::vector<double>> m(P), v(P);
    for (int p = 0; p < P; ++p) {
      m[p] = adam[p].m.empty() ? std::vector<double>(n, 0.0) : adam[p].m;
      v[p] = adam[p].v.empty() ? std::vector<double>(n, 0.0) : adam[p].v;
    }
    writeRows(ck, "adam_m", m);
    writeRows(ck, "adam_v", v);
    h5::writeAttribute(ck, "next_update", next);
    h5::writeAttribute(ck, "adam_t", next);  // one Adam step per update
    file.flush();
  };

  for (const auto& sp : snapshots)
    if (sp.after_update == -1 && next_update == 0) writeSnapshot(sp);
  if (trajectory_every > 0 && next_update == 0) writeTrajectory(0);

  installSignalHandlers();
  // Test hook: raise SIGTERM after this update, to exercise interruption and --resume exactly.
  const char* signal_after = std::getenv("VNA_SIGNAL_AFTER_UPDATE");
  const std::int64_t raise_after = signal_after ? std::atoll(signal_after) : -1;
  const auto t_start = Clock::now();
  auto t_last_checkpoint = t_start, t_last_progress = t_start;
  const bool tty = log.enabled() && isatty(fileno(log.stream()));
  std::vector<double> last_loss(P, NAN), last_err(P, NAN);
  bool stopped = false;
  std::int64_t u = next_update;
  for (; u < U; ++u) {
    const auto t0 = Clock::now();
    const double f = s.plan.fraction(u);
    const double T = controlTemperature(s, f), G = controlGamma(s, f);
    uploadParams();
    SampleCounters counters;
    counters.seed = s.sample_seed;
    counters.step = static_cast<std::uint32_t>(u);
    const LossStats st = estimator.evaluate(params, ids, counters, s.samples, s.mode, T, G, &grad);
    Kokkos::deep_copy(h_grad, grad);
    for (int p = 0; p < P; ++p) {
      double norm2 = 0;
      for (std::size_t i = 0; i < n; ++i) norm2 += h_grad(p, i) * h_grad(p, i);
      if (st.finite[p]) optimizer.step(theta[p], &h_grad(p, 0), adam[p]);
      else ++adam[p].t;  // keep the step count aligned with the update index
      const double values[kNumTrace] = {st.loss[p], st.loss_err[p], st.energy[p], st.entropy[p], std::sqrt(norm2),
                                        st.min_energy[p]};
      for (int q = 0; q < kNumTrace; ++q) trace[q].push_back(values[q]);
      last_loss[p] = st.loss[p];
      last_err[p] = st.loss_err[p];
    }
    update_seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    for (const auto& sp : snapshots)
      if (sp.after_update == u && sp.after_update >= 0) writeSnapshot(sp);
    if (trajectory_every > 0 && (u + 1) % trajectory_every == 0) writeTrajectory((u + 1) / trajectory_every);

    if (u == raise_after) std::raise(SIGTERM);
    // Agree on checkpoints and stops (signals reach ranks at different times).
    const auto now = Clock::now();
    const SignalFlags sig = takeSignalFlags();
    const bool due = (s.checkpoint_every > 0 && (u + 1) % s.checkpoint_every == 0) ||
                     std::chrono::duration<double>(now - t_last_checkpoint).count() > 60.0 * s.checkpoint_minutes;
    const double want_stop = comm.max(sig.stop ? 1.0 : 0.0);
    const double want_ck = comm.max(due || sig.checkpoint ? 1.0 : 0.0);
    if (u + 1 < U && (want_ck > 0 || want_stop > 0)) {
      checkpoint(u + 1);
      t_last_checkpoint = Clock::now();
      log.info("{}checkpoint at update {} of {}", tty ? "\n" : "", u + 1, U);
    }
    if (want_stop > 0 && u + 1 < U) {
      stopped = true;
      ++u;
      break;
    }
    if (log.enabled() && (std::chrono::duration<double>(now - t_last_progress).count() > s.progress_seconds || u + 1 == U)) {
      t_last_progress = now;
      const double elapsed = std::chrono::duration<double>(now - t_start).count();
      const double per = elapsed / static_cast<double>(u + 1 - next_update);
      const double loss0 = P > 0 ? st.loss[0] / N : NAN;
      const double err0 = P > 0 ? st.loss_err[0] / N : NAN;
      const std::string line = fmt::format(
          "update {}/{} (step {}/{}) {}={:.4g}  loss/N {:.6f} ± {:.1e}  E/N {:.6f}  {:.1f} ms/update  ETA {}", u + 1, U,
          s.plan.stepOf(u), s.plan.annealing, s.mode == LossMode::kQuantum ? "Gamma" : "T",
          s.mode == LossMode::kQuantum ? G : T, loss0, err0, P > 0 ? st.energy[0] / N : NAN, 1e3 * per,
          formatDuration(per * static_cast<double>(U - u - 1)));
      if (tty)
        fmt::print(log.stream(), "\r{:<120}{}", line, u + 1 == U ? "\n" : "");
      else
        log.info("{}", line);
      std::fflush(log.stream());
    }
  }
  AnnealOutcome out;
  out.num_params = n;
  if (stopped) {
    log.info("stopped by a signal after update {} of {}: resume with --resume", u, U);
    return out;
  }
  flushTrace(U);
  // Final parameters on every rank, in replica order.
  std::vector<double> mine_flat;
  for (const auto& v : theta) mine_flat.insert(mine_flat.end(), v.begin(), v.end());
  out.final_params = comm.allGatherV(mine_flat);
  out.final_loss = comm.allGatherV(last_loss);
  out.final_loss_err = comm.allGatherV(last_err);
  h5::Handle fin = h5::createGroup(anneal_group, "final");
  h5::writeDataset<double>(fin, "params", {static_cast<hsize_t>(R), n}, out.final_params.data(), comm.rank());
  h5::writeDataset(fin, "loss", out.final_loss, comm.rank());
  h5::writeDataset(fin, "loss_err", out.final_loss_err, comm.rank());
  // The run is complete: the checkpoint is no longer needed.
  VNA_H5(H5Ldelete(root, "checkpoint", H5P_DEFAULT));
  out.completed = true;
  return out;
}

}  // namespace

AnnealOutcome runAnneal(const Comm& comm, const AnnealSettings& settings, const Model& model, ResultFile& file,
                        const Log& log, const Config* config) {
  return settings.double_precision ? anneal<double>(comm, settings, model, file, log, config)
                                   : anneal<float>(comm, settings, model, file, log, config);
}

}  // namespace vna
