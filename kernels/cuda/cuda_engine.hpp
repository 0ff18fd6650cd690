#pragma once
// The native CUDA engine for every RNN cell (vanilla1d/2d, tensorized1d/2d, dilated1d; shared or per-site
// weights): the batched sample / logProb / gradient of RnnEngine (rnn_engine.hpp) as fused CUDA kernels
// plus cuBLAS. This header is plain C++ with raw pointers, so that nvcc never compiles Kokkos and the
// Kokkos side never needs CUDA headers; RnnEngine reaches it through cuda_backend.cpp. Files:
// forward_kernels.cu and backward_kernels.cu (the kernels), dilated_kernels.cu (the dilated cell's),
// launch_plan.cu (tiles, shared-memory and scratch footprints, plans), cuda_engine.cu (construction,
// device-resident calls), staging.cu (host-memory calls). Design and costs: doc/performance.md, "CUDA
// backend"; the random-stream and probability formulas are sampling_rule.hpp's, shared with the
// Kokkos backend, so both draw the same samples for the same seeds (up to float rounding).
//
// Layouts are those of RnnEngine: params [P][n_params], bits [P][M][N] (by site), logp / energies /
// weights [P][M], grad [P][n_params] (double).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "network_tables.hpp"

namespace vna {
namespace cuda {

// What the kernels need to know about a network (built from ParamLayout and Lattice).
struct NetworkSpec {
  int n_sites = 0;
  int hidden = 0;  // d_h
  int inputs = 1;  // predecessors per position: 1 (1d cells) or 2 (2d cells)
  // Vanilla: W_j [d_h][d_h + 2] at weight_offset[j], row-major ([h; onehot(b)] columns). Tensorized
  // (cell_tensorized.hpp): T [2·inputs][d_h][inputs·d_h] at weight_offset[0], slot 2j + b_j applied to
  // H = [h_{q_0}; h_{q_1}]; weight_offset[1] unused.
  bool tensorized = false;
  std::size_t n_params = 0;
  std::size_t weight_offset[2] = {0, 0};
  std::size_t bias_offset = 0, u_offset = 0, d_offset = 0;
  // Per-site weights (ansatz.weight_sharing: false): every block is [N][its shape] and site i's slice
  // starts at offset + i · (entries of one slice); all zero for shared weights.
  std::size_t weight_site[2] = {0, 0};
  std::size_t bias_site = 0, u_site = 0, d_site = 0;
  // Dilated cell (cell_dilated.hpp): `layers` stacked layers, W_l [d_h][width_l] at layer_weight[l − 1],
  // c_l [d_h] at layer_bias[l − 1] (per site: slices of layer_*_site entries); bias_offset unused, the
  // predecessor table that of a chain (layer l's look-back k − 2^(l−1) is implied). 0: not dilated.
  int layers = 0;
  std::vector<std::size_t> layer_weight, layer_bias, layer_weight_site, layer_bias_site;
  std::vector<int> order;        // order[k] = site of autoregressive position k
  std::vector<int> predecessor;  // [k * 2 + j] = position read by input j at position k (−1: none)
  bool perSite() const { return u_site != 0; }
};

namespace detail {  // launch_plan.cuh, kernel_common.cuh
struct Plan;
template <class Scalar>
struct BackwardArgs;
}  // namespace detail

struct Counters {
  std::uint64_t seed = 0;
  std::uint32_t step = 0, first_sample = 0;
};

// A thread's register tile: `rows` hidden units × `samples` samples. {0, 0}: chosen per call.
struct Tile {
  int rows = 0, samples = 0;
  int warps_per_block = 0;  // 0: chosen per call
};

// Where the time of the last call went (CUDA events; only with setProfiling(true)).
struct Profile {
  double upload_ms = 0, forward_ms = 0, backward_ms = 0, gemm_ms = 0, download_ms = 0;
  std::string forward_plan, backward_plan;  // tile, warps per block, blocks, shared memory
};

// Bytes moved between host and device memory (cumulative; differences give a call's traffic).
struct Transfers {
  std::uint64_t to_device = 0, to_host = 0, copies = 0;
};

template <class Scalar>
class Engine {
 public:
  // Runs on the CUDA device current at construction. Throws Error when the network cannot run
  // (unsupportedReason says why).
  explicit Engine(const NetworkSpec& spec);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Empty when the current device can run this network; otherwise why not (a predecessor structure
  // the gradient layout cannot express, or a row buffer larger than the device's shared memory).
  static std::string unsupportedReason(const NetworkSpec& spec);

  void setHamiltonian(const HamiltonianRows& hamiltonian);

  // Host memory in and out; each returns when its outputs are in host memory. bits (sample) and
  // energies may be null: not returned. keep: store what gradient() needs.
  void sample(const Scalar* params, int P, const std::uint32_t* stream_ids, const Counters& counters, int M,
              std::uint8_t* bits, double* logp, double* energies, bool keep);
  void logProb(const Scalar* params, int P, const std::uint8_t* bits, int M, double* logp, bool keep);
  // Needs the kept activations of the last sample/logProb with keep on this [P][M] batch and these
  // bits (checked: a mismatch throws Error).
  void gradient(const Scalar* params, int P, const std::uint8_t* bits, int M, const double* weights, double* grad);

  // The same with every pointer in device memory, asynchronous on this engine's stream (for drivers
  // that keep their data on the GPU, and the benchmarks). gradientOnDevice synchronizes (misuse check).
  void sampleOnDevice(const Scalar* params, int P, const std::uint32_t* stream_ids, const Counters& counters, int M,
                      std::uint8_t* bits, double* logp, double* energies, bool keep);
  void logProbOnDevice(const Scalar* params, int P, const std::uint8_t* bits, int M, double* logp, bool keep);
  void gradientOnDevice(const Scalar* params, int P, const std::uint8_t* bits, int M, const double* weights,
                        double* grad);
  void synchronize();

  // What drivers that keep their data on the GPU (the network service, src/network) need besides the
  // three calls, all on this engine's stream:
  // copies between host memory and device buffers (counted in transfers(); copyToHost synchronizes),
  void copyToDevice(void* device_dst, const void* host_src, std::size_t bytes);
  void copyToHost(void* host_dst, const void* device_src, std::size_t bytes);
  // params[k] = θ* + α_k δ + β_k η for k < K, rounded to Scalar (parameter_plane.hpp), from
  // plane = [θ*; δ; η] ([3][n] doubles) and coeffs = [α; β] ([2][K] doubles) in device memory,
  void expandPlaneOnDevice(const double* plane, const double* coeffs, int K, Scalar* params);
  // sums[p][s] = Σ_i exp((log p(σ^i) − log p(σ)) / 2) over the N single-spin flips σ^i of bits[p][s]
  // (local_energy.hpp; logp[p][s] = log p(σ)): the flipped configurations are built and
  // teacher-forced on the device in blocks within the workspace budget; nothing of size N per sample
  // leaves it.
  void flipRatioSumsOnDevice(const Scalar* params, int P, const std::uint8_t* bits, int M, const double* logp,
                             double* sums);
  Transfers transfers() const;

  // The tiles compiled into this build, and forcing one (benchmarks, tests; VNA_CUDA_TILE=R,C[,W] in
  // the environment does the same for a whole run).
  // VNA_CUDA_SCRATCH_MIB=m in the environment caps the dilated kernels' global scratch per launch
  // (default 256 MiB; the grid shrinks and warps loop over the work, results unchanged).
  static std::vector<Tile> compiledTiles();
  void setTile(const Tile& tile);
  void setProfiling(bool on);
  const Profile& lastProfile() const;

  std::size_t workspaceBytes() const;
  int device() const;
  std::string deviceName() const;

 private:
  struct State;
  // gradientOnDevice's cell-specific part (cuda_engine.cu).
  void layerGradient(const detail::Plan& plan, detail::BackwardArgs<Scalar>& a, double* grad);
  void dilatedGradient(const detail::Plan& plan, detail::BackwardArgs<Scalar>& a, double* grad);
  std::unique_ptr<State> s_;
};

extern template class Engine<float>;
extern template class Engine<double>;

}  // namespace cuda
}  // namespace vna
