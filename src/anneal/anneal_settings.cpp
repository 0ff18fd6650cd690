#include "anneal/anneal_settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "config/config.hpp"
#include "core/error.hpp"

namespace vna {

AnnealSettings annealSettingsFromConfig(const Config& c) {
  AnnealSettings s;
  s.mode = parseLossMode(c.getString("anneal.mode"));
  s.T0 = c.getReal("anneal.T0");
  s.gamma0 = c.getReal("anneal.gamma0");
  s.T_final = c.getReal("anneal.T_final");
  s.gamma_final = c.getReal("anneal.gamma_final");
  if (s.T_final > s.T0) c.fail("anneal.T_final", fmt::format("must not exceed anneal.T0 = {}", s.T0));
  if (s.gamma_final > s.gamma0) c.fail("anneal.gamma_final", fmt::format("must not exceed anneal.gamma0 = {}", s.gamma0));
  s.plan.warmup = c.getInt("anneal.warmup_steps");
  s.plan.annealing = c.getInt("anneal.annealing_steps");
  s.plan.train = c.getInt("anneal.train_steps");
  s.plan.shape = parseScheduleShape(c.getString("anneal.schedule"));
  s.samples = static_cast<int>(c.getInt("anneal.samples"));
  s.learning_rate = c.getReal("anneal.learning_rate");
  s.snapshots = c.getStringList("anneal.snapshots");
  s.checkpoint_every = c.getInt("anneal.checkpoint_every");
  s.checkpoint_minutes = c.getReal("anneal.checkpoint_minutes");
  s.progress_seconds = c.getReal("anneal.progress_seconds");
  s.replicas = static_cast<int>(c.getInt("replicas.count"));
  s.sample_seed = static_cast<std::uint64_t>(c.getInt("replicas.seed"));
  s.ansatz = ansatzFromConfig(c);
  s.trajectory_every = c.getInt("anneal.trajectory_every");
  if (s.plan.numUpdates() == 0) c.fail("anneal.annealing_steps", "warmup_steps and annealing_steps are both 0: nothing to do");
  if (s.plan.numUpdates() > 0xFFFFFFF0LL) c.fail("anneal.annealing_steps", "more than 2^32 updates");
  resolveSnapshots(s, &c);  // validates the labels before any work
  return s;
}

double controlTemperature(const AnnealSettings& s, double fraction) {
  return s.mode == LossMode::kQuantum ? 0.0 : scheduledValue(s.T0, s.T_final, fraction);
}
double controlGamma(const AnnealSettings& s, double fraction) {
  return s.mode == LossMode::kClassical ? 0.0 : scheduledValue(s.gamma0, s.gamma_final, fraction);
}


std::vector<SnapshotPoint> resolveSnapshots(const AnnealSettings& s, const Config* config) {
  std::vector<SnapshotPoint> out;
  const AnnealPlan& plan = s.plan;
  auto add = [&](const std::string& label, std::int64_t after) {
    for (const auto& p : out)
      if (p.label == label) return;
    SnapshotPoint p;
    p.label = label;
    p.after_update = after;
    const double f = after < 0 ? 1.0 : plan.fraction(after);
    p.temperature = controlTemperature(s, f);
    p.gamma = controlGamma(s, f);
    out.push_back(p);
  };
  for (const auto& label : s.snapshots) {
    if (label == "initial") {
      add(label, -1);
    } else if (label == "after_warmup") {
      add(label, plan.warmup - 1);
    } else if (label == "final") {
      add(label, plan.numUpdates() - 1);
    } else {
      char* end = nullptr;
      const double x = std::strtod(label.c_str(), &end);
      if (end == label.c_str() || *end != '\0' || !(x >= 0)) {
        const std::string msg = fmt::format(
            "snapshot '{}' is neither initial, after_warmup, final nor a non-negative number", label);
        if (config) config->fail("anneal.snapshots", msg);
        throw InputError("anneal.snapshots: " + msg);
      }
      // The first annealing step whose control value is at or below x.
      const bool by_gamma = s.mode == LossMode::kQuantum;
      const double x0 = by_gamma ? s.gamma0 : s.T0, x_end = by_gamma ? s.gamma_final : s.T_final;
      std::int64_t a = 1;
      while (a < plan.annealing && scheduledValue(x0, x_end, plan.fractionAtStep(a)) > x) ++a;
      if (plan.annealing == 0) a = 0;
      add(fmt::format("{}={}", s.mode == LossMode::kQuantum ? "gamma" : "T", label), plan.lastUpdateOfStep(a));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.after_update < b.after_update; });
  return out;
}

}  // namespace vna
