#pragma once
// What users of cuda::Engine above the kernels need from the CUDA backend's adapter (cuda_backend.cpp).
#include "cuda/cuda_engine.hpp"
#include "model/lattice.hpp"
#include "param_layout.hpp"

namespace vna {
namespace cuda {

// The kernels' description of a vanilla network (layout offsets, order, predecessor table).
NetworkSpec networkSpecOf(const Lattice& lattice, const ParamLayout& layout);

}  // namespace cuda
}  // namespace vna
