#pragma once
// The planes of a landscape: for every requested snapshot θ*, the directions δ, η (Gaussian, a
// snapshot difference or the trajectory's principal axes; normalized to θ* and optionally
// orthogonalized) and the trajectory's coordinates in the plane.
#include <vector>

#include "landscape/landscape.hpp"
#include "landscape/landscape_request.hpp"
#include "landscape/landscape_source.hpp"
#include "landscape/trajectory.hpp"

namespace vna {

struct LandscapePlanes {
  std::vector<LandscapeSnapshot> snapshots;  // in the order requested (all of the source's: chronological)
  TrajectoryPca pca;                         // of the trajectory (empty below 3 distinct points)
};

// Input errors name the landscape key concerned (`config`: the landscape's config).
LandscapePlanes landscapePlanes(const LandscapeRequest& request, const LandscapeSource& source,
                                const ParamLayout& layout, const Config& config);

}  // namespace vna
