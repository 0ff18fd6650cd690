#pragma once
// cuda::Engine's state (cuda_engine.cu: construction and the device-resident calls; staging.cu: the
// host-memory calls). Compiled by nvcc only.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "cuda/cuda_check.hpp"
#include "cuda/cuda_engine.hpp"
#include "cuda/device_buffer.hpp"
#include "cuda/launch_plan.cuh"

namespace vna {
namespace cuda {

template <class Scalar>
struct Engine<Scalar>::State {
  NetworkSpec spec;
  int device = 0;
  cudaDeviceProp prop{};
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  detail::NetworkArgs net;
  detail::Planner<Scalar> planner;
  DeviceBuffer<int> tables;  // order, predecessor, reader, forward_slot, backward_slot, position
  // The Hamiltonian's rows (HamiltonianRows) for fused energies.
  bool have_hamiltonian = false;
  DeviceBuffer<int> term_offsets, term_sites, field_sites;
  DeviceBuffer<double> term_coeffs, field_values;
  HamiltonianPointers hamiltonian;
  // Host-interface staging.
  DeviceBuffer<Scalar> params;
  DeviceBuffer<std::uint32_t> stream_ids;
  DeviceBuffer<std::uint8_t> bits;
  DeviceBuffer<double> logp, energies, weights, grad;
  // Kept activations and the backward workspaces.
  DeviceBuffer<Scalar> acts, probs, dpre, weight_grad;
  DeviceBuffer<double> partials;
  // Per-site weights: every site's rows in the layout of the kernel about to run ([P][N][set stride]).
  DeviceBuffer<Scalar> site_rows;
  // Dilated cell: the resident warps' rings and accumulators (DilatedMemory).
  DeviceBuffer<Scalar> scratch;
  DeviceBuffer<int> mismatches;
  // flipRatioSumsOnDevice's blocks of flipped configurations and their log p.
  DeviceBuffer<std::uint8_t> flip_bits;
  DeviceBuffer<double> flip_logp;
  bool kept_valid = false;
  int kept_P = 0, kept_M = 0;
  // Bytes moved between host and device memory (every copy goes through toDevice / toHost).
  Transfers transfers;
  // Profiling.
  bool profiling = false;
  Profile profile;
  cudaEvent_t events[6] = {};

  ~State() {
    for (cudaEvent_t& e : events)
      if (e) cudaEventDestroy(e);
    if (cublas) cublasDestroy(cublas);
    if (stream) cudaStreamDestroy(stream);
  }

  // Copies on the engine's stream, counted. toDevice returns when `src` may be reused (pageable host
  // memory is staged by the driver); toHost's destination is valid after the next synchronization.
  void toDevice(void* dst, const void* src, std::size_t bytes) {
    if (bytes == 0) return;
    VNA_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
    transfers.to_device += bytes;
    ++transfers.copies;
  }
  void toHost(void* dst, const void* src, std::size_t bytes) {
    if (bytes == 0) return;
    VNA_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
    transfers.to_host += bytes;
    ++transfers.copies;
  }

  int lda() const { return net.keptRows(); }
  int ldd() const { return spec.hidden; }
  // Parameter-set slices staged per set: every site's when per site, one otherwise (the dilated cell,
  // whose shared rows are staged in global memory too).
  int stagedSites() const { return net.per_site ? spec.n_sites : 1; }
  void record(int i) {
    if (profiling) VNA_CUDA(cudaEventRecord(events[i], stream));
  }
  double elapsed(int a, int b) const {
    float ms = 0.0f;
    VNA_CUDA(cudaEventElapsedTime(&ms, events[a], events[b]));
    return ms;
  }
  // A forward pass of `a` (P, M, inputs and outputs set), storing what gradient() needs when `keep`.
  void runForward(detail::ForwardArgs<Scalar>& a, bool keep) {
    if (keep) kept_valid = false;
    if (a.P > 0 && a.M > 0) {
      const detail::Plan plan = planner.choose(detail::Kernel::kForward, a.P, a.M, a.energies != nullptr);
      if (keep) {
        const std::size_t cells = static_cast<std::size_t>(a.P) * spec.n_sites * a.M;
        a.kept_acts = acts.reserve(cells * lda());
        a.kept_probs = probs.reserve(cells);
        a.lda = lda();
      }
      a.net = net;
      detail::applyPlan(plan, a);
      profile.forward_plan = plan.describe();
      if (net.dilated()) {
        a.site_rows = site_rows.reserve(static_cast<std::size_t>(a.P) * stagedSites() * plan.set_stride);
        detail::launchStageDilated(plan, detail::Kernel::kForward, net, a.params, a.P, site_rows.data(), stream);
        a.scratch =
            scratch.reserve(static_cast<std::size_t>(plan.blocks) * plan.warps_per_block * plan.scratch_per_warp);
        detail::launchDilatedForward(plan, a, stream);
      } else {
        if (net.per_site) {
          a.site_rows = site_rows.reserve(static_cast<std::size_t>(a.P) * spec.n_sites * plan.set_stride);
          detail::launchStageForwardSites(plan, net, a.params, a.P, site_rows.data(), stream);
        }
        detail::launchForward(plan, a, stream);
      }
    }
    if (keep) {
      kept_valid = true;
      kept_P = a.P;
      kept_M = a.M;
    }
  }
  // The timings of a host-memory forward call (events 0 .. 3: upload, forward, download).
  void profileForwardCall() {
    if (!profiling) return;
    profile.upload_ms = elapsed(0, 1);
    profile.forward_ms = elapsed(1, 2);
    profile.download_ms = elapsed(2, 3);
    profile.backward_ms = profile.gemm_ms = 0;
  }
};

}  // namespace cuda
}  // namespace vna
