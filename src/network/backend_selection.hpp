#pragma once
// backend.device of a config, turned into the process-wide default backend of the engine and the
// network service (backend_registry.hpp).
#include <string>

#include "network/ansatz.hpp"

namespace vna {

class Config;

// backend.device: cpu (the Kokkos kernels), cuda (the native CUDA kernels; an input error naming
// backend.device where this build has none or a rank sees no GPU) or auto (cuda when every rank sees
// a GPU). Sets the default backend and returns the provenance string (identical on every rank); with
// `ansatz`, it says when that network's cell runs on kokkos anyway. Collective.
std::string selectBackend(const Config& config, const AnsatzSpec* ansatz);

}  // namespace vna
