#pragma once
// What the CUDA kernels of the engine share (forward_kernels.cu, backward_kernels.cu, dilated_kernels.cu,
// launch_plan.cu, cuda_engine.cu): the compiled register tiles, vector access to shared memory in the
// tiled row layout, and the kernels' argument blocks. Compiled by nvcc only (VNA_NATIVE_CUDA).
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "activation.hpp"
#include "core/random.hpp"
#include "energy_rule.hpp"
#include "sampling_rule.hpp"

namespace vna {
namespace cuda {
namespace detail {

// A kernel launch, `VNA_LAUNCH(blocks, threads, shared bytes, stream, kernel<...>)(arguments)`, and the
// kernel's dynamic shared memory: CUDA's syntax, or the host emulation's (tools/cuda_emu) in a build
// with VNA_ENABLE_CUDA=EMULATE.
#if defined(VNA_CUDA_EMULATION)
#define VNA_LAUNCH(blocks, threads, smem, stream, ...) \
  ::vna::emu::Launch{static_cast<unsigned>(blocks), static_cast<unsigned>(threads), (smem)}.of(__VA_ARGS__)
#define VNA_DYNAMIC_SHARED(name) unsigned char* name = ::vna::emu::dynamicShared()
#else
#define VNA_LAUNCH(blocks, threads, smem, stream, ...) __VA_ARGS__<<<(blocks), (threads), (smem), (stream)>>>
#define VNA_DYNAMIC_SHARED(name) extern __shared__ __align__(16) unsigned char name[]
#endif

constexpr int kWarpSize = 32;
constexpr int kMaxWarpsPerBlock = 8;
constexpr int kMaxLayers = 16;  // the dilated cell's depth: up to 2^16 sites
constexpr unsigned kFullMask = 0xffffffffu;

// The compiled register tiles (rows R × samples C). R sets the lanes per sample (n_ig = the power of
// two ≥ d_h / R), C the samples per lane; see launch_plan.cu.
#ifndef VNA_CUDA_TILES  // (a build may pass its own list, e.g. one tile while developing)
#define VNA_CUDA_TILES(X) X(2, 1) X(2, 2) X(2, 4) X(4, 1) X(4, 2) X(4, 4) X(5, 1) X(5, 2) X(5, 4) X(8, 1) X(8, 2) X(8, 4)
#endif

template <class F>
bool withTile(int rows, int samples, F&& f) {
#define VNA_TILE_CASE(r, c)                                                           \
  if (rows == r && samples == c) {                                                    \
    f(std::integral_constant<int, r>{}, std::integral_constant<int, c>{});            \
    return true;                                                                      \
  }
  VNA_CUDA_TILES(VNA_TILE_CASE)
#undef VNA_TILE_CASE
  return false;
}

constexpr int pow2Ceil(int x) {
  int p = 1;
  while (p < x) p *= 2;
  return p;
}

// ---------------------------------------------------------------- vector access to shared memory

template <class Scalar>
struct MaxVector {
  static constexpr int value = 16 / static_cast<int>(sizeof(Scalar));
};

template <class Scalar, int N>
struct VectorOf;
template <>
struct VectorOf<float, 1> {
  using type = float;
};
template <>
struct VectorOf<float, 2> {
  using type = float2;
};
template <>
struct VectorOf<float, 4> {
  using type = float4;
};
template <>
struct VectorOf<double, 1> {
  using type = double;
};
template <>
struct VectorOf<double, 2> {
  using type = double2;
};

// Weight rows are "tiled" so that the lanes of a warp read consecutive vectors (no bank conflicts):
// the R values of lane ig are split into chunks of decreasing powers of two of at most 16 bytes
// (R = 5 floats: 4 + 1), chunk c (size V_c, first value O_c) of every lane stored together at
// n_ig · O_c + ig · V_c. A row holds n_ig · R values, padded to a multiple of 16 bytes.
template <class Scalar, int R>
struct RowTiling {
  static constexpr int kMax = MaxVector<Scalar>::value;
  static constexpr int size(int chunk) {
    int rest = R;
    for (int c = 0;; ++c) {
      int v = 1;
      while (2 * v <= rest && 2 * v <= kMax) v *= 2;
      if (c == chunk) return v;
      rest -= v;
    }
  }
  static constexpr int offset(int chunk) {
    int o = 0;
    for (int c = 0; c < chunk; ++c) o += size(c);
    return o;
  }
  static constexpr int chunks() {
    int c = 0;
    while (offset(c) < R) ++c;
    return c;
  }
};

template <class Scalar>
__host__ __device__ constexpr int tiledRowLength(int n_ig, int rows) {
  return (n_ig * rows + MaxVector<Scalar>::value - 1) / MaxVector<Scalar>::value * MaxVector<Scalar>::value;
}
template <class Scalar, int R>
__host__ __device__ constexpr int tiledRowLength(int n_ig) {
  return tiledRowLength<Scalar>(n_ig, R);
}

// N (a power of two) contiguous Scalars, aligned to min(N, 16 bytes).
template <class Scalar, int N>
__device__ __forceinline__ void loadContiguous(const Scalar* p, Scalar (&out)[N]) {
  constexpr int V = N < MaxVector<Scalar>::value ? N : MaxVector<Scalar>::value;
  using T = typename VectorOf<Scalar, V>::type;
#pragma unroll
  for (int v = 0; v < N / V; ++v) {
    const T x = reinterpret_cast<const T*>(p)[v];
    memcpy(&out[v * V], &x, sizeof(T));
  }
}

template <class Scalar, int N>
__device__ __forceinline__ void storeContiguous(Scalar* p, const Scalar (&in)[N]) {
  constexpr int V = N < MaxVector<Scalar>::value ? N : MaxVector<Scalar>::value;
  using T = typename VectorOf<Scalar, V>::type;
#pragma unroll
  for (int v = 0; v < N / V; ++v) {
    T x;
    memcpy(&x, &in[v * V], sizeof(T));
    reinterpret_cast<T*>(p)[v] = x;
  }
}

template <class Scalar, int R, int Chunk = 0>
__device__ __forceinline__ void loadTiledRow(const Scalar* row, int ig, int n_ig, Scalar (&out)[R]) {
  using Tiling = RowTiling<Scalar, R>;
  if constexpr (Chunk < Tiling::chunks()) {
    constexpr int V = Tiling::size(Chunk), O = Tiling::offset(Chunk);
    using T = typename VectorOf<Scalar, V>::type;
    const T x = *reinterpret_cast<const T*>(row + n_ig * O + ig * V);
    memcpy(&out[O], &x, sizeof(T));
    loadTiledRow<Scalar, R, Chunk + 1>(row, ig, n_ig, out);
  }
}

// Which lane (ig) and which of its R rows a tiled column holds (−1: the row's padding).
template <class Scalar, int R>
__device__ __forceinline__ int tiledRow(int col, int n_ig, int& ig) {
  using Tiling = RowTiling<Scalar, R>;
  for (int c = 0; c < Tiling::chunks(); ++c) {
    const int v = Tiling::size(c), base = n_ig * Tiling::offset(c);
    if (col < base + n_ig * v) {
      const int rel = col - base;
      ig = rel / v;
      return Tiling::offset(c) + rel % v;
    }
  }
  ig = 0;
  return -1;
}

// acc += Σ_t w_t x_t over `rows` tiled weight rows from both slots (w0, w1; row t at t·hpv) and the
// lane's samples' inputs (row t at x + t·spw), each sample's weight blended by its `one` flag: the
// tensorized cell's products (forward and the backward input gradient).
template <class Scalar, int R, int C>
__device__ __forceinline__ void blendedProduct(const Scalar* w0, const Scalar* w1, int hpv, int ig, int n_ig,
                                               const Scalar* x, int spw, int rows, const bool (&one)[C],
                                               Scalar (&acc)[R][C]) {
#pragma unroll 1  // both slots' rows in flight: unrolled, the 8×4 double tile spills
  for (int t = 0; t < rows; ++t) {
    Scalar wr0[R], wr1[R], xc[C];
    loadTiledRow<Scalar, R>(w0 + t * hpv, ig, n_ig, wr0);
    loadTiledRow<Scalar, R>(w1 + t * hpv, ig, n_ig, wr1);
    loadContiguous<Scalar, C>(x + t * spw, xc);
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int c = 0; c < C; ++c) acc[r][c] = fma(one[c] ? wr1[r] : wr0[r], xc[c], acc[r][c]);
  }
}

// acc += Σ_t w_t x_t over `rows` tiled weight rows (row t at w + t·hpv) and the lane's samples' inputs
// (row t at x + t·spw): the vanilla and dilated cells' products (forward, and the backward input
// gradient).
// Unroll: the rows in flight (the vanilla kernels 4; the dilated ones 1 for tiles of 128 bytes or more,
// which unrolled spill beside their other live tiles: ptxas -warn-spills, sm_90).
template <class Scalar, int R, int C, int Unroll = 4>
__device__ __forceinline__ void denseProduct(const Scalar* w, int hpv, int ig, int n_ig, const Scalar* x, int spw,
                                             int rows, Scalar (&acc)[R][C]) {
#pragma unroll Unroll
  for (int t = 0; t < rows; ++t) {
    Scalar wr[R], xc[C];
    loadTiledRow<Scalar, R>(w + t * hpv, ig, n_ig, wr);
    loadContiguous<Scalar, C>(x + t * spw, xc);
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int c = 0; c < C; ++c) acc[r][c] = fma(wr[r], xc[c], acc[r][c]);
  }
}

// b_i of a configuration packed 32 sites per word (the forward kernels' copy, for the fused energy).
struct PackedBits {
  const std::uint32_t* words;
  __host__ __device__ unsigned operator()(int i) const { return (words[i / 32] >> (i % 32)) & 1u; }
};

// ---------------------------------------------------------------- kernel arguments

struct NetworkArgs {
  int n_sites = 0, hidden = 0, inputs = 1, n_params = 0;
  bool tensorized = false;  // T [2·inputs][d_h][inputs·d_h] at weight_offset[0] (NetworkSpec)
  int weight_offset[2] = {0, 0};
  int bias_offset = 0, u_offset = 0, d_offset = 0;
  // Per-site weights: entries of one site's slice of each block (all zero when shared, NetworkSpec).
  bool per_site = false;
  int weight_site[2] = {0, 0};
  int bias_site = 0, u_site = 0, d_site = 0;
  const int* order = nullptr;        // [N]
  const int* position = nullptr;     // [N]: position[order[k]] = k
  const int* predecessor = nullptr;  // [N][2]
  const int* reader = nullptr;       // [N][2]: the position reading k through input j (−1: none)
  const int* forward_slot = nullptr;   // [N]
  const int* backward_slot = nullptr;  // [N] (−1: no later reader, ∂h only from its own output)
  int forward_slots = 1, backward_slots = 0;
  // Dilated cell (cell_dilated.hpp): L stacked layers, W_l [d_h][width_l] at layer_weight[l − 1] and
  // c_l [d_h] at layer_bias[l − 1] (per site: slices of layer_*_site entries); 0 layers: not dilated.
  int layers = 0;
  int layer_weight[kMaxLayers] = {}, layer_bias[kMaxLayers] = {};
  int layer_weight_site[kMaxLayers] = {}, layer_bias_site[kMaxLayers] = {};
  __host__ __device__ bool dilated() const { return layers > 0; }
  // Layer l (1-based) reads [h^1_{k-1}; onehot(b_{k-1})] (l = 1) or [h^l_{k-2^(l-1)}; h^(l-1)_k].
  __host__ __device__ int layerWidth(int l) const { return l == 1 ? hidden + 2 : 2 * hidden; }
  // Kept activation rows of a position: [h^1; 1 − b; b; h^2; ...; h^L] (dilated), [h; 1 − b; b] else.
  __host__ __device__ int keptRows() const { return dilated() ? layers * hidden + 2 : hidden + 2; }
  __host__ __device__ int layerRow(int l) const { return l == 1 ? 0 : hidden + 2 + (l - 2) * hidden; }
  // Dilated staged rows. Forward, per layer: the rows t of W_l^T (width_l), then c_l; after layer L,
  // U_1 − U_0 and d_1 − d_0. Backward, per layer: the rows i of W_l's look-back columns (d_h), then
  // (l ≥ 2) of its lower-layer columns; after layer L, U_1 − U_0. Row l = L + 1: the output rows.
  __host__ __device__ int dilatedForwardRow(int l) const {
    return l == 1 ? 0 : hidden + 3 + (l - 2) * (2 * hidden + 1);
  }
  __host__ __device__ int dilatedBackwardRow(int l) const { return l == 1 ? 0 : hidden + (l - 2) * 2 * hidden; }
  // Ring slots of the dilated sweeps: layer l keeps its last 2^(l−1) positions, 2^L − 1 slots in all.
  __host__ __device__ static int ringSlot(int l, int k) {
    const int span = 1 << (l - 1);
    return span - 1 + (k & (span - 1));
  }
  __host__ __device__ int ringSlots() const { return (1 << layers) - 1; }
  // Weight-gradient operands (∂pre buffers) of the dilated cell: 0, layer 1 at the cell of k − 1; for
  // l ≥ 2, 2l − 3 at the cell of k − 2^(l−1) (look-back columns) and 2l − 2 at the cell of k (lower).
  __host__ __device__ int dilatedOperands() const { return 2 * layers - 1; }

  // Staged weight rows before the output layer's. Forward: vanilla, per input j the rows t of W_j^T
  // (d_h + 2 each); tensorized, per (slot m, H tile u) the rows t of T_m[:, u·d_h + t]. Backward: vanilla,
  // per j the rows i of W_j's hidden columns; tensorized, per (m, u) the rows i of T_m[i][u·d_h + ·].
  __host__ __device__ int tensorRows() const { return 2 * inputs * inputs * hidden; }
  __host__ __device__ int forwardWeightRows() const { return tensorized ? tensorRows() : inputs * (hidden + 2); }
  __host__ __device__ int backwardWeightRows() const { return tensorized ? tensorRows() : inputs * hidden; }
  // The first staged row of slot m's H tile u (tensorized).
  __host__ __device__ int tensorRow(int m, int u) const { return (m * inputs + u) * hidden; }
  // Products per position and their operands: vanilla one per input; tensorized one per (input j, H
  // tile u), each with two weight rows per column (both slots, blended per sample by b_j).
  __host__ __device__ int productsPerPosition() const {
    return dilated() ? 2 * layers - 1 : tensorized ? inputs * inputs : inputs;
  }
  // ∂pre buffers of the weight gradient: vanilla one per input; tensorized one per (j, u, b).
  __host__ __device__ int gradientOperands() const {
    return dilated() ? dilatedOperands() : tensorized ? 2 * inputs * inputs : inputs;
  }

  // The offsets of site i's slices (the shared blocks themselves when not per site).
  __host__ __device__ NetworkArgs atSite(int site) const {
    NetworkArgs s = *this;
    if (!per_site) return s;
    for (int j = 0; j < 2; ++j) s.weight_offset[j] += site * weight_site[j];
    s.bias_offset += site * bias_site;
    s.u_offset += site * u_site;
    s.d_offset += site * d_site;
    for (int l = 0; l < layers; ++l) {
      s.layer_weight[l] += site * layer_weight_site[l];
      s.layer_bias[l] += site * layer_bias_site[l];
    }
    return s;
  }
};

template <class Scalar>
struct ForwardArgs {
  NetworkArgs net;
  int n_ig = 1, hp = 0, spw = 0;
  int set_stride = 0, sets_per_block = 1;
  int weights_bytes = 0, warp_bytes = 0, ring_scalars = 0, packed_words = 0;
  const Scalar* params = nullptr;
  // Per-site weights: every site's staged rows in global memory [P][N][set_stride] (read per position;
  // they do not fit in shared memory), null when shared.
  const Scalar* site_rows = nullptr;
  int P = 0, M = 0, m_pad = 0;
  bool sampling = false;
  RngKey key{0, 0};
  std::uint32_t step = 0, first_sample = 0;
  const std::uint32_t* stream_ids = nullptr;
  const std::uint8_t* bits_in = nullptr;
  std::uint8_t* bits_out = nullptr;
  double* logp = nullptr;
  double* energies = nullptr;
  Scalar* kept_acts = nullptr;  // [P][N][M][lda]: h, 1 − b, b of every position
  Scalar* kept_probs = nullptr;  // [P][N][M]: p_up
  int lda = 0;
  HamiltonianPointers hamiltonian;  // in device memory (energies only)
  // Dilated: each resident warp's rings (and packed bits) in global memory, scratch_per_warp Scalars.
  Scalar* scratch = nullptr;
  int scratch_per_warp = 0;
};

template <class Scalar>
struct BackwardArgs {
  NetworkArgs net;
  int n_ig = 1, hp = 0, spw = 0;
  int set_stride = 0, weights_bytes = 0, warp_bytes = 0;
  int warps_per_set = 0, blocks_per_set = 0;
  const Scalar* params = nullptr;
  const Scalar* site_rows = nullptr;  // per-site weights, as in ForwardArgs
  int P = 0, M = 0;
  const Scalar* acts = nullptr;
  const Scalar* probs = nullptr;
  int lda = 0;
  const std::uint8_t* bits = nullptr;
  const double* weights = nullptr;
  // [P][N][M][ldd] each, at the cell of q: vanilla, dpre[j] = ∂pre of the position reading q through
  // input j; tensorized, dpre[(j·inputs + u)·2 + b] = ∂pre of the position k reading q as its H tile u,
  // where k's predecessor j has bit b (zero elsewhere: cleared before the kernel).
  // Dilated: dpre[o] for the operands of NetworkArgs::dilatedOperands (cleared before the kernel).
  Scalar* dpre[2 * kMaxLayers] = {};
  int ldd = 0;
  // [P][warps_per_set][partial_sites][partial_stride]: ∂c, ∂(U_1 − U_0), ∂(d_1 − d_0), each hp wide
  // (dilated: ∂c_1 .. ∂c_L first; per site: one row per site, written after its position; shared: one row)
  double* partials = nullptr;
  int partial_stride = 0, partial_sites = 1;
  int* mismatches = nullptr;
  // Dilated: each resident warp's ∂h rings, ∂pre staging and ∂c accumulators in global memory.
  Scalar* scratch = nullptr;
  int scratch_per_warp = 0;
};

// ---------------------------------------------------------------- gradient assembly

// Entry j of parameter set p in the assembly kernels: inBlock says whether j lies in the block
// [sites][slice] at offset (slice: per_site_slice per site, shared_size when shared) and then sets its
// site and index within the slice; partialSum adds entry `entry` of that site's partial rows over the
// set's warps (fixed order: deterministic).
struct GradientEntry {
  const NetworkArgs& net;
  int p, j, warps_per_set, partial_stride;
  const double* partials;
  int site = 0, local = 0;
  __device__ int sites() const { return net.per_site ? net.n_sites : 1; }
  __device__ bool inBlock(int offset, int per_site_slice, int shared_size) {
    const int slice = net.per_site ? per_site_slice : shared_size;
    if (j < offset || j >= offset + sites() * slice) return false;
    site = (j - offset) / slice;
    local = (j - offset) % slice;
    return true;
  }
  __device__ double partialSum(int entry) const {
    double s = 0.0;
    for (int w = 0; w < warps_per_set; ++w)
      s += partials[((static_cast<std::size_t>(p) * warps_per_set + w) * sites() + site) * partial_stride + entry];
    return s;
  }
};

// ---------------------------------------------------------------- the output layer of both sweeps

// Position k's uniforms of the lane's owned samples (1 where it owns none): the counter-based draw of
// sampling_rule.hpp, so every backend draws the same bits.
template <class Scalar, int C>
__device__ __forceinline__ void positionUniforms(const ForwardArgs<Scalar>& a, int k, int s0, std::uint32_t stream,
                                                 const bool (&owner)[C], float (&u)[C]) {
#pragma unroll
  for (int c = 0; c < C; ++c)
    u[c] = owner[c] ? samplingUniform(a.key, static_cast<std::uint32_t>(k),
                                      a.first_sample + static_cast<std::uint32_t>(s0 + c), stream, a.step)
                    : 1.0f;
}

// One thread per entry of the P gradients (an assembly kernel: assembleGradientKernel, the dilated one).
template <class Scalar, class Kernel>
void launchGradientAssembly(Kernel kernel, const BackwardArgs<Scalar>& a, const Scalar* weight_grad, double* grad,
                            cudaStream_t stream) {
  const std::int64_t entries = static_cast<std::int64_t>(a.P) * a.net.n_params;
  const int threads = 256;
  VNA_LAUNCH(static_cast<unsigned>((entries + threads - 1) / threads), threads, 0, stream, kernel)(
      a.net, a.P, a.warps_per_set, a.partials, a.partial_stride, a.hp, weight_grad, grad);
}

// Position k's draw (sampling) or teacher-forced bit for the lane's owned samples, from its logit
// part[c] + (d_1 − d_0): log p accumulated in lp, the bit written to bit_row[c] (the ring's bit row at
// the lane's samples) and, for valid samples, to bits_out, the kept activations (rows d_h and d_h + 1:
// 1 − b, b) and probabilities, and the packed bits of the fused energy.
template <class Scalar, int C>
__device__ __forceinline__ void emitBits(const ForwardArgs<Scalar>& a, int p, int s0, int k, int site,
                                         const bool (&owner)[C], const bool (&valid)[C], const float (&u)[C],
                                         const Scalar (&part)[C], Scalar ddiff, double (&lp)[C], Scalar* bit_row,
                                         std::uint32_t* packed, int s_off) {
  const int N = a.net.n_sites, hidden = a.net.hidden;
#pragma unroll
  for (int c = 0; c < C; ++c) {
    if (!owner[c]) continue;
    const Scalar delta = part[c] + ddiff;
    const Scalar t = expMinusAbs(delta);
    const Scalar p_up = probabilityUp(delta, t);
    const std::size_t sample = static_cast<std::size_t>(p) * a.M + s0 + c;
    bool bit;
    if (a.sampling)
      bit = drawBit(u[c], p_up);
    else
      bit = valid[c] && a.bits_in[sample * N + site] != 0;
    const Scalar b = bit ? Scalar(1) : Scalar(0);
    lp[c] += static_cast<double>(logProbabilityOf(delta, t, b));
    bit_row[c] = b;
    if (valid[c]) {
      if (a.bits_out != nullptr) a.bits_out[sample * N + site] = bit ? 1 : 0;
      if (a.kept_acts != nullptr) {
        const std::size_t cell = (static_cast<std::size_t>(p) * N + k) * a.M + s0 + c;
        a.kept_probs[cell] = p_up;
        a.kept_acts[cell * a.lda + hidden] = Scalar(1) - b;
        a.kept_acts[cell * a.lda + hidden + 1] = b;
      }
      if (a.packed_words > 0 && bit) packed[(s_off + c) * a.packed_words + site / 32] |= 1u << (site % 32);
    }
  }
}

// gd[c] = ∂(w log p(b))/∂δ = w (b − p_up) of the lane's samples at position k (cell0: the cell of its
// first sample), computed by each sample's owner (which adds it to grad_d and counts bits that differ
// from the kept ones) and shared with its lanes.
template <class Scalar, int C>
__device__ __forceinline__ void outputGradient(const BackwardArgs<Scalar>& a, int p, int s0, std::size_t cell0,
                                               int site_k, const bool (&owner)[C], const bool (&valid)[C],
                                               const double (&weight)[C], int sg, int n_ig, double& grad_d,
                                               int& mismatches, Scalar (&gd)[C]) {
  Scalar gd_own[C];
#pragma unroll
  for (int c = 0; c < C; ++c) {
    gd_own[c] = Scalar(0);
    if (owner[c] && valid[c]) {
      const Scalar b = a.acts[(cell0 + c) * a.lda + a.net.hidden + 1];
      gd_own[c] = static_cast<Scalar>(weight[c]) * (b - a.probs[cell0 + c]);
      grad_d += static_cast<double>(gd_own[c]);
      if ((a.bits[(static_cast<std::size_t>(p) * a.M + s0 + c) * a.net.n_sites + site_k] != 0) != (b > Scalar(0.5)))
        ++mismatches;
    }
  }
#pragma unroll
  for (int c = 0; c < C; ++c) gd[c] = __shfl_sync(kFullMask, gd_own[c], sg * n_ig + (c & (n_ig - 1)));
}

}  // namespace detail
}  // namespace cuda
}  // namespace vna
