// The kernels of the dilated cell (cell_dilated.hpp; shared or per-site weights) and their launches.
// See cuda_engine.hpp and doc/performance.md, "CUDA backend".
//
// The same warps and register tiles as the vanilla kernels (forward_kernels.cu): lane (ig, sg) computes
// hidden units ig·R .. ig·R + R − 1 of samples sg·C .. sg·C + C − 1. Per position k the L layers run in
// turn, layer l reading h^l of position k − 2^(l−1) and h^(l−1) of k. Layer l keeps its last 2^(l−1)
// positions, so a warp's rings hold 2^L − 1 slots (127 for N = 100): they live in global memory (each
// resident warp its own, through L1/L2), as do the staged weight rows of every parameter set (and of
// every site, per site), which the dilated cell's L layers would not fit in shared memory. Warps loop
// over the work items of a call, so the scratch is bounded by the resident warps, not by the batch.
// Backward: the reverse sweep with ∂h rings of the same shape (lane-private tiles), ∂pre exchanged
// through a double-buffered staging area, the lower layer's ∂h carried in registers, ∂c_l accumulated
// per lane in global scratch; the weight gradients are 2L − 1 cuBLAS products over (position, sample)
// (cuda_engine.cu), assembled with the rest by assembleDilatedGradientKernel.
#include "core/error.hpp"
#include "cuda/cuda_check.hpp"
#include "cuda/kernel_common.cuh"
#include "cuda/launch_plan.cuh"

namespace vna {
namespace cuda {
namespace detail {

namespace {

// Weight rows in flight per product: one for tiles of 128 bytes or more (denseProduct).
template <class Scalar, int R, int C>
constexpr int kUnroll = R * C * static_cast<int>(sizeof(Scalar)) >= 128 ? 1 : 4;

// The staged value of row `row` at hidden unit `unit` (NetworkArgs::dilatedForwardRow and
// dilatedBackwardRow say which row holds what).
template <class Scalar, bool Forward>
__device__ Scalar dilatedStagedValue(const NetworkArgs& net, const Scalar* __restrict__ theta, int row, int unit) {
  const int hidden = net.hidden, L = net.layers;
  int l = 1;
  while (l <= L && row >= (Forward ? net.dilatedForwardRow(l + 1) : net.dilatedBackwardRow(l + 1))) ++l;
  const int rel = row - (Forward ? net.dilatedForwardRow(l) : net.dilatedBackwardRow(l));
  if (l > L) return rel == 0 ? theta[net.u_offset + hidden + unit] - theta[net.u_offset + unit] : Scalar(0);
  const int width = net.layerWidth(l);
  if (Forward) {
    if (rel < width) return theta[net.layer_weight[l - 1] + unit * width + rel];  // W_l[unit][rel]
    return theta[net.layer_bias[l - 1] + unit];
  }
  if (rel < hidden) return theta[net.layer_weight[l - 1] + rel * width + unit];  // W_l[rel][unit]
  return theta[net.layer_weight[l - 1] + (rel - hidden) * width + hidden + unit];
}

// Block (p, site) stages set p's rows (per site: that site's slices) into dst [P][sites][set_stride].
template <class Scalar, int R, bool Forward>
__global__ void stageDilatedKernel(const NetworkArgs net, int n_ig, int set_stride, int sites,
                                   const Scalar* __restrict__ params, Scalar* __restrict__ dst) {
  const int p = blockIdx.x / sites, site = blockIdx.x % sites;
  const NetworkArgs s = net.atSite(site);
  const Scalar* theta = params + static_cast<std::size_t>(p) * net.n_params;
  Scalar* out = dst + static_cast<std::size_t>(blockIdx.x) * set_stride;
  const int hpv = tiledRowLength<Scalar, R>(n_ig);
  const int out_row = Forward ? s.dilatedForwardRow(s.layers + 1) : s.dilatedBackwardRow(s.layers + 1);
  const int rows = out_row + (Forward ? 2 : 1);
  for (int idx = threadIdx.x; idx < rows * hpv; idx += blockDim.x) {
    const int row = idx / hpv, col = idx - row * hpv;
    int ig = 0;
    const int r = tiledRow<Scalar, R>(col, n_ig, ig);
    const int unit = ig * R + r;
    Scalar value = Scalar(0);
    if (r >= 0 && unit < s.hidden) value = dilatedStagedValue<Scalar, Forward>(s, theta, row, unit);
    if (Forward && row == out_row + 1) value = col == 0 ? theta[s.d_offset + 1] - theta[s.d_offset] : Scalar(0);
    out[idx] = value;
  }
}

template <class Scalar, int R, int C>
__device__ __forceinline__ void setTile(Scalar (&acc)[R][C], Scalar value) {
#pragma unroll
  for (int r = 0; r < R; ++r)
#pragma unroll
    for (int c = 0; c < C; ++c) acc[r][c] = value;
}

// The lane's tile (rows ig·R + r, its C samples) of a slot: store and load.
template <class Scalar, int R, int C>
__device__ __forceinline__ void storeTile(Scalar* slot, int ig, int spw, const Scalar (&acc)[R][C]) {
#pragma unroll
  for (int r = 0; r < R; ++r) storeContiguous<Scalar, C>(slot + (ig * R + r) * spw, acc[r]);
}

// One warp's forward sweep over the spw samples starting at lane index warp_lane0 of the call.
template <class Scalar, int R, int C>
__device__ void dilatedForwardWarp(const ForwardArgs<Scalar>& a, std::int64_t warp_lane0, Scalar* ring) {
  const int n_ig = a.n_ig, spw = a.spw, hp = a.hp, hidden = a.net.hidden, N = a.net.n_sites, L = a.net.layers;
  const int hpv = tiledRowLength<Scalar, R>(n_ig);
  const int lane = threadIdx.x % kWarpSize, ig = lane & (n_ig - 1), sg = lane / n_ig;
  const std::int64_t total = static_cast<std::int64_t>(a.P) * a.m_pad;
  const std::int64_t my_lane0 = warp_lane0 + sg * C;
  const bool in_range = my_lane0 < total;
  const int p = in_range ? static_cast<int>(my_lane0 / a.m_pad) : a.P - 1;
  const int s0 = in_range ? static_cast<int>(my_lane0 % a.m_pad) : 0;
  const int s_off = sg * C;
  const std::size_t slot_size = static_cast<std::size_t>(hp + 1) * spw;  // row hp: the bit (layer 1)
  std::uint32_t* packed = reinterpret_cast<std::uint32_t*>(ring + a.ring_scalars);
  const std::uint32_t stream = a.sampling ? a.stream_ids[p] : 0u;
  const int sites = a.net.per_site ? N : 1;
  const Scalar* set_rows = a.site_rows + static_cast<std::size_t>(p) * sites * a.set_stride;
  const int out_row = a.net.dilatedForwardRow(L + 1);

  bool valid[C], owner[C];
  double lp[C];
#pragma unroll
  for (int c = 0; c < C; ++c) {
    valid[c] = in_range && s0 + c < a.M;
    owner[c] = (c & (n_ig - 1)) == ig;
    lp[c] = 0.0;
  }
  if (a.packed_words > 0)
    for (int w = lane; w < spw * a.packed_words; w += kWarpSize) packed[w] = 0u;
  __syncwarp();

  for (int k = 0; k < N; ++k) {
    const int site = __ldg(a.net.order + k);
    const Scalar* W = set_rows + static_cast<std::size_t>(a.net.per_site ? site : 0) * a.set_stride;
    Scalar udiff[R];
    loadTiledRow<Scalar, R>(W + static_cast<std::size_t>(out_row) * hpv, ig, n_ig, udiff);
    const Scalar ddiff = W[static_cast<std::size_t>(out_row + 1) * hpv];
    float u[C];
    if (a.sampling) positionUniforms(a, k, s0, stream, owner, u);
    Scalar part[C];
#pragma unroll
    for (int c = 0; c < C; ++c) part[c] = Scalar(0);
    for (int l = 1; l <= L; ++l) {
      const Scalar* Wl = W + static_cast<std::size_t>(a.net.dilatedForwardRow(l)) * hpv;
      const int width = a.net.layerWidth(l);
      Scalar bias[R];
      loadTiledRow<Scalar, R>(Wl + static_cast<std::size_t>(width) * hpv, ig, n_ig, bias);
      Scalar acc[R][C];
#pragma unroll
      for (int r = 0; r < R; ++r)
#pragma unroll
        for (int c = 0; c < C; ++c) acc[r][c] = bias[r];
      const int q = k - (1 << (l - 1));
      if (q >= 0) {  // W_l[:, :d_h] h^l_q (a missing predecessor contributes zeros)
        const Scalar* x = ring + NetworkArgs::ringSlot(l, q) * slot_size + s_off;
        denseProduct<Scalar, R, C, kUnroll<Scalar, R, C>>(Wl, hpv, ig, n_ig, x, spw, hidden, acc);
        if (l == 1) {  // the one-hot columns: exactly W_1[i][d_h + b_q]
          Scalar bq[C], w0[R], w1[R];
          loadContiguous<Scalar, C>(x + hp * spw, bq);
          loadTiledRow<Scalar, R>(Wl + static_cast<std::size_t>(hidden) * hpv, ig, n_ig, w0);
          loadTiledRow<Scalar, R>(Wl + static_cast<std::size_t>(hidden + 1) * hpv, ig, n_ig, w1);
#pragma unroll
          for (int r = 0; r < R; ++r)
#pragma unroll
            for (int c = 0; c < C; ++c) acc[r][c] += bq[c] > Scalar(0.5) ? w1[r] : w0[r];
        }
      }
      if (l >= 2)  // W_l[:, d_h:] h^(l−1)_k
        denseProduct<Scalar, R, C, kUnroll<Scalar, R, C>>(Wl + static_cast<std::size_t>(hidden) * hpv, hpv, ig, n_ig,
                                   ring + NetworkArgs::ringSlot(l - 1, k) * slot_size + s_off, spw, hidden, acc);
      __syncwarp();  // every lane has read slot(l, q): h^l_k takes its place

      Scalar* out = ring + NetworkArgs::ringSlot(l, k) * slot_size + s_off;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        Scalar h[C];
#pragma unroll
        for (int c = 0; c < C; ++c) {
          h[c] = elu(acc[r][c]);
          if (l == L) part[c] = fma(udiff[r], h[c], part[c]);
        }
        storeContiguous<Scalar, C>(out + (ig * R + r) * spw, h);
        if (a.kept_acts != nullptr && ig * R + r < hidden) {
#pragma unroll
          for (int c = 0; c < C; ++c)
            if (valid[c])
              a.kept_acts[((static_cast<std::size_t>(p) * N + k) * a.M + s0 + c) * a.lda + a.net.layerRow(l) + ig * R +
                          r] = h[c];
        }
      }
      __syncwarp();  // h^l_k is visible to layer l + 1
    }
    // δ − (d_1 − d_0) summed over the sample's n_ig lanes (xor butterfly: every lane gets the sum).
    for (int offset = 1; offset < n_ig; offset <<= 1) {
#pragma unroll
      for (int c = 0; c < C; ++c) part[c] += __shfl_xor_sync(kFullMask, part[c], offset);
    }
    emitBits<Scalar, C>(a, p, s0, k, site, owner, valid, u, part, ddiff, lp,
                        ring + NetworkArgs::ringSlot(1, k) * slot_size + hp * spw + s_off, packed, s_off);
    __syncwarp();  // b_k is visible to the next position
  }

#pragma unroll
  for (int c = 0; c < C; ++c) {
    if (!owner[c] || !valid[c]) continue;
    const std::size_t sample = static_cast<std::size_t>(p) * a.M + s0 + c;
    a.logp[sample] = lp[c];
    if (a.packed_words > 0)
      a.energies[sample] = configurationEnergy(a.hamiltonian, PackedBits{packed + (s_off + c) * a.packed_words});
  }
  __syncwarp();  // the warp's scratch is free for its next work item
}

template <class Scalar, int R, int C>
__global__ void __launch_bounds__(kMaxWarpsPerBlock* kWarpSize, 1)
    dilatedForwardKernel(const ForwardArgs<Scalar> a) {
  const int warps = blockDim.x / kWarpSize, warp = threadIdx.x / kWarpSize;
  const std::int64_t resident = static_cast<std::int64_t>(blockIdx.x) * warps + warp;
  Scalar* ring = a.scratch + resident * a.scratch_per_warp;
  const std::int64_t total = static_cast<std::int64_t>(a.P) * a.m_pad;
  const std::int64_t items = (total + a.spw - 1) / a.spw;
  for (std::int64_t item = resident; item < items; item += static_cast<std::int64_t>(gridDim.x) * warps)
    dilatedForwardWarp<Scalar, R, C>(a, item * a.spw, ring);
}

// The warp's ∂c_l (lane accumulators in scratch), ∂(U_1 − U_0) and ∂(d_1 − d_0) summed over the lanes
// holding the same rows (fixed order: deterministic) into `partial`; every accumulator is cleared.
template <int R>
__device__ void writeDilatedPartials(double* grad_c, double (&grad_u)[R], double& grad_d, int layers, int n_ig,
                                     int hp, int ig, int sg, int lane, double* partial) {
  for (int l = 0; l <= layers; ++l) {
    double v[R];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      v[r] = l < layers ? grad_c[l * R + r] : grad_u[r];
      if (l < layers) grad_c[l * R + r] = 0.0;
    }
    for (int offset = n_ig; offset < kWarpSize; offset <<= 1) {
#pragma unroll
      for (int r = 0; r < R; ++r) v[r] += __shfl_xor_sync(kFullMask, v[r], offset);
    }
    if (sg == 0) {
#pragma unroll
      for (int r = 0; r < R; ++r) partial[l * hp + ig * R + r] = v[r];
    }
  }
  for (int offset = 1; offset < kWarpSize; offset <<= 1) grad_d += __shfl_xor_sync(kFullMask, grad_d, offset);
  if (lane == 0) partial[(layers + 1) * hp] = grad_d;
#pragma unroll
  for (int r = 0; r < R; ++r) grad_u[r] = 0.0;
  grad_d = 0.0;
}

// One warp's reverse sweep over samples warp_in_set·spw .. of set p.
template <class Scalar, int R, int C>
__device__ void dilatedBackwardWarp(const BackwardArgs<Scalar>& a, int p, int warp_in_set, Scalar* scratch) {
  const int n_ig = a.n_ig, spw = a.spw, hp = a.hp, hidden = a.net.hidden, N = a.net.n_sites, L = a.net.layers;
  const int hpv = tiledRowLength<Scalar, R>(n_ig);
  const int lane = threadIdx.x % kWarpSize, ig = lane & (n_ig - 1), sg = lane / n_ig;
  const int s0 = warp_in_set * spw + sg * C, s_off = sg * C;
  const std::size_t slot_size = static_cast<std::size_t>(hp) * spw;
  Scalar* ring = scratch;                                   // [2^L − 1][hp][spw]: pending ∂h^l
  Scalar* staging = ring + a.net.ringSlots() * slot_size;   // [2][hp][spw]: ∂pre
  double* grad_c = reinterpret_cast<double*>(staging + 2 * slot_size) + lane * L * R;  // [L][R], lane's own
  const bool per_site = a.net.per_site;
  const Scalar* set_rows = a.site_rows + static_cast<std::size_t>(p) * (per_site ? N : 1) * a.set_stride;
  const int out_row = a.net.dilatedBackwardRow(L + 1);

  Scalar zero[R][C];
  setTile(zero, Scalar(0));
  for (int slot = 0; slot < a.net.ringSlots(); ++slot)
    storeTile<Scalar, R, C>(ring + slot * slot_size + s_off, ig, spw, zero);
  for (int e = 0; e < L * R; ++e) grad_c[e] = 0.0;

  bool valid[C], owner[C];
  double weight[C];
#pragma unroll
  for (int c = 0; c < C; ++c) {
    valid[c] = s0 + c < a.M;
    owner[c] = (c & (n_ig - 1)) == ig;
    weight[c] = valid[c] ? a.weights[static_cast<std::size_t>(p) * a.M + s0 + c] : 0.0;
  }
  double grad_u[R], grad_d = 0.0;
#pragma unroll
  for (int r = 0; r < R; ++r) grad_u[r] = 0.0;
  int mismatches = 0;
  double* partial = a.partials + (static_cast<std::size_t>(p) * a.warps_per_set + warp_in_set) * a.partial_sites *
                                     a.partial_stride;
  int step = 0;  // staging buffer parity

  for (int k = N - 1; k >= 0; --k) {
    const std::size_t cell0 = (static_cast<std::size_t>(p) * N + k) * a.M + s0;
    const int site_k = __ldg(a.net.order + k);
    const Scalar* rows = set_rows + static_cast<std::size_t>(per_site ? site_k : 0) * a.set_stride;
    Scalar udiff[R];
    loadTiledRow<Scalar, R>(rows + static_cast<std::size_t>(out_row) * hpv, ig, n_ig, udiff);
    Scalar gd[C];
    outputGradient<Scalar, C>(a, p, s0, cell0, site_k, owner, valid, weight, sg, n_ig, grad_d, mismatches, gd);

    Scalar lower[R][C];  // ∂h^(l−1)_k from layer l, carried to the next layer down
    setTile(lower, Scalar(0));
    for (int l = L; l >= 1; --l) {
      const int q = k - (1 << (l - 1));
      Scalar* tile = ring + NetworkArgs::ringSlot(l, k) * slot_size + s_off;  // slot(l, q) as well
      Scalar* staged = staging + static_cast<std::size_t>(step & 1) * slot_size;
      ++step;
      const int lookback_operand = l == 1 ? 0 : 2 * l - 3;
#pragma unroll
      for (int r = 0; r < R; ++r) {
        const int i = ig * R + r;
        Scalar dh[C], h[C], dpre[C];
        loadContiguous<Scalar, C>(tile + i * spw, dh);
        Scalar sum = Scalar(0);
#pragma unroll
        for (int c = 0; c < C; ++c) {
          h[c] = (valid[c] && i < hidden) ? a.acts[(cell0 + c) * a.lda + a.net.layerRow(l) + i] : Scalar(0);
          dh[c] += lower[r][c];
          if (l == L) {
            dh[c] = fma(udiff[r], gd[c], dh[c]);
            grad_u[r] += static_cast<double>(gd[c] * h[c]);
          }
          dpre[c] = dh[c] * eluDerivativeFromOutput(h[c]);
          sum += dpre[c];
        }
        grad_c[(l - 1) * R + r] += static_cast<double>(sum);
        storeContiguous<Scalar, C>(staged + i * spw + s_off, dpre);
        if (i < hidden) {
#pragma unroll
          for (int c = 0; c < C; ++c) {
            if (!valid[c]) continue;
            if (l >= 2) a.dpre[2 * l - 2][(cell0 + c) * a.ldd + i] = dpre[c];
            if (q >= 0)
              a.dpre[lookback_operand][((static_cast<std::size_t>(p) * N + q) * a.M + s0 + c) * a.ldd + i] = dpre[c];
          }
        }
      }
      __syncwarp();  // ∂pre^l_k of every lane is staged

      const Scalar* Wl = rows + static_cast<std::size_t>(a.net.dilatedBackwardRow(l)) * hpv;
      Scalar acc[R][C];
      setTile(acc, Scalar(0));
      if (q >= 0)
        denseProduct<Scalar, R, C, kUnroll<Scalar, R, C>>(Wl, hpv, ig, n_ig, staged + s_off, spw, hidden, acc);
      storeTile<Scalar, R, C>(tile, ig, spw, acc);  // ∂h^l_q so far (lane-private tile: no barrier)
      if (l >= 2) {
        setTile(lower, Scalar(0));
        denseProduct<Scalar, R, C, kUnroll<Scalar, R, C>>(Wl + static_cast<std::size_t>(hidden) * hpv, hpv, ig,
                                                          n_ig, staged + s_off, spw, hidden, lower);
      }
      // No second barrier: the next layer stages into the other buffer.
    }
    if (per_site)  // the site's biases and output layer are complete: its own partial row
      writeDilatedPartials<R>(grad_c, grad_u, grad_d, L, n_ig, hp, ig, sg, lane,
                              partial + static_cast<std::size_t>(site_k) * a.partial_stride);
  }
  if (!per_site) writeDilatedPartials<R>(grad_c, grad_u, grad_d, L, n_ig, hp, ig, sg, lane, partial);
  for (int offset = 1; offset < kWarpSize; offset <<= 1) mismatches += __shfl_xor_sync(kFullMask, mismatches, offset);
  if (lane == 0 && mismatches > 0) atomicAdd(a.mismatches, mismatches);
  __syncwarp();  // the warp's scratch is free for its next work item
}

template <class Scalar, int R, int C>
__global__ void __launch_bounds__(kMaxWarpsPerBlock* kWarpSize, 1)
    dilatedBackwardKernel(const BackwardArgs<Scalar> a) {
  const int warps = blockDim.x / kWarpSize, warp = threadIdx.x / kWarpSize;
  const std::int64_t resident = static_cast<std::int64_t>(blockIdx.x) * warps + warp;
  Scalar* scratch = a.scratch + resident * a.scratch_per_warp;
  const std::int64_t items = static_cast<std::int64_t>(a.P) * a.warps_per_set;
  for (std::int64_t item = resident; item < items; item += static_cast<std::int64_t>(gridDim.x) * warps)
    dilatedBackwardWarp<Scalar, R, C>(a, static_cast<int>(item / a.warps_per_set),
                                      static_cast<int>(item % a.warps_per_set), scratch);
}

// grad[p][j] for every entry: c_l / U / d from the warps' partial rows (added in warp order), the W_l
// blocks from cuBLAS's products. Shared weights: the products sit at the blocks' own places. Per-site
// weights: the products per position ([operands][P][N][d_h (d_h + 2)], column-major, the operand's
// rows per column); site s at position k takes W_l's look-back columns from the product at position
// k − 2^(l−1) (zero without one) and its lower-layer columns from the product at k.
template <class Scalar>
__global__ void assembleDilatedGradientKernel(NetworkArgs net, int P, int warps_per_set,
                                              const double* __restrict__ partials, int partial_stride, int hp,
                                              const Scalar* __restrict__ weight_grad, double* __restrict__ grad) {
  const std::int64_t idx = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<std::int64_t>(P) * net.n_params) return;
  const int p = static_cast<int>(idx / net.n_params), j = static_cast<int>(idx % net.n_params);
  const int hidden = net.hidden, N = net.n_sites, L = net.layers;
  GradientEntry e{net, p, j, warps_per_set, partial_stride, partials};
  auto in_block = [&](int offset, int per_site_slice, int shared_size) {
    return e.inBlock(offset, per_site_slice, shared_size);
  };
  auto sum = [&](int entry) { return e.partialSum(entry); };
  const int& site = e.site;
  const int& local = e.local;
  const std::size_t block = static_cast<std::size_t>(hidden) * (hidden + 2);
  auto product = [&](int operand, int position, int rows, int i, int t) {
    return static_cast<double>(
        weight_grad[((static_cast<std::size_t>(operand) * P + p) * N + position) * block + i * rows + t]);
  };
  double value = 0.0;
  if (in_block(net.u_offset, net.u_site, 2 * hidden)) {
    // U = [U_0; U_1] enters only through U_1 − U_0 (and d through d_1 − d_0).
    value = (local / hidden == 1 ? 1.0 : -1.0) * sum(L * hp + local % hidden);
  } else if (in_block(net.d_offset, net.d_site, 2)) {
    value = (local == 1 ? 1.0 : -1.0) * sum((L + 1) * hp);
  } else {
    for (int l = 1; l <= L; ++l) {
      const int width = net.layerWidth(l);
      if (in_block(net.layer_bias[l - 1], net.layer_bias_site[l - 1], hidden)) {
        value = sum((l - 1) * hp + local);
        break;
      }
      if (!in_block(net.layer_weight[l - 1], net.layer_weight_site[l - 1], hidden * width)) continue;
      if (!net.per_site) {
        value = static_cast<double>(weight_grad[idx]);
        break;
      }
      const int i = local / width, t = local % width, k = __ldg(net.position + site);
      const int lookback_rows = l == 1 ? hidden + 2 : hidden;
      if (t < lookback_rows) {
        const int q = k - (1 << (l - 1));
        if (q >= 0) value = product(l == 1 ? 0 : 2 * l - 3, q, lookback_rows, i, t);
      } else {
        value = product(2 * l - 2, k, hidden, i, t - hidden);
      }
      break;
    }
  }
  grad[idx] = value;
}

}  // namespace

// The backward kernel is not built for tiles of 256 bytes (8 × 4 in double): beside its other live
// tiles they spill (ptxas -warn-spills, sm_90); the planner takes another tile.
template <class Scalar, int R, int C>
constexpr bool kBackwardBuilt = R * C * static_cast<int>(sizeof(Scalar)) < 256;

template <class Scalar>
const void* dilatedKernelHandle(Kernel kind, int rows, int samples) {
  const void* fn = nullptr;
  withTile(rows, samples, [&](auto r, auto c) {
    constexpr int R = decltype(r)::value, C = decltype(c)::value;
    if (kind == Kernel::kForward)
      fn = reinterpret_cast<const void*>(&dilatedForwardKernel<Scalar, R, C>);
    else if constexpr (kBackwardBuilt<Scalar, R, C>)
      fn = reinterpret_cast<const void*>(&dilatedBackwardKernel<Scalar, R, C>);
  });
  return fn;
}

template <class Scalar>
void launchDilatedForward(const Plan& plan, const ForwardArgs<Scalar>& a, cudaStream_t stream) {
  withTile(plan.rows, plan.samples, [&](auto r, auto c) {
    VNA_LAUNCH(plan.blocks, plan.warps_per_block * kWarpSize, 0, stream,
               dilatedForwardKernel<Scalar, decltype(r)::value, decltype(c)::value>)(a);
  });
  VNA_CUDA(cudaGetLastError());
}

template <class Scalar>
void launchDilatedBackward(const Plan& plan, const BackwardArgs<Scalar>& a, cudaStream_t stream) {
  withTile(plan.rows, plan.samples, [&](auto r, auto c) {
    constexpr int R = decltype(r)::value, C = decltype(c)::value;
    if constexpr (kBackwardBuilt<Scalar, R, C>)
      VNA_LAUNCH(plan.blocks, plan.warps_per_block * kWarpSize, 0, stream, dilatedBackwardKernel<Scalar, R, C>)(a);
    else
      throw Error("cuda::Engine: the dilated backward kernel is not built for tile " + std::to_string(R) + "x" +
                  std::to_string(C));
  });
  VNA_CUDA(cudaGetLastError());
}

template <class Scalar>
void launchStageDilated(const Plan& plan, Kernel kind, const NetworkArgs& net, const Scalar* params, int P,
                        Scalar* dst, cudaStream_t stream) {
  if (P <= 0) return;
  const int sites = net.per_site ? net.n_sites : 1;
  withTile(plan.rows, plan.samples, [&](auto r, auto) {
    constexpr int R = decltype(r)::value;
    if (kind == Kernel::kForward)
      VNA_LAUNCH(static_cast<unsigned>(P) * sites, 128, 0, stream, stageDilatedKernel<Scalar, R, true>)(
          net, plan.n_ig, plan.set_stride, sites, params, dst);
    else
      VNA_LAUNCH(static_cast<unsigned>(P) * sites, 128, 0, stream, stageDilatedKernel<Scalar, R, false>)(
          net, plan.n_ig, plan.set_stride, sites, params, dst);
  });
  VNA_CUDA(cudaGetLastError());
}

template <class Scalar>
void launchAssembleDilatedGradient(const BackwardArgs<Scalar>& a, const Scalar* weight_grad, double* grad,
                                   cudaStream_t stream) {
  launchGradientAssembly(assembleDilatedGradientKernel<Scalar>, a, weight_grad, grad, stream);
  VNA_CUDA(cudaGetLastError());
}

#define VNA_DILATED_INSTANTIATE(Scalar)                                                                         \
  template const void* dilatedKernelHandle<Scalar>(Kernel, int, int);                                          \
  template void launchDilatedForward<Scalar>(const Plan&, const ForwardArgs<Scalar>&, cudaStream_t);           \
  template void launchDilatedBackward<Scalar>(const Plan&, const BackwardArgs<Scalar>&, cudaStream_t);         \
  template void launchStageDilated<Scalar>(const Plan&, Kernel, const NetworkArgs&, const Scalar*, int, Scalar*, \
                                           cudaStream_t);                                                      \
  template void launchAssembleDilatedGradient<Scalar>(const BackwardArgs<Scalar>&, const Scalar*, double*,      \
                                                      cudaStream_t);
VNA_DILATED_INSTANTIATE(float)
VNA_DILATED_INSTANTIATE(double)
#undef VNA_DILATED_INSTANTIATE

}  // namespace detail
}  // namespace cuda
}  // namespace vna
