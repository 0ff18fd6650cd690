#pragma once
// The VCA / VQA driver: R replicas spread over the MPI ranks (rank k owns a contiguous block),
// batched on each rank through the network service; Adam on flat parameter vectors; trace, snapshots
// and restart checkpoints in the result file (anneal_file.hpp). Everything a replica does is a pure
// function of (seeds, replica id, update index), so results do not depend on the number of ranks
// and a resumed run ends with the same datasets as an uninterrupted one.
#include <cstddef>
#include <vector>

#include "anneal/anneal_settings.hpp"
#include "core/log.hpp"
#include "core/mpi_comm.hpp"
#include "io/result_file.hpp"
#include "model/model.hpp"

namespace vna {

struct AnnealOutcome {
  bool completed = false;              // false: stopped by a signal after checkpointing
  std::vector<double> final_params;    // [R][n], on every rank
  std::vector<double> final_loss, final_loss_err;  // [R], loss at the last update
  std::size_t num_params = 0;
};

// Runs (or, when the file was resumed, continues) the annealing. Collective.
AnnealOutcome runAnneal(const Comm& comm, const AnnealSettings& settings, const Model& model, ResultFile& file,
                        const Log& log);

}  // namespace vna
