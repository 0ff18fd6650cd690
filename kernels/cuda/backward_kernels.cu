// The backward kernels of the vanilla and tensorized cells and their launch. See cuda_engine.hpp and
// doc/performance.md, "CUDA backend".
//
// The same tiles as the forward kernel in reverse order; ∂h of pending positions lives in a
// thread-private ring (each lane owns its tile), ∂pre is exchanged through a double-buffered warp
// staging area, so one __syncwarp per position suffices. ∂c, ∂U, ∂d are reduced in registers and then
// across warps in a fixed order; the weight gradients ∂W_j = Σ_{positions, samples} ∂pre ⊗ [h; onehot]
// are strided-batched cuBLAS GEMMs over (position, sample) with one batch entry per parameter set
// (cuda_engine.cu), assembled with the rest by assembleGradientKernel. Per-site weights: each position
// reads its site's rows from global memory (staged once per call by stageBackwardSitesKernel), writes
// its site's ∂c, ∂U, ∂d row after the position, and the weight products are batched per position.
// Tensorized cells: ∂h(q_u) += Σ_j T_{2j+b_j}[:, u]^T ∂pre with each sample's rows blended by its b_j, and
// ∂T_{2j+b}[:, u] = Σ ∂pre ⊗ h_{q_u} over the samples whose b_j is b: ∂pre goes to one buffer per
// (j, u, b), cleared before the kernel, and each is one more product with the kept h.
#include "cuda/cuda_check.hpp"
#include "cuda/kernel_common.cuh"
#include "cuda/launch_plan.cuh"

namespace vna {
namespace cuda {
namespace detail {

namespace {

// The weight of staged backward row `row` < backwardWeightRows at predecessor unit m: vanilla, row
// j·d_h + i holds W_j[i][m]; tensorized, row (s·inputs + u)·d_h + i holds T_s[i][u·d_h + m].
template <class Scalar>
__device__ __forceinline__ Scalar backwardWeight(const NetworkArgs& net, const Scalar* __restrict__ theta, int row,
                                                 int m) {
  const int hidden = net.hidden, su = row / hidden, i = row - su * hidden;
  if (net.tensorized) {
    const int K = net.inputs * hidden, slot = su / net.inputs, u = su - slot * net.inputs;
    return theta[net.weight_offset[0] + (slot * hidden + i) * K + u * hidden + m];
  }
  return theta[net.weight_offset[su] + i * (hidden + 2) + m];
}

// Staged parameter set (backward): the weight rows (backwardWeight, the value for unit m at the tiled
// column of m), then U_1 − U_0.
template <class Scalar, int R>
__device__ void stageBackwardSet(const NetworkArgs& net, int n_ig, const Scalar* __restrict__ theta, Scalar* dst) {
  const int hpv = tiledRowLength<Scalar, R>(n_ig);
  const int hidden = net.hidden;
  const int weight_rows = net.backwardWeightRows();
  const int rows = weight_rows + 1;
  for (int idx = threadIdx.x; idx < rows * hpv; idx += blockDim.x) {
    const int row = idx / hpv, col = idx - row * hpv;
    int ig = 0;
    const int r = tiledRow<Scalar, R>(col, n_ig, ig);
    const int m = ig * R + r;
    Scalar value = Scalar(0);
    if (r >= 0 && m < hidden) {
      if (row < weight_rows) {
        value = backwardWeight(net, theta, row, m);
      } else {
        value = theta[net.u_offset + hidden + m] - theta[net.u_offset + m];
      }
    }
    dst[idx] = value;
  }
}

// Per-site weights: block (p, site) stages that site's slices of set p into dst [P][N][set_stride].
template <class Scalar, int R>
__global__ void stageBackwardSitesKernel(const NetworkArgs net, int n_ig, int set_stride,
                                         const Scalar* __restrict__ params, Scalar* __restrict__ dst) {
  const int p = blockIdx.x / net.n_sites, site = blockIdx.x % net.n_sites;
  stageBackwardSet<Scalar, R>(net.atSite(site), n_ig, params + static_cast<std::size_t>(p) * net.n_params,
                              dst + static_cast<std::size_t>(blockIdx.x) * set_stride);
}

// The warp's ∂c, ∂(U_1 − U_0), ∂(d_1 − d_0) summed over the lanes holding the same rows (fixed order:
// deterministic) and written to `partial` (the accumulators are left summed, not cleared).
template <int R>
__device__ __forceinline__ void writePartials(double (&grad_c)[R], double (&grad_u)[R], double& grad_d, int n_ig,
                                              int hp, int ig, int sg, int lane, double* partial) {
  for (int offset = n_ig; offset < kWarpSize; offset <<= 1) {
#pragma unroll
    for (int r = 0; r < R; ++r) {
      grad_c[r] += __shfl_xor_sync(kFullMask, grad_c[r], offset);
      grad_u[r] += __shfl_xor_sync(kFullMask, grad_u[r], offset);
    }
  }
  for (int offset = 1; offset < kWarpSize; offset <<= 1) grad_d += __shfl_xor_sync(kFullMask, grad_d, offset);
  if (sg == 0) {
#pragma unroll
    for (int r = 0; r < R; ++r) {
      partial[ig * R + r] = grad_c[r];
      partial[hp + ig * R + r] = grad_u[r];
    }
  }
  if (lane == 0) partial[2 * hp] = grad_d;
}

// The lane's tile of a ∂h ring slot (at the lane's samples) += acc.
template <class Scalar, int R, int C>
__device__ __forceinline__ void addToRing(Scalar* target, int ig, int spw, const Scalar (&acc)[R][C]) {
#pragma unroll
  for (int r = 0; r < R; ++r) {
    Scalar cur[C];
    loadContiguous<Scalar, C>(target + (ig * R + r) * spw, cur);
#pragma unroll
    for (int c = 0; c < C; ++c) cur[c] += acc[r][c];
    storeContiguous<Scalar, C>(target + (ig * R + r) * spw, cur);
  }
}

// ∂h(q_j) += W_j[:, :d_h]^T ∂pre(k) for the lane's own tile of each predecessor's slot (vanilla).
template <class Scalar, int R, int C>
__device__ __forceinline__ void vanillaInputGradient(const NetworkArgs& net, const Scalar* rows, int hpv, int ig,
                                                     int n_ig, int spw, int k, const Scalar* staging_k, Scalar* ring,
                                                     std::size_t slot_size, int s_off) {
  const int hidden = net.hidden;
  for (int j = 0; j < net.inputs; ++j) {
    const int q = __ldg(net.predecessor + 2 * k + j);
    if (q < 0) continue;
    const Scalar* wt = rows + static_cast<std::size_t>(j) * hidden * hpv;
    Scalar acc[R][C];
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int c = 0; c < C; ++c) acc[r][c] = Scalar(0);
    denseProduct<Scalar, R, C>(wt, hpv, ig, n_ig, staging_k + s_off, spw, hidden, acc);
    addToRing<Scalar, R, C>(ring + __ldg(net.backward_slot + q) * slot_size + s_off, ig, spw, acc);
  }
}

// ∂h(q_u) += Σ_j T_{2j+b_j}[:, u]^T ∂pre(k) for each present H tile u (tensorized; both predecessors
// present for a term, as in the forward pass), each sample's rows blended by its b_j.
template <class Scalar, int R, int C>
__device__ __forceinline__ void tensorInputGradient(const NetworkArgs& net, const Scalar* rows, int hpv, int ig,
                                                    int n_ig, int spw, int k, const Scalar* staging_k, Scalar* ring,
                                                    std::size_t slot_size, int s_off, const bool (&bj)[2][C]) {
  const int hidden = net.hidden;
  for (int u = 0; u < net.inputs; ++u) {
    const int qu = __ldg(net.predecessor + 2 * k + u);
    if (qu < 0) continue;
    Scalar acc[R][C];
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int c = 0; c < C; ++c) acc[r][c] = Scalar(0);
    for (int j = 0; j < net.inputs; ++j) {
      if (__ldg(net.predecessor + 2 * k + j) < 0) continue;
      const Scalar* w0 = rows + static_cast<std::size_t>(net.tensorRow(2 * j, u)) * hpv;
      const Scalar* w1 = rows + static_cast<std::size_t>(net.tensorRow(2 * j + 1, u)) * hpv;
      blendedProduct<Scalar, R, C>(w0, w1, hpv, ig, n_ig, staging_k + s_off, spw, hidden, bj[j], acc);
    }
    addToRing<Scalar, R, C>(ring + __ldg(net.backward_slot + qu) * slot_size + s_off, ig, spw, acc);
  }
}

// b_j of the lane's samples at position k: the kept bit of predecessor q_j (false without one or past
// the batch).
template <class Scalar, int C>
__device__ __forceinline__ void predecessorBits(const BackwardArgs<Scalar>& a, int p, int k, int s0,
                                                const bool (&valid)[C], bool (&bj)[2][C]) {
  const int N = a.net.n_sites;
#pragma unroll
  for (int j = 0; j < 2; ++j) {
    const int q = j < a.net.inputs ? __ldg(a.net.predecessor + 2 * k + j) : -1;
#pragma unroll
    for (int c = 0; c < C; ++c)
      bj[j][c] = q >= 0 && valid[c] &&
                 a.acts[((static_cast<std::size_t>(p) * N + q) * a.M + s0 + c) * a.lda + a.net.hidden + 1] >
                     Scalar(0.5);
  }
}

// ∂pre(k) row i of the lane's samples into the weight-gradient buffers (tensorized): at the cell of
// each present H tile's predecessor q_u, in the buffer (j, u, b_j) of each present predecessor j.
template <class Scalar, int C>
__device__ __forceinline__ void storeTensorDpre(const BackwardArgs<Scalar>& a, int p, int k, int s0, int i,
                                                const bool (&valid)[C], const bool (&bj)[2][C],
                                                const Scalar (&dpre)[C]) {
  const int N = a.net.n_sites, inputs = a.net.inputs;
  for (int u = 0; u < inputs; ++u) {
    const int qu = __ldg(a.net.predecessor + 2 * k + u);
    if (qu < 0) continue;
    const std::size_t cell_u = (static_cast<std::size_t>(p) * N + qu) * a.M + s0;
    for (int j = 0; j < inputs; ++j) {
      if (__ldg(a.net.predecessor + 2 * k + j) < 0) continue;
#pragma unroll
      for (int c = 0; c < C; ++c)
        if (valid[c]) a.dpre[(j * inputs + u) * 2 + (bj[j][c] ? 1 : 0)][(cell_u + c) * a.ldd + i] = dpre[c];
    }
  }
}

template <class Scalar, int R, int C>
__global__ void __launch_bounds__(kMaxWarpsPerBlock* kWarpSize, 1) backwardKernel(const BackwardArgs<Scalar> a) {
  VNA_DYNAMIC_SHARED(smem);
  Scalar* staged = reinterpret_cast<Scalar*>(smem);
  const int n_ig = a.n_ig, spw = a.spw, hp = a.hp, hidden = a.net.hidden, N = a.net.n_sites;
  const int hpv = tiledRowLength<Scalar, R>(n_ig);
  const int warps = blockDim.x / kWarpSize;
  const int p = blockIdx.x / a.blocks_per_set;
  const int block_in_set = blockIdx.x % a.blocks_per_set;
  const bool per_site = a.site_rows != nullptr;  // then the site's rows are read from global memory
  if (!per_site) stageBackwardSet<Scalar, R>(a.net, n_ig, a.params + static_cast<std::size_t>(p) * a.net.n_params, staged);
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
  const Scalar* rows = staged;
  Scalar udiff[R];
  const std::size_t udiff_row = static_cast<std::size_t>(a.net.backwardWeightRows()) * hpv;
  if (!per_site) loadTiledRow<Scalar, R>(rows + udiff_row, ig, n_ig, udiff);
  double grad_c[R], grad_u[R], grad_d = 0.0;
#pragma unroll
  for (int r = 0; r < R; ++r) grad_c[r] = grad_u[r] = 0.0;
  int mismatches = 0;
  double* partial = a.partials + (static_cast<std::size_t>(p) * a.warps_per_set + warp_in_set) * a.partial_sites *
                                     a.partial_stride;

  for (int k = N - 1; k >= 0; --k) {
    const std::size_t cell0 = (static_cast<std::size_t>(p) * N + k) * a.M + s0;
    const int site_k = __ldg(a.net.order + k);
    if (per_site) {
      rows = a.site_rows + (static_cast<std::size_t>(p) * N + site_k) * a.set_stride;
      loadTiledRow<Scalar, R>(rows + udiff_row, ig, n_ig, udiff);
    }
    Scalar gd[C];
    outputGradient<Scalar, C>(a, p, s0, cell0, site_k, owner, valid, weight, sg, n_ig, grad_d, mismatches, gd);

    // Tensorized: the predecessors' bits b_j of the lane's samples select the slots.
    bool bj[2][C];
    if (a.net.tensorized) predecessorBits<Scalar, C>(a, p, k, s0, valid, bj);

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
        dpre[c] = dh[c] * eluDerivativeFromOutput(h[c]);
        grad_c[r] += static_cast<double>(dpre[c]);
      }
      storeContiguous<Scalar, C>(staging_k + i * spw + s_off, dpre);
      if (i < hidden && a.net.tensorized) {
        storeTensorDpre<Scalar, C>(a, p, k, s0, i, valid, bj, dpre);
      } else if (i < hidden) {
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

    if (a.net.tensorized)
      tensorInputGradient<Scalar, R, C>(a.net, rows, hpv, ig, n_ig, spw, k, staging_k, ring, slot_size, s_off, bj);
    else
      vanillaInputGradient<Scalar, R, C>(a.net, rows, hpv, ig, n_ig, spw, k, staging_k, ring, slot_size, s_off);
    // No second barrier: the next position stages into the other buffer, and the ring tiles are
    // lane-private.
    if (per_site) {  // the site's output-layer and bias gradients are complete: its own partial row
      writePartials<R>(grad_c, grad_u, grad_d, n_ig, hp, ig, sg, lane,
                       partial + static_cast<std::size_t>(site_k) * a.partial_stride);
#pragma unroll
      for (int r = 0; r < R; ++r) grad_c[r] = grad_u[r] = 0.0;
      grad_d = 0.0;
    }
  }

  if (!per_site) writePartials<R>(grad_c, grad_u, grad_d, n_ig, hp, ig, sg, lane, partial);
  for (int offset = 1; offset < kWarpSize; offset <<= 1) mismatches += __shfl_xor_sync(kFullMask, mismatches, offset);
  if (lane == 0 && mismatches > 0) atomicAdd(a.mismatches, mismatches);
}

// grad[p][j] for every entry: c / U / d from the warps' partial rows (added in warp order), the W_j
// (or T) blocks from cuBLAS's Scalar products. Shared weights: one partial row and one product per set, at the
// W_j block's own place. Per-site weights: a partial row per site, and the products per position
// ([inputs][P][N][d_h (d_h + 2)]): site s at position k takes the product of the position
// q = predecessor_j(k) that k reads (zero without one).
template <class Scalar>
__global__ void assembleGradientKernel(NetworkArgs net, int P, int warps_per_set, const double* __restrict__ partials,
                                       int partial_stride, int hp, const Scalar* __restrict__ weight_grad,
                                       double* __restrict__ grad) {
  const std::int64_t idx = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<std::int64_t>(P) * net.n_params) return;
  const int p = static_cast<int>(idx / net.n_params), j = static_cast<int>(idx % net.n_params);
  const int hidden = net.hidden;
  GradientEntry e{net, p, j, warps_per_set, partial_stride, partials};
  auto in_block = [&](int offset, int per_site_slice, int shared_size) {
    return e.inBlock(offset, per_site_slice, shared_size);
  };
  auto sum = [&](int entry) { return e.partialSum(entry); };
  const int& site = e.site;
  const int& local = e.local;
  double value = 0.0;
  if (in_block(net.bias_offset, net.bias_site, hidden)) {
    value = sum(local);
  } else if (in_block(net.u_offset, net.u_site, 2 * hidden)) {
    // U = [U_0; U_1] enters only through U_1 − U_0 (and d through d_1 − d_0).
    value = (local / hidden == 1 ? 1.0 : -1.0) * sum(hp + local % hidden);
  } else if (in_block(net.d_offset, net.d_site, 2)) {
    value = (local == 1 ? 1.0 : -1.0) * sum(2 * hp);
  } else if (!net.per_site) {
    value = static_cast<double>(weight_grad[idx]);
  } else if (net.tensorized) {
    if (in_block(net.weight_offset[0], net.weight_site[0], 0)) {
      // T_slot[i][u·d_h + t] of the site: the product of operand (j, u, b) = (slot / 2, u, slot % 2) at
      // the position q_u that the site's position reads as its H tile u.
      const int K = net.inputs * hidden, slot = local / (hidden * K), rem = local % (hidden * K);
      const int i = rem / K, u = (rem % K) / hidden, t = rem % hidden;
      const int operand = ((slot / 2) * net.inputs + u) * 2 + slot % 2;
      const int q = __ldg(net.predecessor + 2 * __ldg(net.position + site) + u);
      if (q >= 0)
        value = static_cast<double>(
            weight_grad[((static_cast<std::size_t>(operand) * P + p) * net.n_sites + q) * hidden * hidden +
                        i * hidden + t]);
    }
  } else {
    for (int input = 0; input < net.inputs; ++input) {
      if (!in_block(net.weight_offset[input], net.weight_site[input], 0)) continue;
      const int q = __ldg(net.predecessor + 2 * __ldg(net.position + site) + input);
      if (q >= 0)
        value = static_cast<double>(
            weight_grad[((static_cast<std::size_t>(input) * P + p) * net.n_sites + q) * net.weight_site[input] + local]);
    }
  }
  grad[idx] = value;
}

}  // namespace

template <class Scalar>
const void* backwardKernelHandle(int rows, int samples) {
  const void* fn = nullptr;
  withTile(rows, samples, [&](auto r, auto c) {
    fn = reinterpret_cast<const void*>(&backwardKernel<Scalar, decltype(r)::value, decltype(c)::value>);
  });
  return fn;
}

template <class Scalar>
void launchBackward(const Plan& plan, const BackwardArgs<Scalar>& a, cudaStream_t stream) {
  withTile(plan.rows, plan.samples, [&](auto r, auto c) {
    VNA_LAUNCH(plan.blocks, plan.warps_per_block * kWarpSize, plan.smem_bytes, stream,
               backwardKernel<Scalar, decltype(r)::value, decltype(c)::value>)(a);
  });
  VNA_CUDA(cudaGetLastError());
}

template <class Scalar>
void launchAssembleGradient(const BackwardArgs<Scalar>& a, const Scalar* weight_grad, double* grad,
                            cudaStream_t stream) {
  launchGradientAssembly(assembleGradientKernel<Scalar>, a, weight_grad, grad, stream);
  VNA_CUDA(cudaGetLastError());
}

template <class Scalar>
void launchStageBackwardSites(const Plan& plan, const NetworkArgs& net, const Scalar* params, int P, Scalar* dst,
                              cudaStream_t stream) {
  if (P <= 0) return;
  withTile(plan.rows, plan.samples, [&](auto r, auto) {
    VNA_LAUNCH(static_cast<unsigned>(P) * net.n_sites, 128, 0, stream,
               stageBackwardSitesKernel<Scalar, decltype(r)::value>)(net, plan.n_ig, plan.set_stride, params, dst);
  });
  VNA_CUDA(cudaGetLastError());
}

template const void* backwardKernelHandle<float>(int, int);
template const void* backwardKernelHandle<double>(int, int);
template void launchBackward<float>(const Plan&, const BackwardArgs<float>&, cudaStream_t);
template void launchBackward<double>(const Plan&, const BackwardArgs<double>&, cudaStream_t);
template void launchAssembleGradient<float>(const BackwardArgs<float>&, const float*, double*, cudaStream_t);
template void launchAssembleGradient<double>(const BackwardArgs<double>&, const double*, double*, cudaStream_t);
template void launchStageBackwardSites<float>(const Plan&, const NetworkArgs&, const float*, int, float*, cudaStream_t);
template void launchStageBackwardSites<double>(const Plan&, const NetworkArgs&, const double*, int, double*,
                                               cudaStream_t);

}  // namespace detail
}  // namespace cuda
}  // namespace vna
