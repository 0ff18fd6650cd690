#pragma once
// Path-integral replicas (P Trotter slices each, simulated_quantum_annealing.hpp) advanced by the fast
// kernels: sparse and pbody (local fields from the neighbours, spins [slice][site][lane]) and dense
// (a field row per slice and replica). Like ClassicalChains: kLanes replicas per SIMD group, groups
// interleaved four to a thread and run in parallel over the host execution space, the random
// numbers of LaneDraws keyed by (replica id, step, attempt), so a replica's trajectory does not
// depend on where it runs. Attempt t of a sweep s: local moves t = s·N(P+1) + k·N + i (slice k,
// site i), then the all-slice moves t = s·N(P+1) + P·N + i.
#include <cstdint>
#include <memory>
#include <vector>

#include "baselines/classical_chains.hpp"

namespace vna {

class QuantumChains {
 public:
  static std::unique_ptr<QuantumChains> create(const McModel& model, McKernel kernel, ChainStreams streams,
                                               std::vector<std::uint32_t> ids, int slices);
  virtual ~QuantumChains() = default;

  int size() const { return static_cast<int>(ids_.size()); }
  int slices() const { return slices_; }

  // Slice k of replica `id` starts at bits k·N .. k·N + N − 1 of initialBits(id, P·N): the reference
  // kernel's initial world.
  void randomize();
  // `num_sweeps` sweeps of annealing step `step` at β_P = 1/(P T) and inter-slice coupling K.
  virtual void sweep(std::uint32_t step, int num_sweeps, float beta_p, float K, bool global_moves) = 0;
  virtual void getSlice(int slot, int k, Bit* out) const = 0;
  virtual void setSlice(int slot, int k, const Bit* in) = 0;

 protected:
  QuantumChains(const McModel& model, ChainStreams streams, std::vector<std::uint32_t> ids, int slices)
      : model_(model), streams_(streams), ids_(std::move(ids)), slices_(slices) {}
  int numGroups() const { return (size() + kLanes - 1) / kLanes; }
  void groupIds(int g, std::uint32_t* out) const;

  const McModel& model_;
  ChainStreams streams_;
  std::vector<std::uint32_t> ids_;
  int slices_;
};

}  // namespace vna
