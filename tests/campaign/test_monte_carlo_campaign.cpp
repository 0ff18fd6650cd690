// A Monte Carlo-only `vna campaign` (sa, sqa, pt, pa) on SK instances with enumerated ground states:
// every method finds them, the rows count what they should (samples, spin-flip attempts), the file
// does not depend on the rank count, and a row stopped between its steps is rerun on --resume with
// the same result.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/h5.hpp"
#include "support/h5_compare.hpp"
#include "support/run_vna.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

namespace fs = std::filesystem;

// SK N = 14 (2^14 states: ground truth by enumeration), 2 realizations, 2 lengths.
const char* kMc = R"(model: {type: sherrington_kirkpatrick, N: 14, seed: 5}
campaign: {methods: [sa, sqa, pt, pa], annealing_steps: [4, 60], realizations: 2}
sa: {T0: 2.0, replicas: 20, sweeps_per_step: 2, warmup_sweeps: 10}
sqa: {replicas: 6, trotter_slices: 8, T: 0.125, gamma0: 2.0}
pt: {T_min: 0.2, T_max: 1.6, temperatures: 6, runs: 5}
pa: {beta_max: 4.0, population: 40, runs: 3, sweeps_per_step: 2}
)";

fs::path dir() {
  static const fs::path d = [] {
    const fs::path p = test::tmpDir() / "campaign" / "monte_carlo";
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
  }();
  return d;
}

test::Run campaign(const fs::path& out, int ranks, const std::string& extra = "", const std::string& env = "",
                   bool merge = true) {
  const fs::path cfg = test::writeFile(dir() / "mc.yaml", kMc);
  return test::runVna(fmt::format("campaign {} --output {} {}", test::shellQuote(cfg.string()),
                                  test::shellQuote(out.string()), extra),
                      ranks, merge, env);
}

TEST(MonteCarloCampaign, EveryMethodFindsTheGroundStatesAndCountsItsWork) {
  const auto r = campaign(dir() / "whole.h5", 1, "--json", "", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("rows").size(), 16u);  // 2 instances × 4 methods × 2 lengths
  const int N = 14;
  for (const auto& row : j.at("rows")) {
    const std::string m = row.at("method");
    const int A = row.at("annealing_steps");
    // Origin: the configured counts (sa.replicas, sqa.replicas, pt.runs, pa.runs × pa.population).
    EXPECT_EQ(row.at("samples").get<int>(), m == "sa" ? 20 : m == "sqa" ? 6 : m == "pt" ? 5 : 120) << row.dump();
    // Origin: E0 is the exact minimum (enumeration); round-off only.
    EXPECT_GE(row.at("min_residual_energy_per_spin").get<double>(), -1e-12) << row.dump();
    // Every method reaches the ground state of N = 14 at 60 steps (the streams are fixed: a failure is
    // a broken method, not bad luck).
    if (A == 60) {
      EXPECT_TRUE(row.at("reached_ground_state").get<bool>()) << row.dump();
    }
    (void)N;
  }
  h5::Handle f = h5::openFile((dir() / "whole.h5").string(), MPI_COMM_SELF, false);
  const auto attempts = h5::readDataset<std::int64_t>(f, "campaign/results/attempts");
  const auto steps = h5::readDataset<std::int64_t>(f, "campaign/results/annealing_steps");
  const auto method = h5::readDataset<std::int64_t>(f, "campaign/results/method");
  for (std::size_t k = 0; k < attempts.size(); ++k) {
    const std::int64_t A = steps[k];
    // Origin: replicas × steps × sweeps × N (SQA × (P + 1), PT × M, PA × population), SA's 10 warm-up
    // sweeps included (work is work).
    const std::int64_t expected[] = {20 * (A * 2 + 10) * N, 6 * A * 1 * N * 9, 5 * 6 * A * 1 * N, 3 * 40 * A * 2 * N};
    EXPECT_EQ(attempts[k], expected[method[k]]) << "row " << k;
  }
  const auto kernels = h5::readStringListAttribute(h5::openGroup(f, "campaign"), "monte_carlo_kernels");
  ASSERT_EQ(kernels.size(), 4u);
  EXPECT_EQ(kernels[0], "sa: dense");
  EXPECT_EQ(kernels[2], "pt: dense");
}

TEST(MonteCarloCampaign, TwoRanksWriteTheSameFileAsOne) {
  ASSERT_EQ(campaign(dir() / "one.h5", 1).exit_code, 0);
  const auto r = campaign(dir() / "two.h5", 2);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(test::compareH5((dir() / "one.h5").string(), (dir() / "two.h5").string(), {"timing"}), "");
}

TEST(MonteCarloCampaign, AStopInsideARowIsRerunOnResume) {
  ASSERT_EQ(campaign(dir() / "reference.h5", 1).exit_code, 0);
  const fs::path out = dir() / "stopped.h5";
  // Row 5 = instance 0, pt, 60 steps: SIGTERM at its first step; the row is abandoned.
  const auto r1 = campaign(out, 2, "", "VNA_CAMPAIGN_SIGNAL_IN_ROW=5");
  EXPECT_EQ(r1.exit_code, 3) << r1.out;
  EXPECT_NE(r1.out.find("stopped by a signal in a pt row of instance 0 (row 5); 5 of 16 rows are done"),
            std::string::npos)
      << r1.out;
  ASSERT_TRUE(fs::exists(out.string() + ".partial"));
  const auto r2 = campaign(out, 1, "--resume");
  EXPECT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_NE(r2.out.find("5 of 16 rows already done"), std::string::npos) << r2.out;
  EXPECT_EQ(test::compareH5((dir() / "reference.h5").string(), out.string(), {"timing"}), "");
}

}  // namespace
}  // namespace vna
