#include "analysis/sample_analysis.hpp"
#include "config/config.hpp"

namespace vna {

AnalysisSettings analysisSettingsFromConfig(const Config& c) {
  AnalysisSettings a;
  if (c.has("analysis.source")) a.source = c.getString("analysis.source");
  a.samples = c.getInt("analysis.samples");
  a.stored = c.getInt("analysis.stored_samples");
  a.seed = static_cast<std::uint64_t>(c.getInt("replicas.seed"));
  a.ansatz = ansatzFromConfig(c);
  return a;
}

}  // namespace vna
