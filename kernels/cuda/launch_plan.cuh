#pragma once
// Launch planning of the CUDA kernels (launch_plan.cu): the ring slots of both sweeps, the tile
// geometry, the shared-memory footprint of each kernel (computed here once, for the plans and for the
// question whether a network fits a device at all), and the choice of tile and block size per call by
// a cost model. Host code, compiled by nvcc with the kernels.
#include <cuda_runtime.h>

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "cuda/cuda_engine.hpp"
#include "cuda/kernel_common.cuh"

namespace vna {
namespace cuda {
namespace detail {

// How a call is cut into warps and blocks (Planner::choose).
struct Plan {
  int rows = 0, samples = 0;  // tile R × C
  int n_ig = 1, hp = 0, spw = 0;
  int warps_per_block = 1, blocks = 0;
  int set_stride = 0;     // Scalars per staged parameter set
  int sets_per_block = 1;
  std::size_t warp_bytes = 0, smem_bytes = 0;
  int scratch_per_warp = 0;  // dilated: Scalars of global scratch per resident warp
  double estimate = 0;  // model cost (relative units)
  std::string describe() const {
    return "tile " + std::to_string(rows) + "x" + std::to_string(samples) + ", " + std::to_string(n_ig) +
           " lanes/sample, " + std::to_string(warps_per_block) + " warps/block, " + std::to_string(blocks) +
           " blocks, " + std::to_string(smem_bytes / 1024) + " KiB shared";
  }
};

enum class Kernel { kForward = 0, kBackward = 1 };

// Predecessor bookkeeping on the host: who reads each position, and the ring slots of both sweeps.
struct SlotTables {
  std::vector<int> reader, forward_slot, backward_slot;
  int forward_slots = 0, backward_slots = 0;
  std::string problem;  // non-empty when a position is read twice through the same input
};

SlotTables slotTables(const NetworkSpec& spec);

// The kernel arguments that describe the network, without device pointers (Engine fills those).
NetworkArgs networkShape(const NetworkSpec& spec, const SlotTables& slots);

// Lanes per sample n_ig (a power of two), padded hidden size hp and samples per warp spw of tile
// R × C; false when d_h needs more than a warp's lanes at R rows per lane.
struct TileGeometry {
  int rows = 0, samples = 0, n_ig = 1, hp = 0, spw = 0;
};
bool tileGeometry(int hidden, int rows, int samples, TileGeometry& g);

// Dynamic shared memory of a kernel: per staged parameter set and per warp; a block of `sets` sets
// and `warps` warps needs bytes(sets, warps). Per-site weights stay in global memory (0 sets); the set
// stride is then that of their staged rows there.
struct SharedMemory {
  int set_stride = 0;  // Scalars per staged set
  std::size_t set_bytes = 0, warp_bytes = 0;
  std::size_t bytes(int sets, int warps) const { return sets * set_bytes + warps * warp_bytes; }
};
// Forward: per set the tiled weight rows (NetworkArgs::forwardWeightRows), c, U_1 − U_0 and d_1 − d_0;
// per warp the ring of forward slots [slots][hp + 1][spw] and, with energies, the samples' packed bits.
template <class Scalar>
SharedMemory forwardSharedMemory(const NetworkArgs& net, const TileGeometry& g, bool energies);
// Backward: per set the tiled weight rows (NetworkArgs::backwardWeightRows) and U_1 − U_0; per warp the
// ∂h ring and the double-buffered ∂pre staging [backward_slots + 2][hp][spw].
template <class Scalar>
SharedMemory backwardSharedMemory(const NetworkArgs& net, const TileGeometry& g);

// Dilated cell: the staged rows of a parameter set (or site) in global memory, and each resident warp's
// global scratch (forward: the rings [2^L − 1][hp + 1][spw] and, with energies, the packed bits;
// backward: the ∂h rings [2^L − 1][hp][spw], the ∂pre staging [2][hp][spw] and the lanes' ∂c_l [32][L][R]
// in double), both in Scalars and 16-byte aligned. No shared memory.
struct DilatedMemory {
  int set_stride = 0, scratch_per_warp = 0;
};
template <class Scalar>
DilatedMemory dilatedMemory(const NetworkArgs& net, const TileGeometry& g, Kernel kind, bool energies);
// At most this much global scratch per dilated launch: the grid is capped and warps loop over the work.
constexpr std::size_t kDilatedScratchBudget = std::size_t(256) << 20;

std::vector<Tile> compiledTiles();

// Empty when the network fits `prop` with some compiled tile (one warp per block); else why not.
template <class Scalar>
std::string sharedMemoryProblem(const NetworkArgs& net, const cudaDeviceProp& prop);

// Chooses (and caches per call shape) the plan of each launch.
template <class Scalar>
class Planner {
 public:
  Planner() = default;
  Planner(const NetworkArgs& net, const cudaDeviceProp& prop) : net_(net), prop_(prop) {}
  Plan choose(Kernel kind, int P, int M, bool energies);
  void force(const Tile& tile);  // tile.rows == 0: free choice
  // The dilated kernels' global scratch per launch (default kDilatedScratchBudget; at least one block).
  void setScratchBudget(std::size_t bytes) {
    scratch_budget_ = bytes;
    plans_.clear();
  }

 private:
  template <int R, int C>
  bool evaluate(Kernel kind, int P, int M, bool energies, int warps_per_block, Plan& plan);
  NetworkArgs net_;
  cudaDeviceProp prop_{};
  Tile forced_;
  std::size_t scratch_budget_ = kDilatedScratchBudget;
  std::map<std::tuple<int, int, int, int>, Plan> plans_;  // (kind, P, M, energies) -> plan
};

// The plan-dependent fields of the kernels' arguments: the tile geometry and shared-memory layout both
// kernels have (`sets` staged parameter sets per block; none for per-site weights, read from global
// memory), then each kernel's own.
template <class Args>
void applyTile(const Plan& plan, int sets, std::size_t scalar_bytes, Args& a) {
  a.n_ig = plan.n_ig;
  a.hp = plan.hp;
  a.spw = plan.spw;
  a.set_stride = plan.set_stride;
  a.weights_bytes = a.net.per_site ? 0 : static_cast<int>(static_cast<std::size_t>(sets) * plan.set_stride * scalar_bytes);
  a.warp_bytes = static_cast<int>(plan.warp_bytes);
}
template <class Scalar>
void applyPlan(const Plan& plan, ForwardArgs<Scalar>& a) {
  applyTile(plan, plan.sets_per_block, sizeof(Scalar), a);
  a.sets_per_block = plan.sets_per_block;
  a.ring_scalars = (a.net.dilated() ? a.net.ringSlots() : a.net.forward_slots) * (plan.hp + 1) * plan.spw;
  a.scratch_per_warp = plan.scratch_per_warp;
  a.m_pad = (a.M + plan.samples - 1) / plan.samples * plan.samples;
}
template <class Scalar>
void applyPlan(const Plan& plan, BackwardArgs<Scalar>& a) {
  applyTile(plan, 1, sizeof(Scalar), a);
  a.warps_per_set = (a.M + plan.spw - 1) / plan.spw;
  a.blocks_per_set = (a.warps_per_set + plan.warps_per_block - 1) / plan.warps_per_block;
  a.partial_stride = ((a.net.dilated() ? a.net.layers : 1) + 1) * plan.hp + 1;
  a.scratch_per_warp = plan.scratch_per_warp;
  a.partial_sites = a.net.per_site ? a.net.n_sites : 1;
}

// forward_kernels.cu / backward_kernels.cu: the launches (on `stream`), and the kernel of tile R × C
// for occupancy queries.
template <class Scalar>
void launchForward(const Plan& plan, const ForwardArgs<Scalar>& a, cudaStream_t stream);
template <class Scalar>
void launchBackward(const Plan& plan, const BackwardArgs<Scalar>& a, cudaStream_t stream);
template <class Scalar>
void launchAssembleGradient(const BackwardArgs<Scalar>& a, const Scalar* weight_grad, double* grad,
                            cudaStream_t stream);
// Per-site weights: every site's rows as the plan's kernel reads them, dst [P][N][plan.set_stride].
template <class Scalar>
void launchStageForwardSites(const Plan& plan, const NetworkArgs& net, const Scalar* params, int P, Scalar* dst,
                             cudaStream_t stream);
template <class Scalar>
void launchStageBackwardSites(const Plan& plan, const NetworkArgs& net, const Scalar* params, int P, Scalar* dst,
                              cudaStream_t stream);
template <class Scalar>
const void* forwardKernelHandle(int rows, int samples);
// dilated_kernels.cu: the same for the dilated cell. Its staged rows (every set's, per site every
// site's) are written by launchStageDilated into dst [P][sites][plan.set_stride] before each kernel.
template <class Scalar>
const void* dilatedKernelHandle(Kernel kind, int rows, int samples);
template <class Scalar>
void launchDilatedForward(const Plan& plan, const ForwardArgs<Scalar>& a, cudaStream_t stream);
template <class Scalar>
void launchDilatedBackward(const Plan& plan, const BackwardArgs<Scalar>& a, cudaStream_t stream);
template <class Scalar>
void launchStageDilated(const Plan& plan, Kernel kind, const NetworkArgs& net, const Scalar* params, int P,
                        Scalar* dst, cudaStream_t stream);
template <class Scalar>
void launchAssembleDilatedGradient(const BackwardArgs<Scalar>& a, const Scalar* weight_grad, double* grad,
                                   cudaStream_t stream);
template <class Scalar>
const void* backwardKernelHandle(int rows, int samples);

}  // namespace detail
}  // namespace cuda
}  // namespace vna
