// Signals (src/core/signals.hpp): every long phase stops within seconds of SIGTERM (exit 3, after
// checkpointing what can be resumed); SIGUSR1 checkpoints and goes on; OpenMPI's mpiexec forwards
// SIGUSR2 to every rank (exit 3) but answers its own SIGTERM with 1, so vna records its code in
// VNA_EXIT_STATUS_FILE, which jobscripts/vna_slurm.sh reads.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "support/h5_compare.hpp"
#include "support/run_vna.hpp"
#include "support/spawn.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

namespace fs = std::filesystem;
using test::runVna;
using test::shellQuote;

fs::path workDir(const std::string& name) { return test::freshDir("signals", name); }

// SLURM's KillWait default: what "within seconds" must fit in.
constexpr double kKillWait = 30.0;

// 90 updates of NM L = 3; the test hook makes the run wait after update 30 until a signal comes.
const char* kRun = R"(model: {type: newman_moore, L: 3}
ansatz: {cell: vanilla2d, hidden: 8, seed: 3, precision: double}
anneal: {mode: classical, T0: 1.0, warmup_steps: 10, annealing_steps: 40, train_steps: 2, samples: 32,
         learning_rate: 2e-3, snapshots: [initial, final], checkpoint_every: 50}
replicas: {count: 2, seed: 5}
analysis: {samples: 500, stored_samples: 20}
)";
const char* kWait = "VNA_WAIT_FOR_SIGNAL_AFTER_UPDATES=30";

std::string mpiexec(int ranks) {
  return fmt::format("{} -n {} -x VNA_WAIT_FOR_SIGNAL_AFTER_UPDATES -x VNA_EXIT_STATUS_FILE ", VNA_MPIEXEC, ranks);
}

class Signals : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = workDir("shared");
    cfg_ = test::writeFile(dir_ / "run.yaml", kRun);
    reference_ = dir_ / "reference.h5";
    ASSERT_EQ(runVna(fmt::format("anneal {} --output {}", cfg_.string(), reference_.string())).exit_code, 0);
  }
  // Starts `command` (with the wait hook), waits for the hook, sends `sig` to the started process.
  static int signalAtTheHook(const std::string& command, int sig, const fs::path& log) {
    const pid_t pid = test::spawnShell(std::string(kWait) + " " + command, log);
    EXPECT_TRUE(test::waitForText(log, "waiting for a signal after update 30", 60, pid)) << test::readLog(log);
    kill(pid, sig);
    return test::waitFor(pid, kKillWait);
  }
  static void resumeAndCompare(const fs::path& out, int ranks) {
    const auto r = runVna(fmt::format("anneal {} --output {} --resume", cfg_.string(), out.string()), ranks);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("resuming from the checkpoint at update 31"), std::string::npos) << r.out;
    EXPECT_EQ(test::compareH5(reference_.string(), out.string(), {"timing"}), "");
  }
  static inline fs::path dir_, cfg_, reference_;
};

TEST_F(Signals, Sigusr1CheckpointsAndGoesOn) {
  const fs::path dir = workDir("usr1");
  const fs::path out = dir / "run.h5", log = dir / "log.txt";
  const int code = signalAtTheHook(fmt::format("{} anneal {} --output {}", VNA_EXECUTABLE, cfg_.string(), out.string()),
                                   SIGUSR1, log);
  EXPECT_EQ(code, 0) << test::readLog(log);
  EXPECT_NE(test::readLog(log).find("checkpoint at update 31 of 90"), std::string::npos) << test::readLog(log);
  EXPECT_EQ(test::compareH5(reference_.string(), out.string(), {"timing"}), "");
}

TEST_F(Signals, SigtermAndSigusr2StopAtACheckpoint) {
  for (int sig : {SIGTERM, SIGINT, SIGUSR2}) {
    const fs::path dir = workDir(fmt::format("stop_{}", sig));
    const fs::path out = dir / "run.h5", log = dir / "log.txt";
    const int code = signalAtTheHook(
        fmt::format("{} anneal {} --output {}", VNA_EXECUTABLE, cfg_.string(), out.string()), sig, log);
    EXPECT_EQ(code, 3) << sig << test::readLog(log);
    EXPECT_NE(test::readLog(log).find("checkpoint saved in"), std::string::npos) << test::readLog(log);
    resumeAndCompare(out, 0);
  }
}

TEST_F(Signals, MpiexecForwardsSigusr2ToEveryRank) {
  const fs::path dir = workDir("mpiexec_usr2");
  const fs::path out = dir / "run.h5", log = dir / "log.txt";
  const int code = signalAtTheHook(
      mpiexec(2) + fmt::format("{} anneal {} --output {}", VNA_EXECUTABLE, cfg_.string(), out.string()), SIGUSR2, log);
  // mpiexec reports the ranks' code: the documented 3.
  EXPECT_EQ(code, 3) << test::readLog(log);
  resumeAndCompare(out, 2);
}

TEST_F(Signals, MpiexecSignalledItselfReportsOneButVnaRecordsThree) {
  const fs::path dir = workDir("mpiexec_term");
  const fs::path out = dir / "run.h5", log = dir / "log.txt", status = dir / "status";
  const int code = signalAtTheHook(fmt::format("VNA_EXIT_STATUS_FILE={} ", status.string()) + mpiexec(2) +
                                       fmt::format("{} anneal {} --output {}", VNA_EXECUTABLE, cfg_.string(), out.string()),
                                   SIGTERM, log);
  // OpenMPI 4's mpiexec ends the job with 1 when it is signalled, whatever the ranks did (issue 15);
  // the ranks saved their checkpoint, and rank 0 recorded vna's own code.
  EXPECT_NE(code, 0) << test::readLog(log);
  EXPECT_EQ(test::readLog(status), "3\n") << test::readLog(log);
  resumeAndCompare(out, 2);
}

// What SLURM does to a job of jobscripts/vna_slurm.sh with VNA_LAUNCHER=mpiexec (outside SLURM here):
// SIGTERM to the batch shell (and to mpiexec itself).
TEST_F(Signals, JobscriptWithMpiexecEndsWithThreeWhenTheRanksCheckpointed) {
  for (bool mpiexec_too : {false, true}) {
    const fs::path dir = workDir(mpiexec_too ? "script_term_all" : "script_term");
    const fs::path out = dir / "run.h5", log = dir / "log.txt";
    const std::string script = fmt::format(
        "export VNA={} VNA_LAUNCHER=mpiexec SLURM_NTASKS=2 OMPI_MCA_odls_base_sigkill_timeout=3 {}; source {}; "
        "vna_setup; vna_run anneal {} {}",
        VNA_EXECUTABLE, kWait, (test::sourceDir() / "jobscripts" / "vna_slurm.sh").string(), cfg_.string(), out.string());
    const pid_t pid = test::spawnShell("bash -c " + shellQuote(script), log);
    ASSERT_TRUE(test::waitForText(log, "waiting for a signal after update 30", 60, pid)) << test::readLog(log);
    if (mpiexec_too) {
      // The process group holds bash, mpiexec and the ranks: SLURM signals them all.
      kill(-pid, SIGTERM);
    } else {
      kill(pid, SIGTERM);
    }
    const int code = test::waitFor(pid, kKillWait);
    const std::string text = test::readLog(log);
    EXPECT_EQ(code, 3) << text;
    EXPECT_NE(text.find("vna stopped at a checkpoint"), std::string::npos) << text;
    EXPECT_NE(text.find("1 thread(s) per rank"), std::string::npos) << text;
    if (mpiexec_too) {
      EXPECT_NE(text.find("vna itself ended with 3"), std::string::npos) << text;
    }
    resumeAndCompare(out, 2);
  }
}

// The other long phases: the run is signalled once it is in the phase; it must end with 3 and the
// message, well within KillWait, and leave no .tmp behind (nothing there is resumable).
struct Phase {
  std::string name, command, marker, message;
  int ranks = 0;
  int sig = SIGTERM;
};

class LongPhases : public ::testing::TestWithParam<Phase> {};

TEST_P(LongPhases, StopWithinSecondsOfTheSignal) {
  const Phase& p = GetParam();
  const fs::path dir = workDir("phase_" + p.name);
  test::writeFile(dir / "run.yaml", kRun);
  // A source for analyze and landscape.
  if (p.command.find("{source}") != std::string::npos) {
    ASSERT_EQ(runVna(fmt::format("anneal {} --output {}", (dir / "run.yaml").string(), (dir / "source.h5").string()))
                  .exit_code,
              0);
  }
  test::writeFile(dir / "sk22.yaml",
                  "model: {type: sherrington_kirkpatrick, N: 22, seed: 1}\nexact: {gammas: [0.5], enumerate: never, "
                  "temperatures: []}\n");
  test::writeFile(dir / "sk26.yaml",
                  "model: {type: sherrington_kirkpatrick, N: 26, seed: 1}\nexact: {enumerate: always, temperatures: [1]}\n");
  test::writeFile(dir / "sa.yaml",
                  "model: {type: sherrington_kirkpatrick, N: 64, seed: 1}\ncampaign: {methods: [sa], annealing_steps: "
                  "[100000000], max_enumeration_spins: 0}\nsa: {replicas: 2}\n");
  std::string cmd = p.command;
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"{dir}", dir.string()}, {"{source}", (dir / "source.h5").string()}, {"{vna}", VNA_EXECUTABLE}})
    for (auto pos = cmd.find(from); pos != std::string::npos; pos = cmd.find(from)) cmd.replace(pos, from.size(), to);
  if (p.ranks > 0) cmd = fmt::format("{} -n {} {}", VNA_MPIEXEC, p.ranks, cmd);
  const fs::path log = dir / "log.txt";
  const pid_t pid = test::spawnShell(cmd, log);
  ASSERT_TRUE(test::waitForText(log, p.marker, 120, pid)) << test::readLog(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t0 = std::chrono::steady_clock::now();
  kill(pid, p.sig);
  const int code = test::waitFor(pid, kKillWait);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string text = test::readLog(log);
  EXPECT_EQ(code, 3) << text;
  EXPECT_NE(text.find(p.message), std::string::npos) << text;
  EXPECT_EQ(test::countOccurrences(text, p.message), 1) << text;
  EXPECT_FALSE(fs::exists(dir / "out.h5.tmp"));
  RecordProperty("seconds_to_stop", std::to_string(seconds));
}

const Phase kPhases[] = {
    // Issue 15: the analysis of 1e9 samples went on for minutes after SIGTERM.
    {"analyze", "{vna} analyze {dir}/run.yaml --set analysis.source={source} --set analysis.samples=1000000000 "
                "--output {dir}/out.h5",
     "analyzing 2 replica(s)", "nothing was written (`vna analyze` has no checkpoints)"},
    {"analyze_np2", "{vna} analyze {dir}/run.yaml --set analysis.source={source} --set analysis.samples=1000000000 "
                    "--output {dir}/out.h5",
     "analyzing 2 replica(s)", "nothing was written", 2, SIGUSR2},
    {"lanczos", "{vna} exact {dir}/sk22.yaml --output {dir}/out.h5", "Lanczos: 2^22 states",
     "interrupted by a signal in the Lanczos iteration"},
    {"lanczos_np2", "{vna} exact {dir}/sk22.yaml --output {dir}/out.h5", "Lanczos: 2^22 states",
     "interrupted by a signal in the Lanczos iteration", 2, SIGUSR2},
    {"enumeration", "{vna} exact {dir}/sk26.yaml --output {dir}/out.h5", "enumerating all 2^26 states",
     "stopped by a signal in the enumeration of 2^26 states"},
    {"campaign_sa_row", "{vna} campaign {dir}/sa.yaml --output {dir}/out.h5", "campaign: 1 instance(s)",
     "stopped by a signal in a sa row of instance 0"},
    {"landscape", "{vna} landscape {dir}/run.yaml --set landscape.source={source} --set landscape.points=[400,400] "
                  "--set landscape.samples=200 --output {dir}/out.h5",
     "point(s) to compute", "the finished points are saved in"},
};

INSTANTIATE_TEST_SUITE_P(Signals, LongPhases, ::testing::ValuesIn(kPhases),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace vna
