// Campaign building blocks: quantiles and the summary over instances (closed forms), the reader of
// ground-energy lists, and the campaign section's validation and instance list.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "analysis/sample_analysis.hpp"
#include "campaign/campaign_rows.hpp"
#include "campaign/campaign_spec.hpp"
#include "campaign/campaign_table.hpp"
#include "core/error.hpp"
#include "model/sherrington_kirkpatrick.hpp"
#include "support/run_vna.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

namespace fs = std::filesystem;

// A row's energy_std pools the samples of its replicas. Origin (closed form): replicas {0, 2, 4} (mean 2,
// var 8/3, standard error sqrt(4/3)) and {6, 8} (mean 7, var 1, error 1) pool to {0, 2, 4, 6, 8}: mean 4,
// var 8, std sqrt(8); one replica alone gives its own std, sqrt(8/3).
TEST(CampaignRows, EnergyStdIsTheSpreadOfThePooledSamplesNotTheErrorOfTheMean) {
  ReplicaAnalysis a, b;
  a.samples = 3;
  a.mean_energy = 2;
  a.energy_err = std::sqrt(4.0 / 3.0);
  b.samples = 2;
  b.mean_energy = 7;
  b.energy_err = 1;
  EXPECT_NEAR(pooledEnergyStd({a, b}), std::sqrt(8.0), 1e-12);
  EXPECT_NEAR(pooledEnergyStd({a}), std::sqrt(8.0 / 3.0), 1e-12);
}

TEST(CampaignSummary, QuantilesInterpolateLinearlyBetweenOrderStatistics) {
  const std::vector<double> x = {1, 2, 3, 4};
  // Origin: Hyndman & Fan type 7 (numpy.quantile default): h = (n−1)p, linear between x[⌊h⌋], x[⌊h⌋+1].
  EXPECT_DOUBLE_EQ(quantileSorted(x, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantileSorted(x, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantileSorted(x, 0.1), 1.3);
  EXPECT_DOUBLE_EQ(quantileSorted(x, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantileSorted(x, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(quantileSorted({7.0}, 0.3), 7.0);
  EXPECT_TRUE(std::isnan(quantileSorted({}, 0.5)));
}

TEST(CampaignSummary, SummarizesResidualsOverInstancesPerMethodAndLength) {
  CampaignTable t;
  t.methods = {"sa", "vca"};
  t.steps = {10};
  // Three instances, two methods: rows (instance, method).
  for (int i = 0; i < 3; ++i)
    for (int m = 0; m < 2; ++m) {
      t.instance.push_back(i);
      t.method.push_back(m);
      t.annealing_steps.push_back(10);
      t.done.push_back(1);
    }
  t.residual = {0.0, 0.3, 0.2, 0.1, 0.4, 0.2};
  t.reached = {1, 0, 0, 0, 0, 1};
  t.ground_state_fraction = {0.5, NAN, 0.0, NAN, 0.0, NAN};
  const auto s = summarizeCampaign(t);
  ASSERT_EQ(s.size(), 2u);
  // Origin: by hand. sa residuals {0, 0.2, 0.4}; vca {0.3, 0.1, 0.2}.
  EXPECT_EQ(s[0].method, "sa");
  EXPECT_EQ(s[0].instances, 3);
  EXPECT_NEAR(s[0].mean, 0.2, 1e-15);
  EXPECT_NEAR(s[0].median, 0.2, 1e-15);
  EXPECT_NEAR(s[0].q25, 0.1, 1e-15);
  EXPECT_NEAR(s[0].q75, 0.3, 1e-15);
  EXPECT_DOUBLE_EQ(s[0].min, 0.0);
  EXPECT_DOUBLE_EQ(s[0].max, 0.4);
  EXPECT_NEAR(s[0].ground_state_probability, 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(s[0].mean_ground_state_fraction, 0.5 / 3.0, 1e-15);
  EXPECT_NEAR(s[1].median, 0.2, 1e-15);
  EXPECT_TRUE(std::isnan(s[1].mean_ground_state_fraction));  // unknown for every vca row
  const auto j = summaryJson(s);
  EXPECT_EQ(j[1]["method"], "vca");
  EXPECT_TRUE(j[1]["mean_ground_state_fraction"].is_null());
}

fs::path workDir(const std::string& name) { return test::freshDir("campaign_unit", name); }

TEST(CampaignSummary, ReadsGroundEnergyListsLikeThePublishedFile) {
  const fs::path d = workDir("numbers");
  // The published file's layout: a header line, a blank line, comma separated values with stray blanks.
  const fs::path p = test::writeFile(d / "gs.txt",
                                     "Ground state energies per spin for seeds = 1 to 3\n\n"
                                     "-0.7865039810, -0.6717205831,-0.7077779170 ,\n");
  EXPECT_EQ(readNumberList(p.string()), (std::vector<double>{-0.7865039810, -0.6717205831, -0.7077779170}));
  test::writeFile(d / "bad.txt", "1.0, 2.0, x3\n");
  try {
    readNumberList((d / "bad.txt").string());
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt:1: 'x3' is not a number"), std::string::npos) << e.what();
  }
  EXPECT_THROW(readNumberList((d / "missing.txt").string()), InputError);
}

CampaignSpec specOf(const std::string& yaml, const std::string& source = "c.yaml") {
  const Config c = Config::parse(yaml, source);
  ModelSpec base;
  base.type = c.getString("model.type");
  if (c.has("model.N")) base.N = static_cast<int>(c.getInt("model.N"));
  if (c.has("model.seed")) base.seed = static_cast<std::uint64_t>(c.getInt("model.seed"));
  if (c.has("model.path"))
    for (const auto& p : c.getStringList("model.path")) base.paths.push_back(c.resolvePath(p).string());
  return campaignSpecFromConfig(c, base);
}

void expectInputError(const std::string& yaml, const std::string& fragment) {
  try {
    specOf(yaml);
    FAIL() << "no error for:\n" << yaml;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(CampaignSpec, InstancesAreSizesTimesRealizations) {
  const CampaignSpec s = specOf(
      "model: {type: sherrington_kirkpatrick, N: 8, seed: 5}\n"
      "campaign: {methods: [sa, sqa], annealing_steps: [3, 30], sizes: [6, 10], realizations: 3, "
      "first_realization: 2}\n");
  ASSERT_EQ(s.instances.size(), 6u);
  EXPECT_EQ(s.numRows(), 6 * 2 * 2);
  EXPECT_EQ(s.row(1, 1, 0), (1 * 2 + 1) * 2 + 0);  // instance-major row order
  EXPECT_EQ(s.instances[4].size, 10);
  EXPECT_EQ(s.instances[4].realization, 3);
  EXPECT_EQ(s.instances[4].model.hamiltonian.numSpins(), 10);
  // Origin: the SK builder with (seed, realization) — the campaign's instance is the family's member.
  const Hamiltonian ref = sherringtonKirkpatrick(10, 5, 3).hamiltonian;
  ASSERT_EQ(ref.numTerms(), s.instances[4].model.hamiltonian.numTerms());
  for (std::size_t t = 0; t < ref.numTerms(); ++t)
    EXPECT_EQ(ref.termCoeff(t), s.instances[4].model.hamiltonian.termCoeff(t));
  EXPECT_FALSE(s.instances[0].truth.energy.has_value());  // enumeration comes later
}

TEST(CampaignSpec, GroundStateFilesFromAPattern) {
  const fs::path d = workDir("gs_pattern");
  // Two realizations of SK N = 6 with "ground states" given as up-spin lists, 1-based.
  test::writeFile(d / "gs_1.txt", "1 3 5\n");
  test::writeFile(d / "gs_2.txt", "# all up\n1 2 3 4 5 6\n");
  const CampaignSpec s =
      specOf(fmt::format("model: {{type: sherrington_kirkpatrick, N: 6}}\n"
                         "campaign: {{realizations: 2, ground_states: '{}/gs_{{r+1}}.txt'}}\n",
                         d.string()));
  const Hamiltonian& h0 = s.instances[0].model.hamiltonian;
  // Origin: E0 is the Hamiltonian's energy of the given state (bits 1 at sites 0, 2, 4).
  EXPECT_DOUBLE_EQ(*s.instances[0].truth.energy, h0.energy(std::vector<Bit>{1, 0, 1, 0, 1, 0}));
  EXPECT_DOUBLE_EQ(*s.instances[1].truth.energy, s.instances[1].model.hamiltonian.energy(std::vector<Bit>(6, 1)));
  EXPECT_NE(s.instances[1].truth.origin.find("gs_2.txt"), std::string::npos);
  // {seed} = model.seed + r for seeded families.
  test::writeFile(d / "seed_7.txt", "2\n");
  const CampaignSpec t =
      specOf(fmt::format("model: {{type: sherrington_kirkpatrick, N: 6, seed: 6}}\n"
                         "campaign: {{realizations: 1, first_realization: 1, "
                         "ground_states: '{}/seed_{{seed}}.txt'}}\n",
                         d.string()));
  EXPECT_NE(t.instances[0].truth.origin.find("seed_7.txt"), std::string::npos);
}

TEST(CampaignSpec, BadCampaignsAreInputErrors) {
  const std::string sk = "model: {type: sherrington_kirkpatrick, N: 6}\n";
  expectInputError(sk + "campaign: {methods: [sa, annealing]}\n", "unknown method 'annealing'");
  expectInputError(sk + "campaign: {methods: [sa, sa]}\n", "method 'sa' is listed twice");
  expectInputError(sk + "campaign: {annealing_steps: [10, 10]}\n", "10 is listed twice");
  expectInputError(sk + "campaign: {ground_states: [a.txt, b.txt], realizations: 3}\n", "lists 2 files");
  expectInputError(sk + "campaign: {ground_states: 'nowhere_{r}.txt'}\n", "nowhere_0.txt");
  expectInputError(sk + "campaign: {ground_energies: nowhere.txt}\n", "nowhere.txt' not found");
  expectInputError(sk + "campaign: {sizes: [6, 8], ground_states: g.txt}\n", "needs a single size");
  expectInputError(sk + "sqa: {gamma0: 0.1, gamma_min: 0.5}\n", "must not exceed sqa.gamma0");
  const fs::path d = workDir("bad");
  const std::string file = fmt::format("model: {{type: coupling_file, path: ['{}']}}\n",
                                       test::writeFile(d / "a.txt", "# index_base: 0\n0 1 1.0\n1 2 -0.5\n").string());
  expectInputError(file + "campaign: {ground_states: 'g{seed}.txt'}\n", "{seed} is only defined");
  expectInputError(file + "campaign: {first_realization: 1}\n", "lists only 1 file");
  expectInputError(file + "campaign: {realizations: 2}\n", "need 2 files");
  expectInputError("model: {type: coupling_file, path: [nowhere.txt]}\n", "nowhere.txt");
  // Schema-level: an empty list of annealing lengths.
  expectInputError(sk + "campaign: {annealing_steps: []}\n", "campaign.annealing_steps: needs at least 1");
}

}  // namespace
}  // namespace vna
