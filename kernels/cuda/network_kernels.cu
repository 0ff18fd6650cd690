// cuda::Engine's helpers for drivers that keep their data on the GPU (the network service,
// src/network/cuda_network.cpp): counted copies, parameter sets expanded from a plane, and VQA's
// flip-ratio sums reduced on the device. See cuda_engine.hpp.
#include <cuda_runtime.h>

#include <algorithm>

#include "cuda/engine_state.cuh"
#include "local_energy.hpp"
#include "parameter_plane.hpp"

namespace vna {
namespace cuda {

namespace {

constexpr int kThreads = 256;

unsigned blocksFor(std::int64_t items) { return static_cast<unsigned>((items + kThreads - 1) / kThreads); }

template <class Scalar>
__global__ void expandPlaneKernel(const double* __restrict__ plane, const double* __restrict__ coeffs, int K,
                                  std::int64_t n, Scalar* __restrict__ params) {
  const std::int64_t idx = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= K * n) return;
  const std::int64_t k = idx / n, i = idx % n;
  params[idx] = static_cast<Scalar>(planeEntry(plane[i], coeffs[k], plane[n + i], coeffs[K + k], plane[2 * n + i]));
}

// flipped[p][r][j] for the rows r = (s − s0)·N + i of samples s0 .. s0 + count − 1: sample s with site i
// flipped.
__global__ void flipConfigurationsKernel(const std::uint8_t* __restrict__ bits, int P, int M, int N, int s0,
                                         int count, std::uint8_t* __restrict__ flipped) {
  const std::int64_t rows = static_cast<std::int64_t>(count) * N;
  const std::int64_t idx = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= P * rows * N) return;
  const std::int64_t j = idx % N, r = (idx / N) % rows, p = idx / (static_cast<std::int64_t>(N) * rows);
  const std::int64_t s = s0 + r / N, i = r % N;
  flipped[idx] = bits[(p * M + s) * N + j] ^ static_cast<std::uint8_t>(j == i);
}

__global__ void flipRatioSumKernel(const double* __restrict__ flip_logp, const double* __restrict__ logp, int P,
                                   int M, int N, int s0, int count, double* __restrict__ sums) {
  const std::int64_t idx = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= static_cast<std::int64_t>(P) * count) return;
  const std::int64_t p = idx / count, s = s0 + idx % count;
  const double* row = flip_logp + (p * count + (s - s0)) * N;
  sums[p * M + s] = flipRatioSum(row, logp[p * M + s], N);
}

}  // namespace

template <class Scalar>
void Engine<Scalar>::copyToDevice(void* device_dst, const void* host_src, std::size_t bytes) {
  s_->toDevice(device_dst, host_src, bytes);
}

template <class Scalar>
void Engine<Scalar>::copyToHost(void* host_dst, const void* device_src, std::size_t bytes) {
  s_->toHost(host_dst, device_src, bytes);
  synchronize();
}

template <class Scalar>
Transfers Engine<Scalar>::transfers() const {
  return s_->transfers;
}

template <class Scalar>
void Engine<Scalar>::expandPlaneOnDevice(const double* plane, const double* coeffs, int K, Scalar* params) {
  const std::int64_t n = static_cast<std::int64_t>(s_->spec.n_params);
  if (K <= 0 || n == 0) return;
  VNA_LAUNCH(blocksFor(K * n), kThreads, 0, s_->stream, expandPlaneKernel<Scalar>)(plane, coeffs, K, n, params);
  VNA_CUDA(cudaGetLastError());
}

template <class Scalar>
void Engine<Scalar>::flipRatioSumsOnDevice(const Scalar* params, int P, const std::uint8_t* bits, int M,
                                           const double* logp, double* sums) {
  State& s = *s_;
  const int N = s.spec.n_sites;
  if (P <= 0 || M <= 0) return;
  // Blocks of B samples: their P·B·N flipped configurations (N bytes each) and log p (8 bytes) in
  // about 256 MiB.
  const std::size_t budget = std::size_t(256) << 20;
  const std::size_t per_sample = static_cast<std::size_t>(P) * N * (N + sizeof(double));
  const int B = static_cast<int>(std::clamp<std::size_t>(budget / per_sample, 1, static_cast<std::size_t>(M)));
  std::uint8_t* flipped = s.flip_bits.reserve(static_cast<std::size_t>(P) * B * N * N);
  double* flip_logp = s.flip_logp.reserve(static_cast<std::size_t>(P) * B * N);
  for (int s0 = 0; s0 < M; s0 += B) {
    const int count = std::min(B, M - s0), rows = count * N;
    VNA_LAUNCH(blocksFor(static_cast<std::int64_t>(P) * rows * N), kThreads, 0, s.stream,
               flipConfigurationsKernel)(bits, P, M, N, s0, count, flipped);
    VNA_CUDA(cudaGetLastError());
    logProbOnDevice(params, P, flipped, rows, flip_logp, /*keep=*/false);
    VNA_LAUNCH(blocksFor(static_cast<std::int64_t>(P) * count), kThreads, 0, s.stream, flipRatioSumKernel)(
        flip_logp, logp, P, M, N, s0, count, sums);
    VNA_CUDA(cudaGetLastError());
  }
}

#define VNA_NETWORK_HELPERS_INSTANTIATE(Scalar)                                                              \
  template void Engine<Scalar>::copyToDevice(void*, const void*, std::size_t);                              \
  template void Engine<Scalar>::copyToHost(void*, const void*, std::size_t);                                \
  template Transfers Engine<Scalar>::transfers() const;                                                     \
  template void Engine<Scalar>::expandPlaneOnDevice(const double*, const double*, int, Scalar*);            \
  template void Engine<Scalar>::flipRatioSumsOnDevice(const Scalar*, int, const std::uint8_t*, int, const double*, \
                                                      double*);
VNA_NETWORK_HELPERS_INSTANTIATE(float)
VNA_NETWORK_HELPERS_INSTANTIATE(double)
#undef VNA_NETWORK_HELPERS_INSTANTIATE

}  // namespace cuda
}  // namespace vna
