#include "campaign/campaign_analysis.hpp"

#include <fmt/format.h>

#include "campaign/campaign_table.hpp"
#include "core/error.hpp"
#include "io/h5.hpp"

namespace vna {

bool isCampaignResultFile(const std::string& path, const Comm& comm) {
  h5::Handle f = h5::openFile(path, comm.raw(), false);
  return isCampaignResult(f);
}

nlohmann::json analyzeCampaignResult(const Comm& comm, const Config& config, const RunOptions& options, const Log& log,
                                     const std::string& source) {
  CampaignTable t;
  {
    h5::Handle f = h5::openFile(source, comm.raw(), false);
    t = readCampaignTable(f);
  }
  if (t.residual.empty())
    throw InputError(
        fmt::format("{}: the campaign has no residual energies yet (not every row is done); finish it "
                    "with `vna campaign ... --resume`",
                    source));
  const auto summary = summarizeCampaign(t);
  ResultFile file(comm, resultPath(options, config), options, /*resumable=*/false, {{source, "the analysis.source"}});
  file.writeProvenance(config, "host (reads a campaign result)");
  h5::writeAttribute(file.root(), "source", source);
  writeSummary(file.root(), "campaign_summary", summary, comm);
  {
    // The per-instance ground truth the residuals refer to.
    h5::Handle g = h5::openGroup(file.root(), "campaign_summary");
    h5::writeDataset(g, "instance_ground_energy", t.ground_energy, comm.rank());
    writeStringDataset(g, "instance_ground_truth_origin", t.ground_truth_origin, comm);
  }
  file.commit();
  std::int64_t best_found = 0;
  for (const auto& o : t.ground_truth_origin) best_found += o == kBestFoundOrigin;
  log.info("{}: {} instance(s), {} row(s){}", source, t.numInstances(), t.numRows(),
           best_found
               ? fmt::format("; {} instance(s) without exact ground truth (residuals vs the best found)", best_found)
               : "");
  log.info(
      "residual energy per spin over instances (res/N = (<E> - E0)/N), P(GS) = fraction of instances reaching "
      "E0, GS frac = mean fraction of samples/replicas at E0:\n{}",
      summaryText(summary));
  log.info("wrote {}", file.path().string());
  nlohmann::json j;
  j["source"] = source;
  j["output"] = file.path().string();
  j["num_instances"] = t.numInstances();
  j["instances_without_exact_ground_truth"] = best_found;
  j["summary"] = summaryJson(summary);
  return j;
}

}  // namespace vna
