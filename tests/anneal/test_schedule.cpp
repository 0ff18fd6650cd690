// The annealing schedule: control values per update, a schedule that ends above zero (anneal.T_final,
// anneal.gamma_final), and snapshot labels resolved against it. Origins: the schedule formulas of
// src/anneal/schedule.hpp (x_end + (x0 − x_end) s(a/A)), evaluated here by hand.
#include <gtest/gtest.h>

#include "anneal/annealer.hpp"
#include "anneal/schedule.hpp"
#include "config/config.hpp"
#include "core/error.hpp"

namespace vna {
namespace {

Config parse(const std::string& text) { return Config::parse(text, "test.yaml"); }

TEST(Schedule, EndValueShiftsTheWholeSchedule) {
  EXPECT_DOUBLE_EQ(scheduledValue(10.0, 0.0, 1.0), 10.0);
  EXPECT_DOUBLE_EQ(scheduledValue(10.0, 0.0, 0.25), 2.5);
  EXPECT_DOUBLE_EQ(scheduledValue(10.0, 0.5, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(scheduledValue(10.0, 0.5, 0.5), 5.25);  // 0.5 + 9.5 / 2
  EXPECT_DOUBLE_EQ(scheduledValue(0.3, 0.3, 0.7), 0.3);    // start = end: a constant
}

TEST(Schedule, TFinalEndsTheTemperatureAboveZero) {
  const Config c = parse(R"(model: {type: newman_moore, L: 3}
anneal: {mode: classical, T0: 2.0, T_final: 0.5, warmup_steps: 2, annealing_steps: 4, train_steps: 3,
         snapshots: [initial, "1.0", final]}
)");
  const AnnealSettings s = annealSettingsFromConfig(c);
  EXPECT_DOUBLE_EQ(s.T_final, 0.5);
  // Step a = 1..4 of a linear schedule: T = 0.5 + 1.5 (1 − a/4) = 1.625, 1.25, 0.875, 0.5.
  const double expected[] = {1.625, 1.25, 0.875, 0.5};
  for (int a = 1; a <= 4; ++a)
    EXPECT_DOUBLE_EQ(scheduledValue(s.T0, s.T_final, s.plan.fractionAtStep(a)), expected[a - 1]) << "step " << a;
  const auto snaps = resolveSnapshots(s, &c);
  ASSERT_EQ(snaps.size(), 3u);
  // "1.0": the first step with T <= 1.0 is step 3 (T = 0.875), whose last update is 2 + 3·3 − 1 = 10.
  EXPECT_EQ(snaps[1].label, "T=1.0");
  EXPECT_EQ(snaps[1].after_update, 10);
  EXPECT_DOUBLE_EQ(snaps[1].temperature, 0.875);
  EXPECT_DOUBLE_EQ(snaps[2].temperature, 0.5);  // final: T_final, not 0
}

TEST(Schedule, GammaFinalEndsTheFieldAboveZero) {
  const Config c = parse(R"(model: {type: newman_moore, L: 3}
anneal: {mode: regularized, T0: 0.3, T_final: 0.3, gamma0: 4.0, gamma_final: 1.0, warmup_steps: 0,
         annealing_steps: 3, train_steps: 1, snapshots: [final]}
)");
  const AnnealSettings s = annealSettingsFromConfig(c);
  const auto snaps = resolveSnapshots(s, &c);
  ASSERT_EQ(snaps.size(), 1u);
  EXPECT_DOUBLE_EQ(snaps[0].gamma, 1.0);
  EXPECT_DOUBLE_EQ(snaps[0].temperature, 0.3);  // T0 = T_final: a constant entropy term
}

TEST(Schedule, EndAboveTheStartIsAnInputError) {
  const Config c = parse("model: {type: newman_moore, L: 3}\nanneal: {T0: 1.0, T_final: 2.0}\n");
  try {
    annealSettingsFromConfig(c);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("anneal.T_final"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vna
