// The forward kernel of the vanilla and tensorized cells (sampling or teacher forcing, optionally with
// kept activations and fused energies) and its launch. See cuda_engine.hpp and doc/performance.md, "CUDA
// backend".
//
// A warp owns spw = (32 / n_ig) · C samples; lane (ig, sg) = (lane mod n_ig, lane / n_ig) computes
// hidden units ig·R .. ig·R + R − 1 of samples sg·C .. sg·C + C − 1 in registers. The warp keeps a ring
// of hidden-state slots [slot][d_hp + 1][spw] in shared memory (row d_hp holds the bit): the snake
// order's vertical predecessor lies up to one row back, so a 2D lattice needs L slots, a chain one.
// All exchanges are inside the warp (__syncwarp and shuffles), so warps run the whole lattice sweep
// without block barriers; the block only shares the staged weights of the parameter sets its warps
// touch. Per-site weights do not fit in shared memory: stageForwardSitesKernel writes every site's rows
// in the same tiled layout to global memory once per call, and each warp reads its current site's rows
// from there (through L1/L2) at every position. Per position: the GEMM [d_h × (d_h+2)] · [h; onehot]
// for each present predecessor from shared memory (tensorized: per predecessor j and H tile u the
// product T_{2j+b_j}[:, u] h_{q_u}, each sample's weights blended by its b_j), ELU, the output logit
// by a butterfly over the n_ig lanes, and the draw by the sample's owner lane (Philox counter computed
// before the GEMM so its latency hides behind it). log p is accumulated in double; the energy of the
// sample is evaluated at the end from its bits packed in shared memory.
#include "cuda/cuda_check.hpp"
#include "cuda/kernel_common.cuh"
#include "cuda/launch_plan.cuh"

namespace vna {
namespace cuda {
namespace detail {

namespace {

// The weight W[i][t] of staged forward row `row` < forwardWeightRows at hidden unit i: vanilla, row
// j·(d_h + 2) + t holds W_j[i][t]; tensorized, row (m·inputs + u)·d_h + t holds T_m[i][u·d_h + t].
template <class Scalar>
__device__ __forceinline__ Scalar forwardWeight(const NetworkArgs& net, const Scalar* __restrict__ theta, int row,
                                                int i) {
  if (net.tensorized) {
    const int K = net.inputs * net.hidden, mu = row / net.hidden, t = row - mu * net.hidden;
    const int m = mu / net.inputs, u = mu - m * net.inputs;
    return theta[net.weight_offset[0] + (m * net.hidden + i) * K + u * net.hidden + t];
  }
  const int in = net.hidden + 2, j = row / in, t = row - j * in;
  return theta[net.weight_offset[j] + i * in + t];
}

// Staged parameter set (forward): the weight rows (forwardWeight, the value for hidden unit i at the
// tiled column of i), then c, U_1 − U_0, and d_1 − d_0 (first element of the last row). `net` gives the
// offsets of the blocks read (NetworkArgs::atSite for one site's slices).
template <class Scalar, int R>
__device__ void stageForwardSet(const NetworkArgs& net, int n_ig, const Scalar* __restrict__ theta, Scalar* dst) {
  const int hpv = tiledRowLength<Scalar, R>(n_ig);
  const int weight_rows = net.forwardWeightRows();
  const int rows = weight_rows + 3;
  for (int idx = threadIdx.x; idx < rows * hpv; idx += blockDim.x) {
    const int row = idx / hpv, col = idx - row * hpv;
    int ig = 0;
    const int r = tiledRow<Scalar, R>(col, n_ig, ig);
    const int i = ig * R + r;
    Scalar value = Scalar(0);
    if (r >= 0 && i < net.hidden) {
      if (row < weight_rows) {
        value = forwardWeight(net, theta, row, i);
      } else if (row == weight_rows) {
        value = theta[net.bias_offset + i];
      } else if (row == weight_rows + 1) {
        value = theta[net.u_offset + net.hidden + i] - theta[net.u_offset + i];
      }
    }
    if (row == weight_rows + 2 && col == 0) value = theta[net.d_offset + 1] - theta[net.d_offset];
    dst[idx] = value;
  }
}

// Per-site weights: block (p, site) stages that site's slices of set p into dst [P][N][set_stride].
template <class Scalar, int R>
__global__ void stageForwardSitesKernel(const NetworkArgs net, int n_ig, int set_stride,
                                        const Scalar* __restrict__ params, Scalar* __restrict__ dst) {
  const int p = blockIdx.x / net.n_sites, site = blockIdx.x % net.n_sites;
  stageForwardSet<Scalar, R>(net.atSite(site), n_ig, params + static_cast<std::size_t>(p) * net.n_params,
                             dst + static_cast<std::size_t>(blockIdx.x) * set_stride);
}

// The output layer's rows of a staged set: c, U_1 − U_0 (tiled) and d_1 − d_0.
template <class Scalar, int R>
__device__ __forceinline__ void loadOutputRows(const Scalar* W, int weight_rows, int hpv, int ig, int n_ig,
                                               Scalar (&bias)[R], Scalar (&udiff)[R], Scalar& ddiff) {
  const Scalar* bias_row = W + static_cast<std::size_t>(weight_rows) * hpv;
  const Scalar* udiff_row = bias_row + hpv;
  ddiff = udiff_row[hpv];
  loadTiledRow<Scalar, R>(bias_row, ig, n_ig, bias);
  loadTiledRow<Scalar, R>(udiff_row, ig, n_ig, udiff);
}

// The vanilla cell's products at position k: W_j [h_{q_j}; onehot(b_{q_j})] for each present
// predecessor q_j.
template <class Scalar, int R, int C>
__device__ __forceinline__ void vanillaProducts(const NetworkArgs& net, const Scalar* W, const Scalar* ring,
                                                int slot_rows, int spw, int s_off, int hp, int hpv, int ig, int n_ig,
                                                int k, Scalar (&acc)[R][C]) {
  const int hidden = net.hidden, in = hidden + 2;
  for (int j = 0; j < net.inputs; ++j) {
    const int q = __ldg(net.predecessor + 2 * k + j);
    if (q < 0) continue;
    const Scalar* x = ring + static_cast<std::size_t>(__ldg(net.forward_slot + q)) * slot_rows * spw + s_off;
    const Scalar* wt = W + static_cast<std::size_t>(j) * in * hpv;
    denseProduct<Scalar, R, C>(wt, hpv, ig, n_ig, x, spw, hidden, acc);
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
}

// The tensorized cell's products at position k: Σ_j Σ_u T_{2j+b_j}[:, u] h_{q_u} for the present
// predecessors q_j, q_u (cell_tensorized.hpp; a missing one contributes zeros to x and H), each weight
// row blended per sample between the two slots by the sample's b_j (the bit row of q_j's ring slot).
template <class Scalar, int R, int C>
__device__ __forceinline__ void tensorProducts(const NetworkArgs& net, const Scalar* W, const Scalar* ring,
                                               int slot_rows, int spw, int s_off, int hp, int hpv, int ig, int n_ig,
                                               int k, Scalar (&acc)[R][C]) {
  const int hidden = net.hidden;
  for (int j = 0; j < net.inputs; ++j) {
    const int qj = __ldg(net.predecessor + 2 * k + j);
    if (qj < 0) continue;
    Scalar bj[C];
    loadContiguous<Scalar, C>(ring + static_cast<std::size_t>(__ldg(net.forward_slot + qj)) * slot_rows * spw +
                                  hp * spw + s_off,
                              bj);
    bool one[C];
#pragma unroll
    for (int c = 0; c < C; ++c) one[c] = bj[c] > Scalar(0.5);
    for (int u = 0; u < net.inputs; ++u) {
      const int qu = __ldg(net.predecessor + 2 * k + u);
      if (qu < 0) continue;
      const Scalar* x = ring + static_cast<std::size_t>(__ldg(net.forward_slot + qu)) * slot_rows * spw + s_off;
      const Scalar* w0 = W + static_cast<std::size_t>(net.tensorRow(2 * j, u)) * hpv;
      const Scalar* w1 = W + static_cast<std::size_t>(net.tensorRow(2 * j + 1, u)) * hpv;
      blendedProduct<Scalar, R, C>(w0, w1, hpv, ig, n_ig, x, spw, hidden, one, acc);
    }
  }
}

// Launch bound (256 threads, 1 block): the shared-memory ring, not registers, limits the warps per SM,
// so ptxas may use up to 255 registers per lane (with the default bound it capped at 128 and spilled).
template <class Scalar, int R, int C>
__global__ void __launch_bounds__(kMaxWarpsPerBlock* kWarpSize, 1) forwardKernel(const ForwardArgs<Scalar> a) {
  VNA_DYNAMIC_SHARED(smem);
  Scalar* staged = reinterpret_cast<Scalar*>(smem);
  const int n_ig = a.n_ig, spw = a.spw, hp = a.hp, hidden = a.net.hidden, N = a.net.n_sites;
  const int hpv = tiledRowLength<Scalar, R>(n_ig);
  const int warps = blockDim.x / kWarpSize;
  const std::int64_t total = static_cast<std::int64_t>(a.P) * a.m_pad;
  const std::int64_t block_lane0 = static_cast<std::int64_t>(blockIdx.x) * warps * spw;
  const int p_lo = static_cast<int>(block_lane0 / a.m_pad);
  const std::int64_t block_end = std::min<std::int64_t>(block_lane0 + static_cast<std::int64_t>(warps) * spw, total);
  const int p_hi = static_cast<int>((block_end - 1) / a.m_pad);
  const bool per_site = a.site_rows != nullptr;
  if (!per_site)
    for (int g = 0; g <= p_hi - p_lo; ++g)
      stageForwardSet<Scalar, R>(a.net, n_ig, a.params + static_cast<std::size_t>(p_lo + g) * a.net.n_params,
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
  // Per site: W is the current site's rows in global memory, reloaded at every position.
  const Scalar* W = per_site ? nullptr : staged + static_cast<std::size_t>(p - p_lo) * a.set_stride;
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

  Scalar bias[R], udiff[R], ddiff = Scalar(0);
  const int weight_rows = a.net.forwardWeightRows();
  if (!per_site) loadOutputRows<Scalar, R>(W, weight_rows, hpv, ig, n_ig, bias, udiff, ddiff);
  __syncwarp();

  for (int k = 0; k < N; ++k) {
    const int site = __ldg(a.net.order + k);
    if (per_site) {
      W = a.site_rows + (static_cast<std::size_t>(p) * N + site) * a.set_stride;
      loadOutputRows<Scalar, R>(W, weight_rows, hpv, ig, n_ig, bias, udiff, ddiff);
    }
    float u[C];
    if (a.sampling) positionUniforms(a, k, s0, stream, owner, u);
    Scalar acc[R][C];
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int c = 0; c < C; ++c) acc[r][c] = bias[r];
    if (a.net.tensorized)
      tensorProducts<Scalar, R, C>(a.net, W, ring, slot_rows, spw, s_off, hp, hpv, ig, n_ig, k, acc);
    else
      vanillaProducts<Scalar, R, C>(a.net, W, ring, slot_rows, spw, s_off, hp, hpv, ig, n_ig, k, acc);
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
        h[c] = elu(acc[r][c]);
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
    emitBits<Scalar, C>(a, p, s0, k, site, owner, valid, u, part, ddiff, lp, out + hp * spw, packed, s_off);
    __syncwarp();  // h(k) and b(k) are visible to the next position
  }

#pragma unroll
  for (int c = 0; c < C; ++c) {
    if (!owner[c] || !valid[c]) continue;
    const std::size_t sample = static_cast<std::size_t>(p) * a.M + s0 + c;
    a.logp[sample] = lp[c];
    // The energy of the sample from its packed bits: energy_rule.hpp, as on every backend.
    if (a.packed_words > 0)
      a.energies[sample] = configurationEnergy(a.hamiltonian, PackedBits{packed + (s_off + c) * a.packed_words});
  }
}

}  // namespace

template <class Scalar>
const void* forwardKernelHandle(int rows, int samples) {
  const void* fn = nullptr;
  withTile(rows, samples, [&](auto r, auto c) {
    fn = reinterpret_cast<const void*>(&forwardKernel<Scalar, decltype(r)::value, decltype(c)::value>);
  });
  return fn;
}

template <class Scalar>
void launchForward(const Plan& plan, const ForwardArgs<Scalar>& a, cudaStream_t stream) {
  withTile(plan.rows, plan.samples, [&](auto r, auto c) {
    VNA_LAUNCH(plan.blocks, plan.warps_per_block * kWarpSize, plan.smem_bytes, stream,
               forwardKernel<Scalar, decltype(r)::value, decltype(c)::value>)(a);
  });
  VNA_CUDA(cudaGetLastError());
}

template <class Scalar>
void launchStageForwardSites(const Plan& plan, const NetworkArgs& net, const Scalar* params, int P, Scalar* dst,
                             cudaStream_t stream) {
  if (P <= 0) return;
  withTile(plan.rows, plan.samples, [&](auto r, auto) {
    VNA_LAUNCH(static_cast<unsigned>(P) * net.n_sites, 128, 0, stream,
               stageForwardSitesKernel<Scalar, decltype(r)::value>)(net, plan.n_ig, plan.set_stride, params, dst);
  });
  VNA_CUDA(cudaGetLastError());
}

template const void* forwardKernelHandle<float>(int, int);
template const void* forwardKernelHandle<double>(int, int);
template void launchForward<float>(const Plan&, const ForwardArgs<float>&, cudaStream_t);
template void launchForward<double>(const Plan&, const ForwardArgs<double>&, cudaStream_t);
template void launchStageForwardSites<float>(const Plan&, const NetworkArgs&, const float*, int, float*, cudaStream_t);
template void launchStageForwardSites<double>(const Plan&, const NetworkArgs&, const double*, int, double*,
                                              cudaStream_t);

}  // namespace detail
}  // namespace cuda
}  // namespace vna
