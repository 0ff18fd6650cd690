#pragma once
// What a `vna landscape` run asks for: the landscape.* keys of its config (landscapeRequestFromConfig
// is the only place that reads them), and the check that keys it repeats from the source's sections
// agree with the source.
#include <cstdint>
#include <string>
#include <vector>

#include "landscape/directions.hpp"
#include "landscape/grid.hpp"

namespace vna {

class Config;

struct LandscapeRequest {
  std::string source;                  // as given ("": the `vna anneal` output of this config)
  std::vector<std::string> snapshots;  // labels of the source's snapshots (empty: all)
  std::int64_t replica = 0;
  LandscapeGrid grid;
  bool line = false;
  DirectionKind kind = DirectionKind::kGaussian;
  DirectionNormalization normalize = DirectionNormalization::kNone;
  bool orthogonalize = false;
  std::uint64_t direction_seed = 1;
  std::vector<std::string> direction_snapshots;  // kind snapshots: [A, B], δ = θ(B) − θ(A)
  int samples = 0;                               // 0: the source's anneal.samples
  std::uint64_t seed = 1;
  std::int64_t batch = 200;
  double flush_minutes = 5.0, progress_seconds = 10.0;
};

// Input errors name the key and its line.
LandscapeRequest landscapeRequestFromConfig(const Config& config);

// The landscape config may repeat model/ansatz/anneal/replicas keys; they must agree with the
// source's stored config `run` (else an input error naming the key).
void checkAgreesWithSource(const Config& config, const Config& run, const std::string& source);

}  // namespace vna
