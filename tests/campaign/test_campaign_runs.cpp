// End-to-end `vna campaign` runs: every method on small SK instances with enumerated ground states,
// results independent of the rank count, a resumed campaign equal to an uninterrupted one (stopped
// between rows and inside a VCA row), bad configs as input errors without output, a VCA row equal to
// the corresponding `vna anneal`, the best-found fallback, `vna analyze` of the campaign file and the
// plot script, a campaign without its networks, the file estimate that counts them.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "io/h5.hpp"
#include "support/h5_compare.hpp"
#include "support/run_vna.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

namespace fs = std::filesystem;

fs::path workDir(const std::string& name) { return test::freshDir("campaign", name); }

// SK N = 12 (2^12 states: ground truth by enumeration), 3 realizations, every method, 2 lengths.
const char* kSk = R"(model: {type: sherrington_kirkpatrick, N: 12, seed: 3}
ansatz: {cell: vanilla1d, hidden: 16, seed: 1}
anneal: {T0: 2.0, warmup_steps: 20, train_steps: 2, samples: 50, learning_rate: 2e-3}
replicas: {count: 2, seed: 1}
analysis: {samples: 500, stored_samples: 10}
campaign: {methods: [vca, sa, sqa], annealing_steps: [5, 50], realizations: 3}
sa: {T0: 2.0, replicas: 8}
sqa: {replicas: 4, trotter_slices: 8, T: 0.125, gamma0: 2.0}
)";

test::Run campaign(const fs::path& cfg, const fs::path& out, int ranks, const std::string& extra = "",
                   const std::string& env = "", bool merge = true) {
  return test::runVna(
      fmt::format("campaign {} --output {} {}", test::shellQuote(cfg.string()), test::shellQuote(out.string()), extra),
      ranks, merge, env);
}

class CampaignRuns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(workDir("shared"));
    cfg_ = new fs::path(test::writeFile(*dir_ / "sk.yaml", kSk));
    const auto r = campaign(*cfg_, whole(), 1, "--json", "", /*merge=*/false);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    json_ = new nlohmann::json(nlohmann::json::parse(r.out));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete cfg_;
    delete json_;
  }
  static fs::path whole() { return *dir_ / "whole.h5"; }
  static fs::path* dir_;
  static fs::path* cfg_;
  static nlohmann::json* json_;
};
fs::path* CampaignRuns::dir_ = nullptr;
fs::path* CampaignRuns::cfg_ = nullptr;
nlohmann::json* CampaignRuns::json_ = nullptr;

TEST_F(CampaignRuns, EveryMethodRunsOnEveryInstance) {
  ASSERT_TRUE(json_ && !json_->empty());
  const auto& j = *json_;
  EXPECT_EQ(j.at("num_instances"), 3);
  ASSERT_EQ(j.at("rows").size(), 18u);  // 3 instances × 3 methods × 2 lengths
  for (const auto& inst : j.at("instances")) EXPECT_EQ(inst.at("ground_truth_origin"), "exhaustive enumeration");
  for (const auto& row : j.at("rows")) {
    // Origin: E0 is the exact minimum (enumeration), so no energy lies below it (round-off only).
    EXPECT_GE(row.at("residual_energy_per_spin").get<double>(), -1e-12) << row.dump();
    EXPECT_GE(row.at("min_residual_energy_per_spin").get<double>(), -1e-12) << row.dump();
    EXPECT_NEAR(row.at("mean_energy_per_spin").get<double>() - row.at("residual_energy_per_spin").get<double>(),
                j.at("instances")[row.at("instance").get<int>()].at("ground_energy_per_spin").get<double>(), 1e-12);
    const std::string m = row.at("method");
    EXPECT_EQ(row.at("samples").get<int>(), m == "vca" ? 2 * 500 : m == "sa" ? 8 : 4);
    // 8 SA and 4 SQA runs of 50 steps reach the ground state of N = 12 SK instances (all of them when
    // the test was written; a failure here means the Monte Carlo lost its way, not bad luck:
    // the streams are fixed).
    if ((m == "sa" || m == "sqa") && row.at("annealing_steps") == 50) {
      EXPECT_TRUE(row.at("reached_ground_state").get<bool>()) << row.dump();
    }
  }
  ASSERT_EQ(j.at("summary").size(), 6u);
  h5::Handle f = h5::openFile(whole().string(), MPI_COMM_SELF, false);
  for (const char* p : {"campaign/results/residual_energy_per_spin", "campaign/results/best_configuration",
                        "campaign/results/replica_energy", "campaign/instances/ground_truth_origin",
                        "campaign/summary/residual_median", "campaign/anneal/row_0/trace/loss"})
    EXPECT_TRUE(h5::exists(f, p)) << p;
  EXPECT_FALSE(h5::exists(f, "checkpoint"));
  EXPECT_FALSE(h5::exists(f, "anneal"));
}

TEST_F(CampaignRuns, TwoRanksWriteTheSameFileAsOne) {
  const fs::path out = *dir_ / "np2.h5";
  const auto r = campaign(*cfg_, out, 2);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(test::compareH5(whole().string(), out.string(), {"timing"}), "");
}

TEST_F(CampaignRuns, ResumeAfterAStopBetweenRowsEqualsAnUninterruptedRun) {
  const fs::path out = *dir_ / "resumed_rows.h5";
  // SIGTERM after row 8 (a SQA row): the campaign stops before row 9 and exits with 3.
  const auto r1 = campaign(*cfg_, out, 2, "", "VNA_CAMPAIGN_SIGNAL_AFTER_ROW=8");
  EXPECT_EQ(r1.exit_code, 3) << r1.out;
  EXPECT_NE(r1.out.find("--resume"), std::string::npos) << r1.out;
  EXPECT_FALSE(fs::exists(out));
  ASSERT_TRUE(fs::exists(out.string() + ".partial"));
  const auto refused = campaign(*cfg_, out, 0);
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  const auto r2 = campaign(*cfg_, out, 1, "--resume");
  EXPECT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_NE(r2.out.find("9 of 18 rows already done"), std::string::npos) << r2.out;
  EXPECT_EQ(test::compareH5(whole().string(), out.string(), {"timing"}), "");
}

TEST_F(CampaignRuns, ResumeInsideAVcaRowEqualsAnUninterruptedRun) {
  const fs::path out = *dir_ / "resumed_vca.h5";
  // The annealer's own hook: SIGTERM after update 40 of the first VCA row long enough (row 1, 120
  // updates): it checkpoints into the campaign file and the campaign exits with 3.
  const auto r1 = campaign(*cfg_, out, 1, "", "VNA_SIGNAL_AFTER_UPDATE=40");
  EXPECT_EQ(r1.exit_code, 3) << r1.out;
  EXPECT_NE(r1.out.find("interrupted in row 1"), std::string::npos) << r1.out;
  const auto r2 = campaign(*cfg_, out, 2, "--resume");
  EXPECT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_NE(r2.out.find("resuming from the checkpoint at update 41"), std::string::npos) << r2.out;
  EXPECT_EQ(test::compareH5(whole().string(), out.string(), {"timing"}), "");
}

TEST_F(CampaignRuns, AVcaRowIsTheAnnealOfItsInstance) {
  // Row 0 = instance 0 (realization 0), vca, 5 annealing steps: `vna anneal` with the same config.
  const fs::path out = *dir_ / "anneal.h5";
  const auto r = test::runVna(fmt::format("anneal {} --output {} --set anneal.annealing_steps=5",
                                          test::shellQuote(cfg_->string()), test::shellQuote(out.string())));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  h5::Handle a = h5::openFile(out.string(), MPI_COMM_SELF, false);
  h5::Handle c = h5::openFile(whole().string(), MPI_COMM_SELF, false);
  // Origin: the campaign runs the same annealer (runAnneal) with the same seeds: identical parameters.
  EXPECT_EQ(h5::readDataset<double>(a, "anneal/final/params"),
            h5::readDataset<double>(c, "campaign/anneal/row_0/final/params"));
  EXPECT_EQ(h5::readDataset<double>(a, "anneal/trace/loss"),
            h5::readDataset<double>(c, "campaign/anneal/row_0/trace/loss"));
}

TEST_F(CampaignRuns, WithoutStoredNetworksTheRowsAreTheSame) {
  const fs::path out = *dir_ / "no_networks.h5";
  const auto r = campaign(*cfg_, out, 2, "--set campaign.store_networks=false");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  {
    h5::Handle f = h5::openFile(out.string(), MPI_COMM_SELF, false);
    EXPECT_FALSE(h5::exists(f, "campaign/anneal/row_0/final/params"));
    EXPECT_TRUE(h5::exists(f, "campaign/anneal/row_0/final/loss"));
  }
  // Origin: the rows are analyzed from the same parameters, in memory: everything else is equal.
  EXPECT_EQ(test::compareH5(whole().string(), out.string(), {"timing", "final/params"}), "");
  // The file is smaller by at least the 12 networks (2 lengths x 3 instances x vca, 2 replicas each).
  h5::Handle w = h5::openFile(whole().string(), MPI_COMM_SELF, false);
  const auto shape = h5::datasetShape(h5::openDataset(w, "campaign/anneal/row_0/final/params"));
  ASSERT_EQ(shape.size(), 2u);
  EXPECT_LE(fs::file_size(out) + 6 * shape[0] * shape[1] * sizeof(double), fs::file_size(whole()));
}

TEST_F(CampaignRuns, AnalyzePrintsAndStoresTheSummary) {
  const fs::path cfg = test::writeFile(*dir_ / "analyze.yaml", kSk);
  const fs::path out = *dir_ / "analyze.h5";
  const auto r =
      test::runVna(fmt::format("analyze {} --set analysis.source={} --output {} --json", test::shellQuote(cfg.string()),
                               test::shellQuote(whole().string()), test::shellQuote(out.string())),
                   0, false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  // Origin: the same rows summarized by the same function: equal to what `vna campaign` reported.
  EXPECT_EQ(j.at("summary"), json_->at("summary"));
  h5::Handle f = h5::openFile(out.string(), MPI_COMM_SELF, false);
  const auto med = h5::readDataset<double>(f, "campaign_summary/residual_median");
  ASSERT_EQ(med.size(), 6u);
  EXPECT_DOUBLE_EQ(med[2], json_->at("summary")[2].at("residual_energy_per_spin").at("median").get<double>());
}

TEST_F(CampaignRuns, PlotScriptDrawsTheSameMedians) {
  const std::string python = "/usr/bin/python3";
  if (std::system((python + " -c 'import h5py, matplotlib, numpy' 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << python << " with h5py, matplotlib and numpy is needed for tools/plot_residual.py";
  const fs::path base = *dir_ / "residual";
  const std::string cmd = fmt::format("{} {} {} --out {} --json 2>/dev/null", python,
                                      (test::sourceDir() / "tools" / "plot_residual.py").string(),
                                      test::shellQuote(whole().string()), test::shellQuote(base.string()));
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string text;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) text += buf;
  ASSERT_EQ(pclose(p), 0) << text;
  EXPECT_TRUE(fs::exists(base.string() + ".png"));
  EXPECT_TRUE(fs::exists(base.string() + ".pdf"));
  const auto plotted = nlohmann::json::parse(text);
  // Origin: vna's summary (type-7 quantiles) and numpy.median / numpy.percentile on the same rows.
  for (const auto& s : json_->at("summary")) {
    const auto& c = plotted.at("curves").at(s.at("method").get<std::string>());
    const std::size_t k = s.at("annealing_steps") == 5 ? 0 : 1;
    EXPECT_NEAR(c.at("median")[k].get<double>(), s.at("residual_energy_per_spin").at("median").get<double>(), 1e-15);
    EXPECT_NEAR(c.at("low")[k].get<double>(), s.at("residual_energy_per_spin").at("q25").get<double>(), 1e-15);
    EXPECT_NEAR(c.at("high")[k].get<double>(), s.at("residual_energy_per_spin").at("q75").get<double>(), 1e-15);
  }
}

TEST(CampaignErrors, BadConfigsExitWithTwoAndWriteNothing) {
  const fs::path dir = workDir("errors");
  const std::string model = "model: {type: sherrington_kirkpatrick, N: 8}\n";
  const struct {
    std::string name, yaml, message;
  } cases[] = {
      {"method", model + "campaign: {methods: [sa, simulated_annealing]}\n", "unknown method 'simulated_annealing'"},
      {"steps", model + "campaign: {annealing_steps: []}\n", "campaign.annealing_steps: needs at least 1"},
      {"file", "model: {type: coupling_file, path: [missing_instance.txt]}\ncampaign: {methods: [sa]}\n",
       "missing_instance.txt"},
      {"gs", model + "campaign: {methods: [sa], ground_states: 'missing_gs_{r}.txt'}\n", "missing_gs_0.txt"},
      // SK couplings are not ±J: the multispin kernel does not apply.
      {"kernel", model + "campaign: {methods: [sa]}\nsa: {kernel: multispin}\n", "sa.kernel"},
  };
  for (const auto& c : cases) {
    const fs::path cfg = test::writeFile(dir / (c.name + ".yaml"), c.yaml);
    const fs::path out = dir / (c.name + ".h5");
    const auto r = campaign(cfg, out, 0);
    EXPECT_EQ(r.exit_code, 2) << c.name << ": " << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.name << ": " << r.out;
    EXPECT_FALSE(fs::exists(out)) << c.name;
    EXPECT_FALSE(fs::exists(out.string() + ".partial")) << c.name;
  }
}

TEST(CampaignErrors, TheFileEstimateCountsTheStoredNetworks) {
  const fs::path dir = workDir("stored_networks");
  struct statvfs s {};
  ASSERT_EQ(statvfs(dir.c_str(), &s), 0);
  if (static_cast<double>(s.f_bavail) * static_cast<double>(s.f_frsize) > 9e11)
    GTEST_SKIP() << "this disk could hold the file";
  // 100 instances x 1000 lengths of VCA rows, per-site tensorized2d on EA 10x10 (1 292 200 parameters).
  // Origin of the figure, resource_check.cpp's terms: the stored networks 10^5 x 1 292 200 x 8 B, the
  // traces 100 x (1 + ... + 1000 updates) x 48 B, the rows 10^5 x 308 B, the instances 100 x 200 B:
  // 1.0362e12 B = 965.0 GiB. Without the networks it would be 2.4 GB.
  const fs::path cfg = test::writeFile(dir / "c.yaml", R"(model: {type: edwards_anderson, Lx: 10, Ly: 10, seed: 1}
ansatz: {cell: tensorized2d, hidden: 40, weight_sharing: false}
anneal: {warmup_steps: 0, train_steps: 1}
campaign: {methods: [vca], realizations: 100}
)");
  std::vector<int> steps(1000);
  for (int a = 0; a < 1000; ++a) steps[a] = a + 1;
  const fs::path out = dir / "c.h5";
  const auto r = campaign(cfg, out, 0, fmt::format("--set 'campaign.annealing_steps=[{}]'", fmt::join(steps, ",")));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("needs about 965.0 GiB but the disk holding"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("campaign.store_networks"), std::string::npos) << r.out;
  for (const char* suffix : {"", ".tmp", ".partial"}) EXPECT_FALSE(fs::exists(out.string() + suffix));
}

TEST(CampaignBestFound, WithoutGroundTruthTheBestEnergyIsTheReference) {
  const fs::path dir = workDir("best_found");
  // VQA (the annealer in quantum mode) takes part too.
  const fs::path cfg = test::writeFile(dir / "c.yaml", R"(model: {type: sherrington_kirkpatrick, N: 14, seed: 2}
ansatz: {cell: vanilla1d, hidden: 8}
anneal: {gamma0: 1.0, warmup_steps: 5, train_steps: 1, samples: 20, learning_rate: 1e-3}
analysis: {samples: 200, stored_samples: 5}
campaign: {methods: [vqa, sa, sqa], annealing_steps: [3, 30], realizations: 2, max_enumeration_spins: 0}
sa: {replicas: 4}
sqa: {replicas: 2, trotter_slices: 4, T: 0.25}
)");
  const auto r = campaign(cfg, dir / "c.h5", 0, "--json", "", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  for (const auto& inst : j.at("instances"))
    EXPECT_EQ(inst.at("ground_truth_origin"), "best found by the campaign (not exact)");
  std::vector<double> best(2, INFINITY);
  ASSERT_EQ(j.at("rows").size(), 12u);
  for (const auto& row : j.at("rows")) {
    EXPECT_FALSE(row.contains("residual_energy_per_spin"));  // the ground truth is not known
    EXPECT_GE(row.at("min_residual_vs_best_found_per_spin").get<double>(), 0.0);
    const int i = row.at("instance");
    best[i] = std::min(best[i], row.at("min_residual_vs_best_found_per_spin").get<double>());
  }
  // Origin: the reference is the lowest energy of the rows, so the best row sits exactly at 0.
  EXPECT_EQ(best[0], 0.0);
  EXPECT_EQ(best[1], 0.0);
}

}  // namespace
}  // namespace vna
