#pragma once
// The annealing result a landscape is taken around: where it is, its stored config (the model, the
// network and the losses come from it), its snapshots θ* of one replica and its trajectory.
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/mpi_comm.hpp"
#include "io/result_file.hpp"
#include "landscape/trajectory.hpp"
#include "param_layout.hpp"

namespace vna {

struct SourceSnapshot {
  std::string label;
  std::int64_t after_update = -1;
  double temperature = 0, gamma = 0;
  std::string mode;
  std::vector<double> theta;  // of the chosen replica
};

struct LandscapeSource {
  std::string path;
  std::string stored_config;  // the resolved YAML of the annealing run
  Config config;              // ... parsed
  std::vector<SourceSnapshot> snapshots;  // chronological: a snapshot's index is its sampling stream
  Trajectory trajectory;      // θ every anneal.trajectory_every updates, else the snapshots
};

// The source's path: `given` absolute as is, relative next to the config, else in the current
// directory; "" the `vna anneal` output of this config. An input error naming landscape.source when
// it does not exist (decided on rank 0). Collective.
std::string findLandscapeSource(const Comm& comm, const Config& config, const RunOptions& options,
                                const std::string& given);

// Opens the source: its stored config (keys `config` repeats must agree with it) and the list of its
// snapshots (without parameters). Collective.
LandscapeSource openLandscapeSource(const Comm& comm, const std::string& path, const Config& config);

// The snapshots' θ and the trajectory of `replica` (of `replicas` in the source) for a network of
// `layout`; input errors name landscape.replica or the source. Collective.
void readSourceParameters(const Comm& comm, LandscapeSource& source, std::int64_t replica, std::int64_t replicas,
                          const ParamLayout& layout, const Config& config);

}  // namespace vna
