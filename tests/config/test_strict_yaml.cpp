// Strict YAML (src/config/strict_yaml.hpp), finite numbers, the keys a command reads
// (src/app/command_keys.hpp) and config differences (src/config/config_diff.hpp).
#include <gtest/gtest.h>

#include "app/command_keys.hpp"
#include "config/config.hpp"
#include "config/config_diff.hpp"
#include "config/strict_yaml.hpp"
#include "core/error.hpp"

namespace vna {
namespace {

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void expectParseError(const std::string& yaml, const std::vector<std::string>& fragments,
                      const std::vector<std::string>& overrides = {}) {
  const std::string msg = errorOf([&] { Config::parse(yaml, "in.yaml", overrides); });
  ASSERT_FALSE(msg.empty()) << "no error for:\n" << yaml;
  for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
}

TEST(StrictYaml, DuplicateKeysAtAnyDepthAreErrors) {
  expectParseError("model: {L: 4, L: 5}\n", {"in.yaml", "model.L: duplicate key", "twice on line 1"});
  expectParseError("model:\n  L: 4\n  L: 5\n", {"model.L: duplicate key", "lines 2 and 3"});
  expectParseError("model: {L: 4}\nexact: {}\nmodel: {L: 5}\n", {"model: duplicate key", "lines 1 and 3"});
  expectParseError("landscape:\n  directions: {kind: pca, kind: gaussian}\n",
                   {"landscape.directions.kind: duplicate key", "line 2"});
}

TEST(StrictYaml, OneDocumentOnly) {
  // The reproducer of issue 15: text after a closed flow mapping was silently dropped.
  expectParseError("{model: {type: newman_moore, L: 4}}\nexact: {temperatures: [-5], bogus: 1}\n",
                   {"in.yaml", "text after the end of the first YAML document", "line 2"});
  expectParseError("model: {L: 4}\n---\nexact: {temperatures: [1]}\n", {"second document", "line 2"});  // the ---
  expectParseError("model: {L: 4}\n...\nexact: {temperatures: [1]}\n", {"line 3"});
}

TEST(StrictYaml, AStrayCommaIsAnErrorNotAnEndlessLoop) {
  // yaml-cpp 0.7's LoadAll allocates without end on this input (found by tests/app/test_fuzz.cpp).
  expectParseError(",model: {type: wishart_planted, N: 6}\n\t", {"in.yaml", "text after the end"});
}

TEST(StrictYaml, KeysArePlainNames) {
  expectParseError("? [a, b]\n: 1\n", {"a key must be a plain name, not a list", "line 1"});
  expectParseError("model: {? {x: 1} : 2}\n", {"model", "not a mapping"});
}

TEST(StrictYaml, EmptyAndCommentsOnlyParseToNull) {
  EXPECT_TRUE(loadStrictYaml("", "x").IsNull());
  EXPECT_TRUE(loadStrictYaml("# nothing\n\n# here\n", "x").IsNull());
}

TEST(FiniteNumbers, NonFiniteValuesAreRejectedEverywhere) {
  for (const char* v : {".inf", "-.inf", ".Inf", ".nan", ".NaN", "inf", "nan", "1e400", "-1e999"}) {
    expectParseError(fmt::format("model: {{L: 3, field: {}}}\n", v), {"model.field", "finite number", "line 1"});
    expectParseError("model: {L: 3}\n", {"model.J", "finite number", "--set model.J="},
                     {fmt::format("model.J={}", v)});
    expectParseError(fmt::format("exact: {{temperatures: [1.0, {}]}}\n", v), {"exact.temperatures", "finite"});
  }
  expectParseError("anneal: {T0: .inf}\n", {"anneal.T0", "finite number"});
  // Large but finite numbers are numbers (the energy scale is checked with the model, energy_scale.hpp).
  EXPECT_NO_THROW(Config::parse("model: {J: 1e300}\n", "in.yaml"));
}

TEST(FiniteNumbers, SetValuesAreStrictYamlToo) {
  expectParseError("model: {L: 3}\n", {"--set model.L", "cannot parse"}, {"model.L={a: 1, a: 2}"});
  expectParseError("model: {L: 3}\n", {"--set exact.temperatures", "cannot parse"}, {"exact.temperatures=[1] [2]"});
  const Config c = Config::parse("model: {L: 3}\n", "in.yaml", {"exact.temperatures=[0.5, 1]"});
  EXPECT_EQ(c.getRealList("exact.temperatures"), (std::vector<double>{0.5, 1.0}));
}

TEST(CommandKeys, EmptyConfigIsAnErrorForEveryCommand) {
  for (const char* cmd : {"exact", "anneal", "analyze", "landscape", "campaign"}) {
    for (const char* text : {"", "# only a comment\n"}) {
      const Config c = Config::parse(text, "in.yaml");
      const std::string msg = errorOf([&] { checkConfigForCommand(cmd, c); });
      EXPECT_NE(msg.find("in.yaml: the config is empty"), std::string::npos) << cmd << ": " << msg;
      EXPECT_NE(msg.find(std::string("`vna ") + cmd + "` needs at least the"), std::string::npos) << msg;
    }
  }
  // --set counts as given: a config may come from the command line alone.
  EXPECT_NO_THROW(checkConfigForCommand("exact", Config::parse("", "in.yaml", {"model.L=3"})));
  // Landscapes and analyses take their model from the source: their own section suffices.
  EXPECT_NO_THROW(checkConfigForCommand("landscape", Config::parse("landscape: {points: [3, 3]}\n", "in.yaml")));
  const std::string msg =
      errorOf([&] { checkConfigForCommand("exact", Config::parse("anneal: {T0: 3}\n", "in.yaml")); });
  EXPECT_NE(msg.find("needs at least the model section"), std::string::npos) << msg;
}

TEST(CommandKeys, CudaForAHostOnlyCommandIsAnError) {
  const Config c = Config::parse("model: {L: 3}\nbackend: {device: cuda}\n", "in.yaml");
  const std::string msg = errorOf([&] { checkConfigForCommand("exact", c); });
  EXPECT_NE(msg.find("backend.device: cuda: `vna exact` runs on the host only"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(line 2)"), std::string::npos) << msg;
  EXPECT_NO_THROW(checkConfigForCommand("exact", Config::parse("model: {L: 3}\nbackend: {device: cpu}\n", "in.yaml")));
}

TEST(CommandKeys, KeysACommandDoesNotReadAreListed) {
  const Config c = Config::parse(
      "model: {L: 3}\nanneal: {T0: 2, gamma0: 3}\nlandscape: {points: [3, 3]}\nanalysis: {source: x.h5}\n", "in.yaml");
  auto keys = [](const std::vector<IgnoredKey>& v) {
    std::vector<std::string> k;
    for (const auto& x : v) k.push_back(x.key);
    return k;
  };
  EXPECT_EQ(keys(checkConfigForCommand("exact", c)),
            (std::vector<std::string>{"anneal.T0", "anneal.gamma0", "analysis.source", "landscape.points"}));
  // vna anneal: classical mode does not use gamma0; analysis.source is vna analyze's.
  EXPECT_EQ(keys(checkConfigForCommand("anneal", c)),
            (std::vector<std::string>{"anneal.gamma0", "analysis.source", "landscape.points"}));
  EXPECT_TRUE(checkConfigForCommand("analyze", c).size() == 1u);  // landscape.points
  const Config camp = Config::parse("model: {L: 3}\ncampaign: {methods: [sa]}\nsqa: {T: 0.1}\nansatz: {hidden: 4}\n",
                                    "in.yaml");
  EXPECT_EQ(keys(checkConfigForCommand("campaign", camp)), (std::vector<std::string>{"ansatz.hidden", "sqa.T"}));
}

TEST(ConfigDiff, NamesTheKeysThatDiffer) {
  const Config a = Config::parse("model: {L: 4}\nanneal: {T0: 2}\n", "a.yaml");
  const Config b = Config::parse("model: {L: 5}\nanneal: {T0: 2, samples: 50}\n", "b.yaml");
  const auto d = configDifferences(a.resolvedYaml(), b.resolvedYaml());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].key, "anneal.samples");
  EXPECT_EQ(d[0].before, "100");
  EXPECT_EQ(d[0].after, "50");
  EXPECT_EQ(d[1].key, "model.L");
  EXPECT_EQ(describeDifferences(d, "the partial file"),
            "anneal.samples (100 in the partial file, 50 now), model.L (4 in the partial file, 5 now)");
  EXPECT_TRUE(configDifferences(a.resolvedYaml(), a.resolvedYaml()).empty());
}

}  // namespace
}  // namespace vna
