// The published benchmark instances (data/README.md): simulated annealing reaches the exact ground
// energies of most of the 25 Edwards-Anderson 10x10 instances, the campaign reads their ground states
// and listed energies consistently, and the planted Wishart files bound every annealed energy.
// Skipped (with the reason) when ../shared/data is absent.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "baselines/simulated_annealing.hpp"
#include "campaign/campaign_spec.hpp"
#include "config/config.hpp"
#include "model/coupling_file.hpp"
#include "support/run_vna.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

namespace fs = std::filesystem;

fs::path eaDir() { return test::sharedDataDir() / "ea_10x10"; }

// Origin of the tolerance: data/README.md ("use a tolerance of 1e-7 per spin").
constexpr double kPublishedTolerancePerSpin = 1e-7;

TEST(PublishedInstances, SimulatedAnnealingReachesTheExactGroundStateOfMostEaInstances) {
  if (!test::haveSharedData("ea_10x10")) GTEST_SKIP() << "published instances not found in " << test::sharedDataDir();
  int reached = 0;
  for (int s = 1; s <= 25; ++s) {
    const std::string tag = std::to_string(s);
    const Model m = readCouplingFile((eaDir() / ("10x10_uniform_seed" + tag + ".txt")).string(), 1);
    const double e0 = m.hamiltonian.energy(readSpinUpList((eaDir() / ("gs_seed" + tag + ".txt")).string(), 100, 1));
    McStreamId id;
    id.seed = 1;
    id.realization = static_cast<std::uint32_t>(s);
    // 16 replicas of 2000 single-sweep steps, T0 = 1 falling linearly to 0.
    const MonteCarloBatch b =
        simulatedAnnealing(m.hamiltonian, saSchedule(1.0, 2000, ScheduleShape::kLinear, 1), id, 0, 16);
    const double best = *std::min_element(b.energy.begin(), b.energy.end());
    EXPECT_GE(best, e0 - kPublishedTolerancePerSpin * 100) << "seed " << s << ": below the exact ground energy";
    if (best <= e0 + kPublishedTolerancePerSpin * 100) ++reached;
  }
  // "Most" = a majority, 13 of 25. These settings reached 18 of 25 when the test was written (the
  // streams are deterministic); the margin allows a change of stream layout.
  EXPECT_GE(reached, 13);
}

TEST(PublishedInstances, CampaignReadsGroundStatesAndListedEnergies) {
  if (!test::haveSharedData("ea_10x10")) GTEST_SKIP() << "published instances not found in " << test::sharedDataDir();
  // The Edwards-Anderson builder regenerates the files (tests/model checks it bit for bit); the ground
  // states come from the gs files, cross-checked against the listed energies.
  const std::string yaml = fmt::format(
      "model: {{type: edwards_anderson, Lx: 10, Ly: 10, couplings: uniform, seed: 1}}\n"
      "campaign: {{methods: [sa], realizations: 25, ground_states: '{0}/gs_seed{{seed}}.txt',\n"
      "           ground_energies: '{0}/GS_energies_per_spin_seeds1-25.txt'}}\n",
      eaDir().string());
  const Config cfg = Config::parse(yaml, "ea.yaml");
  ModelSpec base;
  base.type = "edwards_anderson";
  base.Lx = base.Ly = 10;
  base.seed = 1;
  const CampaignSpec spec = campaignSpecFromConfig(cfg, base);
  ASSERT_EQ(spec.instances.size(), 25u);
  const std::vector<double> listed = readNumberList((eaDir() / "GS_energies_per_spin_seeds1-25.txt").string());
  ASSERT_EQ(listed.size(), 25u);  // Origin: the published file lists seeds 1..25.
  for (const auto& inst : spec.instances) {
    ASSERT_TRUE(inst.truth.energy.has_value());
    EXPECT_TRUE(inst.truth.exact_energy);
    EXPECT_NE(inst.truth.origin.find("gs_seed" + std::to_string(inst.realization + 1) + ".txt"), std::string::npos);
    // Origin: data/README.md, listed energies agree with the gs files to about 4e-8 per spin.
    EXPECT_NEAR(*inst.truth.energy / 100, listed[inst.realization], kPublishedTolerancePerSpin);
    // Origin: the round-off tolerance of an exact ground energy.
    EXPECT_DOUBLE_EQ(inst.truth.tolerance, 1e-9 * std::abs(*inst.truth.energy));
  }
  // Without ground states the listed values are the ground truth, with the published tolerance.
  const Config listed_only = Config::parse(fmt::format("model: {{type: edwards_anderson, Lx: 10, Ly: 10}}\n"
                                                       "campaign: {{realizations: 3, ground_energies: "
                                                       "'{}/GS_energies_per_spin_seeds1-25.txt'}}\n",
                                                       eaDir().string()),
                                           "ea.yaml");
  const CampaignSpec s2 = campaignSpecFromConfig(listed_only, base);
  EXPECT_DOUBLE_EQ(*s2.instances[2].truth.energy, listed[2] * 100);
  EXPECT_DOUBLE_EQ(s2.instances[2].truth.tolerance, kPublishedTolerancePerSpin * 100);
  EXPECT_FALSE(s2.instances[2].truth.exact_energy);
}

TEST(PublishedInstances, WishartFilesHavePlantedGroundStates) {
  if (!test::haveSharedData("wishart_n32"))
    GTEST_SKIP() << "published instances not found in " << test::sharedDataDir();
  std::string paths;
  for (int r = 1; r <= 5; ++r)
    paths += fmt::format("{}'{}/wpe_size32_alpha0.5_realization{}.txt'", r > 1 ? ", " : "",
                         (test::sharedDataDir() / "wishart_n32").string(), r);
  const Config cfg = Config::parse(
      fmt::format("model: {{type: coupling_file, path: [{}], format: matrix}}\ncampaign: {{planted_all_up: true}}\n",
                  paths),
      "wpe.yaml");
  ModelSpec base;
  base.type = "coupling_file";
  base.format = "matrix";
  for (const auto& p : cfg.getStringList("model.path")) base.paths.push_back(p);
  const CampaignSpec spec = campaignSpecFromConfig(cfg, base);
  ASSERT_EQ(spec.instances.size(), 5u);  // realizations 0 = every listed file
  // Origin: data/README.md, alpha 0.5 realization 1 has E0/N = -0.25126008 (8 digits given).
  EXPECT_NEAR(*spec.instances[0].truth.energy / 32, -0.25126008, 5e-9);
  for (const auto& inst : spec.instances) {
    // Origin: Z2 symmetry of H = -(1/2) s^T J s: all down is the planted partner of all up.
    EXPECT_NEAR(inst.model.hamiltonian.energy(std::vector<Bit>(32, 0)), *inst.truth.energy, 1e-12);
    McStreamId id;
    id.realization = static_cast<std::uint32_t>(inst.realization);
    const MonteCarloBatch b =
        simulatedAnnealing(inst.model.hamiltonian, saSchedule(1.0, 500, ScheduleShape::kLinear, 1), id, 0, 8);
    // Origin: the planted state is a ground state (Hamze et al. 2020), so nothing lies below it. (SA does
    // not reliably reach it: with 8 replicas it did on 3 of these 5 files only after 20000 steps.)
    for (double e : b.energy) EXPECT_GE(e, *inst.truth.energy - inst.truth.tolerance);
  }
}

}  // namespace
}  // namespace vna
