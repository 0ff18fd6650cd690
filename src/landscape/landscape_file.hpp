#pragma once
// The /landscape group of a result file (doc/design.md, "Landscape file"): laid out once (or checked
// on --resume), then written a round at a time, every rank its own chunk's hyperslabs, the values
// before the done mask. Also the file's description of the source and directions and the
// trajectory group.
#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/mpi_comm.hpp"
#include "io/h5.hpp"
#include "io/result_file.hpp"
#include "landscape/grid.hpp"
#include "landscape/landscape.hpp"
#include "landscape/landscape_request.hpp"
#include "landscape/trajectory.hpp"

namespace vna {

// Values [Na][Nb] per snapshot, in LossStats' order, and the flags.
inline constexpr const char* kLandscapeValues[] = {"loss", "loss_err", "energy", "entropy", "min_energy"};
inline constexpr int kNumLandscapeValues = 5;
inline constexpr const char* kLandscapeFlags[] = {"done", "nonfinite"};
inline constexpr int kNumLandscapeFlags = 2;

class LandscapeFile {
 public:
  // Collective. Fresh file, or a partial one interrupted while being laid out: creates /landscape and
  // /landscape/<label>/ for every snapshot; resumed: checks that they describe the same computation
  // (same grid, θ*, directions; else an input error).
  LandscapeFile(const Comm& comm, ResultFile& file, const LandscapeSettings& settings,
                const std::vector<LandscapeSnapshot>& snapshots);

  // What a resumed file holds for snapshot si: done and nonfinite masks and the losses ([Na][Nb];
  // empty for a fresh file).
  struct Done {
    std::vector<std::uint8_t> done, nonfinite;
    std::vector<double> loss;
  };
  Done done(std::size_t si) const;

  // Collective: snapshot si's values and flags for `chunk` from this rank (mine = false: this rank
  // has none for it but takes part).
  void writeChunk(std::size_t si, bool mine, const GridChunk& chunk, const std::vector<double> (&values)[kNumLandscapeValues],
                  const std::vector<std::uint8_t> (&flags)[kNumLandscapeFlags]);

 private:
  ResultFile& file_;
  std::vector<std::vector<h5::Handle>> dsets_;  // [snapshot][values, flags]
  std::vector<std::string> labels_;
};

// Collective, once per fresh file: the root attributes that describe the source and the directions,
// and /trajectory (its PCA when there is one).
void writeLandscapeDescription(const Comm& comm, ResultFile& file, const LandscapeRequest& request,
                               const std::string& source, const std::string& source_config,
                               const Trajectory& trajectory, const TrajectoryPca& pca);

}  // namespace vna
