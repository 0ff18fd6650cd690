#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/config.hpp"
#include "config/schema.hpp"
#include "core/error.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

// Expects parse() to throw InputError whose message contains every fragment.
void expectError(const std::string& yaml, const std::vector<std::string>& fragments,
                 const std::vector<std::string>& overrides = {}) {
  try {
    Config::parse(yaml, "in.yaml", overrides);
    ADD_FAILURE() << "no error for:\n" << yaml;
  } catch (const InputError& e) {
    for (const auto& f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
  }
}

TEST(Config, DefaultsAreFilledIn) {
  const Config c = Config::parse("model: {type: newman_moore, L: 6}\n", "in.yaml");
  EXPECT_EQ(c.getInt("model.L"), 6);
  EXPECT_EQ(c.getReal("model.J"), 1.0);
  EXPECT_EQ(c.getRealList("exact.temperatures").size(), 3u);
  EXPECT_FALSE(c.has("model.N"));  // not a key of newman_moore
  EXPECT_TRUE(c.given("model.L"));
  EXPECT_FALSE(c.given("model.J"));
}

TEST(Config, EmptyFileIsAllDefaults) {
  const Config c = Config::parse("", "in.yaml");
  EXPECT_EQ(c.getString("model.type"), "newman_moore");
  EXPECT_EQ(c.getInt("model.L"), 4);
}

TEST(Config, ErrorsNameTheKeyAndTheLine) {
  expectError("model:\n  type: newman_moore\n  Lz: 3\n", {"in.yaml", "model.Lz: unknown key", "line 3"});
  expectError("model:\n  type: newman_moore\n  Lx: 3\n", {"model.Lx", "not used when model.type is newman_moore", "line 3"});
  expectError("model:\n  L: six\n", {"model.L", "expected an integer, got 'six'", "line 2"});
  expectError("model:\n  L: 1\n", {"model.L", "out of range", ">= 2", "line 2"});
  expectError("modle:\n  L: 4\n", {"modle: unknown section", "line 1"});
  expectError("model: {type: potts}\n", {"model.type", "'potts' is not one of", "newman_moore"});
  expectError("model: {type: sherrington_kirkpatrick}\n", {"model.N: missing required key"});
  expectError("exact:\n  temperatures: [1, -2]\n", {"exact.temperatures", "out of range", "line 2"});
  expectError("exact:\n  temperatures: 1.0\n", {"exact.temperatures", "expected a list of numbers"});
  expectError("model: [1, 2\n", {"in.yaml", "YAML syntax error", "line"});
  expectError("- 1\n- 2\n", {"top level must be a mapping"});
  expectError("model:\n  J: true\n", {"model.J", "expected a number, got 'true'"});
}

TEST(Config, SuggestsNearbyKeys) {
  expectError("exact:\n  temperature: [1]\n", {"did you mean exact.temperatures?"});
}

TEST(Config, OverridesApplyAndAreReported) {
  const Config c = Config::parse("model: {L: 4}\n", "in.yaml", {"model.L=6", "exact.temperatures=[0.5, 1]"});
  EXPECT_EQ(c.getInt("model.L"), 6);
  EXPECT_EQ(c.getRealList("exact.temperatures"), (std::vector<double>{0.5, 1.0}));
  EXPECT_EQ(c.where("model.L"), "--set model.L=6");
  expectError("", {"--set model.Q: unknown key"}, {"model.Q=3"});
  expectError("", {"model.L", "expected an integer", "--set model.L=x"}, {"model.L=x"});
  expectError("", {"expected section.key=value"}, {"model.L"});
  // Overriding the discriminator changes which keys apply.
  const Config sk = Config::parse("", "in.yaml", {"model.type=sherrington_kirkpatrick", "model.N=20"});
  EXPECT_EQ(sk.getInt("model.N"), 20);
  EXPECT_FALSE(sk.has("model.L"));
}

TEST(Config, ResolvedYamlRoundTrips) {
  const Config c = Config::parse("model: {type: edwards_anderson, Lx: 3, Ly: 4}\n", "in.yaml");
  const Config again = Config::parse(c.resolvedYaml(), "resolved.yaml");
  EXPECT_EQ(again.resolvedYaml(), c.resolvedYaml());
  EXPECT_EQ(again.getInt("model.Ly"), 4);
  EXPECT_EQ(c.seeds(), (std::vector<std::string>{"model.seed=1", "ansatz.seed=1", "replicas.seed=1",
                                                "landscape.directions.seed=1", "landscape.seed=1", "campaign.seed=1"}));
}

// Keys grouped in a nested mapping (`landscape.directions.kind`) parse, report their lines, accept
// --set with the full path, and reject unknown nested keys and scalars given for a group.
TEST(Config, NestedKeyGroups) {
  const Config c = Config::parse("landscape:\n  directions: {kind: pca, seed: 7}\n", "in.yaml",
                                 {"landscape.directions.normalize=block"});
  EXPECT_EQ(c.getString("landscape.directions.kind"), "pca");
  EXPECT_EQ(c.getInt("landscape.directions.seed"), 7);
  EXPECT_EQ(c.getString("landscape.directions.normalize"), "block");
  EXPECT_TRUE(c.given("landscape.directions.kind"));
  const Config again = Config::parse(c.resolvedYaml(), "resolved.yaml");
  EXPECT_EQ(again.resolvedYaml(), c.resolvedYaml());
  expectError("landscape:\n  directions:\n    kind: pca\n    sead: 2\n",
              {"in.yaml", "landscape.directions.sead", "unknown key", "did you mean landscape.directions.seed", "line 4"});
  expectError("landscape:\n  directions: pca\n", {"landscape.directions", "must be a mapping", "line 2"});
  expectError("landscape:\n  directions: {kind: sideways}\n", {"landscape.directions.kind", "line 2"});
}

TEST(Config, PathsAreRelativeToTheConfigFile) {
  const Config c = Config::parse("model: {type: coupling_file, path: inst.txt}\n", "/data/run/in.yaml");
  EXPECT_EQ(c.resolvePath(c.getStringList("model.path").at(0)), std::filesystem::path("/data/run/inst.txt"));
}

// doc/input_reference.md is generated from the schema (`vna schema > doc/input_reference.md`).
TEST(Config, InputReferenceIsInStepWithTheSchema) {
  std::ifstream in(test::sourceDir() / "doc" / "input_reference.md");
  ASSERT_TRUE(in) << "doc/input_reference.md is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_TRUE(ss.str() == inputReferenceMarkdown())
      << "doc/input_reference.md is stale: regenerate it with `build/src/vna schema > doc/input_reference.md`";
}

}  // namespace
}  // namespace vna
