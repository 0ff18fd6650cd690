#include "anneal/annealer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <thread>

#include "anneal/adam.hpp"
#include "anneal/anneal_file.hpp"
#include "core/error.hpp"
#include "core/run_loop.hpp"
#include "core/signals.hpp"
#include "io/h5.hpp"
#include "network/network.hpp"
#include "network/variational_estimator.hpp"

namespace vna {

namespace {

using Clock = std::chrono::steady_clock;

// One Adam update of this rank's replicas at update index u: the loss statistics and gradient at
// the schedule's (T, Γ), then a step of each replica whose loss was finite.
class Updater {
 public:
  Updater(const AnnealSettings& s, Network& network, ReplicaBlock& replicas)
      : s_(s), network_(network), estimator_(network), replicas_(replicas), optimizer_{s.learning_rate} {
    for (int p = 0; p < replicas.size(); ++p) ids_.push_back(static_cast<std::uint32_t>(replicas.mine.begin + p));
  }

  std::vector<TraceRow> update(std::int64_t u) {
    const std::size_t n = network_.numParams();
    const int P = replicas_.size();
    std::vector<const double*> sets(P);
    for (int p = 0; p < P; ++p) sets[p] = replicas_.theta[p].data();
    const double f = s_.plan.fraction(u);
    SampleCounters counters;
    counters.seed = s_.sample_seed;
    counters.step = static_cast<std::uint32_t>(u);
    last_ = estimator_.evaluate(ParameterSets::explicitRows(std::move(sets), n), ids_, counters, s_.samples, s_.mode,
                                controlTemperature(s_, f), controlGamma(s_, f), &grad_);
    std::vector<TraceRow> rows(P);
    for (int p = 0; p < P; ++p) {
      const double* g = grad_.data() + p * n;
      double norm2;
      if (last_.finite[p]) {
        norm2 = optimizer_.step(replicas_.theta[p], g, replicas_.adam[p]);
      } else {
        norm2 = squaredNorm(g, n);
        ++replicas_.adam[p].t;  // keep the step count aligned with the update index
      }
      rows[p] = TraceRow{last_.loss[p], last_.loss_err[p], last_.energy[p], last_.entropy[p], std::sqrt(norm2),
                         last_.min_energy[p]};
    }
    return rows;
  }
  const LossStats& last() const { return last_; }

 private:
  const AnnealSettings& s_;
  Network& network_;
  VariationalEstimator estimator_;
  ReplicaBlock& replicas_;
  const Adam optimizer_;
  std::vector<std::uint32_t> ids_;
  std::vector<double> grad_;
  LossStats last_;
};

// "100,2000" -> {100, 2000} (a test hook's list of update indices; empty when unset).
std::vector<std::int64_t> parseUpdateList(const char* text) {
  std::vector<std::int64_t> out;
  for (const char* p = text; p && *p;) {
    char* end = nullptr;
    const long long v = std::strtoll(p, &end, 10);
    if (end == p) break;
    out.push_back(v);
    p = *end == ',' ? end + 1 : end;
  }
  return out;
}

// Test hooks, after update u: wait until a signal arrives (deterministic tests of signal delivery),
// die with SIGKILL (a node failure), fail with a runtime error.
struct TestHooks {
  std::vector<std::int64_t> wait = parseUpdateList(std::getenv("VNA_WAIT_FOR_SIGNAL_AFTER_UPDATES"));
  std::vector<std::int64_t> kill = parseUpdateList(std::getenv("VNA_KILL_AFTER_UPDATE"));
  std::vector<std::int64_t> fail = parseUpdateList(std::getenv("VNA_FAIL_AFTER_UPDATE"));
  void after(std::int64_t u, const Log& log) const {
    if (std::find(wait.begin(), wait.end(), u) != wait.end()) {
      log.info("waiting for a signal after update {} (test hook VNA_WAIT_FOR_SIGNAL_AFTER_UPDATES)", u);
      while (!signalPending()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (std::find(kill.begin(), kill.end(), u) != kill.end()) std::raise(SIGKILL);
    if (std::find(fail.begin(), fail.end(), u) != fail.end())
      throw Error(fmt::format("test hook VNA_FAIL_AFTER_UPDATE: a runtime failure after update {}", u));
  }
};

// A resumed file whose annealing is finished (stopped in the final analysis after it): its outcome.
std::optional<AnnealOutcome> finishedAnnealing(const ResultFile& file, const AnnealSettings& s, std::size_t n,
                                               const Log& log) {
  const hid_t root = file.root();
  if (!file.resumed() || h5::exists(root, "checkpoint") || !h5::exists(root, "anneal") ||
      !h5::exists(root, "anneal/final") || !h5::exists(root, "anneal/final/loss_err"))
    return std::nullopt;
  AnnealOutcome out;
  out.num_params = n;
  std::vector<hsize_t> dims;
  out.final_params = h5::readDataset<double>(root, "anneal/final/params", &dims);
  if (dims.size() != 2 || dims[0] != static_cast<hsize_t>(s.replicas) || dims[1] != n)
    throw InputError(fmt::format("{}: /anneal/final/params does not match the config's network: start over with --force",
                                 file.partialPath().string()));
  out.final_loss = h5::readDataset<double>(root, "anneal/final/loss");
  out.final_loss_err = h5::readDataset<double>(root, "anneal/final/loss_err");
  out.completed = true;
  log.info("the annealing in {} is complete: continuing with the analysis", file.partialPath().string());
  return out;
}

std::string progressLine(const AnnealSettings& s, const LossStats& st, int N, const Progress& p) {
  const std::int64_t u = p.next - 1, U = s.plan.numUpdates();
  const bool quantum = s.mode == LossMode::kQuantum;
  const double f = s.plan.fraction(u);
  const bool any = !st.loss.empty();
  return fmt::format("update {}/{} (step {}/{}) {}={:.4g}  loss/N {:.6f} ± {:.1e}  E/N {:.6f}  {:.1f} ms/update  ETA {}",
                     p.next, U, s.plan.stepOf(u), s.plan.annealing, quantum ? "Gamma" : "T",
                     quantum ? controlGamma(s, f) : controlTemperature(s, f), any ? st.loss[0] / N : NAN,
                     any ? st.loss_err[0] / N : NAN, any ? st.energy[0] / N : NAN, 1e3 * p.seconds_per_step, p.eta);
}

}  // namespace

AnnealOutcome runAnneal(const Comm& comm, const AnnealSettings& s, const Model& model, ResultFile& file,
                        const Log& log) {
  const std::int64_t U = s.plan.numUpdates();
  Network network(s.ansatz, model.lattice, model.hamiltonian);
  if (auto done = finishedAnnealing(file, s, network.numParams(), log)) return *done;
  ReplicaBlock replicas;
  replicas.mine = blockRange(s.replicas, comm.rank(), comm.size());
  AnnealFile out(comm, file, s, network.layout(), replicas, resolveSnapshots(s, nullptr));
  if (!out.note().empty()) log.info("{}", out.note());
  const std::int64_t first = out.nextUpdate();
  if (first > 0) log.info("resuming from the checkpoint at update {} of {}", first, U);
  if (first == 0) out.writeDue(-1, replicas);

  Updater updater(s, network, replicas);
  const int P = replicas.size(), N = model.hamiltonian.numSpins();
  std::vector<double> last_loss(P, NAN), last_err(P, NAN);
  RunLoopSettings ls;
  ls.flush_every = s.checkpoint_every;
  ls.flush_minutes = s.checkpoint_minutes;
  ls.progress_seconds = s.progress_seconds;
  ls.signal_hook = "VNA_SIGNAL_AFTER_UPDATE";
  RunLoop loop(comm, log, ls);
  const TestHooks hooks;
  const RunLoopResult r = loop.run(
      first, U,
      [&](std::int64_t u) {
        const auto t0 = Clock::now();
        const std::vector<TraceRow> rows = updater.update(u);
        for (int p = 0; p < P; ++p) last_loss[p] = rows[p].loss, last_err[p] = rows[p].loss_err;
        out.recordUpdate(rows, std::chrono::duration<double>(Clock::now() - t0).count());
        out.writeDue(u, replicas);
        hooks.after(u, log);
        return u;
      },
      [&](std::int64_t next, bool) {
        out.checkpoint(next, replicas);
        return fmt::format("checkpoint at update {} of {}", next, U);
      },
      [&](const Progress& p) { return progressLine(s, updater.last(), N, p); });

  AnnealOutcome outcome;
  outcome.num_params = network.numParams();
  if (!r.completed) {
    log.info("stopped by a signal after update {} of {}: resume with --resume", r.next, U);
    return outcome;
  }
  // Final parameters on every rank, in replica order.
  std::vector<double> mine;
  for (const auto& v : replicas.theta) mine.insert(mine.end(), v.begin(), v.end());
  outcome.final_params = comm.allGatherV(mine);
  outcome.final_loss = comm.allGatherV(last_loss);
  outcome.final_loss_err = comm.allGatherV(last_err);
  out.finish(outcome.final_params, outcome.final_loss, outcome.final_loss_err);
  outcome.completed = true;
  return outcome;
}

}  // namespace vna
