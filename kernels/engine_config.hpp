#pragma once
// What an RnnEngine is built from: the cell, the hidden size, the lattice whose autoregressive
// order the network follows, and the backend that runs it.
#include <cstddef>
#include <cstdint>

#include "model/lattice.hpp"
#include "param_layout.hpp"

namespace vna {

// Which implementation runs the engine. kKokkos: the Kokkos kernels (kernels/kokkos; on the host with
// Debian's Serial Kokkos). kCuda: the native CUDA kernels (kernels/cuda, in builds with
// VNA_ENABLE_CUDA; every cell, shared and per site).
// kDefault: whatever this process selected with setDefaultBackend (backend_registry.hpp; vna's
// commands select it from backend.device), so that drivers never need to know.
enum class Backend { kDefault, kKokkos, kCuda };

struct EngineConfig {
  CellKind cell = CellKind::kVanilla2d;
  int hidden = 40;  // d_h
  Lattice lattice;
  // Upper bound on the rolling-buffer scratch of a forward pass without kept activations; work items
  // beyond it are processed in successive waves (the landscape's huge-P case). Kokkos backend only.
  std::size_t scratch_bytes = std::size_t(256) << 20;
  Backend backend = Backend::kDefault;
  // One set of weights for all sites, or one per site (every block gets a leading site dimension).
  WeightSharing sharing = WeightSharing::kShared;
};

// Counters of the sampling random stream besides (position, sample, stream id): see sampling_rule.hpp.
struct SampleCounters {
  std::uint64_t seed = 0;
  std::uint32_t step = 0;          // annealing step (or any per-call counter)
  std::uint32_t first_sample = 0;  // sample s of this call uses counter first_sample + s
};

}  // namespace vna
