#pragma once
// The parameter block table stored in result files: how the flat θ of a network is laid out.
#include <hdf5.h>

#include "param_layout.hpp"

namespace vna {

// Attributes param_block_names, param_block_offsets, param_block_sizes on `object`; for per-site
// layouts also weight_sharing = "per_site", param_block_shapes ("100x4x40x80": the leading site
// dimension first) and param_block_site_sizes. With `always_describe_sharing` shared layouts get
// weight_sharing = "shared" and their shapes too (files whose format allows it; the anneal group of
// shared networks keeps the format it had before per-site weights existed).
void writeBlockTable(hid_t object, const ParamLayout& layout, bool always_describe_sharing = false);

}  // namespace vna
