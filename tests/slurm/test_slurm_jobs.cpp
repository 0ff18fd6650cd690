// vna's SLURM jobscripts (jobscripts/) on a real, throwaway single-node SLURM started by
// tools/local_slurm.sh (munged, slurmctld, slurmd on loopback, all state in a temporary folder):
// - an annealing job over 2 ranks (srun --mpi=pmix) writes a complete result;
// - an annealing job interrupted twice, once the way a time limit does it (SIGUSR1 to the batch shell:
//   checkpoint, stop, self-requeue) and once the way preemption does it (`scontrol requeue`: SIGTERM to
//   every process, requeue by SLURM), resumes and ends with the same datasets as an uninterrupted run;
//   the same with the mpiexec fallback launcher;
// - the time-limit warning sent by SLURM itself (--signal=B:USR1) leads to a requeue and a resume;
// - an annealing followed by its landscapes as a dependent job (afterok) over 2 ranks;
// - a campaign as a job array, one file per block of realizations, merged into one campaign;
// - the paper's reproduction in its quick variant (jobscripts/submit_paper.sh): annealings, exact results,
//   landscapes after their annealing (afterok) and the figures after everything;
// - the mode-collapse study's quick variant as a job array with the table job after it.
// Without root or the SLURM/munge packages, or when the daemons do not start, every case is skipped
// with the reason (and the daemons' logs). The cluster is stopped after each suite, and by a watcher
// process if this test dies.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/h5.hpp"
#include "support/h5_compare.hpp"
#include "support/run_vna.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Runs a bash command line (stderr merged) without the MPI variables of this test process.
test::Run sh(const std::string& command) {
  test::Run r;
  const std::string cmd = test::cleanMpiEnvironmentPrefix() + "bash -c " + test::shellQuote(command) + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) r.out += buf;
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string readText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path workDir(const std::string& name) { return test::freshDir("slurm", name); }

struct JobInfo {
  std::string state, reason, exit_code;
  int restarts = -1;
  std::string raw;
};

JobInfo jobInfo(const std::string& id) {
  JobInfo j;
  j.raw = sh("scontrol show job " + id).out;
  std::smatch m;
  if (std::regex_search(j.raw, m, std::regex(R"(JobState=(\S+))"))) j.state = m[1];
  if (std::regex_search(j.raw, m, std::regex(R"(Reason=(\S+))"))) j.reason = m[1];
  if (std::regex_search(j.raw, m, std::regex(R"(Restarts=(\d+))"))) j.restarts = std::stoi(m[1]);
  if (std::regex_search(j.raw, m, std::regex(R"(\bExitCode=(\S+))"))) j.exit_code = m[1];
  return j;
}

bool finished(const std::string& state) {
  for (const char* s : {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL",
                        "DEADLINE", "PREEMPTED"})
    if (state == s) return true;
  return false;
}

// SLURM holds a requeued job for about two minutes (EligibleTime = requeue time + ~121 s observed with
// 22.05) before it may start again. On a real cluster that is harmless; here it would only slow the test
// down, so a requeued job is made eligible early. Not at once: slurmd refuses to launch a job whose
// credential was revoked (by the kill) in the same second or later ("Job N already killed, do not launch
// batch job", slurmd's slurm_cred_revoked compares whole seconds), so the test waits 3 s after it first
// sees the job held. Nothing else about the job changes.
void releaseRequeueHold(const std::string& id, const JobInfo& j) {
  static std::map<std::string, Clock::time_point> first_seen;
  if (j.state != "PENDING" || j.reason != "BeginTime" || j.restarts <= 0) return;
  const std::string key = id + "/" + std::to_string(j.restarts);
  const auto now = Clock::now();
  const auto seen = first_seen.emplace(key, now).first->second;
  if (std::chrono::duration<double>(now - seen).count() >= 3.0)
    sh(fmt::format("scontrol update JobId={} StartTime=now", id));
}

// Waits until `done(info)` holds (or the job has finished, or `seconds` have passed).
template <class Pred>
JobInfo waitJob(const std::string& id, double seconds, Pred done) {
  const auto t0 = Clock::now();
  JobInfo j;
  for (;;) {
    j = jobInfo(id);
    if (done(j) || finished(j.state)) return j;
    if (std::chrono::duration<double>(Clock::now() - t0).count() > seconds) return j;
    releaseRequeueHold(id, j);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

JobInfo waitFinished(const std::string& id, double seconds = 300) {
  return waitJob(id, seconds, [](const JobInfo&) { return false; });
}

// Waits until the log of job `id` holds more than `count` occurrences of `what` (vna's progress lines).
bool waitForLog(const std::string& id, const fs::path& log, const std::string& what, int count, double seconds) {
  const auto t0 = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - t0).count() < seconds) {
    if (test::countOccurrences(readText(log), what) > count) return true;
    const JobInfo j = jobInfo(id);
    if (finished(j.state)) return false;
    releaseRequeueHold(id, j);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// The job's log file: the --output name the test gives every job.
fs::path jobLog(const fs::path& dir, const std::string& id) { return dir / ("job-" + id + ".out"); }

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

class LocalSlurm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason_.clear();
    char tmpl[] = "/tmp/vna-slurm-XXXXXX";  // short: munge's socket path must fit in sun_path
    if (!mkdtemp(tmpl)) {
      skip_reason_ = "cannot create a temporary folder";
      return;
    }
    cluster_ = tmpl;
    const fs::path script = test::sourceDir() / "tools" / "local_slurm.sh";
    const auto r = sh(fmt::format("LOCAL_SLURM_OWNER_PID={} {} start {}", getpid(), script.string(), cluster_.string()));
    if (r.exit_code != 0) {
      skip_reason_ = "no local SLURM (tools/local_slurm.sh start exited with " + std::to_string(r.exit_code) +
                     "):\n" + r.out;
      sh(fmt::format("{} stop {}", script.string(), cluster_.string()));
      fs::remove_all(cluster_);
      return;
    }
    setenv("SLURM_CONF", (cluster_ / "slurm.conf").c_str(), 1);
    setenv("VNA", VNA_EXECUTABLE, 1);
    unsetenv("VNA_LAUNCHER");
  }

  static void TearDownTestSuite() {
    if (cluster_.empty()) return;
    if (any_failure_) std::cout << sh((test::sourceDir() / "tools" / "local_slurm.sh").string() + " logs " + cluster_.string()).out;
    sh((test::sourceDir() / "tools" / "local_slurm.sh").string() + " stop " + cluster_.string());
    fs::remove_all(cluster_);
    cluster_.clear();
    unsetenv("SLURM_CONF");
  }

  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  }

  void TearDown() override {
    if (HasFailure()) {
      any_failure_ = true;
      std::cout << sh("squeue; scontrol show jobs").out;
      sh("scancel --user=$(id -un)");  // leave nothing running for the next case
    }
  }

  // Submits a jobscript from `dir` with the test's resources (they override the #SBATCH lines) and
  // returns the job id. `env` is a list of NAME=value for the job (exported by sbatch).
  static std::string submit(const fs::path& dir, const std::string& options, const std::string& script,
                            const std::string& args, const std::string& env = "") {
    const auto r = sh(fmt::format("cd {} && {} sbatch --parsable --output={}/job-%j.out {} {} {}",
                                  test::shellQuote(dir.string()), env, test::shellQuote(dir.string()), options,
                                  (test::sourceDir() / "jobscripts" / script).string(), args));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    std::string id = firstLine(r.out);
    return id.substr(0, id.find(';'));
  }

  static inline fs::path cluster_;
  static inline std::string skip_reason_;
  static inline bool any_failure_ = false;
};

// One node, two ranks, one core each, ten minutes: fits the 2-core test machine.
const std::string kTwoRanks = "--nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --time=10";

// NM L = 3, a short classical annealing with snapshots for the landscapes; 2 replicas (one per rank).
const char* kSmallConfig = R"(model: {type: newman_moore, L: 3}
ansatz: {cell: vanilla2d, hidden: 8, seed: 3, precision: double}
anneal: {mode: classical, T0: 1.0, warmup_steps: 20, annealing_steps: 40, train_steps: 2, samples: 32,
         learning_rate: 2e-3, snapshots: [initial, final], checkpoint_every: 50}
replicas: {count: 2, seed: 5}
analysis: {samples: 500, stored_samples: 20}
landscape: {points: [4, 4], snapshots: [initial, final], samples: 32, seed: 7}
)";

void expectCompleteAnneal(const fs::path& file, int replicas) {
  ASSERT_TRUE(fs::exists(file)) << file;
  EXPECT_FALSE(fs::exists(file.string() + ".partial"));
  h5::Handle f = h5::openFile(file.string(), MPI_COMM_SELF, false);
  for (const char* path : {"anneal/trace/loss", "anneal/snapshots/final/params", "anneal/final/params",
                           "analysis/samples"})
    EXPECT_TRUE(h5::exists(f, path)) << path;
  EXPECT_FALSE(h5::exists(f, "checkpoint"));  // removed when the run completes
  std::vector<hsize_t> dims;
  h5::readDataset<double>(f, "anneal/final/params", &dims);
  ASSERT_EQ(dims.size(), 2u);
  EXPECT_EQ(dims[0], static_cast<hsize_t>(replicas));
}

// `vna COMMAND --help` exits with 0 when the command is built into this vna.
bool vnaHas(const std::string& command) {
  return sh(fmt::format("{} {} --help", VNA_EXECUTABLE, command)).exit_code == 0;
}

TEST_F(LocalSlurm, AnnealJobCompletes) {
  const fs::path dir = workDir("anneal");
  test::writeFile(dir / "small.yaml", kSmallConfig);
  const std::string id = submit(dir, kTwoRanks, "anneal.sbatch", "small.yaml");
  const JobInfo j = waitFinished(id);
  const std::string log = readText(jobLog(dir, id));
  ASSERT_EQ(j.state, "COMPLETED") << j.raw << log;
  EXPECT_EQ(j.exit_code, "0:0");
  // The default output name is vna's: <config stem>.anneal.h5 in the submission folder.
  expectCompleteAnneal(dir / "small.anneal.h5", 2);
  EXPECT_NE(log.find("srun --mpi=pmix"), std::string::npos) << log;  // pmix: what Debian's OpenMPI uses
  EXPECT_NE(log.find("on 2 rank(s)"), std::string::npos) << log;

  // Submitting it again does nothing: the result is complete (a requeue after success is harmless).
  const std::string again = submit(dir, kTwoRanks, "anneal.sbatch", "small.yaml");
  EXPECT_EQ(waitFinished(again).state, "COMPLETED");
  EXPECT_NE(readText(jobLog(dir, again)).find("is complete: nothing to do"), std::string::npos);
}

// A run interrupted twice at known points: 8100 updates of NM L = 4 (0.4 to 2 ms each on the 2-core test
// machine); vna's test hook VNA_WAIT_FOR_SIGNAL_AFTER_UPDATES makes it wait after updates 1000 and 5000
// until a signal arrives, so the test signals it there, whatever the speed of the machine or the
// thread count (without the hook, a fast build finished before the second signal).
const char* kLongConfig = R"(model: {type: newman_moore, L: 4}
ansatz: {cell: vanilla2d, hidden: 16, seed: 11}
anneal: {mode: classical, T0: 1.0, warmup_steps: 100, annealing_steps: 4000, train_steps: 2, samples: 64,
         learning_rate: 2e-3, snapshots: [initial, "0.5", final], checkpoint_every: 2000, progress_seconds: 0.1}
replicas: {count: 2, seed: 5}
analysis: {samples: 500, stored_samples: 20}
)";

// Interrupts the job in `dir` twice while vna runs (time-limit warning, then `scontrol requeue`),
// lets it finish, and compares the result with `reference`.
void interruptTwiceAndCompare(const fs::path& dir, const std::string& id, const fs::path& reference) {
  const fs::path log = jobLog(dir, id);
  const std::string waiting = "waiting for a signal after update";

  // 1. The time-limit warning: SLURM's --signal=B:USR1@T sends SIGUSR1 to the batch shell only, which is
  //    exactly what `scancel --batch --signal=USR1` does. The script stops vna at a checkpoint (exit 3)
  //    and requeues the job itself.
  ASSERT_TRUE(waitForLog(id, log, waiting + " 1000", 0, 120)) << readText(log);
  ASSERT_EQ(sh("scancel --batch --signal=USR1 " + id).exit_code, 0);
  JobInfo j = waitJob(id, 120, [](const JobInfo& i) { return i.restarts >= 1; });
  ASSERT_EQ(j.restarts, 1) << j.raw << readText(log);

  // 2. Preemption: `scontrol requeue` ends the running job the way preemption does (SIGTERM to every
  //    process of the job, SIGKILL after KillWait) and SLURM requeues it.
  ASSERT_TRUE(waitForLog(id, log, waiting + " 5000", 0, 120)) << readText(log);
  ASSERT_EQ(sh("scontrol requeue " + id).exit_code, 0);
  j = waitJob(id, 120, [](const JobInfo& i) { return i.restarts >= 2; });
  ASSERT_EQ(j.restarts, 2) << j.raw << readText(log);

  j = waitFinished(id);
  const std::string text = readText(log);
  ASSERT_EQ(j.state, "COMPLETED") << j.raw << text;
  // Both interruptions stopped vna at a checkpoint, and both restarts resumed from a later one.
  EXPECT_EQ(test::countOccurrences(text, "] resuming long.h5.partial"), 2) << text;
  std::vector<int> resumed_at;
  const std::regex resume_line(R"(resuming from the checkpoint at update (\d+))");
  for (std::sregex_iterator it(text.begin(), text.end(), resume_line), end; it != end; ++it)
    resumed_at.push_back(std::stoi((*it)[1]));
  ASSERT_EQ(resumed_at.size(), 2u) << text;
  // A stop checkpoints after the update it interrupted.
  EXPECT_EQ(resumed_at[0], 1001) << text;
  EXPECT_EQ(resumed_at[1], 5001) << text;
  // vna's own code 3 reached the script both times (from the launcher, or from VNA_EXIT_STATUS_FILE
  // when mpiexec, signalled itself by SLURM, reported 1).
  EXPECT_EQ(test::countOccurrences(text, "vna stopped at a checkpoint"), 2) << text;
  EXPECT_NE(text.find("time-limit warning (SIGUSR1)"), std::string::npos) << text;
  EXPECT_NE(text.find("requeued job " + id), std::string::npos) << text;
  EXPECT_NE(text.find("SIGTERM: SLURM is ending the job"), std::string::npos) << text;

  const fs::path out = dir / "long.h5";
  expectCompleteAnneal(out, 2);
  {
    h5::Handle f = h5::openFile(out.string(), MPI_COMM_SELF, false);
    EXPECT_EQ(h5::readIntAttribute(f, "resume_count"), 2);
  }
  // Origin: an annealing result is a pure function of (config, seeds), whatever the rank count and
  // the interruptions (src/anneal/annealer.hpp); only the per-update wall-clock timings differ.
  EXPECT_EQ(test::compareH5(reference.string(), out.string(), {"timing"}), "");
}

const char* kWaitHook = "VNA_WAIT_FOR_SIGNAL_AFTER_UPDATES=1000,5000";

fs::path uninterruptedReference(const fs::path& dir, const fs::path& cfg) {
  const fs::path reference = dir / "reference.h5";
  const auto r = test::runVna(fmt::format("anneal {} --output {}", test::shellQuote(cfg.string()),
                                          test::shellQuote(reference.string())));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return reference;
}

TEST_F(LocalSlurm, RequeueAfterTimeLimitWarningAndPreemption) {
  const fs::path dir = workDir("requeue");
  const fs::path cfg = test::writeFile(dir / "long.yaml", kLongConfig);
  const fs::path reference = uninterruptedReference(dir, cfg);
  const std::string id = submit(dir, kTwoRanks, "anneal.sbatch", "long.yaml long.h5", kWaitHook);
  interruptTwiceAndCompare(dir, id, reference);
  // With srun, vna's own exit code 3 reaches the script directly both times.
  EXPECT_EQ(test::countOccurrences(readText(jobLog(dir, id)), "vna itself ended with"), 0);
}

// The same with VNA_LAUNCHER=mpiexec, the fallback for sites where srun cannot start MPI programs.
TEST_F(LocalSlurm, RequeueWithMpiexecLauncher) {
  const fs::path dir = workDir("requeue_mpiexec");
  const fs::path cfg = test::writeFile(dir / "long.yaml", kLongConfig);
  const fs::path reference = uninterruptedReference(dir, cfg);
  // OpenMPI waits odls_base_sigkill_timeout seconds (twice) whenever it ends a job early; the script's
  // default, 10 s, leaves room for slow checkpoints, 3 s is plenty for this one and saves half a minute.
  const std::string id = submit(dir, kTwoRanks, "anneal.sbatch", "long.yaml long.h5",
                                std::string(kWaitHook) + " VNA_LAUNCHER=mpiexec OMPI_MCA_odls_base_sigkill_timeout=3");
  interruptTwiceAndCompare(dir, id, reference);
  const std::string text = readText(jobLog(dir, id));
  EXPECT_NE(text.find("via mpiexec -n 2"), std::string::npos) << text;
  // The time-limit warning reached the ranks as SIGUSR2 through mpiexec, which then reported vna's 3;
  // the requeue's SIGTERM reached mpiexec itself, which reported 1.
  EXPECT_EQ(test::countOccurrences(text, "the launcher ended with code 1; vna itself ended with 3"), 1) << text;
}

// The time-limit warning sent by SLURM itself (the other tests send the same signal with scancel, at a
// chosen moment). slurmctld checks time limits every 30 s and signals up to that much early, so with a
// one-minute limit and --signal=B:USR1@59 the warning comes 0 to 30 s after the start. The run is far
// longer than that: 200100 updates of NM L = 8 on 2 ranks, 1 to 10 ms each (1 ms on the CI machine of
// 2026-12-04, where a run of 20100 updates ended after 20 s, before the warning). Once the requeued job
// has resumed from the checkpoint, the test cancels it, so the length costs nothing.
TEST_F(LocalSlurm, TimeLimitWarningFromSlurm) {
  const fs::path dir = workDir("time_limit");
  test::writeFile(dir / "long.yaml", R"(model: {type: newman_moore, L: 8}
ansatz: {cell: vanilla2d, hidden: 32, seed: 11}
anneal: {mode: classical, T0: 1.0, warmup_steps: 100, annealing_steps: 100000, train_steps: 2, samples: 128,
         learning_rate: 2e-3, snapshots: [initial, final], checkpoint_every: 5000}
replicas: {count: 2, seed: 5}
analysis: {samples: 500, stored_samples: 20}
)");
  const std::string id = submit(dir, "--nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --time=1 --signal=B:USR1@59",
                                "anneal.sbatch", "long.yaml long.h5");
  const fs::path log = jobLog(dir, id);
  JobInfo j = waitJob(id, 90, [](const JobInfo& i) { return i.restarts >= 1; });
  ASSERT_EQ(j.restarts, 1) << j.raw << readText(log);
  ASSERT_TRUE(waitForLog(id, log, "resuming from the checkpoint at update", 0, 60)) << readText(log);
  ASSERT_EQ(sh("scancel " + id).exit_code, 0);
  j = waitFinished(id, 60);
  const std::string text = readText(log);
  EXPECT_EQ(j.state, "CANCELLED") << j.raw << text;
  EXPECT_EQ(test::countOccurrences(text, "time-limit warning (SIGUSR1)"), 1) << text;
  EXPECT_EQ(test::countOccurrences(text, "requeued job " + id), 1) << text;
  // scancel: SIGTERM to every process; vna checkpoints again and the script does not requeue.
  EXPECT_NE(text.find("SLURM is ending the job: a requeued or preempted job resumes by itself"), std::string::npos)
      << text;
  EXPECT_TRUE(fs::exists(dir / "long.h5.partial"));
}

TEST_F(LocalSlurm, AnnealThenLandscapeAsDependentJob) {
  if (!vnaHas("landscape")) GTEST_SKIP() << "vna landscape not built yet (`vna landscape --help` fails)";
  const fs::path dir = workDir("chain");
  const fs::path cfg = test::writeFile(dir / "small.yaml", kSmallConfig);
  // The annealing stops itself once, after update 30 of 100 (vna's test hook raises SIGTERM: checkpoint,
  // exit 3), so the script requeues it; afterok must wait through the requeue for the final success.
  const auto r = sh(fmt::format("cd {} && ANNEAL_SBATCH_ARGS='{} --output={}/job-%j.out "
                                "--export=ALL,VNA_SIGNAL_AFTER_UPDATE=30' "
                                "LANDSCAPE_SBATCH_ARGS='{} --output={}/job-%j.out' {} small.yaml a.h5 l.h5",
                                dir.string(), kTwoRanks, dir.string(), kTwoRanks, dir.string(),
                                (test::sourceDir() / "jobscripts" / "submit_anneal_landscape.sh").string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(anneal_job=(\d+)\s+landscape_job=(\d+))"))) << r.out;
  const std::string anneal = m[1], landscape = m[2];
  // The landscape job waits for the annealing: it cannot start before the annealing has succeeded.
  const JobInfo pending = jobInfo(landscape);
  EXPECT_NE(pending.raw.find("Dependency=afterok:" + anneal), std::string::npos) << pending.raw;

  const JobInfo ja = waitFinished(anneal);
  ASSERT_EQ(ja.state, "COMPLETED") << ja.raw << readText(jobLog(dir, anneal));
  EXPECT_EQ(ja.restarts, 1) << ja.raw << readText(jobLog(dir, anneal));
  EXPECT_NE(readText(jobLog(dir, anneal)).find("resuming from the checkpoint at update 31"), std::string::npos);
  // The landscape script refuses to start without the annealing result, so its success also shows that
  // it did not start after the first, interrupted piece of the annealing.
  const JobInfo jl = waitFinished(landscape);
  ASSERT_EQ(jl.state, "COMPLETED") << jl.raw << readText(jobLog(dir, landscape));
  EXPECT_EQ(jl.restarts, 0);
  expectCompleteAnneal(dir / "a.h5", 2);

  const fs::path out = dir / "l.h5";
  ASSERT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".partial"));
  h5::Handle f = h5::openFile(out.string(), MPI_COMM_SELF, false);
  for (const char* label : {"initial", "final"}) {
    const std::string g = std::string("landscape/") + label;
    std::vector<hsize_t> dims;
    const auto loss = h5::readDataset<double>(f, g + "/loss", &dims);
    EXPECT_EQ(dims, (std::vector<hsize_t>{4, 4})) << g;  // landscape.points in kSmallConfig
    for (double v : loss) EXPECT_TRUE(std::isfinite(v)) << g;
    for (auto d : h5::readDataset<std::uint8_t>(f, g + "/done")) EXPECT_EQ(d, 1) << g;  // every point computed
  }
  // Origin: landscape values depend only on (seed, snapshot, point), not on the rank count
  // (src/landscape/landscape.hpp): a direct 1-rank run from the same annealing result gives the same file.
  const auto ref = test::runVna(fmt::format("landscape {} --output {} --set landscape.source={}",
                                            test::shellQuote(cfg.string()), (dir / "l1.h5").string(),
                                            (dir / "a.h5").string()));
  ASSERT_EQ(ref.exit_code, 0) << ref.out;
  EXPECT_EQ(test::compareH5((dir / "l1.h5").string(), out.string(), {"timing"}), "");
}

// SK N = 8 instances (ground truth by enumeration), realizations 0..3 as two array tasks of two.
const char* kCampaignConfig = R"(model: {type: sherrington_kirkpatrick, N: 8, seed: 3}
ansatz: {cell: vanilla1d, hidden: 8, seed: 1}
anneal: {T0: 2.0, warmup_steps: 10, train_steps: 2, samples: 32, learning_rate: 2e-3}
replicas: {count: 1, seed: 1}
analysis: {samples: 200, stored_samples: 10}
campaign: {methods: [vca, sa], annealing_steps: [5], realizations: 4}
sa: {T0: 2.0, replicas: 4}
)";

TEST_F(LocalSlurm, CampaignAsJobArray) {
  if (!vnaHas("campaign")) GTEST_SKIP() << "vna campaign not built yet (`vna campaign --help` fails)";
  const fs::path dir = workDir("campaign");
  const fs::path cfg = test::writeFile(dir / "sk.yaml", kCampaignConfig);
  // Two array tasks of two realizations each, one rank per task (both run at once on the two cores).
  const std::string id = submit(dir, "--array=0-1 --nodes=1 --ntasks=1 --cpus-per-task=1 --time=10",
                                "campaign_array.sbatch", "sk.yaml", "VNA_BLOCK=2");
  std::vector<fs::path> blocks;
  for (int task = 0; task < 2; ++task) {
    const JobInfo j = waitFinished(fmt::format("{}_{}", id, task));
    EXPECT_EQ(j.state, "COMPLETED") << j.raw << sh("cat " + (dir / "job-*.out").string()).out;
    blocks.push_back(dir / fmt::format("sk.campaign_{}.h5", task));
    ASSERT_TRUE(fs::exists(blocks.back())) << blocks.back();
    EXPECT_FALSE(fs::exists(blocks.back().string() + ".partial"));
    h5::Handle f = h5::openFile(blocks.back().string(), MPI_COMM_SELF, false);
    // Task k holds realizations 2k and 2k + 1.
    EXPECT_EQ(h5::readDataset<std::int64_t>(f, "campaign/instances/realization"),
              (std::vector<std::int64_t>{2 * task, 2 * task + 1}));
  }
  // The blocks merged (tools/merge_campaign.py) equal one campaign over realizations 0..3: realization r
  // is the same instance (model.seed + r) and its rows draw from streams keyed by r, whichever task runs
  // it (src/config/schema.cpp, campaign.seed and campaign.realizations). The summary is not merged (a
  // statistic vna computes) and timings differ.
  const fs::path whole = dir / "whole.h5";
  const auto r = test::runVna(fmt::format("campaign {} --output {}", cfg.string(), whole.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const fs::path merged = dir / "merged.h5";
  const auto m = sh(fmt::format("/usr/bin/python3 {} {} {} -o {}", (test::sourceDir() / "tools" / "merge_campaign.py").string(),
                                blocks[1].string(), blocks[0].string(), merged.string()));
  ASSERT_EQ(m.exit_code, 0) << m.out;
  EXPECT_NE(m.out.find("4 instance(s), 8 row(s), realizations 0..3"), std::string::npos) << m.out;
  EXPECT_EQ(test::compareH5(whole.string(), merged.string(), {"timing", "summary"}), "");
  // Overlapping blocks are refused.
  EXPECT_NE(sh(fmt::format("/usr/bin/python3 {} {} {} -o {}", (test::sourceDir() / "tools" / "merge_campaign.py").string(),
                           blocks[0].string(), blocks[0].string(), (dir / "bad.h5").string()))
                .exit_code,
            0);
}


// One rank per job, ten minutes, the job logs in the test's folder.
std::string oneRank(const fs::path& dir) {
  return fmt::format("--nodes=1 --ntasks=1 --ntasks-per-node=1 --cpus-per-task=1 --time=10 --output={}/job-%j.out",
                     dir.string());
}

std::map<std::string, std::string> jobIds(const std::string& out) {
  std::map<std::string, std::string> ids;
  std::smatch m;
  for (auto it = out.cbegin(); std::regex_search(it, out.cend(), m, std::regex(R"((\w+)=(\d+))")); it = m[0].second)
    ids[m[1]] = m[2];
  return ids;
}

TEST_F(LocalSlurm, PaperQuickAsDependentJobs) {
  if (!vnaHas("landscape")) GTEST_SKIP() << "vna landscape not built yet";
  const fs::path dir = workDir("paper");
  const std::string o = oneRank(dir);
  const fs::path out = dir / "out";
  const auto r = sh(fmt::format("cd {} && ANNEAL_SBATCH_ARGS='{}' LANDSCAPE_SBATCH_ARGS='{}' EXACT_SBATCH_ARGS='{}' "
                                "FIGURES_SBATCH_ARGS='{}' {} --quick --out {}",
                                dir.string(), o, o, o, o,
                                (test::sourceDir() / "jobscripts" / "submit_paper.sh").string(), out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto ids = jobIds(r.out);
  ASSERT_EQ(ids.size(), 16u) << r.out;  // 6 annealings, 6 exact, 3 landscapes, the figures
  // A landscape waits for its annealing; the figures wait for every other job.
  EXPECT_NE(jobInfo(ids.at("landscape_fig5_landscape_vca_L16")).raw.find("afterok:" + ids.at("anneal_fig2_vca_L16")),
            std::string::npos);
  const JobInfo fig = waitFinished(ids.at("figures_job"), 600);
  ASSERT_EQ(fig.state, "COMPLETED") << fig.raw << sh("cat " + (dir / "job-*.out").string()).out;
  for (const auto& [name, id] : ids) EXPECT_EQ(jobInfo(id).state, "COMPLETED") << name;
  EXPECT_NE(readText(jobLog(dir, ids.at("figures_job"))).find("total time since submission:"), std::string::npos);
  for (const char* f : {"fig2", "fig3", "fig4", "fig5", "fig6", "roughness"})
    EXPECT_TRUE(fs::exists(out / "figures" / (std::string(f) + ".png"))) << f;
  // Origin: a result depends only on its config and seeds (doc/design.md), so the SLURM job (srun, one
  // rank) wrote the same datasets as vna run directly with the same quick options.
  const auto direct = test::runVna(fmt::format(
      "anneal {} --output {} --set anneal.warmup_steps=100 --set anneal.annealing_steps=50 --set anneal.train_steps=4 "
      "--set analysis.samples=2000 --set analysis.stored_samples=200",
      (test::sourceDir() / "input" / "paper" / "fig2_vca_L3.yaml").string(), (dir / "direct.h5").string()));
  ASSERT_EQ(direct.exit_code, 0) << direct.out;
  EXPECT_EQ(test::compareH5((dir / "direct.h5").string(), (out / "fig2_vca_L3.anneal.h5").string(), {"timing"}), "");
}

TEST_F(LocalSlurm, ModeCollapseQuickAsJobArray) {
  const fs::path dir = workDir("mode_collapse");
  const fs::path out = dir / "out";
  // The first three runs of the quick study (VCA at L = 3 and 6, and the remedy at L = 6), two at a time.
  const auto r = sh(fmt::format("cd {} && ARRAY_SBATCH_ARGS='{}' TABLE_SBATCH_ARGS='{}' {} --quick --runs 0-2 {} {}",
                                dir.string(), oneRank(dir), oneRank(dir),
                                (test::sourceDir() / "jobscripts" / "submit_mode_collapse.sh").string(),
                                (test::sourceDir() / "input" / "mode_collapse" / "study.yaml").string(), out.string()));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto ids = jobIds(r.out);
  ASSERT_TRUE(ids.count("array_job") && ids.count("table_job")) << r.out;
  const JobInfo table = waitFinished(ids.at("table_job"), 600);
  ASSERT_EQ(table.state, "COMPLETED") << table.raw << sh("cat " + (dir / "job-*.out").string()).out;
  for (int task = 0; task < 3; ++task)
    EXPECT_EQ(jobInfo(fmt::format("{}_{}", ids.at("array_job"), task)).state, "COMPLETED") << task;
  for (const char* name : {"vca_L3_paper", "vca_L6_paper", "vca_L6_remedy"}) {
    const fs::path f = out / (std::string(name) + ".anneal.h5");
    EXPECT_TRUE(fs::exists(f)) << f;
    EXPECT_FALSE(fs::exists(f.string() + ".partial")) << f;
  }
  const std::string md = readText(out / "mode_collapse_table.md");
  EXPECT_NE(md.find("| VCA | 3 | paper protocol | 4 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| VCA | 6 | remedy"), std::string::npos) << md;
  EXPECT_TRUE(fs::exists(out / "mode_collapse.png"));
}

}  // namespace
}  // namespace vna
