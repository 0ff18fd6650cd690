// End-to-end annealing runs: VCA and VQA on Newman-Moore L = 3 find the ground state; results do
// not depend on the rank count; an interrupted and resumed run equals an uninterrupted one.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "io/h5.hpp"
#include "support/h5_compare.hpp"
#include "support/run_vna.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

namespace fs = std::filesystem;

fs::path workDir(const std::string& name) { return test::freshDir("anneal", name); }

const char* kVca = R"(model: {type: newman_moore, L: 3}
ansatz: {cell: vanilla2d, hidden: 16, seed: 3, precision: double}
anneal: {mode: classical, T0: 2.0, warmup_steps: 50, annealing_steps: 150, train_steps: 4, samples: 64,
         learning_rate: 2e-3, snapshots: [initial, after_warmup, "1.0", final], checkpoint_every: 100}
replicas: {count: 3, seed: 5}
analysis: {samples: 3000, stored_samples: 100}
)";

nlohmann::json runJson(const fs::path& cfg, const fs::path& out, int ranks, const std::string& extra = "") {
  const auto r = test::runVna(fmt::format("anneal {} --output {} --json {}", test::shellQuote(cfg.string()),
                                          test::shellQuote(out.string()), extra),
                              ranks, /*merge_stderr=*/false);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

// Origin: the Newman-Moore ground energy is -N/2 (closed form); a short anneal at L = 3 reaches it.
TEST(AnnealRuns, VcaFindsTheGroundState) {
  const fs::path dir = workDir("vca");
  const fs::path cfg = test::writeFile(dir / "vca.yaml", kVca);
  const auto j = runJson(cfg, dir / "vca.h5", 0);
  ASSERT_EQ(j.at("replicas").size(), 3u);
  EXPECT_DOUBLE_EQ(j.at("ground_energy").get<double>(), -4.5);
  for (const auto& rep : j.at("replicas")) {
    EXPECT_DOUBLE_EQ(rep.at("min_energy_per_spin").get<double>(), -0.5);
    // After annealing to T = 0 most of the probability sits on ground states.
    EXPECT_GT(rep.at("ground_state_fraction").get<double>(), 0.5);
    EXPECT_GE(rep.at("distinct_ground_states").get<int>(), 1);
    EXPECT_LE(rep.at("distinct_ground_states").get<int>(), 4);  // L = 3 has 4 ground states (GF(2))
    EXPECT_TRUE(rep.contains("final_loss"));
    EXPECT_TRUE(rep.contains("final_loss_err"));
  }
  h5::Handle f = h5::openFile((dir / "vca.h5").string(), MPI_COMM_SELF, false);
  for (const char* path : {"anneal/trace/loss", "anneal/trace/temperature", "anneal/snapshots/initial/params",
                           "anneal/snapshots/after_warmup/params", "anneal/snapshots/T=1.0/params",
                           "anneal/snapshots/final/params", "anneal/final/params", "analysis/samples",
                           "analysis/pca", "analysis/hamming_histogram", "analysis/ground_states_found"})
    EXPECT_TRUE(h5::exists(f, path)) << path;
  EXPECT_FALSE(h5::exists(f, "checkpoint"));  // removed once complete
}

TEST(AnnealRuns, VqaFindsTheGroundState) {
  const fs::path dir = workDir("vqa");
  const fs::path cfg = test::writeFile(dir / "vqa.yaml", R"(model: {type: newman_moore, L: 3}
ansatz: {cell: vanilla2d, hidden: 16, seed: 1}
anneal: {mode: quantum, gamma0: 2.0, warmup_steps: 50, annealing_steps: 150, train_steps: 4, samples: 64,
         learning_rate: 2e-3}
replicas: {count: 1, seed: 2}
analysis: {samples: 3000, stored_samples: 50}
)");
  const auto j = runJson(cfg, dir / "vqa.h5", 0);
  const auto& rep = j.at("replicas").at(0);
  EXPECT_DOUBLE_EQ(rep.at("min_energy_per_spin").get<double>(), -0.5);  // closed form -N/2
  EXPECT_GT(rep.at("ground_state_fraction").get<double>(), 0.5);
}

TEST(AnnealRuns, OneAndTwoRanksGiveIdenticalFiles) {
  const fs::path dir = workDir("ranks");
  const fs::path cfg = test::writeFile(dir / "vca.yaml", kVca);
  runJson(cfg, dir / "np1.h5", 1);
  runJson(cfg, dir / "np2.h5", 2);
  EXPECT_EQ(test::compareH5((dir / "np1.h5").string(), (dir / "np2.h5").string(), {"timing"}), "");
}

TEST(AnnealRuns, ResumeAfterInterruptionEqualsAnUninterruptedRun) {
  const fs::path dir = workDir("resume");
  const fs::path cfg = test::writeFile(dir / "vca.yaml", kVca);
  runJson(cfg, dir / "whole.h5", 2);
  // SIGTERM after update 333 (VNA_SIGNAL_AFTER_UPDATE raises it inside the run): checkpoint and exit 3.
  const fs::path out = dir / "resumed.h5";
  const std::string env = "VNA_SIGNAL_AFTER_UPDATE=333";
  const auto r1 = test::runVna(fmt::format("anneal {} --output {}", test::shellQuote(cfg.string()),
                                           test::shellQuote(out.string())),
                               2, true, env);
  EXPECT_EQ(r1.exit_code, 3) << r1.out;
  EXPECT_NE(r1.out.find("--resume"), std::string::npos) << r1.out;
  EXPECT_FALSE(fs::exists(out));
  ASSERT_TRUE(fs::exists(out.string() + ".partial"));
  // Without --resume or --force the partial file is protected.
  const auto refused = test::runVna(fmt::format("anneal {} --output {}", test::shellQuote(cfg.string()),
                                                test::shellQuote(out.string())));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.out.find("--resume"), std::string::npos) << refused.out;
  // Resume with a different rank count.
  const auto r2 = test::runVna(fmt::format("anneal {} --output {} --resume", test::shellQuote(cfg.string()),
                                           test::shellQuote(out.string())),
                               1, true);
  EXPECT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_NE(r2.out.find("resuming from the checkpoint at update 334"), std::string::npos) << r2.out;
  EXPECT_EQ(test::compareH5((dir / "whole.h5").string(), out.string(), {"timing"}), "");
}

// A per-site network (Edwards-Anderson's default: every block with a leading site dimension) goes
// through the checkpoint like any θ: killed and resumed on another rank count, the file equals an
// uninterrupted run's (origin: θ, Adam state and counters are restored bit for bit).
TEST(AnnealRuns, PerSiteNetworkResumesToTheSameFile) {
  const fs::path dir = workDir("resume_per_site");
  const fs::path cfg = test::writeFile(dir / "ea.yaml", R"(model: {type: edwards_anderson, Lx: 3, Ly: 3, seed: 4}
ansatz: {cell: tensorized2d, hidden: 6, seed: 3}
anneal: {T0: 1.0, warmup_steps: 20, annealing_steps: 20, train_steps: 2, samples: 24, snapshots: [final],
         checkpoint_every: 10}
replicas: {count: 3, seed: 5}
analysis: {samples: 300, stored_samples: 10}
)");
  runJson(cfg, dir / "whole.h5", 1);
  const fs::path out = dir / "resumed.h5";
  const auto r1 = test::runVna(fmt::format("anneal {} --output {}", test::shellQuote(cfg.string()),
                                           test::shellQuote(out.string())),
                               2, true, "VNA_SIGNAL_AFTER_UPDATE=25");
  EXPECT_EQ(r1.exit_code, 3) << r1.out;
  const auto r2 = test::runVna(fmt::format("anneal {} --output {} --resume", test::shellQuote(cfg.string()),
                                           test::shellQuote(out.string())),
                               1, true);
  EXPECT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_EQ(test::compareH5((dir / "whole.h5").string(), out.string(), {"timing"}), "");
}

TEST(AnnealRuns, ResumeWithAnotherConfigIsRefused) {
  const fs::path dir = workDir("resume_other");
  const fs::path cfg = test::writeFile(dir / "vca.yaml", kVca);
  const fs::path out = dir / "r.h5";
  const auto r1 = test::runVna(fmt::format("anneal {} --output {}", test::shellQuote(cfg.string()),
                                           test::shellQuote(out.string())),
                               0, true, "VNA_SIGNAL_AFTER_UPDATE=10");
  EXPECT_EQ(r1.exit_code, 3) << r1.out;
  const auto r2 = test::runVna(fmt::format("anneal {} --output {} --resume --set anneal.samples=32",
                                           test::shellQuote(cfg.string()), test::shellQuote(out.string())));
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_NE(r2.out.find("different configuration"), std::string::npos) << r2.out;
}

TEST(AnnealRuns, AnalyzeRecomputesTheSameStatisticsOnAnyRankCount) {
  const fs::path dir = workDir("analyze");
  const fs::path cfg = test::writeFile(dir / "vca.yaml", kVca);
  runJson(cfg, dir / "vca.anneal.h5", 0);
  const fs::path acfg = test::writeFile(dir / "an.yaml", std::string(kVca) + "");
  auto analyze = [&](int ranks, const std::string& out) {
    const auto r = test::runVna(fmt::format("analyze {} --set analysis.source={} --output {} --json",
                                            test::shellQuote(acfg.string()),
                                            test::shellQuote((dir / "vca.anneal.h5").string()),
                                            test::shellQuote((dir / out).string())),
                                ranks, false);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return nlohmann::json::parse(r.out);
  };
  const auto a = analyze(1, "a1.h5");
  const auto b = analyze(2, "a2.h5");
  EXPECT_EQ(a.at("replicas"), b.at("replicas"));
  EXPECT_EQ(test::compareH5((dir / "a1.h5").string(), (dir / "a2.h5").string(), {}), "");
  // The same samples as the analysis inside `vna anneal` (same counters, same networks).
  EXPECT_EQ(test::compareH5((dir / "a1.h5").string(), (dir / "vca.anneal.h5").string(), {"anneal", "model"}), "");
}

}  // namespace
}  // namespace vna
