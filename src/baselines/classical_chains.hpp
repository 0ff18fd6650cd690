#pragma once
// Replicas of a classical spin model advanced by single-spin-flip Metropolis sweeps with the fast
// kernels (sparse, dense, pbody of mc_model.hpp): the engine of SA, PT and PA. Slots hold replicas;
// slot k has the global replica id ids[k], which keys its random words (lane_random.hpp), so a
// replica's trajectory does not depend on the slot, the group of lanes or the rank that runs it.
//
// Slots are packed kLanes to a group, one replica per SIMD lane; groups run in parallel on the host
// execution space (Kokkos::parallel_for). A sweep visits the sites 0..N−1 in order with one Metropolis
// test each (metropolis.hpp), at the slot's own inverse temperature β (SA: all equal; PT: one per
// temperature).
#include <cstdint>
#include <memory>
#include <vector>

#include "baselines/lane_random.hpp"
#include "baselines/mc_model.hpp"
#include "baselines/simd.hpp"
#include "core/random.hpp"
#include "model/hamiltonian.hpp"

namespace vna {

inline constexpr int kLanes = simd::kWidth;  // replicas per SIMD group: one float register (simd.hpp)

struct ChainStreams {
  RngKey key{};
  std::uint32_t realization = 0;
};

class ClassicalChains {
 public:
  // `kernel` must be sparse, dense or pbody (see chooseMcKernel). The McModel must outlive the chains.
  static std::unique_ptr<ClassicalChains> create(const McModel& model, McKernel kernel, ChainStreams streams,
                                                 std::vector<std::uint32_t> ids);
  virtual ~ClassicalChains() = default;

  int size() const { return static_cast<int>(ids_.size()); }
  std::uint32_t id(int slot) const { return ids_[slot]; }
  int numSpins() const { return model_.n; }

  // Every slot to its initial configuration: bit i = top bit of word i of step 0 (uniformly random).
  void randomize();
  // Sweeps first_sweep .. first_sweep + num_sweeps − 1 of annealing step `step` (they fix the random
  // words: attempt t = sweep·N + i), slot k at inverse temperature beta[k] (+∞ allowed: T = 0).
  // With energies (size() entries) each slot's energy is advanced by the ΔE of its accepted flips.
  virtual void sweep(std::uint32_t step, int first_sweep, int num_sweeps, const float* beta, double* energies) = 0;
  virtual void getBits(int slot, Bit* out) const = 0;
  virtual void setBits(int slot, const Bit* in) = 0;
  // Slot k takes the whole state (spins, cached fields) slot ancestor[k] had before the call.
  virtual void permute(const std::vector<int>& ancestor) = 0;

 protected:
  ClassicalChains(const McModel& model, ChainStreams streams, std::vector<std::uint32_t> ids)
      : model_(model), streams_(streams), ids_(std::move(ids)) {}
  int numGroups() const { return (size() + kLanes - 1) / kLanes; }
  // The ids of group g's lanes (lanes past the last slot repeat its id: they run but are never read).
  void groupIds(int g, std::uint32_t* out) const;
  // Group g's inverse temperatures (lanes past the last slot repeat its β) and random numbers of `step`.
  simd::VF groupBetas(int g, const float* beta) const;
  LaneDraws groupDraws(int g, std::uint32_t step) const;

  const McModel& model_;
  ChainStreams streams_;
  std::vector<std::uint32_t> ids_;
};

// The initial configuration of replica `id`: bit i = top bit of word i of Philox(key; i/4, 0, id,
// realization), i.e. the McStream of step 0 (shared by every kernel, the reference one included).
void initialBits(ChainStreams streams, std::uint32_t id, int n, Bit* out);
// The same for `count` replicas at once, in SIMD lanes: out[k·n + i] for replica ids[k].
void initialBits(ChainStreams streams, const std::uint32_t* ids, int count, int n, Bit* out);

}  // namespace vna
