// The campaign inputs of the variational neural annealing paper's protocol (input/*_paper_campaign*.yaml):
// each is a valid campaign (strict keys, the instances and ground truth it names), its network and
// training are the paper's (per-site weights, d_h = 40, Ns = 50, 1000 warm-up updates, 5 updates and 5
// SA/SQA sweeps per annealing step: the sources in the files' comments), and the reduced variant, labelled
// as such, changes only sizes and lengths, never the update itself.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "app/model_from_config.hpp"
#include "campaign/campaign_spec.hpp"
#include "config/config.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

struct Family {
  const char* name;      // input/<name>_paper_campaign[_reduced].yaml
  const char* cell;
  const char* data;      // ../shared/data subfolder it needs ("" for generated instances)
  std::size_t instances;  // of the full input
};

std::string firstLine(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(PaperInputs, FollowThePublishedProtocolAndTheReducedOnesOnlyShrinkIt) {
  const Family families[] = {{"ea_10x10", "tensorized2d", "ea_10x10", 25},
                             {"sk", "dilated1d", "", 5 * 25},
                             {"wishart", "dilated1d", "wishart_n32", 25}};
  int checked_specs = 0;
  for (const Family& f : families) {
    const auto dir = test::sourceDir() / "input";
    const auto full_path = dir / (std::string(f.name) + "_paper_campaign.yaml");
    const auto reduced_path = dir / (std::string(f.name) + "_paper_campaign_reduced.yaml");
    const Config full = Config::load(full_path), reduced = Config::load(reduced_path);
    for (const Config* c : {&full, &reduced}) {
      SCOPED_TRACE(c == &full ? full_path.string() : reduced_path.string());
      EXPECT_EQ(c->getString("ansatz.cell"), f.cell);
      EXPECT_FALSE(c->getBool("ansatz.weight_sharing"));
      EXPECT_EQ(c->getInt("ansatz.hidden"), 40);
      EXPECT_EQ(c->getInt("anneal.samples"), 50);
      EXPECT_EQ(c->getInt("anneal.train_steps"), 5);
      EXPECT_EQ(c->getInt("sa.sweeps_per_step"), 5);
      EXPECT_EQ(c->getInt("sqa.sweeps_per_step"), 5);
      for (const char* key : {"anneal.T0", "anneal.learning_rate", "sa.T0", "sqa.gamma0", "sqa.T"})
        EXPECT_EQ(c->getReal(key), full.getReal(key)) << key;
      EXPECT_EQ(c->getInt("sqa.trotter_slices"), full.getInt("sqa.trotter_slices"));
      EXPECT_EQ(c->getInt("sa.warmup_sweeps"), full.getInt("sa.warmup_sweeps"));
      if (*f.data && !test::haveSharedData(f.data)) continue;  // the instances are not here
      const CampaignSpec spec = campaignSpecFromConfig(*c, modelSpecFromConfig(*c));
      EXPECT_TRUE(spec.usesVariational());
      if (c == &full) {
        EXPECT_EQ(spec.instances.size(), f.instances);
      }
      ++checked_specs;
    }
    EXPECT_EQ(full.getInt("anneal.warmup_steps"), 1000);
    EXPECT_NE(firstLine(reduced_path).find("REDUCED"), std::string::npos) << reduced_path;
    EXPECT_LT(reduced.getInt("anneal.warmup_steps"), full.getInt("anneal.warmup_steps"));
  }
  if (checked_specs < 6) GTEST_SKIP() << "published instances not found in " << test::sharedDataDir();
}

}  // namespace
}  // namespace vna
