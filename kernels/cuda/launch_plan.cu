// Launch planning of the CUDA kernels: see launch_plan.cuh.
#include "cuda/launch_plan.cuh"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/error.hpp"
#include "cuda/cuda_check.hpp"
#include "network_tables.hpp"

namespace vna {
namespace cuda {
namespace detail {

namespace {
std::size_t align16(std::size_t bytes) { return (bytes + 15) / 16 * 16; }
}  // namespace

SlotTables slotTables(const NetworkSpec& spec) {
  const int N = spec.n_sites;
  SlotTables t;
  t.problem = predecessorProblem(spec.predecessor, N, 2);
  if (!t.problem.empty()) return t;
  t.reader.assign(static_cast<std::size_t>(N) * 2, -1);
  std::vector<int> last_read(N, -1);
  for (int k = 0; k < N; ++k)
    for (int j = 0; j < spec.inputs; ++j) {
      const int q = spec.predecessor[2 * k + j];
      if (q < 0) continue;
      if (t.reader[2 * q + j] >= 0) {
        t.problem = "position " + std::to_string(q) + " is read twice through input " + std::to_string(j);
        return t;
      }
      t.reader[2 * q + j] = k;
      last_read[q] = std::max(last_read[q], k);
    }
  // Forward: position q's slot is freed at its last reader (reads come before the write of the same
  // position, separated by __syncwarp) or, without readers, right after q.
  std::vector<std::vector<int>> release(N + 1);
  for (int q = 0; q < N; ++q) release[last_read[q] >= 0 ? last_read[q] : q + 1].push_back(q);
  t.forward_slot.assign(N, -1);
  std::vector<int> free_slots;
  for (int k = 0; k < N; ++k) {
    for (int q : release[k]) free_slots.push_back(t.forward_slot[q]);
    if (free_slots.empty()) {
      t.forward_slot[k] = t.forward_slots++;
    } else {
      t.forward_slot[k] = free_slots.back();
      free_slots.pop_back();
    }
  }
  // Backward (reverse order): ∂h(q) is live from its last reader until q itself is processed.
  t.backward_slot.assign(N, -1);
  free_slots.clear();
  for (int k = N - 1; k >= 0; --k) {
    if (t.backward_slot[k] >= 0) free_slots.push_back(t.backward_slot[k]);
    for (int j = 0; j < spec.inputs; ++j) {
      const int q = spec.predecessor[2 * k + j];
      if (q < 0 || last_read[q] != k || t.backward_slot[q] >= 0) continue;
      if (free_slots.empty()) {
        t.backward_slot[q] = t.backward_slots++;
      } else {
        t.backward_slot[q] = free_slots.back();
        free_slots.pop_back();
      }
    }
  }
  return t;
}

NetworkArgs networkShape(const NetworkSpec& spec, const SlotTables& slots) {
  NetworkArgs net;
  net.n_sites = spec.n_sites;
  net.hidden = spec.hidden;
  net.inputs = spec.inputs;
  net.tensorized = spec.tensorized;
  net.n_params = static_cast<int>(spec.n_params);
  net.weight_offset[0] = static_cast<int>(spec.weight_offset[0]);
  net.weight_offset[1] = static_cast<int>(spec.weight_offset[1]);
  net.bias_offset = static_cast<int>(spec.bias_offset);
  net.u_offset = static_cast<int>(spec.u_offset);
  net.d_offset = static_cast<int>(spec.d_offset);
  net.per_site = spec.perSite();
  net.weight_site[0] = static_cast<int>(spec.weight_site[0]);
  net.weight_site[1] = static_cast<int>(spec.weight_site[1]);
  net.bias_site = static_cast<int>(spec.bias_site);
  net.u_site = static_cast<int>(spec.u_site);
  net.d_site = static_cast<int>(spec.d_site);
  net.forward_slots = slots.forward_slots;
  net.backward_slots = slots.backward_slots;
  net.layers = spec.layers;
  for (int l = 0; l < spec.layers && l < kMaxLayers; ++l) {
    net.layer_weight[l] = static_cast<int>(spec.layer_weight[l]);
    net.layer_bias[l] = static_cast<int>(spec.layer_bias[l]);
    if (net.per_site) {
      net.layer_weight_site[l] = static_cast<int>(spec.layer_weight_site[l]);
      net.layer_bias_site[l] = static_cast<int>(spec.layer_bias_site[l]);
    }
  }
  return net;
}

bool tileGeometry(int hidden, int rows, int samples, TileGeometry& g) {
  g.rows = rows;
  g.samples = samples;
  g.n_ig = pow2Ceil((hidden + rows - 1) / rows);
  if (g.n_ig > kWarpSize) return false;
  g.hp = g.n_ig * rows;
  g.spw = kWarpSize / g.n_ig * samples;
  return true;
}

template <class Scalar>
SharedMemory forwardSharedMemory(const NetworkArgs& net, const TileGeometry& g, bool energies) {
  const int hpv = tiledRowLength<Scalar>(g.n_ig, g.rows);
  SharedMemory m;
  m.set_stride = static_cast<int>(align16((net.forwardWeightRows() + 3) * hpv * sizeof(Scalar)) / sizeof(Scalar));
  m.set_bytes = static_cast<std::size_t>(m.set_stride) * sizeof(Scalar);
  const int words = energies ? (net.n_sites + 31) / 32 : 0;
  m.warp_bytes = align16(static_cast<std::size_t>(net.forward_slots) * (g.hp + 1) * g.spw * sizeof(Scalar) +
                         static_cast<std::size_t>(g.spw) * words * 4);
  return m;
}

template <class Scalar>
SharedMemory backwardSharedMemory(const NetworkArgs& net, const TileGeometry& g) {
  const int hpv = tiledRowLength<Scalar>(g.n_ig, g.rows);
  SharedMemory m;
  m.set_stride = static_cast<int>(align16((net.backwardWeightRows() + 1) * hpv * sizeof(Scalar)) / sizeof(Scalar));
  m.set_bytes = static_cast<std::size_t>(m.set_stride) * sizeof(Scalar);
  m.warp_bytes = align16(static_cast<std::size_t>(net.backward_slots + 2) * g.hp * g.spw * sizeof(Scalar));
  return m;
}

template <class Scalar>
DilatedMemory dilatedMemory(const NetworkArgs& net, const TileGeometry& g, Kernel kind, bool energies) {
  const int hpv = tiledRowLength<Scalar>(g.n_ig, g.rows), L = net.layers;
  const bool forward = kind == Kernel::kForward;
  const int rows = forward ? net.dilatedForwardRow(L + 1) + 2 : net.dilatedBackwardRow(L + 1) + 1;
  const std::size_t slots = static_cast<std::size_t>(net.ringSlots());
  std::size_t scratch;
  if (forward) {
    const int words = energies ? (net.n_sites + 31) / 32 : 0;
    scratch = slots * (g.hp + 1) * g.spw * sizeof(Scalar) + static_cast<std::size_t>(g.spw) * words * 4;
  } else {
    scratch = (slots + 2) * g.hp * g.spw * sizeof(Scalar) + static_cast<std::size_t>(kWarpSize) * L * g.rows * 8;
  }
  DilatedMemory m;
  m.set_stride = static_cast<int>(align16(static_cast<std::size_t>(rows) * hpv * sizeof(Scalar)) / sizeof(Scalar));
  m.scratch_per_warp = static_cast<int>(align16(scratch) / sizeof(Scalar));
  return m;
}

std::vector<Tile> compiledTiles() {
  std::vector<Tile> out;
#define VNA_TILE_ENTRY(r, c) out.push_back(Tile{r, c, 0});
  VNA_CUDA_TILES(VNA_TILE_ENTRY)
#undef VNA_TILE_ENTRY
  return out;
}

template <class Scalar>
std::string sharedMemoryProblem(const NetworkArgs& net, const cudaDeviceProp& prop) {
  if (net.dilated()) return std::string();  // its rows and rings are in global memory
  // The smallest blocks: one warp, one sample per lane, two staged sets (a block may straddle two
  // parameter sets), energies on.
  std::size_t best = ~std::size_t(0);
  for (const Tile& tile : compiledTiles()) {
    TileGeometry g;
    if (tile.samples != 1 || !tileGeometry(net.hidden, tile.rows, tile.samples, g)) continue;
    const int sets = net.per_site ? 0 : 1;
    best = std::min(best, std::max(forwardSharedMemory<Scalar>(net, g, true).bytes(2 * sets, 1),
                                   backwardSharedMemory<Scalar>(net, g).bytes(sets, 1)));
  }
  if (best <= prop.sharedMemPerBlockOptin) return std::string();
  return "its row buffer (" + std::to_string(net.forward_slots) + " slots of " + std::to_string(net.hidden) +
         " hidden units) needs " + std::to_string(best / 1024) + " KiB of shared memory per block, more than the " +
         std::to_string(prop.sharedMemPerBlockOptin / 1024) + " KiB of " + prop.name;
}

template <class Scalar>
template <int R, int C>
bool Planner<Scalar>::evaluate(Kernel kind, int P, int M, bool energies, int warps_per_block, Plan& plan) {
  TileGeometry g;
  if (!tileGeometry(net_.hidden, R, C, g)) return false;
  const int N = net_.n_sites, products = net_.productsPerPosition(), hidden = net_.hidden;
  const bool forward = kind == Kernel::kForward;
  Plan c;
  c.rows = R;
  c.samples = C;
  c.n_ig = g.n_ig;
  c.hp = g.hp;
  c.spw = g.spw;
  c.warps_per_block = warps_per_block;
  std::int64_t warps_total;
  SharedMemory m;
  if (forward) {
    const int m_pad = (M + C - 1) / C * C;
    const std::int64_t lanes = static_cast<std::int64_t>(P) * m_pad;
    warps_total = (lanes + g.spw - 1) / g.spw;
    const std::int64_t lanes_per_block = static_cast<std::int64_t>(warps_per_block) * g.spw;
    c.sets_per_block = static_cast<int>(std::min<std::int64_t>(P, (lanes_per_block - 1) / m_pad + 2));
    m = forwardSharedMemory<Scalar>(net_, g, energies);
    c.blocks = static_cast<int>((warps_total + warps_per_block - 1) / warps_per_block);
  } else {
    const int warps_per_set = (M + g.spw - 1) / g.spw;
    warps_total = static_cast<std::int64_t>(P) * warps_per_set;
    c.sets_per_block = 1;
    m = backwardSharedMemory<Scalar>(net_, g);
    const int blocks_per_set = (warps_per_set + warps_per_block - 1) / warps_per_block;
    c.blocks = P * blocks_per_set;
  }
  c.set_stride = m.set_stride;
  c.warp_bytes = m.warp_bytes;
  c.smem_bytes = m.bytes(net_.per_site ? 0 : c.sets_per_block, warps_per_block);
  const void* fn = forward ? forwardKernelHandle<Scalar>(R, C) : backwardKernelHandle<Scalar>(R, C);
  if (net_.dilated()) {
    const DilatedMemory d = dilatedMemory<Scalar>(net_, g, kind, energies);
    c.set_stride = d.set_stride;
    c.scratch_per_warp = d.scratch_per_warp;
    c.warp_bytes = c.smem_bytes = 0;
    fn = dilatedKernelHandle<Scalar>(kind, R, C);
    if (fn == nullptr) return false;  // a tile its backward kernel is not built for
  }
  if (c.smem_bytes > prop_.sharedMemPerBlockOptin) return false;
  VNA_CUDA(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                static_cast<int>(prop_.sharedMemPerBlockOptin)));
  int blocks_per_sm = 0;
  VNA_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm, fn, warps_per_block * kWarpSize,
                                                         c.smem_bytes));
  if (blocks_per_sm == 0) return false;
  if (net_.dilated()) {  // warps loop over the work: at most the resident blocks, within the scratch budget
    const std::size_t block_scratch =
        static_cast<std::size_t>(warps_per_block) * c.scratch_per_warp * sizeof(Scalar);
    const std::int64_t resident = static_cast<std::int64_t>(blocks_per_sm) * prop_.multiProcessorCount;
    const std::int64_t affordable =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(scratch_budget_ / block_scratch));
    c.blocks = static_cast<int>(std::min<std::int64_t>(c.blocks, std::min(resident, affordable)));
  }
  // Cost model (relative; calibrated on the GPU with tools/bench): per warp and position, the GEMM
  // issues R·C FMAs and (chunks of R + vectors of C) shared loads per input column, plus the logit,
  // draw and bookkeeping. An SM partition issues one instruction per cycle; one warp alone reaches
  // about half of that, two or more about all of it. Per-site weight rows come from L1/L2 instead of
  // shared memory: counted 4 times a shared load (an uncalibrated guess: no GPU run yet), which favours
  // tiles with more samples per lane (each weight row read serves C samples). The tensorized cell's
  // products load both slots' rows (blended per sample).
  // The dilated cell reads every weight row and its rings from global memory (counted the same way).
  const double weight_loads = RowTiling<Scalar, R>::chunks() * (net_.per_site || net_.dilated() ? 4.0 : 1.0) *
                              (net_.tensorized ? 2.0 : 1.0);
  const double ring_loads = net_.dilated() ? 4.0 : 1.0;
  const double loads = weight_loads + ring_loads * ((C * static_cast<int>(sizeof(Scalar)) + 15) / 16);
  const double per_position = static_cast<double>(products) * hidden * (R * C + loads) * (forward ? 1.0 : 2.0) +
                              12.0 * R * C + 8.0 * C * std::log2(static_cast<double>(g.n_ig)) +
                              120.0 * ((C + g.n_ig - 1) / g.n_ig);
  const int sms = prop_.multiProcessorCount;
  const double warps_per_sm = std::ceil(static_cast<double>(warps_total) / sms);
  const double concurrent = std::min<double>(warps_per_sm, static_cast<double>(blocks_per_sm) * warps_per_block);
  const double active_partitions = std::min(4.0, concurrent);
  const double rate = active_partitions * std::min(1.0, 0.5 * concurrent / active_partitions);
  c.estimate = warps_per_sm * N * per_position / rate;
  plan = c;
  return true;
}

template <class Scalar>
Plan Planner<Scalar>::choose(Kernel kind, int P, int M, bool energies) {
  const auto key = std::make_tuple(static_cast<int>(kind), P, M, energies ? 1 : 0);
  const auto found = plans_.find(key);
  if (found != plans_.end()) return found->second;
  Plan best;
  bool have = false;
  for (const Tile& t : compiledTiles()) {
    if (forced_.rows > 0 && (t.rows != forced_.rows || t.samples != forced_.samples)) continue;
    for (int W = 1; W <= kMaxWarpsPerBlock; W *= 2) {
      if (forced_.warps_per_block != 0 && forced_.warps_per_block != W) continue;
      withTile(t.rows, t.samples, [&](auto r, auto c) {
        Plan candidate;
        if (evaluate<decltype(r)::value, decltype(c)::value>(kind, P, M, energies, W, candidate) &&
            (!have || candidate.estimate < best.estimate)) {
          best = candidate;
          have = true;
        }
      });
    }
  }
  if (!have)
    throw Error("cuda::Engine: no compiled tile fits this network on " + std::string(prop_.name) +
                (forced_.rows > 0 ? " (with the forced tile " + std::to_string(forced_.rows) + "x" +
                                        std::to_string(forced_.samples) + ")"
                                  : ""));
  plans_[key] = best;
  return best;
}

template <class Scalar>
void Planner<Scalar>::force(const Tile& tile) {
  if (tile.rows > 0) {
    bool known = false;
    for (const Tile& t : compiledTiles()) known = known || (t.rows == tile.rows && t.samples == tile.samples);
    if (!known)
      throw Error("cuda::Engine::setTile: tile " + std::to_string(tile.rows) + "x" + std::to_string(tile.samples) +
                  " is not compiled (see VNA_CUDA_TILES in kernel_common.cuh)");
  }
  if (tile.warps_per_block != 0 && (tile.warps_per_block < 1 || tile.warps_per_block > kMaxWarpsPerBlock ||
                                    (tile.warps_per_block & (tile.warps_per_block - 1)) != 0))
    throw Error("cuda::Engine::setTile: warps per block must be 1, 2, 4 or 8");
  forced_ = tile;
  plans_.clear();
}

template SharedMemory forwardSharedMemory<float>(const NetworkArgs&, const TileGeometry&, bool);
template SharedMemory forwardSharedMemory<double>(const NetworkArgs&, const TileGeometry&, bool);
template SharedMemory backwardSharedMemory<float>(const NetworkArgs&, const TileGeometry&);
template SharedMemory backwardSharedMemory<double>(const NetworkArgs&, const TileGeometry&);
template DilatedMemory dilatedMemory<float>(const NetworkArgs&, const TileGeometry&, Kernel, bool);
template DilatedMemory dilatedMemory<double>(const NetworkArgs&, const TileGeometry&, Kernel, bool);
template std::string sharedMemoryProblem<float>(const NetworkArgs&, const cudaDeviceProp&);
template std::string sharedMemoryProblem<double>(const NetworkArgs&, const cudaDeviceProp&);
template class Planner<float>;
template class Planner<double>;

}  // namespace detail
}  // namespace cuda
}  // namespace vna
