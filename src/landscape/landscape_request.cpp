#include "landscape/landscape_request.hpp"

#include <fmt/format.h>

#include "config/config.hpp"
#include "config/schema.hpp"

namespace vna {

LandscapeRequest landscapeRequestFromConfig(const Config& cfg) {
  LandscapeRequest r;
  const auto points = cfg.getIntList("landscape.points");
  r.line = cfg.getBool("landscape.line");
  const auto arange = cfg.getRealList("landscape.alpha");
  const auto brange = cfg.getRealList("landscape.beta");
  if (r.line && cfg.given("landscape.points") && points[1] != 1)
    cfg.fail("landscape.points", fmt::format("line: true scans along δ only: use [{}, 1]", points[0]));
  if (r.line && cfg.given("landscape.beta")) cfg.fail("landscape.beta", "not used with line: true (β = 0)");
  if (!(arange[0] < arange[1]) && !(points[0] == 1 && arange[0] == arange[1]))
    cfg.fail("landscape.alpha", fmt::format("needs min < max, got [{}, {}]", arange[0], arange[1]));
  if (!r.line && !(brange[0] < brange[1]) && !(points[1] == 1 && brange[0] == brange[1]))
    cfg.fail("landscape.beta", fmt::format("needs min < max, got [{}, {}]", brange[0], brange[1]));
  if (static_cast<double>(points[0]) * static_cast<double>(r.line ? 1 : points[1]) > 4294967295.0)
    cfg.fail("landscape.points", fmt::format("[{}, {}] is more than 2^32 points per snapshot (their sampling streams "
                                             "are 32-bit)",
                                             points[0], points[1]));
  if (cfg.getInt("landscape.samples") == 1)
    cfg.fail("landscape.samples", "needs at least 2 samples (a standard error), or 0 for the annealing Ns");
  r.grid.alpha = gridAxis(arange[0], arange[1], points[0]);
  r.grid.beta = r.line ? std::vector<double>{0.0} : gridAxis(brange[0], brange[1], points[1]);
  r.source = cfg.getString("landscape.source");
  r.snapshots = cfg.getStringList("landscape.snapshots");
  r.replica = cfg.getInt("landscape.replica");
  r.kind = parseDirectionKind(cfg.getString("landscape.directions.kind"));
  r.normalize = parseDirectionNormalization(cfg.getString("landscape.directions.normalize"));
  r.orthogonalize = cfg.getBool("landscape.directions.orthogonalize");
  r.direction_seed = static_cast<std::uint64_t>(cfg.getInt("landscape.directions.seed"));
  if (r.kind == DirectionKind::kSnapshots) r.direction_snapshots = cfg.getStringList("landscape.directions.snapshots");
  r.samples = static_cast<int>(cfg.getInt("landscape.samples"));
  r.seed = static_cast<std::uint64_t>(cfg.getInt("landscape.seed"));
  r.batch = cfg.getInt("landscape.batch");
  r.flush_minutes = cfg.getReal("landscape.flush_minutes");
  r.progress_seconds = cfg.getReal("landscape.progress_seconds");
  return r;
}

void checkAgreesWithSource(const Config& cfg, const Config& run, const std::string& source) {
  for (const auto& k : configKeys()) {
    const std::string section = k.path.substr(0, k.path.find('.'));
    if (section != "model" && section != "ansatz" && section != "anneal" && section != "replicas") continue;
    if (!cfg.given(k.path)) continue;
    bool same = run.has(k.path);
    if (same) {
      switch (k.kind) {
        case ValueKind::kInt: same = cfg.getInt(k.path) == run.getInt(k.path); break;
        case ValueKind::kReal: same = cfg.getReal(k.path) == run.getReal(k.path); break;
        case ValueKind::kBool: same = cfg.getBool(k.path) == run.getBool(k.path); break;
        case ValueKind::kString:
        case ValueKind::kEnum: same = cfg.getString(k.path) == run.getString(k.path); break;
        case ValueKind::kIntList: same = cfg.getIntList(k.path) == run.getIntList(k.path); break;
        case ValueKind::kRealList: same = cfg.getRealList(k.path) == run.getRealList(k.path); break;
        case ValueKind::kStringList:
        case ValueKind::kStringOrList: same = cfg.getStringList(k.path) == run.getStringList(k.path); break;
      }
    }
    if (!same)
      cfg.fail(k.path, fmt::format("differs from the annealing run in '{}' (the landscape uses the model, network "
                                   "and schedule stored there; drop the key or fix landscape.source)",
                                   source));
  }
}

}  // namespace vna
