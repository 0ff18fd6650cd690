#pragma once
// The /campaign group of a result file (doc/design.md, "Campaign file"): laid out once with every row
// not done, then one row at a time (its cells, `done` last).
#include <hdf5.h>

#include <string>
#include <vector>

#include "campaign/campaign_spec.hpp"
#include "campaign/row_result.hpp"
#include "core/mpi_comm.hpp"
#include "io/h5.hpp"

namespace vna {

// Widths of the padded per-row datasets.
struct CampaignLayout {
  int max_spins = 0, max_replicas = 0;
};

// Replaces dataset `name` with v (rank 0 writes).
template <class T>
void writeWhole(hid_t loc, const std::string& name, const std::vector<T>& v, const Comm& comm) {
  if (h5::exists(loc, name)) VNA_H5(H5Ldelete(loc, name.c_str(), H5P_DEFAULT));
  h5::writeDataset(loc, name, v, comm.rank());
}

void createCampaignLayout(hid_t root, const CampaignSpec& spec, const std::vector<GroundTruthInfo>& truths,
                          const CampaignLayout& lay, const Comm& comm);
// Collective: row k's cells, `done` last (a row counts as done only once everything is written).
void writeCampaignRow(hid_t root, std::int64_t k, int N, const RowResult& r, double seconds, const CampaignLayout& lay,
                      const Comm& comm);
// Marks row k done. Called only after the row's data (raw data and metadata: the moved annealing
// trace of a VCA row) were flushed: a kill between them leaves the row not done, never done without
// its data.
void markCampaignRowDone(hid_t root, std::int64_t k, const Comm& comm);

}  // namespace vna
