#pragma once
// One VCA / VQA row of a campaign (an instance, a method, an annealing length) computed: the
// annealer into the campaign file followed by the analysis of fresh samples. Collective. The Monte
// Carlo rows (sa, sqa, pt, pa) are monte_carlo_row.hpp.
#include <cstdint>
#include <vector>

#include "campaign/campaign_runner.hpp"
#include "campaign/campaign_spec.hpp"
#include "campaign/row_result.hpp"
#include "core/log.hpp"
#include "core/mpi_comm.hpp"
#include "io/result_file.hpp"

namespace vna {

struct ReplicaAnalysis;

// Standard deviation of the energies of all samples of the replicas pooled (over the samples, not of
// the mean), from each replica's mean, standard error sqrt(var / (n - 1)) and sample count.
double pooledEnergyStd(const std::vector<ReplicaAnalysis>& replicas);

// Throws Interrupted when a signal stopped the annealer (its checkpoint is in the file).
RowResult variationalRow(const Comm& comm, const CampaignInstance& inst, CampaignMethod m, std::int64_t A,
                         std::int64_t row, const VariationalRunSettings& v, const GroundTruthInfo& truth,
                         ResultFile& file, const Log& log);

}  // namespace vna
