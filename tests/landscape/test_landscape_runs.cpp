// End-to-end `vna landscape` runs on a small annealing result (Newman-Moore L = 3): identical files on
// 1 and 2 ranks, an interrupted and resumed run equals an uninterrupted one, the file layout, non-finite
// points, bad configs, and the loss at θ* against the annealing trace.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "io/h5.hpp"
#include "support/h5_compare.hpp"
#include "support/run_vna.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

namespace fs = std::filesystem;

fs::path workDir(const std::string& name) { return test::freshDir("landscape", name); }

// A short VCA run with 4 snapshots and 2 replicas (about a second).
const char* kAnneal = R"(model: {type: newman_moore, L: 3}
ansatz: {cell: vanilla2d, hidden: 12, seed: 3}
anneal: {mode: classical, T0: 2.0, warmup_steps: 40, annealing_steps: 40, train_steps: 2, samples: 50,
         learning_rate: 2e-3, snapshots: [initial, after_warmup, "1.0", final]}
replicas: {count: 2, seed: 5}
analysis: {samples: 1000, stored_samples: 10}
)";

// The annealing result shared by the tests of this file (made once).
const fs::path& source() {
  static const fs::path path = [] {
    const fs::path dir = workDir("source");
    const fs::path cfg = test::writeFile(dir / "nm3.yaml", kAnneal);
    const auto r = test::runVna(fmt::format("anneal {} --output {}", test::shellQuote(cfg.string()),
                                            test::shellQuote((dir / "nm3.anneal.h5").string())));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return dir / "nm3.anneal.h5";
  }();
  return path;
}

std::string landscapeConfig(const std::string& body) {
  return fmt::format("landscape:\n  source: {}\n{}", source().string(), body);
}

test::Run landscape(const fs::path& cfg, const fs::path& out, int ranks, const std::string& extra = "",
                    const std::string& env = "", bool merge = true) {
  return test::runVna(fmt::format("landscape {} --output {} {}", test::shellQuote(cfg.string()),
                                  test::shellQuote(out.string()), extra),
                      ranks, merge, env);
}

// 3 snapshots × 9×7 points; batch 10 gives chunks of one row (7 points): 9 per snapshot, 27 in all.
const char* kGrid = R"(  snapshots: [initial, "T=1.0", final]
  points: [9, 7]
  alpha: [-1.0, 1.0]
  beta: [-0.5, 0.5]
  directions: {kind: gaussian, normalize: block}
  samples: 40
  batch: 10
)";

TEST(LandscapeRuns, OneTwoAndFourRanksGiveIdenticalFiles) {
  const fs::path dir = workDir("ranks");
  const fs::path cfg = test::writeFile(dir / "ls.yaml", landscapeConfig(kGrid));
  const auto r1 = landscape(cfg, dir / "np1.h5", 1, "--json", "", false);
  const auto r2 = landscape(cfg, dir / "np2.h5", 2, "--json", "", false);
  ASSERT_EQ(r1.exit_code, 0) << r1.out;
  ASSERT_EQ(r2.exit_code, 0) << r2.out;
  EXPECT_EQ(test::compareH5((dir / "np1.h5").string(), (dir / "np2.h5").string(), {}), "");
  // 4 ranks on this 2-core machine need OpenMPI's consent to oversubscribe.
  const auto r4 = landscape(cfg, dir / "np4.h5", 4, "", "OMPI_MCA_rmaps_base_oversubscribe=1");
  ASSERT_EQ(r4.exit_code, 0) << r4.out;
  EXPECT_EQ(test::compareH5((dir / "np1.h5").string(), (dir / "np4.h5").string(), {}), "");
  const auto j1 = nlohmann::json::parse(r1.out), j2 = nlohmann::json::parse(r2.out);
  EXPECT_EQ(j1.at("snapshots"), j2.at("snapshots"));
  ASSERT_EQ(j1.at("snapshots").size(), 3u);
  for (const auto& s : j1.at("snapshots")) {
    EXPECT_EQ(s.at("points_done").get<int>(), 63);
    EXPECT_EQ(s.at("nonfinite_points").get<int>(), 0);
    EXPECT_LE(s.at("loss_min").get<double>(), s.at("loss_max").get<double>());
  }
}

TEST(LandscapeRuns, FileLayout) {
  const fs::path dir = workDir("layout");
  const fs::path cfg = test::writeFile(dir / "ls.yaml", landscapeConfig(kGrid));
  ASSERT_EQ(landscape(cfg, dir / "ls.h5", 0).exit_code, 0);
  h5::Handle f = h5::openFile((dir / "ls.h5").string(), MPI_COMM_SELF, false);
  for (const char* a : {"config", "source", "source_config", "vna_version", "git_commit", "directions", "normalize"})
    EXPECT_TRUE(h5::hasAttribute(f, a)) << a;
  EXPECT_EQ(h5::readStringAttribute(f, "command"), "landscape");
  EXPECT_EQ(h5::readStringAttribute(f, "normalize"), "block");
  EXPECT_TRUE(h5::exists(f, "model"));
  // The trajectory: the 4 snapshots of replica 0 (no /anneal/trajectory in the source), and its PCA plane.
  std::vector<hsize_t> dims;
  EXPECT_EQ(h5::readDataset<std::int64_t>(f, "trajectory/after_update").size(), 4u);
  h5::readDataset<double>(f, "trajectory/pca", &dims);
  EXPECT_EQ(dims, (std::vector<hsize_t>{4, 2}));
  const auto n = h5::readDataset<double>(f, "landscape/final/theta_star").size();
  h5::readDataset<double>(f, "trajectory/pca_components", &dims);
  EXPECT_EQ(dims, (std::vector<hsize_t>{2, n}));
  h5::Handle top = h5::openGroup(f, "landscape");
  EXPECT_EQ(h5::readStringListAttribute(top, "snapshots"), (std::vector<std::string>{"initial", "T=1.0", "final"}));
  for (const char* label : {"initial", "T=1.0", "final"}) {
    h5::Handle g = h5::openGroup(top, label);
    EXPECT_EQ(h5::readStringAttribute(g, "label"), label);
    EXPECT_EQ(h5::readStringAttribute(g, "mode"), "classical");
    for (const char* a : {"temperature", "gamma", "after_update", "snapshot_index"}) EXPECT_TRUE(h5::hasAttribute(g, a));
    EXPECT_EQ(h5::readDataset<double>(g, "alpha", &dims).size(), 9u);
    EXPECT_EQ(h5::readDataset<double>(g, "beta", &dims).size(), 7u);
    for (const char* name : {"loss", "loss_err", "energy", "entropy", "min_energy"}) {
      const auto v = h5::readDataset<double>(g, name, &dims);
      EXPECT_EQ(dims, (std::vector<hsize_t>{9, 7})) << name;
      for (double x : v) EXPECT_TRUE(std::isfinite(x)) << name;
    }
    for (const char* name : {"done", "nonfinite"}) {
      const auto v = h5::readDataset<std::uint8_t>(g, name, &dims);
      EXPECT_EQ(dims, (std::vector<hsize_t>{9, 7})) << name;
      for (auto x : v) EXPECT_EQ(x, name[0] == 'd' ? 1 : 0) << name;
    }
    for (const char* name : {"delta", "eta", "theta_star"}) EXPECT_EQ(h5::readDataset<double>(g, name).size(), n);
    h5::readDataset<double>(g, "trajectory", &dims);
    EXPECT_EQ(dims, (std::vector<hsize_t>{4, 2}));
    // The snapshot itself sits at the origin of its own plane (least squares of θ* − θ* = 0).
    const auto tr = h5::readDataset<double>(g, "trajectory");
    const auto after = h5::readDataset<std::int64_t>(f, "trajectory/after_update");
    const auto at = h5::readIntAttribute(g, "after_update");
    for (std::size_t t = 0; t < after.size(); ++t)
      if (after[t] == at) {
        EXPECT_NEAR(std::hypot(tr[2 * t], tr[2 * t + 1]), 0.0, 1e-12);
      }
    // Block normalization: ‖δ‖ = ‖θ*‖ summed over blocks (closed form: Σ_b ‖θ*_b‖² = ‖θ*‖²).
    const auto d = h5::readDataset<double>(g, "delta"), th = h5::readDataset<double>(g, "theta_star");
    double dd = 0, tt = 0;
    for (std::size_t i = 0; i < n; ++i) dd += d[i] * d[i], tt += th[i] * th[i];
    EXPECT_NEAR(dd, tt, 1e-10 * tt);
  }
}

// Origin: the "initial" snapshot is θ before the first update, and the annealing trace's loss[r][0]
// is the free energy of that same network at T0 (warmup) from 50 other samples; the landscape point
// α = β = 0 estimates the same quantity from 200 independent samples. 3-sigma bound on the
// difference of two independent means.
TEST(LandscapeRuns, LossAtTheSnapshotMatchesTheAnnealingTrace) {
  const fs::path dir = workDir("origin");
  const fs::path cfg = test::writeFile(dir / "ls.yaml", landscapeConfig(R"(  snapshots: [initial]
  replica: 1
  points: [3, 3]
  samples: 200
)"));
  ASSERT_EQ(landscape(cfg, dir / "ls.h5", 0).exit_code, 0);
  h5::Handle f = h5::openFile((dir / "ls.h5").string(), MPI_COMM_SELF, false);
  const auto loss = h5::readDataset<double>(f, "landscape/initial/loss");
  const auto err = h5::readDataset<double>(f, "landscape/initial/loss_err");
  EXPECT_EQ(h5::readDataset<double>(f, "landscape/initial/alpha")[1], 0.0);  // centre of [-1, 1], 3 points
  h5::Handle a = h5::openFile(source().string(), MPI_COMM_SELF, false);
  const auto trace = h5::readDataset<double>(a, "anneal/trace/loss");
  const auto trace_err = h5::readDataset<double>(a, "anneal/trace/loss_err");
  const auto T = h5::readDataset<double>(a, "anneal/trace/temperature");
  const std::size_t U = T.size();
  EXPECT_DOUBLE_EQ(h5::readDoubleAttribute(h5::openGroup(f, "landscape/initial"), "temperature"), T[0]);
  const double l0 = loss[4], e0 = err[4], t0 = trace[1 * U + 0], te = trace_err[1 * U + 0];  // replica 1
  EXPECT_LT(std::abs(l0 - t0), 3.0 * std::hypot(e0, te)) << "landscape " << l0 << " ± " << e0 << ", trace " << t0
                                                          << " ± " << te;
}

TEST(LandscapeRuns, ResumeAfterInterruptionEqualsAnUninterruptedRun) {
  const fs::path dir = workDir("resume");
  const fs::path cfg = test::writeFile(dir / "ls.yaml", landscapeConfig(kGrid));
  ASSERT_EQ(landscape(cfg, dir / "whole.h5", 2).exit_code, 0);
  // SIGTERM once chunk 12 (the 4th row of the second snapshot) is done: flush, exit 3, partial file kept.
  const fs::path out = dir / "resumed.h5";
  const auto r1 = landscape(cfg, out, 2, "", "VNA_SIGNAL_AFTER_CHUNK=12");
  EXPECT_EQ(r1.exit_code, 3) << r1.out;
  EXPECT_NE(r1.out.find("--resume"), std::string::npos) << r1.out;
  EXPECT_FALSE(fs::exists(out));
  ASSERT_TRUE(fs::exists(out.string() + ".partial"));
  {
    // Some but not all points are done.
    h5::Handle f = h5::openFile(out.string() + ".partial", MPI_COMM_SELF, false);
    int done = 0;
    for (const char* label : {"initial", "T=1.0", "final"})
      for (auto x : h5::readDataset<std::uint8_t>(f, std::string("landscape/") + label + "/done")) done += x;
    EXPECT_GT(done, 0);
    EXPECT_LT(done, 3 * 63);
  }
  // Resume on another rank count: only the rest is computed.
  const auto r2 = landscape(cfg, out, 1, "--resume --json", "", false);
  ASSERT_EQ(r2.exit_code, 0) << r2.out;
  const auto j = nlohmann::json::parse(r2.out);
  EXPECT_GT(j.at("points_computed").get<int>(), 0);
  EXPECT_LT(j.at("points_computed").get<int>(), 3 * 63);
  for (const auto& s : j.at("snapshots")) EXPECT_EQ(s.at("points_done").get<int>(), 63);
  EXPECT_EQ(test::compareH5((dir / "whole.h5").string(), out.string(), {}), "");
}

TEST(LandscapeRuns, NonFinitePointsAreFlaggedNotFatal) {
  const fs::path dir = workDir("nonfinite");
  const fs::path cfg = test::writeFile(dir / "ls.yaml", landscapeConfig(R"(  snapshots: [final]
  points: [3, 3]
  alpha: [-1.0e30, 1.0e30]
  beta: [-1.0e30, 1.0e30]
  samples: 20
)"));
  const auto r = landscape(cfg, dir / "ls.h5", 2, "--json", "", false);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto s = nlohmann::json::parse(r.out).at("snapshots").at(0);
  EXPECT_EQ(s.at("points_done").get<int>(), 9);
  // Float networks with parameters of order 1e30 overflow; only the centre (θ* itself) is finite.
  EXPECT_EQ(s.at("nonfinite_points").get<int>(), 8);
  h5::Handle f = h5::openFile((dir / "ls.h5").string(), MPI_COMM_SELF, false);
  const auto flags = h5::readDataset<std::uint8_t>(f, "landscape/final/nonfinite");
  for (int k = 0; k < 9; ++k) EXPECT_EQ(flags[k], k == 4 ? 0 : 1) << k;
}

TEST(LandscapeRuns, LineScanAndPcaDirections) {
  const fs::path dir = workDir("line");
  const fs::path cfg = test::writeFile(dir / "ls.yaml", landscapeConfig(R"(  snapshots: [final]
  points: [11, 1]
  line: true
  directions: {kind: pca}
  alpha: [-2.0, 2.0]
  samples: 20
)"));
  ASSERT_EQ(landscape(cfg, dir / "ls.h5", 0).exit_code, 0);
  h5::Handle f = h5::openFile((dir / "ls.h5").string(), MPI_COMM_SELF, false);
  std::vector<hsize_t> dims;
  h5::readDataset<double>(f, "landscape/final/loss", &dims);
  EXPECT_EQ(dims, (std::vector<hsize_t>{11, 1}));
  EXPECT_EQ(h5::readDataset<double>(f, "landscape/final/beta"), std::vector<double>{0.0});
  // PCA directions centred at the final snapshot: the trajectory in the landscape plane is its PCA
  // coordinates (orthonormal axes through θ_final; equal to rounding).
  const auto pca = h5::readDataset<double>(f, "trajectory/pca");
  const auto tr = h5::readDataset<double>(f, "landscape/final/trajectory");
  ASSERT_EQ(pca.size(), tr.size());
  for (std::size_t k = 0; k < pca.size(); ++k) EXPECT_NEAR(pca[k], tr[k], 1e-9 * (1 + std::abs(pca[k])));
}

// anneal.trajectory_every (stored for the landscape's trajectory overlay): θ every K updates, equal to
// the snapshots taken after the same updates, the same on 1 and 2 ranks, and used by `vna landscape`.
TEST(LandscapeRuns, AnnealTrajectoryEveryFeedsTheOverlay) {
  const fs::path dir = workDir("trajectory");
  const fs::path cfg = test::writeFile(dir / "a.yaml", std::string(kAnneal) + "\n");
  auto anneal = [&](int ranks, const std::string& out) {
    const auto r = test::runVna(fmt::format("anneal {} --output {} --set anneal.trajectory_every=10",
                                            test::shellQuote(cfg.string()), test::shellQuote((dir / out).string())),
                                ranks);
    EXPECT_EQ(r.exit_code, 0) << r.out;
  };
  anneal(1, "np1.h5");
  anneal(2, "np2.h5");
  EXPECT_EQ(test::compareH5((dir / "np1.h5").string(), (dir / "np2.h5").string(), {"timing"}), "");
  {
    h5::Handle f = h5::openFile((dir / "np1.h5").string(), MPI_COMM_SELF, false);
    std::vector<hsize_t> dims;
    const auto tr = h5::readDataset<double>(f, "anneal/trajectory/params", &dims);
    const auto after = h5::readDataset<std::int64_t>(f, "anneal/trajectory/after_update");
    // 40 warmup + 40 steps × 2 updates = 120 updates: rows after updates -1, 9, ..., 119.
    ASSERT_EQ(dims.size(), 3u);
    EXPECT_EQ(dims[0], 2u);
    EXPECT_EQ(dims[1], 13u);
    ASSERT_EQ(after.size(), 13u);
    EXPECT_EQ(after.front(), -1);
    EXPECT_EQ(after.back(), 119);
    const std::size_t n = dims[2];
    // Snapshots initial (after -1), after_warmup (after 39) and final (after 119) are rows 0, 4 and 12.
    const std::pair<const char*, std::size_t> same[] = {{"initial", 0}, {"after_warmup", 4}, {"final", 12}};
    for (const auto& [label, row] : same) {
      const auto snap = h5::readDataset<double>(f, std::string("anneal/snapshots/") + label + "/params");
      for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t i = 0; i < n; ++i)
          ASSERT_EQ(tr[(r * 13 + row) * n + i], snap[r * n + i]) << label << " replica " << r << " entry " << i;
    }
  }
  const fs::path lcfg = test::writeFile(dir / "ls.yaml", fmt::format(R"(landscape:
  source: {}
  snapshots: [final]
  points: [3, 3]
  samples: 10
  directions: {{kind: pca}}
)",
                                                                      (dir / "np1.h5").string()));
  ASSERT_EQ(landscape(lcfg, dir / "ls.h5", 0).exit_code, 0);
  h5::Handle f = h5::openFile((dir / "ls.h5").string(), MPI_COMM_SELF, false);
  EXPECT_EQ(h5::readStringAttribute(h5::openGroup(f, "trajectory"), "origin"), "anneal/trajectory");
  EXPECT_EQ(h5::readDataset<double>(f, "trajectory/pca").size(), 2u * 13u);
}

// A bad config is reported once, names the key/file and line, exits with 2 on every rank and leaves no file.
void expectInputError(const std::string& name, const std::string& body, const std::vector<std::string>& fragments,
                      int ranks = 2) {
  const fs::path dir = workDir("bad_" + name);
  const fs::path cfg = test::writeFile(dir / "ls.yaml", body);
  const fs::path out = dir / "ls.h5";
  const auto r = landscape(cfg, out, ranks);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  for (const auto& frag : fragments) EXPECT_NE(r.out.find(frag), std::string::npos) << name << ": " << r.out;
  EXPECT_EQ(test::countOccurrences(r.out, "vna: error"), 1) << r.out;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".partial"));
}

TEST(LandscapeRuns, BadConfigsAreClearInputErrors) {
  expectInputError("zero_points", landscapeConfig("  points: [0, 10]\n"),
                   {"ls.yaml", "landscape.points", "out of range", "line 3"});
  expectInputError("unknown_snapshot", landscapeConfig("  snapshots: [final, T=7]\n"),
                   {"ls.yaml", "landscape.snapshots", "unknown snapshot 'T=7'", "line 3", "after_warmup"});
  expectInputError("missing_source", "landscape:\n  source: nowhere.h5\n",
                   {"ls.yaml", "landscape.source", "nowhere.h5", "not found", "line 2"});
  expectInputError("model_mismatch", landscapeConfig("model: {type: newman_moore, L: 4}\n"),
                   {"ls.yaml", "model.L", "differs from the annealing run", "line 3"}, 0);
  expectInputError("bad_replica", landscapeConfig("  replica: 2\n"), {"landscape.replica", "2 replica(s)"}, 0);
}

// A per-site network end to end (ansatz.weight_sharing: false, the default for Edwards-Anderson):
// anneal, then a landscape on 1 and 2 ranks (identical files: the kernel forms each point's
// parameters the same way whatever the chunking), then analyze; every file's block table leads with
// the site dimension (origin: makeParamLayout's shapes for N = 9).
TEST(LandscapeRuns, PerSiteNetworkThroughAnnealLandscapeAndAnalyze) {
  const fs::path dir = workDir("per_site");
  const fs::path acfg = test::writeFile(dir / "ea.yaml", R"(model: {type: edwards_anderson, Lx: 3, Ly: 3, seed: 2}
ansatz: {cell: tensorized2d, hidden: 6, seed: 3}
anneal: {T0: 1.0, warmup_steps: 10, annealing_steps: 10, train_steps: 1, samples: 30, snapshots: [final]}
replicas: {count: 2, seed: 5}
analysis: {samples: 200, stored_samples: 5}
)");
  const fs::path source_file = dir / "ea.anneal.h5";
  const auto a = test::runVna(fmt::format("anneal {} --output {}", test::shellQuote(acfg.string()),
                                          test::shellQuote(source_file.string())));
  ASSERT_EQ(a.exit_code, 0) << a.out;
  {
    h5::Handle f = h5::openFile(source_file.string(), MPI_COMM_SELF, false);
    h5::Handle g = h5::openGroup(f, "anneal");
    EXPECT_EQ(h5::readStringAttribute(g, "weight_sharing"), "per_site");
    const auto shapes = h5::readStringListAttribute(g, "param_block_shapes");
    ASSERT_EQ(shapes.size(), 4u);  // T, c, U, d
    EXPECT_EQ(shapes[0], "9x4x6x12");
    EXPECT_EQ(shapes[3], "9x2");
  }
  const fs::path lcfg = test::writeFile(dir / "ls.yaml", fmt::format(R"(landscape:
  source: {}
  points: [5, 4]
  directions: {{kind: gaussian, normalize: block}}
  samples: 30
  batch: 6
)", source_file.string()));
  ASSERT_EQ(landscape(lcfg, dir / "np1.h5", 1).exit_code, 0);
  ASSERT_EQ(landscape(lcfg, dir / "np2.h5", 2).exit_code, 0);
  EXPECT_EQ(test::compareH5((dir / "np1.h5").string(), (dir / "np2.h5").string(), {}), "");
  {
    h5::Handle f = h5::openFile((dir / "np1.h5").string(), MPI_COMM_SELF, false);
    EXPECT_EQ(h5::readStringAttribute(f, "weight_sharing"), "per_site");
  }
  const fs::path ycfg = test::writeFile(dir / "an.yaml", fmt::format("analysis: {{source: {}, samples: 100}}\n",
                                                                     source_file.string()));
  const auto y = test::runVna(fmt::format("analyze {} --output {}", test::shellQuote(ycfg.string()),
                                          test::shellQuote((dir / "an.h5").string())));
  EXPECT_EQ(y.exit_code, 0) << y.out;
}

}  // namespace
}  // namespace vna
