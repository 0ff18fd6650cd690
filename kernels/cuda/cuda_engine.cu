// Fused CUDA kernels of the vanilla RNN engine (see cuda_engine.hpp and doc/performance.md, "CUDA
// backend").
//
// Forward (sampling or teacher forcing). A warp owns spw = (32 / n_ig) · C samples; lane
// (ig, sg) = (lane mod n_ig, lane / n_ig) computes hidden units ig·R .. ig·R + R − 1 of samples
// sg·C .. sg·C + C − 1 in registers. The warp keeps a ring of hidden-state slots [slot][d_hp + 1][spw]
// in shared memory (row d_hp holds the bit): the snake order's vertical predecessor lies up to one
// row back, so a 2D lattice needs L slots, a chain one. All exchanges are inside the warp
// (__syncwarp and shuffles), so warps run the whole lattice sweep without block barriers; the block
// only shares the staged weights of the parameter sets its warps touch. Per position: the GEMM
// [d_h × (d_h+2)] · [h; onehot] for each present predecessor from shared memory, ELU, the output
// logit by a butterfly over the n_ig lanes, and the draw by the sample's owner lane (Philox counter
// computed before the GEMM so its latency hides behind it). log p is accumulated in double; the
// energy of the sample is evaluated at the end from its bits packed in shared memory.
//
// Backward. The same tiles in reverse order; ∂h of pending positions lives in a thread-private ring
// (each lane owns its tile), ∂pre is exchanged through a double-buffered warp staging area, so one
// __syncwarp per position suffices. ∂c, ∂U, ∂d are reduced in registers and then across warps in a
// fixed order; the weight gradients ∂W_j = Σ_{positions, samples} ∂pre ⊗ [h; onehot] are strided-
// batched cuBLAS GEMMs over (position, sample) with one batch entry per parameter set.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/error.hpp"
#include "core/random.hpp"
#include "cuda/cuda_check.hpp"
#include "cuda/cuda_engine.hpp"
#include "cuda/device_buffer.hpp"
#include "sampling_rule.hpp"

namespace vna {
namespace cuda {

namespace {

constexpr int kWarpSize = 32;
constexpr int kMaxWarpsPerBlock = 8;
constexpr unsigned kFullMask = 0xffffffffu;

// The compiled register tiles (rows R × samples C). R sets the lanes per sample (n_ig = the power of
// two ≥ d_h / R), C the samples per lane; see choosePlan.
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

template <class Scalar, int R>
__host__ __device__ constexpr int tiledRowLength(int n_ig) {
  return (n_ig * R + MaxVector<Scalar>::value - 1) / MaxVector<Scalar>::value * MaxVector<Scalar>::value;
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

// ELU(x) = x for x > 0, e^x − 1 otherwise. float uses the hardware exponential (a few ulp, like
// fastmath::exp of the Kokkos cells; the probabilities themselves use sampling_rule.hpp's formulas).
__device__ __forceinline__ float eluForward(float x) { return x > 0.0f ? x : __expf(fminf(x, 0.0f)) - 1.0f; }
__device__ __forceinline__ double eluForward(double x) { return x > 0.0 ? x : fastmath::exp(x < 0.0 ? x : 0.0) - 1.0; }

// ELU'(x) from y = ELU(x): 1 for y > 0, y + 1 otherwise.
template <class Scalar>
__device__ __forceinline__ Scalar eluDerivative(Scalar y) {
  return y > Scalar(0) ? Scalar(1) : y + Scalar(1);
}

// ---------------------------------------------------------------- kernel arguments

struct NetworkArgs {
  int n_sites = 0, hidden = 0, inputs = 1, n_params = 0;
  int weight_offset[2] = {0, 0};
  int bias_offset = 0, u_offset = 0, d_offset = 0;
  const int* order = nullptr;        // [N]
  const int* predecessor = nullptr;  // [N][2]
  const int* reader = nullptr;       // [N][2]: the position reading k through input j (−1: none)
  const int* forward_slot = nullptr;   // [N]
  const int* backward_slot = nullptr;  // [N] (−1: no later reader, ∂h only from its own output)
  int forward_slots = 1, backward_slots = 0;
};

// How a call is cut into warps and blocks (choosePlan).
struct Plan {
  int rows = 0, samples = 0;  // tile R × C
  int n_ig = 1, hp = 0, spw = 0;
  int warps_per_block = 1, blocks = 0;
  int set_stride = 0;     // Scalars per staged parameter set
  int sets_per_block = 1;
  std::size_t warp_bytes = 0, smem_bytes = 0;
  double estimate = 0;  // model cost (relative units)
  std::string describe() const {
    return "tile " + std::to_string(rows) + "x" + std::to_string(samples) + ", " + std::to_string(n_ig) +
           " lanes/sample, " + std::to_string(warps_per_block) + " warps/block, " + std::to_string(blocks) +
           " blocks, " + std::to_string(smem_bytes / 1024) + " KiB shared";
  }
};

template <class Scalar>
struct ForwardArgs {
  NetworkArgs net;
  int n_ig = 1, hp = 0, spw = 0;
  int set_stride = 0, sets_per_block = 1;
  int weights_bytes = 0, warp_bytes = 0, ring_scalars = 0, packed_words = 0;
  const Scalar* params = nullptr;
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
  const int* term_offsets = nullptr;
  const int* term_sites = nullptr;
  const double* term_coeffs = nullptr;
  int n_terms = 0;
  const int* field_sites = nullptr;
  const double* field_values = nullptr;
  int n_fields = 0;
};

template <class Scalar>
struct BackwardArgs {
  NetworkArgs net;
  int n_ig = 1, hp = 0, spw = 0;
  int set_stride = 0, weights_bytes = 0, warp_bytes = 0;
  int warps_per_set = 0, blocks_per_set = 0;
  const Scalar* params = nullptr;
  int P = 0, M = 0;
  const Scalar* acts = nullptr;
  const Scalar* probs = nullptr;
  int lda = 0;
  const std::uint8_t* bits = nullptr;
  const double* weights = nullptr;
  Scalar* dpre[2] = {nullptr, nullptr};  // [P][N][M][ldd]: ∂pre of the position reading q through input j
  int ldd = 0;
  double* partials = nullptr;  // [P][warps_per_set][2 hp + 1]: ∂c, ∂(U_1 − U_0), ∂(d_1 − d_0)
  int partial_stride = 0;
  int* mismatches = nullptr;
};

// ---------------------------------------------------------------- forward

// Staged parameter set (forward): per input j the rows t = 0 .. d_h + 1 of W_j^T (W_j[i][t] at tiled
// column of i), then c, U_1 − U_0, and d_1 − d_0 (first element of the last row).
template <class Scalar, int R>
__device__ void stageForwardSet(const ForwardArgs<Scalar>& a, const Scalar* __restrict__ theta, Scalar* dst) {
  const int hpv = tiledRowLength<Scalar, R>(a.n_ig);
  const int in = a.net.hidden + 2;
  const int rows = a.net.inputs * in + 3;
  for (int idx = threadIdx.x; idx < rows * hpv; idx += blockDim.x) {
    const int row = idx / hpv, col = idx - row * hpv;
    int ig = 0;
    const int r = tiledRow<Scalar, R>(col, a.n_ig, ig);
    const int i = ig * R + r;
    Scalar value = Scalar(0);
    if (r >= 0 && i < a.net.hidden) {
      if (row < a.net.inputs * in) {
        const int j = row / in, t = row - j * in;
        value = theta[a.net.weight_offset[j] + i * in + t];
      } else if (row == a.net.inputs * in) {
        value = theta[a.net.bias_offset + i];
      } else if (row == a.net.inputs * in + 1) {
        value = theta[a.net.u_offset + a.net.hidden + i] - theta[a.net.u_offset + i];
      }
    }
    if (row == a.net.inputs * in + 2 && col == 0) value = theta[a.net.d_offset + 1] - theta[a.net.d_offset];
    dst[idx] = value;
  }
}

// Launch bound (256 threads, 1 block): the shared-memory ring, not registers, limits the warps per SM,
// so ptxas may use up to 255 registers per lane (with the default bound it capped at 128 and spilled).
template <class Scalar, int R, int C>
__global__ void __launch_bounds__(kMaxWarpsPerBlock* kWarpSize, 1) forwardKernel(const ForwardArgs<Scalar> a) {
  extern __shared__ __align__(16) unsigned char smem[];
  Scalar* staged = reinterpret_cast<Scalar*>(smem);
  const int n_ig = a.n_ig, spw = a.spw, hp = a.hp, hidden = a.net.hidden, N = a.net.n_sites;
  const int hpv = tiledRowLength<Scalar, R>(n_ig);
  const int warps = blockDim.x / kWarpSize;
  const std::int64_t total = static_cast<std::int64_t>(a.P) * a.m_pad;
  const std::int64_t block_lane0 = static_cast<std::int64_t>(blockIdx.x) * warps * spw;
  const int p_lo = static_cast<int>(block_lane0 / a.m_pad);
  const std::int64_t block_end = std::min<std::int64_t>(block_lane0 + static_cast<std::int64_t>(warps) * spw, total);
  const int p_hi = static_cast<int>((block_end - 1) / a.m_pad);
  for (int g = 0; g <= p_hi - p_lo; ++g)
    stageForwardSet<Scalar, R>(a, a.params + static_cast<std::size_t>(p_lo + g) * a.net.n_params,
                               staged + static_cast<std::size_t>(g) * a.set_stride);
  __syncthreads();

  const int warp = threadIdx.x / kWarpSize, lane = threadIdx.x % kWarpSize;
  const std::int64_t warp_lane0 = block_lane0 + static_cast<std::int64_t>(warp) * spw;
  if (warp_lane0 >= total) return;  // the whole warp: no warp-level exchange is pending
  const int ig = lane & (n_ig - 1), sg = lane / n_ig;
  const std::int64_t my_lane0 = warp_lane0 + sg * C;
  const bool in_range = my_lane0 < total;
  // Lanes past the batch compute on the last set and write nothing.
  const int p = in_range ? static_cast<int>(my_lane0 / a.m_pad) : a.P - 1;
  const int s0 = in_range ? static_cast<int>(my_lane0 % a.m_pad) : 0;
  const Scalar* W = staged + static_cast<std::size_t>(p - p_lo) * a.set_stride;
  Scalar* ring = reinterpret_cast<Scalar*>(smem + a.weights_bytes + static_cast<std::size_t>(warp) * a.warp_bytes);
  std::uint32_t* packed = reinterpret_cast<std::uint32_t*>(ring + a.ring_scalars);
  const int slot_rows = hp + 1;
  const int s_off = sg * C;
  const std::uint32_t stream = a.sampling ? a.stream_ids[p] : 0u;

  bool valid[C];
  bool owner[C];
#pragma unroll
  for (int c = 0; c < C; ++c) {
    valid[c] = in_range && s0 + c < a.M;
    owner[c] = (c & (n_ig - 1)) == ig;
  }
  if (a.packed_words > 0) {
    for (int w = lane; w < spw * a.packed_words; w += kWarpSize) packed[w] = 0u;
  }
  double lp[C];
#pragma unroll
  for (int c = 0; c < C; ++c) lp[c] = 0.0;

  const int in = hidden + 2;
  const Scalar* bias_row = W + static_cast<std::size_t>(a.net.inputs) * in * hpv;
  const Scalar* udiff_row = bias_row + hpv;
  const Scalar ddiff = udiff_row[hpv];
  Scalar bias[R], udiff[R];
  loadTiledRow<Scalar, R>(bias_row, ig, n_ig, bias);
  loadTiledRow<Scalar, R>(udiff_row, ig, n_ig, udiff);
  __syncwarp();

  for (int k = 0; k < N; ++k) {
    const int site = __ldg(a.net.order + k);
    float u[C];
    if (a.sampling) {
#pragma unroll
      for (int c = 0; c < C; ++c)
        u[c] = owner[c] ? samplingUniform(a.key, static_cast<std::uint32_t>(k),
                                          a.first_sample + static_cast<std::uint32_t>(s0 + c), stream, a.step)
                        : 1.0f;
    }
    Scalar acc[R][C];
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int c = 0; c < C; ++c) acc[r][c] = bias[r];
    for (int j = 0; j < a.net.inputs; ++j) {
      const int q = __ldg(a.net.predecessor + 2 * k + j);
      if (q < 0) continue;
      const Scalar* x = ring + static_cast<std::size_t>(__ldg(a.net.forward_slot + q)) * slot_rows * spw + s_off;
      const Scalar* wt = W + static_cast<std::size_t>(j) * in * hpv;
#pragma unroll 4
      for (int t = 0; t < hidden; ++t) {
        Scalar wr[R], xc[C];
        loadTiledRow<Scalar, R>(wt + t * hpv, ig, n_ig, wr);
        loadContiguous<Scalar, C>(x + t * spw, xc);
#pragma unroll
        for (int r = 0; r < R; ++r)
#pragma unroll
          for (int c = 0; c < C; ++c) acc[r][c] = fma(wr[r], xc[c], acc[r][c]);
      }
      // The one-hot columns: exactly W_j[i][d_h + b] of the predecessor's bit b.
      Scalar bq[C], w0[R], w1[R];
      loadContiguous<Scalar, C>(x + hp * spw, bq);
      loadTiledRow<Scalar, R>(wt + hidden * hpv, ig, n_ig, w0);
      loadTiledRow<Scalar, R>(wt + (hidden + 1) * hpv, ig, n_ig, w1);
#pragma unroll
      for (int r = 0; r < R; ++r)
#pragma unroll
        for (int c = 0; c < C; ++c) acc[r][c] += bq[c] > Scalar(0.5) ? w1[r] : w0[r];
    }
    __syncwarp();  // every lane has read its inputs: slot(k) may reuse a predecessor's slot

    Scalar* out = ring + static_cast<std::size_t>(__ldg(a.net.forward_slot + k)) * slot_rows * spw + s_off;
    Scalar part[C];
#pragma unroll
    for (int c = 0; c < C; ++c) part[c] = Scalar(0);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      Scalar h[C];
#pragma unroll
      for (int c = 0; c < C; ++c) {
        h[c] = eluForward(acc[r][c]);
        part[c] = fma(udiff[r], h[c], part[c]);
      }
      storeContiguous<Scalar, C>(out + (ig * R + r) * spw, h);
      if (a.kept_acts != nullptr && ig * R + r < hidden) {
#pragma unroll
        for (int c = 0; c < C; ++c)
          if (valid[c])
            a.kept_acts[((static_cast<std::size_t>(p) * N + k) * a.M + s0 + c) * a.lda + ig * R + r] = h[c];
      }
    }
    // δ − (d_1 − d_0) summed over the sample's n_ig lanes (xor butterfly: every lane gets the sum).
    for (int offset = 1; offset < n_ig; offset <<= 1) {
#pragma unroll
      for (int c = 0; c < C; ++c) part[c] += __shfl_xor_sync(kFullMask, part[c], offset);
    }
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
      out[hp * spw + c] = b;
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
    __syncwarp();  // h(k) and b(k) are visible to the next position
  }

#pragma unroll
  for (int c = 0; c < C; ++c) {
    if (!owner[c] || !valid[c]) continue;
    const std::size_t sample = static_cast<std::size_t>(p) * a.M + s0 + c;
    a.logp[sample] = lp[c];
    if (a.packed_words > 0) {
      // The sums of computeEnergies, in the same order: terms, then fields.
      const std::uint32_t* b = packed + (s_off + c) * a.packed_words;
      double e = 0.0;
      for (int term = 0; term < a.n_terms; ++term) {
        unsigned parity = 0;  // down spins (bit 0) in the term, mod 2
        for (int q = __ldg(a.term_offsets + term); q < __ldg(a.term_offsets + term + 1); ++q) {
          const int i = __ldg(a.term_sites + q);
          parity ^= ((b[i / 32] >> (i % 32)) & 1u) ^ 1u;
        }
        const double coeff = __ldg(a.term_coeffs + term);
        e += parity ? -coeff : coeff;
      }
      for (int f = 0; f < a.n_fields; ++f) {
        const int i = __ldg(a.field_sites + f);
        const double h = __ldg(a.field_values + f);
        e += ((b[i / 32] >> (i % 32)) & 1u) ? h : -h;
      }
      a.energies[sample] = e;
    }
  }
}

// ---------------------------------------------------------------- backward

// Staged parameter set (backward): per input j the rows i = 0 .. d_h − 1 of W_j restricted to the
// hidden columns (W_j[i][m] at the tiled column of m), then U_1 − U_0.
template <class Scalar, int R>
__device__ void stageBackwardSet(const BackwardArgs<Scalar>& a, const Scalar* __restrict__ theta, Scalar* dst) {
  const int hpv = tiledRowLength<Scalar, R>(a.n_ig);
  const int hidden = a.net.hidden, in = hidden + 2;
  const int rows = a.net.inputs * hidden + 1;
  for (int idx = threadIdx.x; idx < rows * hpv; idx += blockDim.x) {
    const int row = idx / hpv, col = idx - row * hpv;
    int ig = 0;
    const int r = tiledRow<Scalar, R>(col, a.n_ig, ig);
    const int m = ig * R + r;
    Scalar value = Scalar(0);
    if (r >= 0 && m < hidden) {
      if (row < a.net.inputs * hidden) {
        const int j = row / hidden, i = row - j * hidden;
        value = theta[a.net.weight_offset[j] + i * in + m];
      } else {
        value = theta[a.net.u_offset + hidden + m] - theta[a.net.u_offset + m];
      }
    }
    dst[idx] = value;
  }
}

template <class Scalar, int R, int C>
__global__ void __launch_bounds__(kMaxWarpsPerBlock* kWarpSize, 1) backwardKernel(const BackwardArgs<Scalar> a) {
  extern __shared__ __align__(16) unsigned char smem[];
  Scalar* staged = reinterpret_cast<Scalar*>(smem);
  const int n_ig = a.n_ig, spw = a.spw, hp = a.hp, hidden = a.net.hidden, N = a.net.n_sites;
  const int hpv = tiledRowLength<Scalar, R>(n_ig);
  const int warps = blockDim.x / kWarpSize;
  const int p = blockIdx.x / a.blocks_per_set;
  const int block_in_set = blockIdx.x % a.blocks_per_set;
  stageBackwardSet<Scalar, R>(a, a.params + static_cast<std::size_t>(p) * a.net.n_params, staged);
  __syncthreads();

  const int warp = threadIdx.x / kWarpSize, lane = threadIdx.x % kWarpSize;
  const int warp_in_set = block_in_set * warps + warp;
  if (warp_in_set >= a.warps_per_set) return;
  const int ig = lane & (n_ig - 1), sg = lane / n_ig;
  const int s0 = warp_in_set * spw + sg * C;
  const int s_off = sg * C;
  Scalar* ring = reinterpret_cast<Scalar*>(smem + a.weights_bytes + static_cast<std::size_t>(warp) * a.warp_bytes);
  const std::size_t slot_size = static_cast<std::size_t>(hp) * spw;
  Scalar* staging = ring + static_cast<std::size_t>(a.net.backward_slots) * slot_size;  // [2][hp][spw]

  // Each lane touches only its own tile of the ∂h ring: clear it.
  for (int slot = 0; slot < a.net.backward_slots; ++slot)
#pragma unroll
    for (int r = 0; r < R; ++r) {
      Scalar zero[C];
#pragma unroll
      for (int c = 0; c < C; ++c) zero[c] = Scalar(0);
      storeContiguous<Scalar, C>(ring + slot * slot_size + (ig * R + r) * spw + s_off, zero);
    }

  bool valid[C], owner[C];
  double weight[C];
#pragma unroll
  for (int c = 0; c < C; ++c) {
    valid[c] = s0 + c < a.M;
    owner[c] = (c & (n_ig - 1)) == ig;
    weight[c] = valid[c] ? a.weights[static_cast<std::size_t>(p) * a.M + s0 + c] : 0.0;
  }
  const Scalar* udiff_row = staged + static_cast<std::size_t>(a.net.inputs) * hidden * hpv;
  Scalar udiff[R];
  loadTiledRow<Scalar, R>(udiff_row, ig, n_ig, udiff);
  double grad_c[R], grad_u[R], grad_d = 0.0;
#pragma unroll
  for (int r = 0; r < R; ++r) grad_c[r] = grad_u[r] = 0.0;
  int mismatches = 0;

  for (int k = N - 1; k >= 0; --k) {
    const std::size_t cell0 = (static_cast<std::size_t>(p) * N + k) * a.M + s0;
    // ∂(w log p(b))/∂δ = w (b − p_up), computed by the sample's owner and shared with its lanes.
    Scalar gd_own[C];
#pragma unroll
    for (int c = 0; c < C; ++c) {
      gd_own[c] = Scalar(0);
      if (owner[c] && valid[c]) {
        const Scalar b = a.acts[(cell0 + c) * a.lda + hidden + 1];
        gd_own[c] = static_cast<Scalar>(weight[c]) * (b - a.probs[cell0 + c]);
        grad_d += static_cast<double>(gd_own[c]);
        const int site = __ldg(a.net.order + k);
        if ((a.bits[(static_cast<std::size_t>(p) * a.M + s0 + c) * N + site] != 0) != (b > Scalar(0.5))) ++mismatches;
      }
    }
    Scalar gd[C];
#pragma unroll
    for (int c = 0; c < C; ++c) gd[c] = __shfl_sync(kFullMask, gd_own[c], sg * n_ig + (c & (n_ig - 1)));

    const int slot = __ldg(a.net.backward_slot + k);
    Scalar* staging_k = staging + static_cast<std::size_t>(k & 1) * slot_size;
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int i = ig * R + r;
      Scalar dh[C], h[C], dpre[C];
      if (slot >= 0) {
        Scalar* tile = ring + slot * slot_size + i * spw + s_off;
        loadContiguous<Scalar, C>(tile, dh);
        Scalar zero[C];
#pragma unroll
        for (int c = 0; c < C; ++c) zero[c] = Scalar(0);
        storeContiguous<Scalar, C>(tile, zero);  // the slot is free again
      } else {
#pragma unroll
        for (int c = 0; c < C; ++c) dh[c] = Scalar(0);
      }
#pragma unroll
      for (int c = 0; c < C; ++c) {
        h[c] = (valid[c] && i < hidden) ? a.acts[(cell0 + c) * a.lda + i] : Scalar(0);
        dh[c] = fma(udiff[r], gd[c], dh[c]);
        grad_u[r] += static_cast<double>(gd[c] * h[c]);
        dpre[c] = dh[c] * eluDerivative(h[c]);
        grad_c[r] += static_cast<double>(dpre[c]);
      }
      storeContiguous<Scalar, C>(staging_k + i * spw + s_off, dpre);
      if (i < hidden) {
        for (int j = 0; j < a.net.inputs; ++j) {
          const int q = __ldg(a.net.predecessor + 2 * k + j);
          const bool unread = __ldg(a.net.reader + 2 * k + j) < 0;
#pragma unroll
          for (int c = 0; c < C; ++c) {
            if (!valid[c]) continue;
            if (q >= 0)
              a.dpre[j][((static_cast<std::size_t>(p) * N + q) * a.M + s0 + c) * a.ldd + i] = dpre[c];
            if (unread) a.dpre[j][(cell0 + c) * a.ldd + i] = Scalar(0);
          }
        }
      }
    }
    __syncwarp();  // ∂pre(k) of every lane is staged

    // ∂h(q_j) += W_j[:, :d_h]^T ∂pre(k) for the lane's own tile of the predecessor's slot.
    for (int j = 0; j < a.net.inputs; ++j) {
      const int q = __ldg(a.net.predecessor + 2 * k + j);
      if (q < 0) continue;
      const Scalar* wt = staged + static_cast<std::size_t>(j) * hidden * hpv;
      Scalar acc[R][C];
#pragma unroll
      for (int r = 0; r < R; ++r)
#pragma unroll
        for (int c = 0; c < C; ++c) acc[r][c] = Scalar(0);
#pragma unroll 4
      for (int i = 0; i < hidden; ++i) {
        Scalar wr[R], xc[C];
        loadTiledRow<Scalar, R>(wt + i * hpv, ig, n_ig, wr);
        loadContiguous<Scalar, C>(staging_k + i * spw + s_off, xc);
#pragma unroll
        for (int r = 0; r < R; ++r)
#pragma unroll
          for (int c = 0; c < C; ++c) acc[r][c] = fma(wr[r], xc[c], acc[r][c]);
      }
      Scalar* target = ring + __ldg(a.net.backward_slot + q) * slot_size + s_off;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        Scalar cur[C];
        loadContiguous<Scalar, C>(target + (ig * R + r) * spw, cur);
#pragma unroll
        for (int c = 0; c < C; ++c) cur[c] += acc[r][c];
        storeContiguous<Scalar, C>(target + (ig * R + r) * spw, cur);
      }
    }
    // No second barrier: the next position stages into the other buffer, and the ring tiles are
    // lane-private.
  }

  // Reduce over the lanes holding the same rows (fixed order: deterministic), then write the warp's
  // partial sums.
  for (int offset = n_ig; offset < kWarpSize; offset <<= 1) {
#pragma unroll
    for (int r = 0; r < R; ++r) {
      grad_c[r] += __shfl_xor_sync(kFullMask, grad_c[r], offset);
      grad_u[r] += __shfl_xor_sync(kFullMask, grad_u[r], offset);
    }
  }
  for (int offset = 1; offset < kWarpSize; offset <<= 1) {
    grad_d += __shfl_xor_sync(kFullMask, grad_d, offset);
    mismatches += __shfl_xor_sync(kFullMask, mismatches, offset);
  }
  double* partial = a.partials + (static_cast<std::size_t>(p) * a.warps_per_set + warp_in_set) * a.partial_stride;
  if (sg == 0) {
#pragma unroll
    for (int r = 0; r < R; ++r) {
      partial[ig * R + r] = grad_c[r];
      partial[hp + ig * R + r] = grad_u[r];
    }
  }
  if (lane == 0) {
    partial[2 * hp] = grad_d;
    if (mismatches > 0) atomicAdd(a.mismatches, mismatches);
  }
}

// grad[p][j] for every entry: the W_j blocks from cuBLAS's Scalar results, c / U / d from the warps'
// partial sums (added in warp order).
template <class Scalar>
__global__ void assembleGradientKernel(NetworkArgs net, int P, int warps_per_set, const double* __restrict__ partials,
                                       int partial_stride, int hp, const Scalar* __restrict__ weight_grad,
                                       double* __restrict__ grad) {
  const std::int64_t idx = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<std::int64_t>(P) * net.n_params) return;
  const int p = static_cast<int>(idx / net.n_params), j = static_cast<int>(idx % net.n_params);
  const int hidden = net.hidden;
  auto sum = [&](int entry) {
    double s = 0.0;
    for (int w = 0; w < warps_per_set; ++w)
      s += partials[(static_cast<std::size_t>(p) * warps_per_set + w) * partial_stride + entry];
    return s;
  };
  double value;
  if (j >= net.bias_offset && j < net.bias_offset + hidden) {
    value = sum(j - net.bias_offset);
  } else if (j >= net.u_offset && j < net.u_offset + 2 * hidden) {
    // U = [U_0; U_1] enters only through U_1 − U_0 (and d through d_1 − d_0).
    const int r = (j - net.u_offset) / hidden, i = (j - net.u_offset) % hidden;
    value = (r == 1 ? 1.0 : -1.0) * sum(hp + i);
  } else if (j >= net.d_offset && j < net.d_offset + 2) {
    value = (j - net.d_offset == 1 ? 1.0 : -1.0) * sum(2 * hp);
  } else {
    value = static_cast<double>(weight_grad[idx]);
  }
  grad[idx] = value;
}

}  // namespace

// ---------------------------------------------------------------- host side

template <class Scalar>
struct Engine<Scalar>::State {
  NetworkSpec spec;
  int device = 0;
  cudaDeviceProp prop{};
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  NetworkArgs net;
  DeviceBuffer<int> tables;  // order, predecessor, reader, forward_slot, backward_slot
  // Hamiltonian.
  bool have_hamiltonian = false;
  DeviceBuffer<int> term_offsets, term_sites, field_sites;
  DeviceBuffer<double> term_coeffs, field_values;
  int n_terms = 0, n_fields = 0;
  // Host-interface staging.
  DeviceBuffer<Scalar> params;
  DeviceBuffer<std::uint32_t> stream_ids;
  DeviceBuffer<std::uint8_t> bits;
  DeviceBuffer<double> logp, energies, weights, grad;
  // Kept activations and the backward workspaces.
  DeviceBuffer<Scalar> acts, probs, dpre, weight_grad;
  DeviceBuffer<double> partials;
  DeviceBuffer<int> mismatches;
  bool kept_valid = false;
  int kept_P = 0, kept_M = 0;
  // Tuning and profiling.
  Tile forced;
  bool profiling = false;
  Profile profile;
  cudaEvent_t events[6] = {};
  std::map<std::tuple<int, int, int, int>, Plan> plans;  // (kind, P, M, energies) -> plan

  ~State() {
    for (cudaEvent_t& e : events)
      if (e) cudaEventDestroy(e);
    if (cublas) cublasDestroy(cublas);
    if (stream) cudaStreamDestroy(stream);
  }

  int lda() const { return spec.hidden + 2; }
  int ldd() const { return spec.hidden; }
  void record(int i) {
    if (profiling) VNA_CUDA(cudaEventRecord(events[i], stream));
  }
  double elapsed(int a, int b) const {
    float ms = 0.0f;
    VNA_CUDA(cudaEventElapsedTime(&ms, events[a], events[b]));
    return ms;
  }

  // Rows R compiled for; lanes per sample n_ig (a power of two) and padded hidden size for rows R.
  bool tileGeometry(int rows, int samples, int& n_ig, int& hp, int& spw) const {
    n_ig = pow2Ceil((spec.hidden + rows - 1) / rows);
    if (n_ig > kWarpSize) return false;
    hp = n_ig * rows;
    spw = kWarpSize / n_ig * samples;
    return true;
  }
  static std::size_t align16(std::size_t bytes) { return (bytes + 15) / 16 * 16; }

  // Candidate launch geometry for the forward (kind 0) or backward (kind 1) kernel; false when it does
  // not fit the device.
  template <int R, int C>
  bool evaluatePlan(int kind, int P, int M, bool energies, int warps_per_block, Plan& plan) {
    int n_ig, hp, spw;
    if (!tileGeometry(R, C, n_ig, hp, spw)) return false;
    const int hpv = tiledRowLength<Scalar, R>(n_ig);
    const int N = spec.n_sites, inputs = spec.inputs, hidden = spec.hidden;
    Plan c;
    c.rows = R;
    c.samples = C;
    c.n_ig = n_ig;
    c.hp = hp;
    c.spw = spw;
    c.warps_per_block = warps_per_block;
    std::int64_t warps_total;
    if (kind == 0) {
      const int m_pad = (M + C - 1) / C * C;
      const std::int64_t lanes = static_cast<std::int64_t>(P) * m_pad;
      warps_total = (lanes + spw - 1) / spw;
      const std::int64_t lanes_per_block = static_cast<std::int64_t>(warps_per_block) * spw;
      c.sets_per_block = static_cast<int>(std::min<std::int64_t>(P, (lanes_per_block - 1) / m_pad + 2));
      c.set_stride = static_cast<int>(align16((inputs * (hidden + 2) + 3) * hpv * sizeof(Scalar)) / sizeof(Scalar));
      const int words = energies ? (N + 31) / 32 : 0;
      c.warp_bytes = align16(static_cast<std::size_t>(net.forward_slots) * (hp + 1) * spw * sizeof(Scalar) +
                             static_cast<std::size_t>(spw) * words * 4);
      c.blocks = static_cast<int>((warps_total + warps_per_block - 1) / warps_per_block);
    } else {
      const int warps_per_set = (M + spw - 1) / spw;
      warps_total = static_cast<std::int64_t>(P) * warps_per_set;
      c.sets_per_block = 1;
      c.set_stride = static_cast<int>(align16((inputs * hidden + 1) * hpv * sizeof(Scalar)) / sizeof(Scalar));
      c.warp_bytes = align16(static_cast<std::size_t>(net.backward_slots + 2) * hp * spw * sizeof(Scalar));
      const int blocks_per_set = (warps_per_set + warps_per_block - 1) / warps_per_block;
      c.blocks = P * blocks_per_set;
    }
    c.smem_bytes = static_cast<std::size_t>(c.sets_per_block) * c.set_stride * sizeof(Scalar) +
                   static_cast<std::size_t>(warps_per_block) * c.warp_bytes;
    if (c.smem_bytes > prop.sharedMemPerBlockOptin) return false;
    const void* fn = kind == 0 ? reinterpret_cast<const void*>(&forwardKernel<Scalar, R, C>)
                               : reinterpret_cast<const void*>(&backwardKernel<Scalar, R, C>);
    VNA_CUDA(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  static_cast<int>(prop.sharedMemPerBlockOptin)));
    int blocks_per_sm = 0;
    VNA_CUDA(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm, fn, warps_per_block * kWarpSize,
                                                           c.smem_bytes));
    if (blocks_per_sm == 0) return false;
    // Cost model (relative; calibrated on the GPU with tools/bench): per warp and position, the GEMM
    // issues R·C FMAs and (chunks of R + vectors of C) shared loads per input column, plus the logit,
    // draw and bookkeeping. An SM partition issues one instruction per cycle; one warp alone reaches
    // about half of that, two or more about all of it.
    const int loads = RowTiling<Scalar, R>::chunks() + (C * static_cast<int>(sizeof(Scalar)) + 15) / 16;
    const double per_position = static_cast<double>(inputs) * hidden * (R * C + loads) * (kind == 0 ? 1.0 : 2.0) +
                                12.0 * R * C + 8.0 * C * std::log2(static_cast<double>(n_ig)) +
                                120.0 * ((C + n_ig - 1) / n_ig);
    const int sms = prop.multiProcessorCount;
    const double warps_per_sm = std::ceil(static_cast<double>(warps_total) / sms);
    const double concurrent = std::min<double>(warps_per_sm, static_cast<double>(blocks_per_sm) * warps_per_block);
    const double active_partitions = std::min(4.0, concurrent);
    const double rate = active_partitions * std::min(1.0, 0.5 * concurrent / active_partitions);
    c.estimate = warps_per_sm * N * per_position / rate;
    plan = c;
    return true;
  }

  Plan choosePlan(int kind, int P, int M, bool energies) {
    const auto key = std::make_tuple(kind, P, M, energies ? 1 : 0);
    const auto found = plans.find(key);
    if (found != plans.end()) return found->second;
    Plan best;
    bool have = false;
    auto consider = [&](int R, int C, int W) {
      withTile(R, C, [&](auto r, auto c) {
        Plan candidate;
        if (evaluatePlan<decltype(r)::value, decltype(c)::value>(kind, P, M, energies, W, candidate) &&
            (!have || candidate.estimate < best.estimate)) {
          best = candidate;
          have = true;
        }
      });
    };
    const std::vector<Tile> tiles = compiledTiles();
    for (const Tile& t : tiles) {
      if (forced.rows > 0 && (t.rows != forced.rows || t.samples != forced.samples)) continue;
      for (int W = 1; W <= kMaxWarpsPerBlock; W *= 2)
        if (forced.warps_per_block == 0 || forced.warps_per_block == W) consider(t.rows, t.samples, W);
    }
    if (!have)
      throw Error("cuda::Engine: no compiled tile fits this network on " + std::string(prop.name) +
                  (forced.rows > 0 ? " (with the forced tile " + std::to_string(forced.rows) + "x" +
                                         std::to_string(forced.samples) + ")"
                                   : ""));
    plans[key] = best;
    return best;
  }

  void launchForward(const Plan& plan, ForwardArgs<Scalar>& a) {
    a.net = net;
    a.n_ig = plan.n_ig;
    a.hp = plan.hp;
    a.spw = plan.spw;
    a.set_stride = plan.set_stride;
    a.sets_per_block = plan.sets_per_block;
    a.weights_bytes = static_cast<int>(static_cast<std::size_t>(plan.sets_per_block) * plan.set_stride * sizeof(Scalar));
    a.warp_bytes = static_cast<int>(plan.warp_bytes);
    a.ring_scalars = net.forward_slots * (plan.hp + 1) * plan.spw;
    a.m_pad = (a.M + plan.samples - 1) / plan.samples * plan.samples;
    profile.forward_plan = plan.describe();
    withTile(plan.rows, plan.samples, [&](auto r, auto c) {
      forwardKernel<Scalar, decltype(r)::value, decltype(c)::value>
          <<<plan.blocks, plan.warps_per_block * kWarpSize, plan.smem_bytes, stream>>>(a);
    });
    VNA_CUDA(cudaGetLastError());
  }
};

namespace {

// Predecessor bookkeeping on the host: who reads each position, and the ring slots of both sweeps.
struct SlotTables {
  std::vector<int> reader, forward_slot, backward_slot;
  int forward_slots = 0, backward_slots = 0;
  std::string problem;  // non-empty when a position is read twice through the same input
};

SlotTables slotTables(const NetworkSpec& spec) {
  const int N = spec.n_sites;
  SlotTables t;
  t.reader.assign(static_cast<std::size_t>(N) * 2, -1);
  std::vector<int> last_read(N, -1);
  for (int k = 0; k < N; ++k)
    for (int j = 0; j < spec.inputs; ++j) {
      const int q = spec.predecessor[2 * k + j];
      if (q < 0) continue;
      if (q >= k) {
        t.problem = "position " + std::to_string(k) + " reads position " + std::to_string(q) + " (not a predecessor)";
        return t;
      }
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

}  // namespace

template <class Scalar>
std::string Engine<Scalar>::unsupportedReason(const NetworkSpec& spec) {
  if (spec.inputs != 1 && spec.inputs != 2) return "the CUDA kernels take one or two predecessors per position";
  if (spec.hidden <= 0 || spec.n_sites <= 0) return "empty network";
  if (static_cast<int>(spec.order.size()) != spec.n_sites ||
      static_cast<int>(spec.predecessor.size()) != 2 * spec.n_sites)
    return "inconsistent predecessor tables";
  const SlotTables t = slotTables(spec);
  if (!t.problem.empty()) return t.problem;
  int device = 0;
  VNA_CUDA(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  VNA_CUDA(cudaGetDeviceProperties(&prop, device));
  // The smallest footprint: the widest compiled rows (fewest lanes per sample), one sample per lane,
  // one warp per block.
  std::size_t best = ~std::size_t(0);
  for (const Tile& tile : compiledTiles()) {
    if (tile.samples != 1) continue;
    const int n_ig = pow2Ceil((spec.hidden + tile.rows - 1) / tile.rows);
    if (n_ig > kWarpSize) continue;
    const std::size_t hp = static_cast<std::size_t>(n_ig) * tile.rows, spw = kWarpSize / n_ig;
    const std::size_t hpv = (hp + 3) / 4 * 4;
    const std::size_t forward = (spec.inputs * (spec.hidden + 2) + 3) * hpv * sizeof(Scalar) * 2 +
                                t.forward_slots * (hp + 1) * spw * sizeof(Scalar) + spw * ((spec.n_sites + 31) / 32) * 4;
    const std::size_t backward =
        (spec.inputs * spec.hidden + 1) * hpv * sizeof(Scalar) + (t.backward_slots + 2) * hp * spw * sizeof(Scalar);
    best = std::min(best, std::max(forward, backward) + 256);
  }
  if (best > prop.sharedMemPerBlockOptin)
    return "its row buffer (" + std::to_string(t.forward_slots) + " slots of " + std::to_string(spec.hidden) +
           " hidden units) needs " + std::to_string(best / 1024) + " KiB of shared memory per block, more than the " +
           std::to_string(prop.sharedMemPerBlockOptin / 1024) + " KiB of " + prop.name;
  return std::string();
}

template <class Scalar>
Engine<Scalar>::Engine(const NetworkSpec& spec) : s_(std::make_unique<State>()) {
  const std::string why = unsupportedReason(spec);
  if (!why.empty()) throw Error("cuda::Engine: cannot run this network: " + why);
  State& s = *s_;
  s.spec = spec;
  VNA_CUDA(cudaGetDevice(&s.device));
  VNA_CUDA(cudaGetDeviceProperties(&s.prop, s.device));
  VNA_CUDA(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
  VNA_CUBLAS(cublasCreate(&s.cublas));
  VNA_CUBLAS(cublasSetStream(s.cublas, s.stream));
  // Plain IEEE arithmetic in the GEMMs (no TF32): the gradients are compared with the Kokkos backend.
  VNA_CUBLAS(cublasSetMathMode(s.cublas, CUBLAS_PEDANTIC_MATH));
  for (cudaEvent_t& e : s.events) VNA_CUDA(cudaEventCreate(&e));

  const SlotTables t = slotTables(spec);
  const int N = spec.n_sites;
  std::vector<int> host;
  host.insert(host.end(), spec.order.begin(), spec.order.end());
  host.insert(host.end(), spec.predecessor.begin(), spec.predecessor.end());
  host.insert(host.end(), t.reader.begin(), t.reader.end());
  host.insert(host.end(), t.forward_slot.begin(), t.forward_slot.end());
  host.insert(host.end(), t.backward_slot.begin(), t.backward_slot.end());
  s.tables.reserve(host.size());
  VNA_CUDA(cudaMemcpy(s.tables.data(), host.data(), host.size() * sizeof(int), cudaMemcpyHostToDevice));
  NetworkArgs& net = s.net;
  net.n_sites = N;
  net.hidden = spec.hidden;
  net.inputs = spec.inputs;
  net.n_params = static_cast<int>(spec.n_params);
  net.weight_offset[0] = static_cast<int>(spec.weight_offset[0]);
  net.weight_offset[1] = static_cast<int>(spec.weight_offset[1]);
  net.bias_offset = static_cast<int>(spec.bias_offset);
  net.u_offset = static_cast<int>(spec.u_offset);
  net.d_offset = static_cast<int>(spec.d_offset);
  net.order = s.tables.data();
  net.predecessor = net.order + N;
  net.reader = net.predecessor + 2 * N;
  net.forward_slot = net.reader + 2 * N;
  net.backward_slot = net.forward_slot + N;
  net.forward_slots = t.forward_slots;
  net.backward_slots = t.backward_slots;

  if (const char* env = std::getenv("VNA_CUDA_TILE")) {
    Tile forced;
    if (std::sscanf(env, "%d,%d,%d", &forced.rows, &forced.samples, &forced.warps_per_block) < 2)
      throw Error(std::string("VNA_CUDA_TILE='") + env + "': expected R,C or R,C,W (e.g. 5,4)");
    setTile(forced);
  }
}

template <class Scalar>
Engine<Scalar>::~Engine() = default;

template <class Scalar>
std::vector<Tile> Engine<Scalar>::compiledTiles() {
  std::vector<Tile> out;
#define VNA_TILE_ENTRY(r, c) out.push_back(Tile{r, c, 0});
  VNA_CUDA_TILES(VNA_TILE_ENTRY)
#undef VNA_TILE_ENTRY
  return out;
}

template <class Scalar>
void Engine<Scalar>::setTile(const Tile& tile) {
  if (tile.rows > 0) {
    bool known = false;
    for (const Tile& t : compiledTiles()) known = known || (t.rows == tile.rows && t.samples == tile.samples);
    if (!known)
      throw Error("cuda::Engine::setTile: tile " + std::to_string(tile.rows) + "x" + std::to_string(tile.samples) +
                  " is not compiled (see VNA_CUDA_TILES in cuda_engine.cu)");
  }
  if (tile.warps_per_block != 0 && (tile.warps_per_block < 1 || tile.warps_per_block > kMaxWarpsPerBlock ||
                                    (tile.warps_per_block & (tile.warps_per_block - 1)) != 0))
    throw Error("cuda::Engine::setTile: warps per block must be 1, 2, 4 or 8");
  s_->forced = tile;
  s_->plans.clear();
}

template <class Scalar>
void Engine<Scalar>::setProfiling(bool on) {
  s_->profiling = on;
}

template <class Scalar>
const Profile& Engine<Scalar>::lastProfile() const {
  return s_->profile;
}

template <class Scalar>
int Engine<Scalar>::device() const {
  return s_->device;
}

template <class Scalar>
std::string Engine<Scalar>::deviceName() const {
  return s_->prop.name;
}

template <class Scalar>
std::size_t Engine<Scalar>::workspaceBytes() const {
  const State& s = *s_;
  return s.params.bytes() + s.stream_ids.bytes() + s.bits.bytes() + s.logp.bytes() + s.energies.bytes() +
         s.weights.bytes() + s.grad.bytes() + s.acts.bytes() + s.probs.bytes() + s.dpre.bytes() +
         s.weight_grad.bytes() + s.partials.bytes();
}

template <class Scalar>
void Engine<Scalar>::synchronize() {
  VNA_CUDA(cudaStreamSynchronize(s_->stream));
}

template <class Scalar>
void Engine<Scalar>::setHamiltonian(const HamiltonianSpec& h) {
  State& s = *s_;
  if (h.num_spins != s.spec.n_sites)
    throw Error("cuda::Engine::setHamiltonian: " + std::to_string(h.num_spins) + " spins for " +
                std::to_string(s.spec.n_sites) + " sites");
  auto upload = [&](auto& buffer, const auto& host) {
    buffer.reserve(std::max<std::size_t>(1, host.size()));
    if (!host.empty())
      VNA_CUDA(cudaMemcpy(buffer.data(), host.data(), host.size() * sizeof(host[0]), cudaMemcpyHostToDevice));
  };
  upload(s.term_offsets, h.term_offsets);
  upload(s.term_sites, h.term_sites);
  upload(s.term_coeffs, h.term_coeffs);
  upload(s.field_sites, h.field_sites);
  upload(s.field_values, h.field_values);
  s.n_terms = static_cast<int>(h.term_coeffs.size());
  s.n_fields = static_cast<int>(h.field_values.size());
  s.have_hamiltonian = true;
}

template <class Scalar>
void Engine<Scalar>::sampleOnDevice(const Scalar* params, int P, const std::uint32_t* stream_ids,
                                    const Counters& counters, int M, std::uint8_t* bits, double* logp,
                                    double* energies, bool keep) {
  State& s = *s_;
  if (energies != nullptr && !s.have_hamiltonian)
    throw Error("cuda::Engine: energies requested before setHamiltonian");
  if (keep) s.kept_valid = false;
  if (P > 0 && M > 0) {
    const Plan plan = s.choosePlan(0, P, M, energies != nullptr);
    ForwardArgs<Scalar> a;
    a.params = params;
    a.P = P;
    a.M = M;
    a.sampling = true;
    a.key = makeRngKey(counters.seed, RngPurpose::kSampling);
    a.step = counters.step;
    a.first_sample = counters.first_sample;
    a.stream_ids = stream_ids;
    a.bits_out = bits;
    a.logp = logp;
    a.energies = energies;
    if (energies != nullptr) {
      a.packed_words = (s.spec.n_sites + 31) / 32;
      a.term_offsets = s.term_offsets.data();
      a.term_sites = s.term_sites.data();
      a.term_coeffs = s.term_coeffs.data();
      a.n_terms = s.n_terms;
      a.field_sites = s.field_sites.data();
      a.field_values = s.field_values.data();
      a.n_fields = s.n_fields;
    }
    if (keep) {
      const std::size_t cells = static_cast<std::size_t>(P) * s.spec.n_sites * M;
      a.kept_acts = s.acts.reserve(cells * s.lda());
      a.kept_probs = s.probs.reserve(cells);
      a.lda = s.lda();
    }
    s.launchForward(plan, a);
  }
  if (keep) {
    s.kept_valid = true;
    s.kept_P = P;
    s.kept_M = M;
  }
}

template <class Scalar>
void Engine<Scalar>::logProbOnDevice(const Scalar* params, int P, const std::uint8_t* bits, int M, double* logp,
                                     bool keep) {
  State& s = *s_;
  if (keep) s.kept_valid = false;
  if (P > 0 && M > 0) {
    const Plan plan = s.choosePlan(0, P, M, false);
    ForwardArgs<Scalar> a;
    a.params = params;
    a.P = P;
    a.M = M;
    a.sampling = false;
    a.bits_in = bits;
    a.logp = logp;
    if (keep) {
      const std::size_t cells = static_cast<std::size_t>(P) * s.spec.n_sites * M;
      a.kept_acts = s.acts.reserve(cells * s.lda());
      a.kept_probs = s.probs.reserve(cells);
      a.lda = s.lda();
    }
    s.launchForward(plan, a);
  }
  if (keep) {
    s.kept_valid = true;
    s.kept_P = P;
    s.kept_M = M;
  }
}

template <class Scalar>
void Engine<Scalar>::gradientOnDevice(const Scalar* params, int P, const std::uint8_t* bits, int M,
                                      const double* weights, double* grad) {
  State& s = *s_;
  if (!s.kept_valid || s.kept_P != P || s.kept_M != M)
    throw Error("cuda::Engine::gradient: needs the activations of a sample()/logProb() with Activations::kKeep on "
                "the same [" + std::to_string(P) + "][" + std::to_string(M) + "] batch (kept: " +
                (s.kept_valid ? "[" + std::to_string(s.kept_P) + "][" + std::to_string(s.kept_M) + "]"
                              : std::string("none")) + ")");
  const int n = s.net.n_params;
  if (P == 0) return;
  if (M == 0) {
    VNA_CUDA(cudaMemsetAsync(grad, 0, static_cast<std::size_t>(P) * n * sizeof(double), s.stream));
    return;
  }
  const int N = s.spec.n_sites, hidden = s.spec.hidden;
  const Plan plan = s.choosePlan(1, P, M, false);
  BackwardArgs<Scalar> a;
  a.net = s.net;
  a.n_ig = plan.n_ig;
  a.hp = plan.hp;
  a.spw = plan.spw;
  a.set_stride = plan.set_stride;
  a.weights_bytes = static_cast<int>(static_cast<std::size_t>(plan.set_stride) * sizeof(Scalar));
  a.warp_bytes = static_cast<int>(plan.warp_bytes);
  a.warps_per_set = (M + plan.spw - 1) / plan.spw;
  a.blocks_per_set = (a.warps_per_set + plan.warps_per_block - 1) / plan.warps_per_block;
  a.params = params;
  a.P = P;
  a.M = M;
  a.acts = s.acts.data();
  a.probs = s.probs.data();
  a.lda = s.lda();
  a.bits = bits;
  a.weights = weights;
  const std::size_t cells = static_cast<std::size_t>(P) * N * M;
  Scalar* dpre = s.dpre.reserve(cells * s.ldd() * s.spec.inputs);
  a.dpre[0] = dpre;
  a.dpre[1] = s.spec.inputs > 1 ? dpre + cells * s.ldd() : nullptr;
  a.ldd = s.ldd();
  a.partial_stride = 2 * plan.hp + 1;
  a.partials = s.partials.reserve(static_cast<std::size_t>(P) * a.warps_per_set * a.partial_stride);
  a.mismatches = s.mismatches.reserve(1);
  VNA_CUDA(cudaMemsetAsync(a.mismatches, 0, sizeof(int), s.stream));
  s.profile.backward_plan = plan.describe();
  s.record(2);
  withTile(plan.rows, plan.samples, [&](auto r, auto c) {
    backwardKernel<Scalar, decltype(r)::value, decltype(c)::value>
        <<<plan.blocks, plan.warps_per_block * kWarpSize, plan.smem_bytes, s.stream>>>(a);
  });
  VNA_CUDA(cudaGetLastError());
  s.record(3);

  // ∂W_j[i][t] = Σ_{q, s} A[q][s][t] D_j[q][s][i]: C = A · D_j^T, (d_h + 2) × d_h, column-major with
  // ldc = d_h + 2, which is W_j's row-major [d_h][d_h + 2] block of the parameter vector.
  Scalar* weight_grad = s.weight_grad.reserve(static_cast<std::size_t>(P) * n);
  const Scalar one = 1, zero = 0;
  const long long k_cols = static_cast<long long>(N) * M;
  for (int j = 0; j < s.spec.inputs; ++j) {
    const int m = hidden + 2, nn = hidden;
    if constexpr (std::is_same<Scalar, float>::value) {
      VNA_CUBLAS(cublasSgemmStridedBatched(s.cublas, CUBLAS_OP_N, CUBLAS_OP_T, m, nn, static_cast<int>(k_cols), &one,
                                           a.acts, a.lda, k_cols * a.lda, a.dpre[j], a.ldd, k_cols * a.ldd, &zero,
                                           weight_grad + s.net.weight_offset[j], hidden + 2, n, P));
    } else {
      VNA_CUBLAS(cublasDgemmStridedBatched(s.cublas, CUBLAS_OP_N, CUBLAS_OP_T, m, nn, static_cast<int>(k_cols), &one,
                                           a.acts, a.lda, k_cols * a.lda, a.dpre[j], a.ldd, k_cols * a.ldd, &zero,
                                           weight_grad + s.net.weight_offset[j], hidden + 2, n, P));
    }
  }
  const std::int64_t entries = static_cast<std::int64_t>(P) * n;
  const int threads = 256;
  assembleGradientKernel<Scalar><<<static_cast<unsigned>((entries + threads - 1) / threads), threads, 0, s.stream>>>(
      s.net, P, a.warps_per_set, a.partials, a.partial_stride, plan.hp, weight_grad, grad);
  VNA_CUDA(cudaGetLastError());
  s.record(4);
  int mismatches = 0;
  VNA_CUDA(cudaMemcpyAsync(&mismatches, a.mismatches, sizeof(int), cudaMemcpyDeviceToHost, s.stream));
  VNA_CUDA(cudaStreamSynchronize(s.stream));
  if (mismatches > 0)
    throw Error("cuda::Engine::gradient: " + std::to_string(mismatches) +
                " bits differ from those of the kept activations (call sample()/logProb() with Activations::kKeep "
                "on these bits first)");
}

// ---------------------------------------------------------------- host-memory interface

template <class Scalar>
void Engine<Scalar>::sample(const Scalar* params, int P, const std::uint32_t* stream_ids, const Counters& counters,
                            int M, std::uint8_t* bits, double* logp, double* energies, bool keep) {
  State& s = *s_;
  const std::size_t n = s.spec.n_params, N = s.spec.n_sites, PM = static_cast<std::size_t>(P) * M;
  s.record(0);
  Scalar* d_params = s.params.reserve(std::max<std::size_t>(1, P * n));
  std::uint32_t* d_ids = s.stream_ids.reserve(std::max(1, P));
  if (P > 0) {
    VNA_CUDA(cudaMemcpyAsync(d_params, params, P * n * sizeof(Scalar), cudaMemcpyHostToDevice, s.stream));
    VNA_CUDA(cudaMemcpyAsync(d_ids, stream_ids, P * sizeof(std::uint32_t), cudaMemcpyHostToDevice, s.stream));
  }
  std::uint8_t* d_bits = bits != nullptr ? s.bits.reserve(std::max<std::size_t>(1, PM * N)) : nullptr;
  double* d_logp = s.logp.reserve(std::max<std::size_t>(1, PM));
  double* d_energies = energies != nullptr ? s.energies.reserve(std::max<std::size_t>(1, PM)) : nullptr;
  s.record(1);
  sampleOnDevice(d_params, P, d_ids, counters, M, d_bits, d_logp, d_energies, keep);
  s.record(2);
  if (PM > 0) {
    if (bits != nullptr)
      VNA_CUDA(cudaMemcpyAsync(bits, d_bits, PM * N, cudaMemcpyDeviceToHost, s.stream));
    VNA_CUDA(cudaMemcpyAsync(logp, d_logp, PM * sizeof(double), cudaMemcpyDeviceToHost, s.stream));
    if (energies != nullptr)
      VNA_CUDA(cudaMemcpyAsync(energies, d_energies, PM * sizeof(double), cudaMemcpyDeviceToHost, s.stream));
  }
  s.record(3);
  VNA_CUDA(cudaStreamSynchronize(s.stream));
  if (s.profiling) {
    s.profile.upload_ms = s.elapsed(0, 1);
    s.profile.forward_ms = s.elapsed(1, 2);
    s.profile.download_ms = s.elapsed(2, 3);
    s.profile.backward_ms = s.profile.gemm_ms = 0;
  }
}

template <class Scalar>
void Engine<Scalar>::logProb(const Scalar* params, int P, const std::uint8_t* bits, int M, double* logp, bool keep) {
  State& s = *s_;
  const std::size_t n = s.spec.n_params, N = s.spec.n_sites, PM = static_cast<std::size_t>(P) * M;
  s.record(0);
  Scalar* d_params = s.params.reserve(std::max<std::size_t>(1, P * n));
  std::uint8_t* d_bits = s.bits.reserve(std::max<std::size_t>(1, PM * N));
  if (PM > 0) {
    VNA_CUDA(cudaMemcpyAsync(d_params, params, P * n * sizeof(Scalar), cudaMemcpyHostToDevice, s.stream));
    VNA_CUDA(cudaMemcpyAsync(d_bits, bits, PM * N, cudaMemcpyHostToDevice, s.stream));
  }
  double* d_logp = s.logp.reserve(std::max<std::size_t>(1, PM));
  s.record(1);
  logProbOnDevice(d_params, P, d_bits, M, d_logp, keep);
  s.record(2);
  if (PM > 0) VNA_CUDA(cudaMemcpyAsync(logp, d_logp, PM * sizeof(double), cudaMemcpyDeviceToHost, s.stream));
  s.record(3);
  VNA_CUDA(cudaStreamSynchronize(s.stream));
  if (s.profiling) {
    s.profile.upload_ms = s.elapsed(0, 1);
    s.profile.forward_ms = s.elapsed(1, 2);
    s.profile.download_ms = s.elapsed(2, 3);
    s.profile.backward_ms = s.profile.gemm_ms = 0;
  }
}

template <class Scalar>
void Engine<Scalar>::gradient(const Scalar* params, int P, const std::uint8_t* bits, int M, const double* weights,
                              double* grad) {
  State& s = *s_;
  const std::size_t n = s.spec.n_params, N = s.spec.n_sites, PM = static_cast<std::size_t>(P) * M;
  s.record(0);
  Scalar* d_params = s.params.reserve(std::max<std::size_t>(1, P * n));
  std::uint8_t* d_bits = s.bits.reserve(std::max<std::size_t>(1, PM * N));
  double* d_weights = s.weights.reserve(std::max<std::size_t>(1, PM));
  double* d_grad = s.grad.reserve(std::max<std::size_t>(1, P * n));
  if (P > 0) VNA_CUDA(cudaMemcpyAsync(d_params, params, P * n * sizeof(Scalar), cudaMemcpyHostToDevice, s.stream));
  if (PM > 0) {
    VNA_CUDA(cudaMemcpyAsync(d_bits, bits, PM * N, cudaMemcpyHostToDevice, s.stream));
    VNA_CUDA(cudaMemcpyAsync(d_weights, weights, PM * sizeof(double), cudaMemcpyHostToDevice, s.stream));
  }
  s.record(1);
  gradientOnDevice(d_params, P, d_bits, M, d_weights, d_grad);  // records 2, 3, 4 and synchronizes
  if (P > 0) VNA_CUDA(cudaMemcpyAsync(grad, d_grad, P * n * sizeof(double), cudaMemcpyDeviceToHost, s.stream));
  s.record(5);
  VNA_CUDA(cudaStreamSynchronize(s.stream));
  if (s.profiling && PM > 0) {
    s.profile.upload_ms = s.elapsed(0, 1);
    s.profile.forward_ms = 0;
    s.profile.backward_ms = s.elapsed(2, 3);
    s.profile.gemm_ms = s.elapsed(3, 4);
    s.profile.download_ms = s.elapsed(4, 5);
  }
}

template class Engine<float>;
template class Engine<double>;

}  // namespace cuda
}  // namespace vna
